//! Connections that die quietly: clients that never finish a request, hold
//! too many sockets, fall silent, break the WebSocket protocol or stop
//! reading. Each is starved or silenced over real sockets (raw TCP for what
//! no real client sends) and must end cleanly, with a reason and a count.

use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;
use touchpoint_tests::TestServer;

/// How long a test waits for the server to end a connection before it fails.
const DEADLINE: Duration = Duration::from_secs(8);

/// Reads until the server closes the connection; fails if it is still open at the deadline.
async fn expect_closed(tcp: &mut TcpStream) -> anyhow::Result<Vec<u8>> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout(DEADLINE, tcp.read(&mut buffer)).await.context("the connection stayed open")? {
            Ok(0) | Err(_) => return Ok(received),
            Ok(n) => received.extend_from_slice(&buffer[..n]),
        }
    }
}

#[tokio::test]
async fn a_connection_that_sends_nothing_or_drips_its_headers_is_dropped() -> anyhow::Result<()> {
    let server = TestServer::start_with(|config| config.limits.header_read_timeout_secs = 1).await?;
    // Opens TCP and says nothing.
    let mut silent = TcpStream::connect(server.addr).await?;
    let started = Instant::now();
    assert!(expect_closed(&mut silent).await?.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(900), "closed before the timeout");
    // Sends its headers a line at a time, each well within the timeout, never finishing.
    let mut slow = TcpStream::connect(server.addr).await?;
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n").await?;
    let deadline = Instant::now() + DEADLINE;
    let mut buffer = [0u8; 256];
    loop {
        anyhow::ensure!(Instant::now() < deadline, "a client dripping its headers is never dropped");
        tokio::select! {
            read = slow.read(&mut buffer) => {
                if matches!(read, Ok(0) | Err(_)) {
                    break;
                }
            }
            () = tokio::time::sleep(Duration::from_millis(200)) => {
                if slow.write_all(b"X-Drip: 1\r\n").await.is_err() {
                    break;
                }
            }
        }
    }
    // A client that asks in time is served.
    assert_eq!(server.get("/healthz").await?.status, 200);
    Ok(())
}

#[tokio::test]
async fn past_the_connection_limit_connections_are_refused_politely_then_closed() -> anyhow::Result<()> {
    // One in sixteen of the limit, at least one, may wait to be told no.
    let server = TestServer::start_with(|config| config.limits.max_connections = 4).await?;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(server.addr).await?);
    }
    // The server accepts in order, so the limit is full when the next connection comes.
    let mut refused = TcpStream::connect(server.addr).await?;
    refused.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").await?;
    let answer = String::from_utf8(expect_closed(&mut refused).await?)?;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("\r\nretry-after: 5\r\n"), "{answer}");
    assert!(
        answer.ends_with(
            r#""code":"server_busy","message":"the server has too many connections; try again in a moment"}}"#
        ),
        "{answer}"
    );
    // While one refusal is still waiting for its request, the next is closed unanswered.
    let _waiting = TcpStream::connect(server.addr).await?;
    let mut unanswered = TcpStream::connect(server.addr).await?;
    let _ = unanswered.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
    assert!(expect_closed(&mut unanswered).await?.is_empty());
    // Once connections close, the server serves again, and has counted what it refused.
    drop(held);
    let deadline = Instant::now() + DEADLINE;
    loop {
        if matches!(server.get("/healthz").await, Ok(response) if response.status == 200) {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "the server did not serve again after connections closed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(server.metric("touchpoint_connections_refused_total", r#"how="answered""#).await? >= 1.0);
    assert!(server.metric("touchpoint_connections_refused_total", r#"how="closed""#).await? >= 1.0);
    let open = server.metric("touchpoint_open_connections", "").await?;
    assert!((1.0..=4.0).contains(&open), "open connections: {open}");
    Ok(())
}
