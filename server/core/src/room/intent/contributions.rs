//! The rules of contributions: cards, PATH notes, ideas, pledges and touchstones, and taking them back.
//!
//! A participant contributes to an open activity of the right kind; a
//! facilitator or a helper typing in a paper contribution on someone's behalf
//! may add to a locked activity too. Every contribution is owned in the
//! ledger, so only its author (or the facilitator, or for a paper entry the
//! helper key that typed it in) may change or withdraw it.
//!
//! A participant's contribution that arrives after its activity closed (the
//! phone was offline when it was written) is kept rather than refused: it is
//! marked late and comes in hidden, for the facilitator to show or leave
//! aside (`ROOM-DOCUMENT.md`, "Late contributions").

use serde::Deserialize;
use yrs::{Array, Map, Out, ReadTxn, WriteTxn};

use super::change::{AuditAction, Change};
use super::{
    Actor, DEFAULT_FOLLOW_UP_MONTHS, FOLLOW_UP_MONTHS, IntentError, MAX_NAME_CHARS, MAX_NOTE_CHARS, MAX_TEXT_CHARS,
    MAX_WORD_CHARS, OnBehalfOf, clean_optional, clean_required,
};
use crate::room::activity::ActivityView;
use crate::room::contribution::{Card, Header, Idea, PathNote, Pledge, Touchstone};
use crate::room::follow_up::{self, ContactAction, ContactBy, FollowUpRecord};
use crate::room::layout::{ActivityKind, Stage, board, ledger};
use crate::room::value::{from_any, to_any};
use crate::room::view::Outcome;
use crate::template::Emotion;

/// A pledge as asked for, before its text is checked.
pub(super) struct PledgeAsked<'a> {
    pub text: &'a str,
    pub name: Option<&'a str>,
    pub organisation: Option<&'a str>,
    pub contact: Option<&'a str>,
    pub contact_consent: bool,
    pub follow_up_months: Option<u32>,
}

/// An entry of the audit trail, as far as the late rule reads it.
#[derive(Deserialize)]
struct Audited {
    action: AuditAction,
    activity: Option<String>,
}

impl Change<'_, '_> {
    /// Whether a participant's contribution to this activity arrives late: refused before the
    /// activity has ever opened, on time while it is open, late once it has been open and closed.
    /// The server's own record decides, never a time the phone claims (which anyone could set).
    pub(super) fn arrives_late(&self, view: &ActivityView) -> Result<bool, IntentError> {
        match view.stage(self.board)? {
            Stage::Open => Ok(false),
            Stage::Locked if self.was_opened(&view.id) => Ok(true),
            Stage::Pending | Stage::Locked => Err(IntentError::ActivityNotOpen),
        }
    }

    /// Whether the audit trail has the activity opened: a facilitator may close one that never
    /// opened, and nothing can have been written for it then.
    fn was_opened(&self, activity: &str) -> bool {
        let Some(audit) = self.board.get_array(board::AUDIT) else { return false };
        audit.iter(self.board).any(|entry| match entry {
            Out::Any(any) => from_any::<Audited>(&any)
                .is_ok_and(|entry| entry.action == AuditAction::Open && entry.activity.as_deref() == Some(activity)),
            _ => false,
        })
    }

    pub(super) fn add_card(
        &mut self,
        activity: &str,
        touchpoint: &str,
        emotion: Option<&str>,
        word: Option<&str>,
        note: Option<&str>,
        behalf: Option<&OnBehalfOf>,
    ) -> Result<Outcome, IntentError> {
        let view = self.contribution_activity(activity, ActivityKind::EmotionMap, behalf)?;
        view.expect_choice(self.board, touchpoint, "touchpoint")?;
        let (emotion, word) = self.emotion_or_word(&view, emotion, word)?;
        let note = clean_optional(note, "note", MAX_NOTE_CHARS)?;
        let (header, owner) = self.header(activity, behalf)?;
        let card = Card { header, touchpoint: touchpoint.to_owned(), emotion, word, note };
        Ok(self.add(card, owner))
    }

    /// Changes one's own card while its map is open; absent fields stay as they are.
    pub(super) fn edit_card(
        &mut self,
        id: &str,
        touchpoint: Option<&str>,
        emotion: Option<&str>,
        word: Option<&str>,
        note: Option<&str>,
    ) -> Result<Outcome, IntentError> {
        let mut card: Card = self.own_contribution(id)?;
        let view = ActivityView::read(self.board, &card.header.activity)?;
        view.expect_open(self.board)?;
        if let Some(touchpoint) = touchpoint {
            view.expect_choice(self.board, touchpoint, "touchpoint")?;
            card.touchpoint = touchpoint.to_owned();
        }
        if emotion.is_some() || word.is_some() {
            (card.emotion, card.word) = self.emotion_or_word(&view, emotion, word)?;
        }
        if let Some(note) = note {
            card.note = clean_optional(Some(note), "note", MAX_NOTE_CHARS)?;
        }
        Ok(self.put(&card))
    }

    /// Takes back one's own contribution, unless its activity is locked (a paper entry may be
    /// taken back after the close too, by whoever types in paper entries and may reach it).
    pub(super) fn withdraw(&mut self, id: &str) -> Result<Outcome, IntentError> {
        let collection = self.owned_collection(id)?;
        let header: Header = self.contribution(id, collection)?;
        // A paper entry typed in by mistake is corrected whenever it may be typed in, as a paper
        // ballot is: the facilitator and helpers enter a stack of cards after the close too.
        let correction = header.assisted && self.enters_paper();
        if !correction && ActivityView::read(self.board, &header.activity)?.stage(self.board)? == Stage::Locked {
            return Err(IntentError::ActivityNotOpen);
        }
        self.board.get_or_insert_map(collection.root()).remove(self.board, id);
        self.ledger.get_or_insert_map(ledger::OWNERS).remove(self.ledger, id);
        self.withdraw_follow_ups(&[id]);
        self.ledger.get_or_insert_map(ledger::HELPER_ENTRIES).remove(self.ledger, id);
        self.forget_held(id);
        Ok(Outcome::Withdrawn { id: id.to_owned(), withdrawn: true })
    }

