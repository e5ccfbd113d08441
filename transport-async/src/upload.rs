//! `uploadFile`: multipart upload of a file for a `file` event.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use livechat_core::{Error, ErrorCode};
pub use livechat_http::UploadSource;
use livechat_http::{Progress, RequestControl, UploadTarget};

use crate::runtime::{BoxFuture, Runtime};

/// An upload in progress: await it (on any executor) for the file's URL, or
/// [`Upload::cancel`] it. The transfer starts when it is first polled; dropping it then
/// does not stop the transfer already under way, cancel does.
pub struct Upload {
    cancel: Arc<AtomicBool>,
    result: BoxFuture<Result<String, Error>>,
}

impl Upload {
    /// Abort; the upload completes with `UPLOAD_CANCELED`.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// A handle that can cancel from elsewhere.
    pub fn canceler(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }
}

impl Future for Upload {
    type Output = Result<String, Error>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.result.as_mut().poll(cx)
    }
}

pub(crate) fn start<R: Runtime>(
    rt: &R,
    target: UploadTarget,
    source: UploadSource,
    progress: Option<Progress>,
) -> Upload {
    let cancel = Arc::new(AtomicBool::new(false));
    let control = RequestControl { progress, cancel: Some(cancel.clone()), timeout: None };
    let rt = rt.clone();
    // Reading the file and sending the body block: the runtime's blocking pool.
    let result = Box::pin(async move {
        rt.spawn_blocking(move || livechat_http::upload(source, target, control))
            .await
            .map_err(|e| Error::new(ErrorCode::UploadFailed, e))?
    });
    Upload { cancel, result }
}
