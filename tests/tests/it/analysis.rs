//! After the event: exports that hold every acknowledged contribution and
//! nothing else, snapshots that show the board as it stood, and data
//! protection that reaches every stored copy.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use touchpoint_tests::event::{Event, check, id_of, root};
use touchpoint_tests::{ADMIN_TOKEN, TestServer, YClient};

/// A scripted event: what each activity received, with the ids the server acknowledged.
struct Scripted {
    event: Event,
    cards: Vec<String>,
    withdrawn: String,
    hidden: String,
    paper: String,
    notes: Vec<String>,
    ideas: Vec<String>,
    pledges: Vec<String>,
    touchstones: Vec<String>,
}

async fn scripted_event() -> anyhow::Result<Scripted> {
    let event = Event::start().await?;
    let person = event.join(json!({ "perspective": "person", "segments": { "age": "75-plus" } })).await?;
    let staff = event.join(json!({ "perspective": "staff", "role": "gp" })).await?;
    for activity in ["map", "options", "path", "pledges", "ideas"] {
        event.open(activity).await?;
    }
    let mut cards = Vec::new();
    for (token, touchpoint, emotion) in
        [(&person, "booking", "anxious"), (&person, "waiting", "hopeful"), (&staff, "booking", "anxious")]
    {
        let card = json!({ "kind": "add_card", "activity": "map", "touchpoint": touchpoint, "emotion": emotion, "note": "on hold, then cut off" });
        cards.push(id_of(&event.participant(token, card).await?));
    }
    let withdrawn = id_of(
        &event
            .participant(
                &staff,
                json!({ "kind": "add_card", "activity": "map", "touchpoint": "waiting", "word": "rushed" }),
            )
            .await?,
    );
    check(&event.participant(&staff, json!({ "kind": "withdraw", "id": withdrawn })).await?, 200, None);
    let hidden = cards[2].clone();
    check(&event.facilitator(json!({ "kind": "set_hidden", "id": hidden, "hidden": true })).await?, 200, None);
    let paper = id_of(
        &event
            .facilitator(json!({ "kind": "add_card", "activity": "map", "touchpoint": "waiting", "emotion": "hopeful",
                                 "on_behalf_of": { "perspective": "carer" } }))
            .await?,
    );
    cards.push(paper.clone());
    check(
        &event
            .participant(&person, json!({ "kind": "set_dots", "activity": "options", "option": "a", "dots": 2 }))
            .await?,
        200,
        None,
    );
    check(
        &event
            .participant(&staff, json!({ "kind": "set_dots", "activity": "options", "option": "b", "dots": 1 }))
            .await?,
        200,
        None,
    );
    check(
        &event
            .participant(&person, json!({ "kind": "set_score", "activity": "options", "option": "a", "score": 5 }))
            .await?,
        200,
        None,
    );
    let notes = vec![id_of(&event.participant(&person, json!({ "kind": "add_path_note", "activity": "path", "section": "north-star", "text": "=nobody waits alone" })).await?)];
    let ideas = vec![
        id_of(&event.participant(&staff, json!({ "kind": "add_idea", "activity": "ideas", "text": "Text reminders, \"please\"" })).await?),
        id_of(&event.participant(&person, json!({ "kind": "add_idea", "activity": "options", "option": "a", "text": "Yes, with evening slots" })).await?),
    ];
    let pledges = vec![
        id_of(
            &event
                .participant(
                    &staff,
                    json!({ "kind": "add_pledge", "activity": "pledges", "text": "I will call back", "name": "Dr Lee",
                                               "contact": "lee@example.org", "contact_consent": true }),
                )
                .await?,
        ),
        id_of(
            &event
                .participant(
                    &person,
                    json!({ "kind": "add_pledge", "activity": "pledges", "text": "I will bring a friend" }),
                )
                .await?,
        ),
    ];
    let touchstones = vec![id_of(
        &event
            .participant(&person, json!({ "kind": "add_touchstone", "activity": "pledges", "word": "kindness" }))
            .await?,
    )];
    Ok(Scripted { event, cards, withdrawn, hidden, paper, notes, ideas, pledges, touchstones })
}

