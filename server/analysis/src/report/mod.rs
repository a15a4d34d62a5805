//! The insights report: one HTML page for a room or a programme of rooms.
//!
//! Commissioners read this report, print it, and file it as the record of
//! engagement behind service changes; so it must be true to what was said,
//! plain enough for anyone who took part to read, and usable without a
//! screen. [`room_report`] and [`programme_report`] draw the numbers of
//! [`crate::insights`] as a single self-contained HTML5 document: inline CSS,
//! no script, no external font or image, A4 print rules with each major
//! section on a new page. Charts are SVG drawn here, each with `role="img"`,
//! a title, and a table of the same numbers after it; no chart relies on
//! colour alone (numbers sit in the cells, bars carry text labels, bad
//! moments are hatched, good and bad words are marked ▲ and ▼ and kept
//! apart by position), so the report reads the same in black and white.
//!
//! Every piece of participant text comes from strangers: it passes through
//! [`escape`] before it reaches the page, so a note that says `<script>` is
//! shown as those characters. Nothing here reads a clock: the time the report
//! was made is passed in with [`ReportOptions`].

use crate::dataset::Dataset;
use crate::insights::{
    self, Breakdown, Comparison, Count, DEFAULT_MIN_COUNT, EmotionMapInsight, Insights, MapView, VoteInsight, Who,
    WordCount,
};
use touchpoint_core::calendar::civil_date;
use touchpoint_core::template::Valence;

/// How a report is made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportOptions {
    /// Counts of people from 1 to `min_count - 1` are shown as "fewer than `min_count`"
    /// (see [`crate::insights`] for why the default is 5).
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

/// Makes text safe inside HTML and SVG, in element content and in quoted attributes alike.
///
/// Control characters other than tab and line breaks are not allowed in
/// XML (inline SVG), so they become U+FFFD.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

enum Scope<'a> {
    Room(&'a str),
    Programme(&'a str),
}

impl Scope<'_> {
    fn is_programme(&self) -> bool {
        matches!(self, Scope::Programme(_))
    }
}

