//! The y-websocket endpoint: the checks before a socket is upgraded, then the socket's task.
//!
//! A browser cannot set headers on a WebSocket, so the credential comes as
//! `?token=` and is checked by the same [`role_in_room`] as a bearer header.

use std::sync::atomic::Ordering;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tracing::Instrument;

use super::auth::{AuthError, parse_room_code, refuse_erased, role_in_room};
use super::error::ApiError;
use super::upgrade::Upgrade;
use crate::app::AppState;
use crate::store::StoreError;
use crate::ws::{self, Session};

pub fn router() -> Router<AppState> {
    Router::new().route("/sync/{code}", get(sync))
}

#[derive(Debug, Deserialize)]
struct SyncQuery {
    token: Option<String>,
}

/// The y-websocket endpoint: `new WebsocketProvider("ws://HOST/sync", code, doc, {params: {token}})`.
async fn sync(
    State(app): State<AppState>,
    Path(code): Path<String>,
    Query(query): Query<SyncQuery>,
    headers: HeaderMap,
    upgrade: Upgrade,
) -> Result<Response, ApiError> {
    let code = parse_room_code(&code)?;
    check_origin(&app, &headers)?;
    let token = query.token.filter(|token| !token.is_empty()).ok_or(AuthError::MissingSocketToken)?;
    let role = match role_in_room(&app, &code, &token).await {
        // A browser's WebSocket cannot read an HTTP status; a close frame it can (the credential
        // was valid, so this tells nothing to someone guessing codes).
        Err(AuthError::Store(StoreError::Quarantined(_))) => {
            return Ok(upgrade.on_upgrade(WebSocketConfig::default(), ws::refuse_quarantined));
        }
        role => role?,
    };
    refuse_erased(&app, &code, &role).await?;
    let session = Session { code, role, conn: app.next_conn.fetch_add(1, Ordering::Relaxed) };
    let limits = &app.config.limits;
    let config = WebSocketConfig::default()
        .max_message_size(Some(limits.max_message_bytes))
        .max_frame_size(Some(limits.max_message_bytes))
        // Small buffers keep an idle connection cheap; they grow only while busy.
        .read_buffer_size(4 << 10)
        .write_buffer_size(ws::WRITE_BUFFER_BYTES);
    let tracker = app.tracker.clone();
    let span = tracing::info_span!("connection", room = %session.code, conn = session.conn, role = role.name());
    Ok(upgrade.on_upgrade(config, move |socket| tracker.track_future(ws::serve(socket, session, app).instrument(span))))
}

/// Browsers send `Origin` with every WebSocket; refuse pages from elsewhere that are not allowed.
fn check_origin(app: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        // Not a browser: no page can ride on the user's credentials.
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or_default().trim_end_matches('/');
    let host = headers.get(header::HOST).and_then(|host| host.to_str().ok()).unwrap_or_default();
    let same_host = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) == Some(host);
    if same_host || origin == app.public_url || app.config.allowed_origins.iter().any(|allowed| allowed == origin) {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::FORBIDDEN, "origin_not_allowed", "pages from this origin may not connect"))
    }
}
