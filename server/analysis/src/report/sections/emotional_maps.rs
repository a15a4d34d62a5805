//! Emotional maps: for each map, its hot spots, a heat map per view, good and bad moments, own words and notes.

use maud::{Markup, html};
use touchpoint_core::template::Valence;

use crate::insights::{EmotionColumn, EmotionMapInsight, Insights, MapView, Who};
use crate::report::charts::{heat_map, valence_bars};
use crate::report::page::{Page, Table, h3, h4, list, paragraph, quiet};
use crate::report::words::{
    column_mark, hidden_sentence, hot_spot_words, percent, plural, plural_was, signed_text, valence_mark,
};

/// The most columns one heat map shows: more would shrink the words below reading size on A4.
pub(crate) const MOST_COLUMNS: usize = 12;

pub(crate) fn emotional_maps(page: &Page, insights: &Insights) -> Markup {
    page.section("Emotional maps", || {
        html! {
            @if insights.emotion_maps.is_empty() {
                (paragraph("There was no emotional map in this report's events."))
            } @else {
                (paragraph(
                    "On an emotional map, people place emotion cards at each touchpoint of the journey. The heat maps \
                     show how many cards each word got at each touchpoint: the darker the square, the more cards, and \
                     the number is written in it. Good words (\u{25b2}) come first, then neutral (\u{25cf}), then bad \
                     words (\u{25bc}), then people's own words (\u{270e}). Only the words that were chosen are shown.",
                ))
            }
            @for map in &insights.emotion_maps {
                (emotional_map(page, map))
            }
        }
    })
}

fn emotional_map(page: &Page, map: &EmotionMapInsight) -> Markup {
    let name = page.activity_title(&map.room, &map.title);
    let board = match map.board.as_deref() {
        Some("current") => "the experience as it is today",
        Some("desired") => "the experience people want",
        _ => "the experience",
    };
    let counted = format!("This map shows {board}. {} counted.", plural_was(map.n_cards, "card was", "cards were"));
    // A perspective gets its own heat map only when its group has others; alone, its map is the group's.
    let views: Vec<&MapView> = map
        .views
        .iter()
        .filter(|view| !matches!(view.who, Who::Perspective { .. }) || shows_perspective(map, view))
        .collect();
    html! {
        (h3(&name))
        (paragraph(&counted))
        @if map.n_hidden > 0 {
            (quiet(&hidden_sentence(map.n_hidden, "card was", "cards were")))
        }
        @if map.n_cards > 0 {
            (h4("Hot spots: the hardest moments"))
            (list("hot-spots", &views.iter().map(|view| hot_spots(view)).collect::<Vec<_>>()))
            (quiet(
                "A hot spot is a touchpoint where the largest share of cards were bad ones. Own words are not counted \
                 as good or bad, because only the word says which it is.",
            ))
            @for view in &views {
                (h4(&format!("Heat map: {}", view.label)))
                (heat_maps(page, map, view))
            }
            (h4("Good and bad moments"))
            (good_and_bad(page, map))
            @if let Some(table) = group_valence_table(page, map) {
                (table)
            }
            @if !map.own_words.is_empty() {
                (h4("Own words"))
                (own_words_table(&name, map))
            }
            @if !map.notes.is_empty() {
                (h4("What people wrote on their cards"))
                (notes_table(&name, map))
            }
        }
    }
}

fn hot_spots(view: &MapView) -> String {
    let text = if view.hot_spots.is_empty() {
        "no touchpoint had a negative card.".to_owned()
    } else {
        format!("{}.", hot_spot_words(&view.hot_spots))
    };
    format!("{}: {text}", view.label)
}

fn shows_perspective(map: &EmotionMapInsight, view: &MapView) -> bool {
    let n_in_group = map
        .views
        .iter()
        .filter(|other| matches!(other.who, Who::Perspective { .. }) && other.group == view.group)
        .count();
    n_in_group > 1
}

/// A view's heat map, split by good, neutral and bad words when the map used too many words to fit a page.
fn heat_maps(page: &Page, map: &EmotionMapInsight, view: &MapView) -> Markup {
    let all: Vec<usize> = (0..map.columns.len()).collect();
    if all.len() <= MOST_COLUMNS {
        return heat_map_part(page, map, view, &all, None);
    }
    // Good words, then neutral and own words, then bad words, as on the single map.
    let kind = |column: &EmotionColumn| match (column.emotion.is_some(), column.valence) {
        (true, Some(Valence::Positive)) => 0,
        (true, Some(Valence::Negative)) => 2,
        _ => 1,
    };
    let mut parts = Vec::new();
    for (k, name) in ["good words", "neutral and own words", "bad words"].into_iter().enumerate() {
        let part: Vec<usize> = all.iter().copied().filter(|c| kind(&map.columns[*c]) == k).collect();
        let chunks: Vec<&[usize]> = part.chunks(MOST_COLUMNS).collect();
        for (i, chunk) in chunks.iter().enumerate() {
            let name =
                if chunks.len() > 1 { format!("{name}, part {} of {}", i + 1, chunks.len()) } else { name.to_owned() };
            parts.push(heat_map_part(page, map, view, chunk, Some(&name)));
        }
    }
    html! { @for part in parts { (part) } }
}

/// One heat map and its table: the touchpoints as rows, the columns of `part` as columns.
fn heat_map_part(page: &Page, map: &EmotionMapInsight, view: &MapView, part: &[usize], name: Option<&str>) -> Markup {
    let columns: Vec<(usize, &EmotionColumn)> =
        part.iter().filter_map(|c| map.columns.get(*c).map(|column| (*c, column))).collect();
    let map_name = page.activity_title(&map.room, &map.title);
    let part = name.map(|name| format!(", {name}")).unwrap_or_default();
    let cards = plural(view.n_cards, "card", "cards");
    let title = format!("{map_name}, {}{part}: cards at each touchpoint by emotion ({cards})", view.label);
    let caption = format!("Cards at each touchpoint by emotion{part} ({cards})");
    let chart = heat_map(page, (&title, &caption), map, view, &columns);

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
    html! { (chart) (table) }
}

/// Good and bad cards of everyone at each touchpoint: a chart, then its numbers.
fn good_and_bad(page: &Page, map: &EmotionMapInsight) -> Markup {
    let Some(everyone) = map.views.first() else { return html! {} };
    let name = page.activity_title(&map.room, &map.title);
    let chart =
        valence_bars(page, &format!("{name}: bad and good cards from everyone at each touchpoint"), &everyone.valence);
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
    html! { (chart) (table) }
}

/// Net valence and share of bad cards at each touchpoint for each perspective group.
fn group_valence_table(page: &Page, map: &EmotionMapInsight) -> Option<Table> {
    let groups: Vec<&MapView> = map.views.iter().filter(|view| matches!(view.who, Who::Group { .. })).collect();
    if groups.is_empty() {
        return None;
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
    Some(table)
}

fn own_words_table(name: &str, map: &EmotionMapInsight) -> Table {
    let mut table = Table::new(format!("{name}: words people wrote on blank cards"), &["Word", "Cards"]);
    table.numeric = vec![true];
    for word in &map.own_words {
        table.rows.push((word.word.clone(), vec![word.count.to_string()]));
    }
    table
}

fn notes_table(name: &str, map: &EmotionMapInsight) -> Table {
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
    table
}
