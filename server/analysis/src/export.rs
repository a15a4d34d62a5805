//! The dataset as CSV: one tidy file per kind of contribution; and, apart, the pledge follow-ups.
//!
//! One row per card, dot, score, note, idea, pledge, touchstone, feedback
//! answer and participant; one column per field, and one per segment the room defines
//! (`segment_<id>`), so a file loads as it is into a spreadsheet, R or
//! pandas. Cells are quoted as RFC 4180 says (by the `csv` crate, with CRLF
//! line ends as the RFC has them), after a UTF-8 byte order mark so that Excel
//! reads Welsh, Urdu and emoji as they are; each contribution's time is in
//! Unix seconds (`at`) and in ISO 8601 UTC (`at_utc`). Free text comes from strangers,
//! so a cell that a spreadsheet would run as a formula (starting with `=`,
//! `+`, `-`, `@`, a tab or a carriage return) is prefixed with `'`.

use touchpoint_core::room::follow_up::FollowUp;
use touchpoint_core::room::holds::Status;
use touchpoint_core::template::Valence;

use crate::dataset::{Dataset, Source};

/// The CSV files of a dataset: `(file name, contents)`.
pub fn csv_files(dataset: &Dataset) -> Vec<(&'static str, String)> {
    let segments: Vec<String> = dataset.segments.iter().map(|segment| segment.id.clone()).collect();
    let segment_columns = || segments.iter().map(|id| format!("segment_{id}"));
    // Every contribution's columns, then who it is from.
    let contributions = |columns: &[&str], rows: Vec<(Vec<String>, &Source)>| -> String {
        let mut header: Vec<String> = columns.iter().map(|c| (*c).to_owned()).collect();
        header.extend(["participant", "perspective", "role", "remote", "assisted"].map(str::to_owned));
        header.extend(segment_columns());
        let rows = rows.into_iter().map(|(mut cells, source)| {
            cells.extend(source_cells(source, &segments));
            cells
        });
        table(&header, rows)
    };
    let yes = |b: bool| if b { "true" } else { "false" }.to_owned();
    let opt = |value: &Option<String>| value.clone().unwrap_or_default();

    let mut participants_header: Vec<String> =
        ["participant", "perspective", "role", "remote"].map(str::to_owned).to_vec();
    participants_header.extend(segment_columns());
    let participants = dataset.participants.iter().map(|p| {
        let mut cells =
            vec![p.participant.clone(), opt(&p.perspective), opt(&p.role), p.remote.map(yes).unwrap_or_default()];
        cells.extend(segments.iter().map(|id| p.segments.get(id).cloned().unwrap_or_default()));
        cells
    });
    // After a contribution's own columns: its moderation, whether it came late, and its time twice.
    let marked = |hidden: bool, status: Status, late: bool, at: i64| {
        [yes(hidden), status_name(status), yes(late), at.to_string(), iso_utc(at)]
    };
    let marked_contributions =
        |columns: &[&str], rows: Vec<(Vec<String>, &Source)>| contributions(&[columns, &MARKED].concat(), rows);
    let cards = dataset.cards.iter().map(|c| {
        let valence = c.valence.map(valence_name).unwrap_or_default().to_owned();
        let mut cells = vec![
            c.id.clone(),
            c.activity.clone(),
            c.touchpoint.clone(),
            opt(&c.emotion),
            opt(&c.word),
            valence,
            opt(&c.note),
        ];
        cells.extend(marked(c.marks.hidden, c.marks.status, c.marks.late, c.marks.at));
        (cells, &c.marks.source)
    });
    let dots = dataset
        .dots
        .iter()
        .map(|d| (vec![d.activity.clone(), d.option.clone(), d.dots.to_string(), opt(&d.paper_ballot)], &d.source));
    let scores = dataset
        .scores
        .iter()
        .map(|s| (vec![s.activity.clone(), s.option.clone(), s.score.to_string(), opt(&s.paper_ballot)], &s.source));
    let path_notes = dataset.path_notes.iter().map(|n| {
        let mut cells = vec![n.id.clone(), n.activity.clone(), n.section.clone(), n.text.clone()];
        cells.extend(marked(n.marks.hidden, n.marks.status, n.marks.late, n.marks.at));
        (cells, &n.marks.source)
    });
    let ideas = dataset.ideas.iter().map(|i| {
        let mut cells = vec![i.id.clone(), i.activity.clone(), opt(&i.option), i.text.clone()];
        cells.extend(marked(i.marks.hidden, i.marks.status, i.marks.late, i.marks.at));
        (cells, &i.marks.source)
    });
    let pledges = dataset.pledges.iter().map(|p| {
        let mut cells = vec![p.id.clone(), p.activity.clone(), p.text.clone(), opt(&p.name), opt(&p.organisation)];
        cells.extend(marked(p.marks.hidden, p.marks.status, p.marks.late, p.marks.at));
        (cells, &p.marks.source)
    });
    let touchstones = dataset.touchstones.iter().map(|t| {
        let mut cells = vec![t.id.clone(), t.activity.clone(), t.word.clone()];
        cells.extend(marked(t.marks.hidden, t.marks.status, t.marks.late, t.marks.at));
        (cells, &t.marks.source)
    });
    let feedback = dataset.feedback.iter().map(|f| {
        let mut cells = vec![f.id.clone(), f.activity.clone(), f.rating.to_string(), opt(&f.worked), opt(&f.change)];
        cells.extend(marked(f.marks.hidden, f.marks.status, f.marks.late, f.marks.at));
        (cells, &f.marks.source)
    });
    vec![
        ("participants.csv", table(&participants_header, participants)),
        (
            "cards.csv",
            marked_contributions(
                &["id", "activity", "touchpoint", "emotion", "word", "valence", "note"],
                cards.collect(),
            ),
        ),
        ("dots.csv", contributions(&["activity", "option", "dots", "paper_ballot"], dots.collect())),
        ("scores.csv", contributions(&["activity", "option", "score", "paper_ballot"], scores.collect())),
        ("path_notes.csv", marked_contributions(&["id", "activity", "section", "text"], path_notes.collect())),
        ("ideas.csv", marked_contributions(&["id", "activity", "option", "text"], ideas.collect())),
        ("pledges.csv", marked_contributions(&["id", "activity", "text", "name", "organisation"], pledges.collect())),
        ("touchstones.csv", marked_contributions(&["id", "activity", "word"], touchstones.collect())),
        ("feedback.csv", marked_contributions(&["id", "activity", "rating", "worked", "change"], feedback.collect())),
    ]
}

