//! Validation of events sent by clients (customer `recipients`, agent `visibility`).

use crate::util::{ApiError, ApiResult, check_properties, opt_str, req_str};
use serde_json::{Map, Value, json};

/// Maximum message text, in bytes.
pub const MAX_TEXT: usize = 16 * 1024;

/// Resolves a file URL served by the sim to `(name, content_type, size)`.
pub type FileLookup<'a> = &'a dyn Fn(&str) -> Option<(String, String, usize)>;

/// Checks one client event and returns its stored body (without id, author and timestamp).
/// `file_info` resolves a URL served by the sim to `(name, content_type, size)`.
pub fn validate_event(
    ev: &Value,
    path: &str,
    agent_side: bool,
    file_info: FileLookup<'_>,
) -> ApiResult<Map<String, Value>> {
    let Value::Object(src) = ev else { return Err(ApiError::validation(path, "must be an object")) };
    let ty = req_str(ev, "type", &format!("{path}.type"))?;
    let mut out = Map::new();
    out.insert("type".into(), json!(ty));
    if let Some(c) = opt_str(ev, "custom_id", &format!("{path}.custom_id"))? {
        out.insert("custom_id".into(), json!(c));
    }
    if let Some(p) = src.get("properties").filter(|v| !v.is_null()) {
        check_properties(p, &format!("{path}.properties"))?;
        out.insert("properties".into(), p.clone());
    }
    let (key, default) = if agent_side { ("visibility", "all") } else { ("recipients", "all") };
    let aud = opt_str(ev, key, &format!("{path}.{key}"))?.unwrap_or(default);
    if aud != "all" && aud != "agents" {
        return Err(ApiError::validation(&format!("{path}.{key}"), "must be `all` or `agents`"));
    }
    out.insert(key.into(), json!(aud));
    let copy = |out: &mut Map<String, Value>, k: &str| {
        if let Some(v) = src.get(k).filter(|v| !v.is_null()) {
            out.insert(k.to_string(), v.clone());
        }
    };
    match ty {
        "message" => {
            let text = req_str(ev, "text", &format!("{path}.text"))?;
            if text.len() > MAX_TEXT {
                return Err(ApiError::validation(&format!("{path}.text"), "is longer than 16 KB"));
            }
            out.insert("text".into(), json!(text));
            if let Some(pb) = src.get("postback").filter(|v| !v.is_null()) {
                let pp = format!("{path}.postback");
                req_str(pb, "id", &format!("{pp}.id"))?;
                req_str(pb, "thread_id", &format!("{pp}.thread_id"))?;
                req_str(pb, "event_id", &format!("{pp}.event_id"))?;
                out.insert("postback".into(), pb.clone());
            }
        }
        "file" => {
            let url = req_str(ev, "url", &format!("{path}.url"))?;
            let (name, ct, size) = file_info(url).unwrap_or_else(|| {
                let name = url.rsplit('/').next().unwrap_or("file").split('?').next().unwrap_or("file");
                (name.to_string(), "application/octet-stream".to_string(), 0)
            });
            out.insert("url".into(), json!(url));
            out.insert("name".into(), json!(name));
            out.insert("content_type".into(), json!(ct));
            out.insert("size".into(), json!(size));
            copy(&mut out, "alternative_text");
        }
        "form" | "filled_form" => {
            req_str(ev, "form_id", &format!("{path}.form_id"))?;
            if !src.get("fields").is_some_and(Value::is_array) {
                return Err(ApiError::validation(
                    &format!("{path}.fields"),
                    "is required and must be an array",
                ));
            }
            copy(&mut out, "form_id");
            copy(&mut out, "fields");
            copy(&mut out, "form_type");
        }
        "rich_message" => {
            let tpl = req_str(ev, "template_id", &format!("{path}.template_id"))?;
            let allowed: &[&str] = if agent_side {
                &["cards", "sticker", "quick_replies", "ecommerce"]
            } else {
                &["cards", "sticker", "quick_replies"]
            };
            if !allowed.contains(&tpl) {
                return Err(ApiError::validation(&format!("{path}.template_id"), "is not a known template"));
            }
            let elements = src.get("elements").and_then(Value::as_array).cloned().unwrap_or_default();
            if elements.len() > 10 {
                return Err(ApiError::validation(&format!("{path}.elements"), "has more than 10 elements"));
            }
            for (i, el) in elements.iter().enumerate() {
                if el.get("buttons").and_then(Value::as_array).is_some_and(|b| b.len() > 13) {
                    return Err(ApiError::validation(
                        &format!("{path}.elements[{i}].buttons"),
                        "has more than 13 buttons",
                    ));
                }
            }
            copy(&mut out, "template_id");
            copy(&mut out, "elements");
        }
        "custom" => {
            if let Some(c) = src.get("content").filter(|v| !v.is_null()) {
                if !c.is_object() {
                    return Err(ApiError::validation(&format!("{path}.content"), "must be an object"));
                }
                out.insert("content".into(), c.clone());
            }
        }
        "system_message" => {
            req_str(ev, "system_message_type", &format!("{path}.system_message_type"))?;
            copy(&mut out, "system_message_type");
            copy(&mut out, "text");
            copy(&mut out, "text_vars");
        }
        "system" => {
            return Err(ApiError::validation(&format!("{path}.type"), "`system` events cannot be sent"));
        }
        _ => return Err(ApiError::validation(&format!("{path}.type"), "is not a known event type")),
    }
    Ok(out)
}

/// Is this body authored content the bot should answer?
pub fn message_text(body: &Map<String, Value>) -> Option<String> {
    (body.get("type").and_then(Value::as_str) == Some("message"))
        .then(|| body.get("text").and_then(Value::as_str).map(str::to_string))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<(String, String, usize)> {
        None
    }

    #[test]
    fn message_needs_text_and_limit() {
        let e = validate_event(&json!({"type":"message"}), "event", false, &none).unwrap_err();
        assert_eq!(e.kind, "validation");
        assert!(e.message.contains("event.text"));
        let long = "x".repeat(MAX_TEXT + 1);
        assert!(validate_event(&json!({"type":"message","text":long}), "event", false, &none).is_err());
        let ok =
            validate_event(&json!({"type":"message","text":"hi","custom_id":"c1"}), "event", false, &none)
                .unwrap();
        assert_eq!(ok["custom_id"], "c1");
        assert_eq!(ok["recipients"], "all");
    }

    #[test]
    fn rejects_unknown_and_system() {
        assert!(validate_event(&json!({"type":"bogus"}), "event", false, &none).is_err());
        assert!(validate_event(&json!({"type":"system"}), "event", false, &none).is_err());
        let els: Vec<Value> = (0..11).map(|_| json!({})).collect();
        let e = validate_event(
            &json!({"type":"rich_message","template_id":"cards","elements":els}),
            "e",
            false,
            &none,
        );
        assert!(e.unwrap_err().message.contains("e.elements"));
    }
}
