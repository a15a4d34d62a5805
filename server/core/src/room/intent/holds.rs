//! The rules of holding contributions for approval: which are held, and the facilitator's review.
//!
//! A contribution is held (kept in the ledger, off the board every client
//! syncs) when a participant gives it to an activity the facilitator
//! moderates, or when any of its free text looks like it identifies a person
//! (`room::identifying`), whoever typed it and whatever the setting. An edit
//! by its author is checked again, and a held contribution stays held through
//! edits until the facilitator reviews it. Each change to an activity's held
//! contributions moves its `held_version` on the board, so the console knows
//! to read the moderation list again without polling, and nothing of what is
//! held is said there.

use yrs::{Map, Out, ReadTxn, WriteTxn};

use super::change::{AuditAction, Change};
use super::{Actor, IntentError};
use crate::room::activity::ActivityView;
use crate::room::contribution::Contributed;
use crate::room::holds::Held;
use crate::room::identifying::{Reason, identifying};
use crate::room::layout::{ActivityKind, Collection, ledger};
use crate::room::value::{from_any, to_any};
use crate::room::view::Outcome;

impl Change<'_, '_> {
    /// Writes a contribution where it belongs: on the board, or held in the ledger. With `screen`
    /// (what a person has just written) its text and its activity's setting are checked afresh;
    /// without, it stays where it is. Returns whether it is held.
    pub(super) fn place<C: Contributed>(&mut self, contribution: &C, screen: bool) -> bool {
        let header = contribution.header();
        let value = serde_json::to_value(contribution).unwrap_or_default();
        let earlier = self.held(&header.id);
        let mut reasons: Vec<Reason> = match (&earlier, screen) {
            (_, true) => screened_texts(C::COLLECTION)
                .iter()
                .filter_map(|field| value.get(*field)?.as_str())
                .flat_map(identifying)
                .collect(),
            (Some(earlier), false) => earlier.reasons.clone(),
            // An approved contribution hidden or shown again by the facilitator stays approved.
            (None, false) => Vec::new(),
        };
        // A facilitator's paper contribution is theirs to show; a helper's waits, as a phone's
        // does, since a helper may not moderate.
        let by_setting = screen && self.actor != Actor::Facilitator && self.moderated(&header.activity);
        if earlier.is_none() && reasons.is_empty() && !by_setting {
            let map = self.board.get_or_insert_map(C::COLLECTION.root());
            map.insert(self.board, header.id.as_str(), to_any(contribution));
            return false;
        }
        reasons.sort();
        reasons.dedup();
        // Newly written text waits for a fresh review, even if an earlier version was turned down.
        let rejected = !screen && earlier.is_some_and(|earlier| earlier.rejected);
        self.board.get_or_insert_map(C::COLLECTION.root()).remove(self.board, &header.id);
        let held = Held { collection: C::COLLECTION, contribution: value, reasons, rejected };
        self.ledger.get_or_insert_map(ledger::HELD).insert(self.ledger, header.id.as_str(), to_any(&held));
        self.held_changed(&header.activity);
        true
    }

    /// Approves a held contribution onto the board, or turns it down (kept for the record, never shown).
    pub(super) fn review(&mut self, id: &str, approved: bool) -> Result<Outcome, IntentError> {
        let held = self.held(id).ok_or_else(|| IntentError::NotHeld(id.to_owned()))?;
        let activity = held.activity().to_owned();
        if approved {
            self.ledger.get_or_insert_map(ledger::HELD).remove(self.ledger, id);
            let map = self.board.get_or_insert_map(held.collection.root());
            map.insert(self.board, id, to_any(&held.contribution));
        } else {
            let rejected = Held { rejected: true, ..held };
            self.ledger.get_or_insert_map(ledger::HELD).insert(self.ledger, id, to_any(&rejected));
        }
        self.held_changed(&activity);
        self.audit(if approved { AuditAction::Approve } else { AuditAction::Reject }, Some(&activity), Some(id));
        Ok(Outcome::Reviewed { approved, id: id.to_owned() })
    }

    /// Whether participants' contributions to an activity wait for approval. Turning it off
    /// releases nothing already held: each is still reviewed on its own.
    pub(super) fn set_moderation(&mut self, activity: &str, moderated: bool) -> Result<Outcome, IntentError> {
        let view = ActivityView::read(self.board, activity)?;
        if view.kind == ActivityKind::Feedback {
            // Feedback never reaches the big screen: the projector shows only how many answered.
            return Err(view.wrong_kind("an activity whose contributions are shown"));
        }
        view.map.insert(self.board, "moderated", moderated);
        self.audit(AuditAction::SetModeration, Some(activity), None);
        Ok(Outcome::Moderation { activity: activity.to_owned(), moderated })
    }

    /// A held contribution's entry, waiting or turned down.
    pub(super) fn held(&self, id: &str) -> Option<Held> {
        match self.ledger.get_map(ledger::HELD)?.get(self.ledger, id)? {
            Out::Any(any) => from_any(&any).ok(),
            _ => None,
        }
    }

    /// Forgets a held contribution (withdrawn, or erased with its author).
    pub(super) fn forget_held(&mut self, id: &str) {
        if let Some(held) = self.held(id) {
            self.ledger.get_or_insert_map(ledger::HELD).remove(self.ledger, id);
            self.held_changed(held.activity());
        }
    }

    fn moderated(&self, activity: &str) -> bool {
        ActivityView::read(self.board, activity).is_ok_and(|view| view.flag(self.board, "moderated"))
    }

    /// Moves the activity's count of changes to what it holds, which says nothing of what or whose.
    fn held_changed(&mut self, activity: &str) {
        if let Ok(view) = ActivityView::read(self.board, activity) {
            let version = view.number(self.board, "held_version").unwrap_or(0);
            view.map.insert(self.board, "held_version", i64::from(version) + 1);
        }
    }
}

/// The free text of each kind that a screen shows. A pledge's name is the author's own, given
/// by choice to be shown; feedback is never shown on the big screen.
fn screened_texts(collection: Collection) -> &'static [&'static str] {
    match collection {
        Collection::Cards => &["word", "note"],
        Collection::Ideas | Collection::PathNotes => &["text"],
        Collection::Pledges => &["text", "organisation"],
        Collection::Touchstones => &["word"],
        Collection::Feedback => &[],
    }
}
