//! Awareness (presence) of one room, kept by the server and relayed.
//!
//! The stock `y-websocket` client re-sends every awareness change it sees,
//! including other clients' states it just received, so a connection's
//! message mixes its own entry with echoes. Each connection therefore owns
//! exactly one client id: the first one it announces with a live state that
//! no other connection owns. Entries for other ids are echoes and are
//! ignored, which keeps one connection from speaking for another. The
//! server has no 30-second eviction (as JavaScript peers do) because every
//! state is owned by a live connection and is removed when it closes.

use std::collections::HashMap;
use std::hash::Hash;

use thiserror::Error;

use crate::lib0::{Lib0Error, Reader, write_var_bytes, write_var_uint};

/// The JSON text of a removed state, as y-protocols encodes it.
const NULL_STATE: &str = "null";

/// Why an awareness update is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AwarenessError {
    #[error("malformed awareness update: {0}")]
    Malformed(#[from] Lib0Error),
    #[error("awareness state is not valid JSON")]
    InvalidJson,
    #[error("awareness state of {len} bytes exceeds the limit of {max}")]
    StateTooLarge { len: usize, max: usize },
}

/// One entry of an awareness update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwarenessEntry<'a> {
    pub client_id: u64,
    pub clock: u64,
    /// The state as JSON text; `null` marks the client as gone.
    pub state: &'a str,
}

impl AwarenessEntry<'_> {
    pub fn is_removal(&self) -> bool {
        self.state == NULL_STATE
    }
}

/// Decodes `varUint(n) • n × (client, clock, varString(json))` without validating the JSON.
pub fn decode_awareness_update(bytes: &[u8]) -> Result<Vec<AwarenessEntry<'_>>, AwarenessError> {
    let mut reader = Reader::new(bytes);
    let n_entries = reader.var_uint()?;
    let mut entries = Vec::new();
    for _ in 0..n_entries {
        let client_id = reader.var_uint()?;
        let clock = reader.var_uint()?;
        let state = std::str::from_utf8(reader.var_bytes()?).map_err(|_| AwarenessError::InvalidJson)?;
        entries.push(AwarenessEntry { client_id, clock, state });
    }
    reader.finish()?;
    Ok(entries)
}

/// Encodes entries as an awareness update (the payload of a `[1, …]` message).
pub fn encode_awareness_update<'a>(entries: impl IntoIterator<Item = AwarenessEntry<'a>>) -> Vec<u8> {
    let entries: Vec<_> = entries.into_iter().collect();
    let mut out = Vec::new();
    write_var_uint(&mut out, entries.len() as u64);
    for entry in entries {
        write_var_uint(&mut out, entry.client_id);
        write_var_uint(&mut out, entry.clock);
        write_var_bytes(&mut out, entry.state.as_bytes());
    }
    out
}

#[derive(Debug)]
struct State {
    clock: u64,
    json: String,
}

/// The awareness states of one room, keyed by Yjs client id, each owned by a connection `C`.
#[derive(Debug)]
pub struct RoomAwareness<C> {
    states: HashMap<u64, State>,
    /// The one client id each connection speaks for, and the reverse.
    owned: HashMap<C, u64>,
    owner_of: HashMap<u64, C>,
    max_state_bytes: usize,
}

impl<C: Copy + Eq + Hash> RoomAwareness<C> {
    pub fn new(max_state_bytes: usize) -> Self {
        RoomAwareness { states: HashMap::new(), owned: HashMap::new(), owner_of: HashMap::new(), max_state_bytes }
    }

    /// Applies what `from` may say about itself; returns the accepted entries as an
    /// awareness update to relay, or `None` when nothing changed (an echo or a stale clock).
    pub fn apply(&mut self, from: C, update: &[u8]) -> Result<Option<Vec<u8>>, AwarenessError> {
        let mut accepted = Vec::new();
        for entry in decode_awareness_update(update)? {
            if !self.may_speak_for(from, &entry) {
                continue;
            }
            if entry.state.len() > self.max_state_bytes {
                return Err(AwarenessError::StateTooLarge { len: entry.state.len(), max: self.max_state_bytes });
            }
            if serde_json::from_str::<serde::de::IgnoredAny>(entry.state).is_err() {
                return Err(AwarenessError::InvalidJson);
            }
            let is_newer = match self.states.get(&entry.client_id) {
                None => !entry.is_removal(),
                Some(current) => current.clock < entry.clock || (current.clock == entry.clock && entry.is_removal()),
            };
            if !is_newer {
                continue;
            }
            self.owned.insert(from, entry.client_id);
            self.owner_of.insert(entry.client_id, from);
            if entry.is_removal() {
                self.states.remove(&entry.client_id);
            } else {
                let state = State { clock: entry.clock, json: entry.state.to_owned() };
                self.states.insert(entry.client_id, state);
            }
            accepted.push(entry);
        }
        Ok((!accepted.is_empty()).then(|| encode_awareness_update(accepted)))
    }

