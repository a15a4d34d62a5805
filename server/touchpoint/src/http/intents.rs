//! What people do in a room: join anonymously, send intents, read their own part and the results.

use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use touchpoint_core::identity::{ParticipantId, RoomCode};
use touchpoint_core::room::holds::ModerationList;
use touchpoint_core::room::intent::{IntentRequest, Profile};
use touchpoint_core::room::view::BoardSize;
use touchpoint_core::room::view::{OptionResult, Outcome, ParticipantView};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Facilitator, IntentSender, Participant};
use super::error::{ApiError, ApiJson, ErrorBody};
use super::rooms::find_room;
use crate::app::AppState;
use crate::rate::TokenBucket;
use crate::rooms::Query as RoomQuery;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_participant))
        .routes(routes!(intent))
        .routes(routes!(me))
        .routes(routes!(results))
        .routes(routes!(moderation))
        .routes(routes!(board_size))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Join {
    #[serde(default)]
    profile: Profile,
}

/// A participant's token, and the profile they joined with.
#[derive(Debug, Serialize, ToSchema)]
struct Joined {
    profile: Profile,
    /// Sent as `Authorization: Bearer <token>` from now on.
    token: String,
}

/// Joins a room anonymously: no account, no name; the profile is optional and changeable.
#[utoipa::path(
    post,
    path = "/api/rooms/{code}/participants",
    tag = "participants",
    params(("code" = String, Path, description = "The room's code, in any case")),
    request_body(content = Option<Join>, description = "Optional: an empty body joins without a profile"),
    responses(
        (status = 201, body = Joined),
        (status = 422, description = "`invalid_profile`", body = ErrorBody),
        (status = 429, description = "`rate_limited`: many people are joining", body = ErrorBody),
        (status = 503, description = "`room_unavailable`", body = ErrorBody),
    )
)]
async fn create_participant(
    State(app): State<AppState>,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Joined>), ApiError> {
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
    Ok((StatusCode::CREATED, Json(Joined { profile: join.profile, token })))
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

/// Applies an intent: `Authorization: Bearer <participant token, facilitator key or helper key>`.
#[utoipa::path(
    post,
    path = "/api/rooms/{code}/intents",
    tag = "participants",
    security(("participant_token" = []), ("facilitator_key" = []), ("helper_key" = [])),
    params(("code" = String, Path, description = "The room's code, in any case")),
    request_body = IntentRequest,
    responses(
        (status = 200, description = "The intent's outcome, the same on a retry with the same key", body = Outcome),
        (status = 403, description = "`viewer_read_only`, `facilitator_only`, \
                                      `participant_only` or `not_yours`", body = ErrorBody),
        (status = 404, description = "`unknown_activity` or `unknown_contribution`", body = ErrorBody),
        (status = 409, description = "`activity_not_open`, `activity_started` or `not_held`", body = ErrorBody),
        (status = 422, description = "The intent breaks a rule of the room; the code says which", body = ErrorBody),
        (status = 429, description = "`rate_limited`, or `room_busy` (the room's ceiling on contributions; `Retry-After` says when)", body = ErrorBody),
        (status = 503, description = "`room_unavailable`", body = ErrorBody),
    )
)]
async fn intent(
    State(app): State<AppState>,
    sender: IntentSender,
    ApiJson(request): ApiJson<IntentRequest>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(app.registry.intent(&sender.room, sender.actor, request).await?))
}

/// A participant's own profile, contributions and ballots.
#[utoipa::path(
    get,
    path = "/api/rooms/{code}/me",
    tag = "participants",
    security(("participant_token" = [])),
    params(("code" = String, Path, description = "The room's code, in any case")),
    responses(
        (status = 200, body = ParticipantView),
        (status = 503, description = "`room_unavailable`", body = ErrorBody),
    )
)]
async fn me(State(app): State<AppState>, participant: Participant) -> Result<Json<Value>, ApiError> {
    Ok(Json(app.registry.read(&participant.room, RoomQuery::Participant(participant.id)).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
struct ActivityPath {
    activity: String,
}

/// A vote's results for the facilitator, before or after they are revealed.
#[utoipa::path(
    get,
    path = "/api/rooms/{code}/activities/{activity}/results",
    tag = "facilitation",
    security(("facilitator_key" = [])),
    params(("code" = String, Path, description = "The room's code, in any case"), ActivityPath),
    responses(
        (status = 200, description = "Option id to its tally", body = BTreeMap<String, OptionResult>),
        (status = 404, description = "`unknown_activity`", body = ErrorBody),
        (status = 422, description = "`wrong_activity_kind` or `no_template`: not a vote", body = ErrorBody),
        (status = 503, description = "`room_unavailable`", body = ErrorBody),
    )
)]
async fn results(
    State(app): State<AppState>,
    Facilitator(code): Facilitator,
    Path(path): Path<ActivityPath>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(app.registry.read(&code, RoomQuery::Results(path.activity)).await?))
}

/// The contributions held for the facilitator's review: they are not on the board, so the console reads them here.
#[utoipa::path(
    get,
    path = "/api/rooms/{code}/moderation",
    tag = "facilitation",
    security(("facilitator_key" = [])),
    params(("code" = String, Path, description = "The room's code, in any case")),
    responses(
        (status = 200, body = ModerationList),
        (status = 503, description = "`room_unavailable`", body = ErrorBody),
    )
)]
async fn moderation(State(app): State<AppState>, Facilitator(code): Facilitator) -> Result<Json<Value>, ApiError> {
    Ok(Json(app.registry.read(&code, RoomQuery::Moderation).await?))
}

/// How large the board is against the room's ceiling, so the console can warn before contributions are refused.
#[utoipa::path(
    get,
    path = "/api/rooms/{code}/board-size",
    tag = "facilitation",
    security(("facilitator_key" = [])),
    params(("code" = String, Path, description = "The room's code, in any case")),
    responses(
        (status = 200, body = BoardSize),
        (status = 503, description = "`room_unavailable`", body = ErrorBody),
    )
)]
async fn board_size(State(app): State<AppState>, Facilitator(code): Facilitator) -> Result<Json<Value>, ApiError> {
    Ok(Json(app.registry.read(&code, RoomQuery::BoardSize).await?))
}
