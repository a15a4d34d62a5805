//! The helper key of table hosts: what it may do, what it is refused on every route, and its
//! rotation (open sockets closed, the old key refused over HTTP and WebSocket, across a restart).

use serde_json::{Value, json};
use touchpoint_tests::event::{Event, check, id_of, keyed, root};
use touchpoint_tests::{ADMIN_TOKEN, TestServer, YClient};

/// The room's helper key, from the answer that created it.
fn helper_key(event: &Event) -> String {
    event.room.created["helper_key"].as_str().unwrap_or_default().to_owned()
}

async fn helper(event: &Event, key: &str, intent: Value) -> anyhow::Result<touchpoint_tests::HttpResponse> {
    event.server.intent(&event.room.code, key, &keyed(intent)).await
}

/// What the helper key reads back: `(id, collection)` of each entry, oldest first.
async fn entries(server: &TestServer, code: &str, key: &str) -> anyhow::Result<Vec<(String, String)>> {
    let answer = server.get_with(&format!("/api/rooms/{code}/helper/entries"), key).await?;
    anyhow::ensure!(answer.status == 200, "reading the helper's entries: {answer:?}");
    let entries = answer.json()?["entries"].as_array().cloned().unwrap_or_default();
    Ok(entries
        .iter()
        .map(|e| (e["id"].as_str().unwrap_or("").to_owned(), e["collection"].as_str().unwrap_or("").to_owned()))
        .collect())
}

#[tokio::test]
async fn a_new_room_comes_with_a_helper_link_the_console_can_show_again() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let (code, key) = (&event.room.code, helper_key(&event));
    let url = event.room.created["helper_url"].as_str().unwrap_or_default();
    assert!(url.ends_with(&format!("/help/{code}#key={key}")), "{url}");
    assert!(key.starts_with("helper.0.") && key != event.room.facilitator_key);

    let shown = event.server.get_with(&format!("/api/rooms/{code}/helper-key"), &event.room.facilitator_key).await?;
    let shown = shown.json()?;
    assert_eq!((shown["helper_key"].as_str(), shown["helper_url"].as_str()), (Some(key.as_str()), Some(url)));
    assert_eq!(shown["generation"], 0);
    assert!(shown["qr_svg"].as_str().unwrap_or_default().contains("<svg"), "{shown}");
    // The helper's page is the web client's.
    assert_eq!(event.server.get(&format!("/help/{code}")).await?.status, 200);
    Ok(())
}

