//! The facilitator's controls: the run of the event, moderation, the activities' choices, snapshots.
//!
//! Only the facilitator key may send these (checked before any rule, in
//! `RoomDocs::apply`); each leaves an entry in the board's audit trail.

use serde::Serialize;
use yrs::{Any, Map, WriteTxn};

use super::change::{AuditAction, Change};
use super::{IntentError, MAX_LABEL_CHARS, MAX_TIMER_SECS, clean_required};
use crate::room::activity::ActivityView;
use crate::room::contribution::{Card, Contributed, Feedback, Idea, PathNote, Pledge, Touchstone};
use crate::room::layout::{Collection, Stage, board};
use crate::room::value::to_any;
use crate::room::view::Outcome;
use crate::template::Choice;

/// A running timer, as the board shows it.
#[derive(Serialize)]
struct Timer {
    seconds: u64,
    ends_at: u64,
}

/// A named snapshot, as the board lists it.
#[derive(Serialize)]
struct SnapshotEntry {
    at: u64,
}

impl Change<'_, '_> {
    pub(super) fn open(&mut self, activity: &str) -> Result<Outcome, IntentError> {
        self.set_stage(activity, Stage::Open)
    }

    /// Locks an activity and keeps a snapshot of the board as it stood; each lock keeps its own
    /// (a second lock after reopening is "(locked 2)"), so no lock's snapshot replaces another's.
    pub(super) fn lock(&mut self, activity: &str) -> Result<Outcome, IntentError> {
        let outcome = self.set_stage(activity, Stage::Locked)?;
        let title = ActivityView::read(self.board, activity)?.field::<String, _>(self.board, "title")?;
        let title = title.as_deref().unwrap_or(activity);
        let snapshots = self.board.get_or_insert_map(board::SNAPSHOTS);
        let mut name = format!("{title} (locked)");
        let mut n = 2;
        while snapshots.contains_key(self.board, &name) {
            name = format!("{title} (locked {n})");
            n += 1;
        }
        self.take_snapshot(&name);
        Ok(outcome)
    }

    /// The activity every phone follows; `None` for the lobby.
    pub(super) fn set_current(&mut self, activity: Option<&str>) -> Result<Outcome, IntentError> {
        if let Some(activity) = activity {
            ActivityView::read(self.board, activity)?;
        }
        let room = self.board.get_or_insert_map(board::ROOM);
        match activity {
            Some(activity) => room.insert(self.board, "current", activity),
            None => room.insert(self.board, "current", Any::Null),
        };
        self.audit(AuditAction::SetCurrent, activity, None);
        Ok(Outcome::Current { current: activity.map(str::to_owned) })
    }

    pub(super) fn start_timer(&mut self, seconds: u64) -> Result<Outcome, IntentError> {
        if !(1..=MAX_TIMER_SECS).contains(&seconds) {
            return Err(IntentError::InvalidTimer);
        }
        let ends_at = self.context.now + seconds;
        let room = self.board.get_or_insert_map(board::ROOM);
        room.insert(self.board, "timer", to_any(&Timer { seconds, ends_at }));
        self.audit(AuditAction::StartTimer, None, None);
        Ok(Outcome::Timer { ends_at })
    }

    pub(super) fn stop_timer(&mut self) -> Result<Outcome, IntentError> {
        self.board.get_or_insert_map(board::ROOM).insert(self.board, "timer", Any::Null);
        self.audit(AuditAction::StopTimer, None, None);
        Ok(Outcome::Done {})
    }

    /// Moderation: hides a contribution from the board (it stays in the record, flagged).
    pub(super) fn set_hidden(&mut self, id: &str, hidden: bool) -> Result<Outcome, IntentError> {
        match self.owned_collection(id)? {
            Collection::Cards => self.mark_hidden::<Card>(id, hidden)?,
            Collection::Ideas => self.mark_hidden::<Idea>(id, hidden)?,
            Collection::PathNotes => self.mark_hidden::<PathNote>(id, hidden)?,
            Collection::Pledges => self.mark_hidden::<Pledge>(id, hidden)?,
            Collection::Touchstones => self.mark_hidden::<Touchstone>(id, hidden)?,
            Collection::Feedback => self.mark_hidden::<Feedback>(id, hidden)?,
        }
        self.audit(if hidden { AuditAction::Hide } else { AuditAction::Unhide }, None, Some(id));
        Ok(Outcome::Hidden { id: id.to_owned(), hidden })
    }

