//! Feedback on the event: the spread of ratings, their average, and what people said worked and should change.

use maud::{Markup, html};

use crate::insights::{Count, FeedbackInsight, Insights};
use crate::report::charts::{Bar, bar_chart};
use crate::report::page::{Page, Table, h3, h4, list, paragraph, quiet};
use crate::report::words::{hidden_sentence, one_decimal, plural};

/// The words of each rating, as the phone offers them.
const RATINGS: [&str; 5] = ["1, very poor", "2, poor", "3, fair", "4, good", "5, very good"];

pub(crate) fn event_feedback(page: &Page, insights: &Insights) -> Markup {
    page.section("Feedback on the event", || {
        html! {
            @if insights.feedback.is_empty() {
                (paragraph("There was no feedback activity in this report's events."))
            }
            @for feedback in &insights.feedback {
                (activity(page, feedback))
            }
        }
    })
}

fn activity(page: &Page, feedback: &FeedbackInsight) -> Markup {
    let name = page.activity_title(&feedback.room, &feedback.title);
    let max = feedback.distribution.iter().copied().max().unwrap_or(0).max(1);
    let bars: Vec<Bar> = RATINGS
        .iter()
        .zip(feedback.distribution)
        .map(|(label, n)| Bar { label: (*label).to_owned(), value: n, max, text: plural(n, "person", "people") })
        .collect();
    let groups: Vec<_> = feedback.by_group.iter().filter(|g| g.n != Count::Exact(0)).collect();
    let mut spread = Table::new(format!("{name}: average rating from each perspective group"), &["Group", "Average"])
        .numeric(&[true]);
    for group in &groups {
        let cell = match group.n {
            Count::Exact(n) => format!("{} ({})", one_decimal(group.mean), plural(n, "rating", "ratings")),
            count => page.hidden_group(count),
        };
        spread.rows.push((group.group.label().to_owned(), vec![cell]));
    }
    html! {
        (h3(&name))
        @if feedback.n_hidden > 0 {
            (quiet(&hidden_sentence(feedback.n_hidden, "answer was", "answers were")))
        }
        @if feedback.n == 0 {
            (quiet("Nobody rated the event."))
        } @else {
            (paragraph(&format!(
                "{} rated the event {} out of 5 on average.",
                plural(feedback.n, "person", "people"),
                one_decimal(feedback.mean)
            )))
            (bar_chart(page, &format!("{name}: how many gave each rating"), &bars))
            @if !groups.is_empty() {
                (spread)
            }
        }
        (texts("What worked", &feedback.worked))
        (texts("What to change", &feedback.change))
    }
}

fn texts(heading: &str, texts: &[String]) -> Markup {
    html! {
        (h4(heading))
        @if texts.is_empty() {
            (quiet("Nobody said."))
        } @else {
            (list("notes", texts))
        }
    }
}
