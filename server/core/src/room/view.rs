//! What the room answers: the outcome of an intent, a participant's own view, a vote's results.
//!
//! Each is a plain serialisable struct, so the shape of every answer is
//! known at compile time; the JSON they serialise to is the wire format the
//! clients read (`client/README.md`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yrs::{Map, Out, ReadTxn};

use super::follow_up::OwnFollowUp;
use super::intent::Profile;
use super::layout::{Collection, Stage, ledger};
use super::value::from_any_or_default;
use crate::template::Choice;

/// The answer to an intent, the same on a retry with the same key.
///
/// Untagged: each variant serialises to the object its intent has always
/// answered, and a remembered answer reads back as the variant with exactly
/// its fields (hence `deny_unknown_fields` and the order, the empty one first).
/// Within a variant, fields are in alphabetical order, as answers have always been sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged, deny_unknown_fields)]
pub enum Outcome {
    /// Nothing to say (`stop_timer`, a registration).
    Done {},
    /// A contribution or choice made or changed.
    Id {
        id: String,
    },
    /// A participant's contribution that arrived after its activity closed: kept, hidden until
    /// the facilitator shows it.
    Late {
        id: String,
        late: bool,
    },
    Withdrawn {
        id: String,
        withdrawn: bool,
    },
    Hidden {
        hidden: bool,
        id: String,
    },
    /// A contribution held for the facilitator's approval: not shown until approved.
    Held {
        held: bool,
        id: String,
    },
    Reviewed {
        approved: bool,
        id: String,
    },
    Moderation {
        activity: String,
        moderated: bool,
    },
    /// Whether a pledge's contact was there to erase.
    ContactErased {
        erased: bool,
        id: String,
    },
    /// How many contributions an erasure removed.
    Erased {
        erased: usize,
    },
    Moved {
        id: String,
        position: usize,
    },
    Staged {
        activity: String,
        state: Stage,
    },
    Revealed {
        activity: String,
        revealed: bool,
    },
    Budget {
        activity: String,
        budget: u32,
    },
    Current {
        /// Always sent, `null` for the lobby.
        #[schema(required = true)]
        current: Option<String>,
    },
    Timer {
        ends_at: u64,
    },
    Snapshot {
        snapshot: String,
    },
    Profile {
        profile: Profile,
    },
    /// A participant's ballot in a vote after `set_dots`, and the dots left to place.
    Dots {
        dots: BTreeMap<String, u32>,
        remaining: u32,
    },
    Scores {
        scores: BTreeMap<String, u8>,
    },
    PaperBallot {
        dots: BTreeMap<String, u32>,
        id: String,
        scores: BTreeMap<String, u8>,
    },
}

/// What a participant may see of their own (`GET /me`); fields in alphabetical order, as ever.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ParticipantView {
    pub contributions: Vec<OwnContribution>,
    /// Activity id → option id → dots.
    pub dots: BTreeMap<String, BTreeMap<String, u32>>,
    pub profile: Profile,
    /// Activity id → option id → score.
    pub scores: BTreeMap<String, BTreeMap<String, u8>>,
}

/// One of a participant's contributions, by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OwnContribution {
    pub collection: Collection,
    /// For a pledge, whether a contact is held (never the contact): the phone offers to delete it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<bool>,
    /// For a pledge whose author asked to be contacted about it: when, and where it stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<OwnFollowUp>,
    /// Held for the facilitator (waiting, or turned down): not on the board, so the phone says so.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub held: bool,
    pub id: String,
}

/// A vote's results, by option id.
pub type VoteResults = BTreeMap<String, OptionResult>;

/// The tally of one option: phones' and paper ballots alike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OptionResult {
    pub dots: u64,
    /// The mean score to two decimals, if anyone scored it.
    pub mean_score: Option<f64>,
    /// How many people gave a score of 1, 2, 3, 4 and 5.
    pub scores: [u64; 5],
    /// How many ballots put a dot on it.
    pub voters: u64,
}

