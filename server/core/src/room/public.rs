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
    /// The touchstone words on the board, as given (trimmed), in the order they were given.
    pub touchstones: Vec<String>,
    /// The votes whose results the facilitator revealed, in the order of the event.
    pub votes: Vec<RevealedVote>,
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
        let touchstones = contributions::<_, Touchstone>(&txn, &BTreeMap::new(), &BTreeMap::new())
            .into_iter()
            .filter(|touchstone| !touchstone.contribution.header.hidden)
            .map(|touchstone| touchstone.contribution.word.trim().to_owned())
            .filter(|word| !word.is_empty())
            .collect();
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

/// Scores compared, a scored option before an unscored one.
fn by_score(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => Ordering::Equal,
    }
}
