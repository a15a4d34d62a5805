//! The room's two documents, and the one way intents change them.
//!
//! A room keeps two `yrs` documents. The **board** is what every client syncs
//! and reads: the activities and their state, the journey's touchpoints, the
//! contributions, vote results once revealed, participation counts, the
//! audit trail. The **ledger** never leaves the server: who owns which
//! contribution, each participant's profile and ballot, pledge contacts, and
//! the answers of intents already applied (for idempotent retries). Both are
//! logged and snapshotted the same way, so a change to both is durable at
//! once. The board's layout is documented in `server/core/ROOM-DOCUMENT.md`.

use std::collections::BTreeMap;

use yrs::{Any, Doc, Map, MapPrelim, MapRef, Out, ReadTxn, Transact, WriteTxn};

use super::activity::ActivityView;
use super::contribution::Owner;
use super::follow_up::own_follow_up;
use super::intent::{Actor, Change, Intent, IntentError, IntentRequest, MAX_KEY_CHARS, Profile};
use super::layout::{ActivityKind, Collection, Stage, board, ledger, split_ballot_key};
use super::value::{from_any, from_any_or_default, to_any};
use super::view::{Outcome, OwnContribution, ParticipantView, VoteResults, tally};
use crate::disclosure::MinCount;
use crate::template::Template;

/// What applying an intent produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The answer for the client (the same on a retry with the same key).
    pub outcome: Outcome,
    /// The board's update, if it changed: store it, then relay it.
    pub board_update: Option<Vec<u8>>,
    /// The ledger's update, if it changed: store it, never relay it.
    pub ledger_update: Option<Vec<u8>>,
    /// A named snapshot of the board to keep, taken after this change.
    pub snapshot: Option<String>,
    /// Contributions erased at a participant's request: every stored copy must lose them too.
    pub erased: Vec<String>,
    /// Whether a pledge contact left the ledger: the ledger's stored history must lose it too.
    pub contacts_erased: bool,
}

/// Facts an intent needs from outside: the time, a fresh id should it create something, and
/// the server's threshold for counts of people on the board.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Seconds since the Unix epoch.
    pub now: u64,
    /// A fresh, unguessable id for a contribution this intent may create.
    pub new_id: &'a str,
    /// Counts of people below this are not on the board (`participation`).
    pub min_count: MinCount,
}

/// The two documents of a room.
#[derive(Debug)]
pub struct RoomDocs {
    pub board: Doc,
    pub ledger: Doc,
}

impl Default for RoomDocs {
    fn default() -> Self {
        RoomDocs { board: Doc::new(), ledger: Doc::new() }
    }
}

impl RoomDocs {
    /// Lays out a new room's board from its template; returns the board's update.
    pub fn initialise(&self, title: &str, programme: Option<&str>, template: Option<&Template>) -> Vec<u8> {
        let mut txn = self.board.transact_mut();
        let room = txn.get_or_insert_map(board::ROOM);
        room.insert(&mut txn, "title", title);
        if let Some(programme) = programme {
            room.insert(&mut txn, "programme", programme);
        }
        if let Some(template) = template {
            room.insert(&mut txn, "template", template.id.as_str());
            room.insert(&mut txn, "perspectives", to_any(&template.perspectives));
            room.insert(&mut txn, "segments", to_any(&template.segments));
            let activities = txn.get_or_insert_map(board::ACTIVITIES);
            for (order, activity) in template.activities.iter().enumerate() {
                let map: MapRef = activities.insert(&mut txn, activity.id(), MapPrelim::default());
                // Each field of the activity (its kind included) is a key of its own map.
                // Sorted, so every room made from one template encodes alike.
                if let Any::Map(fields) = to_any(activity) {
                    for (key, value) in fields.iter().collect::<BTreeMap<_, _>>() {
                        map.insert(&mut txn, key.as_str(), value.clone());
                    }
                }
                map.insert(&mut txn, "order", order as i64);
                map.insert(&mut txn, "state", to_any(&Stage::Pending));
                map.insert(&mut txn, "revealed", false);
            }
        }
        txn.get_or_insert_array(board::AUDIT);
        txn.encode_update_v1()
    }

    /// Whether the room was made from a template: a room without one has no activities and takes no intents.
    pub fn has_template(&self) -> bool {
        self.board.transact().get_map(board::ACTIVITIES).is_some()
    }

