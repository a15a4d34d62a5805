//! The report's charts, drawn as inline SVG.
//!
//! No chart relies on colour alone: numbers sit in the cells, bars carry
//! text labels, bad moments are hatched, and good and bad words are marked
//! ▲ and ▼ and kept apart by position, so a chart printed in black and white
//! says what it says in colour. Each chart is followed on the page by a
//! table of the same numbers; the sections draw those.

use maud::{Markup, html};
use touchpoint_core::template::Valence;

use super::page::{Page, Text};
use super::words::{column_mark, percent, plural};
use crate::insights::{Breakdown, Comparison, EmotionColumn, EmotionMapInsight, MapView, TouchpointValence, WordCount};

/// One heat map: the touchpoints as rows, the given `(index, column)`s of the map as columns.
pub(crate) fn heat_map(
    page: &Page,
    (title, caption): (&str, &str),
    map: &EmotionMapInsight,
    view: &MapView,
    columns: &[(usize, &EmotionColumn)],
) -> Markup {
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
    // At least wide enough for the legend below the grid.
    let width = (LABEL_W + n_columns * CELL_W + (longest * 9 / 2).max(40) + 20).max(380);
    let height = top + n_rows * CELL_H + 52;
    // Shades compare with the whole view, so parts of one map read alike.
    let max = view.counts.iter().flatten().copied().max().unwrap_or(0).max(1);
    // A heavier line between good, neutral, bad and own words: position tells them apart, not colour.
    let starts_a_kind = |j: usize| {
        let kind = |column: &EmotionColumn| (column.valence, column.emotion.is_none());
        j.checked_sub(1).and_then(|p| columns.get(p)).is_some_and(|(_, p)| kind(p) != kind(columns[j].1))
    };
    let legend = top + n_rows * CELL_H + 22;
    let body = html! {
        @for (j, (_, column)) in columns.iter().enumerate() {
            @let x = LABEL_W + j as u32 * CELL_W + CELL_W / 2;
            text transform={ "translate(" (x - 4) "," (labels_h - 4) ") rotate(-50)" } font-size="12" {
                (Text(&truncate(&column.label, 24)))
            }
            "\n"
            text x=(x) y=(labels_h + 18) text-anchor="middle" font-size="14" {
                (column_mark(column.emotion.is_none(), column.valence))
            }
            "\n"
            @if starts_a_kind(j) {
                @let x = LABEL_W + j as u32 * CELL_W;
                line x1=(x) y1=(labels_h) x2=(x) y2=(top + n_rows * CELL_H) stroke="#111" stroke-width="3" {}
                "\n"
            }
        }
        @for (i, touchpoint) in map.touchpoints.iter().enumerate() {
            @let y = top + i as u32 * CELL_H;
            text x=(LABEL_W - 8) y=(y + CELL_H / 2 + 5) text-anchor="end" { (Text(&truncate(&touchpoint.label, 30))) }
            "\n"
            @for (j, (c, column)) in columns.iter().enumerate() {
                @let n = view.counts.get(i).and_then(|row| row.get(*c)).copied().unwrap_or(0);
                @let x = LABEL_W + j as u32 * CELL_W;
                @let fill = heat_colour(column.valence, column.emotion.is_none(), n, max);
                rect x=(x) y=(y) width=(CELL_W) height=(CELL_H) fill=(fill) stroke="#999" {}
                "\n"
                @if n > 0 {
                    text x=(x + CELL_W / 2) y=(y + CELL_H / 2 + 5) text-anchor="middle" font-weight="bold"
                        fill=(text_on(&fill)) { (n) }
                    "\n"
                }
            }
        }
        text x="8" y=(legend) font-size="12" { "\u{25b2} good   \u{25cf} neutral   \u{25bc} bad   \u{270e} own word" }
        "\n"
        text x="8" y=(legend + 18) font-size="12" { "Darker squares have more cards; empty squares have none." }
        "\n"
    };
    page.figure(title, caption, (width, height), body)
}