fn ids(rows: &Value) -> BTreeSet<String> {
    rows.as_array().into_iter().flatten().filter_map(|row| row["id"].as_str().map(str::to_owned)).collect()
}

fn set(ids: &[String]) -> BTreeSet<String> {
    ids.iter().cloned().collect()
}

/// The ids in the first column of a CSV file, header skipped.
fn csv_ids(csv: &str) -> BTreeSet<String> {
    csv.lines().skip(1).filter_map(|line| line.split(',').next()).map(str::to_owned).collect()
}

#[tokio::test]
async fn exports_hold_every_acknowledged_contribution_and_nothing_else() -> anyhow::Result<()> {
    let s = scripted_event().await?;
    let (server, room) = (&s.event.server, &s.event.room);
    let json = server.get_with(&format!("/api/rooms/{}/export.json", room.code), &room.facilitator_key).await?;
    assert_eq!(json.status, 200);
    let export = json.json()?;
    assert_eq!(export["schema"], "touchpoint.export/1");
    assert_eq!(ids(&export["cards"]), set(&s.cards));
    assert!(!ids(&export["cards"]).contains(&s.withdrawn));
    assert_eq!(ids(&export["path_notes"]), set(&s.notes));
    assert_eq!(ids(&export["ideas"]), set(&s.ideas));
    assert_eq!(ids(&export["pledges"]), set(&s.pledges));
    assert_eq!(ids(&export["touchstones"]), set(&s.touchstones));
    assert_eq!(export["dots"].as_array().map(Vec::len), Some(2));
    assert_eq!(export["scores"][0]["score"], 5);
    assert_eq!(export["participants"].as_array().map(Vec::len), Some(2));

    let card = |id: &str| {
        export["cards"].as_array().into_iter().flatten().find(|c| c["id"] == id).cloned().unwrap_or_default()
    };
    assert_eq!(card(&s.cards[0])["segments"]["age"], "75-plus");
    assert_eq!(card(&s.cards[0])["valence"], "negative");
    assert_eq!(card(&s.hidden)["hidden"], true);
    assert_eq!(
        (card(&s.paper)["assisted"].clone(), card(&s.paper)["perspective"].clone()),
        (json!(true), json!("carer"))
    );
    assert!(card(&s.paper)["participant"].is_null());
    // Participants are labelled for the export, never by their token's id; contacts never leave the server.
    let text = export.to_string();
    assert!(!text.contains("lee@example.org"), "a pledge contact was exported");
    assert!(card(&s.cards[0])["participant"].as_str().is_some_and(|label| label.starts_with('p') && label.len() < 5));
    let anonymous = export["pledges"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["id"] == s.pledges[1].as_str())
        .cloned()
        .unwrap_or_default();
    assert!(anonymous["name"].is_null());

    // The CSV files hold the same rows.
    for (file, expected) in [
        ("cards.csv", set(&s.cards)),
        ("path_notes.csv", set(&s.notes)),
        ("ideas.csv", set(&s.ideas)),
        ("pledges.csv", set(&s.pledges)),
        ("touchstones.csv", set(&s.touchstones)),
    ] {
        let csv = server.get_with(&format!("/api/rooms/{}/export/{file}", room.code), ADMIN_TOKEN).await?;
        assert_eq!((csv.status, csv.header("content-type")), (200, Some("text/csv; charset=utf-8")), "{file}");
        assert_eq!(csv_ids(&csv.body), expected, "{file}");
        assert!(csv.body.lines().next().is_some_and(|header| header.contains("segment_age")), "{file}");
    }
    let notes = server.get_with(&format!("/api/rooms/{}/export/path_notes.csv", room.code), ADMIN_TOKEN).await?.body;
    assert!(notes.contains(",'=nobody waits alone,"), "a formula-like cell was not defused: {notes}");
    let participant = s.event.join(json!({})).await?;
    check(
        &server.get_with(&format!("/api/rooms/{}/export.json", room.code), &participant).await?,
        403,
        Some("facilitator_only"),
    );
    Ok(())
}

