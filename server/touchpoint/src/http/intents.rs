//! What people do in a room: join anonymously, send intents, read their own part and the results.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use touchpoint_core::identity::{ParticipantId, RoomCode};
use touchpoint_core::room::intent::{IntentRequest, Profile};

use super::auth::{Facilitator, IntentSender, Participant};
use super::error::{ApiError, ApiJson};
use super::rooms::find_room;
use crate::app::AppState;
use crate::rate::TokenBucket;
use crate::rooms::Query as RoomQuery;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/rooms/{code}/participants", post(create_participant))
        .route("/api/rooms/{code}/intents", post(intent))
        .route("/api/rooms/{code}/me", get(me))
        .route("/api/rooms/{code}/activities/{activity}/results", get(results))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Join {
    #[serde(default)]
    profile: Profile,
}

/// Joins a room anonymously: no account, no name; the profile is optional and changeable.
async fn create_participant(
    State(app): State<AppState>,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let join: Join = if body.iter().all(u8::is_ascii_whitespace) {
        Join::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", error.to_string()))?
    };
    let record = match find_room(&app, &code).await {
        Ok(record) => record,
        // A miss draws from one server-wide bucket: guessing codes stays slow, and a whole
        // venue behind one address is never locked out the way a per-address limit would.
        Err(miss) => return Err(if take_join(&app, None) { miss } else { too_many_joins(&app) }),
    };
    // A hit draws from its room's own bucket, which no guessing elsewhere can empty.
    if !take_join(&app, Some(&record.code)) {
        return Err(too_many_joins(&app));
    }
    let id = ParticipantId::from_random(rand::random());
    if record.template.is_some() {
        app.registry.register(&record.code, id, join.profile.clone()).await?;
    }
    let token = app.secret.participant_token(&record.code, id);
    Ok((StatusCode::CREATED, Json(json!({ "token": token, "profile": join.profile }))))
}

/// Takes one join from `room`'s bucket, or from the server-wide one for a code that names no room.
fn take_join(app: &AppState, room: Option<&RoomCode>) -> bool {
    let now = Instant::now();
    match room {
        None => app.join_limiter.lock().map(|mut bucket| bucket.try_take(1.0, now)).unwrap_or(false),
        Some(code) => app.room_join_limiters.lock().is_ok_and(|mut rooms| {
            let rate = f64::from(app.config.limits.max_joins_per_room_per_sec);
            let bucket = rooms.entry(code.clone()).or_insert_with(|| TokenBucket::new(rate, 100.0 * rate, now));
            bucket.try_take(1.0, now)
        }),
    }
}

fn too_many_joins(app: &AppState) -> ApiError {
    app.metrics.reject("join_rate");
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", "many people are joining; try again in a moment")
}

/// Applies an intent: `Authorization: Bearer <participant token or facilitator key>`.
async fn intent(
    State(app): State<AppState>,
    sender: IntentSender,
    ApiJson(request): ApiJson<IntentRequest>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(app.registry.intent(&sender.room, sender.actor, request).await?))
}

/// A participant's own profile, contributions and ballots.
async fn me(State(app): State<AppState>, participant: Participant) -> Result<Json<Value>, ApiError> {
    Ok(Json(app.registry.read(&participant.room, RoomQuery::Participant(participant.id)).await?))
}

#[derive(Debug, Deserialize)]
struct ActivityPath {
    activity: String,
}

/// A vote's results for the facilitator, before or after they are revealed.
async fn results(
    State(app): State<AppState>,
    Facilitator(code): Facilitator,
    Path(path): Path<ActivityPath>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(app.registry.read(&code, RoomQuery::Results(path.activity)).await?))
}
