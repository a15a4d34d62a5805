//! The PATH board: each part of the PATH with its notes, in the order it is drawn.

use maud::{Markup, html};

use crate::insights::Insights;
use crate::report::page::{Page, h3, h4, list, paragraph, quiet};
use crate::report::words::hidden_sentence;

pub(crate) fn path_boards(page: &Page, insights: &Insights) -> Markup {
    page.section("The PATH board", || {
        html! {
            @if insights.paths.is_empty() {
                (paragraph("There was no PATH board in this report's events."))
            } @else {
                (paragraph(
                    "PATH (Planning Alternative Tomorrows with Hope) starts from a dream of great care and works back to \
                     a first step. The notes are shown under each part of the PATH, in the order it is drawn.",
                ))
            }
            @for path in &insights.paths {
                (h3(&page.activity_title(&path.room, &path.title)))
                @if path.n_hidden > 0 {
                    (quiet(&hidden_sentence(path.n_hidden, "note was", "notes were")))
                }
                @for (i, section) in path.sections.iter().enumerate() {
                    (h4(&format!("{}. {}", i + 1, section.label)))
                    @if section.notes.is_empty() {
                        (quiet("No notes."))
                    } @else {
                        (list("notes", &section.notes))
                    }
                }
            }
        }
    })
}
