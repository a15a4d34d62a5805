//! Room codes and the credentials that open a room's socket.
//!
//! Credentials are derived from one server secret with HMAC-SHA256, so the
//! server stores none of them and can show a room's facilitator link again
//! at any time:
//! - the facilitator key of a room is `HMAC(secret, "facilitator" ‖ code)`;
//! - the viewer key, for the projector on a public screen, is `HMAC(secret,
//!   "viewer" ‖ code)`: it reads the board and can do nothing else;
//! - the helper key, for table hosts who type in paper cards and ballots, is
//!   `helper.<generation>.<HMAC(secret, "helper" ‖ code ‖ generation)>`: the
//!   room keeps its current generation, so rotating the key (the next
//!   generation) stops the old one at once, while the key itself is still
//!   never stored;
//! - a participant token is `<participant id>.<HMAC(secret, "participant" ‖
//!   code ‖ id)>`: a random pseudonymous id that the phone keeps, bound to
//!   one room, which lets a reconnect be the same participant;
//! - a report ticket is `<expires at>.<HMAC(secret, "report" ‖ code ‖ expires
//!   at)>`: it opens one room's insights report in a browser until it expires,
//!   so the link the console opens carries no lasting credential.
//!
//! Randomness and the time are passed in by the caller; nothing here reads a clock.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use thiserror::Error;

type HmacSha256 = Hmac<Sha256>;

/// Letters and digits that cannot be mistaken for one another when read off a
/// projector or typed on a phone (no 0/O, 1/I/L, U/V).
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTWXYZ23456789";
/// 29^10 ≈ 2^48.6 codes: joining is rate-limited, so guessing one is hopeless.
pub const CODE_LEN: usize = 10;
const PARTICIPANT_ID_BYTES: usize = 16;
/// Truncated MACs keep tokens short; 128 bits is far beyond forgery reach.
const TOKEN_MAC_BYTES: usize = 16;
/// What a helper key starts with: no participant id is this short, so the two never meet.
const HELPER_PREFIX: &str = "helper";

/// Why a room code is not valid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RoomCodeError {
    #[error("a room code has {CODE_LEN} letters and digits")]
    WrongLength,
    #[error("a room code uses only the letters and digits shown on the screen")]
    InvalidCharacter,
}

/// A room's public code: shown on the projector, typed on phones, used in URLs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoomCode(String);

impl RoomCode {
    /// Parses what a person typed: case, spaces and dashes are forgiven.
    pub fn parse(input: &str) -> Result<Self, RoomCodeError> {
        let mut code = String::with_capacity(CODE_LEN);
        for c in input.chars().filter(|c| !matches!(c, ' ' | '-')) {
            if code.len() == CODE_LEN {
                return Err(RoomCodeError::WrongLength);
            }
            let c = c.to_ascii_uppercase();
            if !c.is_ascii() || !CODE_ALPHABET.contains(&(c as u8)) {
                return Err(RoomCodeError::InvalidCharacter);
            }
            code.push(c);
        }
        if code.len() != CODE_LEN {
            return Err(RoomCodeError::WrongLength);
        }
        Ok(RoomCode(code))
    }

    /// Makes a code from caller-provided random bytes (one byte per character).
    pub fn from_random(random: [u8; CODE_LEN]) -> Self {
        // 29 does not divide 256, so the first characters are very slightly more
        // likely; the loss is a fraction of a bit over the whole code.
        let code = random.iter().map(|b| CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()] as char).collect();
        RoomCode(code)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RoomCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A participant's pseudonymous id: random, carries nothing about the person.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ParticipantId([u8; PARTICIPANT_ID_BYTES]);

impl ParticipantId {
    pub fn from_random(random: [u8; PARTICIPANT_ID_BYTES]) -> Self {
        ParticipantId(random)
    }
}

impl fmt::Display for ParticipantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&URL_SAFE_NO_PAD.encode(self.0))
    }
}

impl fmt::Debug for ParticipantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ParticipantId({self})")
    }
}

/// Who is on the other end of a connection, as proven by its credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Holds the room's facilitator key: may write the document.
    Facilitator,
    /// Holds a participant token: reads the document, contributes through intents.
    Participant(ParticipantId),
    /// Holds the viewer key (the projector): reads the document, nothing more.
    Viewer,
    /// Holds a helper key of the given generation: reads the document, enters paper
    /// contributions and ballots. The room says whether that generation is still current.
    Helper { generation: u64 },
}