    pub(super) fn add_path_note(
        &mut self,
        activity: &str,
        section: &str,
        text: &str,
        behalf: Option<&OnBehalfOf>,
    ) -> Result<Outcome, IntentError> {
        let view = self.contribution_activity(activity, ActivityKind::Path, behalf)?;
        view.expect_choice(self.board, section, "section")?;
        let text = clean_required(text, "text", MAX_TEXT_CHARS)?;
        let (header, owner) = self.header(activity, behalf)?;
        Ok(self.add(PathNote { header, section: section.to_owned(), text }, owner))
    }

    /// An idea, or a comment on an option of a vote that takes comments.
    pub(super) fn add_idea(
        &mut self,
        activity: &str,
        option: Option<&str>,
        text: &str,
        behalf: Option<&OnBehalfOf>,
    ) -> Result<Outcome, IntentError> {
        let view = ActivityView::read(self.board, activity)?;
        match (view.kind, option) {
            // An ideas activity has no options to check an idea's against: it keeps what it is given.
            (ActivityKind::Ideas, _) => {}
            (ActivityKind::Vote, Some(option)) if view.flag(self.board, "comments") => {
                view.expect_choice(self.board, option, "option")?;
            }
            (ActivityKind::Vote, _) => return Err(IntentError::NoComments),
            _ => return Err(view.wrong_kind("an ideas activity, or a vote with comments")),
        }
        self.expect_contributable(&view, behalf)?;
        let text = clean_required(text, "text", MAX_TEXT_CHARS)?;
        let (header, owner) = self.header(activity, behalf)?;
        Ok(self.add(Idea { header, option: option.map(str::to_owned), text }, owner))
    }

    /// A pledge; its contact, given only with consent, goes to the ledger, never the board.
    pub(super) fn add_pledge(
        &mut self,
        activity: &str,
        asked: PledgeAsked<'_>,
        behalf: Option<&OnBehalfOf>,
    ) -> Result<Outcome, IntentError> {
        self.contribution_activity(activity, ActivityKind::Pledge, behalf)?;
        let text = clean_required(asked.text, "text", MAX_TEXT_CHARS)?;
        let name = clean_optional(asked.name, "name", MAX_NAME_CHARS)?;
        let organisation = clean_optional(asked.organisation, "organisation", MAX_NAME_CHARS)?;
        let contact = clean_optional(asked.contact, "contact", MAX_NAME_CHARS)?;
        if contact.is_some() && !asked.contact_consent {
            return Err(IntentError::ContactWithoutConsent);
        }
        let months = asked.follow_up_months.unwrap_or(DEFAULT_FOLLOW_UP_MONTHS);
        if !FOLLOW_UP_MONTHS.contains(&months) {
            return Err(IntentError::InvalidFollowUpMonths);
        }
        let (header, owner) = self.header(activity, behalf)?;
        let outcome = self.add(Pledge { header, text, name, organisation }, owner);
        if let Some(contact) = contact {
            let contacts = self.ledger.get_or_insert_map(ledger::CONTACTS);
            contacts.insert(self.ledger, self.context.new_id, contact);
            let follow_ups = self.ledger.get_or_insert_map(ledger::FOLLOW_UPS);
            follow_ups.insert(
                self.ledger,
                self.context.new_id,
                to_any(&FollowUpRecord::asked(self.context.now, months)),
            );
        }
        Ok(outcome)
    }

    pub(super) fn add_touchstone(
        &mut self,
        activity: &str,
        word: &str,
        behalf: Option<&OnBehalfOf>,
    ) -> Result<Outcome, IntentError> {
        let view = self.contribution_activity(activity, ActivityKind::Pledge, behalf)?;
        if !view.flag(self.board, "touchstones") {
            return Err(IntentError::NoTouchstones);
        }
        let word = clean_required(word, "word", MAX_WORD_CHARS)?;
        let (header, owner) = self.header(activity, behalf)?;
        Ok(self.add(Touchstone { header, word }, owner))
    }

    /// Withdraws one's follow-up: the pledge stays, its contact and follow-up go.
    pub(super) fn erase_contact(&mut self, id: &str) -> Result<Outcome, IntentError> {
        self.own_contribution::<Pledge>(id)?;
        let erased = self.withdraw_follow_ups(&[id]);
        Ok(Outcome::ContactErased { id: id.to_owned(), erased: erased > 0 })
    }

    /// Removes the follow-ups of pledges their author takes back (or the facilitator, a paper
    /// pledge's), recording in the contact audit trail how many contacts went; how many did.
    pub(super) fn withdraw_follow_ups(&mut self, pledges: &[&str]) -> usize {
        let erased = pledges.iter().filter(|pledge| follow_up::withdraw(self.ledger, pledge)).count();
        if erased > 0 {
            let by = match self.actor {
                Actor::Participant(_) => ContactBy::Participant,
                Actor::Facilitator => ContactBy::Facilitator,
                Actor::Helper { .. } => ContactBy::Helper,
            };
            follow_up::audit(self.ledger, self.context.now, ContactAction::Withdrawn, by, erased);
            self.contacts_erased = true;
        }
        erased
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
}
