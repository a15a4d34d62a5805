//! One intent being applied: both transactions, who asks, and what every family of rules shares.
//!
//! [`Change::apply`] is the dispatch from an intent to its rule, which lives
//! with its family (`contributions`, `feedback`, `votes`, `controls`, `erasure`). What
//! more than one family needs is here: the profile of whoever asks and the
//! room's perspectives, adding and reading contributions with their owners,
//! participation counts, and the audit trail. Every rule checks everything
//! before its first write, so a refused intent changes nothing.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use yrs::{Array, Map, Out, ReadTxn, TransactionMut, WriteTxn};

use super::{Actor, Intent, IntentError, OnBehalfOf, Profile};
use crate::room::activity::ActivityView;
use crate::room::contribution::{Contributed, Header, Owner};
use crate::room::docs::Context;
use crate::room::helper;
use crate::room::layout::{ASSISTED_OWNER, ActivityKind, Collection, Stage, board, ledger};
use crate::room::participation::participation;
use crate::room::value::{from_any, to_any};
use crate::room::view::Outcome;
use crate::template::{Perspective, Segment};

/// Both transactions of one intent, who asks, and what it produced besides its outcome.
pub(crate) struct Change<'t, 'doc> {
    pub board: &'t mut TransactionMut<'doc>,
    pub ledger: &'t mut TransactionMut<'doc>,
    pub actor: Actor,
    pub context: Context<'t>,
    /// A named snapshot of the board to keep once the change is made.
    pub snapshot: Option<String>,
    /// Contributions erased at a participant's request.
    pub erased: Vec<String>,
    /// Whether a pledge contact left the ledger: its stored history must lose it too.
    pub contacts_erased: bool,
}

/// A facilitator's action, as the board's audit trail names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AuditAction {
    Open,
    Lock,
    Reveal,
    Conceal,
    Hide,
    Unhide,
    SetModeration,
    Approve,
    Reject,
    SetCurrent,
    StartTimer,
    StopTimer,
    AddChoice,
    RenameChoice,
    MoveChoice,
    SetBudget,
    Snapshot,
    /// The helper key was replaced (which generation is kept in the ledger, not here).
    RotateHelperKey,
}

/// One entry of the audit trail.
#[derive(Serialize)]
struct AuditEntry<'a> {
    at: u64,
    action: AuditAction,
    #[serde(skip_serializing_if = "Option::is_none")]
    activity: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target: Option<&'a str>,
}

impl<'t, 'doc> Change<'t, 'doc> {
    pub fn new(
        board: &'t mut TransactionMut<'doc>,
        ledger: &'t mut TransactionMut<'doc>,
        actor: Actor,
        context: Context<'t>,
    ) -> Self {
        Change { board, ledger, actor, context, snapshot: None, erased: Vec::new(), contacts_erased: false }
    }
}

