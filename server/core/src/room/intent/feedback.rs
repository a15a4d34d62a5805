//! The rule of event feedback: one answer per person and activity, which they may change.
//!
//! Feedback is a contribution like an idea (on the board, anonymous, owned in
//! the ledger, withdrawn, hidden and erased as every contribution is), with
//! one rule of its own: a participant has one answer per feedback activity, so
//! a second answer replaces the first under the same id. A facilitator typing
//! in a paper form on someone's behalf adds one answer each time, as for paper
//! cards: the people behind paper answers are not told apart.

use super::change::Change;
use super::{IntentError, MAX_FEEDBACK_CHARS, OnBehalfOf, clean_optional};
use crate::room::contribution::{Feedback, Header};
use crate::room::layout::{ActivityKind, Collection};
use crate::room::view::Outcome;

impl Change<'_, '_> {
    pub(super) fn set_feedback(
        &mut self,
        activity: &str,
        rating: u8,
        worked: Option<&str>,
        change: Option<&str>,
        behalf: Option<&OnBehalfOf>,
    ) -> Result<Outcome, IntentError> {
        self.contribution_activity(activity, ActivityKind::Feedback, behalf)?;
        if !(1..=5).contains(&rating) {
            return Err(IntentError::InvalidScore);
        }
        let worked = clean_optional(worked, "worked", MAX_FEEDBACK_CHARS)?;
        let change = clean_optional(change, "change", MAX_FEEDBACK_CHARS)?;
        let (mut header, owner) = self.header(activity, behalf)?;
        let earlier = match behalf {
            Some(_) => None,
            None => self.own_feedback(&owner, activity)?,
        };
        let Some(earlier) = earlier else {
            return Ok(self.add(Feedback { header, rating, worked, change }, owner));
        };
        // A late answer is kept only as a first answer: one given on time is not changed after the close.
        if header.late {
            return Err(IntentError::ActivityNotOpen);
        }
        // The answer keeps its id, and moderation sticks to it: changing it does not unhide it.
        header.id = earlier.id;
        header.hidden = earlier.hidden;
        let id = header.id.clone();
        self.put(&Feedback { header, rating, worked, change });
        Ok(Outcome::Id { id })
    }

    /// The header of a participant's answer to one feedback activity, if they gave one.
    fn own_feedback(&self, participant: &str, activity: &str) -> Result<Option<Header>, IntentError> {
        for (id, collection) in self.own_contributions(participant) {
            if collection == Collection::Feedback {
                let header: Header = self.contribution(&id, collection)?;
                if header.activity == activity {
                    return Ok(Some(header));
                }
            }
        }
        Ok(None)
    }
}