/// Good and bad cards at each touchpoint, as bars either side of a line.
pub(crate) fn valence_bars(page: &Page, title: &str, rows: &[TouchpointValence]) -> Markup {
    const LABEL_W: u32 = 220;
    const HALF: u32 = 200;
    const ROW_H: u32 = 30;
    const TOP: u32 = 30;
    let axis = LABEL_W + 80 + HALF;
    let width = axis + HALF + 90;
    let height = TOP + rows.len() as u32 * ROW_H + 10;
    let max = rows.iter().map(|r| r.tally.positive.max(r.tally.negative)).max().unwrap_or(0).max(1);
    let (defs, hatch) = page.hatch();
    let body = html! {
        (defs)
        text x=(axis - 6) y="18" text-anchor="end" { "\u{25c0} bad moments" }
        text x=(axis + 6) y="18" { "good moments \u{25b6}" }
        "\n"
        @for (i, row) in rows.iter().enumerate() {
            @let y = TOP + i as u32 * ROW_H;
            @let bad = bar_length(row.tally.negative, max, HALF);
            @let good = bar_length(row.tally.positive, max, HALF);
            text x=(LABEL_W - 8) y=(y + 19) text-anchor="end" { (Text(&truncate(&row.label, 30))) }
            "\n"
            rect x=(axis - bad) y=(y + 4) width=(bad) height="20" fill=(hatch) stroke="#111" {}
            "\n"
            text x=(axis - bad - 6) y=(y + 19) text-anchor="end" { (row.tally.negative) " bad" }
            "\n"
            rect x=(axis) y=(y + 4) width=(good) height="20" fill="#1f4e8c" stroke="#111" {}
            "\n"
            text x=(axis + good + 6) y=(y + 19) { (row.tally.positive) " good" }
            "\n"
        }
        line x1=(axis) y1=(TOP - 4) x2=(axis) y2=(height - 4) stroke="#111" stroke-width="2" {}
        "\n"
    };
    page.figure(title, title, (width, height), body)
}

/// The share of bad cards at each touchpoint from two sides: solid for the first, hatched for the second.
pub(crate) fn comparison_bars(page: &Page, title: &str, rows: &[Comparison], sides: (&str, &str)) -> Markup {
    const LABEL_W: u32 = 220;
    const BAR: u32 = 300;
    const ROW_H: u32 = 56;
    let width = LABEL_W + BAR + 190;
    let height = rows.len() as u32 * ROW_H + 10;
    let (defs, hatch) = page.hatch();
    let length = |share: f64| (share * f64::from(BAR)).round() as u32;
    let body = html! {
        (defs)
        @for (i, row) in rows.iter().enumerate() {
            @let y = i as u32 * ROW_H + 6;
            text x=(LABEL_W - 8) y=(y + 28) text-anchor="end" font-weight="bold" { (Text(&truncate(&row.label, 30))) }
            "\n"
            @for (k, (who, tally, fill)) in [(sides.0, row.first, "#333"), (sides.1, row.second, hatch.as_str())].into_iter().enumerate() {
                @let y = y + k as u32 * 22;
                @let share = tally.share_negative();
                @if let Some(share) = share {
                    rect x=(LABEL_W) y=(y) width=(length(share)) height="18" fill=(fill) stroke="#111" {}
                    "\n"
                }
                @let text = match share {
                    Some(share) => format!("{who}: {} bad", percent(Some(share))),
                    None => format!("{who}: no cards"),
                };
                text x=(LABEL_W + share.map_or(0, length) + 6) y=(y + 14) { (Text(&text)) }
                "\n"
            }
        }
    };
    page.figure(title, title, (width, height), body)
}

/// One bar of a bar chart: its label, its value out of `max`, and the text after it.
#[derive(Debug)]
pub(crate) struct Bar {
    pub(crate) label: String,
    pub(crate) value: usize,
    pub(crate) max: usize,
    pub(crate) text: String,
}

/// Horizontal bars, each labelled with its text.
pub(crate) fn bar_chart(page: &Page, title: &str, bars: &[Bar]) -> Markup {
    const LABEL_W: u32 = 250;
    const BAR: u32 = 300;
    const ROW_H: u32 = 30;
    let width = LABEL_W + BAR + 200;
    let height = bars.len() as u32 * ROW_H + 10;
    let body = html! {
        @for (i, bar) in bars.iter().enumerate() {
            @let y = i as u32 * ROW_H + 5;
            @let length = bar_length(bar.value, bar.max, BAR);
            text x=(LABEL_W - 8) y=(y + 15) text-anchor="end" { (Text(&truncate(&bar.label, 34))) }
            "\n"
            rect x=(LABEL_W) y=(y) width=(length) height="20" fill="#1f4e8c" stroke="#111" {}
            "\n"
            text x=(LABEL_W + length + 6) y=(y + 15) { (Text(&bar.text)) }
            "\n"
        }
    };
    page.figure(title, title, (width, height), body)
}

/// Words in centred lines, most frequent first, sized by how often they were given.
pub(crate) fn word_cloud(page: &Page, title: &str, words: &[WordCount]) -> Markup {
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
    // Each word's place: `(x, baseline, font size, colour)`.
    let mut placed = Vec::new();
    let mut y = 10.0;
    for (i, line) in lines.iter().enumerate() {
        let height = line.iter().map(|(_, font, _)| *font).fold(0.0, f64::max) * 1.3;
        y += height;
        let line_width: f64 = line.iter().map(|(_, _, w)| *w).sum();
        let mut x = (WIDTH - line_width) / 2.0;
        for (j, (word, font, w)) in line.iter().enumerate() {
            placed.push((*word, x + font * 0.4, y - height * 0.2, *font, colours[(i + j) % colours.len()]));
            x += w;
        }
    }
    let body = html! {
        @for (word, x, baseline, font, colour) in placed {
            text x=(format!("{x:.0}")) y=(format!("{baseline:.0}")) font-size=(format!("{font:.0}")) fill=(colour) {
                title { (Text(&format!("{}: {}", word.word, plural(word.count, "person", "people")))) }
                (Text(&truncate(&word.word, 28)))
            }
            "\n"
        }
    };
    page.figure(title, title, (WIDTH as u32, (y + 10.0).round() as u32), body)
}

