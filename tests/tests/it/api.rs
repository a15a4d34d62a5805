//! The HTTP API: rooms, participants, health, metrics, and how refusals look.

use anyhow::Context;
use serde_json::json;
use touchpoint_tests::{ADMIN_TOKEN, TestServer};

#[tokio::test]
async fn health_and_metrics_answer() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let health = server.get("/healthz").await?;
    assert_eq!((health.status, health.json()?), (200, json!({ "status": "ok" })));
    let metrics = server.get("/metrics").await?;
    assert_eq!(metrics.status, 200);
    for name in [
        "touchpoint_rooms_loaded",
        "touchpoint_updates_applied_total",
        "touchpoint_received_bytes_total",
        "touchpoint_sent_bytes_total",
        "touchpoint_store_commit_seconds_bucket",
    ] {
        assert!(metrics.body.contains(name), "{name} missing from /metrics");
    }
    Ok(())
}

#[tokio::test]
async fn creating_a_room_returns_what_the_facilitator_needs() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let room = server.create_room("Co-design 1: current experience").await?;
    assert_eq!(room.code.len(), 10);
    assert_eq!(room.created["title"], "Co-design 1: current experience");
    assert_eq!(room.created["join_url"], format!("{}/join/{}", server.base_url(), room.code));
    let facilitator_url = room.created["facilitator_url"].as_str().unwrap_or_default();
    assert!(facilitator_url.ends_with(&format!("#key={}", room.facilitator_key)), "{facilitator_url}");
    let info = server.get(&format!("/api/rooms/{}", room.code.to_lowercase())).await?;
    let info = info.json()?;
    assert_eq!((&info["code"], &info["title"]), (&json!(room.code), &json!("Co-design 1: current experience")));
    assert_eq!(info["join_url"], room.created["join_url"]);
    Ok(())
}

/// Method, path, headers, body, expected status, expected error code.
type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, Option<serde_json::Value>, u16, &'a str);

#[tokio::test]
async fn refusals_carry_a_status_a_code_and_a_message() -> anyhow::Result<()> {
    let server = TestServer::start_with(|config| config.limits.max_body_bytes = 1024).await?;
    let admin = format!("Bearer {ADMIN_TOKEN}");
    let room = server.create_room("Room").await?;
    let long_title = "x".repeat(201);
    let huge = "x".repeat(2048);
    let cases: Vec<Case<'_>> = vec![
        ("POST", "/api/rooms", vec![], Some(json!({ "title": "t" })), 401, "missing_token"),
        (
            "POST",
            "/api/rooms",
            vec![("Authorization", "Bearer wrong")],
            Some(json!({ "title": "t" })),
            403,
            "invalid_token",
        ),
        ("POST", "/api/rooms", vec![("Authorization", &admin)], Some(json!({ "title": "  " })), 422, "invalid_title"),
        (
            "POST",
            "/api/rooms",
            vec![("Authorization", &admin)],
            Some(json!({ "title": long_title })),
            422,
            "invalid_title",
        ),
        (
            "POST",
            "/api/rooms",
            vec![("Authorization", &admin)],
            Some(json!({ "title": "t", "template": "nope" })),
            422,
            "unknown_template",
        ),
        ("POST", "/api/rooms", vec![("Authorization", &admin)], Some(json!({ "name": "t" })), 400, "invalid_json"),
        ("POST", "/api/rooms", vec![("Authorization", &admin)], Some(json!({ "title": huge })), 413, "body_too_large"),
        ("POST", "/api/rooms/ABCDEFGHJK/participants", vec![], None, 404, "room_not_found"),
        ("POST", "/api/rooms/not-a-code/participants", vec![], None, 400, "invalid_room_code"),
        ("GET", "/api/rooms/ABCDEFGHJK", vec![], None, 404, "room_not_found"),
        ("GET", "/nothing/here", vec![], None, 404, "not_found"),
    ];
    for (method, path, headers, body, status, code) in cases {
        let response = match method {
            "GET" => server.get(path).await?,
            _ => server.post(path, &headers, body.as_ref()).await?,
        };
        assert_eq!((response.status, response.error_code().as_deref()), (status, Some(code)), "{method} {path}");
        let message = response.json()?["error"]["message"].as_str().map(str::len).unwrap_or_default();
        assert!(message > 0, "{method} {path} has no message");
    }
    // The room made before is untouched by all that.
    assert!(server.participant_token(&room.code).await?.contains('.'));
    Ok(())
}

#[tokio::test]
async fn participant_tokens_are_distinct_and_open_only_their_room() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let (room, other) = (server.create_room("One").await?, server.create_room("Two").await?);
    let first = server.participant_token(&room.code).await?;
    let second = server.participant_token(&room.code).await?;
    assert_ne!(first, second);
    server.connect(&room.code, &first).await?;
    let status = touchpoint_tests::YClient::refused_status(&server.sync_url(&other.code, &first)).await?;
    assert_eq!(status, 403);
    Ok(())
}