fn render(scope: &Scope<'_>, insights: &Insights, options: &ReportOptions) -> String {
    let title = match scope {
        Scope::Room(title) | Scope::Programme(title) => format!("Insights report: {title}"),
    };
    let mut page =
        Page { html: String::new(), next_id: 0, min_count: insights.min_count, programme: scope.is_programme() };
    page.raw("<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    page.raw(&format!("<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n", escape(&title)));
    page.raw(&format!("<h1>{}</h1>\n", escape(&title)));
    if !options.generated_at.is_empty() {
        page.paragraph(&format!("Made on {}.", options.generated_at));
    }
    summary(&mut page, scope, insights);
    emotional_maps(&mut page, insights);
    triangulation(&mut page, insights);
    path_boards(&mut page, insights);
    options_for_change(&mut page, insights);
    pledges(&mut page, insights);
    who_took_part(&mut page, insights);
    page.raw("</main>\n</body>\n</html>\n");
    page.html
}

/// Print and screen styles. Text is near-black on white; the lightest grey used for text (#555) is 7.5:1.
const CSS: &str = r#"
@page { size: A4; margin: 16mm 14mm; }
:root { color: #111; background: #fff; }
body { font: 12pt/1.5 "Segoe UI", Arial, Helvetica, sans-serif; max-width: 56rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.9em; line-height: 1.2; margin: 0 0 .5rem; }
h2 { font-size: 1.5em; border-bottom: 2px solid #111; margin-top: 2.5rem; }
h3 { font-size: 1.25em; margin-top: 2rem; }
h4 { font-size: 1.05em; margin-top: 1.5rem; }
p, li, dd { max-width: 48rem; }
.quiet { color: #555; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1.5rem; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1.5rem; font-size: .9em; }
caption { caption-side: top; text-align: left; font-weight: bold; padding: .25rem 0; }
th, td { border: 1px solid #555; padding: .25rem .4rem; text-align: left; vertical-align: top; overflow-wrap: break-word; }
td { overflow-wrap: anywhere; }
table.narrow { width: auto; min-width: 60%; }
thead th { background: #eee; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1rem 0; break-inside: avoid; page-break-inside: avoid; }
figcaption { font-weight: bold; margin-bottom: .25rem; }
svg { display: block; max-width: 100%; height: auto; }
ul.notes li, ul.ideas li { margin-bottom: .25rem; }
@media print {
  body { font-size: 10.5pt; max-width: none; padding: 0; }
  section.major { break-before: page; page-break-before: always; }
  h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
  tr, li { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"#;

// ---------------------------------------------------------------------------
// The page being written.

struct Page {
    html: String,
    next_id: usize,
    min_count: usize,
    programme: bool,
}

impl Page {
    fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}-{}", self.next_id)
    }

    /// Markup written by this module; never participant text.
    fn raw(&mut self, html: &str) {
        self.html.push_str(html);
    }

    fn heading(&mut self, level: u8, text: &str) {
        self.html.push_str(&format!("<h{level}>{}</h{level}>\n", escape(text)));
    }

    fn paragraph(&mut self, text: &str) {
        self.html.push_str(&format!("<p>{}</p>\n", escape(text)));
    }

    fn quiet(&mut self, text: &str) {
        self.html.push_str(&format!("<p class=\"quiet\">{}</p>\n", escape(text)));
    }

    fn list(&mut self, class: &str, items: &[String]) {
        self.html.push_str(&format!("<ul class=\"{class}\">\n"));
        for item in items {
            self.html.push_str(&format!("<li>{}</li>\n", escape(item)));
        }
        self.html.push_str("</ul>\n");
    }

    /// Opens a major section: on paper it starts a new page.
    fn section(&mut self, title: &str) {
        let id = self.id("section");
        self.html.push_str(&format!(
            "<section class=\"major\" aria-labelledby=\"{id}\">\n<h2 id=\"{id}\">{}</h2>\n",
            escape(title)
        ));
    }

    fn end_section(&mut self) {
        self.html.push_str("</section>\n");
    }

    fn table(&mut self, table: &Table) {
        // Two columns read better close together than spread across the page.
        let class = if table.columns.len() <= 2 { " class=\"narrow\"" } else { "" };
        self.html.push_str(&format!("<table{class}>\n<caption>{}</caption>\n<thead><tr>", escape(&table.caption)));
        for column in &table.columns {
            self.html.push_str(&format!("<th scope=\"col\">{}</th>", escape(column)));
        }
        self.html.push_str("</tr></thead>\n<tbody>\n");
        for (header, cells) in &table.rows {
            self.html.push_str(&format!("<tr><th scope=\"row\">{}</th>", escape(header)));
            for (i, cell) in cells.iter().enumerate() {
                let class = if table.numeric.get(i).copied().unwrap_or(false) { " class=\"n\"" } else { "" };
                self.html.push_str(&format!("<td{class}>{}</td>", escape(cell)));
            }
            self.html.push_str("</tr>\n");
        }
        self.html.push_str("</tbody>\n</table>\n");
    }

    /// A chart: an SVG with `role="img"` and a title, in a figure; a table of its numbers must follow it.
    /// `caption` is what the page shows above the chart; `title` names the chart on its own, for screen readers.
    fn figure(&mut self, title: &str, caption: &str, width: u32, height: u32, body: &str) {
        let id = self.id("chart");
        let (title, caption) = (escape(title), escape(caption));
        self.html.push_str(&format!(
            "<figure>\n<figcaption>{caption}</figcaption>\n<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-labelledby=\"{id}\" \
             viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" \
             font-family=\"Segoe UI, Arial, Helvetica, sans-serif\" font-size=\"13\">\n<title id=\"{id}\">{title}</title>\n\
             {body}</svg>\n</figure>\n"
        ));
    }

    /// A hatch pattern for one chart; ids are unique in the page because every chart is inline.
    fn hatch(&mut self) -> (String, String) {
        let id = self.id("hatch");
        let defs = format!(
            "<defs><pattern id=\"{id}\" patternUnits=\"userSpaceOnUse\" width=\"6\" height=\"6\" \
             patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#fff\"/>\
             <line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#222\" stroke-width=\"3\"/></pattern></defs>\n"
        );
        (id, defs)
    }

    fn count(&self, count: Count) -> String {
        match count {
            Count::Exact(n) => n.to_string(),
            Count::Suppressed => format!("fewer than {}", self.min_count),
            Count::Withheld => "not shown".to_owned(),
        }
    }

    /// An activity's heading: in a programme, the room says which event it came from.
    fn activity_title(&self, room: &str, title: &str) -> String {
        if self.programme { format!("{room}: {title}") } else { title.to_owned() }
    }
}

/// A table of plain text: the first column holds row headers.
struct Table {
    caption: String,
    columns: Vec<String>,
    rows: Vec<(String, Vec<String>)>,
    /// Which cells (after the row header) hold numbers, to align them.
    numeric: Vec<bool>,
}

impl Table {
    fn new(caption: impl Into<String>, columns: &[&str]) -> Self {
        Table {
            caption: caption.into(),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            rows: Vec::new(),
            numeric: Vec::new(),
        }
    }

    fn numeric(mut self, numeric: &[bool]) -> Self {
        self.numeric = numeric.to_vec();
        self
    }
}

// ---------------------------------------------------------------------------
// Summary.

fn summary(page: &mut Page, scope: &Scope<'_>, insights: &Insights) {
    page.raw("<section aria-labelledby=\"summary\">\n<h2 id=\"summary\">Summary</h2>\n");
    let first = insights.rooms.iter().filter_map(|room| room.first_at).min();
    let last = insights.rooms.iter().filter_map(|room| room.last_at).max();
    let when = date_range(first, last);
    let participation = &insights.participation;
    match scope {
        Scope::Room(title) => {
            let room = insights.rooms.first();
            let mut text = format!("This report brings together what was said in the room \u{201c}{title}\u{201d}");
            if let Some(programme) = room.and_then(|room| room.programme.as_deref()) {
                text.push_str(&format!(", part of the programme \u{201c}{programme}\u{201d}"));
            }
            if let Some(when) = &when {
                text.push_str(&format!(", on {when}"));
            }
            text.push('.');
            page.paragraph(&text);
        }
        Scope::Programme(title) => {
            let mut text = format!(
                "This report brings together what was said in {} of the programme \u{201c}{title}\u{201d}",
                plural(insights.rooms.len(), "room", "rooms")
            );
            if let Some(when) = &when {
                text.push_str(&format!(
                    ", {}",
                    if first == last { format!("on {when}") } else { format!("from {when}") }
                ));
            }
            text.push('.');
            page.paragraph(&text);
        }
    }

    let mut facts: Vec<(&str, String)> = Vec::new();
    if let (Scope::Room(_), Some(room)) = (scope, insights.rooms.first()) {
        facts.push(("Room", format!("{} (code {})", room.title, room.code)));
        if let Some(programme) = &room.programme {
            facts.push(("Programme", programme.clone()));
        }
        if let Some(template) = &room.template {
            facts.push(("Workshop template", template.clone()));
        }
    } else {
        facts.push(("Rooms", insights.rooms.len().to_string()));
    }
    if let Some(when) = when {
        facts.push(("When", when));
    }
    let took_part = if page.programme { "Places taken" } else { "Participants" };
    facts.push((took_part, page.count(participation.total)));
    facts.push(("Balance", balance_sentence(page, &participation.balance)));
    page.raw("<dl class=\"facts\">\n");
    for (term, value) in facts {
        page.raw(&format!("<dt>{}</dt><dd>{}</dd>\n", escape(term), escape(&value)));
    }
    page.raw("</dl>\n");

    if page.programme {
        let mut table = Table::new("The rooms of this programme", &["Room", "Code", "When", "Participants"]);
        table.numeric = vec![false, false, true];
        for room in &insights.rooms {
            let when = date_range(room.first_at, room.last_at).unwrap_or_default();
            table.rows.push((room.title.clone(), vec![room.code.clone(), when, page.count(room.participants)]));
        }
        page.table(&table);
        page.paragraph(
            "Someone who came to more than one event is counted once for each event, so the places taken \
             can be more than the number of different people.",
        );
    }

    page.heading(3, "What stands out");
    let mut points = Vec::new();
    for map in &insights.emotion_maps {
        let name = page.activity_title(&map.room, &map.title);
        match map.views.first().map(|view| view.hot_spots.as_slice()) {
            Some(spots) if !spots.is_empty() => {
                points.push(format!("{name}: the hardest moments for everyone were {}.", hot_spot_words(spots)));
            }
            _ if map.n_cards > 0 => points.push(format!("{name}: no moment had a negative card.")),
            _ => points.push(format!("{name}: no cards were placed.")),
        }
        if let Some(widest) = map.people_vs_staff.first().filter(|c| c.gap.is_some_and(|gap| gap.abs() >= 0.005)) {
            points.push(format!("{name}: {}", people_vs_staff_words(widest)));
        }
    }
    if let Some(widest) = insights.current_vs_desired.as_ref().and_then(|c| c.touchpoints.first())
        && let Some(gap) = widest.gap.filter(|gap| gap.abs() >= 0.005)
    {
        points.push(format!(
            "The experience today is furthest from the one people want at \u{201c}{}\u{201d}: {} of cards were \
             bad today, against {} on the map of the experience people want ({} points apart).",
            widest.label,
            percent(widest.first.share_negative()),
            percent(widest.second.share_negative()),
            points_apart(gap)
        ));
    }
    for vote in &insights.votes {
        let name = page.activity_title(&vote.room, &vote.title);
        if let Some(top) = vote.by_dots.first().filter(|top| top.dots > 0) {
            points.push(format!(
                "{name}: most dots went to \u{201c}{}\u{201d} ({} from {}).",
                top.label,
                plural(top.dots as usize, "dot", "dots"),
                plural(top.voters, "person", "people")
            ));
        }
        if let Some(top) = vote.by_score.first().filter(|top| top.n > 0) {
            points.push(format!(
                "{name}: the best feedback went to \u{201c}{}\u{201d} (an average of {} out of 5 from {}).",
                top.label,
                one_decimal(top.mean),
                plural(top.n, "score", "scores")
            ));
        }
    }
    let n_pledges = insights.pledges.pledges.len();
    if n_pledges > 0 {
        points.push(format!("{} made.", plural_was(n_pledges, "pledge was", "pledges were")));
    }
    if points.is_empty() {
        points.push("Nothing was contributed yet.".to_owned());
    }
    page.list("points", &points);

    page.heading(3, "About this report");
    page.paragraph(
        "A touchpoint is one moment of the journey through care. An emotion card is a word for how that moment \
         felt, placed by a participant. Each participant said who they are (their perspective): a person using \
         services, a family carer, or a member of staff. Perspectives are grouped into people using services and \
         carers on one side, and staff and professionals on the other.",
    );
    page.paragraph(
        "Cards, notes, ideas, pledges and words that a facilitator hid during the event are left out of this \
         report; each section says how many were left out.",
    );
    page.paragraph(&suppression_sentence(page.min_count));
    page.raw("</section>\n");
}

fn suppression_sentence(min_count: usize) -> String {
    if min_count <= 1 {
        return "Every count of people is shown exactly: small numbers were not hidden in this report, so it \
                must not be shared beyond the team."
            .to_owned();
    }
    format!(
        "To protect privacy, any number of people from 1 to {} is shown as \u{201c}fewer than {min_count}\u{201d}, \
         because in groups this small a number that low could point to one person. Where a hidden number could \
         be worked out from a total and the other numbers, one more number is \u{201c}not shown\u{201d}.",
        min_count - 1
    )
}

fn balance_sentence(page: &Page, balance: &Breakdown) -> String {
    let exact: Option<Vec<usize>> = balance.rows.iter().map(|row| row.count.exact()).collect();
    let total = balance.total.exact().unwrap_or(0);
    match exact {
        Some(counts) if total > 0 => {
            let parts: Vec<String> = balance
                .rows
                .iter()
                .zip(&counts)
                .filter(|(_, n)| **n > 0)
                .map(|(row, n)| {
                    format!("{}: {} ({})", row.label.to_lowercase(), n, percent(Some(*n as f64 / total as f64)))
                })
                .collect();
            format!("{}. Co-design aims at about half each.", capitalise(&parts.join("; ")))
        }
        _ if total == 0 && balance.total.exact().is_some() => "Nobody took part.".to_owned(),
        _ => format!(
            "{}. Co-design aims at about half each; the exact balance is not shown, to protect small numbers.",
            capitalise(
                &balance
                    .rows
                    .iter()
                    .map(|row| format!("{}: {}", row.label.to_lowercase(), page.count(row.count)))
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        ),
    }
}

// ---------------------------------------------------------------------------
// Emotional maps.

fn emotional_maps(page: &mut Page, insights: &Insights) {
    page.section("Emotional maps");
    if insights.emotion_maps.is_empty() {
        page.paragraph("There was no emotional map in this report's events.");
    } else {
        page.paragraph(
            "On an emotional map, people place emotion cards at each touchpoint of the journey. The heat maps \
             show how many cards each word got at each touchpoint: the darker the square, the more cards, and \
             the number is written in it. Good words (\u{25b2}) come first, then neutral (\u{25cf}), then bad \
             words (\u{25bc}), then people's own words (\u{270e}). Only the words that were chosen are shown.",
        );
    }
    for map in &insights.emotion_maps {
        emotional_map(page, map);
    }
    page.end_section();
}

fn emotional_map(page: &mut Page, map: &EmotionMapInsight) {
    let name = page.activity_title(&map.room, &map.title);
    page.heading(3, &name);
    let board = match map.board.as_deref() {
        Some("current") => "the experience as it is today",
        Some("desired") => "the experience people want",
        _ => "the experience",
    };
    page.paragraph(&format!("This map shows {board}. {} counted.", plural_was(map.n_cards, "card was", "cards were")));
    if map.n_hidden > 0 {
        page.quiet(&format!(
            "{} hidden by the facilitator and left out.",
            plural_was(map.n_hidden, "card was", "cards were")
        ));
    }
    if map.n_cards == 0 {
        return;
    }

    page.heading(4, "Hot spots: the hardest moments");
    let mut spots = Vec::new();
    for view in &map.views {
        if matches!(view.who, Who::Perspective { .. }) && !shows_perspective(map, view) {
            continue;
        }
        let text = if view.hot_spots.is_empty() {
            "no touchpoint had a negative card.".to_owned()
        } else {
            format!("{}.", hot_spot_words(&view.hot_spots))
        };
        spots.push(format!("{}: {text}", view.label));
    }
    page.list("hot-spots", &spots);
    page.quiet(
        "A hot spot is a touchpoint where the largest share of cards were bad ones. Own words are not counted \
         as good or bad, because only the word says which it is.",
    );

    for view in &map.views {
        if matches!(view.who, Who::Perspective { .. }) && !shows_perspective(map, view) {
            continue;
        }
        page.heading(4, &format!("Heat map: {}", view.label));
        heat_map(page, map, view);
    }

    page.heading(4, "Good and bad moments");
    valence_chart(page, map);
    group_valence_table(page, map);

    if !map.own_words.is_empty() {
        page.heading(4, "Own words");
        let mut table = Table::new(format!("{name}: words people wrote on blank cards"), &["Word", "Cards"]);
        table.numeric = vec![true];
        for word in &map.own_words {
            table.rows.push((word.word.clone(), vec![word.count.to_string()]));
        }
        page.table(&table);
    }

    if !map.notes.is_empty() {
        page.heading(4, "What people wrote on their cards");
        let mut table = Table::new(
            format!("{name}: notes on the cards, by touchpoint"),
            &["Touchpoint", "Card", "Perspective", "Note"],
        );
        for note in &map.notes {
            let label = map.touchpoints.iter().find(|t| t.id == note.touchpoint).map_or("", |t| t.label.as_str());
            let card = format!("{} {}", valence_mark(note.valence), note.word);
            let perspective = note.perspective.clone().unwrap_or_else(|| "Not given".to_owned());
            table.rows.push((label.to_owned(), vec![card, perspective, note.note.clone()]));
        }
        page.table(&table);
    }
}

/// A perspective gets its own heat map only when its group has others; alone, its map is the group's.
fn shows_perspective(map: &EmotionMapInsight, view: &MapView) -> bool {
    let n_in_group = map
        .views
        .iter()
        .filter(|other| matches!(other.who, Who::Perspective { .. }) && other.group == view.group)
        .count();
    n_in_group > 1
}

/// The most columns one heat map shows: more would shrink the words below reading size on A4.
const MOST_COLUMNS: usize = 12;

/// A view's heat map, split by good, neutral and bad words when the map used too many words to fit a page.
fn heat_map(page: &mut Page, map: &EmotionMapInsight, view: &MapView) {
    let all: Vec<usize> = (0..map.columns.len()).collect();
    if all.len() <= MOST_COLUMNS {
        return heat_map_part(page, map, view, &all, None);
    }
    // Good words, then neutral and own words, then bad words, as on the single map.
    let kind = |column: &insights::EmotionColumn| match (column.emotion.is_some(), column.valence) {
        (true, Some(Valence::Positive)) => 0,
        (true, Some(Valence::Negative)) => 2,
        _ => 1,
    };
    for (k, name) in ["good words", "neutral and own words", "bad words"].into_iter().enumerate() {
        let part: Vec<usize> = all.iter().copied().filter(|c| kind(&map.columns[*c]) == k).collect();
        let chunks: Vec<&[usize]> = part.chunks(MOST_COLUMNS).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            let name =
                if chunks.len() > 1 { format!("{name}, part {} of {}", i + 1, chunks.len()) } else { name.to_owned() };
            heat_map_part(page, map, view, chunk, Some(&name));
        }
    }
}

/// One heat map: the touchpoints as rows, the columns of `part` as columns.
fn heat_map_part(page: &mut Page, map: &EmotionMapInsight, view: &MapView, part: &[usize], name: Option<&str>) {
    let columns: Vec<(usize, &insights::EmotionColumn)> =
        part.iter().filter_map(|c| map.columns.get(*c).map(|column| (*c, column))).collect();
    const LABEL_W: u32 = 220;
    const CELL_W: u32 = 46;
    const CELL_H: u32 = 32;
    const MARK_H: u32 = 24;
    // Column labels are turned 50 degrees: about 5.4 pixels up and 4.5 across for each character.
    let longest = columns.iter().map(|(_, c)| c.label.chars().count().min(24)).max().unwrap_or(0) as u32;
    let labels_h = longest * 11 / 2 + 14;
    let top = labels_h + MARK_H;
    let n_columns = columns.len() as u32;
    let n_rows = map.touchpoints.len() as u32;
    // Shades compare with the whole view, so parts of one map read alike.
    // At least wide enough for the legend below the grid.
    let width = (LABEL_W + n_columns * CELL_W + (longest * 9 / 2).max(40) + 20).max(380);
    let height = top + n_rows * CELL_H + 52;
    let max = view.counts.iter().flatten().copied().max().unwrap_or(0).max(1);

    let mut body = String::new();
    for (j, (_, column)) in columns.iter().enumerate() {
        let x = LABEL_W + j as u32 * CELL_W + CELL_W / 2;
        body.push_str(&format!(
            "<text transform=\"translate({},{}) rotate(-50)\" font-size=\"12\">{}</text>\n\
             <text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" font-size=\"14\">{}</text>\n",
            x - 4,
            labels_h - 4,
            escape(&truncate(&column.label, 24)),
            labels_h + 18,
            column_mark(column.emotion.is_none(), column.valence)
        ));
        // A heavier line between good, neutral, bad and own words: position tells them apart, not colour.
        let previous = j.checked_sub(1).and_then(|p| columns.get(p)).map(|(_, c)| c);
        if previous.is_some_and(|p| (p.valence, p.emotion.is_none()) != (column.valence, column.emotion.is_none())) {
            let x = LABEL_W + j as u32 * CELL_W;
            body.push_str(&format!(
                "<line x1=\"{x}\" y1=\"{labels_h}\" x2=\"{x}\" y2=\"{}\" stroke=\"#111\" stroke-width=\"3\"/>\n",
                top + n_rows * CELL_H
            ));
        }
    }
    for (i, touchpoint) in map.touchpoints.iter().enumerate() {
        let y = top + i as u32 * CELL_H;
        body.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
            LABEL_W - 8,
            y + CELL_H / 2 + 5,
            escape(&truncate(&touchpoint.label, 30))
        ));
        for (j, (c, column)) in columns.iter().enumerate() {
            let n = view.counts.get(i).and_then(|row| row.get(*c)).copied().unwrap_or(0);
            let x = LABEL_W + j as u32 * CELL_W;
            let fill = heat_colour(column.valence, column.emotion.is_none(), n, max);
            body.push_str(&format!(
                "<rect x=\"{x}\" y=\"{y}\" width=\"{CELL_W}\" height=\"{CELL_H}\" fill=\"{fill}\" stroke=\"#999\"/>\n"
            ));
            if n > 0 {
                body.push_str(&format!(
                    "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\" fill=\"{}\">{n}</text>\n",
                    x + CELL_W / 2,
                    y + CELL_H / 2 + 5,
                    text_on(&fill)
                ));
            }
        }
    }
    let legend = top + n_rows * CELL_H + 22;
    body.push_str(&format!(
        "<text x=\"8\" y=\"{legend}\" font-size=\"12\">\u{25b2} good   \u{25cf} neutral   \u{25bc} bad   \u{270e} own word</text>\n\
         <text x=\"8\" y=\"{}\" font-size=\"12\">Darker squares have more cards; empty squares have none.</text>\n",
        legend + 18
    ));
    let map_name = page.activity_title(&map.room, &map.title);
    let part = name.map(|name| format!(", {name}")).unwrap_or_default();
    let title = format!(
        "{map_name}, {}{part}: cards at each touchpoint by emotion ({})",
        view.label,
        plural(view.n_cards, "card", "cards")
    );
    let caption = format!("Cards at each touchpoint by emotion{part} ({})", plural(view.n_cards, "card", "cards"));
    page.figure(&title, &caption, width, height, &body);

    let mut headers: Vec<String> = vec!["Touchpoint".to_owned()];
    headers.extend(columns.iter().map(|(_, c)| format!("{} {}", column_mark(c.emotion.is_none(), c.valence), c.label)));
    headers.push("All cards".to_owned());
    let mut table = Table {
        caption: format!("{map_name}, {}{part}: the heat map's numbers", view.label),
        columns: headers,
        rows: Vec::new(),
        numeric: vec![true; columns.len() + 1],
    };
    for (touchpoint, counts) in map.touchpoints.iter().zip(&view.counts) {
        let mut cells: Vec<String> =
            columns.iter().map(|(c, _)| counts.get(*c).copied().unwrap_or(0).to_string()).collect();
        cells.push(counts.iter().sum::<usize>().to_string());
        table.rows.push((touchpoint.label.clone(), cells));
    }
    page.table(&table);
}

/// Good and bad cards of everyone at each touchpoint, as bars either side of a line.
fn valence_chart(page: &mut Page, map: &EmotionMapInsight) {
    let Some(everyone) = map.views.first() else { return };
    const LABEL_W: u32 = 220;
    const HALF: u32 = 200;
    const ROW_H: u32 = 30;
    const TOP: u32 = 30;
    let axis = LABEL_W + 80 + HALF;
    let width = axis + HALF + 90;
    let height = TOP + everyone.valence.len() as u32 * ROW_H + 10;
    let max = everyone.valence.iter().map(|r| r.tally.positive.max(r.tally.negative)).max().unwrap_or(0).max(1);
    let (hatch, defs) = page.hatch();
    let mut body = defs;
    body.push_str(&format!(
        "<text x=\"{}\" y=\"18\" text-anchor=\"end\">\u{25c0} bad moments</text>\
         <text x=\"{}\" y=\"18\">good moments \u{25b6}</text>\n",
        axis - 6,
        axis + 6
    ));
    for (i, row) in everyone.valence.iter().enumerate() {
        let y = TOP + i as u32 * ROW_H;
        let bad = bar_length(row.tally.negative, max, HALF);
        let good = bar_length(row.tally.positive, max, HALF);
        body.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
            LABEL_W - 8,
            y + 19,
            escape(&truncate(&row.label, 30))
        ));
        body.push_str(&format!(
            "<rect x=\"{}\" y=\"{}\" width=\"{bad}\" height=\"20\" fill=\"url(#{hatch})\" stroke=\"#111\"/>\n",
            axis - bad,
            y + 4
        ));
        body.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{} bad</text>\n",
            axis - bad - 6,
            y + 19,
            row.tally.negative
        ));
        body.push_str(&format!(
            "<rect x=\"{axis}\" y=\"{}\" width=\"{good}\" height=\"20\" fill=\"#1f4e8c\" stroke=\"#111\"/>\n",
            y + 4
        ));
        body.push_str(&format!(
            "<text x=\"{}\" y=\"{}\">{} good</text>\n",
            axis + good + 6,
            y + 19,
            row.tally.positive
        ));
    }
    body.push_str(&format!(
        "<line x1=\"{axis}\" y1=\"{}\" x2=\"{axis}\" y2=\"{}\" stroke=\"#111\" stroke-width=\"2\"/>\n",
        TOP - 4,
        height - 4
    ));
    let name = page.activity_title(&map.room, &map.title);
    let title = format!("{name}: bad and good cards from everyone at each touchpoint");
    page.figure(&title, &title, width, height, &body);

    let mut table = Table::new(
        format!("{name}: good, neutral and bad cards from everyone at each touchpoint"),
        &["Touchpoint", "Good", "Neutral", "Bad", "Own words", "Good minus bad", "Share bad"],
    )
    .numeric(&[true; 6]);
    for row in &everyone.valence {
        let t = row.tally;
        table.rows.push((
            row.label.clone(),
            vec![
                t.positive.to_string(),
                t.neutral.to_string(),
                t.negative.to_string(),
                t.other.to_string(),
                signed_text(row.net),
                percent(row.share_negative),
            ],
        ));
    }
    page.table(&table);
}

