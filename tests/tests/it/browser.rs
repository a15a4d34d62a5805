//! The web client in real headless Chromium (Debian's `/usr/bin/chromium`, driven by
//! `playwright-core` from `tests/js`): a whole event across phones, projector and
//! console, an accessibility pass (axe-core, keyboard only) over every view, and the
//! facilitator console run with the keyboard alone, replay on the projector, two tabs
//! of one phone sharing their queued cards, and the event in a hall (a full room on a
//! projector at three sizes, phones at large text, the answer beside every control),
//! a card that arrives after its activity closed, pledge follow-ups from the phone to the
//! console and back, a table host typing in a stack of paper cards with the helper link,
//! the insights report opened from the console, a room with damaged storage as the
//! console and the admin see it, and the room's public page ("You said, we did") with the
//! ways the phone, the projector and the console lead to it.
//! Screenshots of each view are kept in `tests/artifacts/`.
//!
//! Set `TOUCHPOINT_SKIP_BROWSER=1` to skip these on a machine without Chromium.

use touchpoint_tests::{ADMIN_TOKEN, TestServer, node};

fn chromium_missing() -> bool {
    if std::env::var_os("TOUCHPOINT_SKIP_BROWSER").is_some() {
        eprintln!("TOUCHPOINT_SKIP_BROWSER is set: skipping the browser test");
        return true;
    }
    let path = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    assert!(
        std::path::Path::new(&path).exists(),
        "Chromium is needed for the browser tests: apt-get install chromium (or set TOUCHPOINT_SKIP_BROWSER=1)"
    );
    false
}

/// One Chromium at a time: the scripts open several pages each, on a two-core machine.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn run(script: &str, checks: &[&str]) -> anyhow::Result<()> {
    if chromium_missing() {
        return Ok(());
    }
    let _turn = ONE_BROWSER.lock().await;
    let server = TestServer::start().await?;
    let output = node::run_script(script, &["--url", &server.base_url(), "--admin-token", ADMIN_TOKEN]).await?;
    // Every script watches its pages for anything the Content-Security-Policy refused.
    for check in checks.iter().chain(&["no Content-Security-Policy violations in any page"]) {
        assert!(output.contains(&format!("ok - {check}")), "{script} did not report {check:?}:\n{output}");
    }
    Ok(())
}

#[tokio::test]
async fn a_whole_event_runs_on_phones_the_projector_and_a_remote_screen() -> anyhow::Result<()> {
    run(
        "e2e-event.mjs",
        &[
            "the projector shows the QR code and the room code in the lobby",
            "the projector counts the room live in words: fewer than 8 people have joined, and no count of 1 to 7",
            "every phone follows the facilitator to the emotional map",
            "a card is placed and the phone says saved once the server has it",
            "offline: the card waits on the phone with its intent key, and the phone says it is not sent yet",
            "offline: a reload opens the phone from its offline shell, with the board as it last saw it and the card still waiting",
            "back online: the card is sent by itself and the phone reconnects",
            "a blank card carries the person’s own word",
            "a reload with a card not yet sent keeps it, and sends it when the server can be reached",
            "the projector map counts each card at its touchpoint, people and staff side by side, with the notes",
            "a hidden card disappears from the projector; its author is told",
            "dots show the remaining budget, respect the per-option limit, and can be moved until the vote locks",
            "the projector hides vote results until they are revealed",
            "after the reveal the projector and the phones show the ranking: callback 4 dots, results 2, coordinator 0",
            "pledges: a name only when chosen, a contact only with its own consent, and the contact can be deleted",
            "the projector shows the pledge wall and the word cloud, the contact stays private",
            "no phone tried to write the room document",
            "no script errors in any page",
        ],
    )
    .await
}

