//! Reading the board outside a live sync: the projector's link, named snapshots, the history.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{Analyst, BoardReader, Facilitator};
use super::error::ApiError;
use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/rooms/{code}/projector", get(projector))
        .route("/api/rooms/{code}/snapshots", get(snapshots))
        .route("/api/rooms/{code}/snapshots/{name}", get(snapshot))
        .route("/api/rooms/{code}/history", get(history))
}

/// The projector's address for the facilitator to open: read-only, safe on a public screen.
async fn projector(State(app): State<AppState>, Facilitator(code): Facilitator) -> Json<Value> {
    Json(json!({ "projector_url": app.projector_url(&code) }))
}

/// The room's named snapshots, oldest first.
async fn snapshots(State(app): State<AppState>, Facilitator(code): Facilitator) -> Result<Json<Value>, ApiError> {
    let snapshots: Vec<Value> = crate::exports::snapshot_sizes(&app.store, &code)
        .await?
        .into_iter()
        .map(|(name, taken_at, n_bytes)| json!({ "name": name, "taken_at": taken_at, "bytes": n_bytes }))
        .collect();
    Ok(Json(json!({ "snapshots": snapshots })))
}

#[derive(Debug, Deserialize)]
struct SnapshotPath {
    name: String,
}

/// The board exactly as it stood when a named snapshot was taken.
async fn snapshot(
    State(app): State<AppState>,
    Analyst(code): Analyst,
    Path(SnapshotPath { name }): Path<SnapshotPath>,
) -> Result<Json<Value>, ApiError> {
    let board = crate::exports::snapshot_board(&app.store, &code, &name).await?;
    let board = board.ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "snapshot_not_found", "there is no snapshot by that name")
    })?;
    Ok(Json(json!({ "name": name, "board": board })))
}

/// The board's history for replay: every update in order, with the second it was stored.
async fn history(State(app): State<AppState>, BoardReader(code): BoardReader) -> Result<Json<Value>, ApiError> {
    let history = crate::exports::history(&app.store, &code).await?.ok_or_else(ApiError::room_not_found)?;
    let updates: Vec<Value> = history
        .into_iter()
        .map(|(seq, at, update)| json!({ "seq": seq, "at": at, "update": base64::engine::general_purpose::STANDARD.encode(update) }))
        .collect();
    Ok(Json(json!({ "updates": updates })))
}
