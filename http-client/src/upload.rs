//! `uploadFile` for every transport: read the source, check the 10 MB limit, build the
//! multipart request in core, perform it and parse the answer. Blocking; the async
//! transports run it on their blocking pools.

use std::io::Read;
use std::path::PathBuf;

use bytes::Bytes;
use livechat_core::token::Token;
use livechat_core::upload::{MAX_UPLOAD_BYTES, check_size, parse_upload_response, upload_request};
use livechat_core::{Error, ErrorCode};

use crate::RequestControl;

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

/// A content type from the file name's extension (common chat attachments).
pub fn content_type_for(name: &str) -> &'static str {
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

/// Where an upload goes and as whom.
pub struct UploadTarget {
    /// The session's current token; `None` before the first login.
    pub token: Option<Token>,
    /// `https://api.livechatinc.com` or the simulator's `http://127.0.0.1:PORT`.
    pub api_base: Option<String>,
    /// The session's API version (`3.6`): the path's `/v3.6/`.
    pub api_version: &'static str,
    pub organization_id: String,
}

/// Upload `source` and return the file's URL (for a `file` event). Blocks.
pub fn upload(source: UploadSource, target: UploadTarget, control: RequestControl) -> Result<String, Error> {
    let (name, content_type, data) = load(source)?;
    check_size(data.len() as u64)?;
    let token =
        target.token.ok_or_else(|| Error::new(ErrorCode::NoConnection, "No token yet: connect first."))?;
    let base = target
        .api_base
        .ok_or_else(|| Error::new(ErrorCode::UploadFailed, "no HTTP endpoint for this region"))?;
    let request = upload_request(
        &base,
        target.api_version,
        &target.organization_id,
        &token,
        &name,
        &content_type,
        data,
    )?;
    let response = crate::execute(&request, control)?;
    parse_upload_response(&response)
}
