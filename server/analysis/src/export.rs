//! The dataset as CSV: one tidy file per kind of contribution.
//!
//! One row per card, dot, score, note, idea, pledge, touchstone, feedback
//! answer and participant; one column per field, and one per segment the room defines
//! (`segment_<id>`), so a file loads as it is into a spreadsheet, R or
//! pandas. Cells are quoted as RFC 4180 says (by the `csv` crate, with CRLF
//! line ends as the RFC has them). Free text comes from strangers,
//! so a cell that a spreadsheet would run as a formula (starting with `=`,
//! `+`, `-`, `@`, a tab or a carriage return) is prefixed with `'`.

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
    let cards = dataset.cards.iter().map(|c| {
        let valence = c.valence.map(valence_name).unwrap_or_default().to_owned();
        let cells = vec![
            c.id.clone(),
            c.activity.clone(),
            c.touchpoint.clone(),
            opt(&c.emotion),
            opt(&c.word),
            valence,
            opt(&c.note),
            yes(c.hidden),
            status_name(c.status),
            c.at.to_string(),
        ];
        (cells, &c.source)
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
        let cells = vec![
            n.id.clone(),
            n.activity.clone(),
            n.section.clone(),
            n.text.clone(),
            yes(n.hidden),
            status_name(n.status),
            n.at.to_string(),
        ];
        (cells, &n.source)
    });
    let ideas = dataset.ideas.iter().map(|i| {
        let cells = vec![
            i.id.clone(),
            i.activity.clone(),
            opt(&i.option),
            i.text.clone(),
            yes(i.hidden),
            status_name(i.status),
            i.at.to_string(),
        ];
        (cells, &i.source)
    });
    let pledges = dataset.pledges.iter().map(|p| {
        let cells = vec![
            p.id.clone(),
            p.activity.clone(),
            p.text.clone(),
            opt(&p.name),
            opt(&p.organisation),
            yes(p.hidden),
            status_name(p.status),
            p.at.to_string(),
        ];
        (cells, &p.source)
    });
    let touchstones = dataset.touchstones.iter().map(|t| {
        (
            vec![
                t.id.clone(),
                t.activity.clone(),
                t.word.clone(),
                yes(t.hidden),
                status_name(t.status),
                t.at.to_string(),
            ],
            &t.source,
        )
    });
    let feedback = dataset.feedback.iter().map(|f| {
        let cells = vec![
            f.id.clone(),
            f.activity.clone(),
            f.rating.to_string(),
            opt(&f.worked),
            opt(&f.change),
            yes(f.hidden),
            status_name(f.status),
            f.at.to_string(),
        ];
        (cells, &f.source)
    });
    vec![
        ("participants.csv", table(&participants_header, participants)),
        (
            "cards.csv",
            contributions(
                &["id", "activity", "touchpoint", "emotion", "word", "valence", "note", "hidden", "status", "at"],
                cards.collect(),
            ),
        ),
        ("dots.csv", contributions(&["activity", "option", "dots", "paper_ballot"], dots.collect())),
        ("scores.csv", contributions(&["activity", "option", "score", "paper_ballot"], scores.collect())),
        (
            "path_notes.csv",
            contributions(&["id", "activity", "section", "text", "hidden", "status", "at"], path_notes.collect()),
        ),
        ("ideas.csv", contributions(&["id", "activity", "option", "text", "hidden", "status", "at"], ideas.collect())),
        (
            "pledges.csv",
            contributions(
                &["id", "activity", "text", "name", "organisation", "hidden", "status", "at"],
                pledges.collect(),
            ),
        ),
        (
            "touchstones.csv",
            contributions(&["id", "activity", "word", "hidden", "status", "at"], touchstones.collect()),
        ),
        (
            "feedback.csv",
            contributions(
                &["id", "activity", "rating", "worked", "change", "hidden", "status", "at"],
                feedback.collect(),
            ),
        ),
    ]
}

/// One CSV file: a header line, then one line per row, each cell defused.
fn table(header: &[String], rows: impl Iterator<Item = Vec<String>>) -> String {
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
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
            assert_eq!(table(&[cell.to_owned()], std::iter::empty()), expected, "{cell}");
        }
    }
}
