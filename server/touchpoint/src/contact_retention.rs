//! Deleting pledge contacts a set period after the date their pledgers asked to be contacted.
//!
//! A contact is kept for one purpose, a follow-up on a date; once that date is
//! `contact_retention_days` in the past, the contact goes, whether or not anyone
//! opened the room since. Each room stores when its next contact falls due
//! (`contact_expiry`, written with the ledger's change), so the sweep, at start
//! and then hourly, wakes only the rooms that have one due.

use std::error::Error;

use touchpoint_core::room::follow_up::FollowUpRequest;

use crate::app::AppState;
use crate::clock::unix_now;

/// Deletes the contacts past their retention period, at start and then hourly, until shutdown.
pub async fn sweep(app: AppState) {
    let retention_secs = app.config.contact_retention().as_secs();
    let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tokio::select! {
            () = app.shutdown.cancelled() => return,
            _ = hourly.tick() => {}
        }
        let due = match app.store.rooms_with_contacts_due(unix_now() as i64).await {
            Ok(due) => due,
            Err(error) => {
                tracing::error!(
                    error = &error as &dyn Error,
                    "could not look for pledge contacts past their retention"
                );
                continue;
            }
        };
        for code in due {
            match app.registry.follow_ups(&code, FollowUpRequest::Expire { retention_secs }).await {
                Ok(_) => tracing::info!(room = %code, "pledge contacts past their retention period were deleted"),
                Err(error) => {
                    let error = &error as &dyn Error;
                    tracing::error!(room = %code, error, "could not delete pledge contacts past their retention period");
                }
            }
        }
    }
}
