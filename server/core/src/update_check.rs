//! A structural check of Yjs update v1 bytes, run before `yrs` decodes them.
//!
//! This module owns the decision whether an update received from a client is
//! safe to hand to `yrs::Update::decode_v1`. That decoder trusts its input in
//! two ways that a hostile client can exploit: it recurses once per nesting
//! level of `Any` values with no bound, so a few hundred kilobytes of nested
//! arrays overflow the stack and abort the process, and it reserves capacity
//! from counts read off the wire, so a five-byte count can ask for gigabytes.
//! Some malformed values also panic it in debug builds and wrap silently in
//! release ones: client ids wider than 53 bits, clocks or delete ranges that
//! run past `u32::MAX`, signed varints longer than 10 bytes.
//!
//! [`check_update_v1`] therefore walks the update exactly as `yrs` 0.28's
//! `DecoderV1` reads it (the client blocks: GC, Skip and items with their
//! origins, parent and content; then the delete set) without building
//! anything. It makes one linear pass and allocates nothing proportional to a
//! claimed length: every count is compared with the bytes that are actually
//! left before it is trusted, `Any` nesting is walked with an explicit stack
//! bounded by [`UpdateLimits::max_depth`], and the total number of structs is
//! bounded by [`UpdateLimits::max_structs`] so that applying an accepted
//! update stays cheap.
//!
//! `yrs` is the reference for the layout, since it decodes the bytes next.
//! But an accepted update is also stored and relayed as it came to `yjs`
//! clients in the browser, so the check refuses what only one of the two can
//! read: unknown bits in a struct's info byte, varints wider than 53 bits,
//! bytes after the delete set, XML hooks (`yjs` writes a name, `yrs` reads
//! none), the type refs only `yrs` knows, and subdocument options that are
//! not a map. It also refuses legacy JSON content: `yrs` 0.28 writes `n`
//! strings for it but reads `n + 1`, so a document holding one can no longer
//! be encoded and decoded again.
//!
//! The walk also notes what the update needs of the document it will be
//! applied to ([`Dependencies`]): where each client's structs start, and the
//! items its origins, parents and deletions name. `yrs` keeps whatever it
//! cannot integrate as pending state, which would be stored, relayed and
//! handed to every newcomer although it can never take effect; the room
//! refuses such an update instead, before applying anything of it.

use std::collections::{BTreeMap, HashMap, HashSet};

use thiserror::Error;
use yrs::{ClientID, StateVector};

use crate::lib0::{Lib0Error, MAX_SAFE_INTEGER, Reader};

/// How much an accepted update may ask of the decoder.
#[derive(Debug, Clone, Copy)]
pub struct UpdateLimits {
    /// Deepest nesting of arrays and maps inside one `Any` or JSON value; a
    /// scalar has depth 0 and `[[1]]` has depth 2.
    pub max_depth: usize,
    /// Most structs (items, GC and Skip ranges) across all clients of one update.
    pub max_structs: usize,
}

impl Default for UpdateLimits {
    fn default() -> Self {
        UpdateLimits { max_depth: 32, max_structs: 100_000 }
    }
}

/// Why an update was refused before decoding.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum UpdateError {
    #[error("update is truncated")]
    Truncated,
    #[error("{what} of {claimed} cannot fit in the {remaining} bytes left")]
    LengthTooLarge { what: &'static str, claimed: u64, remaining: usize },
    #[error("variable-length integer is too long or out of range")]
    VarIntOverflow,
    #[error("client id {0} is wider than 53 bits")]
    ClientIdTooLarge(u64),
    #[error("clock range runs past 2^32")]
    ClockOverflow,
    #[error("nested values are deeper than the limit")]
    TooDeep,
    #[error("update holds more structs than the limit")]
    TooManyStructs,
    #[error("gc or skip struct has zero length")]
    EmptyStruct,
    #[error("unknown content ref {0}")]
    UnknownContent(u8),
    #[error("{0} is not supported")]
    Unsupported(&'static str),
    #[error("unknown type ref {0}")]
    UnknownTypeRef(u8),
    #[error("unknown any tag {0}")]
    UnknownAnyTag(u8),
    #[error("string is not valid utf-8")]
    InvalidUtf8,
    #[error("update has bytes after its delete set")]
    TrailingBytes,
    #[error("client {0} has two lists of structs")]
    RepeatedClient(u64),
}

/// Checks that `bytes` is one complete, well-formed Yjs update v1 within `limits`.
///
/// `Ok` means `yrs::Update::decode_v1` will read the whole input without
/// deep recursion or large reservations; it may still refuse the update (for
/// example an embed whose JSON text does not parse). What it returns says
/// whether a given document integrates all of it.
pub fn check_update_v1(bytes: &[u8], limits: &UpdateLimits) -> Result<Dependencies, UpdateError> {
    walk(bytes, limits).map(|(_, dependencies)| dependencies)
}

/// What an update needs of a document to integrate whole, read off its bytes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Dependencies {
    /// Each client's structs in the order written, as `yrs` integrates them.
    clients: Vec<(ClientID, Vec<Needs>)>,
    /// For each client, the clock a document must reach for every range the update deletes.
    deleted: HashMap<ClientID, u32>,
}

/// One struct of an update: its clocks, and the items it names (origins, or its parent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Needs {
    clock: u32,
    end: u32,
    skip: bool,
    names: Names,
}

/// The items one struct names, as `(client, clock)`: its origins, or its parent.
type Names = [Option<(ClientID, u32)>; 2];

impl Dependencies {
    /// Whether a document whose state is `state` integrates the whole update, leaving nothing
    /// pending and no hole in any client's clocks.
    ///
    /// It integrates as `yrs` does: each client's structs in order, a struct only once the
    /// document holds its client's clocks up to it and every item it names, other clients'
    /// structs integrating meanwhile. A client that waits for an item is woken once when that
    /// item's client passes it, so the work stays in proportion to the structs.
    pub fn met_by(&self, state: &StateVector) -> bool {
        let mut reach: HashMap<ClientID, u32> = HashMap::new();
        let mut at = vec![0; self.clients.len()];
        // For each client, who waits for it to pass which clock.
        let mut waiting: HashMap<ClientID, BTreeMap<u32, Vec<usize>>> = HashMap::new();
        let mut ready: Vec<usize> = (0..self.clients.len()).collect();
        while let Some(n) = ready.pop() {
            let (client, structs) = &self.clients[n];
            while let Some(needs) = structs.get(at[n]) {
                let have = *reach.entry(*client).or_insert_with(|| state.get(client));
                if needs.skip || needs.end <= have {
                    at[n] += 1;
                    continue;
                }
                if needs.clock > have {
                    // Only this client's own structs could fill the gap, and they come later.
                    break;
                }
                let missing = needs
                    .names
                    .iter()
                    .flatten()
                    .copied()
                    .find(|(named, clock)| *clock >= *reach.entry(*named).or_insert_with(|| state.get(named)));
                if let Some((named, clock)) = missing {
                    waiting.entry(named).or_default().entry(clock).or_default().push(n);
                    break;
                }
                reach.insert(*client, needs.end);
                at[n] += 1;
                if let Some(waiters) = waiting.get_mut(client) {
                    while let Some(entry) = waiters.first_entry().filter(|entry| *entry.key() < needs.end) {
                        ready.extend(entry.remove());
                    }
                }
            }
        }
        let held = |client: &ClientID| reach.get(client).copied().unwrap_or_else(|| state.get(client));
        self.clients.iter().zip(&at).all(|((_, structs), &at)| at == structs.len())
            && self.deleted.iter().all(|(client, &end)| end <= held(client))
    }
}

