//! Pledge follow-ups through the real server: the programme team's list and CSV with their
//! contacts, statuses, the contact audit trail, and every way a contact is deleted (done or
//! declined, the pledger's withdrawal, the organiser's deletion, the retention period), each
//! proved gone from the data directory; and contacts in no other export, board, history or log.

use base64::Engine;
use serde_json::{Value, json};
use touchpoint_core::calendar::{iso_date, months_later};
use touchpoint_tests::event::{Event, check, id_of, keyed, root, template};
use touchpoint_tests::{HttpResponse, ProcessServer, TestServer};
use yrs::updates::decoder::Decode;
use yrs::{Doc, Map, Transact, Update, WriteTxn};

use crate::analysis::stored_anywhere;

/// An event with the pledge activity open and one participant in it.
async fn pledge_event() -> anyhow::Result<(Event, String)> {
    let event = Event::start().await?;
    event.open("pledges").await?;
    let person = event.join(json!({ "perspective": "person" })).await?;
    Ok((event, person))
}

/// A pledge with a contact for follow-up, `months` ahead (or the default); its id.
async fn pledge_with_contact(event: &Event, token: &str, contact: &str, months: Option<u32>) -> anyhow::Result<String> {
    let mut intent = json!({ "kind": "add_pledge", "activity": "pledges", "text": "I will ring my GP surgery",
                             "contact": contact, "contact_consent": true });
    if let Some(months) = months {
        intent["follow_up_months"] = json!(months);
    }
    let answer = event.participant(token, intent).await?;
    check(&answer, 200, None);
    Ok(id_of(&answer))
}

async fn list(event: &Event) -> anyhow::Result<Vec<Value>> {
    let path = format!("/api/rooms/{}/follow-ups", event.room.code);
    let answer = event.server.get_with(&path, &event.room.facilitator_key).await?;
    check(&answer, 200, None);
    Ok(answer.json()?["follow_ups"].as_array().cloned().unwrap_or_default())
}

async fn set_status(event: &Event, pledge: &str, status: &str) -> anyhow::Result<HttpResponse> {
    let path = format!("/api/rooms/{}/follow-ups/{pledge}", event.room.code);
    let auth = format!("Bearer {}", event.room.facilitator_key);
    event.server.post(&path, &[("Authorization", &auth)], Some(&json!({ "status": status }))).await
}

async fn audit(event: &Event) -> anyhow::Result<Vec<Value>> {
    let path = format!("/api/rooms/{}/contact-audit", event.room.code);
    let answer = event.server.get_with(&path, &event.room.facilitator_key).await?;
    check(&answer, 200, None);
    Ok(answer.json()?["audit"].as_array().cloned().unwrap_or_default())
}

/// The date a follow-up asked for today, `months` ahead, is due.
fn due_in(months: u32) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    iso_date(months_later(now as i64, months))
}

#[tokio::test]
async fn the_programme_team_lists_the_pledges_whose_authors_asked_with_contact_date_and_status() -> anyhow::Result<()> {
    let (event, person) = pledge_event().await?;
    let soon = pledge_with_contact(&event, &person, "soon@example.org", Some(1)).await?;
    let later = pledge_with_contact(&event, &person, "07700 900123", None).await?;
    let silent = json!({ "kind": "add_pledge", "activity": "pledges", "text": "No follow-up for me" });
    check(&event.participant(&person, silent).await?, 200, None);

    let follow_ups = list(&event).await?;
    assert_eq!(follow_ups.len(), 2, "{follow_ups:?}");
    // The nearest date first.
    assert_eq!(follow_ups[0]["id"], soon.as_str());
    assert_eq!(follow_ups[0]["contact"], "soon@example.org");
    assert_eq!(follow_ups[0]["text"], "I will ring my GP surgery");
    assert_eq!(follow_ups[0]["due"], due_in(1));
    assert_eq!(follow_ups[0]["status"], "to_do");
    assert_eq!(follow_ups[1]["id"], later.as_str());
    assert_eq!(follow_ups[1]["due"], due_in(3), "three months unless the pledger chose");

    for months in [0, 13] {
        let intent = json!({ "kind": "add_pledge", "activity": "pledges", "text": "Too far", "contact": "x@example.org",
                             "contact_consent": true, "follow_up_months": months });
        check(&event.participant(&person, intent).await?, 422, Some("invalid_follow_up_months"));
    }
    let path = format!("/api/rooms/{}/follow-ups", event.room.code);
    let answer = event.server.get_with(&path, &event.room.facilitator_key).await?.json()?;
    assert_eq!(answer["contact_retention_days"], 90, "the console says how long a contact is kept");
    check(&event.server.get_with(&path, &person).await?, 403, Some("facilitator_only"));
    check(&event.server.get(&path).await?, 401, Some("missing_token"));

    let csv = event.server.get_with(&format!("{path}.csv"), &event.room.facilitator_key).await?;
    check(&csv, 200, None);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(csv.header("cache-control"), Some("no-store"));
    let lines: Vec<&str> = csv.body.strip_prefix('\u{feff}').unwrap_or_default().split("\r\n").collect();
    assert_eq!(lines[0], "id,pledge,name,organisation,contact,due,status");
    assert_eq!(lines[1], format!("{soon},I will ring my GP surgery,,,soon@example.org,{},to_do", due_in(1)));
    assert_eq!(lines.len(), 4, "a header, two rows and the last line end: {lines:?}");
    Ok(())
}

