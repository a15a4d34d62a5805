//! Feedback on the event: how people rated it, what worked and what to change.
//!
//! The spread of ratings and their mean are shown for the whole room, as a
//! vote's scores are; by perspective group only where enough people of the
//! group answered, since one professional's rating would otherwise be on
//! show, and not where the room's figures less the shown groups' would give
//! a hidden group's away. Hidden answers are left out, their texts and their ratings alike.

use serde::Serialize;
use touchpoint_core::room::layout::ActivityKind;

use super::{Count, PerspectiveGroup, group_counts, group_of, mean};
use crate::dataset::{ActivityInfo, Dataset, FeedbackRow};

/// One feedback activity of a room.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedbackInsight {
    pub room: String,
    pub activity: String,
    pub title: String,
    /// How many answered (hidden answers left out).
    pub n: usize,
    pub mean: Option<f64>,
    /// How many rated the event 1, 2, 3, 4 and 5.
    pub distribution: [usize; 5],
    pub by_group: Vec<GroupRating>,
    /// What worked, in the order given.
    pub worked: Vec<String>,
    /// What to change, in the order given.
    pub change: Vec<String>,
    pub n_hidden: usize,
}

/// How one perspective group rated the event; its mean only when enough of it answered.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GroupRating {
    pub group: PerspectiveGroup,
    pub n: Count,
    pub mean: Option<f64>,
}

/// Every feedback activity of a room.
pub fn feedback(dataset: &Dataset, min_count: usize) -> Vec<FeedbackInsight> {
    let of = |activity: &ActivityInfo| {
        let all: Vec<&FeedbackRow> = dataset.feedback.iter().filter(|f| f.activity == activity.id).collect();
        let shown: Vec<&FeedbackRow> =
            all.iter().copied().filter(|f| !f.marks.hidden && (1..=5).contains(&f.rating)).collect();
        let sum = |rows: &[&FeedbackRow]| rows.iter().map(|f| u32::from(f.rating)).sum::<u32>();
        let mut distribution = [0; 5];
        for answer in &shown {
            distribution[usize::from(answer.rating - 1)] += 1;
        }
        let of_group = PerspectiveGroup::ALL.map(|group| -> Vec<&FeedbackRow> {
            shown
                .iter()
                .copied()
                .filter(|f| group_of(dataset, f.marks.source.perspective.as_deref()) == group)
                .collect()
        });
        let counts = group_counts(of_group.each_ref().map(Vec::len), min_count);
        let by_group = PerspectiveGroup::ALL
            .into_iter()
            .zip(counts)
            .zip(&of_group)
            .map(|((group, n), mine)| GroupRating { group, n, mean: n.exact().and_then(|n| mean(sum(mine), n)) })
            .collect();
        let texts = |text: fn(&FeedbackRow) -> &Option<String>| -> Vec<String> {
            shown.iter().filter_map(|f| text(f).clone()).collect()
        };
        FeedbackInsight {
            room: dataset.room.title.clone(),
            activity: activity.id.clone(),
            title: activity.title.clone(),
            n: shown.len(),
            mean: mean(sum(&shown), shown.len()),
            distribution,
            by_group,
            worked: texts(|f| &f.worked),
            change: texts(|f| &f.change),
            n_hidden: all.iter().filter(|f| f.marks.hidden).count(),
        }
    };
    dataset.activities.iter().filter(|a| a.kind == ActivityKind::Feedback).map(of).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Marks, Source};
    use crate::insights::fixtures;

    #[test]
    fn ratings_spread_and_texts_without_the_hidden_and_small_groups_suppressed() {
        let mut dataset = fixtures::scripted_room();
        dataset.activities.push(ActivityInfo {
            id: "feedback".to_owned(),
            kind: ActivityKind::Feedback,
            title: "Feedback on today".to_owned(),
            order: 9,
            state: "open".to_owned(),
            board: None,
            choices: Vec::new(),
            emotions: Vec::new(),
            budget: None,
            revealed: false,
        });
        let answer = |rating: u8, perspective: &str, worked: Option<&str>, hidden: bool| FeedbackRow {
            activity: "feedback".to_owned(),
            rating,
            worked: worked.map(str::to_owned),
            marks: Marks {
                hidden,
                source: Source { perspective: Some(perspective.to_owned()), ..Source::default() },
                ..Marks::default()
            },
            ..FeedbackRow::default()
        };
        dataset.feedback = vec![
            answer(5, "person", Some("Small tables"), false),
            answer(4, "person", None, false),
            answer(4, "carer", None, false),
            answer(2, "person", None, false),
            answer(3, "person", None, false),
            answer(1, "staff", Some("Too long"), false),
            answer(1, "staff", Some("Rude words"), true),
        ];
        let insight = feedback(&dataset, 5).pop().expect("the fixture has a feedback activity");
        assert_eq!((insight.n, insight.n_hidden), (6, 1));
        assert_eq!(insight.distribution, [1, 1, 1, 2, 1]);
        assert_eq!(insight.mean, Some(19.0 / 6.0));
        assert_eq!(insight.worked, ["Small tables", "Too long"]);
        assert!(insight.change.is_empty());
        // One staff rating is suppressed; the room's 6 ratings (mean 19/6) less people's 5 (mean 18/5) would
        // give it away, so people's are withheld too.
        let people = insight.by_group.iter().find(|g| g.group == PerspectiveGroup::People).expect("people");
        assert_eq!((people.n, people.mean), (Count::Withheld, None));
        let staff = insight.by_group.iter().find(|g| g.group == PerspectiveGroup::Professionals).expect("staff");
        assert_eq!((staff.n, staff.mean), (Count::Suppressed, None));
        // With a second small group, each hides the other and people's spread is shown.
        dataset.feedback.push(answer(3, "not-a-perspective", None, false));
        let insight = feedback(&dataset, 5).pop().expect("a feedback activity");
        let people = insight.by_group.iter().find(|g| g.group == PerspectiveGroup::People).expect("people");
        assert_eq!((people.n, people.mean), (Count::Exact(5), Some(18.0 / 5.0)));
    }
}
