//! Workshops and contributions through the real server: templates, joining,
//! every intent accepted and refused by its rules, idempotent retries,
//! budgets under concurrency, moderation, reveal, and what the board shows.

use serde_json::{Value, json};
use touchpoint_tests::TestServer;
use touchpoint_tests::event::{Event, check, id_of, keyed, root};
use yrs::Transact;
use yrs::types::ToJson;

#[tokio::test]
async fn the_shipped_templates_are_offered_and_make_rooms() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let listed = server.get("/api/templates").await?.json()?;
    let ids: Vec<&str> =
        listed["templates"].as_array().into_iter().flatten().filter_map(|t| t["id"].as_str()).collect();
    for id in ["current-experience", "desired-experience", "path-planning", "improvement-planning", "pledge-event"] {
        assert!(ids.contains(&id), "{id} is not offered: {ids:?}");
        let room =
            server.create_room_with(&json!({ "title": id, "template": id, "programme": "North locality" })).await?;
        assert_eq!(room.created["template"], id);
        let mut watcher = server.connect(&room.code, &server.participant_token(&room.code).await?).await?;
        watcher.receive_until(|doc| root(doc, "activities").as_object().is_some_and(|a| !a.is_empty())).await?;
        assert_eq!(root(&watcher.doc, "room")["programme"], "North locality");
    }
    let refused = server
        .post(
            "/api/rooms",
            &[("Authorization", &format!("Bearer {}", touchpoint_tests::ADMIN_TOKEN))],
            Some(&json!({ "title": "x", "template_definition": { "id": "Bad Id", "title": "x", "perspectives": [], "activities": [] } })),
        )
        .await?;
    check(&refused, 422, Some("invalid_template"));
    Ok(())
}

