//! Workshop templates: what a room runs, as data.
//!
//! A template declares the activities of one event, in order, and the
//! words people choose from: touchpoints of the journey, the emotion
//! vocabulary (each word with a valence, a colour and an icon, so colour is
//! never the only signal), options to vote on, the PATH sections, and the
//! perspectives and segments participants may describe themselves with.
//! Templates are TOML files in `workshops/`; the format is documented in
//! `workshops/README.md`. Everything is validated on load, and a broken
//! template is refused with the file, the field and what is wrong.
//!
//! [`parse_template`] reads TOML; [`validate`] holds every rule and works on
//! the parsed value alone, so a template uploaded as JSON meets the same
//! rules. Neither reads a file: the caller brings the text and its name.

use std::collections::HashMap;
use std::ops::{Range, RangeInclusive};

use serde::{Deserialize, Serialize};
use thiserror::Error;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use crate::room::layout::ActivityKind;

// The limits below keep a template readable on a phone and bound what an
// uploaded template can make the server and every screen carry. Each is
// named once here, documented in `workshops/README.md` and tested below.

/// Characters in an id (template, activity, touchpoint, emotion...).
pub const MAX_ID_CHARS: usize = 64;
/// Characters in a label, title or name: one line on a phone.
pub const MAX_LABEL_CHARS: usize = 120;
/// Characters in a description, prompt or hint: a short paragraph.
pub const MAX_TEXT_CHARS: usize = 1000;
/// Characters in an emotion's icon: room for one emoji, even a composed one.
pub const MAX_ICON_CHARS: usize = 8;
pub const MAX_PERSPECTIVES: usize = 10;
/// Roles within one perspective.
pub const MAX_ROLES: usize = 30;
pub const MAX_SEGMENTS: usize = 10;
/// Options of one segment: fewer than two is not a choice.
pub const SEGMENT_OPTIONS: RangeInclusive<usize> = 2..=20;
pub const MAX_ACTIVITIES: usize = 30;
/// Touchpoints of one journey: a row that still fits the projector.
pub const MAX_TOUCHPOINTS: usize = 30;
/// Emotion words of one map.
pub const MAX_EMOTIONS: usize = 60;
/// Personas of one map.
pub const MAX_PERSONAS: usize = 10;
/// Options of one vote.
pub const MAX_VOTE_OPTIONS: usize = 50;
/// Dots one participant may place in one vote.
pub const MAX_VOTE_BUDGET: u32 = 50;
/// Sections of one PATH: the method has eight, programmes condense or extend.
pub const MAX_PATH_SECTIONS: usize = 12;

/// Parses a template written in TOML and checks it with [`validate`].
///
/// `file` names the source in the error (a file name, or "upload"). A TOML
/// syntax or type error gives the line and column in its message and, where
/// the value can be found in the document, its path in `field`.
pub fn parse_template(source: &str, file: &str) -> Result<Template, TemplateError> {
    let template = match toml::from_str::<Template>(source) {
        Ok(template) => template,
        Err(error) => return Err(explain_toml_error(source, file, &error)),
    };
    validate(&template, file)?;
    Ok(template)
}

/// Checks every rule of the template format (see `workshops/README.md`) and
/// returns the first rule broken.
pub fn validate(template: &Template, file: &str) -> Result<(), TemplateError> {
    match check_template(template) {
        Ok(()) => Ok(()),
        Err(invalid) => Err(TemplateError { file: file.to_owned(), field: invalid.field, message: invalid.message }),
    }
}

/// Why a template was refused: the file, the field and what is wrong.
///
/// `field` is a path into the template such as `activities[2].emotions[3].colour`
/// (lists counted from 0); it is empty when the file cannot be read as TOML
/// at all, and the message then gives the line and column.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{file}: {field}: {message}")]
pub struct TemplateError {
    pub file: String,
    pub field: String,
    pub message: String,
}

/// A whole workshop template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// Stable identifier, used to create rooms (`[a-z0-9-]`, at most 64 characters).
    pub id: String,
    /// The event's name, as the facilitator and the projector show it.
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Who participants may say they are; at least one.
    pub perspectives: Vec<Perspective>,
    /// Optional self-descriptions (working or not, gender, age band...).
    #[serde(default)]
    pub segments: Vec<Segment>,
    /// The event's activities, in the order they are run; at least one.
    pub activities: Vec<Activity>,
}

/// An identified, labelled choice: a touchpoint, an option, a role, a section...
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// Stable within its list; what cards, votes and notes refer to.
    pub id: String,
    /// What people read.
    pub label: String,
    /// A short explanation shown under the label.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hint: String,
}

/// Which side of the room a perspective sits on, for the balance of people and professionals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    People,
    Professionals,
}

/// Who a participant says they are (person, carer, staff); every card carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Perspective {
    pub id: String,
    pub label: String,
    pub group: Group,
    /// Roles within this perspective (for staff: GP, nurse, receptionist...).
    #[serde(default)]
    pub roles: Vec<Choice>,
}

/// One optional question for the participation report, with its answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    pub id: String,
    pub label: String,
    /// The answers offered, "prefer not to say" included where it applies.
    pub options: Vec<Choice>,
}

/// One activity of the event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Activity {
    EmotionMap(EmotionMap),
    Vote(Vote),
    Path(Path),
    Pledge(Pledge),
    Ideas(Ideas),
    Feedback(Feedback),
}

/// Cards placed on a journey: touchpoint × emotion, with an optional note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmotionMap {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub prompt: String,
    /// The experience as it is (`current`) or as people want it (`desired`).
    pub board: Board,
    /// The journey, in order.
    pub touchpoints: Vec<Choice>,
    /// The vocabulary of the cards; at least one positive and one negative word.
    pub emotions: Vec<Emotion>,
    /// Whether a blank card for the person's own word is offered.
    #[serde(default = "yes")]
    pub own_word: bool,
    /// Imaginary people who help participants think beyond themselves.
    #[serde(default)]
    pub personas: Vec<Persona>,
    /// Whether screens keep the counts of cards to themselves until the facilitator reveals
    /// them, as a vote's results: people anchor on the first cards they see.
    #[serde(default)]
    pub hide_counts: bool,
    /// Whether participants' cards wait for the facilitator's approval before they are shown.
    #[serde(default)]
    pub moderated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Board {
    Current,
    Desired,
}

impl Board {
    /// The word for this board in templates and on the room's board.
    pub fn as_str(self) -> &'static str {
        match self {
            Board::Current => "current",
            Board::Desired => "desired",
        }
    }
}

