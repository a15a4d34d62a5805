//! Touchpoint's domain without I/O.
//!
//! This crate owns what can be decided from bytes and values alone: the
//! lib0 encoding ([`lib0`]) and the y-websocket wire format ([`protocol`]),
//! the structural check of Yjs updates before `yrs` decodes them
//! ([`update_check`]), the awareness bookkeeping of a room ([`awareness`]),
//! room codes and signed participant tokens ([`identity`]), and a room's
//! documents with every rule that changes them ([`room`]), and the one rule
//! for which counts of people may be published ([`disclosure`]). It never
//! touches a socket, a file or a clock; randomness and secrets are passed
//! in. Nothing here panics on client input.

pub mod awareness;
pub mod calendar;
pub mod disclosure;
pub mod identity;
pub mod lib0;
pub mod protocol;
pub mod room;
pub mod template;
pub mod update_check;
