//! Contributions held back from the board until the facilitator approves them, and the
//! moderation list the facilitator's console reads.
//!
//! The board is synced to every client, phones included, so a note that must
//! not be seen yet cannot wait there under a flag: it waits in the ledger,
//! which never leaves the server, under [`ledger::HELD`]. Approval moves it
//! onto the board; turning it down keeps it in the ledger, marked, for the
//! record and the analyst, never shown. The rules that hold and review live
//! with the intents (`intent/holds.rs`); this is what is stored and read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yrs::{Map, Out, ReadTxn, Transact};

use super::contribution::{AnyContribution, Header};
use super::docs::RoomDocs;
use super::identifying::Reason;
use super::intent::Profile;
use super::layout::{Collection, ledger};
use super::value::from_any;

/// The fewest people of one perspective (or role) in the room for the moderation list to say a
/// note is from that perspective (or role): fewer, and the label would point at someone.
pub const MIN_NAMED_GROUP: usize = 5;

/// Where a contribution stands with moderation: the export's `status` column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// On the board, shown.
    #[default]
    Shown,
    /// On the board, hidden by the facilitator.
    Hidden,
    /// Waiting for the facilitator, off the board.
    Held,
    /// Turned down by the facilitator: kept for the record, never shown.
    Rejected,
}

/// Where a contribution stands, given a room's held contributions (`RoomRecord::held`).
pub fn status(held: &BTreeMap<String, Status>, header: &Header) -> Status {
    match held.get(&header.id) {
        Some(status) => *status,
        None if header.hidden => Status::Hidden,
        None => Status::Shown,
    }
}

/// A contribution held back, as the ledger keeps it under its id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Held {
    pub collection: Collection,
    /// The contribution as the board will store it once approved.
    pub contribution: serde_json::Value,
    /// Why it looked like it identifies someone; empty when the activity holds every note.
    #[serde(default)]
    pub reasons: Vec<Reason>,
    #[serde(default)]
    pub rejected: bool,
}

impl Held {
    pub fn status(&self) -> Status {
        if self.rejected { Status::Rejected } else { Status::Held }
    }

    /// The activity it was given to.
    pub fn activity(&self) -> &str {
        self.contribution.get("activity").and_then(serde_json::Value::as_str).unwrap_or_default()
    }
}

/// Every held contribution in a ledger, by id; an entry that does not read is left out.
pub(crate) fn held_entries<T: ReadTxn>(ledger: &T) -> BTreeMap<String, Held> {
    let Some(map) = ledger.get_map(ledger::HELD) else { return BTreeMap::new() };
    map.iter(ledger)
        .filter_map(|(id, value)| match value {
            Out::Any(any) => from_any(&any).ok().map(|held| (id.to_owned(), held)),
            _ => None,
        })
        .collect()
}

/// What the facilitator's console reads to moderate (`GET /api/rooms/{code}/moderation`).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ModerationList {
    /// Contributions held back (waiting or turned down), oldest first.
    pub held: Vec<HeldItem>,
    /// The perspectives with at least [`MIN_NAMED_GROUP`] people in the room: the only ones the
    /// list may name beside a contribution.
    pub perspectives: Vec<String>,
    /// The roles, as `perspective:role`, with at least [`MIN_NAMED_GROUP`] people.
    pub roles: Vec<String>,
}

/// One held contribution in the moderation list.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct HeldItem {
    pub id: String,
    pub collection: Collection,
    /// `held` or `rejected`.
    pub status: Status,
    /// Why it was held without the activity asking for it: what in it looks like it identifies someone.
    pub reasons: Vec<Reason>,
    /// As the board will hold it, without its perspective and role where too few people share them.
    #[schema(value_type = Object)]
    pub contribution: AnyContribution,
    /// Whether a perspective or role it was given was left out, so the console can say so.
    pub group_withheld: bool,
}

impl RoomDocs {
    /// The moderation list: every held contribution, with only the perspectives and roles enough
    /// people share to name.
    pub fn moderation_list(&self) -> ModerationList {
        let ledger = self.ledger.transact();
        let profiles: Vec<Profile> = match ledger.get_map(ledger::PARTICIPANTS) {
            Some(map) => map
                .iter(&ledger)
                .filter_map(|(_, value)| match value {
                    Out::Any(any) => from_any(&any).ok(),
                    _ => None,
                })
                .collect(),
            None => Vec::new(),
        };
        let mut n_perspective: BTreeMap<String, usize> = BTreeMap::new();
        let mut n_role: BTreeMap<String, usize> = BTreeMap::new();
        for profile in &profiles {
            if let Some(perspective) = &profile.perspective {
                *n_perspective.entry(perspective.clone()).or_default() += 1;
                if let Some(role) = &profile.role {
                    *n_role.entry(format!("{perspective}:{role}")).or_default() += 1;
                }
            }
        }
        let named = |counts: BTreeMap<String, usize>| -> Vec<String> {
            counts.into_iter().filter(|(_, n)| *n >= MIN_NAMED_GROUP).map(|(key, _)| key).collect()
        };
        let (perspectives, roles) = (named(n_perspective), named(n_role));
        let mut held: Vec<HeldItem> = held_entries(&ledger)
            .into_iter()
            .filter_map(|(id, entry)| {
                let status = entry.status();
                let mut contribution = AnyContribution::from_value(entry.collection, entry.contribution).ok()?;
                let header = contribution.header_mut();
                let role_key = header.perspective.clone().zip(header.role.clone()).map(|(p, r)| format!("{p}:{r}"));
                let mut group_withheld = false;
                if !header.perspective.as_ref().is_some_and(|p| perspectives.contains(p)) {
                    group_withheld |= header.perspective.take().is_some();
                }
                if !role_key.is_some_and(|key| roles.contains(&key)) {
                    group_withheld |= header.role.take().is_some();
                }
                let reasons = entry.reasons;
                Some(HeldItem { id, collection: entry.collection, status, reasons, contribution, group_withheld })
            })
            .collect();
        held.sort_by(|a, b| (a.contribution.header().at, &a.id).cmp(&(b.contribution.header().at, &b.id)));
        ModerationList { held, perspectives, roles }
    }
}
