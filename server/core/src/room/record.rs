//! A whole room, read as typed records for after-event analysis.
//!
//! [`RoomRecord::read`] is the one reader of a room's documents outside the
//! rules: the room's description, its activities as they ended, every
//! contribution with its author (those held for the facilitator's approval
//! too, marked hidden, with their moderation [`Status`]), profiles by pseudonymous participant id,
//! ballots, scores, paper ballots and named snapshots. Reading is lenient:
//! a value that does not fit becomes its default, so an export never fails
//! on one odd entry. Participant ids stay here; labelling them for an export
//! is the analysis' business.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use yrs::types::ToJson;
use yrs::{Map, Out, ReadTxn, Transact};

use super::contribution::{Card, Contributed, Feedback, Idea, Owner, PathNote, Pledge, Touchstone};
use super::docs::RoomDocs;
use super::holds::{Held, Status, held_entries};
use super::intent::{OnBehalfOf, Profile};
use super::layout::{ActivityKind, Stage, board, ledger, split_ballot_key};
use super::value::{from_any, from_any_or_default};
use super::view::VoteResults;
use crate::template::{Board, Choice, Emotion, Perspective, Segment};

/// Everything a room holds, typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoomRecord {
    pub room: RoomDescription,
    /// In the order of the event.
    pub activities: Vec<ActivityRecord>,
    /// Each collection in the order its contributions were made (by time, then id).
    pub cards: Vec<Authored<Card>>,
    pub ideas: Vec<Authored<Idea>>,
    pub path_notes: Vec<Authored<PathNote>>,
    pub pledges: Vec<Authored<Pledge>>,
    pub touchstones: Vec<Authored<Touchstone>>,
    pub feedback: Vec<Authored<Feedback>>,
    /// Each participant's profile, by their pseudonymous id.
    pub profiles: BTreeMap<String, Profile>,
    /// Dots, one ballot per voter and vote.
    pub ballots: Vec<Ballot<u32>>,
    /// Scores from 1 to 5, one set per voter and vote.
    pub scores: Vec<Ballot<u8>>,
    /// Who each paper ballot is from, by its ledger key (as [`Ballot::key`]).
    pub paper_ballots: BTreeMap<String, OnBehalfOf>,
    /// Named snapshots of the board: name → when it was taken.
    pub snapshots: BTreeMap<String, u64>,
    /// The contributions held back from the board (waiting, or turned down), by id: `held` or `rejected`.
    pub held: BTreeMap<String, Status>,
}

/// The room as its board describes it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct RoomDescription {
    pub title: String,
    pub programme: Option<String>,
    pub template: Option<String>,
    pub perspectives: Vec<Perspective>,
    pub segments: Vec<Segment>,
}

/// One activity as it stood at the end.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityRecord {
    pub id: String,
    pub kind: ActivityKind,
    pub title: String,
    pub order: i64,
    pub state: Stage,
    /// Emotion maps: the experience as it is or as people want it.
    pub board: Option<Board>,
    /// Touchpoints, options or sections, as they stood at the end.
    pub choices: Vec<Choice>,
    pub emotions: Vec<Emotion>,
    pub budget: Option<u32>,
    pub revealed: bool,
    /// Votes: the results as the board shows them, which it does only while they are revealed.
    pub results: Option<VoteResults>,
}

/// A contribution and the participant it is from; `None` for a paper contribution.
#[derive(Debug, Clone, PartialEq)]
pub struct Authored<T> {
    pub contribution: T,
    pub author: Option<String>,
}

/// One voter's dots or scores in one vote.
#[derive(Debug, Clone, PartialEq)]
pub struct Ballot<V> {
    /// Its key in the ledger, which `paper_ballots` shares.
    pub key: String,
    pub activity: String,
    /// A participant's id, or a paper ballot's own.
    pub voter: String,
    /// Option id → dots or score.
    pub values: BTreeMap<String, V>,
}

/// An activity as stored, before its kind picks its list of choices.
#[derive(Deserialize)]
struct StoredActivity {
    kind: ActivityKind,
    #[serde(default)]
    id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    order: i64,
    #[serde(default)]
    state: Stage,
    #[serde(default)]
    board: Option<Board>,
    #[serde(default)]
    touchpoints: Vec<Choice>,
    #[serde(default)]
    options: Vec<Choice>,
    #[serde(default)]
    sections: Vec<Choice>,
    #[serde(default)]
    emotions: Vec<Emotion>,
    #[serde(default)]
    budget: Option<u32>,
    #[serde(default)]
    revealed: bool,
    #[serde(default)]
    results: Option<VoteResults>,
}

