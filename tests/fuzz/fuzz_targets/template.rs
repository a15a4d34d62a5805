//! A workshop template as a facilitator's team writes it (TOML): parsed, validated, and, if
//! valid, laid out as a room's board. A broken file must be an error naming the file and the
//! field, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use touchpoint_core::room::RoomDocs;
use touchpoint_core::template::{parse_template, validate};

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else { return };
    let Ok(template) = parse_template(source, "fuzzed.toml") else { return };
    if validate(&template, "fuzzed.toml").is_ok() {
        RoomDocs::default().initialise(&template.title, None, Some(&template));
    }
});
