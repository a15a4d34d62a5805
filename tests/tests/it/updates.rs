//! "You said, we did": a room's public page (`GET /updates/{code}`) and the programme team's
//! updates on it (`/api/rooms/{code}/updates`): posting, correcting and removing, the limits and
//! refusals, that the page shows only what the room could see, and that updates outlast
//! compaction and restarts while a deleted room takes its page with it.

use serde_json::{Value, json};
use touchpoint_tests::event::{Event, check, id_of};
use touchpoint_tests::{ADMIN_TOKEN, Api, HttpResponse, http};

use crate::analysis::stored_anywhere;

/// Posts an update with a credential.
async fn post(api: &Api, code: &str, credential: &str, body: &Value) -> anyhow::Result<HttpResponse> {
    let auth = format!("Bearer {credential}");
    api.post(&format!("/api/rooms/{code}/updates"), &[("Authorization", &auth)], Some(body)).await
}

/// Corrects an update with a credential.
async fn put(api: &Api, code: &str, id: &str, credential: &str, body: &Value) -> anyhow::Result<HttpResponse> {
    let auth = format!("Bearer {credential}");
    let path = format!("/api/rooms/{code}/updates/{id}");
    http::request(api.addr, "PUT", &path, &[("Authorization", &auth)], Some(&body.to_string())).await
}

/// The public page, as a phone asks for it (no credential).
async fn page(api: &Api, code: &str) -> anyhow::Result<HttpResponse> {
    api.get(&format!("/updates/{code}")).await
}

fn text(update: &str) -> Value {
    json!({ "text": update })
}

/// The id a posted update was given (a number), for its address.
fn posted_id(response: &HttpResponse) -> anyhow::Result<String> {
    let id = response.json()?["id"].as_i64();
    id.map(|id| id.to_string()).ok_or_else(|| anyhow::anyhow!("no id in {}", response.body))
}

#[tokio::test]
async fn updates_are_posted_corrected_and_removed_and_the_page_shows_them_newest_first() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let (api, code, key) = (&*event.server, event.room.code.as_str(), event.room.facilitator_key.as_str());

    let empty = page(api, code).await?;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(empty.body.contains("<html lang=\"en-GB\">") && empty.body.contains("Nothing yet."), "{}", empty.body);

    let first = post(api, code, key, &text("  We met the practice managers in January.  ")).await?;
    check(&first, 201, None);
    let first = first.json()?;
    assert_eq!(first["text"], "We met the practice managers in January.", "trimmed");
    assert!(first["edited_at"].is_null() && first["posted_at"].as_i64() > Some(0));
    let second = post(api, code, key, &text("Call-backs now come within a day <b>promised</b>.")).await?;
    check(&second, 201, None);
    let second_id = posted_id(&second)?;

    let listed = api.get_with(&format!("/api/rooms/{code}/updates"), key).await?.json()?;
    let texts: Vec<&str> =
        listed["updates"].as_array().into_iter().flatten().filter_map(|u| u["text"].as_str()).collect();
    assert_eq!(
        texts,
        ["Call-backs now come within a day <b>promised</b>.", "We met the practice managers in January."]
    );
    assert_eq!(listed["page_url"], format!("{}/updates/{code}", api.base_url()));
    assert_eq!(listed["max_chars"], 2000);

    let shown = page(api, code).await?.body;
    let (newer, older) = (shown.find("Call-backs now"), shown.find("We met the practice"));
    assert!(newer.is_some() && newer < older, "newest first: {shown}");
    assert!(shown.contains("&lt;b&gt;promised&lt;/b&gt;") && !shown.contains("<b>promised"), "escaped: {shown}");

    let corrected = put(api, code, &second_id, key, &text("Call-backs now come within two days.")).await?;
    check(&corrected, 200, None);
    assert!(corrected.json()?["edited_at"].as_i64().is_some());
    let shown = page(api, code).await?.body;
    assert!(shown.contains("Call-backs now come within two days.") && shown.contains("(corrected "), "{shown}");
    assert!(!stored_anywhere(event.server.data_dir(), "within a day")?, "the corrected text is still stored");

    let removed = api.delete(&format!("/api/rooms/{code}/updates/{second_id}"), key).await?;
    assert_eq!(removed.status, 204);
    let shown = page(api, code).await?.body;
    assert!(!shown.contains("Call-backs") && shown.contains("We met the practice managers"), "{shown}");
    assert!(!stored_anywhere(event.server.data_dir(), "within two days")?, "the removed text is still stored");
    let again = api.delete(&format!("/api/rooms/{code}/updates/{second_id}"), key).await?;
    check(&again, 404, Some("unknown_update"));
    Ok(())
}

