//! The room's two documents and how intents change them.
//!
//! A room keeps two `yrs` documents. The **board** is what every client syncs
//! and reads: the activities and their state, the journey's touchpoints, the
//! contributions, vote results once revealed, participation counts, the
//! audit trail. The **ledger** never leaves the server: who owns which
//! contribution, each participant's profile and ballot, pledge contacts, and
//! the results of intents already applied (for idempotent retries). Both are
//! logged and snapshotted the same way, so a change to both is durable at
//! once. The board's layout is documented in `server/core/ROOM-DOCUMENT.md`.
//!
//! Every handler checks all its rules before it writes anything, so a
//! refused intent leaves both documents untouched.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use yrs::types::ToJson;
use yrs::{Any, Array, Doc, Map, MapPrelim, MapRef, Out, ReadTxn, Transact, TransactionMut, WriteTxn};

use crate::intent::{
    Actor, Intent, IntentError, IntentRequest, MAX_KEY_CHARS, MAX_LABEL_CHARS, MAX_NAME_CHARS, MAX_NOTE_CHARS,
    MAX_TEXT_CHARS, MAX_TIMER_SECS, MAX_WORD_CHARS, OnBehalfOf, Profile, clean_optional, clean_required,
};
use crate::template::{Choice, Emotion, Group, Perspective, Segment, Template};

/// Board roots.
const ROOM: &str = "room";
const ACTIVITIES: &str = "activities";
const PARTICIPATION: &str = "participation";
const AUDIT: &str = "audit";
const SNAPSHOTS: &str = "snapshots";
/// Ledger roots.
const PARTICIPANTS: &str = "participants";
const OWNERS: &str = "owners";
const BALLOTS: &str = "ballots";
const SCORES: &str = "scores";
/// Who each paper ballot is from (`{perspective?, role?}`), by its key in `BALLOTS` and `SCORES`.
const PAPER_BALLOTS: &str = "paper_ballots";
const CONTACTS: &str = "contacts";
const INTENTS: &str = "intents";

/// Where each kind of contribution lives on the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Collection {
    Cards,
    Ideas,
    PathNotes,
    Pledges,
    Touchstones,
}

impl Collection {
    const ALL: [Collection; 5] =
        [Collection::Cards, Collection::Ideas, Collection::PathNotes, Collection::Pledges, Collection::Touchstones];

    fn root(self) -> &'static str {
        match self {
            Collection::Cards => "cards",
            Collection::Ideas => "ideas",
            Collection::PathNotes => "path_notes",
            Collection::Pledges => "pledges",
            Collection::Touchstones => "touchstones",
        }
    }

    fn from_root(root: &str) -> Option<Self> {
        Collection::ALL.into_iter().find(|collection| collection.root() == root)
    }
}

/// The state of an activity, as the board shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Pending,
    Open,
    Locked,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Stage::Pending => "pending",
            Stage::Open => "open",
            Stage::Locked => "locked",
        }
    }
}

/// What applying an intent produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    /// The answer for the client (the same on a retry with the same key).
    pub outcome: Value,
    /// The board's update, if it changed: store it, then relay it.
    pub board_update: Option<Vec<u8>>,
    /// The ledger's update, if it changed: store it, never relay it.
    pub ledger_update: Option<Vec<u8>>,
    /// A named snapshot of the board to keep, taken after this change.
    pub snapshot: Option<String>,
    /// Contributions erased at a participant's request: every stored copy must lose them too.
    pub erased: Vec<String>,
}

/// Facts an intent needs from outside: the time, and a fresh id should it create something.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// Seconds since the Unix epoch.
    pub now: u64,
    /// A fresh, unguessable id for a contribution this intent may create.
    pub new_id: &'a str,
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

/// Contribution times are kept to the minute: enough for analysis, too coarse to single anyone out.
fn coarse(now: u64) -> u64 {
    now - now % 60
}

impl RoomDocs {
    /// Lays out a new room's board from its template; returns the board's update.
    pub fn initialise(&self, title: &str, programme: Option<&str>, template: Option<&Template>) -> Vec<u8> {
        let mut txn = self.board.transact_mut();
        let room = txn.get_or_insert_map(ROOM);
        room.insert(&mut txn, "title", title);
        if let Some(programme) = programme {
            room.insert(&mut txn, "programme", programme);
        }
        if let Some(template) = template {
            room.insert(&mut txn, "template", template.id.as_str());
            room.insert(&mut txn, "perspectives", to_any(&template.perspectives));
            room.insert(&mut txn, "segments", to_any(&template.segments));
            let activities = txn.get_or_insert_map(ACTIVITIES);
            for (order, activity) in template.activities.iter().enumerate() {
                let map: MapRef = activities.insert(&mut txn, activity.id(), MapPrelim::default());
                if let Value::Object(fields) = serde_json::to_value(activity).unwrap_or_default() {
                    for (key, value) in fields {
                        map.insert(&mut txn, key, to_any(&value));
                    }
                }
                map.insert(&mut txn, "order", order as i64);
                map.insert(&mut txn, "state", Stage::Pending.as_str());
                map.insert(&mut txn, "revealed", false);
            }
            let participation = txn.get_or_insert_map(PARTICIPATION);
            for (key, value) in counts(&[], &template.perspectives) {
                participation.insert(&mut txn, key, value);
            }
        }
        txn.get_or_insert_array(AUDIT);
        txn.encode_update_v1()
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
        let intents = ledger.get_or_insert_map(INTENTS);
        if let Some(Out::Any(Any::String(outcome))) = intents.get(&ledger, &replay_key) {
            let outcome = serde_json::from_str(&outcome).map_err(|e| IntentError::Corrupt(e.to_string()))?;
            return Ok(Applied {
                outcome,
                board_update: None,
                ledger_update: None,
                snapshot: None,
                erased: Vec::new(),
            });
        }
        match (actor, request.intent.is_facilitator_control(), &request.on_behalf_of) {
            (Actor::Participant(_), true, _) => return Err(IntentError::FacilitatorOnly),
            (Actor::Participant(_), false, Some(_)) => return Err(IntentError::FacilitatorOnly),
            _ => {}
        }
        let mut change =
            Change { board: &mut board, ledger: &mut ledger, actor, context, snapshot: None, erased: Vec::new() };
        let outcome = change.apply(&request.intent, request.on_behalf_of.as_ref())?;
        let (snapshot, erased) = (change.snapshot.take(), std::mem::take(&mut change.erased));
        // An erasure leaves no trace of the person, not even the keys of what they asked.
        if erased.is_empty() && !matches!(request.intent, Intent::EraseMe) {
            intents.insert(&mut ledger, replay_key, outcome.to_string());
        }
        Ok(Applied {
            outcome,
            board_update: non_empty(board.encode_update_v1()),
            ledger_update: non_empty(ledger.encode_update_v1()),
            snapshot,
            erased,
        })
    }

