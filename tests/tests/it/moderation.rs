//! Moderation before the big screen, through the real server: notes held for
//! approval stay off the board every client syncs (phones included) until the
//! facilitator approves them, whatever looks like it identifies a person is held
//! whatever the setting, the console reads the queue over a facilitator-only
//! route that names no group of fewer than five, and each lock keeps its own snapshot.

use serde_json::{Value, json};
use touchpoint_tests::event::{Event, check, id_of, root};
use yrs::Doc;

use super::analysis::stored_anywhere;

/// The moderation list, as the facilitator's console reads it.
async fn moderation_list(event: &Event) -> anyhow::Result<Value> {
    let path = format!("/api/rooms/{}/moderation", event.room.code);
    let response = event.server.get_with(&path, &event.room.facilitator_key).await?;
    anyhow::ensure!(response.status == 200, "the moderation list: {response:?}");
    response.json()
}

/// Every root of the board a phone syncs, as text.
fn board_text(doc: &Doc) -> String {
    let roots = ["room", "activities", "participation", "snapshots", "cards", "ideas", "path_notes", "pledges"];
    roots
        .iter()
        .chain(&["touchstones", "feedback"])
        .map(|name| root(doc, name).to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn held_ids(list: &Value) -> Vec<(String, String)> {
    list["held"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|item| (item["id"].as_str().unwrap_or("").to_owned(), item["status"].as_str().unwrap_or("").to_owned()))
        .collect()
}

#[tokio::test]
async fn a_moderated_activity_holds_notes_off_every_board_until_approved() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let mut phone = event.watch().await?;
    let person = event.join(json!({ "perspective": "person" })).await?;
    event.open("ideas").await?;
    let moderate = json!({ "kind": "set_moderation", "activity": "ideas", "moderated": true });
    check(&event.participant(&person, moderate.clone()).await?, 403, Some("facilitator_only"));
    check(&event.facilitator(moderate).await?, 200, None);

    let held = event
        .participant(&person, json!({ "kind": "add_idea", "activity": "ideas", "text": "idea-waits-4b1e" }))
        .await?;
    check(&held, 200, None);
    assert_eq!(held.json()?["held"], true, "the author is told it waits: {}", held.body);
    let held = id_of(&held);
    let turned_down = id_of(
        &event
            .participant(&person, json!({ "kind": "add_idea", "activity": "ideas", "text": "idea-declined-9c2d" }))
            .await?,
    );
    // A paper idea the facilitator types in is theirs to show.
    let paper = event
        .facilitator(json!({ "kind": "add_idea", "activity": "ideas", "text": "More chairs", "on_behalf_of": {} }))
        .await?;
    assert_eq!(paper.json()?.get("held"), None);

    // The phone hears that something changed for the facilitator, and nothing of what.
    phone.receive_until(|doc| root(doc, "activities")["ideas"]["held_version"] == 2).await?;
    let board = board_text(&phone.doc);
    assert!(!board.contains("idea-waits-4b1e") && !board.contains("idea-declined-9c2d"), "{board}");
    let me = event.server.get_with(&format!("/api/rooms/{}/me", event.room.code), &person).await?.json()?;
    let mine: Vec<&Value> = me["contributions"].as_array().into_iter().flatten().collect();
    assert!(mine.iter().all(|c| c["held"] == true), "{me}");

    // Only the facilitator reads the queue.
    let path = format!("/api/rooms/{}/moderation", event.room.code);
    check(&event.server.get_with(&path, &person).await?, 403, Some("facilitator_only"));
    let list = moderation_list(&event).await?;
    assert_eq!(held_ids(&list).len(), 2, "{list}");
    // Both came in the same minute: the list's order between them is not the order they were sent.
    let item = list["held"].as_array().into_iter().flatten().find(|item| item["id"] == held.as_str()).cloned();
    let item = item.unwrap_or_default();
    assert_eq!(item["contribution"]["text"], "idea-waits-4b1e");
    assert_eq!(item["reasons"], json!([]), "held by the setting, not for what it says");

    check(&event.facilitator(json!({ "kind": "review", "id": held, "approved": true })).await?, 200, None);
    check(&event.facilitator(json!({ "kind": "review", "id": turned_down, "approved": false })).await?, 200, None);
    check(&event.facilitator(json!({ "kind": "review", "id": held, "approved": true })).await?, 409, Some("not_held"));
    phone.receive_until(|doc| root(doc, "ideas")[&held]["text"] == "idea-waits-4b1e").await?;
    phone.receive_until(|doc| root(doc, "activities")["ideas"]["held_version"] == 4).await?;
    assert!(!board_text(&phone.doc).contains("idea-declined-9c2d"), "a turned-down note never reaches the board");
    assert_eq!(held_ids(&moderation_list(&event).await?), [(turned_down.clone(), "rejected".to_owned())]);

    // The record keeps the turned-down note for the analyst, marked as such.
    let export = event
        .server
        .get_with(&format!("/api/rooms/{}/export.json", event.room.code), &event.room.facilitator_key)
        .await?
        .json()?;
    let status = |id: &str| {
        export["ideas"].as_array().into_iter().flatten().find(|row| row["id"] == id).map(|row| row["status"].clone())
    };
    assert_eq!((status(&held), status(&turned_down)), (Some(json!("shown")), Some(json!("rejected"))), "{export}");
    Ok(())
}

#[tokio::test]
async fn a_note_that_identifies_someone_is_held_whatever_the_setting_and_the_facilitator_sees_why() -> anyhow::Result<()>
{
    let event = Event::start().await?;
    let mut phone = event.watch().await?;
    let person = event.join(json!({ "perspective": "person" })).await?;
    for activity in ["map", "path", "pledges"] {
        event.open(activity).await?;
    }
    let card = |note: &str| json!({ "kind": "add_card", "activity": "map", "touchpoint": "booking", "emotion": "hopeful", "note": note });
    let named = event.participant(&person, card("Dr Patel was kind")).await?;
    assert_eq!(named.json()?["held"], true);
    let named = id_of(&named);
    let kind = id_of(&event.participant(&person, card("the doctor was kind")).await?);
    let phoned = id_of(&event.participant(&person, json!({ "kind": "add_path_note", "activity": "path", "section": "first-step", "text": "ring me on 07700 900123" })).await?);
    let mailed = id_of(
        &event
            .participant(&person, json!({ "kind": "add_touchstone", "activity": "pledges", "word": "jo@nhs.net" }))
            .await?,
    );
    let numbered = id_of(
        &event
            .participant(
                &person,
                json!({ "kind": "add_pledge", "activity": "pledges", "text": "patient 943 476 5919 deserves better" }),
            )
            .await?,
    );
    phone.receive_until(|doc| root(doc, "cards").get(&kind).is_some()).await?;
    let board = board_text(&phone.doc);
    for text in ["Patel", "07700", "jo@nhs.net", "943 476"] {
        assert!(!board.contains(text), "{text} reached the board: {board}");
    }
    let list = moderation_list(&event).await?;
    let reasons = |id: &str| {
        list["held"].as_array().into_iter().flatten().find(|item| item["id"] == id).map(|item| item["reasons"].clone())
    };
    assert_eq!(reasons(&named), Some(json!(["titled_name"])));
    assert_eq!(reasons(&phoned), Some(json!(["phone_number"])));
    assert_eq!(reasons(&mailed), Some(json!(["email"])));
    assert_eq!(reasons(&numbered), Some(json!(["nhs_number"])));

    // An edit keeps it held; a shown card edited to name someone leaves the board.
    let edited = event.participant(&person, json!({ "kind": "edit_card", "id": named, "note": "kind staff" })).await?;
    assert_eq!(edited.json()?["held"], true);
    let renamed = event.participant(&person, json!({ "kind": "edit_card", "id": kind, "note": "Nurse Jones" })).await?;
    assert_eq!(renamed.json()?["held"], true);
    phone.receive_until(|doc| root(doc, "cards").get(&kind).is_none()).await?;

    // Withdrawn, it leaves the queue; erased with its author, it is stored nowhere.
    check(&event.participant(&person, json!({ "kind": "withdraw", "id": phoned })).await?, 200, None);
    assert!(!held_ids(&moderation_list(&event).await?).iter().any(|(id, _)| *id == phoned));
    assert!(stored_anywhere(event.server.data_dir(), "jo@nhs.net")?, "the marker is stored before erasure");
    check(&event.participant(&person, json!({ "kind": "erase_me" })).await?, 200, None);
    assert_eq!(held_ids(&moderation_list(&event).await?), []);
    assert!(!stored_anywhere(event.server.data_dir(), "jo@nhs.net")?, "an erased held note is still stored");
    Ok(())
}

#[tokio::test]
async fn the_moderation_list_names_a_perspective_or_role_only_when_five_share_it() -> anyhow::Result<()> {
    let event = Event::start().await?;
    event.open("ideas").await?;
    let gp = event.join(json!({ "perspective": "staff", "role": "gp" })).await?;
    let carer = event.join(json!({ "perspective": "carer" })).await?;
    for _ in 0..4 {
        event.join(json!({ "perspective": "staff", "role": "nurse" })).await?;
    }
    let idea = json!({ "kind": "add_idea", "activity": "ideas", "text": "Ask Sister Evans" });
    let from_gp = id_of(&event.participant(&gp, idea.clone()).await?);
    let from_carer = id_of(&event.participant(&carer, idea).await?);
    let list = moderation_list(&event).await?;
    let item = |id: &str| list["held"].as_array().into_iter().flatten().find(|item| item["id"] == id).cloned();
    let gp_item = item(&from_gp).unwrap_or_default();
    // Five staff: the perspective may be named; one GP: the role may not.
    assert_eq!(
        (gp_item["contribution"]["perspective"].clone(), gp_item["contribution"].get("role")),
        (json!("staff"), None)
    );
    assert_eq!(item(&from_carer).unwrap_or_default()["contribution"].get("perspective"), None, "{list}");
    // The console is told a group was left out, rather than that none was given.
    assert_eq!(
        (gp_item["group_withheld"].clone(), item(&from_carer).unwrap_or_default()["group_withheld"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!((list["perspectives"].clone(), list["roles"].clone()), (json!(["staff"]), json!([])));
    Ok(())
}

#[tokio::test]
async fn each_lock_keeps_its_own_snapshot() -> anyhow::Result<()> {
    let event = Event::start().await?;
    event.open("map").await?;
    check(&event.facilitator(json!({ "kind": "lock_activity", "activity": "map" })).await?, 200, None);
    event.open("map").await?;
    check(&event.facilitator(json!({ "kind": "lock_activity", "activity": "map" })).await?, 200, None);
    assert_eq!(event.snapshot_names().await?, ["How it feels today (locked)", "How it feels today (locked 2)"]);
    Ok(())
}
