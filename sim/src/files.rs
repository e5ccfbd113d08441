//! File upload (`POST /v3.x/customer/action/upload_file`) and serving (`GET /_sim/files/…`).
//!
//! Hardened for hostile clients: the stored name is kept but the URL is percent-encoded; the
//! client's `Content-Type` is never served back (the type comes from a small allow-list by
//! extension, else `application/octet-stream`, always with `nosniff`, and non-images are
//! attachments); the executable filter sees through case, trailing dots and spaces and NTFS
//! stream suffixes; the store is bounded by bytes and by count.

use crate::Shared;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::json;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// Total bytes of uploaded files kept in memory; the oldest are evicted beyond it.
pub const FILES_CAPACITY: usize = 256 * 1024 * 1024;
/// Number of uploaded files kept; the oldest are evicted beyond it.
pub const MAX_FILES: usize = 10_000;
/// Longest stored file name, bytes (longer names are cut at a character boundary).
const MAX_NAME: usize = 255;
/// Extensions refused as executables (after [`normalized_name`]).
const EXECUTABLE: &[&str] = &["exe", "bat", "cmd", "com", "msi", "scr"];
/// Everything but RFC 3986 unreserved characters is encoded in a path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

struct Stored {
    name: String,
    data: Bytes,
}

#[derive(Default)]
pub struct Files {
    map: HashMap<String, Stored>,
    order: VecDeque<String>,
    total: usize,
    seq: u64,
}

impl Files {
    fn put(&mut self, name: String, data: Bytes) -> String {
        self.seq += 1;
        let id = format!("f{:06}", self.seq);
        self.total += data.len();
        self.map.insert(id.clone(), Stored { name, data });
        self.order.push_back(id.clone());
        while self.total > FILES_CAPACITY || self.map.len() > MAX_FILES {
            let Some(old) = self.order.pop_front() else { break };
            if let Some(f) = self.map.remove(&old) {
                self.total -= f.data.len();
            }
        }
        id
    }

    pub fn count(&self) -> usize {
        self.map.len()
    }
}

/// The name as Windows would resolve it, lower-cased: cut at an NTFS stream suffix (`:`) or a
/// NUL, trailing dots, spaces and control characters dropped (`X.EXE. ` → `x.exe`).
pub fn normalized_name(name: &str) -> String {
    let base = name.split([':', '\0']).next().unwrap_or("");
    base.trim_end_matches(|c: char| c == '.' || c.is_whitespace() || c.is_control()).to_lowercase()
}

fn extension(name: &str) -> String {
    let n = normalized_name(name);
    match n.rsplit_once('.') {
        Some((_, ext)) => ext.to_string(),
        None => String::new(),
    }
}

pub fn is_executable(name: &str) -> bool {
    EXECUTABLE.contains(&extension(name).as_str())
}

/// The content type of a stored file, from an allow-list by extension (never the client's).
pub fn guess_content_type(name: &str) -> &'static str {
    match extension(name).as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "txt" => "text/plain",
        "pdf" => "application/pdf",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

/// The name as stored: path separators and control characters replaced, length bounded.
pub fn clean_name(raw: &str) -> String {
    let mut name: String =
        raw.chars().map(|c| if c == '/' || c == '\\' || c.is_control() { '_' } else { c }).collect();
    if name.len() > MAX_NAME {
        let mut cut = MAX_NAME;
        while !name.is_char_boundary(cut) {
            cut -= 1;
        }
        name.truncate(cut);
    }
    if name.is_empty() { "file".to_string() } else { name }
}

/// `…/_sim/files/<id>/<percent-encoded name>`.
pub fn file_url(base: &str, id: &str, name: &str) -> String {
    format!("{base}/_sim/files/{id}/{}", utf8_percent_encode(name, SEGMENT))
}

/// The name in a URL made by [`file_url`] (decoded).
pub fn name_from_url_segment(segment: &str) -> String {
    let seg = segment.split(['?', '#']).next().unwrap_or("");
    percent_decode_str(seg).decode_utf8_lossy().into_owned()
}

