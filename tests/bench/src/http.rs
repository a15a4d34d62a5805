//! A minimal HTTP/1.1 client for the few Touchpoint API calls the bench makes
//! (create a room, add a participant), and those calls.
//!
//! One request per connection with `Connection: close`, body read to EOF:
//! a few hundred small calls before the load starts do not justify hyper and
//! its dependency tree on a 2-core build machine.

use crate::target::Endpoint;
use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest response we accept; the API answers with a few hundred bytes.
const MAX_RESPONSE: u64 = 1 << 20;

/// A parsed response: status code and (de-chunked) body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// `Retry-After` in seconds, when the server sent one.
    pub retry_after: Option<u64>,
    pub body: Vec<u8>,
}

/// Builds the request bytes for a JSON POST.
pub fn post_request(host: &str, path: &str, bearer: Option<&str>, body: &str) -> Vec<u8> {
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Accept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(t) = bearer {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    req.into_bytes()
}

/// Parses a complete response (the connection was read to EOF).
pub fn parse_response(raw: &[u8]) -> Result<Response> {
    let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n").context("response has no end of headers")?;
    let head = std::str::from_utf8(&raw[..head_end]).context("response head is not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        bail!("not an HTTP/1.x response: {status_line:?}");
    }
    let status: u16 =
        parts.next().and_then(|s| s.parse().ok()).with_context(|| format!("bad status line {status_line:?}"))?;
    let mut content_length = None;
    let mut chunked = false;
    let mut retry_after = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            content_length = Some(value.parse::<usize>().context("bad Content-Length")?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") && value.to_ascii_lowercase().contains("chunked") {
            chunked = true;
        } else if name.eq_ignore_ascii_case("retry-after") {
            retry_after = value.parse().ok();
        }
    }
    let rest = &raw[head_end + 4..];
    let body = if chunked {
        dechunk(rest)?
    } else if let Some(n) = content_length {
        rest.get(..n).context("response body shorter than Content-Length")?.to_vec()
    } else {
        rest.to_vec()
    };
    Ok(Response { status, retry_after, body })
}

/// Decodes a chunked body (extensions and trailers ignored).
fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let eol = rest.windows(2).position(|w| w == b"\r\n").context("truncated chunk size")?;
        let size_text = std::str::from_utf8(&rest[..eol]).context("bad chunk size")?;
        let size_hex = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16).context("bad chunk size")?;
        rest = &rest[eol + 2..];
        if size == 0 {
            return Ok(body);
        }
        body.extend_from_slice(rest.get(..size).context("truncated chunk")?);
        rest = rest.get(size + 2..).context("truncated chunk")?;
    }
}

/// POSTs a JSON body and returns the response, all within `timeout`.
pub async fn post_json(
    base: &Endpoint,
    path: &str,
    bearer: Option<&str>,
    body: &str,
    timeout: Duration,
) -> Result<Response> {
    let call = async {
        let mut stream = TcpStream::connect(base.socket_addr()?)
            .await
            .with_context(|| format!("connecting to {}", base.authority))?;
        stream.set_nodelay(true)?;
        stream.write_all(&post_request(&base.authority, path, bearer, body)).await?;
        let mut raw = Vec::new();
        (&mut stream).take(MAX_RESPONSE).read_to_end(&mut raw).await?;
        parse_response(&raw)
    };
    tokio::time::timeout(timeout, call).await.with_context(|| format!("POST {path}: no response within {timeout:?}"))?
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

    #[test]
    fn request_bytes() {
        let r = post_request("127.0.0.1:8", "/api/rooms", Some("T"), "{}");
        let text = String::from_utf8(r).expect("ascii");
        assert!(text.starts_with("POST /api/rooms HTTP/1.1\r\nHost: 127.0.0.1:8\r\n"));
        assert!(text.contains("\r\nContent-Length: 2\r\n"));
        assert!(text.contains("\r\nAuthorization: Bearer T\r\n"));
        assert!(text.ends_with("\r\n\r\n{}"));
    }

    #[test]
    fn parses_plain_and_chunked_responses() {
        let r = parse_response(b"HTTP/1.1 201 Created\r\ncontent-length: 5\r\n\r\n{\"a\"}").expect("ok");
        assert_eq!((r.status, r.body.as_slice()), (201, &b"{\"a\"}"[..]));
        let r = parse_response(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n",
        )
        .expect("ok");
        assert_eq!(r.body, b"abcde");
        let r = parse_response(b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\ncontent-length: 0\r\n\r\n")
            .expect("ok");
        assert_eq!((r.status, r.retry_after), (429, Some(3)));
        let r = parse_response(b"HTTP/1.0 404 Not Found\r\n\r\nnope").expect("ok");
        assert_eq!((r.status, r.body.as_slice()), (404, &b"nope"[..]));
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n").is_err());
        assert!(parse_response(b"SSH-2.0\r\n\r\n").is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\nshort").is_err());
    }

    #[tokio::test]
    async fn talks_to_a_local_listener() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.expect("accept");
            let mut buf = vec![0u8; 4096];
            let mut got = Vec::new();
            // Read until the whole JSON body has arrived.
            while !got.ends_with(br#""bench"}"#) {
                let n = s.read(&mut buf).await.expect("read");
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            let body = br#"{"code":"ABC123","facilitator_key":"fk","extra":1}"#;
            let head = format!("HTTP/1.1 201 Created\r\nContent-Length: {}\r\n\r\n", body.len());
            s.write_all(head.as_bytes()).await.expect("write");
            s.write_all(body).await.expect("write");
            String::from_utf8(got).expect("utf8")
        });
        let base = Endpoint::parse(&format!("http://127.0.0.1:{port}")).expect("url");
        let room = create_room(&base, "admin", Duration::from_secs(5)).await.expect("room");
        assert_eq!((room.code.as_str(), room.facilitator_key.as_str()), ("ABC123", "fk"));
        let req = server.await.expect("join");
        assert!(req.contains("Authorization: Bearer admin\r\n"));
        assert!(req.ends_with("\r\n\r\n{\"title\":\"bench\"}"));
    }
}
