//! A board in the wrong shape: a facilitator's client that writes one is refused, and a board
//! damaged some other way (an old stored room) answers 409 `board_damaged`, never a 500.

use rusqlite::{Connection, params};
use serde_json::{Value, json};
use touchpoint_tests::event::{Event, check, root};
use touchpoint_tests::{TestServer, YClient, node};
use yrs::{Any, Map, Out, ReadTxn, Transact, TransactionMut, WriteTxn};

/// The intents of one participant on each kind of activity the damages touch: a card, dots, an idea.
fn intents() -> [(&'static str, Value); 3] {
    [
        ("map", json!({ "kind": "add_card", "activity": "map", "touchpoint": "booking", "emotion": "hopeful" })),
        ("options", json!({ "kind": "set_dots", "activity": "options", "option": "a", "dots": 1 })),
        ("ideas", json!({ "kind": "add_idea", "activity": "ideas", "text": "More chairs" })),
    ]
}

async fn open_all(event: &Event) -> anyhow::Result<()> {
    for activity in ["map", "options", "ideas"] {
        event.open(activity).await?;
    }
    Ok(())
}

async fn join_status(server: &TestServer, code: &str, profile: Value) -> anyhow::Result<(u16, Option<String>)> {
    let path = format!("/api/rooms/{code}/participants");
    let response = server.post(&path, &[], Some(&json!({ "profile": profile }))).await?;
    Ok((response.status, response.error_code()))
}

#[tokio::test]
async fn a_stock_client_writing_the_board_in_the_wrong_shape_is_refused() -> anyhow::Result<()> {
    let event = Event::start().await?;
    open_all(&event).await?;
    let (code, key) = (&event.room.code, &event.room.facilitator_key);

    let output = node::run_script(
        "board-shape.mjs",
        &["--url", &event.server.base_url(), "--room", code, &format!("--key={key}")],
    )
    .await?;
    assert_eq!(output.lines().filter(|line| line.ends_with("is refused")).count(), 7, "{output}");
    assert!(output.contains("ok - a write in the right shape goes through"), "{output}");
    assert_eq!(event.server.metric("touchpoint_messages_rejected_total", r#"reason="breaks_layout""#).await?, 7.0);

    // None of it was stored or relayed: a newcomer's board has the layout, and the room works.
    let mut watcher = event.watch().await?;
    watcher.handshake().await?;
    let room = root(&watcher.doc, "room");
    assert!(room["perspectives"].is_array() && room["current"].is_null(), "{room}");
    assert_eq!(room["title"], "Renamed by a stock client");
    let activities = root(&watcher.doc, "activities");
    assert_eq!((&activities["map"]["state"], activities["map"]["touchpoints"].is_array()), (&json!("open"), true));
    assert!(activities["options"]["options"][0]["id"].is_string() && activities["ideas"].is_object());
    assert!(root(&watcher.doc, "cards").get("c-bad").is_none());

    let person = event.join(json!({ "perspective": "person" })).await?;
    for (activity, intent) in intents() {
        let answer = event.participant(&person, intent).await?;
        assert_eq!(answer.status, 200, "{activity}: {}", answer.body);
    }
    check(&event.facilitator(json!({ "kind": "open_activity", "activity": "path" })).await?, 200, None);
    Ok(())
}

#[tokio::test]
async fn a_board_damaged_in_the_store_answers_409_where_it_is_damaged_and_works_elsewhere() -> anyhow::Result<()> {
    let mut event = Event::start().await?;
    open_all(&event).await?;
    let person = event.join(json!({ "perspective": "person" })).await?;
    let card = event.participant(&person, intents()[0].1.clone()).await?;
    check(&card, 200, None);

    // A change no server would take now, as an older one did: written into the room's log.
    let mut watcher = event.watch().await?;
    watcher.handshake().await?;
    let damage = {
        let before = watcher.doc.transact().state_vector();
        let mut txn = watcher.doc.transact_mut();
        txn.get_or_insert_map("room").insert(&mut txn, "perspectives", "nonsense");
        in_activity(&mut txn, "map", "touchpoints", Any::from("x"));
        in_activity(&mut txn, "options", "options", Any::from(vec![Any::from(1), Any::from(2)]));
        txn.encode_state_as_update_v1(&before)
    };
    drop(watcher);
    event.server.shutdown().await?;
    let db = event.server.data_dir().join("touchpoint.db");
    Connection::open(&db)?.execute(
        "INSERT INTO updates (room, doc, data, at, crc) VALUES (?1, 0, ?2, 0, ?3)",
        params![event.room.code, damage, i64::from(crc32fast::hash(&damage))],
    )?;
    event.server = event.server.restart().await?;
    let code = event.room.code.clone();

    // Where the board is damaged, a clear refusal naming the place; elsewhere, the room works.
    let expected = [("map", "touchpoints"), ("options", "options")];
    for ((activity, intent), (_, key)) in intents().into_iter().zip(expected) {
        let answer = event.participant(&person, intent).await?;
        check(&answer, 409, Some("board_damaged"));
        let message = answer.json()?["error"]["message"].as_str().unwrap_or_default().to_owned();
        assert!(message.contains(&format!("activities.{activity}.{key}")), "{message}");
    }
    check(&event.participant(&person, intents()[2].1.clone()).await?, 200, None);
    let results = format!("/api/rooms/{code}/activities/options/results");
    let results = event.server.get_with(&results, &event.room.facilitator_key).await?;
    assert_ne!(results.status, 500, "{}", results.body);
    let me = event.server.get_with(&format!("/api/rooms/{code}/me"), &person).await?;
    assert_eq!(me.status, 200, "{}", me.body);
    // A join that gives no perspective needs no list of them; one that gives one is told why not.
    assert_eq!(join_status(&event.server, &code, json!({})).await?, (201, None));
    let refused = join_status(&event.server, &code, json!({ "perspective": "person" })).await?;
    assert_eq!(refused, (409, Some("board_damaged".to_owned())));
    check(&event.participant(&person, json!({ "kind": "erase_me" })).await?, 200, None);

    // The facilitator's client may mend it: a write that removes a fault is no new fault.
    let mut watcher = event.watch().await?;
    watcher.handshake().await?;
    let mut facilitator = YClient::connect(&event.server.sync_url(&code, &event.room.facilitator_key)).await?;
    facilitator.handshake().await?;
    facilitator
        .edit(|txn| {
            let perspectives = json!([{ "id": "person", "label": "Person using services", "group": "people" }]);
            let perspectives: Any = serde_json::from_value(perspectives).unwrap_or(Any::Null);
            txn.get_or_insert_map("room").insert(txn, "perspectives", perspectives);
        })
        .await?;
    watcher.receive_until(|doc| root(doc, "room")["perspectives"].is_array()).await?;
    assert_eq!(join_status(&event.server, &code, json!({ "perspective": "person" })).await?, (201, None));
    Ok(())
}

fn in_activity(txn: &mut TransactionMut<'_>, id: &str, key: &str, value: Any) {
    let activities = txn.get_or_insert_map("activities");
    if let Some(Out::YMap(map)) = activities.get(txn, id) {
        map.insert(txn, key, value);
    }
}
