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

/// Opens a WebSocket by hand and reads the server's 101, for frames no real client sends.
async fn raw_socket(server: &TestServer, code: &str, token: &str) -> anyhow::Result<TcpStream> {
    let mut tcp = TcpStream::connect(server.addr).await?;
    let request = format!(
        "GET /sync/{code}?token={token} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await?;
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let byte = tokio::time::timeout(DEADLINE, tcp.read_u8()).await.context("no answer to the upgrade")??;
        head.push(byte);
    }
    anyhow::ensure!(head.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&head));
    Ok(tcp)
}

/// Reads the server's frames until its close frame; returns its code and reason.
async fn read_close(tcp: &mut TcpStream) -> anyhow::Result<(u16, String)> {
    loop {
        let read = async {
            let [first, second] = [tcp.read_u8().await?, tcp.read_u8().await?];
            let len = match second & 0x7f {
                126 => u64::from(tcp.read_u16().await?),
                127 => tcp.read_u64().await?,
                len => u64::from(len),
            };
            let mut payload = vec![0u8; usize::try_from(len)?];
            tcp.read_exact(&mut payload).await?;
            anyhow::Ok((first & 0x0f, payload))
        };
        let (opcode, payload) = tokio::time::timeout(DEADLINE, read).await.context("no close frame")??;
        if opcode == 8 {
            anyhow::ensure!(payload.len() >= 2, "a close frame without a code");
            return Ok((u16::from_be_bytes([payload[0], payload[1]]), String::from_utf8(payload[2..].to_vec())?));
        }
    }
}

/// A frame from the client, masked with a zero key (which leaves the payload as it is).
fn masked(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![first, 0x80 | u8::try_from(payload.len()).unwrap_or(127)];
    if payload.len() > 125 {
        frame[1] = 0x80 | 126;
        frame.extend(u16::try_from(payload.len()).unwrap_or(u16::MAX).to_be_bytes());
    }
    frame.extend([0, 0, 0, 0]);
    frame.extend(payload);
    frame
}

