//! The bytes script a whole `CustomerSession` run (see `Op` in the driver); the driver checks
//! its invariants after every input and after the final `destroy`.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The one copy of the driver lives with the core tests, which replay the seeds through it.
#[path = "../../core/tests/fuzz_driver/mod.rs"]
mod driver;

fuzz_target!(|data: &[u8]| {
    let _ = driver::session(data);
});