    /// Registers a new participant, counted in the room's participation.
    pub fn register(&self, participant: &str, profile: &Profile, now: u64) -> Result<Applied, IntentError> {
        let mut board = self.board.transact_mut();
        let mut ledger = self.ledger.transact_mut();
        let context = Context { now, new_id: participant };
        let mut change = Change {
            board: &mut board,
            ledger: &mut ledger,
            actor: Actor::Facilitator,
            context,
            snapshot: None,
            erased: Vec::new(),
        };
        change.set_profile(participant, profile)?;
        Ok(Applied {
            outcome: json!({}),
            board_update: non_empty(board.encode_update_v1()),
            ledger_update: non_empty(ledger.encode_update_v1()),
            snapshot: None,
            erased: Vec::new(),
        })
    }

    /// What a participant may see of their own: profile, contributions (for a pledge, whether
    /// a contact is held), ballots and scores.
    pub fn participant_view(&self, participant: &str) -> Value {
        let ledger = self.ledger.transact();
        let profile = read_map(&ledger, PARTICIPANTS).and_then(|map| map.get(&ledger, participant));
        let mut contributions = Vec::new();
        let contacts = read_map(&ledger, CONTACTS);
        if let Some(owners) = read_map(&ledger, OWNERS) {
            for (id, owner) in owners.iter(&ledger) {
                let owner = any_json(&owner.to_json(&ledger));
                if owner["owner"] == participant {
                    let mut entry = json!({ "id": id, "collection": owner["collection"] });
                    // Whether a contact is held, never the contact: the phone offers to delete it.
                    if owner["collection"] == Collection::Pledges.root() {
                        entry["contact"] = json!(contacts.as_ref().is_some_and(|map| map.contains_key(&ledger, id)));
                    }
                    contributions.push(entry);
                }
            }
        }
        let mine = |root: &str| -> Value {
            let mut all = serde_json::Map::new();
            if let Some(map) = read_map(&ledger, root) {
                for (key, value) in map.iter(&ledger) {
                    if let Some(activity) = key.strip_suffix(&format!(":{participant}")) {
                        all.insert(activity.to_owned(), any_json(&value.to_json(&ledger)));
                    }
                }
            }
            Value::Object(all)
        };
        json!({
            "profile": profile.map(|p| any_json(&p.to_json(&ledger))).unwrap_or_else(|| json!({})),
            "contributions": contributions,
            "dots": mine(BALLOTS),
            "scores": mine(SCORES),
        })
    }

