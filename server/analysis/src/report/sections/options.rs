//! Options for change: each vote ranked by dots and by feedback score, its spread by group, comments, and ideas.

use maud::{Markup, html};

use crate::insights::{Count, GroupVoters, IdeasInsight, Insights, VoteInsight};
use crate::report::charts::{Bar, bar_chart};
use crate::report::page::{Page, Table, Text, h3, h4, list, paragraph, quiet};
use crate::report::words::{hidden_sentence, one_decimal, percent, plural};

pub(crate) fn options_for_change(page: &Page, insights: &Insights) -> Markup {
    page.section("Options for change", || {
        html! {
            @if insights.votes.is_empty() {
                (paragraph("There was no vote on options in this report's events."))
            } @else {
                (paragraph(
                    "People placed dots on the options that matter most to them, and gave each option a score from 1 \
                     (poor) to 5 (very good). Options are ranked by dots, then by score. The spread shows how each \
                     perspective group voted.",
                ))
            }
            @for vote in &insights.votes {
                (vote_section(page, vote))
            }
            @for ideas in &insights.ideas {
                (ideas_section(page, ideas))
            }
        }
    })
}

fn vote_section(page: &Page, vote: &VoteInsight) -> Markup {
    let name = page.activity_title(&vote.room, &vote.title);
    let mut who = format!(
        "{} placed dots and {} gave scores.",
        plural(vote.n_voters, "person", "people"),
        plural(vote.n_scorers, "person", "people")
    );
    if let Some(budget) = vote.budget.filter(|b| *b > 0) {
        who.push_str(&format!(" Each person had {} to place.", plural(budget as usize, "dot", "dots")));
    }
    let suppressed = vote.groups.iter().any(|g| g.voters.exact().is_none() || g.scorers.exact().is_none());
    html! {
        (h3(&name))
        (paragraph(&who))
        @if vote.n_voters > 0 {
            (h4("Ranked by dots"))
            (by_dots(page, &name, vote))
        }
        @if vote.n_scorers > 0 {
            (h4("Ranked by feedback score"))
            (by_score(page, &name, vote))
        }
        @if suppressed {
            (quiet(&format!(
                "The spread of a group with fewer than {} people voting is not shown, so that no one's vote can be \
                 picked out; nor is one more group's where, with the totals, it would give the small group's away.",
                page.min_count
            )))
        }
        @if !vote.comments.is_empty() || vote.n_hidden_comments > 0 {
            (h4("What people said about the options"))
            @if vote.n_hidden_comments > 0 {
                (quiet(&hidden_sentence(vote.n_hidden_comments, "comment was", "comments were")))
            }
            @for option in &vote.comments {
                p { strong { (Text(&option.label)) } } "\n"
                (list("notes", &option.comments))
            }
        }
    }
}

/// Groups nobody came from are left out; suppressed ones stay, so the reader sees why their spread is missing.
fn shown_groups(vote: &VoteInsight, count: impl Fn(&GroupVoters) -> Count) -> Vec<&GroupVoters> {
    vote.groups.iter().filter(|g| count(g) != Count::Exact(0)).collect()
}

/// The options ranked by dots: a chart, its numbers, and the spread of dots by group.
fn by_dots(page: &Page, name: &str, vote: &VoteInsight) -> Markup {
    let max = vote.by_dots.iter().map(|r| r.dots).max().unwrap_or(0).max(1) as usize;
    let bars: Vec<Bar> = vote
        .by_dots
        .iter()
        .map(|r| Bar {
            label: format!("{}. {}", r.rank, r.label),
            value: r.dots as usize,
            max,
            text: format!("{} from {}", plural(r.dots as usize, "dot", "dots"), plural(r.voters, "person", "people")),
        })
        .collect();
    let chart = bar_chart(page, &format!("{name}: dots for each option"), &bars);
    let mut ranked = Table::new(format!("{name}: options ranked by dots"), &["Option", "Rank", "Dots", "People"])
        .numeric(&[true, true, true]);
    for r in &vote.by_dots {
        ranked.rows.push((r.label.clone(), vec![r.rank.to_string(), r.dots.to_string(), r.voters.to_string()]));
    }
    let groups = shown_groups(vote, |g| g.voters);
    let mut spread =
        group_table(format!("{name}: dots from each perspective group, and the share of the group's dots"), &groups);
    for r in &vote.by_dots {
        let cells = groups
            .iter()
            .map(|g| match r.by_group.iter().find(|d| d.group == g.group).and_then(|d| d.dots.map(|n| (n, d.share))) {
                Some((n, share)) => format!("{} ({})", n, percent(share)),
                None => page.hidden_group(g.voters),
            })
            .collect();
        spread.rows.push((r.label.clone(), cells));
    }
    ranking(chart, ranked, spread)
}