/// One word of the emotion vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Emotion {
    pub id: String,
    pub label: String,
    /// Whether the card goes up (a good moment) or down (a bad one) on the map.
    pub valence: Valence,
    /// `#rrggbb`; backs up the word and the icon, never replaces them.
    pub colour: String,
    /// A short symbol shown with the word (an emoji or one or two characters).
    pub icon: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Valence {
    Positive,
    Neutral,
    Negative,
}

/// An imaginary person, described in a few plain sentences.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Persona {
    pub name: String,
    pub description: String,
}

/// Options to weigh: dot votes with a budget, a 1-5 feedback scale, comments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vote {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub prompt: String,
    pub options: Vec<Choice>,
    /// Dots each participant may place (0: no dot voting).
    #[serde(default)]
    pub budget: u32,
    /// Most dots one participant may put on one option (default: the whole budget).
    #[serde(default)]
    pub max_per_option: Option<u32>,
    /// Whether each option gets a 1-5 feedback score.
    #[serde(default)]
    pub scale: bool,
    /// Whether participants may comment on options.
    #[serde(default)]
    pub comments: bool,
    /// Whether participants' comments wait for the facilitator's approval before they are shown.
    #[serde(default)]
    pub moderated: bool,
}

/// The PATH board: notes under each section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Path {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub prompt: String,
    /// In the order they are drawn, from the north star back to the first step.
    pub sections: Vec<Choice>,
    /// Whether participants' notes wait for the facilitator's approval before they are shown.
    #[serde(default)]
    pub moderated: bool,
}

/// Pledges of what people will do, and optionally touchstone words for the word cloud.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pledge {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub prompt: String,
    /// Whether participants also give touchstone words for the word cloud.
    #[serde(default)]
    pub touchstones: bool,
    #[serde(default)]
    pub touchstone_prompt: String,
    /// Whether participants' pledges and words wait for the facilitator's approval before they are shown.
    #[serde(default)]
    pub moderated: bool,
}

/// Free comments and ideas, answering the prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ideas {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub prompt: String,
    /// Whether participants' ideas wait for the facilitator's approval before they are shown.
    #[serde(default)]
    pub moderated: bool,
}

/// Feedback on the event: each person rates it from 1 to 5 and may say what worked and what to change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Feedback {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub prompt: String,
}

fn yes() -> bool {
    true
}

impl Activity {
    pub fn id(&self) -> &str {
        match self {
            Activity::EmotionMap(a) => &a.id,
            Activity::Vote(a) => &a.id,
            Activity::Path(a) => &a.id,
            Activity::Pledge(a) => &a.id,
            Activity::Ideas(a) => &a.id,
            Activity::Feedback(a) => &a.id,
        }
    }

    pub fn title(&self) -> &str {
        match self {
            Activity::EmotionMap(a) => &a.title,
            Activity::Vote(a) => &a.title,
            Activity::Path(a) => &a.title,
            Activity::Pledge(a) => &a.title,
            Activity::Ideas(a) => &a.title,
            Activity::Feedback(a) => &a.title,
        }
    }

    pub fn prompt(&self) -> &str {
        match self {
            Activity::EmotionMap(a) => &a.prompt,
            Activity::Vote(a) => &a.prompt,
            Activity::Path(a) => &a.prompt,
            Activity::Pledge(a) => &a.prompt,
            Activity::Ideas(a) => &a.prompt,
            Activity::Feedback(a) => &a.prompt,
        }
    }

    pub fn kind(&self) -> ActivityKind {
        match self {
            Activity::EmotionMap(_) => ActivityKind::EmotionMap,
            Activity::Vote(_) => ActivityKind::Vote,
            Activity::Path(_) => ActivityKind::Path,
            Activity::Pledge(_) => ActivityKind::Pledge,
            Activity::Ideas(_) => ActivityKind::Ideas,
            Activity::Feedback(_) => ActivityKind::Feedback,
        }
    }
}

impl Template {
    pub fn activity(&self, id: &str) -> Option<&Activity> {
        self.activities.iter().find(|activity| activity.id() == id)
    }

    pub fn perspective(&self, id: &str) -> Option<&Perspective> {
        self.perspectives.iter().find(|perspective| perspective.id == id)
    }
}

// ---------------------------------------------------------------------------
// TOML errors, made findable.
//
// `toml` reports a byte span but keeps the key path to itself, and serde's
// internally tagged enums (`kind = "vote"`) buffer an activity before
// deserializing it, so an error inside an activity points at its
// `[[activities]]` header only. People editing a template by hand need the
// field, so the document is parsed again into spanned values: the span is
// mapped back to a path, and a failing activity is deserialized once more as
// its own kind to find the exact field.

fn explain_toml_error(source: &str, file: &str, error: &toml::de::Error) -> TemplateError {
    let mut located = Located { field: String::new(), message: error.message().to_owned(), span: error.span() };
    // A document that parses has no syntax error, so the error is one of
    // shape or type, and its span can be found in the tree.
    let parsed = DeTable::parse(source).ok();
    let is_document = parsed.is_some();
    if let Some(document) = parsed {
        let root = Spanned::new(document.span(), DeValue::Table(document.into_inner()));
        if let Some(field) = located.span.as_ref().and_then(|span| find_path(&root, span)) {
            located.field = field;
        }
        // `toml` may put an error inside any activity at the span of the
        // array (the first header), so every activity is tried, in order.
        let in_activities = located.field == "activities" || activity_index(&located.field).is_some();
        if let Some(refined) = in_activities.then(|| refine_activity_error(&root)).flatten() {
            located = refined;
        }
        if let Some(name) = missing_field(&located.message) {
            located.field = join(&located.field, name);
        }
    }
    let place = match located.span {
        // Only a field missing at the top level has no place in a document that parses.
        Some(span) if span.is_empty() && is_document => "at the top level of the file".to_owned(),
        Some(span) => position(source, span.start),
        None => "somewhere in the file".to_owned(),
    };
    let message = located.message.trim_end().trim_end_matches('.');
    TemplateError { file: file.to_owned(), field: located.field, message: format!("{place}: {message}") }
}

struct Located {
    field: String,
    message: String,
    span: Option<Range<usize>>,
}

/// The path of the deepest key or value whose span holds `span`.
///
/// An empty span (what `toml` gives for a field missing at the top level)
/// says nothing about where, so it maps to no path.
fn find_path(root: &Spanned<DeValue<'_>>, span: &Range<usize>) -> Option<String> {
    if span.is_empty() {
        return None;
    }
    find_path_below(root, span, "")
}