    /// A vote's results, whether or not they are revealed (for the facilitator).
    pub fn results(&self, activity: &str) -> Result<Value, IntentError> {
        let board = self.board.transact();
        let ledger = self.ledger.transact();
        let view = ActivityView::read(&board, activity)?;
        view.expect_kind("vote", "a vote")?;
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

fn actor_key(actor: Actor) -> String {
    match actor {
        Actor::Participant(id) => id.to_string(),
        Actor::Facilitator => "facilitator".to_owned(),
    }
}

fn non_empty(update: Vec<u8>) -> Option<Vec<u8>> {
    (update != [0, 0]).then_some(update)
}

fn to_any(value: &impl Serialize) -> Any {
    serde_json::to_value(value).ok().and_then(|value| serde_json::from_value(value).ok()).unwrap_or(Any::Null)
}

fn any_json(any: &Any) -> Value {
    serde_json::to_value(any).unwrap_or(Value::Null)
}

fn from_any<T: DeserializeOwned>(any: &Any) -> Result<T, IntentError> {
    serde_json::from_value(any_json(any)).map_err(|e| IntentError::Corrupt(e.to_string()))
}

fn read_map<T: ReadTxn>(txn: &T, name: &str) -> Option<MapRef> {
    txn.get_map(name)
}

/// One activity as the board holds it.
struct ActivityView {
    id: String,
    map: MapRef,
    kind: String,
}

impl ActivityView {
    fn read<T: ReadTxn>(txn: &T, id: &str) -> Result<Self, IntentError> {
        let activities = read_map(txn, ACTIVITIES).ok_or(IntentError::NoTemplate)?;
        let Some(Out::YMap(map)) = activities.get(txn, id) else {
            return Err(IntentError::UnknownActivity(id.to_owned()));
        };
        let kind = match map.get(txn, "kind") {
            Some(Out::Any(Any::String(kind))) => kind.to_string(),
            _ => return Err(IntentError::Corrupt(format!("activity {id} has no kind"))),
        };
        Ok(ActivityView { id: id.to_owned(), map, kind })
    }

    fn expect_kind(&self, kind: &str, needed: &'static str) -> Result<(), IntentError> {
        if self.kind == kind {
            Ok(())
        } else {
            Err(IntentError::WrongActivityKind { activity: self.id.clone(), kind: self.kind.clone(), needed })
        }
    }

    fn field<T: DeserializeOwned, R: ReadTxn>(&self, txn: &R, key: &str) -> Result<Option<T>, IntentError> {
        match self.map.get(txn, key) {
            Some(Out::Any(any)) => from_any(&any).map(Some),
            Some(_) => Err(IntentError::Corrupt(format!("{} of activity {} is not a value", key, self.id))),
            None => Ok(None),
        }
    }

    fn stage<R: ReadTxn>(&self, txn: &R) -> Stage {
        match self.field::<String, R>(txn, "state").ok().flatten().as_deref() {
            Some("open") => Stage::Open,
            Some("locked") => Stage::Locked,
            _ => Stage::Pending,
        }
    }

    fn expect_open<R: ReadTxn>(&self, txn: &R) -> Result<(), IntentError> {
        if self.stage(txn) == Stage::Open { Ok(()) } else { Err(IntentError::ActivityNotOpen) }
    }

    /// The editable list of this activity: touchpoints, options or sections.
    fn choices_key(&self) -> Result<&'static str, IntentError> {
        match self.kind.as_str() {
            "emotion_map" => Ok("touchpoints"),
            "vote" => Ok("options"),
            "path" => Ok("sections"),
            _ => Err(IntentError::WrongActivityKind {
                activity: self.id.clone(),
                kind: self.kind.clone(),
                needed: "an emotion map, a vote or a PATH",
            }),
        }
    }

    fn choices<R: ReadTxn>(&self, txn: &R) -> Result<Vec<Choice>, IntentError> {
        Ok(self.field(txn, self.choices_key()?)?.unwrap_or_default())
    }

    fn expect_choice<R: ReadTxn>(&self, txn: &R, id: &str, what: &'static str) -> Result<(), IntentError> {
        if self.choices(txn)?.iter().any(|choice| choice.id == id) {
            Ok(())
        } else {
            Err(IntentError::UnknownChoice { what, id: id.to_owned() })
        }
    }

    fn flag<R: ReadTxn>(&self, txn: &R, key: &str) -> bool {
        self.field::<bool, R>(txn, key).ok().flatten().unwrap_or(false)
    }

    fn number<R: ReadTxn>(&self, txn: &R, key: &str) -> Option<u32> {
        self.field::<u32, R>(txn, key).ok().flatten()
    }
}

/// One intent being applied: both transactions, who asks, and the facts from outside.
struct Change<'t, 'doc> {
    board: &'t mut TransactionMut<'doc>,
    ledger: &'t mut TransactionMut<'doc>,
    actor: Actor,
    context: Context<'t>,
    snapshot: Option<String>,
    erased: Vec<String>,
}

impl Change<'_, '_> {
    fn apply(&mut self, intent: &Intent, on_behalf_of: Option<&OnBehalfOf>) -> Result<Value, IntentError> {
        match intent {
            Intent::SetProfile { profile } => {
                let Actor::Participant(id) = self.actor else { return Err(IntentError::ParticipantOnly) };
                self.set_profile(&id.to_string(), profile)?;
                Ok(json!({ "profile": profile }))
            }
            Intent::AddCard { activity, touchpoint, emotion, word, note } => {
                let view = self.contribution_activity(activity, "emotion_map", "an emotion map", on_behalf_of)?;
                view.expect_choice(self.board, touchpoint, "touchpoint")?;
                let (emotion, word) = self.emotion_or_word(&view, emotion.as_deref(), word.as_deref())?;
                let note = clean_optional(note.as_deref(), "note", MAX_NOTE_CHARS)?;
                let mut card = json!({ "activity": activity, "touchpoint": touchpoint });
                set_optional(&mut card, "emotion", emotion);
                set_optional(&mut card, "word", word);
                set_optional(&mut card, "note", note);
                self.add(Collection::Cards, card, on_behalf_of)
            }
            Intent::EditCard { id, touchpoint, emotion, word, note } => {
                let mut card = self.own_contribution(id, Collection::Cards)?;
                let activity = card["activity"].as_str().unwrap_or_default().to_owned();
                let view = ActivityView::read(self.board, &activity)?;
                view.expect_open(self.board)?;
                if let Some(touchpoint) = touchpoint {
                    view.expect_choice(self.board, touchpoint, "touchpoint")?;
                    card["touchpoint"] = json!(touchpoint);
                }
                if emotion.is_some() || word.is_some() {
                    let (emotion, word) = self.emotion_or_word(&view, emotion.as_deref(), word.as_deref())?;
                    set_optional(&mut card, "emotion", emotion);
                    set_optional(&mut card, "word", word);
                }
                if let Some(note) = note {
                    let note = clean_optional(Some(note), "note", MAX_NOTE_CHARS)?;
                    set_optional(&mut card, "note", note);
                }
                self.put(Collection::Cards, id, &card);
                Ok(json!({ "id": id }))
            }
            Intent::Withdraw { id } => {
                if let Some(key) = self.paper_ballot_key(id) {
                    return self.withdraw_paper_ballot(&key, id);
                }
                let collection = self.owned_collection(id)?;
                let contribution = self.own_contribution(id, collection)?;
                let activity = contribution["activity"].as_str().unwrap_or_default();
                if ActivityView::read(self.board, activity)?.stage(self.board) == Stage::Locked {
                    return Err(IntentError::ActivityNotOpen);
                }
                self.board.get_or_insert_map(collection.root()).remove(self.board, id);
                self.ledger.get_or_insert_map(OWNERS).remove(self.ledger, id);
                self.ledger.get_or_insert_map(CONTACTS).remove(self.ledger, id);
                Ok(json!({ "id": id, "withdrawn": true }))
            }
            Intent::SetDots { activity, option, dots } => self.set_dots(activity, option, *dots),
            Intent::SetScore { activity, option, score } => self.set_score(activity, option, *score),
            Intent::AddPathNote { activity, section, text } => {
                let view = self.contribution_activity(activity, "path", "a PATH", on_behalf_of)?;
                view.expect_choice(self.board, section, "section")?;
                let text = clean_required(text, "text", MAX_TEXT_CHARS)?;
                self.add(
                    Collection::PathNotes,
                    json!({ "activity": activity, "section": section, "text": text }),
                    on_behalf_of,
                )
            }
            Intent::AddIdea { activity, option, text } => {
                let view = ActivityView::read(self.board, activity)?;
                match (view.kind.as_str(), option) {
                    ("ideas", None) => {}
                    ("vote", Some(option)) if view.flag(self.board, "comments") => {
                        view.expect_choice(self.board, option, "option")?;
                    }
                    ("vote", _) => return Err(IntentError::NoComments),
                    _ => view.expect_kind("ideas", "an ideas activity, or a vote with comments")?,
                }
                self.expect_contributable(&view, on_behalf_of)?;
                let text = clean_required(text, "text", MAX_TEXT_CHARS)?;
                let mut idea = json!({ "activity": activity, "text": text });
                set_optional(&mut idea, "option", option.clone());
                self.add(Collection::Ideas, idea, on_behalf_of)
            }
            Intent::AddPledge { activity, text, name, organisation, contact, contact_consent } => {
                self.contribution_activity(activity, "pledge", "a pledge activity", on_behalf_of)?;
                let text = clean_required(text, "text", MAX_TEXT_CHARS)?;
                let name = clean_optional(name.as_deref(), "name", MAX_NAME_CHARS)?;
                let organisation = clean_optional(organisation.as_deref(), "organisation", MAX_NAME_CHARS)?;
                let contact = clean_optional(contact.as_deref(), "contact", MAX_NAME_CHARS)?;
                if contact.is_some() && !contact_consent {
                    return Err(IntentError::ContactWithoutConsent);
                }
                let mut pledge = json!({ "activity": activity, "text": text });
                set_optional(&mut pledge, "name", name);
                set_optional(&mut pledge, "organisation", organisation);
                let outcome = self.add(Collection::Pledges, pledge, on_behalf_of)?;
                if let Some(contact) = contact {
                    let contacts = self.ledger.get_or_insert_map(CONTACTS);
                    contacts.insert(self.ledger, self.context.new_id, contact);
                }
                Ok(outcome)
            }
            Intent::AddTouchstone { activity, word } => {
                let view = self.contribution_activity(activity, "pledge", "a pledge activity", on_behalf_of)?;
                if !view.flag(self.board, "touchstones") {
                    return Err(IntentError::NoTouchstones);
                }
                let word = clean_required(word, "word", MAX_WORD_CHARS)?;
                self.add(Collection::Touchstones, json!({ "activity": activity, "word": word }), on_behalf_of)
            }
            Intent::EraseContact { id } => {
                self.own_contribution(id, Collection::Pledges)?;
                let erased = self.ledger.get_or_insert_map(CONTACTS).remove(self.ledger, id).is_some();
                Ok(json!({ "id": id, "erased": erased }))
            }
            Intent::EraseMe => {
                let Actor::Participant(participant) = self.actor else { return Err(IntentError::ParticipantOnly) };
                self.erase(&participant.to_string())
            }
            Intent::OpenActivity { activity } => self.set_stage(activity, Stage::Open),
            Intent::LockActivity { activity } => {
                let outcome = self.set_stage(activity, Stage::Locked)?;
                let title = ActivityView::read(self.board, activity)?.field::<String, _>(self.board, "title")?;
                self.take_snapshot(&format!("{} (locked)", title.unwrap_or_else(|| activity.clone())));
                Ok(outcome)
            }
            Intent::RevealActivity { activity, revealed } => {
                let view = ActivityView::read(self.board, activity)?;
                view.expect_kind("vote", "a vote")?;
                view.map.insert(self.board, "revealed", *revealed);
                self.refresh_results(&view)?;
                self.audit(if *revealed { "reveal" } else { "conceal" }, Some(activity), None);
                Ok(json!({ "activity": activity, "revealed": revealed }))
            }
            Intent::SetCurrent { activity } => {
                if let Some(activity) = activity {
                    ActivityView::read(self.board, activity)?;
                }
                let room = self.board.get_or_insert_map(ROOM);
                match activity {
                    Some(activity) => room.insert(self.board, "current", activity.as_str()),
                    None => room.insert(self.board, "current", Any::Null),
                };
                self.audit("set_current", activity.as_deref(), None);
                Ok(json!({ "current": activity }))
            }
            Intent::StartTimer { seconds } => {
                if !(1..=MAX_TIMER_SECS).contains(seconds) {
                    return Err(IntentError::InvalidTimer);
                }
                let ends_at = self.context.now + seconds;
                let room = self.board.get_or_insert_map(ROOM);
                room.insert(self.board, "timer", to_any(&json!({ "seconds": seconds, "ends_at": ends_at })));
                self.audit("start_timer", None, None);
                Ok(json!({ "ends_at": ends_at }))
            }
            Intent::StopTimer => {
                self.board.get_or_insert_map(ROOM).insert(self.board, "timer", Any::Null);
                self.audit("stop_timer", None, None);
                Ok(json!({}))
            }
            Intent::SetHidden { id, hidden } => {
                let collection = self.owned_collection(id)?;
                let mut contribution = self.contribution(id, collection)?;
                contribution["hidden"] = json!(hidden);
                self.put(collection, id, &contribution);
                self.audit(if *hidden { "hide" } else { "unhide" }, None, Some(id));
                Ok(json!({ "id": id, "hidden": hidden }))
            }
            Intent::AddChoice { activity, label } => {
                let view = ActivityView::read(self.board, activity)?;
                let label = clean_required(label, "label", MAX_LABEL_CHARS)?;
                let mut choices = view.choices(self.board)?;
                let id = unique_choice_id(&label, &choices);
                choices.push(Choice { id: id.clone(), label, hint: String::new() });
                view.map.insert(self.board, view.choices_key()?, to_any(&choices));
                self.audit("add_choice", Some(activity), Some(&id));
                Ok(json!({ "id": id }))
            }
            Intent::RenameChoice { activity, id, label } => {
                let view = ActivityView::read(self.board, activity)?;
                let label = clean_required(label, "label", MAX_LABEL_CHARS)?;
                let mut choices = view.choices(self.board)?;
                let choice = choices
                    .iter_mut()
                    .find(|choice| &choice.id == id)
                    .ok_or_else(|| IntentError::UnknownChoice { what: "choice", id: id.clone() })?;
                choice.label = label;
                view.map.insert(self.board, view.choices_key()?, to_any(&choices));
                self.audit("rename_choice", Some(activity), Some(id));
                Ok(json!({ "id": id }))
            }
            Intent::MoveChoice { activity, id, to } => {
                let view = ActivityView::read(self.board, activity)?;
                let mut choices = view.choices(self.board)?;
                let from = choices
                    .iter()
                    .position(|choice| &choice.id == id)
                    .ok_or_else(|| IntentError::UnknownChoice { what: "choice", id: id.clone() })?;
                if *to >= choices.len() {
                    return Err(IntentError::InvalidPosition);
                }
                let choice = choices.remove(from);
                choices.insert(*to, choice);
                view.map.insert(self.board, view.choices_key()?, to_any(&choices));
                self.audit("move_choice", Some(activity), Some(id));
                Ok(json!({ "id": id, "position": to }))
            }
            Intent::SetBudget { activity, budget } => {
                let view = ActivityView::read(self.board, activity)?;
                view.expect_kind("vote", "a vote")?;
                if view.stage(self.board) != Stage::Pending {
                    return Err(IntentError::ActivityStarted);
                }
                if *budget > 50 {
                    return Err(IntentError::InvalidBudget);
                }
                view.map.insert(self.board, "budget", i64::from(*budget));
                if view.number(self.board, "max_per_option").is_some_and(|max| max > *budget) {
                    view.map.insert(self.board, "max_per_option", i64::from(*budget));
                }
                self.audit("set_budget", Some(activity), None);
                Ok(json!({ "activity": activity, "budget": budget }))
            }
            Intent::TakeSnapshot { name } => {
                let name = clean_required(name, "name", MAX_LABEL_CHARS)?;
                self.take_snapshot(&name);
                Ok(json!({ "snapshot": name }))
            }
            Intent::AddPaperBallot { activity, dots, scores } => {
                self.add_paper_ballot(activity, dots, scores, on_behalf_of.cloned().unwrap_or_default())
            }
        }
    }

