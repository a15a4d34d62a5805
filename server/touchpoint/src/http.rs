//! The HTTP surface: routes, request checks and the one error type clients see.
//!
//! Every refusal is an [`ApiError`]: a status, a stable machine-readable
//! `code` a client can act on, and a human message a phone can show, as
//! `{"error": {"code": "...", "message": "..."}}`. Internal causes are logged
//! here once and never sent to clients.

use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Query, Request, State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use subtle::ConstantTimeEq;
use touchpoint_core::identity::{CODE_LEN, ParticipantId, Role, RoomCode};
use touchpoint_core::room::intent::{Actor, IntentError, IntentRequest, Profile};
use touchpoint_core::template::{Template, validate};

use crate::AppState;
use crate::rooms::{IntentFailure, Query as RoomQuery};
use crate::store::{RoomRecord, StoreError};
use crate::ws::{self, Session};

/// The longest room title accepted, in characters.
const MAX_TITLE_CHARS: usize = 200;

pub fn router(app: AppState) -> Router {
    let max_body = app.config.limits.max_body_bytes;
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/api/templates", get(list_templates))
        .route("/api/rooms", post(create_room))
        .route("/api/rooms/{code}", get(room_info).delete(delete_room))
        .route("/api/rooms/{code}/participants", post(create_participant))
        .route("/api/rooms/{code}/intents", post(intent))
        .route("/api/rooms/{code}/me", get(me))
        .route("/api/rooms/{code}/activities/{activity}/results", get(results))
        .route("/api/rooms/{code}/projector", get(projector))
        .route("/api/rooms/{code}/snapshots", get(snapshots))
        .route("/api/rooms/{code}/snapshots/{name}", get(snapshot))
        .route("/api/rooms/{code}/history", get(history))
        .route("/api/rooms/{code}/export.json", get(export_json))
        .route("/api/rooms/{code}/report.html", get(room_report))
        .route("/api/programmes/{programme}/report.html", get(programme_report))
        .route("/api/rooms/{code}/export/{file}", get(export_csv))
        .route("/api/rooms/{code}/qr.svg", get(qr_svg))
        .route("/api/rooms/{code}/qr.png", get(qr_png))
        .route("/sync/{code}", get(sync))
        .route("/", get(page))
        .route("/accessibility", get(page))
        .route("/join/{code}", get(page))
        .route("/facilitate/{code}", get(page))
        .route("/projector/{code}", get(page))
        .route("/remote/{code}", get(page))
        .route("/assets/{*path}", get(asset))
        .route("/sw.js", get(service_worker))
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

impl From<IntentFailure> for ApiError {
    fn from(failure: IntentFailure) -> Self {
        let error = match failure {
            IntentFailure::RateLimited => {
                return ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", failure.to_string());
            }
            IntentFailure::Unavailable => {
                return ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "room_unavailable", failure.to_string());
            }
            IntentFailure::Refused(error) => error,
        };
        let status = match &error {
            IntentError::FacilitatorOnly | IntentError::ParticipantOnly | IntentError::NotYours => {
                StatusCode::FORBIDDEN
            }
            IntentError::UnknownActivity(_) | IntentError::UnknownContribution(_) => StatusCode::NOT_FOUND,
            IntentError::ActivityNotOpen | IntentError::ActivityStarted => StatusCode::CONFLICT,
            // Logged by the room without its message, which may quote contribution text.
            IntentError::Corrupt(_) => {
                return ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong on the server",
                );
            }
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError::new(status, error.code(), error.to_string())
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

/// Every page of the web client is its `index.html`; the client routes by path.
async fn page(headers: HeaderMap) -> Result<Response, ApiError> {
    crate::assets::serve("index.html", &headers).ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "client_not_built", "the web client was not built into this server")
    })
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    crate::assets::serve(&format!("assets/{path}"), &headers).ok_or_else(not_found_error)
}

/// The phone's offline shell; at the root, since a service worker looks after the pages under its own path.
async fn service_worker(headers: HeaderMap) -> Result<Response, ApiError> {
    crate::assets::serve("sw.js", &headers).ok_or_else(not_found_error)
}

fn not_found_error() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "there is nothing at this address")
}

