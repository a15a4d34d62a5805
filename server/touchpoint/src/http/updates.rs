//! "You said, we did": a room's public page, and the programme team's updates on it.
//!
//! `GET /updates/{code}` is the page participants keep from their phones: server-rendered
//! HTML, read with no script, from the store alone (the room is not loaded, and need not be
//! live). It is sent gzipped and revalidated with an `ETag`, so a phone that comes back to an
//! unchanged page downloads nothing but a 304. The updates are written through
//! `/api/rooms/{code}/updates` by whoever holds an [`UpdateWriter`] credential; they are
//! committed to the store before the answer, bounded in length, number and rate, and refused
//! when they look like they identify someone, since the page is public for as long as the
//! room is kept.

use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use flate2::Compression;
use flate2::write::GzEncoder;
use serde::{Deserialize, Serialize};
use touchpoint_analysis::report::updates::{RoomUpdate, UpdatesPage, no_such_page, unavailable_page, updates_page};
use touchpoint_core::identity::RoomCode;
use touchpoint_core::room::identifying::{Reason, identifying};
use touchpoint_core::room::intent::clean_required;
use touchpoint_core::room::public::PublicRoom;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{UpdateWriter, parse_room_code};
use super::error::{ApiError, ApiJson, ErrorBody};
use crate::app::AppState;
use crate::rate::TokenBucket;
use crate::rooms::lifecycle;
use crate::store::{Posted, PostedUpdate, StoreError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_updates, post_update)).routes(routes!(edit_update, remove_update))
}

/// The public page of a room.
pub async fn page(State(app): State<AppState>, Path(code): Path<String>, headers: HeaderMap) -> Response {
    let (status, html) = match room_page(&app, &code).await {
        Ok(Some(html)) => (StatusCode::OK, html),
        Ok(None) => (StatusCode::NOT_FOUND, no_such_page()),
        Err(StoreError::Quarantined(_)) => (StatusCode::SERVICE_UNAVAILABLE, unavailable_page()),
        Err(error) => return ApiError::internal(&error).into_response(),
    };
    html_page(status, html, &headers)
}

/// The page of the room with this code, or `None` if there is no such room.
async fn room_page(app: &AppState, code: &str) -> Result<Option<String>, StoreError> {
    let Ok(code) = parse_room_code(code) else { return Ok(None) };
    let Some(record) = lifecycle::find(&app.store, &code).await? else { return Ok(None) };
    let room = public_room(app, &code).await?;
    let updates: Vec<RoomUpdate> = app
        .store
        .updates(&code)
        .await?
        .into_iter()
        .map(|PostedUpdate { text, posted_at, edited_at, .. }| RoomUpdate { text, posted_at, edited_at })
        .collect();
    let page = UpdatesPage { room: &room, code: code.as_str(), held_at: record.created_at, updates: &updates };
    Ok(Some(updates_page(&page)))
}

/// What the page shows of the room's board, read again only when the store holds a newer
/// update: rebuilding a board costs a read of its whole log, and a page may be opened by a
/// hall of phones at once. What is kept is dropped after [`KEEP_READ`] at most, so the words
/// of a deleted room, or of someone who erased themselves, stay in memory no longer than that
/// (they are never served: the room's code, or its last sequence number, no longer matches).
async fn public_room(app: &AppState, code: &RoomCode) -> Result<Arc<PublicRoom>, StoreError> {
    let last_seq = app.store.last_seq(code).await?;
    let now = Instant::now();
    let fresh = |at: &Instant| now.saturating_duration_since(*at) < KEEP_READ;
    if let Some(cached) = app.public_rooms.get(code).filter(|cached| cached.0 == last_seq && fresh(&cached.1)) {
        return Ok(cached.2.clone());
    }
    let board = app.store.board(code).await?;
    let room = tokio::task::spawn_blocking(move || PublicRoom::read(&board)).await.map_err(|_| StoreError::Stopped)?;
    let room = Arc::new(room);
    app.public_rooms.retain(|_, (_, at, _)| fresh(at));
    // Bounded: a server with more rooms than this read lately reads some boards again.
    if app.public_rooms.len() >= MAX_CACHED_ROOMS {
        app.public_rooms.clear();
    }
    app.public_rooms.insert(code.clone(), (last_seq, now, room.clone()));
    Ok(room)
}