#[tokio::test]
async fn moderation_keeps_held_notes_hidden_counts_and_hidden_cards_off_every_screen() -> anyhow::Result<()> {
    run(
        "e2e-moderation.mjs",
        &[
            "the phone says a note waits for the facilitator, and lists it as waiting",
            "the phone shows its writer the words of a note that waits for the facilitator",
            "axe: no WCAG 2.2 AA violations on the phone: a note waiting for the facilitator",
            "axe: no WCAG 2.2 AA violations on the phone: my contributions, one waiting for the facilitator",
            "the console lists what waits with the reason, names no group of fewer than 5, and the projector shows none of it",
            "axe: no WCAG 2.2 AA violations on the console: moderation, two notes waiting",
            "approval puts a note on the projector at once; a turned-down one never reaches it",
            "a map with hidden counts shows no count, heat or note on the projector and the remote screen until the facilitator reveals it",
            "the projector (a held note absent, an approved one shown, a map with hidden counts) fits 720p, 1080p and 4K and is legible at 1080p; the console’s moderation list fits a laptop; the phone’s answers hold at large text",
            "axe: no WCAG 2.2 AA violations on the projector: a map with its counts hidden",
            "replay never shows a hidden card, nor the earlier words of one edited while hidden, at any step",
            "axe: no WCAG 2.2 AA violations on the projector: replay of a moderated board",
            "no script errors in any page",
        ],
    )
    .await
}

#[tokio::test]
async fn every_phone_projector_and_page_state_passes_axe_reflows_and_works_by_keyboard() -> anyhow::Result<()> {
    run(
        "e2e-a11y.mjs",
        &[
            "axe: no WCAG 2.2 AA violations on the front page",
            "axe: no WCAG 2.2 AA violations on the accessibility statement",
            "axe: no WCAG 2.2 AA violations on the phone: about you",
            "axe: no WCAG 2.2 AA violations on the phone: emotional map, choosing a feeling",
            "keyboard: arrows browse the moments, Enter chooses, and focus moves on to the feelings",
            "keyboard: a whole card is placed without a pointer",
            "the saved card is announced in a polite live region",
            "a timer running out and the room moving on keep a half-written card, even across a reload",
            "axe: no WCAG 2.2 AA violations on the phone: vote, offline with a dot not sent yet",
            "the phone: vote: reflows at 320 px and at 200% zoom of a 360 px phone",
            "the phone: vote: every target is at least 44 px (inline links 24 px)",
            "axe: no WCAG 2.2 AA violations on the phone: pledge, with name and contact fields",
            "axe: no WCAG 2.2 AA violations on the phone: feedback, with a rating and a text",
            "the phone: feedback: every target is at least 44 px (inline links 24 px)",
            "axe: no WCAG 2.2 AA violations on the phone: my contributions",
            "axe: no WCAG 2.2 AA violations on the projector: lobby",
            "axe: no WCAG 2.2 AA violations on the projector: How care feels today",
            "axe: no WCAG 2.2 AA violations on the projector: The options for change",
            "axe: no WCAG 2.2 AA violations on the projector: Our PATH",
            "axe: no WCAG 2.2 AA violations on the projector: My pledge",
            "axe: no WCAG 2.2 AA violations on the projector: Anything else to tell us?",
            "axe: no WCAG 2.2 AA violations on the projector: Feedback on today",
            "no script errors in any page",
        ],
    )
    .await
}