/// Children are searched even when their parent's span does not hold the
/// error: the span of an `[[array.of.tables]]` entry is its header only.
fn find_path_below(value: &Spanned<DeValue<'_>>, span: &Range<usize>, path: &str) -> Option<String> {
    let holds = |outer: Range<usize>| outer.start <= span.start && span.end <= outer.end;
    match value.get_ref() {
        DeValue::Table(table) => table.iter().find_map(|(key, child)| {
            let child_path = join(path, key.get_ref());
            find_path_below(child, span, &child_path)
                .or_else(|| (holds(key.span()) || holds(child.span())).then_some(child_path))
        }),
        DeValue::Array(items) => items.iter().enumerate().find_map(|(index, child)| {
            let child_path = format!("{path}[{index}]");
            find_path_below(child, span, &child_path).or_else(|| holds(child.span()).then_some(child_path))
        }),
        _ => None,
    }
}

/// The index of the activity a path names exactly (`activities[2]`), if it does.
fn activity_index(path: &str) -> Option<usize> {
    path.strip_prefix("activities[")?.strip_suffix(']')?.parse().ok()
}

/// The name in serde's "missing field `name`" message.
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

/// Deserializes each activity as the kind it declares, to name the field of
/// the first error.
fn refine_activity_error(root: &Spanned<DeValue<'_>>) -> Option<Located> {
    let DeValue::Array(activities) = root.get_ref().get("activities")?.get_ref() else { return None };
    activities.iter().enumerate().find_map(|(index, item)| {
        let at = format!("activities[{index}]");
        let DeValue::Table(table) = item.get_ref() else { return None };
        let Some(kind) = table.get("kind") else {
            let kinds: Vec<String> = ActivityKind::ALL.iter().map(|kind| format!("`{kind}`")).collect();
            let message = format!("missing field `kind`, expected one of {}", kinds.join(", "));
            return Some(Located { field: at, message, span: Some(item.span()) });
        };
        let mut fields = table.clone();
        fields.remove("kind");
        let deserializer = ValueDeserializer::from(Spanned::new(item.span(), DeValue::Table(fields)));
        let result = match ActivityKind::parse(kind.get_ref().as_str()?)? {
            ActivityKind::EmotionMap => EmotionMap::deserialize(deserializer).map(drop),
            ActivityKind::Vote => Vote::deserialize(deserializer).map(drop),
            ActivityKind::Path => Path::deserialize(deserializer).map(drop),
            ActivityKind::Pledge => Pledge::deserialize(deserializer).map(drop),
            ActivityKind::Ideas => Ideas::deserialize(deserializer).map(drop),
            ActivityKind::Feedback => Feedback::deserialize(deserializer).map(drop),
        };
        let error = result.err()?;
        let field = error.span().and_then(|span| find_path(root, &span)).filter(|field| field.starts_with(&at));
        Some(Located { field: field.unwrap_or(at), message: error.message().to_owned(), span: error.span() })
    })
}

/// "line 12, column 5" for a byte offset, counted as an editor counts.
fn position(source: &str, offset: usize) -> String {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |line| line.chars().count()) + 1;
    format!("line {line}, column {column}")
}

// ---------------------------------------------------------------------------
// Validation. Each check returns the first broken rule as a field path and a
// message; `validate` adds the file.

struct Invalid {
    field: String,
    message: String,
}

type Checked = Result<(), Invalid>;

fn invalid(field: String, message: String) -> Checked {
    Err(Invalid { field, message })
}

fn check_template(template: &Template) -> Checked {
    check_id("", "id", &template.id)?;
    check_label("", "title", &template.title)?;
    check_text("", "description", &template.description)?;

    check_count("perspectives", template.perspectives.len(), 1..=MAX_PERSPECTIVES, "perspectives")?;
    check_unique("perspectives", template.perspectives.iter().map(|perspective| perspective.id.as_str()))?;
    for (index, perspective) in template.perspectives.iter().enumerate() {
        let at = format!("perspectives[{index}]");
        check_id(&at, "id", &perspective.id)?;
        check_label(&at, "label", &perspective.label)?;
        check_choices(&join(&at, "roles"), &perspective.roles, 0..=MAX_ROLES, "roles")?;
    }

    check_count("segments", template.segments.len(), 0..=MAX_SEGMENTS, "segments")?;
    check_unique("segments", template.segments.iter().map(|segment| segment.id.as_str()))?;
    for (index, segment) in template.segments.iter().enumerate() {
        let at = format!("segments[{index}]");
        check_id(&at, "id", &segment.id)?;
        check_label(&at, "label", &segment.label)?;
        check_choices(&join(&at, "options"), &segment.options, SEGMENT_OPTIONS, "options")?;
    }

    check_count("activities", template.activities.len(), 1..=MAX_ACTIVITIES, "activities")?;
    check_unique("activities", template.activities.iter().map(Activity::id))?;
    for (index, activity) in template.activities.iter().enumerate() {
        check_activity(&format!("activities[{index}]"), activity)?;
    }
    Ok(())
}

fn check_activity(at: &str, activity: &Activity) -> Checked {
    check_id(at, "id", activity.id())?;
    check_label(at, "title", activity.title())?;
    check_text(at, "prompt", activity.prompt())?;
    match activity {
        Activity::EmotionMap(map) => check_emotion_map(at, map),
        Activity::Vote(vote) => check_vote(at, vote),
        Activity::Path(path) => check_choices(&join(at, "sections"), &path.sections, 1..=MAX_PATH_SECTIONS, "sections"),
        Activity::Pledge(pledge) => check_text(at, "touchstone_prompt", &pledge.touchstone_prompt),
        Activity::Ideas(_) | Activity::Feedback(_) => Ok(()),
    }
}

