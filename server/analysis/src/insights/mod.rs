//! The numbers behind the insights report, drawn from exported datasets.
//!
//! After each event analysts triangulate: which touchpoints hurt most and for
//! whom, how staff's map differs from people's, how far the desired map is
//! from the current one, which options won and with whom, who pledged what,
//! how people rated the event, and who took part. This module computes each of those as plain,
//! serializable values from one room's [`Dataset`] or a programme's
//! datasets, so the numbers can be checked directly and the report
//! ([`crate::report`]) only has to draw them. Nothing here reads a clock or a
//! file.
//!
//! Two rules hold throughout:
//!
//! - **Hidden contributions are left out.** A card, note, idea, pledge or
//!   touchstone a facilitator hid stays in the export (the record is
//!   complete) but is not counted or quoted here; each section says how many
//!   were left out, so the reader knows the report is not the whole record.
//! - **Small counts of people are suppressed.** Co-design groups are small:
//!   in a room of twenty, "2 carers aged 75 and over, joining remotely" can
//!   be one's neighbours. So every count of people by group goes through
//!   core's one rule ([`touchpoint_core::disclosure`]), the one the live
//!   board follows too: a count `c` with `0 < c < min_count` is reported as
//!   [`Count::Suppressed`] ("fewer than 8"), and where a suppressed count
//!   could be worked out by subtraction (a total minus the other cells of a
//!   breakdown, a group minus its other perspectives, a programme's figure
//!   minus its other rooms', a vote's voters minus the other groups'), one
//!   more cell is [`Count::Withheld`]. The default threshold,
//!   [`DEFAULT_MIN_COUNT`], is 8: NHS Digital's rule for published health
//!   statistics suppresses counts of 1 to 7, and the server refuses a lower
//!   one. (The functions here take any threshold, so their tests can show
//!   the rule at work on small fixtures.)
//!
//! Suppression applies to counts of *people*: the participation audit, and
//! the spread of votes and event feedback by perspective group (a group of
//! fewer than `min_count` has its spread suppressed, since one
//! professional's ballot would otherwise be on show, and so does one more
//! group where the totals would give the hidden one away). Counts of emotion
//! cards are what was said, already on the shared board with their
//! perspective for the whole room to see, and they stay exact so the record
//! of engagement is complete. Withholding one more cell per breakdown
//! protects against subtraction within and between linked breakdowns; it
//! does not defeat every inference (two suppressed cells summing to 2 are
//! both 1), which is one more reason the threshold only goes up.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use serde::Serialize;
use touchpoint_core::disclosure::{Reading, Table};
use touchpoint_core::template::{Choice, Group};

use crate::dataset::Dataset;

mod current_vs_desired;
mod emotion_maps;
mod feedback;
#[cfg(test)]
pub(crate) mod fixtures;
mod ideas;
mod participation;
mod path;
mod pledges;
mod rooms;
mod votes;

pub use current_vs_desired::{CurrentVsDesired, current_vs_desired};
pub use emotion_maps::{
    CardNote, Comparison, EmotionColumn, EmotionMapInsight, HOT_SPOTS, HotSpot, MapView, Tally, TouchpointValence, Who,
    emotion_maps,
};
pub use feedback::{FeedbackInsight, GroupRating, feedback};
pub use ideas::{IdeasInsight, ideas};
pub use participation::{
    Breakdown, BreakdownRow, NOT_GIVEN, Participation, RoleBreakdown, SegmentBreakdown, participation,
};
pub use path::{PathInsight, PathSection, paths};
pub use pledges::{PledgeEntry, PledgeInsight, pledges};
pub use rooms::{RoomSummary, room_summary};
pub use touchpoint_core::disclosure::{Count, DEFAULT_MIN_COUNT};
pub use votes::{DotRank, GroupDots, GroupScore, GroupVoters, OptionComments, ScoreRank, VoteInsight, votes};

/// Which side of the room a contribution came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PerspectiveGroup {
    /// People who use services and their carers.
    People,
    /// Staff and other professionals.
    Professionals,
    /// No perspective given, or one the room does not know.
    Unspecified,
}