    /// The activity a contribution goes to: of the right kind, and open (facilitators
    /// entering paper contributions may add to a locked activity too).
    fn contribution_activity(
        &self,
        activity: &str,
        kind: &str,
        needed: &'static str,
        on_behalf_of: Option<&OnBehalfOf>,
    ) -> Result<ActivityView, IntentError> {
        let view = ActivityView::read(self.board, activity)?;
        view.expect_kind(kind, needed)?;
        self.expect_contributable(&view, on_behalf_of)?;
        Ok(view)
    }

    fn expect_contributable(&self, view: &ActivityView, on_behalf_of: Option<&OnBehalfOf>) -> Result<(), IntentError> {
        match (self.actor, on_behalf_of) {
            (Actor::Facilitator, Some(_)) if view.stage(self.board) != Stage::Pending => Ok(()),
            (Actor::Facilitator, None) => Err(IntentError::ParticipantOnly),
            _ => view.expect_open(self.board),
        }
    }

    fn emotion_or_word(
        &self,
        view: &ActivityView,
        emotion: Option<&str>,
        word: Option<&str>,
    ) -> Result<(Option<String>, Option<String>), IntentError> {
        let word = clean_optional(word, "word", MAX_WORD_CHARS)?;
        match (emotion, word) {
            (Some(emotion), None) => {
                let emotions: Vec<Emotion> = view.field(self.board, "emotions")?.unwrap_or_default();
                if !emotions.iter().any(|known| known.id == emotion) {
                    return Err(IntentError::UnknownChoice { what: "emotion", id: emotion.to_owned() });
                }
                Ok((Some(emotion.to_owned()), None))
            }
            (None, Some(word)) if view.flag(self.board, "own_word") => Ok((None, Some(word))),
            (None, Some(_)) => Err(IntentError::NoOwnWord),
            _ => Err(IntentError::EmotionOrWord),
        }
    }