/// Each ballot (or scores) of one activity in a ledger root, by voter.
pub(crate) fn ballots_of<T: ReadTxn, V: serde::de::DeserializeOwned + Default>(
    ledger: &T,
    root: &str,
    activity: &str,
) -> Vec<(String, V)> {
    let prefix = super::layout::ballot_key(activity, "");
    let Some(map) = ledger.get_map(root) else { return Vec::new() };
    map.iter(ledger)
        .filter_map(|(key, value)| match value {
            Out::Any(any) => Some((key.strip_prefix(&prefix)?.to_owned(), from_any_or_default(&any))),
            _ => None,
        })
        .collect()
}

/// A vote's results from every ballot and score in the ledger.
pub(crate) fn tally<T: ReadTxn>(ledger: &T, activity: &str, options: &[Choice]) -> VoteResults {
    let mut dots: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut scores: BTreeMap<String, [u64; 5]> = BTreeMap::new();
    for (_, ballot) in ballots_of::<_, BTreeMap<String, u32>>(ledger, ledger::BALLOTS, activity) {
        for (option, n) in ballot {
            let entry = dots.entry(option).or_default();
            entry.0 += u64::from(n);
            entry.1 += 1;
        }
    }
    for (_, given) in ballots_of::<_, BTreeMap<String, u8>>(ledger, ledger::SCORES, activity) {
        for (option, score) in given {
            if let Some(slot) = scores.entry(option).or_default().get_mut(usize::from(score.saturating_sub(1))) {
                *slot += 1;
            }
        }
    }
    options
        .iter()
        .map(|option| {
            let (n_dots, n_voters) = dots.get(&option.id).copied().unwrap_or_default();
            let distribution = scores.get(&option.id).copied().unwrap_or_default();
            let n_scores: u64 = distribution.iter().sum();
            let total: u64 = distribution.iter().enumerate().map(|(i, n)| (i as u64 + 1) * n).sum();
            let mean = (n_scores > 0).then(|| (total as f64 / n_scores as f64 * 100.0).round() / 100.0);
            let result = OptionResult { dots: n_dots, mean_score: mean, scores: distribution, voters: n_voters };
            (option.id.clone(), result)
        })
        .collect()
}

/// How large a room's board is, against its ceiling (for the facilitator, who can see it coming).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct BoardSize {
    /// The board's encoded state, as a client that joins receives it.
    pub bytes: usize,
    /// The most it may hold; none where the server sets no ceiling.
    pub limit: Option<usize>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_keep_their_keys_in_the_order_they_have_always_had() {
        let check = |outcome: Outcome, expected: &str| {
            assert_eq!(serde_json::to_string(&outcome).expect("an outcome serialises"), expected);
            assert_eq!(serde_json::from_str::<Outcome>(expected).expect("and reads back"), outcome);
        };
        check(Outcome::Done {}, "{}");
        check(Outcome::Hidden { hidden: true, id: "c1".to_owned() }, r#"{"hidden":true,"id":"c1"}"#);
        check(Outcome::ContactErased { erased: false, id: "c1".to_owned() }, r#"{"erased":false,"id":"c1"}"#);
        check(Outcome::Current { current: None }, r#"{"current":null}"#);
        check(Outcome::Late { id: "c1".to_owned(), late: true }, r#"{"id":"c1","late":true}"#);
        let dots = BTreeMap::from([("a".to_owned(), 2)]);
        check(
            Outcome::PaperBallot { dots, id: "b1".to_owned(), scores: BTreeMap::new() },
            r#"{"dots":{"a":2},"id":"b1","scores":{}}"#,
        );
        let profile = Profile {
            perspective: Some("staff".to_owned()),
            remote: Some(true),
            role: Some("gp".to_owned()),
            segments: BTreeMap::from([("working".to_owned(), "yes".to_owned())]),
        };
        check(
            Outcome::Profile { profile },
            r#"{"profile":{"perspective":"staff","remote":true,"role":"gp","segments":{"working":"yes"}}}"#,
        );
    }
}
