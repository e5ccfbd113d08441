//! Chat events (customer-api-3.6.md §5.1): what `send_event` sends and threads hold.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::{FilledFormField, FormField, Properties, Recipients, RichElement, TemplateId};

/// Declares an event payload struct with the fields every event shares (`id`, `custom_id`,
/// `created_at`, `author_id`, `recipients`, `visibility`, `properties`) followed by its own
/// fields.
macro_rules! event_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        pub struct $name {
            /// Server-generated; absent on events being sent and on previews.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub id: Option<String>,
            /// Client-chosen id, echoed back by the server.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub custom_id: Option<String>,
            /// RFC 3339; set by the server.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub created_at: Option<String>,
            /// Absent on system-generated events.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub author_id: Option<String>,
            /// `all` (default) or `agents`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub recipients: Option<Recipients>,
            /// Agent Chat API: `all` (default) or `agents`; agent-side events carry this
            /// instead of `recipients` (agent-api-3.6.md §3.4).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub visibility: Option<Recipients>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub properties: Option<Properties>,
            $( $(#[$fmeta])* pub $field: $ty, )*
            /// Fields this version does not model, kept as sent ([`super::Extra`]).
            #[serde(flatten)]
            pub extra: super::Extra,
            /// The wire `type`, read past (it is the [`ChatEvent`] variant): named here so
            /// the decode does not copy it into `extra` on every event only to drop it.
            #[doc(hidden)]
            #[serde(rename = "type", default, skip_serializing)]
            pub __type: serde::de::IgnoredAny,
        }
    };
}

event_struct! {
    /// `type: "message"`.
    pub struct MessageEvent {
        pub text: String,
        /// Only when the message was triggered by a rich message button.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub postback: Option<MessagePostback>,
    }
}

/// `message.postback`: the rich message button that produced this message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessagePostback {
    pub id: String,
    pub thread_id: String,
    pub event_id: String,
    /// Sent together with `value`, or neither.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecommerce: Option<EcommercePostback>,
}

/// The ecommerce part of a postback (`message.postback`, `send_rich_message_postback`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcommercePostback {
    pub product_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub option_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u64>,
}

event_struct! {
    /// `type: "file"`. To send one, only `url` (from `upload_file`) and optionally
    /// `alternative_text` are used; the rest comes back from the server.
    pub struct FileEvent {
        pub url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub content_type: Option<String>,
        /// Bytes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub size: Option<u64>,
        /// Images only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub width: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub height: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub thumbnail_url: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub thumbnail2x_url: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub alternative_text: Option<String>,
    }
}

impl FileEvent {
    /// Whether the server described it as an image (both `width` and `height` present, the
    /// rule the Customer SDK uses).
    pub fn is_image(&self) -> bool {
        self.width.is_some() && self.height.is_some()
    }
}

event_struct! {
    /// `type: "form"`.
    pub struct FormEvent {
        pub form_id: String,
        /// Free string since 3.4 (`prechat`, `postchat`, `ask_for_email`, …); missing on old
        /// chats.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub form_type: Option<String>,
        #[serde(default)]
        pub fields: Vec<FormField>,
    }
}

event_struct! {
    /// `type: "filled_form"`.
    pub struct FilledFormEvent {
        pub form_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub form_type: Option<String>,
        #[serde(default)]
        pub fields: Vec<FilledFormField>,
    }
}

event_struct! {
    /// `type: "rich_message"`: up to 10 elements with up to 13 buttons each.
    pub struct RichMessageEvent {
        pub template_id: TemplateId,
        #[serde(default)]
        pub elements: Vec<RichElement>,
    }
}

event_struct! {
    /// `type: "system_message"`.
    pub struct SystemMessageEvent {
        /// E.g. `manual_archived_customer`, `agent_joined`, `routing.assigned_inactive`.
        pub system_message_type: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub text: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub text_vars: Option<Map<String, Value>>,
    }
}

event_struct! {
    /// `type: "system"` (new in 3.6, server → client only).
    pub struct SystemEvent {
        /// `ai_agents`, `cdp`, `messaging`, …
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub source: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub subtype: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub version: Option<u64>,
        /// A JSON document **as a string**, as the docs specify; see
        /// [`SystemEvent::details_json`].
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub details: Option<String>,
    }
}

