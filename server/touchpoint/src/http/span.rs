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

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;
    use crate::http::error::ApiError;
    use crate::store::StoreError;

    /// Everything the test's subscriber writes.
    #[derive(Debug, Clone, Default)]
    struct Log(Arc<Mutex<Vec<u8>>>);

    impl Write for Log {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().map_err(|_| std::io::Error::other("a test thread panicked"))?.extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A handler whose store failed underneath it.
    async fn failing() -> ApiError {
        StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows).into()
    }

    #[tokio::test(flavor = "current_thread")]
    async fn an_internal_cause_is_logged_in_the_routes_span_and_never_sent() -> anyhow::Result<()> {
        let log = Log::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt().with_ansi(false).with_writer(move || writer.clone()).finish();
        let _default = tracing::subscriber::set_default(subscriber);
        let router = Router::new().route("/rooms/{code}", get(failing)).layer(axum::middleware::from_fn(request_span));

        let request = Request::get("/rooms/SECRETCODE?token=hunter2").body(Body::empty())?;
        let response = router.oneshot(request).await?;

        let body = axum::body::to_bytes(response.into_body(), 1 << 20).await?;
        let body = String::from_utf8(body.to_vec())?;
        assert!(body.contains("\"internal\"") && !body.contains("database"), "{body}");
        let log = String::from_utf8(log.0.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.clone())?;
        assert!(log.contains(r#"request{method=GET route="/rooms/{code}"}"#), "{log}");
        assert!(log.contains("database error: Query returned no rows"), "{log}");
        assert!(!log.contains("SECRETCODE") && !log.contains("hunter2"), "{log}");
        Ok(())
    }
}
