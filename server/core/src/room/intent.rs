//! Intents: the typed, validated changes people ask the server to make.
//!
//! Participants never write the room document themselves; they send an
//! intent (place a card, vote, pledge...) and the server, as the single
//! writer for them, checks every rule and applies it. Facilitators send
//! intents too, for the controls of the event and for entering paper
//! contributions on someone's behalf; table hosts with the room's helper
//! key send those paper entries and nothing else (`Intent::is_paper_entry`). Each intent carries a key chosen by
//! the client: a retry with the same key returns the first result.
//!
//! This file holds what can be asked and why it may be refused; the rules
//! live in one file per family of intents: `contributions`, `feedback`,
//! `votes`, `controls`, `holds` and `erasure`, each a part of one `Change` (`change.rs`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use utoipa::ToSchema;

use crate::identity::ParticipantId;
use crate::room::layout::ActivityKind;
pub use crate::template::MAX_VOTE_BUDGET;

mod change;
mod contributions;
mod controls;
mod erasure;
mod feedback;
mod holds;
mod votes;

pub(crate) use change::{AuditAction, Change};

/// Longest intent key accepted.
pub const MAX_KEY_CHARS: usize = 64;
/// Longest note on an emotion card.
pub const MAX_NOTE_CHARS: usize = 280;
/// Longest own word on a blank card, or touchstone.
pub const MAX_WORD_CHARS: usize = 30;
/// Longest idea, comment, PATH note or pledge.
pub const MAX_TEXT_CHARS: usize = 500;
/// Longest answer to what worked, or what to change, in event feedback.
pub const MAX_FEEDBACK_CHARS: usize = 280;
/// Longest pledge display name, organisation or follow-up contact.
pub const MAX_NAME_CHARS: usize = 80;
/// How far ahead a pledger may ask to be contacted about their pledge, in months.
pub const FOLLOW_UP_MONTHS: std::ops::RangeInclusive<u32> = 1..=12;
/// When a pledger who leaves a contact does not say when: in three months.
pub const DEFAULT_FOLLOW_UP_MONTHS: u32 = 3;
/// Longest label of a touchpoint, option or section added during the event.
pub const MAX_LABEL_CHARS: usize = 120;
/// Longest timer a facilitator may start.
pub const MAX_TIMER_SECS: u64 = 4 * 60 * 60;

/// Who asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Actor {
    Participant(ParticipantId),
    Facilitator,
    /// A table host with the room's helper key of this generation: types in paper entries only.
    Helper {
        generation: u64,
    },
}

/// An intent as sent over HTTP: `{"key": "...", "kind": "add_card", ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IntentRequest {
    /// Chosen by the client; a retry with the same key returns the first result.
    pub key: String,
    /// For a facilitator entering a paper contribution: who it is from (a helper's entries are
    /// all paper ones, with or without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<OnBehalfOf>,
    #[serde(flatten)]
    pub intent: Intent,
}

/// The perspective someone without a phone gives with their paper card or ballot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnBehalfOf {
    #[serde(default)]
    pub perspective: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
}

/// A participant's self-description; every part optional and changeable (fields in the
/// alphabetical order its JSON has always had).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub perspective: Option<String>,
    /// Joining online rather than in the room.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Segment id → option id, for the segments the template defines.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub segments: BTreeMap<String, String>,
}

