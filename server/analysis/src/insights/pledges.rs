//! Pledges and touchstones: what people will do, and the words that matter most to them.
//!
//! A pledge's name and organisation are shown only where the person chose
//! to give them; contacts never reach the dataset, so they cannot reach here.

use serde::Serialize;

use super::{WordCount, word_counts};
use crate::dataset::Dataset;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PledgeInsight {
    pub pledges: Vec<PledgeEntry>,
    pub n_hidden: usize,
    /// Touchstone words, case-folded and trimmed, most frequent first.
    pub touchstones: Vec<WordCount>,
    pub n_touchstones_hidden: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PledgeEntry {
    pub room: String,
    pub text: String,
    /// Only where the person chose to give it.
    pub name: Option<String>,
    pub organisation: Option<String>,
}

/// Every pledge and touchstone of the rooms, hidden ones left out.
pub fn pledges(datasets: &[Dataset]) -> PledgeInsight {
    let given = |value: &Option<String>| value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let pledges = datasets
        .iter()
        .flat_map(|dataset| dataset.pledges.iter().map(move |pledge| (dataset, pledge)))
        .filter(|(_, pledge)| !pledge.marks.hidden)
        .map(|(dataset, pledge)| PledgeEntry {
            room: dataset.room.title.clone(),
            text: pledge.text.clone(),
            name: given(&pledge.name),
            organisation: given(&pledge.organisation),
        })
        .collect();
    let touchstones = datasets.iter().flat_map(|dataset| &dataset.touchstones);
    PledgeInsight {
        pledges,
        n_hidden: datasets.iter().flat_map(|d| &d.pledges).filter(|p| p.marks.hidden).count(),
        touchstones: word_counts(touchstones.clone().filter(|t| !t.marks.hidden).map(|t| t.word.as_str())),
        n_touchstones_hidden: touchstones.filter(|t| t.marks.hidden).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::insights::fixtures::*;

    #[test]
    fn keeps_pledge_names_only_where_given_and_folds_touchstones() {
        let insight = pledges(&[scripted_room()]);
        let actual: Vec<(&str, Option<&str>)> =
            insight.pledges.iter().map(|p| (p.text.as_str(), p.name.as_deref())).collect();
        assert_eq!(actual, [("I will call back the same day", Some("Dr Khan")), ("I will tell my neighbours", None)]);
        assert_eq!(insight.n_hidden, 1);
        let words: Vec<(&str, usize)> = insight.touchstones.iter().map(|w| (w.word.as_str(), w.count)).collect();
        assert_eq!(words, [("kindness", 3), ("being listened to", 2), ("time", 1)]);
        assert_eq!(insight.n_touchstones_hidden, 1);
    }
}
