//! Data structures of the Customer Chat API v3.6 (customer-api-3.6.md §5).
//!
//! Tolerance rules, applied everywhere (user-asks.md §7: hand-written types drift):
//! * every field the docs do not promise is `Option` (or a defaulted collection), so a missing
//!   field never fails a whole response;
//! * unknown fields are ignored (no `deny_unknown_fields`);
//! * closed-looking string sets (`GroupStatus`, `Recipients`, button types, template ids, …) keep
//!   values this version does not know in an `Other(String)` arm;
//! * an event of an unknown type, or a known type whose payload does not match, is kept raw as
//!   [`ChatEvent::Unknown`]; a user of an unknown type is kept raw as [`User::Other`].
//!
//! Timestamps stay RFC 3339 `String`s, exactly as sent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An enum over a documented set of wire strings that keeps values it does not know.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version does not know, as sent.
            Other(String),
        }

        impl $name {
            /// The wire spelling.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )*
                    $name::Other(s) => s.as_str(),
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> $name {
                match s {
                    $( $wire => $name::$variant, )*
                    _ => $name::Other(s.to_string()),
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> $name {
                match s.as_str() {
                    $( $wire => $name::$variant, )*
                    _ => $name::Other(s),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                String::deserialize(d).map($name::from)
            }
        }
    };
}

mod chat;
mod events;
mod forms;
mod greeting;
mod rich;
mod users;

pub use chat::*;
pub use events::*;
pub use forms::*;
pub use greeting::*;
pub use rich::*;
pub use users::*;

/// `{"<namespace>": {"<name>": value}}`
pub type Properties = BTreeMap<String, Map<String, Value>>;

/// The `properties` of the `delete_*_properties` requests and `*_properties_deleted` pushes:
/// `{"<namespace>": ["<name>", …]}`.
pub type DeletedProperties = BTreeMap<String, Vec<String>>;

/// Who may see a chat: `{"group_ids": [0]}`; group `0` means all agents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    #[serde(default)]
    pub group_ids: Vec<u64>,
}

open_enum! {
    /// Status of a group (`list_group_statuses`, `groups_status_updated`,
    /// `update_customer_page`).
    pub enum GroupStatus {
        Online = "online",
        OnlineForQueue = "online_for_queue",
        Offline = "offline",
    }
}

impl GroupStatus {
    /// `online` and `online_for_queue` both let a customer start a chat; that is how the
    /// Customer SDK derives availability. Unknown statuses count as online too (only an
    /// explicit `offline` is offline).
    pub fn is_available(&self) -> bool {
        !matches!(self, GroupStatus::Offline)
    }
}

/// One `{id, status}` entry of `groups_status_updated` and `update_customer_page`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupStatusEntry {
    pub id: u64,
    pub status: GroupStatus,
}

open_enum! {
    /// Who sees a customer event: `all` (the default) or only `agents`.
    pub enum Recipients {
        All = "all",
        Agents = "agents",
    }
}

/// `sort_order` of `list_chats` / `list_threads`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    Asc,
    Desc,
}

/// Fields of a typed structure this version does not model, kept as the service sent them
/// so a decode and a re-encode loses nothing (a relay, a store of chats). The wire `type`
/// tag is not kept here: it is the structure itself.
pub type Extra = serde_json::Map<String, Value>;

/// `#[serde(flatten)]` catch-all that drops the `type` tag (kept by the enum around it).
pub(crate) fn extra_without_type<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Extra, D::Error> {
    let mut m = <Extra as serde::Deserialize>::deserialize(d)?;
    m.remove("type");
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn group_status_keeps_unknown_values() {
        let s: GroupStatus = serde_json::from_value(json!("online_for_queue")).unwrap();
        assert_eq!(s, GroupStatus::OnlineForQueue);
        let s: GroupStatus = serde_json::from_value(json!("busy")).unwrap();
        assert_eq!(s, GroupStatus::Other("busy".into()));
        assert_eq!(serde_json::to_value(&s).unwrap(), json!("busy"));
        assert_eq!(serde_json::to_value(GroupStatus::Offline).unwrap(), json!("offline"));
        assert!(!GroupStatus::Offline.is_available());
        assert!(GroupStatus::OnlineForQueue.is_available());
    }

    #[test]
    fn recipients_round_trip() {
        assert_eq!(serde_json::to_value(Recipients::Agents).unwrap(), json!("agents"));
        let r: Recipients = serde_json::from_value(json!("all")).unwrap();
        assert_eq!(r, Recipients::All);
        assert_eq!(Recipients::from("supervisors").as_str(), "supervisors");
    }
}
