//! Live rooms: one task per room owns its document, awareness and members.
//!
//! Connections talk to their room through a channel of [`Command`]s. The room
//! takes every command waiting, applies them, commits the accepted updates
//! to the store, and only then delivers what the batch produced: nothing
//! leaves a room before it is durable, and a busy room pays one commit per
//! batch rather than one per update. Each frame is encoded once and the same
//! bytes are queued for every member; a member whose bounded queue is full
//! is told to leave and resync rather than slowing the room or growing memory.
//!
//! Rooms load lazily on first join and unload after a final compaction when
//! they have been empty for a while. The [`RoomRegistry`] is the only way in
//! (`registry`); the room task is `worker`, and how its frames reach members
//! is `fanout`. The y-sync itself is core's `room::sync`, driven by the worker.

mod fanout;
pub mod lifecycle;
mod registry;
mod worker;

use serde_json::Value;
use tokio::sync::oneshot;
use touchpoint_core::identity::ParticipantId;
use touchpoint_core::room::follow_up::FollowUpRequest;
use touchpoint_core::room::intent::{Actor, IntentError, IntentRequest, Profile};
use touchpoint_core::room::sync::Inbound;

use self::fanout::{Member, Outbound};
pub use self::registry::{RoomHandle, RoomRegistry};

/// Identifies one connection for the lifetime of the process.
pub type ConnId = u64;

/// Why a room tells a connection to leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eviction {
    /// Its outbound queue is full: it must reconnect and resync.
    TooSlow,
    /// Its update could not be applied to the document.
    InvalidUpdate,
    /// Its update depends on changes the board lacks: reconnecting resyncs it whole.
    MissingDependencies,
    /// Its update would give a value of the board's layout another shape.
    BreaksLayout,
    /// Its awareness update was malformed or too large.
    InvalidAwareness,
    /// Its update would take the board past the room's ceiling in bytes.
    BoardFull,
    /// The room could not store an update and is restarting.
    RoomFailed,
    /// The database cannot be reached: the room acknowledges nothing until it is back.
    StoreUnavailable,
    /// The room was deleted.
    RoomDeleted,
    /// Its credential is a helper key the facilitator has since rotated.
    KeyRotated,
}

impl Eviction {
    pub fn name(self) -> &'static str {
        match self {
            Eviction::TooSlow => "too_slow",
            Eviction::InvalidUpdate => "invalid_update",
            Eviction::MissingDependencies => "missing_dependencies",
            Eviction::BreaksLayout => "breaks_layout",
            Eviction::InvalidAwareness => "invalid_awareness",
            Eviction::BoardFull => "board_full",
            Eviction::RoomFailed => "room_failed",
            Eviction::StoreUnavailable => "store_unavailable",
            Eviction::RoomDeleted => "room_deleted",
            Eviction::KeyRotated => "key_rotated",
        }
    }
}

/// Why a connection could not join.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JoinError {
    #[error("the room is full")]
    RoomFull,
    #[error("the room could not be loaded")]
    Unavailable,
    #[error("the room's stored data is damaged")]
    Quarantined,
    #[error("this helper key was replaced")]
    KeyRotated,
}

/// Why an intent got no answer from its room.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntentFailure {
    #[error(transparent)]
    Refused(#[from] IntentError),
    #[error("too many requests; wait a moment")]
    RateLimited,
    /// The room takes no more contributions from participants this minute.
    #[error("the room is taking many contributions at once; yours will go through in a moment")]
    RoomBusy { retry_after_secs: u64 },
    #[error("the room is unavailable; try again")]
    Unavailable,
    /// The board is at its ceiling in bytes: nothing more can be added to it.
    #[error("the room's board is full: nothing more can be added to it")]
    BoardFull,
    #[error("the room's stored data is damaged")]
    Quarantined,
    /// The participant erased themselves: their token opens nothing any more.
    #[error("this participant erased everything they gave, and their token with it; join again")]
    Erased,
    /// The helper key was rotated: it opens nothing any more.
    #[error("this helper key was replaced; ask the facilitator for the new link")]
    KeyRotated,
}

/// A joined connection's side of the room: where to send, and what to receive.
#[derive(Debug)]
pub struct Membership {
    pub room: RoomHandle,
    /// Frames to write to the socket, in order.
    pub outbound: Outbound,
    /// Resolves if the room evicts this connection.
    pub eviction: oneshot::Receiver<Eviction>,
}

/// What can be read from a room without changing it.
#[derive(Debug, Clone)]
pub enum Query {
    /// A participant's own profile, contributions and ballots.
    Participant(ParticipantId),
    /// A vote's results, revealed or not (for the facilitator).
    Results(String),
    /// The contributions held for review, and which groups are large enough to name (for the facilitator).
    Moderation,
    /// Whether a participant erased themselves (`true` or `false`).
    Erased(ParticipantId),
    /// How large the board is, against its ceiling (for the facilitator).
    BoardSize,
    /// The generation of the room's helper key (a number).
    HelperGeneration,
    /// What the helper key of this generation typed in (refused if it is not the present one).
    HelperEntries(u64),
}

type Reply<T> = oneshot::Sender<Result<T, IntentFailure>>;

/// What the registry and the connections ask of a room task.
#[derive(Debug)]
enum Command {
    Join {
        member: Member,
        reply: oneshot::Sender<Result<(), JoinError>>,
    },
    Message {
        conn: ConnId,
        inbound: Inbound,
    },
    Leave {
        conn: ConnId,
    },
    /// Apply an intent; answered once its changes are durable.
    Intent {
        actor: Actor,
        request: IntentRequest,
        reply: Reply<Value>,
    },
    /// Record a new participant and their profile; answered once durable.
    Register {
        participant: ParticipantId,
        profile: Profile,
        reply: Reply<Value>,
    },
    /// Read or manage the room's pledge follow-ups; answered once what it changed is durable.
    FollowUps {
        request: FollowUpRequest,
        reply: Reply<Value>,
    },
    /// Read something from the room's documents.
    Read {
        query: Query,
        reply: Reply<Value>,
    },
    /// Move the helper key on to its next generation and close the sockets of older ones;
    /// answered with the new generation once durable.
    RotateHelperKey {
        reply: Reply<u64>,
    },
    /// Close every connection and stop without writing anything more: the room is being deleted.
    Close {
        reply: oneshot::Sender<()>,
    },
}
