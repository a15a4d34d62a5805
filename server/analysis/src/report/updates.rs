//! A room's public page, "You said, we did": what the programme team did with what people
//! said, and what they said, for participants who come back to it from their phones.
//!
//! People open it months later on whatever phone they have, often with large text, on a poor
//! connection: it is one small HTML document that needs no script, no font and no image, with
//! its few styles inline, laid out in one column that reflows at 320 CSS pixels. What it may
//! show is decided before it gets here ([`touchpoint_core::room::public`]: the board alone,
//! nothing hidden, votes only as revealed); everything written by people reaches it through
//! [`Text`], escaped. Nothing here reads a clock or the store: the page is a function of what
//! it is given.

use maud::{DOCTYPE, Markup, PreEscaped, html};
use touchpoint_core::calendar::civil_date;
use touchpoint_core::room::public::{ChosenOption, PublicRoom, RevealedVote};

use super::page::Text;
use super::words::date;

/// Phone first: a readable measure, sizes in `rem` so large text scales everything, headings
/// modest enough that a long word still fits a 320 px screen at large text, and a word longer
/// than the line broken rather than scrolled. Text is near-black on white; the grey (#4a4a4a) is 8.9:1.
const CSS: &str = r#"
:root { color: #111; background: #fff; }
body { font: 1.125rem/1.55 system-ui, "Segoe UI", Arial, Helvetica, sans-serif; max-width: 40rem; margin: 0 auto; padding: .75rem; overflow-wrap: break-word; }
h1 { font-size: 1.4em; line-height: 1.2; margin: .25rem 0 .5rem; }
h2 { font-size: 1.25em; line-height: 1.25; margin: 2rem 0 .75rem; border-bottom: 2px solid #111; }
h3 { font-size: 1.1em; margin: 1.5rem 0 .5rem; }
.kicker { font-weight: bold; text-transform: uppercase; letter-spacing: .05em; margin: 0; }
.quiet { color: #4a4a4a; }
ol.updates { list-style: none; padding: 0; margin: 0; }
ol.updates li { border-left: 4px solid #0b5394; padding: .25rem 0 .25rem .75rem; margin: 0 0 1.25rem; }
ol.updates p { white-space: pre-line; margin: .25rem 0 0; }
ol.updates li > time { font-weight: bold; }
ul.words { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .5rem; }
ul.words li { border: 1px solid #4a4a4a; border-radius: 1rem; padding: .1rem .75rem; }
ol.options li { margin-bottom: .4rem; }
footer { margin-top: 2.5rem; border-top: 1px solid #4a4a4a; padding-top: .5rem; font-size: .95em; }
"#;

/// One update of the programme team, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomUpdate {
    pub text: String,
    /// Seconds since the Unix epoch.
    pub posted_at: i64,
    /// When it was last corrected, if it was.
    pub edited_at: Option<i64>,
}

/// Everything the page shows of a room.
#[derive(Debug, Clone, Copy)]
pub struct UpdatesPage<'a> {
    pub room: &'a PublicRoom,
    /// The room's code, which names it when it has no title.
    pub code: &'a str,
    /// When the event was held (the room's creation, seconds since the Unix epoch).
    pub held_at: i64,
    /// Newest first.
    pub updates: &'a [RoomUpdate],
}

/// The page of a room.
pub fn updates_page(page: &UpdatesPage<'_>) -> String {
    let UpdatesPage { room, code, held_at, updates } = *page;
    let name = if room.title.trim().is_empty() { code } else { room.title.as_str() };
    let words = &room.touchstones;
    let body = html! {
        header {
            "\n" p.kicker { "You said, we did" } "\n"
            h1 { (Text(name)) } "\n"
            p.quiet {
                "A workshop held on " (when(held_at))
                @if let Some(programme) = room.programme.as_deref().filter(|p| !p.trim().is_empty()) {
                    ", part of " (Text(programme))
                }
                "."
            } "\n"
        } "\n"
        section aria-labelledby="done" {
            "\n" h2 #done { "What has happened since" } "\n"
            @if updates.is_empty() {
                p { "Nothing yet. The team will write here what they do with what you said: keep this page and come back to it." } "\n"
            } @else {
                ol.updates {
                    @for update in updates {
                        "\n" li {
                            (when(update.posted_at))
                            @if let Some(edited_at) = update.edited_at {
                                span.quiet { " (corrected " (when(edited_at)) ")" }
                            }
                            p dir="auto" { (Text(&update.text)) }
                        }
                    }
                    "\n"
                } "\n"
            }
        } "\n"
        section aria-labelledby="said" {
            "\n" h2 #said { "What you said" } "\n"
            @if words.is_empty() && room.votes.is_empty() {
                p { "Nothing from the event is shown here yet." } "\n"
            }
            @if !words.is_empty() {
                h3 { "What matters most to you" } "\n"
                ul.words {
                    @for word in words {
                        "\n" li dir="auto" {
                            (Text(&word.word))
                            @if word.count > 1 { span.quiet { " (" (word.count) ")" } }
                        }
                    }
                    "\n"
                } "\n"
            }
            @for vote in &room.votes { (chosen(vote)) }
        } "\n"
        footer.quiet {
            "This page names no one. It shows only what was on the screen at the event, and what the team has written since."
        } "\n"
    };
    document(&format!("You said, we did: {name}"), body)
}

/// The page for an address with no room behind it (never was, or deleted).
pub fn no_such_page() -> String {
    let body = html! {
        h1 { "There is no page here" } "\n"
        p { "No workshop has this address. Check the link you were given; if the workshop's room was deleted, its page went with it." } "\n"
    };
    document("There is no page here", body)
}

/// The page while a room's stored data is damaged and closed for repair.
pub fn unavailable_page() -> String {
    let body = html! {
        h1 { "This page is closed for now" } "\n"
        p { "Something is wrong with how this workshop's data is stored, so its page is closed until the team puts it right. Please try again later." } "\n"
    };
    document("This page is closed for now", body)
}

/// One revealed vote: its options, most chosen first, with what was given to each.
fn chosen(vote: &RevealedVote) -> Markup {
    html! {
        h3 { (Text(&vote.title)) } "\n"
        ol.options {
            @for option in &vote.options { "\n" li { bdi { (Text(&option.label)) } span.quiet { (tally(option)) } } }
            "\n"
        } "\n"
    }
}

/// ": 12 dots, scored 4.2 out of 5 on average", or nothing if no one chose it.
fn tally(option: &ChosenOption) -> String {
    let mut parts = Vec::new();
    if option.dots > 0 {
        parts.push(format!("{} {}", option.dots, if option.dots == 1 { "dot" } else { "dots" }));
    }
    if let Some(mean) = option.mean_score {
        parts.push(format!("scored {mean:.1} out of 5 on average"));
    }
    if parts.is_empty() { String::new() } else { format!(": {}", parts.join(", ")) }
}

/// A date as people read it, marked up for machines too.
fn when(seconds: i64) -> Markup {
    let (year, month, day) = civil_date(seconds);
    html! { time datetime=(format!("{year:04}-{month:02}-{day:02}")) { (date(seconds)) } }
}

fn document(title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE) "\n"
        html lang="en-GB" {
            "\n" head {
                "\n" meta charset="utf-8";
                "\n" meta name="viewport" content="width=device-width, initial-scale=1";
                "\n" meta name="robots" content="noindex";
                "\n" title { (Text(title)) }
                "\n" style { (PreEscaped(CSS)) }
                "\n"
            }
            "\n" body { "\n" main { "\n" (body) } "\n" }
            "\n"
        }
        "\n"
    }
    .into_string()
}

#[cfg(test)]
mod tests {
    use touchpoint_core::room::public::WordGiven;

    use super::*;

    fn room() -> PublicRoom {
        PublicRoom {
            title: "Pledge <event>".to_owned(),
            programme: Some("North".to_owned()),
            touchstones: vec![
                WordGiven { word: "Kindness".to_owned(), count: 2 },
                WordGiven { word: "Time".to_owned(), count: 1 },
            ],
            votes: vec![RevealedVote {
                title: "Options".to_owned(),
                options: vec![
                    ChosenOption { label: "Call back".to_owned(), dots: 12, mean_score: Some(4.34) },
                    ChosenOption { label: "Nobody".to_owned(), dots: 0, mean_score: None },
                ],
            }],
        }
    }

    #[test]
    fn shows_updates_words_and_choices_escaped() {
        let updates =
            [RoomUpdate { text: "We <b>hired</b>\nthree".to_owned(), posted_at: 1_795_431_900, edited_at: None }];
        let html = updates_page(&UpdatesPage { room: &room(), code: "K7MWQ2HX9C", held_at: 0, updates: &updates });
        for expected in [
            "<h1>Pledge &lt;event&gt;</h1>",
            "A workshop held on <time datetime=\"1970-01-01\">1 January 1970</time>, part of North.",
            "<time datetime=\"2026-11-23\">23 November 2026</time><p dir=\"auto\">We &lt;b&gt;hired&lt;/b&gt;\nthree</p>",
            "Kindness<span class=\"quiet\"> (2)</span>",
            "<li dir=\"auto\">Time</li>",
            "<li><bdi>Call back</bdi><span class=\"quiet\">: 12 dots, scored 4.3 out of 5 on average</span></li>",
            "<li><bdi>Nobody</bdi><span class=\"quiet\"></span></li>",
        ] {
            assert!(html.contains(expected), "{expected} not in {html}");
        }
    }

    #[test]
    fn says_so_when_nothing_is_posted_or_shown_yet() {
        let html =
            updates_page(&UpdatesPage { room: &PublicRoom::default(), code: "K7MWQ2HX9C", held_at: 0, updates: &[] });
        assert!(html.contains("<h1>K7MWQ2HX9C</h1>"));
        assert!(html.contains("Nothing yet."));
        assert!(html.contains("Nothing from the event is shown here yet."));
    }
}
