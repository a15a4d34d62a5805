//! Rooms as the admin and the public see them: creating one, reading its public face, deleting it.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use touchpoint_core::template::Template;

use super::auth::{Admin, Analyst, parse_room_code};
use super::error::{ApiError, ApiJson};
use crate::app::{AppState, RoomCreated};
use crate::rooms::lifecycle::{self, RoomRequest};
use crate::store::RoomRecord;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/rooms", post(create_room)).route("/api/rooms/{code}", get(room_info).delete(delete_room))
}

/// A room that exists, from a code as a person typed it.
pub async fn find_room(app: &AppState, code: &str) -> Result<RoomRecord, ApiError> {
    let code = parse_room_code(code)?;
    lifecycle::find(&app.store, &code).await?.ok_or_else(ApiError::room_not_found)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateRoom {
    title: String,
    /// The id of a template from `GET /api/templates`.
    #[serde(default)]
    template: Option<String>,
    /// A whole template of one's own, in the same shape (validated the same way).
    #[serde(default)]
    template_definition: Option<Template>,
    /// Rooms of one programme can be compared (current against desired, across events).
    #[serde(default)]
    programme: Option<String>,
}

async fn create_room(
    State(app): State<AppState>,
    _: Admin,
    ApiJson(request): ApiJson<CreateRoom>,
) -> Result<(StatusCode, Json<RoomCreated>), ApiError> {
    let request = RoomRequest {
        title: &request.title,
        programme: request.programme.as_deref(),
        template: request.template.as_deref(),
        template_definition: request.template_definition.as_ref(),
    };
    let room = lifecycle::check(request, &app.templates, app.config.limits.max_title_chars)?;
    let record = lifecycle::create(&app.store, room).await?;
    Ok((StatusCode::CREATED, Json(app.room_created(&record))))
}

async fn room_info(State(app): State<AppState>, Path(code): Path<String>) -> Result<Json<Value>, ApiError> {
    let record = find_room(&app, &code).await?;
    Ok(Json(json!({
        "code": record.code.as_str(),
        "title": record.title,
        "template": record.template.as_ref().map(|template| &template.id),
        "programme": record.programme,
        "join_url": app.join_url(&record.code),
    })))
}

/// Deletes a room and everything kept of it (the admin, or the room's facilitator).
async fn delete_room(State(app): State<AppState>, Analyst(code): Analyst) -> Result<StatusCode, ApiError> {
    if lifecycle::delete(&app.registry, &app.store, &code).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::room_not_found())
    }
}
