//! A span around every request, naming its method and matched route.
//!
//! The route is the pattern (`/api/rooms/{code}/intents`), never the URI:
//! tokens travel in query strings and room codes in paths. No address or
//! user agent is recorded either. Whatever a handler or an extractor logs,
//! an internal error's cause above all, is then attributed to its route.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

/// Runs the rest of the request inside its span.
pub async fn request_span(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    let span = tracing::info_span!("request", method = %request.method(), route);
    next.run(request).instrument(span).await
}