#[tokio::test]
async fn the_command_line_writes_the_same_exports() -> anyhow::Result<()> {
    let s = scripted_event().await?;
    let out = tempfile::tempdir()?;
    let data_dir = s.event.server.data_dir().to_path_buf();
    for format in ["json", "csv"] {
        let args = ["export", &s.event.room.code, "--format", format, "--out"];
        let output = touchpoint_tests::process::run_cli(&args, out.path(), &data_dir).await?;
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    let export: Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join(format!("{}.json", s.event.room.code)))?)?;
    assert_eq!(ids(&export["cards"]), set(&s.cards));
    let cards = std::fs::read_to_string(out.path().join(format!("{}-cards.csv", s.event.room.code)))?;
    assert_eq!(csv_ids(&cards), set(&s.cards));
    Ok(())
}

#[tokio::test]
async fn a_snapshot_shows_the_board_as_it_stood() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let person = event.join(json!({ "perspective": "person" })).await?;
    event.open("map").await?;
    let before = id_of(
        &event
            .participant(
                &person,
                json!({ "kind": "add_card", "activity": "map", "touchpoint": "booking", "emotion": "hopeful" }),
            )
            .await?,
    );
    check(&event.facilitator(json!({ "kind": "lock_activity", "activity": "map" })).await?, 200, None);
    // A paper card typed up after the lock changes the live board, not the snapshot.
    let after = id_of(
        &event
            .facilitator(json!({ "kind": "add_card", "activity": "map", "touchpoint": "waiting", "emotion": "anxious",
                                 "on_behalf_of": { "perspective": "carer" } }))
            .await?,
    );
    let path = format!("/api/rooms/{}/snapshots/How%20it%20feels%20today%20(locked)", event.room.code);
    let snapshot = event.server.get_with(&path, &event.room.facilitator_key).await?.json()?;
    let cards = snapshot["board"]["cards"].as_object().cloned().unwrap_or_default();
    assert!(cards.contains_key(&before) && !cards.contains_key(&after), "{snapshot}");
    assert_eq!(snapshot["board"]["activities"]["map"]["state"], "locked");
    check(
        &event
            .server
            .get_with(&format!("/api/rooms/{}/snapshots/nope", event.room.code), &event.room.facilitator_key)
            .await?,
        404,
        Some("snapshot_not_found"),
    );
    Ok(())
}

/// Whether any file of the data directory still holds `marker`.
pub(crate) fn stored_anywhere(dir: &std::path::Path, marker: &str) -> anyhow::Result<bool> {
    for entry in std::fs::read_dir(dir)? {
        let bytes = std::fs::read(entry?.path())?;
        if bytes.windows(marker.len()).any(|window| window == marker.as_bytes()) {
            return Ok(true);
        }
    }
    Ok(false)
}

#[tokio::test]
async fn erasure_leaves_no_trace_in_the_board_the_log_or_the_snapshots() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let dir = event.server.data_dir().to_path_buf();
    erasure_leaves_no_trace(event, async |marker| stored_anywhere(&dir, marker)).await
}

