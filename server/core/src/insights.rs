//! The numbers behind the insights report, drawn from exported datasets.
//!
//! After each event analysts triangulate: which touchpoints hurt most and for
//! whom, how staff's map differs from people's, how far the desired map is
//! from the current one, which options won and with whom, who pledged what,
//! and who took part. This module computes each of those as plain,
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
//!   be one's neighbours. So any count of people `c` with
//!   `0 < c < min_count` is reported as [`Count::Suppressed`] ("fewer than
//!   5"), and where a suppressed count could be worked out by subtraction
//!   (a total minus the other cells of a breakdown, or a group minus its
//!   other perspectives), one more cell is [`Count::Withheld`]. The default
//!   threshold, [`DEFAULT_MIN_COUNT`], is 5: with groups this small a count
//!   of 1 to 4 can identify a person, and 5 is the smallest count that
//!   official statistics on small populations commonly publish. A threshold
//!   of 0 or 1 turns suppression off, for analysts working inside the
//!   programme.
//!
//! Suppression applies to counts of *people*: the participation audit, and
//! the spread of votes by perspective group (a group of fewer than
//! `min_count` voters has its spread suppressed, since one professional's
//! ballot would otherwise be on show). Counts of emotion cards are what was
//! said, already on the shared board with their perspective for the whole
//! room to see, and they stay exact so the record of engagement is complete.
//! Withholding one more cell per breakdown protects against subtraction
//! within and between linked breakdowns; it does not defeat every inference
//! (two suppressed cells summing to 2 are both 1), which is one more reason
//! not to lower the threshold for a published report.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::analysis::{ActivityInfo, CardRow, Dataset, ParticipantRow, Source};
use crate::template::{Choice, Group, Valence};

/// The default smallest count of people a report shows: 1 to 4 can identify someone.
pub const DEFAULT_MIN_COUNT: usize = 5;

/// How many hot spots (the most negative touchpoints) are named.
pub const HOT_SPOTS: usize = 3;

/// A count of people, as a report may show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Count {
    Exact(usize),
    /// More than 0 and fewer than the threshold: shown as "fewer than 5".
    Suppressed,
    /// Not small, but hidden so that a suppressed count cannot be worked out from it.
    Withheld,
}

impl Count {
    pub fn exact(self) -> Option<usize> {
        match self {
            Count::Exact(n) => Some(n),
            Count::Suppressed | Count::Withheld => None,
        }
    }
}

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
        participation: participation(datasets, min_count),
    }
}

// ---------------------------------------------------------------------------
// Rooms.

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
}

pub fn room_summary(dataset: &Dataset, min_count: usize) -> RoomSummary {
    let times: Vec<i64> = dataset
        .cards
        .iter()
        .map(|c| c.at)
        .chain(dataset.path_notes.iter().map(|n| n.at))
        .chain(dataset.ideas.iter().map(|i| i.at))
        .chain(dataset.pledges.iter().map(|p| p.at))
        .chain(dataset.touchstones.iter().map(|t| t.at))
        .filter(|at| *at > 0)
        .collect();
    let created = (dataset.room.created_at > 0).then_some(dataset.room.created_at);
    RoomSummary {
        code: dataset.room.code.clone(),
        title: dataset.room.title.clone(),
        programme: dataset.room.programme.clone(),
        template: dataset.room.template.clone(),
        first_at: times.iter().min().copied().or(created),
        last_at: times.iter().max().copied().or(created),
        participants: primary(dataset.participants.len(), min_count),
    }
}

// ---------------------------------------------------------------------------
// Emotional maps.

/// One emotional map: cards counted by touchpoint and emotion, for everyone and for each perspective.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmotionMapInsight {
    /// The room's title, to tell maps of a programme apart.
    pub room: String,
    pub activity: String,
    pub title: String,
    /// `current` or `desired`.
    pub board: Option<String>,
    /// The rows: the journey in order, then any touchpoint a card names that the map no longer lists.
    pub touchpoints: Vec<Choice>,
    /// The columns: the words chosen at least once (good, neutral, bad), then own words.
    pub columns: Vec<EmotionColumn>,
    /// Everyone first, then each perspective group, then each perspective, each only if it has cards.
    pub views: Vec<MapView>,
    /// People and carers against staff at each touchpoint, where they differ most first.
    pub people_vs_staff: Vec<Comparison>,
    /// The words people wrote on blank cards, most frequent first.
    pub own_words: Vec<WordCount>,
    /// Every note written on a card, by touchpoint in journey order, then in the order written.
    pub notes: Vec<CardNote>,
    /// Cards counted (hidden ones left out).
    pub n_cards: usize,
    /// Cards a facilitator hid, left out of every count.
    pub n_hidden: usize,
}

/// A note written on an emotion card, with the card's word and perspective.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardNote {
    pub touchpoint: String,
    /// The emotion's label, or the person's own word.
    pub word: String,
    pub valence: Option<Valence>,
    /// The perspective's label, if the person gave one.
    pub perspective: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmotionColumn {
    /// The emotion's id; `None` for the column of own words.
    pub emotion: Option<String>,
    pub label: String,
    /// `None` for own words, whose meaning only the word says.
    pub valence: Option<Valence>,
}

/// Whose cards a view counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Who {
    Everyone,
    Group { group: PerspectiveGroup },
    Perspective { id: String },
}

/// The map as seen through one set of cards.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MapView {
    pub who: Who,
    pub label: String,
    /// For perspectives: the group they belong to.
    pub group: Option<PerspectiveGroup>,
    pub n_cards: usize,
    /// `counts[touchpoint][column]`, in the order of the map's touchpoints and columns.
    pub counts: Vec<Vec<usize>>,
    /// Good, neutral and bad cards at each touchpoint, in journey order.
    pub valence: Vec<TouchpointValence>,
    /// The most negative touchpoints, at most [`HOT_SPOTS`].
    pub hot_spots: Vec<HotSpot>,
}

/// Cards at one touchpoint by valence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub positive: usize,
    pub neutral: usize,
    pub negative: usize,
    /// Own words (and words the map no longer lists): their valence is unknown.
    pub other: usize,
}

impl Tally {
    fn add(&mut self, valence: Option<Valence>) {
        match valence {
            Some(Valence::Positive) => self.positive += 1,
            Some(Valence::Neutral) => self.neutral += 1,
            Some(Valence::Negative) => self.negative += 1,
            None => self.other += 1,
        }
    }