/// `attachment` (or `inline` for images) with an ASCII fallback name and the RFC 5987 one.
fn disposition(name: &str, inline: bool) -> String {
    let ascii: String = name
        .chars()
        .map(|c| if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' { c } else { '_' })
        .collect();
    let kind = if inline { "inline" } else { "attachment" };
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{}", utf8_percent_encode(name, SEGMENT))
}

fn api_error(status: StatusCode, kind: &str, message: &str) -> Response {
    (status, axum::Json(json!({"error": {"type": kind, "message": message}}))).into_response()
}

fn too_large() -> Response {
    api_error(StatusCode::PAYLOAD_TOO_LARGE, "entity_too_large", "Upload limit exceeded (10MB).")
}

pub async fn upload(
    State(shared): State<Arc<Shared>>,
    Path(ver): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    if crate::util::version_of(&ver, &[(3, 5), (3, 6)]).is_none_or(|(_, ok)| !ok) {
        return api_error(
            StatusCode::BAD_REQUEST,
            "unsupported_version",
            "Cannot call unsupported API versions.",
        );
    }
    let auth = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    let valid = {
        let mut st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
        let now = st.now_unix();
        auth.strip_prefix("Bearer ")
            .and_then(|t| st.tokens.get(t))
            .is_some_and(|(_, org, exp)| *exp > now && q.get("organization_id").is_none_or(|o| o == org))
    };
    if !valid {
        return api_error(StatusCode::UNAUTHORIZED, "authentication", "Authentication error");
    }
    let Ok(mut mp) = multipart else {
        return api_error(StatusCode::BAD_REQUEST, "validation", "`file` multipart field is required");
    };
    let limit = shared.cfg.upload_limit;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return too_large(),
            Err(_) => return api_error(StatusCode::BAD_REQUEST, "validation", "malformed multipart body"),
        };
        if field.name() != Some("file") {
            continue;
        }
        let name = clean_name(field.file_name().unwrap_or("file"));
        if is_executable(&name) {
            return api_error(StatusCode::BAD_REQUEST, "validation", "executable files are not allowed");
        }
        let data = match field.bytes().await {
            Ok(d) => d,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return too_large(),
            Err(_) => return too_large(),
        };
        if data.len() > limit {
            return too_large();
        }
        let id = shared.files.lock().unwrap_or_else(|e| e.into_inner()).put(name.clone(), data);
        let base = shared.state.lock().unwrap_or_else(|e| e.into_inner()).http_base.clone();
        return axum::Json(json!({ "url": file_url(&base, &id, &name) })).into_response();
    }
    api_error(StatusCode::BAD_REQUEST, "validation", "`file` multipart field is required")
}

pub async fn serve_file(
    State(shared): State<Arc<Shared>>,
    Path((id, _name)): Path<(String, String)>,
) -> Response {
    let files = shared.files.lock().unwrap_or_else(|e| e.into_inner());
    let Some(f) = files.map.get(&id) else { return StatusCode::NOT_FOUND.into_response() };
    let ct = guess_content_type(&f.name);
    let mut h = HeaderMap::new();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    if let Ok(v) = HeaderValue::from_str(&disposition(&f.name, ct.starts_with("image/"))) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    (h, f.data.clone()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executables_are_seen_through_windows_name_rules() {
        for n in
            ["x.exe", "x.EXE.", "x.exe ", "X.Exe", "x.exe::$DATA", "x.exe. . ", "x.exe\t", "a.b.BaT:zone"]
        {
            assert!(is_executable(n), "{n}");
        }
        for n in ["x.txt", "exe", "x.exe.txt", "x.png", "x.txt:evil.exe"] {
            assert!(!is_executable(n), "{n}");
        }
    }

    #[test]
    fn content_types_come_from_the_allow_list() {
        assert_eq!(guess_content_type("a.PNG"), "image/png");
        assert_eq!(guess_content_type("a.html"), "application/octet-stream");
        assert_eq!(guess_content_type("a.svg"), "application/octet-stream");
        assert_eq!(guess_content_type("notes.txt"), "text/plain");
    }

    #[test]
    fn urls_are_encoded_and_names_round_trip() {
        let name = "my file #1?.txt ñ";
        let url = file_url("http://h", "f000001", name);
        assert_eq!(url, "http://h/_sim/files/f000001/my%20file%20%231%3F.txt%20%C3%B1");
        let seg = url.rsplit('/').next().unwrap();
        assert_eq!(name_from_url_segment(seg), name);
        assert_eq!(clean_name("a/b\\c\r\n"), "a_b_c__");
        assert_eq!(clean_name(""), "file");
        assert!(clean_name(&"é".repeat(300)).len() <= MAX_NAME);
        assert_eq!(
            disposition("a\"b ñ.txt", false),
            "attachment; filename=\"a_b _.txt\"; filename*=UTF-8''a%22b%20%C3%B1.txt"
        );
    }
}