/// Public pages whose board is kept read, at most.
const MAX_CACHED_ROOMS: usize = 1024;

/// How long a board read for a public page is kept: the burst of a hall opening it at once.
const KEEP_READ: Duration = Duration::from_secs(600);

/// A page as sent: gzipped where the browser takes it, revalidated by its `ETag`, and allowed to
/// load and run nothing, since it quotes what people wrote (escaped) and needs only its styles.
fn html_page(status: StatusCode, html: String, request: &HeaderMap) -> Response {
    const POLICY: &str =
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    let body = if crate::assets::accepts_gzip(request) { gzip(html.as_bytes()) } else { None };
    let etag =
        format!("\"{:016x}-{}\"", crate::assets::fnv1a(html.as_bytes()), if body.is_some() { "gz" } else { "id" });
    if status == StatusCode::OK
        && request.get(header::IF_NONE_MATCH).and_then(|value| value.to_str().ok()) == Some(etag.as_str())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let gzipped = body.is_some();
    let mut response = (status, body.unwrap_or_else(|| html.into_bytes())).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // Revalidated on each visit: a new update shows at once, a deleted room is gone at once.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if gzipped {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    response
}

fn gzip(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(bytes.len() / 3), Compression::default());
    encoder.write_all(bytes).ok()?;
    encoder.finish().ok()
}

/// An update as the programme team sees it.
#[derive(Debug, Serialize, ToSchema)]
struct Update {
    id: i64,
    text: String,
    /// Seconds since the Unix epoch.
    posted_at: i64,
    /// When it was last corrected, if it was (seconds since the Unix epoch).
    edited_at: Option<i64>,
}

impl From<PostedUpdate> for Update {
    fn from(PostedUpdate { id, text, posted_at, edited_at }: PostedUpdate) -> Self {
        Update { id, text, posted_at, edited_at }
    }
}

#[derive(Debug, Serialize, ToSchema)]
struct UpdateList {
    /// Newest first, as the page shows them.
    updates: Vec<Update>,
    /// The public page's address, to share.
    page_url: String,
    /// The longest update accepted, in characters (`TOUCHPOINT_MAX_UPDATE_CHARS`).
    max_chars: u64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UpdateText {
    /// What was done, in plain words; no names or contact details (the page is public).
    text: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
struct UpdatePath {
    /// The update's id, as posting it answered.
    id: String,
}

/// The room's updates, newest first, with the address of its public page.
#[utoipa::path(
    get,
    path = "/api/rooms/{code}/updates",
    tag = "updates",
    security(("facilitator_key" = [])),
    params(("code" = String, Path, description = "The room's code, in any case")),
    responses((status = 200, body = UpdateList))
)]
async fn list_updates(
    State(app): State<AppState>,
    UpdateWriter(code): UpdateWriter,
) -> Result<Json<UpdateList>, ApiError> {
    let updates = app.store.updates(&code).await?.into_iter().map(Update::from).collect();
    let max_chars = app.config.limits.max_update_chars;
    Ok(Json(UpdateList { updates, page_url: app.updates_url(&code), max_chars }))
}

/// Posts an update to the room's public page, dated today.
#[utoipa::path(
    post,
    path = "/api/rooms/{code}/updates",
    tag = "updates",
    security(("facilitator_key" = [])),
    params(("code" = String, Path, description = "The room's code, in any case")),
    request_body = UpdateText,
    responses(
        (status = 201, description = "Posted, and on the page", body = Update),
        (status = 409, description = "`updates_full`: the page holds as many updates as it may; remove one first", body = ErrorBody),
        (status = 422, description = "`empty`, `too_long` or `identifying` (it looks like it names or reaches someone)", body = ErrorBody),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = ErrorBody),
    )
)]
async fn post_update(
    State(app): State<AppState>,
    UpdateWriter(code): UpdateWriter,
    ApiJson(UpdateText { text }): ApiJson<UpdateText>,
) -> Result<(StatusCode, Json<Update>), ApiError> {
    let text = checked(&app, &text)?;
    take_a_write(&app, &code)?;
    let max_per_room = usize::try_from(app.config.limits.max_updates_per_room).unwrap_or(usize::MAX);
    match app.store.post_update(&code, text, max_per_room).await? {
        Posted::Added(update) => Ok((StatusCode::CREATED, Json(update.into()))),
        Posted::Full => Err(ApiError::new(
            StatusCode::CONFLICT,
            "updates_full",
            format!("this page holds {max_per_room} updates already; remove one before posting another"),
        )),
        Posted::NoRoom => Err(ApiError::room_not_found()),
    }
}

