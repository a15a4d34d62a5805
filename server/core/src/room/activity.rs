//! One activity as the board holds it, read through its typed kind.
//!
//! The facilitator may change an activity's touchpoints, options or sections
//! during the event, so the rules read an activity from the board, never from
//! the template. Each read names the key it wants and the type it expects; a
//! value of another shape is a damaged board (the facilitator's client writes
//! it), refused with the place named, not a client's mistake.

use serde::de::DeserializeOwned;
use yrs::{Any, Map, MapRef, Out, ReadTxn};

use super::intent::IntentError;
use super::layout::{ActivityKind, Stage, board};
use super::value::from_any;
use crate::template::Choice;

/// One activity on the board.
pub(crate) struct ActivityView {
    pub id: String,
    pub map: MapRef,
    pub kind: ActivityKind,
}

impl ActivityView {
    pub fn read<T: ReadTxn>(txn: &T, id: &str) -> Result<Self, IntentError> {
        let activities = txn.get_map(board::ACTIVITIES).ok_or(IntentError::NoTemplate)?;
        let map = match activities.get(txn, id) {
            Some(Out::YMap(map)) => map,
            Some(_) => return Err(IntentError::BoardDamaged(format!("{}.{id}", board::ACTIVITIES))),
            None => return Err(IntentError::UnknownActivity(id.to_owned())),
        };
        let kind = match map.get(txn, "kind") {
            Some(Out::Any(Any::String(kind))) => ActivityKind::parse(&kind),
            _ => None,
        };
        let kind = kind.ok_or_else(|| IntentError::BoardDamaged(format!("{}.{id}.kind", board::ACTIVITIES)))?;
        Ok(ActivityView { id: id.to_owned(), map, kind })
    }

    /// Every activity on the board that reads as one, in no particular order.
    pub fn all<T: ReadTxn>(txn: &T) -> Vec<Self> {
        let Some(activities) = txn.get_map(board::ACTIVITIES) else { return Vec::new() };
        let ids: Vec<String> = activities.keys(txn).map(str::to_owned).collect();
        ids.iter().filter_map(|id| ActivityView::read(txn, id).ok()).collect()
    }

    pub fn expect_kind(&self, kind: ActivityKind) -> Result<(), IntentError> {
        if self.kind == kind { Ok(()) } else { Err(self.wrong_kind(described(kind))) }
    }

    /// The refusal for an activity of this kind where `needed` was wanted.
    pub fn wrong_kind(&self, needed: &'static str) -> IntentError {
        IntentError::WrongActivityKind { activity: self.id.clone(), kind: self.kind, needed }
    }

    pub fn field<T: DeserializeOwned, R: ReadTxn>(&self, txn: &R, key: &str) -> Result<Option<T>, IntentError> {
        let value = match self.map.get(txn, key) {
            Some(Out::Any(any)) => from_any(&any).ok(),
            Some(_) => None,
            None => return Ok(None),
        };
        value.map(Some).ok_or_else(|| IntentError::BoardDamaged(format!("{}.{}.{key}", board::ACTIVITIES, self.id)))
    }

    pub fn stage<R: ReadTxn>(&self, txn: &R) -> Result<Stage, IntentError> {
        Ok(self.field(txn, "state")?.unwrap_or_default())
    }

    pub fn expect_open<R: ReadTxn>(&self, txn: &R) -> Result<(), IntentError> {
        if self.stage(txn)? == Stage::Open { Ok(()) } else { Err(IntentError::ActivityNotOpen) }
    }

    /// The key of the editable list of this activity: touchpoints, options or sections.
    pub fn choices_key(&self) -> Result<&'static str, IntentError> {
        self.kind.choices_key().ok_or_else(|| self.wrong_kind("an emotion map, a vote or a PATH"))
    }

    pub fn choices<R: ReadTxn>(&self, txn: &R) -> Result<Vec<Choice>, IntentError> {
        Ok(self.field(txn, self.choices_key()?)?.unwrap_or_default())
    }

    pub fn expect_choice<R: ReadTxn>(&self, txn: &R, id: &str, what: &'static str) -> Result<(), IntentError> {
        if self.choices(txn)?.iter().any(|choice| choice.id == id) {
            Ok(())
        } else {
            Err(IntentError::UnknownChoice { what, id: id.to_owned() })
        }
    }

    pub fn flag<R: ReadTxn>(&self, txn: &R, key: &str) -> bool {
        self.field::<bool, R>(txn, key).ok().flatten().unwrap_or(false)
    }

    pub fn number<R: ReadTxn>(&self, txn: &R, key: &str) -> Option<u32> {
        self.field::<u32, R>(txn, key).ok().flatten()
    }
}

/// How a refusal names the kind an intent needed.
fn described(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::EmotionMap => "an emotion map",
        ActivityKind::Vote => "a vote",
        ActivityKind::Path => "a PATH",
        ActivityKind::Pledge => "a pledge activity",
        ActivityKind::Ideas => "an ideas activity",
        ActivityKind::Feedback => "a feedback activity",
    }
}