/// One bar split into people, professionals and not given, with a mark at half; only when every part can be shown.
pub(crate) fn balance_bar(page: &Page, title: &str, balance: &Breakdown) -> Option<Markup> {
    let counts = balance.rows.iter().map(|row| row.count.exact()).collect::<Option<Vec<usize>>>()?;
    let total: usize = counts.iter().sum();
    if total == 0 {
        return None;
    }
    const LEFT: u32 = 20;
    const BAR: u32 = 600;
    let (defs, hatch) = page.hatch();
    let fills = ["#1f4e8c".to_owned(), hatch, "#ddd".to_owned()];
    // Each part drawn: `(x, length, fill, label)`.
    let mut parts = Vec::new();
    let mut x = LEFT;
    for ((row, n), fill) in balance.rows.iter().zip(&counts).zip(fills.iter().cycle()) {
        let length = bar_length(*n, total, BAR);
        if length > 0 {
            let label = format!("{}: {} ({})", row.label, n, percent(Some(*n as f64 / total as f64)));
            parts.push((x, length, fill, label));
        }
        x += length;
    }
    let half = LEFT + BAR / 2;
    let body = html! {
        (defs)
        @for (x, length, fill, _) in &parts {
            rect x=(x) y="10" width=(length) height="36" fill=(fill) stroke="#111" {}
            "\n"
        }
        line x1=(half) y1="2" x2=(half) y2="54" stroke="#111" stroke-width="2" stroke-dasharray="4 3" {}
        text x=(half) y="68" text-anchor="middle" font-size="12" { "half" }
        "\n"
        @for (i, (_, _, fill, label)) in parts.iter().enumerate() {
            @let y = 90 + i as u32 * 24;
            rect x=(LEFT) y=(y - 14) width="18" height="18" fill=(fill) stroke="#111" {}
            text x=(LEFT + 26) y=(y) { (Text(label)) }
            "\n"
        }
    };
    Some(page.figure(title, title, (LEFT + BAR + 40, 90 + parts.len() as u32 * 24), body))
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

/// At most `max` characters where it can be, cut only between words and then ellipsised: a word
/// cut in half can read as another word (or none), in Welsh and Urdu as in English. A first word
/// longer than `max` is kept whole. Charts have fixed room; the tables beside them show the whole text.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut kept = String::new();
    for word in text.split_whitespace() {
        let with_word = kept.chars().count() + usize::from(!kept.is_empty()) + word.chars().count();
        // One character is kept for the ellipsis.
        if !kept.is_empty() && with_word + 1 > max {
            break;
        }
        if !kept.is_empty() {
            kept.push(' ');
        }
        kept.push_str(word);
    }
    let kept = kept.trim_end_matches([',', ';', ':', '.', '-', '\u{2013}', '\u{060c}']);
    format!("{kept}\u{2026}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_cut_between_words_never_inside_one() {
        for (label, max, expected) in [
            ("Booking", 30, "Booking"),
            ("Trefnu apwyntiad gyda'r meddyg teulu ar y ffôn", 30, "Trefnu apwyntiad gyda'r\u{2026}"),
            ("Ŵyr ŷd, cyfarfod cyntaf gyda'r gweithiwr cymdeithasol", 24, "Ŵyr ŷd, cyfarfod cyntaf\u{2026}"),
            ("Ŵyr ŷd, cyfarfod cyntaf", 12, "Ŵyr ŷd\u{2026}"),
            ("ڈاکٹر سے ملاقات کا وقت لینے کے لیے فون کرنا", 24, "ڈاکٹر سے ملاقات کا وقت\u{2026}"),
            ("Gwasanaethau-cymdeithasol-cynhwysfawr and more", 20, "Gwasanaethau-cymdeithasol-cynhwysfawr\u{2026}"),
        ] {
            let cut = truncate(label, max);
            assert_eq!(cut, expected, "{label}");
            for word in cut.trim_end_matches('\u{2026}').split_whitespace() {
                let whole = label.split_whitespace().any(|w| w == word || w.trim_end_matches(',') == word);
                assert!(whole, "{label}: {word:?} is not a whole word of it");
            }
        }
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
}
