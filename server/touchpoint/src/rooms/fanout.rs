//! How a room's frames reach its members: each through a bounded queue of its
//! own, the board's changes of a batch merged into one frame.
//!
//! A room never waits for a member. A frame is encoded once and the same
//! bytes are queued for every target; a member whose queue is full, in
//! frames or in bytes, is evicted (it reconnects and resyncs) rather than
//! slowing the room or growing its memory, and a member that leaves takes its
//! presence with it, which is delivered in turn. The bytes count because one
//! frame can be the whole board: a joiner that cannot take it is closed, not
//! buffered for.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use touchpoint_core::identity::Role;
use touchpoint_core::protocol::encode_update;
use touchpoint_core::room::sync::{BoardChange, Outgoing, RoomSync, Target};

use super::{ConnId, Eviction};
use crate::metrics::Metrics;

/// A connection in a room, as the room sees it.
#[derive(Debug)]
pub(super) struct Member {
    pub(super) conn: ConnId,
    pub(super) role: Role,
    pub(super) outbound: QueueSender,
    pub(super) eviction: oneshot::Sender<Eviction>,
}

/// The room's end of a member's queue: bounded in frames by the channel, in bytes by the count
/// the two ends share.
#[derive(Debug)]
pub(super) struct QueueSender {
    frames: mpsc::Sender<Bytes>,
    queued: Arc<AtomicUsize>,
    max_bytes: usize,
}

/// The connection's end of its queue: frames to write to the socket, in order.
#[derive(Debug)]
pub struct Outbound {
    frames: mpsc::Receiver<Bytes>,
    queued: Arc<AtomicUsize>,
}

/// A member's queue of at most `max_frames` frames and `max_bytes` bytes (a frame larger than
/// that is taken only into an empty queue, so a board at its ceiling still reaches a joiner).
pub(super) fn queue(max_frames: usize, max_bytes: usize) -> (QueueSender, Outbound) {
    let (frames_tx, frames) = mpsc::channel(max_frames);
    let queued = Arc::new(AtomicUsize::new(0));
    (QueueSender { frames: frames_tx, queued: queued.clone(), max_bytes }, Outbound { frames, queued })
}

impl QueueSender {
    fn try_send(&self, frame: Bytes) -> Result<(), mpsc::error::TrySendError<Bytes>> {
        // Counted before it is sent, so the connection never takes off more than was put on.
        let n_bytes = frame.len();
        let queued = self.queued.fetch_add(n_bytes, Ordering::AcqRel);
        let result = if queued > 0 && queued.saturating_add(n_bytes) > self.max_bytes {
            Err(mpsc::error::TrySendError::Full(frame))
        } else {
            self.frames.try_send(frame)
        };
        if result.is_err() {
            self.queued.fetch_sub(n_bytes, Ordering::AcqRel);
        }
        result
    }
}

impl Outbound {
    /// The next frame; `None` once the room has dropped its end.
    pub async fn recv(&mut self) -> Option<Bytes> {
        let frame = self.frames.recv().await?;
        self.queued.fetch_sub(frame.len(), Ordering::AcqRel);
        Some(frame)
    }

    /// The next frame if one is waiting.
    pub fn try_recv(&mut self) -> Option<Bytes> {
        let frame = self.frames.try_recv().ok()?;
        self.queued.fetch_sub(frame.len(), Ordering::AcqRel);
        Some(frame)
    }
}

/// The connections of one room.
#[derive(Debug, Default)]
pub(super) struct Members {
    members: HashMap<ConnId, Member>,
}