impl RoomRecord {
    /// Reads both documents of a room.
    pub fn read(docs: &RoomDocs) -> Self {
        let board = docs.board.transact();
        let ledger = docs.ledger.transact();
        // Each owner on its own: one odd entry must not make every contribution anonymous.
        let owners: BTreeMap<String, yrs::Any> = root(&ledger, ledger::OWNERS);
        let owners: BTreeMap<String, Owner> =
            owners.into_iter().filter_map(|(id, owner)| from_any(&owner).ok().map(|owner| (id, owner))).collect();
        let snapshots: BTreeMap<String, SnapshotAt> = root(&board, board::SNAPSHOTS);
        let held = held_entries(&ledger);
        RoomRecord {
            room: root(&board, board::ROOM),
            activities: activities(&board),
            cards: contributions(&board, &owners, &held),
            ideas: contributions(&board, &owners, &held),
            path_notes: contributions(&board, &owners, &held),
            pledges: contributions(&board, &owners, &held),
            touchstones: contributions(&board, &owners, &held),
            feedback: contributions(&board, &owners, &held),
            profiles: root(&ledger, ledger::PARTICIPANTS),
            ballots: ballots(&ledger, ledger::BALLOTS),
            scores: ballots(&ledger, ledger::SCORES),
            paper_ballots: root(&ledger, ledger::PAPER_BALLOTS),
            snapshots: snapshots.into_iter().map(|(name, snapshot)| (name, snapshot.at)).collect(),
            held: held.iter().map(|(id, entry)| (id.clone(), entry.status())).collect(),
        }
    }
}

/// A named snapshot's entry on the board.
#[derive(Default, Deserialize)]
struct SnapshotAt {
    #[serde(default)]
    at: u64,
}

/// A root map read whole as one typed value.
pub(super) fn root<T: ReadTxn, V: DeserializeOwned + Default>(txn: &T, name: &str) -> V {
    txn.get_map(name).map(|map| from_any_or_default(&map.to_json(txn))).unwrap_or_default()
}

pub(super) fn activities<T: ReadTxn>(board: &T) -> Vec<ActivityRecord> {
    let stored: BTreeMap<String, yrs::Any> = root(board, board::ACTIVITIES);
    let mut activities: Vec<ActivityRecord> = stored
        .values()
        .filter_map(|any| super::value::from_any::<StoredActivity>(any).ok())
        .map(|a| {
            let choices = match a.kind {
                ActivityKind::EmotionMap => a.touchpoints,
                ActivityKind::Vote => a.options,
                ActivityKind::Path => a.sections,
                ActivityKind::Pledge | ActivityKind::Ideas | ActivityKind::Feedback => Vec::new(),
            };
            ActivityRecord {
                id: a.id,
                kind: a.kind,
                title: a.title,
                order: a.order,
                state: a.state,
                board: a.board,
                choices,
                emotions: a.emotions,
                budget: a.budget,
                revealed: a.revealed,
                results: a.results,
            }
        })
        .collect();
    activities.sort_by_key(|activity| activity.order);
    activities
}

/// A collection's contributions on the board and held back from it; the held ones are marked
/// hidden, so whatever leaves hidden contributions out leaves them out too.
pub(super) fn contributions<T: ReadTxn, C: Contributed>(
    board: &T,
    owners: &BTreeMap<String, Owner>,
    held: &BTreeMap<String, Held>,
) -> Vec<Authored<C>> {
    let on_board = board.get_map(C::COLLECTION.root()).into_iter().flat_map(|map| {
        map.iter(board)
            .filter_map(|(id, value)| match value {
                Out::Any(any) => Some((id.to_owned(), from_any_or_default::<C>(&any))),
                _ => None,
            })
            .collect::<Vec<_>>()
    });
    let held_back = held.iter().filter(|(_, entry)| entry.collection == C::COLLECTION).map(|(id, entry)| {
        let mut contribution: C = serde_json::from_value(entry.contribution.clone()).unwrap_or_default();
        contribution.header_mut().hidden = true;
        (id.clone(), contribution)
    });
    let mut all: Vec<C> = on_board
        .chain(held_back)
        .map(|(id, mut contribution)| {
            contribution.header_mut().id = id;
            contribution
        })
        .collect();
    all.sort_by(|a, b| (a.header().at, &a.header().id).cmp(&(b.header().at, &b.header().id)));
    all.into_iter()
        .map(|contribution| {
            let author = owners.get(&contribution.header().id).and_then(Owner::participant).map(str::to_owned);
            Authored { contribution, author }
        })
        .collect()
}

/// Every ballot (or set of scores) in a ledger root.
fn ballots<T: ReadTxn, V: DeserializeOwned>(ledger: &T, name: &str) -> Vec<Ballot<V>> {
    let all: BTreeMap<String, BTreeMap<String, V>> = root(ledger, name);
    all.into_iter()
        .filter_map(|(key, values)| {
            let (activity, voter) = split_ballot_key(&key)?;
            let (activity, voter) = (activity.to_owned(), voter.to_owned());
            Some(Ballot { key, activity, voter, values })
        })
        .collect()
}
