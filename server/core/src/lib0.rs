//! lib0, the byte encoding under every Yjs message: the one reader and the
//! writers that the codec, the update check and the load generator share.
//!
//! The reader takes untrusted bytes. Every read checks the bytes that are
//! actually present before it uses a length or a count read off the wire, so
//! a hostile length is refused without a reservation and no input makes it
//! panic. What a message means, and which trailing or unknown bytes it may
//! carry, is decided by the caller; this module only knows the encoding.

use thiserror::Error;

/// lib0 varints carry 7 bits a byte, so 64 bits take at most 10 bytes.
const MAX_VARINT_BYTES: usize = 10;

/// The largest integer JavaScript holds exactly; lib0 refuses a `varInt` beyond it.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Why bytes are not the lib0 value that was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Lib0Error {
    #[error("message is truncated")]
    Truncated,
    #[error("variable-length integer is too long or out of range")]
    VarIntOverflow,
    #[error("string is not valid utf-8")]
    InvalidUtf8,
    #[error("bytes follow the last value")]
    TrailingBytes,
}

/// A cursor over untrusted bytes; every read is bounds-checked.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    /// The bytes not read yet.
    pub fn rest(&self) -> &'a [u8] {
        self.bytes
    }

    /// Ends the read: the value must have used every byte.
    pub fn finish(self) -> Result<(), Lib0Error> {
        if self.bytes.is_empty() { Ok(()) } else { Err(Lib0Error::TrailingBytes) }
    }

    /// Whether `n` values of at least `min_bytes` each could still follow.
    /// A count read off the wire is checked with this before it is trusted.
    pub fn can_hold(&self, n: u64, min_bytes: usize) -> bool {
        n <= (self.bytes.len() / min_bytes.max(1)) as u64
    }

    /// One byte (lib0 `readUint8`).
    pub fn u8(&mut self) -> Result<u8, Lib0Error> {
        let (&first, rest) = self.bytes.split_first().ok_or(Lib0Error::Truncated)?;
        self.bytes = rest;
        Ok(first)
    }

    /// The next `len` bytes, borrowed (lib0 `readUint8Array`).
    pub fn take(&mut self, len: usize) -> Result<&'a [u8], Lib0Error> {
        if len > self.bytes.len() {
            return Err(Lib0Error::Truncated);
        }
        let (head, tail) = self.bytes.split_at(len);
        self.bytes = tail;
        Ok(head)
    }

    /// A lib0 `varUint` (LEB128, least significant group first). lib0 writes
    /// at most 53 significant bits; we accept up to 64 in at most 10 bytes.
    pub fn var_uint(&mut self) -> Result<u64, Lib0Error> {
        let mut value: u64 = 0;
        for (i, &byte) in self.bytes.iter().enumerate().take(MAX_VARINT_BYTES) {
            let group = u64::from(byte & 0x7f);
            let shift = 7 * i as u32;
            // The tenth byte holds bit 63 only; anything above would be lost.
            if shift == 63 && group > 1 {
                return Err(Lib0Error::VarIntOverflow);
            }
            value |= group << shift;
            if byte & 0x80 == 0 {
                self.bytes = &self.bytes[i + 1..];
                return Ok(value);
            }
        }
        if self.bytes.len() >= MAX_VARINT_BYTES { Err(Lib0Error::VarIntOverflow) } else { Err(Lib0Error::Truncated) }
    }

    /// A lib0 `varInt`: a continuation bit, a sign bit and 6 bits in the
    /// first byte, then 7-bit groups. Like lib0, it refuses a magnitude past
    /// [`MAX_SAFE_INTEGER`], and it reads at most 10 bytes.
    pub fn var_int(&mut self) -> Result<i64, Lib0Error> {
        let first = self.u8()?;
        let negative = first & 0x40 != 0;
        let mut magnitude = u64::from(first & 0x3f);
        let mut more = first & 0x80 != 0;
        let mut shift = 6;
        let mut len = 1;
        while more {
            if len == MAX_VARINT_BYTES {
                return Err(Lib0Error::VarIntOverflow);
            }
            let byte = self.u8()?;
            len += 1;
            // A multiplication, not a shift, so that bits pushed past 64 are
            // an overflow instead of lost; shifts stay at or below 62 here.
            let group = u64::from(byte & 0x7f).checked_mul(1 << shift).ok_or(Lib0Error::VarIntOverflow)?;
            magnitude |= group;
            if magnitude > MAX_SAFE_INTEGER {
                return Err(Lib0Error::VarIntOverflow);
            }
            shift += 7;
            more = byte & 0x80 != 0;
        }
        // Fits: the magnitude is at most 2^53 - 1.
        let magnitude = magnitude as i64;
        Ok(if negative { -magnitude } else { magnitude })
    }

    /// A lib0 `varUint8Array`: the length, then that many bytes, borrowed.
    pub fn var_bytes(&mut self) -> Result<&'a [u8], Lib0Error> {
        let len = usize::try_from(self.var_uint()?).map_err(|_| Lib0Error::Truncated)?;
        self.take(len)
    }

    /// A lib0 `varString`: a `varUint8Array` that must be UTF-8.
    pub fn var_string(&mut self) -> Result<&'a str, Lib0Error> {
        std::str::from_utf8(self.var_bytes()?).map_err(|_| Lib0Error::InvalidUtf8)
    }
}

