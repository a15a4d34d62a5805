//! The integration tests: one binary, each module starting the real server
//! on port 0 with a temporary data directory and talking to it over real sockets.
//!
//! - `analysis`: exports, snapshots, erasure, deletion and retention.
//! - `api`: the HTTP API and its errors.
//! - `board_shape`: a board written in the wrong shape is refused; one damaged in the store answers 409.
//! - `sync`: y-websocket sync, roles, awareness, fan-out, room lifecycle.
//! - `follow_ups`: pledge follow-ups, their contacts, the contact audit trail, and every way a
//!   contact is deleted, proved gone from the data directory.
//! - `helper`: the table hosts' helper key: paper entries, every refusal, rotation.
//! - `intents`: templates, joining, every intent and its rules, moderation, reveal.
//! - `moderation`: notes held for approval off every board, the identifying check, the
//!   moderation list, each lock's snapshot.
//! - `hostile`: malformed, oversized and abusive input; the server survives it.
//! - `counts`: small counts of people hidden on the live board, in reports and programme reports.
//! - `connections`: slow, silent, too many, protocol-breaking and slow-reading connections end cleanly.
//! - `durability`: kill -9 of the real binary loses nothing that was relayed.
//! - `memory`: a board at its size ceiling, and hundreds joining it at once in bounded memory.
//! - `shutdown`: graceful shutdown closes sockets with 1001 and flushes rooms.
//! - `postgres`: the PostgreSQL store against a throwaway cluster: its contract, erasure,
//!   quarantine, kill -9, PostgreSQL crashing and coming back, the stock Yjs client.
//! - `storage`: damaged rows quarantine their room; check, repair, backup; the systemd unit.
//! - `updates`: a room's public page ("You said, we did") and the team's updates on it.
//! - `interop`: the stock JavaScript `yjs` + `y-websocket` client, unchanged.

mod analysis;
mod api;
mod board_shape;
mod browser;
mod connections;
mod counts;
mod durability;
mod follow_ups;
mod helper;
mod hostile;
mod intents;
mod interop;
mod memory;
mod moderation;
mod postgres;
mod shutdown;
mod storage;
mod sync;
mod updates;
