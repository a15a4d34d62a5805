//! Small-count suppression: which counts of people a report may show.
//!
//! A count of 1 to `min_count - 1` people can point to someone in a small
//! co-design group, so it is shown as [`Count::Suppressed`]; and where a
//! reader could work a suppressed count out by subtraction, one more count
//! is [`Count::Withheld`]. The sections build their breakdowns through
//! [`Table`], which knows the sums a reader could check and protects them.

use serde::Serialize;
use touchpoint_core::template::Choice;

use super::NOT_GIVEN;

/// The default smallest count of people a report shows: 1 to 4 can identify someone.
pub const DEFAULT_MIN_COUNT: usize = 5;

/// A count of people, as a report may show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Count {
    Exact(usize),
    /// More than 0 and fewer than the threshold: shown as "fewer than 5".
    Suppressed,
    /// Not small, but hidden so that a suppressed count cannot be worked out from it.
    Withheld,
}

impl Count {
    pub fn exact(self) -> Option<usize> {
        match self {
            Count::Exact(n) => Some(n),
            Count::Suppressed | Count::Withheld => None,
        }
    }
}

/// Counts to publish, and the sums a reader could check them against.
///
/// Each equation says a published total is the sum of published parts. A
/// hidden count that is the only hidden member of an equation can be worked
/// out by subtraction, so [`Table::protect`] withholds one more member.
#[derive(Debug, Default)]
pub(super) struct Table {
    values: Vec<usize>,
    equations: Vec<(usize, Vec<usize>)>,
}

impl Table {
    pub(super) fn cell(&mut self, value: usize) -> usize {
        self.values.push(value);
        self.values.len() - 1
    }

    /// The count in a cell this table made.
    pub(super) fn value(&self, cell: usize) -> usize {
        self.values[cell]
    }

    pub(super) fn equation(&mut self, total: usize, parts: Vec<usize>) {
        self.equations.push((total, parts));
    }

    /// One row per choice, then "not given" for the rest of `n`, counted by `count_of(Some(id))`.
    pub(super) fn rows_of(
        &mut self,
        choices: &[Choice],
        n: usize,
        count_of: impl Fn(Option<&str>) -> usize,
    ) -> Vec<(String, String, usize)> {
        let mut rows = Vec::new();
        let mut given = 0;
        for choice in choices {
            let count = count_of(Some(&choice.id));
            given += count;
            rows.push((choice.id.clone(), choice.label.clone(), self.cell(count)));
        }
        rows.push((NOT_GIVEN.to_owned(), "Not given".to_owned(), self.cell(n.saturating_sub(given))));
        rows
    }

    /// Suppresses small counts, then withholds one more member of any equation
    /// with exactly one hidden member, until none is left; the hidden set only
    /// grows, so this ends.
    pub(super) fn protect(&self, min_count: usize) -> Vec<Count> {
        let mut counts: Vec<Count> = self.values.iter().map(|value| primary(*value, min_count)).collect();
        loop {
            let mut changed = false;
            for (total, parts) in &self.equations {
                let hidden =
                    std::iter::once(total).chain(parts).filter(|cell| counts[**cell].exact().is_none()).count();
                if hidden != 1 {
                    continue;
                }
                // The smallest shown part, preferring one that is not zero (a zero reveals nothing and
                // protects nothing); the total only when no part is left to withhold.
                let part = parts
                    .iter()
                    .filter(|cell| counts[**cell].exact().is_some())
                    .min_by_key(|cell| (self.values[**cell] == 0, self.values[**cell], **cell));
                let Some(cell) = part.or((counts[*total].exact().is_some()).then_some(total)) else { continue };
                counts[*cell] = Count::Withheld;
                changed = true;
            }
            if !changed {
                return counts;
            }
        }
    }
}

/// A count with primary suppression only.
pub(super) fn primary(value: usize, min_count: usize) -> Count {
    if value > 0 && value < min_count { Count::Suppressed } else { Count::Exact(value) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protects_small_counts_and_the_cells_that_would_reveal_them() {
        // (total, parts, expected total then parts, with min_count 5)
        let check = |total: usize, parts: &[usize], min_count: usize, expected: &str| {
            let mut table = Table::default();
            let total = table.cell(total);
            let cells = parts.iter().map(|n| table.cell(*n)).collect();
            table.equation(total, cells);
            let counts = table.protect(min_count);
            let actual: Vec<String> = counts
                .iter()
                .map(|c| match c {
                    Count::Exact(n) => n.to_string(),
                    Count::Suppressed => "<".to_owned(),
                    Count::Withheld => "w".to_owned(),
                })
                .collect();
            assert_eq!(actual.join(" "), expected, "{parts:?} min {min_count}");
        };
        // One small cell: the smallest other cell is withheld too, or 15 - 6 - 8 gives it away.
        check(15, &[6, 1, 8], 5, "15 w < 8");
        // Two small cells hide each other.
        check(11, &[6, 2, 3], 5, "11 6 < <");
        // Zero reveals nothing, so it is not the cell withheld.
        check(12, &[0, 3, 9], 5, "12 0 < w");
        // A small total hides with its one part.
        check(3, &[3], 5, "< <");
        check(7, &[0, 0, 7], 5, "7 0 0 7");
        check(15, &[6, 1, 8], 1, "15 6 1 8");
        check(15, &[6, 1, 8], 0, "15 6 1 8");
        check(15, &[6, 1, 8], 2, "15 w < 8");
    }
}
