//! The few Touchpoint API calls the bench makes (create a room, add a
//! participant; the soak also sends intents and reads exports and metrics),
//! over `reqwest`.
//!
//! Each call gets a client of its own, built with the call's timeout, that
//! reaches the endpoint's loopback address without asking a resolver and
//! closes its connection when the call ends.

use crate::target::Endpoint;
use anyhow::{Context, Result, bail};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use serde::Deserialize;
use std::time::Duration;

/// Largest response we accept; the API answers with a few hundred bytes.
const MAX_RESPONSE: usize = 1 << 20;

/// A response: status code, what the bench reads of its headers, and body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// `Retry-After` in seconds, when the server sent one.
    pub retry_after: Option<u64>,
    pub body: Vec<u8>,
}

/// POSTs a JSON body and returns the response, all within `timeout`.
pub async fn post_json(
    base: &Endpoint,
    path: &str,
    bearer: Option<&str>,
    body: &str,
    timeout: Duration,
) -> Result<Response> {
    call(base, reqwest::Method::POST, path, bearer, Some(body), timeout, MAX_RESPONSE).await
}

/// GETs `path` and returns the response (up to `limit` bytes of body), all within `timeout`.
pub async fn get(
    base: &Endpoint,
    path: &str,
    bearer: Option<&str>,
    timeout: Duration,
    limit: usize,
) -> Result<Response> {
    call(base, reqwest::Method::GET, path, bearer, None, timeout, limit).await
}

async fn call(
    base: &Endpoint,
    method: reqwest::Method,
    path: &str,
    bearer: Option<&str>,
    body: Option<&str>,
    timeout: Duration,
    limit: usize,
) -> Result<Response> {
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .no_proxy()
        .resolve(&base.host, base.socket_addr()?)
        .build()
        .context("building an HTTP client")?;
    let mut request =
        client.request(method.clone(), format!("http://{}{path}", base.authority)).header(ACCEPT, "application/json");
    if let Some(body) = body {
        request = request.header(CONTENT_TYPE, "application/json").body(body.to_owned());
    }
    if let Some(token) = bearer {
        request = request.header(AUTHORIZATION, format!("Bearer {token}"));
    }
    let mut response = request.send().await.with_context(|| format!("{method} {path} to {}", base.authority))?;
    let status = response.status().as_u16();
    let retry_after =
        response.headers().get(RETRY_AFTER).and_then(|value| value.to_str().ok()).and_then(|s| s.trim().parse().ok());
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.with_context(|| format!("{method} {path}: reading the body"))? {
        body.extend_from_slice(&chunk);
        if body.len() > limit {
            bail!("{method} {path}: response larger than {limit} bytes");
        }
    }
    Ok(Response { status, retry_after, body })
}

/// `201 {"code": …, "facilitator_key": …}` from `POST /api/rooms`.
#[derive(Debug, Clone, Deserialize)]
pub struct CreatedRoom {
    pub code: String,
    pub facilitator_key: String,
}

#[derive(Debug, Deserialize)]
struct Participant {
    token: String,
}

fn expect_created<'a>(what: &str, resp: &'a Response) -> Result<&'a [u8]> {
    if resp.status != 201 {
        bail!("{what}: HTTP {} {}", resp.status, String::from_utf8_lossy(&resp.body[..resp.body.len().min(200)]));
    }
    Ok(&resp.body)
}

