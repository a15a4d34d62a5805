//! Triangulation: the same touchpoints seen from two sides, people and carers against staff, today against wanted.

use maud::{Markup, html};

use crate::insights::{Comparison, Insights, Tally};
use crate::report::charts::comparison_bars;
use crate::report::page::{Page, Table, h3, paragraph};
use crate::report::words::{join_and, people_vs_staff_words, percent, points_apart};

pub(crate) fn triangulation(page: &Page, insights: &Insights) -> Markup {
    let maps: Vec<_> = insights
        .emotion_maps
        .iter()
        .filter(|map| map.people_vs_staff.iter().any(|c| c.first.valenced() > 0 || c.second.valenced() > 0))
        .collect();
    page.section("Triangulation: comparing points of view", || {
        html! {
            (paragraph(
                "Here the same touchpoints are seen from two sides: people using services and carers against staff, and \
                 the experience today against the one people want. Each bar is the share of cards at that touchpoint \
                 that were bad ones. The touchpoints where the two sides differ most come first.",
            ))
            @for map in &maps {
                @let name = page.activity_title(&map.room, &map.title);
                (h3(&format!("{name}: people and carers compared with staff")))
                @if let Some(widest) = map.people_vs_staff.first().filter(|c| c.gap.is_some()) {
                    (paragraph(&people_vs_staff_words(widest)))
                }
                (comparison(page, &name, &map.people_vs_staff, ("People and carers", "Staff")))
            }
            @if let Some(current_vs_desired) = &insights.current_vs_desired {
                (h3("The experience today compared with the experience people want"))
                (paragraph(&format!(
                    "Today: {}. Wanted: {}. Cards from every map on each side are put together, touchpoint by touchpoint.",
                    join_and(&current_vs_desired.current),
                    join_and(&current_vs_desired.desired)
                )))
                (comparison(
                    page,
                    "The experience today and the one people want",
                    &current_vs_desired.touchpoints,
                    ("Today", "Wanted"),
                ))
            }
            @if maps.is_empty() && insights.current_vs_desired.is_none() {
                (paragraph(
                    "There was nothing to compare: this needs cards from both people and staff on one map, or both a \
                     current and a desired map.",
                ))
            }
        }
    })
}

/// One comparison: a chart of the share of bad cards on each side, then its numbers.
fn comparison(page: &Page, name: &str, rows: &[Comparison], (first, second): (&str, &str)) -> Markup {
    let title = format!("{name}: share of bad cards at each touchpoint ({first} against {second})");
    let chart = comparison_bars(page, &title, rows, (first, second));
    let mut table = Table::new(
        format!("{name}: bad cards at each touchpoint ({first} against {second}), where they differ most first"),
        &["Touchpoint", &format!("{first}: bad cards"), &format!("{second}: bad cards"), "Difference", "More negative"],
    )
    .numeric(&[true, true, true, false]);
    let side = |tally: Tally| match tally.share_negative() {
        Some(share) => format!("{} of {} ({})", tally.negative, tally.valenced(), percent(Some(share))),
        None => "no cards".to_owned(),
    };
    for row in rows {
        let (difference, more) = match row.gap {
            Some(gap) if gap.abs() < 0.005 => ("0 points".to_owned(), "Neither".to_owned()),
            Some(gap) => (format!("{} points", points_apart(gap)), if gap > 0.0 { first } else { second }.to_owned()),
            None => ("cannot compare".to_owned(), String::new()),
        };
        table.rows.push((row.label.clone(), vec![side(row.first), side(row.second), difference, more]));
    }
    html! { (chart) (table) }
}