#[tokio::test]
async fn updates_are_refused_with_a_status_and_a_code() -> anyhow::Result<()> {
    let event = Event::start_with(|config| {
        config.limits.max_update_chars = 40;
        config.limits.max_updates_per_room = 2;
        config.limits.max_update_writes_per_room_per_hour = 6;
    })
    .await?;
    let (api, code, key) = (&*event.server, event.room.code.as_str(), event.room.facilitator_key.as_str());
    let participant = event.join(json!({})).await?;
    let other = event.server.create_room("Another room").await?;
    let viewer_url = event.room.created["projector_url"].as_str().unwrap_or_default();
    let viewer = viewer_url.split("#key=").nth(1).unwrap_or_default().to_owned();

    // Who may post, and what (none of these takes from the room's allowance of writes).
    let path = format!("/api/rooms/{code}/updates");
    check(&api.post(&path, &[], Some(&text("Hello"))).await?, 401, Some("missing_token"));
    check(&post(api, code, &participant, &text("Hello")).await?, 403, Some("facilitator_only"));
    check(&post(api, code, &viewer, &text("Hello")).await?, 403, Some("facilitator_only"));
    check(&post(api, code, ADMIN_TOKEN, &text("Hello")).await?, 403, Some("invalid_token"));
    check(&post(api, code, &other.facilitator_key, &text("Hello")).await?, 403, Some("invalid_token"));
    check(&post(api, "NOPE", key, &text("Hello")).await?, 400, Some("invalid_room_code"));
    check(&post(api, code, key, &json!({ "text": "Hello", "extra": 1 })).await?, 400, Some("invalid_json"));
    check(&post(api, code, key, &text("   ")).await?, 422, Some("empty"));
    check(&post(api, code, key, &text(&"x".repeat(41))).await?, 422, Some("too_long"));
    for identifying in ["Ring Dr Patel about it", "Call 07700 900123", "Write to someone@example.org"] {
        check(&post(api, code, key, &text(identifying)).await?, 422, Some("identifying"));
    }
    check(&api.get_with(&path, &participant).await?, 403, Some("facilitator_only"));

    // The page holds two updates; a third waits for one to go.
    let first = posted_id(&post(api, code, key, &text(&"x".repeat(40))).await?)?;
    check(&post(api, code, key, &text("Second")).await?, 201, None);
    check(&post(api, code, key, &text("Third")).await?, 409, Some("updates_full"));

    // An update is reached only through its own room.
    let elsewhere = put(api, &other.code, &first, &other.facilitator_key, &text("Taken over")).await?;
    check(&elsewhere, 404, Some("unknown_update"));
    check(&put(api, code, "not-a-number", key, &text("Fixed")).await?, 404, Some("unknown_update"));
    check(&put(api, code, &first, key, &text("")).await?, 422, Some("empty"));

    // Six writes an hour in this room: two posts, a full page, a correction, a removal, one more post.
    check(&put(api, code, &first, key, &text("Fixed")).await?, 200, None);
    assert_eq!(api.delete(&format!("{path}/{first}"), key).await?.status, 204);
    check(&post(api, code, key, &text("Again")).await?, 201, None);
    let limited = post(api, code, key, &text("Too many")).await?;
    check(&limited, 429, Some("rate_limited"));
    assert!(limited.header("retry-after").is_some_and(|seconds| seconds.parse::<u64>().is_ok_and(|s| s >= 1)));
    // Another room's allowance is its own.
    check(&post(api, &other.code, &other.facilitator_key, &text("Hello")).await?, 201, None);
    Ok(())
}

