//! One task per WebSocket: decode and check what the client sends, forward it
//! to the room, and write what the room queues.
//!
//! Everything a client sends is checked here, before the room sees it, through
//! core's `check_client_message`: one y-protocols message per binary frame,
//! rates, the structure of updates and state vectors. Participants are
//! read-only for the document: their updates are dropped and counted, never
//! forwarded. This module alone maps the reasons a connection ends to
//! WebSocket close codes.

use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, WebSocket, close_code};
use bytes::Bytes;
use futures_util::SinkExt;
use touchpoint_core::identity::{Role, RoomCode};
use touchpoint_core::room::sync::{CheckError, Checked, check_client_message};
use touchpoint_core::update_check::UpdateLimits;

use crate::app::AppState;
use crate::rate::TokenBucket;
use crate::rooms::{ConnId, Eviction, JoinError, Membership};

/// A client that hears nothing for 30 s reconnects; a data message every 20 s keeps it.
const KEEPALIVE: Duration = Duration::from_secs(20);
/// An empty awareness update: a data message every y-websocket client accepts and ignores.
const KEEPALIVE_FRAME: &[u8] = &[1, 1, 0];
/// A socket that will not take our bytes for this long is abandoned.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Frames written before one flush, so a burst costs one system call.
const WRITE_BATCH: usize = 64;

/// Who is connected, as established by the HTTP upgrade.
#[derive(Debug, Clone)]
pub struct Session {
    pub code: RoomCode,
    pub role: Role,
    pub conn: ConnId,
}

/// Why a connection ends: each maps to one close code and reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    ClientClosed,
    ShuttingDown,
    RoomFull,
    RoomUnavailable,
    RoomQuarantined,
    Evicted(Eviction),
    TextFrame,
    Malformed,
    InvalidUpdate,
    RateLimited,
    TooBig,
    SocketError,
}

impl Ending {
    fn close_frame(self) -> Option<CloseFrame> {
        let (code, reason) = match self {
            Ending::ClientClosed | Ending::SocketError => return None,
            Ending::ShuttingDown => (close_code::AWAY, "server is shutting down"),
            Ending::RoomFull => (close_code::AGAIN, "room is full"),
            Ending::RoomUnavailable => (close_code::ERROR, "room is unavailable"),
            Ending::RoomQuarantined => (close_code::ERROR, "room_quarantined: its stored data is damaged"),
            Ending::Evicted(Eviction::TooSlow) => (close_code::AGAIN, "too slow to keep up; reconnect to resync"),
            Ending::Evicted(Eviction::InvalidUpdate) | Ending::InvalidUpdate => {
                (close_code::INVALID, "invalid document update")
            }
            Ending::Evicted(Eviction::InvalidAwareness) => (close_code::INVALID, "invalid awareness update"),
            Ending::Evicted(Eviction::MissingDependencies) => {
                (close_code::POLICY, "update depends on changes the room does not have; reconnect to resync")
            }
            Ending::Evicted(Eviction::RoomFailed) => (close_code::ERROR, "room failed; reconnect to resync"),
            Ending::Evicted(Eviction::RoomDeleted) => (close_code::NORMAL, "the room was deleted"),
            Ending::TextFrame => (close_code::UNSUPPORTED, "binary frames only"),
            Ending::Malformed => (close_code::INVALID, "malformed y-protocols message"),
            Ending::RateLimited => (close_code::POLICY, "rate limit exceeded"),
            Ending::TooBig => (close_code::SIZE, "message too big"),
        };
        Some(CloseFrame { code, reason: reason.into() })
    }

