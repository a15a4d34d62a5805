//! The HTTP surface: routes, request checks and the one error type clients see.
//!
//! Every refusal is an [`ApiError`]: a status, a stable machine-readable
//! `code` a client can act on, and a human message a phone can show, as
//! `{"error": {"code": "...", "message": "..."}}`. Internal causes are logged
//! here once and never sent to clients.

use std::sync::atomic::Ordering;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Query, Request, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use subtle::ConstantTimeEq;
use touchpoint_core::identity::{CODE_LEN, ParticipantId, RoomCode};

use crate::AppState;
use crate::store::{RoomRecord, StoreError};
use crate::ws::{self, Session};

/// The longest room title accepted, in characters.
const MAX_TITLE_CHARS: usize = 200;

pub fn router(app: AppState) -> Router {
    let max_body = app.config.limits.max_body_bytes;
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/api/rooms", post(create_room))
        .route("/api/rooms/{code}", get(room_info))
        .route("/api/rooms/{code}/participants", post(create_participant))
        .route("/sync/{code}", get(sync))
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .with_state(app)
}

/// An error as a client sees it.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into() }
    }

    fn internal(error: &dyn std::error::Error) -> Self {
        tracing::error!(%error, "request failed");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong on the server")
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        ApiError::internal(&error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code, "message": self.message } });
        (self.status, Json(body)).into_response()
    }
}

/// `Json` whose rejections are [`ApiError`]s too.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(JsonRejection::BytesRejection(_)) => {
                Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "the request body is too large"))
            }
            Err(rejection) => Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", rejection.body_text())),
        }
    }
}

async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], app.metrics.render())
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "there is nothing at this address")
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRoom {
    title: String,
    template: Option<String>,
}

/// What a facilitator needs to run a room; returned once, at creation.
#[derive(Debug, Serialize)]
pub struct RoomCreated {
    pub code: String,
    pub title: String,
    pub facilitator_key: String,
    pub join_url: String,
    pub facilitator_url: String,
}

async fn create_room(
    State(app): State<AppState>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<CreateRoom>,
) -> Result<(StatusCode, Json<RoomCreated>), ApiError> {
    require_admin(&app, &headers)?;
    let title = request.title.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_title",
            format!("a room needs a title of 1 to {MAX_TITLE_CHARS} characters"),
        ));
    }
    if let Some(template) = request.template {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_template",
            format!("there is no workshop template called {template:?}"),
        ));
    }
    let record = app.create_room(title, false).await?;
    Ok((StatusCode::CREATED, Json(app.room_created(&record))))
}

async fn room_info(State(app): State<AppState>, Path(code): Path<String>) -> Result<Json<serde_json::Value>, ApiError> {
    let record = find_room(&app, &code).await?;
    Ok(Json(json!({ "code": record.code.as_str(), "title": record.title })))
}

#[derive(Debug, Serialize)]
struct ParticipantCreated {
    token: String,
}

async fn create_participant(
    State(app): State<AppState>,
    Path(code): Path<String>,
) -> Result<(StatusCode, Json<ParticipantCreated>), ApiError> {
    let record = find_room(&app, &code).await?;
    let id = ParticipantId::from_random(rand::random());
    let token = app.secret.participant_token(&record.code, id);
    Ok((StatusCode::CREATED, Json(ParticipantCreated { token })))
}

#[derive(Debug, Deserialize)]
struct SyncQuery {
    token: Option<String>,
}

/// The y-websocket endpoint: `new WebsocketProvider("ws://HOST/sync", code, doc, {params: {token}})`.
async fn sync(
    State(app): State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<SyncQuery>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let code = parse_code(&code)?;
    check_origin(&app, &headers)?;
    let Some(token) = query.token.filter(|token| !token.is_empty()) else {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "missing_token", "connect with ?token=…"));
    };
    let Some(role) = app.secret.authenticate(&code, &token) else {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "invalid_token", "this token does not open this room"));
    };
    if !app.registry.is_live(&code) && app.store.room(&code).await?.is_none() {
        return Err(room_not_found());
    }
    let session = Session { code, role, conn: app.next_conn.fetch_add(1, Ordering::Relaxed) };
    let limits = &app.config.limits;
    let upgrade = upgrade
        .max_message_size(limits.max_message_bytes)
        .max_frame_size(limits.max_message_bytes)
        // Small buffers keep an idle connection cheap; they grow only while busy.
        .read_buffer_size(4 << 10)
        .write_buffer_size(16 << 10);
    let tracker = app.tracker.clone();
    let span = tracing::info_span!("connection", room = %session.code, conn = session.conn, role = role.name());
    Ok(upgrade.on_upgrade(move |socket| {
        use tracing::Instrument;
        tracker.track_future(ws::serve(socket, session, app).instrument(span))
    }))
}

fn require_admin(app: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
    else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing_token",
            "send Authorization: Bearer <admin token>",
        ));
    };
    if bool::from(given.trim().as_bytes().ct_eq(app.admin_token.as_bytes())) {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::FORBIDDEN, "invalid_token", "the admin token is not valid"))
    }
}

/// Browsers send `Origin` with every WebSocket; refuse pages from elsewhere that are not allowed.
fn check_origin(app: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        // Not a browser: no page can ride on the user's credentials.
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or_default().trim_end_matches('/');
    let host = headers.get(header::HOST).and_then(|host| host.to_str().ok()).unwrap_or_default();
    let same_host = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(host);
    if same_host || origin == app.public_url || app.config.allowed_origins.iter().any(|allowed| allowed == origin) {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::FORBIDDEN, "origin_not_allowed", "pages from this origin may not connect"))
    }
}

fn parse_code(code: &str) -> Result<RoomCode, ApiError> {
    RoomCode::parse(code).map_err(|error| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_room_code", format!("{error} ({CODE_LEN} characters)"))
    })
}

fn room_not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "room_not_found", "there is no room with this code; check it on the screen")
}

async fn find_room(app: &AppState, code: &str) -> Result<RoomRecord, ApiError> {
    let code = parse_code(code)?;
    app.store.room(&code).await?.ok_or_else(room_not_found)
}
