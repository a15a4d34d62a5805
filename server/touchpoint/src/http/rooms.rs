//! Rooms as the admin and the public see them: creating and listing them (with any quarantine),
//! reading one's public face, deleting it.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use touchpoint_core::template::Template;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Admin, Analyst, parse_room_code};
use super::error::{ApiError, ApiJson, ErrorBody};
use crate::app::{AppState, RoomCreated};
use crate::rooms::lifecycle::{self, RoomRequest};
use crate::store::{Damage, RoomRecord};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_room, list_rooms)).routes(routes!(room_info, delete_room))
}

/// A room that exists, from a code as a person typed it.
pub async fn find_room(app: &AppState, code: &str) -> Result<RoomRecord, ApiError> {
    let code = parse_room_code(code)?;
    lifecycle::find(&app.store, &code).await?.ok_or_else(ApiError::room_not_found)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateRoom {
    title: String,
    /// The id of a template from `GET /api/templates`.
    #[serde(default)]
    template: Option<String>,
    /// A whole template of one's own, in the same shape (validated the same way).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    template_definition: Option<Template>,
    /// Rooms of one programme can be compared (current against desired, across events).
    #[serde(default)]
    programme: Option<String>,
}

/// Creates a room, empty or from a template (the admin only).
#[utoipa::path(
    post,
    path = "/api/rooms",
    tag = "rooms",
    security(("admin_token" = [])),
    request_body = CreateRoom,
    responses(
        (status = 201, description = "The room, with its facilitator key (given only here)", body = RoomCreated),
        (status = 422, description = "`invalid_title`, `invalid_programme`, `template_conflict`, \
                                      `unknown_template` or `invalid_template`", body = ErrorBody),
    )
)]
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

/// A room as the admin's list shows it.
#[derive(Debug, Serialize, ToSchema)]
struct ListedRoom {
    code: String,
    title: String,
    programme: Option<String>,
    /// Seconds since the Unix epoch.
    created_at: i64,
    /// Set if a stored row of the room is damaged: the room is refused (503 `room_quarantined`)
    /// until `touchpoint repair` rebuilds it.
    quarantine: Option<Quarantine>,
}

/// Why and since when a room is quarantined.
#[derive(Debug, Serialize, ToSchema)]
struct Quarantine {
    /// The table of the damaged row: `updates`, `snapshots` or `named_snapshots`.
    table: String,
    row: i64,
    reason: String,
    /// Seconds since the Unix epoch.
    since: i64,
}

#[derive(Debug, Serialize, ToSchema)]
struct RoomList {
    rooms: Vec<ListedRoom>,
}

/// Every room, oldest first, with the quarantined ones marked (the admin only).
#[utoipa::path(
    get,
    path = "/api/rooms",
    tag = "rooms",
    security(("admin_token" = [])),
    responses((status = 200, body = RoomList))
)]
async fn list_rooms(State(app): State<AppState>, _: Admin) -> Result<Json<RoomList>, ApiError> {
    let rooms = app.store.rooms().await?;
    let rooms = rooms
        .into_iter()
        .map(|(record, quarantine)| ListedRoom {
            code: record.code.as_str().to_owned(),
            title: record.title,
            programme: record.programme,
            created_at: record.created_at,
            quarantine: quarantine.map(|(Damage { table, row, reason }, since)| Quarantine {
                table,
                row,
                reason,
                since,
            }),
        })
        .collect();
    Ok(Json(RoomList { rooms }))
}

/// What anyone may know of a room: what the join page shows (fields in alphabetical order, as ever).
#[derive(Debug, Serialize, ToSchema)]
struct RoomInfo {
    code: String,
    join_url: String,
    programme: Option<String>,
    /// The id of the template it was created from.
    template: Option<String>,
    title: String,
}

/// A room's public face.
#[utoipa::path(
    get,
    path = "/api/rooms/{code}",
    tag = "rooms",
    params(("code" = String, Path, description = "The room's code, in any case")),
    responses(
        (status = 200, body = RoomInfo),
    )
)]
async fn room_info(State(app): State<AppState>, Path(code): Path<String>) -> Result<Json<RoomInfo>, ApiError> {
    let record = find_room(&app, &code).await?;
    Ok(Json(RoomInfo {
        code: record.code.as_str().to_owned(),
        join_url: app.join_url(&record.code),
        programme: record.programme,
        template: record.template.map(|template| template.id),
        title: record.title,
    }))
}

/// Deletes a room and everything kept of it (the admin, or the room's facilitator).
#[utoipa::path(
    delete,
    path = "/api/rooms/{code}",
    tag = "rooms",
    security(("admin_token" = []), ("facilitator_key" = [])),
    params(("code" = String, Path, description = "The room's code, in any case")),
    responses(
        (status = 204, description = "Deleted, with everything kept of it"),
    )
)]
async fn delete_room(State(app): State<AppState>, Analyst(code): Analyst) -> Result<StatusCode, ApiError> {
    if lifecycle::delete(&app.registry, &app.store, &code).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::room_not_found())
    }
}