/// Erases a participant who wrote a card, a pledge with a contact and dots, and checks that
/// none of it is left on the board, in the snapshots, the export or what `stored` searches.
pub(crate) async fn erasure_leaves_no_trace(
    event: Event,
    stored: impl AsyncFn(&str) -> anyhow::Result<bool>,
) -> anyhow::Result<()> {
    let mut watcher = event.watch().await?;
    let person = event.join(json!({ "perspective": "person" })).await?;
    let other = event.join(json!({ "perspective": "carer" })).await?;
    for activity in ["map", "options", "pledges"] {
        event.open(activity).await?;
    }
    let note = "my-unmistakable-note-7d1f";
    let contact = "erase-me@example.org";
    let card = id_of(&event.participant(&person, json!({ "kind": "add_card", "activity": "map", "touchpoint": "booking", "emotion": "anxious", "note": note })).await?);
    let kept = id_of(
        &event
            .participant(
                &other,
                json!({ "kind": "add_card", "activity": "map", "touchpoint": "booking", "emotion": "hopeful" }),
            )
            .await?,
    );
    check(&event.participant(&person, json!({ "kind": "add_pledge", "activity": "pledges", "text": "pledge-text-3c9a", "contact": contact, "contact_consent": true })).await?, 200, None);
    check(
        &event
            .participant(&person, json!({ "kind": "set_dots", "activity": "options", "option": "a", "dots": 2 }))
            .await?,
        200,
        None,
    );
    check(&event.facilitator(json!({ "kind": "reveal_activity", "activity": "options" })).await?, 200, None);
    check(&event.facilitator(json!({ "kind": "lock_activity", "activity": "map" })).await?, 200, None);
    watcher.receive_until(|doc| root(doc, "cards").get(&card).is_some()).await?;
    assert!(stored(note).await?, "the test's marker should be stored before erasure");

    let erased = event.participant(&person, json!({ "kind": "erase_me" })).await?;
    check(&erased, 200, None);
    assert_eq!(erased.json()?["erased"], 2);

    watcher.receive_until(|doc| root(doc, "cards").get(&card).is_none()).await?;
    assert!(root(&watcher.doc, "cards").get(&kept).is_some(), "someone else's card went too");
    // The watcher and the other participant remain: too few to be counted on the board.
    assert_eq!(root(&watcher.doc, "participation")["total"], "suppressed");
    assert_eq!(root(&watcher.doc, "activities")["options"]["results"]["a"]["dots"], 0);
    let snapshot = event
        .server
        .get_with(
            &format!("/api/rooms/{}/snapshots/How%20it%20feels%20today%20(locked)", event.room.code),
            &event.room.facilitator_key,
        )
        .await?
        .json()?;
    assert!(snapshot["board"]["cards"].get(&card).is_none(), "the snapshot still shows the erased card");
    for marker in [note, contact, "pledge-text-3c9a"] {
        assert!(!stored(marker).await?, "{marker} is still stored");
    }
    let export = event.server.get_with(&format!("/api/rooms/{}/export.json", event.room.code), ADMIN_TOKEN).await?.body;
    assert!(!export.contains(note) && export.contains(&kept));
    // It stays erased after a restart.
    let server = event.server.restart().await?;
    let reloaded = server.connect(&event.room.code, &event.room.facilitator_key).await?;
    assert!(root(&reloaded.doc, "cards").get(&card).is_none());
    Ok(())
}

#[tokio::test]
async fn deleting_a_room_closes_it_and_removes_everything() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let mut watcher = event.watch().await?;
    let person = event.join(json!({ "perspective": "person" })).await?;
    event.open("map").await?;
    let note = "delete-marker-91b2";
    check(&event.participant(&person, json!({ "kind": "add_card", "activity": "map", "touchpoint": "booking", "emotion": "anxious", "note": note })).await?, 200, None);
    let path = format!("/api/rooms/{}", event.room.code);
    let refused = event.server.delete(&path, &person).await?;
    check(&refused, 403, Some("facilitator_only"));

    let deleted = event.server.delete(&path, &event.room.facilitator_key).await?;
    assert_eq!(deleted.status, 204);
    assert_eq!(watcher.expect_close().await?, (1000, "the room was deleted".to_owned()));
    check(&event.server.get(&path).await?, 404, Some("room_not_found"));
    let url = event.server.sync_url(&event.room.code, &person);
    assert_eq!(YClient::refused_status(&url).await?, 404);
    assert!(!stored_anywhere(event.server.data_dir(), note)?, "the deleted room's note is still stored");
    Ok(())
}

