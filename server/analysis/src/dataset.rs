//! What analysts get from a room: a complete, faithful, tidy dataset.
//!
//! [`Dataset::from_docs`] reads a room's board and ledger into plain rows, one
//! per card, dot, score, note, idea, pledge, touchstone and feedback answer, each with its id,
//! activity, time (to the minute), perspective, segments and moderation
//! state. Participants appear only under labels made for the export (`p1`,
//! `p2`...), never under their token's id; pledge contacts never appear. The
//! JSON export is this dataset as it is (its schema is `server/analysis/EXPORT-SCHEMA.md`);
//! the CSV files are its rows; the insights report is drawn from it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use touchpoint_core::room::RoomDocs;
use touchpoint_core::room::contribution::{Contributed, Header};
use touchpoint_core::room::holds::{Status, status};
use touchpoint_core::room::layout::ActivityKind;
use touchpoint_core::room::record::{Authored, RoomRecord};
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
    /// Absent from exports made before event feedback existed.
    #[serde(default)]
    pub feedback: Vec<FeedbackRow>,
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityInfo {
    pub id: String,
    pub kind: ActivityKind,
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

/// What every contribution row says besides its own fields: whether and how it was screened,
/// whether it came late, when, and who it is from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Marks {
    pub hidden: bool,
    /// Shown, hidden, held (waiting for the facilitator) or rejected; `shown`/`hidden` in older exports.
    #[serde(default)]
    pub status: Status,
    /// Arrived after its activity closed (hidden until the facilitator showed it). Absent from older exports.
    #[serde(default)]
    pub late: bool,
    pub at: i64,
    #[serde(flatten)]
    pub source: Source,
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
    #[serde(flatten)]
    pub marks: Marks,
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
    #[serde(flatten)]
    pub marks: Marks,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IdeaRow {
    pub id: String,
    pub activity: String,
    pub option: Option<String>,
    pub text: String,
    #[serde(flatten)]
    pub marks: Marks,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PledgeRow {
    pub id: String,
    pub activity: String,
    pub text: String,
    /// Only where the person chose to give it.
    pub name: Option<String>,
    pub organisation: Option<String>,
    #[serde(flatten)]
    pub marks: Marks,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TouchstoneRow {
    pub id: String,
    pub activity: String,
    pub word: String,
    #[serde(flatten)]
    pub marks: Marks,
}

/// One person's feedback on the event (a paper form is one row of its own).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FeedbackRow {
    pub id: String,
    pub activity: String,
    /// From 1 to 5.
    pub rating: u8,
    /// What worked, if they said.
    pub worked: Option<String>,
    /// What to change, if they said.
    pub change: Option<String>,
    #[serde(flatten)]
    pub marks: Marks,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SnapshotInfo {
    pub name: String,
    pub taken_at: i64,
}

impl Dataset {
    /// Reads a room's documents. `room`, `template` and `snapshots` come from the store, which knows them.
    pub fn from_docs(
        docs: &RoomDocs,
        room: RoomInfo,
        template: Option<Template>,
        snapshots: Vec<SnapshotInfo>,
    ) -> Self {
        let record = RoomRecord::read(docs);
        let held = record.held.clone();
        // Labels follow the ledger's order of ids: stable between exports, unrelated to tokens.
        let profiles = &record.profiles;
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
        let source = |author: &Option<String>, header: &Header| -> Source {
            match author {
                Some(owner) if profiles.contains_key(owner) => Source {
                    // The card keeps the perspective it was made under, even if the profile changed since.
                    perspective: header.perspective.clone(),
                    role: header.role.clone(),
                    ..source_of_participant(owner)
                },
                _ => Source {
                    perspective: header.perspective.clone(),
                    role: header.role.clone(),
                    assisted: header.assisted,
                    ..Source::default()
                },
            }
        };

        let activities: Vec<ActivityInfo> = record
            .activities
            .into_iter()
            .map(|a| ActivityInfo {
                id: a.id,
                kind: a.kind,
                title: a.title,
                order: a.order,
                state: a.state.as_str().to_owned(),
                board: a.board.map(|board| board.as_str().to_owned()),
                choices: a.choices,
                emotions: a.emotions,
                budget: a.budget,
                revealed: a.revealed,
            })
            .collect();
        let valence_of = |activity: &str, emotion: &Option<String>| -> Option<Valence> {
            let emotion = emotion.as_deref()?;
            let activity = activities.iter().find(|a| a.id == activity)?;
            activity.emotions.iter().find(|e| e.id == emotion).map(|e| e.valence)
        };
        // The export keeps times as signed seconds, and a contribution's source as its author described it.
        let common = |author: &Option<String>, header: Header| -> Common {
            let marks = Marks {
                hidden: header.hidden,
                status: status(&held, &header),
                late: header.late,
                at: i64::try_from(header.at).unwrap_or(i64::MAX),
                source: source(author, &header),
            };
            (header.id, header.activity, marks)
        };
        let cards = rows(record.cards, &common, |c, (id, activity, marks)| {
            let valence = valence_of(&activity, &c.emotion);
            let (touchpoint, emotion, word, note) = (c.touchpoint, c.emotion, c.word, c.note);
            CardRow { id, activity, touchpoint, emotion, word, valence, note, marks }
        });
        let path_notes = rows(record.path_notes, &common, |c, (id, activity, marks)| NoteRow {
            id,
            activity,
            section: c.section,
            text: c.text,
            marks,
        });
        let ideas = rows(record.ideas, &common, |c, (id, activity, marks)| IdeaRow {
            id,
            activity,
            option: c.option,
            text: c.text,
            marks,
        });
        let pledges = rows(record.pledges, &common, |c, (id, activity, marks)| {
            let (text, name, organisation) = (c.text, c.name, c.organisation);
            PledgeRow { id, activity, text, name, organisation, marks }
        });
        let touchstones = rows(record.touchstones, &common, |c, (id, activity, marks)| TouchstoneRow {
            id,
            activity,
            word: c.word,
            marks,
        });
        let feedback = rows(record.feedback, &common, |c, (id, activity, marks)| {
            let (rating, worked, change) = (c.rating, c.worked, c.change);
            FeedbackRow { id, activity, rating, worked, change, marks }
        });

        // A paper ballot has no profile: its source is kept beside it, and it gets a label of its own.
        let paper = &record.paper_ballots;
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
        let mut dots = Vec::new();
        for ballot in &record.ballots {
            for (option, n) in ballot.values.iter().filter(|(_, n)| **n > 0) {
                let (paper_ballot, source) = voter_of(&ballot.key, &ballot.voter);
                let (activity, option) = (ballot.activity.clone(), option.clone());
                dots.push(DotRow { activity, option, dots: *n, paper_ballot, source });
            }
        }
        let mut scores = Vec::new();
        for ballot in &record.scores {
            for (option, score) in &ballot.values {
                let (paper_ballot, source) = voter_of(&ballot.key, &ballot.voter);
                let (activity, option) = (ballot.activity.clone(), option.clone());
                scores.push(ScoreRow { activity, option, score: *score, paper_ballot, source });
            }
        }
        let (perspectives, segments) = (record.room.perspectives, record.room.segments);

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
            feedback,
            snapshots,
        }
    }
}

/// What every row takes from a contribution's header: its id, its activity and its [`Marks`].
type Common = (String, String, Marks);

/// One row per contribution, each made from the contribution and its header's [`Common`] part.
fn rows<C: Contributed, R>(
    all: Vec<Authored<C>>,
    common: &dyn Fn(&Option<String>, Header) -> Common,
    row: impl Fn(C, Common) -> R,
) -> Vec<R> {
    all.into_iter()
        .map(|Authored { mut contribution, author }| {
            let header = std::mem::take(contribution.header_mut());
            row(contribution, common(&author, header))
        })
        .collect()
}
