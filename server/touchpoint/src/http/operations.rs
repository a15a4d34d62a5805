//! What operators and the room-creation form read: health, metrics, the templates on offer.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;
use touchpoint_core::room::layout::ActivityKind;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(metrics)).routes(routes!(list_templates))
}

#[derive(Debug, Serialize, ToSchema)]
struct Health {
    /// Always `ok`: the server answers.
    status: &'static str,
}

/// Whether the server is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The server's metrics in the Prometheus text format.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, body = String, content_type = "text/plain"))
)]
async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], app.metrics.render())
}

/// The templates a room can be created from (fields in alphabetical order, as ever).
#[derive(Debug, Serialize, ToSchema)]
struct Templates {
    templates: Vec<TemplateSummary>,
}

#[derive(Debug, Serialize, ToSchema)]
struct TemplateSummary {
    activities: Vec<ActivitySummary>,
    description: String,
    id: String,
    title: String,
}

#[derive(Debug, Serialize, ToSchema)]
struct ActivitySummary {
    id: String,
    kind: ActivityKind,
    title: String,
}

/// The templates on offer, with their activities.
#[utoipa::path(get, path = "/api/templates", tag = "rooms", responses((status = 200, body = Templates)))]
async fn list_templates(State(app): State<AppState>) -> Json<Templates> {
    let templates = app
        .templates
        .values()
        .map(|template| TemplateSummary {
            activities: template
                .activities
                .iter()
                .map(|activity| ActivitySummary {
                    id: activity.id().to_owned(),
                    kind: activity.kind(),
                    title: activity.title().to_owned(),
                })
                .collect(),
            description: template.description.clone(),
            id: template.id.clone(),
            title: template.title.clone(),
        })
        .collect();
    Json(Templates { templates })
}