/// What can be asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Intent {
    /// Describe oneself (participants only).
    SetProfile {
        profile: Profile,
    },
    /// An emotion card: an emotion from the vocabulary, or one's own word.
    AddCard {
        activity: String,
        touchpoint: String,
        #[serde(default)]
        emotion: Option<String>,
        #[serde(default)]
        word: Option<String>,
        #[serde(default)]
        note: Option<String>,
    },
    /// Change one's own card; absent fields stay as they are.
    EditCard {
        id: String,
        #[serde(default)]
        touchpoint: Option<String>,
        #[serde(default)]
        emotion: Option<String>,
        #[serde(default)]
        word: Option<String>,
        #[serde(default)]
        note: Option<String>,
    },
    /// Take back one's own contribution (card, note, idea, pledge, touchstone).
    Withdraw {
        id: String,
    },
    /// Put `dots` of one's budget on an option (0 takes them back).
    SetDots {
        activity: String,
        option: String,
        dots: u32,
    },
    /// Score an option from 1 to 5, or clear the score.
    SetScore {
        activity: String,
        option: String,
        #[serde(default)]
        score: Option<u8>,
    },
    AddPathNote {
        activity: String,
        section: String,
        text: String,
    },
    /// An idea, or a comment on an option of a vote.
    AddIdea {
        activity: String,
        #[serde(default)]
        option: Option<String>,
        text: String,
    },
    /// A pledge: a name only if the person chooses, a contact only with separate consent.
    AddPledge {
        activity: String,
        text: String,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        organisation: Option<String>,
        #[serde(default)]
        contact: Option<String>,
        #[serde(default)]
        contact_consent: bool,
        /// When to be contacted, in months from now (1 to 12; 3 if not given). Only with a contact.
        #[serde(default)]
        follow_up_months: Option<u32>,
    },
    AddTouchstone {
        activity: String,
        word: String,
    },
    /// One's feedback on the event: a rating from 1 to 5, and what worked and what to change if
    /// one wishes. A participant's second answer replaces the first; each paper answer is one more.
    SetFeedback {
        activity: String,
        rating: u8,
        #[serde(default)]
        worked: Option<String>,
        #[serde(default)]
        change: Option<String>,
    },
    /// Remove the follow-up contact from one's own pledge, keeping the pledge.
    EraseContact {
        id: String,
    },
    /// Erase everything one has contributed and said about oneself, everywhere it is kept.
    EraseMe,

    // Facilitator controls.
    OpenActivity {
        activity: String,
    },
    LockActivity {
        activity: String,
    },
    /// Show (or hide again) a vote's results, or an emotion map's counts, to participants and the projector.
    RevealActivity {
        activity: String,
        #[serde(default = "yes")]
        revealed: bool,
    },
    /// The activity every phone follows; `null` for the lobby.
    SetCurrent {
        #[serde(default)]
        activity: Option<String>,
    },
    StartTimer {
        seconds: u64,
    },
    StopTimer,
    /// Moderation: hide a contribution from the board (it stays in the record, flagged).
    SetHidden {
        id: String,
        hidden: bool,
    },
    /// Hold participants' contributions to an activity for approval before they are shown.
    SetModeration {
        activity: String,
        moderated: bool,
    },
    /// Approve a held contribution onto the board, or turn it down (kept in the record, never shown).
    Review {
        id: String,
        approved: bool,
    },
    /// Add a touchpoint (emotion map), an option (vote) or a section (PATH).
    AddChoice {
        activity: String,
        label: String,
    },
    RenameChoice {
        activity: String,
        id: String,
        label: String,
    },
    /// Move a choice to position `to` (0-based).
    MoveChoice {
        activity: String,
        id: String,
        to: usize,
    },
    SetBudget {
        activity: String,
        budget: u32,
    },
    TakeSnapshot {
        name: String,
    },
    /// One paper voter's whole ballot (dot stickers on a poster), typed in by the facilitator or a helper;
    /// `on_behalf_of` says who it is from, if they said. Checked as a phone's ballot is.
    AddPaperBallot {
        activity: String,
        /// Option id → dots.
        #[serde(default)]
        dots: BTreeMap<String, u32>,
        /// Option id → score from 1 to 5 (votes with a feedback scale only).
        #[serde(default)]
        scores: BTreeMap<String, u8>,
    },
}

fn yes() -> bool {
    true
}

impl Intent {
    /// Whether only the facilitator may ask this.
    pub fn is_facilitator_control(&self) -> bool {
        matches!(
            self,
            Intent::OpenActivity { .. }
                | Intent::LockActivity { .. }
                | Intent::RevealActivity { .. }
                | Intent::SetCurrent { .. }
                | Intent::StartTimer { .. }
                | Intent::StopTimer
                | Intent::SetHidden { .. }
                | Intent::SetModeration { .. }
                | Intent::Review { .. }
                | Intent::AddChoice { .. }
                | Intent::RenameChoice { .. }
                | Intent::MoveChoice { .. }
                | Intent::SetBudget { .. }
                | Intent::TakeSnapshot { .. }
                | Intent::AddPaperBallot { .. }
        )
    }

    /// Whether a helper may ask this: entering a paper contribution or ballot on someone's
    /// behalf, and taking back an entry of its own typed in by mistake.
    pub fn is_paper_entry(&self) -> bool {
        self.adds_contribution() || matches!(self, Intent::AddPaperBallot { .. } | Intent::Withdraw { .. })
    }

