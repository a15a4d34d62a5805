//! What operators and the room-creation form read: health, metrics, the templates on offer.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::app::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/api/templates", get(list_templates))
}

async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn metrics(State(app): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], app.metrics.render())
}

async fn list_templates(State(app): State<AppState>) -> Json<Value> {
    let templates: Vec<Value> = app
        .templates
        .values()
        .map(|template| {
            let activities: Vec<Value> = template
                .activities
                .iter()
                .map(|activity| json!({ "id": activity.id(), "kind": activity.kind(), "title": activity.title() }))
                .collect();
            json!({ "id": template.id, "title": template.title, "description": template.description, "activities": activities })
        })
        .collect();
    Json(json!({ "templates": templates }))
}
