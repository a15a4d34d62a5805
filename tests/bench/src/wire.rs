//! The y-websocket wire format, as far as a load generator needs it.
//!
//! The y-protocols messages (sync step 1/2, update, awareness, auth,
//! query-awareness), tolerant of what other servers send, read with core's
//! lib0 reader and written with the server's own encoders; and the timing
//! markers that writers embed in every entry so that a reader can time an
//! entry with a byte scan instead of decoding the Yjs update.
//!
//! The document layout and marker format mirror the Node load generator
//! (`loadgen.mjs`): a `Y.Array` named `entries` holding maps
//! `{w: writer id, s: seq, t: sent-at ms, p: "~E~w~s~t~xxxx…"}`.

use touchpoint_core::awareness::{AwarenessEntry, encode_awareness_update};
use touchpoint_core::lib0::{Lib0Error, Reader, write_var_string, write_var_uint};
use touchpoint_core::protocol;
// The encoders and tags are the server's own: the bench writes exactly what a client would.
use touchpoint_core::protocol::{
    MSG_AUTH, MSG_AWARENESS, MSG_QUERY_AWARENESS, MSG_SYNC, SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE,
};
pub use touchpoint_core::protocol::{encode_sync_step1, encode_sync_step2, encode_update};

/// Name of the shared array every writer appends to (same as the Node tool).
pub const ARRAY_NAME: &str = "entries";

/// An empty update v1: zero structs, zero delete-set clients. What a client
/// without a document answers to the server's SyncStep1.
pub const EMPTY_UPDATE_V1: [u8; 2] = [0, 0];
/// An empty state vector (zero clients): what a client without a document sends
/// as its SyncStep1, asking for the whole document.
pub const EMPTY_STATE_VECTOR: [u8; 1] = [0];

