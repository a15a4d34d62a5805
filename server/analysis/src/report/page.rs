//! The report's page: the document frame and its styles, and the blocks every section is built from.
//!
//! The page is one self-contained HTML5 document: its styles sit in one
//! `<style>` element (the report is served with a policy that allows inline
//! styles and nothing else: no script, no `style` attribute, no fetch), and
//! its charts are inline SVG. Every block here (headings, paragraphs, lists,
//! tables, figures, sections) ends its line, so the page's source reads one
//! block to a line.
//!
//! Text reaches the page only through [`Text`], which `maud` escapes; it
//! also turns control characters into U+FFFD, because inline SVG is XML and
//! XML allows none but tab and line breaks.

use std::cell::Cell;

use maud::{DOCTYPE, Markup, PreEscaped, Render, html};

use crate::insights::Count;

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

/// The whole document: its title as the window's and the page's heading, then the sections.
pub(super) fn document(title: &str, sections: Markup) -> String {
    let page = html! {
        (DOCTYPE) "\n"
        html lang="en-GB" {
            "\n" head {
                "\n" meta charset="utf-8";
                "\n" meta name="viewport" content="width=device-width, initial-scale=1";
                "\n" title { (Text(title)) }
                "\n" style { (PreEscaped(CSS)) }
                "\n"
            }
            "\n" body {
                "\n" main {
                    "\n" h1 { (Text(title)) } "\n"
                    (sections)
                }
                "\n"
            }
            "\n"
        }
        "\n"
    };
    page.into_string()
}

/// Text as the page shows it: never markup, whoever wrote it.
///
/// `maud` escapes `&`, `<`, `>` and `"`; the apostrophe is written as a
/// reference too, so that no text can end an attribute whichever quote it
/// was written with.
#[derive(Debug, Clone, Copy)]
pub(super) struct Text<'a>(pub(super) &'a str);

impl Render for Text<'_> {
    fn render_to(&self, buffer: &mut String) {
        let allowed: String = self
            .0
            .chars()
            .map(|c| if c.is_control() && !matches!(c, '\t' | '\n' | '\r') { '\u{fffd}' } else { c })
            .collect();
        for (i, part) in allowed.split('\'').enumerate() {
            if i > 0 {
                buffer.push_str("&#39;");
            }
            part.render_to(buffer);
        }
    }
}

/// What every section needs to know about the page it is on.
#[derive(Debug)]
pub(super) struct Page {
    next_id: Cell<usize>,
    pub(super) min_count: usize,
    /// A programme's report names each activity's room.
    pub(super) programme: bool,
}

impl Page {
    pub(super) fn new(min_count: usize, programme: bool) -> Self {
        Page { next_id: Cell::new(0), min_count, programme }
    }

    /// An id no other element of the page has: charts and their patterns are all inline.
    pub(super) fn id(&self, prefix: &str) -> String {
        self.next_id.set(self.next_id.get() + 1);
        format!("{prefix}-{}", self.next_id.get())
    }

    pub(super) fn count(&self, count: Count) -> String {
        match count {
            Count::Exact(n) => n.to_string(),
            Count::Suppressed => format!("fewer than {}", self.min_count),
            Count::Withheld => "not shown".to_owned(),
        }
    }

    /// Why a perspective group's spread is missing: too few of them, or to protect a group that is.
    pub(super) fn hidden_group(&self, count: Count) -> String {
        match count {
            Count::Suppressed => format!("not shown (fewer than {} people)", self.min_count),
            Count::Exact(_) | Count::Withheld => "not shown (it would give a smaller group away)".to_owned(),
        }
    }

    /// An activity's heading: in a programme, the room says which event it came from.
    pub(super) fn activity_title(&self, room: &str, title: &str) -> String {
        if self.programme { format!("{room}: {title}") } else { title.to_owned() }
    }

    /// A major section: on paper it starts a new page. Its id is taken before its content's.
    pub(super) fn section(&self, title: &str, content: impl FnOnce() -> Markup) -> Markup {
        let id = self.id("section");
        html! {
            section class="major" aria-labelledby=(id) {
                "\n" h2 id=(id) { (Text(title)) } "\n"
                (content())
            }
            "\n"
        }
    }

