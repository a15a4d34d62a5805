//! Reading the board outside a live sync: the projector's link, named snapshots, the history.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Analyst, BoardReader, Facilitator};
use super::error::{ApiError, ErrorBody};
use crate::app::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(projector))
        .routes(routes!(snapshots))
        .routes(routes!(snapshot))
        .routes(routes!(history))
}

#[derive(Debug, Serialize, ToSchema)]
struct Projector {
    /// Carries the viewer key, which can only read the board.
    projector_url: String,
}

/// The projector's address for the facilitator to open: read-only, safe on a public screen.
#[utoipa::path(
    get,
    path = "/api/rooms/{code}/projector",
    tag = "facilitation",
    security(("facilitator_key" = [])),
    params(("code" = String, Path, description = "The room's code, in any case")),
    responses(
        (status = 200, body = Projector),
    )
)]
async fn projector(State(app): State<AppState>, Facilitator(code): Facilitator) -> Json<Projector> {
    Json(Projector { projector_url: app.projector_url(&code) })
}

#[derive(Debug, Serialize, ToSchema)]
struct Snapshots {
    snapshots: Vec<SnapshotSize>,
}

#[derive(Debug, Serialize, ToSchema)]
struct SnapshotSize {
    /// The size of the stored board.
    bytes: usize,
    name: String,
    /// Seconds since the Unix epoch.
    taken_at: i64,
}

/// The room's named snapshots, oldest first.
#[utoipa::path(
    get,
    path = "/api/rooms/{code}/snapshots",
    tag = "facilitation",
    security(("facilitator_key" = [])),
    params(("code" = String, Path, description = "The room's code, in any case")),
    responses(
        (status = 200, body = Snapshots),
    )
)]
async fn snapshots(State(app): State<AppState>, Facilitator(code): Facilitator) -> Result<Json<Snapshots>, ApiError> {
    let snapshots = crate::exports::snapshot_sizes(&app.store, &code)
        .await?
        .into_iter()
        .map(|(name, taken_at, bytes)| SnapshotSize { bytes, name, taken_at })
        .collect();
    Ok(Json(Snapshots { snapshots }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
struct SnapshotPath {
    name: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct Snapshot {
    /// The board's content as JSON, root by root.
    board: Value,
    name: String,
}

/// The board exactly as it stood when a named snapshot was taken.
#[utoipa::path(
    get,
    path = "/api/rooms/{code}/snapshots/{name}",
    tag = "facilitation",
    security(("facilitator_key" = []), ("admin_token" = [])),
    params(("code" = String, Path, description = "The room's code, in any case"), SnapshotPath),
    responses(
        (status = 200, body = Snapshot),
        (status = 404, description = "`snapshot_not_found`", body = ErrorBody),
    )
)]
async fn snapshot(
    State(app): State<AppState>,
    Analyst(code): Analyst,
    Path(SnapshotPath { name }): Path<SnapshotPath>,
) -> Result<Json<Snapshot>, ApiError> {
    let board = crate::exports::snapshot_board(&app.store, &code, &name).await?;
    let board = board.ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "snapshot_not_found", "there is no snapshot by that name")
    })?;
    Ok(Json(Snapshot { board, name }))
}

/// The board's history for replay: every update in order, with the second it was stored.
#[utoipa::path(
    get,
    path = "/api/rooms/{code}/history",
    tag = "facilitation",
    security(("facilitator_key" = []), ("viewer_key" = []), ("admin_token" = [])),
    params(("code" = String, Path, description = "The room's code, in any case")),
    responses(
        (status = 200, body = History),
    )
)]
async fn history(State(app): State<AppState>, BoardReader(code): BoardReader) -> Result<Json<History>, ApiError> {
    let history = crate::exports::history(&app.store, &code).await?.ok_or_else(ApiError::room_not_found)?;
    let updates = history
        .into_iter()
        .map(|(seq, at, update)| StoredUpdate {
            at,
            seq,
            update: base64::engine::general_purpose::STANDARD.encode(update),
        })
        .collect();
    Ok(Json(History { updates }))
}

#[derive(Debug, Serialize, ToSchema)]
struct History {
    updates: Vec<StoredUpdate>,
}

#[derive(Debug, Serialize, ToSchema)]
struct StoredUpdate {
    /// The second it was stored, since the Unix epoch.
    at: i64,
    seq: i64,
    /// A Yjs update (v1 encoding), in standard base64.
    update: String,
}
