//! One live room, as the server holds it: here, how its board is kept in sync with its clients.

pub mod sync;
