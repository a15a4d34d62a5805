//! The harness's HTTP client: one request, its response read whole into an
//! [`HttpResponse`] that tests inspect by status, header and body.
//!
//! `reqwest` speaks the HTTP, with a client per request so that no pooled
//! connection outlives the test runtime that opened it. It sends only what a
//! real client sends; a test that needs broken framing or slow headers opens
//! its own socket.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use reqwest::header::CONTENT_TYPE;

const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn json(&self) -> anyhow::Result<serde_json::Value> {
        serde_json::from_str(&self.body).with_context(|| format!("parsing {:?}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    /// The machine-readable code of an error response.
    pub fn error_code(&self) -> Option<String> {
        self.json().ok()?["error"]["code"].as_str().map(str::to_owned)
    }
}

/// Sends one request and reads the whole response; a non-empty body is sent as JSON.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> anyhow::Result<HttpResponse> {
    let client = reqwest::Client::builder().timeout(TIMEOUT).no_proxy().build().context("an HTTP client")?;
    let method = reqwest::Method::from_bytes(method.as_bytes()).context("an HTTP method")?;
    let mut request = client.request(method, format!("http://{addr}{path}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = body.unwrap_or_default();
    if !body.is_empty() {
        request = request.header(CONTENT_TYPE, "application/json");
    }
    let response = request.body(body.to_owned()).send().await.with_context(|| format!("{path}: no response"))?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    let body = response.bytes().await.with_context(|| format!("{path}: reading the body"))?;
    Ok(HttpResponse { status, headers, body: String::from_utf8_lossy(&body).into_owned() })
}
