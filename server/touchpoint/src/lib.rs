//! The Touchpoint server: everything that touches the world.
//!
//! [`run`] takes a bound listener, a configuration and a shutdown future, so
//! tests can start the real server on port 0 and stop it when they like.
//! The shutdown order is: stop accepting, cancel every room and socket task
//! (sockets close with 1001), let rooms compact into the store, wait for the
//! tasks under a deadline, then let the store finish its queue of commits.

mod app;
mod assets;
mod clock;
pub mod config;
mod contact_retention;
mod exports;
mod http;
mod keys;
mod listener;
mod metrics;
mod migrate;
mod qr;
mod rate;
mod rooms;
mod shutdown;
mod store;
pub mod telemetry;
mod workshops;
mod ws;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::Instant;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::app::{App, AppState, RoomCreated};
use crate::clock::unix_now;
pub use crate::config::ServeConfig;
pub use crate::exports::{export_command, report_command};
use crate::metrics::Metrics;
pub use crate::migrate::migrate_command;
use crate::rate::TokenBucket;
use crate::rooms::{RoomRegistry, lifecycle};
pub use crate::shutdown::shutdown_signal;
use crate::store::{Store, StoreRunner};
pub use crate::store::{backup_command, check_command, repair_command};

/// Opens the data directory and serves on `listener` until `shutdown` resolves.
pub async fn run(
    listener: TcpListener,
    config: ServeConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let address = listener.local_addr().context("reading the listening address")?;
    let (app, store_runner) = open(config, address).await?;
    serve(listener, app, store_runner, shutdown).await
}

/// The `serve` command: bind, make sure the demo room exists, print how to reach it, serve.
pub async fn serve_command(config: ServeConfig) -> anyhow::Result<()> {
    let listener = TcpListener::bind(config.addr).await.with_context(|| format!("binding {}", config.addr))?;
    let address = listener.local_addr().context("reading the listening address")?;
    let (app, store_runner) = open(config, address).await?;
    let demo = lifecycle::demo(&app.store, &app.templates).await.context("preparing the demo room")?;
    print_welcome(&app, &app.room_created(&demo));
    serve(listener, app, store_runner, shutdown_signal()).await
}

/// Prepares the data directory and everything shared; `address` is where the listener is bound.
pub(crate) async fn open(config: ServeConfig, address: SocketAddr) -> anyhow::Result<(AppState, StoreRunner)> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
    let metrics = Metrics::default();
    // Before the keys: their presence is how the store tells a used directory that lost its database.
    let (store, store_runner) = Store::open(&config.data_dir, config.database_url.as_deref(), metrics.clone()).await?;
    let secret = keys::load_or_create_secret(&config.data_dir)?;
    let admin_token = keys::load_or_create_admin_token(&config.data_dir, config.admin_token.as_deref())?;
    let templates = workshops::load(&config.workshops_dir);
    let joins = f64::from(config.limits.max_joins_per_sec);
    let join_limiter = Mutex::new(TokenBucket::new(joins, 100.0 * joins, Instant::now()));
    let tracker = TaskTracker::new();
    let shutdown = CancellationToken::new();
    let registry = RoomRegistry::new(&config, store.clone(), metrics.clone(), tracker.clone(), shutdown.clone());
    let public_url =
        config.public_url.clone().unwrap_or_else(|| format!("http://{address}")).trim_end_matches('/').to_owned();
    let app = App {
        config,
        public_url,
        secret,
        admin_token,
        templates,
        join_limiter,
        room_join_limiters: Mutex::default(),
        update_limiters: Mutex::default(),
        public_rooms: dashmap::DashMap::default(),
        store,
        registry,
        metrics,
        next_conn: AtomicU64::new(1),
        tracker,
        shutdown,
    };
    Ok((AppState::new(app), store_runner))
}

async fn serve(
    listener: TcpListener,
    app: AppState,
    store_runner: StoreRunner,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    tracing::info!(address = %app.public_url, "listening");
    app.tracker.spawn(retention(app.clone()));
    app.tracker.spawn(contact_retention::sweep(app.clone()));
    listener::accept(listener, app.clone(), http::router(app.clone()), shutdown).await;
    // Accepting has stopped; sockets, rooms and unfinished requests watch this token.
    app.shutdown.cancel();
    app.tracker.close();
    let grace = app.config.shutdown_grace();
    if tokio::time::timeout(grace, app.tracker.wait()).await.is_err() {
        tracing::warn!(?grace, "some rooms or connections did not finish in time");
    }
    // The store's runner ends once the last handle is gone and its queue is drained.
    drop(app);
    store_runner.finished().await.context("waiting for the store")?;
    tracing::info!("stopped");
    Ok(())
}

/// Deletes rooms older than the retention period, at start and then hourly, until shutdown.
async fn retention(app: AppState) {
    let days = app.config.retention_days;
    if days == 0 {
        return;
    }
    let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tokio::select! {
            () = app.shutdown.cancelled() => return,
            _ = hourly.tick() => {}
        }
        let cutoff = unix_now().saturating_sub(days.saturating_mul(86_400)) as i64;
        let expired = match app.store.rooms_created_before(cutoff).await {
            Ok(expired) => expired,
            Err(error) => {
                let error = &error as &dyn std::error::Error;
                tracing::error!(error, "could not look for rooms past their retention period");
                continue;
            }
        };
        for code in expired {
            match app.registry.delete(&code).await {
                Ok(()) => {
                    tracing::info!(room = %code, retention_days = days, "room deleted: past its retention period")
                }
                Err(error) => {
                    let error = &error as &dyn std::error::Error;
                    tracing::error!(room = %code, error, "could not delete a room past its retention period")
                }
            }
        }
    }
}

fn print_welcome(app: &App, demo: &RoomCreated) {
    let qr = qrcode::QrCode::new(demo.join_url.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::unicode::Dense1x2>()
                .dark_color(qrcode::render::unicode::Dense1x2::Light)
                .light_color(qrcode::render::unicode::Dense1x2::Dark)
                .build()
        })
        .unwrap_or_default();
    println!(
        "\nTouchpoint is running at {url}\n\n\
         Demo room \"{title}\", code {code}\n\
         \x20 participants join: {join}\n\
         \x20 facilitator:       {facilitate}\n\
         \x20 projector:         {projector}\n\
         \x20 admin token:       {admin}{kept}\n\n{qr}",
        url = app.public_url,
        title = demo.title,
        code = demo.code,
        join = demo.join_url,
        facilitate = demo.facilitator_url,
        projector = demo.projector_url,
        admin = app.admin_token,
        kept = match app.config.admin_token {
            Some(_) => String::new(),
            None => format!(" (kept in {})", app.config.data_dir.join("admin-token").display()),
        },
    );
}