/// Net valence and share of bad cards at each touchpoint for each perspective group.
fn group_valence_table(page: &mut Page, map: &EmotionMapInsight) {
    let groups: Vec<&MapView> = map.views.iter().filter(|view| matches!(view.who, Who::Group { .. })).collect();
    if groups.is_empty() {
        return;
    }
    let mut columns = vec!["Touchpoint".to_owned()];
    for view in &groups {
        columns.push(format!("{}: good minus bad", view.label));
        columns.push(format!("{}: bad cards", view.label));
    }
    let name = page.activity_title(&map.room, &map.title);
    let mut table = Table {
        caption: format!("{name}: good and bad cards by perspective group"),
        columns,
        rows: Vec::new(),
        numeric: vec![true; groups.len() * 2],
    };
    for (i, touchpoint) in map.touchpoints.iter().enumerate() {
        let mut cells = Vec::new();
        for view in &groups {
            match view.valence.get(i) {
                Some(row) if row.tally.valenced() > 0 => {
                    cells.push(signed_text(row.net));
                    cells.push(format!(
                        "{} of {} ({})",
                        row.tally.negative,
                        row.tally.valenced(),
                        percent(row.share_negative)
                    ));
                }
                _ => cells.extend(["no cards".to_owned(), "no cards".to_owned()]),
            }
        }
        table.rows.push((touchpoint.label.clone(), cells));
    }
    page.table(&table);
}