    /// Adds a touchpoint (emotion map), an option (vote) or a section (PATH), with an id made
    /// from its label.
    pub(super) fn add_choice(&mut self, activity: &str, label: &str) -> Result<Outcome, IntentError> {
        let view = ActivityView::read(self.board, activity)?;
        let label = clean_required(label, "label", MAX_LABEL_CHARS)?;
        let mut choices = view.choices(self.board)?;
        let id = unique_choice_id(&label, &choices);
        choices.push(Choice { id: id.clone(), label, hint: String::new() });
        self.write_choices(&view, &choices, AuditAction::AddChoice, &id)?;
        Ok(Outcome::Id { id })
    }

    pub(super) fn rename_choice(&mut self, activity: &str, id: &str, label: &str) -> Result<Outcome, IntentError> {
        let view = ActivityView::read(self.board, activity)?;
        let label = clean_required(label, "label", MAX_LABEL_CHARS)?;
        let mut choices = view.choices(self.board)?;
        let choice = choices.iter_mut().find(|choice| choice.id == id).ok_or_else(|| unknown_choice(id))?;
        choice.label = label;
        self.write_choices(&view, &choices, AuditAction::RenameChoice, id)?;
        Ok(Outcome::Id { id: id.to_owned() })
    }

    /// Moves a choice to position `to` (0-based).
    pub(super) fn move_choice(&mut self, activity: &str, id: &str, to: usize) -> Result<Outcome, IntentError> {
        let view = ActivityView::read(self.board, activity)?;
        let mut choices = view.choices(self.board)?;
        let from = choices.iter().position(|choice| choice.id == id).ok_or_else(|| unknown_choice(id))?;
        if to >= choices.len() {
            return Err(IntentError::InvalidPosition);
        }
        let choice = choices.remove(from);
        choices.insert(to, choice);
        self.write_choices(&view, &choices, AuditAction::MoveChoice, id)?;
        Ok(Outcome::Moved { id: id.to_owned(), position: to })
    }

    pub(super) fn take_named_snapshot(&mut self, name: &str) -> Result<Outcome, IntentError> {
        let name = clean_required(name, "name", MAX_LABEL_CHARS)?;
        self.take_snapshot(&name);
        Ok(Outcome::Snapshot { snapshot: name })
    }

    fn mark_hidden<C: Contributed>(&mut self, id: &str, hidden: bool) -> Result<(), IntentError> {
        let mut contribution: C = self.contribution(id, C::COLLECTION)?;
        contribution.header_mut().hidden = hidden;
        self.put(&contribution);
        Ok(())
    }

    fn set_stage(&mut self, activity: &str, stage: Stage) -> Result<Outcome, IntentError> {
        let view = ActivityView::read(self.board, activity)?;
        view.map.insert(self.board, "state", to_any(&stage));
        self.audit(if stage == Stage::Open { AuditAction::Open } else { AuditAction::Lock }, Some(activity), None);
        Ok(Outcome::Staged { activity: activity.to_owned(), state: stage })
    }

    fn write_choices(
        &mut self,
        view: &ActivityView,
        choices: &[Choice],
        action: AuditAction,
        id: &str,
    ) -> Result<(), IntentError> {
        view.map.insert(self.board, view.choices_key()?, to_any(&choices));
        self.audit(action, Some(&view.id), Some(id));
        Ok(())
    }

    fn take_snapshot(&mut self, name: &str) {
        let snapshots = self.board.get_or_insert_map(board::SNAPSHOTS);
        snapshots.insert(self.board, name, to_any(&SnapshotEntry { at: self.context.now }));
        self.audit(AuditAction::Snapshot, None, Some(name));
        self.snapshot = Some(name.to_owned());
    }
}

fn unknown_choice(id: &str) -> IntentError {
    IntentError::UnknownChoice { what: "choice", id: id.to_owned() }
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
