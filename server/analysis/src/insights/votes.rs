//! Votes on options: dots and feedback scores, ranked, with their spread by perspective group.
//!
//! A group with fewer than `min_count` voters has its spread suppressed,
//! since one professional's ballot would otherwise be on show; so has one
//! more group where the vote's totals less the shown groups would give the
//! hidden one away. Comments on the options are kept without the hidden ones.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use touchpoint_core::room::layout::ActivityKind;

use super::{Count, PerspectiveGroup, group_counts, group_of, mean, rows_with_extras, share};
use crate::dataset::{ActivityInfo, Dataset, Source};

/// One vote: options ranked by dots and by feedback score, with the spread by perspective group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VoteInsight {
    pub room: String,
    pub activity: String,
    pub title: String,
    /// Dots each participant could place.
    pub budget: Option<u32>,
    /// How many people in each group placed dots and gave scores; the spread of a suppressed group is not shown.
    pub groups: Vec<GroupVoters>,
    pub n_voters: usize,
    pub n_scorers: usize,
    /// Most dots first; equal dots are ranked by the number of people who gave them.
    pub by_dots: Vec<DotRank>,
    /// Highest mean score first; equal means by the number of scores.
    pub by_score: Vec<ScoreRank>,
    /// Comments on each option (hidden ones left out), in the order of the options.
    pub comments: Vec<OptionComments>,
    pub n_hidden_comments: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GroupVoters {
    pub group: PerspectiveGroup,
    pub voters: Count,
    pub scorers: Count,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DotRank {
    /// 1 for the first; options tied on dots and voters share a rank.
    pub rank: usize,
    pub option: String,
    pub label: String,
    pub dots: u32,
    pub voters: usize,
    pub by_group: Vec<GroupDots>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupDots {
    pub group: PerspectiveGroup,
    /// `None` when the group's voters are too few to show.
    pub dots: Option<u32>,
    /// This option's share of all the dots the group placed.
    pub share: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreRank {
    pub rank: usize,
    pub option: String,
    pub label: String,
    pub n: usize,
    pub mean: Option<f64>,
    /// How many gave 1, 2, 3, 4 and 5.
    pub distribution: [usize; 5],
    pub by_group: Vec<GroupScore>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupScore {
    pub group: PerspectiveGroup,
    /// `None` when the group's scorers are too few to show.
    pub n: Option<usize>,
    pub mean: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptionComments {
    pub option: String,
    pub label: String,
    pub comments: Vec<String>,
}

/// Every vote of a room.
pub fn votes(dataset: &Dataset, min_count: usize) -> Vec<VoteInsight> {
    dataset
        .activities
        .iter()
        .filter(|activity| activity.kind == ActivityKind::Vote)
        .map(|activity| vote(dataset, activity, min_count))
        .collect()
}

fn vote(dataset: &Dataset, activity: &ActivityInfo, min_count: usize) -> VoteInsight {
    let dots: Vec<_> = dataset.dots.iter().filter(|d| d.activity == activity.id && d.dots > 0).collect();
    let scores: Vec<_> =
        dataset.scores.iter().filter(|s| s.activity == activity.id && (1..=5).contains(&s.score)).collect();
    let comments_all: Vec<_> =
        dataset.ideas.iter().filter(|i| i.activity == activity.id && i.option.is_some()).collect();
    let options = rows_with_extras(
        &activity.choices,
        dots.iter()
            .map(|d| d.option.as_str())
            .chain(scores.iter().map(|s| s.option.as_str()))
            .chain(comments_all.iter().filter_map(|c| c.option.as_deref())),
    );
    let group = |source: &Source| group_of(dataset, source.perspective.as_deref());

    // A group's spread is shown only when enough of its people took part in this vote, and
    // when the vote's totals less the other groups' would not give a hidden group's away.
    let n_by_group = |of: &dyn Fn(PerspectiveGroup) -> usize| PerspectiveGroup::ALL.map(of);
    let voters = group_counts(
        n_by_group(&|g| n_people(dots.iter().filter(|d| group(&d.source) == g).map(|d| d.voter()))),
        min_count,
    );
    let scorers = group_counts(
        n_by_group(&|g| n_people(scores.iter().filter(|s| group(&s.source) == g).map(|s| s.voter()))),
        min_count,
    );
    let mut groups = Vec::new();
    let mut shown_dots = BTreeSet::new();
    let mut shown_scores = BTreeSet::new();
    for ((g, voters), scorers) in PerspectiveGroup::ALL.into_iter().zip(voters).zip(scorers) {
        if voters.exact().is_some() {
            shown_dots.insert(g);
        }
        if scorers.exact().is_some() {
            shown_scores.insert(g);
        }
        groups.push(GroupVoters { group: g, voters, scorers });
    }
    let group_dots: BTreeMap<PerspectiveGroup, u32> = PerspectiveGroup::ALL
        .iter()
        .map(|g| (*g, dots.iter().filter(|d| group(&d.source) == *g).map(|d| d.dots).sum()))
        .collect();

    let mut by_dots: Vec<DotRank> = options
        .iter()
        .map(|option| {
            let mine: Vec<_> = dots.iter().filter(|d| d.option == option.id).collect();
            let by_group = PerspectiveGroup::ALL
                .iter()
                .map(|g| {
                    let n: u32 = mine.iter().filter(|d| group(&d.source) == *g).map(|d| d.dots).sum();
                    let shown = shown_dots.contains(g);
                    let of_group = group_dots.get(g).copied().unwrap_or(0);
                    GroupDots {
                        group: *g,
                        dots: shown.then_some(n),
                        share: if shown { share(n as usize, of_group as usize) } else { None },
                    }
                })
                .collect();
            DotRank {
                rank: 0,
                option: option.id.clone(),
                label: option.label.clone(),
                dots: mine.iter().map(|d| d.dots).sum(),
                voters: n_people(mine.iter().map(|d| d.voter())),
                by_group,
            }
        })
        .collect();
    by_dots.sort_by_key(|row| Reverse((row.dots, row.voters)));
    rank(&mut by_dots, |a, b| (a.dots, a.voters) == (b.dots, b.voters), |row, rank| row.rank = rank);

    let mean_of = |scores: &[u8]| -> (usize, u32) { (scores.len(), scores.iter().map(|s| u32::from(*s)).sum()) };
    let mut by_score: Vec<(ScoreRank, (usize, u32))> = options
        .iter()
        .map(|option| {
            let mine: Vec<_> = scores.iter().filter(|s| s.option == option.id).collect();
            let values: Vec<u8> = mine.iter().map(|s| s.score).collect();
            let mut distribution = [0; 5];
            for score in &values {
                distribution[usize::from(score - 1)] += 1;
            }
            let by_group = PerspectiveGroup::ALL
                .iter()
                .map(|g| {
                    let of_group: Vec<u8> = mine.iter().filter(|s| group(&s.source) == *g).map(|s| s.score).collect();
                    let (n, sum) = mean_of(&of_group);
                    let shown = shown_scores.contains(g);
                    GroupScore { group: *g, n: shown.then_some(n), mean: if shown { mean(sum, n) } else { None } }
                })
                .collect();
            let (n, sum) = mean_of(&values);
            let row = ScoreRank {
                rank: 0,
                option: option.id.clone(),
                label: option.label.clone(),
                n,
                mean: mean(sum, n),
                distribution,
                by_group,
            };
            (row, (n, sum))
        })
        .collect();
    // Means are compared as fractions, so equal means tie exactly; options nobody scored come last.
    let by_mean = |(an, asum): (usize, u32), (bn, bsum): (usize, u32)| -> Ordering {
        match (an, bn) {
            (0, 0) => Ordering::Equal,
            (0, _) => Ordering::Greater,
            (_, 0) => Ordering::Less,
            _ => (u64::from(bsum) * an as u64).cmp(&(u64::from(asum) * bn as u64)).then(bn.cmp(&an)),
        }
    };
    by_score.sort_by(|(_, a), (_, b)| by_mean(*a, *b));
    rank(&mut by_score, |(_, a), (_, b)| by_mean(*a, *b) == Ordering::Equal, |(row, _), rank| row.rank = rank);

    let comments = options
        .iter()
        .map(|option| OptionComments {
            option: option.id.clone(),
            label: option.label.clone(),
            comments: comments_all
                .iter()
                .filter(|c| !c.marks.hidden && c.option.as_deref() == Some(&option.id))
                .map(|c| c.text.clone())
                .collect(),
        })
        .filter(|option| !option.comments.is_empty())
        .collect();

    VoteInsight {
        room: dataset.room.title.clone(),
        activity: activity.id.clone(),
        title: activity.title.clone(),
        budget: activity.budget,
        groups,
        n_voters: n_people(dots.iter().map(|d| d.voter())),
        n_scorers: n_people(scores.iter().map(|s| s.voter())),
        by_dots,
        by_score: by_score.into_iter().map(|(row, _)| row).collect(),
        comments,
        n_hidden_comments: comments_all.iter().filter(|c| c.marks.hidden).count(),
    }
}

/// How many different voters the rows come from: participants and paper ballots alike.
fn n_people<'a>(voters: impl Iterator<Item = Option<&'a str>>) -> usize {
    voters.flatten().collect::<BTreeSet<_>>().len()
}

/// Competition ranking ("1, 2, 2, 4") over rows already sorted.
fn rank<T>(rows: &mut [T], tied: impl Fn(&T, &T) -> bool, mut set: impl FnMut(&mut T, usize)) {
    let mut current = 0;
    for i in 0..rows.len() {
        if i == 0 || !tied(&rows[i - 1], &rows[i]) {
            current = i + 1;
        }
        set(&mut rows[i], current);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::DotRow;
    use crate::insights::fixtures::*;
    use crate::insights::{Participation, ideas, participation};

    #[test]
    fn ranks_options_by_dots_then_voters() {
        let vote = votes(&scripted_room(), 1).into_iter().next().expect("the scripted room has a vote");
        let actual: Vec<(usize, &str, u32, usize)> =
            vote.by_dots.iter().map(|r| (r.rank, r.option.as_str(), r.dots, r.voters)).collect();
        // a and b both have 6 dots; b came from 4 people, a from 3.
        assert_eq!(actual, [(1, "b", 6, 4), (2, "a", 6, 3), (3, "c", 5, 3)]);
        assert_eq!((vote.n_voters, vote.n_scorers), (6, 6));
    }

    #[test]
    fn ties_share_a_rank() {
        let check = |keys: &[(u32, usize)], expected: &[usize]| {
            let mut rows: Vec<(u32, usize, usize)> = keys.iter().map(|(a, b)| (*a, *b, 0)).collect();
            rank(&mut rows, |x, y| (x.0, x.1) == (y.0, y.1), |row, rank| row.2 = rank);
            let ranks: Vec<usize> = rows.iter().map(|row| row.2).collect();
            assert_eq!(ranks, expected, "{keys:?}");
        };
        check(&[(6, 4), (6, 3), (6, 3), (5, 3)], &[1, 2, 2, 4]);
        check(&[(1, 1), (1, 1)], &[1, 1]);
        check(&[], &[]);
    }

    #[test]
    fn ranks_options_by_mean_score_with_the_distribution() {
        let vote = votes(&scripted_room(), 1).into_iter().next().expect("the scripted room has a vote");
        type Line<'a> = (usize, &'a str, usize, Option<i64>, [usize; 5]);
        let actual: Vec<Line<'_>> = vote
            .by_score
            .iter()
            .map(|r| (r.rank, r.option.as_str(), r.n, r.mean.map(|m| (m * 100.0).round() as i64), r.distribution))
            .collect();
        assert_eq!(
            actual,
            [
                (1, "a", 5, Some(420), [0, 0, 1, 2, 2]),
                (2, "b", 5, Some(360), [0, 1, 1, 2, 1]),
                (3, "c", 3, Some(167), [1, 2, 0, 0, 0]),
            ]
        );
    }

    #[test]
    fn a_paper_ballot_is_one_more_voter_in_its_group() {
        let mut room = scripted_room();
        // Two staff voted on phones; a third gives a paper ballot, two dots over two rows.
        let paper = Source { perspective: Some("staff".to_owned()), assisted: true, ..Source::default() };
        for option in ["a", "b"] {
            room.dots.push(DotRow {
                activity: "options".to_owned(),
                option: option.to_owned(),
                dots: 1,
                paper_ballot: Some("b1".to_owned()),
                source: paper.clone(),
            });
        }
        let vote = votes(&room, 3).into_iter().next().expect("a vote");
        assert_eq!(vote.n_voters, 7, "the paper ballot is one voter, not one per row");
        let voters: Vec<Count> = vote.groups.iter().map(|g| g.voters).collect();
        // The one voter without a perspective is suppressed; 7 voters less 3 and 3 would give them away,
        // so the smaller shown group (the first of two equal ones) is withheld too.
        assert_eq!(voters, [Count::Withheld, Count::Exact(3), Count::Suppressed]);
        let a = vote.by_dots.iter().find(|r| r.option == "a").expect("a");
        assert_eq!((a.dots, a.voters, a.by_group[0].dots, a.by_group[1].dots), (7, 4, None, Some(5)));
        // Ballots count among contributions by perspective, but the paper voter is no participant.
        let before = participation(&[scripted_room()], 1);
        let after = participation(&[room], 1);
        assert_eq!(after.total, before.total);
        let staff = |p: &Participation| p.contributions.rows.iter().find(|r| r.id == "staff").map(|r| r.count);
        assert_eq!(staff(&after).and_then(Count::exact), staff(&before).and_then(Count::exact).map(|n| n + 1));
    }

    #[test]
    fn spreads_votes_by_group_and_suppresses_small_groups() {
        // (min_count, option, [dots from people, professionals, unspecified])
        let check = |min_count: usize, option: &str, expected: [Option<u32>; 3]| {
            let vote = votes(&scripted_room(), min_count).into_iter().next().expect("a vote");
            let row = vote.by_dots.iter().find(|r| r.option == option).expect("the option");
            let actual: Vec<Option<u32>> = row.by_group.iter().map(|g| g.dots).collect();
            assert_eq!(actual, expected, "min {min_count}, option {option}");
        };
        check(1, "a", [Some(2), Some(4), Some(0)]);
        check(1, "b", [Some(5), Some(0), Some(1)]);
        // Three people and carers voted, two staff and one without a perspective.
        check(3, "b", [Some(5), None, None]);
        check(5, "b", [None, None, None]);

        let vote = votes(&scripted_room(), 3).into_iter().next().expect("a vote");
        let voters: Vec<Count> = vote.groups.iter().map(|g| g.voters).collect();
        assert_eq!(voters, [Count::Exact(3), Count::Suppressed, Count::Suppressed]);
        let b = vote.by_dots.iter().find(|r| r.option == "b").expect("b");
        assert_eq!(b.by_group[0].share, Some(5.0 / 9.0), "5 of the 9 dots people and carers placed");
        let a = vote.by_score.iter().find(|r| r.option == "a").expect("a");
        let people = &a.by_group[0];
        assert_eq!((people.n, people.mean.map(|m| (m * 100.0).round() as i64)), (Some(3), Some(467)));
        assert_eq!(a.by_group[1].mean, None, "two staff scored: suppressed");
    }

    #[test]
    fn keeps_comments_on_options_and_ideas_without_hidden_ones() {
        let dataset = scripted_room();
        let vote = votes(&dataset, 5).into_iter().next().expect("a vote");
        assert_eq!(vote.comments.len(), 1);
        assert_eq!(vote.comments[0].comments, ["Make it someone we already know"]);
        assert_eq!(vote.n_hidden_comments, 1);
        let ideas = ideas(&dataset);
        assert_eq!(ideas.len(), 1);
        assert_eq!((ideas[0].ideas.as_slice(), ideas[0].n_hidden), (&["A phone line for carers".to_owned()][..], 1));
    }
}