    /// Adds a contribution with its perspective, moderation flag and time; records its owner.
    fn add(
        &mut self,
        collection: Collection,
        mut contribution: Value,
        on_behalf_of: Option<&OnBehalfOf>,
    ) -> Result<Value, IntentError> {
        let id = self.context.new_id.to_owned();
        let (owner, perspective, role) = match (self.actor, on_behalf_of) {
            (Actor::Participant(participant), _) => {
                let participant = participant.to_string();
                let profile = self.profile(&participant)?;
                (participant, profile.perspective, profile.role)
            }
            (Actor::Facilitator, Some(behalf)) => {
                self.check_perspective(behalf.perspective.as_deref(), behalf.role.as_deref())?;
                ("assisted".to_owned(), behalf.perspective.clone(), behalf.role.clone())
            }
            (Actor::Facilitator, None) => return Err(IntentError::ParticipantOnly),
        };
        set_optional(&mut contribution, "perspective", perspective);
        set_optional(&mut contribution, "role", role);
        contribution["assisted"] = json!(on_behalf_of.is_some());
        contribution["hidden"] = json!(false);
        contribution["at"] = json!(coarse(self.context.now));
        self.put(collection, &id, &contribution);
        let owners = self.ledger.get_or_insert_map(OWNERS);
        owners.insert(self.ledger, id.as_str(), to_any(&json!({ "collection": collection.root(), "owner": owner })));
        Ok(json!({ "id": id }))
    }

    fn put(&mut self, collection: Collection, id: &str, contribution: &Value) {
        self.board.get_or_insert_map(collection.root()).insert(self.board, id, to_any(contribution));
    }

    /// Which collection a contribution id belongs to, from the ledger.
    fn owned_collection(&self, id: &str) -> Result<Collection, IntentError> {
        let owners = read_map(self.ledger, OWNERS).ok_or_else(|| IntentError::UnknownContribution(id.to_owned()))?;
        let Some(Out::Any(entry)) = owners.get(self.ledger, id) else {
            return Err(IntentError::UnknownContribution(id.to_owned()));
        };
        let entry = any_json(&entry);
        let collection = entry["collection"].as_str().and_then(Collection::from_root);
        let owner = entry["owner"].as_str().unwrap_or_default();
        match (self.actor, collection) {
            (_, None) => Err(IntentError::Corrupt(format!("contribution {id} has no collection"))),
            (Actor::Participant(participant), Some(_)) if owner != participant.to_string() => {
                Err(IntentError::NotYours)
            }
            (_, Some(collection)) => Ok(collection),
        }
    }

    fn contribution(&self, id: &str, collection: Collection) -> Result<Value, IntentError> {
        let map = read_map(self.board, collection.root());
        match map.and_then(|map| map.get(self.board, id)) {
            Some(Out::Any(any)) => Ok(any_json(&any)),
            _ => Err(IntentError::UnknownContribution(id.to_owned())),
        }
    }