impl Change<'_, '_> {
    /// Applies one intent by its rule.
    pub fn apply(&mut self, intent: &Intent, behalf: Option<&OnBehalfOf>) -> Result<Outcome, IntentError> {
        match intent {
            Intent::SetProfile { profile } => {
                let participant = self.participant()?;
                self.set_profile(&participant, profile)?;
                Ok(Outcome::Profile { profile: profile.clone() })
            }
            Intent::AddCard { activity, touchpoint, emotion, word, note } => {
                self.add_card(activity, touchpoint, emotion.as_deref(), word.as_deref(), note.as_deref(), behalf)
            }
            Intent::EditCard { id, touchpoint, emotion, word, note } => {
                self.edit_card(id, touchpoint.as_deref(), emotion.as_deref(), word.as_deref(), note.as_deref())
            }
            Intent::Withdraw { id } => match self.paper_ballot_key(id) {
                Some(key) => self.withdraw_paper_ballot(&key, id),
                None => self.withdraw(id),
            },
            Intent::SetDots { activity, option, dots } => self.set_dots(activity, option, *dots),
            Intent::SetScore { activity, option, score } => self.set_score(activity, option, *score),
            Intent::AddPathNote { activity, section, text } => self.add_path_note(activity, section, text, behalf),
            Intent::AddIdea { activity, option, text } => self.add_idea(activity, option.as_deref(), text, behalf),
            Intent::AddPledge { activity, text, name, organisation, contact, contact_consent, follow_up_months } => {
                let pledge = super::contributions::PledgeAsked {
                    text,
                    name: name.as_deref(),
                    organisation: organisation.as_deref(),
                    contact: contact.as_deref(),
                    contact_consent: *contact_consent,
                    follow_up_months: *follow_up_months,
                };
                self.add_pledge(activity, pledge, behalf)
            }
            Intent::AddTouchstone { activity, word } => self.add_touchstone(activity, word, behalf),
            Intent::SetFeedback { activity, rating, worked, change } => {
                self.set_feedback(activity, *rating, worked.as_deref(), change.as_deref(), behalf)
            }
            Intent::EraseContact { id } => self.erase_contact(id),
            Intent::EraseMe => self.erase_me(),
            Intent::OpenActivity { activity } => self.open(activity),
            Intent::LockActivity { activity } => self.lock(activity),
            Intent::RevealActivity { activity, revealed } => self.reveal(activity, *revealed),
            Intent::SetCurrent { activity } => self.set_current(activity.as_deref()),
            Intent::StartTimer { seconds } => self.start_timer(*seconds),
            Intent::StopTimer => self.stop_timer(),
            Intent::SetHidden { id, hidden } => self.set_hidden(id, *hidden),
            Intent::SetModeration { activity, moderated } => self.set_moderation(activity, *moderated),
            Intent::Review { id, approved } => self.review(id, *approved),
            Intent::AddChoice { activity, label } => self.add_choice(activity, label),
            Intent::RenameChoice { activity, id, label } => self.rename_choice(activity, id, label),
            Intent::MoveChoice { activity, id, to } => self.move_choice(activity, id, *to),
            Intent::SetBudget { activity, budget } => self.set_budget(activity, *budget),
            Intent::TakeSnapshot { name } => self.take_named_snapshot(name),
            Intent::AddPaperBallot { activity, dots, scores } => {
                self.add_paper_ballot(activity, dots, scores, behalf.cloned().unwrap_or_default())
            }
        }
    }

    /// The participant who asks; a facilitator may not do what only participants do.
    pub fn participant(&self) -> Result<String, IntentError> {
        match self.actor {
            Actor::Participant(id) => Ok(id.to_string()),
            Actor::Facilitator | Actor::Helper { .. } => Err(IntentError::ParticipantOnly),
        }
    }

    /// Whether the one who asks types in paper entries (the facilitator or a helper).
    pub fn enters_paper(&self) -> bool {
        matches!(self.actor, Actor::Facilitator | Actor::Helper { .. })
    }

    /// Remembers that the helper who asks typed in `id`, so that it may read and take it back.
    pub fn record_helper_entry(&mut self, id: &str) {
        if let Actor::Helper { generation } = self.actor {
            helper::record_entry(self.ledger, id, generation);
        }
    }

    /// Whether `id` was typed in by the helper who asks (with its key's present generation).
    pub fn is_own_helper_entry(&self, id: &str) -> bool {
        let Actor::Helper { generation } = self.actor else { return false };
        helper::entered_by(self.ledger, id).is_some_and(|by| by.generation == generation)
    }

    /// The activity a contribution goes to: of the right kind, and open (facilitators
    /// entering paper contributions may add to a locked activity too).
    pub fn contribution_activity(
        &self,
        activity: &str,
        kind: ActivityKind,
        behalf: Option<&OnBehalfOf>,
    ) -> Result<ActivityView, IntentError> {
        let view = ActivityView::read(self.board, activity)?;
        view.expect_kind(kind)?;
        self.expect_contributable(&view, behalf)?;
        Ok(view)
    }

    pub fn expect_contributable(&self, view: &ActivityView, behalf: Option<&OnBehalfOf>) -> Result<(), IntentError> {
        match (self.enters_paper(), behalf) {
            (true, Some(_)) if view.stage(self.board)? != Stage::Pending => Ok(()),
            (true, None) => Err(IntentError::ParticipantOnly),
            _ => self.arrives_late(view).map(|_| ()),
        }
    }