// ---------------------------------------------------------------------------
// Triangulation.

fn triangulation(page: &mut Page, insights: &Insights) {
    page.section("Triangulation: comparing points of view");
    page.paragraph(
        "Here the same touchpoints are seen from two sides: people using services and carers against staff, and \
         the experience today against the one people want. Each bar is the share of cards at that touchpoint \
         that were bad ones. The touchpoints where the two sides differ most come first.",
    );
    let mut any = false;
    for map in &insights.emotion_maps {
        if !map.people_vs_staff.iter().any(|c| c.first.valenced() > 0 || c.second.valenced() > 0) {
            continue;
        }
        any = true;
        let name = page.activity_title(&map.room, &map.title);
        page.heading(3, &format!("{name}: people and carers compared with staff"));
        if let Some(widest) = map.people_vs_staff.first().filter(|c| c.gap.is_some()) {
            page.paragraph(&people_vs_staff_words(widest));
        }
        comparison(page, &name, &map.people_vs_staff, ("People and carers", "Staff"));
    }
    if let Some(current_vs_desired) = &insights.current_vs_desired {
        any = true;
        page.heading(3, "The experience today compared with the experience people want");
        page.paragraph(&format!(
            "Today: {}. Wanted: {}. Cards from every map on each side are put together, touchpoint by touchpoint.",
            join_and(&current_vs_desired.current),
            join_and(&current_vs_desired.desired)
        ));
        comparison(
            page,
            "The experience today and the one people want",
            &current_vs_desired.touchpoints,
            ("Today", "Wanted"),
        );
    }
    if !any {
        page.paragraph(
            "There was nothing to compare: this needs cards from both people and staff on one map, or both a \
             current and a desired map.",
        );
    }
    page.end_section();
}