/// Appends a lib0 `varUint` (LEB128, least significant group first).
pub fn write_var_uint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// Appends a lib0 `varUint8Array`: the length, then the bytes.
pub fn write_var_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    write_var_uint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Appends a lib0 `varString`: the UTF-8 bytes as a `varUint8Array`.
pub fn write_var_string(out: &mut Vec<u8>, text: &str) {
    write_var_bytes(out, text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One lib0 value, as a test reads it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Value<'a> {
        Uint(u64),
        Int(i64),
        Bytes(&'a [u8]),
        Text(&'a str),
    }

    #[derive(Debug, Clone, Copy)]
    enum Read {
        Uint,
        Int,
        Bytes,
        Text,
    }

    /// Reads one value of kind `read` from `input` and compares the value and
    /// the bytes left over with `expected`.
    fn check(read: Read, input: &[u8], expected: Result<(Value<'_>, &[u8]), Lib0Error>) {
        let mut reader = Reader::new(input);
        let value = match read {
            Read::Uint => reader.var_uint().map(Value::Uint),
            Read::Int => reader.var_int().map(Value::Int),
            Read::Bytes => reader.var_bytes().map(Value::Bytes),
            Read::Text => reader.var_string().map(Value::Text),
        };
        assert_eq!(value.map(|value| (value, reader.rest())), expected, "{read:?} of {input:?}");
    }

    const NONE: &[u8] = &[];

    #[test]
    fn reads_good_input() {
        check(Read::Uint, &[0], Ok((Value::Uint(0), NONE)));
        check(Read::Uint, &[0x7f, 9], Ok((Value::Uint(127), &[9])));
        check(Read::Uint, &[0xac, 0x02], Ok((Value::Uint(300), NONE)));
        check(Read::Uint, &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f], Ok((Value::Uint((1 << 53) - 1), NONE)));
        check(
            Read::Uint,
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            Ok((Value::Uint(u64::MAX), NONE)),
        );
        check(Read::Int, &[0x05], Ok((Value::Int(5), NONE)));
        check(Read::Int, &[0x47], Ok((Value::Int(-7), NONE)));
        check(Read::Int, &[0x80, 0x80, 0x80, 0], Ok((Value::Int(0), NONE)));
        check(Read::Int, &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f], Ok((Value::Int(-((1 << 53) - 1)), NONE)));
        check(Read::Bytes, &[0, 1], Ok((Value::Bytes(&[]), &[1])));
        check(Read::Bytes, &[2, 7, 8, 9], Ok((Value::Bytes(&[7, 8]), &[9])));
        check(Read::Text, &[2, b'{', b'}'], Ok((Value::Text("{}"), NONE)));
        check(Read::Text, &[2, 0xc3, 0xa9], Ok((Value::Text("é"), NONE)));
    }

    #[test]
    fn refuses_truncated_input() {
        check(Read::Uint, &[], Err(Lib0Error::Truncated));
        check(Read::Uint, &[0x80], Err(Lib0Error::Truncated));
        check(Read::Uint, &[0xff; 9], Err(Lib0Error::Truncated));
        check(Read::Int, &[], Err(Lib0Error::Truncated));
        check(Read::Int, &[0xc0, 0x80], Err(Lib0Error::Truncated));
        check(Read::Bytes, &[], Err(Lib0Error::Truncated));
        check(Read::Bytes, &[5, 1, 2], Err(Lib0Error::Truncated));
        check(Read::Text, &[3, b'a'], Err(Lib0Error::Truncated));
    }

    #[test]
    fn refuses_overlong_varints() {
        check(Read::Uint, &[0xff; 11], Err(Lib0Error::VarIntOverflow));
        check(Read::Uint, &[0xff; 16], Err(Lib0Error::VarIntOverflow));
        check(Read::Uint, &[0x80; 10], Err(Lib0Error::VarIntOverflow));
        // Ten bytes whose last group sets bits above 64.
        check(
            Read::Uint,
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02],
            Err(Lib0Error::VarIntOverflow),
        );
        // 2^53 is one past what lib0 writes for a `varInt`.
        check(Read::Int, &[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20], Err(Lib0Error::VarIntOverflow));
        check(
            Read::Int,
            &[0xc0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0],
            Err(Lib0Error::VarIntOverflow),
        );
        // A tenth group whose bits fall past 64 is an overflow, not a zero.
        check(Read::Int, &[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x04], Err(Lib0Error::VarIntOverflow));
    }

    #[test]
    fn refuses_huge_lengths_without_reserving() {
        // 2^62 bytes claimed, none present.
        check(Read::Bytes, &[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40], Err(Lib0Error::Truncated));
        let mut huge = Vec::new();
        write_var_uint(&mut huge, u64::MAX);
        huge.push(0);
        check(Read::Bytes, &huge, Err(Lib0Error::Truncated));
        check(Read::Text, &[0xfe, 0xff, 0xff, 0xff, 0x0f, b'x'], Err(Lib0Error::Truncated));
        check(Read::Text, &[2, 0xff, 0xfe], Err(Lib0Error::InvalidUtf8));
        let reader = Reader::new(&[0xff, 0xff, 0xff, 0xff, 0x0f, 1, 1]);
        assert!(reader.can_hold(3, 2));
        assert!(!reader.can_hold(4, 2));
        assert!(!reader.can_hold(u64::MAX, 0));
    }

    #[test]
    fn finish_refuses_trailing_bytes() {
        let mut reader = Reader::new(&[1, 2]);
        assert_eq!(reader.u8(), Ok(1));
        assert_eq!(reader.clone().finish(), Err(Lib0Error::TrailingBytes));
        assert_eq!(reader.take(1), Ok(&[2][..]));
        assert_eq!(reader.take(1), Err(Lib0Error::Truncated));
        assert_eq!(reader.finish(), Ok(()));
    }

    #[test]
    fn writers_match_lib0_and_round_trip() {
        let encoded = |n: u64| {
            let mut out = Vec::new();
            write_var_uint(&mut out, n);
            out
        };
        assert_eq!(encoded(0), [0]);
        assert_eq!(encoded(1), [1]);
        assert_eq!(encoded(127), [0x7f]);
        assert_eq!(encoded(128), [0x80, 0x01]);
        assert_eq!(encoded(300), [0xac, 0x02]);
        assert_eq!(encoded(16_384), [0x80, 0x80, 0x01]);
        // 2^53 - 1, the largest lib0 promises to round-trip through JS numbers.
        assert_eq!(encoded((1 << 53) - 1), [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]);
        for n in
            [0, 1, 127, 128, 255, 256, 16_383, 16_384, 65_535, u64::from(u32::MAX), 1 << 32, (1 << 53) - 1, u64::MAX]
        {
            check(Read::Uint, &encoded(n), Ok((Value::Uint(n), NONE)));
        }
        let mut text = Vec::new();
        write_var_string(&mut text, "read-only");
        check(Read::Text, &text, Ok((Value::Text("read-only"), NONE)));
        let long = vec![7u8; 300];
        let mut bytes = Vec::new();
        write_var_bytes(&mut bytes, &long);
        assert_eq!(&bytes[..2], &[0xac, 0x02]);
        check(Read::Bytes, &bytes, Ok((Value::Bytes(&long), NONE)));
    }
}
