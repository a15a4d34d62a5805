//! The experience today against the one people want, pooled across a programme's rooms.
//!
//! Every current map and every desired map is put together touchpoint by
//! touchpoint (by id, so the rooms of a programme line up when they share a
//! journey), and the touchpoints where the two differ most come first.

use serde::Serialize;
use touchpoint_core::room::layout::ActivityKind;
use touchpoint_core::template::Choice;

use super::emotion_maps::{Comparison, Tally, compare, tallies};
use super::rows_with_extras;
use crate::dataset::{ActivityInfo, CardRow, Dataset};

/// The current experience against the desired one, across the rooms of a programme.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurrentVsDesired {
    /// The maps pooled on each side, as "room: map".
    pub current: Vec<String>,
    pub desired: Vec<String>,
    /// `first` is current, `second` desired; where they differ most first.
    pub touchpoints: Vec<Comparison>,
}

/// Pools every current map and every desired map by touchpoint id; `None` unless both exist.
pub fn current_vs_desired(datasets: &[Dataset]) -> Option<CurrentVsDesired> {
    let maps = |board: &str| -> Vec<(&Dataset, &ActivityInfo)> {
        datasets
            .iter()
            .flat_map(|dataset| dataset.activities.iter().map(move |activity| (dataset, activity)))
            .filter(|(_, activity)| {
                activity.kind == ActivityKind::EmotionMap && activity.board.as_deref() == Some(board)
            })
            .collect()
    };
    let (current, desired) = (maps("current"), maps("desired"));
    if current.is_empty() || desired.is_empty() {
        return None;
    }
    let cards_of = |maps: &[(&'_ Dataset, &'_ ActivityInfo)]| -> Vec<CardRow> {
        maps.iter()
            .flat_map(|(dataset, activity)| dataset.cards.iter().filter(|card| card.activity == activity.id))
            .filter(|card| !card.marks.hidden)
            .cloned()
            .collect()
    };
    let (current_cards, desired_cards) = (cards_of(&current), cards_of(&desired));
    let choices: Vec<Choice> = current.iter().chain(&desired).flat_map(|(_, a)| a.choices.iter().cloned()).collect();
    let mut touchpoints: Vec<Choice> = Vec::new();
    for choice in choices {
        if !touchpoints.iter().any(|t| t.id == choice.id) {
            touchpoints.push(choice);
        }
    }
    let touchpoints =
        rows_with_extras(&touchpoints, current_cards.iter().chain(&desired_cards).map(|c| c.touchpoint.as_str()));
    let refs = |cards: &[CardRow]| -> Vec<Tally> { tallies(&touchpoints, &cards.iter().collect::<Vec<_>>()) };
    let names = |maps: &[(&Dataset, &ActivityInfo)]| -> Vec<String> {
        maps.iter().map(|(dataset, activity)| format!("{}: {}", dataset.room.title, activity.title)).collect()
    };
    Some(CurrentVsDesired {
        current: names(&current),
        desired: names(&desired),
        touchpoints: compare(&touchpoints, &refs(&current_cards), &refs(&desired_cards)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insights::fixtures::*;

    #[test]
    fn compares_current_with_desired_across_the_rooms_of_a_programme() {
        assert_eq!(current_vs_desired(&[scripted_room()]), None, "one board alone has nothing to compare");
        let compared = current_vs_desired(&[scripted_room(), scripted_desired_room()]).expect("both boards");
        assert_eq!(compared.current, ["Co-design 1: How care feels today"]);
        assert_eq!(compared.desired, ["Co-design 2: How care should feel"]);
        let actual: Vec<(&str, usize, usize, Option<i64>)> = compared
            .touchpoints
            .iter()
            .map(|c| {
                (c.touchpoint.as_str(), c.first.negative, c.second.negative, c.gap.map(|g| (g * 100.0).round() as i64))
            })
            .collect();
        assert_eq!(actual, [("B", 4, 0, Some(80)), ("G", 0, 1, Some(-50)), ("W", 2, 1, Some(0))]);
    }
}
