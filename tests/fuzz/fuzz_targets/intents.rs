//! A run of intents against a room laid out from every shipped workshop, with its activities
//! open: one intent a line, the first byte choosing who sends it (`f` the facilitator, any
//! other one of three participants). Every rule must refuse with an error, never panic, and
//! the room must still answer views and results afterwards.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use touchpoint_core::disclosure::MinCount;
use touchpoint_core::identity::ParticipantId;
use touchpoint_core::room::intent::{Actor, IntentRequest, Profile};
use touchpoint_core::room::{Context, RoomDocs};
use touchpoint_core::template::{Template, parse_template};
use yrs::updates::decoder::Decode;
use yrs::{ReadTxn, StateVector, Transact, Update};

const SHIPPED: [(&str, &str); 5] = [
    ("current-experience.toml", include_str!("../../../workshops/current-experience.toml")),
    ("desired-experience.toml", include_str!("../../../workshops/desired-experience.toml")),
    ("improvement-planning.toml", include_str!("../../../workshops/improvement-planning.toml")),
    ("path-planning.toml", include_str!("../../../workshops/path-planning.toml")),
    ("pledge-event.toml", include_str!("../../../workshops/pledge-event.toml")),
];
const NOW: u64 = 1_780_000_000;

/// Every shipped workshop's activities in one template, so every kind of intent has a target.
fn workshop() -> Template {
    let mut templates = SHIPPED.iter().filter_map(|(file, source)| parse_template(source, file).ok());
    let mut room = templates.next().expect("the shipped templates parse");
    for template in templates {
        for activity in template.activities {
            if room.activity(activity.id()).is_none() {
                room.activities.push(activity);
            }
        }
    }
    room
}

/// The room every run starts from, encoded once: the layout, three people, every activity open.
struct Scene {
    board: Vec<u8>,
    ledger: Vec<u8>,
    people: Vec<ParticipantId>,
    activities: Vec<String>,
}

static SCENE: LazyLock<Scene> = LazyLock::new(|| {
    let template = workshop();
    let docs = RoomDocs::default();
    docs.initialise("Fuzzed room", None, Some(&template));
    let people: Vec<ParticipantId> = (1..=3).map(|n| ParticipantId::from_random([n; 16])).collect();
    for person in &people {
        docs.register(&person.to_string(), &Profile::default(), NOW, MinCount::default()).expect("a person joins");
    }
    let activities: Vec<String> = template.activities.iter().map(|activity| activity.id().to_owned()).collect();
    for (n, activity) in activities.iter().enumerate() {
        let open = format!(r#"{{"key":"open-{n}","kind":"open_activity","activity":"{activity}"}}"#);
        let request: IntentRequest = serde_json::from_str(&open).expect("an opening intent reads");
        docs.apply(
            Actor::Facilitator,
            &request,
            Context { now: NOW, new_id: "opening", min_count: MinCount::default() },
        )
        .expect("it opens");
    }
    let everything = StateVector::default();
    Scene {
        board: docs.board.transact().encode_state_as_update_v1(&everything),
        ledger: docs.ledger.transact().encode_state_as_update_v1(&everything),
        people,
        activities,
    }
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let scene = &*SCENE;
    let docs = RoomDocs::default();
    for (doc, state) in [(&docs.board, &scene.board), (&docs.ledger, &scene.ledger)] {
        let update = Update::decode_v1(state).expect("the scene decodes");
        doc.transact_mut().apply_update(update).expect("the scene applies");
    }
    for (n, line) in text.lines().enumerate() {
        let mut chars = line.chars();
        let Some(who) = chars.next() else { continue };
        let Ok(request) = serde_json::from_str::<IntentRequest>(chars.as_str()) else { continue };
        let actor = match who {
            'f' => Actor::Facilitator,
            other => Actor::Participant(scene.people[other as usize % scene.people.len()]),
        };
        let id = format!("c{n}");
        let _ =
            docs.apply(actor, &request, Context { now: NOW + n as u64, new_id: &id, min_count: MinCount::default() });
    }
    for person in &scene.people {
        let _ = docs.participant_view(&person.to_string());
    }
    for activity in &scene.activities {
        let _ = docs.results(activity);
    }
});
