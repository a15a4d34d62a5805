//! Touchpoint's after-event analysis: what a room leaves behind once the event is over.
//!
//! The live room (in `touchpoint-core`) keeps a board and a ledger; analysts
//! and commissioners need something else from them. [`dataset`] reads a
//! room's documents into tidy rows once, and everything after works from
//! those rows alone: [`export`] writes them as CSV files, [`insights`]
//! counts what they say (with small counts suppressed), and [`report`] draws
//! the insights as one printable HTML page. Nothing here does I/O or reads a
//! clock, so the same dataset always gives the same files and the same page.

pub mod dataset;
pub mod export;
pub mod insights;
pub mod report;