    /// Cards whose valence is known: the base of every share.
    pub fn valenced(&self) -> usize {
        self.positive + self.neutral + self.negative
    }

    pub fn total(&self) -> usize {
        self.valenced() + self.other
    }

    /// Good cards minus bad ones.
    pub fn net(&self) -> i64 {
        signed(self.positive) - signed(self.negative)
    }

    /// The share of cards of known valence that are negative; `None` without any.
    pub fn share_negative(&self) -> Option<f64> {
        share(self.negative, self.valenced())
    }

    pub fn share_positive(&self) -> Option<f64> {
        share(self.positive, self.valenced())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TouchpointValence {
    pub touchpoint: String,
    pub label: String,
    pub tally: Tally,
    /// Positive minus negative cards.
    pub net: i64,
    pub share_negative: Option<f64>,
}

/// A touchpoint that hurts: ranked by the share of its cards that are negative, then by their number.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HotSpot {
    pub touchpoint: String,
    pub label: String,
    pub negative: usize,
    pub valenced: usize,
    pub share_negative: f64,
}

/// Two sets of cards at one touchpoint: people against staff, or current against desired.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub touchpoint: String,
    pub label: String,
    pub first: Tally,
    pub second: Tally,
    /// The first's share of negative cards minus the second's; `None` when either has no card of known valence.
    pub gap: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WordCount {
    pub word: String,
    pub count: usize,
}

/// Every emotional map of a room.
pub fn emotion_maps(dataset: &Dataset) -> Vec<EmotionMapInsight> {
    dataset
        .activities
        .iter()
        .filter(|activity| activity.kind == "emotion_map")
        .map(|activity| emotion_map(dataset, activity))
        .collect()
}

fn emotion_map(dataset: &Dataset, activity: &ActivityInfo) -> EmotionMapInsight {
    let all: Vec<&CardRow> = dataset.cards.iter().filter(|card| card.activity == activity.id).collect();
    let cards: Vec<&CardRow> = all.iter().copied().filter(|card| !card.hidden).collect();
    let touchpoints = rows_with_extras(&activity.choices, cards.iter().map(|card| card.touchpoint.as_str()));
    let columns = emotion_columns(activity, &cards);

    let group_of_card = |card: &CardRow| group_of(dataset, card.source.perspective.as_deref());
    let mut views = vec![map_view(Who::Everyone, "Everyone".to_owned(), None, &touchpoints, &columns, &cards)];
    for group in PerspectiveGroup::ALL {
        let mine: Vec<&CardRow> = cards.iter().copied().filter(|card| group_of_card(card) == group).collect();
        if !mine.is_empty() {
            views.push(map_view(Who::Group { group }, group.label().to_owned(), None, &touchpoints, &columns, &mine));
        }
    }
    for perspective in &dataset.perspectives {
        let mine: Vec<&CardRow> =
            cards.iter().copied().filter(|card| card.source.perspective.as_deref() == Some(&perspective.id)).collect();
        if !mine.is_empty() {
            let who = Who::Perspective { id: perspective.id.clone() };
            let group = Some(group_of(dataset, Some(&perspective.id)));
            views.push(map_view(who, perspective.label.clone(), group, &touchpoints, &columns, &mine));
        }
    }

    let tallies_of = |group: PerspectiveGroup| -> Vec<Tally> {
        let mine: Vec<&CardRow> = cards.iter().copied().filter(|card| group_of_card(card) == group).collect();
        tallies(&touchpoints, &mine)
    };
    let people_vs_staff =
        compare(&touchpoints, &tallies_of(PerspectiveGroup::People), &tallies_of(PerspectiveGroup::Professionals));
    let own_words =
        word_counts(cards.iter().filter(|card| card.emotion.is_none()).filter_map(|card| card.word.as_deref()));

    let mut notes: Vec<(usize, CardNote)> = cards
        .iter()
        .filter_map(|card| {
            let note = card.note.as_deref().map(str::trim).filter(|note| !note.is_empty())?;
            let row = touchpoints.iter().position(|t| t.id == card.touchpoint)?;
            let word = match card.emotion.as_deref() {
                Some(id) => activity.emotions.iter().find(|e| e.id == id).map_or(id, |e| e.label.as_str()),
                None => card.word.as_deref().unwrap_or_default(),
            };
            let perspective = card.source.perspective.as_deref();
            let perspective = dataset.perspectives.iter().find(|p| Some(p.id.as_str()) == perspective);
            let note = CardNote {
                touchpoint: touchpoints[row].id.clone(),
                word: word.to_owned(),
                valence: card.valence,
                perspective: perspective.map(|p| p.label.clone()),
                note: note.to_owned(),
            };
            Some((row, note))
        })
        .collect();
    // A stable sort keeps the order written within each touchpoint.
    notes.sort_by_key(|(row, _)| *row);

    EmotionMapInsight {
        room: dataset.room.title.clone(),
        activity: activity.id.clone(),
        title: activity.title.clone(),
        board: activity.board.clone(),
        touchpoints,
        columns,
        views,
        people_vs_staff,
        own_words,
        notes: notes.into_iter().map(|(_, note)| note).collect(),
        n_cards: cards.len(),
        n_hidden: all.len() - cards.len(),
    }
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

/// The words chosen at least once, good before neutral before bad (as a paper map
/// raises good cards and lowers bad ones), then own words last.
fn emotion_columns(activity: &ActivityInfo, cards: &[&CardRow]) -> Vec<EmotionColumn> {
    let used: BTreeSet<&str> = cards.iter().filter_map(|card| card.emotion.as_deref()).collect();
    let mut columns = Vec::new();
    for valence in [Valence::Positive, Valence::Neutral, Valence::Negative] {
        for emotion in activity.emotions.iter().filter(|e| e.valence == valence && used.contains(e.id.as_str())) {
            columns.push(EmotionColumn {
                emotion: Some(emotion.id.clone()),
                label: emotion.label.clone(),
                valence: Some(valence),
            });
        }
    }
    for card in cards {
        let Some(emotion) = card.emotion.as_deref() else { continue };
        if !columns.iter().any(|column| column.emotion.as_deref() == Some(emotion)) {
            columns.push(EmotionColumn { emotion: Some(emotion.to_owned()), label: emotion.to_owned(), valence: None });
        }
    }
    if cards.iter().any(|card| card.emotion.is_none()) {
        columns.push(EmotionColumn { emotion: None, label: "Own word".to_owned(), valence: None });
    }
    columns
}

fn map_view(
    who: Who,
    label: String,
    group: Option<PerspectiveGroup>,
    touchpoints: &[Choice],
    columns: &[EmotionColumn],
    cards: &[&CardRow],
) -> MapView {
    let mut counts = vec![vec![0; columns.len()]; touchpoints.len()];
    for card in cards {
        let row = touchpoints.iter().position(|t| t.id == card.touchpoint);
        let column = columns.iter().position(|c| c.emotion == card.emotion);
        if let (Some(row), Some(column)) = (row, column) {
            counts[row][column] += 1;
        }
    }
    let valence: Vec<TouchpointValence> = touchpoints
        .iter()
        .zip(tallies(touchpoints, cards))
        .map(|(touchpoint, tally)| TouchpointValence {
            touchpoint: touchpoint.id.clone(),
            label: touchpoint.label.clone(),
            tally,
            net: tally.net(),
            share_negative: tally.share_negative(),
        })
        .collect();
    MapView { who, label, group, n_cards: cards.len(), counts, hot_spots: hot_spots(&valence), valence }
}

fn tallies(touchpoints: &[Choice], cards: &[&CardRow]) -> Vec<Tally> {
    let mut tallies = vec![Tally::default(); touchpoints.len()];
    for card in cards {
        if let Some(row) = touchpoints.iter().position(|t| t.id == card.touchpoint) {
            tallies[row].add(card.valence);
        }
    }
    tallies
}

/// Touchpoints with at least one negative card, by share negative, then count, then journey order.
fn hot_spots(valence: &[TouchpointValence]) -> Vec<HotSpot> {
    let mut spots: Vec<HotSpot> = valence
        .iter()
        .filter(|row| row.tally.negative > 0)
        .map(|row| HotSpot {
            touchpoint: row.touchpoint.clone(),
            label: row.label.clone(),
            negative: row.tally.negative,
            valenced: row.tally.valenced(),
            share_negative: row.share_negative.unwrap_or(0.0),
        })
        .collect();
    // A stable sort keeps journey order among equals.
    spots.sort_by(|a, b| b.share_negative.total_cmp(&a.share_negative).then_with(|| b.negative.cmp(&a.negative)));
    spots.truncate(HOT_SPOTS);
    spots
}

/// Pairs two tallies per touchpoint, where they differ most first; touchpoints one side did not rate come last.
fn compare(touchpoints: &[Choice], first: &[Tally], second: &[Tally]) -> Vec<Comparison> {
    let mut comparisons: Vec<Comparison> = touchpoints
        .iter()
        .zip(first.iter().zip(second))
        .map(|(touchpoint, (first, second))| Comparison {
            touchpoint: touchpoint.id.clone(),
            label: touchpoint.label.clone(),
            first: *first,
            second: *second,
            gap: first.share_negative().zip(second.share_negative()).map(|(a, b)| a - b),
        })
        .collect();
    comparisons.sort_by(|a, b| match (a.gap, b.gap) {
        (Some(a), Some(b)) => b.abs().total_cmp(&a.abs()),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    });
    comparisons
}

/// The current experience against the desired one, across the rooms of a programme.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurrentVsDesired {
    /// The maps pooled on each side, as "room: map".
    pub current: Vec<String>,
    pub desired: Vec<String>,
    /// `first` is current, `second` desired; where they differ most first.
    pub touchpoints: Vec<Comparison>,
}

/// Pools every current map and every desired map by touchpoint id; `None` unless both exist.
pub fn current_vs_desired(datasets: &[Dataset]) -> Option<CurrentVsDesired> {
    let maps = |board: &str| -> Vec<(&Dataset, &ActivityInfo)> {
        datasets
            .iter()
            .flat_map(|dataset| dataset.activities.iter().map(move |activity| (dataset, activity)))
            .filter(|(_, activity)| activity.kind == "emotion_map" && activity.board.as_deref() == Some(board))
            .collect()
    };
    let (current, desired) = (maps("current"), maps("desired"));
    if current.is_empty() || desired.is_empty() {
        return None;
    }
    let cards_of = |maps: &[(&'_ Dataset, &'_ ActivityInfo)]| -> Vec<CardRow> {
        maps.iter()
            .flat_map(|(dataset, activity)| dataset.cards.iter().filter(|card| card.activity == activity.id))
            .filter(|card| !card.hidden)
            .cloned()
            .collect()
    };
    let (current_cards, desired_cards) = (cards_of(&current), cards_of(&desired));
    let choices: Vec<Choice> = current.iter().chain(&desired).flat_map(|(_, a)| a.choices.iter().cloned()).collect();
    let mut touchpoints: Vec<Choice> = Vec::new();
    for choice in choices {
        if !touchpoints.iter().any(|t| t.id == choice.id) {
            touchpoints.push(choice);
        }
    }
    let touchpoints =
        rows_with_extras(&touchpoints, current_cards.iter().chain(&desired_cards).map(|c| c.touchpoint.as_str()));
    let refs = |cards: &[CardRow]| -> Vec<Tally> { tallies(&touchpoints, &cards.iter().collect::<Vec<_>>()) };
    let names = |maps: &[(&Dataset, &ActivityInfo)]| -> Vec<String> {
        maps.iter().map(|(dataset, activity)| format!("{}: {}", dataset.room.title, activity.title)).collect()
    };
    Some(CurrentVsDesired {
        current: names(&current),
        desired: names(&desired),
        touchpoints: compare(&touchpoints, &refs(&current_cards), &refs(&desired_cards)),
    })
}

// ---------------------------------------------------------------------------
// Votes.

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
        .filter(|activity| activity.kind == "vote")
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