#[tokio::test]
async fn a_helper_types_in_paper_entries_of_every_kind_and_reads_back_its_own() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let key = helper_key(&event);
    let person = event.join(json!({ "perspective": "person" })).await?;
    for activity in ["map", "options", "path", "pledges", "ideas", "feedback"] {
        event.open(activity).await?;
    }
    let carer = json!({ "perspective": "carer" });
    let mut ids = Vec::new();
    for (intent, collection) in [
        (
            json!({ "kind": "add_card", "activity": "map", "touchpoint": "booking", "emotion": "anxious", "on_behalf_of": carer }),
            "cards",
        ),
        // Everything a helper types in is a paper entry, with or without a perspective.
        (json!({ "kind": "add_card", "activity": "map", "touchpoint": "waiting", "word": "Cold" }), "cards"),
        (
            json!({ "kind": "add_path_note", "activity": "path", "section": "first-step", "text": "Call back" }),
            "path_notes",
        ),
        (json!({ "kind": "add_idea", "activity": "ideas", "text": "More chairs" }), "ideas"),
        (json!({ "kind": "add_idea", "activity": "options", "option": "a", "text": "Yes please" }), "ideas"),
        (json!({ "kind": "add_pledge", "activity": "pledges", "text": "I will listen" }), "pledges"),
        (json!({ "kind": "add_touchstone", "activity": "pledges", "word": "Kindness" }), "touchstones"),
        (json!({ "kind": "set_feedback", "activity": "feedback", "rating": 4, "worked": "Tables" }), "feedback"),
        (
            json!({ "kind": "add_paper_ballot", "activity": "options", "dots": { "a": 2 }, "scores": { "b": 5 },
                 "on_behalf_of": { "perspective": "staff", "role": "gp" } }),
            "paper_ballots",
        ),
    ] {
        let answer = helper(&event, &key, intent.clone()).await?;
        check(&answer, 200, None);
        ids.push((id_of(&answer), collection.to_owned()));
    }
    // Not the helper's: a participant's card and the facilitator's own paper card.
    check(
        &event
            .participant(
                &person,
                json!({ "kind": "add_card", "activity": "map", "touchpoint": "booking", "emotion": "hopeful" }),
            )
            .await?,
        200,
        None,
    );
    check(
        &event
            .facilitator(
                json!({ "kind": "add_idea", "activity": "ideas", "text": "Facilitator's", "on_behalf_of": {} }),
            )
            .await?,
        200,
        None,
    );
    assert_eq!(entries(&event.server, &event.room.code, &key).await?, ids);

    // On the board as paper entries; the vote's results stay off it until revealed.
    let watcher = event.watch().await?;
    let cards = root(&watcher.doc, "cards");
    assert_eq!(cards[&ids[0].0]["assisted"], true);
    assert_eq!(cards[&ids[0].0]["perspective"], "carer");
    assert!(root(&watcher.doc, "activities")["options"].get("results").is_none());

    // A wrong entry taken back: a card and the ballot.
    for (id, _) in [&ids[1], &ids[8]] {
        check(&helper(&event, &key, json!({ "kind": "withdraw", "id": id })).await?, 200, None);
    }
    let left: Vec<_> = ids.iter().enumerate().filter(|(i, _)| ![1, 8].contains(i)).map(|(_, e)| e.clone()).collect();
    assert_eq!(entries(&event.server, &event.room.code, &key).await?, left);
    let results = event
        .server
        .get_with(&format!("/api/rooms/{}/activities/options/results", event.room.code), &event.room.facilitator_key)
        .await?
        .json()?;
    assert_eq!(results["a"]["dots"], 0, "the withdrawn ballot left the tally: {results}");
    Ok(())
}

