//! The right to erasure: a participant's `erase_me`, which removes everything of them.
//!
//! Their contributions (in any state), ballots, scores, pledge contacts,
//! profile and remembered intents all go; participation is recounted without
//! them, and revealed results forget their votes. The erased ids are handed
//! back so the server can scrub every stored copy of the board too. The
//! participant's id is remembered as erased, so that their token, which the
//! server signed and cannot take back, is refused from then on.

use std::collections::BTreeSet;

use yrs::{Map, Out, ReadTxn, WriteTxn};

use super::IntentError;
use super::change::Change;
use crate::room::activity::ActivityView;
use crate::room::contribution::Owner;
use crate::room::layout::{ActivityKind, Collection, ledger, split_ballot_key};
use crate::room::value::from_any;
use crate::room::view::Outcome;

impl Change<'_, '_> {
    pub(super) fn erase_me(&mut self) -> Result<Outcome, IntentError> {
        let participant = self.participant()?;
        let mine = self.own_contributions(&participant);
        for (id, collection) in &mine {
            self.board.get_or_insert_map(collection.root()).remove(self.board, id);
            self.ledger.get_or_insert_map(ledger::OWNERS).remove(self.ledger, id);
            self.forget_held(id);
        }
        let pledges: Vec<&str> = mine
            .iter()
            .filter(|(_, collection)| *collection == Collection::Pledges)
            .map(|(id, _)| id.as_str())
            .collect();
        self.withdraw_follow_ups(&pledges);
        let voted = self.forget_ballots(&participant);
        self.forget_intents(&participant);
        // Revealed results must forget the erased votes too, and the console hear of it.
        for view in ActivityView::all(self.board) {
            if view.kind == ActivityKind::Vote {
                let refreshed =
                    if voted.contains(&view.id) { self.tally_changed(&view) } else { self.refresh_results(&view) };
                // A vote whose options are damaged on the board has no results to keep in step:
                // the person is erased all the same.
                match refreshed {
                    Ok(()) | Err(IntentError::BoardDamaged(_)) => {}
                    Err(error) => return Err(error),
                }
            }
        }
        self.ledger.get_or_insert_map(ledger::PARTICIPANTS).remove(self.ledger, &participant);
        self.ledger.get_or_insert_map(ledger::ERASED).insert(self.ledger, participant.as_str(), true);
        self.recount()?;
        self.erased = mine.iter().map(|(id, _)| id.clone()).collect();
        Ok(Outcome::Erased { erased: mine.len() })
    }

    /// The id and collection of every contribution a participant owns.
    pub(super) fn own_contributions(&self, participant: &str) -> Vec<(String, Collection)> {
        let Some(owners) = self.ledger.get_map(ledger::OWNERS) else { return Vec::new() };
        owners
            .iter(self.ledger)
            .filter_map(|(id, owner)| match owner {
                Out::Any(any) => from_any::<Owner>(&any).ok().map(|owner| (id, owner)),
                _ => None,
            })
            .filter(|(_, owner)| owner.participant() == Some(participant))
            .map(|(id, owner)| (id.to_owned(), owner.collection))
            .collect()
    }

    /// Removes a participant's ballots and scores; returns the votes they were in.
    fn forget_ballots(&mut self, participant: &str) -> BTreeSet<String> {
        let mut voted = BTreeSet::new();
        for root in [ledger::BALLOTS, ledger::SCORES] {
            let map = self.ledger.get_or_insert_map(root);
            let keys: Vec<String> = map
                .keys(self.ledger)
                .filter(|key| split_ballot_key(key).is_some_and(|(_, voter)| voter == participant))
                .map(str::to_owned)
                .collect();
            for key in keys {
                if let Some((activity, _)) = split_ballot_key(&key) {
                    voted.insert(activity.to_owned());
                }
                map.remove(self.ledger, &key);
            }
        }
        voted
    }

    /// Forgets the keys of what the participant asked: an erasure leaves no trace of them.
    fn forget_intents(&mut self, participant: &str) {
        let prefix = format!("{participant}/");
        let map = self.ledger.get_or_insert_map(ledger::INTENTS);
        let keys: Vec<String> =
            map.keys(self.ledger).filter(|key| key.starts_with(&prefix)).map(str::to_owned).collect();
        for key in keys {
            map.remove(self.ledger, &key);
        }
    }
}