    /// A contribution the actor owns (a facilitator may act on any).
    fn own_contribution(&self, id: &str, collection: Collection) -> Result<Value, IntentError> {
        if self.owned_collection(id)? != collection {
            return Err(IntentError::UnknownContribution(id.to_owned()));
        }
        self.contribution(id, collection)
    }

    fn profile(&self, participant: &str) -> Result<Profile, IntentError> {
        match read_map(self.ledger, PARTICIPANTS).and_then(|map| map.get(self.ledger, participant)) {
            Some(Out::Any(any)) => from_any(&any),
            _ => Ok(Profile::default()),
        }
    }

    fn perspectives(&self) -> Result<(Vec<Perspective>, Vec<Segment>), IntentError> {
        let room = read_map(self.board, ROOM).ok_or(IntentError::NoTemplate)?;
        let read = |key: &str| match room.get(self.board, key) {
            Some(Out::Any(any)) => Ok(Some(any)),
            _ => Ok::<_, IntentError>(None),
        };
        let perspectives = read("perspectives")?.map(|any| from_any(&any)).transpose()?.unwrap_or_default();
        let segments = read("segments")?.map(|any| from_any(&any)).transpose()?.unwrap_or_default();
        Ok((perspectives, segments))
    }

    fn check_perspective(&self, perspective: Option<&str>, role: Option<&str>) -> Result<(), IntentError> {
        let (perspectives, _) = self.perspectives()?;
        let Some(perspective) = perspective else {
            return match role {
                Some(_) => Err(IntentError::InvalidProfile("a role needs a perspective".to_owned())),
                None => Ok(()),
            };
        };
        let known = perspectives
            .iter()
            .find(|known| known.id == perspective)
            .ok_or_else(|| IntentError::InvalidProfile(format!("there is no perspective {perspective:?}")))?;
        match role {
            Some(role) if !known.roles.iter().any(|known| known.id == role) => {
                Err(IntentError::InvalidProfile(format!("there is no role {role:?} for {perspective:?}")))
            }
            _ => Ok(()),
        }
    }

    fn set_profile(&mut self, participant: &str, profile: &Profile) -> Result<(), IntentError> {
        self.check_perspective(profile.perspective.as_deref(), profile.role.as_deref())?;
        let (_, segments) = self.perspectives()?;
        for (segment, option) in &profile.segments {
            let known = segments
                .iter()
                .find(|known| &known.id == segment)
                .ok_or_else(|| IntentError::InvalidProfile(format!("there is no segment {segment:?}")))?;
            if !known.options.iter().any(|known| &known.id == option) {
                return Err(IntentError::InvalidProfile(format!("there is no option {option:?} for {segment:?}")));
            }
        }
        let participants = self.ledger.get_or_insert_map(PARTICIPANTS);
        participants.insert(self.ledger, participant, to_any(profile));
        self.recount()
    }

    /// Recomputes participation from every profile, so the counts can never drift.
    fn recount(&mut self) -> Result<(), IntentError> {
        let (perspectives, _) = self.perspectives()?;
        let participants = self.ledger.get_or_insert_map(PARTICIPANTS);
        let mut profiles = Vec::new();
        for (_, value) in participants.iter(self.ledger) {
            if let Out::Any(any) = value {
                profiles.push(from_any::<Profile>(&any)?);
            }
        }
        let participation = self.board.get_or_insert_map(PARTICIPATION);
        for (key, value) in counts(&profiles, &perspectives) {
            let current = participation.get(self.board, &key);
            if current != Some(Out::Any(Any::from(value))) {
                participation.insert(self.board, key, value);
            }
        }
        Ok(())
    }

    /// Removes everything of one participant: contributions (in any state), ballots, scores,
    /// contacts, profile and remembered intents. Participation is recounted without them.
    fn erase(&mut self, participant: &str) -> Result<Value, IntentError> {
        let owners = self.ledger.get_or_insert_map(OWNERS);
        let mut mine = Vec::new();
        for (id, owner) in owners.iter(self.ledger) {
            let owner = any_json(&owner.to_json(self.ledger));
            if owner["owner"] == participant
                && let Some(collection) = owner["collection"].as_str().and_then(Collection::from_root)
            {
                mine.push((id.to_owned(), collection));
            }
        }
        for (id, collection) in &mine {
            self.board.get_or_insert_map(collection.root()).remove(self.board, id);
            owners.remove(self.ledger, id);
            self.ledger.get_or_insert_map(CONTACTS).remove(self.ledger, id);
        }
        let suffix = format!(":{participant}");
        let prefix = format!("{participant}/");
        let mut voted = std::collections::BTreeSet::new();
        for (root, keep) in [(BALLOTS, false), (SCORES, false), (INTENTS, true)] {
            let map = self.ledger.get_or_insert_map(root);
            let keys: Vec<String> = map
                .keys(self.ledger)
                .filter(|key| if keep { key.starts_with(&prefix) } else { key.ends_with(&suffix) })
                .map(str::to_owned)
                .collect();
            for key in keys {
                if let Some(activity) = key.strip_suffix(&suffix).filter(|_| !keep) {
                    voted.insert(activity.to_owned());
                }
                map.remove(self.ledger, &key);
            }
        }
        // Revealed results must forget the erased votes too, and the console hear of it.
        if let Some(activities) = read_map(self.board, ACTIVITIES) {
            let ids: Vec<String> = activities.keys(self.board).map(str::to_owned).collect();
            for id in ids {
                let view = ActivityView::read(self.board, &id)?;
                if view.kind == "vote" {
                    if voted.contains(&id) {
                        self.tally_changed(&view);
                    }
                    self.refresh_results(&view)?;
                }
            }
        }
        self.ledger.get_or_insert_map(PARTICIPANTS).remove(self.ledger, participant);
        self.recount()?;
        self.erased = mine.iter().map(|(id, _)| id.clone()).collect();
        Ok(json!({ "erased": mine.len() }))
    }

