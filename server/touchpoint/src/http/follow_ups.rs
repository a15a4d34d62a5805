//! Pledge follow-ups for the programme team: the pledgers who asked to be contacted about their
//! pledge, with their contacts, as JSON or as CSV for a mail merge; their status; deleting them;
//! and the room's contact audit trail.
//!
//! Every read of contacts goes through the room, which records it in the audit trail and stores
//! that record before the contacts leave: no contact is handed out unrecorded.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use touchpoint_core::room::follow_up::{
    ContactAction, ContactAudit, FollowUp, FollowUpChanged, FollowUpDeleted, FollowUpList, FollowUpRequest,
    FollowUpStatus,
};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::ContactReader;
use super::error::{ApiError, ApiJson, ErrorBody};
use crate::app::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(follow_ups))
        .routes(routes!(follow_ups_csv))
        .routes(routes!(set_status, delete_follow_up))
        .routes(routes!(contact_audit))
}

/// A room's follow-ups, and how long a contact is kept after its date.
#[derive(Debug, Serialize, ToSchema)]
struct FollowUps {
    /// Days after its date that a contact is deleted, if its follow-up has not closed before.
    contact_retention_days: u64,
    /// The date asked for first.
    follow_ups: Vec<FollowUp>,
}

/// Every pledge whose author asked to be contacted about it: the contact (`null` once deleted),
/// the date asked for and the status. The read is recorded in the contact audit trail.
#[utoipa::path(
    get,
    path = "/api/rooms/{code}/follow-ups",
    tag = "follow-ups",
    security(("facilitator_key" = [])),
    params(("code" = String, Path, description = "The room's code, in any case")),
    responses(
        (status = 200, body = FollowUps),
        (status = 503, description = "`room_unavailable`", body = ErrorBody),
    )
)]
async fn follow_ups(State(app): State<AppState>, reader: ContactReader) -> Result<Json<FollowUps>, ApiError> {
    let follow_ups = read(&app, &reader, ContactAction::Listed).await?;
    Ok(Json(FollowUps { contact_retention_days: app.config.contact_retention_days, follow_ups }))
}

/// Reads every follow-up with its contact, recorded in the audit trail as `action`.
async fn read(app: &AppState, reader: &ContactReader, action: ContactAction) -> Result<Vec<FollowUp>, ApiError> {
    let answer = app.registry.follow_ups(&reader.room, FollowUpRequest::Read { keeper: reader.keeper, action }).await?;
    let list: FollowUpList = serde_json::from_value(answer).map_err(|_| ApiError::internal_without_cause())?;
    Ok(list.follow_ups)
}

/// The follow-ups that still hold a contact, as CSV for a mail merge (UTF-8 with a byte order
/// mark, as every export). The download is recorded in the contact audit trail.
#[utoipa::path(
    get,
    path = "/api/rooms/{code}/follow-ups.csv",
    tag = "follow-ups",
    security(("facilitator_key" = [])),
    params(("code" = String, Path, description = "The room's code, in any case")),
    responses(
        (status = 200, description = "Columns `id`, `pledge`, `name`, `organisation`, `contact`, `due`, `status`",
         body = String, content_type = "text/csv"),
        (status = 503, description = "`room_unavailable`", body = ErrorBody),
    )
)]
async fn follow_ups_csv(State(app): State<AppState>, reader: ContactReader) -> Result<Response, ApiError> {
    let follow_ups = read(&app, &reader, ContactAction::Exported).await?;
    let disposition = format!("attachment; filename=\"{}-follow-ups.csv\"", reader.room);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            // Contacts are personal data: no cache along the way keeps a copy.
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        touchpoint_analysis::export::follow_ups_csv(&follow_ups),
    )
        .into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
struct PledgePath {
    /// The pledge's id.
    pledge_id: String,
}

/// A status the programme team sets; a follow-up starts `to_do`.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum NewStatus {
    Contacted,
    /// Deletes the contact: the follow-up has happened.
    Done,
    /// Deletes the contact: the pledger did not want to go on, or could not be reached.
    Declined,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SetStatus {
    status: NewStatus,
}

/// Sets a follow-up's status; `done` and `declined` delete its contact from every stored copy.
#[utoipa::path(
    post,
    path = "/api/rooms/{code}/follow-ups/{pledge_id}",
    tag = "follow-ups",
    security(("facilitator_key" = [])),
    params(("code" = String, Path, description = "The room's code, in any case"), PledgePath),
    request_body = SetStatus,
    responses(
        (status = 200, body = FollowUpChanged),
        (status = 404, description = "`no_follow_up`: the pledge has none (or its pledger withdrew it)", body = ErrorBody),
        (status = 503, description = "`room_unavailable`", body = ErrorBody),
    )
)]
async fn set_status(
    State(app): State<AppState>,
    reader: ContactReader,
    Path(PledgePath { pledge_id }): Path<PledgePath>,
    ApiJson(SetStatus { status }): ApiJson<SetStatus>,
) -> Result<Json<Value>, ApiError> {
    let status = match status {
        NewStatus::Contacted => FollowUpStatus::Contacted,
        NewStatus::Done => FollowUpStatus::Done,
        NewStatus::Declined => FollowUpStatus::Declined,
    };
    let request = FollowUpRequest::SetStatus { keeper: reader.keeper, pledge: pledge_id, status };
    Ok(Json(app.registry.follow_ups(&reader.room, request).await?))
}

/// The organiser deletes a follow-up, and its contact from every stored copy; the pledge stays.
#[utoipa::path(
    delete,
    path = "/api/rooms/{code}/follow-ups/{pledge_id}",
    tag = "follow-ups",
    security(("facilitator_key" = [])),
    params(("code" = String, Path, description = "The room's code, in any case"), PledgePath),
    responses(
        (status = 200, body = FollowUpDeleted),
        (status = 404, description = "`no_follow_up`: the pledge has none (or it was deleted already)", body = ErrorBody),
        (status = 503, description = "`room_unavailable`", body = ErrorBody),
    )
)]
async fn delete_follow_up(
    State(app): State<AppState>,
    reader: ContactReader,
    Path(PledgePath { pledge_id }): Path<PledgePath>,
) -> Result<Json<Value>, ApiError> {
    let request = FollowUpRequest::Delete { keeper: reader.keeper, pledge: pledge_id };
    Ok(Json(app.registry.follow_ups(&reader.room, request).await?))
}

/// Every read and deletion of the room's contacts: when, what, by which key (or the pledger, or
/// the retention rule) and how many, never a contact.
#[utoipa::path(
    get,
    path = "/api/rooms/{code}/contact-audit",
    tag = "follow-ups",
    security(("facilitator_key" = [])),
    params(("code" = String, Path, description = "The room's code, in any case")),
    responses(
        (status = 200, body = ContactAudit),
        (status = 503, description = "`room_unavailable`", body = ErrorBody),
    )
)]
async fn contact_audit(State(app): State<AppState>, reader: ContactReader) -> Result<Json<Value>, ApiError> {
    Ok(Json(app.registry.follow_ups(&reader.room, FollowUpRequest::Audit).await?))
}