impl SystemEvent {
    /// `details` parsed as JSON; `None` when there are none.
    pub fn details_json(&self) -> Option<Result<Value, serde_json::Error>> {
        self.details.as_deref().map(serde_json::from_str)
    }
}

event_struct! {
    /// `type: "custom"`.
    pub struct CustomEvent {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub content: Option<Value>,
    }
}

/// One chat event, tagged by its wire `type`.
///
/// # Tolerance
/// Deserialisation never fails: a value that is not an object, an object without a known
/// `type`, **and an event of a known type whose payload does not match its documented shape**
/// all become [`ChatEvent::Unknown`] holding the raw JSON. One odd event therefore never
/// breaks a whole history page, `get_chat` or push; callers can still read its `id`,
/// `custom_id` and `type` through the accessors.
///
/// # Serialisation
/// Serialises back to the wire shape with its `type` tag, so it is also what clients send
/// (`send_event`, `start_chat` initial events). See the constructors
/// [`ChatEvent::message`], [`ChatEvent::file`], [`ChatEvent::custom`],
/// [`ChatEvent::filled_form`], [`ChatEvent::system_message`] and the `with_*` builders.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatEvent {
    Message(MessageEvent),
    File(FileEvent),
    Form(FormEvent),
    FilledForm(FilledFormEvent),
    RichMessage(RichMessageEvent),
    SystemMessage(SystemMessageEvent),
    System(SystemEvent),
    Custom(CustomEvent),
    /// An event this version could not type, as sent (see the type docs).
    Unknown(Value),
}

/// Run `$body` with `$e` bound to the known payload, or `$unknown` with `$v` bound to the raw
/// value.
macro_rules! dispatch {
    ($self:expr, $e:ident => $body:expr, $v:ident => $unknown:expr) => {
        match $self {
            ChatEvent::Message($e) => $body,
            ChatEvent::File($e) => $body,
            ChatEvent::Form($e) => $body,
            ChatEvent::FilledForm($e) => $body,
            ChatEvent::RichMessage($e) => $body,
            ChatEvent::SystemMessage($e) => $body,
            ChatEvent::System($e) => $body,
            ChatEvent::Custom($e) => $body,
            ChatEvent::Unknown($v) => $unknown,
        }
    };
}

fn raw_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn raw_set(v: &mut Value, key: &str, value: Value) {
    if let Value::Object(map) = v {
        map.insert(key.to_string(), value);
    }
}

impl ChatEvent {
    /// A `message` event.
    pub fn message(text: impl Into<String>) -> ChatEvent {
        ChatEvent::Message(MessageEvent { text: text.into(), ..MessageEvent::default() })
    }

    /// A `file` event for a URL returned by `upload_file`.
    pub fn file(url: impl Into<String>) -> ChatEvent {
        ChatEvent::File(FileEvent { url: url.into(), ..FileEvent::default() })
    }

    /// A `custom` event with the given `content`.
    pub fn custom(content: Value) -> ChatEvent {
        ChatEvent::Custom(CustomEvent { content: Some(content), ..CustomEvent::default() })
    }

    /// A `filled_form` event answering form `form_id`.
    pub fn filled_form(form_id: impl Into<String>, fields: Vec<FilledFormField>) -> ChatEvent {
        ChatEvent::FilledForm(FilledFormEvent {
            form_id: form_id.into(),
            fields,
            ..FilledFormEvent::default()
        })
    }

    /// A `system_message` event of the given `system_message_type` with a text.
    pub fn system_message(system_message_type: impl Into<String>, text: impl Into<String>) -> ChatEvent {
        ChatEvent::SystemMessage(SystemMessageEvent {
            system_message_type: system_message_type.into(),
            text: Some(text.into()),
            ..SystemMessageEvent::default()
        })
    }

    /// Builder: set `custom_id`.
    pub fn with_custom_id(mut self, custom_id: impl Into<String>) -> ChatEvent {
        self.set_custom_id(custom_id.into());
        self
    }

    /// Builder: set `properties`.
    pub fn with_properties(mut self, properties: Properties) -> ChatEvent {
        dispatch!(&mut self, e => e.properties = Some(properties), v => {
            let value = serde_json::to_value(properties).unwrap_or(Value::Null);
            raw_set(v, "properties", value)
        });
        self
    }

    /// Builder: set `visibility` (`all` or `agents`), the Agent Chat API's field.
    pub fn with_visibility(mut self, visibility: Recipients) -> ChatEvent {
        dispatch!(&mut self, e => e.visibility = Some(visibility), v => {
            raw_set(v, "visibility", Value::String(visibility.as_str().to_string()))
        });
        self
    }