#[tokio::test]
async fn rooms_past_their_retention_period_are_deleted() -> anyhow::Result<()> {
    let server = TestServer::start_with(|config| config.retention_days = 30).await?;
    let (old, recent) = (server.create_room("Old").await?, server.create_room("Recent").await?);
    let mut server = server;
    server.shutdown().await?;
    let db = rusqlite::Connection::open(server.data_dir().join("touchpoint.db"))?;
    let forty_days_ago =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as i64 - 40 * 86_400;
    db.execute("UPDATE rooms SET created_at = ?1 WHERE code = ?2", rusqlite::params![forty_days_ago, old.code])?;
    drop(db);

    let server = server.restart().await?;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    while server.get(&format!("/api/rooms/{}", old.code)).await?.status != 404 {
        anyhow::ensure!(tokio::time::Instant::now() < deadline, "the old room was not deleted");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(server.get(&format!("/api/rooms/{}", recent.code)).await?.status, 200);
    Ok(())
}

#[tokio::test]
async fn replaying_the_history_reaches_the_live_board() -> anyhow::Result<()> {
    use base64::Engine;
    use yrs::updates::decoder::Decode;
    use yrs::{Doc, Transact, Update};

    let s = scripted_event().await?;
    let (server, room) = (&s.event.server, &s.event.room);
    let history = server.get_with(&format!("/api/rooms/{}/history", room.code), &room.facilitator_key).await?.json()?;
    let updates = history["updates"].as_array().cloned().unwrap_or_default();
    assert!(updates.len() > 15, "only {} steps of history", updates.len());
    let replay = Doc::new();
    let mut n_cards_seen = Vec::new();
    for step in &updates {
        let bytes = base64::engine::general_purpose::STANDARD.decode(step["update"].as_str().unwrap_or_default())?;
        replay.transact_mut().apply_update(Update::decode_v1(&bytes)?)?;
        n_cards_seen.push(root(&replay, "cards").as_object().map_or(0, serde_json::Map::len));
    }
    // The board grows card by card, and a withdrawal takes one away again.
    assert_eq!(n_cards_seen.first(), Some(&0));
    assert!(n_cards_seen.windows(2).any(|pair| pair[1] == pair[0] + 1));
    let live = server.connect(&room.code, &room.facilitator_key).await?;
    for name in ["room", "activities", "cards", "ideas", "path_notes", "pledges", "touchstones", "participation"] {
        assert_eq!(root(&replay, name), root(&live.doc, name), "{name} differs after replay");
    }
    check(
        &server
            .get_with(&format!("/api/rooms/{}/history", room.code), &server.participant_token(&room.code).await?)
            .await?,
        403,
        Some("facilitator_only"),
    );
    Ok(())
}

#[tokio::test]
async fn the_projector_key_reads_the_history_it_replays() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let code = &event.room.code;
    event.open("map").await?;
    let person = event.join(json!({ "perspective": "person" })).await?;
    let card = json!({ "kind": "add_card", "activity": "map", "touchpoint": "booking", "emotion": "anxious" });
    check(&event.participant(&person, card).await?, 200, None);
    let projector_url = event.room.created["projector_url"].as_str().unwrap_or_default();
    let viewer = projector_url.split("#key=").nth(1).unwrap_or_default();
    assert!(!viewer.is_empty());
    let path = format!("/api/rooms/{code}/history");
    let as_viewer = event.server.get_with(&path, viewer).await?;
    assert_eq!(as_viewer.status, 200, "{}", as_viewer.body);
    // The same log the facilitator and the admin read, card included.
    let as_facilitator = event.server.get_with(&path, &event.room.facilitator_key).await?.json()?;
    assert_eq!(as_viewer.json()?, as_facilitator);
    assert_eq!(event.server.get_with(&path, ADMIN_TOKEN).await?.json()?, as_facilitator);
    assert!(as_facilitator["updates"].as_array().is_some_and(|updates| updates.len() >= 3));
    // The viewer key of one room does not open another's history.
    let other = event.server.create_room("Another").await?;
    check(
        &event.server.get_with(&format!("/api/rooms/{}/history", other.code), viewer).await?,
        403,
        Some("invalid_token"),
    );
    Ok(())
}