fn comparison(page: &mut Page, name: &str, rows: &[Comparison], (first, second): (&str, &str)) {
    const LABEL_W: u32 = 220;
    const BAR: u32 = 300;
    const ROW_H: u32 = 56;
    let width = LABEL_W + BAR + 190;
    let height = rows.len() as u32 * ROW_H + 10;
    let (hatch, defs) = page.hatch();
    let mut body = defs;
    for (i, row) in rows.iter().enumerate() {
        let y = i as u32 * ROW_H + 6;
        body.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-weight=\"bold\">{}</text>\n",
            LABEL_W - 8,
            y + 28,
            escape(&truncate(&row.label, 30))
        ));
        for (k, (who, tally, fill)) in
            [(first, row.first, "#333".to_owned()), (second, row.second, format!("url(#{hatch})"))]
                .into_iter()
                .enumerate()
        {
            let y = y + k as u32 * 22;
            let text = match tally.share_negative() {
                Some(share) => {
                    let length = (share * f64::from(BAR)).round() as u32;
                    body.push_str(&format!(
                        "<rect x=\"{LABEL_W}\" y=\"{y}\" width=\"{length}\" height=\"18\" fill=\"{fill}\" stroke=\"#111\"/>\n"
                    ));
                    format!("{who}: {} bad", percent(Some(share)))
                }
                None => format!("{who}: no cards"),
            };
            let x = LABEL_W + tally.share_negative().map_or(0, |s| (s * f64::from(BAR)).round() as u32) + 6;
            body.push_str(&format!("<text x=\"{x}\" y=\"{}\">{}</text>\n", y + 14, escape(&text)));
        }
    }
    let title = format!("{name}: share of bad cards at each touchpoint ({first} against {second})");
    page.figure(&title, &title, width, height, &body);

    let mut table = Table::new(
        format!("{name}: bad cards at each touchpoint ({first} against {second}), where they differ most first"),
        &["Touchpoint", &format!("{first}: bad cards"), &format!("{second}: bad cards"), "Difference", "More negative"],
    )
    .numeric(&[true, true, true, false]);
    for row in rows {
        let side = |tally: insights::Tally| match tally.share_negative() {
            Some(share) => format!("{} of {} ({})", tally.negative, tally.valenced(), percent(Some(share))),
            None => "no cards".to_owned(),
        };
        let (difference, more) = match row.gap {
            Some(gap) if gap.abs() < 0.005 => ("0 points".to_owned(), "Neither".to_owned()),
            Some(gap) => (format!("{} points", points_apart(gap)), if gap > 0.0 { first } else { second }.to_owned()),
            None => ("cannot compare".to_owned(), String::new()),
        };
        table.rows.push((row.label.clone(), vec![side(row.first), side(row.second), difference, more]));
    }
    page.table(&table);
}

// ---------------------------------------------------------------------------
// PATH.

fn path_boards(page: &mut Page, insights: &Insights) {
    page.section("The PATH board");
    if insights.paths.is_empty() {
        page.paragraph("There was no PATH board in this report's events.");
    } else {
        page.paragraph(
            "PATH (Planning Alternative Tomorrows with Hope) starts from a dream of great care and works back to \
             a first step. The notes are shown under each part of the PATH, in the order it is drawn.",
        );
    }
    for path in &insights.paths {
        page.heading(3, &page.activity_title(&path.room, &path.title));
        if path.n_hidden > 0 {
            page.quiet(&format!(
                "{} hidden by the facilitator and left out.",
                plural_was(path.n_hidden, "note was", "notes were")
            ));
        }
        for (i, section) in path.sections.iter().enumerate() {
            page.heading(4, &format!("{}. {}", i + 1, section.label));
            if section.notes.is_empty() {
                page.quiet("No notes.");
            } else {
                page.list("notes", &section.notes);
            }
        }
    }
    page.end_section();
}

// ---------------------------------------------------------------------------
// Options for change.

fn options_for_change(page: &mut Page, insights: &Insights) {
    page.section("Options for change");
    if insights.votes.is_empty() {
        page.paragraph("There was no vote on options in this report's events.");
    } else {
        page.paragraph(
            "People placed dots on the options that matter most to them, and gave each option a score from 1 \
             (poor) to 5 (very good). Options are ranked by dots, then by score. The spread shows how each \
             perspective group voted.",
        );
    }
    for vote in &insights.votes {
        vote_section(page, vote);
    }
    for ideas in &insights.ideas {
        page.heading(3, &page.activity_title(&ideas.room, &ideas.title));
        if ideas.n_hidden > 0 {
            page.quiet(&format!(
                "{} hidden by the facilitator and left out.",
                plural_was(ideas.n_hidden, "idea was", "ideas were")
            ));
        }
        if ideas.ideas.is_empty() {
            page.quiet("No ideas were written.");
        } else {
            page.list("ideas", &ideas.ideas);
        }
    }
    page.end_section();
}

