//! Hostile input: every malformed, oversized or abusive message ends its own
//! connection with the right close code and reason, and the server carries on.

use tokio_tungstenite::tungstenite::Message;
use touchpoint_core::lib0::write_var_uint;
use touchpoint_core::protocol::{encode_awareness, encode_sync_step1, encode_update};
use touchpoint_tests::{Api, TestServer, YClient};
use yrs::{GetString, Text, Transact};

/// An update whose single item holds `depth` nested arrays: crafted to exhaust a recursive decoder.
fn deeply_nested_update(depth: usize) -> Vec<u8> {
    // One client, one struct: client 1, clock 0, an Any item in the root type "m".
    let mut update = vec![1, 1, 1, 0, 8, 1, 1, b'm', 1];
    update.extend(std::iter::repeat_n([117u8, 1], depth).flatten());
    update.extend([126, 0]);
    update
}

/// Checks that `frame`, sent by a facilitator, closes the connection with `code`.
async fn check(server: &TestServer, frame: Message, code: u16, reason: &str) -> anyhow::Result<()> {
    let room = server.create_room("Room").await?;
    let mut client = server.connect(&room.code, &room.facilitator_key).await?;
    client.send_message(frame.clone()).await?;
    let closed = client.expect_close().await?;
    assert_eq!(closed, (code, reason.to_owned()), "for {frame:?}");
    Ok(())
}

/// The server still serves: a fresh room syncs and relays.
async fn still_healthy(api: &Api) -> anyhow::Result<()> {
    assert_eq!(api.get("/healthz").await?.status, 200);
    let room = api.create_room("After").await?;
    let mut facilitator = api.connect(&room.code, &room.facilitator_key).await?;
    let mut participant = api.connect(&room.code, &api.participant_token(&room.code).await?).await?;
    let notes = facilitator.doc.get_or_insert_text("notes");
    facilitator.edit(|txn| notes.push(txn, "fine")).await?;
    let seen = participant.doc.get_or_insert_text("notes");
    participant.receive_until(|doc| seen.get_string(&doc.transact()) == "fine").await
}

#[tokio::test]
async fn malformed_messages_close_their_connection_with_a_reason() -> anyhow::Result<()> {
    let server = TestServer::start_with(|config| config.limits.max_message_bytes = 256 << 10).await?;
    let mut length_bomb = vec![0, 2];
    write_var_uint(&mut length_bomb, 1 << 40);
    let mut client_count_bomb = vec![];
    write_var_uint(&mut client_count_bomb, u64::from(u32::MAX));
    let mut state_vector_bomb = vec![];
    write_var_uint(&mut state_vector_bomb, u64::from(u32::MAX));
    let cases: Vec<(Message, u16, &str)> = vec![
        (Message::Text("hello".into()), 1003, "binary frames only"),
        (Message::Binary(vec![0xff, 0xff, 0xff].into()), 1007, "malformed y-protocols message"),
        (Message::Binary(vec![7].into()), 1007, "malformed y-protocols message"),
        (Message::Binary(vec![2, 0, 0].into()), 1007, "malformed y-protocols message"),
        (Message::Binary(vec![0, 9, 0].into()), 1007, "malformed y-protocols message"),
        (Message::Binary(vec![0, 2, 5, 1].into()), 1007, "malformed y-protocols message"),
        (Message::Binary(vec![3, 3].into()), 1007, "malformed y-protocols message"),
        (Message::Binary(length_bomb.into()), 1007, "malformed y-protocols message"),
        (Message::Binary(encode_sync_step1(&state_vector_bomb).into()), 1007, "malformed y-protocols message"),
        (Message::Binary(encode_update(&client_count_bomb).into()), 1007, "invalid document update"),
        (Message::Binary(encode_update(&[1, 1, 1, 0, 8]).into()), 1007, "invalid document update"),
        (Message::Binary(encode_update(&deeply_nested_update(100_000)).into()), 1007, "invalid document update"),
        (Message::Binary(encode_update(&[0, 0, 9]).into()), 1007, "invalid document update"),
        (Message::Binary(encode_awareness(&[1, 1, 1, 3, b'{', b'x', b'}']).into()), 1007, "invalid awareness update"),
        (Message::Binary(encode_awareness(&[9, 9]).into()), 1007, "invalid awareness update"),
        (Message::Binary(vec![0u8; 300 << 10].into()), 1009, "message too big"),
    ];
    for (frame, code, reason) in cases {
        check(&server, frame, code, reason).await?;
    }
    still_healthy(&server).await
}