    /// Whether it adds a contribution to the board (and so counts against a room's ceilings).
    pub fn adds_contribution(&self) -> bool {
        matches!(
            self,
            Intent::AddCard { .. }
                | Intent::AddPathNote { .. }
                | Intent::AddIdea { .. }
                | Intent::AddPledge { .. }
                | Intent::AddTouchstone { .. }
                | Intent::SetFeedback { .. }
        )
    }

    /// The name used in audit entries and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Intent::SetProfile { .. } => "set_profile",
            Intent::AddCard { .. } => "add_card",
            Intent::EditCard { .. } => "edit_card",
            Intent::Withdraw { .. } => "withdraw",
            Intent::SetDots { .. } => "set_dots",
            Intent::SetScore { .. } => "set_score",
            Intent::AddPathNote { .. } => "add_path_note",
            Intent::AddIdea { .. } => "add_idea",
            Intent::AddPledge { .. } => "add_pledge",
            Intent::AddTouchstone { .. } => "add_touchstone",
            Intent::SetFeedback { .. } => "set_feedback",
            Intent::EraseContact { .. } => "erase_contact",
            Intent::EraseMe => "erase_me",
            Intent::OpenActivity { .. } => "open_activity",
            Intent::LockActivity { .. } => "lock_activity",
            Intent::RevealActivity { .. } => "reveal_activity",
            Intent::SetCurrent { .. } => "set_current",
            Intent::StartTimer { .. } => "start_timer",
            Intent::StopTimer => "stop_timer",
            Intent::SetHidden { .. } => "set_hidden",
            Intent::SetModeration { .. } => "set_moderation",
            Intent::Review { .. } => "review",
            Intent::AddChoice { .. } => "add_choice",
            Intent::RenameChoice { .. } => "rename_choice",
            Intent::MoveChoice { .. } => "move_choice",
            Intent::SetBudget { .. } => "set_budget",
            Intent::TakeSnapshot { .. } => "take_snapshot",
            Intent::AddPaperBallot { .. } => "add_paper_ballot",
        }
    }
}

/// Why an intent is refused. Each variant has a stable code a phone can act on.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IntentError {
    #[error("the intent key must be 1 to {MAX_KEY_CHARS} characters")]
    InvalidKey,
    #[error("only the facilitator can do this")]
    FacilitatorOnly,
    #[error("only participants can do this")]
    ParticipantOnly,
    #[error("this room has no workshop template")]
    NoTemplate,
    #[error("there is no activity {0:?} in this room")]
    UnknownActivity(String),
    #[error("activity {activity:?} is a {kind} activity; this needs {needed}")]
    WrongActivityKind { activity: String, kind: ActivityKind, needed: &'static str },
    #[error("this activity is not open at the moment")]
    ActivityNotOpen,
    #[error("this can only change before the activity opens")]
    ActivityStarted,
    #[error("there is no {what} {id:?} here")]
    UnknownChoice { what: &'static str, id: String },
    #[error("{field} must be at most {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("{field} cannot be empty")]
    Empty { field: &'static str },
    #[error("choose an emotion or write your own word, not both")]
    EmotionOrWord,
    #[error("this activity does not offer a blank card for your own word")]
    NoOwnWord,
    #[error("that would use {wanted} dots, but you have {budget}")]
    OverBudget { wanted: u32, budget: u32 },
    #[error("at most {max} dots on one option")]
    OverOptionLimit { max: u32 },
    #[error("this vote has no dots to place")]
    NoDots,
    #[error("this vote has no feedback scale")]
    NoScale,
    #[error("a score is from 1 to 5")]
    InvalidScore,
    #[error("this activity does not take comments")]
    NoComments,
    #[error("this activity has no touchstones")]
    NoTouchstones,
    #[error("a contact for follow-up needs your consent")]
    ContactWithoutConsent,
    #[error("a follow-up is from 1 to 12 months away")]
    InvalidFollowUpMonths,
    #[error("pledge {0:?} has no follow-up")]
    NoFollowUp(String),
    #[error("there is no contribution {0:?} in this room")]
    UnknownContribution(String),
    #[error("you can only change your own contributions")]
    NotYours,
    #[error("contribution {0:?} is not held for review")]
    NotHeld(String),
    #[error("{0}")]
    InvalidProfile(String),
    #[error("a timer runs for 1 second to {MAX_TIMER_SECS} seconds")]
    InvalidTimer,
    #[error("that position is outside the list")]
    InvalidPosition,
    #[error("the budget can be at most {MAX_VOTE_BUDGET} dots")]
    InvalidBudget,
    /// A value on the board (which the facilitator's client writes) is not the shape
    /// `ROOM-DOCUMENT.md` gives it; the place is named as `board_faults` names it.
    #[error("the board is damaged: {0} does not have the shape the room document gives it")]
    BoardDamaged(String),
    #[error("the room's stored state is not what the server expects: {0}")]
    Corrupt(String),
}

impl IntentError {
    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            IntentError::InvalidKey => "invalid_key",
            IntentError::FacilitatorOnly => "facilitator_only",
            IntentError::ParticipantOnly => "participant_only",
            IntentError::NoTemplate => "no_template",
            IntentError::UnknownActivity(_) => "unknown_activity",
            IntentError::WrongActivityKind { .. } => "wrong_activity_kind",
            IntentError::ActivityNotOpen => "activity_not_open",
            IntentError::ActivityStarted => "activity_started",
            IntentError::UnknownChoice { .. } => "unknown_choice",
            IntentError::TooLong { .. } => "too_long",
            IntentError::Empty { .. } => "empty",
            IntentError::EmotionOrWord => "emotion_or_word",
            IntentError::NoOwnWord => "no_own_word",
            IntentError::OverBudget { .. } => "over_budget",
            IntentError::OverOptionLimit { .. } => "over_option_limit",
            IntentError::NoDots => "no_dots",
            IntentError::NoScale => "no_scale",
            IntentError::InvalidScore => "invalid_score",
            IntentError::NoComments => "no_comments",
            IntentError::NoTouchstones => "no_touchstones",
            IntentError::ContactWithoutConsent => "contact_without_consent",
            IntentError::InvalidFollowUpMonths => "invalid_follow_up_months",
            IntentError::NoFollowUp(_) => "no_follow_up",
            IntentError::UnknownContribution(_) => "unknown_contribution",
            IntentError::NotYours => "not_yours",
            IntentError::NotHeld(_) => "not_held",
            IntentError::InvalidProfile(_) => "invalid_profile",
            IntentError::InvalidTimer => "invalid_timer",
            IntentError::InvalidPosition => "invalid_position",
            IntentError::InvalidBudget => "invalid_budget",
            IntentError::BoardDamaged(_) => "board_damaged",
            IntentError::Corrupt(_) => "corrupt_room",
        }
    }

    /// Whether the fault lies with the server rather than the request.
    pub fn is_internal(&self) -> bool {
        matches!(self, IntentError::Corrupt(_))
    }
}

