//! One task per WebSocket: decode and check what the client sends, forward it
//! to the room, and write what the room queues.
//!
//! Everything a client sends is checked here, before the room sees it, through
//! core's `check_client_message`: one y-protocols message per binary frame,
//! rates, the structure of updates and state vectors. Participants are
//! read-only for the document: their updates are dropped and counted, never
//! forwarded. This module alone maps the reasons a connection ends to
//! WebSocket close codes, protocol violations included: tungstenite reports a
//! bad frame as an error but can still send a close frame, so the peer hears
//! why (1002 or 1007) instead of seeing its TCP connection drop.
//!
//! Liveness: the socket is pinged every `Limits::ping_interval`, and a peer
//! from which no frame at all (a pong counts) has come for
//! `Limits::liveness_timeout` is closed, which removes its presence. A phone
//! asleep in a pocket answers nothing; a healthy client's WebSocket answers
//! pings by itself, so it is never closed for being quiet.
//!
//! Memory: a message larger than [`WRITE_BUFFER_BYTES`] (the whole board, to a
//! joiner) is sent as fragments sliced from the bytes the room shares, since
//! tungstenite copies what it sends into the connection's write buffer and
//! keeps that capacity while the connection lives; so a connection holds a
//! few tens of KiB of buffers however large the board.

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use touchpoint_core::identity::{Role, RoomCode};
use touchpoint_core::room::sync::{CheckError, Checked, check_client_message};
use touchpoint_core::update_check::UpdateLimits;

use crate::app::AppState;
use crate::rate::TokenBucket;
use crate::rooms::{ConnId, Eviction, JoinError, Membership};

/// An upgraded connection's WebSocket.
pub type Socket = WebSocketStream<TokioIo<Upgraded>>;

/// Bytes a connection buffers before writing to its socket; a larger message is sent in
/// fragments of this size, so this bounds the buffer whatever the message.
pub const WRITE_BUFFER_BYTES: usize = 16 << 10;

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
    /// A frame broke RFC 6455 (masking, reserved bits, opcode, control frame rules); the reason
    /// says which.
    ProtocolViolation(&'static str),
    /// A text frame that is not UTF-8.
    InvalidUtf8,
    /// No frame, not even a pong, within the liveness timeout.
    Unresponsive,
    SocketError,
}

impl Ending {
    fn close_frame(self) -> Option<CloseFrame> {
        let (code, reason) = match self {
            Ending::ClientClosed | Ending::SocketError => return None,
            Ending::ShuttingDown => (CloseCode::Away, "server is shutting down"),
            Ending::RoomFull => (CloseCode::Again, "room is full"),
            Ending::RoomUnavailable => (CloseCode::Error, "room is unavailable"),
            Ending::RoomQuarantined => (CloseCode::Error, "room_quarantined: its stored data is damaged"),
            Ending::Evicted(Eviction::TooSlow) => (CloseCode::Again, "too slow to keep up; reconnect to resync"),
            Ending::Evicted(Eviction::InvalidUpdate) | Ending::InvalidUpdate => {
                (CloseCode::Invalid, "invalid document update")
            }
            Ending::Evicted(Eviction::InvalidAwareness) => (CloseCode::Invalid, "invalid awareness update"),
            Ending::Evicted(Eviction::BoardFull) => {
                (CloseCode::Policy, "board_full: the board has reached the room's size limit")
            }
            Ending::Evicted(Eviction::MissingDependencies) => {
                (CloseCode::Policy, "update depends on changes the room does not have; reconnect to resync")
            }
            Ending::Evicted(Eviction::BreaksLayout) => {
                (CloseCode::Policy, "breaks_layout: the update gives a value of the room document another shape")
            }
            Ending::Evicted(Eviction::RoomFailed) => (CloseCode::Error, "room failed; reconnect to resync"),
            Ending::Evicted(Eviction::StoreUnavailable) => {
                (CloseCode::Again, "store_unavailable: the database cannot be reached; reconnect in a moment")
            }
            Ending::Evicted(Eviction::RoomDeleted) => (CloseCode::Normal, "the room was deleted"),
            Ending::Evicted(Eviction::KeyRotated) => {
                (CloseCode::Policy, "key_rotated: this helper key was replaced; ask the facilitator for the new link")
            }
            Ending::TextFrame => (CloseCode::Unsupported, "binary frames only"),
            Ending::Malformed => (CloseCode::Invalid, "malformed y-protocols message"),
            Ending::RateLimited => (CloseCode::Policy, "rate limit exceeded"),
            Ending::TooBig => (CloseCode::Size, "message too big"),
            // RFC 6455's codes for a peer that breaks the protocol, and for text that is not UTF-8.
            Ending::ProtocolViolation(reason) => (CloseCode::Protocol, reason),
            Ending::InvalidUtf8 => (CloseCode::Invalid, "invalid UTF-8 in a text frame"),
            Ending::Unresponsive => (CloseCode::Away, "no answer to pings"),
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
            Ending::ProtocolViolation(_) => "protocol_error",
            Ending::InvalidUtf8 => "invalid_utf8",
            Ending::Unresponsive => "unresponsive",
            Ending::SocketError => "socket_error",
        }
    }
}