#[tokio::test]
async fn oversized_awareness_is_refused() -> anyhow::Result<()> {
    let server = TestServer::start_with(|config| config.limits.max_awareness_bytes = 64).await?;
    let state = format!(r#"{{"name":"{}"}}"#, "x".repeat(100));
    let mut update = vec![1, 5, 1];
    write_var_uint(&mut update, state.len() as u64);
    update.extend(state.as_bytes());
    check(&server, Message::Binary(encode_awareness(&update).into()), 1007, "invalid awareness update").await?;
    still_healthy(&server).await
}

#[tokio::test]
async fn a_flood_of_messages_is_cut_off() -> anyhow::Result<()> {
    let server = TestServer::start_with(|config| config.limits.max_messages_per_sec = 10).await?;
    let room = server.create_room("Room").await?;
    let token = server.participant_token(&room.code).await?;
    let mut client = server.connect(&room.code, &token).await?;
    for _ in 0..200 {
        if client.send_raw(vec![3u8]).await.is_err() {
            break;
        }
    }
    assert_eq!(client.expect_close().await?, (1008, "rate limit exceeded".to_owned()));
    assert!(server.metric("touchpoint_messages_rejected_total", "reason=\"rate_limited\"").await? >= 1.0);
    still_healthy(&server).await
}

#[tokio::test]
async fn upgrades_without_the_right_credentials_or_origin_are_refused() -> anyhow::Result<()> {
    let server =
        TestServer::start_with(|config| config.allowed_origins = vec!["https://allowed.example".to_owned()]).await?;
    let room = server.create_room("Room").await?;
    let other = server.create_room("Other").await?;
    let addr = server.addr;
    let cases = [
        (format!("ws://{addr}/sync/{}", room.code), 401),
        (format!("ws://{addr}/sync/{}?token=", room.code), 401),
        (format!("ws://{addr}/sync/{}?token=forged", room.code), 403),
        (format!("ws://{addr}/sync/{}?token={}", room.code, other.facilitator_key), 403),
        (format!("ws://{addr}/sync/ABCDEFGHJK?token={}", room.facilitator_key), 403),
        (format!("ws://{addr}/sync/no?token={}", room.facilitator_key), 400),
    ];
    for (url, status) in cases {
        assert_eq!(YClient::refused_status(&url).await?, status, "{url}");
    }
    let url = server.sync_url(&room.code, &room.facilitator_key);
    for (origin, status) in
        [("https://evil.example", Some(403)), ("https://allowed.example", None), (&server.base_url()[..], None)]
    {
        let mut request = tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url.as_str())?;
        request.headers_mut().insert("Origin", origin.parse()?);
        match (tokio_tungstenite::connect_async(request).await, status) {
            (Err(tokio_tungstenite::tungstenite::Error::Http(response)), Some(status)) => {
                assert_eq!(response.status().as_u16(), status, "{origin}")
            }
            (Ok(_), None) => {}
            (other, _) => anyhow::bail!("origin {origin}: unexpected {:?}", other.map(|_| ())),
        }
    }
    still_healthy(&server).await
}

#[tokio::test]
async fn state_changing_requests_a_cross_site_form_could_send_are_refused() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let room = server.create_room("Room").await?;
    let join = format!("/api/rooms/{}/participants", room.code);
    for form in ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"] {
        let response =
            touchpoint_tests::http::request(server.addr, "POST", &join, &[("Content-Type", form)], None).await?;
        assert_eq!(
            (response.status, response.error_code().as_deref()),
            (415, Some("unsupported_media_type")),
            "{form}"
        );
    }
    // A real client's join, with a JSON body or none, still works.
    assert!(server.participant_token(&room.code).await?.contains('.'));
    assert!(server.join(&room.code, &serde_json::json!({})).await?.contains('.'));
    Ok(())
}

