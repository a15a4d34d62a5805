//! `touchpoint-bench floor`: the kernel's floor, a broadcaster that does only
//! what no y-websocket server can avoid, so a server's figures can be read as
//! a ratio to it.
//!
//! It accepts WebSocket clients on any path (the path names the room), and
//! writes every update a client sends, framed once, to each other member of
//! the room. Nothing else: no document (updates are kept as received, only so
//! a late joiner gets what it missed), no checks, no durability, no presence
//! beyond relaying it. What is left is accepting, reading, and one socket
//! write per delivery, which is where a real server's fan-out spends most of
//! its time (BENCHMARKS.md, "What limits Touchpoint").

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::handshake::server::{Callback, ErrorResponse, Request, Response};
use touchpoint_core::protocol::encode_sync_step2;

use crate::wire::{EMPTY_UPDATE_V1, Message};

#[derive(Debug, Clone, clap::Args)]
pub struct FloorArgs {
    /// Where to listen (loopback).
    #[arg(long, default_value = "127.0.0.1:24199")]
    pub addr: SocketAddr,
}

/// One room: its members' outgoing queues, and every update sent to it (whole frames).
#[derive(Default)]
struct Room {
    members: HashMap<u64, mpsc::UnboundedSender<Bytes>>,
    updates: Vec<Bytes>,
}

type Rooms = Arc<Mutex<HashMap<String, Room>>>;

pub async fn main(args: FloorArgs) -> u8 {
    if !args.addr.ip().is_loopback() {
        eprintln!("error: the floor listens on loopback only, not {}", args.addr);
        return 2;
    }
    let listener = match TcpListener::bind(args.addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on {}: {e}", args.addr);
            return 1;
        }
    };
    eprintln!("floor: listening on {}", args.addr);
    let rooms = Rooms::default();
    let mut next_id = 0u64;
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
        next_id += 1;
        tokio::spawn(serve(stream, next_id, rooms.clone()));
    }
}

fn lock(rooms: &Rooms) -> std::sync::MutexGuard<'_, HashMap<String, Room>> {
    rooms.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Keeps the request's path: the room's name.
struct RoomPath<'a>(&'a mut String);

impl Callback for RoomPath<'_> {
    fn on_request(self, request: &Request, response: Response) -> Result<Response, ErrorResponse> {
        *self.0 = request.uri().path().to_owned();
        Ok(response)
    }
}

/// One client: joins the room its path names, relays what it sends, writes what others send.
async fn serve(stream: TcpStream, id: u64, rooms: Rooms) {
    // As every server measured beside it does: no Nagle delay on small frames.
    let _ = stream.set_nodelay(true);
    let mut path = String::new();
    let Ok(socket) = tokio_tungstenite::accept_hdr_async(stream, RoomPath(&mut path)).await else { return };
    let (mut sink, mut source) = socket.split();
    let (queue, mut outbound) = mpsc::unbounded_channel::<Bytes>();
    lock(&rooms).entry(path.clone()).or_default().members.insert(id, queue.clone());
    let writer = tokio::spawn(async move {
        while let Some(frame) = outbound.recv().await {
            if sink.send(WsMessage::Binary(frame)).await.is_err() {
                break;
            }
        }
    });
    while let Some(Ok(message)) = source.next().await {
        let WsMessage::Binary(frame) = message else { continue };
        match Message::decode(&frame) {
            // What the room has had so far, then an empty SyncStep2: the client is synced.
            Ok(Message::SyncStep1(_)) => {
                let earlier = lock(&rooms).get(&path).map(|room| room.updates.clone()).unwrap_or_default();
                for update in earlier {
                    let _ = queue.send(update);
                }
                let _ = queue.send(Bytes::from(encode_sync_step2(&EMPTY_UPDATE_V1)));
            }
            Ok(message @ (Message::Update(_) | Message::Awareness(_))) => {
                let mut rooms = lock(&rooms);
                let Some(room) = rooms.get_mut(&path) else { continue };
                if matches!(message, Message::Update(_)) {
                    room.updates.push(frame.clone());
                }
                for (member, member_queue) in &room.members {
                    if *member != id {
                        let _ = member_queue.send(frame.clone());
                    }
                }
            }
            _ => {}
        }
    }
    let mut rooms = lock(&rooms);
    if let Some(room) = rooms.get_mut(&path) {
        room.members.remove(&id);
        if room.members.is_empty() {
            rooms.remove(&path);
        }
    }
    drop(rooms);
    writer.abort();
}
