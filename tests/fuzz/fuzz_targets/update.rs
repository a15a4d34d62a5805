//! A Yjs update as a facilitator's client sends it: the structural check, then, only if it
//! passes, `yrs`'s decoder and the board's apply, as the server does. The check exists so
//! that `yrs` never meets an update that could exhaust memory or recurse without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use touchpoint_core::update_check::{UpdateLimits, check_update_v1};
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, Transact, Update};

fuzz_target!(|data: &[u8]| {
    if check_update_v1(data, &UpdateLimits::default()).is_err() {
        return;
    }
    if let Ok(update) = Update::decode_v1(data) {
        let doc = Doc::new();
        let _ = doc.transact_mut().apply_update(update);
        let _ = doc.transact().encode_state_as_update_v1(&Default::default());
    }
});