// Struct kinds, as `yrs::block::BLOCK_*` numbers them.
const GC: u8 = 0;
const DELETED: u8 = 1;
const JSON: u8 = 2;
const BINARY: u8 = 3;
const STRING: u8 = 4;
const EMBED: u8 = 5;
const FORMAT: u8 = 6;
const TYPE: u8 = 7;
const ANY: u8 = 8;
const DOC: u8 = 9;
const SKIP: u8 = 10;

// The other bits of a struct's info byte.
const HAS_ORIGIN: u8 = 0b1000_0000;
const HAS_RIGHT_ORIGIN: u8 = 0b0100_0000;
const HAS_PARENT_SUB: u8 = 0b0010_0000;
// `yjs` takes the content ref from the low five bits; `yrs` masks only four
// and would silently accept bit 4, which no encoder sets.
const CONTENT_MASK: u8 = 0b0001_1111;

// Type refs, as `yrs::types::TYPE_REFS_*` numbers them. Both `yrs` and
// `yjs` know 0 to 6; `yrs` alone knows 7 (only with its `weak` feature), 9 and
// 15, and writes none of those three on the wire.
const TYPE_ARRAY: u8 = 0;
const TYPE_MAP: u8 = 1;
const TYPE_TEXT: u8 = 2;
const TYPE_XML_ELEMENT: u8 = 3;
const TYPE_XML_FRAGMENT: u8 = 4;
const TYPE_XML_HOOK: u8 = 5;
const TYPE_XML_TEXT: u8 = 6;

// `Any` tags, as lib0 numbers them.
const ANY_UNDEFINED: u8 = 127;
const ANY_NULL: u8 = 126;
const ANY_INT: u8 = 125;
const ANY_F32: u8 = 124;
const ANY_F64: u8 = 123;
const ANY_BIGINT: u8 = 122;
const ANY_FALSE: u8 = 121;
const ANY_TRUE: u8 = 120;
const ANY_STRING: u8 = 119;
const ANY_MAP: u8 = 118;
const ANY_ARRAY: u8 = 117;
const ANY_BUFFER: u8 = 116;

impl From<Lib0Error> for UpdateError {
    fn from(error: Lib0Error) -> Self {
        match error {
            Lib0Error::Truncated => UpdateError::Truncated,
            Lib0Error::VarIntOverflow => UpdateError::VarIntOverflow,
            Lib0Error::InvalidUtf8 => UpdateError::InvalidUtf8,
            Lib0Error::TrailingBytes => UpdateError::TrailingBytes,
        }
    }
}

/// What a successful walk saw; the tests use it to prove their fixtures
/// exercise each struct kind.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Seen {
    /// Bit `n` is set when a struct with content ref `n` (0 = GC, 10 = Skip) occurred.
    kinds: u16,
    structs: usize,
    delete_ranges: u64,
}

fn walk(bytes: &[u8], limits: &UpdateLimits) -> Result<(Seen, Dependencies), UpdateError> {
    let mut walker = Walker {
        reader: Reader::new(bytes),
        limits,
        seen: Seen::default(),
        dependencies: Dependencies::default(),
        frames: Vec::new(),
    };
    walker.blocks()?;
    walker.delete_set()?;
    let Walker { reader, seen, dependencies, .. } = walker;
    reader.finish()?;
    Ok((seen, dependencies))
}

/// One open array or map while walking an `Any` value.
#[derive(Debug, Clone, Copy)]
struct Frame {
    /// Values still to read in this container.
    remaining: u64,
    /// Map values are each preceded by their key.
    is_map: bool,
}

#[derive(Debug)]
struct Walker<'a, 'l> {
    reader: Reader<'a>,
    limits: &'l UpdateLimits,
    seen: Seen,
    dependencies: Dependencies,
    /// The open containers of the `Any` being walked; reused across values.
    /// It grows one frame per nesting level actually present in the input,
    /// and never past `max_depth`.
    frames: Vec<Frame>,
}