#[tokio::test]
async fn done_or_declined_deletes_the_contact_from_the_data_directory_and_keeps_the_record() -> anyhow::Result<()> {
    let (event, person) = pledge_event().await?;
    let done = pledge_with_contact(&event, &person, "done-7f3a@example.org", None).await?;
    let declined = pledge_with_contact(&event, &person, "declined-91bc@example.org", None).await?;
    let kept = pledge_with_contact(&event, &person, "kept-5d20@example.org", None).await?;

    let contacted = set_status(&event, &done, "contacted").await?;
    check(&contacted, 200, None);
    assert_eq!(contacted.json()?, json!({ "id": done, "status": "contacted", "contact_deleted": false }));
    assert!(stored_anywhere(event.server.data_dir(), "done-7f3a@example.org")?, "contacted keeps the contact");

    assert_eq!(set_status(&event, &done, "done").await?.json()?["contact_deleted"], true);
    assert_eq!(set_status(&event, &declined, "declined").await?.json()?["contact_deleted"], true);

    let follow_ups = list(&event).await?;
    let by_id = |id: &str| follow_ups.iter().find(|f| f["id"] == id).cloned().unwrap_or_default();
    assert_eq!((by_id(&done)["status"].clone(), by_id(&done)["contact"].clone()), (json!("done"), Value::Null));
    assert_eq!(by_id(&declined)["contact"], Value::Null);
    assert_eq!(by_id(&kept)["contact"], "kept-5d20@example.org");
    for gone in ["done-7f3a@example.org", "declined-91bc@example.org"] {
        assert!(!stored_anywhere(event.server.data_dir(), gone)?, "{gone} is still in the data directory");
    }
    assert!(stored_anywhere(event.server.data_dir(), "kept-5d20@example.org")?, "another pledger's contact went too");

    check(&set_status(&event, "no-such-pledge", "done").await?, 404, Some("no_follow_up"));
    check(&set_status(&event, &kept, "to_do").await?, 400, Some("invalid_json"));
    check(&set_status(&event, &kept, "lost").await?, 400, Some("invalid_json"));
    let auth = format!("Bearer {person}");
    let path = format!("/api/rooms/{}/follow-ups/{kept}", event.room.code);
    let by_participant =
        event.server.post(&path, &[("Authorization", &auth)], Some(&json!({ "status": "done" }))).await?;
    check(&by_participant, 403, Some("facilitator_only"));

    // The room reloads from what is stored with the deletions in place.
    let code = event.room.code.clone();
    let key = event.room.facilitator_key.clone();
    let server = event.server.restart().await?;
    let follow_ups = server.get_with(&format!("/api/rooms/{code}/follow-ups"), &key).await?.json()?;
    let mut contacts: Vec<String> =
        follow_ups["follow_ups"].as_array().into_iter().flatten().map(|f| f["contact"].to_string()).collect();
    contacts.sort();
    assert_eq!(contacts, ["\"kept-5d20@example.org\"", "null", "null"]);
    Ok(())
}