fn vote_section(page: &mut Page, vote: &VoteInsight) {
    let name = page.activity_title(&vote.room, &vote.title);
    page.heading(3, &name);
    let mut who = format!(
        "{} placed dots and {} gave scores.",
        plural(vote.n_voters, "person", "people"),
        plural(vote.n_scorers, "person", "people")
    );
    if let Some(budget) = vote.budget.filter(|b| *b > 0) {
        who.push_str(&format!(" Each person had {} to place.", plural(budget as usize, "dot", "dots")));
    }
    page.paragraph(&who);
    // Groups nobody came from are left out; suppressed ones stay, so the reader sees why their spread is missing.
    let shown = |count: Count| count != Count::Exact(0);
    let dot_groups: Vec<_> = vote.groups.iter().filter(|g| shown(g.voters)).collect();
    let score_groups: Vec<_> = vote.groups.iter().filter(|g| shown(g.scorers)).collect();

    if vote.n_voters > 0 {
        page.heading(4, "Ranked by dots");
        let max = vote.by_dots.iter().map(|r| r.dots).max().unwrap_or(0).max(1) as usize;
        let bars: Vec<(String, usize, usize, String)> = vote
            .by_dots
            .iter()
            .map(|r| {
                let text =
                    format!("{} from {}", plural(r.dots as usize, "dot", "dots"), plural(r.voters, "person", "people"));
                (format!("{}. {}", r.rank, r.label), r.dots as usize, max, text)
            })
            .collect();
        bar_chart(page, &format!("{name}: dots for each option"), &bars);
        let mut table = Table::new(format!("{name}: options ranked by dots"), &["Option", "Rank", "Dots", "People"])
            .numeric(&[true, true, true]);
        for r in &vote.by_dots {
            table.rows.push((r.label.clone(), vec![r.rank.to_string(), r.dots.to_string(), r.voters.to_string()]));
        }
        page.table(&table);

        let mut columns = vec!["Option".to_owned()];
        columns.extend(dot_groups.iter().map(|g| g.group.label().to_owned()));
        let mut table = Table {
            caption: format!("{name}: dots from each perspective group, and the share of the group's dots"),
            columns,
            rows: Vec::new(),
            numeric: vec![true; dot_groups.len()],
        };
        for r in &vote.by_dots {
            let cells = dot_groups
                .iter()
                .map(|g| {
                    match r.by_group.iter().find(|d| d.group == g.group).and_then(|d| d.dots.map(|n| (n, d.share))) {
                        Some((n, share)) => format!("{} ({})", n, percent(share)),
                        None => format!("not shown ({} people)", page.count(g.voters)),
                    }
                })
                .collect();
            table.rows.push((r.label.clone(), cells));
        }
        if !dot_groups.is_empty() {
            page.table(&table);
        }
    }

    if vote.n_scorers > 0 {
        page.heading(4, "Ranked by feedback score");
        let bars: Vec<(String, usize, usize, String)> = vote
            .by_score
            .iter()
            .map(|r| {
                let tenths = r.mean.map_or(0, |m| (m * 10.0).round() as usize);
                let text = match r.mean {
                    Some(_) => format!("{} out of 5 ({})", one_decimal(r.mean), plural(r.n, "score", "scores")),
                    None => "no scores".to_owned(),
                };
                (format!("{}. {}", r.rank, r.label), tenths, 50, text)
            })
            .collect();
        bar_chart(page, &format!("{name}: average feedback score for each option, out of 5"), &bars);
        let mut table = Table::new(
            format!("{name}: options ranked by average score, with how many gave each score"),
            &["Option", "Rank", "Average", "Scores", "Gave 1", "Gave 2", "Gave 3", "Gave 4", "Gave 5"],
        )
        .numeric(&[true; 8]);
        for r in &vote.by_score {
            let mut cells = vec![r.rank.to_string(), one_decimal(r.mean), r.n.to_string()];
            cells.extend(r.distribution.iter().map(usize::to_string));
            table.rows.push((r.label.clone(), cells));
        }
        page.table(&table);

        let mut columns = vec!["Option".to_owned()];
        columns.extend(score_groups.iter().map(|g| g.group.label().to_owned()));
        let mut table = Table {
            caption: format!("{name}: average score from each perspective group"),
            columns,
            rows: Vec::new(),
            numeric: vec![true; score_groups.len()],
        };
        for r in &vote.by_score {
            let cells = score_groups
                .iter()
                .map(|g| match r.by_group.iter().find(|s| s.group == g.group).and_then(|s| s.n.map(|n| (n, s.mean))) {
                    Some((0, _)) => "no scores".to_owned(),
                    Some((n, mean)) => format!("{} ({})", one_decimal(mean), plural(n, "score", "scores")),
                    None => format!("not shown ({} people)", page.count(g.scorers)),
                })
                .collect();
            table.rows.push((r.label.clone(), cells));
        }
        if !score_groups.is_empty() {
            page.table(&table);
        }
    }
    if vote.groups.iter().any(|g| g.voters == Count::Suppressed || g.scorers == Count::Suppressed) {
        page.quiet(&format!(
            "The spread of a group with fewer than {} people voting is not shown, so that no one's vote can be \
             picked out.",
            page.min_count
        ));
    }

    if !vote.comments.is_empty() || vote.n_hidden_comments > 0 {
        page.heading(4, "What people said about the options");
        if vote.n_hidden_comments > 0 {
            page.quiet(&format!(
                "{} hidden by the facilitator and left out.",
                plural_was(vote.n_hidden_comments, "comment was", "comments were")
            ));
        }
        for option in &vote.comments {
            page.raw(&format!("<p><strong>{}</strong></p>\n", escape(&option.label)));
            page.list("notes", &option.comments);
        }
    }
}

/// Horizontal bars, each labelled with its text: `(label, value, max, text)`.
fn bar_chart(page: &mut Page, title: &str, bars: &[(String, usize, usize, String)]) {
    const LABEL_W: u32 = 250;
    const BAR: u32 = 300;
    const ROW_H: u32 = 30;
    let width = LABEL_W + BAR + 200;
    let height = bars.len() as u32 * ROW_H + 10;
    let mut body = String::new();
    for (i, (label, value, max, text)) in bars.iter().enumerate() {
        let y = i as u32 * ROW_H + 5;
        let length = bar_length(*value, *max, BAR);
        body.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n\
             <rect x=\"{LABEL_W}\" y=\"{y}\" width=\"{length}\" height=\"20\" fill=\"#1f4e8c\" stroke=\"#111\"/>\n\
             <text x=\"{}\" y=\"{}\">{}</text>\n",
            LABEL_W - 8,
            y + 15,
            escape(&truncate(label, 34)),
            LABEL_W + length + 6,
            y + 15,
            escape(text)
        ));
    }
    page.figure(title, title, width, height, &body);
}

// ---------------------------------------------------------------------------
// Pledges and touchstones.

fn pledges(page: &mut Page, insights: &Insights) {
    let pledges = &insights.pledges;
    page.section("Pledges and touchstones");
    page.heading(3, "Pledges");
    page.paragraph(&format!(
        "{} made. A name is shown only where the person chose to give it.",
        plural_was(pledges.pledges.len(), "pledge was", "pledges were")
    ));
    if pledges.n_hidden > 0 {
        page.quiet(&format!(
            "{} hidden by the facilitator and left out.",
            plural_was(pledges.n_hidden, "pledge was", "pledges were")
        ));
    }
    if !pledges.pledges.is_empty() {
        let mut columns = vec!["Pledge", "Name", "Organisation"];
        if page.programme {
            columns.push("Room");
        }
        let mut table = Table::new("Pledges: what people will do", &columns);
        for pledge in &pledges.pledges {
            let mut cells =
                vec![pledge.name.clone().unwrap_or_default(), pledge.organisation.clone().unwrap_or_default()];
            if page.programme {
                cells.push(pledge.room.clone());
            }
            table.rows.push((pledge.text.clone(), cells));
        }
        page.table(&table);
    }

    page.heading(3, "Touchstones: what matters most");
    if pledges.n_touchstones_hidden > 0 {
        page.quiet(&format!(
            "{} hidden by the facilitator and left out.",
            plural_was(pledges.n_touchstones_hidden, "word was", "words were")
        ));
    }
    if pledges.touchstones.is_empty() {
        page.paragraph("No touchstone words were given.");
    } else {
        page.paragraph("The bigger the word, the more people gave it.");
        word_cloud(page, &pledges.touchstones);
        let mut table = Table::new("Touchstones: each word and how many gave it", &["Word", "People"]).numeric(&[true]);
        for word in &pledges.touchstones {
            table.rows.push((word.word.clone(), vec![word.count.to_string()]));
        }
        page.table(&table);
    }
    page.end_section();
}