#[tokio::test]
async fn every_rule_refuses_with_a_status_and_a_code() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let person = event.join(json!({ "perspective": "person" })).await?;
    let other = event.join(json!({})).await?;
    for activity in ["map", "options", "path", "pledges"] {
        event.open(activity).await?;
    }
    let card = event
        .participant(
            &person,
            json!({ "kind": "add_card", "activity": "map", "touchpoint": "booking", "emotion": "hopeful" }),
        )
        .await?;
    check(&card, 200, None);
    let card = id_of(&card);
    let long_note = "n".repeat(281);
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "person",
            json!({ "kind": "add_card", "activity": "nope", "touchpoint": "booking", "emotion": "hopeful" }),
            404,
            "unknown_activity",
        ),
        (
            "person",
            json!({ "kind": "add_card", "activity": "options", "touchpoint": "booking", "emotion": "hopeful" }),
            422,
            "wrong_activity_kind",
        ),
        (
            "person",
            json!({ "kind": "add_card", "activity": "map", "touchpoint": "nope", "emotion": "hopeful" }),
            422,
            "unknown_choice",
        ),
        (
            "person",
            json!({ "kind": "add_card", "activity": "map", "touchpoint": "booking", "emotion": "nope" }),
            422,
            "unknown_choice",
        ),
        (
            "person",
            json!({ "kind": "add_card", "activity": "map", "touchpoint": "booking", "emotion": "hopeful", "word": "mine" }),
            422,
            "emotion_or_word",
        ),
        ("person", json!({ "kind": "add_card", "activity": "map", "touchpoint": "booking" }), 422, "emotion_or_word"),
        (
            "person",
            json!({ "kind": "add_card", "activity": "map", "touchpoint": "booking", "emotion": "hopeful", "note": long_note }),
            422,
            "too_long",
        ),
        (
            "person",
            json!({ "kind": "add_idea", "activity": "ideas", "text": "not open yet" }),
            409,
            "activity_not_open",
        ),
        ("person", json!({ "kind": "add_idea", "activity": "map", "text": "wrong kind" }), 422, "wrong_activity_kind"),
        (
            "person",
            json!({ "kind": "set_dots", "activity": "options", "option": "a", "dots": 3 }),
            422,
            "over_option_limit",
        ),
        (
            "person",
            json!({ "kind": "set_dots", "activity": "options", "option": "z", "dots": 1 }),
            422,
            "unknown_choice",
        ),
        (
            "person",
            json!({ "kind": "set_score", "activity": "options", "option": "a", "score": 6 }),
            422,
            "invalid_score",
        ),
        (
            "person",
            json!({ "kind": "add_path_note", "activity": "path", "section": "nowhere", "text": "x" }),
            422,
            "unknown_choice",
        ),
        (
            "person",
            json!({ "kind": "add_path_note", "activity": "path", "section": "north-star", "text": "   " }),
            422,
            "empty",
        ),
        (
            "person",
            json!({ "kind": "add_pledge", "activity": "pledges", "text": "I will", "contact": "me@example.org" }),
            422,
            "contact_without_consent",
        ),
        (
            "person",
            json!({ "kind": "add_touchstone", "activity": "pledges", "word": "a very long touchstone that goes on" }),
            422,
            "too_long",
        ),
        ("person", json!({ "kind": "set_profile", "profile": { "perspective": "alien" } }), 422, "invalid_profile"),
        (
            "person",
            json!({ "kind": "set_profile", "profile": { "perspective": "person", "role": "gp" } }),
            422,
            "invalid_profile",
        ),
        (
            "person",
            json!({ "kind": "set_profile", "profile": { "segments": { "age": "12" } } }),
            422,
            "invalid_profile",
        ),
        ("person", json!({ "kind": "open_activity", "activity": "ideas" }), 403, "facilitator_only"),
        ("person", json!({ "kind": "set_hidden", "id": card, "hidden": true }), 403, "facilitator_only"),
        (
            "person",
            json!({ "kind": "add_card", "activity": "map", "touchpoint": "booking", "emotion": "hopeful",
                           "on_behalf_of": { "perspective": "carer" } }),
            403,
            "facilitator_only",
        ),
        ("other", json!({ "kind": "edit_card", "id": card, "note": "not mine" }), 403, "not_yours"),
        ("other", json!({ "kind": "withdraw", "id": card }), 403, "not_yours"),
        ("other", json!({ "kind": "withdraw", "id": "no-such-card" }), 404, "unknown_contribution"),
        (
            "facilitator",
            json!({ "kind": "add_card", "activity": "map", "touchpoint": "booking", "emotion": "hopeful" }),
            403,
            "participant_only",
        ),
        (
            "facilitator",
            json!({ "kind": "set_dots", "activity": "options", "option": "a", "dots": 1 }),
            403,
            "participant_only",
        ),
        (
            "facilitator",
            json!({ "kind": "add_card", "activity": "map", "touchpoint": "booking", "emotion": "hopeful",
                                "on_behalf_of": { "perspective": "staff", "role": "pilot" } }),
            422,
            "invalid_profile",
        ),
        ("facilitator", json!({ "kind": "set_budget", "activity": "options", "budget": 5 }), 409, "activity_started"),
        ("facilitator", json!({ "kind": "set_budget", "activity": "map", "budget": 5 }), 422, "wrong_activity_kind"),
        ("facilitator", json!({ "kind": "start_timer", "seconds": 0 }), 422, "invalid_timer"),
        (
            "facilitator",
            json!({ "kind": "move_choice", "activity": "map", "id": "booking", "to": 9 }),
            422,
            "invalid_position",
        ),
        (
            "facilitator",
            json!({ "kind": "rename_choice", "activity": "map", "id": "nope", "label": "x" }),
            422,
            "unknown_choice",
        ),
        ("facilitator", json!({ "kind": "reveal_activity", "activity": "path" }), 422, "wrong_activity_kind"),
    ];
    for (who, intent, status, code) in cases {
        let credential = match who {
            "person" => person.as_str(),
            "other" => other.as_str(),
            _ => event.room.facilitator_key.as_str(),
        };
        let response = event.participant(credential, intent.clone()).await?;
        assert_eq!((response.status, response.error_code().as_deref()), (status, Some(code)), "{who}: {intent}");
    }
    // A budget spent is a budget spent: 2 + 2 > 3.
    check(
        &event
            .participant(&person, json!({ "kind": "set_dots", "activity": "options", "option": "a", "dots": 2 }))
            .await?,
        200,
        None,
    );
    check(
        &event
            .participant(&person, json!({ "kind": "set_dots", "activity": "options", "option": "b", "dots": 2 }))
            .await?,
        422,
        Some("over_budget"),
    );
    // Malformed requests and missing credentials.
    let path = format!("/api/rooms/{}/intents", event.room.code);
    let auth = format!("Bearer {person}");
    check(
        &event.server.post(&path, &[("Authorization", &auth)], Some(&json!({ "key": "k", "kind": "launch" }))).await?,
        400,
        Some("invalid_json"),
    );
    check(
        &event
            .server
            .post(&path, &[("Authorization", &auth)], Some(&json!({ "key": "", "kind": "stop_timer" })))
            .await?,
        422,
        Some("invalid_key"),
    );
    check(
        &event.server.post(&path, &[], Some(&json!({ "key": "k", "kind": "stop_timer" }))).await?,
        401,
        Some("missing_token"),
    );
    check(
        &event
            .server
            .post(&path, &[("Authorization", "Bearer forged")], Some(&json!({ "key": "k", "kind": "stop_timer" })))
            .await?,
        403,
        Some("invalid_token"),
    );
    Ok(())
}