/// Tells a socket whose room is quarantined why it cannot join, in a close frame a browser can read.
pub async fn refuse_quarantined(mut socket: Socket) {
    if let Some(frame) = Ending::RoomQuarantined.close_frame() {
        let _ = tokio::time::timeout(WRITE_TIMEOUT, socket.send(Message::Close(Some(frame)))).await;
    }
}

/// Serves one upgraded socket until it closes, the room evicts it, or the server shuts down.
pub async fn serve(mut socket: Socket, session: Session, app: AppState) {
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
        Err(JoinError::KeyRotated) => Ending::Evicted(Eviction::KeyRotated),
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

    async fn run(&mut self, socket: &mut Socket, mut membership: Membership) -> Ending {
        // Made once, not once per message: each would register with the token and the timer
        // wheel anew, a lock on the path every delivery takes.
        let shutdown = self.app.shutdown.clone();
        let cancelled = shutdown.cancelled();
        tokio::pin!(cancelled);
        let keepalive = tokio::time::sleep(KEEPALIVE);
        tokio::pin!(keepalive);
        let limits = &self.app.config.limits;
        let liveness_timeout = limits.liveness_timeout();
        let mut ping =
            tokio::time::interval_at(tokio::time::Instant::now() + limits.ping_interval(), limits.ping_interval());
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_heard = Instant::now();
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
                    if let Err(ending) = self.write(socket, Message::Binary(frame), &mut membership).await {
                        return ending;
                    }
                }
                received = socket.next() => {
                    let message = match received {
                        None | Some(Ok(Message::Close(_))) => return Ending::ClientClosed,
                        Some(Ok(message)) => message,
                        Some(Err(error)) => return self.read_error(error),
                    };
                    last_heard = Instant::now();
                    if let Err(ending) = self.receive(message, &membership).await {
                        return ending;
                    }
                }
                () = &mut keepalive => {
                    // Writes since the timer was set push the keepalive back instead of resetting
                    // the timer on every write.
                    let due = self.last_sent + KEEPALIVE;
                    if due <= Instant::now() {
                        let frame = Message::Binary(Bytes::from_static(KEEPALIVE_FRAME));
                        if let Err(ending) = self.write(socket, frame, &mut membership).await {
                            return ending;
                        }
                    }
                    keepalive.as_mut().reset(tokio::time::Instant::from_std(self.last_sent + KEEPALIVE));
                }
                _ = ping.tick() => {
                    if last_heard.elapsed() >= liveness_timeout {
                        tracing::debug!("closing a connection that answers nothing");
                        return Ending::Unresponsive;
                    }
                    if let Err(ending) = self.write(socket, Message::Ping(Bytes::new()), &mut membership).await {
                        return ending;
                    }
                }
            }
        }
    }

    /// Writes `first` and whatever else is queued, then flushes once.
    ///
    /// A peer that will not take the bytes (it stopped reading) is too slow: it is closed with
    /// 1013 when the write times out, or as soon as the room evicts it for a full queue, rather
    /// than waiting out the timeout.
    async fn write(&mut self, socket: &mut Socket, first: Message, membership: &mut Membership) -> Result<(), Ending> {
        let Membership { outbound: queue, eviction, .. } = membership;
        // A ping is no data message: only data keeps a y-websocket client from reconnecting.
        let is_data = matches!(first, Message::Binary(_));
        let write = async {
            let mut n_bytes = 0;
            match first {
                Message::Binary(frame) => n_bytes += feed_binary(socket, frame).await?,
                other => socket.feed(other).await?,
            }
            for _ in 1..WRITE_BATCH {
                let Some(frame) = queue.try_recv() else { break };
                n_bytes += feed_binary(socket, frame).await?;
            }
            socket.flush().await?;
            Ok::<usize, WsError>(n_bytes)
        };
        let written = tokio::select! {
            written = tokio::time::timeout(WRITE_TIMEOUT, write) => written,
            evicted = eviction => return Err(Ending::Evicted(evicted.unwrap_or(Eviction::RoomFailed))),
        };
        match written {
            Ok(Ok(n_bytes)) => {
                self.app.metrics.bytes_sent.inc_by(n_bytes as u64);
                if is_data {
                    self.last_sent = Instant::now();
                }
                Ok(())
            }
            Ok(Err(_)) => Err(Ending::SocketError),
            Err(_) => Err(Ending::Evicted(Eviction::TooSlow)),
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
            // Reading yields whole messages only.
            Message::Frame(_) => return Ok(()),
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

impl Connection<'_> {
    /// What a failed read means; a protocol violation is counted by the close code it gets.
    fn read_error(&self, error: WsError) -> Ending {
        let ending = match &error {
            WsError::Capacity(_) => Ending::TooBig,
            WsError::Utf8(_) => Ending::InvalidUtf8,
            WsError::Protocol(violation) => match violation_reason(violation) {
                Some(reason) => Ending::ProtocolViolation(reason),
                None => Ending::SocketError,
            },
            _ => Ending::SocketError,
        };
        match ending {
            Ending::ProtocolViolation(reason) => {
                tracing::warn!(reason, "closed a connection that broke the WebSocket protocol");
                self.app.metrics.protocol_violation("1002");
            }
            Ending::InvalidUtf8 => {
                tracing::warn!("closed a connection that sent a text frame that is not UTF-8");
                self.app.metrics.protocol_violation("1007");
            }
            _ => {}
        }
        ending
    }
}

/// Queues one binary message for the socket: as it is if it fits the write buffer, else as
/// fragments that share its bytes, so the buffer never holds more than one fragment's copy.
async fn feed_binary(socket: &mut Socket, message: Bytes) -> Result<usize, WsError> {
    let n_bytes = message.len();
    if n_bytes <= WRITE_BUFFER_BYTES {
        socket.feed(Message::Binary(message)).await?;
        return Ok(n_bytes);
    }
    let mut start = 0;
    while start < n_bytes {
        let end = (start + WRITE_BUFFER_BYTES).min(n_bytes);
        let opcode = OpCode::Data(if start == 0 { Data::Binary } else { Data::Continue });
        socket.feed(Message::Frame(Frame::message(message.slice(start..end), opcode, end == n_bytes))).await?;
        start = end;
    }
    Ok(n_bytes)
}

/// The reason sent with 1002 for a frame that breaks RFC 6455; `None` for what is no fault of
/// the peer's frames (a dropped connection, our own state).
fn violation_reason(violation: &tokio_tungstenite::tungstenite::error::ProtocolError) -> Option<&'static str> {
    use tokio_tungstenite::tungstenite::error::ProtocolError as Violation;
    Some(match violation {
        Violation::UnmaskedFrameFromClient => "frames from a client must be masked",
        Violation::NonZeroReservedBits => "reserved bits must be zero",
        Violation::UnknownControlFrameType(_) | Violation::UnknownDataFrameType(_) | Violation::InvalidOpcode(_) => {
            "unknown opcode"
        }
        Violation::FragmentedControlFrame => "control frames must not be fragmented",
        Violation::ControlFrameTooBig => "control frames must be at most 125 bytes",
        Violation::UnexpectedContinueFrame | Violation::ExpectedFragment(_) => "fragments out of order",
        Violation::InvalidCloseSequence => "invalid close frame",
        _ => return None,
    })
}