/// The options ranked by average score: a chart, its numbers with the distribution, and the spread by group.
fn by_score(page: &Page, name: &str, vote: &VoteInsight) -> Markup {
    let bars: Vec<Bar> = vote
        .by_score
        .iter()
        .map(|r| Bar {
            label: format!("{}. {}", r.rank, r.label),
            value: r.mean.map_or(0, |m| (m * 10.0).round() as usize),
            max: 50,
            text: match r.mean {
                Some(_) => format!("{} out of 5 ({})", one_decimal(r.mean), plural(r.n, "score", "scores")),
                None => "no scores".to_owned(),
            },
        })
        .collect();
    let chart = bar_chart(page, &format!("{name}: average feedback score for each option, out of 5"), &bars);
    let mut ranked = Table::new(
        format!("{name}: options ranked by average score, with how many gave each score"),
        &["Option", "Rank", "Average", "Scores", "Gave 1", "Gave 2", "Gave 3", "Gave 4", "Gave 5"],
    )
    .numeric(&[true; 8]);
    for r in &vote.by_score {
        let mut cells = vec![r.rank.to_string(), one_decimal(r.mean), r.n.to_string()];
        cells.extend(r.distribution.iter().map(usize::to_string));
        ranked.rows.push((r.label.clone(), cells));
    }
    let groups = shown_groups(vote, |g| g.scorers);
    let mut spread = group_table(format!("{name}: average score from each perspective group"), &groups);
    for r in &vote.by_score {
        let cells = groups
            .iter()
            .map(|g| match r.by_group.iter().find(|s| s.group == g.group).and_then(|s| s.n.map(|n| (n, s.mean))) {
                Some((0, _)) => "no scores".to_owned(),
                Some((n, mean)) => format!("{} ({})", one_decimal(mean), plural(n, "score", "scores")),
                None => page.hidden_group(g.scorers),
            })
            .collect();
        spread.rows.push((r.label.clone(), cells));
    }
    ranking(chart, ranked, spread)
}

/// A ranking's chart and table, then its spread by group when any group can be shown.
fn ranking(chart: Markup, ranked: Table, spread: Table) -> Markup {
    let any_group = spread.columns.len() > 1;
    html! {
        (chart)
        (ranked)
        @if any_group {
            (spread)
        }
    }
}

/// A table of options by perspective group, its rows still to fill.
fn group_table(caption: String, groups: &[&GroupVoters]) -> Table {
    let mut columns = vec!["Option".to_owned()];
    columns.extend(groups.iter().map(|g| g.group.label().to_owned()));
    Table { caption, columns, rows: Vec::new(), numeric: vec![true; groups.len()] }
}

fn ideas_section(page: &Page, ideas: &IdeasInsight) -> Markup {
    html! {
        (h3(&page.activity_title(&ideas.room, &ideas.title)))
        @if ideas.n_hidden > 0 {
            (quiet(&hidden_sentence(ideas.n_hidden, "idea was", "ideas were")))
        }
        @if ideas.ideas.is_empty() {
            (quiet("No ideas were written."))
        } @else {
            (list("ideas", &ideas.ideas))
        }
    }
}
