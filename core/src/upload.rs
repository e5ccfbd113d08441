//! `upload_file`, the Web API action a customer uses to attach a file (customer-api-3.6.md
//! §3.8, customer-sdk-behaviour.md §13.6).
//!
//! Core checks the size, builds the `multipart/form-data` request by hand (RFC 7578; core
//! has no HTTP client) and parses the answer. Sending it, reporting progress and cancelling
//! belong to the transport. The returned URL is temporary: it expires after 24 hours unless
//! it is used in a `file` event through `send_event`.

use bytes::Bytes;
use serde_json::Value;

use crate::error::{Error, ErrorCode};
use crate::http::{HttpRequest, HttpResponse, Method, encode_query_component};
use crate::token::Token;

/// The upload limit: 10 MiB (10 485 760 bytes), checked by the SDK before sending.
pub const MAX_UPLOAD_BYTES: u64 = 10 * 1024 * 1024;

/// Default Web API base (scheme and host; the `/v3.6/customer/...` path is added).
pub const DEFAULT_API_BASE: &str = "https://api.livechatinc.com";

/// `Ok` for `len <= MAX_UPLOAD_BYTES`, else `TOO_BIG_FILE` with the SDK's message.
pub fn check_size(len: u64) -> Result<(), Error> {
    if len <= MAX_UPLOAD_BYTES {
        Ok(())
    } else {
        Err(Error::new(ErrorCode::TooBigFile, "The file is too big (max size is 10.00 MB)."))
    }
}

/// The `upload_file` URL: `<api_base>/v<version>/customer/action/upload_file?organization_id=<org>`
/// (`version` as the session's, e.g. `3.6`).
pub fn upload_url(api_base: &str, version: &str, organization_id: &str) -> String {
    format!(
        "{}/v{}/customer/action/upload_file?organization_id={}",
        api_base.trim_end_matches('/'),
        version.trim_start_matches('v'),
        encode_query_component(organization_id)
    )
}

/// Build the `upload_file` request: `POST <upload_url>` with `Authorization` from `token`,
/// `Content-Type: multipart/form-data; boundary=…`, and a body with exactly one part named
/// `file` carrying `file_name`, `content_type` (empty → `application/octet-stream`) and
/// `data`.
///
/// The boundary is deterministic: the first of a fixed sequence of candidates that occurs
/// neither in `data` nor in the part's headers, so the same input always gives the same
/// bytes. In `file_name`, `"`, CR and LF are percent-encoded as browsers do (HTML's
/// multipart/form-data encoding), so the name cannot end the header early.
///
/// Errors: `TOO_BIG_FILE` over [`MAX_UPLOAD_BYTES`]; `INVALID_REQUEST` for an empty
/// `organization_id` or a `content_type` with control characters.
pub fn upload_request(
    api_base: &str,
    version: &str,
    organization_id: &str,
    token: &Token,
    file_name: &str,
    content_type: &str,
    data: Bytes,
) -> Result<HttpRequest, Error> {
    check_size(data.len() as u64)?;
    if organization_id.is_empty() {
        return Err(Error::invalid("organization_id must not be empty."));
    }
    let content_type = content_type.trim();
    if content_type.bytes().any(|b| b.is_ascii_control()) {
        return Err(Error::invalid("content_type must not contain control characters."));
    }
    let content_type = if content_type.is_empty() { "application/octet-stream" } else { content_type };

    let part_headers = format!(
        "Content-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: {content_type}\r\n\r\n",
        escape_filename(file_name)
    );
    let boundary = (0u64..)
        .map(boundary_candidate)
        .find(|b| !contains(&data, b.as_bytes()) && !contains(part_headers.as_bytes(), b.as_bytes()))
        .unwrap_or_default(); // the range is endless; `find` returns the first free candidate

    let mut body = Vec::with_capacity(data.len() + part_headers.len() + 2 * boundary.len() + 16);
    body.extend_from_slice(b"--");
    body.extend_from_slice(boundary.as_bytes());
    body.extend_from_slice(b"\r\n");
    body.extend_from_slice(part_headers.as_bytes());
    body.extend_from_slice(&data);
    body.extend_from_slice(b"\r\n--");
    body.extend_from_slice(boundary.as_bytes());
    body.extend_from_slice(b"--\r\n");

    Ok(HttpRequest::new(Method::Post, upload_url(api_base, version, organization_id))
        .with_header("Authorization", token.authorization_value())
        .with_header("Content-Type", format!("multipart/form-data; boundary={boundary}"))
        .with_body(body))
}

