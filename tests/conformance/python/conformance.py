"""Conformance: the official Python SDK (lc-sdk-python 0.4.2) against livechat-sim.

    python conformance.py PORT AGENT_TOKEN

Logs in as a customer (RTM 3.5 and 3.6) and as an agent (RTM 3.6, and 3.5 for the basics)
and exercises chats, events, properties, visibility, the agent actions and error cases.
The SDK builds `wss://{base_url}/v{version}/...`; the simulator speaks plain `ws://` on
127.0.0.1, so each client's `ws.url` is rewritten before `open_connection()`. Prints one
line per case and exits non-zero if any failed.
"""
import json
import sys
import urllib.request

from loguru import logger
from livechat.agent.rtm.base import AgentRTM
from livechat.customer.rtm.base import CustomerRTM

logger.remove()  # the SDK logs every frame at INFO

PORT, AGENT_TOKEN = sys.argv[1], sys.argv[2]
BASE = f"127.0.0.1:{PORT}"
ORG = "conformance-python"
results = []


def case(name, fn):
    try:
        detail = fn()
        results.append((name, True, detail or ""))
    except Exception as e:  # noqa: BLE001 - every failure is reported by name
        results.append((name, False, f"{type(e).__name__}: {e}"))


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def ok(resp, what):
    check(resp is not None, f"{what}: no response within the SDK's timeout")
    check(resp.success, f"{what} failed: {json.dumps(resp.payload)}")
    return resp.payload


def err(resp, kind, what):
    check(resp is not None, f"{what}: no response")
    check(resp.success is False, f"{what} unexpectedly succeeded: {json.dumps(resp.payload)}")
    got = (resp.payload or {}).get("error", {}).get("type")
    check(got == kind, f"{what}: error type {got!r}, expected {kind!r}")


