//! One line per room: its names, its dates and how many took part.
//!
//! The report's summary and a programme's table of rooms are drawn from
//! these; the dates run from the first contribution to the last, so a room
//! created the week before its event is dated by the event. It also counts
//! the contributions that arrived after their activity closed, so the report
//! can say which of them it counts.

use serde::Serialize;

use super::{Count, participation};
use crate::dataset::Dataset;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoomSummary {
    pub code: String,
    pub title: String,
    pub programme: Option<String>,
    pub template: Option<String>,
    /// The first and last contribution (seconds since the epoch), or the room's creation when none.
    pub first_at: Option<i64>,
    pub last_at: Option<i64>,
    pub participants: Count,
    /// Contributions that arrived after their activity closed, and how many of them the
    /// facilitator showed (the others stay hidden, and out of the report like hidden ones).
    pub n_late: usize,
    pub n_late_shown: usize,
}

pub fn room_summary(dataset: &Dataset, min_count: usize) -> RoomSummary {
    let times: Vec<i64> = dataset
        .cards
        .iter()
        .map(|c| c.marks.at)
        .chain(dataset.path_notes.iter().map(|n| n.marks.at))
        .chain(dataset.ideas.iter().map(|i| i.marks.at))
        .chain(dataset.pledges.iter().map(|p| p.marks.at))
        .chain(dataset.touchstones.iter().map(|t| t.marks.at))
        .filter(|at| *at > 0)
        .collect();
    let late: Vec<bool> = dataset
        .cards
        .iter()
        .map(|c| (c.marks.late, c.marks.hidden))
        .chain(dataset.path_notes.iter().map(|n| (n.marks.late, n.marks.hidden)))
        .chain(dataset.ideas.iter().map(|i| (i.marks.late, i.marks.hidden)))
        .chain(dataset.pledges.iter().map(|p| (p.marks.late, p.marks.hidden)))
        .chain(dataset.touchstones.iter().map(|t| (t.marks.late, t.marks.hidden)))
        .chain(dataset.feedback.iter().map(|f| (f.marks.late, f.marks.hidden)))
        .filter_map(|(late, hidden)| late.then_some(!hidden))
        .collect();
    let created = (dataset.room.created_at > 0).then_some(dataset.room.created_at);
    RoomSummary {
        code: dataset.room.code.clone(),
        title: dataset.room.title.clone(),
        programme: dataset.room.programme.clone(),
        template: dataset.room.template.clone(),
        first_at: times.iter().min().copied().or(created),
        last_at: times.iter().max().copied().or(created),
        // As the room's participation audit shows it, so the programme's rooms table and total agree with it.
        participants: participation(std::slice::from_ref(dataset), min_count).total,
        n_late: late.len(),
        n_late_shown: late.iter().filter(|shown| **shown).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insights::fixtures::*;

    #[test]
    fn summarises_rooms_from_first_to_last_contribution() {
        let summary = room_summary(&scripted_room(), 5);
        assert_eq!((summary.first_at, summary.last_at), (Some(T), Some(T + 7800 + 60 * 9)));
        assert_eq!(summary.participants, Count::Exact(6));
        assert_eq!(room_summary(&scripted_room(), 7).participants, Count::Suppressed);
    }

    #[test]
    fn counts_late_contributions_and_those_shown() {
        let mut room = scripted_room();
        room.cards[0].marks.late = true;
        room.cards[1].marks.late = true;
        room.cards[1].marks.hidden = true;
        room.feedback.iter_mut().for_each(|f| f.marks.late = true);
        let n_feedback = room.feedback.len();
        let summary = room_summary(&room, 5);
        assert_eq!(
            (summary.n_late, summary.n_late_shown),
            (2 + n_feedback, 1 + room.feedback.iter().filter(|f| !f.marks.hidden).count())
        );
    }
}
