//! A room's data for analysts: the JSON dataset, the CSV files, and the insights reports.
//!
//! A browser cannot send the bearer header when it follows a link, so the
//! console asks (with its key) for a report link carrying a ticket that opens
//! that room's report for [`REPORT_TICKET_SECS`] only: what lands in the
//! browser's history is worthless a minute later, and no key is ever in a URL.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Admin, Analyst, parse_room_code};
use super::error::{ApiError, ErrorBody};
use crate::app::AppState;
use crate::clock::unix_now;
use crate::exports::ReportScope;

/// How long a report link opens the report: long enough to click, too short to be worth stealing.
pub const REPORT_TICKET_SECS: u64 = 60;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_json))
        .routes(routes!(export_csv))
        .routes(routes!(room_report))
        .routes(routes!(report_link))
        .routes(routes!(programme_report))
}

/// Everything of a room, for analysis (schema: `server/analysis/EXPORT-SCHEMA.md`).
#[utoipa::path(
    get,
    path = "/api/rooms/{code}/export.json",
    tag = "exports",
    security(("facilitator_key" = []), ("admin_token" = [])),
    params(("code" = String, Path, description = "The room's code, in any case")),
    responses(
        (status = 200, description = "The dataset, as `server/analysis/EXPORT-SCHEMA.md` describes it", body = Object),
    )
)]
async fn export_json(State(app): State<AppState>, Analyst(code): Analyst) -> Result<Response, ApiError> {
    let dataset = crate::exports::dataset(&app.store, &code).await?.ok_or_else(ApiError::room_not_found)?;
    let disposition = format!("attachment; filename=\"{code}.json\"");
    Ok(([(header::CONTENT_DISPOSITION, disposition)], Json(dataset)).into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
struct ExportPath {
    /// The file's name, e.g. `cards.csv`.
    file: String,
}

/// One CSV file of a room's contributions, e.g. `cards.csv`.
#[utoipa::path(
    get,
    path = "/api/rooms/{code}/export/{file}",
    tag = "exports",
    security(("facilitator_key" = []), ("admin_token" = [])),
    params(("code" = String, Path, description = "The room's code, in any case"), ExportPath),
    responses(
        (status = 200, body = String, content_type = "text/csv"),
        (status = 404, description = "`unknown_export`", body = ErrorBody),
    )
)]
async fn export_csv(
    State(app): State<AppState>,
    Analyst(code): Analyst,
    Path(ExportPath { file }): Path<ExportPath>,
) -> Result<Response, ApiError> {
    let dataset = crate::exports::dataset(&app.store, &code).await?.ok_or_else(ApiError::room_not_found)?;
    let Some((name, contents)) =
        touchpoint_analysis::export::csv_files(&dataset).into_iter().find(|(name, _)| *name == file)
    else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_export",
            format!("there is no export called {file:?}"),
        ));
    };
    let disposition = format!("attachment; filename=\"{code}-{name}\"");
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        contents,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
struct RoomPath {
    code: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ReportQuery {
    /// A ticket from `GET /api/rooms/{code}/report-link`, for a browser that cannot send the header.
    ticket: Option<String>,
}

/// The insights report of a room: HTML that prints well to PDF.
#[utoipa::path(
    get,
    path = "/api/rooms/{code}/report.html",
    tag = "exports",
    security(("facilitator_key" = []), ("admin_token" = []), ()),
    params(("code" = String, Path, description = "The room's code, in any case"), ReportQuery),
    responses(
        (status = 200, body = String, content_type = "text/html"),
        (status = 403, description = "`invalid_ticket`", body = ErrorBody),
    )
)]
async fn room_report(
    State(app): State<AppState>,
    Path(RoomPath { code }): Path<RoomPath>,
    Query(ReportQuery { ticket }): Query<ReportQuery>,
    analyst: Result<Analyst, ApiError>,
) -> Result<Response, ApiError> {
    let code = match (ticket, analyst) {
        (Some(ticket), _) => {
            let code = parse_room_code(&code)?;
            if !app.secret.report_ticket_valid(&code, &ticket, unix_now()) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "invalid_ticket",
                    "this report link has expired or is not valid; open the report again from the console",
                ));
            }
            code
        }
        (None, analyst) => analyst?.0,
    };
    let scope = ReportScope::Room(code);
    let html =
        crate::exports::report(&app.store, &scope, app.config.min_count).await?.ok_or_else(ApiError::room_not_found)?;
    Ok(report_page(html))
}

/// A link that opens a room's insights report in a browser, for a short while.
#[derive(Debug, Serialize, ToSchema)]
struct ReportLink {
    /// The report's path with a ticket in its query: open it as it is.
    url: String,
    /// When the ticket stops opening the report (seconds since the Unix epoch).
    expires_at: u64,
}

/// A short-lived link to the room's insights report, for the console to open in a new tab.
#[utoipa::path(
    get,
    path = "/api/rooms/{code}/report-link",
    tag = "exports",
    security(("facilitator_key" = []), ("admin_token" = [])),
    params(("code" = String, Path, description = "The room's code, in any case")),
    responses(
        (status = 200, body = ReportLink),
    )
)]
async fn report_link(State(app): State<AppState>, Analyst(code): Analyst) -> Response {
    let expires_at = unix_now() + REPORT_TICKET_SECS;
    let ticket = app.secret.report_ticket(&code, expires_at);
    let link = ReportLink { url: format!("/api/rooms/{code}/report.html?ticket={ticket}"), expires_at };
    ([(header::CACHE_CONTROL, "no-store")], Json(link)).into_response()
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
struct ProgrammePath {
    programme: String,
}

/// The insights report of every room of a programme (the admin only: it spans rooms).
#[utoipa::path(
    get,
    path = "/api/programmes/{programme}/report.html",
    tag = "exports",
    security(("admin_token" = [])),
    params(ProgrammePath),
    responses(
        (status = 200, body = String, content_type = "text/html"),
        (status = 404, description = "`programme_not_found`", body = ErrorBody),
    )
)]
async fn programme_report(
    State(app): State<AppState>,
    _: Admin,
    Path(ProgrammePath { programme }): Path<ProgrammePath>,
) -> Result<Response, ApiError> {
    let scope = ReportScope::Programme(programme);
    let html = crate::exports::report(&app.store, &scope, app.config.min_count).await?.ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "programme_not_found", "no room belongs to a programme of that name")
    })?;
    Ok(report_page(html))
}

/// A report as a page. It quotes what participants wrote (escaped), so the browser is told to
/// run nothing and load nothing: its styles and charts are inline, and it needs no more.
fn report_page(html: String) -> Response {
    const POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; \
                          form-action 'none'; frame-ancestors 'none'";
    // Nothing of the page's address (a ticket, perhaps) is sent anywhere, nor kept by a cache.
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, POLICY),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response()
}