#[tokio::test]
async fn cards_reach_the_board_with_perspective_and_without_identity() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let mut watcher = event.watch().await?;
    let staff = event.join(json!({ "perspective": "staff", "role": "nurse", "segments": { "age": "60-74" } })).await?;
    event.open("map").await?;

    let added = event
        .participant(&staff, json!({ "kind": "add_card", "activity": "map", "touchpoint": "waiting", "emotion": "anxious", "note": " long wait " }))
        .await?;
    check(&added, 200, None);
    let id = id_of(&added);
    watcher.receive_until(|doc| root(doc, "cards").get(&id).is_some()).await?;
    let card = &root(&watcher.doc, "cards")[&id];
    assert_eq!(card["perspective"], "staff");
    assert_eq!(card["role"], "nurse");
    assert_eq!(card["note"], "long wait");
    assert_eq!((card["assisted"].clone(), card["hidden"].clone()), (json!(false), json!(false)));
    let board = serde_json::to_string(&root(&watcher.doc, "cards"))?;
    let participant_id = staff.split('.').next().unwrap_or_default();
    assert!(!board.contains(participant_id), "the board names the participant: {board}");

    // Edit, then withdraw: only the owner can, and the board follows.
    check(&event.participant(&staff, json!({ "kind": "edit_card", "id": id, "word": "forgotten" })).await?, 200, None);
    watcher.receive_until(|doc| root(doc, "cards")[&id]["word"] == "forgotten").await?;
    assert!(root(&watcher.doc, "cards")[&id].get("emotion").is_none());
    let mine = event.server.get_with(&format!("/api/rooms/{}/me", event.room.code), &staff).await?.json()?;
    assert_eq!(mine["profile"]["role"], "nurse");
    assert_eq!(mine["contributions"][0]["id"], id);
    check(&event.participant(&staff, json!({ "kind": "withdraw", "id": id })).await?, 200, None);
    watcher.receive_until(|doc| root(doc, "cards").get(&id).is_none()).await?;

    // A paper card entered by the facilitator is marked as assisted, with the perspective given.
    let paper = event
        .facilitator(json!({ "kind": "add_card", "activity": "map", "touchpoint": "booking", "word": "rushed",
                             "on_behalf_of": { "perspective": "carer" } }))
        .await?;
    check(&paper, 200, None);
    let paper = id_of(&paper);
    watcher.receive_until(|doc| root(doc, "cards").get(&paper).is_some()).await?;
    assert_eq!(root(&watcher.doc, "cards")[&paper]["assisted"], true);
    assert_eq!(root(&watcher.doc, "cards")[&paper]["perspective"], "carer");
    Ok(())
}

#[tokio::test]
async fn a_retry_with_the_same_key_returns_the_first_result_and_changes_nothing() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let mut watcher = event.watch().await?;
    let person = event.join(json!({ "perspective": "person" })).await?;
    event.open("map").await?;
    let intent = keyed(json!({ "kind": "add_card", "activity": "map", "touchpoint": "booking", "emotion": "hopeful" }));
    let first = event.server.intent(&event.room.code, &person, &intent).await?;
    let retry = event.server.intent(&event.room.code, &person, &intent).await?;
    check(&retry, 200, None);
    assert_eq!(first.json()?, retry.json()?);
    // The same key from someone else is their own intent.
    let other = event.join(json!({})).await?;
    let theirs = event.server.intent(&event.room.code, &other, &intent).await?;
    assert_ne!(id_of(&theirs), id_of(&first));
    watcher.receive_until(|doc| root(doc, "cards").as_object().is_some_and(|cards| cards.len() == 2)).await?;

    // Retries survive a restart: the key is kept with the change.
    let server = event.server.restart().await?;
    let again = server.intent(&event.room.code, &person, &intent).await?;
    assert_eq!(again.json()?, first.json()?);
    let watcher = server.connect(&event.room.code, &server.participant_token(&event.room.code).await?).await?;
    assert_eq!(root(&watcher.doc, "cards").as_object().map(serde_json::Map::len), Some(2));
    Ok(())
}

#[tokio::test]
async fn concurrent_votes_never_exceed_the_budget() -> anyhow::Result<()> {
    let event = Event::start_with(|config| config.limits.max_intents_per_sec = 1000).await?;
    event.open("options").await?;
    let mut voters = Vec::new();
    for _ in 0..8 {
        voters.push(event.join(json!({ "perspective": "person" })).await?);
    }
    // Every voter fires six votes at once: two dots on each option, twice over.
    let mut attempts = Vec::new();
    for token in &voters {
        for option in ["a", "b", "c", "a", "b", "c"] {
            let (server, code, token) = (event.server.addr, event.room.code.clone(), token.clone());
            attempts.push(tokio::spawn(async move {
                let api = touchpoint_tests::Api { addr: server };
                let intent = keyed(json!({ "kind": "set_dots", "activity": "options", "option": option, "dots": 2 }));
                api.intent(&code, &token, &intent).await
            }));
        }
    }
    let mut accepted = 0;
    for attempt in attempts {
        let response = attempt.await??;
        match response.status {
            200 => accepted += 1,
            422 => assert_eq!(response.error_code().as_deref(), Some("over_budget")),
            other => anyhow::bail!("unexpected {other}: {}", response.body),
        }
    }
    assert!(accepted >= voters.len(), "every voter placed at least one vote");
    let mut total = 0;
    for token in &voters {
        let mine = event.server.get_with(&format!("/api/rooms/{}/me", event.room.code), token).await?.json()?;
        let spent: u64 =
            mine["dots"]["options"].as_object().into_iter().flatten().filter_map(|(_, n)| n.as_u64()).sum();
        assert!(spent <= 3, "a voter spent {spent} of 3 dots");
        total += spent;
    }
    let results = event
        .server
        .get_with(&format!("/api/rooms/{}/activities/options/results", event.room.code), &event.room.facilitator_key)
        .await?
        .json()?;
    let counted: u64 = ["a", "b", "c"].iter().filter_map(|o| results[o]["dots"].as_u64()).sum();
    assert_eq!(counted, total);
    Ok(())
}