    // A group's spread is shown only when enough of its people took part in this vote.
    let mut groups = Vec::new();
    let mut shown_dots = BTreeSet::new();
    let mut shown_scores = BTreeSet::new();
    for g in PerspectiveGroup::ALL {
        let voters = n_people(dots.iter().filter(|d| group(&d.source) == g).map(|d| d.voter()));
        let scorers = n_people(scores.iter().filter(|s| group(&s.source) == g).map(|s| s.voter()));
        let (voters, scorers) = (primary(voters, min_count), primary(scorers, min_count));
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
                .filter(|c| !c.hidden && c.option.as_deref() == Some(&option.id))
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
        n_hidden_comments: comments_all.iter().filter(|c| c.hidden).count(),
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

// ---------------------------------------------------------------------------
// PATH, ideas, pledges and touchstones.

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
                notes: notes.iter().filter(|n| !n.hidden && n.section == section.id).map(|n| n.text.clone()).collect(),
                id: section.id,
                label: section.label,
            })
            .collect();
        PathInsight {
            room: dataset.room.title.clone(),
            activity: activity.id.clone(),
            title: activity.title.clone(),
            sections,
            n_hidden: notes.iter().filter(|n| n.hidden).count(),
        }
    };
    dataset.activities.iter().filter(|a| a.kind == "path").map(of).collect()
}

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
            ideas: ideas.iter().filter(|i| !i.hidden).map(|i| i.text.clone()).collect(),
            n_hidden: ideas.iter().filter(|i| i.hidden).count(),
        }
    };
    dataset.activities.iter().filter(|a| a.kind == "ideas").map(of).collect()
}

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
        .filter(|(_, pledge)| !pledge.hidden)
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
        n_hidden: datasets.iter().flat_map(|d| &d.pledges).filter(|p| p.hidden).count(),
        touchstones: word_counts(touchstones.clone().filter(|t| !t.hidden).map(|t| t.word.as_str())),
        n_touchstones_hidden: touchstones.filter(|t| t.hidden).count(),
    }
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
// Participation audit.

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
    let participants: Vec<_> = datasets.iter().flat_map(|d| &d.participants).collect();
    let perspectives = union_by_id(datasets.iter().flat_map(|d| &d.perspectives), |p| &p.id);
    let segments = union_by_id(datasets.iter().flat_map(|d| &d.segments), |s| &s.id);
    let is_known = |id: Option<&str>| id.is_some_and(|id| perspectives.iter().any(|p| p.id == id));
    let mut table = Table::default();

    // Perspectives, with the ids the rooms no longer list folded into "not given".
    let total = table.cell(participants.len());
    let mut perspective_rows = Vec::new();
    for perspective in &perspectives {
        let n = participants.iter().filter(|p| p.perspective.as_deref() == Some(&perspective.id)).count();
        perspective_rows.push((perspective.id.clone(), perspective.label.clone(), table.cell(n)));
    }
    let not_given = participants.iter().filter(|p| !is_known(p.perspective.as_deref())).count();
    perspective_rows.push((NOT_GIVEN.to_owned(), "Not given".to_owned(), table.cell(not_given)));
    table.equation(total, perspective_rows.iter().map(|row| row.2).collect());

    // The balance: each group is the sum of its perspectives, so the two are protected together.
    let mut balance_rows = Vec::new();
    for (group, id) in [(Group::People, "people"), (Group::Professionals, "professionals")] {
        let members: Vec<usize> = perspectives
            .iter()
            .zip(&perspective_rows)
            .filter(|(perspective, _)| perspective.group == group)
            .map(|(_, row)| row.2)
            .collect();
        let n = members.iter().map(|cell| table.values[*cell]).sum();
        let cell = table.cell(n);
        table.equation(cell, members);
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
        let rows = table.rows_of(&choices, mine.len(), |id| mine.iter().filter(|p| p.role.as_deref() == id).count());
        table.equation(row.2, rows.iter().map(|row| row.2).collect());
        role_tables.push((perspective.id.clone(), perspective.label.clone(), rows, row.2));
    }

    let mut segment_tables = Vec::new();
    for segment in &segments {
        let answer = |p: &ParticipantRow| -> Option<String> { p.segments.get(&segment.id).cloned() };
        let answers: Vec<Option<String>> = participants.iter().map(|p| answer(p)).collect();
        let choices = rows_with_extras(&segment.options, answers.iter().flatten().map(String::as_str));
        let rows =
            table.rows_of(&choices, participants.len(), |id| answers.iter().filter(|a| a.as_deref() == id).count());
        table.equation(total, rows.iter().map(|row| row.2).collect());
        segment_tables.push((segment.id.clone(), segment.label.clone(), rows));
    }

    let place = |remote: Option<bool>| participants.iter().filter(|p| p.remote == remote).count();
    let place_rows = vec![
        ("in-the-room".to_owned(), "In the room".to_owned(), table.cell(place(Some(false)))),
        ("remote".to_owned(), "Joining remotely".to_owned(), table.cell(place(Some(true)))),
        (NOT_GIVEN.to_owned(), "Not given".to_owned(), table.cell(place(None))),
    ];
    table.equation(total, place_rows.iter().map(|row| row.2).collect());

    // Contributions: every visible contribution and every ballot, by the perspective it was made under.
    let mut sources: Vec<&Source> = Vec::new();
    for dataset in datasets {
        sources.extend(dataset.cards.iter().filter(|c| !c.hidden).map(|c| &c.source));
        sources.extend(dataset.path_notes.iter().filter(|n| !n.hidden).map(|n| &n.source));
        sources.extend(dataset.ideas.iter().filter(|i| !i.hidden).map(|i| &i.source));
        sources.extend(dataset.pledges.iter().filter(|p| !p.hidden).map(|p| &p.source));
        sources.extend(dataset.touchstones.iter().filter(|t| !t.hidden).map(|t| &t.source));
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
    let mut contribution_rows = Vec::new();
    for perspective in &perspectives {
        let n = sources.iter().filter(|s| s.perspective.as_deref() == Some(&perspective.id)).count();
        contribution_rows.push((perspective.id.clone(), perspective.label.clone(), table.cell(n)));
    }
    let n = sources.iter().filter(|s| !is_known(s.perspective.as_deref())).count();
    contribution_rows.push((NOT_GIVEN.to_owned(), "Not given".to_owned(), table.cell(n)));
    table.equation(contributions_total, contribution_rows.iter().map(|row| row.2).collect());

    let counts = table.protect(min_count);
    let breakdown = |rows: &[(String, String, usize)], total: usize| Breakdown {
        rows: rows
            .iter()
            .map(|(id, label, cell)| BreakdownRow { id: id.clone(), label: label.clone(), count: counts[*cell] })
            .collect(),
        total: counts[total],
    };
    Participation {
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
    }
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

/// Counts to publish, and the sums a reader could check them against.
///
/// Each equation says a published total is the sum of published parts. A
/// hidden count that is the only hidden member of an equation can be worked
/// out by subtraction, so [`Table::protect`] withholds one more member.
#[derive(Debug, Default)]
struct Table {
    values: Vec<usize>,
    equations: Vec<(usize, Vec<usize>)>,
}

impl Table {
    fn cell(&mut self, value: usize) -> usize {
        self.values.push(value);
        self.values.len() - 1
    }

    fn equation(&mut self, total: usize, parts: Vec<usize>) {
        self.equations.push((total, parts));
    }

    /// One row per choice, then "not given" for the rest of `n`, counted by `count_of(Some(id))`.
    fn rows_of(
        &mut self,
        choices: &[Choice],
        n: usize,
        count_of: impl Fn(Option<&str>) -> usize,
    ) -> Vec<(String, String, usize)> {
        let mut rows = Vec::new();
        let mut given = 0;
        for choice in choices {
            let count = count_of(Some(&choice.id));
            given += count;
            rows.push((choice.id.clone(), choice.label.clone(), self.cell(count)));
        }
        rows.push((NOT_GIVEN.to_owned(), "Not given".to_owned(), self.cell(n.saturating_sub(given))));
        rows
    }

    /// Suppresses small counts, then withholds one more member of any equation
    /// with exactly one hidden member, until none is left; the hidden set only
    /// grows, so this ends.
    fn protect(&self, min_count: usize) -> Vec<Count> {
        let mut counts: Vec<Count> = self.values.iter().map(|value| primary(*value, min_count)).collect();
        loop {
            let mut changed = false;
            for (total, parts) in &self.equations {
                let hidden =
                    std::iter::once(total).chain(parts).filter(|cell| counts[**cell].exact().is_none()).count();
                if hidden != 1 {
                    continue;
                }
                // The smallest shown part, preferring one that is not zero (a zero reveals nothing and
                // protects nothing); the total only when no part is left to withhold.
                let part = parts
                    .iter()
                    .filter(|cell| counts[**cell].exact().is_some())
                    .min_by_key(|cell| (self.values[**cell] == 0, self.values[**cell], **cell));
                let Some(cell) = part.or((counts[*total].exact().is_some()).then_some(total)) else { continue };
                counts[*cell] = Count::Withheld;
                changed = true;
            }
            if !changed {
                return counts;
            }
        }
    }
}

/// A count with primary suppression only.
fn primary(value: usize, min_count: usize) -> Count {
    if value > 0 && value < min_count { Count::Suppressed } else { Count::Exact(value) }
}

// ---------------------------------------------------------------------------
// Small arithmetic.

fn group_of(dataset: &Dataset, perspective: Option<&str>) -> PerspectiveGroup {
    match dataset.perspectives.iter().find(|p| Some(p.id.as_str()) == perspective).map(|p| p.group) {
        Some(Group::People) => PerspectiveGroup::People,
        Some(Group::Professionals) => PerspectiveGroup::Professionals,
        None => PerspectiveGroup::Unspecified,
    }
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::analysis::{DotRow, IdeaRow, NoteRow, ParticipantRow, PledgeRow, RoomInfo, ScoreRow, TouchstoneRow};
    use crate::template::{Emotion, Perspective, Segment};

    // A scripted event with known answers. Three touchpoints (B: booking,
    // W: the waiting room, G: seeing the GP), twelve cards of which one is
    // hidden, six participants voting, a PATH, ideas, pledges and touchstones.
    //
    // Visible cards, by touchpoint:
    //   B: person anxious, person frustrated, carer frustrated, staff happy, staff frustrated
    //   W: person ok, person happy, carer anxious, staff anxious
    //   G: staff happy, a paper card with no perspective and the own word "Rushed"
    // Hidden: B person happy.

    /// 12 March 2025, 10:00 UTC.
    pub(crate) const T: i64 = 1_741_773_600;

    pub(crate) const SCRIPT_NOTE: &str = "<script>alert('x')</script> on hold for 40 minutes";

    fn choice(id: &str, label: &str) -> Choice {
        Choice { id: id.to_owned(), label: label.to_owned(), hint: String::new() }
    }

    fn emotion(id: &str, valence: Valence) -> Emotion {
        Emotion { id: id.to_owned(), label: id.to_owned(), valence, colour: "#1f4e8c".to_owned(), icon: "*".to_owned() }
    }

    fn perspective(id: &str, label: &str, group: Group, roles: &[(&str, &str)]) -> Perspective {
        let roles = roles.iter().map(|(id, label)| choice(id, label)).collect();
        Perspective { id: id.to_owned(), label: label.to_owned(), group, roles }
    }

    fn activity(id: &str, kind: &str, title: &str, choices: Vec<Choice>) -> ActivityInfo {
        ActivityInfo {
            id: id.to_owned(),
            kind: kind.to_owned(),
            title: title.to_owned(),
            state: "locked".to_owned(),
            choices,
            ..ActivityInfo::default()
        }
    }

    fn journey() -> Vec<Choice> {
        vec![choice("B", "Booking an appointment"), choice("W", "The waiting room"), choice("G", "Seeing the GP")]
    }

    fn map(id: &str, title: &str, board: &str) -> ActivityInfo {
        ActivityInfo {
            board: Some(board.to_owned()),
            emotions: vec![
                emotion("happy", Valence::Positive),
                emotion("safe", Valence::Positive),
                emotion("ok", Valence::Neutral),
                emotion("anxious", Valence::Negative),
                emotion("frustrated", Valence::Negative),
            ],
            ..activity(id, "emotion_map", title, journey())
        }
    }

    /// The participant label a perspective's cards come from in the script; `None` for paper cards.
    fn source(participant: Option<&str>, perspective: Option<&str>) -> Source {
        Source {
            participant: participant.map(str::to_owned),
            perspective: perspective.map(str::to_owned),
            assisted: participant.is_none(),
            ..Source::default()
        }
    }

    /// Who took part: `p1`..`p6`, as `(perspective, role, age band, remote)`.
    type Person = (Option<&'static str>, Option<&'static str>, Option<&'static str>, Option<bool>);
    const PEOPLE: [Person; 6] = [
        (Some("person"), None, Some("60-plus"), Some(false)),
        (Some("person"), None, Some("60-plus"), Some(true)),
        (Some("carer"), None, Some("under-60"), Some(false)),
        (Some("staff"), Some("gp"), Some("under-60"), Some(false)),
        (Some("staff"), Some("receptionist"), None, None),
        (None, None, Some("prefer-not-to-say"), Some(false)),
    ];

    fn by(participant: &str) -> Source {
        let index: usize = participant.trim_start_matches('p').parse().expect("labels are p1..p6");
        source(Some(participant), PEOPLE[index - 1].0)
    }

    /// A card: `(participant or "" for paper, touchpoint, emotion or "" for own word, own word, note, hidden)`.
    fn card(i: usize, (who, touchpoint, emotion, word, note, hidden): (&str, &str, &str, &str, &str, bool)) -> CardRow {
        let valence = match emotion {
            "happy" | "safe" => Some(Valence::Positive),
            "ok" => Some(Valence::Neutral),
            "anxious" | "frustrated" => Some(Valence::Negative),
            _ => None,
        };
        let some = |text: &str| (!text.is_empty()).then(|| text.to_owned());
        CardRow {
            id: format!("card-{i}"),
            activity: "current-map".to_owned(),
            touchpoint: touchpoint.to_owned(),
            emotion: some(emotion),
            word: some(word),
            valence,
            note: some(note),
            hidden,
            at: T + 60 * i as i64,
            source: if who.is_empty() { source(None, None) } else { by(who) },
        }
    }

    pub(crate) fn scripted_room() -> Dataset {
        let cards = [
            ("p1", "B", "anxious", "", SCRIPT_NOTE, false),
            ("p2", "B", "frustrated", "", "", false),
            ("p3", "B", "frustrated", "", "", false),
            ("p4", "B", "happy", "", "", false),
            ("p5", "B", "frustrated", "", "", false),
            ("p1", "W", "ok", "", "", false),
            ("p2", "W", "happy", "", "", false),
            ("p3", "W", "anxious", "", "", false),
            ("p4", "W", "anxious", "", "", false),
            ("p5", "G", "happy", "", "", false),
            ("", "G", "", "Rushed", "Felt rushed", false),
            ("p1", "B", "happy", "", "a hidden note", true),
        ];
        // Each participant's dots, then scores, on options a, b, c.
        type Ballot = (&'static str, &'static [(&'static str, u32)], &'static [(&'static str, u8)]);
        let ballots: [Ballot; 6] = [
            ("p1", &[("a", 2), ("b", 1)], &[("a", 5), ("b", 4), ("c", 2)]),
            ("p2", &[("b", 1), ("c", 2)], &[("a", 4), ("b", 4)]),
            ("p3", &[("b", 3)], &[("a", 5), ("c", 1)]),
            ("p4", &[("a", 1), ("c", 2)], &[("a", 3), ("b", 5), ("c", 2)]),
            ("p5", &[("a", 3)], &[("a", 4), ("b", 2)]),
            ("p6", &[("b", 1), ("c", 1)], &[("b", 3)]),
        ];
        let mut dots = Vec::new();
        let mut scores = Vec::new();
        for (who, placed, given) in ballots {
            for (option, n) in placed {
                dots.push(DotRow {
                    activity: "options".to_owned(),
                    option: (*option).to_owned(),
                    dots: *n,
                    paper_ballot: None,
                    source: by(who),
                });
            }
            for (option, score) in given {
                let option = (*option).to_owned();
                scores.push(ScoreRow {
                    activity: "options".to_owned(),
                    option,
                    score: *score,
                    paper_ballot: None,
                    source: by(who),
                });
            }
        }
        let note = |i: i64, section: &str, text: &str, hidden: bool, who: &str| NoteRow {
            id: format!("note-{i}"),
            activity: "path".to_owned(),
            section: section.to_owned(),
            text: text.to_owned(),
            hidden,
            at: T + 3600 + 60 * i,
            source: by(who),
        };
        let idea = |i: i64, activity: &str, option: Option<&str>, text: &str, hidden: bool| IdeaRow {
            id: format!("idea-{i}"),
            activity: activity.to_owned(),
            option: option.map(str::to_owned),
            text: text.to_owned(),
            hidden,
            at: T + 5400 + 60 * i,
            source: by("p2"),
        };
        let pledge = |i: i64, text: &str, name: Option<&str>, organisation: Option<&str>, hidden: bool| PledgeRow {
            id: format!("pledge-{i}"),
            activity: "pledges".to_owned(),
            text: text.to_owned(),
            name: name.map(str::to_owned),
            organisation: organisation.map(str::to_owned),
            hidden,
            at: T + 7200 + 60 * i,
            source: by("p4"),
        };
        let touchstone = |i: i64, word: &str, hidden: bool| TouchstoneRow {
            id: format!("touchstone-{i}"),
            activity: "pledges".to_owned(),
            word: word.to_owned(),
            hidden,
            at: T + 7800 + 60 * i,
            source: by("p3"),
        };
        let age = Segment {
            id: "age".to_owned(),
            label: "How old are you?".to_owned(),
            options: vec![
                choice("under-60", "Under 60"),
                choice("60-plus", "60 and over"),
                choice("prefer-not-to-say", "Prefer not to say"),
            ],
        };
        Dataset {
            schema: crate::analysis::SCHEMA.to_owned(),
            template: None,
            room: RoomInfo {
                code: "ABC123".to_owned(),
                title: "Co-design 1".to_owned(),
                programme: Some("Primary care for people aged 60 and over".to_owned()),
                template: Some("current-experience".to_owned()),
                created_at: T - 600,
            },
            perspectives: vec![
                perspective("person", "Person using services", Group::People, &[]),
                perspective("carer", "Family carer", Group::People, &[]),
                perspective(
                    "staff",
                    "Member of staff",
                    Group::Professionals,
                    &[("gp", "GP"), ("receptionist", "Receptionist")],
                ),
            ],
            segments: vec![age],
            activities: vec![
                map("current-map", "How care feels today", "current"),
                ActivityInfo {
                    budget: Some(3),
                    ..activity(
                        "options",
                        "vote",
                        "The options for change",
                        vec![
                            choice("a", "A named care coordinator"),
                            choice("b", "A same-day callback"),
                            choice("c", "Longer appointments"),
                        ],
                    )
                },
                activity("ideas", "ideas", "Have we missed something?", Vec::new()),
                activity(
                    "path",
                    "path",
                    "Our PATH",
                    vec![
                        choice("north-star", "The north star"),
                        choice("goal", "Our goal"),
                        choice("first-step", "The first bold step"),
                    ],
                ),
                activity("pledges", "pledge", "My pledge", Vec::new()),
            ],
            participants: PEOPLE
                .iter()
                .enumerate()
                .map(|(i, (perspective, role, age, remote))| ParticipantRow {
                    participant: format!("p{}", i + 1),
                    perspective: perspective.map(str::to_owned),
                    role: role.map(str::to_owned),
                    segments: age.iter().map(|age| ("age".to_owned(), (*age).to_owned())).collect(),
                    remote: *remote,
                })
                .collect(),
            cards: cards.into_iter().enumerate().map(|(i, c)| card(i, c)).collect(),
            dots,
            scores,
            path_notes: vec![
                note(0, "first-step", "Call people back", false, "p4"),
                note(1, "north-star", "Everyone is listened to", false, "p1"),
                note(2, "goal", "Same-day answers for all", true, "p1"),
                note(3, "goal", "A named person", false, "p3"),
            ],
            ideas: vec![
                idea(0, "options", Some("a"), "Make it someone we already know", false),
                idea(1, "options", Some("a"), "a hidden comment", true),
                idea(2, "ideas", None, "A phone line for carers", false),
                idea(3, "ideas", None, "a hidden idea", true),
            ],
            pledges: vec![
                pledge(0, "I will call back the same day", Some("Dr Khan"), Some("Riverside Surgery"), false),
                pledge(1, "I will tell my neighbours", None, None, false),
                pledge(2, "a hidden pledge", Some("Hidden Name"), None, true),
            ],
            touchstones: ["Kindness", " kindness ", "Time", "BEING LISTENED TO", "being  listened to", "kindness"]
                .iter()
                .enumerate()
                .map(|(i, word)| touchstone(i as i64, word, false))
                .chain(std::iter::once(touchstone(9, "a hidden word", true)))
                .collect(),
            snapshots: Vec::new(),
        }
    }

    /// A second room of the programme: the desired experience on the same journey.
    ///   B: person happy, staff happy; W: person ok, carer anxious; G: person happy, person anxious.
    pub(crate) fn scripted_desired_room() -> Dataset {
        let mut room = scripted_room();
        room.room.code = "DEF456".to_owned();
        room.room.title = "Co-design 2".to_owned();
        room.room.template = Some("desired-experience".to_owned());
        room.activities = vec![map("desired-map", "How care should feel", "desired")];
        let cards = [
            ("p1", "B", "happy"),
            ("p4", "B", "happy"),
            ("p1", "W", "ok"),
            ("p3", "W", "anxious"),
            ("p2", "G", "happy"),
            ("p2", "G", "anxious"),
        ];
        room.cards = cards
            .into_iter()
            .enumerate()
            .map(|(i, (who, touchpoint, emotion))| CardRow {
                activity: "desired-map".to_owned(),
                at: T + 86_400 * 7 + 60 * i as i64,
                ..card(i, (who, touchpoint, emotion, "", "", false))
            })
            .collect();
        room.dots.clear();
        room.scores.clear();
        room.path_notes.clear();
        room.ideas.clear();
        room.pledges.clear();
        room.touchstones.clear();
        room
    }

    fn the_map(dataset: &Dataset) -> EmotionMapInsight {
        emotion_maps(dataset).into_iter().next().expect("the scripted room has a map")
    }

    fn view<'a>(map: &'a EmotionMapInsight, label: &str) -> &'a MapView {
        map.views.iter().find(|view| view.label == label).unwrap_or_else(|| panic!("no view {label}"))
    }

    #[test]
    fn counts_cards_by_touchpoint_and_emotion_for_everyone_and_each_perspective() {
        let map = the_map(&scripted_room());
        let columns: Vec<&str> = map.columns.iter().map(|c| c.label.as_str()).collect();
        // "safe" was never chosen, so it is not a column; own words come last.
        assert_eq!(columns, ["happy", "ok", "anxious", "frustrated", "Own word"]);
        assert_eq!((map.n_cards, map.n_hidden), (11, 1));

        // Rows B, W, G; columns as above.
        let check = |label: &str, expected: [[usize; 5]; 3]| {
            assert_eq!(view(&map, label).counts, expected.map(Vec::from).to_vec(), "{label}");
        };
        check("Everyone", [[1, 0, 1, 3, 0], [1, 1, 2, 0, 0], [1, 0, 0, 0, 1]]);
        check("People using services and carers", [[0, 0, 1, 2, 0], [1, 1, 1, 0, 0], [0, 0, 0, 0, 0]]);
        check("Staff and professionals", [[1, 0, 0, 1, 0], [0, 0, 1, 0, 0], [1, 0, 0, 0, 0]]);
        check("Perspective not given", [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 1]]);
        check("Person using services", [[0, 0, 1, 1, 0], [1, 1, 0, 0, 0], [0, 0, 0, 0, 0]]);
        check("Family carer", [[0, 0, 0, 1, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0, 0]]);
        check("Member of staff", [[1, 0, 0, 1, 0], [0, 0, 1, 0, 0], [1, 0, 0, 0, 0]]);
        let labels: Vec<&str> = map.views.iter().map(|v| v.label.as_str()).collect();
        assert_eq!(labels.len(), 7, "{labels:?}");
    }

    #[test]
    fn net_valence_and_share_negative_leave_own_words_out_of_the_base() {
        let map = the_map(&scripted_room());
        // (view, [(net, share negative)] for B, W, G)
        let check = |label: &str, expected: [(i64, Option<f64>); 3]| {
            let actual: Vec<(i64, Option<f64>)> =
                view(&map, label).valence.iter().map(|row| (row.net, row.share_negative)).collect();
            assert_eq!(actual, expected, "{label}");
        };
        check("Everyone", [(-3, Some(0.8)), (-1, Some(0.5)), (1, Some(0.0))]);
        check("People using services and carers", [(-3, Some(1.0)), (0, Some(1.0 / 3.0)), (0, None)]);
        check("Staff and professionals", [(0, Some(0.5)), (-1, Some(1.0)), (1, Some(0.0))]);
        check("Perspective not given", [(0, None), (0, None), (0, None)]);
    }

    #[test]
    fn names_the_hot_spots_overall_and_per_group() {
        let map = the_map(&scripted_room());
        let check = |label: &str, expected: &[(&str, usize, usize)]| {
            let actual: Vec<(&str, usize, usize)> =
                view(&map, label).hot_spots.iter().map(|s| (s.touchpoint.as_str(), s.negative, s.valenced)).collect();
            assert_eq!(actual, expected, "{label}");
        };
        check("Everyone", &[("B", 4, 5), ("W", 2, 4)]);
        check("People using services and carers", &[("B", 3, 3), ("W", 1, 3)]);
        check("Staff and professionals", &[("W", 1, 1), ("B", 1, 2)]);
        check("Perspective not given", &[]);
    }

    #[test]
    fn ranks_hot_spots_by_share_then_count_then_journey_order_and_keeps_three() {
        let check = |tallies: &[(usize, usize)], expected: &[&str]| {
            let rows: Vec<TouchpointValence> = tallies
                .iter()
                .enumerate()
                .map(|(i, (negative, positive))| {
                    let tally = Tally { negative: *negative, positive: *positive, ..Tally::default() };
                    TouchpointValence {
                        touchpoint: format!("t{i}"),
                        label: format!("t{i}"),
                        tally,
                        net: tally.net(),
                        share_negative: tally.share_negative(),
                    }
                })
                .collect();
            let actual: Vec<String> = hot_spots(&rows).into_iter().map(|s| s.touchpoint).collect();
            assert_eq!(actual, expected, "{tallies:?}");
        };
        // (negative, positive) per touchpoint.
        check(&[(1, 1), (2, 2), (0, 5)], &["t1", "t0"]);
        check(&[(1, 0), (1, 0), (3, 1)], &["t0", "t1", "t2"]);
        // t2 and t4 are both half bad: t4 has more bad cards; t0 is a quarter, and only three are kept.
        check(&[(1, 3), (2, 0), (1, 1), (3, 0), (5, 5)], &["t3", "t1", "t4"]);
        check(&[(0, 0), (0, 2)], &[]);
    }

    #[test]
    fn compares_people_with_staff_where_they_differ_most() {
        let map = the_map(&scripted_room());
        let actual: Vec<(&str, Option<i64>)> = map
            .people_vs_staff
            .iter()
            .map(|c| (c.touchpoint.as_str(), c.gap.map(|gap| (gap * 1000.0).round() as i64)))
            .collect();
        // W: 1 of 3 against 1 of 1; B: 3 of 3 against 1 of 2; G: no card of known valence from people.
        assert_eq!(actual, [("W", Some(-667)), ("B", Some(500)), ("G", None)]);
    }

    #[test]
    fn compares_current_with_desired_across_the_rooms_of_a_programme() {
        assert_eq!(current_vs_desired(&[scripted_room()]), None, "one board alone has nothing to compare");
        let compared = current_vs_desired(&[scripted_room(), scripted_desired_room()]).expect("both boards");
        assert_eq!(compared.current, ["Co-design 1: How care feels today"]);
        assert_eq!(compared.desired, ["Co-design 2: How care should feel"]);
        let actual: Vec<(&str, usize, usize, Option<i64>)> = compared
            .touchpoints
            .iter()
            .map(|c| {
                (c.touchpoint.as_str(), c.first.negative, c.second.negative, c.gap.map(|g| (g * 100.0).round() as i64))
            })
            .collect();
        assert_eq!(actual, [("B", 4, 0, Some(80)), ("G", 0, 1, Some(-50)), ("W", 2, 1, Some(0))]);
    }

    #[test]
    fn lists_own_words_and_notes_without_hidden_cards() {
        let map = the_map(&scripted_room());
        assert_eq!(map.own_words, [WordCount { word: "rushed".to_owned(), count: 1 }]);
        let notes: Vec<(&str, &str, Option<&str>, &str)> = map
            .notes
            .iter()
            .map(|n| (n.touchpoint.as_str(), n.word.as_str(), n.perspective.as_deref(), n.note.as_str()))
            .collect();
        assert_eq!(
            notes,
            [("B", "anxious", Some("Person using services"), SCRIPT_NOTE), ("G", "Rushed", None, "Felt rushed")]
        );
    }

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
        assert_eq!(voters, [Count::Exact(3), Count::Exact(3), Count::Suppressed]);
        let a = vote.by_dots.iter().find(|r| r.option == "a").expect("a");
        assert_eq!((a.dots, a.voters, a.by_group[1].dots), (7, 4, Some(5)));
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

    #[test]
    fn protects_small_counts_and_the_cells_that_would_reveal_them() {
        // (total, parts, expected total then parts, with min_count 5)
        let check = |total: usize, parts: &[usize], min_count: usize, expected: &str| {
            let mut table = Table::default();
            let total = table.cell(total);
            let cells = parts.iter().map(|n| table.cell(*n)).collect();
            table.equation(total, cells);
            let counts = table.protect(min_count);
            let actual: Vec<String> = counts
                .iter()
                .map(|c| match c {
                    Count::Exact(n) => n.to_string(),
                    Count::Suppressed => "<".to_owned(),
                    Count::Withheld => "w".to_owned(),
                })
                .collect();
            assert_eq!(actual.join(" "), expected, "{parts:?} min {min_count}");
        };
        // One small cell: the smallest other cell is withheld too, or 15 - 6 - 8 gives it away.
        check(15, &[6, 1, 8], 5, "15 w < 8");
        // Two small cells hide each other.
        check(11, &[6, 2, 3], 5, "11 6 < <");
        // Zero reveals nothing, so it is not the cell withheld.
        check(12, &[0, 3, 9], 5, "12 0 < w");
        // A small total hides with its one part.
        check(3, &[3], 5, "< <");
        check(7, &[0, 0, 7], 5, "7 0 0 7");
        check(15, &[6, 1, 8], 1, "15 6 1 8");
        check(15, &[6, 1, 8], 0, "15 6 1 8");
        check(15, &[6, 1, 8], 2, "15 w < 8");
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

    #[test]
    fn summarises_rooms_from_first_to_last_contribution() {
        let summary = room_summary(&scripted_room(), 5);
        assert_eq!((summary.first_at, summary.last_at), (Some(T), Some(T + 7800 + 60 * 9)));
        assert_eq!(summary.participants, Count::Exact(6));
        assert_eq!(room_summary(&scripted_room(), 7).participants, Count::Suppressed);
    }
}