#[tokio::test]
async fn the_insights_report_tells_what_happened_without_singling_anyone_out() -> anyhow::Result<()> {
    let s = scripted_event().await?;
    let (server, room) = (&s.event.server, &s.event.room);
    let response = server.get_with(&format!("/api/rooms/{}/report.html", room.code), &room.facilitator_key).await?;
    assert_eq!((response.status, response.header("content-type")), (200, Some("text/html; charset=utf-8")));
    // It quotes participants: the browser is told to run nothing and fetch nothing.
    let policy = response.header("content-security-policy").unwrap_or_default().to_owned();
    assert!(policy.starts_with("default-src 'none';") && !policy.contains("script"), "{policy}");
    let html = response.body;
    assert!(
        html.starts_with("<!DOCTYPE html>") || html.starts_with("<!doctype html>"),
        "{}",
        &html[..80.min(html.len())]
    );
    for expected in ["Event", "Hot spots", "Booking", "The waiting room", "Option A", "I will call back", "kindness"] {
        assert!(html.contains(expected), "the report does not mention {expected:?}");
    }
    // Two people took part: every count of people is suppressed below the default threshold of 8.
    assert!(html.contains("fewer than 8"));
    // A hidden (moderated) card's words and a withheld contact stay out; a name given by choice is in.
    assert!(!html.contains("lee@example.org"));
    assert!(html.contains("Dr Lee"));
    check(
        &server.get_with(&format!("/api/rooms/{}/report.html", room.code), &s.event.join(json!({})).await?).await?,
        403,
        Some("facilitator_only"),
    );

    // The command line writes the same report.
    let out = tempfile::tempdir()?;
    let file = out.path().join("report.html");
    let args = ["report", &room.code, "--out"];
    let output = touchpoint_tests::process::run_cli(&args, &file, server.data_dir()).await?;
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(std::fs::read_to_string(&file)?.contains("Hot spots"));
    Ok(())
}

#[tokio::test]
async fn a_programme_report_compares_its_rooms() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    for template in ["current-experience", "desired-experience"] {
        let body = json!({ "title": template, "template": template, "programme": "North locality" });
        server.create_room_with(&body).await?;
    }
    let path = "/api/programmes/North%20locality/report.html";
    let report = server.get_with(path, ADMIN_TOKEN).await?;
    assert_eq!(report.status, 200, "{}", report.body);
    assert!(report.body.contains("North locality"));
    check(
        &server.get_with("/api/programmes/Nowhere/report.html", ADMIN_TOKEN).await?,
        404,
        Some("programme_not_found"),
    );
    check(&server.get("/api/programmes/North%20locality/report.html").await?, 401, Some("missing_token"));
    Ok(())
}

#[tokio::test]
async fn a_paper_ballot_is_exported_with_its_perspective_and_no_participant() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let (server, room) = (&event.server, &event.room);
    let person = event.join(json!({ "perspective": "person" })).await?;
    event.open("options").await?;
    check(
        &event
            .participant(&person, json!({ "kind": "set_dots", "activity": "options", "option": "a", "dots": 1 }))
            .await?,
        200,
        None,
    );
    let paper = json!({ "kind": "add_paper_ballot", "activity": "options", "dots": { "b": 1, "c": 2 },
                        "scores": { "b": 4 }, "on_behalf_of": { "perspective": "carer" } });
    check(&event.facilitator(paper).await?, 200, None);

    let export =
        server.get_with(&format!("/api/rooms/{}/export.json", room.code), &room.facilitator_key).await?.json()?;
    let rows = |name: &str, assisted: bool| -> Vec<Value> {
        export[name].as_array().into_iter().flatten().filter(|row| row["assisted"] == assisted).cloned().collect()
    };
    let paper_dots = rows("dots", true);
    let placed: Vec<(&str, u64)> =
        paper_dots.iter().filter_map(|row| Some((row["option"].as_str()?, row["dots"].as_u64()?))).collect();
    assert_eq!(placed, [("b", 1), ("c", 2)]);
    for row in paper_dots.iter().chain(&rows("scores", true)) {
        assert_eq!(row["perspective"], "carer", "{row}");
        assert_eq!(row["participant"], Value::Null, "a paper ballot has no participant label: {row}");
        assert_eq!(row["paper_ballot"], "b1", "every row of one paper ballot shares its label: {row}");
    }
    assert_eq!(rows("scores", true).first().map(|row| row["score"].clone()), Some(json!(4)));
    let phone = rows("dots", false);
    assert_eq!(phone.len(), 1);
    assert_eq!((phone[0]["participant"].clone(), phone[0]["paper_ballot"].clone()), (json!("p1"), Value::Null));
    // The paper voter is not a participant: the export counts one, and the board too few to show.
    assert_eq!(export["participants"].as_array().map(Vec::len), Some(1));
    let watcher = server.connect(&room.code, &room.facilitator_key).await?;
    assert_eq!(root(&watcher.doc, "participation")["total"], "suppressed");

    let csv = server.get_with(&format!("/api/rooms/{}/export/dots.csv", room.code), ADMIN_TOKEN).await?.body;
    let mut lines = csv.lines();
    assert!(
        lines.next().is_some_and(|header| header.starts_with("\u{feff}activity,option,dots,paper_ballot,participant,"))
    );
    let paper_lines: Vec<&str> = lines.filter(|line| line.contains(",b1,")).collect();
    assert_eq!(paper_lines, ["options,b,1,b1,,carer,,,true,", "options,c,2,b1,,carer,,,true,"], "{csv}");
    Ok(())
}