def customer_token():
    req = urllib.request.Request(
        f"http://{BASE}/_sim/customer_token",
        data=json.dumps({"organization_id": ORG}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        body = json.load(r)
    return body["access_token"], body["entity_id"]


def open_plain(client, path):
    # lc-sdk-python only builds wss:// URLs; the simulator is plain ws:// on loopback.
    client.ws.url = client.ws.url.replace(f"wss://{BASE}", f"ws://{BASE}")
    check(client.ws.url.startswith(f"ws://{BASE}/{path}"), client.ws.url)
    client.open_connection(response_timeout=5)


def customer_client(version):
    c = CustomerRTM.get_client(version=version, base_url=BASE, organization_id=ORG)
    open_plain(c, f"v{version}/customer/rtm/ws")
    token, cid = customer_token()
    payload = ok(c.login(token=f"Bearer {token}"), f"customer {version} login")
    return c, cid, payload


def agent_client(version):
    a = AgentRTM.get_client(version=version, base_url=BASE)
    open_plain(a, f"v{version}/agent/rtm/ws")
    payload = ok(a.login(token=f"Bearer {AGENT_TOKEN}"), f"agent {version} login")
    return a, payload


def events_of(chat):
    return (chat.get("thread") or {}).get("events", [])


def texts(chat):
    return [e.get("text") for e in events_of(chat) if e.get("type") == "message"]


state = {}

for version in ("3.5", "3.6"):
    def customer_basics(version=version):
        c, cid, login = customer_client(version)
        check(login.get("customer_id") == cid or (login.get("customer") or {}).get("id") == cid, f"login names {cid}")
        started = ok(c.start_chat(chat={"thread": {"events": [{"type": "message", "text": "hello"}]}}), "start_chat")
        chat_id = started["chat_id"]
        ok(c.send_event(chat_id=chat_id, event={"type": "message", "text": "second"}), "send_event")
        chat = ok(c.get_chat(chat_id=chat_id), "get_chat")
        mine = [e.get("text") for e in events_of(chat) if e.get("author_id") == cid]
        check(mine == ["hello", "second"], f"messages {texts(chat)}")
        check("You said: hello" in texts(chat), f"the simulator's bot answered: {texts(chat)}")
        for e in events_of(chat):
            check("visibility" not in e and "recipients" in e, f"customer-shaped event: {e}")
        listed = ok(c.list_chats(), "list_chats")
        check(any(s["id"] == chat_id for s in listed["chats_summary"]), "list_chats has the chat")
        ok(c.update_chat_properties(id=chat_id, properties={"conformance": {"python": True}}), "update_chat_properties")
        props = ok(c.get_chat(chat_id=chat_id), "get_chat")["properties"]
        check(props.get("conformance", {}).get("python") is True, f"properties {props}")
        ok(c.list_group_statuses(all=True), "list_group_statuses")
        err(c.get_chat(chat_id="NO_SUCH_CHAT"), "not_found", "get_chat of a missing chat")
        err(c.send_event(chat_id=chat_id, event={"type": "message"}), "validation", "send_event without text")
        state[version] = (c, cid, chat_id)
        return f"customer {cid}, chat {chat_id}"

    case(f"customer {version}: login, chat, events, properties, errors", customer_basics)


def agent_view():
    a, login = agent_client("3.6")
    c, cid, chat_id = state["3.6"]
    state["agent"] = a
    listed = ok(a.list_chats(), "agent list_chats")
    check(any(s["id"] == chat_id for s in listed["chats_summary"]), "the agent lists the bot's chat")
    chat = ok(a.get_chat(chat_id=chat_id), "agent get_chat")
    for e in events_of(chat):
        check("recipients" not in e and e.get("visibility") in ("all", "agents"), f"agent-shaped event: {e}")
    return f"{len(listed['chats_summary'])} chats listed"


def visibility():
    a = state["agent"]
    c, cid, chat_id = state["3.6"]
    ok(a.send_event(chat_id=chat_id, event={"type": "message", "text": "agents only", "visibility": "agents"}), "note")
    ok(a.send_event(chat_id=chat_id, event={"type": "message", "text": "for everyone", "visibility": "all"}), "public")
    seen = texts(ok(c.get_chat(chat_id=chat_id), "customer get_chat"))
    check("agents only" not in seen and "for everyone" in seen, f"the customer sees {seen}")
    all_ = texts(ok(a.get_chat(chat_id=chat_id), "agent get_chat"))
    check("agents only" in all_, f"the agent sees {all_}")


def agent_actions():
    a = state["agent"]
    c, cid, chat_id = state["3.6"]
    thread_id = ok(a.get_chat(chat_id=chat_id), "get_chat")["thread"]["id"]
    ok(a.tag_thread(chat_id=chat_id, thread_id=thread_id, tag="vip"), "tag_thread")
    ok(a.untag_thread(chat_id=chat_id, thread_id=thread_id, tag="vip"), "untag_thread")
    ok(a.follow_chat(id=chat_id), "follow_chat")
    ok(a.unfollow_chat(id=chat_id), "unfollow_chat")
    ok(a.multicast(recipients={"agents": {"all": True}}, content={"hello": "team"}), "multicast")
    ok(a.list_agents_for_transfer(chat_id=chat_id), "list_agents_for_transfer")
    ok(a.set_away_status(away=False), "set_away_status")
    ok(a.update_customer(id=cid, name="Python Customer"), "update_customer")
    check(ok(a.get_customer(id=cid), "get_customer").get("name") == "Python Customer", "renamed")
    ok(a.deactivate_chat(id=chat_id), "deactivate_chat")
    archives = ok(a.list_archives(), "list_archives")
    check(any(ch["id"] == chat_id for ch in archives["chats"]), "archived chat listed")
    ok(a.resume_chat(chat={"id": chat_id}), "resume_chat")
    ok(a.deactivate_chat(id=chat_id), "deactivate_chat again")
    started = ok(a.start_chat(chat={"users": [{"id": cid, "type": "customer"}],
                                    "thread": {"events": [{"type": "message", "text": "from the agent"}]}}), "start_chat")
    check("chat_id" in started, f"start_chat {started}")
    err(a.start_chat(chat={"users": []}), "validation", "start_chat without a customer")
    err(a.tag_thread(chat_id=chat_id, thread_id="NO_SUCH_THREAD", tag="x"), "not_found", "tag_thread of a missing thread")
    resp = a.ws.send({"action": "not_an_action", "payload": {}})
    err(resp, "validation", "an unknown action")
    ok(a.ban_customer(id=cid, ban={"days": 1}), "ban_customer")
    return "13 actions, 4 errors"


def agent_35():
    a, _ = agent_client("3.5")
    ok(a.list_chats(), "3.5 list_chats")
    c, cid, chat_id = state["3.5"]
    chat = ok(a.get_chat(chat_id=chat_id), "3.5 get_chat")
    check(texts(chat)[:1] == ["hello"], f"3.5 agent sees {texts(chat)}")
    a.close_connection()


case("agent 3.6: login, list_chats (bot's chats too), agent-shaped events", agent_view)
case("visibility: an agents-only note is hidden from the customer", visibility)
case("agent 3.6: tags, follow, multicast, transfer list, away, customers, archives, start/resume, ban, errors", agent_actions)
case("agent 3.5: login, list_chats, get_chat", agent_35)

for (c, _, _) in [v for k, v in state.items() if k in ("3.5", "3.6")]:
    c.close_connection()
if "agent" in state:
    state["agent"].close_connection()

failed = 0
for name, passed, detail in results:
    print(f"{'ok  ' if passed else 'FAIL'} {name}{(' — ' + detail) if detail else ''}")
    failed += not passed
print(f"lc-sdk-python 0.4.2: {len(results) - failed}/{len(results)} passed")
sys.exit(1 if failed else 0)