async fn not_found() -> ApiError {
    not_found_error()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRoom {
    title: String,
    /// The id of a template from `GET /api/templates`.
    #[serde(default)]
    template: Option<String>,
    /// A whole template of one's own, in the same shape (validated the same way).
    #[serde(default)]
    template_definition: Option<Template>,
    /// Rooms of one programme can be compared (current against desired, across events).
    #[serde(default)]
    programme: Option<String>,
}

/// What a facilitator needs to run a room; returned once, at creation.
#[derive(Debug, Serialize)]
pub struct RoomCreated {
    pub code: String,
    pub title: String,
    pub template: Option<String>,
    pub programme: Option<String>,
    pub facilitator_key: String,
    pub join_url: String,
    pub facilitator_url: String,
    /// The projector's address: it carries the viewer key, which can only read the board.
    pub projector_url: String,
}

async fn list_templates(State(app): State<AppState>) -> Json<Value> {
    let templates: Vec<Value> = app
        .templates
        .values()
        .map(|template| {
            let activities: Vec<Value> = template
                .activities
                .iter()
                .map(|activity| json!({ "id": activity.id(), "kind": activity.kind(), "title": activity.title() }))
                .collect();
            json!({ "id": template.id, "title": template.title, "description": template.description, "activities": activities })
        })
        .collect();
    Json(json!({ "templates": templates }))
}

async fn create_room(
    State(app): State<AppState>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<CreateRoom>,
) -> Result<(StatusCode, Json<RoomCreated>), ApiError> {
    require_admin(&app, &headers)?;
    let invalid = |code, message: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message);
    let title = request.title.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
        return Err(invalid("invalid_title", format!("a room needs a title of 1 to {MAX_TITLE_CHARS} characters")));
    }
    let programme = request.programme.as_deref().map(str::trim).filter(|programme| !programme.is_empty());
    if programme.is_some_and(|programme| programme.chars().count() > MAX_TITLE_CHARS) {
        return Err(invalid("invalid_programme", format!("a programme name has at most {MAX_TITLE_CHARS} characters")));
    }
    let template = match (request.template, request.template_definition) {
        (Some(_), Some(_)) => {
            return Err(invalid(
                "template_conflict",
                "give a template id or a template definition, not both".to_owned(),
            ));
        }
        (Some(id), None) => Some(
            app.templates
                .get(&id)
                .cloned()
                .ok_or_else(|| invalid("unknown_template", format!("there is no workshop template called {id:?}")))?,
        ),
        (None, Some(definition)) => {
            validate(&definition, "uploaded template")
                .map_err(|error| invalid("invalid_template", error.to_string()))?;
            Some(definition)
        }
        (None, None) => None,
    };
    let record = app.create_room(title, programme, template, false).await?;
    Ok((StatusCode::CREATED, Json(app.room_created(&record))))
}

async fn room_info(State(app): State<AppState>, Path(code): Path<String>) -> Result<Json<Value>, ApiError> {
    let record = find_room(&app, &code).await?;
    Ok(Json(json!({
        "code": record.code.as_str(),
        "title": record.title,
        "template": record.template.as_ref().map(|template| &template.id),
        "programme": record.programme,
        "join_url": app.join_url(&record.code),
    })))
}

/// Deletes a room and everything kept of it (the admin, or the room's facilitator).
async fn delete_room(
    State(app): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let code = authenticate_analyst(&app, &code, &headers).await?;
    app.store.room(&code).await?.ok_or_else(room_not_found)?;
    app.registry.delete(&code).await?;
    Ok(StatusCode::NO_CONTENT)
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
    Path(code): Path<String>,
    headers: HeaderMap,
    ApiJson(request): ApiJson<IntentRequest>,
) -> Result<Json<Value>, ApiError> {
    let (code, role) = authenticate(&app, &code, &headers).await?;
    let actor = match role {
        Role::Facilitator => Actor::Facilitator,
        Role::Participant(id) => Actor::Participant(id),
        Role::Viewer => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "viewer_read_only",
                "the projector's key can only show the board",
            ));
        }
    };
    Ok(Json(app.registry.intent(&code, actor, request).await?))
}