#[tokio::test]
async fn event_feedback_reaches_the_export_the_csv_and_the_report_and_leaves_with_erase_me() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let (server, room) = (&event.server, &event.room);
    let person = event.join(json!({ "perspective": "person" })).await?;
    let staff = event.join(json!({ "perspective": "staff", "role": "gp" })).await?;
    event.open("feedback").await?;
    let answer = |rating: u8, worked: &str| json!({ "kind": "set_feedback", "activity": "feedback", "rating": rating, "worked": worked });
    let first = id_of(&event.participant(&person, answer(2, "first-thought-5b2e")).await?);
    // A second answer replaces the first, under the same id.
    let second = id_of(&event.participant(&person, json!({ "kind": "set_feedback", "activity": "feedback", "rating": 4, "worked": "feedback-worked-9a41", "change": "=more breaks" })).await?);
    assert_eq!(second, first);
    let kept = id_of(&event.participant(&staff, answer(5, "staff-worked-0c7d")).await?);
    let paper = json!({ "kind": "set_feedback", "activity": "feedback", "rating": 3, "on_behalf_of": { "perspective": "carer" } });
    let paper = id_of(&event.facilitator(paper).await?);

    let export = server.get_with(&format!("/api/rooms/{}/export.json", room.code), ADMIN_TOKEN).await?.json()?;
    assert_eq!(ids(&export["feedback"]), set(&[first.clone(), kept.clone(), paper.clone()]));
    let mine = export["feedback"].as_array().into_iter().flatten().find(|row| row["id"] == first.as_str());
    let mine = mine.cloned().unwrap_or_default();
    assert_eq!((mine["rating"].clone(), mine["worked"].clone()), (json!(4), json!("feedback-worked-9a41")));
    // Labels follow the ledger's order of ids, not the order of joining.
    assert!(mine["perspective"] == "person" && mine["participant"].is_string(), "{mine}");
    let from_paper = export["feedback"].as_array().into_iter().flatten().find(|row| row["id"] == paper.as_str());
    assert_eq!(
        from_paper.map(|row| (row["assisted"].clone(), row["participant"].clone())),
        Some((json!(true), Value::Null))
    );

    let csv = server.get_with(&format!("/api/rooms/{}/export/feedback.csv", room.code), ADMIN_TOKEN).await?;
    assert_eq!((csv.status, csv.header("content-type")), (200, Some("text/csv; charset=utf-8")));
    assert_eq!(csv_ids(&csv.body), set(&[first.clone(), kept.clone(), paper.clone()]));
    assert!(
        csv.body.starts_with("\u{feff}id,activity,rating,worked,change,hidden,status,late,at,at_utc,participant,"),
        "{}",
        csv.body
    );
    assert!(csv.body.contains(",'=more breaks,"), "a formula-like cell was not defused: {}", csv.body);
    assert!(!csv.body.contains("first-thought-5b2e"), "a replaced answer is still exported");

    let report = server.get_with(&format!("/api/rooms/{}/report.html", room.code), &room.facilitator_key).await?.body;
    for expected in
        ["Feedback on the event", "feedback-worked-9a41", "staff-worked-0c7d", "3 people rated the event 4.0 out of 5"]
    {
        assert!(report.contains(expected), "the report does not mention {expected:?}");
    }
    // One professional answered: their group's average is not shown.
    assert!(report.contains("not shown (fewer than 8 people)"));

    let erased = event.participant(&person, json!({ "kind": "erase_me" })).await?;
    check(&erased, 200, None);
    assert_eq!(erased.json()?["erased"], 1);
    let export = server.get_with(&format!("/api/rooms/{}/export.json", room.code), ADMIN_TOKEN).await?;
    assert_eq!(ids(&export.json()?["feedback"]), set(&[kept, paper]));
    assert!(!export.body.contains("feedback-worked-9a41"));
    assert!(!stored_anywhere(server.data_dir(), "feedback-worked-9a41")?, "erased feedback is still stored");
    Ok(())
}

