//! Forms (customer-api-3.6.md §5.8): `get_form`, `form` and `filled_form` events.

use serde::{Deserialize, Serialize};
use serde_json::Value;

open_enum! {
    /// `get_form`'s `type`.
    pub enum FormType {
        Prechat = "prechat",
        Postchat = "postchat",
        Ticket = "ticket",
    }
}

/// A form as `get_form` returns it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Form {
    /// Absent on ticket forms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default)]
    pub fields: Vec<FormField>,
}

/// A form field (`get_form`, `form` events).
///
/// `type` is one of `header`, `checkbox`, `checkbox_for_email`, `email`, `name`, `question`,
/// `subject`, `textarea`, `group_chooser`, `radio`, `select`, `rating`, … and kept as a string.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FormField {
    #[serde(rename = "type")]
    pub kind: String,
    /// Absent on ticket-form fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Not on `header` fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    /// checkbox / group_chooser / radio / select.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<FormFieldOption>,
    /// `rating` fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment_label: Option<String>,
}

/// An option of a choice field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FormFieldOption {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `group_chooser` options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked: Option<bool>,
}

/// A field of a `filled_form` event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FilledFormField {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Text answer, or the chosen option (radio, select, group_chooser).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<FormAnswer>,
    /// Checkbox answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answers: Option<Vec<FormAnswerOption>>,
}

impl FilledFormField {
    /// A field answered with text (`name`, `email`, `question`, …).
    pub fn text(
        kind: impl Into<String>,
        id: impl Into<String>,
        label: impl Into<String>,
        answer: impl Into<String>,
    ) -> FilledFormField {
        FilledFormField {
            kind: kind.into(),
            id: Some(id.into()),
            label: Some(label.into()),
            answer: Some(FormAnswer::Text(answer.into())),
            answers: None,
        }
    }
}

/// A `filled_form` field's `answer`: a string or a chosen option. Anything else is kept raw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FormAnswer {
    Text(String),
    Option(FormAnswerOption),
    Other(Value),
}

/// A chosen option: `{id, label, group_id?}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormAnswerOption {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ChatEvent;
    use serde_json::json;

    #[test]
    fn form_and_filled_form_events() {
        let form: ChatEvent = serde_json::from_value(json!({
            "id": "Q_5", "type": "form", "form_id": "prechat_1", "form_type": "prechat",
            "created_at": "2019-12-17T07:57:41.512000Z",
            "fields": [
                {"type": "header", "id": "0", "label": "Welcome"},
                {"type": "name", "id": "1", "label": "Name:", "required": false},
                {"type": "group_chooser", "id": "2", "label": "Department", "required": true,
                 "options": [{"id": "0", "label": "Sales", "group_id": 1}, {"id": "1", "label": "Support", "group_id": 2}]}
            ]
        }))
        .unwrap();
        let ChatEvent::Form(f) = &form else { panic!("not form: {form:?}") };
        assert_eq!(f.form_type.as_deref(), Some("prechat"));
        assert_eq!(f.fields[2].options[1].group_id, Some(2));
        assert_eq!(f.fields[0].required, None);
        assert_eq!(form.author_id(), None);

        let filled: ChatEvent = serde_json::from_value(json!({
            "id": "Q_6", "type": "filled_form", "form_id": "prechat_1", "form_type": "prechat",
            "author_id": "c1", "recipients": "agents",
            "fields": [
                {"type": "name", "id": "1", "label": "Name:", "answer": "Jane"},
                {"type": "group_chooser", "id": "2", "label": "Department",
                 "answer": {"id": "1", "label": "Support", "group_id": 2}},
                {"type": "checkbox", "id": "3", "label": "Topics",
                 "answers": [{"id": "0", "label": "Billing"}, {"id": "2", "label": "Bugs"}]},
                {"type": "rating", "id": "4", "label": "Rate", "answer": 5}
            ]
        }))
        .unwrap();
        let ChatEvent::FilledForm(ff) = &filled else { panic!("not filled_form: {filled:?}") };
        assert_eq!(ff.fields[0].answer, Some(FormAnswer::Text("Jane".into())));
        let Some(FormAnswer::Option(opt)) = &ff.fields[1].answer else { panic!("not an option") };
        assert_eq!(opt.group_id, Some(2));
        assert_eq!(ff.fields[2].answers.as_ref().unwrap()[1].label.as_deref(), Some("Bugs"));
        assert_eq!(ff.fields[3].answer, Some(FormAnswer::Other(json!(5))));
        assert_eq!(filled.recipients(), Some(&crate::model::Recipients::Agents));
    }

    #[test]
    fn get_form_shape() {
        let form: Form = serde_json::from_value(json!({
            "id": "156630109416307809",
            "fields": [{"type": "rating", "id": "r", "label": "How was it?", "comment_label": "Why?"},
                       {"type": "email", "id": "e", "label": "E-mail:", "required": true}]
        }))
        .unwrap();
        assert_eq!(form.fields[0].comment_label.as_deref(), Some("Why?"));
        assert_eq!(form.fields[1].required, Some(true));
        assert_eq!(serde_json::to_value(FormType::Ticket).unwrap(), json!("ticket"));
    }
}
