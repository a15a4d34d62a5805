//! Refuses any state-changing request that a cross-site HTML form could send.
//!
//! A form on another site can POST to us with the visitor's browser, but only
//! as `application/x-www-form-urlencoded`, `multipart/form-data` or
//! `text/plain`, and never with an `Authorization` header. Joining a room needs
//! no credential, so the content type is what tells a real client from a
//! forged form: every state-changing request must send JSON or no body type
//! at all (fetch without a body sends none, and a form always sends one).
//! Doing it once here keeps every present and future endpoint covered.

use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// Passes safe methods and JSON (or typeless) requests on; answers 415 to the rest.
pub async fn refuse_forms(request: Request, next: Next) -> Response {
    if changes_state(request.method()) && !json_or_untyped(request.headers()) {
        return ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the request body as application/json",
        )
        .into_response();
    }
    next.run(request).await
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn json_or_untyped(headers: &HeaderMap) -> bool {
    let mut types = headers.get_all(CONTENT_TYPE).iter();
    match (types.next(), types.next()) {
        (None, _) => true,
        (Some(value), None) => value.to_str().is_ok_and(|value| {
            let essence = value.split(';').next().unwrap_or_default().trim();
            essence.eq_ignore_ascii_case("application/json")
        }),
        // Two content types are ambiguous: a proxy and the handler might each read another.
        (Some(_), Some(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn typed(values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(CONTENT_TYPE, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn json_and_untyped_bodies_pass() {
        assert!(json_or_untyped(&typed(&[])));
        assert!(json_or_untyped(&typed(&["application/json"])));
        assert!(json_or_untyped(&typed(&["Application/JSON; charset=utf-8"])));
    }

    #[test]
    fn what_a_form_can_send_is_refused() {
        for form in ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"] {
            assert!(!json_or_untyped(&typed(&[form])), "{form}");
        }
        assert!(!json_or_untyped(&typed(&["application/json", "text/plain"])));
        assert!(!json_or_untyped(&typed(&["application/jsonp"])));
    }

    #[test]
    fn only_safe_methods_skip_the_check() {
        assert!(!changes_state(&Method::GET));
        assert!(!changes_state(&Method::HEAD));
        assert!(changes_state(&Method::POST));
        assert!(changes_state(&Method::DELETE));
    }
}
