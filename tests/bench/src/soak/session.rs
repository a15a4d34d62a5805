//! One soak client's life: join (an HTTP join for a participant, the
//! facilitator key for a writer), open the socket and sync, stay a random
//! while doing what its role does, prove what it wrote reached the server,
//! and leave in one of three ways.
//!
//! A writer proves its writes by asking, just before it leaves, for what the
//! server's board gained since it joined (a SyncStep1 carrying the state
//! vector the server announced at the start): the server answers in order
//! after the writer's updates, so the entries in that answer are the ones
//! the server holds. Only those count as acknowledged, and only those must be
//! on a late joiner's board at the end.

use super::{Ctx, Leave, Role, RoomInfo};
use crate::client::{CLOSE_TIMEOUT, lock, ws_config};
use crate::http;
use crate::target::percent_encode;
use crate::wire::{self, Message};
use anyhow::{Context, Result, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use yrs::{Any, Array, Doc, Number, Transact};

pub type Ws = WebSocketStream<TcpStream>;

/// How long a participant join keeps retrying while the server says 429.
const JOIN_PATIENCE: Duration = Duration::from_secs(30);
/// How long a writer waits for the server's answer that acknowledges its writes.
const ACK_TIMEOUT: Duration = Duration::from_secs(10);
/// Timeout of one intent request.
const INTENT_TIMEOUT: Duration = Duration::from_secs(10);
/// Bytes of each entry's text (marker included), as the bench's default is small.
const ENTRY_PAYLOAD: usize = 64;

/// What one session is: its identity, role, room, how long it stays and how it leaves.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `{slot}-{session}`: unique in the run, and free of `~` (the marker delimiter).
    pub id: String,
    pub room: usize,
    pub role: Role,
    pub leave_at: Instant,
    pub leave: Leave,
    /// Mean seconds between a writer's entries or a participant's intents.
    pub every: Duration,
    pub seed: u64,
}

/// A connected, synced socket and the server's state vector at the sync.
pub struct Synced {
    pub ws: Ws,
    /// The server's SyncStep1 payload (its state vector), when it sent one.
    pub server_sv: Option<Vec<u8>>,
    /// The board as the server sent it in its SyncStep2.
    pub board: Vec<u8>,
}

/// Opens `/sync/{code}` with `credential`, asks for the whole board and
/// returns once the server's SyncStep2 has arrived, within `timeout`.
pub async fn connect(ctx: &Ctx, room: &RoomInfo, credential: &str, timeout: Duration) -> Result<Synced> {
    let attempt = async {
        let url = format!(
            "ws://{}/sync/{}?token={}",
            ctx.api.authority,
            percent_encode(&room.code),
            percent_encode(credential)
        );
        let tcp = TcpStream::connect(ctx.addr).await.context("tcp connect")?;
        tcp.set_nodelay(true)?;
        let (mut ws, _) = tokio_tungstenite::client_async_with_config(url.as_str(), tcp, Some(ws_config()))
            .await
            .context("websocket handshake")?;
        ws.send(WsMessage::binary(wire::encode_sync_step1(&wire::EMPTY_STATE_VECTOR))).await?;
        let mut server_sv = None;
        loop {
            match ws.next().await {
                Some(Ok(WsMessage::Binary(data))) => {
                    ctx.stats.bytes_in.fetch_add(data.len() as u64, Relaxed);
                    match Message::decode(&data) {
                        Ok(Message::SyncStep1(sv)) => {
                            server_sv = Some(sv.to_vec());
                            // A fresh client has nothing the server lacks.
                            ws.send(WsMessage::binary(wire::encode_sync_step2(&wire::EMPTY_UPDATE_V1))).await?;
                        }
                        Ok(Message::SyncStep2(update)) => {
                            return Ok(Synced { board: update.to_vec(), server_sv, ws });
                        }
                        Ok(_) => {}
                        Err(e) => bail!("undecodable frame before sync: {e}"),
                    }
                }
                Some(Ok(WsMessage::Close(frame))) => bail!("closed before sync: {frame:?}"),
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(e).context("before sync"),
                None => bail!("connection ended before sync"),
            }
        }
    };
    tokio::time::timeout(timeout, attempt).await.map_err(|_| anyhow!("no sync within {timeout:?}"))?
}