/// A participant's own profile, contributions and ballots.
async fn me(
    State(app): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let (code, role) = authenticate(&app, &code, &headers).await?;
    let Role::Participant(id) = role else {
        return Err(IntentFailure::Refused(IntentError::ParticipantOnly).into());
    };
    Ok(Json(app.registry.read(&code, RoomQuery::Participant(id)).await?))
}

/// A vote's results for the facilitator, before or after they are revealed.
async fn results(
    State(app): State<AppState>,
    Path((code, activity)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let code = authenticate_facilitator(&app, &code, &headers).await?;
    Ok(Json(app.registry.read(&code, RoomQuery::Results(activity)).await?))
}

/// The projector's address for the facilitator to open: read-only, safe on a public screen.
async fn projector(
    State(app): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let code = authenticate_facilitator(&app, &code, &headers).await?;
    Ok(Json(json!({ "projector_url": app.projector_url(&code) })))
}

/// The room's named snapshots, oldest first.
async fn snapshots(
    State(app): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let code = authenticate_facilitator(&app, &code, &headers).await?;
    let snapshots: Vec<Value> = app
        .store
        .named_snapshots(&code)
        .await?
        .into_iter()
        .map(|(name, taken_at, state)| json!({ "name": name, "taken_at": taken_at, "bytes": state.len() }))
        .collect();
    Ok(Json(json!({ "snapshots": snapshots })))
}

/// The board exactly as it stood when a named snapshot was taken.
async fn snapshot(
    State(app): State<AppState>,
    Path((code, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    let code = authenticate_analyst(&app, &code, &headers).await?;
    let board = crate::exports::snapshot_board(&app.store, &code, &name).await?;
    let board = board.ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "snapshot_not_found", "there is no snapshot by that name")
    })?;
    Ok(Json(json!({ "name": name, "board": board })))
}

/// The board's history for replay: every update in order, with the second it was stored.
async fn history(
    State(app): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    use base64::Engine;
    let code = authenticate_board_reader(&app, &code, &headers).await?;
    app.store.room(&code).await?.ok_or_else(room_not_found)?;
    let updates: Vec<Value> = app
        .store
        .history(&code)
        .await?
        .into_iter()
        .map(|(seq, at, update)| json!({ "seq": seq, "at": at, "update": base64::engine::general_purpose::STANDARD.encode(update) }))
        .collect();
    Ok(Json(json!({ "updates": updates })))
}

/// Everything of a room, for analysis (schema: `server/core/EXPORT-SCHEMA.md`).
async fn export_json(
    State(app): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let code = authenticate_analyst(&app, &code, &headers).await?;
    let dataset = crate::exports::dataset(&app.store, &code).await?.ok_or_else(room_not_found)?;
    let disposition = format!("attachment; filename=\"{code}.json\"");
    Ok(([(header::CONTENT_DISPOSITION, disposition)], Json(dataset)).into_response())
}

/// The insights report of a room: HTML that prints well to PDF.
async fn room_report(
    State(app): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let code = authenticate_analyst(&app, &code, &headers).await?;
    let scope = crate::exports::ReportScope::Room(code);
    let html =
        crate::exports::report(&app.store, &scope, app.config.report_min_count).await?.ok_or_else(room_not_found)?;
    Ok(report_page(html))
}

/// The insights report of every room of a programme (the admin only: it spans rooms).
async fn programme_report(
    State(app): State<AppState>,
    Path(programme): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    require_admin(&app, &headers)?;
    let scope = crate::exports::ReportScope::Programme(programme);
    let html = crate::exports::report(&app.store, &scope, app.config.report_min_count).await?.ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "programme_not_found", "no room belongs to a programme of that name")
    })?;
    Ok(report_page(html))
}

/// A report as a page. It quotes what participants wrote (escaped), so the browser is told to
/// run nothing and load nothing: its styles and charts are inline, and it needs no more.
fn report_page(html: String) -> Response {
    const POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; \
                          form-action 'none'; frame-ancestors 'none'";
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CONTENT_SECURITY_POLICY, POLICY)], html)
        .into_response()
}

