//! The shared end-to-end scenarios on the smol transport (no tokio in this file: the
//! simulator runs on its own thread, `livechat_sim::SimThread`).

struct Smol;

impl livechat_scenarios::adapter::BlockOn for Smol {
    fn block_on<F: Future>(future: F) -> F::Output {
        smol::block_on(future)
    }
}

livechat_scenarios::async_transport!(Smol, "smol", livechat_smol);