/// Creates a room as the admin.
pub async fn create_room(base: &Endpoint, admin_token: &str, timeout: Duration) -> Result<CreatedRoom> {
    let resp = post_json(base, "/api/rooms", Some(admin_token), r#"{"title":"bench"}"#, timeout).await?;
    serde_json::from_slice(expect_created("POST /api/rooms", &resp)?).context("POST /api/rooms: unexpected JSON")
}

/// Joins a room as a (read-only) participant and returns its token and how
/// many times the server said 429 first.
///
/// Touchpoint rate-limits joins server-wide (`TOUCHPOINT_MAX_JOINS_PER_SEC`,
/// 20/s with bursts of 2000 by default), so a large setup, or runs back to
/// back, meet 429s: wait as told (or back off) and retry until `patience`.
pub async fn add_participant(
    base: &Endpoint,
    code: &str,
    timeout: Duration,
    patience: Duration,
) -> Result<(String, u32)> {
    let path = format!("/api/rooms/{}/participants", crate::target::percent_encode(code));
    let give_up = tokio::time::Instant::now() + patience;
    let mut backoff = Duration::from_millis(100);
    let mut retries = 0u32;
    loop {
        let resp = post_json(base, &path, None, "{}", timeout).await?;
        if resp.status == 429 {
            let wait = resp.retry_after.map_or(backoff, Duration::from_secs);
            if tokio::time::Instant::now() + wait > give_up {
                bail!(
                    "POST {path}: still rate-limited (429) after {retries} retries; raise TOUCHPOINT_MAX_JOINS_PER_SEC"
                );
            }
            retries += 1;
            tokio::time::sleep(wait).await;
            backoff = (backoff * 2).min(Duration::from_secs(2));
            continue;
        }
        let p: Participant = serde_json::from_slice(expect_created(&format!("POST {path}"), &resp)?)
            .with_context(|| format!("POST {path}: unexpected JSON"))?;
        return Ok((p.token, retries));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::task::JoinHandle;

    /// Serves one connection on `host`: reads the request until it ends with
    /// `request_end`, answers `response`, and returns the request as text.
    async fn serve_once(host: &str, request_end: &'static [u8], response: Vec<u8>) -> (Endpoint, JoinHandle<String>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.expect("accept");
            let mut buf = vec![0u8; 4096];
            let mut got = Vec::new();
            while !got.ends_with(request_end) {
                let n = s.read(&mut buf).await.expect("read");
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            // A client that refuses the response may hang up while it is sent.
            let _ = s.write_all(&response).await;
            String::from_utf8(got).expect("utf8")
        });
        (Endpoint::parse(&format!("http://{host}:{port}")).expect("url"), server)
    }

    #[tokio::test]
    async fn talks_to_a_local_listener() {
        let body = r#"{"code":"ABC123","facilitator_key":"fk","extra":1}"#;
        let response = format!("HTTP/1.1 201 Created\r\nContent-Length: {}\r\n\r\n{body}", body.len());
        let (base, server) = serve_once("127.0.0.1", br#""bench"}"#, response.into_bytes()).await;
        let room = create_room(&base, "admin", Duration::from_secs(5)).await.expect("room");
        assert_eq!((room.code.as_str(), room.facilitator_key.as_str()), ("ABC123", "fk"));
        // Header names travel in lower case over HTTP/1.1 from `reqwest`.
        let req = server.await.expect("join").to_ascii_lowercase();
        assert!(req.contains("authorization: bearer admin\r\n"));
        assert!(req.ends_with("\r\n\r\n{\"title\":\"bench\"}"));
    }

    #[tokio::test]
    async fn reads_retry_after_and_chunked_bodies() {
        let timeout = Duration::from_secs(5);
        let limited = b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\ncontent-length: 0\r\n\r\n".to_vec();
        let (base, server) = serve_once("127.0.0.1", b"{}", limited).await;
        let r = post_json(&base, "/x", None, "{}", timeout).await.expect("a response");
        assert_eq!((r.status, r.retry_after), (429, Some(3)));
        server.await.expect("join");
        // `localhost` reaches 127.0.0.1 without a resolver.
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n".to_vec();
        let (base, server) = serve_once("localhost", b"{}", chunked).await;
        let r = post_json(&base, "/x", None, "{}", timeout).await.expect("a response");
        assert_eq!((r.status, r.retry_after, r.body.as_slice()), (200, None, &b"abcde"[..]));
        assert!(server.await.expect("join").to_ascii_lowercase().contains("host: localhost:"));
    }

    #[tokio::test]
    async fn refuses_oversized_responses() {
        let mut huge = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", MAX_RESPONSE + 1).into_bytes();
        huge.resize(huge.len() + MAX_RESPONSE + 1, b'x');
        let (base, server) = serve_once("127.0.0.1", b"{}", huge).await;
        assert!(post_json(&base, "/x", None, "{}", Duration::from_secs(5)).await.is_err());
        server.await.expect("join");
    }
}