#[tokio::test]
async fn the_facilitator_console_runs_the_event_and_the_remote_attendee_hears_it() -> anyhow::Result<()> {
    run(
        "e2e-console.mjs",
        &[
            "a facilitator creates a room from a template on the front page and lands in its console",
            "the console takes the facilitator key, or the whole link, and refuses a wrong one",
            "the console opens the projector in another window",
            "“Open and show” opens the map and moves every phone to it",
            "touchpoints are added, renamed and moved live, and the phones follow at once",
            "paper cards are typed in quickly: the perspective stays, the text clears, focus returns to the first field",
            "the timer shows on the projector and the phones, and stops",
            "moderation hides a card from the board and shows it again",
            "a paper ballot is typed in whole: the console’s results count it at once, the numbers clear, focus returns to the first field",
            "a paper ballot typed in by mistake is taken back, and the results follow",
            "axe: no WCAG 2.2 AA violations on the console: typing in a paper ballot",
            "the facilitator sees a vote’s results live before anyone else; the reveal shows them on the projector",
            "snapshots are listed (one per closed activity, and on demand) and the data downloads as JSON and CSV",
            "the console opens a replay of the board in the projector window",
            "axe: no WCAG 2.2 AA violations on the console: moderation",
            "console: the board’s size is shown among the data, against its limit",
            "a snapshot opens in the console: the map as it stood when it closed",
            "axe: no WCAG 2.2 AA violations on the console: snapshots and data, looking at a snapshot",
            "remote: the keyboard alone reaches every control, with the focus always visible and never covered",
            "remote: activity changes and new contributions are announced in a polite live region",
            "axe: no WCAG 2.2 AA violations on the remote attendee: ideas, with the board beside",
            "console: the feedback view shows the answers as they come",
            "axe: no WCAG 2.2 AA violations on the console: feedback open, with an answer",
            "no script errors in any page",
        ],
    )
    .await
}

#[tokio::test]
async fn a_facilitator_runs_the_console_with_the_keyboard_alone() -> anyhow::Result<()> {
    run(
        "e2e-keyboard.mjs",
        &[
            "keyboard: the Next button opens the first activity and keeps focus for the next one",
            "keyboard: a touchpoint is added and renamed, and focus lands where the next step starts",
            "keyboard: a paper card is typed in on a carer’s behalf, and focus returns for the next card",
            "keyboard: the timer starts",
            "keyboard: a card is hidden and shown again in moderation, and focus never falls to the page",
            "axe: no WCAG 2.2 AA violations on the console after a keyboard walkthrough: a vote revealed",
            "the console shows a new ballot within two seconds of its casting, without polling",
            "keyboard: a vote is opened and its results revealed",
            "keyboard: a snapshot is taken and opened",
            "no script errors in the console",
        ],
    )
    .await
}

#[tokio::test]
async fn the_projector_replays_the_board_from_its_history() -> anyhow::Result<()> {
    run(
        "e2e-replay.mjs",
        &[
            "the projector’s “Replay the board” opens replay at the first step: the room as it was created, no cards",
            "keyboard: stepping forward shows the empty map, then the cards one by one, and never the hidden card",
            "at the end the replayed board is exactly what the live projector shows",
            "the slider is labelled and says the step and its time; Home, End and the arrows scrub through the history",
            "the step reached is announced once in a polite live region",
            "replay: every control is at least 24 by 24 px",
            "axe: no WCAG 2.2 AA violations on the projector: replay, part way through the map",
            "axe: no WCAG 2.2 AA violations on the projector: replay, paused",
            "play runs by itself to the end at a steady pace and stops there; pause holds the position",
            "leaving replay shows the live board again; Back and a #key=…&replay link open replay directly, trying again when the history cannot be fetched",
            "no script errors in any page",
        ],
    )
    .await
}

#[tokio::test]
async fn a_table_host_types_a_stack_of_paper_cards_with_the_keyboard_alone() -> anyhow::Result<()> {
    run(
        "e2e-helper.mjs",
        &[
            "axe: no WCAG 2.2 AA violations on the console showing the table hosts’ link",
            "the console shows the table hosts’ link and its QR code",
            "axe: no WCAG 2.2 AA violations on the helper’s page, before the first card",
            "the helper’s page says which activity is open and how long its timer runs",
            "the record holds the ten cards, from the perspective given once, at the touchpoints carried over",
            "axe: no WCAG 2.2 AA violations on the helper’s page with ten cards typed in",
            "a wrong entry is erased from the running list with the keyboard, and leaves the room",
            "axe: no WCAG 2.2 AA violations on the helper’s page with a paper ballot form",
            "a paper ballot is typed in with the keyboard once the vote opens, and counted",
            "the projector shows the paper cards typed in by the table host",
            "axe: no WCAG 2.2 AA violations on the helper’s page on a phone",
            "the helper’s page works on a phone at 320 px with large text, and reads back what the link typed in",
            "axe: no WCAG 2.2 AA violations on the helper’s page after the link was replaced",
            "replacing the link closes the old page with a clear message, and the new link works",
        ],
    )
    .await
}

