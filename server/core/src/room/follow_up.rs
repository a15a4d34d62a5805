//! Pledge follow-ups: the pledgers who asked to be contacted about their pledge months later,
//! what became of each request, and the trail of who read or deleted the contacts.
//!
//! A contact lives in the ledger (`ledger::CONTACTS`) apart from its follow-up
//! (`ledger::FOLLOW_UPS`: the date the pledger asked for, and the status), so
//! that deleting a contact removes exactly the personal data and keeps the
//! record that the follow-up happened. A contact is deleted when its follow-up
//! is done or declined, a set period after its date, when the pledger
//! withdraws it, or when the organiser deletes the follow-up; each deletion
//! sets `contacts_erased`, so the server purges the ledger's stored history
//! too. Every read of contacts is recorded in `ledger::CONTACT_AUDIT` in the
//! same change that hands them out, naming the kind of key and how many
//! contacts, never a contact: the server stores the entry before it answers.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yrs::{Array, Map, Out, ReadTxn, Transact, TransactionMut, WriteTxn};

use super::contribution::Pledge;
use super::docs::{Applied, RoomDocs, non_empty};
use super::holds::held_entries;
use super::intent::{DEFAULT_FOLLOW_UP_MONTHS, IntentError};
use super::layout::{Collection, ledger};
use super::value::{from_any, to_any};
use super::view::Outcome;
use crate::calendar::{iso_date, months_later};

/// Where a follow-up stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpStatus {
    /// Nobody has contacted the pledger yet.
    #[default]
    ToDo,
    Contacted,
    /// The follow-up happened; the contact is deleted.
    Done,
    /// The pledger did not want to go on, or could not be reached; the contact is deleted.
    Declined,
}

impl FollowUpStatus {
    /// Its word, as the JSON and the CSV write it.
    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpStatus::ToDo => "to_do",
            FollowUpStatus::Contacted => "contacted",
            FollowUpStatus::Done => "done",
            FollowUpStatus::Declined => "declined",
        }
    }

    /// Whether the follow-up is over, so its contact has no purpose left.
    fn is_closed(self) -> bool {
        matches!(self, FollowUpStatus::Done | FollowUpStatus::Declined)
    }
}

/// A follow-up as the ledger keeps it under its pledge's id.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FollowUpRecord {
    /// Midnight UTC of the day the pledger asked to be contacted, in seconds since the Unix epoch.
    pub due: i64,
    #[serde(default)]
    pub status: FollowUpStatus,
}

impl FollowUpRecord {
    /// A new follow-up, `months` after `now`.
    pub fn asked(now: u64, months: u32) -> Self {
        FollowUpRecord {
            due: months_later(i64::try_from(now).unwrap_or(i64::MAX), months),
            status: FollowUpStatus::ToDo,
        }
    }
}

/// Who may read and manage a room's contacts. Today the room's facilitator key; a programme's
/// key joins here when programmes have keys, and the audit trail names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactKeeper {
    Facilitator,
}

/// Who acted on contacts, as the audit trail names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactBy {
    /// The facilitator key.
    Facilitator,
    /// The pledger, from their phone (never which one).
    Participant,
    /// A table host's helper key, taking back a paper pledge it typed in.
    Helper,
    /// The server, once the retention period after the follow-up's date had passed.
    Retention,
}

impl From<ContactKeeper> for ContactBy {
    fn from(keeper: ContactKeeper) -> Self {
        match keeper {
            ContactKeeper::Facilitator => ContactBy::Facilitator,
        }
    }
}

/// What was done with contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactAction {
    /// The follow-up list was read, contacts included.
    Listed,
    /// The follow-up list was downloaded as CSV, contacts included.
    Exported,
    /// Contacts were deleted because their follow-up was done or declined.
    Closed,
    /// The organiser deleted a follow-up and its contact.
    Deleted,
    /// The pledger withdrew their follow-up (or their pledge, or erased themselves).
    Withdrawn,
    /// Contacts were deleted a set period after the date asked for.
    Expired,
}