#[tokio::test]
async fn results_stay_hidden_until_revealed() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let mut watcher = event.watch().await?;
    let person = event.join(json!({ "perspective": "person" })).await?;
    event.open("options").await?;
    check(
        &event
            .participant(&person, json!({ "kind": "set_dots", "activity": "options", "option": "b", "dots": 2 }))
            .await?,
        200,
        None,
    );
    check(
        &event
            .participant(&person, json!({ "kind": "set_score", "activity": "options", "option": "b", "score": 4 }))
            .await?,
        200,
        None,
    );
    check(
        &event
            .participant(
                &person,
                json!({ "kind": "add_idea", "activity": "options", "option": "b", "text": "yes, with evening slots" }),
            )
            .await?,
        200,
        None,
    );
    // The facilitator sees the count; participants and the projector do not.
    let results_path = format!("/api/rooms/{}/activities/options/results", event.room.code);
    let results = event.server.get_with(&results_path, &event.room.facilitator_key).await?.json()?;
    assert_eq!((results["b"]["dots"].clone(), results["b"]["mean_score"].clone()), (json!(2), json!(4.0)));
    check(&event.server.get_with(&results_path, &person).await?, 403, Some("facilitator_only"));
    watcher.receive_until(|doc| root(doc, "ideas").as_object().is_some_and(|ideas| ideas.len() == 1)).await?;
    assert!(root(&watcher.doc, "activities")["options"].get("results").is_none(), "results leaked before reveal");
    // A ballot and a score each move the board's count of changes, which is all it says.
    assert_eq!(root(&watcher.doc, "activities")["options"]["tally_version"], 2);

    check(&event.facilitator(json!({ "kind": "reveal_activity", "activity": "options" })).await?, 200, None);
    watcher.receive_until(|doc| root(doc, "activities")["options"]["results"]["b"]["dots"] == 2).await?;
    // Once revealed, results follow the votes.
    check(
        &event
            .participant(&person, json!({ "kind": "set_dots", "activity": "options", "option": "c", "dots": 1 }))
            .await?,
        200,
        None,
    );
    watcher.receive_until(|doc| root(doc, "activities")["options"]["results"]["c"]["dots"] == 1).await?;
    check(
        &event.facilitator(json!({ "kind": "reveal_activity", "activity": "options", "revealed": false })).await?,
        200,
        None,
    );
    watcher.receive_until(|doc| root(doc, "activities")["options"].get("results").is_none()).await?;
    // Erasing oneself takes one's ballot out of the results: the count moves for that too.
    assert_eq!(root(&watcher.doc, "activities")["options"]["tally_version"], 3);
    check(&event.participant(&person, json!({ "kind": "erase_me" })).await?, 200, None);
    watcher.receive_until(|doc| root(doc, "activities")["options"]["tally_version"] == 4).await?;
    let results = event.server.get_with(&results_path, &event.room.facilitator_key).await?.json()?;
    assert_eq!(results["b"]["dots"], 0);
    Ok(())
}

