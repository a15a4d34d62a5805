//! What people contribute, as the board stores it.
//!
//! Every contribution shares one [`Header`] (which activity, who from, whether
//! it was typed in from paper, hidden by moderation or late, when) and adds the
//! fields of its kind. They are read from and written to `yrs` through serde,
//! so the stored shape is these types and nothing else; the `id` is the key
//! the contribution is stored under, not a field of its value.

use serde::{Deserialize, Serialize};

use super::layout::{ASSISTED_OWNER, Collection};

/// What every contribution carries, whatever its kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Header {
    /// The key it is stored under.
    #[serde(skip)]
    pub id: String,
    pub activity: String,
    /// As the person described themselves when they contributed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub perspective: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Typed in by a facilitator from paper.
    pub assisted: bool,
    /// Hidden by moderation: kept in the record, not shown.
    pub hidden: bool,
    /// Arrived after its activity closed (sent offline, say): it came in hidden, and is shown only
    /// once the facilitator unhides it. Stored only when true, so an on-time contribution's shape
    /// is as it always was.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub late: bool,
    /// Seconds since the Unix epoch, to the minute.
    pub at: u64,
}

/// An emotion card on a journey: an emotion from the vocabulary, or the person's own word.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Card {
    #[serde(flatten)]
    pub header: Header,
    pub touchpoint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emotion: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub word: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// An idea, or a comment on one option of a vote.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Idea {
    #[serde(flatten)]
    pub header: Header,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub option: Option<String>,
    pub text: String,
}

/// A note under one section of a PATH.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PathNote {
    #[serde(flatten)]
    pub header: Header,
    pub section: String,
    pub text: String,
}

/// A pledge; a name and organisation only where the person chose to give them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Pledge {
    #[serde(flatten)]
    pub header: Header,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
}

/// One word for the pledge activity's word cloud.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Touchstone {
    #[serde(flatten)]
    pub header: Header,
    pub word: String,
}

/// One person's feedback on the event: a rating from 1 to 5, and what worked and what to change
/// if they said. A person has one answer per feedback activity; a second replaces the first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Feedback {
    #[serde(flatten)]
    pub header: Header,
    pub rating: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worked: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change: Option<String>,
}

/// A contribution of any kind, for a list that mixes kinds (the moderation list). It serialises
/// exactly as its kind does; the kind is known from the collection it was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum AnyContribution {
    Card(Card),
    Idea(Idea),
    PathNote(PathNote),
    Pledge(Pledge),
    Touchstone(Touchstone),
    Feedback(Feedback),
}

impl AnyContribution {
    /// Reads a contribution as `collection` stores it.
    pub(crate) fn from_value(collection: Collection, value: serde_json::Value) -> serde_json::Result<Self> {
        let any = match collection {
            Collection::Cards => Self::Card(serde_json::from_value(value)?),
            Collection::Ideas => Self::Idea(serde_json::from_value(value)?),
            Collection::PathNotes => Self::PathNote(serde_json::from_value(value)?),
            Collection::Pledges => Self::Pledge(serde_json::from_value(value)?),
            Collection::Touchstones => Self::Touchstone(serde_json::from_value(value)?),
            Collection::Feedback => Self::Feedback(serde_json::from_value(value)?),
        };
        Ok(any)
    }

    pub fn header(&self) -> &Header {
        match self {
            Self::Card(c) => &c.header,
            Self::Idea(c) => &c.header,
            Self::PathNote(c) => &c.header,
            Self::Pledge(c) => &c.header,
            Self::Touchstone(c) => &c.header,
            Self::Feedback(c) => &c.header,
        }
    }

    pub fn header_mut(&mut self) -> &mut Header {
        match self {
            Self::Card(c) => &mut c.header,
            Self::Idea(c) => &mut c.header,
            Self::PathNote(c) => &mut c.header,
            Self::Pledge(c) => &mut c.header,
            Self::Touchstone(c) => &mut c.header,
            Self::Feedback(c) => &mut c.header,
        }
    }
}

/// What each kind of contribution shares: the collection it lives in, and its header.
pub trait Contributed: Serialize + serde::de::DeserializeOwned + Default {
    const COLLECTION: Collection;
    fn header(&self) -> &Header;
    fn header_mut(&mut self) -> &mut Header;
}

/// Each kind names its collection and hands out its header, the same way.
macro_rules! contributed {
    ($($kind:ident in $collection:ident),*) => {$(
        impl Contributed for $kind {
            const COLLECTION: Collection = Collection::$collection;
            fn header(&self) -> &Header {
                &self.header
            }
            fn header_mut(&mut self) -> &mut Header {
                &mut self.header
            }
        }
    )*};
}

contributed!(
    Card in Cards,
    Idea in Ideas,
    PathNote in PathNotes,
    Pledge in Pledges,
    Touchstone in Touchstones,
    Feedback in Feedback
);

/// Who a contribution is from and where it lives: the ledger's entry for it, never on the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub collection: Collection,
    /// A participant's id, or [`ASSISTED_OWNER`] for a paper contribution.
    pub owner: String,
}

impl Owner {
    /// The participant who owns it; `None` for a paper contribution.
    pub fn participant(&self) -> Option<&str> {
        (self.owner != ASSISTED_OWNER).then_some(self.owner.as_str())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_contribution_stores_its_header_beside_its_own_fields() {
        let card = Card {
            header: Header { id: "c1".to_owned(), activity: "map".to_owned(), at: 60, ..Header::default() },
            touchpoint: "booking".to_owned(),
            emotion: Some("anxious".to_owned()),
            ..Card::default()
        };
        let stored = serde_json::to_value(&card).expect("a card serialises");
        assert_eq!(
            stored,
            json!({ "activity": "map", "assisted": false, "hidden": false, "at": 60,
                    "touchpoint": "booking", "emotion": "anxious" })
        );
        let read: Card = serde_json::from_value(stored).expect("and reads back");
        assert_eq!(read, Card { header: Header { id: String::new(), ..card.header.clone() }, ..card });
        let paper = Owner { collection: Collection::Cards, owner: ASSISTED_OWNER.to_owned() };
        assert_eq!(paper.participant(), None);
    }
}