/// Words in centred lines, most frequent first, sized by how often they were given.
fn word_cloud(page: &mut Page, words: &[WordCount]) {
    const WIDTH: f64 = 720.0;
    const MOST: usize = 60;
    let words = &words[..words.len().min(MOST)];
    let (min, max) = words.iter().fold((usize::MAX, 0), |(lo, hi), w| (lo.min(w.count), hi.max(w.count)));
    let size = |count: usize| -> f64 {
        if max == min { 26.0 } else { 14.0 + 34.0 * (count - min) as f64 / (max - min) as f64 }
    };
    // Widths are estimated (about 0.6 em a character), so lines keep a margin.
    let mut lines: Vec<Vec<(&WordCount, f64, f64)>> = vec![Vec::new()];
    let mut used = 0.0;
    for word in words {
        let text = truncate(&word.word, 28);
        let font = size(word.count);
        let w = text.chars().count() as f64 * font * 0.6 + font * 0.8;
        if used + w > WIDTH - 20.0 && lines.last().is_some_and(|line| !line.is_empty()) {
            lines.push(Vec::new());
            used = 0.0;
        }
        if let Some(line) = lines.last_mut() {
            line.push((word, font, w));
        }
        used += w;
    }
    let colours = ["#1f4e8c", "#111111", "#8a3300", "#333333"];
    let mut body = String::new();
    let mut y = 10.0;
    for (i, line) in lines.iter().enumerate() {
        let height = line.iter().map(|(_, font, _)| *font).fold(0.0, f64::max) * 1.3;
        y += height;
        let line_width: f64 = line.iter().map(|(_, _, w)| *w).sum();
        let mut x = (WIDTH - line_width) / 2.0;
        for (j, (word, font, w)) in line.iter().enumerate() {
            let colour = colours[(i + j) % colours.len()];
            body.push_str(&format!(
                "<text x=\"{:.0}\" y=\"{:.0}\" font-size=\"{:.0}\" fill=\"{colour}\"><title>{}</title>{}</text>\n",
                x + font * 0.4,
                y - height * 0.2,
                font,
                escape(&format!("{}: {}", word.word, plural(word.count, "person", "people"))),
                escape(&truncate(&word.word, 28))
            ));
            x += w;
        }
    }
    let height = (y + 10.0).round() as u32;
    let title = "Touchstones word cloud: what matters most";
    page.figure(title, title, WIDTH as u32, height, &body);
}

// ---------------------------------------------------------------------------
// Participation audit.

fn who_took_part(page: &mut Page, insights: &Insights) {
    let participation = &insights.participation;
    page.section("Who took part");
    page.paragraph(
        "Participation is counted by group, never by person. Nobody had to say who they are, so every table \
         has a row for those who did not say.",
    );
    page.paragraph(&suppression_sentence(page.min_count));
    if page.programme {
        page.paragraph(
            "These counts add up every room, so someone who came to more than one event is counted once for each.",
        );
    }

    page.heading(3, "The balance of people and professionals");
    page.paragraph(&balance_sentence(page, &participation.balance));
    balance_chart(page, &participation.balance);
    breakdown_table(page, "Participants: people and professionals", "Group", &participation.balance);

    page.heading(3, "Perspectives and roles");
    breakdown_table(page, "Participants by perspective", "Perspective", &participation.by_perspective);
    for role in &participation.by_role {
        breakdown_table(page, &format!("{}: participants by role", role.label), "Role", &role.breakdown);
    }

    if !participation.by_segment.is_empty() {
        page.heading(3, "About the participants");
        for segment in &participation.by_segment {
            breakdown_table(page, &format!("{} Participants by answer", segment.label), "Answer", &segment.breakdown);
        }
    }

    page.heading(3, "In the room or remote");
    breakdown_table(page, "Participants in the room and joining remotely", "Where", &participation.by_place);

    page.heading(3, "Contributions");
    page.paragraph(
        "Every card, note, idea, comment, pledge and touchstone word counted in this report, and every ballot, \
         by the perspective of the person who made it. Cards written on paper and entered by a facilitator \
         count under the perspective the person gave.",
    );
    breakdown_table(page, "Contributions by perspective", "Perspective", &participation.contributions);
}

fn breakdown_table(page: &mut Page, caption: &str, first: &str, breakdown: &Breakdown) {
    let mut table = Table::new(caption, &[first, "Number"]).numeric(&[true]);
    for row in &breakdown.rows {
        table.rows.push((row.label.clone(), vec![page.count(row.count)]));
    }
    table.rows.push(("Total".to_owned(), vec![page.count(breakdown.total)]));
    page.table(&table);
}

/// One bar split into people, professionals and not given, with a mark at half; only when every part can be shown.
fn balance_chart(page: &mut Page, balance: &Breakdown) {
    let Some(counts) = balance.rows.iter().map(|row| row.count.exact()).collect::<Option<Vec<usize>>>() else {
        return;
    };
    let total: usize = counts.iter().sum();
    if total == 0 {
        return;
    }
    const LEFT: u32 = 20;
    const BAR: u32 = 600;
    let (hatch, defs) = page.hatch();
    let fills = ["#1f4e8c".to_owned(), format!("url(#{hatch})"), "#ddd".to_owned()];
    let mut body = defs;
    let mut x = LEFT;
    let mut labels = Vec::new();
    for ((row, n), fill) in balance.rows.iter().zip(&counts).zip(fills.iter().cycle()) {
        let length = bar_length(*n, total, BAR);
        if length > 0 {
            body.push_str(&format!(
                "<rect x=\"{x}\" y=\"10\" width=\"{length}\" height=\"36\" fill=\"{fill}\" stroke=\"#111\"/>\n"
            ));
            labels.push((fill.clone(), format!("{}: {} ({})", row.label, n, percent(Some(*n as f64 / total as f64)))));
        }
        x += length;
    }
    body.push_str(&format!(
        "<line x1=\"{0}\" y1=\"2\" x2=\"{0}\" y2=\"54\" stroke=\"#111\" stroke-width=\"2\" stroke-dasharray=\"4 3\"/>\
         <text x=\"{0}\" y=\"68\" text-anchor=\"middle\" font-size=\"12\">half</text>\n",
        LEFT + BAR / 2
    ));
    for (i, (fill, text)) in labels.iter().enumerate() {
        let y = 90 + i as u32 * 24;
        body.push_str(&format!(
            "<rect x=\"{LEFT}\" y=\"{}\" width=\"18\" height=\"18\" fill=\"{fill}\" stroke=\"#111\"/>\
             <text x=\"{}\" y=\"{}\">{}</text>\n",
            y - 14,
            LEFT + 26,
            y,
            escape(text)
        ));
    }
    let height = 90 + labels.len() as u32 * 24;
    let title = "The balance of people and professionals who took part";
    page.figure(title, title, LEFT + BAR + 40, height, &body);
}

// ---------------------------------------------------------------------------
// Words and numbers.

fn hot_spot_words(spots: &[insights::HotSpot]) -> String {
    let items: Vec<String> = spots
        .iter()
        .map(|s| {
            format!(
                "\u{201c}{}\u{201d} ({} of {} bad, {})",
                s.label,
                s.negative,
                plural(s.valenced, "card", "cards"),
                percent(Some(s.share_negative))
            )
        })
        .collect();
    join_and(&items)
}

