//! The summary: which event or programme this is, the facts, what stands out, and how to read the rest.
//!
//! It is the page most readers stop at, so each finding is a sentence that
//! stands on its own, with its numbers in it.

use maud::{Markup, html};

use crate::insights::Insights;
use crate::report::Scope;
use crate::report::page::{Page, Table, Text, h3, list, paragraph};
use crate::report::words::{
    balance_sentence, date_range, hot_spot_words, one_decimal, people_vs_staff_words, percent, plural, plural_was,
    points_apart, suppression_sentence,
};

pub(crate) fn summary(page: &Page, scope: &Scope<'_>, insights: &Insights) -> Markup {
    let first = insights.rooms.iter().filter_map(|room| room.first_at).min();
    let last = insights.rooms.iter().filter_map(|room| room.last_at).max();
    let when = date_range(first, last);
    let opening = match scope {
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
            text
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
            text
        }
    };
    html! {
        section aria-labelledby="summary" {
            "\n" h2 id="summary" { "Summary" } "\n"
            (paragraph(&opening))
            dl class="facts" {
                "\n"
                @for (term, value) in facts(page, scope, insights, when) {
                    dt { (Text(term)) } dd { (Text(&value)) } "\n"
                }
            }
            "\n"
            @if page.programme {
                (rooms_table(page, insights))
                (paragraph(
                    "Someone who came to more than one event is counted once for each event, so the places taken \
                     can be more than the number of different people.",
                ))
            }
            (h3("What stands out"))
            (list("points", &stand_out(page, insights)))
            (h3("About this report"))
            (paragraph(
                "A touchpoint is one moment of the journey through care. An emotion card is a word for how that moment \
                 felt, placed by a participant. Each participant said who they are (their perspective): a person using \
                 services, a family carer, or a member of staff. Perspectives are grouped into people using services and \
                 carers on one side, and staff and professionals on the other.",
            ))
            (paragraph(
                "Cards, notes, ideas, pledges and words that a facilitator hid during the event are left out of this \
                 report; each section says how many were left out.",
            ))
            (paragraph(&late_sentence(insights)))
            (paragraph(&suppression_sentence(page.min_count)))
        }
        "\n"
    }
}

/// What the report does with contributions that arrived after their activity closed.
fn late_sentence(insights: &Insights) -> String {
    let n_late: usize = insights.rooms.iter().map(|room| room.n_late).sum();
    let n_shown: usize = insights.rooms.iter().map(|room| room.n_late_shown).sum();
    let rule = "A contribution that arrived after its activity had closed (sent by a phone that had been offline) \
                is counted here only if a facilitator chose to show it; the others are left out, as hidden ones are.";
    if n_late == 0 {
        return format!("{rule} None arrived late.");
    }
    format!(
        "{rule} {} late: {} shown and counted, {} left out.",
        plural_was(n_late, "contribution arrived", "contributions arrived"),
        n_shown,
        n_late - n_shown
    )
}

/// The facts at the top of the report, as `(term, value)`.
fn facts(page: &Page, scope: &Scope<'_>, insights: &Insights, when: Option<String>) -> Vec<(&'static str, String)> {
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
    facts.push((took_part, page.count(insights.participation.total)));
    facts.push(("Balance", balance_sentence(page, &insights.participation.balance)));
    facts
}

fn rooms_table(page: &Page, insights: &Insights) -> Table {
    let mut table = Table::new("The rooms of this programme", &["Room", "Code", "When", "Participants"]);
    table.numeric = vec![false, false, true];
    for room in &insights.rooms {
        let when = date_range(room.first_at, room.last_at).unwrap_or_default();
        table.rows.push((room.title.clone(), vec![room.code.clone(), when, page.count(room.participants)]));
    }
    table
}

/// The findings worth a sentence each: hot spots, widest differences, winning options, pledges.
fn stand_out(page: &Page, insights: &Insights) -> Vec<String> {
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
    points
}
