//! The API's OpenAPI 3.1 description, generated from the handlers themselves.
//!
//! Each JSON route is declared once, with `#[utoipa::path]` on its handler,
//! and mounted with `utoipa_axum::routes!`, which takes the path and method
//! from that same declaration: a route cannot be served without being
//! described, nor described at an address it is not served at. This module
//! adds what belongs to no single route (the document's title, the four
//! bearer credentials) and serves the result at `/api/openapi.json`.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::schema::{AdditionalProperties, Schema};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi, RefOr};

/// The admin token from the server's configuration: opens every room.
pub const ADMIN_TOKEN: &str = "admin_token";
/// A room's facilitator key, returned once when the room is created.
pub const FACILITATOR_KEY: &str = "facilitator_key";
/// A room's viewer key, carried by the projector's address: reads the board only.
pub const VIEWER_KEY: &str = "viewer_key";
/// A participant's token, returned by joining a room.
pub const PARTICIPANT_TOKEN: &str = "participant_token";

/// The document's parts that belong to no route.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Touchpoint",
        description = "The HTTP API of a Touchpoint server. Every refusal is `{\"error\": {\"code\", \"message\"}}` \
                       with a stable code; each route lists the statuses it answers and which credential it takes. \
                       Besides, every route that names a room answers 503 `room_quarantined` while the room's \
                       stored data is damaged, until an administrator repairs it."
    ),
    modifiers(&BearerCredentials)
)]
pub struct Document;

/// Declares the four credentials, all sent as `Authorization: Bearer <credential>`.
struct BearerCredentials;

impl utoipa::Modify for BearerCredentials {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, description) in [
            (ADMIN_TOKEN, "The server's admin token: creates rooms and reads every room's data."),
            (FACILITATOR_KEY, "A room's facilitator key, given once when the room is created."),
            (VIEWER_KEY, "A room's viewer key, in the projector's address: reads the board and nothing else."),
            (PARTICIPANT_TOKEN, "A participant's token, given when they join the room."),
        ] {
            let scheme = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some(description)).build();
            components.add_security_scheme(name, SecurityScheme::Http(scheme));
        }
    }
}

/// The whole description as JSON, built once from the routes.
fn document() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let (_, mut openapi) = super::api().split_for_parts();
        close_untagged_answers(&mut openapi);
        openapi.to_json().expect("an OpenAPI document always serialises")
    })
}

/// Says of each shape of an intent's answer that it has exactly its fields.
///
/// `Outcome` is untagged with `deny_unknown_fields`, so a remembered answer reads back as
/// exactly one variant; utoipa does not carry that rule into the variants, and without it
/// `{"erased": 0}` would match both "nothing to say" and "erased", which `oneOf` forbids.
fn close_untagged_answers(openapi: &mut OpenApi) {
    let schemas = openapi.components.as_mut().map(|components| &mut components.schemas);
    if let Some(RefOr::T(Schema::OneOf(one_of))) = schemas.and_then(|schemas| schemas.get_mut("Outcome")) {
        for item in &mut one_of.items {
            if let RefOr::T(Schema::Object(object)) = item {
                object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
            }
        }
    }
}

/// This description.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 description of this API", content_type = "application/json"))
)]
pub async fn openapi_json() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], document())
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    #[test]
    fn every_operation_says_what_it_answers_on_success_and_how_it_refuses() -> anyhow::Result<()> {
        let document: Value = serde_json::from_str(super::document())?;
        assert_eq!(document["openapi"], "3.1.0");
        let paths = document["paths"].as_object().ok_or_else(|| anyhow::anyhow!("no paths"))?;
        for (path, item) in paths {
            for (method, operation) in item.as_object().into_iter().flatten() {
                let responses = operation["responses"].as_object().into_iter().flatten();
                let statuses: Vec<(&String, &Value)> = responses.collect();
                assert!(statuses.iter().any(|(status, _)| status.starts_with('2')), "{method} {path}: no success");
                for (status, response) in statuses.iter().filter(|(status, _)| !status.starts_with('2')) {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(schema, "#/components/schemas/ErrorBody", "{method} {path} {status}");
                }
                for requirement in operation["security"].as_array().into_iter().flatten() {
                    for scheme in requirement.as_object().into_iter().flatten().map(|(name, _)| name) {
                        let declared = &document["components"]["securitySchemes"][scheme];
                        assert_eq!(declared["scheme"], "bearer", "{method} {path}: {scheme}");
                    }
                }
            }
        }
        Ok(())
    }

    /// Each answer an intent gives fits exactly one shape of `Outcome` (by its keys, which is
    /// what tells the shapes apart), as `oneOf` requires; an API fuzzer found `{"erased": 0}` in two.
    #[test]
    fn every_answer_of_an_intent_fits_one_shape_alone() -> anyhow::Result<()> {
        let document: Value = serde_json::from_str(super::document())?;
        let shapes = document["components"]["schemas"]["Outcome"]["oneOf"]
            .as_array()
            .ok_or_else(|| anyhow::anyhow!("Outcome is not oneOf"))?;
        let fits = |answer: &Value, shape: &Value| {
            let keys = answer.as_object().into_iter().flatten().map(|(key, _)| key.as_str());
            let known = |key: &str| shape["properties"].get(key).is_some();
            let closed = shape["additionalProperties"] == Value::Bool(false);
            let required = shape["required"].as_array().into_iter().flatten().filter_map(Value::as_str);
            keys.clone().all(|key| known(key) || !closed) && required.into_iter().all(|key| answer.get(key).is_some())
        };
        for answer in [
            r#"{}"#,
            r#"{"erased": 0}"#,
            r#"{"id": "c1"}"#,
            r#"{"id": "c1", "withdrawn": true}"#,
            r#"{"erased": true, "id": "c1"}"#,
            r#"{"hidden": false, "id": "c1"}"#,
            r#"{"activity": "map", "state": "open"}"#,
            r#"{"dots": {"a": 2}, "id": "b1", "scores": {}}"#,
        ] {
            let answer: Value = serde_json::from_str(answer)?;
            let n_fits = shapes.iter().filter(|shape| fits(&answer, shape)).count();
            assert_eq!(n_fits, 1, "{answer} fits {n_fits} shapes");
        }
        Ok(())
    }
}