    /// The header of a new contribution: who it is from (as they describe themselves) and when.
    /// Returns the owner to record beside it.
    pub fn header(&self, activity: &str, behalf: Option<&OnBehalfOf>) -> Result<(Header, String), IntentError> {
        let (owner, perspective, role, late) = match (self.actor, behalf) {
            (Actor::Participant(participant), _) => {
                let participant = participant.to_string();
                let profile = self.profile(&participant)?;
                let late = self.arrives_late(&ActivityView::read(self.board, activity)?)?;
                (participant, profile.perspective, profile.role, late)
            }
            (Actor::Facilitator | Actor::Helper { .. }, Some(behalf)) => {
                self.check_perspective(behalf.perspective.as_deref(), behalf.role.as_deref())?;
                (ASSISTED_OWNER.to_owned(), behalf.perspective.clone(), behalf.role.clone(), false)
            }
            (Actor::Facilitator | Actor::Helper { .. }, None) => return Err(IntentError::ParticipantOnly),
        };
        let header = Header {
            id: self.context.new_id.to_owned(),
            activity: activity.to_owned(),
            perspective,
            role,
            assisted: behalf.is_some(),
            hidden: late,
            late,
            at: coarse(self.context.now),
        };
        Ok((header, owner))
    }

    /// Adds a new contribution (or holds it for approval) and records its owner in the ledger;
    /// the answer says if it is held or late.
    pub fn add<C: Contributed>(&mut self, contribution: C, owner: String) -> Outcome {
        let held = self.place(&contribution, true);
        let id = contribution.header().id.clone();
        let late = contribution.header().late;
        let owners = self.ledger.get_or_insert_map(ledger::OWNERS);
        owners.insert(self.ledger, id.as_str(), to_any(&Owner { collection: C::COLLECTION, owner }));
        self.record_helper_entry(&id);
        // Held wins: a late note that also waits for approval is first of all waiting.
        match (held, late) {
            (true, _) => Outcome::Held { held, id },
            (false, true) => Outcome::Late { id, late },
            (false, false) => Outcome::Id { id },
        }
    }

    /// Writes a contribution under its id, replacing what was there, on the board or where it is
    /// held; what a participant changes is checked for holding again.
    pub fn put<C: Contributed>(&mut self, contribution: &C) -> Outcome {
        let held = self.place(contribution, matches!(self.actor, Actor::Participant(_)));
        let id = contribution.header().id.clone();
        if held { Outcome::Held { held, id } } else { Outcome::Id { id } }
    }

    /// Which collection a contribution id belongs to, from the ledger; a participant may only
    /// reach their own, and a helper what it typed in.
    pub fn owned_collection(&self, id: &str) -> Result<Collection, IntentError> {
        let owners = self.ledger.get_map(ledger::OWNERS);
        let Some(Out::Any(entry)) = owners.and_then(|owners| owners.get(self.ledger, id)) else {
            return Err(IntentError::UnknownContribution(id.to_owned()));
        };
        let entry: Owner = from_any(&entry).map_err(|_| corrupt_owner(id))?;
        match self.actor {
            Actor::Participant(participant) if entry.owner != participant.to_string() => Err(IntentError::NotYours),
            Actor::Helper { .. } if !self.is_own_helper_entry(id) => Err(IntentError::NotYours),
            _ => Ok(entry.collection),
        }
    }

    /// A contribution as the board holds it; a [`Header`] reads from any collection.
    pub fn contribution<C: DeserializeOwned + HasId>(
        &self,
        id: &str,
        collection: Collection,
    ) -> Result<C, IntentError> {
        let stored = self.board.get_map(collection.root()).and_then(|map| map.get(self.board, id));
        let mut contribution: C = match (stored, self.held(id)) {
            (Some(Out::Any(any)), _) => {
                from_any(&any).map_err(|_| IntentError::BoardDamaged(format!("{}.{id}", collection.root())))?
            }
            (_, Some(held)) if held.collection == collection => {
                serde_json::from_value(held.contribution).map_err(|e| IntentError::Corrupt(e.to_string()))?
            }
            _ => return Err(IntentError::UnknownContribution(id.to_owned())),
        };
        contribution.set_id(id);
        Ok(contribution)
    }

    /// A contribution of its kind's collection the actor owns (a facilitator may act on any).
    pub fn own_contribution<C: Contributed>(&self, id: &str) -> Result<C, IntentError> {
        if self.owned_collection(id)? != C::COLLECTION {
            return Err(IntentError::UnknownContribution(id.to_owned()));
        }
        self.contribution(id, C::COLLECTION)
    }

    pub fn profile(&self, participant: &str) -> Result<Profile, IntentError> {
        match self.ledger.get_map(ledger::PARTICIPANTS).and_then(|map| map.get(self.ledger, participant)) {
            Some(Out::Any(any)) => from_any(&any),
            _ => Ok(Profile::default()),
        }
    }

