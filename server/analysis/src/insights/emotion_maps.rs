//! Emotional maps: cards by touchpoint and emotion, for everyone and each perspective.
//!
//! A map's heat maps, its hot spots (the touchpoints with the largest share
//! of bad cards), its good and bad moments, own words and notes, and where
//! people and carers differ most from staff. Counts of cards stay exact:
//! they are what was said on the shared board, not counts of people.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use serde::Serialize;
use touchpoint_core::room::layout::ActivityKind;
use touchpoint_core::template::{Choice, Valence};

use super::{PerspectiveGroup, WordCount, group_of, rows_with_extras, share, signed, word_counts};
use crate::dataset::{ActivityInfo, CardRow, Dataset};

/// How many hot spots (the most negative touchpoints) are named.
pub const HOT_SPOTS: usize = 3;

/// One emotional map: cards counted by touchpoint and emotion, for everyone and for each perspective.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmotionMapInsight {
    /// The room's title, to tell maps of a programme apart.
    pub room: String,
    pub activity: String,
    pub title: String,
    /// `current` or `desired`.
    pub board: Option<String>,
    /// The rows: the journey in order, then any touchpoint a card names that the map no longer lists.
    pub touchpoints: Vec<Choice>,
    /// The columns: the words chosen at least once (good, neutral, bad), then own words.
    pub columns: Vec<EmotionColumn>,
    /// Everyone first, then each perspective group, then each perspective, each only if it has cards.
    pub views: Vec<MapView>,
    /// People and carers against staff at each touchpoint, where they differ most first.
    pub people_vs_staff: Vec<Comparison>,
    /// The words people wrote on blank cards, most frequent first.
    pub own_words: Vec<WordCount>,
    /// Every note written on a card, by touchpoint in journey order, then in the order written.
    pub notes: Vec<CardNote>,
    /// Cards counted (hidden ones left out).
    pub n_cards: usize,
    /// Cards a facilitator hid, left out of every count.
    pub n_hidden: usize,
}

/// A note written on an emotion card, with the card's word and perspective.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardNote {
    pub touchpoint: String,
    /// The emotion's label, or the person's own word.
    pub word: String,
    pub valence: Option<Valence>,
    /// The perspective's label, if the person gave one.
    pub perspective: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmotionColumn {
    /// The emotion's id; `None` for the column of own words.
    pub emotion: Option<String>,
    pub label: String,
    /// `None` for own words, whose meaning only the word says.
    pub valence: Option<Valence>,
}

/// Whose cards a view counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Who {
    Everyone,
    Group { group: PerspectiveGroup },
    Perspective { id: String },
}

/// The map as seen through one set of cards.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapView {
    pub who: Who,
    pub label: String,
    /// For perspectives: the group they belong to.
    pub group: Option<PerspectiveGroup>,
    pub n_cards: usize,
    /// `counts[touchpoint][column]`, in the order of the map's touchpoints and columns.
    pub counts: Vec<Vec<usize>>,
    /// Good, neutral and bad cards at each touchpoint, in journey order.
    pub valence: Vec<TouchpointValence>,
    /// The most negative touchpoints, at most [`HOT_SPOTS`].
    pub hot_spots: Vec<HotSpot>,
}

/// Cards at one touchpoint by valence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub positive: usize,
    pub neutral: usize,
    pub negative: usize,
    /// Own words (and words the map no longer lists): their valence is unknown.
    pub other: usize,
}

impl Tally {
    fn add(&mut self, valence: Option<Valence>) {
        match valence {
            Some(Valence::Positive) => self.positive += 1,
            Some(Valence::Neutral) => self.neutral += 1,
            Some(Valence::Negative) => self.negative += 1,
            None => self.other += 1,
        }
    }

    /// Cards whose valence is known: the base of every share.
    pub fn valenced(&self) -> usize {
        self.positive + self.neutral + self.negative
    }

    pub fn total(&self) -> usize {
        self.valenced() + self.other
    }

