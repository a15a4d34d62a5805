//! The HTTP surface: one router per feature, composed by [`router`].
//!
//! Every handler proves who is calling with an extractor from [`auth`] and
//! refuses with an [`error::ApiError`], whose status and code come from one
//! exhaustive mapping. Every request runs inside a span naming its method
//! and matched route ([`span`]), so whatever a handler logs is attributed to
//! the route and never to an address or a URI. The JSON routes are mounted
//! through [`openapi`], so each is described where it is declared.

mod auth;
mod board;
mod cross_site;
mod error;
mod exports;
mod follow_ups;
mod helper;
mod intents;
mod openapi;
mod operations;
mod pages;
mod qr;
mod rooms;
mod span;
mod sync;
mod updates;
mod upgrade;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;

/// Every route of the server, with the body limit and the request span around each.
pub fn router(app: AppState) -> Router {
    let max_body = app.config.limits.max_body_bytes;
    let (api, _) = api().split_for_parts();
    Router::new()
        .merge(api)
        .merge(sync::router())
        .merge(pages::router())
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn(cross_site::refuse_forms))
        .layer(axum::middleware::from_fn(span::request_span))
        .with_state(app)
}

/// The answer to a connection the server has no room for: 503 `server_busy` with `Retry-After`.
pub fn server_busy() -> axum::response::Response {
    axum::response::IntoResponse::into_response(error::ApiError::server_busy())
}

/// The described routes: the whole JSON API, each route with its description.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::Document::openapi())
        .routes(routes!(openapi::openapi_json))
        .merge(operations::router())
        .merge(rooms::router())
        .merge(intents::router())
        .merge(helper::router())
        .merge(board::router())
        .merge(exports::router())
        .merge(follow_ups::router())
        .merge(qr::router())
        .merge(updates::router())
}
