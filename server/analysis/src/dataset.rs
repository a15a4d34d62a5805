//! What analysts get from a room: a complete, faithful, tidy dataset.
//!
//! [`Dataset::from_docs`] reads a room's board and ledger into plain rows, one
//! per card, dot, score, note, idea, pledge and touchstone, each with its id,
//! activity, time (to the minute), perspective, segments and moderation
//! state. Participants appear only under labels made for the export (`p1`,
//! `p2`...), never under their token's id; pledge contacts never appear. The
//! JSON export is this dataset as it is (its schema is `server/analysis/EXPORT-SCHEMA.md`);
//! the CSV files are its rows; the insights report is drawn from it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use yrs::types::ToJson;
use yrs::{ReadTxn, Transact};

use touchpoint_core::board::RoomDocs;
use touchpoint_core::intent::{OnBehalfOf, Profile};
use touchpoint_core::template::{Choice, Emotion, Perspective, Segment, Template, Valence};

/// The version of the export's shape; bumped on any change that breaks a reader.
pub const SCHEMA: &str = "touchpoint.export/1";

/// Everything an analyst needs from one room.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub schema: String,
    pub room: RoomInfo,
    /// The template the room was created from, as it was then (activities' final choices are below).
    pub template: Option<Template>,
    pub perspectives: Vec<Perspective>,
    pub segments: Vec<Segment>,
    pub activities: Vec<ActivityInfo>,
    pub participants: Vec<ParticipantRow>,
    pub cards: Vec<CardRow>,
    pub dots: Vec<DotRow>,
    pub scores: Vec<ScoreRow>,
    pub path_notes: Vec<NoteRow>,
    pub ideas: Vec<IdeaRow>,
    pub pledges: Vec<PledgeRow>,
    pub touchstones: Vec<TouchstoneRow>,
    pub snapshots: Vec<SnapshotInfo>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoomInfo {
    pub code: String,
    pub title: String,
    pub programme: Option<String>,
    pub template: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActivityInfo {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub order: i64,
    pub state: String,
    /// Emotion maps: `current` or `desired`.
    pub board: Option<String>,
    /// Touchpoints, options or sections, as they stood at the end.
    pub choices: Vec<Choice>,
    pub emotions: Vec<Emotion>,
    pub budget: Option<u32>,
    pub revealed: bool,
}

/// Who a contribution is from, as the person described themselves.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// The export's label for the participant; `None` for paper cards and ballots entered by a facilitator.
    pub participant: Option<String>,
    pub perspective: Option<String>,
    pub role: Option<String>,
    pub segments: BTreeMap<String, String>,
    pub remote: Option<bool>,
    pub assisted: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParticipantRow {
    pub participant: String,
    pub perspective: Option<String>,
    pub role: Option<String>,
    pub segments: BTreeMap<String, String>,
    pub remote: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CardRow {
    pub id: String,
    pub activity: String,
    pub touchpoint: String,
    pub emotion: Option<String>,
    pub word: Option<String>,
    pub valence: Option<Valence>,
    pub note: Option<String>,
    pub hidden: bool,
    pub at: i64,
    #[serde(flatten)]
    pub source: Source,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DotRow {
    pub activity: String,
    pub option: String,
    pub dots: u32,
    /// For a paper ballot typed in by a facilitator, its label in the export (`b1`, `b2`...),
    /// shared by its dots and scores rows: it has no participant label to tell voters apart.
    pub paper_ballot: Option<String>,
    #[serde(flatten)]
    pub source: Source,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScoreRow {
    pub activity: String,
    pub option: String,
    pub score: u8,
    /// As on [`DotRow`].
    pub paper_ballot: Option<String>,
    #[serde(flatten)]
    pub source: Source,
}

impl DotRow {
    /// Who placed these dots: a participant's label or a paper ballot's, so voters can be counted.
    pub fn voter(&self) -> Option<&str> {
        self.source.participant.as_deref().or(self.paper_ballot.as_deref())
    }
}

impl ScoreRow {
    /// Who gave this score: a participant's label or a paper ballot's.
    pub fn voter(&self) -> Option<&str> {
        self.source.participant.as_deref().or(self.paper_ballot.as_deref())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NoteRow {
    pub id: String,
    pub activity: String,
    pub section: String,
    pub text: String,
    pub hidden: bool,
    pub at: i64,
    #[serde(flatten)]
    pub source: Source,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IdeaRow {
    pub id: String,
    pub activity: String,
    pub option: Option<String>,
    pub text: String,
    pub hidden: bool,
    pub at: i64,
    #[serde(flatten)]
    pub source: Source,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PledgeRow {
    pub id: String,
    pub activity: String,
    pub text: String,
    /// Only where the person chose to give it.
    pub name: Option<String>,
    pub organisation: Option<String>,
    pub hidden: bool,
    pub at: i64,
    #[serde(flatten)]
    pub source: Source,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TouchstoneRow {
    pub id: String,
    pub activity: String,
    pub word: String,
    pub hidden: bool,
    pub at: i64,
    #[serde(flatten)]
    pub source: Source,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SnapshotInfo {
    pub name: String,
    pub taken_at: i64,
}

/// A contribution as the board stores it.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Stored {
    activity: String,
    touchpoint: String,
    emotion: Option<String>,
    word: Option<String>,
    note: Option<String>,
    section: String,
    option: Option<String>,
    text: String,
    name: Option<String>,
    organisation: Option<String>,
    perspective: Option<String>,
    role: Option<String>,
    assisted: bool,
    hidden: bool,
    at: i64,
}

impl Dataset {
    /// Reads a room's documents. `room`, `template` and `snapshots` come from the store, which knows them.
    pub fn from_docs(
        docs: &RoomDocs,
        room: RoomInfo,
        template: Option<Template>,
        snapshots: Vec<SnapshotInfo>,
    ) -> Self {
        let board = docs.board.transact();
        let ledger = docs.ledger.transact();
        let root = |txn: &yrs::Transaction<'_>, name: &str| -> Value {
            txn.get_map(name).map(|map| any_json(&map.to_json(txn))).unwrap_or(Value::Null)
        };
        let room_map = root(&board, "room");
        let perspectives: Vec<Perspective> = parse(&room_map["perspectives"]);
        let segments: Vec<Segment> = parse(&room_map["segments"]);

        // Labels follow the ledger's order of ids: stable between exports, unrelated to tokens.
        let profiles: BTreeMap<String, Profile> = parse(&root(&ledger, "participants"));
        let labels: BTreeMap<&str, String> =
            profiles.keys().enumerate().map(|(i, id)| (id.as_str(), format!("p{}", i + 1))).collect();
        let participants = profiles
            .iter()
            .map(|(id, profile)| ParticipantRow {
                participant: labels.get(id.as_str()).cloned().unwrap_or_default(),
                perspective: profile.perspective.clone(),
                role: profile.role.clone(),
                segments: profile.segments.clone(),
                remote: profile.remote,
            })
            .collect();
        let owners: BTreeMap<String, Value> = parse(&root(&ledger, "owners"));
        let source_of_participant = |id: &str| -> Source {
            let profile = profiles.get(id).cloned().unwrap_or_default();
            Source {
                participant: labels.get(id).cloned(),
                perspective: profile.perspective,
                role: profile.role,
                segments: profile.segments,
                remote: profile.remote,
                assisted: false,
            }
        };
        let source = |id: &str, stored: &Stored| -> Source {
            match owners.get(id).and_then(|owner| owner["owner"].as_str()) {
                Some(owner) if owner != "assisted" && profiles.contains_key(owner) => Source {
                    // The card keeps the perspective it was made under, even if the profile changed since.
                    perspective: stored.perspective.clone(),
                    role: stored.role.clone(),
                    ..source_of_participant(owner)
                },
                _ => Source {
                    perspective: stored.perspective.clone(),
                    role: stored.role.clone(),
                    assisted: stored.assisted,
                    ..Source::default()
                },
            }
        };

        let mut activities: Vec<ActivityInfo> = match root(&board, "activities") {
            Value::Object(all) => all.values().map(activity_info).collect(),
            _ => Vec::new(),
        };
        activities.sort_by_key(|activity| activity.order);
        let valence_of = |activity: &str, emotion: &Option<String>| -> Option<Valence> {
            let emotion = emotion.as_deref()?;
            let activity = activities.iter().find(|a| a.id == activity)?;
            activity.emotions.iter().find(|e| e.id == emotion).map(|e| e.valence)
        };

        let contributions = |name: &str| -> Vec<(String, Stored)> {
            let mut rows: Vec<(String, Stored)> = match root(&board, name) {
                Value::Object(all) => all.into_iter().map(|(id, value)| (id, parse(&value))).collect(),
                _ => Vec::new(),
            };
            rows.sort_by(|(a_id, a), (b_id, b)| (a.at, a_id).cmp(&(b.at, b_id)));
            rows
        };
        let cards = contributions("cards")
            .into_iter()
            .map(|(id, c)| CardRow {
                source: source(&id, &c),
                valence: valence_of(&c.activity, &c.emotion),
                id,
                activity: c.activity,
                touchpoint: c.touchpoint,
                emotion: c.emotion,
                word: c.word,
                note: c.note,
                hidden: c.hidden,
                at: c.at,
            })
            .collect();
        let path_notes = contributions("path_notes")
            .into_iter()
            .map(|(id, c)| NoteRow {
                source: source(&id, &c),
                id,
                activity: c.activity,
                section: c.section,
                text: c.text,
                hidden: c.hidden,
                at: c.at,
            })
            .collect();
        let ideas = contributions("ideas")
            .into_iter()
            .map(|(id, c)| IdeaRow {
                source: source(&id, &c),
                id,
                activity: c.activity,
                option: c.option,
                text: c.text,
                hidden: c.hidden,
                at: c.at,
            })
            .collect();
        let pledges = contributions("pledges")
            .into_iter()
            .map(|(id, c)| PledgeRow {
                source: source(&id, &c),
                id,
                activity: c.activity,
                text: c.text,
                name: c.name,
                organisation: c.organisation,
                hidden: c.hidden,
                at: c.at,
            })
            .collect();
        let touchstones = contributions("touchstones")
            .into_iter()
            .map(|(id, c)| TouchstoneRow {
                source: source(&id, &c),
                id,
                activity: c.activity,
                word: c.word.unwrap_or_default(),
                hidden: c.hidden,
                at: c.at,
            })
            .collect();

        // Ballots are keyed `activity:participant` in the ledger, or `activity:paper.<id>` for a
        // paper ballot, whose source is kept beside them (it has no profile).
        let paper: BTreeMap<String, OnBehalfOf> = parse(&root(&ledger, "paper_ballots"));
        let paper_labels: BTreeMap<&str, String> =
            paper.keys().enumerate().map(|(i, key)| (key.as_str(), format!("b{}", i + 1))).collect();
        let voter_of = |key: &str, participant: &str| -> (Option<String>, Source) {
            match paper.get(key) {
                Some(behalf) => (
                    paper_labels.get(key).cloned(),
                    Source {
                        perspective: behalf.perspective.clone(),
                        role: behalf.role.clone(),
                        assisted: true,
                        ..Source::default()
                    },
                ),
                None => (None, source_of_participant(participant)),
            }
        };
        let ballots = |name: &str| -> Vec<(String, String, String, BTreeMap<String, u32>)> {
            let all: BTreeMap<String, BTreeMap<String, u32>> = parse(&root(&ledger, name));
            all.into_iter()
                .filter_map(|(key, ballot)| {
                    let (activity, participant) = key.split_once(':')?;
                    Some((key.clone(), activity.to_owned(), participant.to_owned(), ballot))
                })
                .collect()
        };
        let mut dots = Vec::new();
        for (key, activity, participant, ballot) in ballots("ballots") {
            for (option, n) in ballot.into_iter().filter(|(_, n)| *n > 0) {
                let (paper_ballot, source) = voter_of(&key, &participant);
                dots.push(DotRow { activity: activity.clone(), option, dots: n, paper_ballot, source });
            }
        }
        let mut scores = Vec::new();
        for (key, activity, participant, ballot) in ballots("scores") {
            for (option, score) in ballot {
                let (paper_ballot, source) = voter_of(&key, &participant);
                let score = u8::try_from(score).unwrap_or(0);
                scores.push(ScoreRow { activity: activity.clone(), option, score, paper_ballot, source });
            }
        }

        Dataset {
            schema: SCHEMA.to_owned(),
            room,
            template,
            perspectives,
            segments,
            activities,
            participants,
            cards,
            dots,
            scores,
            path_notes,
            ideas,
            pledges,
            touchstones,
            snapshots,
        }
    }
}

fn any_json(any: &yrs::Any) -> Value {
    serde_json::to_value(any).unwrap_or(Value::Null)
}

/// Reads a value leniently: what does not fit becomes the default, never a panic.
fn parse<T: serde::de::DeserializeOwned + Default>(value: &Value) -> T {
    serde_json::from_value(value.clone()).unwrap_or_default()
}

fn activity_info(value: &Value) -> ActivityInfo {
    let text = |key: &str| value[key].as_str().unwrap_or_default().to_owned();
    let choices = ["touchpoints", "options", "sections"]
        .iter()
        .find(|key| value[**key].is_array())
        .map(|key| parse(&value[*key]))
        .unwrap_or_default();
    ActivityInfo {
        id: text("id"),
        kind: text("kind"),
        title: text("title"),
        order: value["order"].as_i64().unwrap_or_default(),
        state: text("state"),
        board: value["board"].as_str().map(str::to_owned),
        choices,
        emotions: parse(&value["emotions"]),
        budget: value["budget"].as_u64().and_then(|n| u32::try_from(n).ok()),
        revealed: value["revealed"].as_bool().unwrap_or(false),
    }
}