impl Members {
    pub(super) fn len(&self) -> usize {
        self.members.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    pub(super) fn contains(&self, conn: ConnId) -> bool {
        self.members.contains_key(&conn)
    }

    pub(super) fn insert(&mut self, member: Member) {
        self.members.insert(member.conn, member);
    }

    /// Forgets a member (telling it why, if it is evicted) and announces that its presence left.
    pub(super) fn remove(
        &mut self,
        conn: ConnId,
        eviction: Option<Eviction>,
        sync: &mut RoomSync<ConnId>,
        metrics: &Metrics,
        output: &mut Outgoing<ConnId>,
    ) {
        let Some(member) = self.members.remove(&conn) else { return };
        if let Some(eviction) = eviction {
            metrics.evicted(eviction.name());
            let _ = member.eviction.send(eviction);
        }
        sync.leave(conn, output);
    }

    /// Queues each frame for its targets; members that cannot keep up are evicted,
    /// and the removal of their presence is delivered in turn.
    pub(super) fn deliver(&mut self, mut output: Outgoing<ConnId>, sync: &mut RoomSync<ConnId>, metrics: &Metrics) {
        while !output.is_empty() {
            let mut gone: Vec<(ConnId, Option<Eviction>)> = Vec::new();
            for (target, frame) in output.drain(..) {
                let mut send = |member: &Member| {
                    if gone.iter().any(|(conn, _)| *conn == member.conn) {
                        return;
                    }
                    match member.outbound.try_send(frame.clone()) {
                        Ok(()) => {}
                        Err(mpsc::error::TrySendError::Full(_)) => gone.push((member.conn, Some(Eviction::TooSlow))),
                        // The socket task has ended; its Leave is on the way.
                        Err(mpsc::error::TrySendError::Closed(_)) => gone.push((member.conn, None)),
                    }
                };
                match target {
                    Target::One(conn) => self.members.get(&conn).into_iter().for_each(&mut send),
                    Target::Only(conns) => conns.iter().filter_map(|conn| self.members.get(conn)).for_each(&mut send),
                    Target::All => self.members.values().for_each(&mut send),
                    Target::AllExcept(senders) => {
                        self.members.values().filter(|member| !senders.contains(&member.conn)).for_each(&mut send)
                    }
                }
            }
            for (conn, eviction) in gone {
                if eviction.is_some() {
                    tracing::info!(conn, "evicting a connection that cannot keep up");
                }
                self.remove(conn, eviction, sync, metrics, &mut output);
            }
        }
    }

    /// The connections made with a helper key older than `generation`: a rotation closes them.
    pub(super) fn helpers_before(&self, generation: u64) -> Vec<ConnId> {
        let stale = |member: &&Member| matches!(member.role, Role::Helper { generation: g } if g < generation);
        self.members.values().filter(stale).map(|member| member.conn).collect()
    }

    /// Tells every member to leave, at once and without a word to the others: the room is closing.
    pub(super) fn evict_all(&mut self, eviction: Eviction, metrics: &Metrics) {
        for (_, member) in self.members.drain() {
            metrics.evicted(eviction.name());
            let _ = member.eviction.send(eviction);
        }
    }
}

/// The frames that relay a batch's changes to the board. A busy room merges them into one
/// update for everyone who sent none of them: one frame per member, however many changes, so a
/// busy room costs each phone one message to apply and the server one queued frame per member.
/// The senders (facilitators) get the others' changes one by one, never their own back.
/// Also says whether the changes were merged.
pub(super) fn relay(board: Vec<BoardChange<ConnId>>) -> (Outgoing<ConnId>, bool) {
    let single = |change: BoardChange<ConnId>| match change.from {
        Some(conn) => (Target::AllExcept(vec![conn]), change.frame),
        None => (Target::All, change.frame),
    };
    if board.len() < 2 {
        return (board.into_iter().map(single).collect(), false);
    }
    let merged = match yrs::merge_updates_v1(board.iter().map(|change| &change.update)) {
        Ok(merged) => merged,
        Err(error) => {
            // Each of them was applied to the board already, so this is not expected; relaying
            // them one by one is correct anyway.
            tracing::warn!(%error, "could not merge a batch's updates; relaying them one by one");
            return (board.into_iter().map(single).collect(), false);
        }
    };
    let mut senders: Vec<ConnId> = board.iter().filter_map(|change| change.from).collect();
    // A facilitator may have sent several of them, and must get each of the others once.
    senders.sort_unstable();
    senders.dedup();
    let mut frames = vec![(Target::AllExcept(senders.clone()), Bytes::from(encode_update(&merged)))];
    for change in board {
        let others: Vec<ConnId> = senders.iter().copied().filter(|sender| Some(*sender) != change.from).collect();
        if !others.is_empty() {
            frames.push((Target::Only(others), change.frame));
        }
    }
    (frames, true)
}

#[cfg(test)]
mod tests {
    use touchpoint_core::awareness::{AwarenessEntry, decode_awareness_update, encode_awareness_update};
    use touchpoint_core::protocol::{ClientMessage, decode_client_frame};
    use touchpoint_core::room::sync::Inbound;
    use yrs::updates::decoder::Decode;
    use yrs::{Array, Doc, Transact, Update};

    use super::*;

    /// An update appending `text` to a shared array, written by a client of its own.
    fn change(client_id: u64, text: &str, from: Option<ConnId>) -> BoardChange<ConnId> {
        let doc = Doc::with_client_id(client_id);
        let entries = doc.get_or_insert_array("entries");
        let mut txn = doc.transact_mut();
        entries.push_back(&mut txn, text);
        let update = Bytes::from(txn.encode_update_v1());
        BoardChange { from, frame: encode_update(&update).into(), update }
    }

