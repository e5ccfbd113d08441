//! Typed requests for the agent's archive and customer actions (Agent Chat API v3.6):
//! `list_archives`, `get_customer`, `update_customer`, `ban_customer`. Registered in the
//! agent action table (`agent::actions`), re-exported from there.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::{Chat, SortOrder};

/// `list_archives`: inactive chats, each with one thread.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListArchives {
    /// `{query, from, to, agent_ids, group_ids, properties, tags, sales, goals, surveys,
    /// event_types, greetings, agent_response, customer_countries, …}`; raw JSON (the list
    /// keeps growing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<SortOrder>,
    /// Default 10, 1..=100 (checked before sending).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// `{pre_tag, post_tag}` around matches of `filters.query`; `{}` for the defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub highlights: Option<Value>,
}

impl ListArchives {
    pub fn new() -> ListArchives {
        ListArchives::default()
    }
    /// A follow-up page.
    pub fn page(page_id: impl Into<String>) -> ListArchives {
        ListArchives { page_id: Some(page_id.into()), ..ListArchives::default() }
    }
}

/// Response of `list_archives`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListArchivesResponse {
    #[serde(default)]
    pub chats: Vec<Chat>,
    /// An estimate.
    #[serde(default)]
    pub found_chats: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_page_id: Option<String>,
}

/// `get_customer`: one customer, in the agent's (richer) view.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetCustomer {
    pub id: String,
}

impl GetCustomer {
    pub fn new(id: impl Into<String>) -> GetCustomer {
        GetCustomer { id: id.into() }
    }
}

/// `update_customer`: at least one of the fields besides `id` (checked before sending).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdateCustomer {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// `[{"key": "value"}, …]`, at most 100 pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_fields: Option<Vec<Map<String, Value>>>,
}

/// `ban_customer` for `days` days: the customer is disconnected (`customer_banned`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanCustomer {
    pub id: String,
    pub ban: Ban,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ban {
    pub days: u32,
}

impl BanCustomer {
    pub fn new(id: impl Into<String>, days: u32) -> BanCustomer {
        BanCustomer { id: id.into(), ban: Ban { days } }
    }
}
