//! Ideas: what people wrote on an ideas activity, without the hidden ones.

use serde::Serialize;
use touchpoint_core::room::layout::ActivityKind;

use crate::dataset::{ActivityInfo, Dataset};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdeasInsight {
    pub room: String,
    pub activity: String,
    pub title: String,
    pub ideas: Vec<String>,
    pub n_hidden: usize,
}

/// Every ideas activity of a room (comments on a vote's options belong to the vote).
pub fn ideas(dataset: &Dataset) -> Vec<IdeasInsight> {
    let of = |activity: &ActivityInfo| {
        let ideas: Vec<_> = dataset.ideas.iter().filter(|i| i.activity == activity.id).collect();
        IdeasInsight {
            room: dataset.room.title.clone(),
            activity: activity.id.clone(),
            title: activity.title.clone(),
            ideas: ideas.iter().filter(|i| !i.marks.hidden).map(|i| i.text.clone()).collect(),
            n_hidden: ideas.iter().filter(|i| i.marks.hidden).count(),
        }
    };
    dataset.activities.iter().filter(|a| a.kind == ActivityKind::Ideas).map(of).collect()
}
