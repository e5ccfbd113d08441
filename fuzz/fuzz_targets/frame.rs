//! Any bytes → UTF-8 → `Frame::decode` → for pushes `Event::from_push`. Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The one copy of the driver lives with the core tests, which replay the seeds through it.
#[path = "../../core/tests/fuzz_driver/mod.rs"]
mod driver;

fuzz_target!(|data: &[u8]| {
    let _ = driver::frame(data);
});
