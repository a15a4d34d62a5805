//! Small counts: one rule for every count of people by group that leaves the facilitator team.
//!
//! The live board every phone reads, a room's report and a programme's report
//! show no count of 1 to 7 people by perspective or group, nor a figure that
//! would give one away; the threshold can be raised, never lowered.

use std::ffi::OsStr;

use rusqlite::{Connection, params};
use serde_json::{Value, json};
use touchpoint_core::disclosure::MinCount;
use touchpoint_tests::event::{Event, check, root, template};
use touchpoint_tests::{ADMIN_TOKEN, TestServer, YClient};
use yrs::{Map, ReadTxn, Transact, WriteTxn};

/// Every figure of a report's table whose caption contains `caption`, cell by cell.
fn table_cells(html: &str, caption: &str) -> Vec<String> {
    let at = html.find(caption).unwrap_or_else(|| panic!("no table {caption:?} in the report"));
    let table = &html[at..at + html[at..].find("</table>").expect("the table ends")];
    table.split("<td class=\"n\">").skip(1).map(|cell| cell[..cell.find("</td>").unwrap_or(0)].to_owned()).collect()
}

/// The row of a table (by its header) whose caption contains `caption`.
fn table_row(html: &str, caption: &str, header: &str) -> String {
    let at = html.find(caption).unwrap_or_else(|| panic!("no table {caption:?} in the report"));
    let table = &html[at..at + html[at..].find("</table>").expect("the table ends")];
    let row = table.find(&format!("<th scope=\"row\">{header}</th>")).unwrap_or_else(|| panic!("no row {header}"));
    table[row..row + table[row..].find("</tr>").expect("the row ends")].to_owned()
}

/// A count on the board as a reader sees it: a number 1 to 7 is what must never be there.
fn small_numbers(participation: &Value) -> Vec<String> {
    let map = participation.as_object().cloned().unwrap_or_default();
    map.iter()
        .filter(|(key, _)| *key != "min_count")
        .filter(|(_, value)| value.as_f64().is_some_and(|n| n > 0.0 && n < 8.0))
        .map(|(key, value)| format!("{key}={value}"))
        .collect()
}

#[tokio::test]
async fn a_vote_shows_no_spread_of_a_group_of_three_voters() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let mut voters = Vec::new();
    for _ in 0..10 {
        voters.push((event.join(json!({ "perspective": "person" })).await?, "a"));
    }
    for _ in 0..3 {
        voters.push((event.join(json!({ "perspective": "staff" })).await?, "c"));
    }
    event.open("options").await?;
    for (token, option) in &voters {
        let dots = json!({ "kind": "set_dots", "activity": "options", "option": option, "dots": 2 });
        check(&event.participant(token, dots).await?, 200, None);
        let score = json!({ "kind": "set_score", "activity": "options", "option": "b", "score": 4 });
        check(&event.participant(token, score).await?, 200, None);
    }
    let path = format!("/api/rooms/{}/report.html", event.room.code);
    let html = event.server.get_with(&path, &event.room.facilitator_key).await?.body;

    // The staff's 3 are suppressed, and people's 10 withheld: 13 voters less 10 would give the 3 away.
    for caption in ["Options: dots from each perspective group", "Options: average score from each perspective group"] {
        let cells = table_cells(&html, caption);
        assert!(!cells.is_empty(), "{caption}: the table has cells");
        for cell in &cells {
            let said = cell.replace("fewer than 8", "");
            assert!(!said.chars().any(|c| c.is_ascii_digit()), "{caption}: a figure by group is shown: {cell:?}");
        }
        assert!(cells.iter().any(|cell| cell == "not shown (fewer than 8 people)"), "{caption}: {cells:?}");
    }
    assert!(html.contains("fewer than 8"), "the report says what it hides");
    Ok(())
}

#[tokio::test]
async fn a_programme_never_reveals_a_rooms_small_group_through_its_sums() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    // (carers, people using services) in each room of the programme.
    for (title, carers, persons) in [("Small room", 2, 9), ("Large room", 10, 9)] {
        let body = json!({ "title": title, "template_definition": template(), "programme": "Two rooms" });
        let room = server.create_room_with(&body).await?;
        for perspective in std::iter::repeat_n("carer", carers).chain(std::iter::repeat_n("person", persons)) {
            server.join(&room.code, &json!({ "perspective": perspective })).await?;
        }
    }
    let report = server.get_with("/api/programmes/Two%20rooms/report.html", ADMIN_TOKEN).await?;
    assert_eq!(report.status, 200, "{}", report.body);
    let html = &report.body;

    // 12 carers less the large room's 10 would be the small room's 2; 18 people less 9, its 9 (withheld there).
    let carers = table_row(html, "Participants by perspective", "Family carer");
    let persons = table_row(html, "Participants by perspective", "Person using services");
    for row in [&carers, &persons] {
        assert!(row.contains("not shown"), "{row}");
        assert!(!row.chars().any(|c| c.is_ascii_digit()), "a programme figure by perspective is exact: {row}");
    }
    // What is shown adds up without giving anything away: each room's total, and the programme's.
    let rooms = table_cells(html, "The rooms of this programme");
    assert!(rooms.contains(&"11".to_owned()) && rooms.contains(&"19".to_owned()), "{rooms:?}");
    assert!(html.contains("Places taken</dt><dd>30</dd>"));
    Ok(())
}

