//! The report's sections, in the order the page shows them; each is one file.
//!
//! A section takes the page (for ids, the threshold and whether this is a
//! programme) and the insights, and returns its markup. Sections other
//! than the summary are major: on paper each starts a new page.

mod emotional_maps;
mod feedback;
mod options;
mod participation;
mod path;
mod pledges;
mod summary;
mod triangulation;

#[cfg(test)]
pub(crate) use emotional_maps::MOST_COLUMNS;
pub(crate) use emotional_maps::emotional_maps;
pub(crate) use feedback::event_feedback;
pub(crate) use options::options_for_change;
pub(crate) use participation::who_took_part;
pub(crate) use path::path_boards;
pub(crate) use pledges::pledges;
pub(crate) use summary::summary;
pub(crate) use triangulation::triangulation;