    /// Builder: set `recipients` (`all` or `agents`).
    pub fn with_recipients(mut self, recipients: Recipients) -> ChatEvent {
        dispatch!(&mut self, e => e.recipients = Some(recipients), v => {
            raw_set(v, "recipients", Value::String(recipients.as_str().to_string()))
        });
        self
    }

    /// The wire `type` (`message`, `file`, …; for [`ChatEvent::Unknown`] whatever it says,
    /// or `""`).
    pub fn kind(&self) -> &str {
        match self {
            ChatEvent::Message(_) => "message",
            ChatEvent::File(_) => "file",
            ChatEvent::Form(_) => "form",
            ChatEvent::FilledForm(_) => "filled_form",
            ChatEvent::RichMessage(_) => "rich_message",
            ChatEvent::SystemMessage(_) => "system_message",
            ChatEvent::System(_) => "system",
            ChatEvent::Custom(_) => "custom",
            ChatEvent::Unknown(v) => raw_str(v, "type").unwrap_or(""),
        }
    }

    /// The server-generated id, when there is one.
    pub fn id(&self) -> Option<&str> {
        dispatch!(self, e => e.id.as_deref(), v => raw_str(v, "id"))
    }

    pub fn custom_id(&self) -> Option<&str> {
        dispatch!(self, e => e.custom_id.as_deref(), v => raw_str(v, "custom_id"))
    }

    /// Set `custom_id` (on an [`ChatEvent::Unknown`] object too; a non-object is left alone).
    pub fn set_custom_id(&mut self, custom_id: String) {
        dispatch!(self, e => e.custom_id = Some(custom_id), v => {
            raw_set(v, "custom_id", Value::String(custom_id))
        })
    }

    pub fn created_at(&self) -> Option<&str> {
        dispatch!(self, e => e.created_at.as_deref(), v => raw_str(v, "created_at"))
    }

    pub fn author_id(&self) -> Option<&str> {
        dispatch!(self, e => e.author_id.as_deref(), v => raw_str(v, "author_id"))
    }

    /// `properties` of a typed event (`None` for [`ChatEvent::Unknown`]; read its raw value).
    pub fn properties(&self) -> Option<&Properties> {
        dispatch!(self, e => e.properties.as_ref(), _v => None)
    }

    /// `visibility` of a typed event (Agent Chat API).
    pub fn visibility(&self) -> Option<&Recipients> {
        dispatch!(self, e => e.visibility.as_ref(), _v => None)
    }

    /// `recipients` of a typed event.
    pub fn recipients(&self) -> Option<&Recipients> {
        dispatch!(self, e => e.recipients.as_ref(), _v => None)
    }

    /// Whether this is an event this version could not type.
    pub fn is_unknown(&self) -> bool {
        matches!(self, ChatEvent::Unknown(_))
    }
}

impl<'de> Deserialize<'de> for ChatEvent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ChatEvent, D::Error> {
        // The event's text (a copy of the bytes when read from a frame, no tree), its `type`
        // read by skipping the rest, then one typed pass. A tree is built only for an event
        // that is not of a known shape.
        let raw = Box::<serde_json::value::RawValue>::deserialize(d)?;
        Ok(ChatEvent::from_text(raw.get()))
    }
}

impl ChatEvent {
    /// Type an event from its JSON text; never fails (see the type docs).
    pub fn from_text(text: &str) -> ChatEvent {
        #[derive(Deserialize)]
        struct Tag<'a> {
            #[serde(rename = "type", borrow, default)]
            kind: Option<std::borrow::Cow<'a, str>>,
        }
        fn typed<T: for<'a> Deserialize<'a>>(text: &str, wrap: fn(T) -> ChatEvent) -> Option<ChatEvent> {
            serde_json::from_str(text).ok().map(wrap)
        }
        let kind = serde_json::from_str::<Tag<'_>>(text).ok().and_then(|t| t.kind);
        let event = match kind.as_deref() {
            Some("message") => typed(text, ChatEvent::Message),
            Some("file") => typed(text, ChatEvent::File),
            Some("form") => typed(text, ChatEvent::Form),
            Some("filled_form") => typed(text, ChatEvent::FilledForm),
            Some("rich_message") => typed(text, ChatEvent::RichMessage),
            Some("system_message") => typed(text, ChatEvent::SystemMessage),
            Some("system") => typed(text, ChatEvent::System),
            Some("custom") => typed(text, ChatEvent::Custom),
            _ => None,
        };
        event.unwrap_or_else(|| ChatEvent::from_value(serde_json::from_str(text).unwrap_or(Value::Null)))
    }
}