#[tokio::test]
async fn the_page_shows_only_what_the_room_could_see() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let (api, code) = (&*event.server, event.room.code.as_str());
    let person = &event.join(json!({ "perspective": "person" })).await?;
    let carer = &event.join(json!({ "perspective": "carer" })).await?;
    let staff = &event.join(json!({ "perspective": "staff" })).await?;
    event.open("pledges").await?;
    let word = |w: &str| json!({ "kind": "add_touchstone", "activity": "pledges", "word": w });
    check(&event.participant(person, word("Kindness")).await?, 200, None);
    check(&event.participant(carer, word("kindness ")).await?, 200, None);
    check(&event.participant(staff, word("Kindness")).await?, 200, None);
    let hidden = id_of(&event.participant(carer, word("hidden-word-4f1a")).await?);
    check(&event.facilitator(json!({ "kind": "set_hidden", "id": hidden, "hidden": true })).await?, 200, None);
    check(&event.participant(person, word("erased-word-7c3e")).await?, 200, None);
    // A word that looks like it names someone waits for approval, off the board.
    let held = event.participant(carer, word("Dr Held")).await?;
    assert_eq!(held.json()?["held"], true);
    let pledge = json!({ "kind": "add_pledge", "activity": "pledges", "text": "pledge-text-2b9d", "name": "Pat" });
    check(&event.participant(carer, pledge).await?, 200, None);

    event.open("options").await?;
    let dots = |option: &str, n: u32| json!({ "kind": "set_dots", "activity": "options", "option": option, "dots": n });
    check(&event.participant(person, dots("b", 2)).await?, 200, None);
    check(&event.participant(carer, dots("b", 1)).await?, 200, None);
    check(&event.participant(carer, dots("c", 1)).await?, 200, None);
    check(&event.participant(staff, dots("c", 2)).await?, 200, None);
    let score = |option: &str, score: u8| json!({ "kind": "set_score", "activity": "options", "option": option, "score": score });
    check(&event.participant(person, score("b", 1)).await?, 200, None);
    check(&event.participant(staff, score("c", 4)).await?, 200, None);
    // Seen before the erasure, as it was on the board: the page reads the board afresh once it changes.
    assert!(page(api, code).await?.body.contains("erased-word-7c3e"));
    check(&event.participant(person, json!({ "kind": "erase_me" })).await?, 200, None);

    let shown = page(api, code).await?.body;
    // Folded as the projector's word cloud folds them; the erased person's "Kindness" went with them.
    assert!(shown.contains("Kindness<span class=\"quiet\"> (2)</span>"), "{shown}");
    for absent in ["hidden-word-4f1a", "erased-word-7c3e", "Dr Held", "pledge-text-2b9d", "Option B", "dots"] {
        assert!(!shown.contains(absent), "{absent} is on the page before it may be: {shown}");
    }

    check(&event.facilitator(json!({ "kind": "reveal_activity", "activity": "options" })).await?, 200, None);
    let shown = page(api, code).await?.body;
    // The person who erased themselves took their dots and score with them.
    let (b, c) = (shown.find("<li><bdi>Option B"), shown.find("<li><bdi>Option C"));
    assert!(c.is_some() && c < b, "the most chosen first: {shown}");
    assert!(
        shown.contains(
            "<li><bdi>Option C</bdi><span class=\"quiet\">: 3 dots, scored 4.0 out of 5 on average</span></li>"
        )
    );
    assert!(shown.contains("<li><bdi>Option B</bdi><span class=\"quiet\">: 1 dot</span></li>"), "{shown}");
    assert!(shown.contains("<li><bdi>Option A</bdi><span class=\"quiet\"></span></li>"), "{shown}");

    check(
        &event.facilitator(json!({ "kind": "reveal_activity", "activity": "options", "revealed": false })).await?,
        200,
        None,
    );
    assert!(!page(api, code).await?.body.contains("Option B"), "concealed results stay off the page");
    Ok(())
}

