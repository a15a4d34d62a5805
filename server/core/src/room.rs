//! One live room, as the server holds it: its documents, their layout, and every rule that changes them.
//!
//! - [`layout`]: the names of the documents' roots, [`layout::ActivityKind`], collections, stages.
//! - [`contribution`]: cards, ideas, PATH notes, pledges and touchstones, sharing one header.
//! - [`intent`]: what can be asked and why it may be refused; the rules, one file per family.
//! - [`docs`]: [`RoomDocs`], the board and the ledger, and the one way intents change them.
//! - [`identifying`]: whether a text looks like it names or identifies a person.
//! - [`follow_up`]: pledge follow-ups, their contacts, and the trail of who read or deleted them.
//! - [`helper`]: the helper key's generation and what helpers typed in.
//! - [`holds`]: contributions held for the facilitator's approval, and the moderation list.
//! - `participation`: the board's count of who joined, as every phone may see it.
//! - [`view`]: the answers: an intent's [`Outcome`], a participant's view, a vote's results.
//! - [`record`]: the whole room read as typed records, for after-event analysis.
//! - [`public`]: what anyone may read of a room afterwards, from its board alone.
//! - [`sync`]: [`sync::RoomSync`], the y-sync of the board with the room's clients, without a transport.

mod activity;
pub mod contribution;
pub mod docs;
pub mod follow_up;
pub mod helper;
pub mod holds;
pub mod identifying;
pub mod intent;
pub mod layout;
mod participation;
pub mod public;
pub mod record;
pub mod sync;
mod value;
pub mod view;

pub use docs::{Applied, Context, RoomDocs, scrub_board};
pub use view::Outcome;

#[cfg(test)]
mod tests;
