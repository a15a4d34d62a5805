//! wip
mod sync;