fn check_emotion_map(at: &str, map: &EmotionMap) -> Checked {
    check_choices(&join(at, "touchpoints"), &map.touchpoints, 1..=MAX_TOUCHPOINTS, "touchpoints")?;

    let emotions = join(at, "emotions");
    check_count(&emotions, map.emotions.len(), 1..=MAX_EMOTIONS, "emotions")?;
    check_unique(&emotions, map.emotions.iter().map(|emotion| emotion.id.as_str()))?;
    for (index, emotion) in map.emotions.iter().enumerate() {
        let at = format!("{emotions}[{index}]");
        check_id(&at, "id", &emotion.id)?;
        check_label(&at, "label", &emotion.label)?;
        check_colour(&at, &emotion.colour)?;
        check_icon(&at, &emotion.icon)?;
    }
    // On paper, cards go up for good moments and down for bad ones: a map
    // needs both directions to be a map at all.
    for (valence, word) in [(Valence::Positive, "positive"), (Valence::Negative, "negative")] {
        if !map.emotions.iter().any(|emotion| emotion.valence == valence) {
            return invalid(
                emotions,
                format!("has no {word} emotion: expected at least one positive and one negative emotion"),
            );
        }
    }

    let personas = join(at, "personas");
    check_count(&personas, map.personas.len(), 0..=MAX_PERSONAS, "personas")?;
    for (index, persona) in map.personas.iter().enumerate() {
        let at = format!("{personas}[{index}]");
        check_label(&at, "name", &persona.name)?;
        check_label_like(&at, "description", &persona.description, MAX_TEXT_CHARS, "a few sentences")?;
    }
    Ok(())
}

fn check_vote(at: &str, vote: &Vote) -> Checked {
    check_choices(&join(at, "options"), &vote.options, 1..=MAX_VOTE_OPTIONS, "options")?;
    let budget = join(at, "budget");
    if vote.budget > MAX_VOTE_BUDGET {
        return invalid(budget, format!("is {}: expected at most {MAX_VOTE_BUDGET} dots", vote.budget));
    }
    if let Some(max) = vote.max_per_option {
        let field = join(at, "max_per_option");
        if vote.budget == 0 {
            return invalid(field, "is set but budget is 0: remove it, or give a budget above 0".to_owned());
        }
        if !(1..=vote.budget).contains(&max) {
            return invalid(field, format!("is {max}: expected 1 to the budget ({})", vote.budget));
        }
    }
    if vote.budget == 0 && !vote.scale && !vote.comments {
        return invalid(
            budget,
            "is 0 and scale and comments are off, so there is nothing to do: \
             expected a budget above 0, scale = true or comments = true"
                .to_owned(),
        );
    }
    Ok(())
}

/// A list of choices: its length, then each id, label and hint, ids unique.
fn check_choices(list: &str, choices: &[Choice], range: RangeInclusive<usize>, what: &str) -> Checked {
    check_count(list, choices.len(), range, what)?;
    check_unique(list, choices.iter().map(|choice| choice.id.as_str()))?;
    for (index, choice) in choices.iter().enumerate() {
        let at = format!("{list}[{index}]");
        check_id(&at, "id", &choice.id)?;
        check_label(&at, "label", &choice.label)?;
        check_text(&at, "hint", &choice.hint)?;
    }
    Ok(())
}

fn check_count(field: &str, n: usize, range: RangeInclusive<usize>, what: &str) -> Checked {
    if range.contains(&n) {
        return Ok(());
    }
    let (min, max) = (range.start(), range.end());
    let found = if n == 0 { format!("has no {what}") } else { format!("has {n} {what}") };
    let expected = if *min == 0 { format!("at most {max}") } else { format!("{min} to {max}") };
    invalid(field.to_owned(), format!("{found}: expected {expected}"))
}

/// Ids are checked for uniqueness before their shape, so the duplicate is
/// reported at its second use, pointing back at the first.
fn check_unique<'a>(list: &str, ids: impl Iterator<Item = &'a str>) -> Checked {
    let mut first_use: HashMap<&str, usize> = HashMap::new();
    for (index, id) in ids.enumerate() {
        if let Some(first) = first_use.insert(id, index) {
            return invalid(
                format!("{list}[{index}].id"),
                format!("{} is already the id of {list}[{first}]: expected ids unique within the list", quote(id)),
            );
        }
    }
    Ok(())
}

/// `[a-z0-9][a-z0-9-]{0,63}`: safe in URLs, file names and the room document.
fn check_id(at: &str, key: &str, id: &str) -> Checked {
    let mut chars = id.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if first_ok && rest_ok && id.len() <= MAX_ID_CHARS {
        return Ok(());
    }
    invalid(
        join(at, key),
        format!(
            "{} is not a valid id: expected 1 to {MAX_ID_CHARS} lowercase letters (a-z), digits or hyphens, \
             starting with a letter or digit",
            quote(id)
        ),
    )
}

fn check_label(at: &str, key: &str, label: &str) -> Checked {
    check_label_like(at, key, label, MAX_LABEL_CHARS, "a short label")
}

/// Required text: not blank, and not longer than `max` characters.
fn check_label_like(at: &str, key: &str, text: &str, max: usize, what: &str) -> Checked {
    if text.trim().is_empty() {
        return invalid(join(at, key), format!("is empty: expected {what} of 1 to {max} characters"));
    }
    check_length(at, key, text, max)
}

/// Optional text: may be empty, at most a short paragraph.
fn check_text(at: &str, key: &str, text: &str) -> Checked {
    check_length(at, key, text, MAX_TEXT_CHARS)
}

fn check_length(at: &str, key: &str, text: &str, max: usize) -> Checked {
    let n_chars = text.chars().count();
    if n_chars > max {
        return invalid(join(at, key), format!("is {n_chars} characters long: expected at most {max}"));
    }
    Ok(())
}

fn check_colour(at: &str, colour: &str) -> Checked {
    let hex = colour.strip_prefix('#').unwrap_or_default();
    if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Ok(());
    }
    invalid(
        join(at, "colour"),
        format!("{} is not a colour: expected `#rrggbb` in hexadecimal, for example `#1b5e20`", quote(colour)),
    )
}

fn check_icon(at: &str, icon: &str) -> Checked {
    if icon.trim().is_empty() {
        return invalid(join(at, "icon"), "is empty: expected an emoji or one or two characters".to_owned());
    }
    check_length(at, "icon", icon, MAX_ICON_CHARS)
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() { key.to_owned() } else { format!("{at}.{key}") }
}