#[tokio::test]
async fn facilitators_moderate_lock_and_steer_the_room() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let mut watcher = event.watch().await?;
    let person = event.join(json!({ "perspective": "person" })).await?;
    // The budget can change while the vote has not opened.
    check(&event.facilitator(json!({ "kind": "set_budget", "activity": "options", "budget": 5 })).await?, 200, None);
    watcher.receive_until(|doc| root(doc, "activities")["options"]["budget"] == 5).await?;
    event.open("map").await?;
    let card = id_of(
        &event
            .participant(
                &person,
                json!({ "kind": "add_card", "activity": "map", "touchpoint": "booking", "emotion": "anxious" }),
            )
            .await?,
    );

    check(&event.facilitator(json!({ "kind": "set_hidden", "id": card, "hidden": true })).await?, 200, None);
    watcher.receive_until(|doc| root(doc, "cards")[&card]["hidden"] == true).await?;
    check(&event.facilitator(json!({ "kind": "set_hidden", "id": card, "hidden": false })).await?, 200, None);
    watcher.receive_until(|doc| root(doc, "cards")[&card]["hidden"] == false).await?;

    check(&event.facilitator(json!({ "kind": "set_current", "activity": "map" })).await?, 200, None);
    check(&event.facilitator(json!({ "kind": "start_timer", "seconds": 300 })).await?, 200, None);
    let added = event
        .facilitator(json!({ "kind": "add_choice", "activity": "map", "label": "Getting a prescription" }))
        .await?;
    check(&added, 200, None);
    let touchpoint = id_of(&added);
    assert_eq!(touchpoint, "getting-a-prescription");
    check(
        &event.facilitator(json!({ "kind": "move_choice", "activity": "map", "id": touchpoint, "to": 0 })).await?,
        200,
        None,
    );
    check(&event.facilitator(json!({ "kind": "rename_choice", "activity": "map", "id": "booking", "label": "Booking an appointment" })).await?, 200, None);
    watcher
        .receive_until(|doc| {
            let map = &root(doc, "activities")["map"];
            map["touchpoints"][0]["id"] == "getting-a-prescription"
                && map["touchpoints"][1]["label"] == "Booking an appointment"
        })
        .await?;
    let room = root(&watcher.doc, "room");
    assert_eq!(room["current"], "map");
    assert_eq!(room["timer"]["seconds"], 300);
    // The new touchpoint takes cards at once.
    check(
        &event
            .participant(
                &person,
                json!({ "kind": "add_card", "activity": "map", "touchpoint": touchpoint, "emotion": "hopeful" }),
            )
            .await?,
        200,
        None,
    );

    // Locking stops changes (a new card arriving now is kept aside as late: see
    // `a_contribution_after_the_close_is_kept_as_late…`) and keeps a snapshot of the board as it stood.
    check(&event.facilitator(json!({ "kind": "lock_activity", "activity": "map" })).await?, 200, None);
    check(
        &event.participant(&person, json!({ "kind": "edit_card", "id": card, "emotion": "hopeful" })).await?,
        409,
        Some("activity_not_open"),
    );
    check(&event.facilitator(json!({ "kind": "take_snapshot", "name": "Before lunch" })).await?, 200, None);
    assert_eq!(event.snapshot_names().await?, ["How it feels today (locked)", "Before lunch"]);
    watcher.receive_until(|doc| root(doc, "snapshots").get("Before lunch").is_some()).await?;

    // Every facilitator action is in the audit trail.
    let audit = watcher.doc.get_or_insert_array("audit");
    let actions: Vec<String> = {
        let txn = watcher.doc.transact();
        let json = serde_json::to_value(audit.to_json(&txn))?;
        json.as_array().into_iter().flatten().filter_map(|entry| entry["action"].as_str().map(str::to_owned)).collect()
    };
    for action in [
        "open",
        "hide",
        "unhide",
        "set_current",
        "start_timer",
        "add_choice",
        "move_choice",
        "rename_choice",
        "lock",
        "snapshot",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} missing from the audit: {actions:?}");
    }
    Ok(())
}

#[tokio::test]
async fn pledges_path_notes_ideas_and_touchstones_are_kept() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let mut watcher = event.watch().await?;
    let person = event.join(json!({ "perspective": "person" })).await?;
    for activity in ["path", "pledges", "ideas"] {
        event.open(activity).await?;
    }
    check(&event.participant(&person, json!({ "kind": "add_path_note", "activity": "path", "section": "north-star", "text": "Nobody waits alone" })).await?, 200, None);
    check(
        &event
            .participant(&person, json!({ "kind": "add_idea", "activity": "ideas", "text": "A named contact" }))
            .await?,
        200,
        None,
    );
    check(
        &event
            .participant(&person, json!({ "kind": "add_touchstone", "activity": "pledges", "word": "kindness" }))
            .await?,
        200,
        None,
    );
    let pledge = event
        .participant(
            &person,
            json!({ "kind": "add_pledge", "activity": "pledges", "text": "I will call back the same day",
                                      "name": "Sam", "contact": "sam@example.org", "contact_consent": true }),
        )
        .await?;
    check(&pledge, 200, None);
    let anonymous = event
        .participant(&person, json!({ "kind": "add_pledge", "activity": "pledges", "text": "I will listen" }))
        .await?;
    let (pledge, anonymous) = (id_of(&pledge), id_of(&anonymous));
    // `/me` says which of one's own pledges has a contact, never the contact.
    let me_path = format!("/api/rooms/{}/me", event.room.code);
    let contact_of = |me: &Value, id: &str| {
        me["contributions"].as_array().and_then(|all| all.iter().find(|c| c["id"] == id)).map(|c| c["contact"].clone())
    };
    let me = event.server.get_with(&me_path, &person).await?.json()?;
    assert_eq!((contact_of(&me, &pledge), contact_of(&me, &anonymous)), (Some(json!(true)), Some(json!(false))));
    assert!(!me.to_string().contains("sam@example.org"), "/me gave back the contact itself");
    check(&event.participant(&person, json!({ "kind": "erase_contact", "id": pledge })).await?, 200, None);
    let me = event.server.get_with(&me_path, &person).await?.json()?;
    assert_eq!(contact_of(&me, &pledge), Some(json!(false)));
    watcher.receive_until(|doc| root(doc, "pledges").get(&anonymous).is_some()).await?;
    let pledges = root(&watcher.doc, "pledges");
    assert_eq!(pledges[&pledge]["name"], "Sam");
    assert!(pledges[&anonymous].get("name").is_none());
    let everything = serde_json::to_string(&pledges)?;
    assert!(!everything.contains("sam@example.org"), "a follow-up contact reached the board");
    assert_eq!(root(&watcher.doc, "path_notes").as_object().map(serde_json::Map::len), Some(1));
    assert_eq!(root(&watcher.doc, "ideas").as_object().map(serde_json::Map::len), Some(1));
    assert_eq!(root(&watcher.doc, "touchstones").as_object().map(serde_json::Map::len), Some(1));
    Ok(())
}

