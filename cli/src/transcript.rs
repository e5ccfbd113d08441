//! Readable one-line renderings of chat events, shared by `demo` and `chat`.

use std::collections::HashMap;

use livechat_core::model::{ChatEvent, Thread, User};

/// Display names by user id.
#[derive(Debug, Default, Clone)]
pub struct Names {
    names: HashMap<String, String>,
    me: Option<String>,
}

impl Names {
    /// `me` is shown as "You".
    pub fn new(me: Option<String>) -> Names {
        Names { names: HashMap::new(), me }
    }

    pub fn set_me(&mut self, me: &str) {
        self.me = Some(me.to_string());
    }

    pub fn learn(&mut self, user: &User) {
        let name = match user {
            User::Customer(c) => c.name.clone(),
            User::Agent(a) => a.name.clone(),
            User::Other(v) => v.get("name").and_then(|n| n.as_str()).map(str::to_string),
        };
        if let Some(name) = name.filter(|n| !n.is_empty()) {
            self.names.insert(user.id().to_string(), name);
        }
    }

    pub fn name(&self, id: Option<&str>) -> String {
        match id {
            None => "system".to_string(),
            Some(id) if self.me.as_deref() == Some(id) => "You".to_string(),
            Some(id) => self.names.get(id).cloned().unwrap_or_else(|| id.to_string()),
        }
    }
}

/// `HH:MM:SS` of an RFC 3339 timestamp (as sent, UTC), or blanks.
pub fn clock(created_at: Option<&str>) -> String {
    created_at.and_then(|t| t.get(11..19)).unwrap_or("--:--:--").to_string()
}

/// The event's content on one line: the text of a message, a summary of anything else.
pub fn summary(event: &ChatEvent) -> String {
    match event {
        ChatEvent::Message(m) => match &m.postback {
            Some(pb) => format!("{} (button `{}`)", m.text, pb.id),
            None => m.text.clone(),
        },
        ChatEvent::File(f) => {
            let name = f.name.as_deref().unwrap_or("file");
            let size = f.size.filter(|s| *s > 0).map(|s| format!(", {s} B")).unwrap_or_default();
            let ct = f.content_type.as_deref().unwrap_or("?");
            format!("[file {name} ({ct}{size}) {}]", f.url)
        }
        ChatEvent::RichMessage(r) => {
            let mut parts = Vec::new();
            for el in &r.elements {
                let title = el.title.as_deref().unwrap_or("");
                let buttons: Vec<String> =
                    el.buttons.iter().map(|b| format!("[{}]", b.text.as_deref().unwrap_or("?"))).collect();
                parts.push(format!("{title} {}", buttons.join(" ")).trim().to_string());
            }
            format!("[rich message, {}: {}]", r.template_id, parts.join(" / "))
        }
        ChatEvent::SystemMessage(s) => {
            format!("[{}] {}", s.system_message_type, s.text.as_deref().unwrap_or(""))
        }
        ChatEvent::Form(f) => {
            format!("[form {} ({} fields)]", f.form_type.as_deref().unwrap_or("?"), f.fields.len())
        }
        ChatEvent::FilledForm(f) => {
            format!("[filled form {} ({} answers)]", f.form_type.as_deref().unwrap_or("?"), f.fields.len())
        }
        ChatEvent::System(s) => format!("[system event {}]", s.subtype.as_deref().unwrap_or("?")),
        ChatEvent::Custom(_) => "[custom event]".to_string(),
        ChatEvent::Unknown(_) => format!("[{} event]", event.kind()),
    }
}

/// `HH:MM:SS  Author: content`.
pub fn line(names: &Names, event: &ChatEvent) -> String {
    format!("{}  {}: {}", clock(event.created_at()), names.name(event.author_id()), summary(event))
}

/// Threads, oldest first, with a header per thread.
pub fn render(names: &Names, threads: &[Thread]) -> String {
    let mut out = String::new();
    for t in threads {
        let state = if t.active { "active" } else { "closed" };
        let started = t.created_at.as_deref().unwrap_or("?");
        out.push_str(&format!("── thread {} ({state}, started {started}) ──\n", t.id));
        for e in &t.events {
            out.push_str("  ");
            out.push_str(&line(names, e));
            out.push('\n');
        }
    }
    out
}
