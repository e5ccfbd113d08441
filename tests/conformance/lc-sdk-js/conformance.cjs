// Conformance: @livechat/lc-sdk-js 4.0.2 (customer and agent RTM) against livechat-sim.
//
//   node conformance.cjs PORT AGENT_TOKEN
//
// The SDK always dials `wss://{apiUrl}/v3.4/...`: its `version` is set to 3.5 / 3.6 on each
// client before connect(), and its WebSocket (isomorphic-ws, i.e. `ws`) is wrapped so
// `wss://127.0.0.1` becomes the simulator's plain `ws://127.0.0.1`. Nothing else is changed.
"use strict";
const RealWebSocket = require("ws");

class LoopbackWebSocket extends RealWebSocket {
  constructor(url, ...rest) {
    super(String(url).replace(/^wss:\/\/127\.0\.0\.1/, "ws://127.0.0.1"), ...rest);
  }
}
const iso = require.resolve("isomorphic-ws");
require.cache[iso] = { id: iso, filename: iso, loaded: true, exports: LoopbackWebSocket };

const { Agent, Customer } = require("@livechat/lc-sdk-js");

const [port, agentToken] = process.argv.slice(2);
const apiUrl = `127.0.0.1:${port}`;
const ORG = "conformance-lc-sdk-js";
const results = [];

async function kase(name, fn) {
  try {
    const detail = await fn();
    results.push([name, true, detail || ""]);
  } catch (e) {
    results.push([name, false, e && e.message ? e.message : JSON.stringify(e)]);
  }
}
function check(cond, what) {
  if (!cond) throw new Error(what);
}
async function refused(promise, type, what) {
  try {
    const got = await promise;
    throw new Error(`${what} unexpectedly succeeded: ${JSON.stringify(got)}`);
  } catch (e) {
    if (e instanceof Error && e.message.includes("unexpectedly")) throw e;
    const kind = e && e.error && e.error.type;
    check(kind === type, `${what}: error ${JSON.stringify(e)}, expected type ${type}`);
  }
}
async function customerToken() {
  const r = await fetch(`http://${apiUrl}/_sim/customer_token`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ organization_id: ORG }),
  });
  return r.json();
}
const events = (chat) => (chat.thread && chat.thread.events) || [];
const texts = (chat) => events(chat).filter((e) => e.type === "message").map((e) => e.text);

const state = {};

async function customer(version) {
  const rtm = new Customer.RTM(ORG, { apiUrl });
  rtm.version = version;
  await rtm.connect();
  const { access_token, entity_id } = await customerToken();
  await rtm.login(`Bearer ${access_token}`);
  return { rtm, cid: entity_id };
}

async function agent(version) {
  const rtm = new Agent.RTM({ apiUrl });
  rtm.version = version;
  await rtm.connect();
  const login = await rtm.login(`Bearer ${agentToken}`);
  check(login.my_profile && login.my_profile.id, `agent login: ${JSON.stringify(login)}`);
  return rtm;
}