    /// Forgets the state `owner` controlled; returns the removal to relay, if it had one.
    pub fn remove_owner(&mut self, owner: C) -> Option<Vec<u8>> {
        let client_id = self.owned.remove(&owner)?;
        self.owner_of.remove(&client_id);
        let state = self.states.remove(&client_id)?;
        Some(encode_awareness_update([AwarenessEntry { client_id, clock: state.clock + 1, state: NULL_STATE }]))
    }

    /// Every known state, for a newcomer or a query; `None` when the room is empty.
    pub fn encode_all(&self) -> Option<Vec<u8>> {
        if self.states.is_empty() {
            return None;
        }
        Some(encode_awareness_update(self.states.iter().map(|(&client_id, state)| AwarenessEntry {
            client_id,
            clock: state.clock,
            state: &state.json,
        })))
    }

    pub fn len(&self) -> usize {
        self.states.len()
    }

    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    fn may_speak_for(&self, from: C, entry: &AwarenessEntry<'_>) -> bool {
        match self.owned.get(&from) {
            Some(&own) => own == entry.client_id,
            // A first claim must be a live state for an id no connection holds. A
            // reconnecting document waits until its old connection is gone.
            None => !entry.is_removal() && !self.owner_of.contains_key(&entry.client_id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(entries: &[(u64, u64, &str)]) -> Vec<u8> {
        encode_awareness_update(entries.iter().map(|&(client_id, clock, state)| AwarenessEntry {
            client_id,
            clock,
            state,
        }))
    }

    fn entries(bytes: &[u8]) -> Vec<(u64, u64, String)> {
        decode_awareness_update(bytes)
            .expect("the server encodes valid updates")
            .into_iter()
            .map(|e| (e.client_id, e.clock, e.state.to_owned()))
            .collect()
    }

    #[test]
    fn a_connection_owns_the_first_id_it_announces() {
        let mut room = RoomAwareness::new(1024);
        let relayed = room.apply(1, &update(&[(100, 1, r#"{"a":1}"#)])).expect("valid");
        assert_eq!(entries(&relayed.expect("accepted")), vec![(100, 1, r#"{"a":1}"#.to_owned())]);
        // Connection 2 echoes 100's state and announces its own (200).
        let relayed = room.apply(2, &update(&[(100, 1, r#"{"a":1}"#), (200, 0, "{}")])).expect("valid");
        assert_eq!(entries(&relayed.expect("accepted")), vec![(200, 0, "{}".to_owned())]);
        // Connection 2 cannot speak for 100, even with a newer clock.
        assert_eq!(room.apply(2, &update(&[(100, 5, "null")])), Ok(None));
        assert_eq!(room.len(), 2);
    }

    #[test]
    fn stale_clocks_are_ignored_and_removals_apply_at_equal_clock() {
        let mut room = RoomAwareness::new(1024);
        room.apply(1, &update(&[(100, 3, "{}")])).expect("valid");
        assert_eq!(room.apply(1, &update(&[(100, 2, r#"{"x":1}"#)])), Ok(None));
        let removal = room.apply(1, &update(&[(100, 3, "null")])).expect("valid");
        assert_eq!(entries(&removal.expect("accepted")), vec![(100, 3, "null".to_owned())]);
        assert!(room.is_empty());
    }

    #[test]
    fn closing_a_connection_removes_its_state() {
        let mut room = RoomAwareness::new(1024);
        room.apply(1, &update(&[(100, 7, "{}")])).expect("valid");
        let removal = room.remove_owner(1).expect("had a state");
        assert_eq!(entries(&removal), vec![(100, 8, "null".to_owned())]);
        assert_eq!(room.encode_all(), None);
        assert_eq!(room.remove_owner(1), None);
    }

    #[test]
    fn refuses_bad_states() {
        let mut room = RoomAwareness::new(8);
        assert_eq!(
            room.apply(1, &update(&[(1, 1, r#"{"long":"state"}"#)])),
            Err(AwarenessError::StateTooLarge { len: 16, max: 8 })
        );
        assert_eq!(room.apply(1, &update(&[(1, 1, "{nope")])), Err(AwarenessError::InvalidJson));
        assert!(matches!(room.apply(1, &[5, 1]), Err(AwarenessError::Malformed(_))));
        assert!(matches!(room.apply(1, &[0, 9]), Err(AwarenessError::Malformed(_))));
    }

    #[test]
    fn encode_all_lists_every_state() {
        let mut room = RoomAwareness::new(1024);
        room.apply(1, &update(&[(100, 1, "{}")])).expect("valid");
        room.apply(2, &update(&[(200, 1, "{}")])).expect("valid");
        let mut all = entries(&room.encode_all().expect("two states"));
        all.sort();
        assert_eq!(all, vec![(100, 1, "{}".to_owned()), (200, 1, "{}".to_owned())]);
    }
}
