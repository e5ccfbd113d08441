//! The customer's identity cookies, and how to keep them across restarts.
//!
//! With the `cookie` grant the accounts service keeps who the customer is in two cookies
//! (`__lc_cid`, `__lc_cst`). A process that forgets them becomes a new customer the next
//! time it asks for a token, so a backend or a CLI that should stay the same customer saves
//! the jar and gives it back to `Identity::cookie` after a restart:
//!
//! ```
//! use livechat_core::identity::CookieJar;
//! let saved = r#"{"version":1,"cookies":[{"name":"__lc_cid","value":"c-123"}]}"#;
//! let jar = CookieJar::from_json(saved).expect("a saved jar");
//! assert_eq!(jar.names(), ["__lc_cid"]);
//! assert_eq!(jar.to_json(), saved);
//! assert!(!format!("{jar:?}").contains("c-123"), "Debug never shows a value");
//! ```
//!
//! # The JSON shape (stable)
//! ```json
//! {"version": 1, "cookies": [{"name": "__lc_cid", "value": "…"}, {"name": "__lc_cst", "value": "…"}]}
//! ```
//! * `version` is `1`; a jar written by a later, incompatible version is refused with an
//!   error naming the version, never misread. Unknown fields are ignored (a later
//!   compatible version may add some).
//! * `cookies` keeps the order the service set them in; a name appears once.
//!
//! The JSON holds the cookie values in clear: it *is* the customer's identity. Store it
//! like a password (a file only the service user can read, a secret store). `Debug` of a
//! jar prints the cookie names only.

use std::fmt;
use std::sync::{Arc, Mutex};

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Error;
use crate::http::HttpResponse;
use crate::token::Secret;

/// The version written by [`CookieJar::to_json`] and the only one read back.
pub const JAR_VERSION: u64 = 1;

/// The cookies the accounts service keeps a customer's identity in (`__lc_cid`,
/// `__lc_cst`). One host, two names, no paths: this is all the jar a token client needs.
/// Serialises to the JSON shape in the [module docs](self).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CookieJar {
    cookies: Vec<(String, Secret)>,
}

impl CookieJar {
    /// Store every `Set-Cookie` of a response (name and value; attributes are not needed:
    /// the jar is only ever sent back to the accounts service that set it).
    pub fn store(&mut self, resp: &HttpResponse) {
        for (name, value) in &resp.headers {
            if !name.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let pair = value.split(';').next().unwrap_or("");
            let Some((k, v)) = pair.split_once('=') else { continue };
            self.insert(k, v);
        }
    }

    /// Set one cookie (replacing one of the same name). Empty names are ignored.
    pub fn insert(&mut self, name: &str, value: &str) {
        let (k, v) = (name.trim(), value.trim());
        if k.is_empty() {
            return;
        }
        self.cookies.retain(|(n, _)| n != k);
        self.cookies.push((k.to_string(), Secret::new(v)));
    }

    /// The `Cookie` header value, if any cookie is stored.
    pub fn header(&self) -> Option<String> {
        if self.cookies.is_empty() {
            return None;
        }
        Some(self.cookies.iter().map(|(k, v)| format!("{k}={}", v.expose())).collect::<Vec<_>>().join("; "))
    }

    pub fn is_empty(&self) -> bool {
        self.cookies.is_empty()
    }

    /// The cookie names, in the order they were set (no values).
    pub fn names(&self) -> Vec<&str> {
        self.cookies.iter().map(|(k, _)| k.as_str()).collect()
    }

    /// The JSON shape of the [module docs](self). It holds secrets: store it like a password.
    pub fn to_json(&self) -> String {
        // Serialising strings into a String cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Read a jar saved with [`CookieJar::to_json`]; an error names what is wrong (never a
    /// cookie value).
    pub fn from_json(text: &str) -> Result<CookieJar, Error> {
        serde_json::from_str(text).map_err(|e| Error::invalid(format!("not a saved cookie jar: {e}")))
    }
}

impl fmt::Debug for CookieJar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.cookies.iter().map(|(k, _)| k)).finish()
    }
}