#[tokio::test]
async fn participation_is_counted_by_perspective() -> anyhow::Result<()> {
    let event = Event::start().await?;
    // The watcher joins too, without a perspective. Groups of 8 and more are counted on the board;
    // smaller ones are not (the `counts` tests), and the total goes with them.
    let mut watcher = event.watch().await?;
    for i in 0..8 {
        event.join(json!({ "perspective": if i % 2 == 0 { "person" } else { "carer" }, "remote": true })).await?;
    }
    let mut staff = Vec::new();
    for _ in 0..8 {
        staff.push(event.join(json!({ "perspective": "staff", "role": "gp" })).await?);
    }
    watcher.receive_until(|doc| root(doc, "participation")["professionals"] == 8).await?;
    let counts = root(&watcher.doc, "participation");
    assert_eq!(
        (&counts["total"], &counts["people"], &counts["unspecified"], &counts["remote"]),
        (&json!("withheld"), &json!(8), &json!("suppressed"), &json!(8))
    );
    // A changed profile moves the count.
    check(
        &event.participant(&staff[0], json!({ "kind": "set_profile", "profile": { "perspective": "carer" } })).await?,
        200,
        None,
    );
    watcher.receive_until(|doc| root(doc, "participation")["people"] == 9).await?;
    assert_eq!(root(&watcher.doc, "participation")["professionals"], "suppressed");
    check(
        &event
            .server
            .post(
                &format!("/api/rooms/{}/participants", event.room.code),
                &[],
                Some(&json!({ "profile": { "perspective": "pilot" } })),
            )
            .await?,
        422,
        Some("invalid_profile"),
    );
    Ok(())
}

#[tokio::test]
async fn join_links_come_as_qr_codes() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let svg = event.server.get(&format!("/api/rooms/{}/qr.svg", event.room.code)).await?;
    assert_eq!((svg.status, svg.header("content-type")), (200, Some("image/svg+xml")));
    assert!(svg.body.contains("<svg"));
    let png = event.server.get(&format!("/api/rooms/{}/qr.png", event.room.code)).await?;
    assert_eq!((png.status, png.header("content-type")), (200, Some("image/png")));
    check(&event.server.get("/api/rooms/ABCDEFGHJK/qr.svg").await?, 404, Some("room_not_found"));
    Ok(())
}

#[tokio::test]
async fn guessing_room_codes_is_slowed_for_everyone_not_locked_per_address() -> anyhow::Result<()> {
    let server = TestServer::start_with(|config| config.limits.max_joins_per_sec = 1).await?;
    let mut statuses = Vec::new();
    for _ in 0..120 {
        statuses.push(server.post("/api/rooms/ABCDEFGHJK/participants", &[], None).await?.status);
    }
    assert!(statuses[..100].iter().all(|status| *status == 404));
    assert!(statuses[100..].contains(&429), "no limit after the burst: {statuses:?}");
    Ok(())
}

#[tokio::test]
async fn a_participant_sending_too_fast_is_slowed() -> anyhow::Result<()> {
    let event = Event::start_with(|config| config.limits.max_intents_per_sec = 1).await?;
    let person = event.join(json!({ "perspective": "person" })).await?;
    event.open("ideas").await?;
    let mut statuses = Vec::new();
    for i in 0..30 {
        statuses.push(
            event
                .participant(&person, json!({ "kind": "add_idea", "activity": "ideas", "text": format!("idea {i}") }))
                .await?
                .status,
        );
    }
    assert!(statuses[..15].iter().all(|status| *status == 200), "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
    // Someone else in the room is not affected.
    let other = event.join(json!({})).await?;
    check(
        &event.participant(&other, json!({ "kind": "add_idea", "activity": "ideas", "text": "mine" })).await?,
        200,
        None,
    );
    Ok(())
}

#[tokio::test]
async fn the_projector_key_only_watches() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let projector_url = event.room.created["projector_url"].as_str().unwrap_or_default().to_owned();
    let viewer = projector_url.split("#key=").nth(1).unwrap_or_default().to_owned();
    assert!(!viewer.is_empty() && viewer != event.room.facilitator_key);
    let answer = event
        .server
        .get_with(&format!("/api/rooms/{}/projector", event.room.code), &event.room.facilitator_key)
        .await?;
    assert_eq!(answer.json()?["projector_url"], projector_url.as_str());
    check(
        &event.server.get_with(&format!("/api/rooms/{}/projector", event.room.code), &viewer).await?,
        403,
        Some("facilitator_only"),
    );

    // The projector syncs the board, cannot change it, and is not counted as a participant.
    let mut projector = event.server.connect(&event.room.code, &viewer).await?;
    check(
        &event.participant(&viewer, json!({ "kind": "open_activity", "activity": "map" })).await?,
        403,
        Some("viewer_read_only"),
    );
    for (path, code) in [
        ("me", "participant_only"),
        ("export.json", "facilitator_only"),
        ("activities/options/results", "facilitator_only"),
    ] {
        check(
            &event.server.get_with(&format!("/api/rooms/{}/{path}", event.room.code), &viewer).await?,
            403,
            Some(code),
        );
    }
    let title = projector.doc.get_or_insert_map("room");
    projector
        .edit(|txn| {
            yrs::Map::insert(&title, txn, "title", "Defaced");
        })
        .await?;
    event.server.wait_for_metric("touchpoint_messages_rejected_total", "reason=\"read_only\"", |n| n >= 1.0).await?;
    let mut watcher = event.watch().await?;
    watcher.receive_until(|doc| root(doc, "participation")["total"] == "suppressed").await?;
    assert_eq!(root(&watcher.doc, "room")["title"], "Event");
    // Too few to count on the board; the export says the watcher is the one participant.
    let path = format!("/api/rooms/{}/export.json", event.room.code);
    let export = event.server.get_with(&path, &event.room.facilitator_key).await?.json()?;
    assert_eq!(export["participants"].as_array().map(Vec::len), Some(1));
    Ok(())
}