    fn apply(doc: &Doc, frame: &[u8]) {
        let Ok(ClientMessage::Update(update)) = decode_client_frame(frame) else { panic!("not an update frame") };
        let update = Update::decode_v1(update).expect("a valid update");
        doc.transact_mut().apply_update(update).expect("applies");
    }

    fn entries(doc: &Doc) -> Vec<String> {
        let entries = doc.get_or_insert_array("entries");
        let txn = doc.transact();
        let mut all: Vec<String> = entries.iter(&txn).map(|value| value.to_string(&txn)).collect();
        all.sort();
        all
    }

    #[test]
    fn one_change_is_relayed_as_it_came_to_everyone_but_its_sender() {
        let (frames, merged) = relay(vec![change(1, "a", Some(7))]);
        assert!(matches!(frames.as_slice(), [(Target::AllExcept(except), _)] if except == &[7]) && !merged);
        let (frames, merged) = relay(vec![change(1, "a", None)]);
        assert!(matches!(frames.as_slice(), [(Target::All, _)]) && !merged);
    }

    #[test]
    fn a_batch_of_changes_reaches_readers_as_one_update_and_senders_get_only_the_others() {
        let (frames, was_merged) = relay(vec![
            change(1, "a", Some(7)),
            change(2, "b", None),
            change(3, "c", Some(8)),
            change(4, "d", Some(7)),
        ]);
        assert!(was_merged);
        let [(Target::AllExcept(readers_skip), merged), rest @ ..] = frames.as_slice() else {
            panic!("no merged frame")
        };
        assert_eq!(readers_skip, &[7, 8]);
        let reader = Doc::new();
        apply(&reader, merged);
        assert_eq!(entries(&reader), ["a", "b", "c", "d"]);

        // Each sender ends with everything, its own change coming from itself.
        for (sender, own) in [(7, vec![change(1, "a", None), change(4, "d", None)]), (8, vec![change(3, "c", None)])] {
            let doc = Doc::new();
            own.iter().for_each(|change| apply(&doc, &change.frame));
            let n_received = rest
                .iter()
                .filter(|(target, _)| matches!(target, Target::Only(conns) if conns.contains(&sender)))
                .count();
            assert_eq!(n_received, 4 - own.len(), "sender {sender} gets each of the others' changes");
            for (target, frame) in rest {
                let Target::Only(conns) = target else { panic!("a sender's frame goes to senders only") };
                assert!(conns.iter().filter(|conn| **conn == sender).count() <= 1, "a frame twice to {sender}");
                if conns.contains(&sender) {
                    apply(&doc, frame);
                }
            }
            assert_eq!(entries(&doc), ["a", "b", "c", "d"], "sender {sender}");
        }
    }
    /// Writers that see each other's changes late, insert anywhere and delete: a reader that
    /// gets each batch merged ends with the same board as the room, which applied them one by one.
    #[test]
    fn merged_batches_of_concurrent_edits_build_the_same_board() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut random = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let decode = |update: &[u8]| Update::decode_v1(update).expect("a valid update");
        let room = Doc::with_client_id(1);
        let reader = Doc::with_client_id(2);
        let writers: Vec<Doc> = (10..15).map(Doc::with_client_id).collect();
        let mut unseen: Vec<Vec<Vec<u8>>> = vec![Vec::new(); writers.len()];
        for round in 0..300 {
            let mut batch: Vec<(usize, Vec<u8>)> = Vec::new();
            for _ in 0..=random(6) {
                let writer = random(writers.len());
                let n_seen = random(unseen[writer].len() + 1);
                for update in unseen[writer].drain(..n_seen) {
                    writers[writer].transact_mut().apply_update(decode(&update)).expect("applies");
                }
                let entries = writers[writer].get_or_insert_array("entries");
                let mut txn = writers[writer].transact_mut();
                let len = entries.len(&txn);
                entries.insert(&mut txn, random(len as usize + 1) as u32, format!("w{writer}r{round}"));
                if len > 3 && random(4) == 0 {
                    entries.remove(&mut txn, 0);
                }
                batch.push((writer, txn.encode_update_v1()));
            }
            for (from, update) in &batch {
                room.transact_mut().apply_update(decode(update)).expect("applies");
                for (_, inbox) in unseen.iter_mut().enumerate().filter(|(writer, _)| writer != from) {
                    inbox.push(update.clone());
                }
            }
            let changes = batch.into_iter().map(|(writer, update)| {
                let update = Bytes::from(update);
                BoardChange { from: Some(writer as ConnId), frame: encode_update(&update).into(), update }
            });
            let (frames, _) = relay(changes.collect());
            frames
                .iter()
                .filter(|(target, _)| !matches!(target, Target::Only(_)))
                .for_each(|(_, frame)| apply(&reader, frame));
            assert_eq!(in_order(&reader), in_order(&room), "round {round}");
        }
    }

