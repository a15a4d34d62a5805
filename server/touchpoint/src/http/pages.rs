//! The web client: its pages, its bundled assets, the service worker, and "nothing here";
//! also the one page the server writes itself, a room's public updates (`updates`).

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;

use super::error::ApiError;
use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(page))
        .route("/accessibility", get(page))
        .route("/join/{code}", get(page))
        .route("/facilitate/{code}", get(page))
        .route("/help/{code}", get(page))
        .route("/projector/{code}", get(page))
        .route("/remote/{code}", get(page))
        .route("/updates/{code}", get(super::updates::page))
        .route("/assets/{*path}", get(asset))
        .route("/sw.js", get(service_worker))
}

/// The answer for every address no route claims.
pub async fn not_found() -> ApiError {
    ApiError::not_found()
}

/// Every page of the web client is its `index.html`; the client routes by path.
async fn page(headers: HeaderMap) -> Result<Response, ApiError> {
    crate::assets::serve("index.html", &headers).ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "client_not_built", "the web client was not built into this server")
    })
}

async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    crate::assets::serve(&format!("assets/{path}"), &headers).ok_or_else(ApiError::not_found)
}

/// The phone's offline shell; at the root, since a service worker looks after the pages under its own path.
async fn service_worker(headers: HeaderMap) -> Result<Response, ApiError> {
    crate::assets::serve("sw.js", &headers).ok_or_else(ApiError::not_found)
}