#[tokio::test]
async fn a_room_without_a_template_takes_no_intents() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let room = server.create_room("Blank").await?;
    let token = server.participant_token(&room.code).await?;
    for credential in [token.as_str(), room.facilitator_key.as_str()] {
        let response = server.intent(&room.code, credential, &keyed(json!({ "kind": "stop_timer" }))).await?;
        check(&response, 422, Some("no_template"));
    }
    Ok(())
}

#[tokio::test]
async fn a_paper_ballot_counts_once_in_the_results_and_follows_a_phones_rules() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let mut watcher = event.watch().await?;
    let person = event.join(json!({ "perspective": "person" })).await?;
    let ballot = |dots: Value, scores: Value| {
        json!({ "kind": "add_paper_ballot", "activity": "options", "dots": dots, "scores": scores,
                "on_behalf_of": { "perspective": "staff", "role": "nurse" } })
    };
    let good = ballot(json!({ "a": 2, "b": 1 }), json!({ "a": 5 }));
    // Like a paper card, nothing goes into a vote that has not opened.
    check(&event.facilitator(good.clone()).await?, 409, Some("activity_not_open"));
    event.open("options").await?;
    for intent in [
        json!({ "kind": "set_dots", "activity": "options", "option": "a", "dots": 1 }),
        json!({ "kind": "set_score", "activity": "options", "option": "a", "score": 3 }),
    ] {
        check(&event.participant(&person, intent).await?, 200, None);
    }
    watcher.receive_until(|doc| root(doc, "activities")["options"]["tally_version"] == 2).await?;
    let results_path = format!("/api/rooms/{}/activities/options/results", event.room.code);
    let before = event.server.get_with(&results_path, &event.room.facilitator_key).await?.json()?;
    let joined = root(&watcher.doc, "participation")["total"].clone();

    // Every rule of a phone's ballot, for the whole ballot at once; a refusal changes nothing.
    let refused: Vec<(Value, u16, &str)> = vec![
        (ballot(json!({ "a": 2, "b": 2 }), json!({})), 422, "over_budget"),
        (ballot(json!({ "a": 3 }), json!({})), 422, "over_option_limit"),
        (ballot(json!({ "z": 1 }), json!({})), 422, "unknown_choice"),
        (ballot(json!({ "a": 1 }), json!({ "z": 4 })), 422, "unknown_choice"),
        (ballot(json!({ "a": 1 }), json!({ "a": 6 })), 422, "invalid_score"),
        (ballot(json!({ "a": 0 }), json!({})), 422, "empty"),
        (
            json!({ "kind": "add_paper_ballot", "activity": "options", "dots": { "a": 1 },
                    "on_behalf_of": { "perspective": "staff", "role": "pilot" } }),
            422,
            "invalid_profile",
        ),
        (json!({ "kind": "add_paper_ballot", "activity": "map", "dots": { "a": 1 } }), 422, "wrong_activity_kind"),
    ];
    for (intent, status, code) in refused {
        check(&event.facilitator(intent.clone()).await?, status, Some(code));
    }
    // Only the facilitator types in paper ballots.
    check(&event.participant(&person, good.clone()).await?, 403, Some("facilitator_only"));
    assert_eq!(event.server.get_with(&results_path, &event.room.facilitator_key).await?.json()?, before);

    // Accepted, and a retry with the same key counts once.
    let intent = keyed(good);
    let first = event.server.intent(&event.room.code, &event.room.facilitator_key, &intent).await?;
    check(&first, 200, None);
    let retry = event.server.intent(&event.room.code, &event.room.facilitator_key, &intent).await?;
    assert_eq!(first.json()?, retry.json()?);
    let results = event.server.get_with(&results_path, &event.room.facilitator_key).await?.json()?;
    assert_eq!((results["a"]["dots"].clone(), results["a"]["voters"].clone()), (json!(3), json!(2)));
    assert_eq!((results["b"]["dots"].clone(), results["b"]["voters"].clone()), (json!(1), json!(1)));
    assert_eq!(results["a"]["mean_score"], 4.0, "the phone's 3 and the paper's 5");
    watcher.receive_until(|doc| root(doc, "activities")["options"]["tally_version"] == 3).await?;

    // A ballot typed in by mistake is taken back by the id its entry answered with; a
    // participant cannot find it; typed in again, it counts again.
    let paper_id = first.json()?["id"].as_str().unwrap_or_default().to_owned();
    let take_back = json!({ "kind": "withdraw", "id": paper_id });
    check(&event.participant(&person, take_back.clone()).await?, 404, Some("unknown_contribution"));
    check(&event.facilitator(take_back.clone()).await?, 200, None);
    assert_eq!(event.server.get_with(&results_path, &event.room.facilitator_key).await?.json()?, before);
    watcher.receive_until(|doc| root(doc, "activities")["options"]["tally_version"] == 4).await?;
    check(&event.facilitator(take_back).await?, 404, Some("unknown_contribution"));
    check(&event.facilitator(ballot(json!({ "a": 2, "b": 1 }), json!({ "a": 5 }))).await?, 200, None);
    let again = event.server.get_with(&results_path, &event.room.facilitator_key).await?.json()?;
    assert_eq!(again, results);
    watcher.receive_until(|doc| root(doc, "activities")["options"]["tally_version"] == 5).await?;

    // Revealed results follow paper ballots too, typed in after the vote closed as paper cards may be.
    check(&event.facilitator(json!({ "kind": "reveal_activity", "activity": "options" })).await?, 200, None);
    check(&event.facilitator(json!({ "kind": "lock_activity", "activity": "options" })).await?, 200, None);
    let late = json!({ "kind": "add_paper_ballot", "activity": "options", "dots": { "c": 1 } });
    check(&event.facilitator(late).await?, 200, None);
    watcher.receive_until(|doc| root(doc, "activities")["options"]["results"]["c"]["dots"] == 1).await?;
    assert_eq!(root(&watcher.doc, "activities")["options"]["tally_version"], 6);
    // A paper voter is no participant: the room's count is as it was.
    assert_eq!(root(&watcher.doc, "participation")["total"], joined);
    Ok(())
}

