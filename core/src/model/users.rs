//! Users: customers and agents (customer-api-3.6.md §5.3).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// A customer (`get_customer`, login `customer`, chat users).
///
/// The wire `type` (`"customer"`) is not a field here: it is the tag of [`User`]. A bare
/// `Customer` serialises without it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Ordered list of one-key objects, e.g. `[{"plan": "pro"}]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub session_fields: Vec<Map<String, Value>>,
    /// Whether the customer is present in the chat (chat context only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub present: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_seen_up_to: Option<String>,
    /// Kept raw: the documented sample (`fb_messenger: [{"ID", …}]`) and the `update_customer`
    /// request shape (`fbmessenger: {id, …}`) disagree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub omnichannel: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// Only in the login response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistics: Option<Statistics>,
    /// Fields this version does not model (the agent view's `visit`, `created_at`, …),
    /// kept as sent.
    #[serde(flatten, deserialize_with = "super::extra_without_type")]
    pub extra: super::Extra,
}

impl Customer {
    /// A customer with only an id.
    pub fn new(id: impl Into<String>) -> Customer {
        Customer { id: id.into(), ..Customer::default() }
    }
}

/// A postal address (`customer.address`, `update_customer`, login `customer`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
}

/// The login response's `customer.statistics`. Missing counters read as 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Statistics {
    pub chats_count: u64,
    pub threads_count: u64,
    pub visits_count: u64,
    pub page_views_count: u64,
    pub greetings_shown_count: u64,
    pub greetings_accepted_count: u64,
}

/// An agent (chat users, greetings, predicted agents). Bots are agents with `is_bot: true`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub present: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events_seen_up_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_bot: Option<bool>,
    /// `chatbot` or `ai_agent`, bots only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_type: Option<String>,
    /// Fields this version does not model (`email`, `visibility`, …), kept as sent.
    #[serde(flatten, deserialize_with = "super::extra_without_type")]
    pub extra: super::Extra,
}

impl Agent {
    /// An agent with only an id.
    pub fn new(id: impl Into<String>) -> Agent {
        Agent { id: id.into(), ..Agent::default() }
    }
}

/// A chat user, tagged by its wire `type`.
///
/// Deserialisation never fails on a JSON object or other value: an unknown `type`, a missing
/// `type`, or a `customer`/`agent` whose fields do not match, is kept raw as
/// [`User::Other`], so one odd user never breaks a whole `get_chat` or `list_chats`.
///
/// Not boxed: users are parsed once per response and matched far more often than moved.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum User {
    Customer(Customer),
    Agent(Agent),
    /// A user this version could not type, as sent.
    Other(Value),
}

impl User {
    /// The user's id; `""` for an [`User::Other`] without a string `id`.
    pub fn id(&self) -> &str {
        match self {
            User::Customer(c) => &c.id,
            User::Agent(a) => &a.id,
            User::Other(v) => v.get("id").and_then(Value::as_str).unwrap_or(""),
        }
    }

    /// The wire `type`: `customer`, `agent`, or whatever an [`User::Other`] says (`""` if
    /// nothing).
    pub fn kind(&self) -> &str {
        match self {
            User::Customer(_) => "customer",
            User::Agent(_) => "agent",
            User::Other(v) => v.get("type").and_then(Value::as_str).unwrap_or(""),
        }
    }

    /// `present` (chat context), when known.
    pub fn present(&self) -> Option<bool> {
        match self {
            User::Customer(c) => c.present,
            User::Agent(a) => a.present,
            User::Other(v) => v.get("present").and_then(Value::as_bool),
        }
    }

    /// `events_seen_up_to`, when known.
    pub fn events_seen_up_to(&self) -> Option<&str> {
        match self {
            User::Customer(c) => c.events_seen_up_to.as_deref(),
            User::Agent(a) => a.events_seen_up_to.as_deref(),
            User::Other(v) => v.get("events_seen_up_to").and_then(Value::as_str),
        }
    }

    pub fn as_customer(&self) -> Option<&Customer> {
        match self {
            User::Customer(c) => Some(c),
            _ => None,
        }
    }

    pub fn as_agent(&self) -> Option<&Agent> {
        match self {
            User::Agent(a) => Some(a),
            _ => None,
        }
    }
}

impl From<Customer> for User {
    fn from(c: Customer) -> User {
        User::Customer(c)
    }
}