/// The fields of an update as `yrs` reads them: lib0 values with `yrs`'s
/// integer widths, and lengths refused with the field they belong to.
impl<'a> Walker<'a, '_> {
    /// A `varUint` that `yrs` reads as `u32`; it would wrap anything wider.
    fn var_u32(&mut self) -> Result<u32, UpdateError> {
        u32::try_from(self.reader.var_uint()?).map_err(|_| UpdateError::VarIntOverflow)
    }

    /// A client id: `yjs` cannot represent one past 2^53, and `yrs`
    /// debug-asserts it.
    fn client(&mut self) -> Result<u64, UpdateError> {
        let client = self.reader.var_uint()?;
        if client > MAX_SAFE_INTEGER {
            return Err(UpdateError::ClientIdTooLarge(client));
        }
        Ok(client)
    }

    /// An element count, refused unless `claimed` elements of at least
    /// `min_bytes` each fit in what is left.
    fn count(&self, what: &'static str, claimed: u64, min_bytes: usize) -> Result<u64, UpdateError> {
        if !self.reader.can_hold(claimed, min_bytes) {
            return Err(UpdateError::LengthTooLarge { what, claimed, remaining: self.reader.rest().len() });
        }
        Ok(claimed)
    }

    /// A lib0 `varUint8Array`: a `u32` length, then that many bytes.
    fn buf(&mut self, what: &'static str) -> Result<&'a [u8], UpdateError> {
        let claimed = self.var_u32()?;
        let remaining = self.reader.rest().len();
        let len = usize::try_from(claimed).map_err(|_| UpdateError::VarIntOverflow)?;
        if len > remaining {
            return Err(UpdateError::LengthTooLarge { what, claimed: u64::from(claimed), remaining });
        }
        Ok(self.reader.take(len)?)
    }

    /// A lib0 `varString`: a buffer that must be UTF-8.
    fn string(&mut self, what: &'static str) -> Result<&'a str, UpdateError> {
        std::str::from_utf8(self.buf(what)?).map_err(|_| UpdateError::InvalidUtf8)
    }

    /// An ID of an item the update names (an origin or a parent): client, then clock. A
    /// client is at most 53 bits wide, as [`Walker::client`] checked.
    fn id(&mut self) -> Result<(ClientID, u32), UpdateError> {
        let client = self.client()?;
        let clock = self.var_u32()?;
        Ok((ClientID::new(client), clock))
    }
}

impl Walker<'_, '_> {
    /// The client blocks: `n_clients × (n_structs, client, clock, structs…)`.
    fn blocks(&mut self) -> Result<(), UpdateError> {
        let claimed = self.var_u32()?;
        // Struct count, client and clock take a byte each at least.
        let clients = self.count("client count", u64::from(claimed), 3)?;
        let mut written = HashSet::new();
        for _ in 0..clients {
            let claimed = self.var_u32()?;
            // A struct is its info byte plus at least one more.
            let structs = self.count("struct count", u64::from(claimed), 2)?;
            self.seen.structs = self.seen.structs.saturating_add(structs as usize);
            if self.seen.structs > self.limits.max_structs {
                return Err(UpdateError::TooManyStructs);
            }
            // No encoder writes a client twice, and the two readers disagree on what it means:
            // `yjs` keeps the last list, `yrs` joins them (found by the fuzzer).
            let client = self.client()?;
            if !written.insert(client) {
                return Err(UpdateError::RepeatedClient(client));
            }
            let client = ClientID::new(client);
            // `yrs` adds each struct's length to a `u32` clock; past `u32::MAX`
            // that panics in debug builds and wraps in release ones.
            let mut clock = self.var_u32()?;
            let mut list = Vec::new();
            for _ in 0..structs {
                let needs = self.structure(clock)?;
                // An empty item takes no clock, and `yrs` drops it.
                if needs.end > clock {
                    list.push(needs);
                }
                clock = needs.end;
            }
            self.dependencies.clients.push((client, list));
        }
        Ok(())
    }

    /// One struct, starting at `clock`: its clock length as `yrs` counts it, whether it is a
    /// Skip, and the items it names.
    fn structure(&mut self, clock: u32) -> Result<Needs, UpdateError> {
        let (len, skip, names) = self.struct_fields()?;
        let end = clock.checked_add(len).ok_or(UpdateError::ClockOverflow)?;
        Ok(Needs { clock, end, skip, names })
    }

    fn struct_fields(&mut self) -> Result<(u32, bool, Names), UpdateError> {
        let info = self.reader.u8()?;
        // `yrs` recognises GC and Skip only by the whole info byte.
        if info == GC || info == SKIP {
            self.seen.kinds |= 1 << info;
            let len = self.var_u32()?;
            if len == 0 {
                return Err(UpdateError::EmptyStruct);
            }
            return Ok((len, info == SKIP, [None, None]));
        }
        let content = info & CONTENT_MASK;
        if !(DELETED..=DOC).contains(&content) {
            return Err(UpdateError::UnknownContent(content));
        }
        self.seen.kinds |= 1 << content;
        let mut names = [None, None];
        if info & HAS_ORIGIN != 0 {
            names[0] = Some(self.id()?);
        }
        if info & HAS_RIGHT_ORIGIN != 0 {
            names[1] = Some(self.id()?);
        }
        // Without origins the parent cannot be inferred, so it is written out:
        // `1` then a root type's name, anything else then the parent item's ID.
        if info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN) == 0 {
            if self.var_u32()? == 1 {
                self.string("root type name")?;
            } else {
                names[0] = Some(self.id()?);
            }
            if info & HAS_PARENT_SUB != 0 {
                self.string("parent key")?;
            }
        }
        Ok((self.content(content)?, false, names))
    }

    /// An item's content; returns its length as `yrs` counts it (UTF-16 code
    /// units for strings, one for single values). A length of zero is legal:
    /// `yrs` drops such items without advancing the clock.
    fn content(&mut self, content: u8) -> Result<u32, UpdateError> {
        match content {
            DELETED => self.var_u32(),
            // Legacy JSON content: a count, then that many JSON strings.
            // `yrs` 0.28 reads one string more than the count but writes the
            // count it holds, so it cannot read back a document holding this
            // content: the state it encodes no longer decodes, and encoding
            // panics while such an item is pending. `yjs` writes `Any`
            // content for JSON values and only carries this kind over from
            // old documents.
            JSON => Err(UpdateError::Unsupported("json content")),
            BINARY => self.buf("binary content").map(|_| 1),
            STRING => {
                let text = self.string("string content")?;
                // At most one code unit per byte, and the length fits in `u32`.
                Ok(text.encode_utf16().count() as u32)
            }
            EMBED => {
                let text = self.string("embed json")?;
                self.json_depth(text)?;
                Ok(1)
            }
            FORMAT => {
                self.string("format key")?;
                let text = self.string("format json")?;
                self.json_depth(text)?;
                Ok(1)
            }
            TYPE => {
                match self.reader.u8()? {
                    TYPE_ARRAY | TYPE_MAP | TYPE_TEXT | TYPE_XML_FRAGMENT | TYPE_XML_TEXT => {}
                    TYPE_XML_ELEMENT => {
                        self.string("xml element name")?;
                    }
                    // `yjs` writes the hook's name after the ref and `yrs`
                    // reads none, so either side misreads the other's.
                    TYPE_XML_HOOK => return Err(UpdateError::Unsupported("xml hook type")),
                    other => return Err(UpdateError::UnknownTypeRef(other)),
                }
                Ok(1)
            }
            ANY => {
                let claimed = self.var_u32()?;
                let values = self.count("any content count", u64::from(claimed), 1)?;
                for _ in 0..values {
                    self.any()?;
                }
                // Fits: it came from a `u32`.
                Ok(values as u32)
            }
            DOC => {
                // A subdocument: its guid, then its options as one `Any`.
                // `yjs` reads fields off the options and throws unless they
                // are an object; `yrs` ignores anything but a map.
                self.string("subdocument guid")?;
                match self.reader.rest().first() {
                    None => return Err(UpdateError::Truncated),
                    Some(&ANY_MAP) => self.any()?,
                    Some(_) => return Err(UpdateError::Unsupported("subdocument options that are not a map")),
                }
                Ok(1)
            }
            other => Err(UpdateError::UnknownContent(other)),
        }
    }

    /// One lib0 `Any` value, walked without recursion: `frames` holds the
    /// open containers, so depth costs heap (bounded by `max_depth`), not stack.
    fn any(&mut self) -> Result<(), UpdateError> {
        self.frames.clear();
        loop {
            match self.reader.u8()? {
                ANY_UNDEFINED | ANY_NULL | ANY_FALSE | ANY_TRUE => {}
                ANY_INT => {
                    // The reader refuses magnitudes past 53 bits, as lib0
                    // does, and ints past 10 bytes, where `yrs` overflows a
                    // shift (a panic in debug builds).
                    self.reader.var_int()?;
                }
                ANY_F32 => {
                    self.reader.take(4)?;
                }
                ANY_F64 | ANY_BIGINT => {
                    self.reader.take(8)?;
                }
                ANY_STRING => {
                    self.string("any string")?;
                }
                ANY_BUFFER => {
                    self.buf("any buffer")?;
                }
                tag @ (ANY_MAP | ANY_ARRAY) => {
                    if self.frames.len() >= self.limits.max_depth {
                        return Err(UpdateError::TooDeep);
                    }
                    let is_map = tag == ANY_MAP;
                    let claimed = self.reader.var_uint()?;
                    // A map entry is a key length and a value tag; an array
                    // element is a tag.
                    let (what, min_bytes) = if is_map { ("any map", 2) } else { ("any array", 1) };
                    let remaining = self.count(what, claimed, min_bytes)?;
                    if remaining > 0 {
                        self.frames.push(Frame { remaining, is_map });
                    }
                }
                tag => return Err(UpdateError::UnknownAnyTag(tag)),
            }
            // Step to the next value: close finished containers, then read the
            // key of the next map entry if there is one.
            loop {
                let Some(frame) = self.frames.last_mut() else {
                    return Ok(());
                };
                if frame.remaining == 0 {
                    self.frames.pop();
                    continue;
                }
                frame.remaining -= 1;
                if frame.is_map {
                    self.string("any map key")?;
                }
                break;
            }
        }
    }

    /// Bounds the nesting of JSON text that `yrs` parses into `Any` (embeds
    /// and format values) by the same `max_depth`. It only counts brackets
    /// outside strings; whether the text parses is left to `yrs`.
    fn json_depth(&self, text: &str) -> Result<(), UpdateError> {
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        for byte in text.bytes() {
            if in_string {
                if escaped {
                    escaped = false;
                } else if byte == b'\\' {
                    escaped = true;
                } else if byte == b'"' {
                    in_string = false;
                }
                continue;
            }
            match byte {
                b'"' => in_string = true,
                b'[' | b'{' => {
                    depth += 1;
                    if depth > self.limits.max_depth {
                        return Err(UpdateError::TooDeep);
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        Ok(())
    }

    /// The delete set: `n_clients × (client, n_ranges, n_ranges × (clock, len))`.
    fn delete_set(&mut self) -> Result<(), UpdateError> {
        let claimed = self.var_u32()?;
        // A client id and a range count take a byte each at least.
        let clients = self.count("delete set client count", u64::from(claimed), 2)?;
        for _ in 0..clients {
            let client = self.client()?;
            let claimed = self.var_u32()?;
            // A clock and a length take a byte each at least.
            let ranges = self.count("delete set range count", u64::from(claimed), 2)?;
            for _ in 0..ranges {
                let clock = self.var_u32()?;
                let len = self.var_u32()?;
                // `yrs` computes `clock + len` in `u32`.
                let end = clock.checked_add(len).ok_or(UpdateError::ClockOverflow)?;
                // `yrs` keeps even an empty range pending unless the document holds its start.
                let needed = self.dependencies.deleted.entry(ClientID::new(client)).or_default();
                *needed = (*needed).max(end.max(clock.saturating_add(1)));
            }
            self.seen.delete_ranges += ranges;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lib0::{write_var_bytes, write_var_uint};
    use std::collections::HashMap;
    use std::sync::Arc;
    use yrs::types::Attrs;
    use yrs::updates::decoder::Decode;
    use yrs::{
        Any, Array, Doc, GetString, Map, MapPrelim, ReadTxn, StateVector, Text, Transact, Update, Xml,
        XmlElementPrelim, XmlFragment, XmlTextPrelim,
    };

    /// Runs the check with default limits, and whenever it accepts, asserts
    /// that `yrs` agrees the bytes decode.
    fn check(name: &str, bytes: &[u8], expected: Result<(), UpdateError>) {
        check_with(name, bytes, &UpdateLimits::default(), expected);
    }

    fn check_with(name: &str, bytes: &[u8], limits: &UpdateLimits, expected: Result<(), UpdateError>) {
        assert_eq!(check_update_v1(bytes, limits).map(|_| ()), expected, "{name}: {bytes:?}");
        if expected.is_ok() {
            assert!(Update::decode_v1(bytes).is_ok(), "{name}: yrs refuses what the check accepts");
        }
    }

    fn kinds(names: &[u8]) -> u16 {
        names.iter().fold(0, |acc, &kind| acc | 1 << kind)
    }

    // --- Encoders for hand-built updates ---

    /// One update holding one item of `info` under the root type "r", then an
    /// empty delete set.
    fn item(info: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![1, 1, 1, 0, info, 1];
        write_var_bytes(&mut out, b"r");
        out.extend_from_slice(content);
        out.push(0);
        out
    }

    /// An item of `Any` content holding the one encoded value `any`.
    fn any_item(any: &[u8]) -> Vec<u8> {
        let mut content = vec![1];
        content.extend_from_slice(any);
        item(ANY, &content)
    }

    /// `depth` arrays of one element each, around a null.
    fn nested_arrays(depth: usize) -> Vec<u8> {
        let mut any = [ANY_ARRAY, 1].repeat(depth);
        any.push(ANY_NULL);
        any
    }

    // --- Updates produced by yrs ---

    fn attrs(key: &str, value: Any) -> Attrs {
        HashMap::from([(Arc::from(key), value)])
    }

    fn text_update() -> Vec<u8> {
        let doc = Doc::with_client_id(1);
        let text = doc.get_or_insert_text("text");
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, 0, "hello world, wörld 🎉");
        text.format(&mut txn, 0, 5, attrs("bold", Any::Bool(true)));
        text.insert_with_attributes(&mut txn, 5, " big", attrs("size", Any::from(24.5)));
        text.insert_embed(&mut txn, 3, Any::from(HashMap::from([("image".to_owned(), Any::from("x.png"))])));
        text.remove_range(&mut txn, 8, 4);
        txn.encode_update_v1()
    }

    fn nested_any() -> Any {
        let inner = HashMap::from([
            ("name".to_owned(), Any::from("ada")),
            ("tags".to_owned(), Any::from(vec![Any::from("a"), Any::Null, Any::Undefined])),
        ]);
        Any::from(vec![Any::from(inner.clone()), Any::from(vec![Any::from(inner)]), Any::from(1.5)])
    }

    fn map_update() -> Vec<u8> {
        let doc = Doc::with_client_id(2);
        let map = doc.get_or_insert_map("map");
        let mut txn = doc.transact_mut();
        map.insert(&mut txn, "nested", nested_any());
        map.insert(&mut txn, "count", 42);
        map.insert(&mut txn, "count", 43);
        map.insert(&mut txn, "child", MapPrelim::from([("x".to_owned(), Any::from(true))]));
        txn.encode_update_v1()
    }

    fn array_update() -> Vec<u8> {
        let doc = Doc::with_client_id(3);
        let array = doc.get_or_insert_array("array");
        let mut txn = doc.transact_mut();
        array.insert_range(
            &mut txn,
            0,
            [
                Any::Null,
                Any::Undefined,
                Any::Bool(false),
                Any::Bool(true),
                Any::from(-7),
                Any::from(1_i64 << 40),
                Any::from((1_i64 << 60) + 1),
                Any::from(0.25),
                Any::from(0.1),
                Any::from("text"),
                Any::from(vec![1_u8, 2, 3]),
                nested_any(),
            ],
        );
        array.remove_range(&mut txn, 1, 2);
        txn.encode_update_v1()
    }

    fn xml_update() -> Vec<u8> {
        let doc = Doc::with_client_id(4);
        let fragment = doc.get_or_insert_xml_fragment("xml");
        let mut txn = doc.transact_mut();
        let paragraph = fragment.insert(&mut txn, 0, XmlElementPrelim::empty("p"));
        paragraph.insert_attribute(&mut txn, "class", "lead");
        let text = paragraph.insert(&mut txn, 0, XmlTextPrelim::new("hi there"));
        text.format(&mut txn, 0, 2, attrs("em", Any::Bool(true)));
        txn.encode_update_v1()
    }

    fn subdoc_update() -> Vec<u8> {
        let doc = Doc::with_client_id(5);
        let map = doc.get_or_insert_map("docs");
        let mut txn = doc.transact_mut();
        map.insert(&mut txn, "sub", Doc::new());
        txn.encode_update_v1()
    }

    /// A deleted map inside an array: its entries are garbage collected.
    fn gc_state() -> Vec<u8> {
        let doc = Doc::with_client_id(6);
        let array = doc.get_or_insert_array("array");
        {
            let mut txn = doc.transact_mut();
            array
                .push_back(&mut txn, MapPrelim::from([("a".to_owned(), Any::from(1)), ("b".to_owned(), Any::from(2))]));
            array.push_back(&mut txn, "kept");
        }
        array.remove(&mut doc.transact_mut(), 0);
        doc.transact().encode_state_as_update_v1(&StateVector::default())
    }

    /// A long editing session by two clients, encoded as one state.
    fn many_edits_state() -> Vec<u8> {
        let alice = Doc::with_client_id(7);
        let bob = Doc::with_client_id(8);
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for round in 0..300_u32 {
            for doc in [&alice, &bob] {
                let text = doc.get_or_insert_text("text");
                let array = doc.get_or_insert_array("array");
                let mut txn = doc.transact_mut();
                let len = text.len(&txn);
                let at = (xorshift(&mut state) % u64::from(len + 1)) as u32;
                match xorshift(&mut state) % 4 {
                    0 if len > 2 => text.remove_range(&mut txn, at.min(len - 2), 2),
                    1 => text.format(&mut txn, 0, len.min(3), attrs("i", Any::from(round))),
                    2 => {
                        array.push_back(&mut txn, Any::from(round));
                    }
                    // Offsets count UTF-8 bytes by default: keep to ASCII.
                    _ => text.insert(&mut txn, at, "ab"),
                }
            }
            let to_bob = alice.transact().encode_state_as_update_v1(&bob.transact().state_vector());
            let to_alice = bob.transact().encode_state_as_update_v1(&alice.transact().state_vector());
            bob.transact_mut()
                .apply_update(Update::decode_v1(&to_bob).expect("yrs decodes its own update"))
                .expect("yrs applies its own update");
            alice
                .transact_mut()
                .apply_update(Update::decode_v1(&to_alice).expect("yrs decodes its own update"))
                .expect("yrs applies its own update");
        }
        assert_eq!(
            alice.get_or_insert_text("text").get_string(&alice.transact()),
            bob.get_or_insert_text("text").get_string(&bob.transact())
        );
        alice.transact().encode_state_as_update_v1(&StateVector::default())
    }

    /// Three incremental updates of one client.
    fn incremental_updates() -> [Vec<u8>; 3] {
        let doc = Doc::with_client_id(9);
        let text = doc.get_or_insert_text("text");
        let edit = |at: u32, s: &str| {
            let mut txn = doc.transact_mut();
            text.insert(&mut txn, at, s);
            txn.encode_update_v1()
        };
        [edit(0, "one "), edit(4, "two "), edit(8, "three")]
    }

    /// Real updates, each with the struct kinds it must contain.
    fn real_updates() -> Vec<(&'static str, Vec<u8>, u16)> {
        let [first, second, third] = incremental_updates();
        let merged = yrs::merge_updates_v1([&first, &second, &third]).expect("yrs merges its own updates");
        // Without the middle update the merge has a gap, written as a Skip.
        let gapped = yrs::merge_updates_v1([&first, &third]).expect("yrs merges its own updates");
        vec![
            ("text", text_update(), kinds(&[STRING, FORMAT, EMBED])),
            ("map", map_update(), kinds(&[ANY, TYPE])),
            ("array", array_update(), kinds(&[ANY])),
            ("xml", xml_update(), kinds(&[TYPE, STRING, ANY, FORMAT])),
            ("subdoc", subdoc_update(), kinds(&[DOC])),
            ("gc", gc_state(), kinds(&[GC, DELETED, ANY])),
            ("many edits", many_edits_state(), kinds(&[STRING, FORMAT, ANY, DELETED])),
            ("first", first, kinds(&[STRING])),
            ("merged", merged, kinds(&[STRING])),
            ("gapped", gapped, kinds(&[STRING, SKIP])),
        ]
    }

    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn accepts_real_updates() {
        for (name, bytes, expected_kinds) in real_updates() {
            check(name, &bytes, Ok(()));
            let (seen, _) = walk(&bytes, &UpdateLimits::default()).expect("checked above");
            assert_eq!(seen.kinds & expected_kinds, expected_kinds, "{name}: kinds seen {:#b}", seen.kinds);
        }
        let (deletes, _) = walk(&text_update(), &UpdateLimits::default()).expect("a real update");
        assert!(deletes.delete_ranges > 0, "the text fixture deletes");
        check("empty update", &[0, 0], Ok(()));
    }

    /// Whether applying `update` to a copy of `doc` leaves anything unintegrated: state `yrs`
    /// keeps pending, or a hole in a client's clocks, which `yrs` 0.28 fills with a Skip to
    /// integrate what follows it (where `yjs` would keep that pending) and then stores, sends
    /// and encodes into every full state.
    fn leaves_pending(doc: &Doc, update: &[u8]) -> bool {
        let copy = Doc::new();
        let state = doc.transact().encode_state_as_update_v1(&StateVector::default());
        let mut txn = copy.transact_mut();
        txn.apply_update(Update::decode_v1(&state).expect("a document's state decodes")).expect("it applies");
        txn.apply_update(Update::decode_v1(update).expect("a real update decodes")).expect("it applies");
        let (seen, _) = walk(&txn.encode_state_as_update_v1(&StateVector::default()), &UpdateLimits::default())
            .expect("a document's state passes the check");
        txn.has_missing_updates() || seen.kinds & (1 << SKIP) != 0
    }

    #[test]
    fn knows_what_an_update_needs_of_the_document() {
        let [first, second, third] = incremental_updates();
        let doc = Doc::new();
        let needs = |update: &[u8]| check_update_v1(update, &UpdateLimits::default()).expect("a real update");
        assert!(needs(&first).met_by(&doc.transact().state_vector()), "the first edit needs nothing");
        assert!(!needs(&second).met_by(&doc.transact().state_vector()), "the second needs the first");
        let gapped = yrs::merge_updates_v1([&first, &third]).expect("yrs merges its own updates");
        assert!(!needs(&gapped).met_by(&doc.transact().state_vector()), "a merge with a gap needs what the gap is");
        doc.transact_mut().apply_update(Update::decode_v1(&first).expect("decodes")).expect("applies");
        assert!(needs(&second).met_by(&doc.transact().state_vector()));
        assert!(!needs(&third).met_by(&doc.transact().state_vector()), "the third needs the second");
        assert!(!needs(&gapped).met_by(&doc.transact().state_vector()), "the gap is still missing");
        // A deletion names the items it deletes, even an empty range (found by the fuzzer).
        for (name, update, met) in [
            ("an empty range of an unknown client", vec![0, 1, 0, 1, 0, 0], false),
            ("a range of an unknown client", vec![0, 1, 5, 1, 0, 2], false),
            ("a range within what the document holds", vec![0, 1, 9, 1, 0, 2], true),
            ("a range past what the document holds", vec![0, 1, 9, 1, 2, 20], false),
        ] {
            assert_eq!(needs(&update).met_by(&doc.transact().state_vector()), met, "{name}");
            assert_eq!(leaves_pending(&doc, &update), !met, "{name}: yrs agrees");
        }
        // Items that name items the update holds but that cannot come first (found by the
        // fuzzer): a map entry whose parent is written after it, and two clients' entries each
        // inside the other's. Each is a map entry `k` holding "x", its parent given by ID.
        let entry_in = |client: u8, clock: u8| [0x28, 0, client, clock, 1, b'k', 1, 119, 1, b'x'];
        let parent_after = [&[1, 2, 5, 0][..], &entry_in(5, 1), &[0x27, 1, 1, b'r', 1, b'm', 1, 0]].concat();
        let each_inside_the_other = [&[2, 1, 5, 0][..], &entry_in(6, 0), &[1, 6, 0], &entry_in(5, 0), &[0]].concat();
        for (name, update, met) in
            [("a parent after its entry", parent_after, false), ("a cycle", each_inside_the_other, false)]
        {
            assert_eq!(needs(&update).met_by(&doc.transact().state_vector()), met, "{name}");
            assert_eq!(leaves_pending(&doc, &update), !met, "{name}: yrs agrees");
        }
    }

    /// Two writers edit text, an array and a map and exchange some of their updates, each a
    /// transaction's own update or a diff against an older state (which carries every deletion);
    /// a third document takes them in a random order. Whatever the order, the check predicts
    /// exactly what is left unintegrated (see `leaves_pending`).
    #[test]
    fn predicts_pending_state_as_yrs_finds_it() {
        let mut rng = 0x5eed_u64;
        for round in 0..20 {
            let writers = [Doc::with_client_id(1), Doc::with_client_id(2)];
            let mut updates: Vec<Vec<u8>> = Vec::new();
            for step in 0..24 {
                let n = (xorshift(&mut rng) % 2) as usize;
                let (doc, other) = (&writers[n], &writers[1 - n]);
                let before = doc.transact().state_vector();
                let text = doc.get_or_insert_text("text");
                let array = doc.get_or_insert_array("array");
                let map = doc.get_or_insert_map("map");
                let mut txn = doc.transact_mut();
                let len = text.len(&txn);
                match xorshift(&mut rng) % 5 {
                    0 if len > 2 => text.remove_range(&mut txn, (xorshift(&mut rng) as u32) % (len - 1), 1),
                    1 if array.len(&txn) > 0 => array.remove(&mut txn, 0),
                    2 => {
                        map.insert(&mut txn, format!("k{}", step % 3), step);
                    }
                    3 => {
                        array.push_back(&mut txn, step);
                    }
                    _ => text.insert(&mut txn, len.min((xorshift(&mut rng) as u32) % 4), "ab"),
                }
                updates.push(txn.encode_update_v1());
                drop(txn);
                if xorshift(&mut rng).is_multiple_of(3) {
                    updates.push(doc.transact().encode_state_as_update_v1(&before));
                }
                if xorshift(&mut rng).is_multiple_of(2) {
                    let sync = doc.transact().encode_state_as_update_v1(&other.transact().state_vector());
                    other.transact_mut().apply_update(Update::decode_v1(&sync).expect("decodes")).expect("applies");
                }
            }
            let reader = Doc::new();
            let mut waiting = updates;
            let mut steps = 0;
            while !waiting.is_empty() && steps < 400 {
                steps += 1;
                let update = waiting.swap_remove((xorshift(&mut rng) as usize) % waiting.len());
                let needs = check_update_v1(&update, &UpdateLimits::default()).expect("a real update");
                let met = needs.met_by(&reader.transact().state_vector());
                assert_eq!(met, !leaves_pending(&reader, &update), "round {round}, step {steps}: {needs:?}");
                if met {
                    let decoded = Update::decode_v1(&update).expect("decodes");
                    reader.transact_mut().apply_update(decoded).expect("applies");
                } else {
                    waiting.push(update);
                }
            }
        }
    }

    #[test]
    fn accepts_hand_built_contents_yrs_decodes() {
        check("binary content", &item(BINARY, &[3, 1, 2, 3]), Ok(()));
        check("deleted content", &item(DELETED, &[5]), Ok(()));
        check("empty string content", &item(STRING, &[0]), Ok(()));
        for type_ref in [TYPE_ARRAY, TYPE_MAP, TYPE_TEXT, TYPE_XML_FRAGMENT, TYPE_XML_TEXT] {
            check("type without a name", &item(TYPE, &[type_ref]), Ok(()));
        }
        let mut element = vec![TYPE_XML_ELEMENT];
        write_var_bytes(&mut element, b"div");
        check("xml element type", &item(TYPE, &element), Ok(()));
        let mut format = Vec::new();
        write_var_bytes(&mut format, b"bold");
        write_var_bytes(&mut format, b"true");
        check("format with parent key", &item(FORMAT | HAS_PARENT_SUB, &[&[1, b'k'][..], &format].concat()), Ok(()));
        let mut parent_by_id = vec![1, 1, 1, 0, STRING, 0, 9, 4];
        write_var_bytes(&mut parent_by_id, b"x");
        parent_by_id.push(0);
        check("parent given by id", &parent_by_id, Ok(()));
        check("skip then gc", &[1, 2, 1, 0, SKIP, 3, GC, 2, 0], Ok(()));
        check(
            "delete set",
            &[0, 2, 1, 2, 0, 3, 10, 1, 0x80, 0x80, 0x80, 0x80, 0x04, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, 0],
            Ok(()),
        );
        let mut bigint = vec![ANY_BIGINT];
        bigint.extend_from_slice(&i64::MIN.to_be_bytes());
        check("bigint", &any_item(&bigint), Ok(()));
        // The largest integer lib0 writes: 2^53 - 1, negative, as a varInt.
        check("max safe int", &any_item(&[ANY_INT, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f]), Ok(()));
        check("non-canonical zero", &any_item(&[ANY_INT, 0x80, 0x80, 0x80, 0]), Ok(()));
        check("max client id", &[1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0, GC, 1, 0], Ok(()));
    }

    #[test]
    fn refuses_json_content_that_yrs_cannot_read_back() {
        // One JSON item; yrs reads the count (0) plus one strings.
        let mut json = vec![0];
        write_var_bytes(&mut json, b"1");
        let bytes = item(JSON, &json);
        check("json content", &bytes, Err(UpdateError::Unsupported("json content")));
        // Why: yrs takes it, but cannot decode the state it then encodes. If
        // this starts to pass, yrs was fixed and the refusal can go.
        let doc = Doc::new();
        let update = Update::decode_v1(&bytes).expect("yrs takes json content");
        doc.transact_mut().apply_update(update).expect("and applies it");
        let state = doc.transact().encode_state_as_update_v1(&StateVector::default());
        assert!(Update::decode_v1(&state).is_err(), "yrs now reads back json content");
    }

    #[test]
    fn refuses_every_strict_prefix() {
        for (name, bytes, _) in real_updates() {
            for end in 0..bytes.len() {
                let result = check_update_v1(&bytes[..end], &UpdateLimits::default());
                assert!(
                    matches!(result, Err(UpdateError::Truncated | UpdateError::LengthTooLarge { .. })),
                    "{name}: prefix of {end} bytes gave {result:?}"
                );
            }
        }
    }

    #[test]
    fn refuses_trailing_bytes() {
        for (name, mut bytes, _) in real_updates() {
            bytes.push(0);
            check(name, &bytes, Err(UpdateError::TrailingBytes));
        }
        check("after empty update", &[0, 0, 0], Err(UpdateError::TrailingBytes));
    }

    #[test]
    fn refuses_length_bombs() {
        let bomb = |what, claimed, remaining| Err(UpdateError::LengthTooLarge { what, claimed, remaining });
        let mut clients = Vec::new();
        write_var_uint(&mut clients, 1 << 31);
        clients.extend_from_slice(&[1, 1, 0, GC, 1, 0]);
        check("client count 2^31", &clients, bomb("client count", 1 << 31, 6));
        // 2^40 does not even fit the u32 that yrs reads the count into.
        let mut clients = Vec::new();
        write_var_uint(&mut clients, 1 << 40);
        check("client count 2^40", &clients, Err(UpdateError::VarIntOverflow));
        check(
            "struct count",
            &[1, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 0, 0],
            bomb("struct count", u64::from(u32::MAX), 3),
        );
        let mut array = vec![ANY_ARRAY];
        write_var_uint(&mut array, 1 << 50);
        check("any array 2^50", &any_item(&array), bomb("any array", 1 << 50, 1));
        let mut map = vec![ANY_MAP];
        write_var_uint(&mut map, 3);
        check("any map", &any_item(&[&map[..], &[1, b'k', ANY_NULL, 0]].concat()), bomb("any map", 3, 5));
        check(
            "string content",
            &item(STRING, &[0xfe, 0xff, 0xff, 0xff, 0x0f, b'x']),
            bomb("string content", u64::from(u32::MAX) - 1, 2),
        );
        check("any string", &any_item(&[ANY_STRING, 0x80, 0x01, b'x']), bomb("any string", 128, 2));
        check("any buffer", &any_item(&[ANY_BUFFER, 0x7f]), bomb("any buffer", 127, 1));
        check("any content count", &item(ANY, &[0x80, 0x80, 0x01, ANY_NULL]), bomb("any content count", 1 << 14, 2));
        check("delete set clients", &[0, 0xff, 0xff, 0x03, 1, 0], bomb("delete set client count", 0xffff, 2));
        check("delete set ranges", &[0, 1, 1, 0xff, 0x7f, 0, 0], bomb("delete set range count", 0x3fff, 2));
    }

    #[test]
    fn refuses_malformed_fields() {
        check("empty input", &[], Err(UpdateError::Truncated));
        check("eleven-byte varint", &[0xff; 11], Err(UpdateError::VarIntOverflow));
        check(
            "varint past 64 bits",
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
            Err(UpdateError::VarIntOverflow),
        );
        check("clock past u32", &[1, 1, 1, 0x80, 0x80, 0x80, 0x80, 0x10, GC, 1, 0], Err(UpdateError::VarIntOverflow));
        check(
            "client id of 2^53",
            &[1, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0, GC, 1, 0],
            Err(UpdateError::ClientIdTooLarge(1 << 53)),
        );
        check(
            "origin client id of 2^59",
            &[1, 1, 1, 0, STRING | HAS_ORIGIN, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x08, 0, 1, b'x', 0],
            Err(UpdateError::ClientIdTooLarge(1 << 59)),
        );
        check(
            "clock overflow",
            &[1, 2, 1, 0xfe, 0xff, 0xff, 0xff, 0x0f, GC, 1, GC, 1, 0],
            Err(UpdateError::ClockOverflow),
        );
        check(
            "string pushes clock over",
            &[1, 1, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, STRING, 1, 1, b'r', 1, b'x', 0],
            Err(UpdateError::ClockOverflow),
        );
        check("delete range overflow", &[0, 1, 1, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, 1], Err(UpdateError::ClockOverflow));
        // `yjs` would keep the second list for client 5 and `yrs` both (found by the fuzzer).
        check("a client written twice", &[2, 1, 5, 0, GC, 1, 1, 5, 1, GC, 1, 0], Err(UpdateError::RepeatedClient(5)));
        check("empty gc", &[1, 1, 1, 0, GC, 0, 0], Err(UpdateError::EmptyStruct));
        check("empty skip", &[1, 1, 1, 0, SKIP, 0, 0], Err(UpdateError::EmptyStruct));
        check("content ref 0 with origin", &item(HAS_ORIGIN, &[1, 0]), Err(UpdateError::UnknownContent(0)));
        check("content ref 11", &item(11, &[]), Err(UpdateError::UnknownContent(11)));
        check("info bit 4", &item(0x10 | STRING, &[1, b'x']), Err(UpdateError::UnknownContent(0x14)));
        check("weak link type", &item(TYPE, &[7]), Err(UpdateError::UnknownTypeRef(7)));
        check("type ref 8", &item(TYPE, &[8]), Err(UpdateError::UnknownTypeRef(8)));
        check("yrs-only subdoc type", &item(TYPE, &[9]), Err(UpdateError::UnknownTypeRef(9)));
        check("yrs-only undefined type", &item(TYPE, &[15]), Err(UpdateError::UnknownTypeRef(15)));
        check("xml hook type", &item(TYPE, &[TYPE_XML_HOOK, 1, b'h']), Err(UpdateError::Unsupported("xml hook type")));
        let mut subdoc = Vec::new();
        write_var_bytes(&mut subdoc, b"guid");
        check(
            "subdocument options not a map",
            &item(DOC, &[&subdoc[..], &[ANY_NULL]].concat()),
            Err(UpdateError::Unsupported("subdocument options that are not a map")),
        );
        check("any tag 115", &any_item(&[115]), Err(UpdateError::UnknownAnyTag(115)));
        check("any tag 0", &any_item(&[0]), Err(UpdateError::UnknownAnyTag(0)));
        check("invalid utf-8 content", &item(STRING, &[2, 0xc3, 0x28]), Err(UpdateError::InvalidUtf8));
        check("invalid utf-8 root name", &[1, 1, 1, 0, STRING, 1, 1, 0xff, 1, b'x', 0], Err(UpdateError::InvalidUtf8));
        check("invalid utf-8 map key", &any_item(&[ANY_MAP, 1, 1, 0x80, ANY_NULL]), Err(UpdateError::InvalidUtf8));
        check(
            "int of 2^53",
            &any_item(&[ANY_INT, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]),
            Err(UpdateError::VarIntOverflow),
        );
        // yrs would shift an i64 by 69 bits on the eleventh byte.
        check(
            "eleven-byte int",
            &any_item(&[ANY_INT, 0xc0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0]),
            Err(UpdateError::VarIntOverflow),
        );
        let limits = UpdateLimits { max_structs: 2, ..UpdateLimits::default() };
        check_with("structs at the limit", &[1, 2, 1, 0, GC, 1, GC, 1, 0], &limits, Ok(()));
        check_with(
            "structs over the limit across clients",
            &[2, 2, 1, 0, GC, 1, GC, 1, 1, 2, 0, GC, 1, 0],
            &limits,
            Err(UpdateError::TooManyStructs),
        );
    }

    #[test]
    fn bounds_nesting_without_recursion() {
        let limits = UpdateLimits::default();
        check("any at the limit", &any_item(&nested_arrays(limits.max_depth)), Ok(()));
        check("any over the limit", &any_item(&nested_arrays(limits.max_depth + 1)), Err(UpdateError::TooDeep));
        // Deep enough to overflow any recursive walker's stack.
        check("any 100 000 deep", &any_item(&nested_arrays(100_000)), Err(UpdateError::TooDeep));
        let unbounded = UpdateLimits { max_depth: usize::MAX, ..limits };
        assert!(check_update_v1(&any_item(&nested_arrays(100_000)), &unbounded).is_ok());
        let mut maps = [&[ANY_MAP, 1, 1, b'k'][..]].repeat(limits.max_depth + 1).concat();
        maps.push(ANY_TRUE);
        check("maps over the limit", &any_item(&maps), Err(UpdateError::TooDeep));
        let mut empty = [ANY_ARRAY, 1].repeat(limits.max_depth);
        empty.extend_from_slice(&[ANY_ARRAY, 0]);
        check("empty array over the limit", &any_item(&empty), Err(UpdateError::TooDeep));
        let mut subdoc = Vec::new();
        write_var_bytes(&mut subdoc, b"guid");
        subdoc.extend_from_slice(&[ANY_MAP, 1, 1, b'k']);
        subdoc.extend_from_slice(&nested_arrays(limits.max_depth));
        check("subdocument options", &item(DOC, &subdoc), Err(UpdateError::TooDeep));

        let json = |depth: usize, filler: &str| {
            let text = format!("{}{filler}{}", "[".repeat(depth), "]".repeat(depth));
            let mut content = Vec::new();
            write_var_bytes(&mut content, text.as_bytes());
            item(EMBED, &content)
        };
        check("json at the limit", &json(limits.max_depth, "1"), Ok(()));
        check("json over the limit", &json(limits.max_depth + 1, "1"), Err(UpdateError::TooDeep));
        // Brackets inside JSON strings do not nest.
        check("brackets in a json string", &json(limits.max_depth, r#""[[\"[[""#), Ok(()));
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut state = 0x2545_F491_4F6C_DD1D;
        let mut accepted = 0;
        for _ in 0..5_000 {
            let len = (xorshift(&mut state) % 48) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| match xorshift(&mut state) % 4 {
                    // Small values make plausible counts and tags.
                    0 => (xorshift(&mut state) % 12) as u8,
                    1 => 0x80 | xorshift(&mut state) as u8,
                    _ => xorshift(&mut state) as u8,
                })
                .collect();
            if check_update_v1(&bytes, &UpdateLimits::default()).is_ok() {
                accepted += 1;
                let _ = Update::decode_v1(&bytes);
            }
        }
        assert!(accepted > 0, "the generator should reach some valid inputs");
    }

    #[test]
    fn mutated_updates_pass_only_if_yrs_takes_them_without_panic() {
        let corpus: Vec<Vec<u8>> = real_updates().into_iter().map(|(_, bytes, _)| bytes).collect();
        let mut state = 0x853C_49E6_748F_EA9B;
        let (mut accepted, mut refused_by_yrs) = (0, 0);
        // Debug builds: yrs's overflow checks and debug assertions are live.
        for round in 0..20_000 {
            let mut bytes = corpus[round % corpus.len()].clone();
            for _ in 0..=xorshift(&mut state) % 3 {
                let at = (xorshift(&mut state) % bytes.len().max(1) as u64) as usize;
                let value = match xorshift(&mut state) % 4 {
                    0 => 0,
                    1 => 0xff,
                    2 => (xorshift(&mut state) % 16) as u8,
                    _ => xorshift(&mut state) as u8,
                };
                match xorshift(&mut state) % 4 {
                    0 if at < bytes.len() => bytes[at] = value,
                    1 if at < bytes.len() => bytes[at] ^= 1 << (xorshift(&mut state) % 8),
                    2 if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    _ => bytes.insert(at.min(bytes.len()), value),
                }
            }
            if check_update_v1(&bytes, &UpdateLimits::default()).is_err() {
                continue;
            }
            accepted += 1;
            // yrs may refuse what the check passes (say, an embed that is not
            // JSON), but must not panic; what it takes, it must apply and be
            // able to read back from the state it then encodes.
            let Ok(update) = Update::decode_v1(&bytes) else {
                refused_by_yrs += 1;
                continue;
            };
            let doc = Doc::new();
            let _ = doc.transact_mut().apply_update(update);
            let state = doc.transact().encode_state_as_update_v1(&StateVector::default());
            assert!(Update::decode_v1(&state).is_ok(), "yrs cannot read back its state after {bytes:?}");
        }
        assert!(accepted > 1_000, "mutations should often stay well-formed, got {accepted}");
        assert!(refused_by_yrs < accepted / 10, "yrs refused {refused_by_yrs} of {accepted}");
    }
}
