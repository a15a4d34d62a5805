//! What anyone may read of a room once its event is over, for the page people keep
//! ("You said, we did"): the room's title, the touchstone words, and the votes' results as
//! the facilitator revealed them.
//!
//! It is read from the board alone, never the ledger, so nothing the server keeps to itself
//! (who gave what, ballots, profiles, contacts) can reach the page by mistake; and from the
//! board only what every phone in the room could already see: contributions a facilitator
//! hid (late ones included, which arrive hidden) are left out, held ones are not on the board,
//! erased ones are gone from it, and a vote's results are on the board only while revealed.
//! No count of people by group is here: a vote's options carry their dots and mean score.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use yrs::{Doc, Transact};

use super::contribution::Touchstone;
use super::layout::{ActivityKind, board};
use super::record::{RoomDescription, activities, contributions, root};

/// A room as its public page shows it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PublicRoom {
    pub title: String,
    pub programme: Option<String>,
    /// The touchstone words on the board, folded as the projector's word cloud folds them.
    pub touchstones: Vec<WordGiven>,
    /// The votes whose results the facilitator revealed, in the order of the event.
    pub votes: Vec<RevealedVote>,
}

/// A touchstone word and how many gave it, shown as most of them spelled it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordGiven {
    pub word: String,
    pub count: usize,
}

/// One revealed vote: its options, the most chosen first.
#[derive(Debug, Clone, PartialEq)]
pub struct RevealedVote {
    pub title: String,
    pub options: Vec<ChosenOption>,
}

/// One option of a revealed vote and how it was chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct ChosenOption {
    pub label: String,
    /// Dots given to it, on phones and paper; 0 where the vote has no dots.
    pub dots: u64,
    /// Its mean score from 1 to 5, where the vote asked for scores and someone gave one.
    pub mean_score: Option<f64>,
}

impl PublicRoom {
    /// Reads a room's board.
    pub fn read(board: &Doc) -> Self {
        let txn = board.transact();
        let room: RoomDescription = root(&txn, board::ROOM);
        let words: Vec<String> = contributions::<_, Touchstone>(&txn, &BTreeMap::new(), &BTreeMap::new())
            .into_iter()
            .filter(|touchstone| !touchstone.contribution.header.hidden)
            .map(|touchstone| touchstone.contribution.word)
            .collect();
        let touchstones = fold(words.iter().map(String::as_str));
        let votes = activities(&txn)
            .into_iter()
            .filter(|activity| activity.kind == ActivityKind::Vote && activity.revealed)
            .filter_map(|activity| {
                let results = activity.results?;
                let mut options: Vec<ChosenOption> = activity
                    .choices
                    .iter()
                    .map(|choice| {
                        let result = results.get(&choice.id);
                        ChosenOption {
                            label: choice.label.clone(),
                            dots: result.map_or(0, |result| result.dots),
                            mean_score: result.and_then(|result| result.mean_score),
                        }
                    })
                    .collect();
                // Stable: options that tie stay in the event's order.
                options.sort_by(|a, b| b.dots.cmp(&a.dots).then_with(|| by_score(b.mean_score, a.mean_score)));
                Some(RevealedVote { title: activity.title, options })
            })
            .collect();
        PublicRoom { title: room.title, programme: room.programme, touchstones, votes }
    }
}

/// Words counted case-blind, each shown as most people spelled it (on a tie, capitals first),
/// the most given first, then alphabetically: what the projector's word cloud showed the room.
fn fold<'a>(words: impl Iterator<Item = &'a str>) -> Vec<WordGiven> {
    let mut spellings: BTreeMap<String, BTreeMap<&'a str, usize>> = BTreeMap::new();
    for word in words.map(str::trim).filter(|word| !word.is_empty()) {
        *spellings.entry(word.to_lowercase()).or_default().entry(word).or_default() += 1;
    }
    let mut folded: Vec<WordGiven> = spellings
        .into_values()
        .filter_map(|spelled| {
            let count = spelled.values().sum();
            // The map is in code-point order, capitals first; the first of the most frequent wins.
            let most = spelled.values().copied().max()?;
            let (word, _) = spelled.into_iter().find(|(_, n)| *n == most)?;
            Some(WordGiven { word: word.to_owned(), count })
        })
        .collect();
    folded.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.word.to_lowercase().cmp(&b.word.to_lowercase())));
    folded
}

/// Scores compared, a scored option before an unscored one.
fn by_score(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(words: &[&str], expected: &[(&str, usize)]) {
        let folded: Vec<(String, usize)> =
            fold(words.iter().copied()).into_iter().map(|given| (given.word, given.count)).collect();
        let expected: Vec<(String, usize)> = expected.iter().map(|(word, n)| ((*word).to_owned(), *n)).collect();
        assert_eq!(folded, expected, "{words:?}");
    }

    #[test]
    fn words_fold_as_the_word_cloud_folds_them() {
        check(&[], &[]);
        check(&[" ", ""], &[]);
        check(&["kindness", "Kindness", "Kindness "], &[("Kindness", 3)]);
        // A tie between spellings: capitals first.
        check(&["time", "Time"], &[("Time", 2)]);
        // The most given first, then alphabetically whatever the case.
        check(&["hope", "Time", "time", "Being listened to"], &[("Time", 2), ("Being listened to", 1), ("hope", 1)]);
    }
}