#[tokio::test]
async fn the_live_board_never_shows_a_participant_a_count_of_one_to_seven() -> anyhow::Result<()> {
    let event = Event::start().await?;
    let mut watcher = event.watch().await?;
    // (profile, how many): 9 people using services, 3 staff (2 remote), 1 who did not say.
    let crowd = [
        (json!({ "perspective": "staff", "role": "gp", "remote": true }), 2),
        (json!({ "perspective": "staff" }), 1),
        (json!({}), 1),
        (json!({ "perspective": "person" }), 9),
    ];
    for (profile, n) in crowd {
        for _ in 0..n {
            event.join(profile.clone()).await?;
        }
    }
    // Every state of the board the watching phone went through, checked as it arrived.
    let seen = std::cell::RefCell::new(Vec::new());
    watcher
        .receive_until(|doc| {
            let participation = root(doc, "participation");
            seen.borrow_mut().extend(small_numbers(&participation));
            participation["people"] == 9
        })
        .await?;
    assert_eq!(seen.into_inner(), Vec::<String>::new(), "a phone saw a count of 1 to 7");
    // The final state, from a fresh phone (the watchers joined too, without a perspective).
    let phone = event.watch().await?;
    let participation = root(&phone.doc, "participation");
    assert_eq!(
        participation,
        json!({
            "total": "withheld", "people": 9, "professionals": "suppressed", "unspecified": "suppressed",
            "remote": "suppressed", "min_count": 8
        }),
        "no count by perspective, no small count, and no total that would give the hidden groups away"
    );
    Ok(())
}

#[tokio::test]
async fn a_threshold_below_eight_is_refused_at_start() -> anyhow::Result<()> {
    let data_dir = tempfile::tempdir()?;
    let args = ["serve", "--addr", "127.0.0.1:0", "--min-count", "7", "--data-dir"].map(OsStr::new);
    let mut all = args.to_vec();
    all.push(data_dir.path().as_os_str());
    let output = touchpoint_tests::process::run_binary(&all).await?;
    assert!(!output.status.success(), "a server with a threshold of 7 started");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("a threshold of 7 is below 8"), "{stderr}");
    assert!(stderr.contains("NHS"), "the refusal says why: {stderr}");
    Ok(())
}

#[tokio::test]
async fn a_threshold_of_ten_is_honoured_on_the_board_and_in_the_report() -> anyhow::Result<()> {
    let event = Event::start_with(|config| config.min_count = MinCount::new(10).expect("10 is allowed")).await?;
    for _ in 0..9 {
        event.join(json!({ "perspective": "person" })).await?;
    }
    // With the default of 8, 9 people would be shown.
    let phone = event.watch().await?;
    let participation = root(&phone.doc, "participation");
    assert_eq!((&participation["people"], &participation["min_count"]), (&json!("suppressed"), &json!(10)));
    let path = format!("/api/rooms/{}/report.html", event.room.code);
    let html = event.server.get_with(&path, &event.room.facilitator_key).await?.body;
    assert!(html.contains("shown as \u{201c}fewer than 10\u{201d}"), "the method note names the threshold");
    let persons = table_row(&html, "Participants by perspective", "Person using services");
    assert!(persons.contains("fewer than 10"), "{persons}");
    Ok(())
}

#[tokio::test]
async fn a_room_kept_under_an_older_rule_is_counted_again_before_anyone_sees_it() -> anyhow::Result<()> {
    let mut event = Event::start().await?;
    for _ in 0..9 {
        event.join(json!({ "perspective": "person" })).await?;
    }
    assert_eq!(root(&event.watch().await?.doc, "participation")["people"], 9);

    // As an older server wrote it: an exact count by perspective, on the board every phone syncs.
    let mut watcher = event.watch().await?;
    watcher.handshake().await?;
    let old_counts = {
        let before = watcher.doc.transact().state_vector();
        let mut txn = watcher.doc.transact_mut();
        txn.get_or_insert_map("participation").insert(&mut txn, "person", 9);
        txn.encode_state_as_update_v1(&before)
    };
    drop(watcher);
    event.server.shutdown().await?;
    let db = Connection::open(event.server.data_dir().join("touchpoint.db"))?;
    db.execute(
        "INSERT INTO updates (room, doc, data, at, crc) VALUES (?1, 0, ?2, 0, ?3)",
        params![event.room.code, old_counts, i64::from(crc32fast::hash(&old_counts))],
    )?;
    let n_updates = || -> rusqlite::Result<i64> {
        db.query_row("SELECT COUNT(*) FROM updates WHERE room = ?1", params![event.room.code], |row| row.get(0))
    };
    let stored_before = n_updates()?;

    // The threshold raised to 10: the 9 are fewer than 10 from the first byte a phone receives.
    let ten = MinCount::new(10).expect("10 is allowed");
    event.server = event.server.restart_with(|config| config.min_count = ten).await?;
    // Read by the facilitator's client, which joins no one: only the load can have counted again.
    let mut facilitator =
        YClient::connect(&event.server.sync_url(&event.room.code, &event.room.facilitator_key)).await?;
    facilitator.handshake().await?;
    let participation = root(&facilitator.doc, "participation");
    assert_eq!(participation.get("person"), None, "the older server's count by perspective is gone");
    assert_eq!((&participation["people"], &participation["min_count"]), (&json!("suppressed"), &json!(10)));
    assert!(n_updates()? > stored_before, "the recount is stored, not only shown");
    Ok(())
}