#[tokio::test]
async fn every_read_and_deletion_of_contacts_is_in_the_audit_trail_and_no_contact_is() -> anyhow::Result<()> {
    let (event, person) = pledge_event().await?;
    let first = pledge_with_contact(&event, &person, "audit-one@example.org", None).await?;
    pledge_with_contact(&event, &person, "audit-two@example.org", None).await?;
    assert!(audit(&event).await?.is_empty(), "nobody has read a contact yet");

    list(&event).await?;
    let csv = format!("/api/rooms/{}/follow-ups.csv", event.room.code);
    check(&event.server.get_with(&csv, &event.room.facilitator_key).await?, 200, None);
    check(&set_status(&event, &first, "done").await?, 200, None);

    let trail = audit(&event).await?;
    let entries: Vec<(Value, Value, Value)> =
        trail.iter().map(|e| (e["action"].clone(), e["by"].clone(), e["contacts"].clone())).collect();
    assert_eq!(
        entries,
        [
            (json!("listed"), json!("facilitator"), json!(2)),
            (json!("exported"), json!("facilitator"), json!(2)),
            (json!("closed"), json!("facilitator"), json!(1)),
        ]
    );
    assert!(trail.iter().all(|entry| entry["at"].as_u64().is_some_and(|at| at > 1_700_000_000)));
    assert!(!serde_json::to_string(&trail)?.contains("example.org"), "the trail holds a contact");
    let path = format!("/api/rooms/{}/contact-audit", event.room.code);
    check(&event.server.get_with(&path, &person).await?, 403, Some("facilitator_only"));
    Ok(())
}

#[tokio::test]
async fn the_pledger_sees_the_follow_up_pending_and_withdraws_it_from_every_stored_copy() -> anyhow::Result<()> {
    let (event, person) = pledge_event().await?;
    let pledge = pledge_with_contact(&event, &person, "withdraw-4e1c@example.org", Some(6)).await?;
    let me = format!("/api/rooms/{}/me", event.room.code);
    let mine = event.server.get_with(&me, &person).await?.json()?;
    let own = &mine["contributions"][0];
    assert_eq!((own["id"].as_str(), own["contact"].as_bool()), (Some(pledge.as_str()), Some(true)));
    assert_eq!(own["follow_up"], json!({ "due": due_in(6), "status": "to_do" }));
    assert!(!mine.to_string().contains("withdraw-4e1c"), "the phone is never sent the contact back");

    let withdrawn = event.participant(&person, json!({ "kind": "erase_contact", "id": pledge })).await?;
    check(&withdrawn, 200, None);
    assert_eq!(withdrawn.json()?, json!({ "id": pledge, "erased": true }));
    let mine = event.server.get_with(&me, &person).await?.json()?;
    assert_eq!(mine["contributions"][0]["contact"], false);
    assert!(mine["contributions"][0].get("follow_up").is_none(), "{mine}");
    assert!(list(&event).await?.is_empty(), "a withdrawn follow-up is not the programme team's to act on");
    assert!(!stored_anywhere(event.server.data_dir(), "withdraw-4e1c@example.org")?);
    let trail = audit(&event).await?;
    assert_eq!(trail[0]["action"], "withdrawn");
    assert_eq!(trail[0]["by"], "participant");

    // Withdrawing the pledge, or erasing oneself, takes the follow-up and its contact too.
    let other = pledge_with_contact(&event, &person, "with-pledge-0b7d@example.org", None).await?;
    check(&event.participant(&person, json!({ "kind": "withdraw", "id": other })).await?, 200, None);
    pledge_with_contact(&event, &person, "erased-c2a8@example.org", None).await?;
    check(&event.participant(&person, json!({ "kind": "erase_me" })).await?, 200, None);
    assert!(list(&event).await?.is_empty());
    for gone in ["with-pledge-0b7d@example.org", "erased-c2a8@example.org"] {
        assert!(!stored_anywhere(event.server.data_dir(), gone)?, "{gone} is still stored");
    }
    Ok(())
}

#[tokio::test]
async fn the_organiser_deletes_a_follow_up_and_its_contact() -> anyhow::Result<()> {
    let (event, person) = pledge_event().await?;
    let pledge = pledge_with_contact(&event, &person, "organiser-6a90@example.org", None).await?;
    let path = format!("/api/rooms/{}/follow-ups/{pledge}", event.room.code);
    check(&event.server.delete(&path, &person).await?, 403, Some("facilitator_only"));
    let deleted = event.server.delete(&path, &event.room.facilitator_key).await?;
    check(&deleted, 200, None);
    assert_eq!(deleted.json()?, json!({ "id": pledge, "deleted": true }));
    assert!(list(&event).await?.is_empty());
    assert!(!stored_anywhere(event.server.data_dir(), "organiser-6a90@example.org")?);
    check(&event.server.delete(&path, &event.room.facilitator_key).await?, 404, Some("no_follow_up"));
    let mine = event.server.get_with(&format!("/api/rooms/{}/me", event.room.code), &person).await?.json()?;
    assert_eq!(mine["contributions"][0]["contact"], false, "the phone no longer offers to delete it");
    let trail = audit(&event).await?;
    assert_eq!((trail[0]["action"].clone(), trail[0]["contacts"].clone()), (json!("deleted"), json!(1)));
    Ok(())
}