#[tokio::test]
async fn a_contribution_after_the_close_is_kept_as_late_and_shown_only_when_the_facilitator_says() -> anyhow::Result<()>
{
    let event = Event::start().await?;
    let mut watcher = event.watch().await?;
    let person = event.join(json!({ "perspective": "person" })).await?;
    for activity in ["map", "options", "pledges", "feedback"] {
        event.open(activity).await?;
        check(&event.facilitator(json!({ "kind": "lock_activity", "activity": activity })).await?, 200, None);
    }
    let card = json!({ "kind": "add_card", "activity": "map", "touchpoint": "booking", "emotion": "anxious" });
    let late = event.participant(&person, card).await?;
    check(&late, 200, None);
    let id = id_of(&late);
    assert_eq!(late.json()?, json!({ "id": id, "late": true }));
    // It reaches the record hidden, so no screen shows it, and marked late.
    watcher.receive_until(|doc| root(doc, "cards")[&id]["late"] == true).await?;
    assert_eq!(root(&watcher.doc, "cards")[&id]["hidden"], true);
    // Every kind of contribution is kept the same way; a ballot is not counted.
    for intent in [
        json!({ "kind": "add_pledge", "activity": "pledges", "text": "I will call back" }),
        json!({ "kind": "add_touchstone", "activity": "pledges", "word": "kindness" }),
        json!({ "kind": "add_idea", "activity": "options", "option": "a", "text": "Evenings too" }),
        json!({ "kind": "set_feedback", "activity": "feedback", "rating": 4 }),
    ] {
        let answer = event.participant(&person, intent.clone()).await?;
        assert_eq!(answer.json()?["late"], true, "{intent}: {}", answer.body);
    }
    let dots = json!({ "kind": "set_dots", "activity": "options", "option": "a", "dots": 1 });
    check(&event.participant(&person, dots).await?, 409, Some("activity_not_open"));
    // Never to an activity that did not open: closing it first changes nothing.
    check(&event.facilitator(json!({ "kind": "lock_activity", "activity": "path" })).await?, 200, None);
    let note = json!({ "kind": "add_path_note", "activity": "path", "section": "north-star", "text": "x" });
    check(&event.participant(&person, note).await?, 409, Some("activity_not_open"));
    // The facilitator shows it: on the board, still marked late.
    check(&event.facilitator(json!({ "kind": "set_hidden", "id": id, "hidden": false })).await?, 200, None);
    watcher.receive_until(|doc| root(doc, "cards")[&id]["hidden"] == false).await?;
    assert_eq!(root(&watcher.doc, "cards")[&id]["late"], true);
    let export = event
        .server
        .get_with(&format!("/api/rooms/{}/export.json", event.room.code), &event.room.facilitator_key)
        .await?
        .json()?;
    let late_rows: Vec<&Value> = ["cards", "pledges", "touchstones", "ideas", "feedback"]
        .iter()
        .flat_map(|kind| export[kind].as_array().into_iter().flatten())
        .filter(|row| row["late"] == true)
        .collect();
    assert_eq!(late_rows.len(), 5, "{export}");
    let report = event
        .server
        .get_with(&format!("/api/rooms/{}/report.html", event.room.code), &event.room.facilitator_key)
        .await?
        .body;
    assert!(report.contains("5 contributions arrived late: 1 shown and counted, 4 left out."), "{report}");
    Ok(())
}
