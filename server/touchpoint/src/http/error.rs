//! The one error type clients see, and where every error the handlers meet becomes one.
//!
//! A refusal is a status, a stable machine-readable `code` a client can act
//! on, and a human message a phone can show, as
//! `{"error": {"code": "...", "message": "..."}}`. Each error enum is mapped
//! variant by variant, without a wildcard, so a new kind of error cannot
//! take a status by accident. An internal cause is logged once, with its
//! whole chain, inside the request's span, and the client is told only that
//! something went wrong.

use std::fmt;

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use touchpoint_core::identity::{CODE_LEN, RoomCodeError};
use touchpoint_core::room::intent::IntentError;

use super::auth::AuthError;
use crate::rooms::IntentFailure;
use crate::rooms::lifecycle::CreateError;
use crate::store::StoreError;

/// An error as a client sees it.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// Seconds a client should wait before trying again, sent as `Retry-After`.
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), retry_after: None }
    }

    /// The same refusal, telling the client how many seconds to wait before trying again.
    pub fn retry_after(self, seconds: u64) -> Self {
        ApiError { retry_after: Some(seconds.max(1)), ..self }
    }

    /// The answer to a connection past the server's connection limit.
    pub fn server_busy() -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_busy",
            "the server has too many connections; try again in a moment",
        )
        .retry_after(5)
    }

    /// A fault of the server's: `cause` goes to the log, never to the client.
    pub fn internal(cause: &dyn std::error::Error) -> Self {
        tracing::error!(cause = %CauseChain(cause), "request failed");
        Self::internal_without_cause()
    }

    /// A fault of the server's whose cause was logged already, or must not be.
    pub fn internal_without_cause() -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong on the server")
    }

    pub fn room_not_found() -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "room_not_found",
            "there is no room with this code; check it on the screen",
        )
    }

    /// A room with a damaged stored row, refused until an administrator repairs it.
    pub fn room_quarantined() -> Self {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "room_quarantined",
            "this room's stored data is damaged, so it is closed until an administrator repairs it; \
             nothing more has been lost",
        )
    }

    /// The database cannot be reached: nothing is saved meanwhile, and the server reconnects by
    /// itself. A warning per request, since every phone retries; the store logs the error once
    /// per failed commit.
    pub fn store_unavailable(cause: &dyn std::error::Error) -> Self {
        tracing::warn!(cause = %CauseChain(cause), "the database cannot be reached");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            "the server cannot reach its database just now, so nothing can be saved; try again in a moment",
        )
        .retry_after(5)
    }

    pub fn not_found() -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "there is nothing at this address")
    }
}

/// The body of every refusal, as the API description names it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    error: ErrorDetail,
}

/// What went wrong: `code` is stable for a client to act on, `message` is for a person.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// One of the codes the route's responses list, e.g. `room_not_found`.
    code: &'static str,
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: ErrorDetail { code: self.code, message: self.message } };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// An error and each of its sources, as `error: source: source`.
struct CauseChain<'a>(&'a dyn std::error::Error);

impl fmt::Display for CauseChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(error) = source {
            write!(f, ": {error}")?;
            source = error.source();
        }
        Ok(())
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match &error {
            // Logged, with its row, when the room was quarantined.
            StoreError::Quarantined(_) => ApiError::room_quarantined(),
            StoreError::Unavailable(_) => ApiError::store_unavailable(&error),
            StoreError::Sqlite(_)
            | StoreError::Postgres(_)
            | StoreError::Stopped
            | StoreError::CommitFailed
            | StoreError::DatabaseLost { .. } => ApiError::internal(&error),
        }
    }
}

