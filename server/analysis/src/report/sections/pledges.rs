//! Pledges and touchstones: what people will do, and the words that matter most to them.

use maud::{Markup, html};

use crate::insights::{Insights, PledgeInsight};
use crate::report::charts::word_cloud;
use crate::report::page::{Page, Table, h3, paragraph, quiet};
use crate::report::words::{hidden_sentence, plural_was};

pub(crate) fn pledges(page: &Page, insights: &Insights) -> Markup {
    let pledges = &insights.pledges;
    page.section("Pledges and touchstones", || {
        html! {
            (h3("Pledges"))
            (paragraph(&format!(
                "{} made. A name is shown only where the person chose to give it.",
                plural_was(pledges.pledges.len(), "pledge was", "pledges were")
            )))
            @if pledges.n_hidden > 0 {
                (quiet(&hidden_sentence(pledges.n_hidden, "pledge was", "pledges were")))
            }
            @if !pledges.pledges.is_empty() {
                (pledges_table(page, pledges))
            }
            (h3("Touchstones: what matters most"))
            @if pledges.n_touchstones_hidden > 0 {
                (quiet(&hidden_sentence(pledges.n_touchstones_hidden, "word was", "words were")))
            }
            @if pledges.touchstones.is_empty() {
                (paragraph("No touchstone words were given."))
            } @else {
                (paragraph("The bigger the word, the more people gave it."))
                (word_cloud(page, "Touchstones word cloud: what matters most", &pledges.touchstones))
                (touchstones_table(pledges))
            }
        }
    })
}

/// Each pledge with the name and organisation its maker chose to give; in a programme, its room too.
fn pledges_table(page: &Page, pledges: &PledgeInsight) -> Table {
    let mut columns = vec!["Pledge", "Name", "Organisation"];
    if page.programme {
        columns.push("Room");
    }
    let mut table = Table::new("Pledges: what people will do", &columns);
    for pledge in &pledges.pledges {
        let mut cells = vec![pledge.name.clone().unwrap_or_default(), pledge.organisation.clone().unwrap_or_default()];
        if page.programme {
            cells.push(pledge.room.clone());
        }
        table.rows.push((pledge.text.clone(), cells));
    }
    table
}

fn touchstones_table(pledges: &PledgeInsight) -> Table {
    let mut table = Table::new("Touchstones: each word and how many gave it", &["Word", "People"]).numeric(&[true]);
    for word in &pledges.touchstones {
        table.rows.push((word.word.clone(), vec![word.count.to_string()]));
    }
    table
}
