//! What people do in a room: join anonymously, send intents, read their own part and the results.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use touchpoint_core::identity::ParticipantId;
use touchpoint_core::room::intent::{IntentRequest, Profile};

use super::auth::{Facilitator, IntentSender, Participant};
use super::error::{ApiError, ApiJson};
use super::rooms::find_room;
use crate::app::AppState;
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
    // Every join draws from one server-wide bucket: guessing codes stays slow, and a
    // whole venue behind one address is never locked out the way a per-address limit would.
    if !app.join_limiter.lock().map(|mut bucket| bucket.try_take(1.0, std::time::Instant::now())).unwrap_or(false) {
        app.metrics.reject("join_rate");
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "many people are joining; try again in a moment",
        ));
    }
    let record = find_room(&app, &code).await?;
    let id = ParticipantId::from_random(rand::random());
    if record.template.is_some() {
        app.registry.register(&record.code, id, join.profile.clone()).await?;
    }
    let token = app.secret.participant_token(&record.code, id);
    Ok((StatusCode::CREATED, Json(json!({ "token": token, "profile": join.profile }))))
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
