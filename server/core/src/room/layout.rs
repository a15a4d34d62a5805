//! The names the room's two documents are laid out under, in one place.
//!
//! Every root of the board and the ledger, the collections contributions
//! live in, the stages of an activity and the kinds of activity are named
//! here and nowhere else, so a misspelt root or kind is a compile error
//! rather than an empty read. The board's layout is documented in
//! `server/core/ROOM-DOCUMENT.md`, and [`board_faults`] says where a board
//! departs from it: the facilitator's client writes the board directly, and
//! the server reads what it wrote.

use std::collections::{BTreeMap, BTreeSet};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use yrs::updates::decoder::Decode;
use yrs::{Any, Doc, Map, MapRef, Out, ReadTxn, StateVector, Transact, Update};

use super::contribution::Header;
use super::value::from_any;
use super::view::VoteResults;
use crate::template::{Board, Choice, Emotion, Persona, Perspective, Segment};

/// The roots of the board, the document every client syncs.
pub mod board {
    /// The room's title, perspectives, segments, current activity and timer (Y.Map).
    pub const ROOM: &str = "room";
    /// One Y.Map per activity, by activity id.
    pub const ACTIVITIES: &str = "activities";
    /// Counts of who joined, by perspective and group.
    pub const PARTICIPATION: &str = "participation";
    /// The facilitator's actions, in order (Y.Array).
    pub const AUDIT: &str = "audit";
    /// Named snapshots of the board: name → `{at}`.
    pub const SNAPSHOTS: &str = "snapshots";
}

/// Every root of the board that is a Y.Map (all but the audit trail), for a reader of the whole board.
pub fn board_maps() -> impl Iterator<Item = &'static str> {
    [board::ROOM, board::ACTIVITIES, board::PARTICIPATION, board::SNAPSHOTS]
        .into_iter()
        .chain(Collection::ALL.into_iter().map(Collection::root))
}

/// The roots of the ledger, the document that never leaves the server.
pub mod ledger {
    /// Each participant's profile, by participant id.
    pub const PARTICIPANTS: &str = "participants";
    /// Who each contribution is from and where it lives, by contribution id.
    pub const OWNERS: &str = "owners";
    /// Dots, keyed by [`super::ballot_key`].
    pub const BALLOTS: &str = "ballots";
    /// Scores from 1 to 5, keyed as ballots are.
    pub const SCORES: &str = "scores";
    /// Who each paper ballot is from (`{perspective?, role?}`), by its key in `BALLOTS` and `SCORES`.
    pub const PAPER_BALLOTS: &str = "paper_ballots";
    /// Pledge contacts given with consent, by pledge id.
    pub const CONTACTS: &str = "contacts";
    /// The answers of intents already applied, by `actor/key`, for idempotent retries.
    pub const INTENTS: &str = "intents";
    /// Contributions waiting for the facilitator, or turned down, by id: never on the board.
    pub const HELD: &str = "held";
    /// Participants who erased themselves (`true`, by participant id): their tokens, which are
    /// signed and not stored, open nothing any more. An id links to nothing once its owner is erased.
    pub const ERASED: &str = "erased";
}

/// The owner recorded for a contribution a facilitator typed in from paper: it is nobody's.
pub const ASSISTED_OWNER: &str = "assisted";

/// The ledger key of a participant's (or a paper voter's) ballot and scores in a vote.
pub fn ballot_key(activity: &str, voter: &str) -> String {
    format!("{activity}:{voter}")
}

/// The voter part of a paper ballot's key: it has an id of its own, never a participant's.
pub fn paper_voter(id: &str) -> String {
    format!("paper.{id}")
}

/// Splits a ballot key into its activity and voter.
pub fn split_ballot_key(key: &str) -> Option<(&str, &str)> {
    key.split_once(':')
}

/// Where each kind of contribution lives on the board (serialised as its root's name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Collection {
    Cards,
    Ideas,
    PathNotes,
    Pledges,
    Touchstones,
    Feedback,
}

impl Collection {
    pub const ALL: [Collection; 6] = [
        Collection::Cards,
        Collection::Ideas,
        Collection::PathNotes,
        Collection::Pledges,
        Collection::Touchstones,
        Collection::Feedback,
    ];

    /// The board root that holds this collection.
    pub fn root(self) -> &'static str {
        match self {
            Collection::Cards => "cards",
            Collection::Ideas => "ideas",
            Collection::PathNotes => "path_notes",
            Collection::Pledges => "pledges",
            Collection::Touchstones => "touchstones",
            Collection::Feedback => "feedback",
        }
    }
}

/// The state of an activity, as the board shows it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    #[default]
    Pending,
    Open,
    Locked,
}

impl Stage {
    /// The word for this stage on the board.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Pending => "pending",
            Stage::Open => "open",
            Stage::Locked => "locked",
        }
    }
}

/// The kinds of activity a template may hold; the same words on the board and in templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    EmotionMap,
    Vote,
    Path,
    Pledge,
    Ideas,
    Feedback,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 6] = [
        ActivityKind::EmotionMap,
        ActivityKind::Vote,
        ActivityKind::Path,
        ActivityKind::Pledge,
        ActivityKind::Ideas,
        ActivityKind::Feedback,
    ];

    /// The word for this kind in templates and on the board.
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::EmotionMap => "emotion_map",
            ActivityKind::Vote => "vote",
            ActivityKind::Path => "path",
            ActivityKind::Pledge => "pledge",
            ActivityKind::Ideas => "ideas",
            ActivityKind::Feedback => "feedback",
        }
    }

    /// The kind a word names, if any.
    pub fn parse(word: &str) -> Option<Self> {
        ActivityKind::ALL.into_iter().find(|kind| kind.as_str() == word)
    }

    /// The key of the editable list of choices on an activity of this kind, if it has one.
    pub fn choices_key(self) -> Option<&'static str> {
        match self {
            ActivityKind::EmotionMap => Some("touchpoints"),
            ActivityKind::Vote => Some("options"),
            ActivityKind::Path => Some("sections"),
            ActivityKind::Pledge | ActivityKind::Ideas | ActivityKind::Feedback => None,
        }
    }
}