/// One entry of the contact audit trail: what, who and how many, never a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ContactAuditEntry {
    /// Seconds since the Unix epoch.
    pub at: u64,
    pub action: ContactAction,
    pub by: ContactBy,
    /// How many contacts were read or deleted.
    pub contacts: usize,
}

/// A follow-up as the programme team reads it (`GET /api/rooms/{code}/follow-ups`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FollowUp {
    /// The pledge's id.
    pub id: String,
    /// The pledge.
    pub text: String,
    /// The name the pledger chose to show with the pledge, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    /// How to reach the pledger; `null` once deleted (the follow-up closed or its time ran out).
    #[schema(required = true)]
    pub contact: Option<String>,
    /// The date the pledger asked to be contacted (`2027-02-23`).
    pub due: String,
    pub status: FollowUpStatus,
}

/// A pledger's own follow-up, as their phone shows it (never the contact).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OwnFollowUp {
    /// The date they asked to be contacted (`2027-02-23`).
    pub due: String,
    pub status: FollowUpStatus,
}

/// What the programme team asks of a room's follow-ups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowUpRequest {
    /// Every follow-up with its contact; recorded in the audit trail as `action`.
    Read { keeper: ContactKeeper, action: ContactAction },
    /// A follow-up's new status; done or declined deletes its contact.
    SetStatus { keeper: ContactKeeper, pledge: String, status: FollowUpStatus },
    /// The organiser deletes a follow-up and its contact.
    Delete { keeper: ContactKeeper, pledge: String },
    /// Deletes the contacts whose date is `retention_secs` or more in the past.
    Expire { retention_secs: u64 },
    /// The contact audit trail (which holds no contact).
    Audit,
}

/// The answer to a [`FollowUpRequest`], as the JSON its route sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum FollowUpAnswer {
    List(FollowUpList),
    Changed(FollowUpChanged),
    Deleted(FollowUpDeleted),
    Expired { expired: usize },
    Audit(ContactAudit),
}

/// Every follow-up of a room, the date asked for first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FollowUpList {
    pub follow_ups: Vec<FollowUp>,
}

/// A follow-up's new status, and whether that deleted its contact (done or declined).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FollowUpChanged {
    pub contact_deleted: bool,
    pub id: String,
    pub status: FollowUpStatus,
}

/// A follow-up the organiser deleted, contact and all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FollowUpDeleted {
    pub deleted: bool,
    pub id: String,
}

/// Every read and deletion of a room's contacts, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ContactAudit {
    pub audit: Vec<ContactAuditEntry>,
}

