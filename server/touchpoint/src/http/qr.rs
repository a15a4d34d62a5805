//! The join link of a room as a QR code, for the projector and for print.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::error::ApiError;
use super::rooms::find_room;
use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/rooms/{code}/qr.svg", get(qr_svg)).route("/api/rooms/{code}/qr.png", get(qr_png))
}

async fn qr_svg(State(app): State<AppState>, Path(code): Path<String>) -> Result<Response, ApiError> {
    let link = join_link(&app, &code).await?;
    let svg = crate::qr::svg(&link).ok_or_else(qr_too_long)?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=3600")], svg)
        .into_response())
}

async fn qr_png(State(app): State<AppState>, Path(code): Path<String>) -> Result<Response, ApiError> {
    let link = join_link(&app, &code).await?;
    let png = crate::qr::png(&link).ok_or_else(qr_too_long)?;
    Ok(([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "public, max-age=3600")], png).into_response())
}

/// The join link of a room that exists.
async fn join_link(app: &AppState, code: &str) -> Result<String, ApiError> {
    let record = find_room(app, code).await?;
    Ok(app.join_url(&record.code))
}

fn qr_too_long() -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "qr_failed", "the join link is too long for a QR code")
}
