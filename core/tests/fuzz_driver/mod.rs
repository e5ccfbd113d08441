//! The one copy of the fuzz entry points.
//!
//! Used by the cargo-fuzz targets (`fuzz/fuzz_targets/{frame,session}.rs` include this
//! folder with `#[path]`) and by the ordinary `cargo test` that replays the seed corpus and
//! the minimized crashes (`core/tests/corpus.rs`). Both call [`frame`] and [`session`]; a
//! panic in either is a finding.
//!
//! [`session`] turns bytes into a whole session run, customer or agent: a two-byte
//! [`Header`] picks the side (bit 7 of the first byte) and the configuration, then each op
//! is one opcode byte plus parameter bytes (see [`Op`]), so seeds can be written by hand
//! with [`script`]. After every input the [`Harness`] drains the outputs and checks its
//! invariants.
//!
//! * `frame.rs`: the `frame` target;
//! * `ops.rs`: the script format;
//! * `harness.rs`: the harness state, output checks and the frame feeder;
//! * `run.rs`: applying ops (transport and application) and the end of a run;
//! * `server.rs`: the fake server's frames;
//! * `checks.rs`: the call-deadline model and the endpoint check;
//! * `side.rs`: what differs between the customer and the agent side.

// Each consumer uses a different subset of this module.
#![allow(dead_code)]

mod checks;
mod frame;
mod harness;
mod ops;
mod run;
mod server;
mod side;

use arbitrary::Unstructured;
use livechat_core::agent::AgentSide;
use livechat_core::customer::CustomerSide;

// Each consumer uses a different subset of these.
#[allow(unused_imports)]
pub use frame::{FrameOutcome, frame};
#[allow(unused_imports)]
pub use harness::{Harness, Stats};
#[allow(unused_imports)]
pub use ops::{Header, Op, script};

/// Fuzz entry point `session`: run the whole script on the side its first byte names,
/// then destroy and check the end state.
pub fn session(data: &[u8]) -> Stats {
    let mut u = Unstructured::new(data);
    let a = u.arbitrary::<u8>().unwrap_or(0);
    let b = u.arbitrary::<u8>().unwrap_or(0);
    let header = Header { a, b };
    if header.agent() {
        run::run::<AgentSide>(header, &mut u)
    } else {
        run::run::<CustomerSide>(header, &mut u)
    }
}