    /// The room's perspectives or segments (`key`) from the board: none if it has none, and a
    /// refusal naming the place if the list there is damaged.
    fn room_list<T: DeserializeOwned>(&self, key: &str) -> Result<Vec<T>, IntentError> {
        let room = self.board.get_map(board::ROOM).ok_or(IntentError::NoTemplate)?;
        let list = match room.get(self.board, key) {
            None => return Ok(Vec::new()),
            Some(Out::Any(any)) => from_any(&any).ok(),
            Some(_) => None,
        };
        list.ok_or_else(|| IntentError::BoardDamaged(format!("{}.{key}", board::ROOM)))
    }

    pub fn check_perspective(&self, perspective: Option<&str>, role: Option<&str>) -> Result<(), IntentError> {
        let Some(perspective) = perspective else {
            return match role {
                Some(_) => Err(IntentError::InvalidProfile("a role needs a perspective".to_owned())),
                None => Ok(()),
            };
        };
        // Read only when a perspective is given: someone who gives none joins a room whose list is damaged.
        let perspectives: Vec<Perspective> = self.room_list("perspectives")?;
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

    pub fn set_profile(&mut self, participant: &str, profile: &Profile) -> Result<(), IntentError> {
        self.check_perspective(profile.perspective.as_deref(), profile.role.as_deref())?;
        let segments: Vec<Segment> = if profile.segments.is_empty() { Vec::new() } else { self.room_list("segments")? };
        for (segment, option) in &profile.segments {
            let known = segments
                .iter()
                .find(|known| &known.id == segment)
                .ok_or_else(|| IntentError::InvalidProfile(format!("there is no segment {segment:?}")))?;
            if !known.options.iter().any(|known| &known.id == option) {
                return Err(IntentError::InvalidProfile(format!("there is no option {option:?} for {segment:?}")));
            }
        }
        let participants = self.ledger.get_or_insert_map(ledger::PARTICIPANTS);
        participants.insert(self.ledger, participant, to_any(profile));
        self.recount()
    }

    /// Recomputes participation from every profile, so the counts can never drift.
    pub fn recount(&mut self) -> Result<(), IntentError> {
        // With the list damaged, the counts wait until it is mended: the first recount after that
        // counts everyone, since it counts from every profile.
        let Ok(perspectives) = self.room_list::<Perspective>("perspectives") else { return Ok(()) };
        let participants = self.ledger.get_or_insert_map(ledger::PARTICIPANTS);
        let mut profiles = Vec::new();
        for (_, value) in participants.iter(self.ledger) {
            if let Out::Any(any) = value {
                profiles.push(from_any::<Profile>(&any)?);
            }
        }
        let counts = participation(&profiles, &perspectives, self.context.min_count);
        let map = self.board.get_or_insert_map(board::PARTICIPATION);
        // Keys an older server wrote (exact counts by perspective) go.
        let stale: Vec<String> = map
            .keys(self.board)
            .filter(|key| !counts.iter().any(|(known, _)| known == key))
            .map(str::to_owned)
            .collect();
        for key in stale {
            map.remove(self.board, &key);
        }
        for (key, value) in counts {
            if map.get(self.board, &key) != Some(Out::Any(value.clone())) {
                map.insert(self.board, key, value);
            }
        }
        Ok(())
    }

    pub fn audit(&mut self, action: AuditAction, activity: Option<&str>, target: Option<&str>) {
        let entry = AuditEntry { at: self.context.now, action, activity, target };
        let audit = self.board.get_or_insert_array(board::AUDIT);
        audit.push_back(self.board, to_any(&entry));
    }
}

/// What a contribution read from the board learns from the key it is stored under.
pub(crate) trait HasId {
    fn set_id(&mut self, id: &str);
}

impl HasId for Header {
    fn set_id(&mut self, id: &str) {
        id.clone_into(&mut self.id);
    }
}

impl<C: Contributed> HasId for C {
    fn set_id(&mut self, id: &str) {
        self.header_mut().set_id(id);
    }
}

fn corrupt_owner(id: &str) -> IntentError {
    IntentError::Corrupt(format!("contribution {id} has no collection"))
}

/// Contribution times are kept to the minute: enough for analysis, too coarse to single anyone out.
fn coarse(now: u64) -> u64 {
    now - now % 60
}