    /// Good cards minus bad ones.
    pub fn net(&self) -> i64 {
        signed(self.positive) - signed(self.negative)
    }

    /// The share of cards of known valence that are negative; `None` without any.
    pub fn share_negative(&self) -> Option<f64> {
        share(self.negative, self.valenced())
    }

    pub fn share_positive(&self) -> Option<f64> {
        share(self.positive, self.valenced())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TouchpointValence {
    pub touchpoint: String,
    pub label: String,
    pub tally: Tally,
    /// Positive minus negative cards.
    pub net: i64,
    pub share_negative: Option<f64>,
}

/// A touchpoint that hurts: ranked by the share of its cards that are negative, then by their number.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HotSpot {
    pub touchpoint: String,
    pub label: String,
    pub negative: usize,
    pub valenced: usize,
    pub share_negative: f64,
}

/// Two sets of cards at one touchpoint: people against staff, or current against desired.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub touchpoint: String,
    pub label: String,
    pub first: Tally,
    pub second: Tally,
    /// The first's share of negative cards minus the second's; `None` when either has no card of known valence.
    pub gap: Option<f64>,
}

/// Every emotional map of a room.
pub fn emotion_maps(dataset: &Dataset) -> Vec<EmotionMapInsight> {
    dataset
        .activities
        .iter()
        .filter(|activity| activity.kind == ActivityKind::EmotionMap)
        .map(|activity| emotion_map(dataset, activity))
        .collect()
}

fn emotion_map(dataset: &Dataset, activity: &ActivityInfo) -> EmotionMapInsight {
    let all: Vec<&CardRow> = dataset.cards.iter().filter(|card| card.activity == activity.id).collect();
    let cards: Vec<&CardRow> = all.iter().copied().filter(|card| !card.marks.hidden).collect();
    let touchpoints = rows_with_extras(&activity.choices, cards.iter().map(|card| card.touchpoint.as_str()));
    let columns = emotion_columns(activity, &cards);

    let group_of_card = |card: &CardRow| group_of(dataset, card.marks.source.perspective.as_deref());
    let mut views = vec![map_view(Who::Everyone, "Everyone".to_owned(), None, &touchpoints, &columns, &cards)];
    for group in PerspectiveGroup::ALL {
        let mine: Vec<&CardRow> = cards.iter().copied().filter(|card| group_of_card(card) == group).collect();
        if !mine.is_empty() {
            views.push(map_view(Who::Group { group }, group.label().to_owned(), None, &touchpoints, &columns, &mine));
        }
    }
    for perspective in &dataset.perspectives {
        let mine: Vec<&CardRow> = cards
            .iter()
            .copied()
            .filter(|card| card.marks.source.perspective.as_deref() == Some(&perspective.id))
            .collect();
        if !mine.is_empty() {
            let who = Who::Perspective { id: perspective.id.clone() };
            let group = Some(group_of(dataset, Some(&perspective.id)));
            views.push(map_view(who, perspective.label.clone(), group, &touchpoints, &columns, &mine));
        }
    }

    let tallies_of = |group: PerspectiveGroup| -> Vec<Tally> {
        let mine: Vec<&CardRow> = cards.iter().copied().filter(|card| group_of_card(card) == group).collect();
        tallies(&touchpoints, &mine)
    };
    let people_vs_staff =
        compare(&touchpoints, &tallies_of(PerspectiveGroup::People), &tallies_of(PerspectiveGroup::Professionals));
    let own_words =
        word_counts(cards.iter().filter(|card| card.emotion.is_none()).filter_map(|card| card.word.as_deref()));

    let mut notes: Vec<(usize, CardNote)> = cards
        .iter()
        .filter_map(|card| {
            let note = card.note.as_deref().map(str::trim).filter(|note| !note.is_empty())?;
            let row = touchpoints.iter().position(|t| t.id == card.touchpoint)?;
            let word = match card.emotion.as_deref() {
                Some(id) => activity.emotions.iter().find(|e| e.id == id).map_or(id, |e| e.label.as_str()),
                None => card.word.as_deref().unwrap_or_default(),
            };
            let perspective = card.marks.source.perspective.as_deref();
            let perspective = dataset.perspectives.iter().find(|p| Some(p.id.as_str()) == perspective);
            let note = CardNote {
                touchpoint: touchpoints[row].id.clone(),
                word: word.to_owned(),
                valence: card.valence,
                perspective: perspective.map(|p| p.label.clone()),
                note: note.to_owned(),
            };
            Some((row, note))
        })
        .collect();
    // A stable sort keeps the order written within each touchpoint.
    notes.sort_by_key(|(row, _)| *row);

    EmotionMapInsight {
        room: dataset.room.title.clone(),
        activity: activity.id.clone(),
        title: activity.title.clone(),
        board: activity.board.clone(),
        touchpoints,
        columns,
        views,
        people_vs_staff,
        own_words,
        notes: notes.into_iter().map(|(_, note)| note).collect(),
        n_cards: cards.len(),
        n_hidden: all.len() - cards.len(),
    }
}

