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

use yrs::{Any, BranchID, Doc, Map, MapRef, Out, ReadTxn, StateVector, Transact, Update};

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
    /// Pledge contacts given with consent, by pledge id: the only personal data of a follow-up.
    pub const CONTACTS: &str = "contacts";
    /// Each pledge follow-up (`{due, status}`), by pledge id; it outlives its contact.
    pub const FOLLOW_UPS: &str = "follow_ups";
    /// Every read and deletion of contacts (Y.Array of `{at, action, by, contacts}`), never a contact.
    pub const CONTACT_AUDIT: &str = "contact_audit";
    /// The answers of intents already applied, by `actor/key`, for idempotent retries.
    pub const INTENTS: &str = "intents";
    /// Contributions waiting for the facilitator, or turned down, by id: never on the board.
    pub const HELD: &str = "held";
    /// The room's helper key: `generation`, the number of times it was rotated (absent: 0).
    pub const HELPER: &str = "helper";
    /// What a helper key typed in (contributions and paper ballots, by the id its entry
    /// answered with) → the key's generation: a helper reads and takes back only its own.
    pub const HELPER_ENTRIES: &str = "helper_entries";
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
    for root in board_maps() {
        faults_under(board, root, &mut faults);
    }
    faults
}

/// The faults under one root of the board; a root the layout leaves open has none.
fn faults_under<T: ReadTxn>(board: &T, root: &str, faults: &mut BTreeSet<String>) {
    let Some(map) = board.get_map(root) else { return };
    if root == board::ROOM {
        check_keys(board, &map, board::ROOM, room_shape, faults);
    } else if root == board::ACTIVITIES {
        for (id, activity) in map.iter(board) {
            let place = format!("{root}.{id}");
            match activity {
                Out::YMap(activity) => check_keys(board, &activity, &place, activity_shape, faults),
                _ => {
                    faults.insert(place);
                }
            }
        }
    } else if Collection::ALL.iter().any(|collection| collection.root() == root) {
        for (id, contribution) in map.iter(board) {
            let fits = matches!(&contribution, Out::Any(any @ Any::Map(_)) if from_any::<Header>(any).is_ok());
            if !fits {
                faults.insert(format!("{root}.{id}"));
            }
        }
    }
}

/// Checks the facilitator's updates against the layout before the board takes them.
///
/// A change applied to the board cannot be taken back, so each update is tried on a copy of the
/// board kept beside it, which follows every change the board takes: an update costs its own
/// size twice, not the board's, and only the roots it changed are checked. The copy is made at
/// the first update (most rooms never get one: the stock console writes only through intents)
/// and made again after a refusal, since it holds the refused update.
#[derive(Debug, Default)]
pub struct LayoutGuard {
    copy: Option<Doc>,
}

impl LayoutGuard {
    /// The first place where `update`, applied to `board`, would leave the board departing from
    /// its layout where it did not before; `None` if it keeps the layout (or cannot be applied,
    /// which the room finds out for itself). A board damaged before (an old stored room) keeps
    /// its faults without blocking every later write, and a write that mends one is welcome.
    pub fn check(&mut self, board: &Doc, update: &[u8]) -> Option<String> {
        let copy = self.copy.get_or_insert_with(|| copy_of(board));
        let touched = match apply(copy, update) {
            Some(touched) => touched,
            None => {
                self.copy = None;
                return None;
            }
        };
        let mut after = BTreeSet::new();
        for root in &touched {
            faults_under(&copy.transact(), root, &mut after);
        }
        if after.is_empty() {
            return None;
        }
        let mut before = BTreeSet::new();
        for root in &touched {
            faults_under(&board.transact(), root, &mut before);
        }
        let fault = after.into_iter().find(|fault| !before.contains(fault));
        if fault.is_some() {
            self.copy = None;
        }
        fault
    }

    /// A change the board took another way (an intent's): the copy takes it too.
    pub fn follow(&mut self, update: &[u8]) {
        if let Some(copy) = &self.copy
            && apply(copy, update).is_none()
        {
            self.copy = None;
        }
    }
}

/// A copy of the board as it stands.
fn copy_of(board: &Doc) -> Doc {
    let copy = Doc::new();
    // Typed as maps, the layout's roots report their changes (an untyped root reports none).
    for root in board_maps() {
        copy.get_or_insert_map(root);
    }
    let state = board.transact().encode_state_as_update_v1(&StateVector::default());
    if let Ok(state) = Update::decode_v1(&state) {
        // The board's own state always applies to an empty document.
        let _ = copy.transact_mut().apply_update(state);
    }
    copy
}

/// Applies `update` to `doc` and returns the names of the roots it changed; `None` if it does not apply.
fn apply(doc: &Doc, update: &[u8]) -> Option<BTreeSet<String>> {
    let update = Update::decode_v1(update).ok()?;
    let mut txn = doc.transact_mut();
    txn.apply_update(update).ok()?;
    // Committing lists each changed type with its ancestors, roots included.
    txn.commit();
    let roots = txn.changed_parent_types().iter().filter_map(|branch| match branch.id() {
        BranchID::Root(name) => Some(name.to_string()),
        BranchID::Nested(_) => None,
    });
    Some(roots.collect())
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
