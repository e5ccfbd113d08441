//! Rich messages (customer-api-3.6.md §5.1 `rich_message`, §5.2 ecommerce).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::EcommercePostback;

open_enum! {
    /// `rich_message.template_id`.
    #[derive(Default)]
    pub enum TemplateId {
        #[default]
        Cards = "cards",
        QuickReplies = "quick_replies",
        Sticker = "sticker",
        /// New in 3.6; agents send it, customers receive it.
        Ecommerce = "ecommerce",
    }
}

open_enum! {
    /// A rich message button's `type`.
    pub enum ButtonType {
        Webview = "webview",
        Message = "message",
        Url = "url",
        Phone = "phone",
        Cancel = "cancel",
    }
}

/// One element (card) of a rich message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RichElement {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<RichImage>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<RichButton>,
    /// Ecommerce template only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecommerce: Option<EcommerceElement>,
}

/// `elements[].image`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RichImage {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternative_text: Option<String>,
}

/// `elements[].buttons[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RichButton {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<ButtonType>,
    /// URL, phone number, message text or webview URL, depending on `type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `compact` | `full` | `tall`; webview buttons only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webview_height: Option<String>,
    /// The id to send back in `send_rich_message_postback`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postback_id: Option<String>,
    /// Users who toggled this button on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_ids: Vec<String>,
    /// `new` | `current`; url buttons only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// `default` | `primary` | `danger`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Greetings only: the id for `send_greeting_button_clicked`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub button_id: Option<String>,
}

/// `elements[].ecommerce` (new in 3.6).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EcommerceElement {
    /// `tags` | `swatch` | `images` | `select`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<EcommerceOption>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addons: Vec<EcommerceAddon>,
}

/// `elements[].ecommerce.options[]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EcommerceOption {
    pub option_id: String,
    #[serde(default)]
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regular_price: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_thumbnail_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub available: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selected: Option<bool>,
}

/// `elements[].ecommerce.addons[]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EcommerceAddon {
    pub addon_type: String,
    /// Type not documented (number or string); kept raw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range_from: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range_to: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

/// The `postback` of `send_rich_message_postback` and `incoming_rich_message_postback`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RichMessagePostback {
    /// The button's `postback_id`.
    pub id: String,
    #[serde(default)]
    pub toggled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub button_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub button_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecommerce: Option<EcommercePostback>,
}

impl RichMessagePostback {
    /// A postback for button `id`, toggled on.
    pub fn new(id: impl Into<String>) -> RichMessagePostback {
        RichMessagePostback { id: id.into(), toggled: true, ..RichMessagePostback::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ChatEvent;
    use serde_json::json;

    #[test]
    fn cards_with_every_button_type() {
        let ev: ChatEvent = serde_json::from_value(json!({
            "id": "Q_3", "type": "rich_message", "template_id": "cards", "author_id": "a1",
            "created_at": "2019-12-17T07:57:41.512000Z",
            "elements": [{
                "title": "Card", "subtitle": "Sub",
                "image": {"url": "https://cdn.livechat-files.com/x.png", "name": "x.png",
                          "content_type": "image/png", "size": 123, "width": 640, "height": 480,
                          "alternative_text": "a cat"},
                "buttons": [
                    {"text": "Open", "type": "webview", "value": "https://w", "webview_height": "tall",
                     "postback_id": "p1", "user_ids": ["c1"]},
                    {"text": "Say", "type": "message", "value": "yes", "postback_id": "p2", "user_ids": []},
                    {"text": "Go", "type": "url", "value": "https://x", "target": "new", "postback_id": "p3"},
                    {"text": "Call", "type": "phone", "value": "+1", "postback_id": "p4", "role": "primary"},
                    {"text": "Cancel", "type": "cancel", "postback_id": "p5", "role": "danger"},
                    {"text": "Hmm", "type": "teleport", "value": "?", "postback_id": "p6"},
                    {"text": "Bare"}
                ]
            }]
        }))
        .unwrap();
        let ChatEvent::RichMessage(rm) = ev else { panic!("not rich: {ev:?}") };
        assert_eq!(rm.template_id, TemplateId::Cards);
        let el = &rm.elements[0];
        assert_eq!(el.image.as_ref().unwrap().width, Some(640));
        let kinds: Vec<Option<&str>> =
            el.buttons.iter().map(|b| b.kind.as_ref().map(|k| k.as_str())).collect();
        assert_eq!(
            kinds,
            [
                Some("webview"),
                Some("message"),
                Some("url"),
                Some("phone"),
                Some("cancel"),
                Some("teleport"),
                None
            ]
        );
        assert_eq!(el.buttons[0].kind, Some(ButtonType::Webview));
        assert_eq!(el.buttons[0].webview_height.as_deref(), Some("tall"));
        assert_eq!(el.buttons[0].user_ids, ["c1"]);
        assert_eq!(el.buttons[2].target.as_deref(), Some("new"));
        assert_eq!(el.buttons[4].kind, Some(ButtonType::Cancel));
        assert_eq!(el.buttons[4].role.as_deref(), Some("danger"));
        assert_eq!(el.buttons[5].kind, Some(ButtonType::Other("teleport".into())));
    }

    #[test]
    fn ecommerce_and_unknown_templates() {
        let wire = json!({
            "id": "Q_4", "type": "rich_message", "template_id": "ecommerce",
            "elements": [{
                "title": "Shoes",
                "buttons": [{"text": "Buy", "type": "message", "value": "buy", "postback_id": "buy"}],
                "ecommerce": {
                    "view_type": "swatch", "product_id": "p-9", "label": "Colour",
                    "options": [
                        {"option_id": "o1", "label": "Red", "price": "10.00", "regular_price": "12.00",
                         "currency": "USD", "color": "#f00", "image_url": "https://i/1.png",
                         "image_thumbnail_url": "https://i/1t.png", "available": true, "selected": false},
                        {"option_id": "o2", "label": "Blue", "available": false}
                    ],
                    "addons": [{"addon_type": "quantity", "range_from": 1, "range_to": 5},
                               {"addon_type": "price", "currency": "EUR"}]
                }
            }]
        });
        let ev: ChatEvent = serde_json::from_value(wire.clone()).unwrap();
        let ChatEvent::RichMessage(rm) = &ev else { panic!("not rich: {ev:?}") };
        assert_eq!(rm.template_id, TemplateId::Ecommerce);
        let ec = rm.elements[0].ecommerce.as_ref().unwrap();
        assert_eq!(ec.view_type.as_deref(), Some("swatch"));
        assert_eq!(ec.options.len(), 2);
        assert_eq!(ec.options[0].regular_price.as_deref(), Some("12.00"));
        assert_eq!(ec.options[1].available, Some(false));
        assert_eq!(ec.addons[0].range_to, Some(json!(5)));
        assert_eq!(ec.addons[1].currency.as_deref(), Some("EUR"));
        assert_eq!(serde_json::to_value(&ev).unwrap(), wire);

        let ev: ChatEvent = serde_json::from_value(json!({
            "type": "rich_message", "template_id": "carousel3d", "elements": []
        }))
        .unwrap();
        let ChatEvent::RichMessage(rm) = ev else { panic!("not rich") };
        assert_eq!(rm.template_id, TemplateId::Other("carousel3d".into()));
    }
}