/// The words chosen at least once, good before neutral before bad (as a paper map
/// raises good cards and lowers bad ones), then own words last.
fn emotion_columns(activity: &ActivityInfo, cards: &[&CardRow]) -> Vec<EmotionColumn> {
    let used: BTreeSet<&str> = cards.iter().filter_map(|card| card.emotion.as_deref()).collect();
    let mut columns = Vec::new();
    for valence in [Valence::Positive, Valence::Neutral, Valence::Negative] {
        for emotion in activity.emotions.iter().filter(|e| e.valence == valence && used.contains(e.id.as_str())) {
            columns.push(EmotionColumn {
                emotion: Some(emotion.id.clone()),
                label: emotion.label.clone(),
                valence: Some(valence),
            });
        }
    }
    for card in cards {
        let Some(emotion) = card.emotion.as_deref() else { continue };
        if !columns.iter().any(|column| column.emotion.as_deref() == Some(emotion)) {
            columns.push(EmotionColumn { emotion: Some(emotion.to_owned()), label: emotion.to_owned(), valence: None });
        }
    }
    if cards.iter().any(|card| card.emotion.is_none()) {
        columns.push(EmotionColumn { emotion: None, label: "Own word".to_owned(), valence: None });
    }
    columns
}

fn map_view(
    who: Who,
    label: String,
    group: Option<PerspectiveGroup>,
    touchpoints: &[Choice],
    columns: &[EmotionColumn],
    cards: &[&CardRow],
) -> MapView {
    let mut counts = vec![vec![0; columns.len()]; touchpoints.len()];
    for card in cards {
        let row = touchpoints.iter().position(|t| t.id == card.touchpoint);
        let column = columns.iter().position(|c| c.emotion == card.emotion);
        if let (Some(row), Some(column)) = (row, column) {
            counts[row][column] += 1;
        }
    }
    let valence: Vec<TouchpointValence> = touchpoints
        .iter()
        .zip(tallies(touchpoints, cards))
        .map(|(touchpoint, tally)| TouchpointValence {
            touchpoint: touchpoint.id.clone(),
            label: touchpoint.label.clone(),
            tally,
            net: tally.net(),
            share_negative: tally.share_negative(),
        })
        .collect();
    MapView { who, label, group, n_cards: cards.len(), counts, hot_spots: hot_spots(&valence), valence }
}

pub(super) fn tallies(touchpoints: &[Choice], cards: &[&CardRow]) -> Vec<Tally> {
    let mut tallies = vec![Tally::default(); touchpoints.len()];
    for card in cards {
        if let Some(row) = touchpoints.iter().position(|t| t.id == card.touchpoint) {
            tallies[row].add(card.valence);
        }
    }
    tallies
}