impl std::fmt::Display for ActivityKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every place where `board` departs from the documented layout, each named as
/// `root.key`, `activities.<id>.key` or `<collection>.<id>`.
///
/// Only the values the layout fixes are checked, and only their type: a key the
/// layout does not name, or a value missing, is no fault (readers take the default).
pub fn board_faults<T: ReadTxn>(board: &T) -> BTreeSet<String> {
    let mut faults = BTreeSet::new();
    if let Some(room) = board.get_map(board::ROOM) {
        check_keys(board, &room, board::ROOM, room_shape, &mut faults);
    }
    if let Some(activities) = board.get_map(board::ACTIVITIES) {
        for (id, activity) in activities.iter(board) {
            let place = format!("{}.{id}", board::ACTIVITIES);
            match activity {
                Out::YMap(activity) => check_keys(board, &activity, &place, activity_shape, &mut faults),
                _ => {
                    faults.insert(place);
                }
            }
        }
    }
    for collection in Collection::ALL {
        let Some(contributions) = board.get_map(collection.root()) else { continue };
        for (id, contribution) in contributions.iter(board) {
            let fits = matches!(&contribution, Out::Any(any @ Any::Map(_)) if from_any::<Header>(any).is_ok());
            if !fits {
                faults.insert(format!("{}.{id}", collection.root()));
            }
        }
    }
    faults
}

/// The first place where `update`, applied to `board`, would leave the board departing from its
/// layout where it did not before; `None` if it keeps the layout (or cannot be applied at all,
/// which the room finds out for itself).
///
/// The update is applied to a copy of the board, since a change applied to the board itself
/// cannot be taken back. A board damaged before (an old stored room) keeps its faults without
/// blocking every later write.
pub fn layout_broken_by(board: &Doc, update: &[u8]) -> Option<String> {
    let copy = Doc::new();
    {
        let state = board.transact().encode_state_as_update_v1(&StateVector::default());
        let mut txn = copy.transact_mut();
        txn.apply_update(Update::decode_v1(&state).ok()?).ok()?;
        txn.apply_update(Update::decode_v1(update).ok()?).ok()?;
    }
    let after = board_faults(&copy.transact());
    if after.is_empty() {
        return None;
    }
    let before = board_faults(&board.transact());
    after.into_iter().find(|fault| !before.contains(fault))
}

/// A test of whether a plain value has the shape the layout gives its key.
type Shape = fn(&Any) -> bool;

/// Checks each key of `map` that `shape_of` gives a shape; other keys are open.
fn check_keys<T: ReadTxn>(
    board: &T,
    map: &MapRef,
    place: &str,
    shape_of: fn(&str) -> Option<Shape>,
    faults: &mut BTreeSet<String>,
) {
    for (key, value) in map.iter(board) {
        let Some(fits) = shape_of(key) else { continue };
        if !matches!(&value, Out::Any(any) if fits(any)) {
            faults.insert(format!("{place}.{key}"));
        }
    }
}

/// Whether `any` reads as a `T`.
fn is<T: DeserializeOwned>(any: &Any) -> bool {
    from_any::<T>(any).is_ok()
}

/// The shapes the layout gives the keys of the `room` map.
fn room_shape(key: &str) -> Option<Shape> {
    Some(match key {
        "title" | "template" => is::<String>,
        "programme" | "current" => is::<Option<String>>,
        "perspectives" => is::<Vec<Perspective>>,
        "segments" => is::<Vec<Segment>>,
        "timer" => is::<Option<BTreeMap<String, u64>>>,
        _ => return None,
    })
}

/// The shapes the layout gives the keys of an activity's map.
fn activity_shape(key: &str) -> Option<Shape> {
    Some(match key {
        "id" | "title" | "prompt" | "touchstone_prompt" => is::<String>,
        "kind" => is::<ActivityKind>,
        "state" => is::<Stage>,
        "board" => is::<Board>,
        "order" | "held_version" | "tally_version" | "budget" | "max_per_option" => is::<Option<u32>>,
        "revealed" | "moderated" | "own_word" | "hide_counts" | "comments" | "touchstones" | "scale" => is::<bool>,
        "touchpoints" | "options" | "sections" => is::<Vec<Choice>>,
        "emotions" => is::<Vec<Emotion>>,
        "personas" => is::<Vec<Persona>>,
        "results" => is::<VoteResults>,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_serialise_as_the_document_spells_them() {
        for kind in ActivityKind::ALL {
            assert_eq!(serde_json::to_value(kind).expect("a kind serialises"), kind.as_str());
            assert_eq!(ActivityKind::parse(kind.as_str()), Some(kind));
        }
        for collection in Collection::ALL {
            assert_eq!(serde_json::to_value(collection).expect("a collection serialises"), collection.root());
        }
        assert_eq!(serde_json::to_value(Stage::Locked).expect("a stage serialises"), "locked");
        assert_eq!(split_ballot_key(&ballot_key("options", &paper_voter("x1"))), Some(("options", "paper.x1")));
    }
}