    fn metric(self) -> &'static str {
        match self {
            Ending::ClientClosed => "client_closed",
            Ending::ShuttingDown => "shutdown",
            Ending::RoomFull => "room_full",
            Ending::RoomUnavailable => "room_failed",
            Ending::RoomQuarantined => "room_quarantined",
            Ending::Evicted(eviction) => eviction.name(),
            Ending::InvalidUpdate => "invalid_update",
            Ending::TextFrame => "text_frame",
            Ending::Malformed => "malformed",
            Ending::RateLimited => "rate_limited",
            Ending::TooBig => "too_big",
            Ending::SocketError => "socket_error",
        }
    }
}

/// Tells a socket whose room is quarantined why it cannot join, in a close frame a browser can read.
pub async fn refuse_quarantined(mut socket: WebSocket) {
    if let Some(frame) = Ending::RoomQuarantined.close_frame() {
        let _ = tokio::time::timeout(WRITE_TIMEOUT, socket.send(Message::Close(Some(frame)))).await;
    }
}

/// Serves one upgraded socket until it closes, the room evicts it, or the server shuts down.
pub async fn serve(mut socket: WebSocket, session: Session, app: AppState) {
    let gauge = app.metrics.connections(session.role.name());
    gauge.inc();
    let ending = match app.registry.join(&session.code, session.conn, session.role).await {
        Ok(membership) => {
            let room = membership.room.clone();
            let ending = Connection::new(&session, &app).run(&mut socket, membership).await;
            room.leave(session.conn).await;
            ending
        }
        Err(JoinError::RoomFull) => Ending::RoomFull,
        Err(JoinError::Unavailable) => Ending::RoomUnavailable,
        Err(JoinError::Quarantined) => Ending::RoomQuarantined,
    };
    tracing::debug!(reason = ending.metric(), "connection closed");
    app.metrics.closed(ending.metric());
    if let Some(frame) = ending.close_frame() {
        // The peer may be gone already; there is nobody left to tell.
        let _ = tokio::time::timeout(WRITE_TIMEOUT, socket.send(Message::Close(Some(frame)))).await;
    }
    gauge.dec();
}

struct Connection<'a> {
    session: &'a Session,
    app: &'a AppState,
    messages: TokenBucket,
    bytes: TokenBucket,
    update_limits: UpdateLimits,
    last_sent: Instant,
}

impl<'a> Connection<'a> {
    fn new(session: &'a Session, app: &'a AppState) -> Self {
        let limits = &app.config.limits;
        let now = Instant::now();
        let messages = f64::from(limits.max_messages_per_sec);
        let bytes = f64::from(limits.max_bytes_per_sec);
        Connection {
            session,
            app,
            messages: TokenBucket::new(messages, messages * 5.0, now),
            bytes: TokenBucket::new(bytes, bytes.max(2.0 * limits.max_message_bytes as f64), now),
            update_limits: UpdateLimits { max_depth: limits.max_update_depth, ..UpdateLimits::default() },
            last_sent: now,
        }
    }

    async fn run(&mut self, socket: &mut WebSocket, mut membership: Membership) -> Ending {
        // Made once, not once per message: each would register with the token and the timer
        // wheel anew, a lock on the path every delivery takes.
        let shutdown = self.app.shutdown.clone();
        let cancelled = shutdown.cancelled();
        tokio::pin!(cancelled);
        let keepalive = tokio::time::sleep(KEEPALIVE);
        tokio::pin!(keepalive);
        loop {
            tokio::select! {
                biased;
                () = &mut cancelled => return Ending::ShuttingDown,
                eviction = &mut membership.eviction => {
                    // A dropped sender means the room is gone without a word: it failed.
                    return Ending::Evicted(eviction.unwrap_or(Eviction::RoomFailed));
                }
                frame = membership.outbound.recv() => {
                    let Some(frame) = frame else { return Ending::Evicted(Eviction::RoomFailed) };
                    if let Err(ending) = self.write(socket, frame, &mut membership.outbound).await {
                        return ending;
                    }
                }
                received = socket.recv() => {
                    let message = match received {
                        None | Some(Ok(Message::Close(_))) => return Ending::ClientClosed,
                        Some(Ok(message)) => message,
                        Some(Err(error)) => return read_error(error),
                    };
                    if let Err(ending) = self.receive(message, &membership).await {
                        return ending;
                    }
                }
                () = &mut keepalive => {
                    // Writes since the timer was set push the keepalive back instead of resetting
                    // the timer on every write.
                    let due = self.last_sent + KEEPALIVE;
                    if due <= Instant::now() {
                        let frame = Bytes::from_static(KEEPALIVE_FRAME);
                        if let Err(ending) = self.write(socket, frame, &mut membership.outbound).await {
                            return ending;
                        }
                    }
                    keepalive.as_mut().reset(tokio::time::Instant::from_std(self.last_sent + KEEPALIVE));
                }
            }
        }
    }