    /// Applies an intent for `actor`, or refuses it and changes nothing.
    pub fn apply(&self, actor: Actor, request: &IntentRequest, context: Context<'_>) -> Result<Applied, IntentError> {
        let key = request.key.as_str();
        if key.is_empty() || key.chars().count() > MAX_KEY_CHARS {
            return Err(IntentError::InvalidKey);
        }
        let replay_key = format!("{}/{key}", actor_key(actor));
        let mut board = self.board.transact_mut();
        let mut ledger = self.ledger.transact_mut();
        let intents = ledger.get_or_insert_map(ledger::INTENTS);
        if let Some(Out::Any(Any::String(outcome))) = intents.get(&ledger, &replay_key) {
            let outcome = serde_json::from_str(&outcome).map_err(|e| IntentError::Corrupt(e.to_string()))?;
            return Ok(Applied {
                outcome,
                board_update: None,
                ledger_update: None,
                snapshot: None,
                erased: Vec::new(),
                contacts_erased: false,
            });
        }
        let intent = &request.intent;
        match (actor, intent.is_facilitator_control(), &request.on_behalf_of) {
            (Actor::Participant(_), true, _) => return Err(IntentError::FacilitatorOnly),
            (Actor::Participant(_), false, Some(_)) => return Err(IntentError::FacilitatorOnly),
            (Actor::Helper { .. }, true, _) if !intent.is_paper_entry() => return Err(IntentError::FacilitatorOnly),
            (Actor::Helper { .. }, _, _) if !intent.is_paper_entry() => return Err(IntentError::ParticipantOnly),
            _ => {}
        }
        // Everything a helper types in is on someone's behalf, whether or not they gave a perspective.
        let behalf = match actor {
            Actor::Helper { .. } => Some(request.on_behalf_of.clone().unwrap_or_default()),
            Actor::Participant(_) | Actor::Facilitator => request.on_behalf_of.clone(),
        };
        let mut change = Change::new(&mut board, &mut ledger, actor, context);
        let outcome = change.apply(intent, behalf.as_ref())?;
        let (snapshot, erased, contacts_erased) =
            (change.snapshot.take(), std::mem::take(&mut change.erased), change.contacts_erased);
        // An erasure leaves no trace of the person, not even the keys of what they asked.
        if erased.is_empty() && !matches!(request.intent, Intent::EraseMe) {
            let remembered = serde_json::to_string(&outcome).map_err(|e| IntentError::Corrupt(e.to_string()))?;
            intents.insert(&mut ledger, replay_key, remembered);
        }
        Ok(Applied {
            outcome,
            board_update: non_empty(board.encode_update_v1()),
            ledger_update: non_empty(ledger.encode_update_v1()),
            snapshot,
            erased,
            contacts_erased,
        })
    }

    /// Registers a new participant, counted in the room's participation.
    pub fn register(
        &self,
        participant: &str,
        profile: &Profile,
        now: u64,
        min_count: MinCount,
    ) -> Result<Applied, IntentError> {
        let context = Context { now, new_id: participant, min_count };
        self.change(context, |change| change.set_profile(participant, profile))
    }

    /// Counts participation again under today's rule: a room kept by an older server, or under a
    /// lower threshold, may hold counts its board must no longer show. Nothing to store when the
    /// counts already follow the rule.
    pub fn recount(&self, now: u64, min_count: MinCount) -> Result<Applied, IntentError> {
        self.change(Context { now, new_id: "", min_count }, |change| change.recount())
    }

    /// A change the server makes of its own accord (no intent, no key to remember).
    fn change(
        &self,
        context: Context<'_>,
        make: impl FnOnce(&mut Change<'_, '_>) -> Result<(), IntentError>,
    ) -> Result<Applied, IntentError> {
        let mut board = self.board.transact_mut();
        let mut ledger = self.ledger.transact_mut();
        make(&mut Change::new(&mut board, &mut ledger, Actor::Facilitator, context))?;
        Ok(Applied {
            outcome: Outcome::Done {},
            board_update: non_empty(board.encode_update_v1()),
            ledger_update: non_empty(ledger.encode_update_v1()),
            snapshot: None,
            erased: Vec::new(),
            contacts_erased: false,
        })
    }