#[tokio::test]
async fn a_card_sent_after_its_activity_closed_is_kept_late_and_the_facilitator_shows_it() -> anyhow::Result<()> {
    run(
        "e2e-late.mjs",
        &[
            "offline: the card waits on the phone",
            "axe: no WCAG 2.2 AA violations on the phone told its card arrived late",
            "back online: the phone says the card arrived after the activity closed, and that the facilitator can still show it",
            "the card is in the record marked late, and not on the projector",
            "axe: no WCAG 2.2 AA violations on the console listing a late card",
            "the console lists the late card",
            "the facilitator shows the late card and the projector displays it",
            "axe: no WCAG 2.2 AA violations on the phone told its dot came too late",
            "a dot that arrives after the vote closed is not counted, and the phone says so",
            "the phone’s late and not-counted answers hold at large text; the console’s late list fits a laptop; the projector with a late card fits 720p, 1080p and 4K",
        ],
    )
    .await
}

#[tokio::test]
async fn pledge_follow_ups_are_planned_on_the_phone_worked_through_in_the_console_and_withdrawn() -> anyhow::Result<()>
{
    run(
        "e2e-follow-ups.mjs",
        &[
            "axe: no WCAG 2.2 AA violations on the phone: a pledge with a follow-up in a month",
            "axe: no WCAG 2.2 AA violations on the phone: a pledge with its follow-up planned",
            "the pledger chooses when to be contacted, and the phone says when the follow-up is planned",
            "axe: no WCAG 2.2 AA violations on the console: pledge follow-ups with their contacts at 1280x720",
            "the console lists each follow-up with its contact, the date asked for and its status, and fits a laptop",
            "the follow-ups download as CSV for a mail merge",
            "axe: no WCAG 2.2 AA violations on the console: confirming that a follow-up is done",
            "keyboard only: a follow-up is marked contacted, then done, which asks first and deletes the contact",
            "the pledger withdraws the follow-up from the phone; the pledge stays",
            "the audit trail lists every read and deletion of contacts, by which key and how many, never a contact",
            "no script errors in any page",
        ],
    )
    .await
}

#[tokio::test]
async fn the_console_opens_the_insights_report_whose_labels_keep_whole_words() -> anyhow::Result<()> {
    run(
        "e2e-report.mjs",
        &[
            "axe: no WCAG 2.2 AA violations on the console with the link to the insights report",
            "the console opens the insights report in a new tab, with a short-lived link and no key in it",
            "report charts shorten long Welsh and Urdu labels only between words",
        ],
    )
    .await
}

#[tokio::test]
async fn two_tabs_of_one_phone_share_their_queued_cards() -> anyhow::Result<()> {
    run(
        "e2e-tabs.mjs",
        &[
            "two tabs of one phone share the outbox: each shows both cards waiting",
            "a tab closed with its card still queued loses nothing: the other tab sends it",
        ],
    )
    .await
}

#[tokio::test]
async fn the_event_in_the_hall_a_projector_from_the_back_row_and_phones_at_large_text() -> anyhow::Result<()> {
    run(
        "e2e-hall.mjs",
        &[
            "the projector: lobby fits 720p, 1080p and 4K without scrolling; at 1080p no text under 24 px, body text 32 px",
            "the projector: map fits 720p, 1080p and 4K without scrolling; at 1080p no text under 24 px, body text 32 px",
            "the projector: vote fits 720p, 1080p and 4K without scrolling; at 1080p no text under 24 px, body text 32 px",
            "the projector: results fits 720p, 1080p and 4K without scrolling; at 1080p no text under 24 px, body text 32 px",
            "the projector: pledges fits 720p, 1080p and 4K without scrolling; at 1080p no text under 24 px, body text 32 px",
            "the projector: path fits 720p, 1080p and 4K without scrolling; at 1080p no text under 24 px, body text 32 px",
            "the projector: ideas fits 720p, 1080p and 4K without scrolling; at 1080p no text under 24 px, body text 32 px",
            "axe: no WCAG 2.2 AA violations on the projector at 1080p: ideas",
            "the projector shows the state in large words on a colour, with the QR code and room code readable while open",
            "results arrive with motion (bars grow, words settle), and none under prefers-reduced-motion",
            "right-to-left words display in their own direction on the projector",
            "text over a limit is never cut: the count shows as people type and they are told before sending",
            "a card placed: “saved” beside the form, announced, focus kept",
            "a double tap on every submit button never shows a false error",
            "a closed activity says so first, above anything else",
            "a participant erases everything they gave from the phone, after a clear confirmation",
            "a tab whose token was erased says the person has left the room, in a sentence, and joins again at a tap",
            "the profile fits one screen or asks one question at a time, each skippable",
            "a card is placed in 3 taps with at most one screen of scrolling on a 375x667 phone",
            "no script errors in any page",
        ],
    )
    .await
}