impl RoomDocs {
    /// Answers a request about follow-ups; what it changes (an audit entry, a status, a deleted
    /// contact) is in the ledger's update, to be stored before the answer is given.
    pub fn follow_ups(&self, request: &FollowUpRequest, now: u64) -> Result<(FollowUpAnswer, Applied), IntentError> {
        let board = self.board.transact();
        let mut ledger = self.ledger.transact_mut();
        let mut contacts_erased = false;
        let answer = match request {
            FollowUpRequest::Read { keeper, action } => {
                let follow_ups = list(&board, &ledger);
                let n_contacts = follow_ups.iter().filter(|follow_up| follow_up.contact.is_some()).count();
                audit(&mut ledger, now, *action, (*keeper).into(), n_contacts);
                FollowUpAnswer::List(FollowUpList { follow_ups })
            }
            FollowUpRequest::SetStatus { keeper, pledge, status } => {
                let mut record = existing_record(&board, &ledger, pledge)?;
                record.status = *status;
                ledger.get_or_insert_map(ledger::FOLLOW_UPS).insert(&mut ledger, pledge.as_str(), to_any(&record));
                let contact_deleted = status.is_closed() && erase_contact(&mut ledger, pledge);
                if contact_deleted {
                    audit(&mut ledger, now, ContactAction::Closed, (*keeper).into(), 1);
                    contacts_erased = true;
                }
                FollowUpAnswer::Changed(FollowUpChanged { contact_deleted, id: pledge.clone(), status: *status })
            }
            FollowUpRequest::Delete { keeper, pledge } => {
                existing_record(&board, &ledger, pledge)?;
                ledger.get_or_insert_map(ledger::FOLLOW_UPS).remove(&mut ledger, pledge);
                let deleted = erase_contact(&mut ledger, pledge);
                audit(&mut ledger, now, ContactAction::Deleted, (*keeper).into(), usize::from(deleted));
                contacts_erased = deleted;
                FollowUpAnswer::Deleted(FollowUpDeleted { deleted: true, id: pledge.clone() })
            }
            FollowUpRequest::Expire { retention_secs } => {
                let due = held_contacts(&board, &ledger);
                let cutoff = i64::try_from(now.saturating_sub(*retention_secs)).unwrap_or(i64::MAX);
                let mut expired = 0;
                for (pledge, record) in due {
                    if record.due <= cutoff && erase_contact(&mut ledger, &pledge) {
                        expired += 1;
                    }
                }
                if expired > 0 {
                    audit(&mut ledger, now, ContactAction::Expired, ContactBy::Retention, expired);
                    contacts_erased = true;
                }
                FollowUpAnswer::Expired { expired }
            }
            FollowUpRequest::Audit => FollowUpAnswer::Audit(ContactAudit { audit: audit_trail(&ledger) }),
        };
        let applied = Applied {
            outcome: Outcome::Done {},
            board_update: None,
            ledger_update: non_empty(ledger.encode_update_v1()),
            snapshot: None,
            erased: Vec::new(),
            contacts_erased,
        };
        Ok((answer, applied))
    }

    /// When the next contact falls due for deletion, `retention_secs` after its date: the server
    /// keeps this beside the room, so it wakes the room then even if nobody opens it again.
    pub fn next_contact_expiry(&self, retention_secs: u64) -> Option<i64> {
        let board = self.board.transact();
        let ledger = self.ledger.transact();
        let retention = i64::try_from(retention_secs).unwrap_or(i64::MAX);
        held_contacts(&board, &ledger).into_iter().map(|(_, record)| record.due.saturating_add(retention)).min()
    }
}

/// A pledger's own follow-up, if they asked for one and have not withdrawn it.
pub(crate) fn own_follow_up<T: ReadTxn>(board: &T, ledger: &T, pledge: &str) -> Option<OwnFollowUp> {
    let record = record_of(board, ledger, pledge)?;
    Some(OwnFollowUp { due: iso_date(record.due), status: record.status })
}

/// Records an action on contacts in the audit trail.
pub(crate) fn audit(ledger: &mut TransactionMut<'_>, now: u64, action: ContactAction, by: ContactBy, contacts: usize) {
    let trail = ledger.get_or_insert_array(ledger::CONTACT_AUDIT);
    trail.push_back(ledger, to_any(&ContactAuditEntry { at: now, action, by, contacts }));
}

/// Removes a pledge's contact and follow-up at its pledger's request (withdrawing it, the pledge,
/// or themselves); whether a contact was there.
pub(crate) fn withdraw(ledger: &mut TransactionMut<'_>, pledge: &str) -> bool {
    ledger.get_or_insert_map(ledger::FOLLOW_UPS).remove(ledger, pledge);
    erase_contact(ledger, pledge)
}

/// Removes a pledge's contact; whether there was one.
fn erase_contact(ledger: &mut TransactionMut<'_>, pledge: &str) -> bool {
    ledger.get_or_insert_map(ledger::CONTACTS).remove(ledger, pledge).is_some()
}