#[tokio::test]
async fn csv_files_open_in_excel_with_welsh_urdu_and_emoji_and_iso_times() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let person = event.join(json!({ "perspective": "person" })).await?;
    event.open("ideas").await?;
    let words = "Ŵyr ac ŷd; دل سے شکریہ 🙂";
    let idea =
        id_of(&event.participant(&person, json!({ "kind": "add_idea", "activity": "ideas", "text": words })).await?);
    let path = format!("/api/rooms/{}/export/ideas.csv", event.room.code);
    let csv = event.server.get_with(&path, &event.room.facilitator_key).await?;
    // The bytes themselves: the UTF-8 byte order mark, then the words as UTF-8.
    let bytes = csv.body.as_bytes();
    assert_eq!(&bytes[..3], [0xEF, 0xBB, 0xBF], "no byte order mark");
    assert!(bytes.windows(words.len()).any(|w| w == words.as_bytes()), "{}", csv.body);
    let mut lines = csv.body.trim_start_matches('\u{feff}').lines();
    assert_eq!(
        lines.next(),
        Some(
            "id,activity,option,text,hidden,status,late,at,at_utc,participant,perspective,role,remote,assisted,segment_age"
        )
    );
    let row: Vec<&str> = lines.next().unwrap_or_default().split(',').collect();
    assert_eq!(row[0], idea);
    let at: i64 = row[7].parse()?;
    let (year, month, day) = touchpoint_core::calendar::civil_date(at);
    let rest = at.rem_euclid(86_400);
    let expected = format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:00Z", rest / 3600, rest % 3600 / 60);
    assert_eq!(row[8], expected);
    Ok(())
}

#[tokio::test]
async fn the_console_opens_the_report_with_a_short_lived_link() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let (server, room) = (&event.server, &event.room);
    let link = server.get_with(&format!("/api/rooms/{}/report-link", room.code), &room.facilitator_key).await?;
    assert_eq!((link.status, link.header("cache-control")), (200, Some("no-store")), "{}", link.body);
    let link = link.json()?;
    let url = link["url"].as_str().unwrap_or_default().to_owned();
    assert!(url.starts_with(&format!("/api/rooms/{}/report.html?ticket=", room.code)), "{url}");
    assert!(!url.contains(&room.facilitator_key), "the facilitator key is in the link");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
    let expires_at = link["expires_at"].as_u64().unwrap_or_default();
    assert!((now..=now + 61).contains(&expires_at), "{expires_at} is not within a minute of {now}");
    // The link opens the report with no header, as a browser follows it, and tells it to keep nothing.
    let report = server.get(&url).await?;
    assert_eq!(report.status, 200, "{}", report.body);
    assert!(report.body.contains("<title>"));
    assert_eq!(report.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(report.header("cache-control"), Some("no-store"));
    // A changed ticket, another room's, or none at all opens nothing.
    let (path, ticket) = url.split_once("?ticket=").unwrap_or_default();
    let (expiry, mac) = ticket.split_once('.').unwrap_or_default();
    let later = expiry.parse::<u64>()? + 3600;
    check(&server.get(&format!("{path}?ticket={later}.{mac}")).await?, 403, Some("invalid_ticket"));
    let other = server.create_room("Other").await?;
    let elsewhere = format!("/api/rooms/{}/report.html?ticket={ticket}", other.code);
    check(&server.get(&elsewhere).await?, 403, Some("invalid_ticket"));
    check(&server.get(path).await?, 401, Some("missing_token"));
    // Only those who may read the report may ask for a link.
    let participant = event.join(json!({})).await?;
    let asked = server.get_with(&format!("/api/rooms/{}/report-link", room.code), &participant).await?;
    check(&asked, 403, Some("facilitator_only"));
    Ok(())
}