/// Where people and carers and staff differ most, as a sentence.
fn people_vs_staff_words(widest: &Comparison) -> String {
    let Some(gap) = widest.gap else { return String::new() };
    let (people, staff) = (percent(widest.first.share_negative()), percent(widest.second.share_negative()));
    if gap.abs() < 0.005 {
        return format!(
            "People and carers and staff felt the same at every touchpoint they both rated: at \u{201c}{}\u{201d}, \
             {people} of cards from each were bad.",
            widest.label
        );
    }
    let more = if gap > 0.0 {
        "People and carers were more negative than staff"
    } else {
        "Staff were more negative than people and carers"
    };
    format!(
        "{more} at \u{201c}{}\u{201d}, where they differ most: {people} of people's and carers' cards were bad, \
         against {staff} of staff's ({} points apart).",
        widest.label,
        points_apart(gap)
    )
}

fn valence_mark(valence: Option<Valence>) -> &'static str {
    match valence {
        Some(Valence::Positive) => "\u{25b2}",
        Some(Valence::Neutral) => "\u{25cf}",
        Some(Valence::Negative) => "\u{25bc}",
        None => "\u{270e}",
    }
}

fn column_mark(own_word: bool, valence: Option<Valence>) -> &'static str {
    if own_word { "\u{270e}" } else { valence_mark(valence) }
}

/// Heat map fill: blue for good words, orange for bad, grey otherwise, darker with more cards.
fn heat_colour(valence: Option<Valence>, own_word: bool, n: usize, max: usize) -> String {
    if n == 0 {
        return "#ffffff".to_owned();
    }
    let (light, dark) = match (valence, own_word) {
        (Some(Valence::Positive), false) => ((0xe8, 0xf0, 0xfa), (0x1f, 0x4e, 0x8c)),
        (Some(Valence::Negative), false) => ((0xfd, 0xec, 0xe0), (0x8a, 0x33, 0x00)),
        _ => ((0xf0, 0xf0, 0xf0), (0x44, 0x44, 0x44)),
    };
    let t = 0.15 + 0.85 * n as f64 / max as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
    format!("#{:02x}{:02x}{:02x}", mix(light.0, dark.0), mix(light.1, dark.1), mix(light.2, dark.2))
}

/// Black or white, whichever contrasts more with `#rrggbb` (at least 4.5:1 for any colour).
fn text_on(fill: &str) -> &'static str {
    let channel = |at: usize| {
        let srgb =
            fill.get(at..at + 2).and_then(|hex| u8::from_str_radix(hex, 16).ok()).map_or(1.0, |v| f64::from(v) / 255.0);
        if srgb <= 0.04045 { srgb / 12.92 } else { ((srgb + 0.055) / 1.055).powf(2.4) }
    };
    let luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
    let against_black = (luminance + 0.05) / 0.05;
    let against_white = 1.05 / (luminance + 0.05);
    if against_black >= against_white { "#000" } else { "#fff" }
}

fn bar_length(value: usize, max: usize, full: u32) -> u32 {
    if max == 0 { 0 } else { (value as f64 / max as f64 * f64::from(full)).round() as u32 }
}

fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "no cards".to_owned(), |share| format!("{:.0}%", share * 100.0))
}

fn points_apart(gap: f64) -> String {
    format!("{:.0}", gap.abs() * 100.0)
}

fn one_decimal(value: Option<f64>) -> String {
    value.map_or_else(String::new, |value| format!("{value:.1}"))
}

fn signed_text(n: i64) -> String {
    if n > 0 {
        format!("+{n}")
    } else if n < 0 {
        format!("\u{2212}{}", n.unsigned_abs())
    } else {
        "0".to_owned()
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
}

/// "1 card was", "3 cards were", "No cards were", for the start of a sentence.
fn plural_was(n: usize, one: &str, many: &str) -> String {
    match n {
        0 => format!("No {many}"),
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

/// At most `max` characters, with an ellipsis when cut; charts have fixed room, tables show the whole text.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{}\u{2026}", cut.trim_end())
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn date(seconds: i64) -> String {
    let (year, month, day) = civil_date(seconds);
    format!("{day} {} {year}", MONTHS.get(month.wrapping_sub(1)).copied().unwrap_or(""))
}

/// "12 March 2025", "12 to 13 March 2025", or "30 March 2025 to 2 April 2025".
fn date_range(first: Option<i64>, last: Option<i64>) -> Option<String> {
    let (first, last) = (first?, last.or(first)?);
    let ((y1, m1, d1), (y2, m2, d2)) = (civil_date(first), civil_date(last));
    Some(if (y1, m1, d1) == (y2, m2, d2) {
        date(first)
    } else if (y1, m1) == (y2, m2) {
        format!("{d1} to {}", date(last))
    } else {
        format!("{} to {}", date(first), date(last))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{CardRow, Source};
    use crate::insights::fixtures::{SCRIPT_NOTE, T, scripted_desired_room, scripted_room};
    use touchpoint_core::template::Emotion;

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
    fn escapes_text_for_html_and_svg() {
        let check = |text: &str, expected: &str| assert_eq!(escape(text), expected, "{text}");
        check("plain words", "plain words");
        check("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;");
        check("Tom & Jerry's \"cafe\"", "Tom &amp; Jerry&#39;s &quot;cafe&quot;");
        check("&amp;", "&amp;amp;");
        check("line\nbreak\ttab", "line\nbreak\ttab");
        check("bell\u{7}null\u{0}", "bell\u{fffd}null\u{fffd}");
        check("caf\u{e9} \u{1f600}", "caf\u{e9} \u{1f600}");
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
    fn heat_map_numbers_are_readable_on_every_shade() {
        fn luminance(colour: &str) -> f64 {
            let channel = |at: usize| {
                let srgb = f64::from(u8::from_str_radix(&colour[at..at + 2], 16).expect("hex")) / 255.0;
                if srgb <= 0.04045 { srgb / 12.92 } else { ((srgb + 0.055) / 1.055).powf(2.4) }
            };
            0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
        }
        let contrast = |a: &str, b: &str| {
            let (a, b) = (luminance(a), luminance(b));
            (a.max(b) + 0.05) / (a.min(b) + 0.05)
        };
        for (valence, own_word) in [
            (Some(Valence::Positive), false),
            (Some(Valence::Neutral), false),
            (Some(Valence::Negative), false),
            (None, true),
        ] {
            for n in 1..=12 {
                let fill = heat_colour(valence, own_word, n, 12);
                let text = if text_on(&fill) == "#000" { "#000000" } else { "#ffffff" };
                let ratio = contrast(&fill, text);
                assert!(ratio >= 4.5, "{valence:?} {n}: {text} on {fill} is {ratio:.2}:1");
            }
        }
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
                at: T,
                source: Source::default(),
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

    #[test]
    fn writes_dates_as_people_read_them() {
        let check = |seconds: i64, expected: &str| assert_eq!(date(seconds), expected, "{seconds}");
        check(0, "1 January 1970");
        check(-43_200, "31 December 1969");
        check(1_709_251_140, "29 February 2024");
        check(T, "12 March 2025");
        let check = |first: Option<i64>, last: Option<i64>, expected: Option<&str>| {
            assert_eq!(date_range(first, last).as_deref(), expected, "{first:?} {last:?}");
        };
        check(Some(T), Some(T + 3600), Some("12 March 2025"));
        check(Some(T), Some(T + 7 * 86_400), Some("12 to 19 March 2025"));
        check(Some(T), Some(T + 30 * 86_400), Some("12 March 2025 to 11 April 2025"));
        check(Some(T), None, Some("12 March 2025"));
        check(None, Some(T), None);
    }
}
