//! The join link of a room as a QR code, for the projector and for print; and its public
//! page's, for the projector's last screen.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, ErrorBody};
use super::rooms::find_room;
use crate::app::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(qr_svg)).routes(routes!(qr_png)).routes(routes!(updates_qr_svg))
}

/// The join link as an SVG image.
#[utoipa::path(
    get,
    path = "/api/rooms/{code}/qr.svg",
    tag = "rooms",
    params(("code" = String, Path, description = "The room's code, in any case")),
    responses(
        (status = 200, body = String, content_type = "image/svg+xml"),
        (status = 500, description = "`qr_failed`: the join link is too long for a QR code", body = ErrorBody),
    )
)]
async fn qr_svg(State(app): State<AppState>, Path(code): Path<String>) -> Result<Response, ApiError> {
    let link = join_link(&app, &code).await?;
    let svg = crate::qr::svg(&link).ok_or_else(qr_too_long)?;
    Ok(image("image/svg+xml", svg))
}

/// The join link as a PNG image.
#[utoipa::path(
    get,
    path = "/api/rooms/{code}/qr.png",
    tag = "rooms",
    params(("code" = String, Path, description = "The room's code, in any case")),
    responses(
        (status = 200, body = Vec<u8>, content_type = "image/png"),
        (status = 500, description = "`qr_failed`: the join link is too long for a QR code", body = ErrorBody),
    )
)]
async fn qr_png(State(app): State<AppState>, Path(code): Path<String>) -> Result<Response, ApiError> {
    let link = join_link(&app, &code).await?;
    let png = crate::qr::png(&link).ok_or_else(qr_too_long)?;
    Ok(image("image/png", png))
}

/// The address of the room's public page ("You said, we did") as an SVG image.
#[utoipa::path(
    get,
    path = "/api/rooms/{code}/updates-qr.svg",
    tag = "updates",
    params(("code" = String, Path, description = "The room's code, in any case")),
    responses(
        (status = 200, body = String, content_type = "image/svg+xml"),
        (status = 500, description = "`qr_failed`: the address is too long for a QR code", body = ErrorBody),
    )
)]
async fn updates_qr_svg(State(app): State<AppState>, Path(code): Path<String>) -> Result<Response, ApiError> {
    let record = find_room(&app, &code).await?;
    let svg = crate::qr::svg(&app.updates_url(&record.code)).ok_or_else(qr_too_long)?;
    Ok(image("image/svg+xml", svg))
}

/// A QR code as sent: its address does not change for as long as the room lives.
fn image(content_type: &'static str, body: impl IntoResponse) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

/// The join link of a room that exists.
async fn join_link(app: &AppState, code: &str) -> Result<String, ApiError> {
    let record = find_room(app, code).await?;
    Ok(app.join_url(&record.code))
}

fn qr_too_long() -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "qr_failed", "the address is too long for a QR code")
}