    fn in_order(doc: &Doc) -> Vec<String> {
        let entries = doc.get_or_insert_array("entries");
        let txn = doc.transact();
        entries.iter(&txn).map(|value| value.to_string(&txn)).collect()
    }

    /// A member whose queue holds `capacity` frames and `max_bytes` bytes, with the ends the
    /// connection would hold.
    fn member(conn: ConnId, capacity: usize, max_bytes: usize) -> (Member, Outbound, oneshot::Receiver<Eviction>) {
        let (outbound, frames) = queue(capacity, max_bytes);
        let (eviction, evicted) = oneshot::channel();
        (Member { conn, role: Role::Viewer, outbound, eviction }, frames, evicted)
    }

    #[test]
    fn a_member_whose_queue_is_full_is_evicted_and_its_presence_leaves_the_others() {
        let (metrics, board) = (Metrics::default(), Doc::new());
        let mut sync = RoomSync::new(1024);
        let mut members = Members::default();
        let (slow, mut slow_frames, mut slow_evicted) = member(1, 1, 1024);
        let (quick, mut quick_frames, _quick_evicted) = member(2, 8, 1024);
        members.insert(slow);
        members.insert(quick);
        let presence = encode_awareness_update([AwarenessEntry { client_id: 10, clock: 1, state: "{}" }]);
        sync.receive(&board, 1, Inbound::Awareness(presence.into()), &mut Vec::new()).expect("accepted");

        let frames = vec![(Target::All, Bytes::from_static(b"one")), (Target::All, Bytes::from_static(b"two"))];
        members.deliver(frames, &mut sync, &metrics);

        assert_eq!(slow_evicted.try_recv(), Ok(Eviction::TooSlow));
        assert!(!members.contains(1) && members.contains(2) && members.len() == 1);
        assert_eq!(slow_frames.try_recv(), Some(Bytes::from_static(b"one")));
        let received: Vec<Bytes> = std::iter::from_fn(|| quick_frames.try_recv()).collect();
        let [one, two, removal] = received.as_slice() else { panic!("three frames: {received:?}") };
        assert_eq!((one.as_ref(), two.as_ref()), (&b"one"[..], &b"two"[..]));
        let Ok(ClientMessage::Awareness(removal)) = decode_client_frame(removal) else { panic!("a presence frame") };
        let entries = decode_awareness_update(removal).expect("decodes");
        assert!(matches!(entries.as_slice(), [entry] if entry.client_id == 10 && entry.is_removal()));
    }

    #[test]
    fn a_member_whose_queue_holds_too_many_bytes_is_evicted_though_one_large_frame_fits_an_empty_queue() {
        let (metrics, mut sync) = (Metrics::default(), RoomSync::new(1024));
        let mut members = Members::default();
        let (joiner, mut joiner_frames, mut joiner_evicted) = member(1, 64, 10);
        let (reader, mut reader_frames, mut reader_evicted) = member(2, 64, 10);
        members.insert(joiner);
        members.insert(reader);
        let board = Bytes::from_static(b"the whole board, larger than the queue");

        members.deliver(vec![(Target::One(1), board.clone())], &mut sync, &metrics);
        assert!(members.contains(1), "a frame larger than the bound still fits an empty queue");
        members.deliver(vec![(Target::All, Bytes::from_static(b"12345"))], &mut sync, &metrics);
        assert_eq!(joiner_evicted.try_recv(), Ok(Eviction::TooSlow), "not buffered for");
        assert!(!members.contains(1) && members.contains(2));

        members.deliver(vec![(Target::All, Bytes::from_static(b"6789"))], &mut sync, &metrics);
        assert_eq!(joiner_frames.try_recv().map(|frame| frame.as_ptr()), Some(board.as_ptr()), "shared, not copied");
        assert_eq!(reader_frames.try_recv(), Some(Bytes::from_static(b"12345")));
        assert_eq!(reader_frames.try_recv(), Some(Bytes::from_static(b"6789")));
        assert!(reader_evicted.try_recv().is_err(), "taking frames off makes room again");
        members.deliver(vec![(Target::All, Bytes::from_static(b"0123456789"))], &mut sync, &metrics);
        assert!(members.contains(2));
    }
}
