//! Plain HTTP request and response values.
//!
//! Core never performs HTTP: it builds an [`HttpRequest`] (token grants, file uploads), a
//! transport executes it with whatever client it likes, and hands the result back as an
//! [`HttpResponse`] to a core parser. Neither type knows about sockets, TLS, redirects,
//! cookies or timeouts; those are the transport's business.
//!
//! Both types are careful in `Debug`: credential headers (`Authorization`, `Cookie`,
//! `Set-Cookie`, `Proxy-Authorization`) are printed as `<redacted>`, and bodies are never
//! dumped, only their length, because a token request or response body carries credentials
//! (an `access_token`, an agent token's grant) and an upload body is an arbitrary file.

use std::fmt;

use bytes::Bytes;

/// The HTTP methods core ever asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    /// The method token as sent on the wire (`"GET"`, `"POST"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Header names whose values are credentials and never printed.
const SENSITIVE_HEADERS: &[&str] = &["authorization", "proxy-authorization", "cookie", "set-cookie"];

fn is_sensitive_header(name: &str) -> bool {
    SENSITIVE_HEADERS.iter().any(|s| s.eq_ignore_ascii_case(name))
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// `Debug` helper for a header list that hides credential values.
struct RedactedHeaders<'a>(&'a [(String, String)]);

impl fmt::Debug for RedactedHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for (name, value) in self.0 {
            if is_sensitive_header(name) {
                list.entry(&(name, "<redacted>"));
            } else {
                list.entry(&(name, value));
            }
        }
        list.finish()
    }
}

/// `Debug` helper that prints a body's length, never its bytes.
struct BodyLen(usize);

impl fmt::Debug for BodyLen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} bytes>", self.0)
    }
}

/// An HTTP request for a transport to perform.
///
/// `headers` keeps order and duplicates as built; the transport adds what its client needs
/// on top (`Host`, `Content-Length`, `User-Agent`, cookies from its jar).
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: Method,
    /// Absolute URL, already percent-encoded.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl HttpRequest {
    /// A request with no headers and an empty body.
    pub fn new(method: Method, url: impl Into<String>) -> HttpRequest {
        HttpRequest { method, url: url.into(), headers: Vec::new(), body: Bytes::new() }
    }

    /// Append a header (builder style).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> HttpRequest {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Set the body (builder style).
    pub fn with_body(mut self, body: impl Into<Bytes>) -> HttpRequest {
        self.body = body.into();
        self
    }

    /// The first value of header `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &RedactedHeaders(&self.headers))
            .field("body", &BodyLen(self.body.len()))
            .finish()
    }
}

/// What a transport got back for an [`HttpRequest`]: status, headers and the whole body.
///
/// Transport-level failures (DNS, TLS, connection reset, timeout) are not responses; the
/// transport reports them as an [`Error`](crate::Error) instead.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

impl HttpResponse {
    /// A response with no headers.
    pub fn new(status: u16, body: impl Into<Bytes>) -> HttpResponse {
        HttpResponse { status, headers: Vec::new(), body: body.into() }
    }

    /// Append a header (builder style).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> HttpResponse {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The first value of header `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// `true` for a 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body parsed as JSON, or `None` when it is not JSON (whatever the `Content-Type`
    /// says: servers and proxies get that header wrong often enough).
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &RedactedHeaders(&self.headers))
            .field("body", &BodyLen(self.body.len()))
            .finish()
    }
}

/// Percent-encode `s` for use as one query value or one path segment: every byte outside
/// RFC 3986's unreserved set (`A-Z a-z 0-9 - . _ ~`) becomes `%XX` (upper-case hex) of its
/// UTF-8 encoding. Stricter than needed in places, which is always safe.
pub(crate) fn encode_query_component(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0x0f)] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lookup_is_case_insensitive_and_returns_the_first() {
        let req = HttpRequest::new(Method::Post, "https://x.test/")
            .with_header("Content-Type", "application/json")
            .with_header("X-A", "1")
            .with_header("x-a", "2");
        assert_eq!(req.header("content-type"), Some("application/json"));
        assert_eq!(req.header("CONTENT-TYPE"), Some("application/json"));
        assert_eq!(req.header("x-A"), Some("1"));
        assert_eq!(req.header("missing"), None);

        let resp = HttpResponse::new(200, "{}").with_header("ConTent-Type", "text/plain");
        assert_eq!(resp.header("content-type"), Some("text/plain"));
    }

    #[test]
    fn request_debug_redacts_credentials_and_never_dumps_the_body() {
        let req = HttpRequest::new(Method::Post, "https://accounts.test/v2/customer/token")
            .with_header("authorization", "Bearer dal:SECRET_AGENT_TOKEN")
            .with_header("Cookie", "__lc_cst=SECRET_COOKIE")
            .with_header("Content-Type", "application/json")
            .with_body(r#"{"grant_type":"agent_token","entity_id":"SECRET_BODY"}"#);
        let dbg = format!("{req:?}");
        let alt = format!("{req:#?}");
        for s in [&dbg, &alt] {
            assert!(!s.contains("SECRET"), "{s}");
            assert!(s.contains("<redacted>"), "{s}");
            assert!(s.contains("application/json"), "{s}");
            assert!(s.contains(&format!("<{} bytes>", req.body.len())), "{s}");
            assert!(s.contains("Post"), "{s}");
        }
    }

    #[test]
    fn response_debug_redacts_set_cookie_and_the_body() {
        let resp = HttpResponse::new(200, r#"{"access_token":"dal:SECRET"}"#)
            .with_header("Set-Cookie", "__lc_cid=SECRET; Path=/v2/customer");
        let dbg = format!("{resp:?}");
        assert!(!dbg.contains("SECRET"), "{dbg}");
        assert!(dbg.contains("200"), "{dbg}");
    }

    #[test]
    fn success_range_and_json() {
        assert!(HttpResponse::new(200, "").is_success());
        assert!(HttpResponse::new(299, "").is_success());
        assert!(!HttpResponse::new(199, "").is_success());
        assert!(!HttpResponse::new(300, "").is_success());
        assert_eq!(HttpResponse::new(200, r#"{"a":1}"#).json(), Some(serde_json::json!({"a": 1})));
        assert_eq!(HttpResponse::new(200, &b"\xff\x00garbage"[..]).json(), None);
    }

    #[test]
    fn method_wire_names() {
        assert_eq!(Method::Get.as_str(), "GET");
        assert_eq!(Method::Post.to_string(), "POST");
    }

    #[test]
    fn query_component_encoding() {
        assert_eq!(encode_query_component(""), "");
        assert_eq!(encode_query_component("AZaz09-._~"), "AZaz09-._~");
        assert_eq!(
            encode_query_component("390e44e6-f1e6-0368-c526-b5a2e8e3d21b"),
            "390e44e6-f1e6-0368-c526-b5a2e8e3d21b"
        );
        assert_eq!(encode_query_component("a b&c=d/e?f#g+h%"), "a%20b%26c%3Dd%2Fe%3Ff%23g%2Bh%25");
        assert_eq!(encode_query_component("é"), "%C3%A9");
        assert_eq!(encode_query_component("\r\n\0"), "%0D%0A%00");
    }
}