    /// Writes `first` and whatever else is queued, then flushes once.
    async fn write(
        &mut self,
        socket: &mut WebSocket,
        first: Bytes,
        queue: &mut tokio::sync::mpsc::Receiver<Bytes>,
    ) -> Result<(), Ending> {
        let write = async {
            let mut n_bytes = first.len();
            socket.feed(Message::Binary(first)).await?;
            for _ in 1..WRITE_BATCH {
                let Ok(frame) = queue.try_recv() else { break };
                n_bytes += frame.len();
                socket.feed(Message::Binary(frame)).await?;
            }
            socket.flush().await?;
            Ok::<usize, axum::Error>(n_bytes)
        };
        match tokio::time::timeout(WRITE_TIMEOUT, write).await {
            Ok(Ok(n_bytes)) => {
                self.app.metrics.bytes_sent.inc_by(n_bytes as u64);
                self.last_sent = Instant::now();
                Ok(())
            }
            Ok(Err(_)) | Err(_) => Err(Ending::SocketError),
        }
    }

    async fn receive(&mut self, message: Message, membership: &Membership) -> Result<(), Ending> {
        let now = Instant::now();
        let frame = match message {
            Message::Binary(frame) => frame,
            Message::Text(_) => return Err(Ending::TextFrame),
            // Pings are answered by the library; they still count against the rate.
            Message::Ping(_) | Message::Pong(_) => Bytes::new(),
            Message::Close(_) => return Err(Ending::ClientClosed),
        };
        self.app.metrics.bytes_received.inc_by(frame.len() as u64);
        if !self.messages.try_take(1.0, now) || !self.bytes.try_take(frame.len() as f64, now) {
            tracing::warn!("rate limit exceeded");
            self.app.metrics.reject("rate_limited");
            return Err(Ending::RateLimited);
        }
        if frame.is_empty() {
            return Ok(());
        }
        let inbound = match check_client_message(&frame, &self.session.role, &self.update_limits) {
            Ok(Checked::Forward(inbound)) => inbound,
            Ok(Checked::Empty) => return Ok(()),
            Ok(Checked::ReadOnly) => {
                tracing::debug!("dropped a document update from a read-only participant");
                self.app.metrics.reject("read_only");
                return Ok(());
            }
            Err(error) => {
                tracing::warn!(%error, "refused a message");
                let ending = match error {
                    CheckError::Malformed(_) | CheckError::StateVector => Ending::Malformed,
                    CheckError::InvalidUpdate(_) | CheckError::UndecodableUpdate(_) => Ending::InvalidUpdate,
                };
                self.app.metrics.reject(ending.metric());
                return Err(ending);
            }
        };
        if !membership.room.send(self.session.conn, inbound).await {
            return Err(Ending::Evicted(Eviction::RoomFailed));
        }
        Ok(())
    }
}

fn read_error(error: axum::Error) -> Ending {
    use tokio_tungstenite::tungstenite::Error as WsError;
    match error.into_inner().downcast_ref::<WsError>() {
        Some(WsError::Capacity(_)) => Ending::TooBig,
        _ => Ending::SocketError,
    }
}