impl From<RoomCodeError> for ApiError {
    fn from(error: RoomCodeError) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_room_code", format!("{error} ({CODE_LEN} characters)"))
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        let (status, code) = match &error {
            AuthError::InvalidRoomCode(error) => return error.clone().into(),
            AuthError::RoomNotFound => return ApiError::room_not_found(),
            AuthError::Store(StoreError::Quarantined(_)) => return ApiError::room_quarantined(),
            AuthError::Store(error @ StoreError::Unavailable(_)) => return ApiError::store_unavailable(error),
            AuthError::Store(_) => return ApiError::internal(&error),
            AuthError::RoomUnavailable => (StatusCode::SERVICE_UNAVAILABLE, "room_unavailable"),
            AuthError::Erased => (StatusCode::UNAUTHORIZED, "participant_erased"),
            AuthError::MissingRoomCredential | AuthError::MissingAdminToken | AuthError::MissingSocketToken => {
                (StatusCode::UNAUTHORIZED, "missing_token")
            }
            AuthError::NotForThisRoom | AuthError::NotAdmin => (StatusCode::FORBIDDEN, "invalid_token"),
            AuthError::FacilitatorOnly | AuthError::BoardReadersOnly => (StatusCode::FORBIDDEN, "facilitator_only"),
            AuthError::ParticipantOnly => (StatusCode::FORBIDDEN, "participant_only"),
            AuthError::ViewerReadOnly => (StatusCode::FORBIDDEN, "viewer_read_only"),
            AuthError::HelperOnly => (StatusCode::FORBIDDEN, "helper_only"),
            AuthError::KeyRotated => (StatusCode::FORBIDDEN, "key_rotated"),
        };
        ApiError::new(status, code, error.to_string())
    }
}

impl From<CreateError> for ApiError {
    fn from(error: CreateError) -> Self {
        let code = match &error {
            CreateError::InvalidTitle { .. } => "invalid_title",
            CreateError::InvalidProgramme { .. } => "invalid_programme",
            CreateError::TemplateConflict => "template_conflict",
            CreateError::UnknownTemplate(_) => "unknown_template",
            CreateError::InvalidTemplate(_) => "invalid_template",
        };
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, error.to_string())
    }
}

impl From<IntentFailure> for ApiError {
    fn from(failure: IntentFailure) -> Self {
        match failure {
            IntentFailure::RateLimited => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", failure.to_string())
            }
            IntentFailure::RoomBusy { retry_after_secs } => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "room_busy", failure.to_string())
                    .retry_after(retry_after_secs)
            }
            IntentFailure::Unavailable => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "room_unavailable", failure.to_string())
            }
            IntentFailure::Quarantined => ApiError::room_quarantined(),
            IntentFailure::Erased => AuthError::Erased.into(),
            IntentFailure::KeyRotated => AuthError::KeyRotated.into(),
            IntentFailure::BoardFull => ApiError::new(StatusCode::CONFLICT, "board_full", failure.to_string()),
            IntentFailure::Refused(error) => error.into(),
        }
    }
}

impl From<IntentError> for ApiError {
    fn from(error: IntentError) -> Self {
        let status = match &error {
            IntentError::FacilitatorOnly | IntentError::ParticipantOnly | IntentError::NotYours => {
                StatusCode::FORBIDDEN
            }
            IntentError::UnknownActivity(_) | IntentError::UnknownContribution(_) | IntentError::NoFollowUp(_) => {
                StatusCode::NOT_FOUND
            }
            IntentError::ActivityNotOpen
            | IntentError::ActivityStarted
            | IntentError::NotHeld(_)
            | IntentError::BoardDamaged(_) => StatusCode::CONFLICT,
            // Logged by the room without its message, which may quote contribution text.
            IntentError::Corrupt(_) => return ApiError::internal_without_cause(),
            IntentError::InvalidKey
            | IntentError::NoTemplate
            | IntentError::WrongActivityKind { .. }
            | IntentError::UnknownChoice { .. }
            | IntentError::TooLong { .. }
            | IntentError::Empty { .. }
            | IntentError::EmotionOrWord
            | IntentError::NoOwnWord
            | IntentError::OverBudget { .. }
            | IntentError::OverOptionLimit { .. }
            | IntentError::NoDots
            | IntentError::NoScale
            | IntentError::InvalidScore
            | IntentError::NoComments
            | IntentError::NoTouchstones
            | IntentError::ContactWithoutConsent
            | IntentError::InvalidFollowUpMonths
            | IntentError::InvalidProfile(_)
            | IntentError::InvalidTimer
            | IntentError::InvalidPosition
            | IntentError::InvalidBudget => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError::new(status, error.code(), error.to_string())
    }
}

/// `Json` whose rejections are [`ApiError`]s too.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(JsonRejection::BytesRejection(_)) => {
                Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "the request body is too large"))
            }
            // `JsonRejection` is non-exhaustive: whatever else it grows is a malformed body.
            Err(rejection) => Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", rejection.body_text())),
        }
    }
}
