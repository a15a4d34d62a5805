//! The y-sync protocol of one room, without a transport.
//!
//! A room's worker drives one [`RoomSync`]: it hands it each connection that
//! joins or leaves, each message a connection sent, and each change the room
//! made to the board itself (an intent), and gets back the frames to send and
//! to whom, and the changes to store and relay. Nothing here touches a
//! socket, a queue or a clock, so the handshake, the answers and the presence
//! of a room are tested without a server; the worker decides when frames may
//! leave (after the batch is durable) and how they reach each member.
//!
//! The server starts the handshake: a connection that joins gets the board's
//! state vector (SyncStep1) and everyone's presence before it asks for
//! anything. Most clients arrive with nothing and ask for the whole board,
//! so its SyncStep2 is encoded once and kept until the board next changes:
//! every joiner is handed the same bytes, never a copy of its own.
//!
//! The board has a ceiling in bytes of its encoded state. Measuring it means
//! encoding the whole board, so it is measured when the full state is encoded
//! anyway and estimated in between (the last measure plus every update since,
//! which can only overstate it); only an estimate near the ceiling is checked
//! by measuring again.
//!
//! What can be checked from a frame alone, [`check_client_message`], runs in
//! each connection's own task before the room sees the message, so a busy
//! room spends its time only on what needs the board.

use std::hash::Hash;

use bytes::Bytes;
use thiserror::Error;
use yrs::encoding::read::Error as DecodeError;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, StateVector, Transact, Update};

use super::view::BoardSize;
use crate::awareness::{AwarenessError, RoomAwareness};
use crate::identity::Role;
use crate::protocol::{
    ClientMessage, ProtocolError, check_state_vector, decode_client_frame, encode_awareness, encode_sync_step1,
    encode_sync_step2, encode_update,
};
use crate::room::layout::LayoutGuard;
use crate::update_check::{Dependencies, UpdateError, UpdateLimits, check_update_v1};

/// Yjs encodes "no structs, no deletions" as these two bytes.
const EMPTY_UPDATE: &[u8] = &[0, 0];
/// An awareness update of no states: the answer to a query in an empty room.
const NO_STATES: &[u8] = &[0];

/// Who a frame is for; `C` identifies a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target<C> {
    One(C),
    /// These connections, if they are still members.
    Only(Vec<C>),
    All,
    /// Everyone but these (the senders of what is relayed).
    AllExcept(Vec<C>),
}

/// Frames for the room to deliver, each encoded once, in order.
pub type Outgoing<C> = Vec<(Target<C>, Bytes)>;

/// A message from a connection, decoded and checked by [`check_client_message`].
#[derive(Debug)]
pub enum Inbound {
    /// The client's state vector: answer with what it lacks.
    SyncStep1(StateVector),
    /// A facilitator's update: `raw` is stored, `relay` (a `[0, 2, update]` frame) is sent to the others.
    Update {
        update: Update,
        raw: Bytes,
        relay: Bytes,
        /// What the board must hold for the update to integrate whole.
        needs: Dependencies,
    },
    /// An awareness update (the payload of a `[1, …]` message).
    Awareness(Bytes),
    QueryAwareness,
}

/// What to do with a client's frame that passed the checks.
#[derive(Debug)]
pub enum Checked {
    /// Hand it to the room.
    Forward(Inbound),
    /// An empty update: it changes nothing, so nobody needs it.
    Empty,
    /// A document update from a connection that may only read the board: dropped, the
    /// connection kept (a stock client answers the server's SyncStep1 with one).
    ReadOnly,
}

