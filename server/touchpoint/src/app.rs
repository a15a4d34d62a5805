//! The state every request and task shares, and the links the server hands out.
//!
//! It lives apart from `lib.rs` (which wires it up and runs the server) and
//! from `http` (which serves it), so that neither imports the other.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use dashmap::DashMap;
use serde::Serialize;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use touchpoint_core::identity::{RoomCode, ServerSecret};
use touchpoint_core::room::public::PublicRoom;
use touchpoint_core::template::Template;

use crate::config::ServeConfig;
use crate::metrics::Metrics;
use crate::rate::TokenBucket;
use crate::rooms::RoomRegistry;
use crate::store::{RoomRecord, Store};

/// Shared by every request and task; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<App>,
}

impl AppState {
    pub(crate) fn new(app: App) -> Self {
        AppState { inner: Arc::new(app) }
    }
}

impl std::ops::Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.inner
    }
}

#[derive(Debug)]
pub struct App {
    pub(crate) config: ServeConfig,
    /// Base of the links we hand out, without a trailing slash.
    pub(crate) public_url: String,
    pub(crate) secret: ServerSecret,
    pub(crate) admin_token: String,
    pub(crate) templates: BTreeMap<String, Template>,
    /// Participant joins across the server (see `Limits::max_joins_per_sec`).
    pub(crate) join_limiter: Mutex<TokenBucket>,
    /// Participant joins into each existing room (see `Limits::max_joins_per_room_per_sec`).
    pub(crate) room_join_limiters: Mutex<HashMap<RoomCode, TokenBucket>>,
    /// Writes to each room's public updates (see `Limits::max_update_writes_per_room_per_hour`).
    pub(crate) update_limiters: Mutex<HashMap<RoomCode, TokenBucket>>,
    /// What each room's public page shows of its board, with the store's last sequence number
    /// it was read at and when (see `http::updates`).
    pub(crate) public_rooms: DashMap<RoomCode, (i64, Instant, Arc<PublicRoom>)>,
    pub(crate) store: Store,
    pub(crate) registry: RoomRegistry,
    pub(crate) metrics: Metrics,
    pub(crate) next_conn: AtomicU64,
    pub(crate) tracker: TaskTracker,
    pub(crate) shutdown: CancellationToken,
}

/// What a facilitator needs to run a room; returned once, at creation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoomCreated {
    pub code: String,
    pub title: String,
    pub template: Option<String>,
    pub programme: Option<String>,
    pub facilitator_key: String,
    pub join_url: String,
    pub facilitator_url: String,
    /// The projector's address: it carries the viewer key, which can only read the board.
    pub projector_url: String,
    /// For table hosts: enters paper contributions and ballots, and nothing more. The console
    /// shows it again, and rotates it (`/api/rooms/{code}/helper-key`).
    pub helper_key: String,
    /// The helper's page, carrying the helper key.
    pub helper_url: String,
}

impl App {
    pub(crate) fn join_url(&self, code: &RoomCode) -> String {
        format!("{}/join/{code}", self.public_url)
    }

    /// The room's public page, "You said, we did", which participants keep.
    pub(crate) fn updates_url(&self, code: &RoomCode) -> String {
        format!("{}/updates/{code}", self.public_url)
    }

    pub(crate) fn projector_url(&self, code: &RoomCode) -> String {
        format!("{}/projector/{code}#key={}", self.public_url, self.secret.viewer_key(code))
    }

    /// The helper key of a room's given generation, and the address of the helper's page with it.
    pub(crate) fn helper_link(&self, code: &RoomCode, generation: u64) -> (String, String) {
        let key = self.secret.helper_key(code, generation);
        let url = format!("{}/help/{code}#key={key}", self.public_url);
        (key, url)
    }

    pub(crate) fn room_created(&self, record: &RoomRecord) -> RoomCreated {
        let facilitator_key = self.secret.facilitator_key(&record.code);
        // A new room's helper key has never been rotated.
        let (helper_key, helper_url) = self.helper_link(&record.code, 0);
        RoomCreated {
            code: record.code.to_string(),
            title: record.title.clone(),
            template: record.template.as_ref().map(|template| template.id.clone()),
            programme: record.programme.clone(),
            join_url: self.join_url(&record.code),
            // The key travels in the fragment, which browsers never send to a server.
            facilitator_url: format!("{}/facilitate/{}#key={facilitator_key}", self.public_url, record.code),
            facilitator_key,
            projector_url: self.projector_url(&record.code),
            helper_key,
            helper_url,
        }
    }
}
