//! The insights report: one HTML page for a room or a programme of rooms.
//!
//! Commissioners read this report, print it, and file it as the record of
//! engagement behind service changes; so it must be true to what was said,
//! plain enough for anyone who took part to read, and usable without a
//! screen. [`room_report`] and [`programme_report`] draw the numbers of
//! [`crate::insights`] as a single self-contained HTML5 document: inline CSS,
//! no script, no external font or image, A4 print rules with each major
//! section on a new page ([`page`]). Charts are SVG ([`charts`]), each with
//! `role="img"`, a title, and a table of the same numbers after it, and
//! readable in black and white. Each section of the page is one file of
//! [`sections`]; numbers become words in [`words`]. A room's public page for its
//! participants ([`updates`], "You said, we did") is drawn from the same blocks.
//!
//! Every piece of participant text comes from strangers: the page is written
//! with `maud`, which escapes whatever it is given, so a note that says
//! `<script>` is shown as those characters. Nothing here reads a clock: the
//! time the report was made is passed in with [`ReportOptions`].

use maud::html;

use crate::dataset::Dataset;
use crate::insights::{self, DEFAULT_MIN_COUNT, Insights};

mod charts;
mod page;
mod sections;
pub mod updates;
mod words;

/// How a report is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportOptions {
    /// Counts of people from 1 to `min_count - 1` are shown as "fewer than `min_count`"
    /// (see [`crate::insights`] for why the default is 8).
    pub min_count: usize,
    /// When the report was made, as people read it ("3 April 2025, 14:05"); left out if empty.
    pub generated_at: String,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions { min_count: DEFAULT_MIN_COUNT, generated_at: String::new() }
    }
}

/// The insights report of one room.
pub fn room_report(dataset: &Dataset, options: &ReportOptions) -> String {
    let insights = insights::insights(std::slice::from_ref(dataset), options.min_count);
    // A room without a title is still named, by its code.
    let name = if dataset.room.title.trim().is_empty() { &dataset.room.code } else { &dataset.room.title };
    render(&Scope::Room(name), &insights, options)
}

/// The insights report of a programme: its rooms side by side, and the current experience against the desired one.
pub fn programme_report(title: &str, datasets: &[Dataset], options: &ReportOptions) -> String {
    let insights = insights::insights(datasets, options.min_count);
    render(&Scope::Programme(title), &insights, options)
}