    /// A chart: an SVG with `role="img"` and a title, in a figure; a table of its numbers must follow it.
    /// `caption` is what the page shows above the chart; `title` names the chart on its own, for screen readers.
    pub(super) fn figure(&self, title: &str, caption: &str, (width, height): (u32, u32), body: Markup) -> Markup {
        let id = self.id("chart");
        html! {
            figure {
                "\n" figcaption { (Text(caption)) } "\n"
                svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby=(id)
                    viewBox={ "0 0 " (width) " " (height) } width=(width) height=(height)
                    font-family="Segoe UI, Arial, Helvetica, sans-serif" font-size="13" {
                    "\n" title id=(id) { (Text(title)) } "\n"
                    (body)
                }
                "\n"
            }
            "\n"
        }
    }

    /// A hatch pattern for one chart, and the fill that uses it.
    pub(super) fn hatch(&self) -> (Markup, String) {
        let id = self.id("hatch");
        let defs = html! {
            defs {
                pattern id=(id) patternUnits="userSpaceOnUse" width="6" height="6" patternTransform="rotate(45)" {
                    rect width="6" height="6" fill="#fff" {}
                    line x1="0" y1="0" x2="0" y2="6" stroke="#222" stroke-width="3" {}
                }
            }
            "\n"
        };
        (defs, format!("url(#{id})"))
    }
}

pub(super) fn h3(text: &str) -> Markup {
    html! { h3 { (Text(text)) } "\n" }
}

pub(super) fn h4(text: &str) -> Markup {
    html! { h4 { (Text(text)) } "\n" }
}

pub(super) fn paragraph(text: &str) -> Markup {
    html! { p { (Text(text)) } "\n" }
}

/// A paragraph about the numbers rather than of them, such as what was left out.
pub(super) fn quiet(text: &str) -> Markup {
    html! { p class="quiet" { (Text(text)) } "\n" }
}

pub(super) fn list(class: &str, items: &[String]) -> Markup {
    html! {
        ul class=(class) {
            "\n"
            @for item in items {
                li { (Text(item)) } "\n"
            }
        }
        "\n"
    }
}

/// A table of plain text: the first column holds row headers.
#[derive(Debug)]
pub(super) struct Table {
    pub(super) caption: String,
    pub(super) columns: Vec<String>,
    pub(super) rows: Vec<(String, Vec<String>)>,
    /// Which cells (after the row header) hold numbers, to align them.
    pub(super) numeric: Vec<bool>,
}

impl Table {
    pub(super) fn new(caption: impl Into<String>, columns: &[&str]) -> Self {
        Table {
            caption: caption.into(),
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            rows: Vec::new(),
            numeric: Vec::new(),
        }
    }

    pub(super) fn numeric(mut self, numeric: &[bool]) -> Self {
        self.numeric = numeric.to_vec();
        self
    }
}

impl Render for Table {
    fn render(&self) -> Markup {
        // Two columns read better close together than spread across the page.
        let narrow = (self.columns.len() <= 2).then_some("narrow");
        let numeric = |i: usize| self.numeric.get(i).copied().unwrap_or(false).then_some("n");
        html! {
            table class=[narrow] {
                "\n" caption { (Text(&self.caption)) } "\n"
                thead { tr { @for column in &self.columns { th scope="col" { (Text(column)) } } } } "\n"
                tbody {
                    "\n"
                    @for (header, cells) in &self.rows {
                        tr {
                            th scope="row" { (Text(header)) }
                            @for (i, cell) in cells.iter().enumerate() {
                                td class=[numeric(i)] { (Text(cell)) }
                            }
                        }
                        "\n"
                    }
                }
                "\n"
            }
            "\n"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_for_html_and_svg() {
        let check = |text: &str, expected: &str| assert_eq!(Text(text).render().into_string(), expected, "{text}");
        check("plain words", "plain words");
        check("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;");
        check("Tom & Jerry's \"cafe\"", "Tom &amp; Jerry&#39;s &quot;cafe&quot;");
        check("&amp;", "&amp;amp;");
        check("line\nbreak\ttab", "line\nbreak\ttab");
        check("bell\u{7}null\u{0}", "bell\u{fffd}null\u{fffd}");
        check("caf\u{e9} \u{1f600}", "caf\u{e9} \u{1f600}");
    }
}