async function main() {
  for (const version of ["3.5", "3.6"]) {
    await kase(`customer ${version}: login, chat, events, properties, errors`, async () => {
      const { rtm, cid } = await customer(version);
      const started = await rtm.startChat({ chat: { thread: { events: [{ type: "message", text: "hello" }] } } });
      const chatId = started.chat_id;
      await rtm.sendEvent(chatId, { type: "message", text: "second" });
      const chat = await rtm.getChat(chatId);
      const mine = events(chat).filter((e) => e.author_id === cid).map((e) => e.text);
      check(JSON.stringify(mine) === JSON.stringify(["hello", "second"]), `messages ${texts(chat)}`);
      for (const e of events(chat)) check(!("visibility" in e) && "recipients" in e, `customer-shaped: ${JSON.stringify(e)}`);
      const listed = await rtm.listChats();
      check(listed.chats_summary.some((s) => s.id === chatId), "list_chats has the chat");
      await rtm.updateChatProperties(chatId, { conformance: { js: true } });
      check((await rtm.getChat(chatId)).properties.conformance.js === true, "property stored");
      await rtm.listGroupStatuses(true);
      await refused(rtm.getChat("NO_SUCH_CHAT"), "not_found", "get_chat of a missing chat");
      await refused(rtm.sendEvent(chatId, { type: "message" }), "validation", "send_event without text");
      state[version] = { rtm, cid, chatId };
      return `customer ${cid}`;
    });
  }

  await kase("agent 3.6: login, list_chats (bot's chats too), agent-shaped events", async () => {
    const a = await agent("3.6");
    state.agent = a;
    const { chatId } = state["3.6"];
    const listed = await a.listChats();
    check(listed.chats_summary.some((s) => s.id === chatId), "the agent lists the bot's chat");
    for (const e of events(await a.getChat(chatId))) {
      check(!("recipients" in e) && ["all", "agents"].includes(e.visibility), `agent-shaped: ${JSON.stringify(e)}`);
    }
  });

  await kase("visibility: an agents-only note is hidden from the customer", async () => {
    const a = state.agent;
    const { rtm, chatId } = state["3.6"];
    await a.sendEvent(chatId, { type: "message", text: "agents only", visibility: "agents" });
    await a.sendEvent(chatId, { type: "message", text: "for everyone", visibility: "all" });
    const seen = texts(await rtm.getChat(chatId));
    check(!seen.includes("agents only") && seen.includes("for everyone"), `the customer sees ${seen}`);
    check(texts(await a.getChat(chatId)).includes("agents only"), "the agent sees the note");
  });

  await kase("agent 3.6: tags, follow, multicast, transfer list, away, customers, archives, start/resume, ban, errors", async () => {
    const a = state.agent;
    const { cid, chatId } = state["3.6"];
    const threadId = (await a.getChat(chatId)).thread.id;
    await a.tagThread(chatId, threadId, "vip");
    await a.untagThread(chatId, threadId, "vip");
    await a.followChat(chatId);
    await a.unfollowChat(chatId);
    await a.multicast({ agents: { all: true } }, { hello: "team" });
    await a.listAgentsForTransfer(chatId);
    await a.setAwayStatus(false);
    await a.updateCustomer(cid, { name: "JS Customer" });
    check((await a.getCustomer(cid)).name === "JS Customer", "renamed");
    await a.deactivateChat(chatId);
    const archives = await a.listArchives();
    check(archives.chats.some((c) => c.id === chatId), "archived chat listed");
    await a.resumeChat(chatId);
    await a.deactivateChat(chatId);
    const started = await a.startChat({
      chat: { users: [{ id: cid, type: "customer" }], thread: { events: [{ type: "message", text: "from the agent" }] } },
    });
    check(started.chat_id, `start_chat ${JSON.stringify(started)}`);
    await refused(a.startChat({ chat: { users: [] } }), "validation", "start_chat without a customer");
    await refused(a.tagThread(chatId, "NO_SUCH_THREAD", "x"), "not_found", "tag_thread of a missing thread");
    await refused(a.send("not_an_action", {}), "validation", "an unknown action");
    await a.banCustomer(cid, 1);
    return "13 actions, 3 errors";
  });

  await kase("agent 3.5: login, list_chats, get_chat", async () => {
    const a = await agent("3.5");
    await a.listChats();
    const { cid, chatId } = state["3.5"];
    const chat = await a.getChat(chatId);
    check(events(chat).some((e) => e.author_id === cid && e.text === "hello"), "3.5 agent sees the customer's message");
    a.socket.close();
  });

  for (const s of Object.values(state)) {
    const rtm = s.rtm || s;
    clearInterval(rtm.heartbeatInterval);
    if (rtm.socket) rtm.socket.close();
  }
  let failed = 0;
  for (const [name, ok, detail] of results) {
    console.log(`${ok ? "ok  " : "FAIL"} ${name}${detail ? " — " + detail : ""}`);
    if (!ok) failed += 1;
  }
  console.log(`@livechat/lc-sdk-js 4.0.2: ${results.length - failed}/${results.length} passed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