/// The pledge follow-ups of a room, for a mail merge: the one file that holds contacts, read
/// only through `GET /api/rooms/{code}/follow-ups.csv` (and recorded in the room's contact
/// audit trail), never part of [`csv_files`]. Follow-ups whose contact is deleted are left out.
pub fn follow_ups_csv(follow_ups: &[FollowUp]) -> String {
    let header = ["id", "pledge", "name", "organisation", "contact", "due", "status"].map(str::to_owned);
    let rows = follow_ups.iter().filter_map(|follow_up| {
        let contact = follow_up.contact.clone()?;
        Some(vec![
            follow_up.id.clone(),
            follow_up.text.clone(),
            follow_up.name.clone().unwrap_or_default(),
            follow_up.organisation.clone().unwrap_or_default(),
            contact,
            follow_up.due.clone(),
            follow_up.status.as_str().to_owned(),
        ])
    });
    table(&header, rows)
}

/// The columns after every contribution's own: see `marked` in [`csv_files`].
const MARKED: [&str; 5] = ["hidden", "status", "late", "at", "at_utc"];

/// The UTF-8 byte order mark every file starts with: without it, Excel reads the file in the
/// computer's legacy code page, and Welsh (ŵ, ŷ), Urdu and emoji come out as mojibake.
pub const BOM: &str = "\u{feff}";

/// One CSV file: the byte order mark, a header line, then one line per row, each cell defused.
fn table(header: &[String], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(BOM.as_bytes().to_vec());
    // Rows are built here with as many cells as their header, and the writer holds them in memory: nothing can fail.
    writer.write_record(header.iter().map(|cell| defuse(cell))).expect("a header is one record");
    for row in rows {
        writer.write_record(row.iter().map(|cell| defuse(cell))).expect("a row has its header's width");
    }
    let bytes = writer.into_inner().expect("writing to memory cannot fail");
    String::from_utf8(bytes).expect("the cells are UTF-8, and so are the quotes and commas around them")
}

/// A cell as a spreadsheet may show it: one it would run as a formula gets a leading `'`.
fn defuse(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{cell}") } else { cell.to_owned() }
}

/// A contribution's time as ISO 8601 in UTC (`2026-11-23T11:05:00Z`), which spreadsheets read as
/// a date and time, beside the Unix seconds that code reads.
fn iso_utc(secs: i64) -> String {
    let (year, month, day) = touchpoint_core::calendar::civil_date(secs);
    let rest = secs.rem_euclid(86_400);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

fn status_name(status: Status) -> String {
    match status {
        Status::Shown => "shown",
        Status::Hidden => "hidden",
        Status::Held => "held",
        Status::Rejected => "rejected",
    }
    .to_owned()
}

fn valence_name(valence: Valence) -> &'static str {
    match valence {
        Valence::Positive => "positive",
        Valence::Neutral => "neutral",
        Valence::Negative => "negative",
    }
}

fn source_cells(source: &Source, segments: &[String]) -> Vec<String> {
    let mut cells = vec![
        source.participant.clone().unwrap_or_default(),
        source.perspective.clone().unwrap_or_default(),
        source.role.clone().unwrap_or_default(),
        source.remote.map(|remote| remote.to_string()).unwrap_or_default(),
        source.assisted.to_string(),
    ];
    cells.extend(segments.iter().map(|id| source.segments.get(id).cloned().unwrap_or_default()));
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_defused() {
        for (cell, expected) in [
            ("plain", "plain\r\n"),
            ("a, b", "\"a, b\"\r\n"),
            ("say \"hi\"", "\"say \"\"hi\"\"\"\r\n"),
            ("two\nlines", "\"two\nlines\"\r\n"),
            ("=SUM(A1)", "'=SUM(A1)\r\n"),
            ("-5 minutes, then", "\"'-5 minutes, then\"\r\n"),
            ("@cmd", "'@cmd\r\n"),
        ] {
            assert_eq!(table(&[cell.to_owned()], std::iter::empty()), format!("{BOM}{expected}"), "{cell}");
        }
    }

    #[test]
    fn files_open_in_excel_as_utf8_with_times_it_reads() {
        let file = table(&["word".to_owned()], [vec!["ŵyr ŷd دل 🙂".to_owned()]].into_iter());
        assert_eq!(&file.as_bytes()[..3], [0xEF, 0xBB, 0xBF]);
        assert_eq!(&file[BOM.len()..], "word\r\nŵyr ŷd دل 🙂\r\n");
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(1_795_431_900), "2026-11-23T11:05:00Z");
    }
}
