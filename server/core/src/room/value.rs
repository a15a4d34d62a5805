//! Typed values in and out of `yrs`, through serde.
//!
//! The documents hold plain JSON-like values (`Any`); every type the room
//! stores goes in and comes out through its serde derive, by way of
//! `serde_json`'s data model, so numbers, absent options and maps are encoded
//! the same way whatever writes them.

use serde::Serialize;
use serde::de::DeserializeOwned;
use yrs::Any;

use super::intent::IntentError;

/// A value as the documents store it; `Null` for a value serde cannot express.
pub(crate) fn to_any(value: &impl Serialize) -> Any {
    serde_json::to_value(value).ok().and_then(|value| serde_json::from_value(value).ok()).unwrap_or(Any::Null)
}

/// A stored value as the type the room expects; anything else is a corrupt room.
pub(crate) fn from_any<T: DeserializeOwned>(any: &Any) -> Result<T, IntentError> {
    serde_json::to_value(any).and_then(serde_json::from_value).map_err(|e| IntentError::Corrupt(e.to_string()))
}

/// A stored value read leniently: what does not fit becomes the default, for after-event reading.
pub(crate) fn from_any_or_default<T: DeserializeOwned + Default>(any: &Any) -> T {
    from_any(any).unwrap_or_default()
}