/// Why a client's frame is refused before it reaches the room.
#[derive(Debug, Error)]
pub enum CheckError {
    #[error("malformed message: {0}")]
    Malformed(#[from] ProtocolError),
    #[error("malformed state vector")]
    StateVector,
    #[error("invalid update: {0}")]
    InvalidUpdate(#[from] UpdateError),
    #[error("undecodable update: {0}")]
    UndecodableUpdate(#[source] DecodeError),
}

/// Why the room refuses what a connection sent; the connection must go.
#[derive(Debug, Error)]
pub enum SyncError {
    #[error("update could not be applied: {0}")]
    Update(#[from] yrs::error::UpdateError),
    /// Applied, it would leave state pending that may never integrate: stored, relayed and
    /// sent to every newcomer, for nothing. The client resyncs when it reconnects.
    #[error("update depends on changes the board does not have")]
    MissingDependencies,
    /// Applied, it would give a value the board's layout fixes another shape (at the place
    /// named), and every reader of that value would fail. Nothing of it is applied.
    #[error("update breaks the board's layout at {0}")]
    BreaksLayout(String),
    #[error("awareness update refused: {0}")]
    Awareness(#[from] AwarenessError),
    /// Applied, it would take the board past its ceiling in bytes.
    #[error("the board has reached its size limit")]
    BoardFull,
}

/// Decodes one client frame and checks what can be checked without the board: one well-formed
/// message, a state vector whose counts fit its bytes, an update that `yrs` may safely decode
/// (decoded here, off the room's path), and the rule that only the facilitator writes the board.
/// `frame` is kept whole so an update is stored and relayed without a copy.
pub fn check_client_message(frame: &Bytes, role: &Role, limits: &UpdateLimits) -> Result<Checked, CheckError> {
    let message = decode_client_frame(frame)?;
    let inbound = match message {
        ClientMessage::SyncStep1(state_vector) => {
            check_state_vector(state_vector).map_err(|_| CheckError::StateVector)?;
            let state_vector = StateVector::decode_v1(state_vector).map_err(|_| CheckError::StateVector)?;
            Inbound::SyncStep1(state_vector)
        }
        ClientMessage::SyncStep2(update) | ClientMessage::Update(update) => {
            if update == EMPTY_UPDATE {
                return Ok(Checked::Empty);
            }
            if *role != Role::Facilitator {
                return Ok(Checked::ReadOnly);
            }
            let needs = check_update_v1(update, limits)?;
            let decoded = Update::decode_v1(update).map_err(CheckError::UndecodableUpdate)?;
            let relay = match message {
                // An update frame is relayed as it came: no copy, no re-encoding.
                ClientMessage::Update(_) => frame.clone(),
                _ => encode_update(update).into(),
            };
            Inbound::Update { update: decoded, raw: frame.slice_ref(update), relay, needs }
        }
        ClientMessage::Awareness(update) => Inbound::Awareness(frame.slice_ref(update)),
        ClientMessage::QueryAwareness => Inbound::QueryAwareness,
    };
    Ok(Checked::Forward(inbound))
}

/// A change to the board, to store and then relay once it is durable.
#[derive(Debug, Clone)]
pub struct BoardChange<C> {
    /// The connection it came from, which has it already; none for a change the room made.
    pub from: Option<C>,
    /// The update alone: stored, and merged with a batch's others for relaying.
    pub update: Bytes,
    /// The update as a `[0, 2, update]` frame, for relaying it alone.
    pub frame: Bytes,
}

/// The sync of one room's board and the presence of its connections `C`.
///
/// Every change to the board must come through [`RoomSync::receive`] or [`RoomSync::changed`]:
/// that is how the cached full state learns that it is stale.
#[derive(Debug)]
pub struct RoomSync<C> {
    awareness: RoomAwareness<C>,
    /// The whole board as a SyncStep2 frame, for the clients that arrive with nothing: encoded
    /// once per change of the board rather than once per join, which matters when 500 phones
    /// rejoin at once.
    full_state: Option<Bytes>,
    /// Refuses a facilitator's update that would break the board's layout.
    layout: LayoutGuard,
    /// The ceiling on the board's encoded state, in bytes.
    max_board_bytes: usize,
    /// The board's encoded size when it was last encoded whole, if it has been.
    measured_bytes: Option<usize>,
    /// Bytes of the updates applied since that measure: the board grew by at most this much.
    added_bytes: usize,
}

impl<C: Copy + Eq + Hash> RoomSync<C> {
    /// A room whose presence states may each be up to `max_awareness_bytes` of JSON.
    /// Its board has no ceiling until [`RoomSync::with_max_board_bytes`] gives one.
    pub fn new(max_awareness_bytes: usize) -> Self {
        RoomSync {
            awareness: RoomAwareness::new(max_awareness_bytes),
            full_state: None,
            layout: LayoutGuard::default(),
            max_board_bytes: usize::MAX,
            measured_bytes: None,
            added_bytes: 0,
        }
    }

    /// The same sync, refusing any change that would take the board's encoded state past
    /// `max_board_bytes`.
    #[must_use]
    pub fn with_max_board_bytes(self, max_board_bytes: usize) -> Self {
        RoomSync { max_board_bytes, ..self }
    }

    /// The board's encoded size as a client receives it whole, measured (encoding it only if it
    /// changed since it last was), and its ceiling.
    pub fn board_size(&mut self, board: &Doc) -> BoardSize {
        self.full_state(board);
        let limit = (self.max_board_bytes != usize::MAX).then_some(self.max_board_bytes);
        BoardSize { bytes: self.measured_bytes.unwrap_or_default(), limit }
    }

    /// Starts the handshake with a connection that joined: the board's state vector, so the
    /// client sends what the room lacks, and the presence of everyone already here.
    pub fn join(&self, board: &Doc, conn: C, out: &mut Outgoing<C>) {
        let state_vector = board.transact().state_vector().encode_v1();
        out.push((Target::One(conn), encode_sync_step1(&state_vector).into()));
        if let Some(states) = self.awareness.encode_all() {
            out.push((Target::One(conn), encode_awareness(&states).into()));
        }
    }

    /// Handles a message from a connection. Answers are queued in `out`; a change to the board
    /// is returned, to store and relay. An error means the connection must go; its update may
    /// have changed part of the board all the same.
    pub fn receive(
        &mut self,
        board: &Doc,
        conn: C,
        inbound: Inbound,
        out: &mut Outgoing<C>,
    ) -> Result<Option<BoardChange<C>>, SyncError> {
        match inbound {
            Inbound::SyncStep1(state_vector) if state_vector == StateVector::default() => {
                out.push((Target::One(conn), self.full_state(board)));
            }
            Inbound::SyncStep1(state_vector) => {
                let update = board.transact().encode_state_as_update_v1(&state_vector);
                out.push((Target::One(conn), encode_sync_step2(&update).into()));
            }
            Inbound::Update { update, raw, relay, needs } => {
                if !needs.met_by(&board.transact().state_vector()) {
                    return Err(SyncError::MissingDependencies);
                }
                if !self.board_has_room_for(board, raw.len()) {
                    return Err(SyncError::BoardFull);
                }
                if let Some(place) = self.layout.check(board, &raw) {
                    return Err(SyncError::BreaksLayout(place));
                }
                // Even a failed update may have changed part of the board.
                self.full_state = None;
                self.added_bytes += raw.len();
                board.transact_mut().apply_update(update)?;
                return Ok(Some(BoardChange { from: Some(conn), update: raw, frame: relay }));
            }
            Inbound::Awareness(update) => {
                if let Some(accepted) = self.awareness.apply(conn, &update)? {
                    out.push((Target::All, encode_awareness(&accepted).into()));
                }
            }
            Inbound::QueryAwareness => {
                let states = self.awareness.encode_all().unwrap_or_else(|| NO_STATES.to_vec());
                out.push((Target::One(conn), encode_awareness(&states).into()));
            }
        }
        Ok(None)
    }

    /// A change the room made to the board itself (an intent's), for everyone.
    pub fn changed(&mut self, update: Vec<u8>) -> BoardChange<C> {
        self.full_state = None;
        self.layout.follow(&update);
        self.added_bytes += update.len();
        let update = Bytes::from(update);
        BoardChange { from: None, frame: encode_update(&update).into(), update }
    }

    /// Forgets a connection's presence, telling everyone it left if it had one.
    pub fn leave(&mut self, conn: C, out: &mut Outgoing<C>) {
        if let Some(removal) = self.awareness.remove_owner(conn) {
            out.push((Target::All, encode_awareness(&removal).into()));
        }
    }

    /// The whole board as one SyncStep2 frame, encoded only if the board changed since it last
    /// was; encoding it measures the board.
    fn full_state(&mut self, board: &Doc) -> Bytes {
        if let Some(frame) = &self.full_state {
            return frame.clone();
        }
        let state = board.transact().encode_state_as_update_v1(&StateVector::default());
        self.measured_bytes = Some(state.len());
        self.added_bytes = 0;
        let frame = Bytes::from(encode_sync_step2(&state));
        self.full_state = Some(frame.clone());
        frame
    }

    /// Whether `n_bytes` more fit on the board under its ceiling: by the estimate when it is well
    /// below, else by measuring the board again. The room asks before an intent adds to the
    /// board, since a change once applied cannot be taken back.
    pub fn board_has_room_for(&mut self, board: &Doc, n_bytes: usize) -> bool {
        let max = self.max_board_bytes;
        let fits = |measured: usize, added: usize| measured.saturating_add(added).saturating_add(n_bytes) <= max;
        if max == usize::MAX || self.measured_bytes.is_some_and(|measured| fits(measured, self.added_bytes)) {
            return true;
        }
        // The cached state, if any, is the board as it stands (every change drops it), so this
        // encodes, and so measures, only when the board changed since it was last measured.
        self.full_state(board);
        self.measured_bytes.is_some_and(|measured| fits(measured, 0))
    }
}

#[cfg(test)]
mod tests {
    use yrs::{Array, GetString, Text};

    use super::*;
    use crate::awareness::{AwarenessEntry, decode_awareness_update, encode_awareness_update};
    use crate::identity::ParticipantId;

    /// A facilitator's frame for `text` appended by a client of its own, as checked by its connection.
    fn typed(client_id: u64, text: &str) -> Inbound {
        let doc = Doc::with_client_id(client_id);
        let words = doc.get_or_insert_array("words");
        let update = {
            let mut txn = doc.transact_mut();
            words.push_back(&mut txn, text);
            txn.encode_update_v1()
        };
        forward(encode_update(&update), &Role::Facilitator)
    }

    fn forward(frame: Vec<u8>, role: &Role) -> Inbound {
        match check_client_message(&Bytes::from(frame), role, &UpdateLimits::default()) {
            Ok(Checked::Forward(inbound)) => inbound,
            other => panic!("not forwarded: {other:?}"),
        }
    }

    fn presence(client_id: u64, clock: u64, state: &str) -> Inbound {
        let update = encode_awareness_update([AwarenessEntry { client_id, clock, state }]);
        forward(encode_awareness(&update), &Role::Viewer)
    }

    fn step1(state_vector: &StateVector) -> Inbound {
        Inbound::SyncStep1(state_vector.clone())
    }

    fn words(doc: &Doc) -> Vec<String> {
        let words = doc.get_or_insert_array("words");
        let txn = doc.transact();
        words.iter(&txn).map(|value| value.to_string(&txn)).collect()
    }

    /// What a frame says, decoded as a client would.
    #[derive(Debug, PartialEq)]
    enum Heard {
        StateVector(StateVector),
        /// The words a fresh client has after applying the update.
        Words(Vec<String>),
        Presence(Vec<(u64, String)>),
    }

    fn heard(frame: &[u8]) -> Heard {
        let with = |update: &[u8]| {
            let doc = Doc::new();
            doc.transact_mut().apply_update(Update::decode_v1(update).expect("decodes")).expect("applies");
            Heard::Words(words(&doc))
        };
        match decode_client_frame(frame).expect("a well-formed frame") {
            ClientMessage::SyncStep1(state_vector) => {
                Heard::StateVector(StateVector::decode_v1(state_vector).expect("decodes"))
            }
            ClientMessage::SyncStep2(update) | ClientMessage::Update(update) => with(update),
            ClientMessage::Awareness(update) => {
                let entries = decode_awareness_update(update).expect("decodes");
                let mut states: Vec<_> =
                    entries.iter().map(|entry| (entry.client_id, entry.state.to_owned())).collect();
                states.sort();
                Heard::Presence(states)
            }
            ClientMessage::QueryAwareness => panic!("the server never queries"),
        }
    }

    fn check(out: &Outgoing<u32>, expected: &[(Target<u32>, Heard)]) {
        let actual: Vec<_> = out.iter().map(|(target, frame)| (target.clone(), heard(frame))).collect();
        assert_eq!(actual, expected);
    }

    #[test]
    fn a_joining_connection_gets_the_state_vector_then_the_presence_of_the_others() {
        let board = Doc::new();
        let mut sync = RoomSync::new(1024);
        sync.receive(&board, 1, typed(7, "first"), &mut Vec::new()).expect("applies");
        let mut out = Vec::new();
        sync.join(&board, 2, &mut out);
        check(&out, &[(Target::One(2), Heard::StateVector(board.transact().state_vector()))]);

        sync.receive(&board, 2, presence(20, 1, r#"{"name":"Ann"}"#), &mut Vec::new()).expect("accepted");
        let mut out = Vec::new();
        sync.join(&board, 3, &mut out);
        check(
            &out,
            &[
                (Target::One(3), Heard::StateVector(board.transact().state_vector())),
                (Target::One(3), Heard::Presence(vec![(20, r#"{"name":"Ann"}"#.to_owned())])),
            ],
        );
    }

    #[test]
    fn step1_is_answered_with_what_the_client_lacks() {
        let board = Doc::new();
        let mut sync = RoomSync::new(1024);
        sync.receive(&board, 1, typed(7, "first"), &mut Vec::new()).expect("applies");
        let known = board.transact().state_vector();
        sync.receive(&board, 1, typed(8, "second"), &mut Vec::new()).expect("applies");

        let mut out = Vec::new();
        sync.receive(&board, 2, step1(&StateVector::default()), &mut out).expect("answered");
        sync.receive(&board, 3, step1(&known), &mut out).expect("answered");
        check(
            &out,
            &[
                (Target::One(2), Heard::Words(vec!["first".to_owned(), "second".to_owned()])),
                (Target::One(3), Heard::Words(vec!["second".to_owned()])),
            ],
        );
    }

    #[test]
    fn the_full_state_is_encoded_once_until_the_board_changes() {
        let board = Doc::new();
        let mut sync: RoomSync<u32> = RoomSync::new(1024);
        let full_state = |sync: &mut RoomSync<u32>| {
            let mut out = Vec::new();
            sync.receive(&board, 1, step1(&StateVector::default()), &mut out).expect("answered");
            let [(_, frame)] = <[_; 1]>::try_from(out).expect("one answer");
            frame
        };
        let first = full_state(&mut sync);
        assert_eq!(first.as_ptr(), full_state(&mut sync).as_ptr(), "the cached frame is sent again");

        // A client's change.
        sync.receive(&board, 1, typed(7, "by a client"), &mut Vec::new()).expect("applies");
        let second = full_state(&mut sync);
        assert_eq!(heard(&second), Heard::Words(vec!["by a client".to_owned()]));

        // The room's own change (an intent).
        let update = {
            let words = board.get_or_insert_array("words");
            let mut txn = board.transact_mut();
            words.push_back(&mut txn, "by the room");
            txn.encode_update_v1()
        };
        sync.changed(update);
        assert_eq!(
            heard(&full_state(&mut sync)),
            Heard::Words(vec!["by a client".to_owned(), "by the room".to_owned()])
        );
    }

    #[test]
    fn an_update_is_applied_and_relayed_as_it_came() {
        let board = Doc::new();
        let mut sync = RoomSync::new(1024);
        let inbound = typed(7, "hello");
        let Inbound::Update { relay, .. } = &inbound else { panic!("an update") };
        let relay = relay.clone();
        let mut out = Vec::new();
        let change = sync.receive(&board, 4, inbound, &mut out).expect("applies").expect("a change");
        assert!(out.is_empty(), "nothing is sent before the change is durable");
        assert_eq!(words(&board), ["hello"]);
        assert_eq!(change.from, Some(4));
        assert_eq!(change.frame.as_ptr(), relay.as_ptr(), "relayed without a copy");
        assert_eq!(heard(&change.frame), Heard::Words(vec!["hello".to_owned()]));
        assert_eq!(encode_update(&change.update), change.frame);
    }

    #[test]
    fn a_change_made_by_the_room_is_for_everyone() {
        let mut sync: RoomSync<u32> = RoomSync::new(1024);
        let doc = Doc::with_client_id(5);
        let text = doc.get_or_insert_text("note");
        let update = {
            let mut txn = doc.transact_mut();
            text.insert(&mut txn, 0, "from an intent");
            txn.encode_update_v1()
        };
        let change = sync.changed(update.clone());
        assert_eq!(change.from, None);
        assert_eq!(change.update, update);
        assert_eq!(change.frame, encode_update(&update));
        let board = Doc::new();
        board.transact_mut().apply_update(Update::decode_v1(&change.update).expect("decodes")).expect("applies");
        assert_eq!(board.get_or_insert_text("note").get_string(&board.transact()), "from an intent");
    }

    #[test]
    fn an_update_the_board_cannot_take_is_refused() {
        let board = Doc::new();
        let mut sync = RoomSync::new(1024);
        sync.receive(&board, 1, typed(9, "a"), &mut Vec::new()).expect("applies");
        // A string item (client 1, clock 0) whose parent is given as item (9, 0): a plain value, not a type.
        let frame = encode_update(&[1, 1, 1, 0, 4, 0, 9, 0, 1, b'x', 0]);
        let result = sync.receive(&board, 1, forward(frame, &Role::Facilitator), &mut Vec::new());
        assert!(matches!(result, Err(SyncError::Update(_))), "{result:?}");
        assert_eq!(words(&board), ["a"]);
    }

    #[test]
    fn an_update_that_would_take_the_board_past_its_ceiling_is_refused_and_changes_nothing() {
        let board = Doc::new();
        let mut sync: RoomSync<u32> = RoomSync::new(1024).with_max_board_bytes(300);
        let text = "x".repeat(40);
        let mut n_accepted = 0;
        let refused = loop {
            match sync.receive(&board, 1, typed(100 + n_accepted, &text), &mut Vec::new()) {
                Ok(_) => n_accepted += 1,
                Err(error) => break error,
            }
            assert!(n_accepted < 100, "the ceiling never refused an update");
        };
        assert!(matches!(refused, SyncError::BoardFull), "{refused:?}");
        assert_eq!(words(&board).len() as u64, n_accepted, "the refused update left no trace");
        let size = board.transact().encode_state_as_update_v1(&StateVector::default()).len();
        assert!(size <= 300 && size + text.len() > 300, "{size} bytes: full, and within the ceiling");
        assert!(!sync.board_has_room_for(&board, text.len()) && sync.board_has_room_for(&board, 300 - size));
        assert_eq!(sync.board_size(&board), BoardSize { bytes: size, limit: Some(300) });

        // Without a ceiling nothing is ever measured or refused.
        let mut unbounded: RoomSync<u32> = RoomSync::new(1024);
        sync.receive(&board, 1, step1(&StateVector::default()), &mut Vec::new()).expect("answered");
        unbounded.receive(&board, 1, typed(7, &text), &mut Vec::new()).expect("applies");
        assert!(unbounded.board_has_room_for(&board, usize::MAX));
        let size = board.transact().encode_state_as_update_v1(&StateVector::default()).len();
        assert_eq!(unbounded.board_size(&board), BoardSize { bytes: size, limit: None });
    }

    #[test]
    fn presence_is_echoed_to_everyone_queried_and_removed_when_its_connection_leaves() {
        let board = Doc::new();
        let mut sync = RoomSync::new(64);
        let mut out = Vec::new();
        sync.receive(&board, 1, Inbound::QueryAwareness, &mut out).expect("answered");
        sync.receive(&board, 1, presence(10, 1, "{}"), &mut out).expect("accepted");
        // An echo of someone else's state is not relayed again.
        sync.receive(&board, 2, presence(10, 1, "{}"), &mut out).expect("ignored");
        sync.receive(&board, 2, Inbound::QueryAwareness, &mut out).expect("answered");
        sync.leave(1, &mut out);
        sync.leave(2, &mut out);
        check(
            &out,
            &[
                (Target::One(1), Heard::Presence(vec![])),
                (Target::All, Heard::Presence(vec![(10, "{}".to_owned())])),
                (Target::One(2), Heard::Presence(vec![(10, "{}".to_owned())])),
                (Target::All, Heard::Presence(vec![(10, "null".to_owned())])),
            ],
        );

        let too_large = presence(11, 1, &format!(r#"{{"name":"{}"}}"#, "a".repeat(64)));
        let result = sync.receive(&board, 3, too_large, &mut Vec::new());
        assert!(matches!(result, Err(SyncError::Awareness(AwarenessError::StateTooLarge { .. }))), "{result:?}");
    }

    #[test]
    fn only_the_facilitator_writes_and_only_checked_frames_reach_the_room() {
        let limits = UpdateLimits::default();
        let run = |frame: &[u8], role: &Role| check_client_message(&Bytes::copy_from_slice(frame), role, &limits);
        let participant = Role::Participant(ParticipantId::from_random([1; 16]));
        let Inbound::Update { raw, .. } = typed(1, "x") else { panic!("an update") };
        let update_frame = encode_update(&raw);
        let step2_frame = encode_sync_step2(&raw);

        assert!(matches!(run(&update_frame, &Role::Facilitator), Ok(Checked::Forward(Inbound::Update { .. }))));
        let Ok(Checked::Forward(Inbound::Update { relay, .. })) = run(&step2_frame, &Role::Facilitator) else {
            panic!("a facilitator's SyncStep2 is forwarded")
        };
        assert_eq!(relay, update_frame, "a SyncStep2 is relayed as an update");
        for role in [&participant, &Role::Viewer] {
            assert!(matches!(run(&update_frame, role), Ok(Checked::ReadOnly)));
            assert!(matches!(run(&step2_frame, role), Ok(Checked::ReadOnly)));
        }
        assert!(matches!(run(&encode_update(EMPTY_UPDATE), &participant), Ok(Checked::Empty)));
        assert!(matches!(run(&encode_sync_step1(&[0]), &participant), Ok(Checked::Forward(Inbound::SyncStep1(_)))));
        assert!(matches!(run(&[3], &participant), Ok(Checked::Forward(Inbound::QueryAwareness))));

        assert!(matches!(run(&[9], &Role::Facilitator), Err(CheckError::Malformed(_))));
        assert!(matches!(run(&encode_sync_step1(&[5, 1]), &participant), Err(CheckError::StateVector)));
        assert!(matches!(run(&encode_update(&[1, 1, 1, 0, 8]), &Role::Facilitator), Err(CheckError::InvalidUpdate(_))));
        // A participant's malformed update is dropped unread, like any of its updates.
        assert!(matches!(run(&encode_update(&[1, 1, 1, 0, 8]), &participant), Ok(Checked::ReadOnly)));
    }
}