#[tokio::test]
async fn a_contact_is_deleted_the_retention_period_after_its_date_even_in_a_room_nobody_opens() -> anyhow::Result<()> {
    let event = Event::start_with(|config| config.contact_retention_days = 90).await?;
    event.open("pledges").await?;
    let person = event.join(json!({})).await?;
    let old = pledge_with_contact(&event, &person, "expired-8c4f@example.org", Some(1)).await?;
    let recent = pledge_with_contact(&event, &person, "recent-2b6e@example.org", Some(1)).await?;
    let (code, key) = (event.room.code.clone(), event.room.facilitator_key.clone());
    let mut server = event.server;
    server.shutdown().await?;

    let db = rusqlite::Connection::open(server.data_dir().join("touchpoint.db"))?;
    let stored_expiry: i64 =
        db.query_row("SELECT due_at FROM contact_expiry WHERE room = ?1", [&code], |r| r.get(0))?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as i64;
    assert_eq!(iso_date(stored_expiry), iso_date(months_later(now, 1) + 90 * 86_400));
    // As if the pledge had been made months ago: its date is 91 days past.
    let long_ago = (now / 86_400 - 91) * 86_400;
    move_follow_up_date(&db, &code, &old, long_ago)?;
    db.execute(
        "UPDATE contact_expiry SET due_at = ?1 WHERE room = ?2",
        rusqlite::params![long_ago + 90 * 86_400, code],
    )?;
    drop(db);

    // The sweep runs at start: nobody opens the room.
    let server = server.restart().await?;
    let db_path = server.data_dir().join("touchpoint.db");
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while stored_anywhere(server.data_dir(), "expired-8c4f@example.org")? {
        anyhow::ensure!(tokio::time::Instant::now() < deadline, "the expired contact was not deleted");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(stored_anywhere(server.data_dir(), "recent-2b6e@example.org")?, "a contact not yet due went too");
    let next: i64 = rusqlite::Connection::open(&db_path)?.query_row(
        "SELECT due_at FROM contact_expiry WHERE room = ?1",
        [&code],
        |r| r.get(0),
    )?;
    assert!(next > now, "the room's next deletion moved on to the remaining contact");

    let follow_ups = server.get_with(&format!("/api/rooms/{code}/follow-ups"), &key).await?.json()?;
    let by_id = |id: &str| follow_ups["follow_ups"].as_array().into_iter().flatten().find(|f| f["id"] == id).cloned();
    assert_eq!(by_id(&old).map(|f| f["contact"].clone()), Some(Value::Null));
    assert_eq!(by_id(&recent).map(|f| f["contact"].clone()), Some(json!("recent-2b6e@example.org")));
    let trail = server.get_with(&format!("/api/rooms/{code}/contact-audit"), &key).await?.json()?;
    assert_eq!(trail["audit"][0]["action"], "expired");
    assert_eq!(trail["audit"][0]["by"], "retention");
    Ok(())
}

/// Rewrites a follow-up's date in a stopped server's ledger, as a stored update of its own.
fn move_follow_up_date(db: &rusqlite::Connection, code: &str, pledge: &str, due: i64) -> anyhow::Result<()> {
    let ledger = Doc::new();
    let mut rows: Vec<Vec<u8>> = db
        .query_row("SELECT state FROM snapshots WHERE room = ?1 AND doc = 1", [code], |r| r.get(0))
        .into_iter()
        .collect();
    let mut updates = db.prepare("SELECT data FROM updates WHERE room = ?1 AND doc = 1 ORDER BY seq")?;
    for data in updates.query_map([code], |r| r.get::<_, Vec<u8>>(0))? {
        rows.push(data?);
    }
    for row in rows {
        ledger.transact_mut().apply_update(Update::decode_v1(&row)?)?;
    }
    let update = {
        let mut txn = ledger.transact_mut();
        let follow_ups = txn.get_or_insert_map("follow_ups");
        let record: yrs::Any = serde_json::from_value(json!({ "due": due, "status": "to_do" }))?;
        follow_ups.insert(&mut txn, pledge, record);
        txn.encode_update_v1()
    };
    db.execute(
        "INSERT INTO updates (room, doc, data, at, crc) VALUES (?1, 1, ?2, 0, ?3)",
        rusqlite::params![code, update, i64::from(crc32fast::hash(&update))],
    )?;
    Ok(())
}

#[tokio::test]
async fn contacts_reach_no_board_export_report_history_or_snapshot() -> anyhow::Result<()> {
    let (event, person) = pledge_event().await?;
    let mut watcher = event.watch().await?;
    let contact = "nowhere-else-3f8e@example.org";
    let pledge = pledge_with_contact(&event, &person, contact, None).await?;
    check(&event.facilitator(json!({ "kind": "lock_activity", "activity": "pledges" })).await?, 200, None);
    watcher.receive_until(|doc| root(doc, "pledges").get(&pledge).is_some()).await?;

    let mut board = String::new();
    for name in ["room", "activities", "pledges", "participation", "snapshots"] {
        board.push_str(&root(&watcher.doc, name).to_string());
    }
    assert!(board.contains("I will ring"), "the pledge itself is on the board");
    assert!(!board.contains(contact), "the board holds the contact");

    let (code, key) = (&event.room.code, &event.room.facilitator_key);
    let server: &TestServer = &event.server;
    let mut readings = Vec::new();
    for path in ["export.json", "report.html", "history", "snapshots/Pledges%20(locked)"] {
        let answer = server.get_with(&format!("/api/rooms/{code}/{path}"), key).await?;
        check(&answer, 200, None);
        readings.push((path.to_owned(), answer.body));
    }
    let files =
        ["participants", "cards", "dots", "scores", "path_notes", "ideas", "pledges", "touchstones", "feedback"];
    for file in files.map(|name| format!("{name}.csv")) {
        let answer = server.get_with(&format!("/api/rooms/{code}/export/{file}"), key).await?;
        check(&answer, 200, None);
        readings.push((file, answer.body));
    }
    let history: Value = serde_json::from_str(&readings[2].1)?;
    for step in history["updates"].as_array().into_iter().flatten() {
        let update = base64::engine::general_purpose::STANDARD.decode(step["update"].as_str().unwrap_or_default())?;
        readings.push(("a step of the history".to_owned(), String::from_utf8_lossy(&update).into_owned()));
    }
    assert!(readings[0].1.contains("I will ring"), "the export has the pledge");
    for (what, body) in &readings {
        assert!(!body.contains(contact), "{what} holds the contact");
    }
    Ok(())
}

#[tokio::test]
async fn the_real_binary_logs_no_contact_even_at_debug_level() -> anyhow::Result<()> {
    let server = ProcessServer::start_with_env(&[("RUST_LOG", "touchpoint=debug")]).await?;
    let room = server.create_room_with(&json!({ "title": "Logged", "template_definition": template() })).await?;
    let auth = format!("Bearer {}", room.facilitator_key);
    let open = keyed(json!({ "kind": "open_activity", "activity": "pledges" }));
    check(&server.intent(&room.code, &room.facilitator_key, &open).await?, 200, None);
    let person = server.participant_token(&room.code).await?;
    let contact = "logged-9e2d@example.org";
    let pledge = keyed(json!({ "kind": "add_pledge", "activity": "pledges", "text": "I will ring my GP surgery",
                                "contact": contact, "contact_consent": true }));
    let pledge = id_of(&server.intent(&room.code, &person, &pledge).await?);
    let base = format!("/api/rooms/{}/follow-ups", room.code);
    for path in [base.clone(), format!("{base}.csv")] {
        let answer = server.get_with(&path, &room.facilitator_key).await?;
        check(&answer, 200, None);
        assert!(answer.body.contains(contact), "{path} gives the contact to the facilitator key");
    }
    let done = server
        .post(&format!("{base}/{pledge}"), &[("Authorization", &auth)], Some(&json!({ "status": "done" })))
        .await?;
    check(&done, 200, None);
    assert!(!server.logged("pledge contacts were deleted").is_empty(), "the deletion is logged, without the contact");
    assert_eq!(server.logged("example.org"), Vec::<String>::new());
    Ok(())
}
