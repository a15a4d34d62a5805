//! The PATH board: its notes under each part, in the order the PATH is drawn.

use serde::Serialize;
use touchpoint_core::room::layout::ActivityKind;

use super::rows_with_extras;
use crate::dataset::{ActivityInfo, Dataset};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathInsight {
    pub room: String,
    pub activity: String,
    pub title: String,
    /// In the order they are drawn, from the north star back to the first step.
    pub sections: Vec<PathSection>,
    pub n_hidden: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathSection {
    pub id: String,
    pub label: String,
    /// The notes, in the order they were written.
    pub notes: Vec<String>,
}

/// Every PATH board of a room.
pub fn paths(dataset: &Dataset) -> Vec<PathInsight> {
    let of = |activity: &ActivityInfo| {
        let notes: Vec<_> = dataset.path_notes.iter().filter(|n| n.activity == activity.id).collect();
        let sections = rows_with_extras(&activity.choices, notes.iter().map(|n| n.section.as_str()))
            .into_iter()
            .map(|section| PathSection {
                notes: notes
                    .iter()
                    .filter(|n| !n.marks.hidden && n.section == section.id)
                    .map(|n| n.text.clone())
                    .collect(),
                id: section.id,
                label: section.label,
            })
            .collect();
        PathInsight {
            room: dataset.room.title.clone(),
            activity: activity.id.clone(),
            title: activity.title.clone(),
            sections,
            n_hidden: notes.iter().filter(|n| n.marks.hidden).count(),
        }
    };
    dataset.activities.iter().filter(|a| a.kind == ActivityKind::Path).map(of).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insights::fixtures::*;

    #[test]
    fn lists_path_notes_in_section_order_without_hidden_ones() {
        let path = paths(&scripted_room()).into_iter().next().expect("the scripted room has a PATH");
        let sections: Vec<(&str, Vec<&str>)> =
            path.sections.iter().map(|s| (s.id.as_str(), s.notes.iter().map(String::as_str).collect())).collect();
        assert_eq!(
            sections,
            [
                ("north-star", vec!["Everyone is listened to"]),
                ("goal", vec!["A named person"]),
                ("first-step", vec!["Call people back"]),
            ]
        );
        assert_eq!(path.n_hidden, 1);
    }
}
