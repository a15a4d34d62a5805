//! A scripted event with known answers, shared by the tests of every section and of the report.

use touchpoint_core::room::holds::Status;
use touchpoint_core::room::layout::ActivityKind;
use touchpoint_core::template::{Choice, Emotion, Perspective, Segment, Valence};

use super::*;
use crate::dataset::{
    ActivityInfo, CardRow, DotRow, IdeaRow, Marks, NoteRow, ParticipantRow, PledgeRow, RoomInfo, ScoreRow, Source,
    TouchstoneRow,
};

// A scripted event with known answers. Three touchpoints (B: booking,
// W: the waiting room, G: seeing the GP), twelve cards of which one is
// hidden, six participants voting, a PATH, ideas, pledges and touchstones.
//
// Visible cards, by touchpoint:
//   B: person anxious, person frustrated, carer frustrated, staff happy, staff frustrated
//   W: person ok, person happy, carer anxious, staff anxious
//   G: staff happy, a paper card with no perspective and the own word "Rushed"
// Hidden: B person happy.

/// 12 March 2025, 10:00 UTC.
pub(crate) const T: i64 = 1_741_773_600;

pub(crate) const SCRIPT_NOTE: &str = "<script>alert('x')</script> on hold for 40 minutes";

fn choice(id: &str, label: &str) -> Choice {
    Choice { id: id.to_owned(), label: label.to_owned(), hint: String::new() }
}

fn emotion(id: &str, valence: Valence) -> Emotion {
    Emotion { id: id.to_owned(), label: id.to_owned(), valence, colour: "#1f4e8c".to_owned(), icon: "*".to_owned() }
}

fn perspective(id: &str, label: &str, group: Group, roles: &[(&str, &str)]) -> Perspective {
    let roles = roles.iter().map(|(id, label)| choice(id, label)).collect();
    Perspective { id: id.to_owned(), label: label.to_owned(), group, roles }
}

fn activity(id: &str, kind: ActivityKind, title: &str, choices: Vec<Choice>) -> ActivityInfo {
    ActivityInfo {
        id: id.to_owned(),
        kind,
        title: title.to_owned(),
        order: 0,
        state: "locked".to_owned(),
        board: None,
        choices,
        emotions: Vec::new(),
        budget: None,
        revealed: false,
    }
}

fn journey() -> Vec<Choice> {
    vec![choice("B", "Booking an appointment"), choice("W", "The waiting room"), choice("G", "Seeing the GP")]
}

fn map(id: &str, title: &str, board: &str) -> ActivityInfo {
    ActivityInfo {
        board: Some(board.to_owned()),
        emotions: vec![
            emotion("happy", Valence::Positive),
            emotion("safe", Valence::Positive),
            emotion("ok", Valence::Neutral),
            emotion("anxious", Valence::Negative),
            emotion("frustrated", Valence::Negative),
        ],
        ..activity(id, ActivityKind::EmotionMap, title, journey())
    }
}

/// The participant label a perspective's cards come from in the script; `None` for paper cards.
fn source(participant: Option<&str>, perspective: Option<&str>) -> Source {
    Source {
        participant: participant.map(str::to_owned),
        perspective: perspective.map(str::to_owned),
        assisted: participant.is_none(),
        ..Source::default()
    }
}