/// Trims `text` and checks its length; `None` when it is empty after trimming.
pub fn clean_optional(text: Option<&str>, field: &'static str, max: usize) -> Result<Option<String>, IntentError> {
    match text.map(str::trim).filter(|text| !text.is_empty()) {
        None => Ok(None),
        Some(text) if text.chars().count() > max => Err(IntentError::TooLong { field, max }),
        Some(text) => Ok(Some(text.to_owned())),
    }
}

/// Trims `text` and checks it is neither empty nor too long.
pub fn clean_required(text: &str, field: &'static str, max: usize) -> Result<String, IntentError> {
    clean_optional(Some(text), field, max)?.ok_or(IntentError::Empty { field })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intents_read_as_json() {
        let request: IntentRequest = serde_json::from_str(
            r#"{"key":"k1","kind":"add_card","activity":"map","touchpoint":"booking","emotion":"anxious"}"#,
        )
        .expect("valid");
        assert_eq!(request.key, "k1");
        assert!(matches!(request.intent, Intent::AddCard { ref emotion, .. } if emotion.as_deref() == Some("anxious")));
        let request: IntentRequest =
            serde_json::from_str(r#"{"key":"k2","kind":"stop_timer"}"#).expect("a unit intent");
        assert!(request.intent.is_facilitator_control());
        assert!(serde_json::from_str::<IntentRequest>(r#"{"key":"k","kind":"launch_rocket"}"#).is_err());
    }

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(clean_optional(Some("  hi "), "note", 5), Ok(Some("hi".to_owned())));
        assert_eq!(clean_optional(Some("   "), "note", 5), Ok(None));
        assert_eq!(clean_optional(Some("toolong"), "note", 5), Err(IntentError::TooLong { field: "note", max: 5 }));
        assert_eq!(clean_required(" ", "text", 5), Err(IntentError::Empty { field: "text" }));
        // Characters, not bytes: accents and emoji count once.
        assert_eq!(clean_required("éé🙂", "word", 3), Ok("éé🙂".to_owned()));
    }
}