/// Runs one session to its end; every outcome is counted in `ctx`.
pub async fn run(ctx: Arc<Ctx>, plan: Plan) {
    let room = &ctx.rooms[plan.room];
    ctx.stats.sessions.fetch_add(1, Relaxed);
    let credential = match plan.role {
        Role::Writer => room.facilitator_key.clone(),
        Role::Reader | Role::Contributor => {
            match http::add_participant(&ctx.api, &room.code, ctx.connect_timeout, JOIN_PATIENCE).await {
                Ok((token, _)) => token,
                Err(e) => {
                    ctx.error("join_failed", &format!("{}: {e:#}", plan.id));
                    return;
                }
            }
        }
    };
    let synced = match connect(&ctx, room, &credential, ctx.connect_timeout).await {
        Ok(s) => s,
        Err(e) => {
            ctx.error("connect_failed", &format!("{}: {e:#}", plan.id));
            return;
        }
    };
    ctx.stats.synced.fetch_add(1, Relaxed);
    let now = ctx.connected.fetch_add(1, Relaxed) + 1;
    ctx.stats.peak_connected.fetch_max(now, Relaxed);
    let mut life = Life { ctx: ctx.clone(), plan, credential, ws: synced.ws, rng: 0, written: BTreeSet::new() };
    life.rng = life.plan.seed;
    let server_sv = synced.server_sv.unwrap_or_else(|| wire::EMPTY_STATE_VECTOR.to_vec());
    let stayed = life.stay().await;
    ctx.connected.fetch_sub(1, Relaxed);
    if !stayed {
        return;
    }
    if life.plan.role == Role::Writer && !life.written.is_empty() {
        life.acknowledge(&server_sv).await;
    }
    life.leave().await;
}

/// A session between its sync and its leaving.
struct Life {
    ctx: Arc<Ctx>,
    plan: Plan,
    credential: String,
    ws: Ws,
    rng: u64,
    /// Sequence numbers this writer sent.
    written: BTreeSet<u64>,
}

impl Life {
    /// The next wait between two actions: uniform in [0.5, 1.5) × the mean.
    fn next_wait(&mut self) -> Duration {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        let unit = ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64;
        self.plan.every.mul_f64(0.5 + unit)
    }

    /// Reads everything the server sends until `leave_at`, writing or sending
    /// intents on the way. False when the server ended the connection first.
    async fn stay(&mut self) -> bool {
        let ctx = self.ctx.clone();
        let doc = (self.plan.role == Role::Writer).then(|| Doc::with_client_id((self.rng >> 32).max(1)));
        let acting = self.plan.role != Role::Reader;
        let first = self.next_wait();
        let act = tokio::time::sleep(if acting { first } else { Duration::from_secs(86_400) });
        tokio::pin!(act);
        let leave = tokio::time::sleep_until(self.plan.leave_at.into());
        tokio::pin!(leave);
        let mut seq = 0u64;
        loop {
            tokio::select! {
                () = &mut leave => return true,
                frame = self.ws.next() => match frame {
                    Some(Ok(WsMessage::Binary(data))) => {
                        ctx.stats.bytes_in.fetch_add(data.len() as u64, Relaxed);
                    }
                    Some(Ok(WsMessage::Close(frame))) => {
                        ctx.error("server_closed", &format!("{}: {frame:?}", self.plan.id));
                        return false;
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        ctx.error("ws_error", &format!("{}: {e}", self.plan.id));
                        return false;
                    }
                    None => {
                        ctx.error("server_closed", &format!("{}: stream ended", self.plan.id));
                        return false;
                    }
                },
                () = &mut act => {
                    match &doc {
                        Some(doc) => {
                            let frame = entry_update(doc, &self.plan.id, seq);
                            if let Err(e) = self.ws.send(WsMessage::binary(frame)).await {
                                ctx.error("send_failed", &format!("{}: {e}", self.plan.id));
                                return false;
                            }
                            self.written.insert(seq);
                            ctx.stats.writes.fetch_add(1, Relaxed);
                        }
                        None => self.send_intent(seq).await,
                    }
                    seq += 1;
                    let wait = self.next_wait();
                    act.as_mut().reset((Instant::now() + wait).into());
                }
            }
        }
    }