#[tokio::test]
async fn guessing_room_codes_never_stops_people_joining_a_real_room() -> anyhow::Result<()> {
    let server = TestServer::start_with(|config| {
        config.limits.max_joins_per_sec = 1;
        config.limits.max_joins_per_room_per_sec = 1;
    })
    .await?;
    let room = server.create_room("Room").await?;
    // Guessing empties the server-wide allowance for codes that name no room...
    let mut guesses = Vec::new();
    for _ in 0..110 {
        guesses.push(server.post("/api/rooms/ABCDEFGHJK/participants", &[], None).await?.status);
    }
    assert!(guesses.contains(&429), "guessing is not slowed: {guesses:?}");
    // ...while the real room still takes its own burst of joins, and then its own limit applies.
    let mut joins = Vec::new();
    for _ in 0..110 {
        joins.push(server.post(&format!("/api/rooms/{}/participants", room.code), &[], None).await?.status);
    }
    assert!(joins[..100].iter().all(|status| *status == 201), "{joins:?}");
    assert!(joins[100..].contains(&429), "no limit per room: {joins:?}");
    Ok(())
}

#[tokio::test]
async fn a_room_takes_only_so_many_contributions_a_minute_from_all_its_participants() -> anyhow::Result<()> {
    let event = touchpoint_tests::event::Event::start_with(|config| {
        config.limits.max_contributions_per_room_per_min = 30;
    })
    .await?;
    event.open("map").await?;
    let card =
        serde_json::json!({ "kind": "add_card", "activity": "map", "touchpoint": "booking", "emotion": "hopeful" });
    // Ten fresh participants, each well within their own rate, together past the room's minute.
    let mut answers = Vec::new();
    for _ in 0..10 {
        let token = event.join(serde_json::json!({ "perspective": "person" })).await?;
        for _ in 0..4 {
            answers.push(event.participant(&token, card.clone()).await?);
        }
    }
    let n_accepted = answers.iter().filter(|answer| answer.status == 200).count();
    assert!((30..=32).contains(&n_accepted), "{n_accepted} of 40 accepted");
    let busy = answers.iter().find(|answer| answer.status != 200).expect("some were refused");
    assert_eq!((busy.status, busy.error_code().as_deref()), (429, Some("room_busy")), "{}", busy.body);
    assert_eq!(busy.header("retry-after"), Some("2"));
    // The facilitators typing up paper cards are not starved by the hall.
    let mut paper = card.clone();
    paper["on_behalf_of"] = serde_json::json!({ "perspective": "carer" });
    touchpoint_tests::event::check(&event.facilitator(paper).await?, 200, None);
    Ok(())
}

/// Every use of an erased participant's token is refused: intents, their own view, the socket.
async fn token_refused(event: &touchpoint_tests::event::Event, token: &str) -> anyhow::Result<()> {
    use touchpoint_tests::event::check;
    let (server, code) = (&event.server, &event.room.code);
    let card =
        serde_json::json!({ "kind": "add_card", "activity": "map", "touchpoint": "booking", "emotion": "hopeful" });
    check(&event.participant(token, card).await?, 401, Some("participant_erased"));
    check(&server.get_with(&format!("/api/rooms/{code}/me"), token).await?, 401, Some("participant_erased"));
    assert_eq!(YClient::refused_status(&server.sync_url(code, token)).await?, 401);
    Ok(())
}

#[tokio::test]
async fn a_token_stops_working_once_its_participant_erased_themselves() -> anyhow::Result<()> {
    use touchpoint_tests::event::{Event, check};
    let event = Event::start().await?;
    event.open("map").await?;
    let card =
        serde_json::json!({ "kind": "add_card", "activity": "map", "touchpoint": "booking", "emotion": "hopeful" });
    let person = event.join(serde_json::json!({ "perspective": "person" })).await?;
    check(&event.participant(&person, card.clone()).await?, 200, None);
    check(&event.participant(&person, serde_json::json!({ "kind": "erase_me" })).await?, 200, None);

    token_refused(&event, &person).await?;
    // A new join gives a new token that works.
    let again = event.join(serde_json::json!({ "perspective": "person" })).await?;
    assert_ne!(again, person);
    check(&event.participant(&again, card.clone()).await?, 200, None);
    event.server.connect(&event.room.code, &again).await?;
    // The room remembers across a restart.
    let Event { server, room } = event;
    let event = Event { server: server.restart().await?, room };
    token_refused(&event, &person).await?;
    check(&event.participant(&again, card).await?, 200, None);
    Ok(())
}
