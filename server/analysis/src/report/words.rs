//! Numbers and findings as the report says them: plurals, percentages, dates and sentences.
//!
//! Everyone who took part should be able to read the report, so numbers
//! become words here once ("1 card was", "80%", "12 to 13 March 2025"), and
//! every section says them the same way.

use touchpoint_core::calendar::civil_date;
use touchpoint_core::template::Valence;

use super::page::Page;
use crate::insights::{Breakdown, Comparison, DEFAULT_MIN_COUNT, HotSpot};

/// How small counts were treated, said the same way in the summary and in the participation audit.
pub(crate) fn suppression_sentence(min_count: usize) -> String {
    if min_count <= 1 {
        return "Every count of people is shown exactly: small numbers were not hidden in this report, so it \
                must not be shared beyond the team."
            .to_owned();
    }
    let mut sentence = format!(
        "To protect privacy, any number of people from 1 to {} is shown as \u{201c}fewer than {min_count}\u{201d}, \
         because in groups this small a number that low could point to one person. Where a hidden number could \
         be worked out from a total and the other numbers (in a programme, from each room's own numbers too), one \
         more number is \u{201c}not shown\u{201d}.",
        min_count - 1
    );
    if min_count >= DEFAULT_MIN_COUNT {
        sentence.push_str(
            " NHS Digital's rule for published health statistics suppresses 1 to 7; this threshold is never lower, \
             and the screens people saw during the event followed the same rule.",
        );
    }
    sentence
}

/// The balance of people and professionals, exactly where every part can be shown.
pub(crate) fn balance_sentence(page: &Page, balance: &Breakdown) -> String {
    let exact: Option<Vec<usize>> = balance.rows.iter().map(|row| row.count.exact()).collect();
    let total = balance.total.exact().unwrap_or(0);
    match exact {
        Some(counts) if total > 0 => {
            let parts: Vec<String> = balance
                .rows
                .iter()
                .zip(&counts)
                .filter(|(_, n)| **n > 0)
                .map(|(row, n)| {
                    format!("{}: {} ({})", row.label.to_lowercase(), n, percent(Some(*n as f64 / total as f64)))
                })
                .collect();
            format!("{}. Co-design aims at about half each.", capitalise(&parts.join("; ")))
        }
        _ if total == 0 && balance.total.exact().is_some() => "Nobody took part.".to_owned(),
        _ => format!(
            "{}. Co-design aims at about half each; the exact balance is not shown, to protect small numbers.",
            capitalise(
                &balance
                    .rows
                    .iter()
                    .map(|row| format!("{}: {}", row.label.to_lowercase(), page.count(row.count)))
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        ),
    }
}

pub(crate) fn hot_spot_words(spots: &[HotSpot]) -> String {
    let items: Vec<String> = spots
        .iter()
        .map(|s| {
            format!(
                "\u{201c}{}\u{201d} ({} of {} bad, {})",
                s.label,
                s.negative,
                plural(s.valenced, "card", "cards"),
                percent(Some(s.share_negative))
            )
        })
        .collect();
    join_and(&items)
}

/// Where people and carers and staff differ most, as a sentence.
pub(crate) fn people_vs_staff_words(widest: &Comparison) -> String {
    let Some(gap) = widest.gap else { return String::new() };
    let (people, staff) = (percent(widest.first.share_negative()), percent(widest.second.share_negative()));
    if gap.abs() < 0.005 {
        return format!(
            "People and carers and staff felt the same at every touchpoint they both rated: at \u{201c}{}\u{201d}, \
             {people} of cards from each were bad.",
            widest.label
        );
    }
    let more = if gap > 0.0 {
        "People and carers were more negative than staff"
    } else {
        "Staff were more negative than people and carers"
    };
    format!(
        "{more} at \u{201c}{}\u{201d}, where they differ most: {people} of people's and carers' cards were bad, \
         against {staff} of staff's ({} points apart).",
        widest.label,
        points_apart(gap)
    )
}

pub(crate) fn valence_mark(valence: Option<Valence>) -> &'static str {
    match valence {
        Some(Valence::Positive) => "\u{25b2}",
        Some(Valence::Neutral) => "\u{25cf}",
        Some(Valence::Negative) => "\u{25bc}",
        None => "\u{270e}",
    }
}

pub(crate) fn column_mark(own_word: bool, valence: Option<Valence>) -> &'static str {
    if own_word { "\u{270e}" } else { valence_mark(valence) }
}

pub(crate) fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "no cards".to_owned(), |share| format!("{:.0}%", share * 100.0))
}

pub(crate) fn points_apart(gap: f64) -> String {
    format!("{:.0}", gap.abs() * 100.0)
}

pub(crate) fn one_decimal(value: Option<f64>) -> String {
    value.map_or_else(String::new, |value| format!("{value:.1}"))
}

pub(crate) fn signed_text(n: i64) -> String {
    if n > 0 {
        format!("+{n}")
    } else if n < 0 {
        format!("\u{2212}{}", n.unsigned_abs())
    } else {
        "0".to_owned()
    }
}

pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 { format!("1 {one}") } else { format!("{n} {many}") }
}

/// "1 card was", "3 cards were", "No cards were", for the start of a sentence.
pub(crate) fn plural_was(n: usize, one: &str, many: &str) -> String {
    match n {
        0 => format!("No {many}"),
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

/// "N things were hidden by the facilitator and left out.", said the same way in every section.
pub(crate) fn hidden_sentence(n: usize, one: &str, many: &str) -> String {
    format!("{} hidden by the facilitator and left out.", plural_was(n, one, many))
}

pub(crate) fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

pub(crate) fn date(seconds: i64) -> String {
    let (year, month, day) = civil_date(seconds);
    format!("{day} {} {year}", MONTHS.get(month.wrapping_sub(1)).copied().unwrap_or(""))
}

/// "12 March 2025", "12 to 13 March 2025", or "30 March 2025 to 2 April 2025".
pub(crate) fn date_range(first: Option<i64>, last: Option<i64>) -> Option<String> {
    let (first, last) = (first?, last.or(first)?);
    let ((y1, m1, d1), (y2, m2, d2)) = (civil_date(first), civil_date(last));
    Some(if (y1, m1, d1) == (y2, m2, d2) {
        date(first)
    } else if (y1, m1) == (y2, m2) {
        format!("{d1} to {}", date(last))
    } else {
        format!("{} to {}", date(first), date(last))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insights::fixtures::T;

    #[test]
    fn writes_dates_as_people_read_them() {
        let check = |seconds: i64, expected: &str| assert_eq!(date(seconds), expected, "{seconds}");
        check(0, "1 January 1970");
        check(-43_200, "31 December 1969");
        check(1_709_251_140, "29 February 2024");
        check(T, "12 March 2025");
        let check = |first: Option<i64>, last: Option<i64>, expected: Option<&str>| {
            assert_eq!(date_range(first, last).as_deref(), expected, "{first:?} {last:?}");
        };
        check(Some(T), Some(T + 3600), Some("12 March 2025"));
        check(Some(T), Some(T + 7 * 86_400), Some("12 to 19 March 2025"));
        check(Some(T), Some(T + 30 * 86_400), Some("12 March 2025 to 11 April 2025"));
        check(Some(T), None, Some("12 March 2025"));
        check(None, Some(T), None);
    }
}