#[tokio::test]
async fn protocol_violations_are_closed_with_the_code_rfc_6455_names_and_counted() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let room = server.create_room("Room").await?;
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("unmasked", vec![0x82, 0x01, 0x00], 1002, "frames from a client must be masked"),
        ("reserved bit", masked(0x80 | 0x40 | 0x2, &[0]), 1002, "reserved bits must be zero"),
        ("unknown data opcode", masked(0x80 | 0x3, &[0]), 1002, "unknown opcode"),
        ("unknown control opcode", masked(0x80 | 0xb, &[]), 1002, "unknown opcode"),
        ("oversized ping", masked(0x80 | 0x9, &[0; 126]), 1002, "control frames must be at most 125 bytes"),
        ("fragmented ping", masked(0x9, &[]), 1002, "control frames must not be fragmented"),
        ("invalid UTF-8", masked(0x80 | 0x1, &[0xc3, 0x28]), 1007, "invalid UTF-8 in a text frame"),
    ];
    for (name, frame, code, reason) in &cases {
        let mut tcp = raw_socket(&server, &room.code, &room.facilitator_key).await?;
        tcp.write_all(frame).await?;
        assert_eq!(read_close(&mut tcp).await?, (*code, (*reason).to_owned()), "{name}");
    }
    assert_eq!(server.metric("touchpoint_protocol_violations_total", r#"code="1002""#).await?, 6.0);
    assert_eq!(server.metric("touchpoint_protocol_violations_total", r#"code="1007""#).await?, 1.0);
    Ok(())
}

#[tokio::test]
async fn a_silent_peer_is_closed_and_its_presence_removed() -> anyhow::Result<()> {
    let server = TestServer::start_with(|config| {
        config.limits.ping_interval_secs = 1;
        config.limits.liveness_timeout_secs = 2;
    })
    .await?;
    let room = server.create_room("Room").await?;
    let mut watcher = server.connect(&room.code, &room.facilitator_key).await?;
    let mut asleep = server.connect(&room.code, &room.facilitator_key).await?;
    asleep.send_raw(crate::sync::awareness(&[(5, 1, r#"{"name":"Phone"}"#)])).await?;
    assert_eq!(crate::sync::next_awareness(&mut watcher).await?, vec![(5, 1, r#"{"name":"Phone"}"#.to_owned())]);
    // From here on the phone reads nothing, so it answers no ping; the watcher keeps reading.
    let started = Instant::now();
    assert_eq!(crate::sync::next_awareness(&mut watcher).await?, vec![(5, 2, "null".to_owned())]);
    assert!(started.elapsed() >= Duration::from_millis(1500), "closed before the liveness timeout");
    assert_eq!(server.metric("touchpoint_connections_closed_total", r#"reason="unresponsive""#).await?, 1.0);
    drop(asleep);
    Ok(())
}

#[tokio::test]
async fn the_stock_client_in_an_idle_room_never_reconnects() -> anyhow::Result<()> {
    let server = TestServer::start_with(|config| {
        config.limits.ping_interval_secs = 1;
        config.limits.liveness_timeout_secs = 2;
    })
    .await?;
    // Six seconds idle: several pings, and twice the liveness timeout.
    let output = touchpoint_tests::node::run_script(
        "liveness.mjs",
        &["--url", &server.base_url(), "--admin-token", touchpoint_tests::ADMIN_TOKEN, "--idle-ms", "6000"],
    )
    .await?;
    let report: serde_json::Value = serde_json::from_str(output.trim())?;
    assert_eq!(report["connected"], true, "{report}");
    let statuses = report["statuses"].as_array().context("statuses")?;
    assert!(statuses.iter().all(|status| status != "disconnected"), "the client reconnected: {report}");
    assert_eq!(server.metric("touchpoint_connections_closed_total", r#"reason="unresponsive""#).await?, 0.0);
    Ok(())
}

#[tokio::test]
async fn a_reader_that_stops_reading_is_closed_with_1013() -> anyhow::Result<()> {
    let server = TestServer::start_with(|config| {
        config.limits.outbound_queue = 4;
        config.limits.max_bytes_per_sec = 1 << 30;
        // Megabytes go by: more than a board may hold by default.
        config.limits.max_board_bytes = 64 << 20;
    })
    .await?;
    let room = server.create_room("Room").await?;
    let mut facilitator = server.connect(&room.code, &room.facilitator_key).await?;
    // A tiny receive buffer: the server's writes block at once, as on a phone that stopped reading.
    let tcp = tokio::net::TcpSocket::new_v4()?;
    tcp.set_recv_buffer_size(4096)?;
    let tcp = tcp.connect(server.addr).await?;
    let token = server.participant_token(&room.code).await?;
    let (mut stalled, _) = tokio_tungstenite::client_async(server.sync_url(&room.code, &token), tcp).await?;

    let chunk = "x".repeat(64 << 10);
    let notes = facilitator.doc.get_or_insert_text("notes");
    for _ in 0..200 {
        facilitator.edit(|txn| yrs::Text::push(&notes, txn, &chunk)).await?;
    }
    server.wait_for_metric("touchpoint_evictions_total", r#"reason="too_slow""#, |n| n >= 1.0).await?;
    // The server ends the connection while the client still reads nothing: a write stuck on a
    // full socket does not hold the eviction back.
    server.wait_for_metric("touchpoint_connections_closed_total", r#"reason="too_slow""#, |n| n >= 1.0).await?;
    // Reading again, the client finds what was sent before the eviction, then the reason.
    let deadline = Instant::now() + DEADLINE;
    loop {
        use futures_util::StreamExt;
        let message = tokio::time::timeout_at(deadline, stalled.next()).await.context("no close frame in time")?;
        match message.context("ended without a close frame")?? {
            tokio_tungstenite::tungstenite::Message::Close(Some(close)) => {
                assert_eq!(
                    (u16::from(close.code), close.reason.as_str()),
                    (1013, "too slow to keep up; reconnect to resync")
                );
                break;
            }
            tokio_tungstenite::tungstenite::Message::Close(None) => anyhow::bail!("a close frame without a code"),
            _ => {}
        }
    }
    Ok(())
}

/// Asks for `/metrics` on a connection kept open, and reads one counter from the answer.
async fn counter_over(tcp: &mut TcpStream, name: &str) -> anyhow::Result<f64> {
    tcp.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n").await?;
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(tokio::time::timeout(DEADLINE, tcp.read_u8()).await.context("no answer")??);
    }
    let head = String::from_utf8(head)?.to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length: "))
        .context("no content-length")?
        .trim()
        .parse::<usize>()?;
    let mut body = vec![0u8; length];
    tcp.read_exact(&mut body).await?;
    let prefix = format!("{name} ");
    String::from_utf8(body)?
        .lines()
        .find_map(|line| line.strip_prefix(prefix.as_str()).map(str::to_owned))
        .with_context(|| format!("no {name}"))?
        .parse::<f64>()
        .map_err(Into::into)
}

#[tokio::test]
async fn running_out_of_file_descriptors_is_logged_and_backed_off_not_spun_on() -> anyhow::Result<()> {
    let server = touchpoint_tests::ProcessServer::start().await?;
    let mut probe = TcpStream::connect(server.addr).await?;
    assert_eq!(counter_over(&mut probe, "touchpoint_accept_errors_total").await?, 0.0);
    let pid = server.pid().context("the server's pid")?.to_string();
    // Far below the connection limit: accepting fails with EMFILE long before the limit refuses.
    let status = tokio::process::Command::new("prlimit")
        .args(["--pid", &pid, "--nofile=48:48"])
        .status()
        .await
        .context("prlimit")?;
    anyhow::ensure!(status.success(), "prlimit failed");
    let started = Instant::now();
    let mut held = Vec::new();
    for _ in 0..64 {
        held.push(TcpStream::connect(server.addr).await?);
    }
    // The server keeps trying, after growing pauses, while the probe's connection still answers.
    let deadline = started + DEADLINE;
    let n_errors = loop {
        let n_errors = counter_over(&mut probe, "touchpoint_accept_errors_total").await?;
        if n_errors >= 8.0 {
            break n_errors;
        }
        anyhow::ensure!(Instant::now() < deadline, "accept failed only {n_errors} times");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // Pauses of 5 ms doubling to at most 1 s: a handful a second, never a spin.
    let allowed = 8.0 + started.elapsed().as_secs_f64();
    assert!(n_errors <= allowed, "accept failed {n_errors} times in {:?}", started.elapsed());
    // Once descriptors are free, the server serves new connections again.
    drop(held);
    let deadline = Instant::now() + DEADLINE;
    while !matches!(server.get("/healthz").await, Ok(response) if response.status == 200) {
        anyhow::ensure!(Instant::now() < deadline, "the server did not serve again once descriptors were free");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}
