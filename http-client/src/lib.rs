//! Performs the HTTP requests `livechat-core` builds (customer token grants, file uploads).
//!
//! One small blocking client, ureq (rustls with the ring provider, webpki roots,
//! certificate verification always on), serves all three transports. Token grants run on
//! a few threads shared by every client ([`pool`]); uploads on the runtime's blocking pool
//! or a thread of their own. These requests are rare (a token every few hours, an upload
//! now and then), so a second async HTTP stack per runtime would cost more than it saves,
//! and the code exists once. One agent serves every request: its TLS config (built once,
//! which is most of a request's CPU) and its connections are shared.

pub mod pool;
mod upload;

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use livechat_core::http::{HttpRequest, HttpResponse, Method};
use livechat_core::{Error, ErrorCode};

pub use upload::{UploadSource, UploadTarget, content_type_for, upload};

/// Largest response body read (token and upload answers are tiny).
pub const MAX_RESPONSE_BYTES: u64 = 1024 * 1024;

/// Upload progress, 0.0 ..= 1.0.
pub type Progress = Arc<dyn Fn(f64) + Send + Sync>;

/// Options for one request.
#[derive(Clone, Default)]
pub struct RequestControl {
    /// Called as the body goes out.
    pub progress: Option<Progress>,
    /// Set to abort (the request fails with `UPLOAD_CANCELED`).
    pub cancel: Option<Arc<AtomicBool>>,
    /// Whole-request timeout (default 30 s).
    pub timeout: Option<Duration>,
}

/// The process's agent (each request sets its own timeout).
fn agent() -> &'static ureq::Agent {
    static AGENT: std::sync::OnceLock<ureq::Agent> = std::sync::OnceLock::new();
    AGENT.get_or_init(|| ureq::Agent::config_builder().http_status_as_error(false).build().into())
}

struct Body {
    data: Bytes,
    pos: usize,
    control: RequestControl,
}

impl Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.control.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(std::io::Error::new(std::io::ErrorKind::Interrupted, "upload canceled"));
        }
        // Small chunks so progress and cancel are timely.
        let n = buf.len().min(self.data.len() - self.pos).min(64 * 1024);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        if let Some(p) = &self.control.progress
            && !self.data.is_empty()
        {
            p(self.pos as f64 / self.data.len() as f64);
        }
        Ok(n)
    }
}

/// Perform `req`. Any HTTP status is a response; only transport failures are errors.
pub fn execute(req: &HttpRequest, control: RequestControl) -> Result<HttpResponse, Error> {
    let canceled = || control.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed));
    if canceled() {
        return Err(Error::new(ErrorCode::UploadCanceled, "Upload canceled."));
    }
    let timeout = Some(control.timeout.unwrap_or(Duration::from_secs(30)));
    let result = match req.method {
        Method::Get => {
            let mut b = agent().get(&req.url).config().timeout_global(timeout).build();
            for (k, v) in &req.headers {
                b = b.header(k, v);
            }
            b.call()
        }
        Method::Post => {
            let mut b = agent().post(&req.url).config().timeout_global(timeout).build();
            for (k, v) in &req.headers {
                b = b.header(k, v);
            }
            let mut body = Body { data: req.body.clone(), pos: 0, control: control.clone() };
            b = b.header("Content-Length", body.data.len().to_string());
            b.send(ureq::SendBody::from_reader(&mut body))
        }
    };
    let mut resp = match result {
        Ok(r) => r,
        Err(_) if canceled() => return Err(Error::new(ErrorCode::UploadCanceled, "Upload canceled.")),
        Err(e) => {
            return Err(Error::new(
                ErrorCode::UploadFailed,
                format!("{} {} failed: {e}", req.method, strip_query(&req.url)),
            ));
        }
    };
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_string(), v.to_string())))
        .collect();
    let body = resp
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE_BYTES)
        .read_to_vec()
        .map_err(|e| Error::new(ErrorCode::UploadFailed, format!("reading the response failed: {e}")))?;
    Ok(HttpResponse { status, headers, body: Bytes::from(body) })
}

fn strip_query(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}