impl PerspectiveGroup {
    pub const ALL: [PerspectiveGroup; 3] =
        [PerspectiveGroup::People, PerspectiveGroup::Professionals, PerspectiveGroup::Unspecified];

    /// The group's name in the report.
    pub fn label(self) -> &'static str {
        match self {
            PerspectiveGroup::People => "People using services and carers",
            PerspectiveGroup::Professionals => "Staff and professionals",
            PerspectiveGroup::Unspecified => "Perspective not given",
        }
    }
}

/// Everything the report shows, for one room or a programme of rooms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Insights {
    pub min_count: usize,
    pub rooms: Vec<RoomSummary>,
    pub emotion_maps: Vec<EmotionMapInsight>,
    /// Present when the rooms hold both a current and a desired emotional map.
    pub current_vs_desired: Option<CurrentVsDesired>,
    pub votes: Vec<VoteInsight>,
    pub paths: Vec<PathInsight>,
    pub ideas: Vec<IdeasInsight>,
    pub pledges: PledgeInsight,
    pub feedback: Vec<FeedbackInsight>,
    pub participation: Participation,
}

/// Computes every section of the report; a room is a programme of one.
pub fn insights(datasets: &[Dataset], min_count: usize) -> Insights {
    Insights {
        min_count,
        rooms: datasets.iter().map(|dataset| room_summary(dataset, min_count)).collect(),
        emotion_maps: datasets.iter().flat_map(emotion_maps).collect(),
        current_vs_desired: current_vs_desired(datasets),
        votes: datasets.iter().flat_map(|dataset| votes(dataset, min_count)).collect(),
        paths: datasets.iter().flat_map(paths).collect(),
        ideas: datasets.iter().flat_map(ideas).collect(),
        pledges: pledges(datasets),
        feedback: datasets.iter().flat_map(|dataset| feedback(dataset, min_count)).collect(),
        participation: participation(datasets, min_count),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WordCount {
    pub word: String,
    pub count: usize,
}

/// Counts words case-folded, trimmed and with inner spaces collapsed; most frequent first, then alphabetical.
pub fn word_counts<'a>(words: impl Iterator<Item = &'a str>) -> Vec<WordCount> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for word in words {
        let folded = word.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
        if !folded.is_empty() {
            *counts.entry(folded).or_default() += 1;
        }
    }
    let mut counts: Vec<WordCount> = counts.into_iter().map(|(word, count)| WordCount { word, count }).collect();
    counts.sort_by_key(|word| Reverse(word.count));
    counts
}

// ---------------------------------------------------------------------------
// Shared by the sections.

fn group_of(dataset: &Dataset, perspective: Option<&str>) -> PerspectiveGroup {
    match dataset.perspectives.iter().find(|p| Some(p.id.as_str()) == perspective).map(|p| p.group) {
        Some(Group::People) => PerspectiveGroup::People,
        Some(Group::Professionals) => PerspectiveGroup::Professionals,
        None => PerspectiveGroup::Unspecified,
    }
}

/// How many of a section's people were in each perspective group, as the report may show them.
///
/// The section's total is shown exactly (it is no count by group), so where one group alone
/// is suppressed, one more is withheld: otherwise the total less the others would give it away,
/// and with it, from the section's overall figures, what that group said.
fn group_counts(n_by_group: [usize; 3], min_count: usize) -> [Count; 3] {
    let mut table = Table::default();
    let total: usize = n_by_group.iter().sum();
    let total = table.published(total, Count::Exact(total));
    let cells = n_by_group.map(|n| table.cell(n));
    table.equation(total, cells.to_vec());
    let counts = table.protect(min_count, Reading::Once);
    cells.map(|cell| counts[cell])
}

fn share(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn mean(sum: u32, n: usize) -> Option<f64> {
    (n > 0).then(|| f64::from(sum) / n as f64)
}

fn signed(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The map's choices in order, then any id the contributions name that the map no longer lists.
fn rows_with_extras<'a>(choices: &[Choice], named: impl Iterator<Item = &'a str>) -> Vec<Choice> {
    let mut rows = choices.to_vec();
    for id in named {
        if !rows.iter().any(|row| row.id == id) {
            rows.push(Choice { id: id.to_owned(), label: id.to_owned(), hint: String::new() });
        }
    }
    rows
}
