//! The shared end-to-end scenarios on the tokio transport.

use std::sync::LazyLock;

static RT: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime")
});

struct Tokio;

impl livechat_scenarios::adapter::BlockOn for Tokio {
    fn block_on<F: Future>(future: F) -> F::Output {
        RT.block_on(future)
    }

    /// Clients spawn their driver task on the current runtime.
    fn enter<R>(f: impl FnOnce() -> R) -> R {
        let _guard = RT.enter();
        f()
    }
}

livechat_scenarios::async_transport!(Tokio, "tokio", livechat_tokio);
