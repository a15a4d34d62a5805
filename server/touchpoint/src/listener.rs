//! The accept loop: every TCP connection the server holds, from accept to close.
//!
//! axum's own `serve` bounds neither how long a client may take over its
//! request nor how many connections it holds, and it stalls silently when
//! `accept` fails. This loop serves each connection with hyper's HTTP/1
//! directly, with its header-read timeout (which also ends a connection
//! that sends nothing, or idles before its upgrade), counts every open
//! connection until its socket closes (an upgraded WebSocket included),
//! refuses politely past `Limits::max_connections`, and backs off when
//! `accept` fails (out of file descriptors, say) instead of spinning.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::app::AppState;
use crate::http;

/// The first pause after a failed accept; each failure in a row doubles it.
const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(5);
/// The longest pause after failed accepts: the server retries at least this often.
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);
/// How often at most the warning that connections near the limit is logged.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// Accepts connections until `shutdown` resolves, then returns; the connections finish on the
/// app's tracker, watching its cancellation token.
pub async fn accept(listener: TcpListener, app: AppState, router: Router, shutdown: impl Future<Output = ()>) {
    let limits = &app.config.limits;
    let open = Arc::new(AtomicUsize::new(0));
    let refusing = Arc::new(AtomicUsize::new(0));
    // Refusals get a small share of their own, so a flood past the limit cannot hold more
    // descriptors than that share while it waits to be told no.
    let max_refusing = (limits.max_connections / 16).max(1);
    let warn_at = limits.max_connections - limits.max_connections / 5;
    let mut last_warned: Option<Instant> = None;
    let mut backoff = ACCEPT_BACKOFF_MIN;
    tokio::pin!(shutdown);
    loop {
        let tcp = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => {
                    backoff = ACCEPT_BACKOFF_MIN;
                    tcp
                }
                Err(error) => {
                    tracing::error!(%error, ?backoff, "could not accept a connection; trying again after a pause");
                    app.metrics.accept_errors.inc();
                    tokio::select! {
                        () = &mut shutdown => return,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
                    continue;
                }
            },
        };
        // Small frames go out at once: without TCP_NODELAY, two frames sent close together wait
        // on a delayed ACK, which put 40 ms tails on fan-out in the benchmark (BENCHMARKS.md).
        if let Err(error) = tcp.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
        let n_open = open.load(Ordering::Relaxed);
        if n_open >= limits.max_connections {
            refuse(tcp, &app, &refusing, max_refusing);
            continue;
        }
        if n_open + 1 >= warn_at && last_warned.is_none_or(|warned| warned.elapsed() >= WARN_EVERY) {
            last_warned = Some(Instant::now());
            tracing::warn!(
                open = n_open + 1,
                limit = limits.max_connections,
                "open connections are past 80% of the limit"
            );
        }
        let io = Counted::new(tcp, &open, app.metrics.open_connections.clone());
        let service = TowerToHyperService::new(router.clone());
        app.tracker.spawn(serve_connection(io, service, app.clone()));
    }
}

/// Serves HTTP on one connection until it closes or upgrades; on shutdown, finishes the
/// request under way and closes.
async fn serve_connection(io: Counted, service: TowerToHyperService<Router>, app: AppState) {
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(app.config.limits.header_read_timeout())
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended");
            }
        }
        () = app.shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended during shutdown");
            }
        }
    }
}

/// Answers a connection past the limit with 503 and `Retry-After`, or, when too many are being
/// refused already, closes it at once: a client that gets no answer sees a reset and retries.
fn refuse(tcp: TcpStream, app: &AppState, refusing: &Arc<AtomicUsize>, max_refusing: usize) {
    if refusing.load(Ordering::Relaxed) >= max_refusing {
        app.metrics.refused("closed");
        drop(tcp);
        return;
    }
    app.metrics.refused("answered");
    let io = Counted::new(tcp, refusing, app.metrics.refusing_connections.clone());
    let timeout = app.config.limits.header_read_timeout();
    let service = hyper::service::service_fn(|_request| async { Ok::<_, Infallible>(http::server_busy()) });
    app.tracker.spawn(async move {
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(timeout)
            .keep_alive(false)
            .serve_connection(TokioIo::new(io), service);
        if let Err(error) = connection.await {
            tracing::debug!(%error, "refused connection ended");
        }
    });
}

/// A TCP stream counted as open from accept until it is dropped, which for an upgraded
/// WebSocket is when its task ends, long after hyper has let go of the connection.
struct Counted {
    tcp: TcpStream,
    open: Arc<AtomicUsize>,
    gauge: prometheus_client::metrics::gauge::Gauge,
}

impl Counted {
    fn new(tcp: TcpStream, open: &Arc<AtomicUsize>, gauge: prometheus_client::metrics::gauge::Gauge) -> Self {
        open.fetch_add(1, Ordering::Relaxed);
        gauge.inc();
        Counted { tcp, open: open.clone(), gauge }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
        self.gauge.dec();
    }
}

impl AsyncRead for Counted {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}