/// What a report is about: one room, or a programme of rooms; each carries its name.
enum Scope<'a> {
    Room(&'a str),
    Programme(&'a str),
}

fn render(scope: &Scope<'_>, insights: &Insights, options: &ReportOptions) -> String {
    let title = match scope {
        Scope::Room(title) | Scope::Programme(title) => format!("Insights report: {title}"),
    };
    let page = page::Page::new(insights.min_count, matches!(scope, Scope::Programme(_)));
    let sections = html! {
        @if !options.generated_at.is_empty() {
            (page::paragraph(&format!("Made on {}.", options.generated_at)))
        }
        (sections::summary(&page, scope, insights))
        (sections::emotional_maps(&page, insights))
        (sections::triangulation(&page, insights))
        (sections::path_boards(&page, insights))
        (sections::options_for_change(&page, insights))
        (sections::pledges(&page, insights))
        (sections::event_feedback(&page, insights))
        (sections::who_took_part(&page, insights))
    };
    page::document(&title, sections)
}

#[cfg(test)]
mod tests {
    use touchpoint_core::template::{Emotion, Valence};

    use super::sections::MOST_COLUMNS;
    use super::*;
    use crate::dataset::{CardRow, Marks};
    use crate::insights::fixtures::{SCRIPT_NOTE, T, scripted_desired_room, scripted_room};

    fn options(min_count: usize) -> ReportOptions {
        ReportOptions { min_count, generated_at: "3 April 2025, 14:05".to_owned() }
    }

    /// The levels of the page's headings, in order.
    fn heading_levels(html: &str) -> Vec<u32> {
        html.match_indices("<h").filter_map(|(i, _)| html[i + 2..].chars().next()?.to_digit(10)).collect()
    }

    /// Checks what every report must be, whatever its content; `name` says which report failed.
    fn check_structure(name: &str, html: &str) {
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en-GB\">"), "{name}: HTML5 with a language");
        assert!(html.trim_end().ends_with("</html>"), "{name}: the document is complete");

        let levels = heading_levels(html);
        assert_eq!(levels.iter().filter(|level| **level == 1).count(), 1, "{name}: one h1");
        assert_eq!(levels.first(), Some(&1), "{name}: the h1 comes first");
        for pair in levels.windows(2) {
            assert!(pair[1] <= pair[0] + 1, "{name}: a heading skips a level: {levels:?}");
        }

        let n_tables = html.matches("<table").count();
        assert!(n_tables > 0, "{name}: has tables");
        for (i, _) in html.match_indices("<table") {
            let rest = &html[i..];
            let end = rest.find('>').expect("a table tag closes");
            assert!(rest[end + 1..].starts_with("\n<caption>"), "{name}: a table without a caption at {i}");
        }
        assert_eq!(html.matches("<th>").count(), 0, "{name}: a header cell without scope");
        for (i, _) in html.match_indices("<th ") {
            let tag = &html[i..i + html[i..].find('>').expect("a th tag closes")];
            assert!(tag.starts_with("<th scope=\"col\"") || tag.starts_with("<th scope=\"row\""), "{name}: {tag}");
        }

        for (i, _) in html.match_indices("<svg") {
            let rest = &html[i..];
            let end = rest.find('>').expect("an svg tag closes");
            assert!(rest[..end].contains("role=\"img\""), "{name}: an svg without role=img at {i}");
            assert!(rest[..end].contains("aria-labelledby=\"chart-"), "{name}: an svg without a label at {i}");
            assert!(rest[end + 1..].starts_with("\n<title id=\"chart-"), "{name}: an svg without a title at {i}");
            let svg = &rest[..rest.find("</svg>").expect("an svg closes")];
            let figure_end = rest.find("</figure>").expect("a chart sits in a figure");
            assert!(
                rest[figure_end..].trim_start_matches("</figure>\n").starts_with("<table"),
                "{name}: no table after a chart at {i}"
            );
            assert!(!svg.contains("<script"), "{name}: script in an svg");
        }

        // Self-contained: no script, no external resource (the SVG namespace is a name, not a fetch).
        for banned in ["<script", "<img", "<link", "@import", "<iframe", "<object", "<embed", "<audio", "<video"] {
            assert!(!html.contains(banned), "{name}: contains {banned}");
        }
        assert_eq!(html.matches("url(").count(), html.matches("url(#").count(), "{name}: a url() outside the page");
        assert_eq!(
            html.matches("\"http").count(),
            html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count(),
            "{name}: an address other than the SVG namespace"
        );
        for rule in ["@page { size: A4;", "@media print", "break-before: page", "break-inside: avoid"] {
            assert!(html.contains(rule), "{name}: print rule {rule}");
        }
    }

    #[test]
    fn every_report_is_self_contained_accessible_and_printable() {
        let room = scripted_room();
        check_structure("room", &room_report(&room, &options(5)));
        check_structure("room, no suppression", &room_report(&room, &options(1)));
        check_structure(
            "programme",
            &programme_report("Programme", &[room.clone(), scripted_desired_room()], &options(5)),
        );
        let empty = Dataset::default();
        let html = room_report(&empty, &ReportOptions::default());
        assert!(html.contains("There was no emotional map"), "an empty room says so");
        assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
        assert_eq!(heading_levels(&html).iter().filter(|level| **level == 1).count(), 1);
        let html = programme_report("Nothing yet", &[], &ReportOptions::default());
        assert!(html.contains("0 rooms"), "{html}");
    }

    #[test]
    fn participant_text_is_shown_as_text_never_run() {
        let mut room = scripted_room();
        room.room.title = "Room \"A\" <i>".to_owned();
        room.pledges[1].text = "<img src=x onerror=alert(1)>".to_owned();
        room.touchstones[2].word = "<svg onload=alert(2)>".to_owned();
        room.path_notes[0].text = "</li></ul><h1>Not a heading</h1>".to_owned();
        let html = room_report(&room, &options(5));
        assert_eq!(room.cards[0].note.as_deref(), Some(SCRIPT_NOTE), "the fixture carries the script");
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; on hold for 40 minutes"));
        assert!(html.contains("Room &quot;A&quot; &lt;i&gt;"));
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(html.contains("&lt;svg onload=alert(2)&gt;"));
        assert!(html.contains("&lt;/li&gt;&lt;/ul&gt;&lt;h1&gt;Not a heading&lt;/h1&gt;"));
        for raw in ["<script", "<img", "<svg onload", "<i>", "<h1>Not"] {
            assert!(!html.contains(raw), "{raw} reached the page");
        }
        check_structure("hostile text", &html);
    }

    #[test]
    fn leaves_hidden_contributions_out_and_says_how_many() {
        let html = room_report(&scripted_room(), &options(5));
        // (hidden text that must not appear, visible text of the same kind that must)
        for (hidden, visible) in [
            ("a hidden note", "Felt rushed"),
            ("Same-day answers for all", "Everyone is listened to"),
            ("a hidden comment", "Make it someone we already know"),
            ("a hidden idea", "A phone line for carers"),
            ("a hidden pledge", "I will tell my neighbours"),
            ("Hidden Name", "Dr Khan"),
            ("a hidden word", "being listened to"),
        ] {
            assert!(!html.contains(hidden), "hidden {hidden:?} is in the report");
            assert!(html.contains(visible), "visible {visible:?} is missing");
        }
        for said in [
            "1 card was hidden by the facilitator and left out.",
            "1 note was hidden by the facilitator and left out.",
            "1 comment was hidden by the facilitator and left out.",
            "1 pledge was hidden by the facilitator and left out.",
            "1 word was hidden by the facilitator and left out.",
            "11 cards were counted.",
        ] {
            assert!(html.contains(said), "missing: {said}");
        }
    }

    #[test]
    fn names_hot_spots_differences_and_winners_in_words() {
        let html = room_report(&scripted_room(), &options(5));
        for words in [
            "the hardest moments for everyone were \u{201c}Booking an appointment\u{201d} (4 of 5 cards bad, 80%) and \
             \u{201c}The waiting room\u{201d} (2 of 4 cards bad, 50%).",
            "Staff and professionals: \u{201c}The waiting room\u{201d} (1 of 1 card bad, 100%) and \
             \u{201c}Booking an appointment\u{201d} (1 of 2 cards bad, 50%).",
            "Staff were more negative than people and carers at \u{201c}The waiting room\u{201d}, where they differ \
             most: 33% of people&#39;s and carers&#39; cards were bad, against 100% of staff&#39;s (67 points apart).",
            "most dots went to \u{201c}A same-day callback\u{201d} (6 dots from 4 people).",
            "the best feedback went to \u{201c}A named care coordinator\u{201d} (an average of 4.2 out of 5 from 5 scores).",
            "2 pledges were made.",
        ] {
            assert!(html.contains(words), "missing: {words}");
        }
        // Ranked by dots: the callback (6 from 4 people) before the coordinator (6 from 3) before longer appointments.
        let at = |text: &str| html.find(text).unwrap_or_else(|| panic!("missing {text}"));
        assert!(at(">1. A same-day callback<") < at(">2. A named care coordinator<"));
        assert!(at(">2. A named care coordinator<") < at(">3. Longer appointments<"));
        assert!(at(">1. A named care coordinator<") < at(">2. A same-day callback<"), "ranked by score");
    }

    /// The text of a table row: its header, then each cell.
    fn row(header: &str, cells: &[&str]) -> String {
        let mut row = format!("<tr><th scope=\"row\">{header}</th>");
        for cell in cells {
            row.push_str(&format!("<td class=\"n\">{cell}</td>"));
        }
        row.push_str("</tr>");
        row
    }

    #[test]
    fn suppresses_small_counts_and_says_what_the_threshold_is() {
        // (min_count, sentence, rows that must appear)
        let check = |min_count: usize, sentence: &str, rows: &[String]| {
            let html = room_report(&scripted_room(), &options(min_count));
            assert!(html.contains(sentence), "min {min_count}: missing {sentence}");
            for row in rows {
                assert!(html.contains(row.as_str()), "min {min_count}: missing {row}");
            }
        };
        check(
            5,
            "any number of people from 1 to 4 is shown as \u{201c}fewer than 5\u{201d}",
            &[
                row("Person using services", &["fewer than 5"]),
                row("Joining remotely", &["fewer than 5"]),
                row("Total", &["6"]),
                // 30 contributions: people's 9 and carers' 10 stay, staff's 9 and 2 without a perspective... the
                // 2 are suppressed, so the smallest other (person, 9) is withheld.
                row("Person using services", &["not shown"]),
                row("Family carer", &["10"]),
            ],
        );
        check(
            3,
            "any number of people from 1 to 2 is shown as \u{201c}fewer than 3\u{201d}",
            &[row("People using services and carers", &["3"]), row("Staff and professionals", &["fewer than 3"])],
        );
        check(
            1,
            "Every count of people is shown exactly",
            &[row("Person using services", &["2"]), row("Joining remotely", &["1"]), row("Member of staff", &["9"])],
        );
        let html = room_report(&scripted_room(), &options(5));
        assert!(html.contains("Participants</dt><dd>6</dd>"), "six took part: not small");
        let html = room_report(&scripted_room(), &options(7));
        assert!(html.contains("Participants</dt><dd>fewer than 7</dd>"));
        assert!(html.contains("not shown (fewer than 7 people)"), "the vote spread of a small group is hidden");
    }

    #[test]
    fn sizes_touchstone_words_by_how_many_gave_them() {
        let html = room_report(&scripted_room(), &options(5));
        let size_of = |word: &str| -> String {
            let end = html.find(&format!("</title>{word}</text>")).unwrap_or_else(|| panic!("{word} is in the cloud"));
            let start = html[..end].rfind("<text ").expect("inside a text element");
            let element = &html[start..end];
            let size = element.split("font-size=\"").nth(1).expect("a size");
            size[..size.find('"').expect("quoted")].to_owned()
        };
        // 3, 2 and 1 people: the sizes run from 14 to 48.
        assert_eq!([size_of("kindness"), size_of("being listened to"), size_of("time")], ["48", "31", "14"]);
    }

    #[test]
    fn splits_a_heat_map_that_used_too_many_words() {
        let mut room = scripted_room();
        let words: Vec<Emotion> = (0..14)
            .map(|i| Emotion {
                id: format!("good-{i}"),
                label: format!("good word {i}"),
                valence: Valence::Positive,
                colour: "#1f4e8c".to_owned(),
                icon: "+".to_owned(),
            })
            .collect();
        room.activities[0].emotions.extend(words);
        for i in 0..14 {
            room.cards.push(CardRow {
                id: format!("extra-{i}"),
                activity: "current-map".to_owned(),
                touchpoint: "G".to_owned(),
                emotion: Some(format!("good-{i}")),
                valence: Some(Valence::Positive),
                marks: Marks { at: T, ..Marks::default() },
                ..CardRow::default()
            });
        }
        let html = room_report(&room, &options(5));
        check_structure("many words", &html);
        for caption in [
            "Cards at each touchpoint by emotion, good words, part 1 of 2 (25 cards)",
            "Cards at each touchpoint by emotion, good words, part 2 of 2 (25 cards)",
            "Cards at each touchpoint by emotion, neutral and own words (25 cards)",
            "Cards at each touchpoint by emotion, bad words (25 cards)",
        ] {
            assert!(html.contains(caption), "missing {caption}");
        }
        let (_, first_part) = html.split_once("good words, part 1 of 2 (25 cards)").expect("the first part");
        let svg = &first_part[..first_part.find("</svg>").expect("its chart")];
        assert_eq!(svg.matches("<rect").count(), 3 * MOST_COLUMNS, "three touchpoints by twelve words");
    }

    #[test]
    fn compares_rooms_of_a_programme() {
        let html =
            programme_report("Primary care, 60 and over", &[scripted_room(), scripted_desired_room()], &options(5));
        for words in [
            "<h1>Insights report: Primary care, 60 and over</h1>",
            "in 2 rooms of the programme \u{201c}Primary care, 60 and over\u{201d}, from 12 to 19 March 2025.",
            "<caption>The rooms of this programme</caption>",
            "<h3>Co-design 1: How care feels today</h3>",
            "<h3>Co-design 2: How care should feel</h3>",
            "<h3>The experience today compared with the experience people want</h3>",
            "The experience today is furthest from the one people want at \u{201c}Booking an appointment\u{201d}: 80% of \
             cards were bad today, against 0% on the map of the experience people want (80 points apart).",
            "Places taken",
        ] {
            assert!(html.contains(words), "missing: {words}");
        }
        let today =
            html.find(">Booking an appointment</th><td class=\"n\">4 of 5 (80%)</td><td class=\"n\">0 of 2 (0%)");
        assert!(today.is_some(), "the comparison table has the numbers");
        let room = room_report(&scripted_room(), &options(5));
        assert!(!room.contains("compared with the experience people want"), "one board alone has nothing to compare");
    }
}