/// One CSV file of a room's contributions, e.g. `cards.csv`.
async fn export_csv(
    State(app): State<AppState>,
    Path((code, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let code = authenticate_analyst(&app, &code, &headers).await?;
    let dataset = crate::exports::dataset(&app.store, &code).await?.ok_or_else(room_not_found)?;
    let Some((name, contents)) =
        touchpoint_core::export::csv_files(&dataset).into_iter().find(|(name, _)| *name == file)
    else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_export",
            format!("there is no export called {file:?}"),
        ));
    };
    let disposition = format!("attachment; filename=\"{code}-{name}\"");
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        contents,
    )
        .into_response())
}

async fn qr_svg(State(app): State<AppState>, Path(code): Path<String>) -> Result<Response, ApiError> {
    let record = find_room(&app, &code).await?;
    let svg = crate::qr::svg(&app.join_url(&record.code)).ok_or_else(qr_too_long)?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=3600")], svg)
        .into_response())
}

async fn qr_png(State(app): State<AppState>, Path(code): Path<String>) -> Result<Response, ApiError> {
    let record = find_room(&app, &code).await?;
    let png = crate::qr::png(&app.join_url(&record.code)).ok_or_else(qr_too_long)?;
    Ok(([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "public, max-age=3600")], png).into_response())
}

fn qr_too_long() -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "qr_failed", "the join link is too long for a QR code")
}

/// Exports are for the room's facilitator and for the admin.
async fn authenticate_analyst(app: &AppState, code: &str, headers: &HeaderMap) -> Result<RoomCode, ApiError> {
    let room = parse_code(code)?;
    if bears_admin_token(app, headers) {
        return Ok(room);
    }
    authenticate_facilitator(app, code, headers).await
}

/// The board's history is for the analysts and for the projector, which replays it on the big
/// screen: the viewer key already syncs the whole board live, so its past tells the projector
/// nothing the room did not see. Participant tokens stay refused.
async fn authenticate_board_reader(app: &AppState, code: &str, headers: &HeaderMap) -> Result<RoomCode, ApiError> {
    let room = parse_code(code)?;
    if bears_admin_token(app, headers) {
        return Ok(room);
    }
    match authenticate(app, code, headers).await? {
        (code, Role::Facilitator | Role::Viewer) => Ok(code),
        (_, Role::Participant(_)) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "facilitator_only",
            "only the facilitator and the projector can read the board's history",
        )),
    }
}

fn bears_admin_token(app: &AppState, headers: &HeaderMap) -> bool {
    bearer(headers).is_some_and(|credential| bool::from(credential.as_bytes().ct_eq(app.admin_token.as_bytes())))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
}

/// The room and who the bearer credential says the caller is in it.
async fn authenticate(app: &AppState, code: &str, headers: &HeaderMap) -> Result<(RoomCode, Role), ApiError> {
    let code = parse_code(code)?;
    let Some(credential) = bearer(headers) else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing_token",
            "send Authorization: Bearer <participant token or facilitator key>",
        ));
    };
    let role = role_in_room(app, &code, credential).await?;
    Ok((code, role))
}

/// Who a credential says its bearer is in a room that exists, from a header or a socket's query.
///
/// A live room exists without asking the store: intents, the busiest requests, then cost no
/// store round trip before they reach their room.
async fn role_in_room(app: &AppState, code: &RoomCode, credential: &str) -> Result<Role, ApiError> {
    let Some(role) = app.secret.authenticate(code, credential) else {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "invalid_token", "this token does not open this room"));
    };
    if !app.registry.is_live(code) && app.store.room(code).await?.is_none() {
        return Err(room_not_found());
    }
    Ok(role)
}

async fn authenticate_facilitator(app: &AppState, code: &str, headers: &HeaderMap) -> Result<RoomCode, ApiError> {
    match authenticate(app, code, headers).await? {
        (code, Role::Facilitator) => Ok(code),
        _ => Err(IntentFailure::Refused(IntentError::FacilitatorOnly).into()),
    }
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
    let role = role_in_room(&app, &code, &token).await?;
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
    if bearer(headers).is_none() {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing_token",
            "send Authorization: Bearer <admin token>",
        ));
    }
    if bears_admin_token(app, headers) {
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
