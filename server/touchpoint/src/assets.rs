//! The web client, embedded at build time (see `build.rs`) and served from memory.
//!
//! Every page of the client is the same `index.html`; the client reads the
//! path to know which view to show. Files are revalidated on each load
//! (`no-cache` with an `ETag`), so a new release is picked up at once and an
//! unchanged file costs a 304. Text files are sent gzipped to browsers that
//! accept it (all of them), compressed once at build time.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// One file of the client's build.
pub struct File {
    /// Its path under the build output, e.g. `index.html` or `assets/phone.js`.
    path: &'static str,
    /// Its content type.
    kind: &'static str,
    bytes: &'static [u8],
    /// The same, gzipped, where that is smaller.
    gzipped: Option<&'static [u8]>,
}

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// A client file by its path under the build output, e.g. `index.html` or `app.js`.
pub fn serve(path: &str, request: &HeaderMap) -> Option<Response> {
    let File { kind, bytes, gzipped, .. } = FILES.iter().find(|file| file.path == path)?;
    let accepts_gzip = accepts_gzip(request);
    let body = match gzipped {
        Some(gzipped) if accepts_gzip => *gzipped,
        _ => *bytes,
    };
    // The ETag names the bytes sent, so a cache never mixes the two encodings.
    let etag = format!("\"{:016x}\"", fnv1a(body));
    if request.get(header::IF_NONE_MATCH).and_then(|value| value.to_str().ok()) == Some(etag.as_str()) {
        return Some(StatusCode::NOT_MODIFIED.into_response());
    }
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if gzipped.is_some() && accepts_gzip {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    if kind.starts_with("text/html")
        && let Ok(policy) = HeaderValue::from_str(&content_security_policy(request))
    {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    Some(response)
}

/// Whether the request says the browser takes gzipped bodies.
pub(crate) fn accepts_gzip(request: &HeaderMap) -> bool {
    request
        .get(header::ACCEPT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|coding| coding.trim().starts_with("gzip")))
}

/// What a page of the client may load: its own files, the inline router by its hash (no
/// other inline script), no inline styles (views set styles through the CSSOM), images
/// from here and `data:` (the favicon), and the room's WebSocket on this host.
fn content_security_policy(request: &HeaderMap) -> String {
    // Older Safari does not count ws: and wss: on this host as 'self', so they are named.
    // The Host header is only echoed when it is a plain host[:port], so nothing can be
    // smuggled into the policy through it.
    let host = request
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .filter(|host| !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b)));
    let sockets = host.map(|host| format!(" ws://{host} wss://{host}")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' {INLINE_SCRIPTS}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'{sockets}; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// A fast, stable hash for ETags (not for security).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3))
}