/// Who took part: `p1`..`p6`, as `(perspective, role, age band, remote)`.
type Person = (Option<&'static str>, Option<&'static str>, Option<&'static str>, Option<bool>);
const PEOPLE: [Person; 6] = [
    (Some("person"), None, Some("60-plus"), Some(false)),
    (Some("person"), None, Some("60-plus"), Some(true)),
    (Some("carer"), None, Some("under-60"), Some(false)),
    (Some("staff"), Some("gp"), Some("under-60"), Some(false)),
    (Some("staff"), Some("receptionist"), None, None),
    (None, None, Some("prefer-not-to-say"), Some(false)),
];

fn by(participant: &str) -> Source {
    let index: usize = participant.trim_start_matches('p').parse().expect("labels are p1..p6");
    source(Some(participant), PEOPLE[index - 1].0)
}

/// A card: `(participant or "" for paper, touchpoint, emotion or "" for own word, own word, note, hidden)`.
fn card(i: usize, (who, touchpoint, emotion, word, note, hidden): (&str, &str, &str, &str, &str, bool)) -> CardRow {
    let valence = match emotion {
        "happy" | "safe" => Some(Valence::Positive),
        "ok" => Some(Valence::Neutral),
        "anxious" | "frustrated" => Some(Valence::Negative),
        _ => None,
    };
    let some = |text: &str| (!text.is_empty()).then(|| text.to_owned());
    CardRow {
        id: format!("card-{i}"),
        activity: "current-map".to_owned(),
        touchpoint: touchpoint.to_owned(),
        emotion: some(emotion),
        word: some(word),
        valence,
        note: some(note),
        marks: Marks {
            hidden,
            status: shown_or_hidden(hidden),
            late: false,
            at: T + 60 * i as i64,
            source: if who.is_empty() { source(None, None) } else { by(who) },
        },
    }
}

/// A fixture's contributions are on the board: hidden by the facilitator or shown.
fn shown_or_hidden(hidden: bool) -> Status {
    if hidden { Status::Hidden } else { Status::Shown }
}

pub(crate) fn scripted_room() -> Dataset {
    let cards = [
        ("p1", "B", "anxious", "", SCRIPT_NOTE, false),
        ("p2", "B", "frustrated", "", "", false),
        ("p3", "B", "frustrated", "", "", false),
        ("p4", "B", "happy", "", "", false),
        ("p5", "B", "frustrated", "", "", false),
        ("p1", "W", "ok", "", "", false),
        ("p2", "W", "happy", "", "", false),
        ("p3", "W", "anxious", "", "", false),
        ("p4", "W", "anxious", "", "", false),
        ("p5", "G", "happy", "", "", false),
        ("", "G", "", "Rushed", "Felt rushed", false),
        ("p1", "B", "happy", "", "a hidden note", true),
    ];
    // Each participant's dots, then scores, on options a, b, c.
    type Ballot = (&'static str, &'static [(&'static str, u32)], &'static [(&'static str, u8)]);
    let ballots: [Ballot; 6] = [
        ("p1", &[("a", 2), ("b", 1)], &[("a", 5), ("b", 4), ("c", 2)]),
        ("p2", &[("b", 1), ("c", 2)], &[("a", 4), ("b", 4)]),
        ("p3", &[("b", 3)], &[("a", 5), ("c", 1)]),
        ("p4", &[("a", 1), ("c", 2)], &[("a", 3), ("b", 5), ("c", 2)]),
        ("p5", &[("a", 3)], &[("a", 4), ("b", 2)]),
        ("p6", &[("b", 1), ("c", 1)], &[("b", 3)]),
    ];
    let mut dots = Vec::new();
    let mut scores = Vec::new();
    for (who, placed, given) in ballots {
        for (option, n) in placed {
            dots.push(DotRow {
                activity: "options".to_owned(),
                option: (*option).to_owned(),
                dots: *n,
                paper_ballot: None,
                source: by(who),
            });
        }
        for (option, score) in given {
            let option = (*option).to_owned();
            scores.push(ScoreRow {
                activity: "options".to_owned(),
                option,
                score: *score,
                paper_ballot: None,
                source: by(who),
            });
        }
    }
    let note = |i: i64, section: &str, text: &str, hidden: bool, who: &str| NoteRow {
        id: format!("note-{i}"),
        activity: "path".to_owned(),
        section: section.to_owned(),
        text: text.to_owned(),
        marks: Marks { hidden, status: shown_or_hidden(hidden), late: false, at: T + 3600 + 60 * i, source: by(who) },
    };
    let idea = |i: i64, activity: &str, option: Option<&str>, text: &str, hidden: bool| IdeaRow {
        id: format!("idea-{i}"),
        activity: activity.to_owned(),
        option: option.map(str::to_owned),
        text: text.to_owned(),
        marks: Marks { hidden, status: shown_or_hidden(hidden), late: false, at: T + 5400 + 60 * i, source: by("p2") },
    };
    let pledge = |i: i64, text: &str, name: Option<&str>, organisation: Option<&str>, hidden: bool| PledgeRow {
        id: format!("pledge-{i}"),
        activity: "pledges".to_owned(),
        text: text.to_owned(),
        name: name.map(str::to_owned),
        organisation: organisation.map(str::to_owned),
        marks: Marks { hidden, status: shown_or_hidden(hidden), late: false, at: T + 7200 + 60 * i, source: by("p4") },
    };
    let touchstone = |i: i64, word: &str, hidden: bool| TouchstoneRow {
        id: format!("touchstone-{i}"),
        activity: "pledges".to_owned(),
        word: word.to_owned(),
        marks: Marks { hidden, status: shown_or_hidden(hidden), late: false, at: T + 7800 + 60 * i, source: by("p3") },
    };
    let age = Segment {
        id: "age".to_owned(),
        label: "How old are you?".to_owned(),
        options: vec![
            choice("under-60", "Under 60"),
            choice("60-plus", "60 and over"),
            choice("prefer-not-to-say", "Prefer not to say"),
        ],
    };
    Dataset {
        schema: crate::dataset::SCHEMA.to_owned(),
        template: None,
        room: RoomInfo {
            code: "ABC123".to_owned(),
            title: "Co-design 1".to_owned(),
            programme: Some("Primary care for people aged 60 and over".to_owned()),
            template: Some("current-experience".to_owned()),
            created_at: T - 600,
        },
        perspectives: vec![
            perspective("person", "Person using services", Group::People, &[]),
            perspective("carer", "Family carer", Group::People, &[]),
            perspective(
                "staff",
                "Member of staff",
                Group::Professionals,
                &[("gp", "GP"), ("receptionist", "Receptionist")],
            ),
        ],
        segments: vec![age],
        activities: vec![
            map("current-map", "How care feels today", "current"),
            ActivityInfo {
                budget: Some(3),
                ..activity(
                    "options",
                    ActivityKind::Vote,
                    "The options for change",
                    vec![
                        choice("a", "A named care coordinator"),
                        choice("b", "A same-day callback"),
                        choice("c", "Longer appointments"),
                    ],
                )
            },
            activity("ideas", ActivityKind::Ideas, "Have we missed something?", Vec::new()),
            activity(
                "path",
                ActivityKind::Path,
                "Our PATH",
                vec![
                    choice("north-star", "The north star"),
                    choice("goal", "Our goal"),
                    choice("first-step", "The first bold step"),
                ],
            ),
            activity("pledges", ActivityKind::Pledge, "My pledge", Vec::new()),
        ],
        participants: PEOPLE
            .iter()
            .enumerate()
            .map(|(i, (perspective, role, age, remote))| ParticipantRow {
                participant: format!("p{}", i + 1),
                perspective: perspective.map(str::to_owned),
                role: role.map(str::to_owned),
                segments: age.iter().map(|age| ("age".to_owned(), (*age).to_owned())).collect(),
                remote: *remote,
            })
            .collect(),
        cards: cards.into_iter().enumerate().map(|(i, c)| card(i, c)).collect(),
        dots,
        scores,
        path_notes: vec![
            note(0, "first-step", "Call people back", false, "p4"),
            note(1, "north-star", "Everyone is listened to", false, "p1"),
            note(2, "goal", "Same-day answers for all", true, "p1"),
            note(3, "goal", "A named person", false, "p3"),
        ],
        ideas: vec![
            idea(0, "options", Some("a"), "Make it someone we already know", false),
            idea(1, "options", Some("a"), "a hidden comment", true),
            idea(2, "ideas", None, "A phone line for carers", false),
            idea(3, "ideas", None, "a hidden idea", true),
        ],
        pledges: vec![
            pledge(0, "I will call back the same day", Some("Dr Khan"), Some("Riverside Surgery"), false),
            pledge(1, "I will tell my neighbours", None, None, false),
            pledge(2, "a hidden pledge", Some("Hidden Name"), None, true),
        ],
        touchstones: ["Kindness", " kindness ", "Time", "BEING LISTENED TO", "being  listened to", "kindness"]
            .iter()
            .enumerate()
            .map(|(i, word)| touchstone(i as i64, word, false))
            .chain(std::iter::once(touchstone(9, "a hidden word", true)))
            .collect(),
        feedback: Vec::new(),
        snapshots: Vec::new(),
    }
}

/// A second room of the programme: the desired experience on the same journey.
///   B: person happy, staff happy; W: person ok, carer anxious; G: person happy, person anxious.
pub(crate) fn scripted_desired_room() -> Dataset {
    let mut room = scripted_room();
    room.room.code = "DEF456".to_owned();
    room.room.title = "Co-design 2".to_owned();
    room.room.template = Some("desired-experience".to_owned());
    room.activities = vec![map("desired-map", "How care should feel", "desired")];
    let cards = [
        ("p1", "B", "happy"),
        ("p4", "B", "happy"),
        ("p1", "W", "ok"),
        ("p3", "W", "anxious"),
        ("p2", "G", "happy"),
        ("p2", "G", "anxious"),
    ];
    room.cards = cards
        .into_iter()
        .enumerate()
        .map(|(i, (who, touchpoint, emotion))| {
            let mut card = card(i, (who, touchpoint, emotion, "", "", false));
            card.activity = "desired-map".to_owned();
            card.marks.at = T + 86_400 * 7 + 60 * i as i64;
            card
        })
        .collect();
    room.dots.clear();
    room.scores.clear();
    room.path_notes.clear();
    room.ideas.clear();
    room.pledges.clear();
    room.touchstones.clear();
    room
}