/// Corrects an update's text; it keeps its date and is marked corrected.
#[utoipa::path(
    put,
    path = "/api/rooms/{code}/updates/{id}",
    tag = "updates",
    security(("facilitator_key" = [])),
    params(("code" = String, Path, description = "The room's code, in any case"), UpdatePath),
    request_body = UpdateText,
    responses(
        (status = 200, description = "Corrected", body = Update),
        (status = 404, description = "`unknown_update`", body = ErrorBody),
        (status = 422, description = "`empty`, `too_long` or `identifying`", body = ErrorBody),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = ErrorBody),
    )
)]
async fn edit_update(
    State(app): State<AppState>,
    UpdateWriter(code): UpdateWriter,
    Path(UpdatePath { id }): Path<UpdatePath>,
    ApiJson(UpdateText { text }): ApiJson<UpdateText>,
) -> Result<Json<Update>, ApiError> {
    let id = update_id(&id)?;
    let text = checked(&app, &text)?;
    take_a_write(&app, &code)?;
    let update = app.store.edit_update(&code, id, text).await?.ok_or_else(unknown_update)?;
    Ok(Json(update.into()))
}

/// Removes an update from the page, and its text from the store.
#[utoipa::path(
    delete,
    path = "/api/rooms/{code}/updates/{id}",
    tag = "updates",
    security(("facilitator_key" = [])),
    params(("code" = String, Path, description = "The room's code, in any case"), UpdatePath),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "`unknown_update`", body = ErrorBody),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = ErrorBody),
    )
)]
async fn remove_update(
    State(app): State<AppState>,
    UpdateWriter(code): UpdateWriter,
    Path(UpdatePath { id }): Path<UpdatePath>,
) -> Result<StatusCode, ApiError> {
    let id = update_id(&id)?;
    take_a_write(&app, &code)?;
    if app.store.remove_update(&code, id).await? { Ok(StatusCode::NO_CONTENT) } else { Err(unknown_update()) }
}

/// The text trimmed, within its length, and naming no one.
fn checked(app: &AppState, text: &str) -> Result<String, ApiError> {
    let max = usize::try_from(app.config.limits.max_update_chars).unwrap_or(usize::MAX);
    let text = clean_required(text, "text", max)?;
    let reasons = identifying(&text);
    if reasons.is_empty() {
        return Ok(text);
    }
    let found: Vec<&str> = reasons
        .iter()
        .map(|reason| match reason {
            Reason::TitledName => "a title and a name",
            Reason::PhoneNumber => "a phone number",
            Reason::Email => "an email address",
            Reason::NhsNumber => "an NHS number",
        })
        .collect();
    Err(ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "identifying",
        format!(
            "this page is public, and this looks like it names or reaches someone ({}): take it out",
            found.join(", ")
        ),
    ))
}

/// Takes one write from the room's allowance (`Limits::max_update_writes_per_room_per_hour`).
fn take_a_write(app: &AppState, code: &RoomCode) -> Result<(), ApiError> {
    let per_hour = app.config.limits.max_update_writes_per_room_per_hour;
    let now = Instant::now();
    let allowed = app.update_limiters.lock().is_ok_and(|mut rooms| {
        rooms
            .entry(code.clone())
            .or_insert_with(|| TokenBucket::new(f64::from(per_hour) / 3600.0, f64::from(per_hour), now))
            .try_take(1.0, now)
    });
    if allowed {
        return Ok(());
    }
    let seconds_per_write = 3600 / u64::from(per_hour).max(1);
    Err(ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("this room's updates changed {per_hour} times in the last hour; wait a little"),
    )
    .retry_after(seconds_per_write))
}

/// An update's id from the path; one that is not a number names no update.
fn update_id(id: &str) -> Result<i64, ApiError> {
    id.parse().map_err(|_| unknown_update())
}

fn unknown_update() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "unknown_update", "this room has no update with that id")
}