/// One decoded y-protocols message; payloads borrow from the frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message<'a> {
    /// `[0,0,sv]`: the peer's state vector.
    SyncStep1(&'a [u8]),
    /// `[0,1,update]`: the answer to our SyncStep1; marks the client synced.
    SyncStep2(&'a [u8]),
    /// `[0,2,update]`: an incremental update.
    Update(&'a [u8]),
    /// `[1,awarenessUpdate]`.
    Awareness(&'a [u8]),
    /// `[2,0,reason]`: permission denied.
    AuthDenied(&'a str),
    /// `[2,n,…]` with n != 0 (yrs defines 1 = granted).
    AuthOther(u64),
    /// `[3]`: asks for every known awareness state.
    QueryAwareness,
    /// A sync sub-type we do not know.
    UnknownSync(u64),
    /// Any other top-level tag (custom messages such as y-sweet's 102).
    Unknown(u64),
}

impl<'a> Message<'a> {
    /// Decodes one message from one frame (y-websocket sends one per frame).
    pub fn decode(frame: &'a [u8]) -> Result<Self, Lib0Error> {
        let mut r = Reader::new(frame);
        match r.var_uint()? {
            MSG_SYNC => Self::decode_sync(&mut r),
            MSG_AWARENESS => Ok(Message::Awareness(r.var_bytes()?)),
            MSG_AUTH => match r.var_uint()? {
                0 => Ok(Message::AuthDenied(r.var_string()?)),
                other => Ok(Message::AuthOther(other)),
            },
            MSG_QUERY_AWARENESS => Ok(Message::QueryAwareness),
            other => Ok(Message::Unknown(other)),
        }
    }

    /// The sync sub-message after the `0` tag: `[sub, varByteArray]`.
    fn decode_sync(r: &mut Reader<'a>) -> Result<Self, Lib0Error> {
        match r.var_uint()? {
            SYNC_STEP1 => Ok(Message::SyncStep1(r.var_bytes()?)),
            SYNC_STEP2 => Ok(Message::SyncStep2(r.var_bytes()?)),
            SYNC_UPDATE => Ok(Message::Update(r.var_bytes()?)),
            other => Ok(Message::UnknownSync(other)),
        }
    }
}

/// Which framing the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// y-websocket / y-protocols: `[type][payload]`, the room named by the URL.
    #[default]
    YWebsocket,
    /// Hocuspocus (2.x/3.x): several documents share one socket, so every
    /// frame starts with the document name, `[varString name][type][payload]`;
    /// the server ignores a document until an `Auth/Token` frame for it, and
    /// adds message types of its own (see [`HpMessage`]).
    Hocuspocus,
}

/// Hocuspocus message types beyond the y-protocols ones.
pub const HP_SYNC_REPLY: u64 = 4;
pub const HP_STATELESS: u64 = 5;
pub const HP_BROADCAST_STATELESS: u64 = 6;
pub const HP_CLOSE: u64 = 7;
pub const HP_SYNC_STATUS: u64 = 8;
/// Hocuspocus `Auth` sub-types (not y-protocols' `0 = permission denied`).
pub const HP_AUTH_TOKEN: u64 = 0;
pub const HP_AUTH_DENIED: u64 = 1;
pub const HP_AUTH_OK: u64 = 2;

/// One decoded Hocuspocus frame (after its document name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HpMessage<'a> {
    /// Types 0, 1 and 3 carry y-protocols messages unchanged; type 4
    /// (`SyncReply`) carries a sync message the server sends in answer to
    /// ours (its own SyncStep1), decoded here as the sync message it holds.
    Y(Message<'a>),
    /// `[2, 2, scope]`: authenticated (scope "read-write" or "readonly").
    Authenticated,
    /// `[2, 1, reason]`.
    Denied(&'a str),
    /// `[8, bool]`: the server's acknowledgement of one update we sent.
    SyncStatus,
    /// `[7, reason]`: the server asks the client to close.
    Close(&'a str),
    /// Stateless messages and auth sub-types the bench does not use.
    Ignored(u64),
}

/// `varString(name)`: what starts every Hocuspocus frame for document `name`.
pub fn hocuspocus_prefix(name: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len() + 2);
    write_var_string(&mut out, name);
    out
}

/// `[2, 0, varString(token)]`: the Hocuspocus authentication frame (to be
/// prefixed with the document name like every other).
pub fn encode_hocuspocus_auth(token: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(token.len() + 4);
    write_var_uint(&mut out, MSG_AUTH);
    write_var_uint(&mut out, HP_AUTH_TOKEN);
    write_var_string(&mut out, token);
    out
}

/// Splits a Hocuspocus frame into its document name and message.
pub fn decode_hocuspocus(frame: &[u8]) -> Result<(&str, HpMessage<'_>), Lib0Error> {
    let mut r = Reader::new(frame);
    let name = r.var_string()?;
    let body = r.rest();
    let msg = match r.var_uint()? {
        MSG_SYNC | MSG_AWARENESS | MSG_QUERY_AWARENESS => HpMessage::Y(Message::decode(body)?),
        HP_SYNC_REPLY => HpMessage::Y(Message::decode_sync(&mut r)?),
        MSG_AUTH => match r.var_uint()? {
            HP_AUTH_OK => HpMessage::Authenticated,
            HP_AUTH_DENIED => HpMessage::Denied(r.var_string()?),
            other => HpMessage::Ignored(other),
        },
        HP_SYNC_STATUS => HpMessage::SyncStatus,
        HP_CLOSE => HpMessage::Close(r.var_string().unwrap_or("")),
        t @ (HP_STATELESS | HP_BROADCAST_STATELESS) => HpMessage::Ignored(t),
        other => HpMessage::Y(Message::Unknown(other)),
    };
    Ok((name, msg))
}

/// `[1, varByteArray(n=1 • clientID • clock • varString(json))]`: one awareness
/// entry; `json = "null"` announces that the client went away.
pub fn encode_awareness(client_id: u64, clock: u64, json: &str) -> Vec<u8> {
    let entry = AwarenessEntry { client_id, clock, state: json };
    protocol::encode_awareness(&encode_awareness_update([entry]))
}

/// Start of every timing marker.
pub const MARK: &[u8] = b"~E~";

/// The text that starts every entry's `p` field: `~E~{writer}~{seq}~{sentAtMs}~`.
/// `sent_at_ms` is printed like JavaScript prints a number with at most three
/// decimals (Rust's shortest round-trip `Display` of an f64 agrees with it for
/// these values), so both tools write byte-identical markers.
pub fn marker(writer: &str, seq: u64, sent_at_ms: f64) -> String {
    format!("~E~{writer}~{seq}~{sent_at_ms}~")
}

/// The `p` field: the marker padded with `x` to `payload` bytes (never cut).
pub fn payload_text(marker: &str, payload: usize) -> String {
    let mut p = String::with_capacity(payload.max(marker.len()));
    p.push_str(marker);
    while p.len() < payload {
        p.push('x');
    }
    p
}

/// One marker found in an update.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Marker<'a> {
    pub writer: &'a [u8],
    pub seq: &'a [u8],
    /// `None` when the time field is not a number.
    pub sent_at_ms: Option<f64>,
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let hay_rest = hay.get(from..)?;
    if needle.is_empty() || hay_rest.len() < needle.len() {
        return None;
    }
    // Markers are rare in the bytes and the first byte '~' rarer still, so a
    // first-byte scan beats anything cleverer for ~100-byte updates.
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= hay_rest.len() {
        match hay_rest[i..].iter().position(|&b| b == first) {
            None => return None,
            Some(off) => {
                let at = i + off;
                if hay_rest.get(at..at + needle.len()) == Some(needle) {
                    return Some(from + at);
                }
                i = at + 1;
            }
        }
    }
    None
}

/// Iterates the markers in an update's raw bytes, like the Node raw client's
/// `scanEntries`: find `~E~`, then the next three `~`.
#[derive(Debug)]
pub struct Markers<'a> {
    buf: &'a [u8],
    pos: usize,
}

pub fn scan_markers(buf: &[u8]) -> Markers<'_> {
    Markers { buf, pos: 0 }
}

impl<'a> Iterator for Markers<'a> {
    type Item = Marker<'a>;

    fn next(&mut self) -> Option<Marker<'a>> {
        let i = find(self.buf, MARK, self.pos)?;
        let a1 = i + MARK.len();
        let a2 = find(self.buf, b"~", a1)?;
        let a3 = find(self.buf, b"~", a2 + 1)?;
        let a4 = find(self.buf, b"~", a3 + 1)?;
        self.pos = a4;
        let sent_at_ms = std::str::from_utf8(&self.buf[a3 + 1..a4])
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|v| v.is_finite());
        Some(Marker { writer: &self.buf[a1..a2], seq: &self.buf[a2 + 1..a3], sent_at_ms })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_frames_encode_and_decode() {
        let step1 = encode_sync_step1(&EMPTY_STATE_VECTOR);
        assert_eq!(step1, [0, 0, 1, 0]);
        assert_eq!(Message::decode(&step1), Ok(Message::SyncStep1(&[0])));
        let step2 = encode_sync_step2(&EMPTY_UPDATE_V1);
        assert_eq!(step2, [0, 1, 2, 0, 0]);
        assert_eq!(Message::decode(&step2), Ok(Message::SyncStep2(&[0, 0])));
        let upd = encode_update(&[9; 200]);
        assert_eq!(&upd[..4], &[0, 2, 0xc8, 0x01]);
        assert_eq!(Message::decode(&upd), Ok(Message::Update(&[9; 200][..])));
    }

    #[test]
    fn other_messages_decode() {
        assert_eq!(Message::decode(&[3]), Ok(Message::QueryAwareness));
        assert_eq!(Message::decode(&[1, 2, 7, 8]), Ok(Message::Awareness(&[7, 8])));
        let mut denied = vec![2, 0];
        write_var_string(&mut denied, "read-only");
        assert_eq!(Message::decode(&denied), Ok(Message::AuthDenied("read-only")));
        assert_eq!(Message::decode(&[2, 1]), Ok(Message::AuthOther(1)));
        assert_eq!(Message::decode(&[0x66, 0]), Ok(Message::Unknown(102)));
        assert_eq!(Message::decode(&[0, 9]), Ok(Message::UnknownSync(9)));
        assert_eq!(Message::decode(&[]), Err(Lib0Error::Truncated));
        assert_eq!(Message::decode(&[0, 2, 3, 1]), Err(Lib0Error::Truncated));
    }

    #[test]
    fn hocuspocus_frames() {
        let mut pre = hocuspocus_prefix("doc-1");
        assert_eq!(pre, b"\x05doc-1");
        let mut auth = pre.clone();
        auth.extend(encode_hocuspocus_auth("t"));
        assert_eq!(&auth[6..], [2, 0, 1, b't']);
        // Sync, sync reply (the server's SyncStep1), auth ok, status, close.
        pre.extend(encode_update(&[7, 7]));
        assert_eq!(decode_hocuspocus(&pre), Ok(("doc-1", HpMessage::Y(Message::Update(&[7, 7])))));
        let reply = [1, b'd', 4, 0, 1, 0];
        assert_eq!(decode_hocuspocus(&reply), Ok(("d", HpMessage::Y(Message::SyncStep1(&[0])))));
        let mut ok = vec![1, b'd', 2, 2];
        write_var_string(&mut ok, "read-write");
        assert_eq!(decode_hocuspocus(&ok), Ok(("d", HpMessage::Authenticated)));
        let mut denied = vec![1, b'd', 2, 1];
        write_var_string(&mut denied, "nope");
        assert_eq!(decode_hocuspocus(&denied), Ok(("d", HpMessage::Denied("nope"))));
        assert_eq!(decode_hocuspocus(&[1, b'd', 8, 1]), Ok(("d", HpMessage::SyncStatus)));
        assert_eq!(decode_hocuspocus(&[1, b'd', 7, 1, b'x']), Ok(("d", HpMessage::Close("x"))));
        assert_eq!(decode_hocuspocus(&[1, b'd', 3]), Ok(("d", HpMessage::Y(Message::QueryAwareness))));
        assert_eq!(decode_hocuspocus(&[5, b'd']), Err(Lib0Error::Truncated));
    }

    #[test]
    fn awareness_frame_layout() {
        let f = encode_awareness(300, 1, "{}");
        // [1, len=7, n=1, id=300 (2 bytes), clock=1, strlen=2, '{', '}']
        assert_eq!(f, [1, 7, 1, 0xac, 0x02, 1, 2, b'{', b'}']);
        let Ok(Message::Awareness(inner)) = Message::decode(&f) else { panic!("not awareness") };
        let mut r = Reader::new(inner);
        assert_eq!(r.var_uint(), Ok(1));
        assert_eq!(r.var_uint(), Ok(300));
        assert_eq!(r.var_uint(), Ok(1));
        assert_eq!(r.var_string(), Ok("{}"));
    }

    #[test]
    fn marker_text_matches_javascript_formatting() {
        assert_eq!(marker("r-0#3", 7, 1234.5), "~E~r-0#3~7~1234.5~");
        assert_eq!(marker("r-0#3", 0, 1234.0), "~E~r-0#3~0~1234~");
        assert_eq!(marker("a", 1, 0.125), "~E~a~1~0.125~");
        let p = payload_text("~E~a~1~2~", 16);
        assert_eq!(p, "~E~a~1~2~xxxxxxx");
        // A payload shorter than the marker keeps the whole marker.
        assert_eq!(payload_text("~E~a~1~2~", 4), "~E~a~1~2~");
    }

    #[test]
    fn scan_finds_markers_in_raw_bytes() {
        let mut buf = b"\x00\x01junk~~E~".to_vec();
        buf.extend_from_slice(marker("room-1#0", 5, 17.25).as_bytes());
        buf.extend_from_slice(b"xxxx\x77\x10");
        buf.extend_from_slice(marker("room-1#2", 6, 18.0).as_bytes());
        let found: Vec<_> = scan_markers(&buf).collect();
        // The leading "~~E~" is an incomplete marker that swallows bytes up to
        // the next three '~', exactly like the Node scan; writers never emit it.
        assert!(found.iter().any(|m| m.writer == b"room-1#2" && m.sent_at_ms == Some(18.0)));
        let one = marker("w", 1, 2.5);
        let clean: Vec<_> = scan_markers(one.as_bytes()).collect();
        assert_eq!(clean, [Marker { writer: b"w", seq: b"1", sent_at_ms: Some(2.5) }]);
        assert_eq!(scan_markers(b"~E~w~1~").count(), 0);
        assert_eq!(scan_markers(b"~E~w~1~nan~").next().map(|m| m.sent_at_ms), Some(None));
    }

    #[test]
    fn scan_finds_markers_in_a_real_yrs_update() {
        use std::collections::HashMap;
        use std::sync::Arc;
        use yrs::{Any, Array, Doc, Number, Transact};

        let doc = Doc::new();
        let arr = doc.get_or_insert_array(ARRAY_NAME);
        let mut txn = doc.transact_mut();
        for seq in 0..3u64 {
            let t = 100.125 + seq as f64;
            let m = marker("bench-0#1", seq, t);
            let mut map = HashMap::new();
            map.insert("w".to_owned(), Any::from("bench-0#1"));
            map.insert("s".to_owned(), Any::Number(Number::Int(seq as i64)));
            map.insert("t".to_owned(), Any::Number(Number::Float(t)));
            map.insert("p".to_owned(), Any::from(payload_text(&m, 64)));
            arr.push_back(&mut txn, Any::Map(Arc::new(map)));
        }
        let update = txn.encode_update_v1();
        drop(txn);
        let times: Vec<_> = scan_markers(&update).map(|m| m.sent_at_ms).collect();
        assert_eq!(times, [Some(100.125), Some(101.125), Some(102.125)]);
        assert!(scan_markers(&update).all(|m| m.writer == b"bench-0#1"));
    }
}
