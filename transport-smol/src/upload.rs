//! `uploadFile`: multipart upload of a file for a `file` event.

use std::future::Future;
use std::io::Read;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use bytes::Bytes;
use livechat_core::upload::{MAX_UPLOAD_BYTES, check_size, parse_upload_response, upload_request};
use livechat_core::{Error, ErrorCode};
use livechat_http::{Progress, RequestControl};

use crate::{BoxFuture, CustomerClient};

/// What to upload.
pub enum UploadSource {
    /// A file on disk (name and content type from the path).
    Path(PathBuf),
    Bytes {
        name: String,
        content_type: String,
        data: Bytes,
    },
    /// Read to the end (at most 10 MB).
    Reader {
        name: String,
        content_type: String,
        reader: Box<dyn Read + Send>,
    },
}

/// An upload in progress: await it (on any executor) for the file's URL, or
/// [`Upload::cancel`] it. Dropping it does not stop the transfer already under way; cancel
/// does.
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

/// A content type from the file name's extension (common chat attachments).
pub(crate) fn content_type_for(name: &str) -> &'static str {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "txt" | "log" => "text/plain",
        "json" => "application/json",
        "csv" => "text/csv",
        _ => "application/octet-stream",
    }
}

fn read_limited(mut reader: impl Read) -> Result<Vec<u8>, Error> {
    let mut data = Vec::new();
    reader
        .by_ref()
        .take(MAX_UPLOAD_BYTES + 1)
        .read_to_end(&mut data)
        .map_err(|e| Error::new(ErrorCode::UploadFailed, format!("reading the file failed: {e}")))?;
    Ok(data)
}

pub(crate) fn start(client: &CustomerClient, source: UploadSource, progress: Option<Progress>) -> Upload {
    let cancel = Arc::new(AtomicBool::new(false));
    let control = RequestControl { progress, cancel: Some(cancel.clone()), timeout: None };
    let token = client.token();
    let base = client.upload_base.clone();
    let org = client.organization_id.clone();
    let result = Box::pin(async move {
        // Reading files and sending the body block: both run on smol's blocking pool.
        let (name, content_type, data) = smol::unblock(move || -> Result<_, Error> {
            match source {
                UploadSource::Path(path) => {
                    let len = std::fs::metadata(&path)
                        .map_err(|e| Error::new(ErrorCode::UploadFailed, format!("{}: {e}", path.display())))?
                        .len();
                    check_size(len)?;
                    let file = std::fs::File::open(&path).map_err(|e| {
                        Error::new(ErrorCode::UploadFailed, format!("{}: {e}", path.display()))
                    })?;
                    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    let ct = content_type_for(&name).to_string();
                    Ok((name, ct, Bytes::from(read_limited(file)?)))
                }
                UploadSource::Bytes { name, content_type, data } => Ok((name, content_type, data)),
                UploadSource::Reader { name, content_type, reader } => {
                    Ok((name, content_type, Bytes::from(read_limited(reader)?)))
                }
            }
        })
        .await?;
        check_size(data.len() as u64)?;
        let token =
            token.ok_or_else(|| Error::new(ErrorCode::NoConnection, "No token yet: connect first."))?;
        let base =
            base.ok_or_else(|| Error::new(ErrorCode::UploadFailed, "no HTTP endpoint for this region"))?;
        let request = upload_request(&base, &org, &token, &name, &content_type, data)?;
        let response = smol::unblock(move || livechat_http::execute(&request, control)).await?;
        parse_upload_response(&response)
    });
    Upload { cancel, result }
}