/// A value quoted for a message, shortened: an uploaded id may be any length.
fn quote(value: &str) -> String {
    const SHOWN: usize = 40;
    if value.chars().count() <= SHOWN {
        format!("{value:?}")
    } else {
        let start: String = value.chars().take(SHOWN).collect();
        format!("{start:?}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of everything, each list with one item, so each rule can be broken
    /// by one edit. Activities: [0] emotion map, [1] vote, [2] path, [3]
    /// pledge, [4] ideas.
    const MINIMAL: &str = r##"
id = "minimal"
title = "Minimal"
description = "A template with one of everything."
perspectives = [{ id = "staff", label = "Staff", group = "professionals", roles = [{ id = "gp", label = "GP" }] }]
segments = [{ id = "carer", label = "Carer", options = [{ id = "yes", label = "Yes" }, { id = "no", label = "No" }] }]

[[activities]]
kind = "emotion_map"
id = "map"
title = "Map"
board = "current"
touchpoints = [{ id = "booking", label = "Booking", hint = "Getting an appointment" }]
emotions = [
  { id = "happy", label = "Happy", valence = "positive", colour = "#1b5e20", icon = "😊" },
  { id = "sad", label = "Sad", valence = "negative", colour = "#b71c1c", icon = "😢" },
]
personas = [{ name = "Ada", description = "Ada is 80 and lives alone." }]

[[activities]]
kind = "vote"
id = "vote"
title = "Vote"
options = [{ id = "callback", label = "Callback" }]
budget = 3
max_per_option = 2

[[activities]]
kind = "path"
id = "path"
title = "Path"
sections = [{ id = "dream", label = "Dream" }]

[[activities]]
kind = "pledge"
id = "pledge"
title = "Pledge"
touchstones = true

[[activities]]
kind = "ideas"
id = "ideas"
title = "Ideas"
"##;

    /// Parses `source` and compares the field of the first broken rule;
    /// every message must also follow the house style.
    fn check(source: &str, expected: Result<(), &str>) {
        let result = parse_template(source, "test.toml");
        if let Err(error) = &result {
            let first = error.message.chars().next().expect("an error message is never empty");
            assert!(!first.is_uppercase(), "message starts lowercase: {error}");
            assert!(!error.message.ends_with('.'), "message has no trailing period: {error}");
        }
        let actual = result.as_ref().map(drop).map_err(|error| error.field.as_str());
        assert_eq!(actual, expected, "{result:?}");
    }

    /// MINIMAL with `from`, which must occur exactly once, replaced by `to`.
    fn edit(from: &str, to: &str) -> String {
        assert_eq!(MINIMAL.matches(from).count(), 1, "{from:?} occurs once in MINIMAL");
        MINIMAL.replacen(from, to, 1)
    }

    /// MINIMAL with its activities replaced by `activities` (TOML text).
    fn with_activities(activities: &str) -> String {
        let (head, _) = MINIMAL.split_once("[[activities]]").expect("MINIMAL has activities");
        format!("{head}{activities}")
    }

    fn choices(n: usize) -> String {
        let items: Vec<String> = (0..n).map(|i| format!(r#"{{ id = "c{i}", label = "Choice {i}" }}"#)).collect();
        format!("[{}]", items.join(", "))
    }

    fn emotions(n: usize) -> String {
        let items: Vec<String> = (0..n)
            .map(|i| {
                let valence = if i % 2 == 0 { "positive" } else { "negative" };
                format!(r##"{{ id = "e{i}", label = "E{i}", valence = "{valence}", colour = "#333333", icon = "x" }}"##)
            })
            .collect();
        format!("[{}]", items.join(", "))
    }

    fn ideas(n: usize) -> String {
        (0..n)
            .map(|i| format!("[[activities]]\nkind = \"ideas\"\nid = \"ideas-{i}\"\ntitle = \"Ideas {i}\"\n"))
            .collect()
    }

    #[test]
    fn accepts_the_minimal_template_and_the_limits_themselves() {
        check(MINIMAL, Ok(()));
        check(&edit(r#"id = "minimal""#, &format!("id = \"{}\"", "a".repeat(64))), Ok(()));
        check(&edit(r#"id = "minimal""#, r#"id = "0-a--b""#), Ok(()));
        check(&edit(r#"title = "Minimal""#, &format!("title = \"{}\"", "é".repeat(120))), Ok(()));
        check(&with_activities(&ideas(30)), Ok(()));
        check(
            &edit(
                r#"touchpoints = [{ id = "booking", label = "Booking", hint = "Getting an appointment" }]"#,
                &format!("touchpoints = {}", choices(30)),
            ),
            Ok(()),
        );
        check(
            &edit(r#"sections = [{ id = "dream", label = "Dream" }]"#, &format!("sections = {}", choices(12))),
            Ok(()),
        );
        check(&edit(r##"colour = "#1b5e20""##, r##"colour = "#1B5E2F""##), Ok(()));
        // A composed emoji (woman health worker: four code points).
        check(&edit(r#"icon = "😊""#, "icon = \"\u{1f469}\u{200d}\u{2695}\u{fe0f}\""), Ok(()));
        check(&edit("budget = 3\nmax_per_option = 2", "scale = true"), Ok(()));
        check(&edit("budget = 3\nmax_per_option = 2", "comments = true"), Ok(()));
        check(&edit("max_per_option = 2", "max_per_option = 3"), Ok(()));
        check(&edit("max_per_option = 2\n", ""), Ok(()));
    }

    #[test]
    fn checks_the_template_itself() {
        check(&edit(r#"id = "minimal""#, r#"id = "Minimal""#), Err("id"));
        check(&edit(r#"id = "minimal""#, r#"id = "-minimal""#), Err("id"));
        check(&edit(r#"id = "minimal""#, r#"id = """#), Err("id"));
        check(&edit(r#"id = "minimal""#, r#"id = "mini mal""#), Err("id"));
        check(&edit(r#"id = "minimal""#, &format!("id = \"{}\"", "a".repeat(65))), Err("id"));
        check(&edit(r#"title = "Minimal""#, r#"title = "  ""#), Err("title"));
        check(&edit(r#"title = "Minimal""#, &format!("title = \"{}\"", "a".repeat(121))), Err("title"));
        check(
            &edit(
                "description = \"A template with one of everything.\"",
                &format!("description = \"{}\"", "a".repeat(1001)),
            ),
            Err("description"),
        );
    }

    #[test]
    fn checks_perspectives_and_roles() {
        let perspective =
            r#"{ id = "staff", label = "Staff", group = "professionals", roles = [{ id = "gp", label = "GP" }] }"#;
        let many: Vec<String> =
            (0..11).map(|i| format!(r#"{{ id = "p{i}", label = "P{i}", group = "people" }}"#)).collect();
        check(&edit(&format!("[{perspective}]"), "[]"), Err("perspectives"));
        check(&edit(&format!("[{perspective}]"), &format!("[{}]", many.join(", "))), Err("perspectives"));
        check(
            &edit(&format!("[{perspective}]"), &format!("[{perspective}, {perspective}]")),
            Err("perspectives[1].id"),
        );
        check(&edit(r#"id = "staff""#, r#"id = "Staff""#), Err("perspectives[0].id"));
        check(&edit(r#"label = "Staff""#, r#"label = """#), Err("perspectives[0].label"));
        check(
            &edit(r#"roles = [{ id = "gp", label = "GP" }]"#, &format!("roles = {}", choices(31))),
            Err("perspectives[0].roles"),
        );
        check(
            &edit(r#"{ id = "gp", label = "GP" }"#, r#"{ id = "gp", label = "GP" }, { id = "gp", label = "Doctor" }"#),
            Err("perspectives[0].roles[1].id"),
        );
        check(&edit(r#"id = "gp""#, r#"id = "g_p""#), Err("perspectives[0].roles[0].id"));
        check(
            &edit(r#"label = "GP""#, &format!("label = \"{}\"", "a".repeat(121))),
            Err("perspectives[0].roles[0].label"),
        );
        check(
            &edit(r#"label = "GP""#, &format!("label = \"GP\", hint = \"{}\"", "a".repeat(1001))),
            Err("perspectives[0].roles[0].hint"),
        );
    }

    #[test]
    fn checks_segments_and_their_options() {
        let segment = r#"{ id = "carer", label = "Carer", options = [{ id = "yes", label = "Yes" }, { id = "no", label = "No" }] }"#;
        let many: Vec<String> =
            (0..11).map(|i| format!(r#"{{ id = "s{i}", label = "S{i}", options = {} }}"#, choices(2))).collect();
        check(&edit(&format!("segments = [{segment}]"), "segments = []"), Ok(()));
        check(&edit(&format!("segments = [{segment}]"), &format!("segments = [{}]", many.join(", "))), Err("segments"));
        check(&edit(&format!("[{segment}]"), &format!("[{segment}, {segment}]")), Err("segments[1].id"));
        check(&edit(r#"id = "carer""#, r#"id = "carer!""#), Err("segments[0].id"));
        check(&edit(r#"label = "Carer""#, r#"label = " ""#), Err("segments[0].label"));
        check(&edit(r#", { id = "no", label = "No" }"#, ""), Err("segments[0].options"));
        check(
            &edit(r#"[{ id = "yes", label = "Yes" }, { id = "no", label = "No" }]"#, &choices(21)),
            Err("segments[0].options"),
        );
        check(&edit(r#"id = "no""#, r#"id = "yes""#), Err("segments[0].options[1].id"));
        check(&edit(r#"label = "Yes""#, r#"label = """#), Err("segments[0].options[0].label"));
    }

    #[test]
    fn checks_the_list_of_activities() {
        check(&with_activities(""), Err("activities"));
        check(&format!("{}activities = []\n", with_activities("")), Err("activities"));
        check(&with_activities(&ideas(31)), Err("activities"));
        check(&edit(r#"id = "ideas""#, r#"id = "map""#), Err("activities[4].id"));
        check(&edit(r#"id = "ideas""#, r#"id = "Ideas""#), Err("activities[4].id"));
        check(&edit(r#"title = "Ideas""#, r#"title = """#), Err("activities[4].title"));
        check(&edit(r#"title = "Pledge""#, &format!("title = \"{}\"", "a".repeat(121))), Err("activities[3].title"));
        check(
            &edit(r#"title = "Ideas""#, &format!("title = \"Ideas\"\nprompt = \"{}\"", "a".repeat(1001))),
            Err("activities[4].prompt"),
        );
        check(
            &edit("touchstones = true", &format!("touchstone_prompt = \"{}\"", "a".repeat(1001))),
            Err("activities[3].touchstone_prompt"),
        );
    }

    #[test]
    fn checks_emotion_maps() {
        let touchpoints = r#"[{ id = "booking", label = "Booking", hint = "Getting an appointment" }]"#;
        check(&edit(touchpoints, "[]"), Err("activities[0].touchpoints"));
        check(&edit(touchpoints, &choices(31)), Err("activities[0].touchpoints"));
        check(
            &edit(touchpoints, r#"[{ id = "a", label = "A" }, { id = "a", label = "B" }]"#),
            Err("activities[0].touchpoints[1].id"),
        );
        check(&edit(r#"id = "booking""#, r#"id = "Booking""#), Err("activities[0].touchpoints[0].id"));
        check(&edit(r#"label = "Booking""#, r#"label = """#), Err("activities[0].touchpoints[0].label"));
        check(
            &edit(r#"hint = "Getting an appointment""#, &format!("hint = \"{}\"", "a".repeat(1001))),
            Err("activities[0].touchpoints[0].hint"),
        );

        let (before, after) = MINIMAL.split_once("emotions = [").expect("MINIMAL has emotions");
        let (_, after) = after.split_once("]\n").expect("the emotions end with a line");
        check(&format!("{before}emotions = []\n{after}"), Err("activities[0].emotions"));
        check(&format!("{before}emotions = {}\n{after}", emotions(60)), Ok(()));
        check(&format!("{before}emotions = {}\n{after}", emotions(61)), Err("activities[0].emotions"));
        check(&edit(r#"id = "sad""#, r#"id = "happy""#), Err("activities[0].emotions[1].id"));
        check(&edit(r#"id = "sad""#, r#"id = "so sad""#), Err("activities[0].emotions[1].id"));
        check(&edit(r#"label = "Sad""#, r#"label = """#), Err("activities[0].emotions[1].label"));
        check(&edit(r##"colour = "#b71c1c""##, r#"colour = "red""#), Err("activities[0].emotions[1].colour"));
        check(&edit(r##"colour = "#b71c1c""##, r##"colour = "#b71c1""##), Err("activities[0].emotions[1].colour"));
        check(&edit(r##"colour = "#b71c1c""##, r##"colour = "#b71c1g""##), Err("activities[0].emotions[1].colour"));
        check(&edit(r##"colour = "#b71c1c""##, r##"colour = "b71c1c""##), Err("activities[0].emotions[1].colour"));
        check(&edit(r#"icon = "😢""#, r#"icon = " ""#), Err("activities[0].emotions[1].icon"));
        check(&edit(r#"icon = "😢""#, r#"icon = "123456789""#), Err("activities[0].emotions[1].icon"));
        check(&edit(r#"valence = "negative""#, r#"valence = "neutral""#), Err("activities[0].emotions"));
        check(&edit(r#"valence = "positive""#, r#"valence = "negative""#), Err("activities[0].emotions"));

        let persona = r#"{ name = "Ada", description = "Ada is 80 and lives alone." }"#;
        check(&edit(r#"name = "Ada""#, r#"name = """#), Err("activities[0].personas[0].name"));
        check(
            &edit(r#"description = "Ada is 80 and lives alone.""#, r#"description = """#),
            Err("activities[0].personas[0].description"),
        );
        check(
            &edit(r#"description = "Ada is 80 and lives alone.""#, &format!("description = \"{}\"", "a".repeat(1001))),
            Err("activities[0].personas[0].description"),
        );
        check(&edit(persona, &[persona; 11].join(", ")), Err("activities[0].personas"));
    }

    #[test]
    fn checks_votes() {
        let options = r#"options = [{ id = "callback", label = "Callback" }]"#;
        check(&edit(options, "options = []"), Err("activities[1].options"));
        check(&edit(options, &format!("options = {}", choices(50))), Ok(()));
        check(&edit(options, &format!("options = {}", choices(51))), Err("activities[1].options"));
        check(
            &edit(options, r#"options = [{ id = "a", label = "A" }, { id = "a", label = "B" }]"#),
            Err("activities[1].options[1].id"),
        );
        check(&edit(r#"label = "Callback""#, r#"label = """#), Err("activities[1].options[0].label"));
        check(&edit("budget = 3", "budget = 50\nscale = true"), Ok(()));
        check(&edit("budget = 3", "budget = 51"), Err("activities[1].budget"));
        check(&edit("max_per_option = 2", "max_per_option = 0"), Err("activities[1].max_per_option"));
        check(&edit("max_per_option = 2", "max_per_option = 4"), Err("activities[1].max_per_option"));
        check(&edit("budget = 3", "budget = 0\nscale = true"), Err("activities[1].max_per_option"));
        check(&edit("budget = 3\nmax_per_option = 2", "budget = 0"), Err("activities[1].budget"));
        check(&edit("budget = 3\nmax_per_option = 2", ""), Err("activities[1].budget"));
    }

    #[test]
    fn checks_paths() {
        let sections = r#"sections = [{ id = "dream", label = "Dream" }]"#;
        check(&edit(sections, "sections = []"), Err("activities[2].sections"));
        check(&edit(sections, &format!("sections = {}", choices(13))), Err("activities[2].sections"));
        check(
            &edit(sections, r#"sections = [{ id = "a", label = "A" }, { id = "a", label = "B" }]"#),
            Err("activities[2].sections[1].id"),
        );
        check(&edit(r#"id = "dream""#, r#"id = "the dream""#), Err("activities[2].sections[0].id"));
        check(&edit(r#"label = "Dream""#, r#"label = """#), Err("activities[2].sections[0].label"));
    }

    #[test]
    fn finds_the_field_of_a_toml_error() {
        // Syntax: no field, but the message says where.
        check(&edit(r#"title = "Minimal""#, r#"title = "Minimal"#), Err(""));
        // A field missing at the top level: the document gives no place.
        check(&edit("title = \"Minimal\"\n", ""), Err("title"));
        check(&edit(r#"title = "Minimal""#, "title = 3"), Err("title"));
        check(&edit(r#"title = "Minimal""#, "titel = \"Minimal\""), Err("titel"));
        check(&edit(r#"group = "professionals""#, r#"group = "staff""#), Err("perspectives[0].group"));
        // Inside an activity, where serde alone would point at `[[activities]]`.
        check(&edit("budget = 3", r#"budget = "3""#), Err("activities[1].budget"));
        check(&edit("budget = 3", "budget = -1"), Err("activities[1].budget"));
        check(&edit(r#"title = "Ideas""#, "title = \"Ideas\"\nextra = 1"), Err("activities[4].extra"));
        check(&edit(r#"valence = "negative""#, r#"valence = "bad""#), Err("activities[0].emotions[1].valence"));
        check(&edit(r#"board = "current""#, r#"board = "now""#), Err("activities[0].board"));
        check(&edit(r#"kind = "ideas""#, r#"kind = "idea""#), Err("activities[4].kind"));
        check(&edit("kind = \"ideas\"\n", ""), Err("activities[4].kind"));
        check(&edit(r#"title = "Ideas""#, ""), Err("activities[4].title"));
        check(&edit("touchstones = true", "touchstones = \"yes\""), Err("activities[3].touchstones"));
    }

    #[test]
    fn toml_errors_give_the_line_and_column() {
        let error =
            parse_template(&edit("budget = 3", r#"budget = "3""#), "improvement.toml").expect_err("a string budget");
        assert_eq!(
            error.to_string(),
            "improvement.toml: activities[1].budget: line 25, column 10: invalid type: string \"3\", expected u32"
        );
        let error = parse_template("id = \"x\"\ntitle = \"x", "broken.toml").expect_err("an unterminated string");
        assert!(error.message.starts_with("line 2, column 11: invalid basic string"), "{error}");
        let error = parse_template(&edit("kind = \"ideas\"\n", ""), "t.toml").expect_err("no kind");
        assert!(error.message.contains("expected one of `emotion_map`"), "{error}");
    }

    #[test]
    fn validates_templates_that_did_not_come_from_toml() {
        let mut template = parse_template(MINIMAL, "minimal.toml").expect("MINIMAL is valid");
        let json = serde_json::to_string(&template).expect("a template serializes");
        let from_json: Template = serde_json::from_str(&json).expect("and reads back");
        assert_eq!(validate(&from_json, "upload"), Ok(()));

        let Some(Activity::EmotionMap(map)) = template.activities.first_mut() else {
            panic!("MINIMAL starts with a map")
        };
        map.emotions[0].colour = "green".to_owned();
        let error = validate(&template, "upload").expect_err("a named colour");
        assert_eq!(error.field, "activities[0].emotions[0].colour");
        assert_eq!(error.file, "upload");
    }

    // The shipped templates in `workshops/`. Core does no I/O; only these
    // tests read files, to keep the shipped data valid as the format moves.

    /// Every `workshops/*.toml`, parsed, by file name; panics listing every broken file.
    fn shipped() -> Vec<(String, Template)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../workshops");
        let entries = std::fs::read_dir(&dir).expect("workshops/ sits at the root of the repository");
        let mut paths: Vec<_> = entries
            .map(|entry| entry.expect("workshops/ can be listed").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
            .collect();
        paths.sort();
        let mut templates = Vec::new();
        let mut errors = Vec::new();
        for path in paths {
            let file = path.file_name().expect("a listed file has a name").to_string_lossy().into_owned();
            let source = std::fs::read_to_string(&path).expect("a shipped template is UTF-8 text");
            match parse_template(&source, &file) {
                Ok(template) => templates.push((file, template)),
                Err(error) => errors.push(error.to_string()),
            }
        }
        assert!(errors.is_empty(), "broken shipped templates:\n{}", errors.join("\n"));
        templates
    }

    fn emotion_map<'a>(templates: &'a [(String, Template)], file: &str) -> &'a EmotionMap {
        let (_, template) = templates.iter().find(|(name, _)| name == file).expect("the template is shipped");
        template
            .activities
            .iter()
            .find_map(|activity| match activity {
                Activity::EmotionMap(map) => Some(map),
                _ => None,
            })
            .expect("the template has an emotion map")
    }

    /// WCAG 2 relative luminance of `#rrggbb`.
    fn relative_luminance(colour: &str) -> f64 {
        let channel = |at: usize| {
            let hex = colour.get(at..at + 2).expect("a validated colour has six hex digits");
            let srgb = f64::from(u8::from_str_radix(hex, 16).expect("validated as hex")) / 255.0;
            if srgb <= 0.04045 { srgb / 12.92 } else { ((srgb + 0.055) / 1.055).powf(2.4) }
        };
        0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
    }

    /// WCAG 2 contrast ratio of white text on `colour`: (L1 + 0.05) / (L2 + 0.05).
    fn contrast_with_white(colour: &str) -> f64 {
        (1.0 + 0.05) / (relative_luminance(colour) + 0.05)
    }

    #[test]
    fn contrast_formula_matches_known_ratios() {
        assert!((contrast_with_white("#ffffff") - 1.0).abs() < 1e-9);
        assert!((contrast_with_white("#000000") - 21.0).abs() < 1e-9);
        // #767676 is the lightest grey that passes AA on white (4.54:1).
        assert!((contrast_with_white("#767676") - 4.54).abs() < 0.01);
    }

    /// One template per event of a programme. Other files may sit beside them
    /// (a programme's own templates): they are checked too, but not compared.
    const SHIPPED: [&str; 5] = [
        "current-experience.toml",
        "desired-experience.toml",
        "path-planning.toml",
        "improvement-planning.toml",
        "pledge-event.toml",
    ];

    #[test]
    fn every_shipped_template_parses_and_validates() {
        let templates = shipped();
        for file in SHIPPED {
            assert!(templates.iter().any(|(name, _)| name == file), "{file} is shipped");
        }
        for (file, template) in &templates {
            assert_eq!(Some(template.id.as_str()), file.strip_suffix(".toml"), "a template's id is its file name");
        }
    }

    #[test]
    fn shipped_emotion_colours_carry_white_text() {
        for (file, template) in shipped() {
            for activity in &template.activities {
                let Activity::EmotionMap(map) = activity else { continue };
                for emotion in &map.emotions {
                    let ratio = contrast_with_white(&emotion.colour);
                    assert!(ratio >= 4.5, "{file}: {} {} is {ratio:.2}:1 against white", emotion.id, emotion.colour);
                }
            }
        }
    }

    #[test]
    fn shipped_vocabulary_is_the_validated_one_plus_the_deck() {
        let templates = shipped();
        let map = emotion_map(&templates, "current-experience.toml");
        let words = |valence: Valence| -> Vec<String> {
            let mut words: Vec<String> = map
                .emotions
                .iter()
                .filter(|emotion| emotion.valence == valence)
                .map(|emotion| emotion.label.to_lowercase())
                .collect();
            words.sort();
            words
        };
        // Virginia Mason's words (less loyal, disgusted, hatred, jealous) and
        // the deck's (listened to, reassured, anxious, lonely, confused), sorted.
        let positive = [
            "compassion",
            "confident",
            "empowered",
            "enjoyment",
            "enthusiastic",
            "grateful",
            "great",
            "happy",
            "hopeful",
            "joyful",
            "listened to",
            "optimistic",
            "peaceful",
            "pleased",
            "reassured",
            "safe",
            "satisfied",
            "secure",
            "sense of accomplishment",
            "successful",
            "valued",
        ];
        let negative = [
            "afraid",
            "angry",
            "anxious",
            "confused",
            "depressed",
            "disrespected",
            "frustrated",
            "guilty",
            "hopeless",
            "ignored",
            "insecure",
            "lonely",
            "resentful",
            "sad",
        ];
        assert_eq!(words(Valence::Positive), positive);
        assert_eq!(words(Valence::Neutral), ["ok"]);
        assert_eq!(words(Valence::Negative), negative);
        assert!(map.own_word, "a blank card is always offered");
    }

    #[test]
    fn shipped_current_and_desired_maps_compare_touchpoint_by_touchpoint() {
        let templates = shipped();
        let current = emotion_map(&templates, "current-experience.toml");
        let desired = emotion_map(&templates, "desired-experience.toml");
        assert_eq!(current.board, Board::Current);
        assert_eq!(desired.board, Board::Desired);
        assert_eq!(current.touchpoints, desired.touchpoints);
        assert_eq!(current.emotions, desired.emotions);
        assert_eq!(desired.personas.len(), 2);
    }

    #[test]
    fn shipped_templates_share_perspectives_and_segments() {
        let templates = shipped();
        let ours: Vec<&(String, Template)> =
            templates.iter().filter(|(file, _)| SHIPPED.contains(&file.as_str())).collect();
        let (_, first) = ours.first().expect("templates are shipped");
        for (file, template) in ours.iter().copied() {
            assert_eq!(template.perspectives, first.perspectives, "{file}");
            assert_eq!(template.segments, first.segments, "{file}");
        }
    }

    #[test]
    fn shipped_path_has_the_eight_sections_in_order() {
        let templates = shipped();
        let (_, template) = templates.iter().find(|(file, _)| file == "path-planning.toml").expect("PATH is shipped");
        let Some(Activity::Path(path)) = template.activities.first() else {
            panic!("PATH planning starts with a path")
        };
        let ids: Vec<&str> = path.sections.iter().map(|section| section.id.as_str()).collect();
        assert_eq!(ids, ["north-star", "goal", "now", "enrol", "strength", "next-months", "next-month", "first-step"]);
    }

    #[test]
    fn the_example_in_the_workshops_readme_is_valid() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../workshops/README.md");
        let readme = std::fs::read_to_string(path).expect("workshops/README.md documents the format");
        let (_, example) = readme.split_once("```toml\n").expect("the README has a TOML example");
        let (example, _) = example.split_once("```").expect("the example block ends");
        assert_eq!(parse_template(example, "README.md").map(|template| template.id), Ok("pharmacy-visit".to_owned()));
    }
}