/// Touchpoints with at least one negative card, by share negative, then count, then journey order.
fn hot_spots(valence: &[TouchpointValence]) -> Vec<HotSpot> {
    let mut spots: Vec<HotSpot> = valence
        .iter()
        .filter(|row| row.tally.negative > 0)
        .map(|row| HotSpot {
            touchpoint: row.touchpoint.clone(),
            label: row.label.clone(),
            negative: row.tally.negative,
            valenced: row.tally.valenced(),
            share_negative: row.share_negative.unwrap_or(0.0),
        })
        .collect();
    // A stable sort keeps journey order among equals.
    spots.sort_by(|a, b| b.share_negative.total_cmp(&a.share_negative).then_with(|| b.negative.cmp(&a.negative)));
    spots.truncate(HOT_SPOTS);
    spots
}

/// Pairs two tallies per touchpoint, where they differ most first; touchpoints one side did not rate come last.
pub(super) fn compare(touchpoints: &[Choice], first: &[Tally], second: &[Tally]) -> Vec<Comparison> {
    let mut comparisons: Vec<Comparison> = touchpoints
        .iter()
        .zip(first.iter().zip(second))
        .map(|(touchpoint, (first, second))| Comparison {
            touchpoint: touchpoint.id.clone(),
            label: touchpoint.label.clone(),
            first: *first,
            second: *second,
            gap: first.share_negative().zip(second.share_negative()).map(|(a, b)| a - b),
        })
        .collect();
    comparisons.sort_by(|a, b| match (a.gap, b.gap) {
        (Some(a), Some(b)) => b.abs().total_cmp(&a.abs()),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    });
    comparisons
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insights::fixtures::*;

    fn the_map(dataset: &Dataset) -> EmotionMapInsight {
        emotion_maps(dataset).into_iter().next().expect("the scripted room has a map")
    }

    fn view<'a>(map: &'a EmotionMapInsight, label: &str) -> &'a MapView {
        map.views.iter().find(|view| view.label == label).unwrap_or_else(|| panic!("no view {label}"))
    }

    #[test]
    fn counts_cards_by_touchpoint_and_emotion_for_everyone_and_each_perspective() {
        let map = the_map(&scripted_room());
        let columns: Vec<&str> = map.columns.iter().map(|c| c.label.as_str()).collect();
        // "safe" was never chosen, so it is not a column; own words come last.
        assert_eq!(columns, ["happy", "ok", "anxious", "frustrated", "Own word"]);
        assert_eq!((map.n_cards, map.n_hidden), (11, 1));

        // Rows B, W, G; columns as above.
        let check = |label: &str, expected: [[usize; 5]; 3]| {
            assert_eq!(view(&map, label).counts, expected.map(Vec::from).to_vec(), "{label}");
        };
        check("Everyone", [[1, 0, 1, 3, 0], [1, 1, 2, 0, 0], [1, 0, 0, 0, 1]]);
        check("People using services and carers", [[0, 0, 1, 2, 0], [1, 1, 1, 0, 0], [0, 0, 0, 0, 0]]);
        check("Staff and professionals", [[1, 0, 0, 1, 0], [0, 0, 1, 0, 0], [1, 0, 0, 0, 0]]);
        check("Perspective not given", [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 1]]);
        check("Person using services", [[0, 0, 1, 1, 0], [1, 1, 0, 0, 0], [0, 0, 0, 0, 0]]);
        check("Family carer", [[0, 0, 0, 1, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0, 0]]);
        check("Member of staff", [[1, 0, 0, 1, 0], [0, 0, 1, 0, 0], [1, 0, 0, 0, 0]]);
        let labels: Vec<&str> = map.views.iter().map(|v| v.label.as_str()).collect();
        assert_eq!(labels.len(), 7, "{labels:?}");
    }

    #[test]
    fn net_valence_and_share_negative_leave_own_words_out_of_the_base() {
        let map = the_map(&scripted_room());
        // (view, [(net, share negative)] for B, W, G)
        let check = |label: &str, expected: [(i64, Option<f64>); 3]| {
            let actual: Vec<(i64, Option<f64>)> =
                view(&map, label).valence.iter().map(|row| (row.net, row.share_negative)).collect();
            assert_eq!(actual, expected, "{label}");
        };
        check("Everyone", [(-3, Some(0.8)), (-1, Some(0.5)), (1, Some(0.0))]);
        check("People using services and carers", [(-3, Some(1.0)), (0, Some(1.0 / 3.0)), (0, None)]);
        check("Staff and professionals", [(0, Some(0.5)), (-1, Some(1.0)), (1, Some(0.0))]);
        check("Perspective not given", [(0, None), (0, None), (0, None)]);
    }

    #[test]
    fn names_the_hot_spots_overall_and_per_group() {
        let map = the_map(&scripted_room());
        let check = |label: &str, expected: &[(&str, usize, usize)]| {
            let actual: Vec<(&str, usize, usize)> =
                view(&map, label).hot_spots.iter().map(|s| (s.touchpoint.as_str(), s.negative, s.valenced)).collect();
            assert_eq!(actual, expected, "{label}");
        };
        check("Everyone", &[("B", 4, 5), ("W", 2, 4)]);
        check("People using services and carers", &[("B", 3, 3), ("W", 1, 3)]);
        check("Staff and professionals", &[("W", 1, 1), ("B", 1, 2)]);
        check("Perspective not given", &[]);
    }

    #[test]
    fn ranks_hot_spots_by_share_then_count_then_journey_order_and_keeps_three() {
        let check = |tallies: &[(usize, usize)], expected: &[&str]| {
            let rows: Vec<TouchpointValence> = tallies
                .iter()
                .enumerate()
                .map(|(i, (negative, positive))| {
                    let tally = Tally { negative: *negative, positive: *positive, ..Tally::default() };
                    TouchpointValence {
                        touchpoint: format!("t{i}"),
                        label: format!("t{i}"),
                        tally,
                        net: tally.net(),
                        share_negative: tally.share_negative(),
                    }
                })
                .collect();
            let actual: Vec<String> = hot_spots(&rows).into_iter().map(|s| s.touchpoint).collect();
            assert_eq!(actual, expected, "{tallies:?}");
        };
        // (negative, positive) per touchpoint.
        check(&[(1, 1), (2, 2), (0, 5)], &["t1", "t0"]);
        check(&[(1, 0), (1, 0), (3, 1)], &["t0", "t1", "t2"]);
        // t2 and t4 are both half bad: t4 has more bad cards; t0 is a quarter, and only three are kept.
        check(&[(1, 3), (2, 0), (1, 1), (3, 0), (5, 5)], &["t3", "t1", "t4"]);
        check(&[(0, 0), (0, 2)], &[]);
    }

    #[test]
    fn compares_people_with_staff_where_they_differ_most() {
        let map = the_map(&scripted_room());
        let actual: Vec<(&str, Option<i64>)> = map
            .people_vs_staff
            .iter()
            .map(|c| (c.touchpoint.as_str(), c.gap.map(|gap| (gap * 1000.0).round() as i64)))
            .collect();
        // W: 1 of 3 against 1 of 1; B: 3 of 3 against 1 of 2; G: no card of known valence from people.
        assert_eq!(actual, [("W", Some(-667)), ("B", Some(500)), ("G", None)]);
    }

    #[test]
    fn lists_own_words_and_notes_without_hidden_cards() {
        let map = the_map(&scripted_room());
        assert_eq!(map.own_words, [WordCount { word: "rushed".to_owned(), count: 1 }]);
        let notes: Vec<(&str, &str, Option<&str>, &str)> = map
            .notes
            .iter()
            .map(|n| (n.touchpoint.as_str(), n.word.as_str(), n.perspective.as_deref(), n.note.as_str()))
            .collect();
        assert_eq!(
            notes,
            [("B", "anxious", Some("Person using services"), SCRIPT_NOTE), ("G", "Rushed", None, "Felt rushed")]
        );
    }
}
