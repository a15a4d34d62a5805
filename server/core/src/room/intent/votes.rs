//! The rules of votes: dots, scores, paper ballots, the reveal and the budget.
//!
//! Ballots never reach the board: they are kept in the ledger under
//! [`ballot_key`], one per phone and one per paper ballot, and the board
//! shows only how often the tally changed and, once revealed, the results.

use std::collections::BTreeMap;

use yrs::{Map, Out, ReadTxn, WriteTxn};

use super::change::{AuditAction, Change};
use super::{Actor, IntentError, MAX_VOTE_BUDGET, OnBehalfOf};
use crate::room::activity::ActivityView;
use crate::room::layout::{ActivityKind, Stage, ballot_key, ledger, paper_voter, split_ballot_key};
use crate::room::value::{from_any, to_any};
use crate::room::view::{Outcome, tally};

/// The lowest and highest score of the feedback scale.
const SCORE_RANGE: std::ops::RangeInclusive<u8> = 1..=5;

impl Change<'_, '_> {
    /// Puts `dots` of one's budget on an option of an open vote (0 takes them back).
    pub(super) fn set_dots(&mut self, activity: &str, option: &str, dots: u32) -> Result<Outcome, IntentError> {
        let participant = self.participant()?;
        let view = self.open_vote(activity, option)?;
        let (budget, max) = self.dot_limits(&view)?;
        if dots > max {
            return Err(IntentError::OverOptionLimit { max });
        }
        let key = ballot_key(activity, &participant);
        let mut ballot: BTreeMap<String, u32> = self.ledger_value(ledger::BALLOTS, &key)?;
        ballot.insert(option.to_owned(), dots);
        ballot.retain(|_, dots| *dots > 0);
        let wanted: u32 = ballot.values().sum();
        if wanted > budget {
            return Err(IntentError::OverBudget { wanted, budget });
        }
        self.ledger.get_or_insert_map(ledger::BALLOTS).insert(self.ledger, key, to_any(&ballot));
        self.tally_changed(&view)?;
        Ok(Outcome::Dots { dots: ballot, remaining: budget - wanted })
    }

    /// Scores an option of an open vote from 1 to 5, or clears the score.
    pub(super) fn set_score(
        &mut self,
        activity: &str,
        option: &str,
        score: Option<u8>,
    ) -> Result<Outcome, IntentError> {
        let participant = self.participant()?;
        let view = self.open_vote(activity, option)?;
        if !view.flag(self.board, "scale") {
            return Err(IntentError::NoScale);
        }
        if score.is_some_and(|score| !SCORE_RANGE.contains(&score)) {
            return Err(IntentError::InvalidScore);
        }
        let key = ballot_key(activity, &participant);
        let mut scores: BTreeMap<String, u8> = self.ledger_value(ledger::SCORES, &key)?;
        match score {
            Some(score) => scores.insert(option.to_owned(), score),
            None => scores.remove(option),
        };
        self.ledger.get_or_insert_map(ledger::SCORES).insert(self.ledger, key, to_any(&scores));
        self.tally_changed(&view)?;
        Ok(Outcome::Scores { scores })
    }

