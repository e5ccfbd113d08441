//! `uploadFile`: multipart upload of a file for a `file` event, on a helper thread.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;

use bytes::Bytes;
use livechat_core::upload::{MAX_UPLOAD_BYTES, check_size, parse_upload_response, upload_request};
use livechat_core::{Error, ErrorCode};
use livechat_http::{Progress, RequestControl};

use crate::CustomerClient;

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

fn load(source: UploadSource) -> Result<(String, String, Bytes), Error> {
    match source {
        UploadSource::Path(path) => {
            let failed =
                |e: std::io::Error| Error::new(ErrorCode::UploadFailed, format!("{}: {e}", path.display()));
            check_size(std::fs::metadata(&path).map_err(failed)?.len())?;
            let file = std::fs::File::open(&path).map_err(failed)?;
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let content_type = content_type_for(&name).to_string();
            Ok((name, content_type, Bytes::from(read_limited(file)?)))
        }
        UploadSource::Bytes { name, content_type, data } => Ok((name, content_type, data)),
        UploadSource::Reader { name, content_type, reader } => {
            Ok((name, content_type, Bytes::from(read_limited(reader)?)))
        }
    }
}

pub(crate) fn start(client: &CustomerClient, source: UploadSource, progress: Option<Progress>) -> Upload {
    let cancel = Arc::new(AtomicBool::new(false));
    let control = RequestControl { progress, cancel: Some(cancel.clone()), timeout: None };
    let token = client.token();
    let base = client.upload_base.clone();
    let org = client.organization_id.clone();
    let (tx, rx) = sync_channel(1);
    let run = move || -> Result<String, Error> {
        let (name, content_type, data) = load(source)?;
        check_size(data.len() as u64)?;
        let token =
            token.ok_or_else(|| Error::new(ErrorCode::NoConnection, "No token yet: connect first."))?;
        let base =
            base.ok_or_else(|| Error::new(ErrorCode::UploadFailed, "no HTTP endpoint for this region"))?;
        let request = upload_request(&base, &org, &token, &name, &content_type, data)?;
        let response = livechat_http::execute(&request, control)?;
        parse_upload_response(&response)
    };
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
