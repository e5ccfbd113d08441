// Drives the official @livechat/customer-sdk 4.0.2 against a running livechat-sim.
// Usage: node conformance.mjs <port>
// Follows shared/spec/official-js-client.md: socket redirect, identity provider backed by the
// sim's token endpoint, Image stub. Exits non-zero on the first failed assertion group and always
// prints a final "N passed, M failed" line.

import { createRequire } from 'node:module';
import WS from 'ws';

const require = createRequire(import.meta.url);
const port = Number(process.argv[2] || process.env.SIM_PORT);
if (!port) {
  console.error('usage: node conformance.mjs <port>');
  process.exit(2);
}
const HTTP = `http://127.0.0.1:${port}`;
const ORG = 'conformance-org-' + process.pid;
const CLIENT_ID = 'conformance-client';

// 1. Socket redirect: keep the SDK's path and query, connect to the sim.
globalThis.WebSocket = class extends WS {
  constructor(url, protocols) {
    const u = new URL(url);
    super(`ws://127.0.0.1:${port}${u.pathname}${u.search}`, protocols);
  }
};
// 3. Image stub (startChat fires a logging beacon through new Image()).
globalThis.Image = class {
  set src(_v) {}
};

const CustomerSDK = require('@livechat/customer-sdk');

let passed = 0;
let failed = 0;
function check(name, cond, detail) {
  if (cond) {
    passed++;
    console.log(`ok   ${name}`);
  } else {
    failed++;
    console.log(`FAIL ${name}${detail !== undefined ? ': ' + JSON.stringify(detail) : ''}`);
  }
}
function finish(code) {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(code ?? (failed > 0 ? 1 : 0));
}
process.on('unhandledRejection', (e) => {
  failed++;
  console.log('FAIL unhandled rejection: ' + (e && (e.stack || e.message || JSON.stringify(e))));
  finish(1);
});
const overall = setTimeout(() => {
  failed++;
  console.log('FAIL overall timeout (60 s)');
  finish(1);
}, 60_000);

// 2. Identity provider backed by the sim's cookie grant (the cookie keeps the identity).
let cookie = null;
let cached = null;
async function fetchToken() {
  const headers = { 'content-type': 'application/json' };
  if (cookie) headers.cookie = cookie;
  const res = await fetch(`${HTTP}/v2/customer/token`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ grant_type: 'cookie', client_id: CLIENT_ID, response_type: 'token', organization_id: ORG }),
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error('token endpoint: ' + JSON.stringify(body));
  const setCookie = res.headers.get('set-cookie');
  if (setCookie) cookie = setCookie.split(';')[0];
  cached = {
    accessToken: body.access_token,
    entityId: body.entity_id,
    expiresIn: body.expires_in * 1000,
    tokenType: body.token_type,
    creationDate: Date.now(),
    organizationId: body.organization_id,
  };
  return cached;
}
// Concurrent callers share one request: two parallel first fetches would create two identities.
let inflight = null;
function fetchOnce() {
  if (!inflight) inflight = fetchToken().finally(() => { inflight = null; });
  return inflight;
}
const identityProvider = () => ({
  getToken: () => (cached ? Promise.resolve(cached) : fetchOnce()),
  getFreshToken: () => fetchOnce(),
  hasToken: () => Promise.resolve(cached !== null),
  invalidate: () => {
    cached = null;
    return Promise.resolve();
  },
});