#[tokio::test]
async fn the_page_is_small_gzipped_revalidated_and_needs_no_script() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let (api, code, key) = (&*event.server, event.room.code.as_str(), event.room.facilitator_key.as_str());
    check(&post(api, code, key, &text(&"We listened. ".repeat(100))).await?, 201, None);
    let path = format!("/updates/{code}");
    let plain = page(api, code).await?;
    let gzipped = http::request(api.addr, "GET", &path, &[("Accept-Encoding", "gzip")], None).await?;
    assert_eq!(gzipped.header("content-encoding"), Some("gzip"));
    let length = |response: &HttpResponse| response.header("content-length").and_then(|n| n.parse::<usize>().ok());
    let (n_plain, n_gzipped) = (length(&plain).unwrap_or(usize::MAX), length(&gzipped).unwrap_or(usize::MAX));
    assert!(n_gzipped * 3 < n_plain, "{n_gzipped} bytes gzipped against {n_plain}");
    assert!(n_plain < 8 * 1024, "the page is {n_plain} bytes");
    assert_eq!(plain.header("cache-control"), Some("no-cache"));
    assert!(plain.header("content-security-policy").is_some_and(|policy| policy.starts_with("default-src 'none'")));
    assert!(!plain.body.contains("<script"));
    let etag = plain.header("etag").unwrap_or_default().to_owned();
    let unchanged = http::request(api.addr, "GET", &path, &[("If-None-Match", &etag)], None).await?;
    assert_eq!((unchanged.status, unchanged.body.as_str()), (304, ""));
    check(&post(api, code, key, &text("Something new")).await?, 201, None);
    let changed = http::request(api.addr, "GET", &path, &[("If-None-Match", &etag)], None).await?;
    assert!(changed.status == 200 && changed.body.contains("Something new"));
    Ok(())
}

#[tokio::test]
async fn an_unknown_or_deleted_room_answers_a_404_page_and_its_updates_go_with_it() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let (api, code, key) = (&*event.server, event.room.code.as_str(), event.room.facilitator_key.as_str());
    for missing in ["ABCDEFGHJK", "not-a-code"] {
        let answer = page(api, missing).await?;
        assert_eq!(answer.status, 404, "{missing}");
        assert!(answer.body.contains("<h1>There is no page here</h1>") && answer.body.contains("lang=\"en-GB\""));
    }
    check(&post(api, code, key, &text("update-marker-5d0e")).await?, 201, None);
    assert_eq!(api.delete(&format!("/api/rooms/{code}"), key).await?.status, 204);
    let gone = page(api, code).await?;
    assert_eq!(gone.status, 404);
    assert!(!gone.body.contains("update-marker-5d0e"));
    assert!(
        !stored_anywhere(event.server.data_dir(), "update-marker-5d0e")?,
        "the deleted room's update is still stored"
    );
    Ok(())
}

#[tokio::test]
async fn updates_and_the_page_outlast_compaction_and_restart_without_loading_the_room() -> anyhow::Result<()> {
    let event = Event::start_with(|config| config.room_idle_secs = 0).await?;
    let (code, key) = (event.room.code.clone(), event.room.facilitator_key.clone());
    let person = event.join(json!({})).await?;
    event.open("pledges").await?;
    let word = json!({ "kind": "add_touchstone", "activity": "pledges", "word": "Listening" });
    check(&event.participant(&person, word).await?, 200, None);
    check(&post(&event.server, &code, &key, &text("Posted before the room unloaded")).await?, 201, None);
    // The room compacts as it unloads, with nobody connected.
    event.server.wait_for_metric("touchpoint_rooms_loaded", "", |n| n == 0.0).await?;

    let shown = page(&event.server, &code).await?.body;
    assert!(shown.contains("Posted before the room unloaded") && shown.contains("Listening"), "{shown}");
    assert_eq!(event.server.metric("touchpoint_rooms_loaded", "").await?, 0.0, "the page loaded the room");

    let server = event.server.restart().await?;
    check(&post(&server, &code, &key, &text("Posted after the restart")).await?, 201, None);
    let shown = page(&server, &code).await?.body;
    assert!(shown.contains("Posted before the room unloaded") && shown.contains("Posted after the restart"));
    assert!(shown.contains("Listening"), "{shown}");
    Ok(())
}

#[tokio::test]
async fn a_room_with_damaged_storage_shows_a_closed_page_not_less() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let (api, code) = (&*event.server, event.room.code.as_str());
    // A failing disk flips a byte of the room's stored layout, under the running server.
    let db = rusqlite::Connection::open(event.server.data_dir().join("touchpoint.db"))?;
    let mut data: Vec<u8> = db.query_row("SELECT data FROM updates WHERE room = ?1", [code], |row| row.get(0))?;
    let middle = data.len() / 2;
    data[middle] ^= 0x5a;
    db.execute("UPDATE updates SET data = ?1 WHERE room = ?2", rusqlite::params![data, code])?;
    let closed = page(api, code).await?;
    assert_eq!(closed.status, 503);
    assert!(closed.body.contains("<h1>This page is closed for now</h1>"), "{}", closed.body);
    Ok(())
}
