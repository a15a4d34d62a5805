//! The room's helper key, as far as the room keeps it, and what helpers typed in.
//!
//! Table hosts type in paper cards and sticky-dot ballots with the room's
//! helper key, which `identity` derives from the server's secret and the
//! key's generation; the key itself is never stored. The room keeps the
//! generation (ledger `helper`): rotating the key moves it on, and every
//! older key opens nothing from that moment. It also keeps which entries
//! each generation typed in (ledger `helper_entries`), so a helper reads and
//! takes back its own entries and no one else's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yrs::{Map, Out, ReadTxn, Transact, WriteTxn};

use super::contribution::AnyContribution;
use super::docs::{Applied, Context, RoomDocs};
use super::holds::Held;
use super::intent::{Actor, AuditAction, Change, OnBehalfOf};
use super::layout::{Collection, ledger, paper_voter, split_ballot_key};
use super::value::{from_any, from_any_or_default, to_any};
use super::view::Outcome;

/// The key of the helper map that holds the key's generation.
const GENERATION: &str = "generation";
/// The key of the helper map that counts entries ever typed in, to keep them in order.
const ENTERED: &str = "entered";

/// What the helper key of the present generation typed in, oldest first (`GET /helper/entries`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct HelperView {
    pub entries: Vec<HelperEntry>,
}

/// One paper contribution or ballot a helper typed in.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct HelperEntry {
    pub id: String,
    pub activity: String,
    /// Where it lives: `cards`, `ideas`, `path_notes`, `pledges`, `touchstones`, `feedback`, or
    /// `paper_ballots` (a ballot, which is never on the board).
    pub collection: String,
    /// Waiting for the facilitator's approval (or turned down), so not on the board.
    pub held: bool,
    /// The contribution as the board stores it, or a ballot's `{dots, scores, perspective?, role?}`.
    /// A pledge's contact is never here.
    #[schema(value_type = Object)]
    pub entry: HelperItem,
}

/// What a helper typed in: a contribution, or a paper ballot (serialised as each is).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum HelperItem {
    Contribution(AnyContribution),
    Ballot(PaperBallot),
}

/// A paper ballot as a helper typed it in: who it is from, as given, and its dots and scores.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PaperBallot {
    #[serde(flatten)]
    pub from: OnBehalfOf,
    /// Option id → dots.
    pub dots: BTreeMap<String, u32>,
    /// Option id → score.
    pub scores: BTreeMap<String, u8>,
}

/// Who typed an entry in, as `helper_entries` keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct EnteredBy {
    pub generation: u64,
    /// Its place among every helper entry of the room.
    pub order: u64,
}

impl RoomDocs {
    /// The generation of the room's helper key: how many times it has been rotated.
    pub fn helper_generation(&self) -> u64 {
        helper_number(&self.ledger.transact(), GENERATION)
    }

    /// Moves the helper key on to its next generation, so every older key opens nothing, and
    /// notes the time in the board's audit trail; returns the new generation and what to store.
    pub fn rotate_helper_key(&self, context: Context<'_>) -> (u64, Applied) {
        let mut board = self.board.transact_mut();
        let mut txn = self.ledger.transact_mut();
        let next = helper_number(&txn, GENERATION).saturating_add(1);
        txn.get_or_insert_map(ledger::HELPER).insert(&mut txn, GENERATION, to_any(&next));
        Change::new(&mut board, &mut txn, Actor::Facilitator, context).audit(AuditAction::RotateHelperKey, None, None);
        let applied = Applied {
            outcome: Outcome::Done {},
            board_update: Some(board.encode_update_v1()),
            ledger_update: Some(txn.encode_update_v1()),
            snapshot: None,
            erased: Vec::new(),
            contacts_erased: false,
        };
        (next, applied)
    }