#[tokio::test]
async fn the_web_client_is_served_from_the_binary_compressed_and_revalidated() -> anyhow::Result<()> {
    use touchpoint_tests::http::request;
    let server = TestServer::start().await?;
    let room = server.create_room("Room").await?;
    let page = server.get(&format!("/join/{}", room.code)).await?;
    assert_eq!((page.status, page.header("content-type")), (200, Some("text/html; charset=utf-8")));
    assert!(page.body.to_lowercase().starts_with("<!doctype html>"), "{}", page.body);
    assert_eq!(page.header("content-encoding"), None, "sent compressed to a client that did not ask");

    let gzipped =
        request(server.addr, "GET", &format!("/join/{}", room.code), &[("Accept-Encoding", "gzip, br")], None).await?;
    assert_eq!(gzipped.header("content-encoding"), Some("gzip"));
    let etag = gzipped.header("etag").map(str::to_owned).unwrap_or_default();
    let again =
        request(server.addr, "GET", "/", &[("Accept-Encoding", "gzip"), ("If-None-Match", &etag)], None).await?;
    assert_eq!(again.status, 304);
    assert_eq!(server.get("/assets/no-such-file.js").await?.status, 404);
    Ok(())
}

#[tokio::test]
async fn the_web_client_allows_its_inline_router_by_hash_and_nothing_else_inline() -> anyhow::Result<()> {
    use base64::Engine;
    use sha2::Digest;
    use touchpoint_tests::http::request;
    let server = TestServer::start().await?;
    let page = server.get("/facilitate/ABCDE12345").await?;
    let policy = page.header("content-security-policy").unwrap_or_default().to_owned();
    let directive = |name: &str| {
        policy.split(';').map(str::trim).find(|d| d.split(' ').next() == Some(name)).unwrap_or_default().to_owned()
    };
    assert_eq!(directive("default-src"), "default-src 'self'", "{policy}");
    assert_eq!(directive("img-src"), "img-src 'self' data:", "{policy}");
    assert_eq!(directive("style-src"), "style-src 'self'", "no inline styles: {policy}");
    let host = server.addr.to_string();
    assert_eq!(directive("connect-src"), format!("connect-src 'self' ws://{host} wss://{host}"), "{policy}");
    // The page's one inline script is the router, and the policy names it by its hash.
    let start = page.body.find("<script type=\"module\">").map(|at| at + "<script type=\"module\">".len());
    let router = start.and_then(|start| page.body[start..].find("</script>").map(|end| &page.body[start..start + end]));
    let router = router.ok_or_else(|| anyhow::anyhow!("no inline router in {}", page.body))?;
    assert_eq!(page.body.matches("<script").count(), 1, "one script in the page");
    let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(router.as_bytes()));
    assert_eq!(directive("script-src"), format!("script-src 'self' 'sha256-{hash}'"), "no unsafe-inline: {policy}");
    // Compressed or not, the policy is the same.
    let gzipped = request(server.addr, "GET", "/", &[("Accept-Encoding", "gzip")], None).await?;
    assert_eq!(gzipped.header("content-security-policy"), Some(policy.as_str()));
    // Files other than pages need no policy of their own.
    let css = server.get("/assets/app.css").await?;
    assert_eq!((css.status, css.header("content-security-policy")), (200, None));
    Ok(())
}

/// The description is served, is OpenAPI 3.1, and is true of the router: every operation it
/// lists is served at its path and method. (The other way round holds by construction: the
/// server mounts its JSON routes only through their descriptions.)
#[tokio::test]
async fn the_openapi_description_lists_the_routes_the_router_serves() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let room = server.create_room("Described").await?;
    let response = server.get("/api/openapi.json").await?;
    assert_eq!(response.status, 200);
    let document = response.json()?;
    assert!(document["openapi"].as_str().is_some_and(|version| version.starts_with("3.1.")), "{}", document["openapi"]);
    for scheme in ["admin_token", "facilitator_key", "viewer_key", "participant_token"] {
        assert_eq!(document["components"]["securitySchemes"][scheme]["scheme"], "bearer", "{scheme}");
    }
    let paths = document["paths"].as_object().context("the description has paths")?;
    let mut described = Vec::new();
    for (path, item) in paths {
        let item = item.as_object().context("a path item is an object")?;
        for method in item.keys() {
            let concrete = path.replace("{code}", &room.code).replace(['{', '}'], "");
            let method = method.to_uppercase();
            // Without credentials: the point is that the route exists, not what it answers.
            let answer = touchpoint_tests::http::request(server.addr, &method, &concrete, &[], None).await?;
            assert_ne!(answer.status, 405, "{method} {path} is described but not served");
            assert_ne!(
                answer.error_code().as_deref(),
                Some("not_found"),
                "{method} {path} is described but not served"
            );
            described.push(format!("{method} {path}"));
        }
    }
    for route in ["POST /api/rooms", "POST /api/rooms/{code}/intents", "GET /api/openapi.json", "GET /healthz"] {
        assert!(described.iter().any(|listed| listed == route), "{route} missing from {described:?}");
    }
    Ok(())
}