/// Candidate `n` of the boundary sequence: 43 characters from RFC 2046's allowed set.
fn boundary_candidate(n: u64) -> String {
    // splitmix64: spreads consecutive counters over the whole u64 range.
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    format!("livechat-core-boundary-{z:016x}{:04x}", n & 0xffff)
}

fn escape_filename(name: &str) -> String {
    let name = if name.is_empty() { "file" } else { name };
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '"' => out.push_str("%22"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// Substring search; jumps between occurrences of the needle's first byte.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, _)) = needle.split_first() else { return true };
    let mut rest = haystack;
    while let Some(i) = rest.iter().position(|&b| b == first) {
        if rest[i..].starts_with(needle) {
            return true;
        }
        rest = &rest[i + 1..];
    }
    false
}

fn upload_failed(message: String, status: u16) -> Error {
    let mut err = Error::new(ErrorCode::UploadFailed, message);
    err.data = Some(serde_json::json!({ "status": status }));
    err
}

/// Turn the `upload_file` answer into the file URL.
///
/// * 2xx with `{"url": "…"}` → the URL;
/// * non-2xx with `{"error": {"type", "message", "data"?}}` → that error, code from
///   [`ErrorCode::from_wire`] (e.g. `entity_too_large`, `validation`, `authentication`);
/// * anything else → `UPLOAD_FAILED` naming the status, `data` `{"status": <status>}`.
pub fn parse_upload_response(resp: &HttpResponse) -> Result<String, Error> {
    let status = resp.status;
    let json = resp.json();
    if resp.is_success() {
        return match json.as_ref().and_then(|j| j.get("url")) {
            Some(Value::String(url)) if !url.is_empty() => Ok(url.clone()),
            _ => Err(upload_failed(format!("Upload answered HTTP {status} without a file `url`."), status)),
        };
    }
    let error = json.as_ref().and_then(|j| j.get("error"));
    if let Some(kind) = error.and_then(|e| e.get("type")).and_then(Value::as_str).filter(|t| !t.is_empty()) {
        let message = error.and_then(|e| e.get("message")).and_then(Value::as_str).unwrap_or_default();
        let mut err = Error::new(ErrorCode::from_wire(kind), message);
        err.data = error.and_then(|e| e.get("data")).filter(|d| !d.is_null()).cloned();
        return Err(err);
    }
    Err(upload_failed(format!("Upload failed with HTTP {status}."), status))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use serde_json::json;

    use super::*;
    use crate::token::Secret;

    const TOKEN: &str = "dal:test_UPLOAD_SECRET";
    const ORG: &str = "390e44e6-f1e6-0368-c526-b5a2e8e3d21b";

    fn token() -> Token {
        Token {
            access_token: Secret::new(TOKEN),
            entity_id: "cust".into(),
            token_type: "Bearer".into(),
            expires_in: Duration::from_secs(28800),
            organization_id: Some(ORG.into()),
            issued_at: Instant::now(),
        }
    }

    fn boundary_of(req: &HttpRequest) -> String {
        let ct = req.header("content-type").unwrap();
        ct.strip_prefix("multipart/form-data; boundary=").expect(ct).to_owned()
    }

    fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
        (0..hay.len().saturating_sub(needle.len()) + 1).filter(|&i| hay[i..].starts_with(needle)).collect()
    }

    /// A minimal RFC 2046 multipart reader: returns (header lines, content) of each part and
    /// insists on nothing before the first delimiter and only `--\r\n` after the last.
    fn parse_multipart(body: &[u8], boundary: &str) -> Vec<(Vec<String>, Vec<u8>)> {
        let delim = format!("--{boundary}");
        let starts = find_all(body, delim.as_bytes());
        assert!(starts.len() >= 2, "need an opening and a closing delimiter");
        assert_eq!(starts[0], 0, "preamble not expected");
        let last = *starts.last().unwrap();
        assert_eq!(&body[last + delim.len()..], b"--\r\n", "closing delimiter");
        let mut parts = Vec::new();
        for pair in starts.windows(2) {
            let (from, to) = (pair[0] + delim.len(), pair[1]);
            let part = &body[from..to];
            let part = part.strip_prefix(b"\r\n").expect("CRLF after delimiter");
            let part = part.strip_suffix(b"\r\n").expect("CRLF before delimiter");
            let split = find_all(part, b"\r\n\r\n")[0];
            let headers = std::str::from_utf8(&part[..split]).unwrap();
            let headers = headers.split("\r\n").map(str::to_owned).collect();
            parts.push((headers, part[split + 4..].to_vec()));
        }
        parts
    }

    #[test]
    fn size_limit_edges() {
        assert_eq!(MAX_UPLOAD_BYTES, 10_485_760);
        assert!(check_size(0).is_ok());
        assert!(check_size(MAX_UPLOAD_BYTES).is_ok());
        let err = check_size(MAX_UPLOAD_BYTES + 1).unwrap_err();
        assert_eq!(err.code, ErrorCode::TooBigFile);
        assert_eq!(err.code(), "TOO_BIG_FILE");
        assert_eq!(err.message, "The file is too big (max size is 10.00 MB).");
        assert!(check_size(u64::MAX).is_err());

        let max = Bytes::from(vec![0u8; MAX_UPLOAD_BYTES as usize]);
        let req = upload_request(DEFAULT_API_BASE, "3.6", ORG, &token(), "big.bin", "", max).unwrap();
        let parts = parse_multipart(&req.body, &boundary_of(&req));
        assert_eq!(parts[0].1.len() as u64, MAX_UPLOAD_BYTES);

        let over = Bytes::from(vec![0u8; MAX_UPLOAD_BYTES as usize + 1]);
        let err = upload_request(DEFAULT_API_BASE, "3.6", ORG, &token(), "big.bin", "", over).unwrap_err();
        assert_eq!(err.code, ErrorCode::TooBigFile);
    }

    #[test]
    fn upload_request_wire_output() {
        let data = Bytes::from_static(b"hello\r\nworld");
        let req =
            upload_request("https://api.livechatinc.com/", "3.6", ORG, &token(), "a.txt", "text/plain", data)
                .unwrap();
        let b = boundary_candidate(0);
        assert_eq!(req.method, Method::Post);
        assert_eq!(
            req.url,
            format!("https://api.livechatinc.com/v3.6/customer/action/upload_file?organization_id={ORG}")
        );
        assert_eq!(
            req.headers,
            vec![
                ("Authorization".to_owned(), format!("Bearer {TOKEN}")),
                ("Content-Type".to_owned(), format!("multipart/form-data; boundary={b}")),
            ]
        );
        let expected = format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\
             Content-Type: text/plain\r\n\r\nhello\r\nworld\r\n--{b}--\r\n"
        );
        assert_eq!(std::str::from_utf8(&req.body).unwrap(), expected);
        assert!(b.len() <= 70 && b.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'));

        let dbg = format!("{req:?}");
        assert!(!dbg.contains("UPLOAD_SECRET"), "{dbg}");
        assert!(!dbg.contains("hello"), "{dbg}");
    }

    #[test]
    fn multipart_body_parses_back() {
        let data: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        let req = upload_request(
            "http://127.0.0.1:9/",
            "3.6",
            ORG,
            &token(),
            "photo.png",
            "image/png",
            Bytes::from(data.clone()),
        )
        .unwrap();
        let parts = parse_multipart(&req.body, &boundary_of(&req));
        assert_eq!(parts.len(), 1);
        let (headers, content) = &parts[0];
        assert_eq!(
            headers,
            &vec![
                r#"Content-Disposition: form-data; name="file"; filename="photo.png""#.to_owned(),
                "Content-Type: image/png".to_owned(),
            ]
        );
        assert_eq!(content, &data);
    }

    #[test]
    fn boundary_avoids_the_data_and_is_deterministic() {
        let b0 = boundary_candidate(0);
        let b1 = boundary_candidate(1);
        assert_ne!(b0, b1);
        let data = Bytes::from(format!("x--{b0}\r\n--{b0}--\r\n"));
        let req = upload_request(DEFAULT_API_BASE, "3.6", ORG, &token(), "f", "", data.clone()).unwrap();
        assert_eq!(boundary_of(&req), b1);
        let parts = parse_multipart(&req.body, &b1);
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].1, data.to_vec());
        let again = upload_request(DEFAULT_API_BASE, "3.6", ORG, &token(), "f", "", data).unwrap();
        assert_eq!(again, req);

        // A file name that happens to contain the first candidate also moves the boundary.
        let req = upload_request(DEFAULT_API_BASE, "3.6", ORG, &token(), &b0, "", Bytes::new()).unwrap();
        assert_eq!(boundary_of(&req), b1);
    }

    #[test]
    fn filename_and_content_type_cannot_inject_headers() {
        let req = upload_request(
            DEFAULT_API_BASE,
            "3.6",
            ORG,
            &token(),
            "evil\"\r\nContent-Type: text/html\r\n\r\n.txt",
            "",
            Bytes::from_static(b"x"),
        )
        .unwrap();
        let parts = parse_multipart(&req.body, &boundary_of(&req));
        assert_eq!(
            parts[0].0,
            vec![
                r#"Content-Disposition: form-data; name="file"; filename="evil%22%0D%0AContent-Type: text/html%0D%0A%0D%0A.txt""#
                    .to_owned(),
                "Content-Type: application/octet-stream".to_owned(),
            ]
        );
        assert_eq!(parts[0].1, b"x");

        // Empty name → "file"; non-ASCII kept as UTF-8.
        let req = upload_request(DEFAULT_API_BASE, "3.6", ORG, &token(), "", "", Bytes::new()).unwrap();
        assert!(parse_multipart(&req.body, &boundary_of(&req))[0].0[0].ends_with("filename=\"file\""));
        let req =
            upload_request(DEFAULT_API_BASE, "3.6", ORG, &token(), "zdjęcie.jpg", "image/jpeg", Bytes::new())
                .unwrap();
        assert!(parse_multipart(&req.body, &boundary_of(&req))[0].0[0].ends_with("filename=\"zdjęcie.jpg\""));

        let err =
            upload_request(DEFAULT_API_BASE, "3.6", ORG, &token(), "a", "text/plain\r\nX: y", Bytes::new())
                .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidRequest);
    }

    #[test]
    fn organization_id_is_encoded_and_required() {
        assert_eq!(
            upload_url("http://127.0.0.1:8080", "3.6", "a b&c=d"),
            "http://127.0.0.1:8080/v3.6/customer/action/upload_file?organization_id=a%20b%26c%3Dd"
        );
        let err = upload_request(DEFAULT_API_BASE, "3.6", "", &token(), "a", "", Bytes::new()).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidRequest);
    }

    #[test]
    fn authorization_uses_the_colon_fix() {
        let mut t = token();
        t.access_token = Secret::new("dal%3Aabc");
        let req = upload_request(DEFAULT_API_BASE, "3.6", ORG, &t, "a", "", Bytes::new()).unwrap();
        assert_eq!(req.header("authorization"), Some("Bearer dal:abc"));
    }

    // ---- parse_upload_response ----

    fn resp(status: u16, body: Value) -> HttpResponse {
        HttpResponse::new(status, serde_json::to_vec(&body).unwrap())
    }

    #[test]
    fn upload_success() {
        let url = "https://cdn.livechat-files.com/api/file/lc/att/8948324/45a3581b59a7295145c3825c86ec7ab3/image.png";
        assert_eq!(parse_upload_response(&resp(200, json!({"url": url}))).unwrap(), url);
        assert_eq!(parse_upload_response(&resp(201, json!({"url": url, "extra": 1}))).unwrap(), url);
    }

    #[test]
    fn upload_api_errors_keep_their_code() {
        let err = parse_upload_response(&resp(
            413,
            json!({"error": {"type": "entity_too_large", "message": "Upload limit exceeded (10MB)."}}),
        ))
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::EntityTooLarge);
        assert_eq!(err.code(), "ENTITY_TOO_LARGE");
        assert_eq!(err.message, "Upload limit exceeded (10MB).");
        assert_eq!(err.data, None);

        let err = parse_upload_response(&resp(
            400,
            json!({"error": {"type": "validation", "message": "bad", "data": {"field": "file"}}}),
        ))
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::Validation);
        assert_eq!(err.data, Some(json!({"field": "file"})));

        let err =
            parse_upload_response(&resp(401, json!({"error": {"type": "brand_new_thing"}}))).unwrap_err();
        assert_eq!(err.code, ErrorCode::Other("brand_new_thing".into()));
        assert_eq!(err.message, "");
    }

    #[test]
    fn upload_failures_name_the_status() {
        let cases = [
            HttpResponse::new(502, "<html>Bad Gateway</html>"),
            HttpResponse::new(413, ""),
            resp(500, json!({"error": "flat string"})),
            resp(500, json!({"error": {"message": "no type"}})),
            resp(500, json!({"error": {"type": ""}})),
            resp(500, json!([1, 2])),
            resp(200, json!({})),
            resp(200, json!({"url": ""})),
            resp(200, json!({"url": 5})),
            HttpResponse::new(200, &b"\xff\xfe"[..]),
            HttpResponse::new(204, ""),
        ];
        for r in cases {
            let err = parse_upload_response(&r).unwrap_err();
            assert_eq!(err.code, ErrorCode::UploadFailed, "{r:?}");
            assert!(err.message.contains(&r.status.to_string()), "{err}");
            assert_eq!(err.data, Some(json!({"status": r.status})));
        }
        let mut rng = fastrand::Rng::with_seed(11);
        for _ in 0..500 {
            let len = rng.usize(0..64);
            let bytes: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
            let _ = parse_upload_response(&HttpResponse::new(rng.u16(..), bytes));
        }
    }
}