#[tokio::test]
async fn a_helper_may_not_run_moderate_read_export_or_delete() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let key = helper_key(&event);
    let code = event.room.code.clone();
    let person = event.join(json!({ "perspective": "person" })).await?;
    event.open("map").await?;
    event.open("options").await?;
    let theirs = id_of(
        &event
            .participant(
                &person,
                json!({ "kind": "add_card", "activity": "map", "touchpoint": "booking", "emotion": "hopeful" }),
            )
            .await?,
    );
    let facilitators = id_of(
        &event
            .facilitator(
                json!({ "kind": "add_idea", "activity": "options", "option": "a", "text": "x", "on_behalf_of": {} }),
            )
            .await?,
    );

    for (intent, status, code) in [
        (json!({ "kind": "open_activity", "activity": "path" }), 403, "facilitator_only"),
        (json!({ "kind": "lock_activity", "activity": "map" }), 403, "facilitator_only"),
        (json!({ "kind": "reveal_activity", "activity": "options" }), 403, "facilitator_only"),
        (json!({ "kind": "set_current", "activity": "map" }), 403, "facilitator_only"),
        (json!({ "kind": "start_timer", "seconds": 60 }), 403, "facilitator_only"),
        (json!({ "kind": "stop_timer" }), 403, "facilitator_only"),
        (json!({ "kind": "set_hidden", "id": theirs, "hidden": true }), 403, "facilitator_only"),
        (json!({ "kind": "set_moderation", "activity": "ideas", "moderated": true }), 403, "facilitator_only"),
        (json!({ "kind": "review", "id": theirs, "approved": false }), 403, "facilitator_only"),
        (json!({ "kind": "add_choice", "activity": "path", "label": "x" }), 403, "facilitator_only"),
        (
            json!({ "kind": "rename_choice", "activity": "path", "id": "north-star", "label": "x" }),
            403,
            "facilitator_only",
        ),
        (json!({ "kind": "move_choice", "activity": "path", "id": "north-star", "to": 1 }), 403, "facilitator_only"),
        (json!({ "kind": "set_budget", "activity": "options", "budget": 9 }), 403, "facilitator_only"),
        (json!({ "kind": "take_snapshot", "name": "x" }), 403, "facilitator_only"),
        (json!({ "kind": "set_profile", "profile": {} }), 403, "participant_only"),
        (json!({ "kind": "set_dots", "activity": "options", "option": "a", "dots": 1 }), 403, "participant_only"),
        (json!({ "kind": "set_score", "activity": "options", "option": "a", "score": 1 }), 403, "participant_only"),
        (json!({ "kind": "edit_card", "id": theirs, "note": "x" }), 403, "participant_only"),
        (json!({ "kind": "erase_contact", "id": theirs }), 403, "participant_only"),
        (json!({ "kind": "erase_me" }), 403, "participant_only"),
        // Deleting what others gave is not a correction of one's own entry.
        (json!({ "kind": "withdraw", "id": theirs }), 403, "not_yours"),
        (json!({ "kind": "withdraw", "id": facilitators }), 403, "not_yours"),
    ] {
        let answer = helper(&event, &key, intent.clone()).await?;
        assert_eq!((answer.status, answer.error_code().as_deref()), (status, Some(code)), "{intent}: {}", answer.body);
    }

    // Every route the API describes that takes a credential and not the helper key refuses it.
    let document = event.server.get("/api/openapi.json").await?.json()?;
    let mut refused = 0;
    for (path, item) in document["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            let schemes: Vec<&str> = operation["security"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_object)
                .flat_map(|requirement| requirement.keys().map(String::as_str))
                .collect();
            if schemes.is_empty() || schemes.contains(&"helper_key") {
                continue;
            }
            let path = path
                .replace("{code}", &code)
                .replace("{activity}", "options")
                .replace("{name}", "x")
                .replace("{file}", "cards")
                .replace("{programme}", "North");
            let auth = format!("Bearer {key}");
            let headers = [("Authorization", auth.as_str())];
            let answer = touchpoint_tests::http::request(
                event.server.addr,
                &method.to_uppercase(),
                &path,
                &headers,
                (method != "get").then_some("{}"),
            )
            .await?;
            assert!(
                matches!(answer.status, 401 | 403),
                "{method} {path} let the helper key through: {} {}",
                answer.status,
                answer.body
            );
            refused += 1;
        }
    }
    assert!(refused >= 15, "only {refused} routes checked");
    let results = event.server.get_with(&format!("/api/rooms/{code}/activities/options/results"), &key).await?;
    check(&results, 403, Some("facilitator_only"));
    check(
        &event.server.get_with(&format!("/api/rooms/{code}/export.json"), &key).await?,
        403,
        Some("facilitator_only"),
    );
    check(&event.server.get_with(&format!("/api/rooms/{code}/me"), &key).await?, 403, Some("participant_only"));
    check(&event.server.delete(&format!("/api/rooms/{code}"), &key).await?, 403, Some("facilitator_only"));
    // Only the helper key reads a helper's entries.
    for other in [&event.room.facilitator_key, &person] {
        check(
            &event.server.get_with(&format!("/api/rooms/{code}/helper/entries"), other).await?,
            403,
            Some("helper_only"),
        );
    }
    // The room is as it was.
    assert_eq!(event.server.get(&format!("/api/rooms/{code}")).await?.status, 200);
    Ok(())
}

#[tokio::test]
async fn a_helper_watches_the_board_without_writing_it() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let key = helper_key(&event);
    let mut table = event.server.connect(&event.room.code, &key).await?;
    let forged = table.doc.get_or_insert_map("cards");
    table
        .edit(|txn| {
            yrs::Map::insert(&forged, txn, "forged", "x");
        })
        .await?;
    event.server.wait_for_metric("touchpoint_messages_rejected_total", "reason=\"read_only\"", |n| n >= 1.0).await?;
    event.open("map").await?;
    table.receive_until(|doc| root(doc, "activities")["map"]["state"] == "open").await?;
    let watcher = event.watch().await?;
    assert!(root(&watcher.doc, "cards").get("forged").is_none());
    Ok(())
}