    fn set_dots(&mut self, activity: &str, option: &str, dots: u32) -> Result<Value, IntentError> {
        let Actor::Participant(participant) = self.actor else { return Err(IntentError::ParticipantOnly) };
        let view = ActivityView::read(self.board, activity)?;
        view.expect_kind("vote", "a vote")?;
        view.expect_open(self.board)?;
        view.expect_choice(self.board, option, "option")?;
        let budget = view.number(self.board, "budget").unwrap_or(0);
        if budget == 0 {
            return Err(IntentError::NoDots);
        }
        let max = view.number(self.board, "max_per_option").unwrap_or(budget);
        if dots > max {
            return Err(IntentError::OverOptionLimit { max });
        }
        let key = format!("{activity}:{participant}");
        let ballots = self.ledger.get_or_insert_map(BALLOTS);
        let mut ballot: BTreeMap<String, u32> = match ballots.get(self.ledger, &key) {
            Some(Out::Any(any)) => from_any(&any)?,
            _ => BTreeMap::new(),
        };
        ballot.insert(option.to_owned(), dots);
        ballot.retain(|_, dots| *dots > 0);
        let wanted: u32 = ballot.values().sum();
        if wanted > budget {
            return Err(IntentError::OverBudget { wanted, budget });
        }
        ballots.insert(self.ledger, key, to_any(&ballot));
        self.tally_changed(&view);
        self.refresh_results(&view)?;
        Ok(json!({ "dots": ballot, "remaining": budget - wanted }))
    }

    fn set_score(&mut self, activity: &str, option: &str, score: Option<u8>) -> Result<Value, IntentError> {
        let Actor::Participant(participant) = self.actor else { return Err(IntentError::ParticipantOnly) };
        let view = ActivityView::read(self.board, activity)?;
        view.expect_kind("vote", "a vote")?;
        view.expect_open(self.board)?;
        view.expect_choice(self.board, option, "option")?;
        if !view.flag(self.board, "scale") {
            return Err(IntentError::NoScale);
        }
        if score.is_some_and(|score| !(1..=5).contains(&score)) {
            return Err(IntentError::InvalidScore);
        }
        let key = format!("{activity}:{participant}");
        let scores = self.ledger.get_or_insert_map(SCORES);
        let mut mine: BTreeMap<String, u8> = match scores.get(self.ledger, &key) {
            Some(Out::Any(any)) => from_any(&any)?,
            _ => BTreeMap::new(),
        };
        match score {
            Some(score) => mine.insert(option.to_owned(), score),
            None => mine.remove(option),
        };
        scores.insert(self.ledger, key, to_any(&mine));
        self.tally_changed(&view);
        self.refresh_results(&view)?;
        Ok(json!({ "scores": mine }))
    }

    /// Records one paper voter's whole ballot under a key of its own (`activity:paper.<id>`), so
    /// the tally counts it as one more voter; who it is from goes in `PAPER_BALLOTS`, never in
    /// `PARTICIPANTS`, so participation counts are untouched, as for paper cards. The rules are a
    /// phone's, checked for the whole ballot at once; like other paper entries it may be typed
    /// in once the vote has opened, locked or not.
    fn add_paper_ballot(
        &mut self,
        activity: &str,
        dots: &BTreeMap<String, u32>,
        scores: &BTreeMap<String, u8>,
        behalf: OnBehalfOf,
    ) -> Result<Value, IntentError> {
        let view = ActivityView::read(self.board, activity)?;
        view.expect_kind("vote", "a vote")?;
        self.expect_contributable(&view, Some(&behalf))?;
        self.check_perspective(behalf.perspective.as_deref(), behalf.role.as_deref())?;
        for option in dots.keys().chain(scores.keys()) {
            view.expect_choice(self.board, option, "option")?;
        }
        let dots: BTreeMap<String, u32> = dots.iter().filter(|(_, n)| **n > 0).map(|(o, n)| (o.clone(), *n)).collect();
        if !dots.is_empty() {
            let budget = view.number(self.board, "budget").unwrap_or(0);
            if budget == 0 {
                return Err(IntentError::NoDots);
            }
            let max = view.number(self.board, "max_per_option").unwrap_or(budget);
            if dots.values().any(|n| *n > max) {
                return Err(IntentError::OverOptionLimit { max });
            }
            // Summed in u64: a ballot of huge numbers must be refused, not wrap around.
            let wanted: u64 = dots.values().map(|n| u64::from(*n)).sum();
            if wanted > u64::from(budget) {
                return Err(IntentError::OverBudget { wanted: u32::try_from(wanted).unwrap_or(u32::MAX), budget });
            }
        }
        if !scores.is_empty() && !view.flag(self.board, "scale") {
            return Err(IntentError::NoScale);
        }
        if scores.values().any(|score| !(1..=5).contains(score)) {
            return Err(IntentError::InvalidScore);
        }
        if dots.is_empty() && scores.is_empty() {
            return Err(IntentError::Empty { field: "ballot" });
        }
        let key = format!("{activity}:paper.{}", self.context.new_id);
        if !dots.is_empty() {
            self.ledger.get_or_insert_map(BALLOTS).insert(self.ledger, key.as_str(), to_any(&dots));
        }
        if !scores.is_empty() {
            self.ledger.get_or_insert_map(SCORES).insert(self.ledger, key.as_str(), to_any(scores));
        }
        self.ledger.get_or_insert_map(PAPER_BALLOTS).insert(self.ledger, key.as_str(), to_any(&behalf));
        self.tally_changed(&view);
        self.refresh_results(&view)?;
        Ok(json!({ "id": self.context.new_id, "dots": dots, "scores": scores }))
    }

    /// The ledger key of a paper ballot by the id its entry answered with; only the facilitator,
    /// who typed it in, may find it (a participant's withdraw of such an id finds nothing).
    fn paper_ballot_key(&self, id: &str) -> Option<String> {
        if self.actor != Actor::Facilitator {
            return None;
        }
        let suffix = format!(":paper.{id}");
        let ballots = read_map(self.ledger, PAPER_BALLOTS)?;
        ballots.keys(self.ledger).find(|key| key.ends_with(&suffix)).map(str::to_owned)
    }

