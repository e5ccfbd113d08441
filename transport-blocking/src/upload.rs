//! `uploadFile`: multipart upload of a file for a `file` event, on a helper thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;

use livechat_core::{Error, ErrorCode};
pub use livechat_http::UploadSource;
use livechat_http::{Progress, RequestControl, UploadTarget};

use crate::CustomerClient;

/// An upload in progress on its own thread: [`Upload::wait`] for the file's URL, or
/// [`Upload::cancel`] it. Dropping it lets the upload finish in the background.
pub struct Upload {
    cancel: Arc<AtomicBool>,
    result: Receiver<Result<String, Error>>,
    thread: Option<JoinHandle<()>>,
}

impl Upload {
    /// Abort; the upload completes with `UPLOAD_CANCELED`.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// A flag that cancels the upload when set (from a progress callback, say).
    pub fn canceler(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }

    /// Block until the upload is done: the file's URL.
    pub fn wait(mut self) -> Result<String, Error> {
        let result = self
            .result
            .recv()
            .unwrap_or_else(|_| Err(Error::new(ErrorCode::UploadFailed, "the upload thread ended early")));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        result
    }
}

pub(crate) fn start(client: &CustomerClient, source: UploadSource, progress: Option<Progress>) -> Upload {
    let cancel = Arc::new(AtomicBool::new(false));
    let control = RequestControl { progress, cancel: Some(cancel.clone()), timeout: None };
    let target = UploadTarget {
        token: client.state.token(),
        api_base: client.state.upload_base(),
        api_version: client.state.api_version(),
        organization_id: client.state.organization_id().to_string(),
    };
    let (tx, rx) = sync_channel(1);
    let run = move || livechat_http::upload(source, target, control);
    let thread = std::thread::Builder::new().name("livechat-upload".into()).spawn(move || {
        let _ = tx.send(run());
    });
    match thread {
        Ok(t) => Upload { cancel, result: rx, thread: Some(t) },
        Err(e) => {
            let (tx, rx) = sync_channel(1);
            let _ =
                tx.send(Err(Error::new(ErrorCode::UploadFailed, format!("could not start a thread: {e}"))));
            Upload { cancel, result: rx, thread: None }
        }
    }
}
