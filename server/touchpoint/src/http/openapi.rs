//! The API's OpenAPI 3.1 description, generated from the handlers themselves.
//!
//! Each JSON route is declared once, with `#[utoipa::path]` on its handler,
//! and mounted with `utoipa_axum::routes!`, which takes the path and method
//! from that same declaration: a route cannot be served without being
//! described, nor described at an address it is not served at. This module
//! adds what belongs to no single route (the document's title, the five
//! bearer credentials, the refusals that the extractors and the cross-site
//! rule make of every route they guard) and serves the result at
//! `/api/openapi.json`. A route lists only the refusals of its own.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::schema::{AdditionalProperties, Schema};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

/// The admin token from the server's configuration: opens every room.
pub const ADMIN_TOKEN: &str = "admin_token";
/// A room's facilitator key, returned once when the room is created.
pub const FACILITATOR_KEY: &str = "facilitator_key";
/// A room's viewer key, carried by the projector's address: reads the board only.
pub const VIEWER_KEY: &str = "viewer_key";
/// A participant's token, returned by joining a room.
pub const PARTICIPANT_TOKEN: &str = "participant_token";
/// A room's helper key, for table hosts: enters paper contributions and ballots only.
pub const HELPER_KEY: &str = "helper_key";

/// The document's parts that belong to no route.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Touchpoint",
        description = "The HTTP API of a Touchpoint server. Every refusal is `{\"error\": {\"code\", \"message\"}}` \
                       with a stable code; each route lists the statuses it answers and which credential it takes."
    ),
    modifiers(&BearerCredentials)
)]
pub struct Document;

/// Declares the five credentials, all sent as `Authorization: Bearer <credential>`.
struct BearerCredentials;

impl utoipa::Modify for BearerCredentials {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, description) in [
            (ADMIN_TOKEN, "The server's admin token: creates rooms and reads every room's data."),
            (FACILITATOR_KEY, "A room's facilitator key, given once when the room is created."),
            (VIEWER_KEY, "A room's viewer key, in the projector's address: reads the board and nothing else."),
            (PARTICIPANT_TOKEN, "A participant's token, given when they join the room."),
            (
                HELPER_KEY,
                "A room's helper key, for table hosts: enters paper contributions and ballots on someone's \
                 behalf and reads back its own entries. The facilitator can rotate it.",
            ),
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
        add_common_refusals(&mut openapi);
        close_untagged_answers(&mut openapi);
        openapi.to_json().expect("an OpenAPI document always serialises")
    })
}

/// Adds to every operation the refusals it makes by what it is, not by what it does.
///
/// A room's code in the path is checked and looked up; a body is parsed as JSON within the
/// size limit; a state-changing method refuses what a cross-site form sends (`cross_site`);
/// a credential is asked for, checked, and held to its role (`auth`). Where a route also
/// lists one of these statuses for reasons of its own, both are said.
fn add_common_refusals(openapi: &mut OpenApi) {
    for (path, item) in openapi.paths.paths.iter_mut() {
        let room = path.contains("{code}");
        for (method, operation) in [
            (HttpMethod::Get, &mut item.get),
            (HttpMethod::Post, &mut item.post),
            (HttpMethod::Put, &mut item.put),
            (HttpMethod::Patch, &mut item.patch),
            (HttpMethod::Delete, &mut item.delete),
        ] {
            if let Some(operation) = operation {
                for (status, codes) in common_refusals(room, &method, operation) {
                    refuse(operation, status, &codes);
                }
            }
        }
    }
}

