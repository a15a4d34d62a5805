//! Prometheus metrics: what an operator needs to see the server is healthy.
//!
//! One `Metrics` value is shared (cheaply cloned) by every part that counts.
//! Labels are fixed, low-cardinality strings: never a room code, never
//! anything a participant sent.

use std::sync::Arc;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = [(&'static str, &'static str); 1];

#[derive(Debug, Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub struct Inner {
    registry: Registry,
    pub connections: Family<Labels, Gauge>,
    pub rooms_loaded: Gauge,
    pub rooms_quarantined: Gauge,
    pub updates_applied: Counter,
    pub updates_merged: Counter,
    pub bytes_received: Counter,
    pub bytes_sent: Counter,
    pub store_commit_seconds: Histogram,
    pub messages_rejected: Family<Labels, Counter>,
    pub connections_closed: Family<Labels, Counter>,
    pub evictions: Family<Labels, Counter>,
    pub open_connections: Gauge,
    pub refusing_connections: Gauge,
    pub connections_refused: Family<Labels, Counter>,
    pub accept_errors: Counter,
    pub protocol_violations: Family<Labels, Counter>,
}

impl std::ops::Deref for Metrics {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.inner
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("touchpoint");
        let connections = Family::<Labels, Gauge>::default();
        registry.register("connections", "Open WebSocket connections, by role", connections.clone());
        let rooms_loaded = Gauge::default();
        registry.register("rooms_loaded", "Rooms held in memory", rooms_loaded.clone());
        let rooms_quarantined = Gauge::default();
        registry.register(
            "rooms_quarantined",
            "Rooms refused because a stored row is damaged, until `touchpoint repair` rebuilds them",
            rooms_quarantined.clone(),
        );
        let updates_applied = Counter::default();
        registry.register("updates_applied", "Document updates applied and stored", updates_applied.clone());
        let updates_merged = Counter::default();
        registry.register(
            "updates_merged",
            "Board updates relayed merged with others of their batch (a busy room)",
            updates_merged.clone(),
        );
        let bytes_received = Counter::default();
        registry.register("received_bytes", "WebSocket payload bytes received", bytes_received.clone());
        let bytes_sent = Counter::default();
        registry.register("sent_bytes", "WebSocket payload bytes sent", bytes_sent.clone());
        // From 100 µs to about 3 s: an fsync on a good disk up to a struggling one.
        let store_commit_seconds = Histogram::new(exponential_buckets(0.0001, 2.0, 16));
        registry.register(
            "store_commit_seconds",
            "Time to commit one group of updates to the store",
            store_commit_seconds.clone(),
        );
        let messages_rejected = Family::<Labels, Counter>::default();
        registry.register("messages_rejected", "Client messages refused, by reason", messages_rejected.clone());
        let connections_closed = Family::<Labels, Counter>::default();
        registry.register("connections_closed", "Connections closed, by reason", connections_closed.clone());
        let evictions = Family::<Labels, Counter>::default();
        registry.register("evictions", "Connections a room told to leave, by reason", evictions.clone());
        let open_connections = Gauge::default();
        registry.register(
            "open_connections",
            "Open TCP connections, HTTP and WebSocket, counted against the connection limit",
            open_connections.clone(),
        );
        let refusing_connections = Gauge::default();
        registry.register(
            "refusing_connections",
            "Connections past the limit being answered 503",
            refusing_connections.clone(),
        );
        let connections_refused = Family::<Labels, Counter>::default();
        registry.register(
            "connections_refused",
            "Connections refused at the connection limit, by how (answered 503, or closed unanswered)",
            connections_refused.clone(),
        );
        let accept_errors = Counter::default();
        registry.register(
            "accept_errors",
            "Failed accepts (such as running out of file descriptors)",
            accept_errors.clone(),
        );
        let protocol_violations = Family::<Labels, Counter>::default();
        registry.register(
            "protocol_violations",
            "WebSocket protocol violations, by the close code they were answered with",
            protocol_violations.clone(),
        );
        Metrics {
            inner: Arc::new(Inner {
                registry,
                connections,
                rooms_loaded,
                rooms_quarantined,
                updates_applied,
                updates_merged,
                bytes_received,
                bytes_sent,
                store_commit_seconds,
                messages_rejected,
                connections_closed,
                evictions,
                open_connections,
                refusing_connections,
                connections_refused,
                accept_errors,
                protocol_violations,
            }),
        }
    }
}

impl Metrics {
    pub fn reject(&self, reason: &'static str) {
        self.messages_rejected.get_or_create(&[("reason", reason)]).inc();
    }

    pub fn closed(&self, reason: &'static str) {
        self.connections_closed.get_or_create(&[("reason", reason)]).inc();
    }

    pub fn evicted(&self, reason: &'static str) {
        self.evictions.get_or_create(&[("reason", reason)]).inc();
    }

    pub fn refused(&self, how: &'static str) {
        self.connections_refused.get_or_create(&[("how", how)]).inc();
    }

    pub fn protocol_violation(&self, code: &'static str) {
        self.protocol_violations.get_or_create(&[("code", code)]).inc();
    }

    pub fn connections(&self, role: &'static str) -> Gauge {
        self.connections.get_or_create(&[("role", role)]).clone()
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}
