//! The board's `participation` map: how many joined, as every phone may see it.
//!
//! The board is synced to every client, phones and remote attendees
//! included, so what it says of who joined follows the same rule as a
//! published report ([`crate::disclosure`]): the total, the balance of people
//! and professionals (and those who did not say), and how many joined
//! remotely, each shown only from the threshold up, with one more withheld
//! where the total would give a small one away. Counts by perspective are not
//! on the board at all: no screen needs them, and each one more count that
//! is small would force more of the balance to be hidden with it.
//!
//! A board is watched as it changes, one join at a time, so it is protected
//! as a live table ([`Reading::Live`]): a zero is hidden too ("fewer than
//! 8"), so a group's first member changes nothing on it; and the total is
//! shown only while every group is, so its moves say nothing of a hidden
//! group. What a watcher can still learn is that a group that has just
//! become 8 was fewer a moment before (probably 7); it is shown from then on,
//! and which group a newcomer joined is what any live count tells. A group
//! that falls back below the threshold (a changed profile, an erasure) is
//! hidden again, with the total.

use yrs::Any;

use super::intent::Profile;
use crate::disclosure::{Count, MinCount, Reading, Table};
use crate::template::{Group, Perspective};

/// The participation map's keys and values: a count where it may be shown, else
/// `"suppressed"` (fewer than `min_count`, also written) or `"withheld"`.
pub(crate) fn participation(
    profiles: &[Profile],
    perspectives: &[Perspective],
    min_count: MinCount,
) -> Vec<(String, Any)> {
    let group_of = |profile: &Profile| {
        profile.perspective.as_deref().and_then(|id| perspectives.iter().find(|p| p.id == id)).map(|p| p.group)
    };
    let count = |f: &dyn Fn(&Profile) -> bool| profiles.iter().filter(|p| f(p)).count();
    let mut table = Table::default();
    let total = table.cell(profiles.len());
    let groups = [
        ("people", table.cell(count(&|p| group_of(p) == Some(Group::People)))),
        ("professionals", table.cell(count(&|p| group_of(p) == Some(Group::Professionals)))),
        ("unspecified", table.cell(count(&|p| group_of(p).is_none()))),
    ];
    table.equation(total, groups.iter().map(|(_, cell)| *cell).collect());
    // Those in the room are not on the board, so the remote count links to nothing.
    let remote = table.cell(count(&|p| p.remote == Some(true)));
    let counts = table.protect(min_count.get(), Reading::Live);
    let value = |cell: usize| match counts[cell] {
        Count::Exact(n) => Any::from(n as i64),
        Count::Suppressed => Any::from("suppressed"),
        Count::Withheld => Any::from("withheld"),
    };
    let mut map = vec![("total".to_owned(), value(total))];
    map.extend(groups.iter().map(|(key, cell)| ((*key).to_owned(), value(*cell))));
    map.push(("remote".to_owned(), value(remote)));
    map.push(("min_count".to_owned(), Any::from(min_count.get() as i64)));
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disclosure::DEFAULT_MIN_COUNT;

    #[test]
    fn shows_no_count_of_people_below_the_threshold() {
        let perspectives: Vec<Perspective> = serde_json::from_value(serde_json::json!([
            {"id": "person", "label": "Person", "group": "people"},
            {"id": "staff", "label": "Staff", "group": "professionals"},
        ]))
        .expect("perspectives");
        // (people, staff, no perspective, remote, min_count, expected total people professionals unspecified remote)
        let check = |people: usize, staff: usize, unsaid: usize, remote: usize, min_count: usize, expected: &str| {
            let profile = |perspective: Option<&str>, i: usize| Profile {
                perspective: perspective.map(str::to_owned),
                remote: Some(i < remote),
                ..Profile::default()
            };
            let profiles: Vec<Profile> = (0..people)
                .map(|i| profile(Some("person"), i))
                .chain((0..staff).map(|i| profile(Some("staff"), people + i)))
                .chain((0..unsaid).map(|i| profile(None, people + staff + i)))
                .collect();
            let min_count = MinCount::new(min_count).expect("a threshold");
            let map = participation(&profiles, &perspectives, min_count);
            let shown: Vec<String> = map
                .iter()
                .filter(|(key, _)| key != "min_count")
                .map(|(_, value)| match value.to_string().as_str() {
                    "suppressed" => "<".to_owned(),
                    "withheld" => "w".to_owned(),
                    number => number.to_owned(),
                })
                .collect();
            assert_eq!(shown.join(" "), expected, "{people} {staff} {unsaid} {remote}");
            assert!(map.contains(&("min_count".to_owned(), Any::from(min_count.get() as i64))));
        };
        let min = DEFAULT_MIN_COUNT;
        check(0, 0, 0, 0, min, "< < < < <");
        // The first joiner changes nothing.
        check(1, 0, 0, 1, min, "< < < < <");
        // A hidden group (even of none) hides the total with it.
        check(9, 0, 0, 0, min, "w 9 < < <");
        check(9, 3, 0, 0, min, "w 9 < < <");
        check(9, 8, 0, 8, min, "w 9 8 < 8");
        check(9, 8, 2, 0, min, "w 9 8 < <");
        check(9, 8, 8, 7, min, "25 9 8 8 <");
        check(12, 9, 0, 0, 10, "w 12 < < <");
        check(12, 10, 10, 10, 10, "32 12 10 10 10");
    }
}