#[tokio::test]
async fn the_projector_stage_chooses_what_to_show_and_the_console_words_the_boards_size() -> anyhow::Result<()> {
    let output = node::run_script("client-units.mjs", &[]).await?;
    for check in [
        "hottest keeps the n heaviest items in their own order, and names the rest",
        "hottest breaks a tie by the order of the journey",
        "inTurn keeps the newest first and shows every older item in turn",
        "the console warns from 80 % of the board’s limit, and says it is full once a card no longer fits",
    ] {
        assert!(output.contains(&format!("ok - {check}")), "client-units.mjs did not report {check:?}:\n{output}");
    }
    Ok(())
}

#[tokio::test]
async fn a_damaged_room_is_shown_closed_in_the_console_and_listed_for_the_admin() -> anyhow::Result<()> {
    if chromium_missing() {
        return Ok(());
    }
    let _turn = ONE_BROWSER.lock().await;
    let server = TestServer::start().await?;
    let room = server.create_room("Damaged").await?;
    // A failing disk flips a byte of the room's stored layout, under the running server.
    let db = rusqlite::Connection::open(server.data_dir().join("touchpoint.db"))?;
    let mut data: Vec<u8> = db.query_row("SELECT data FROM updates WHERE room = ?1", [&room.code], |row| row.get(0))?;
    let middle = data.len() / 2;
    data[middle] ^= 0x5a;
    db.execute("UPDATE updates SET data = ?1 WHERE room = ?2", rusqlite::params![data, room.code])?;
    let args = [
        "--url",
        &server.base_url(),
        "--admin-token",
        ADMIN_TOKEN,
        "--room",
        &room.code,
        // In one argument: a key may begin with '-', which a separate argument would make an option.
        &format!("--key={}", room.facilitator_key),
    ];
    let output = node::run_script("e2e-quarantine.mjs", &args).await?;
    for check in [
        "the console says the room is closed for repair, and how it is repaired",
        "the front page lists the damaged room for the admin, with what is damaged",
        "no Content-Security-Policy violations in any page",
    ] {
        assert!(output.contains(&format!("ok - {check}")), "e2e-quarantine.mjs did not report {check:?}:\n{output}");
    }
    Ok(())
}

#[tokio::test]
async fn the_updates_page_reads_without_script_and_the_phone_projector_and_console_lead_to_it() -> anyhow::Result<()> {
    run(
        "e2e-updates.mjs",
        &[
            "the public page reads with scripts off: the updates newest first, the words people gave, the options they chose",
            "the public page reflows at 320 px with large text, every link big enough to tap",
            "axe: no WCAG 2.2 AA violations on the public page",
            "an unknown room has a clear page of its own, answered 404",
            "at the end of the event the phone offers the page to keep, and its menu links to it",
            "the projector’s last screen shows the page’s QR code with a caption readable from the back, fitting 1280x720 and 1920x1080",
            "axe: no WCAG 2.2 AA violations on the projector’s last screen",
            "the console posts, corrects and removes an update with the keyboard alone, and the public page follows",
        ],
    )
    .await
}