/// Every follow-up, oldest date first: those with a contact, and those whose contact was deleted.
fn list<T: ReadTxn, L: ReadTxn>(board: &T, ledger: &L) -> Vec<FollowUp> {
    let contacts = ledger.get_map(ledger::CONTACTS);
    let mut ids: Vec<String> = Vec::new();
    for root in [ledger::FOLLOW_UPS, ledger::CONTACTS] {
        if let Some(map) = ledger.get_map(root) {
            ids.extend(map.keys(ledger).map(str::to_owned));
        }
    }
    ids.sort();
    ids.dedup();
    let mut follow_ups: Vec<(i64, FollowUp)> = ids
        .into_iter()
        .filter_map(|id| {
            let record = record_of(board, ledger, &id)?;
            let pledge = pledge(board, ledger, &id).unwrap_or_default();
            let contact = contacts.as_ref().and_then(|map| match map.get(ledger, &id) {
                Some(Out::Any(yrs::Any::String(contact))) => Some(contact.to_string()),
                _ => None,
            });
            let follow_up = FollowUp {
                text: pledge.text,
                name: pledge.name,
                organisation: pledge.organisation,
                contact,
                due: iso_date(record.due),
                status: record.status,
                id,
            };
            Some((record.due, follow_up))
        })
        .collect();
    follow_ups.sort_by(|(a, x), (b, y)| a.cmp(b).then_with(|| x.id.cmp(&y.id)));
    follow_ups.into_iter().map(|(_, follow_up)| follow_up).collect()
}

/// The follow-ups whose contact is still held, with their records.
fn held_contacts<T: ReadTxn, L: ReadTxn>(board: &T, ledger: &L) -> Vec<(String, FollowUpRecord)> {
    let Some(contacts) = ledger.get_map(ledger::CONTACTS) else { return Vec::new() };
    contacts.keys(ledger).filter_map(|id| Some((id.to_owned(), record_of(board, ledger, id)?))).collect()
}

/// A pledge's follow-up, or `no_follow_up` if its pledger asked for none (or withdrew it).
fn existing_record<T: ReadTxn, L: ReadTxn>(board: &T, ledger: &L, pledge: &str) -> Result<FollowUpRecord, IntentError> {
    record_of(board, ledger, pledge).ok_or_else(|| IntentError::NoFollowUp(pledge.to_owned()))
}

/// A pledge's follow-up. A contact kept before follow-ups had dates (an older room) is due the
/// default time after its pledge was made.
fn record_of<T: ReadTxn, L: ReadTxn>(board: &T, ledger: &L, pledge_id: &str) -> Option<FollowUpRecord> {
    let stored = ledger.get_map(ledger::FOLLOW_UPS).and_then(|map| map.get(ledger, pledge_id));
    if let Some(Out::Any(any)) = stored {
        return from_any(&any).ok();
    }
    let has_contact = ledger.get_map(ledger::CONTACTS).is_some_and(|map| map.contains_key(ledger, pledge_id));
    has_contact.then(|| {
        let at = pledge(board, ledger, pledge_id).map_or(0, |pledge| pledge.header.at);
        FollowUpRecord::asked(at, DEFAULT_FOLLOW_UP_MONTHS)
    })
}

/// A pledge, on the board or held for the facilitator.
fn pledge<T: ReadTxn, L: ReadTxn>(board: &T, ledger: &L, id: &str) -> Option<Pledge> {
    let on_board = board.get_map(Collection::Pledges.root()).and_then(|map| map.get(board, id));
    match on_board {
        Some(Out::Any(any)) => from_any(&any).ok(),
        _ => {
            let held = held_entries(ledger).remove(id)?;
            (held.collection == Collection::Pledges).then(|| serde_json::from_value(held.contribution).ok())?
        }
    }
}

/// The contact audit trail, oldest first.
fn audit_trail<L: ReadTxn>(ledger: &L) -> Vec<ContactAuditEntry> {
    let Some(trail) = ledger.get_array(ledger::CONTACT_AUDIT) else { return Vec::new() };
    trail
        .iter(ledger)
        .filter_map(|entry| match entry {
            Out::Any(any) => from_any(&any).ok(),
            _ => None,
        })
        .collect()
}
