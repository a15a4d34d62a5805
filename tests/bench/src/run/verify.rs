//! After the load: do all replicas of each room agree and hold every entry,
//! and does a client joining afterwards get all of it?

use super::setup::SETUP_PATIENCE;
use super::{Bench, Member};
use crate::client::{self, ClientConfig, Kind};
use crate::http;
use crate::measure::summarize;
use crate::report::{Convergence, LateFailure, LateJoiner, Mismatch};
use crate::target::{percent_encode, room_url};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;
use yrs::{ReadTxn, StateVector, Transact};

impl Bench {
    /// Every full replica of a room has the same state (state vector + delete
    /// set) and content, and every replica, raw readers included, has every
    /// entry written to the room.
    pub(super) fn convergence(&mut self) {
        let mut out = Convergence { rooms: self.rooms.len(), ..Convergence::default() };
        for (r, room) in self.rooms.iter().enumerate() {
            let writes = self.shared.rooms[r].writes.load(Relaxed);
            let live: Vec<&Member> = self.members.iter().filter(|m| m.room == r && m.timings.is_some()).collect();
            if live.is_empty() {
                continue;
            }
            let mut states = Vec::new();
            let mut contents: Vec<Vec<String>> = Vec::new();
            let mut bytes: Vec<Vec<u8>> = Vec::new();
            let mut lens = Vec::new();
            for doc in live.iter().filter_map(|m| m.doc.as_ref()) {
                let (snap, enc) = {
                    let txn = doc.transact();
                    (txn.snapshot(), txn.encode_state_as_update_v1(&StateVector::default()))
                };
                let content = client::entries(doc);
                lens.push(content.len() as u64);
                if !states.contains(&snap) {
                    states.push(snap);
                }
                if !contents.contains(&content) {
                    contents.push(content);
                }
                if !bytes.contains(&enc) {
                    bytes.push(enc);
                }
            }
            out.replicas_checked += lens.len();
            let raws: Vec<u64> = live.iter().filter(|m| m.kind == Kind::Raw).map(|m| m.seen.load(Relaxed)).collect();
            let raw_complete = raws.iter().filter(|&&s| s == writes).count();
            out.raw_readers.checked += raws.len();
            out.raw_readers.complete += raw_complete;
            if states.len() == 1 {
                out.identical_state += 1;
            }
            if contents.len() == 1 {
                out.same_content += 1;
            }
            if bytes.len() == 1 {
                out.identical_bytes += 1;
            }
            let all_full = lens.iter().all(|&l| l == writes);
            if all_full && raw_complete == raws.len() {
                out.complete += 1;
            }
            if (states.len() != 1 || contents.len() != 1 || !all_full || raw_complete != raws.len())
                && out.mismatches.len() < 5
            {
                out.mismatches.push(Mismatch {
                    room: room.name.clone(),
                    distinct_states: states.len(),
                    distinct_contents: contents.len(),
                    writes,
                    min_len: lens.iter().copied().min().unwrap_or(0),
                    max_len: lens.iter().copied().max().unwrap_or(0),
                    raw_incomplete: raws.len() - raw_complete,
                });
            }
        }
        out.converged = out.identical_state == out.rooms && out.same_content == out.rooms;
        self.report.convergence = Some(out);
    }

    /// A new client per room syncs from scratch and must match a replica
    /// that was there all along and hold every entry written.
    pub(super) async fn late_joiners(&mut self) {
        let mut out = LateJoiner::default();
        let mut times = Vec::new();
        let timeout = Duration::from_secs(self.args.connect_timeout);
        for r in 0..self.rooms.len() {
            let Some(reference) = self.members.iter().find(|m| m.room == r && m.timings.is_some() && m.doc.is_some())
            else {
                continue;
            };
            let ref_doc = reference.doc.clone();
            out.rooms_checked += 1;
            let name = self.rooms[r].name.clone();
            let writes = self.shared.rooms[r].writes.load(Relaxed);
            let fail = |error: String| LateFailure { room: name.clone(), error: Some(error), ..LateFailure::default() };
            let url = match &self.api {
                Some(api) => match http::add_participant(api, &name, timeout, SETUP_PATIENCE).await {
                    Ok((token, _)) => format!(
                        "ws://{}/sync/{}?token={}",
                        api.authority,
                        percent_encode(&name),
                        percent_encode(&token)
                    ),
                    Err(e) => {
                        out.failures.push(fail(format!("{e:#}")));
                        continue;
                    }
                },
                None => room_url(&self.args.url, &name),
            };
            let doc = self.new_doc();
            let cfg = ClientConfig {
                id: format!("{name}#late"),
                room: r,
                url,
                addr: self.addr,
                kind: Kind::LateJoiner,
                doc: Some(doc.clone()),
                seen: Arc::new(AtomicU64::new(0)),
                awareness: None,
                connect_timeout: timeout,
                writer: None,
                protocol: self.args.protocol,
                doc_name: name.clone(),
                token: self.args.token.clone(),
                reconnect: None,
                seed: 0,
            };
            match client::connect_and_sync(&cfg, &self.shared).await {
                Ok((conn, t)) => {
                    times.push(t.synced_ms - t.started_ms);
                    let late_sv = doc.transact().state_vector();
                    let late_len = client::entries(&doc).len() as u64;
                    let (ref_sv, ref_len) = match &ref_doc {
                        Some(d) => (d.transact().state_vector(), client::entries(d).len() as u64),
                        None => (StateVector::default(), 0),
                    };
                    if late_sv == ref_sv && late_len == ref_len {
                        out.matching += 1;
                    }
                    if late_len == writes {
                        out.complete += 1;
                    }
                    if (late_sv != ref_sv || late_len != ref_len || late_len != writes) && out.failures.len() < 5 {
                        out.failures.push(LateFailure {
                            room: name.clone(),
                            late_len: Some(late_len),
                            replica_len: Some(ref_len),
                            writes: Some(writes),
                            error: None,
                        });
                    }
                    conn.close().await;
                }
                Err(e) => {
                    if out.failures.len() < 5 {
                        out.failures.push(fail(format!("{e:#}")));
                    }
                }
            }
        }
        out.sync_ms = summarize(&mut times);
        self.report.late_joiner = Some(out);
    }
}