    /// Takes back a paper ballot typed in by mistake: whenever one may be typed in, the vote
    /// locked or not, as the correction of an entry rather than a change of mind.
    fn withdraw_paper_ballot(&mut self, key: &str, id: &str) -> Result<Value, IntentError> {
        let activity = key.split_once(':').map_or(key, |(activity, _)| activity);
        let view = ActivityView::read(self.board, activity)?;
        for root in [BALLOTS, SCORES, PAPER_BALLOTS] {
            self.ledger.get_or_insert_map(root).remove(self.ledger, key);
        }
        self.tally_changed(&view);
        self.refresh_results(&view)?;
        Ok(json!({ "id": id, "withdrawn": true }))
    }

    /// Counts every change to a vote's ballots and scores on the board (`tally_version`), so
    /// the console knows to fetch the results it alone may see before the reveal, without
    /// polling. A count of changes says nothing of who voted or for what.
    fn tally_changed(&mut self, view: &ActivityView) {
        let version = view.number(self.board, "tally_version").unwrap_or(0).saturating_add(1);
        view.map.insert(self.board, "tally_version", i64::from(version));
    }

    /// Keeps a vote's public results in step: present and current once revealed, absent before.
    fn refresh_results(&mut self, view: &ActivityView) -> Result<(), IntentError> {
        if view.flag(self.board, "revealed") {
            let results = tally(self.ledger, &view.id, &view.choices(self.board)?);
            view.map.insert(self.board, "results", to_any(&results));
        } else if view.map.contains_key(self.board, "results") {
            view.map.remove(self.board, "results");
        }
        Ok(())
    }

    fn set_stage(&mut self, activity: &str, stage: Stage) -> Result<Value, IntentError> {
        let view = ActivityView::read(self.board, activity)?;
        view.map.insert(self.board, "state", stage.as_str());
        self.audit(if stage == Stage::Open { "open" } else { "lock" }, Some(activity), None);
        Ok(json!({ "activity": activity, "state": stage.as_str() }))
    }

    fn take_snapshot(&mut self, name: &str) {
        let snapshots = self.board.get_or_insert_map(SNAPSHOTS);
        snapshots.insert(self.board, name, to_any(&json!({ "at": self.context.now })));
        self.audit("snapshot", None, Some(name));
        self.snapshot = Some(name.to_owned());
    }

    fn audit(&mut self, action: &str, activity: Option<&str>, target: Option<&str>) {
        let mut entry = json!({ "at": self.context.now, "action": action });
        set_optional(&mut entry, "activity", activity.map(str::to_owned));
        set_optional(&mut entry, "target", target.map(str::to_owned));
        let audit = self.board.get_or_insert_array(AUDIT);
        audit.push_back(self.board, to_any(&entry));
    }
}

fn set_optional(object: &mut Value, key: &str, value: Option<String>) {
    if let Value::Object(map) = object {
        match value {
            Some(value) => map.insert(key.to_owned(), Value::String(value)),
            None => map.remove(key),
        };
    }
}

/// Participation counts by perspective and group: what the projector shows as the room's balance.
fn counts(profiles: &[Profile], perspectives: &[Perspective]) -> Vec<(String, i64)> {
    let group_of = |id: &str| perspectives.iter().find(|p| p.id == id).map(|p| p.group);
    let count = |f: &dyn Fn(&Profile) -> bool| profiles.iter().filter(|p| f(p)).count() as i64;
    let mut counts = vec![
        ("total".to_owned(), profiles.len() as i64),
        ("people".to_owned(), count(&|p| p.perspective.as_deref().and_then(group_of) == Some(Group::People))),
        (
            "professionals".to_owned(),
            count(&|p| p.perspective.as_deref().and_then(group_of) == Some(Group::Professionals)),
        ),
        ("unspecified".to_owned(), count(&|p| p.perspective.is_none())),
        ("remote".to_owned(), count(&|p| p.remote == Some(true))),
    ];
    for perspective in perspectives {
        let n = count(&|p| p.perspective.as_deref() == Some(perspective.id.as_str()));
        counts.push((format!("perspective:{}", perspective.id), n));
    }
    counts
}

/// A vote's results from every ballot and score in the ledger.
fn tally<T: ReadTxn>(ledger: &T, activity: &str, options: &[Choice]) -> Value {
    let prefix = format!("{activity}:");
    let mut dots: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut scores: BTreeMap<String, [u64; 5]> = BTreeMap::new();
    if let Some(ballots) = read_map(ledger, BALLOTS) {
        for (key, value) in ballots.iter(ledger) {
            if let (true, Out::Any(any)) = (key.starts_with(&prefix), value) {
                for (option, n) in from_any::<BTreeMap<String, u32>>(&any).unwrap_or_default() {
                    let entry = dots.entry(option).or_default();
                    entry.0 += u64::from(n);
                    entry.1 += 1;
                }
            }
        }
    }
    if let Some(all) = read_map(ledger, SCORES) {
        for (key, value) in all.iter(ledger) {
            if let (true, Out::Any(any)) = (key.starts_with(&prefix), value) {
                for (option, score) in from_any::<BTreeMap<String, u8>>(&any).unwrap_or_default() {
                    if let Some(slot) = scores.entry(option).or_default().get_mut(usize::from(score.saturating_sub(1)))
                    {
                        *slot += 1;
                    }
                }
            }
        }
    }
    let mut results = serde_json::Map::new();
    for option in options {
        let (n_dots, n_voters) = dots.get(&option.id).copied().unwrap_or_default();
        let distribution = scores.get(&option.id).copied().unwrap_or_default();
        let n_scores: u64 = distribution.iter().sum();
        let total: u64 = distribution.iter().enumerate().map(|(i, n)| (i as u64 + 1) * n).sum();
        let mean = (n_scores > 0).then(|| (total as f64 / n_scores as f64 * 100.0).round() / 100.0);
        results.insert(
            option.id.clone(),
            json!({ "dots": n_dots, "voters": n_voters, "scores": distribution, "mean_score": mean }),
        );
    }
    Value::Object(results)
}

/// A readable id for a choice added live, unique within its list.
fn unique_choice_id(label: &str, choices: &[Choice]) -> String {
    let mut base: String = label
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    base.truncate(40);
    if base.is_empty() {
        base.push_str("choice");
    }
    let mut id = base.clone();
    let mut n = 2;
    while choices.iter().any(|choice| choice.id == id) {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}
