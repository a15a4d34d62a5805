//! The y-websocket wire format: the y-protocols messages, in lib0.
//!
//! Every WebSocket frame carries exactly one message, in both directions,
//! because the stock `y-websocket` v3 client decodes only the first message
//! of a frame. Decoding borrows from the frame through [`crate::lib0`]'s
//! reader, which checks every length against the bytes that are actually
//! there, so a hostile length costs nothing. Payloads (state vectors,
//! updates, awareness) are returned raw; their own checks live with their
//! owners.

use thiserror::Error;

use crate::lib0::{Lib0Error, Reader, write_var_bytes, write_var_uint};

/// Top-level message tags (y-protocols `PROTOCOL.md`).
pub const MSG_SYNC: u64 = 0;
pub const MSG_AWARENESS: u64 = 1;
pub const MSG_AUTH: u64 = 2;
pub const MSG_QUERY_AWARENESS: u64 = 3;
/// Sync sub-message tags.
pub const SYNC_STEP1: u64 = 0;
pub const SYNC_STEP2: u64 = 1;
pub const SYNC_UPDATE: u64 = 2;

/// One message received from a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientMessage<'a> {
    /// The client's state vector: it asks for what it is missing.
    SyncStep1(&'a [u8]),
    /// The answer to our state vector: what the client has that we lack.
    SyncStep2(&'a [u8]),
    /// An incremental update made by the client.
    Update(&'a [u8]),
    /// An awareness update (presence, cursors); see [`crate::awareness`].
    Awareness(&'a [u8]),
    /// The client asks for every awareness state we know.
    QueryAwareness,
}

/// Why a frame is not a valid y-websocket message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProtocolError {
    #[error(transparent)]
    Malformed(#[from] Lib0Error),
    #[error("unknown message type {0}")]
    UnknownMessageType(u64),
    #[error("unknown sync message type {0}")]
    UnknownSyncType(u64),
    #[error("auth messages are sent by the server only")]
    AuthFromClient,
}

/// Decodes one client frame; anything but exactly one well-formed message is refused.
pub fn decode_client_frame(frame: &[u8]) -> Result<ClientMessage<'_>, ProtocolError> {
    let mut reader = Reader::new(frame);
    let message = match reader.var_uint()? {
        MSG_SYNC => {
            let sync_type = reader.var_uint()?;
            let payload = reader.var_bytes()?;
            match sync_type {
                SYNC_STEP1 => ClientMessage::SyncStep1(payload),
                SYNC_STEP2 => ClientMessage::SyncStep2(payload),
                SYNC_UPDATE => ClientMessage::Update(payload),
                other => return Err(ProtocolError::UnknownSyncType(other)),
            }
        }
        MSG_AWARENESS => ClientMessage::Awareness(reader.var_bytes()?),
        MSG_QUERY_AWARENESS => ClientMessage::QueryAwareness,
        MSG_AUTH => return Err(ProtocolError::AuthFromClient),
        other => return Err(ProtocolError::UnknownMessageType(other)),
    };
    reader.finish()?;
    Ok(message)
}

/// Checks an encoded state vector (`varUint(n) • n × (client, clock)`) before `yrs` decodes it,
/// so a claimed count larger than the bytes present is refused instead of reserved.
pub fn check_state_vector(bytes: &[u8]) -> Result<(), ProtocolError> {
    let mut reader = Reader::new(bytes);
    let n_clients = reader.var_uint()?;
    // Each entry takes at least two bytes.
    if !reader.can_hold(n_clients, 2) {
        return Err(Lib0Error::Truncated.into());
    }
    for _ in 0..n_clients {
        reader.var_uint()?;
        reader.var_uint()?;
    }
    Ok(reader.finish()?)
}

/// `[0, 0, state_vector]`: asks the peer for what we lack.
pub fn encode_sync_step1(state_vector: &[u8]) -> Vec<u8> {
    encode_sync(SYNC_STEP1, state_vector)
}

/// `[0, 1, update]`: the answer to a peer's state vector.
pub fn encode_sync_step2(update: &[u8]) -> Vec<u8> {
    encode_sync(SYNC_STEP2, update)
}

/// `[0, 2, update]`: an incremental update.
pub fn encode_update(update: &[u8]) -> Vec<u8> {
    encode_sync(SYNC_UPDATE, update)
}

/// `[1, awareness_update]`.
pub fn encode_awareness(awareness_update: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(awareness_update.len() + 6);
    write_var_uint(&mut out, MSG_AWARENESS);
    write_var_bytes(&mut out, awareness_update);
    out
}

fn encode_sync(sync_type: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 8);
    write_var_uint(&mut out, MSG_SYNC);
    write_var_uint(&mut out, sync_type);
    write_var_bytes(&mut out, payload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(frame: &[u8], expected: Result<ClientMessage<'_>, ProtocolError>) {
        assert_eq!(decode_client_frame(frame), expected, "frame {frame:?}");
    }

    #[test]
    fn decodes_each_message_kind() {
        check(&[0, 0, 1, 0], Ok(ClientMessage::SyncStep1(&[0])));
        check(&[0, 1, 2, 0, 0], Ok(ClientMessage::SyncStep2(&[0, 0])));
        check(&[0, 2, 2, 0, 0], Ok(ClientMessage::Update(&[0, 0])));
        check(&[1, 3, 1, 2, 3], Ok(ClientMessage::Awareness(&[1, 2, 3])));
        check(&[3], Ok(ClientMessage::QueryAwareness));
    }

    #[test]
    fn refuses_malformed_frames() {
        check(&[], Err(ProtocolError::Malformed(Lib0Error::Truncated)));
        check(&[0], Err(ProtocolError::Malformed(Lib0Error::Truncated)));
        check(&[0, 0], Err(ProtocolError::Malformed(Lib0Error::Truncated)));
        check(&[0, 0, 5, 1], Err(ProtocolError::Malformed(Lib0Error::Truncated)));
        check(&[0, 3, 0], Err(ProtocolError::UnknownSyncType(3)));
        check(&[2, 0, 0], Err(ProtocolError::AuthFromClient));
        check(&[9], Err(ProtocolError::UnknownMessageType(9)));
        check(&[3, 0], Err(ProtocolError::Malformed(Lib0Error::TrailingBytes)));
        check(&[0, 0, 1, 0, 7], Err(ProtocolError::Malformed(Lib0Error::TrailingBytes)));
        // A length bomb: 2^62 bytes claimed, none present.
        check(
            &[0, 2, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40],
            Err(ProtocolError::Malformed(Lib0Error::Truncated)),
        );
        check(&[0xff; 16], Err(ProtocolError::Malformed(Lib0Error::VarIntOverflow)));
    }

    #[test]
    fn checks_state_vectors() {
        assert_eq!(check_state_vector(&[0]), Ok(()));
        assert_eq!(check_state_vector(&[2, 1, 5, 0x80, 0x01, 3]), Ok(()));
        assert_eq!(check_state_vector(&[]), Err(ProtocolError::Malformed(Lib0Error::Truncated)));
        assert_eq!(
            check_state_vector(&[0xff, 0xff, 0xff, 0xff, 0x0f, 1, 1]),
            Err(ProtocolError::Malformed(Lib0Error::Truncated))
        );
        assert_eq!(check_state_vector(&[1, 1]), Err(ProtocolError::Malformed(Lib0Error::Truncated)));
        assert_eq!(check_state_vector(&[1, 1, 1, 1]), Err(ProtocolError::Malformed(Lib0Error::TrailingBytes)));
    }

    #[test]
    fn encoding_round_trips() {
        let update = vec![7u8; 300];
        assert_eq!(decode_client_frame(&encode_update(&update)), Ok(ClientMessage::Update(&update)));
        assert_eq!(decode_client_frame(&encode_sync_step1(&[1, 2])), Ok(ClientMessage::SyncStep1(&[1, 2])));
        assert_eq!(decode_client_frame(&encode_sync_step2(&[0, 0])), Ok(ClientMessage::SyncStep2(&[0, 0])));
        assert_eq!(decode_client_frame(&encode_awareness(&[0])), Ok(ClientMessage::Awareness(&[0])));
    }
}