    /// Adds an idea over HTTP with an idempotency key; an answer 200 with an
    /// id is an acknowledged contribution the export must hold.
    async fn send_intent(&mut self, n: u64) {
        let ctx = &self.ctx;
        let room = &ctx.rooms[self.plan.room];
        let key = format!("soak-{}-{n}", self.plan.id);
        let body = serde_json::json!({ "kind": "add_idea", "activity": super::ACTIVITY, "text": format!("soak idea {key}"), "key": key });
        let path = format!("/api/rooms/{}/intents", percent_encode(&room.code));
        ctx.stats.intents.fetch_add(1, Relaxed);
        match http::post_json(&ctx.api, &path, Some(&self.credential), &body.to_string(), INTENT_TIMEOUT).await {
            Ok(r) if r.status == 200 => {
                let id = serde_json::from_slice::<serde_json::Value>(&r.body)
                    .ok()
                    .and_then(|v| v["id"].as_str().map(str::to_owned));
                match id {
                    Some(id) => {
                        ctx.stats.intents_acked.fetch_add(1, Relaxed);
                        lock(&room.ideas).push(id);
                    }
                    None => {
                        ctx.error("intent_no_id", &format!("{}: {}", self.plan.id, String::from_utf8_lossy(&r.body)))
                    }
                }
            }
            Ok(r) if r.status == 429 => {
                ctx.stats.intents_refused.fetch_add(1, Relaxed);
            }
            Ok(r) => ctx.error("intent_failed", &format!("{}: HTTP {}", self.plan.id, r.status)),
            Err(e) => ctx.error("intent_failed", &format!("{}: {e:#}", self.plan.id)),
        }
    }

    /// Asks what the board gained since the sync and counts which of this
    /// writer's entries the server holds (acknowledged) and which it lacks.
    async fn acknowledge(&mut self, server_sv: &[u8]) {
        let ctx = self.ctx.clone();
        let id = self.plan.id.clone();
        let ask = async {
            self.ws.send(WsMessage::binary(wire::encode_sync_step1(server_sv))).await?;
            loop {
                match self.ws.next().await {
                    Some(Ok(WsMessage::Binary(data))) => {
                        ctx.stats.bytes_in.fetch_add(data.len() as u64, Relaxed);
                        if let Ok(Message::SyncStep2(update)) = Message::decode(&data) {
                            return Ok::<_, anyhow::Error>(seqs_of(update, &id));
                        }
                    }
                    Some(Ok(WsMessage::Close(frame))) => bail!("closed before the answer: {frame:?}"),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => return Err(e.into()),
                    None => bail!("connection ended before the answer"),
                }
            }
        };
        let held = match tokio::time::timeout(ACK_TIMEOUT, ask).await {
            Ok(Ok(held)) => held,
            Ok(Err(e)) => {
                ctx.stats.writes_unacked.fetch_add(self.written.len() as u64, Relaxed);
                ctx.error("ack_failed", &format!("{id}: {e:#}"));
                return;
            }
            Err(_) => {
                ctx.stats.writes_unacked.fetch_add(self.written.len() as u64, Relaxed);
                ctx.error("ack_failed", &format!("{id}: no answer within {ACK_TIMEOUT:?}"));
                return;
            }
        };
        let room = &ctx.rooms[self.plan.room];
        let mut acked = lock(&room.entries);
        for seq in &self.written {
            if held.contains(seq) {
                ctx.stats.writes_acked.fetch_add(1, Relaxed);
                acked.push(format!("{id}~{seq}"));
            } else {
                ctx.stats.writes_missing_at_ack.fetch_add(1, Relaxed);
                ctx.error("write_missing_at_ack", &format!("{id}~{seq}"));
            }
        }
    }

