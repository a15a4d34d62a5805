//! One WebSocket frame from any connection: decoded and checked as the socket task does, then,
//! if it passes, handed to the room's sync as the room task does. Nothing may panic, and a
//! frame that passes the checks must never make the board refuse it in a way that loses state.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use touchpoint_core::identity::{ParticipantId, Role};
use touchpoint_core::room::RoomDocs;
use touchpoint_core::room::sync::{Checked, Outgoing, RoomSync, check_client_message};
use touchpoint_core::update_check::UpdateLimits;

fuzz_target!(|data: &[u8]| {
    let frame = Bytes::copy_from_slice(data);
    let limits = UpdateLimits::default();
    let docs = RoomDocs::default();
    docs.initialise("Fuzzed room", None, None);
    let mut sync: RoomSync<u8> = RoomSync::new(4096);
    let roles = [Role::Facilitator, Role::Participant(ParticipantId::from_random([7; 16])), Role::Viewer];
    for (conn, role) in (0u8..).zip(roles.iter()) {
        let mut out: Outgoing<u8> = Vec::new();
        sync.join(&docs.board, conn, &mut out);
        if let Ok(Checked::Forward(inbound)) = check_client_message(&frame, role, &limits) {
            // A refusal here closes the connection; only a panic is a finding.
            let _ = sync.receive(&docs.board, conn, inbound, &mut out);
        }
        sync.leave(conn, &mut out);
    }
});