impl Role {
    pub fn name(&self) -> &'static str {
        match self {
            Role::Facilitator => "facilitator",
            Role::Participant(_) => "participant",
            Role::Viewer => "viewer",
            Role::Helper { .. } => "helper",
        }
    }
}

/// The server's signing secret; never leaves the data directory.
#[derive(Clone)]
pub struct ServerSecret([u8; 32]);

impl fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerSecret(..)")
    }
}

impl ServerSecret {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        ServerSecret(bytes)
    }

    /// The facilitator key of a room.
    pub fn facilitator_key(&self, code: &RoomCode) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(&[b"facilitator", code.as_str().as_bytes()]))
    }

    /// The viewer key of a room: what the projector's address carries.
    pub fn viewer_key(&self, code: &RoomCode) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(&[b"viewer", code.as_str().as_bytes()]))
    }

    /// The helper key of a room's given generation: what the table hosts' link carries.
    pub fn helper_key(&self, code: &RoomCode, generation: u64) -> String {
        let mac = self.mac(&[b"helper", code.as_str().as_bytes(), &generation.to_le_bytes()]);
        format!("{HELPER_PREFIX}.{generation}.{}", URL_SAFE_NO_PAD.encode(&mac[..TOKEN_MAC_BYTES]))
    }

    /// A token for a participant of a room.
    pub fn participant_token(&self, code: &RoomCode, id: ParticipantId) -> String {
        let mac = self.mac(&[b"participant", code.as_str().as_bytes(), &id.0]);
        format!("{id}.{}", URL_SAFE_NO_PAD.encode(&mac[..TOKEN_MAC_BYTES]))
    }

    /// A ticket that opens the room's insights report until `expires_at` (Unix seconds).
    pub fn report_ticket(&self, code: &RoomCode, expires_at: u64) -> String {
        let mac = self.mac(&[b"report", code.as_str().as_bytes(), &expires_at.to_le_bytes()]);
        format!("{expires_at}.{}", URL_SAFE_NO_PAD.encode(&mac[..TOKEN_MAC_BYTES]))
    }

    /// Whether a report ticket is this server's for this room and has not expired at `now`.
    pub fn report_ticket_valid(&self, code: &RoomCode, ticket: &str, now: u64) -> bool {
        let Some((expires_at, _)) = ticket.split_once('.') else { return false };
        let Ok(expires_at) = expires_at.parse::<u64>() else { return false };
        let expected = self.report_ticket(code, expires_at);
        now <= expires_at && bool::from(expected.as_bytes().ct_eq(ticket.as_bytes()))
    }

    /// Who a credential belongs to in this room, if anyone. Comparisons take constant time.
    pub fn authenticate(&self, code: &RoomCode, credential: &str) -> Option<Role> {
        match credential.split_once('.') {
            Some((HELPER_PREFIX, rest)) => {
                let (generation, _) = rest.split_once('.')?;
                let generation: u64 = generation.parse().ok()?;
                // Compared whole, so "+3" or "03" (which parse as 3) are no spelling of generation 3.
                let expected = self.helper_key(code, generation);
                bool::from(expected.as_bytes().ct_eq(credential.as_bytes())).then_some(Role::Helper { generation })
            }
            None => {
                let matches = |expected: String| bool::from(expected.as_bytes().ct_eq(credential.as_bytes()));
                if matches(self.facilitator_key(code)) {
                    Some(Role::Facilitator)
                } else if matches(self.viewer_key(code)) {
                    Some(Role::Viewer)
                } else {
                    None
                }
            }
            Some((id, mac)) => {
                let id: [u8; PARTICIPANT_ID_BYTES] = URL_SAFE_NO_PAD.decode(id).ok()?.try_into().ok()?;
                let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
                let expected = self.mac(&[b"participant", code.as_str().as_bytes(), &id]);
                let valid = mac.len() == TOKEN_MAC_BYTES && bool::from(expected[..TOKEN_MAC_BYTES].ct_eq(&mac));
                valid.then_some(Role::Participant(ParticipantId(id)))
            }
        }
    }

    fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC accepts keys of any length");
        for part in parts {
            // Length-prefixing keeps ("ab","c") and ("a","bc") apart.
            mac.update(&(part.len() as u64).to_le_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> RoomCode {
        RoomCode::parse(s).expect("valid code")
    }

    #[test]
    fn parses_codes_as_people_type_them() {
        for (input, expected) in [
            ("ABCDEFGHJK", Ok("ABCDEFGHJK")),
            ("abcde-fghjk", Ok("ABCDEFGHJK")),
            (" abcde fghjk ", Ok("ABCDEFGHJK")),
            ("ABCDEFGHJ", Err(RoomCodeError::WrongLength)),
            ("ABCDEFGHJKM", Err(RoomCodeError::WrongLength)),
            ("ABCDEFGHJ0", Err(RoomCodeError::InvalidCharacter)),
            ("ABCDEFGHJ/", Err(RoomCodeError::InvalidCharacter)),
            ("ABCDEFGHJÉ", Err(RoomCodeError::InvalidCharacter)),
            ("", Err(RoomCodeError::WrongLength)),
        ] {
            assert_eq!(RoomCode::parse(input).as_ref().map(RoomCode::as_str), expected.as_ref().map(|s| *s), "{input}");
        }
    }

    #[test]
    fn random_codes_parse() {
        let made = RoomCode::from_random([0, 28, 29, 255, 7, 100, 200, 13, 42, 99]);
        assert_eq!(RoomCode::parse(made.as_str()), Ok(made));
    }

    #[test]
    fn credentials_open_only_their_own_room() {
        let secret = ServerSecret::from_bytes([7; 32]);
        let other_secret = ServerSecret::from_bytes([8; 32]);
        let (room, other_room) = (code("ABCDEFGHJK"), code("ABCDEFGHJM"));
        let id = ParticipantId::from_random([3; 16]);
        let token = secret.participant_token(&room, id);
        let key = secret.facilitator_key(&room);
        let viewer = secret.viewer_key(&room);

        assert_eq!(secret.authenticate(&room, &key), Some(Role::Facilitator));
        assert_eq!(secret.authenticate(&room, &viewer), Some(Role::Viewer));
        let helper = secret.helper_key(&room, 3);
        assert_eq!(secret.authenticate(&room, &helper), Some(Role::Helper { generation: 3 }));
        assert_eq!(secret.authenticate(&other_room, &helper), None);
        assert_eq!(other_secret.authenticate(&room, &helper), None);
        // Another generation's number on this generation's signature is no key.
        let (_, mac) = helper.rsplit_once('.').expect("a helper key has three parts");
        for forged in
            [format!("helper.4.{mac}"), format!("helper.+3.{mac}"), format!("helper.03.{mac}"), "helper.3".to_owned()]
        {
            assert_eq!(secret.authenticate(&room, &forged), None, "{forged}");
        }
        assert_eq!(secret.authenticate(&other_room, &viewer), None);
        assert_eq!(secret.authenticate(&room, &token), Some(Role::Participant(id)));
        assert_eq!(secret.authenticate(&other_room, &key), None);
        assert_eq!(secret.authenticate(&other_room, &token), None);
        assert_eq!(other_secret.authenticate(&room, &key), None);
        assert_eq!(other_secret.authenticate(&room, &token), None);
        for forged in ["", ".", "x.y", &token[..token.len() - 1], &format!("{token}A"), &key[1..]] {
            assert_eq!(secret.authenticate(&room, forged), None, "{forged}");
        }
    }

    #[test]
    fn a_report_ticket_opens_its_own_room_until_it_expires() {
        let secret = ServerSecret::from_bytes([7; 32]);
        let (room, other_room) = (code("ABCDEFGHJK"), code("ABCDEFGHJM"));
        let ticket = secret.report_ticket(&room, 1_000);
        assert!(secret.report_ticket_valid(&room, &ticket, 999));
        assert!(secret.report_ticket_valid(&room, &ticket, 1_000));
        assert!(!secret.report_ticket_valid(&room, &ticket, 1_001));
        assert!(!secret.report_ticket_valid(&other_room, &ticket, 999));
        assert!(!ServerSecret::from_bytes([8; 32]).report_ticket_valid(&room, &ticket, 999));
        // Moving the expiry breaks the signature; and a ticket is no credential.
        let (_, mac) = ticket.split_once('.').expect("a ticket has two parts");
        for forged in [format!("2000.{mac}"), String::new(), "1000".to_owned(), "x.y".to_owned()] {
            assert!(!secret.report_ticket_valid(&room, &forged, 999), "{forged}");
        }
        assert_eq!(secret.authenticate(&room, &ticket), None);
    }
}