/// The statuses and error codes that what an operation is makes it answer.
fn common_refusals(room: bool, method: &HttpMethod, operation: &Operation) -> Vec<(u16, Vec<&'static str>)> {
    // A security requirement keeps its scheme's name private but serialises as `{name: scopes}`.
    let security = serde_json::to_value(&operation.security).unwrap_or_default();
    let schemes: Vec<&str> = security
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_object)
        .flat_map(|requirement| requirement.keys().map(String::as_str))
        .collect();
    let mut refusals = Vec::new();
    let mut bad_request = Vec::new();
    if room {
        bad_request.push("invalid_room_code");
        refusals.push((404, vec!["room_not_found"]));
        // A room whose stored data is damaged is refused until it is repaired (`store::damage`);
        // with PostgreSQL as the store, nothing is answered while the database is away.
        refusals.push((503, vec!["room_quarantined", "store_unavailable"]));
    } else if !schemes.is_empty() {
        // The routes with a credential and no room (the admin's rooms, a programme's report)
        // read or write the store, which PostgreSQL may be away from.
        refusals.push((503, vec!["store_unavailable"]));
    }
    if operation.request_body.is_some() {
        bad_request.push("invalid_json");
        refusals.push((413, vec!["body_too_large"]));
    }
    if !bad_request.is_empty() {
        refusals.push((400, bad_request));
    }
    if !matches!(method, HttpMethod::Get) {
        refusals.push((415, vec!["unsupported_media_type"]));
    }
    if !schemes.is_empty() {
        // A helper key is checked against the room's present generation wherever it is sent.
        let mut forbidden = vec!["invalid_token", "key_rotated"];
        if room {
            refusals.push((503, vec!["room_unavailable"]));
        }
        if schemes == [PARTICIPANT_TOKEN] {
            forbidden.push("participant_only");
        } else if schemes == [HELPER_KEY] {
            forbidden.push("helper_only");
        } else if schemes.contains(&FACILITATOR_KEY) && !schemes.contains(&PARTICIPANT_TOKEN) {
            forbidden.push("facilitator_only");
        }
        let mut unauthorized = vec!["missing_token"];
        if schemes.contains(&PARTICIPANT_TOKEN) {
            // The token of a participant who erased themselves opens nothing any more.
            unauthorized.push("participant_erased");
        }
        refusals.extend([(401, unauthorized), (403, forbidden)]);
    }
    refusals
}

/// Says that an operation answers `status` with these codes, beside what it says already.
fn refuse(operation: &mut Operation, status: u16, codes: &[&str]) {
    let common = codes.iter().map(|code| format!("`{code}`")).collect::<Vec<_>>().join(", ");
    let responses = &mut operation.responses.responses;
    let own = match responses.get(&status.to_string()) {
        Some(RefOr::T(response)) => Some(response.description.clone()),
        _ => None,
    };
    let description = match own {
        Some(own) => format!("{common}; {own}"),
        None => common,
    };
    let body = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
    let response = ResponseBuilder::new().description(description).content("application/json", body).build();
    responses.insert(status.to_string(), RefOr::T(response));
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

    /// The refusals every extractor makes are said on each route it guards, beside the route's own.
    #[test]
    fn every_guarded_route_lists_the_refusals_of_its_guards() -> anyhow::Result<()> {
        let document: Value = serde_json::from_str(super::document())?;
        let says = |path: &str, method: &str, status: &str, code: &str| {
            let description = &document["paths"][path][method]["responses"][status]["description"];
            description.as_str().is_some_and(|text| text.contains(&format!("`{code}`")))
        };
        for (path, method, status, code) in [
            ("/api/rooms/{code}/projector", "get", "400", "invalid_room_code"),
            ("/api/rooms/{code}/projector", "get", "401", "missing_token"),
            ("/api/rooms/{code}/projector", "get", "403", "facilitator_only"),
            ("/api/rooms/{code}/projector", "get", "404", "room_not_found"),
            ("/api/rooms/{code}/me", "get", "403", "participant_only"),
            ("/api/rooms/{code}/intents", "post", "400", "invalid_json"),
            ("/api/rooms/{code}/intents", "post", "403", "invalid_token"),
            ("/api/rooms/{code}/intents", "post", "403", "not_yours"),
            ("/api/rooms/{code}/intents", "post", "404", "room_not_found"),
            ("/api/rooms/{code}/intents", "post", "404", "unknown_contribution"),
            ("/api/rooms/{code}/intents", "post", "413", "body_too_large"),
            ("/api/rooms/{code}/intents", "post", "415", "unsupported_media_type"),
            ("/api/rooms/{code}", "delete", "415", "unsupported_media_type"),
            ("/api/rooms", "post", "403", "invalid_token"),
            ("/api/programmes/{programme}/report.html", "get", "404", "programme_not_found"),
            ("/api/rooms/{code}/updates", "post", "403", "facilitator_only"),
            ("/api/rooms/{code}/updates", "post", "422", "identifying"),
            ("/api/rooms/{code}/updates/{id}", "put", "404", "unknown_update"),
            ("/api/rooms/{code}/updates/{id}", "delete", "404", "room_not_found"),
        ] {
            assert!(says(path, method, status, code), "{method} {path} {status} does not say `{code}`");
        }
        let rooms = &document["paths"]["/api/rooms"]["post"]["responses"];
        assert!(rooms.get("404").is_none(), "creating a room names no room");
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