    /// Leaves as planned: a closing handshake, a reset connection, or silence.
    async fn leave(self) {
        let ctx = self.ctx.clone();
        match self.plan.leave {
            Leave::Close => {
                ctx.stats.left_closed.fetch_add(1, Relaxed);
                let mut ws = self.ws;
                let closing = async {
                    if ws.close(None).await.is_ok() {
                        while let Some(Ok(_)) = ws.next().await {}
                    }
                };
                let _ = tokio::time::timeout(CLOSE_TIMEOUT, closing).await;
            }
            Leave::Drop => {
                ctx.stats.left_dropped.fetch_add(1, Relaxed);
                // A zero linger makes the kernel send a reset, as a phone losing
                // its network mid-stream looks to the server at best.
                let _ = self.ws.get_ref().set_zero_linger();
                drop(self.ws);
            }
            Leave::Silent => {
                ctx.stats.left_silent.fetch_add(1, Relaxed);
                // Kept, never read or written again: only the server's liveness
                // check can end it. Dropped when the run ends.
                lock(&ctx.silent).push(self.ws);
            }
        }
    }
}

/// One entry `{w, s, t, p}` at the front of `entries`, as a `[0,2,update]` frame.
fn entry_update(doc: &Doc, writer: &str, seq: u64) -> Vec<u8> {
    let arr = doc.get_or_insert_array(wire::ARRAY_NAME);
    let mark = wire::marker(writer, seq, 0.0);
    let entry: HashMap<String, Any> = HashMap::from([
        ("w".to_owned(), Any::from(writer)),
        ("s".to_owned(), Any::Number(Number::Int(i64::try_from(seq).unwrap_or(i64::MAX)))),
        ("p".to_owned(), Any::from(wire::payload_text(&mark, ENTRY_PAYLOAD))),
    ]);
    let mut txn = doc.transact_mut();
    // At the front, without the room's board: the update then depends only on
    // this writer's own earlier entries, which the server already holds.
    arr.insert(&mut txn, 0, Any::Map(Arc::new(entry)));
    wire::encode_update(&txn.encode_update_v1())
}

/// The sequence numbers of `writer`'s entries found in an update's bytes.
fn seqs_of(update: &[u8], writer: &str) -> BTreeSet<u64> {
    wire::scan_markers(update)
        .filter(|m| m.writer == writer.as_bytes())
        .filter_map(|m| std::str::from_utf8(m.seq).ok()?.parse().ok())
        .collect()
}

/// Every `writer~seq` found in a board's bytes.
pub fn entries_on(board: &[u8]) -> BTreeSet<String> {
    wire::scan_markers(board)
        .map(|m| format!("{}~{}", String::from_utf8_lossy(m.writer), String::from_utf8_lossy(m.seq)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrs::ReadTxn;

    #[test]
    fn entries_are_found_by_writer_and_sequence() {
        let doc = Doc::with_client_id(7);
        for seq in 0..3 {
            assert!(!seqs_of(&entry_update(&doc, "4-2", seq), "4-2").is_empty());
        }
        let board = doc.transact().encode_state_as_update_v1(&yrs::StateVector::default());
        assert_eq!(seqs_of(&board, "4-2"), BTreeSet::from([0, 1, 2]));
        assert!(seqs_of(&board, "4-21").is_empty());
        assert_eq!(entries_on(&board), BTreeSet::from(["4-2~0".to_owned(), "4-2~1".to_owned(), "4-2~2".to_owned()]));
    }
}