impl From<Agent> for User {
    fn from(a: Agent) -> User {
        User::Agent(a)
    }
}

impl<'de> Deserialize<'de> for User {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<User, D::Error> {
        let raw = Value::deserialize(d)?;
        let user = match raw.get("type").and_then(Value::as_str) {
            Some("customer") => Customer::deserialize(&raw).ok().map(User::Customer),
            Some("agent") => Agent::deserialize(&raw).ok().map(User::Agent),
            _ => None,
        };
        Ok(user.unwrap_or(User::Other(raw)))
    }
}

impl Serialize for User {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(tag = "type", rename_all = "snake_case")]
        enum Tagged<'a> {
            Customer(&'a Customer),
            Agent(&'a Agent),
        }
        match self {
            User::Customer(c) => Tagged::Customer(c).serialize(s),
            User::Agent(a) => Tagged::Agent(a).serialize(s),
            User::Other(v) => v.serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn users_are_tagged_and_unknown_types_are_kept() {
        let users: Vec<User> = serde_json::from_value(json!([
            {"id": "c1", "type": "customer", "name": "Jane", "present": true,
             "session_fields": [{"plan": "pro"}], "email_verified": false},
            {"id": "a1", "type": "agent", "name": "Bob", "job_title": "Support",
             "is_bot": true, "bot_type": "ai_agent", "events_seen_up_to": "2024-01-01T00:00:00.000000Z"},
            {"id": "x1", "type": "supervisor", "name": "Zed"},
            {"type": "agent", "name": "no id"},
            "not even an object"
        ]))
        .unwrap();
        assert_eq!(users.len(), 5);
        let c = users[0].as_customer().unwrap();
        assert_eq!(c.name.as_deref(), Some("Jane"));
        assert_eq!(c.session_fields[0]["plan"], "pro");
        assert_eq!(c.email_verified, Some(false));
        assert_eq!(users[0].present(), Some(true));
        let a = users[1].as_agent().unwrap();
        assert_eq!(a.bot_type.as_deref(), Some("ai_agent"));
        assert_eq!(users[1].id(), "a1");
        assert_eq!(users[2], User::Other(json!({"id": "x1", "type": "supervisor", "name": "Zed"})));
        assert_eq!(users[2].id(), "x1");
        assert_eq!(users[2].kind(), "supervisor");
        // A known type with a broken payload (no id) is kept raw too.
        assert!(matches!(users[3], User::Other(_)));
        assert_eq!(users[3].id(), "");
        assert!(matches!(users[4], User::Other(Value::String(_))));
    }

    #[test]
    fn user_serialises_with_its_type_tag() {
        let u = User::Agent(Agent { name: Some("Bob".into()), ..Agent::new("a1") });
        assert_eq!(serde_json::to_value(&u).unwrap(), json!({"type": "agent", "id": "a1", "name": "Bob"}));
        let u = User::Customer(Customer::new("c1"));
        let v = serde_json::to_value(&u).unwrap();
        assert_eq!(v, json!({"type": "customer", "id": "c1"}));
        assert_eq!(serde_json::from_value::<User>(v).unwrap(), u);
        let other = User::Other(json!({"type": "bot", "id": "b"}));
        assert_eq!(serde_json::to_value(&other).unwrap(), json!({"type": "bot", "id": "b"}));
    }

    #[test]
    fn customer_with_statistics_and_address() {
        let c: Customer = serde_json::from_value(json!({
            "id": "c1", "type": "customer", "phone_number": "+48123",
            "address": {"city": "Wroclaw", "postal_code": "50-001"},
            "statistics": {"chats_count": 3, "threads_count": 7, "visits_count": 9,
                           "page_views_count": 20, "greetings_shown_count": 2,
                           "greetings_accepted_count": 1},
            "omnichannel": {"twilio": [{"+1800": {"phone_number": "+1800"}}]},
            "brand_new_field": 1
        }))
        .unwrap();
        let stats = c.statistics.unwrap();
        assert_eq!(stats.threads_count, 7);
        assert_eq!(stats.greetings_accepted_count, 1);
        assert_eq!(c.address.as_ref().unwrap().city.as_deref(), Some("Wroclaw"));
        assert_eq!(c.omnichannel.as_ref().unwrap()["twilio"][0]["+1800"]["phone_number"], "+1800");
        assert_eq!(c.phone_number.as_deref(), Some("+48123"));
    }
}