#[tokio::test]
async fn a_helper_types_at_the_facilitators_rate_not_a_participants() -> anyhow::Result<()> {
    let event = Event::start_with(|config| {
        config.limits.max_intents_per_sec = 1;
        config.limits.max_contributions_per_room_per_min = 10;
    })
    .await?;
    let key = helper_key(&event);
    event.open("ideas").await?;
    // A participant's burst is 15 intents, and the room takes 10 contributions a minute from
    // phones; a table host typing in a stack of 40 cards meets neither.
    for i in 0..40 {
        check(
            &helper(&event, &key, json!({ "kind": "add_idea", "activity": "ideas", "text": format!("card {i}") }))
                .await?,
            200,
            None,
        );
    }
    assert_eq!(entries(&event.server, &event.room.code, &key).await?.len(), 40);
    Ok(())
}

#[tokio::test]
async fn rotating_the_helper_key_closes_its_sockets_and_refuses_it_at_once_and_after_a_restart() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let (code, old) = (event.room.code.clone(), helper_key(&event));
    event.open("ideas").await?;
    let entered =
        id_of(&helper(&event, &old, json!({ "kind": "add_idea", "activity": "ideas", "text": "Before" })).await?);
    let mut table = event.server.connect(&code, &old).await?;
    let mut participant = event.watch().await?;

    // Only the facilitator rotates.
    for other in [
        &old,
        &event.room.created["projector_url"].as_str().unwrap_or("").split("#key=").nth(1).unwrap_or("").to_owned(),
    ] {
        check(
            &event
                .server
                .post(&format!("/api/rooms/{code}/helper-key"), &[("Authorization", &format!("Bearer {other}"))], None)
                .await?,
            403,
            Some("facilitator_only"),
        );
    }
    let auth = format!("Bearer {}", event.room.facilitator_key);
    let rotated =
        event.server.post(&format!("/api/rooms/{code}/helper-key"), &[("Authorization", &auth)], None).await?;
    check(&rotated, 200, None);
    let rotated = rotated.json()?;
    let new = rotated["helper_key"].as_str().unwrap_or_default().to_owned();
    assert!(new.starts_with("helper.1.") && new != old, "{rotated}");
    assert_eq!(rotated["generation"], 1);

    // The socket opened with the old key is closed with a reason the page can show.
    let (close, reason) = table.expect_close().await?;
    assert_eq!(close, 1008);
    assert!(reason.starts_with("key_rotated"), "{reason}");
    // Others stay connected.
    event.open("path").await?;
    participant.receive_until(|doc| root(doc, "activities")["path"]["state"] == "open").await?;

    // The old key's entries stay in the room, and are no longer anyone's to read back.
    assert_eq!(entries(&event.server, &code, &new).await?, vec![]);
    assert!(root(&participant.doc, "ideas").get(&entered).is_some());
    assert_old_refused_and_new_accepted(&event.server, &code, &old, &new).await?;

    let server = event.server.restart().await?;
    assert_old_refused_and_new_accepted(&server, &code, &old, &new).await?;
    let shown = server.get_with(&format!("/api/rooms/{code}/helper-key"), &event.room.facilitator_key).await?.json()?;
    assert_eq!(shown["helper_key"].as_str(), Some(new.as_str()));
    Ok(())
}

async fn assert_old_refused_and_new_accepted(
    server: &TestServer,
    code: &str,
    old: &str,
    new: &str,
) -> anyhow::Result<()> {
    let idea = |text: &str| keyed(json!({ "kind": "add_idea", "activity": "ideas", "text": text }));
    check(&server.intent(code, old, &idea("After")).await?, 403, Some("key_rotated"));
    check(&server.get_with(&format!("/api/rooms/{code}/helper/entries"), old).await?, 403, Some("key_rotated"));
    check(&server.get_with(&format!("/api/rooms/{code}/export.json"), old).await?, 403, Some("key_rotated"));
    assert_eq!(YClient::refused_status(&server.sync_url(code, old)).await?, 403);
    check(&server.intent(code, new, &idea("With the new key")).await?, 200, None);
    server.connect(code, new).await?.close().await?;
    // The admin's token is no helper key either.
    check(&server.intent(code, ADMIN_TOKEN, &idea("x")).await?, 403, Some("invalid_token"));
    Ok(())
}