impl ChatEvent {
    /// Type a raw event; never fails (see the type docs).
    pub fn from_value(raw: Value) -> ChatEvent {
        fn typed<T: for<'a> Deserialize<'a>>(raw: &Value, wrap: fn(T) -> ChatEvent) -> Option<ChatEvent> {
            T::deserialize(raw).ok().map(wrap)
        }
        let event = match raw.get("type").and_then(Value::as_str) {
            Some("message") => typed(&raw, ChatEvent::Message),
            Some("file") => typed(&raw, ChatEvent::File),
            Some("form") => typed(&raw, ChatEvent::Form),
            Some("filled_form") => typed(&raw, ChatEvent::FilledForm),
            Some("rich_message") => typed(&raw, ChatEvent::RichMessage),
            Some("system_message") => typed(&raw, ChatEvent::SystemMessage),
            Some("system") => typed(&raw, ChatEvent::System),
            Some("custom") => typed(&raw, ChatEvent::Custom),
            _ => None,
        };
        event.unwrap_or(ChatEvent::Unknown(raw))
    }
}

impl Serialize for ChatEvent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(tag = "type", rename_all = "snake_case")]
        enum Tagged<'a> {
            Message(&'a MessageEvent),
            File(&'a FileEvent),
            Form(&'a FormEvent),
            FilledForm(&'a FilledFormEvent),
            RichMessage(&'a RichMessageEvent),
            SystemMessage(&'a SystemMessageEvent),
            System(&'a SystemEvent),
            Custom(&'a CustomEvent),
        }
        match self {
            ChatEvent::Message(e) => Tagged::Message(e).serialize(s),
            ChatEvent::File(e) => Tagged::File(e).serialize(s),
            ChatEvent::Form(e) => Tagged::Form(e).serialize(s),
            ChatEvent::FilledForm(e) => Tagged::FilledForm(e).serialize(s),
            ChatEvent::RichMessage(e) => Tagged::RichMessage(e).serialize(s),
            ChatEvent::SystemMessage(e) => Tagged::SystemMessage(e).serialize(s),
            ChatEvent::System(e) => Tagged::System(e).serialize(s),
            ChatEvent::Custom(e) => Tagged::Custom(e).serialize(s),
            ChatEvent::Unknown(v) => v.serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn constructors_serialise_to_the_wire_shape() {
        let mut props = Properties::new();
        props.insert("lc2".into(), json!({"form_type": "prechat"}).as_object().unwrap().clone());
        let ev = ChatEvent::message("hello world")
            .with_custom_id("c-1")
            .with_recipients(Recipients::Agents)
            .with_properties(props);
        assert_eq!(
            serde_json::to_value(&ev).unwrap(),
            json!({"type": "message", "text": "hello world", "custom_id": "c-1",
                   "recipients": "agents", "properties": {"lc2": {"form_type": "prechat"}}})
        );
        assert_eq!(ev.kind(), "message");
        assert_eq!(ev.custom_id(), Some("c-1"));
        assert_eq!(ev.id(), None);

        assert_eq!(
            serde_json::to_value(ChatEvent::file("https://cdn.livechat-files.com/api/file/x.png")).unwrap(),
            json!({"type": "file", "url": "https://cdn.livechat-files.com/api/file/x.png"})
        );
        assert_eq!(
            serde_json::to_value(ChatEvent::custom(json!({"k": [1, 2]}))).unwrap(),
            json!({"type": "custom", "content": {"k": [1, 2]}})
        );
        assert_eq!(
            serde_json::to_value(ChatEvent::system_message("rating.chat_rated", "Rated")).unwrap(),
            json!({"type": "system_message", "system_message_type": "rating.chat_rated", "text": "Rated"})
        );
        let ff =
            ChatEvent::filled_form("f1", vec![FilledFormField::text("name", "148", "Your name:", "Jane")]);
        assert_eq!(
            serde_json::to_value(&ff).unwrap(),
            json!({"type": "filled_form", "form_id": "f1", "fields": [
                {"type": "name", "id": "148", "label": "Your name:", "answer": "Jane"}]})
        );
    }

    #[test]
    fn typed_events_round_trip() {
        let wire = json!({"id": "Q2_1", "custom_id": "x", "created_at": "2019-12-17T07:57:41.512000Z",
            "type": "message", "text": "Hi", "author_id": "a1", "recipients": "all",
            "postback": {"id": "Yes", "thread_id": "Q2", "event_id": "Q2_0", "type": "message",
                         "value": "yes", "ecommerce": {"product_id": "p1", "option_id": "o2", "quantity": 2}}});
        let ev: ChatEvent = serde_json::from_value(wire.clone()).unwrap();
        let ChatEvent::Message(m) = &ev else { panic!("not a message: {ev:?}") };
        let pb = m.postback.as_ref().unwrap();
        assert_eq!(pb.kind.as_deref(), Some("message"));
        assert_eq!(pb.ecommerce.as_ref().unwrap().quantity, Some(2));
        assert_eq!(ev.author_id(), Some("a1"));
        assert_eq!(ev.created_at(), Some("2019-12-17T07:57:41.512000Z"));
        assert_eq!(serde_json::to_value(&ev).unwrap(), wire);
    }

    #[test]
    fn unknown_and_malformed_events_are_kept_raw() {
        let unknown = json!({"id": "E_9", "type": "hologram", "custom_id": "c9", "payload": {"x": 1}});
        let ev: ChatEvent = serde_json::from_value(unknown.clone()).unwrap();
        assert_eq!(ev, ChatEvent::Unknown(unknown.clone()));
        assert_eq!(ev.kind(), "hologram");
        assert_eq!(ev.id(), Some("E_9"));
        assert_eq!(ev.custom_id(), Some("c9"));
        assert_eq!(serde_json::to_value(&ev).unwrap(), unknown);

        // Known type, payload of the wrong shape: `text` is a number.
        let bad = json!({"id": "E_1", "type": "message", "text": 42});
        let ev: ChatEvent = serde_json::from_value(bad.clone()).unwrap();
        assert_eq!(ev, ChatEvent::Unknown(bad));
        assert_eq!(ev.kind(), "message");
        assert!(ev.is_unknown());

        // Missing required field of a known type.
        let ev: ChatEvent = serde_json::from_value(json!({"type": "file", "name": "x"})).unwrap();
        assert!(ev.is_unknown());

        // Not an object at all, and no type.
        let ev: ChatEvent = serde_json::from_value(json!(17)).unwrap();
        assert_eq!(ev.kind(), "");
        assert_eq!(ev.id(), None);
        let ev: ChatEvent = serde_json::from_value(json!({"text": "typeless"})).unwrap();
        assert!(ev.is_unknown());
    }

    #[test]
    fn set_custom_id_works_on_every_variant() {
        let mut ev = ChatEvent::custom(json!(null));
        ev.set_custom_id("a".into());
        assert_eq!(ev.custom_id(), Some("a"));
        let mut raw = ChatEvent::Unknown(json!({"type": "new"}));
        raw.set_custom_id("b".into());
        assert_eq!(raw.custom_id(), Some("b"));
        assert_eq!(serde_json::to_value(&raw).unwrap(), json!({"type": "new", "custom_id": "b"}));
        let raw = ChatEvent::Unknown(json!({"type": "new"})).with_recipients(Recipients::Agents);
        assert_eq!(serde_json::to_value(&raw).unwrap()["recipients"], "agents");
    }

    #[test]
    fn system_event_details_is_a_string() {
        let ev: ChatEvent = serde_json::from_value(json!({
            "id": "S_1", "type": "system", "source": "cdp", "subtype": "store_order_was_created",
            "version": 1, "details": "{\"order_id\":\"o-1\",\"total\":12.5}",
            "created_at": "2025-08-07T10:00:00.000000Z"
        }))
        .unwrap();
        let ChatEvent::System(s) = &ev else { panic!("not system: {ev:?}") };
        assert_eq!(s.subtype.as_deref(), Some("store_order_was_created"));
        assert_eq!(s.version, Some(1));
        assert_eq!(s.details_json().unwrap().unwrap()["order_id"], "o-1");
        assert_eq!(ev.author_id(), None);
        // `details` as an object is not the documented shape: kept raw.
        let ev: ChatEvent =
            serde_json::from_value(json!({"type": "system", "details": {"order_id": "o-1"}})).unwrap();
        assert!(ev.is_unknown());
    }
}