async function control(path, body) {
  const res = await fetch(`${HTTP}/_sim/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`control ${path}: ${JSON.stringify(json)}`);
  return json;
}

// Event recorder with waiters.
const seen = [];
const waiters = [];
function record(type, payload) {
  seen.push({ type, payload });
  for (let i = waiters.length - 1; i >= 0; i--) {
    const w = waiters[i];
    if (w.type === type && w.pred(payload)) {
      waiters.splice(i, 1);
      clearTimeout(w.timer);
      w.resolve(payload);
    }
  }
}
function waitFor(type, pred = () => true, ms = 10_000, since = 0) {
  const hit = seen.slice(since).find((e) => e.type === type && pred(e.payload));
  if (hit) return Promise.resolve(hit.payload);
  return new Promise((resolve, reject) => {
    const w = { type, pred, resolve };
    w.timer = setTimeout(() => {
      const i = waiters.indexOf(w);
      if (i >= 0) waiters.splice(i, 1);
      reject(new Error(`timed out waiting for ${type}`));
    }, ms);
    waiters.push(w);
  });
}
const mark = () => seen.length;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function step(name, fn) {
  try {
    await fn();
  } catch (e) {
    check(name, false, e && (e.message || e.code || String(e)));
    finish(1);
  }
}

async function main() {
  const sdk = CustomerSDK.init({ organizationId: ORG, clientId: CLIENT_ID, identityProvider });
  for (const ev of ['connected', 'disconnected', 'customer_id', 'incoming_event', 'incoming_chat', 'customer_updated', 'thread_properties_updated', 'user_data', 'chat_deactivated']) {
    sdk.on(ev, (p) => record(ev, p));
  }

  let customerId;
  await step('login', async () => {
    const connected = await waitFor('connected');
    customerId = (await waitFor('customer_id'));
    check('connected: availability online', connected.availability === 'online', connected.availability);
    check('connected: customer id matches the token', connected.customer.id === customerId, connected.customer.id);
    check('connected: statistics parsed', connected.customer.statistics && connected.customer.statistics.visitsCount === 1, connected.customer.statistics);
  });

  let chatId;
  let threadId;
  await step('startChat', async () => {
    const res = await sdk
      .startChat({ chat: { thread: { events: [{ type: 'message', text: 'hello from customer-sdk', customId: 'cust-1' }] } } })
      .catch((e) => { throw new Error('startChat rejected: ' + JSON.stringify(e)); });
    const chat = res.chat;
    chatId = chat.id;
    threadId = chat.thread.id;
    check('startChat resolves with the chat', typeof chatId === 'string' && chatId.length > 0, res);
    const first = chat.thread.events[0];
    check('startChat: initial message kept with custom id', first && first.text === 'hello from customer-sdk' && first.customId === 'cust-1', first);
    check('startChat: thread active', chat.thread.active === true, chat.thread);
    const reply = await waitFor('incoming_event', (p) => p.chatId === chatId && p.event.text === 'You said: hello from customer-sdk');
    check('bot answers the initial message', reply.event.authorId !== customerId, reply.event);
  });

  await step('sendEvent and the bot reply', async () => {
    const since = mark();
    const ev = await sdk
      .sendEvent({ chatId, event: { type: 'message', text: 'second message', customId: 'c-2' } })
      .catch((e) => { throw new Error('sendEvent rejected: ' + JSON.stringify(e)); });
    check('sendEvent resolves with the parsed event', ev && ev.text === 'second message' && ev.customId === 'c-2' && ev.threadId === threadId, ev);
    check('event id is <thread_id>_<n>', typeof ev.id === 'string' && ev.id.startsWith(threadId + '_'), ev.id);
    const reply = await waitFor('incoming_event', (p) => p.chatId === chatId && p.event.text === 'You said: second message', 10_000, since);
    check('bot reply arrives as incoming_event', reply.event.type === 'message' && reply.event.authorId !== customerId, reply);
    const ownEchoes = seen.slice(since).filter((e) => e.type === 'incoming_event' && e.payload.event.text === 'second message');
    check('own event is not re-emitted (push-response)', ownEchoes.length === 0, ownEchoes);
  });

  await step('history', async () => {
    // Ten threads of three events each: more than the SDK's first page (min_events_count 25).
    for (let i = 0; i < 9; i++) {
      await sdk.deactivateChat({ id: chatId }).catch((e) => { throw new Error('deactivateChat: ' + JSON.stringify(e)); });
      await sdk.resumeChat({ chat: { id: chatId, thread: { events: [{ type: 'message', text: `resumed ${i}` }] } } })
        .catch((e) => { throw new Error('resumeChat: ' + JSON.stringify(e)); });
    }
    const history = sdk.getChatHistory({ chatId });
    let pages = 0;
    let threads = [];
    for (;;) {
      const { done, value } = await history.next();
      if (value) {
        pages++;
        threads = value.threads.concat(threads);
      }
      if (done) break;
      if (pages > 20) throw new Error('history does not end');
    }
    const texts = threads.flatMap((t) => t.events.filter((e) => e.type === 'message').map((e) => e.text));
    check('history paged to done over several pages', pages >= 2, pages);
    check('history holds all 10 threads oldest first', threads.length === 10 && threads[0].id === threadId, threads.map((t) => t.id));
    check('history holds the messages in order', texts[0] === 'hello from customer-sdk' && texts.includes('second message') && texts[texts.length - 2] === 'resumed 8', texts);
  });

  await step('listChats', async () => {
    const list = await sdk.listChats({ limit: 10 });
    check('listChats returns our chat', list.chatsSummary.length === 1 && list.chatsSummary[0].id === chatId, list);
    check('listChats: total and active', list.totalChats === 1 && list.chatsSummary[0].active === true, list);
    check('listChats: last event known', list.chatsSummary[0].lastEvent && typeof list.chatsSummary[0].lastEvent.text === 'string', list.chatsSummary[0].lastEvent);
  });

  await step('rateChat', async () => {
    const since = mark();
    const r = await sdk.rateChat({ chatId, rating: { score: 1, comment: 'great' } });
    check('rateChat resolves success', r && r.success === true, r);
    const pushed = await waitFor('thread_properties_updated', (p) => p.chatId === chatId, 5000, since);
    check('rating stored as thread properties', pushed.properties.rating.score === 1 && pushed.properties.rating.comment === 'great', pushed);
    const chat = await sdk.getChat({ chatId });
    check('getChat shows the rating on the latest thread', chat.thread.properties.rating && chat.thread.properties.rating.score === 1, chat.thread.properties);
  });

  await step('updateCustomer', async () => {
    const since = mark();
    const r = await sdk.updateCustomer({ name: 'Conformance Customer', email: 'conf@example.com', sessionFields: { plan: 'gold' } });
    check('updateCustomer resolves success', r && r.success === true, r);
    const upd = await waitFor('customer_updated', () => true, 5000, since);
    check('customer_updated carries the new fields', upd.name === 'Conformance Customer' && upd.email === 'conf@example.com' && upd.sessionFields && upd.sessionFields.plan === 'gold', upd);
    const c = await sdk.getCustomer();
    check('getCustomer reflects the update', c.name === 'Conformance Customer' && c.sessionFields.plan === 'gold', c);
  });

  await step('server-side drop', async () => {
    const since = mark();
    const r = await control('drop', { customer_id: customerId });
    check('control API dropped the socket', r.dropped >= 1, r);
    const d = await waitFor('disconnected', () => true, 5000, since);
    check('disconnected after the drop', d.reason === 'connection_lost', d);
    const c = await waitFor('connected', () => true, 10_000, since);
    check('connected again after reconnect', c.availability === 'online' && c.customer.id === customerId, c);
    const ev = await sdk.sendEvent({ chatId, event: { type: 'message', text: 'after reconnect' } });
    check('requests work after reconnect', ev.text === 'after reconnect', ev);
  });

  await step('customer_banned', async () => {
    const since = mark();
    const before = (await control('stats')).connections_total;
    const r = await control('disconnect', { customer_id: customerId, reason: 'customer_banned' });
    check('control API disconnected the customer', r.disconnected >= 1, r);
    const d = await waitFor('disconnected', () => true, 5000, since);
    check('disconnected with reason customer_banned', d.reason === 'customer_banned', d);
    await sleep(2500);
    const after = (await control('stats')).connections_total;
    check('no reconnect after a ban', after === before, { before, after });
    const err = await sdk.getCustomer().then(() => null, (e) => e);
    check('SDK is destroyed', err && err.code === 'SDK_DESTROYED', err);
  });

  clearTimeout(overall);
  finish();
}

main().catch((e) => {
  failed++;
  console.log('FAIL ' + (e && (e.stack || e.message)));
  finish(1);
});