#[derive(Serialize)]
struct CookieOut<'a> {
    name: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
struct JarOut<'a> {
    version: u64,
    cookies: Vec<CookieOut<'a>>,
}

#[derive(Deserialize)]
struct CookieIn {
    name: String,
    value: String,
}

#[derive(Deserialize)]
struct JarIn {
    version: u64,
    cookies: Vec<CookieIn>,
}

impl Serialize for CookieJar {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let cookies =
            self.cookies.iter().map(|(name, value)| CookieOut { name, value: value.expose() }).collect();
        JarOut { version: JAR_VERSION, cookies }.serialize(s)
    }
}

impl<'de> Deserialize<'de> for CookieJar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<CookieJar, D::Error> {
        let raw = JarIn::deserialize(d)?;
        if raw.version != JAR_VERSION {
            return Err(D::Error::custom(format!(
                "cookie jar version {} is not supported (this version reads {JAR_VERSION})",
                raw.version
            )));
        }
        let mut jar = CookieJar::default();
        for c in raw.cookies {
            if c.name.trim().is_empty() {
                return Err(D::Error::custom("a cookie without a name"));
            }
            jar.insert(&c.name, &c.value);
        }
        Ok(jar)
    }
}

/// A live view of the jar a running client keeps: the token source updates it after every
/// token response, the client handle reads it ([`SharedJar::get`]) to save it.
#[derive(Clone, Default)]
pub struct SharedJar(Arc<Mutex<CookieJar>>);

impl SharedJar {
    pub fn new(jar: CookieJar) -> SharedJar {
        SharedJar(Arc::new(Mutex::new(jar)))
    }

    /// A copy of the jar as it is now.
    pub fn get(&self) -> CookieJar {
        match self.0.lock() {
            Ok(j) => j.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub(crate) fn set(&self, jar: &CookieJar) {
        match self.0.lock() {
            Ok(mut j) => *j = jar.clone(),
            Err(poisoned) => *poisoned.into_inner() = jar.clone(),
        }
    }
}

impl fmt::Debug for SharedJar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SharedJar").field(&self.get()).finish()
    }
}

impl PartialEq for SharedJar {
    fn eq(&self, other: &SharedJar) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.get() == other.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_other_versions_without_showing_values() {
        let mut jar = CookieJar::default();
        jar.store(
            &HttpResponse::new(200, "{}")
                .with_header("Set-Cookie", "__lc_cid=abc; Path=/v2/customer; HttpOnly")
                .with_header("set-cookie", "__lc_cst=d=e; Secure"),
        );
        let text = jar.to_json();
        assert_eq!(
            text,
            r#"{"version":1,"cookies":[{"name":"__lc_cid","value":"abc"},{"name":"__lc_cst","value":"d=e"}]}"#
        );
        let back = CookieJar::from_json(&text).unwrap();
        assert_eq!(back, jar);
        assert_eq!(back.header().as_deref(), Some("__lc_cid=abc; __lc_cst=d=e"));

        let later = r#"{"version":2,"cookies":[{"name":"__lc_cid","value":"secret-v"}]}"#;
        let err = CookieJar::from_json(later).unwrap_err();
        assert!(err.message.contains("version 2"), "{err}");
        assert!(!err.message.contains("secret-v"), "{err}");
        assert!(CookieJar::from_json(r#"{"cookies":[]}"#).is_err(), "the version is required");
        assert!(CookieJar::from_json("[1,2]").is_err());
        let extra = r#"{"version":1,"cookies":[{"name":"a","value":"1","domain":"x"}],"saved_at":5}"#;
        assert_eq!(CookieJar::from_json(extra).unwrap().names(), ["a"]);

        let shared = SharedJar::new(jar.clone());
        assert!(!format!("{shared:?} {jar:?}").contains("abc"));
        shared.set(&CookieJar::default());
        assert!(shared.get().is_empty());
    }
}
