//! The participation audit: who took part, by group and never by person.
//!
//! Participants by perspective, role, segment and place, and contributions
//! by perspective; every breakdown links to the others through its totals,
//! so all of them are protected together (see [`touchpoint_core::disclosure`]).
//! A programme's figures add up its rooms', and each room has a report of its
//! own: so a programme figure is protected together with the rooms' figures
//! it sums, as each room's report shows them, and a room's small group never
//! reaches the programme's report as part of an exact sum.

use std::collections::BTreeMap;

use serde::Serialize;
use touchpoint_core::disclosure::{Count, Reading, Table};
use touchpoint_core::template::{Choice, Group};

use super::{PerspectiveGroup, rows_with_extras};
use crate::dataset::{Dataset, ParticipantRow, Source};

/// Who took part, by group, never by person; small counts suppressed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Participation {
    pub min_count: usize,
    pub n_rooms: usize,
    /// Participants of every room added up: in a programme, a person who came twice counts twice.
    pub total: Count,
    /// Each perspective of the rooms, then "not given".
    pub by_perspective: Breakdown,
    /// People and professionals: co-design aims at about half each.
    pub balance: Breakdown,
    pub by_role: Vec<RoleBreakdown>,
    pub by_segment: Vec<SegmentBreakdown>,
    /// In the room, remote, not given.
    pub by_place: Breakdown,
    /// Contributions (cards, notes, ideas, comments, pledges, touchstones, ballots) by perspective.
    pub contributions: Breakdown,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breakdown {
    pub rows: Vec<BreakdownRow>,
    pub total: Count,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BreakdownRow {
    pub id: String,
    pub label: String,
    pub count: Count,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleBreakdown {
    pub perspective: String,
    pub label: String,
    pub breakdown: Breakdown,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentBreakdown {
    pub segment: String,
    pub label: String,
    pub breakdown: Breakdown,
}

/// The id of the "not given" row of every breakdown.
pub const NOT_GIVEN: &str = "not-given";

/// Counts participants by perspective, role, segment and place, and contributions by perspective.
pub fn participation(datasets: &[Dataset], min_count: usize) -> Participation {
    // A programme's rooms are audited first, each as its own report shows it.
    let rooms: Vec<Vec<Keyed>> = if datasets.len() > 1 {
        datasets.iter().map(|dataset| audit(std::slice::from_ref(dataset), min_count, &[]).1).collect()
    } else {
        Vec::new()
    };
    audit(datasets, min_count, &rooms).0
}

/// A cell of the audit, named the same in every room and in their programme: its count and how it is shown.
type Keyed = (String, usize, Count);

/// The audit of `datasets`, each figure also protected with the same figure of `rooms` it adds up.
fn audit(datasets: &[Dataset], min_count: usize, rooms: &[Vec<Keyed>]) -> (Participation, Vec<Keyed>) {
    let participants: Vec<_> = datasets.iter().flat_map(|d| &d.participants).collect();
    let perspectives = union_by_id(datasets.iter().flat_map(|d| &d.perspectives), |p| &p.id);
    let segments = union_by_id(datasets.iter().flat_map(|d| &d.segments), |s| &s.id);
    let is_known = |id: Option<&str>| id.is_some_and(|id| perspectives.iter().any(|p| p.id == id));
    let mut table = Table::default();
    // Every cell once, by a name that is the same in each room of a programme.
    let mut keys: Vec<(String, usize)> = Vec::new();

    // Perspectives, with the ids the rooms no longer list folded into "not given".
    let total = table.cell(participants.len());
    keys.push(("total".to_owned(), total));
    let mut perspective_rows = Vec::new();
    for perspective in &perspectives {
        let n = participants.iter().filter(|p| p.perspective.as_deref() == Some(&perspective.id)).count();
        perspective_rows.push((perspective.id.clone(), perspective.label.clone(), table.cell(n)));
    }
    let not_given = participants.iter().filter(|p| !is_known(p.perspective.as_deref())).count();
    perspective_rows.push((NOT_GIVEN.to_owned(), "Not given".to_owned(), table.cell(not_given)));
    table.equation(total, perspective_rows.iter().map(|row| row.2).collect());
    keys.extend(perspective_rows.iter().map(|row| (format!("perspective/{}", row.0), row.2)));

    // The balance: each group is the sum of its perspectives, so the two are protected together.
    let mut balance_rows = Vec::new();
    for (group, id) in [(Group::People, "people"), (Group::Professionals, "professionals")] {
        let members: Vec<usize> = perspectives
            .iter()
            .zip(&perspective_rows)
            .filter(|(perspective, _)| perspective.group == group)
            .map(|(_, row)| row.2)
            .collect();
        let n = members.iter().map(|cell| table.value(*cell)).sum();
        let cell = table.cell(n);
        table.equation(cell, members);
        keys.push((format!("balance/{id}"), cell));
        let group = if group == Group::People { PerspectiveGroup::People } else { PerspectiveGroup::Professionals };
        balance_rows.push((id.to_owned(), group.label().to_owned(), cell));
    }
    if let Some(row) = perspective_rows.last() {
        balance_rows.push(row.clone());
    }
    table.equation(total, balance_rows.iter().map(|row| row.2).collect());

    // Roles within each perspective that has them.
    let mut role_tables = Vec::new();
    for (perspective, row) in perspectives.iter().zip(&perspective_rows) {
        let mine: Vec<_> = participants.iter().filter(|p| p.perspective.as_deref() == Some(&perspective.id)).collect();
        let choices = rows_with_extras(&perspective.roles, mine.iter().filter_map(|p| p.role.as_deref()));
        if choices.is_empty() {
            continue;
        }
        let rows =
            rows_of(&mut table, &choices, mine.len(), |id| mine.iter().filter(|p| p.role.as_deref() == id).count());
        table.equation(row.2, rows.iter().map(|row| row.2).collect());
        keys.extend(rows.iter().map(|role| (format!("role/{}/{}", perspective.id, role.0), role.2)));
        role_tables.push((perspective.id.clone(), perspective.label.clone(), rows, row.2));
    }

    let mut segment_tables = Vec::new();
    for segment in &segments {
        let answer = |p: &ParticipantRow| -> Option<String> { p.segments.get(&segment.id).cloned() };
        let answers: Vec<Option<String>> = participants.iter().map(|p| answer(p)).collect();
        let choices = rows_with_extras(&segment.options, answers.iter().flatten().map(String::as_str));
        let rows = rows_of(&mut table, &choices, participants.len(), |id| {
            answers.iter().filter(|a| a.as_deref() == id).count()
        });
        table.equation(total, rows.iter().map(|row| row.2).collect());
        keys.extend(rows.iter().map(|option| (format!("segment/{}/{}", segment.id, option.0), option.2)));
        segment_tables.push((segment.id.clone(), segment.label.clone(), rows));
    }

    let place = |remote: Option<bool>| participants.iter().filter(|p| p.remote == remote).count();
    let place_rows = vec![
        ("in-the-room".to_owned(), "In the room".to_owned(), table.cell(place(Some(false)))),
        ("remote".to_owned(), "Joining remotely".to_owned(), table.cell(place(Some(true)))),
        (NOT_GIVEN.to_owned(), "Not given".to_owned(), table.cell(place(None))),
    ];
    table.equation(total, place_rows.iter().map(|row| row.2).collect());
    keys.extend(place_rows.iter().map(|row| (format!("place/{}", row.0), row.2)));

    // Contributions: every visible contribution and every ballot, by the perspective it was made under.
    let mut sources: Vec<&Source> = Vec::new();
    for dataset in datasets {
        sources.extend(dataset.cards.iter().filter(|c| !c.marks.hidden).map(|c| &c.marks.source));
        sources.extend(dataset.path_notes.iter().filter(|n| !n.marks.hidden).map(|n| &n.marks.source));
        sources.extend(dataset.ideas.iter().filter(|i| !i.marks.hidden).map(|i| &i.marks.source));
        sources.extend(dataset.pledges.iter().filter(|p| !p.marks.hidden).map(|p| &p.marks.source));
        sources.extend(dataset.touchstones.iter().filter(|t| !t.marks.hidden).map(|t| &t.marks.source));
        // One ballot per person (or paper ballot) per vote, whether it placed dots, gave scores or both.
        let mut ballots: BTreeMap<(&str, &str), &Source> = BTreeMap::new();
        for (activity, voter, source) in dataset
            .dots
            .iter()
            .map(|d| (&d.activity, d.voter(), &d.source))
            .chain(dataset.scores.iter().map(|s| (&s.activity, s.voter(), &s.source)))
        {
            if let Some(voter) = voter {
                ballots.entry((activity, voter)).or_insert(source);
            }
        }
        sources.extend(ballots.into_values());
    }
    let contributions_total = table.cell(sources.len());
    keys.push(("contributions".to_owned(), contributions_total));
    let mut contribution_rows = Vec::new();
    for perspective in &perspectives {
        let n = sources.iter().filter(|s| s.perspective.as_deref() == Some(&perspective.id)).count();
        contribution_rows.push((perspective.id.clone(), perspective.label.clone(), table.cell(n)));
    }
    let n = sources.iter().filter(|s| !is_known(s.perspective.as_deref())).count();
    contribution_rows.push((NOT_GIVEN.to_owned(), "Not given".to_owned(), table.cell(n)));
    table.equation(contributions_total, contribution_rows.iter().map(|row| row.2).collect());
    keys.extend(contribution_rows.iter().map(|row| (format!("contributions/{}", row.0), row.2)));

    // Each figure of a programme is the sum of the same figure in its rooms, as their reports show it.
    for (key, cell) in keys.iter().filter(|_| !rooms.is_empty()) {
        let parts = rooms
            .iter()
            .filter_map(|room| room.iter().find(|(name, ..)| name == key))
            .map(|(_, value, shown)| table.published(*value, *shown))
            .collect();
        table.equation(*cell, parts);
    }

    let counts = table.protect(min_count, Reading::Once);
    let keyed = keys.into_iter().map(|(key, cell)| (key, table.value(cell), counts[cell])).collect();
    let breakdown = |rows: &[(String, String, usize)], total: usize| Breakdown {
        rows: rows
            .iter()
            .map(|(id, label, cell)| BreakdownRow { id: id.clone(), label: label.clone(), count: counts[*cell] })
            .collect(),
        total: counts[total],
    };
    let participation = Participation {
        min_count,
        n_rooms: datasets.len(),
        total: counts[total],
        by_perspective: breakdown(&perspective_rows, total),
        balance: breakdown(&balance_rows, total),
        by_role: role_tables
            .iter()
            .map(|(id, label, rows, cell)| RoleBreakdown {
                perspective: id.clone(),
                label: label.clone(),
                breakdown: breakdown(rows, *cell),
            })
            .collect(),
        by_segment: segment_tables
            .iter()
            .map(|(id, label, rows)| SegmentBreakdown {
                segment: id.clone(),
                label: label.clone(),
                breakdown: breakdown(rows, total),
            })
            .collect(),
        by_place: breakdown(&place_rows, total),
        contributions: breakdown(&contribution_rows, contributions_total),
    };
    (participation, keyed)
}

/// One row per choice, then "not given" for the rest of `n`, counted by `count_of(Some(id))`.
fn rows_of(
    table: &mut Table,
    choices: &[Choice],
    n: usize,
    count_of: impl Fn(Option<&str>) -> usize,
) -> Vec<(String, String, usize)> {
    let mut rows = Vec::new();
    let mut given = 0;
    for choice in choices {
        let count = count_of(Some(&choice.id));
        given += count;
        rows.push((choice.id.clone(), choice.label.clone(), table.cell(count)));
    }
    rows.push((NOT_GIVEN.to_owned(), "Not given".to_owned(), table.cell(n.saturating_sub(given))));
    rows
}

fn union_by_id<'a, T: Clone + 'a>(items: impl Iterator<Item = &'a T>, id: impl Fn(&T) -> &String) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for item in items {
        if !out.iter().any(|seen| id(seen) == id(item)) {
            out.push(item.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insights::fixtures::*;

    /// A breakdown as `id=count` pairs, then the total: `<5` suppressed, `w` withheld.
    fn describe(breakdown: &Breakdown) -> String {
        let count = |count: Count| match count {
            Count::Exact(n) => n.to_string(),
            Count::Suppressed => "<5".to_owned(),
            Count::Withheld => "w".to_owned(),
        };
        let mut parts: Vec<String> =
            breakdown.rows.iter().map(|row| format!("{}={}", row.id, count(row.count))).collect();
        parts.push(format!("total={}", count(breakdown.total)));
        parts.join(" ")
    }

    /// Participants as `(perspective, role, answer, remote, how many)`.
    /// `(perspective, role, answer, remote, how many)`.
    type Crowd = (Option<&'static str>, Option<&'static str>, Option<&'static str>, Option<bool>, usize);

    fn crowd(groups: &[Crowd]) -> Dataset {
        let mut dataset = scripted_room();
        dataset.participants = groups
            .iter()
            .flat_map(|(perspective, role, answer, remote, n)| {
                std::iter::repeat_n((perspective, role, answer, remote), *n)
            })
            .enumerate()
            .map(|(i, (perspective, role, answer, remote))| ParticipantRow {
                participant: format!("p{}", i + 1),
                perspective: perspective.map(str::to_owned),
                role: role.map(str::to_owned),
                segments: answer.iter().map(|a| ("age".to_owned(), (*a).to_owned())).collect(),
                remote: *remote,
            })
            .collect();
        dataset
    }

    #[test]
    fn audits_participation_with_secondary_suppression_across_linked_breakdowns() {
        let (s, p, c, n) = (Some("staff"), Some("person"), Some("carer"), None);
        let check = |groups: &[Crowd], min_count: usize, expected: &[(&str, &str)]| {
            let audit = participation(&[crowd(groups)], min_count);
            for (name, expected) in expected {
                let breakdown = match *name {
                    "perspective" => &audit.by_perspective,
                    "balance" => &audit.balance,
                    "staff roles" => &audit.by_role.iter().find(|r| r.perspective == "staff").expect("staff").breakdown,
                    "age" => &audit.by_segment[0].breakdown,
                    "place" => &audit.by_place,
                    _ => panic!("no breakdown {name}"),
                };
                assert_eq!(describe(breakdown), *expected, "{name} in {groups:?}, min {min_count}");
            }
        };
        // 9 people, 2 carers, 6 GPs. The 2 carers are suppressed; staff is withheld (17 - 9 - 6 = 2);
        // person too, since people (11) - person (9) = 2; then the groups, which equal what they hide.
        check(
            &[
                (p, n, Some("60-plus"), Some(false), 9),
                (c, n, Some("60-plus"), Some(false), 2),
                (s, Some("gp"), Some("under-60"), Some(false), 6),
            ],
            5,
            &[
                ("perspective", "person=w carer=<5 staff=w not-given=0 total=17"),
                ("balance", "people=w professionals=w not-given=0 total=17"),
                ("staff roles", "gp=w receptionist=0 not-given=0 total=w"),
                ("age", "under-60=6 60-plus=11 prefer-not-to-say=0 not-given=0 total=17"),
                ("place", "in-the-room=17 remote=0 not-given=0 total=17"),
            ],
        );
        // Remote attendees: 3 of 15 joining remotely would be given away by "in the room".
        check(
            &[
                (p, n, Some("under-60"), Some(false), 6),
                (p, n, Some("prefer-not-to-say"), Some(true), 3),
                (s, n, Some("60-plus"), Some(false), 6),
            ],
            5,
            &[
                ("perspective", "person=9 carer=0 staff=6 not-given=0 total=15"),
                ("place", "in-the-room=w remote=<5 not-given=0 total=15"),
                // Of two equal cells, the first is withheld.
                ("age", "under-60=w 60-plus=6 prefer-not-to-say=<5 not-given=0 total=15"),
                ("staff roles", "gp=0 receptionist=0 not-given=6 total=6"),
            ],
        );
        // Two small cells hide each other: nothing more is withheld.
        check(
            &[(p, n, Some("under-60"), Some(false), 10), (s, n, None, Some(false), 3), (n, n, None, Some(false), 2)],
            5,
            &[
                ("perspective", "person=10 carer=0 staff=<5 not-given=<5 total=15"),
                ("balance", "people=10 professionals=<5 not-given=<5 total=15"),
                ("staff roles", "gp=0 receptionist=0 not-given=<5 total=<5"),
            ],
        );
        // Two small cells in the perspectives, but the group gives one away: people (13) - person (10) = 3 carers.
        check(
            &[(p, n, Some("under-60"), Some(false), 10), (c, n, None, Some(false), 3), (n, n, None, Some(false), 2)],
            5,
            &[
                ("perspective", "person=w carer=<5 staff=0 not-given=<5 total=15"),
                ("balance", "people=w professionals=0 not-given=<5 total=15"),
            ],
        );
        // Fewer than five in all: everything that is not zero is suppressed.
        check(&[(p, n, None, Some(true), 3)], 5, &[("perspective", "person=<5 carer=0 staff=0 not-given=0 total=<5")]);
        // A threshold of 1 turns suppression off.
        check(
            &[(p, n, None, Some(true), 9), (c, n, None, Some(false), 2)],
            1,
            &[
                ("perspective", "person=9 carer=2 staff=0 not-given=0 total=11"),
                ("place", "in-the-room=2 remote=9 not-given=0 total=11"),
            ],
        );
    }

    #[test]
    fn a_programme_never_sums_a_rooms_small_group_into_a_figure_that_reveals_it() {
        let (p, c, n) = (Some("person"), Some("carer"), None);
        // `describe` marks every suppressed count `<5`; here the threshold is 8.
        let describe = |breakdown: &Breakdown| describe(breakdown).replace("<5", "<8");
        let small = crowd(&[(p, n, None, Some(false), 9), (c, n, None, Some(false), 2)]);
        let large = crowd(&[(p, n, None, Some(false), 9), (c, n, None, Some(false), 10)]);
        // Each room's own report: the 2 carers are suppressed (and the 9 people withheld with them).
        assert_eq!(
            describe(&participation(std::slice::from_ref(&small), 8).by_perspective),
            "person=w carer=<8 staff=0 not-given=0 total=11"
        );
        assert_eq!(
            describe(&participation(std::slice::from_ref(&large), 8).by_perspective),
            "person=9 carer=10 staff=0 not-given=0 total=19"
        );
        // 12 carers less the other room's 10 would give the 2 away; 18 people less 9, the 9 withheld.
        let programme = participation(&[small, large], 8);
        assert_eq!(describe(&programme.by_perspective), "person=w carer=w staff=0 not-given=0 total=30");
        assert_eq!(describe(&programme.balance), "people=30 professionals=0 not-given=0 total=30");
    }

    #[test]
    fn counts_visible_contributions_by_perspective() {
        let audit = participation(&[scripted_room()], 1);
        // Cards: person 4, carer 2, staff 4, none 1. PATH notes: person 1 (one hidden), carer 1, staff 1.
        // Ideas: person 2 (two hidden). Pledges: staff 2 (one hidden). Touchstones: carer 6 (one hidden).
        // Ballots: one per participant.
        assert_eq!(describe(&audit.contributions), "person=9 carer=10 staff=9 not-given=2 total=30");
        assert_eq!(describe(&audit.by_perspective), "person=2 carer=1 staff=2 not-given=1 total=6");
        let audit = participation(&[scripted_room(), scripted_room()], 1);
        assert_eq!(audit.total, Count::Exact(12), "a programme adds up the places taken in each room");
    }
}