    /// What the helper key of `generation` typed in and is still in the room, oldest first.
    pub fn helper_view(&self, generation: u64) -> HelperView {
        let board = self.board.transact();
        let txn = self.ledger.transact();
        let Some(entered) = txn.get_map(ledger::HELPER_ENTRIES) else { return HelperView::default() };
        let mut entries: Vec<(u64, HelperEntry)> = entered
            .iter(&txn)
            .filter_map(|(id, value)| {
                let Out::Any(value) = value else { return None };
                let by: EnteredBy = from_any(&value).ok()?;
                (by.generation == generation).then(|| Some((by.order, entry(&board, &txn, id)?)))?
            })
            .collect();
        entries.sort_by_key(|(order, _)| *order);
        HelperView { entries: entries.into_iter().map(|(_, entry)| entry).collect() }
    }
}

/// Records that the helper key of `generation` typed in `id`.
pub(crate) fn record_entry(txn: &mut yrs::TransactionMut<'_>, id: &str, generation: u64) {
    let order = helper_number(txn, ENTERED);
    txn.get_or_insert_map(ledger::HELPER).insert(txn, ENTERED, to_any(&(order + 1)));
    txn.get_or_insert_map(ledger::HELPER_ENTRIES).insert(txn, id, to_any(&EnteredBy { generation, order }));
}

/// Who typed in `id`, if a helper did.
pub(crate) fn entered_by<T: ReadTxn>(txn: &T, id: &str) -> Option<EnteredBy> {
    match txn.get_map(ledger::HELPER_ENTRIES)?.get(txn, id)? {
        Out::Any(any) => from_any(&any).ok(),
        _ => None,
    }
}

fn helper_number<T: ReadTxn>(txn: &T, key: &str) -> u64 {
    match txn.get_map(ledger::HELPER).and_then(|map| map.get(txn, key)) {
        Some(Out::Any(any)) => from_any_or_default(&any),
        _ => 0,
    }
}

/// An entry as it stands now: on the board, held in the ledger, or a paper ballot; `None` once
/// it is gone (withdrawn by the facilitator).
fn entry<B: ReadTxn, L: ReadTxn>(board: &B, txn: &L, id: &str) -> Option<HelperEntry> {
    let on_board = Collection::ALL.into_iter().find_map(|collection| {
        let Out::Any(any) = board.get_map(collection.root())?.get(board, id)? else { return None };
        Some((collection, serde_json::to_value(&any).ok()?, false))
    });
    let held = || {
        let Out::Any(any) = txn.get_map(ledger::HELD)?.get(txn, id)? else { return None };
        let held: Held = from_any(&any).ok()?;
        Some((held.collection, held.contribution, true))
    };
    if let Some((collection, value, held)) = on_board.or_else(held) {
        let contribution = AnyContribution::from_value(collection, value).ok()?;
        return Some(HelperEntry {
            id: id.to_owned(),
            activity: contribution.header().activity.clone(),
            collection: collection.root().to_owned(),
            held,
            entry: HelperItem::Contribution(contribution),
        });
    }
    ballot(txn, id)
}

/// A paper ballot by the id its entry answered with: who it is from, its dots and its scores.
fn ballot<L: ReadTxn>(txn: &L, id: &str) -> Option<HelperEntry> {
    let voter = paper_voter(id);
    let paper = txn.get_map(ledger::PAPER_BALLOTS)?;
    let key = paper.keys(txn).find(|key| split_ballot_key(key).is_some_and(|(_, v)| v == voter))?.to_owned();
    let (activity, _) = split_ballot_key(&key)?;
    let ballot = PaperBallot {
        from: ledger_value(txn, ledger::PAPER_BALLOTS, &key),
        dots: ledger_value(txn, ledger::BALLOTS, &key),
        scores: ledger_value(txn, ledger::SCORES, &key),
    };
    Some(HelperEntry {
        id: id.to_owned(),
        activity: activity.to_owned(),
        collection: ledger::PAPER_BALLOTS.to_owned(),
        held: false,
        entry: HelperItem::Ballot(ballot),
    })
}

/// The value under `key` in one of the ledger's maps, or the default where there is none.
fn ledger_value<T: serde::de::DeserializeOwned + Default, L: ReadTxn>(txn: &L, root: &str, key: &str) -> T {
    match txn.get_map(root).and_then(|map| map.get(txn, key)) {
        Some(Out::Any(any)) => from_any_or_default(&any),
        _ => T::default(),
    }
}
