//! A Yjs update as a facilitator's client sends it: the structural check, then, only if it
//! passes, `yrs`'s decoder and the board's apply, as the server does. The check exists so
//! that `yrs` never meets an update that could exhaust memory or recurse without bound, and
//! what it reads of an update's dependencies must agree with what `yrs` leaves pending.
#![no_main]

use libfuzzer_sys::fuzz_target;
use touchpoint_core::update_check::{UpdateLimits, check_update_v1};
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StateVector, Transact, Update};

fuzz_target!(|data: &[u8]| {
    let Ok(needs) = check_update_v1(data, &UpdateLimits::default()) else { return };
    if let Ok(update) = Update::decode_v1(data) {
        let doc = Doc::new();
        let mut txn = doc.transact_mut();
        let applied = txn.apply_update(update);
        // What the check says an empty document integrates whole, `yrs` leaves nothing of.
        if applied.is_ok() && needs.met_by(&StateVector::default()) {
            assert!(!txn.has_missing_updates(), "the check missed a dependency");
        }
        let _ = txn.encode_state_as_update_v1(&StateVector::default());
    }
});