    /// Records one paper voter's whole ballot under a key of its own (`activity:paper.<id>`), so
    /// the tally counts it as one more voter; who it is from goes in `paper_ballots`, never in
    /// `participants`, so participation counts are untouched, as for paper cards. The rules are a
    /// phone's, checked for the whole ballot at once; like other paper entries it may be typed
    /// in once the vote has opened, locked or not.
    pub(super) fn add_paper_ballot(
        &mut self,
        activity: &str,
        dots: &BTreeMap<String, u32>,
        scores: &BTreeMap<String, u8>,
        behalf: OnBehalfOf,
    ) -> Result<Outcome, IntentError> {
        let view = ActivityView::read(self.board, activity)?;
        view.expect_kind(ActivityKind::Vote)?;
        self.expect_contributable(&view, Some(&behalf))?;
        self.check_perspective(behalf.perspective.as_deref(), behalf.role.as_deref())?;
        for option in dots.keys().chain(scores.keys()) {
            view.expect_choice(self.board, option, "option")?;
        }
        let dots: BTreeMap<String, u32> = dots.iter().filter(|(_, n)| **n > 0).map(|(o, n)| (o.clone(), *n)).collect();
        if !dots.is_empty() {
            let (budget, max) = self.dot_limits(&view)?;
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
        if scores.values().any(|score| !SCORE_RANGE.contains(score)) {
            return Err(IntentError::InvalidScore);
        }
        if dots.is_empty() && scores.is_empty() {
            return Err(IntentError::Empty { field: "ballot" });
        }
        let key = ballot_key(activity, &paper_voter(self.context.new_id));
        if !dots.is_empty() {
            self.ledger.get_or_insert_map(ledger::BALLOTS).insert(self.ledger, key.as_str(), to_any(&dots));
        }
        if !scores.is_empty() {
            self.ledger.get_or_insert_map(ledger::SCORES).insert(self.ledger, key.as_str(), to_any(scores));
        }
        self.ledger.get_or_insert_map(ledger::PAPER_BALLOTS).insert(self.ledger, key.as_str(), to_any(&behalf));
        self.record_helper_entry(self.context.new_id);
        self.tally_changed(&view)?;
        Ok(Outcome::PaperBallot { id: self.context.new_id.to_owned(), dots, scores: scores.clone() })
    }

    /// The ledger key of a paper ballot by the id its entry answered with; only the facilitator
    /// and the helper who typed it in may find it (a participant's withdraw of such an id, or
    /// another helper key's, finds nothing).
    pub(super) fn paper_ballot_key(&self, id: &str) -> Option<String> {
        if self.actor != Actor::Facilitator && !self.is_own_helper_entry(id) {
            return None;
        }
        let voter = paper_voter(id);
        let ballots = self.ledger.get_map(ledger::PAPER_BALLOTS)?;
        ballots.keys(self.ledger).find(|key| key.ends_with(&ballot_key("", &voter))).map(str::to_owned)
    }

    /// Takes back a paper ballot typed in by mistake: whenever one may be typed in, the vote
    /// locked or not, as the correction of an entry rather than a change of mind.
    pub(super) fn withdraw_paper_ballot(&mut self, key: &str, id: &str) -> Result<Outcome, IntentError> {
        let activity = split_ballot_key(key).map_or(key, |(activity, _)| activity);
        let view = ActivityView::read(self.board, activity)?;
        for root in [ledger::BALLOTS, ledger::SCORES, ledger::PAPER_BALLOTS] {
            self.ledger.get_or_insert_map(root).remove(self.ledger, key);
        }
        self.ledger.get_or_insert_map(ledger::HELPER_ENTRIES).remove(self.ledger, id);
        self.tally_changed(&view)?;
        Ok(Outcome::Withdrawn { id: id.to_owned(), withdrawn: true })
    }

    /// Shows (or hides again) a vote's results to participants and the projector.
    pub(super) fn reveal(&mut self, activity: &str, revealed: bool) -> Result<Outcome, IntentError> {
        let view = ActivityView::read(self.board, activity)?;
        if view.kind != ActivityKind::EmotionMap {
            view.expect_kind(ActivityKind::Vote)?;
        }
        view.map.insert(self.board, "revealed", revealed);
        // An emotion map's counts are on the board all along; revealing only lets screens show them.
        if view.kind == ActivityKind::Vote {
            self.refresh_results(&view)?;
        }
        self.audit(if revealed { AuditAction::Reveal } else { AuditAction::Conceal }, Some(activity), None);
        Ok(Outcome::Revealed { activity: activity.to_owned(), revealed })
    }

    /// Changes a vote's budget before it opens; a per-option limit above it comes down to it.
    pub(super) fn set_budget(&mut self, activity: &str, budget: u32) -> Result<Outcome, IntentError> {
        let view = ActivityView::read(self.board, activity)?;
        view.expect_kind(ActivityKind::Vote)?;
        if view.stage(self.board)? != Stage::Pending {
            return Err(IntentError::ActivityStarted);
        }
        if budget > MAX_VOTE_BUDGET {
            return Err(IntentError::InvalidBudget);
        }
        view.map.insert(self.board, "budget", i64::from(budget));
        if view.number(self.board, "max_per_option").is_some_and(|max| max > budget) {
            view.map.insert(self.board, "max_per_option", i64::from(budget));
        }
        self.audit(AuditAction::SetBudget, Some(activity), None);
        Ok(Outcome::Budget { activity: activity.to_owned(), budget })
    }

    /// Every change to a vote's ballots and scores: counted on the board (`tally_version`), so
    /// the console knows to fetch the results it alone may see before the reveal, without
    /// polling (a count of changes says nothing of who voted or for what); and the public
    /// results kept in step.
    pub(super) fn tally_changed(&mut self, view: &ActivityView) -> Result<(), IntentError> {
        let version = view.number(self.board, "tally_version").unwrap_or(0).saturating_add(1);
        view.map.insert(self.board, "tally_version", i64::from(version));
        self.refresh_results(view)
    }

    /// Keeps a vote's public results in step: present and current once revealed, absent before.
    pub(super) fn refresh_results(&mut self, view: &ActivityView) -> Result<(), IntentError> {
        if view.flag(self.board, "revealed") {
            let results = tally(self.ledger, &view.id, &view.choices(self.board)?);
            view.map.insert(self.board, "results", to_any(&results));
        } else if view.map.contains_key(self.board, "results") {
            view.map.remove(self.board, "results");
        }
        Ok(())
    }

    /// A vote open for phones, with `option` among its options.
    fn open_vote(&self, activity: &str, option: &str) -> Result<ActivityView, IntentError> {
        let view = ActivityView::read(self.board, activity)?;
        view.expect_kind(ActivityKind::Vote)?;
        view.expect_open(self.board)?;
        view.expect_choice(self.board, option, "option")?;
        Ok(view)
    }

    /// A vote's budget and the most dots one ballot may put on one option; no budget, no dots.
    fn dot_limits(&self, view: &ActivityView) -> Result<(u32, u32), IntentError> {
        let budget = view.number(self.board, "budget").unwrap_or(0);
        if budget == 0 {
            return Err(IntentError::NoDots);
        }
        Ok((budget, view.number(self.board, "max_per_option").unwrap_or(budget)))
    }

    /// A ballot or scores kept in the ledger; empty if there is none yet.
    fn ledger_value<T: serde::de::DeserializeOwned + Default>(&self, root: &str, key: &str) -> Result<T, IntentError> {
        match self.ledger.get_map(root).and_then(|map| map.get(self.ledger, key)) {
            Some(Out::Any(any)) => from_any(&any),
            _ => Ok(T::default()),
        }
    }
}
