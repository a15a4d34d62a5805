//! A workshop event for tests: a room running a small template that covers
//! every kind of activity, with domain steps (join, open, contribute, watch).

use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use yrs::types::ToJson;
use yrs::{Doc, Transact};

use crate::{HttpResponse, TestRoom, TestServer, YClient};

/// A small template covering every kind of activity, sent whole with the room.
pub fn template() -> Value {
    json!({
        "id": "test-workshop",
        "title": "Test workshop",
        "perspectives": [
            { "id": "person", "label": "Person using services", "group": "people" },
            { "id": "carer", "label": "Family carer", "group": "people" },
            { "id": "staff", "label": "Staff", "group": "professionals",
              "roles": [{ "id": "gp", "label": "GP" }, { "id": "nurse", "label": "Practice nurse" }] }
        ],
        "segments": [{ "id": "age", "label": "Age band",
                       "options": [{ "id": "60-74", "label": "60 to 74" }, { "id": "75-plus", "label": "75 and over" }] }],
        "activities": [
            { "kind": "emotion_map", "id": "map", "title": "How it feels today", "board": "current",
              "touchpoints": [{ "id": "booking", "label": "Booking" }, { "id": "waiting", "label": "The waiting room" }],
              "emotions": [
                  { "id": "hopeful", "label": "Hopeful", "valence": "positive", "colour": "#1b5e20", "icon": "🌱" },
                  { "id": "anxious", "label": "Anxious", "valence": "negative", "colour": "#b71c1c", "icon": "😟" }
              ] },
            { "kind": "vote", "id": "options", "title": "Options", "budget": 3, "max_per_option": 2,
              "scale": true, "comments": true,
              "options": [{ "id": "a", "label": "Option A" }, { "id": "b", "label": "Option B" }, { "id": "c", "label": "Option C" }] },
            { "kind": "path", "id": "path", "title": "PATH",
              "sections": [{ "id": "north-star", "label": "North star" }, { "id": "first-step", "label": "First step" }] },
            { "kind": "pledge", "id": "pledges", "title": "Pledges", "touchstones": true },
            { "kind": "ideas", "id": "ideas", "title": "Ideas" },
            { "kind": "feedback", "id": "feedback", "title": "Feedback on today" }
        ]
    })
}

pub fn key() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("key-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// `intent` with a fresh key added.
pub fn keyed(mut intent: Value) -> Value {
    intent["key"] = json!(key());
    intent
}

/// A root of the board, as JSON.
pub fn root(doc: &Doc, name: &str) -> Value {
    let map = doc.get_or_insert_map(name);
    serde_json::to_value(map.to_json(&doc.transact())).unwrap_or(Value::Null)
}

/// A room running the test template, with the facilitator's credential.
#[derive(Debug)]
pub struct Event {
    pub server: TestServer,
    pub room: TestRoom,
}

impl Event {
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(configure: impl FnOnce(&mut touchpoint::ServeConfig)) -> anyhow::Result<Self> {
        let server = TestServer::start_with(configure).await?;
        let room = server.create_room_with(&json!({ "title": "Event", "template_definition": template() })).await?;
        Ok(Event { server, room })
    }

    pub async fn facilitator(&self, intent: Value) -> anyhow::Result<HttpResponse> {
        self.server.intent(&self.room.code, &self.room.facilitator_key, &keyed(intent)).await
    }

    pub async fn participant(&self, token: &str, intent: Value) -> anyhow::Result<HttpResponse> {
        self.server.intent(&self.room.code, token, &keyed(intent)).await
    }

    pub async fn open(&self, activity: &str) -> anyhow::Result<()> {
        let response = self.facilitator(json!({ "kind": "open_activity", "activity": activity })).await?;
        anyhow::ensure!(response.status == 200, "opening {activity}: {response:?}");
        Ok(())
    }

    pub async fn join(&self, profile: Value) -> anyhow::Result<String> {
        self.server.join(&self.room.code, &profile).await
    }

    /// The names of the room's named snapshots, in the order they were taken.
    pub async fn snapshot_names(&self) -> anyhow::Result<Vec<String>> {
        let path = format!("/api/rooms/{}/snapshots", self.room.code);
        let snapshots = self.server.get_with(&path, &self.room.facilitator_key).await?.json()?;
        let names = snapshots["snapshots"].as_array().into_iter().flatten();
        Ok(names.filter_map(|s| s["name"].as_str().map(str::to_owned)).collect())
    }

    pub async fn watch(&self) -> anyhow::Result<YClient> {
        let token = self.server.participant_token(&self.room.code).await?;
        self.server.connect(&self.room.code, &token).await
    }
}

/// Checks an intent's answer: status and, for a refusal, the error code.
pub fn check(response: &HttpResponse, status: u16, code: Option<&str>) {
    assert_eq!((response.status, response.error_code().as_deref()), (status, code), "{}", response.body);
}

pub fn id_of(response: &HttpResponse) -> String {
    response.json().ok().and_then(|body| body["id"].as_str().map(str::to_owned)).unwrap_or_default()
}