    /// What a participant may see of their own: profile, contributions (for a pledge, whether
    /// a contact is held and when its follow-up is due), ballots and scores.
    pub fn participant_view(&self, participant: &str) -> ParticipantView {
        let board = self.board.transact();
        let ledger = self.ledger.transact();
        let mut view = ParticipantView::default();
        if let Some(Out::Any(profile)) =
            ledger.get_map(ledger::PARTICIPANTS).and_then(|map| map.get(&ledger, participant))
        {
            view.profile = from_any_or_default(&profile);
        }
        let contacts = ledger.get_map(ledger::CONTACTS);
        let held = ledger.get_map(ledger::HELD);
        if let Some(owners) = ledger.get_map(ledger::OWNERS) {
            for (id, owner) in owners.iter(&ledger) {
                let Out::Any(owner) = owner else { continue };
                let Ok(owner) = from_any::<Owner>(&owner) else { continue };
                if owner.owner == participant {
                    let is_pledge = owner.collection == Collection::Pledges;
                    let contact = is_pledge.then(|| contacts.as_ref().is_some_and(|map| map.contains_key(&ledger, id)));
                    view.contributions.push(OwnContribution {
                        collection: owner.collection,
                        contact,
                        follow_up: if is_pledge { own_follow_up(&board, &ledger, id) } else { None },
                        held: held.as_ref().is_some_and(|map| map.contains_key(&ledger, id)),
                        id: id.to_owned(),
                    });
                }
            }
        }
        view.dots = own_ballots(&ledger, ledger::BALLOTS, participant);
        view.scores = own_ballots(&ledger, ledger::SCORES, participant);
        view
    }

    /// Whether a participant erased themselves: their token opens nothing any more.
    pub fn is_erased(&self, participant: &str) -> bool {
        let ledger = self.ledger.transact();
        ledger.get_map(ledger::ERASED).is_some_and(|erased| erased.contains_key(&ledger, participant))
    }

    /// A vote's results, whether or not they are revealed (for the facilitator).
    pub fn results(&self, activity: &str) -> Result<VoteResults, IntentError> {
        let board = self.board.transact();
        let ledger = self.ledger.transact();
        let view = ActivityView::read(&board, activity)?;
        view.expect_kind(ActivityKind::Vote)?;
        Ok(tally(&ledger, activity, &view.choices(&board)?))
    }
}

/// Removes contributions from an encoded board state (a named snapshot, say); `None` if none was there.
///
/// The removed values are dropped from the encoding, not only marked deleted, so nothing of
/// them remains in what is stored.
pub fn scrub_board(state: &[u8], ids: &[String]) -> Option<Vec<u8>> {
    use yrs::updates::decoder::Decode;
    let doc = Doc::new();
    let update = yrs::Update::decode_v1(state).ok()?;
    let mut txn = doc.transact_mut();
    txn.apply_update(update).ok()?;
    let mut removed = false;
    for collection in Collection::ALL {
        if let Some(map) = txn.get_map(collection.root()) {
            for id in ids {
                removed |= map.remove(&mut txn, id).is_some();
            }
        }
    }
    txn.commit();
    removed.then(|| txn.encode_state_as_update_v1(&yrs::StateVector::default()))
}

/// A participant's ballots (or scores) in a ledger root, by activity.
fn own_ballots<T: ReadTxn, V: serde::de::DeserializeOwned + Default>(
    ledger: &T,
    root: &str,
    participant: &str,
) -> BTreeMap<String, V> {
    let Some(map) = ledger.get_map(root) else { return BTreeMap::new() };
    map.iter(ledger)
        .filter_map(|(key, value)| {
            let (activity, voter) = split_ballot_key(key)?;
            let Out::Any(any) = value else { return None };
            (voter == participant).then(|| (activity.to_owned(), from_any_or_default(&any)))
        })
        .collect()
}

fn actor_key(actor: Actor) -> String {
    match actor {
        Actor::Participant(id) => id.to_string(),
        Actor::Facilitator => "facilitator".to_owned(),
        Actor::Helper { generation } => format!("helper.{generation}"),
    }
}

pub(crate) fn non_empty(update: Vec<u8>) -> Option<Vec<u8>> {
    (update != [0, 0]).then_some(update)
}
