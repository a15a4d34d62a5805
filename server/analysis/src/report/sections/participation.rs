//! Who took part: the participation audit, by group and never by person, with small counts suppressed.

use maud::{Markup, html};

use crate::insights::{Breakdown, Insights};
use crate::report::charts::balance_bar;
use crate::report::page::{Page, Table, h3, paragraph};
use crate::report::words::{balance_sentence, suppression_sentence};

pub(crate) fn who_took_part(page: &Page, insights: &Insights) -> Markup {
    let participation = &insights.participation;
    page.section("Who took part", || {
        html! {
            (paragraph(
                "Participation is counted by group, never by person. Nobody had to say who they are, so every table \
                 has a row for those who did not say.",
            ))
            (paragraph(&suppression_sentence(page.min_count)))
            @if page.programme {
                (paragraph(
                    "These counts add up every room, so someone who came to more than one event is counted once for each.",
                ))
            }
            (h3("The balance of people and professionals"))
            (paragraph(&balance_sentence(page, &participation.balance)))
            @if let Some(chart) = balance_bar(page, "The balance of people and professionals who took part", &participation.balance) {
                (chart)
            }
            (breakdown_table(page, "Participants: people and professionals", "Group", &participation.balance))
            (h3("Perspectives and roles"))
            (breakdown_table(page, "Participants by perspective", "Perspective", &participation.by_perspective))
            @for role in &participation.by_role {
                (breakdown_table(page, &format!("{}: participants by role", role.label), "Role", &role.breakdown))
            }
            @if !participation.by_segment.is_empty() {
                (h3("About the participants"))
                @for segment in &participation.by_segment {
                    (breakdown_table(page, &format!("{} Participants by answer", segment.label), "Answer", &segment.breakdown))
                }
            }
            (h3("In the room or remote"))
            (breakdown_table(page, "Participants in the room and joining remotely", "Where", &participation.by_place))
            (h3("Contributions"))
            (paragraph(
                "Every card, note, idea, comment, pledge and touchstone word counted in this report, and every ballot, \
                 by the perspective of the person who made it. Cards written on paper and entered by a facilitator \
                 count under the perspective the person gave.",
            ))
            (breakdown_table(page, "Contributions by perspective", "Perspective", &participation.contributions))
        }
    })
}

fn breakdown_table(page: &Page, caption: &str, first: &str, breakdown: &Breakdown) -> Table {
    let mut table = Table::new(caption, &[first, "Number"]).numeric(&[true]);
    for row in &breakdown.rows {
        table.rows.push((row.label.clone(), vec![page.count(row.count)]));
    }
    table.rows.push(("Total".to_owned(), vec![page.count(breakdown.total)]));
    table
}
