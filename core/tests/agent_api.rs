//! `AgentApi` written once: the ops its methods produce, and how the agent session carries
//! out the agent-only ones (`send_message`, `agent_details`).

mod support;

use livechat_core::hub::Listen;
use std::sync::{Arc, Mutex};

use livechat_core::agent::actions::{RoutingStatus, TransferChat, TransferTarget};
use livechat_core::agent::{AgentApi, AgentCommand, AgentEventKind, AgentSide, Exec, Recipients};
use livechat_core::client::{Applied, Op, Ops};
use livechat_core::hub::EventHub;
use livechat_core::{Error, ErrorCode};
use serde_json::json;
use support::{Peer, agent_config};

/// An `Exec` that only records what it is asked to run.
struct Recorder {
    hub: Arc<Mutex<EventHub<livechat_core::agent::AgentEvent>>>,
    ops: Mutex<Vec<(&'static str, Op<AgentCommand>)>>,
}

impl Exec for Recorder {
    type Command = AgentCommand;
    type Out<T: Send + 'static> = ();
    fn exec<T: serde::de::DeserializeOwned + Send + 'static>(
        &self,
        what: &'static str,
        op: Op<AgentCommand>,
    ) {
        self.ops.lock().unwrap().push((what, op));
    }
}

impl livechat_core::hub::Listen for Recorder {
    type Event = livechat_core::agent::AgentEvent;
    fn hub(&self) -> &Arc<Mutex<EventHub<livechat_core::agent::AgentEvent>>> {
        &self.hub
    }
}

impl AgentApi for Recorder {}

fn call(action: &str, payload: serde_json::Value) -> Op<AgentCommand> {
    Op::raw(action, payload)
}

#[test]
fn methods_become_the_documented_ops() {
    let r = Recorder { hub: Default::default(), ops: Mutex::new(Vec::new()) };
    r.send_message("CH1", "hi", Recipients::Agents);
    r.agent_details();
    r.set_routing_status(RoutingStatus::NotAcceptingChats);
    r.send_typing_indicator("CH1", true);
    r.send_event_preview("CH1", "draft");
    r.deactivate_chat("CH1");
    r.transfer_chat(TransferChat {
        id: "CH1".into(),
        target: Some(TransferTarget::agents(["b@x"])),
        ..Default::default()
    });
    r.mark_events_as_seen("CH1", "2025-01-01T00:00:00.000000Z");
    r.call_raw("follow_chat", json!({"id": "CH1"}));
    let ops: Vec<Op<AgentCommand>> = r.ops.lock().unwrap().iter().map(|(_, op)| op.clone()).collect();
    assert_eq!(
        ops,
        vec![
            Op::Side(AgentCommand::SendMessage {
                chat_id: "CH1".into(),
                text: "hi".into(),
                recipients: Recipients::Agents
            }),
            Op::Side(AgentCommand::AgentDetails),
            call("set_routing_status", json!({"status": "not_accepting_chats"})),
            call("send_typing_indicator", json!({"chat_id": "CH1", "is_typing": true})),
            call(
                "send_event_preview",
                json!({"chat_id": "CH1", "event": {"type": "message", "text": "draft"}})
            ),
            call("deactivate_chat", json!({"id": "CH1"})),
            call("transfer_chat", json!({"id": "CH1", "target": {"type": "agent", "ids": ["b@x"]}})),
            call(
                "mark_events_as_seen",
                json!({"chat_id": "CH1", "seen_up_to": "2025-01-01T00:00:00.000000Z"})
            ),
            call("follow_chat", json!({"id": "CH1"})),
        ]
    );
}

#[test]
fn destroy_sends_the_op_and_drops_every_listener() {
    let r = Recorder { hub: Default::default(), ops: Mutex::new(Vec::new()) };
    r.on(AgentEventKind::Ready, |_| {});
    r.on_any(|_| {});
    assert_eq!(r.hub.lock().unwrap().listener_count(), 2);
    r.destroy();
    assert_eq!(r.ops.lock().unwrap().last().map(|(_, op)| op.clone()), Some(Op::Destroy));
    assert_eq!(r.hub.lock().unwrap().listener_count(), 0);
}

#[test]
fn the_agent_session_carries_out_send_message_and_agent_details() {
    let mut p: Peer<AgentSide> = Peer::agent(agent_config());
    let now = p.now;
    // Before the first login there are no details (the Node SDK rejects too).
    match p.s.apply(now, Op::Side(AgentCommand::AgentDetails)) {
        Applied::Done(Err(Error { code: ErrorCode::NoConnection, .. })) => {}
        other => panic!("{other:?}"),
    }
    // A message asked for before login is queued like any call.
    let Applied::Pending(id) = p.s.apply(
        now,
        Op::Side(AgentCommand::SendMessage {
            chat_id: "CH1".into(),
            text: "queued".into(),
            recipients: Recipients::All,
        }),
    ) else {
        panic!("send_message is a request")
    };
    p.login();
    let sent = p.last_sent("send_event");
    assert_eq!(sent["payload"]["chat_id"], "CH1");
    assert_eq!(sent["payload"]["event"]["text"], "queued");
    p.respond(&sent, json!({"event_id": "E1"}));
    assert_eq!(p.ok(id)["event_id"], "E1");
    match p.s.apply(p.now, Op::Side(AgentCommand::AgentDetails)) {
        Applied::Done(Ok(details)) => assert_eq!(details["my_profile"]["id"], "agent@example.com"),
        other => panic!("{other:?}"),
    }
}
