//! Small-count suppression: which counts of people may leave the facilitator team.
//!
//! Co-design groups are small: in a room of twenty, "2 carers joining
//! remotely" can be one's neighbours. So every count of people by
//! perspective, group or segment that anyone outside the facilitator team
//! sees (the live board every phone syncs, the insights report, the
//! programme report) goes through the one rule here. A count `c` with
//! `0 < c < min_count` is [`Count::Suppressed`] ("fewer than 8"); and where a
//! reader could work a hidden count out by subtraction (a total minus the
//! other parts), one more count is [`Count::Withheld`] ("not shown"). The
//! threshold is a [`MinCount`]: at least 8, NHS Digital's rule for published
//! health statistics (counts of 1 to 7 are suppressed), and never lower, so a
//! deployment can only make it stricter.
//!
//! Callers build a [`Table`] of the counts they publish and the sums a reader
//! could check them against, then [`Table::protect`] decides what is shown,
//! for a reader who reads them once (a report) or watches them change (the
//! live board, see [`Reading`]).
//! A count published elsewhere already (a room's own report, when its
//! programme's report adds rooms up) enters as a [`Table::published`] cell:
//! its fate is settled, so the table hides the figures that would reveal it
//! instead. Withholding one more cell per equation defeats subtraction; it
//! does not defeat every inference (two suppressed cells that sum to 2 are
//! both 1), which is one more reason the threshold only goes up.

use serde::Serialize;

/// NHS Digital's threshold for published health statistics: counts of 1 to 7 are suppressed.
pub const DEFAULT_MIN_COUNT: usize = 8;

/// The smallest count of people that is published; [`DEFAULT_MIN_COUNT`] or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MinCount(usize);

/// A threshold below [`DEFAULT_MIN_COUNT`], refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "a threshold of {0} is below 8: counts of 1 to 7 people can single someone out and are always suppressed (NHS \
     Digital's rule for published health statistics), so the threshold can only be 8 or more"
)]
pub struct MinCountError(pub usize);

impl MinCount {
    pub fn new(min_count: usize) -> Result<MinCount, MinCountError> {
        if min_count < DEFAULT_MIN_COUNT {
            return Err(MinCountError(min_count));
        }
        Ok(MinCount(min_count))
    }

    pub fn get(self) -> usize {
        self.0
    }
}

impl Default for MinCount {
    fn default() -> Self {
        MinCount(DEFAULT_MIN_COUNT)
    }
}

impl std::str::FromStr for MinCount {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let n: usize = text.trim().parse().map_err(|_| format!("{text:?} is not a whole number"))?;
        MinCount::new(n).map_err(|error| error.to_string())
    }
}

/// A count of people, as it may be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Count {
    Exact(usize),
    /// Fewer than the threshold: shown as "fewer than 8".
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

/// How a table's counts will be read, which decides what else must be hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Read once, as a report is: a zero is shown ("0 carers" tells no one anything), and
    /// where one count alone is hidden, the smallest shown part goes with it, so totals stay.
    Once,
    /// Watched as it changes, one person at a time, as the live board is. A zero is hidden too,
    /// or a group going from 0 to "fewer than 8" as someone joins would say that person is its
    /// only member; and a total is shown only while every part of it is, because an exact total
    /// that moves by one is what lets a watcher tell a hidden part's earlier value from its
    /// later one (and tells the sum of the hidden parts at every moment).
    Live,
}

/// A count with primary suppression only.
pub fn primary(value: usize, min_count: usize, reading: Reading) -> Count {
    let small = value < min_count && (value > 0 || reading == Reading::Live);
    if small { Count::Suppressed } else { Count::Exact(value) }
}

/// Counts to publish, and the sums a reader could check them against.
///
/// Each equation says a published total is the sum of published parts. A
/// hidden count that is the only hidden member of an equation can be worked
/// out by subtraction, so [`Table::protect`] withholds one more member.
#[derive(Debug, Default)]
pub struct Table {
    values: Vec<usize>,
    /// What a cell published elsewhere already shows; `None` for a cell this table decides.
    settled: Vec<Option<Count>>,
    equations: Vec<(usize, Vec<usize>)>,
}

impl Table {
    /// A count this table decides; the returned cell names it in equations.
    pub fn cell(&mut self, value: usize) -> usize {
        self.values.push(value);
        self.settled.push(None);
        self.values.len() - 1
    }

    /// A count already published elsewhere as `shown`: this table never changes it.
    pub fn published(&mut self, value: usize, shown: Count) -> usize {
        self.values.push(value);
        self.settled.push(Some(shown));
        self.values.len() - 1
    }

    /// The count in a cell this table made.
    pub fn value(&self, cell: usize) -> usize {
        self.values[cell]
    }

    /// `total` is the sum of `parts`, both as a reader sees them.
    pub fn equation(&mut self, total: usize, parts: Vec<usize>) {
        self.equations.push((total, parts));
    }

