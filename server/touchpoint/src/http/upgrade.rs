//! The WebSocket handshake (RFC 6455 over HTTP/1.1), done here rather than by
//! axum's `WebSocketUpgrade` so that the socket task gets tokio-tungstenite's
//! stream itself.
//!
//! axum's socket sends whole messages only, and tungstenite copies each
//! message whole into the connection's write buffer, which keeps that
//! capacity for as long as the connection lives: every joiner would hold a
//! copy of the board. With the stream itself, `ws` sends a large message as
//! fragments of the one shared encoding, so a connection's buffers stay small
//! however large the board.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

use super::error::ApiError;
use crate::ws::Socket;

/// A request to open a WebSocket, checked: the handshake's headers are present and right.
#[derive(Debug)]
pub struct Upgrade {
    key: HeaderValue,
    on_upgrade: OnUpgrade,
}

impl<S: Send + Sync> FromRequestParts<S> for Upgrade {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let refuse = |why: &str| ApiError::new(StatusCode::BAD_REQUEST, "not_a_websocket", why.to_owned());
        if parts.method != Method::GET {
            return Err(refuse("a WebSocket opens with GET"));
        }
        if !has_token(&parts.headers, header::CONNECTION, "upgrade")
            || !has_token(&parts.headers, header::UPGRADE, "websocket")
        {
            return Err(refuse("this address takes WebSocket connections only"));
        }
        if parts.headers.get(header::SEC_WEBSOCKET_VERSION).is_none_or(|version| version.as_bytes() != b"13") {
            return Err(refuse("WebSocket version 13 only"));
        }
        let key =
            parts.headers.get(header::SEC_WEBSOCKET_KEY).cloned().ok_or_else(|| refuse("no Sec-WebSocket-Key"))?;
        let on_upgrade = parts.extensions.remove::<OnUpgrade>().ok_or_else(|| {
            ApiError::new(StatusCode::UPGRADE_REQUIRED, "not_upgradable", "this connection cannot be upgraded")
        })?;
        Ok(Upgrade { key, on_upgrade })
    }
}

impl Upgrade {
    /// Answers 101 and, once the connection has switched, runs `serve` with the socket.
    pub fn on_upgrade<F>(self, config: WebSocketConfig, serve: impl FnOnce(Socket) -> F + Send + 'static) -> Response
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let Upgrade { key, on_upgrade } = self;
        tokio::spawn(async move {
            // The client went away before the switch: nobody to serve.
            let Ok(upgraded) = on_upgrade.await else { return };
            let socket = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await;
            serve(socket).await;
        });
        let accept = derive_accept_key(key.as_bytes());
        (
            StatusCode::SWITCHING_PROTOCOLS,
            [(header::CONNECTION, "upgrade"), (header::UPGRADE, "websocket"), (header::SEC_WEBSOCKET_ACCEPT, &accept)],
        )
            .into_response()
    }
}

/// Whether a comma-separated header holds `token` (case-insensitive), as `Connection: keep-alive, Upgrade`.
fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|part| part.trim().eq_ignore_ascii_case(token))
}
