//! The helper key of a room: the facilitator shows and rotates it; a helper reads back its entries.
//!
//! Table hosts type in paper cards and sticky-dot ballots with the helper
//! key; they send them as intents like everyone else (`intents`), and the
//! room holds them to what a helper may ask. Here is what is the helper's
//! own: the link the console shows (with its QR code) and rotates, and the
//! list of what the present key typed in.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;
use touchpoint_core::identity::RoomCode;
use touchpoint_core::room::helper::HelperView;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Facilitator, Helper};
use super::error::{ApiError, ErrorBody};
use crate::app::AppState;
use crate::rooms::Query as RoomQuery;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(helper_key, rotate_helper_key)).routes(routes!(helper_entries))
}

/// The room's present helper key, the helper's page that carries it, and that page's QR code.
#[derive(Debug, Serialize, ToSchema)]
struct HelperLink {
    helper_key: String,
    helper_url: String,
    /// How many times the key has been rotated.
    generation: u64,
    /// The helper's page as a QR code (SVG), for a table host's phone to scan off the console.
    qr_svg: String,
}

/// The helper's link, for the console to show (the facilitator only).
#[utoipa::path(
    get,
    path = "/api/rooms/{code}/helper-key",
    tag = "facilitation",
    security(("facilitator_key" = [])),
    params(("code" = String, Path, description = "The room's code, in any case")),
    responses(
        (status = 200, body = HelperLink),
        (status = 500, description = "`qr_failed`: the link is too long for a QR code", body = ErrorBody),
        (status = 503, description = "`room_unavailable`", body = ErrorBody),
    )
)]
async fn helper_key(State(app): State<AppState>, Facilitator(code): Facilitator) -> Result<Json<HelperLink>, ApiError> {
    let generation = app.registry.read(&code, RoomQuery::HelperGeneration).await?;
    let generation = generation.as_u64().ok_or_else(|| {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "room_unavailable", "the room could not say its helper key")
    })?;
    link(&app, &code, generation).map(Json)
}

/// Replaces the helper key: the old one opens nothing from now on, and the sockets opened with it
/// are closed (1008 `key_rotated`). Answers with the new link (the facilitator only).
#[utoipa::path(
    post,
    path = "/api/rooms/{code}/helper-key",
    tag = "facilitation",
    security(("facilitator_key" = [])),
    params(("code" = String, Path, description = "The room's code, in any case")),
    responses(
        (status = 200, description = "The new helper key; the old one is refused from now on", body = HelperLink),
        (status = 500, description = "`qr_failed`: the link is too long for a QR code", body = ErrorBody),
        (status = 503, description = "`room_unavailable`", body = ErrorBody),
    )
)]
async fn rotate_helper_key(
    State(app): State<AppState>,
    Facilitator(code): Facilitator,
) -> Result<Json<HelperLink>, ApiError> {
    let generation = app.registry.rotate_helper_key(&code).await?;
    link(&app, &code, generation).map(Json)
}

/// What this helper key typed in and is still in the room, oldest first (the helper key only).
#[utoipa::path(
    get,
    path = "/api/rooms/{code}/helper/entries",
    tag = "participants",
    security(("helper_key" = [])),
    params(("code" = String, Path, description = "The room's code, in any case")),
    responses(
        (status = 200, body = HelperView),
        (status = 503, description = "`room_unavailable`", body = ErrorBody),
    )
)]
async fn helper_entries(State(app): State<AppState>, helper: Helper) -> Result<Json<Value>, ApiError> {
    Ok(Json(app.registry.read(&helper.room, RoomQuery::HelperEntries(helper.generation)).await?))
}

fn link(app: &AppState, code: &RoomCode, generation: u64) -> Result<HelperLink, ApiError> {
    let (helper_key, helper_url) = app.helper_link(code, generation);
    let qr_svg = crate::qr::svg(&helper_url).ok_or_else(|| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "qr_failed", "the helper's link is too long for a QR code")
    })?;
    Ok(HelperLink { helper_key, helper_url, generation, qr_svg })
}