    /// Suppresses small counts, then withholds one more member of any equation
    /// with exactly one hidden member (when read live, the total of any equation
    /// with a hidden part), until none is left; the hidden set only grows, so this ends.
    pub fn protect(&self, min_count: usize, reading: Reading) -> Vec<Count> {
        let mut counts: Vec<Count> = self
            .values
            .iter()
            .zip(&self.settled)
            .map(|(value, settled)| settled.unwrap_or_else(|| primary(*value, min_count, reading)))
            .collect();
        let open = |cell: &usize, counts: &[Count]| self.settled[*cell].is_none() && counts[*cell].exact().is_some();
        loop {
            let mut changed = false;
            for (total, parts) in &self.equations {
                let hidden_parts = parts.iter().filter(|cell| counts[**cell].exact().is_none()).count();
                if reading == Reading::Live && hidden_parts > 0 && open(total, &counts) {
                    counts[*total] = Count::Withheld;
                    changed = true;
                    continue;
                }
                let hidden = hidden_parts + usize::from(counts[*total].exact().is_none());
                if hidden != 1 {
                    continue;
                }
                // The smallest shown part, preferring one that is not zero (a zero reveals nothing and
                // protects nothing); the total only when no part is left to withhold.
                let part = parts
                    .iter()
                    .filter(|cell| open(cell, &counts))
                    .min_by_key(|cell| (self.values[**cell] == 0, self.values[**cell], **cell));
                let Some(cell) = part.or(open(total, &counts).then_some(total)) else { continue };
                counts[*cell] = Count::Withheld;
                changed = true;
            }
            if !changed {
                return counts;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts as a reader sees them: `<` suppressed, `w` withheld.
    fn shown(counts: &[Count]) -> String {
        let shown: Vec<String> = counts
            .iter()
            .map(|c| match c {
                Count::Exact(n) => n.to_string(),
                Count::Suppressed => "<".to_owned(),
                Count::Withheld => "w".to_owned(),
            })
            .collect();
        shown.join(" ")
    }

    #[test]
    fn protects_small_counts_and_the_cells_that_would_reveal_them() {
        // (total, parts, min_count, reading, expected total then parts)
        let check = |total: usize, parts: &[usize], min_count: usize, reading: Reading, expected: &str| {
            let mut table = Table::default();
            let total = table.cell(total);
            let cells = parts.iter().map(|n| table.cell(*n)).collect();
            table.equation(total, cells);
            assert_eq!(shown(&table.protect(min_count, reading)), expected, "{parts:?} min {min_count}");
        };
        let once = Reading::Once;
        // One small cell: the smallest other cell is withheld too, or 15 - 6 - 8 gives it away.
        check(15, &[6, 1, 8], 5, once, "15 w < 8");
        // Two small cells hide each other.
        check(11, &[6, 2, 3], 5, once, "11 6 < <");
        // Zero reveals nothing, so it is not the cell withheld.
        check(12, &[0, 3, 9], 5, once, "12 0 < w");
        // A small total hides with its one part.
        check(3, &[3], 5, once, "< <");
        check(7, &[0, 0, 7], 5, once, "7 0 0 7");
        check(15, &[6, 1, 8], 1, once, "15 6 1 8");
        check(15, &[6, 1, 8], 0, once, "15 6 1 8");
        check(15, &[6, 1, 8], 2, once, "15 w < 8");
        // The default: 1 to 7 suppressed.
        check(20, &[12, 7, 1], DEFAULT_MIN_COUNT, once, "20 12 < <");
        check(20, &[12, 8, 0], DEFAULT_MIN_COUNT, once, "20 12 8 0");
        check(21, &[12, 8, 1], DEFAULT_MIN_COUNT, once, "21 12 w <");
        // On a live board a zero is hidden as well, so a group's first member changes nothing, and the
        // total goes with any hidden part, so its moves tell nothing of them.
        let live = Reading::Live;
        check(12, &[12, 0, 0], DEFAULT_MIN_COUNT, live, "w 12 < <");
        check(13, &[12, 1, 0], DEFAULT_MIN_COUNT, live, "w 12 < <");
        check(20, &[12, 8], DEFAULT_MIN_COUNT, live, "20 12 8");
        check(0, &[0, 0], DEFAULT_MIN_COUNT, live, "< < <");
    }

    #[test]
    fn a_count_published_elsewhere_is_protected_by_hiding_what_adds_it_up() {
        // A programme of two rooms: 2 carers in one (its report says "fewer than 8"), 10 in the other
        // (its report says 10). The programme's 12 would give the 2 away, so it is withheld.
        let mut table = Table::default();
        let programme = table.cell(12);
        let small = table.published(2, Count::Suppressed);
        let large = table.published(10, Count::Exact(10));
        table.equation(programme, vec![small, large]);
        assert_eq!(shown(&table.protect(DEFAULT_MIN_COUNT, Reading::Once)), "w < 10");
        // Withheld in its own room is hidden all the same.
        let mut table = Table::default();
        let programme = table.cell(30);
        let withheld = table.published(10, Count::Withheld);
        let shown_room = table.published(20, Count::Exact(20));
        table.equation(programme, vec![withheld, shown_room]);
        assert_eq!(shown(&table.protect(DEFAULT_MIN_COUNT, Reading::Once)), "w w 20");
    }

    #[test]
    fn the_threshold_only_goes_up() {
        let check = |text: &str, expected: Result<usize, &str>| {
            let parsed: Result<MinCount, String> = text.parse();
            match (parsed, expected) {
                (Ok(min_count), Ok(n)) => assert_eq!(min_count.get(), n, "{text}"),
                (Err(message), Err(part)) => assert!(message.contains(part), "{text}: {message}"),
                (parsed, expected) => panic!("{text}: {parsed:?}, expected {expected:?}"),
            }
        };
        check("8", Ok(8));
        check("10", Ok(10));
        check("7", Err("a threshold of 7 is below 8"));
        check("0", Err("only be 8 or more"));
        check("five", Err("not a whole number"));
        assert_eq!(MinCount::default().get(), DEFAULT_MIN_COUNT);
    }
}
