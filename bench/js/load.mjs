// The official @livechat/customer-sdk 4.0.2 under the workload of `livechat load`
// (cli/src/load/script.rs): N concurrent customers in this one Node process against a running
// livechat-sim, each logging in (its own cookie grant against the sim's token endpoint,
// organization `load-org`), waiting for `connected`, starting a chat, waiting at a barrier until
// all N sessions are live, then M times: sending the message `load {i} {k}` and waiting for the
// bot's `incoming_event` `You said: load {i} {k}` (round trip = send → bot reply), then reading
// the chat back (`getChat`) and counting its own messages lost / duplicated.
// Session starts are spread evenly over --ramp-ms. Writes the JSON keys of `livechat load --json`.
//
// Usage: node load.mjs --sim http://127.0.0.1:PORT [-n N] [-m M] [--ramp-ms R] [--json FILE]
//
// Driving the SDK in Node follows shared/spec/official-js-client.md (as tests/conformance/js does):
// a global WebSocket class redirecting to the sim, an Image stub for the SDK's logging beacon, and a
// custom identity provider backed by the sim's cookie grant. Every customer has its own provider
// (its own cookie, cached token and in-flight fetch), so each one is a distinct identity.

import { createRequire } from 'node:module';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { readFileSync, writeFileSync } from 'node:fs';
import { WebSocketServer } from 'ws';
import WS from 'ws';

// Dev-only warnings and console logging in the SDK and redux are keyed on NODE_ENV at run time;
// measure the production code paths, as a deployed Node service would run them.
process.env.NODE_ENV ??= 'production';

const require = createRequire(import.meta.url);
const SDK_VERSION = require('@livechat/customer-sdk/package.json').version;
const WS_VERSION = require('ws/package.json').version;

// ---- arguments (same names and defaults as `livechat load`)
function parseArgs(argv) {
  const a = { sessions: 100, messages: 5, rampMs: 500, sim: null, json: null };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) usage(`${k} needs a value`);
      return argv[++i];
    };
    switch (k) {
      case '-n': case '--sessions': a.sessions = Number(v()); break;
      case '-m': case '--messages': a.messages = Number(v()); break;
      case '--ramp-ms': a.rampMs = Number(v()); break;
      case '--sim': a.sim = v(); break;
      case '--port': a.sim = `http://127.0.0.1:${v()}`; break;
      case '--json': a.json = v(); break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown argument ${k}`);
    }
  }
  if (!a.sim) usage('--sim URL (or --port PORT) is required');
  for (const k of ['sessions', 'messages', 'rampMs']) {
    if (!Number.isInteger(a[k]) || a[k] < 0) usage(`bad ${k}`);
  }
  a.sessions = Math.max(1, a.sessions);
  return a;
}
function usage(msg) {
  if (msg) console.error(`load.mjs: ${msg}`);
  console.error('usage: node load.mjs --sim http://127.0.0.1:PORT [-n N] [-m M] [--ramp-ms R] [--json FILE]');
  process.exit(2);
}
const args = parseArgs(process.argv.slice(2));
const HTTP = args.sim.replace(/\/+$/, '');
const SIM = new URL(HTTP);
const ORG = 'load-org';
const CLIENT_ID = 'load-client';
const WAIT = 30_000; // per wait, as WAIT in cli/src/load/script.rs

// ---- the three overrides from official-js-client.md
// 1. Socket redirect: keep the SDK's path and query, connect to the sim.
globalThis.WebSocket = class extends WS {
  constructor(url, protocols) {
    const u = new URL(url);
    super(`ws://${SIM.host}${u.pathname}${u.search}`, protocols);
  }
};
// 3. Image stub (startChat fires a logging beacon through new Image()).
globalThis.Image = class {
  set src(_v) {}
};
const CustomerSDK = require('@livechat/customer-sdk');

// Errors the SDK raises outside any call we made (e.g. an unhandled rejection inside it) are
// counted as errors, never swallowed.
const processErrors = [];
process.on('unhandledRejection', (e) => {
  processErrors.push('unhandled rejection: ' + describe(e));
});

function describe(e) {
  if (e == null) return String(e);
  if (typeof e === 'string') return e;
  if (e.code || e.message) return [e.code, e.message].filter(Boolean).join(': ');
  try {
    return JSON.stringify(e);
  } catch {
    return String(e);
  }
}

// A line of /proc/self/status in KiB (Linux; 0 elsewhere): VmRSS now, VmHWM the peak, Threads.
function statusKib(key) {
  try {
    const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith(key));
    return line ? Number(line.split(/\s+/)[1]) || 0 : 0;
  } catch {
    return 0;
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  const idx = Math.round((sorted.length - 1) * p);
  return sorted[Math.min(idx, sorted.length - 1)];
}

// Rejects with `msg` after `ms`; clears its timer when the promise settles.
function withTimeout(promise, ms, msg) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(msg)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- raw WebSocket echo floor: `ws` server and client in this process, same frame as cli/src/load/mod.rs
async function echoFloor(samples) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  server.on('connection', (sock) => {
    sock.on('message', (data, isBinary) => {
      if (!isBinary) sock.send(data, { binary: false });
    });
  });
  const ws = new WS(`ws://127.0.0.1:${server.address().port}`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  // serde_json's json! in load/mod.rs orders keys alphabetically: this is its frame byte for byte.
  const frame = JSON.stringify({ action: 'send_event', payload: { chat_id: 'X', event: { text: 'load 0 0', type: 'message' } }, request_id: '1' });
  const rtts = [];
  for (let i = 0; i < samples; i++) {
    const t = performance.now();
    const got = new Promise((resolve) => ws.once('message', resolve));
    ws.send(frame);
    await withTimeout(got, WAIT, 'the echo server did not answer');
    rtts.push(performance.now() - t);
  }
  ws.close();
  await new Promise((resolve) => server.close(resolve));
  return rtts;
}

// ---- one customer's identity: its own cookie jar, cached token and in-flight fetch
// The token request is harness code (in a browser the SDK's own auth package does it through the
// page). It uses node:http with one keep-alive agent for all customers, not the global fetch:
// undici's fetch costs about 1 ms of CPU per request here, three times node:http, and that cost
// would be charged to the SDK. The agent only pools sockets; every customer keeps its own cookie.
const tokenAgent = new http.Agent({ keepAlive: true });
function postToken(cookie) {
  const body = JSON.stringify({ response_type: 'token', grant_type: 'cookie', client_id: CLIENT_ID, organization_id: ORG });
  const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (cookie) headers.cookie = cookie;
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: SIM.hostname, port: SIM.port, path: '/v2/customer/token', method: 'POST', headers, agent: tokenAgent },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => { text += c; });
        res.on('error', reject);
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode, body: JSON.parse(text), setCookie: res.headers['set-cookie'] });
          } catch (e) {
            reject(new Error(`token endpoint: status ${res.statusCode}, bad JSON: ${text.slice(0, 200)}`));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
function makeIdentityProvider() {
  let cookie = null;
  let cached = null;
  let inflight = null;
  async function fetchToken() {
    const { status, body, setCookie } = await postToken(cookie);
    if (status !== 200) throw new Error('token endpoint: ' + JSON.stringify(body));
    if (setCookie && setCookie.length) cookie = setCookie[0].split(';')[0];
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
  const fetchOnce = () => {
    if (!inflight) inflight = fetchToken().finally(() => { inflight = null; });
    return inflight;
  };
  return () => ({
    getToken: () => (cached ? Promise.resolve(cached) : fetchOnce()),
    getFreshToken: () => fetchOnce(),
    hasToken: () => Promise.resolve(cached !== null),
    invalidate: () => {
      cached = null;
      return Promise.resolve();
    },
  });
}

// ---- the barrier: sessions wait here once logged in with a chat, as in script.rs
function makeBarrier(n, onRelease) {
  let count = 0;
  let release;
  const all = new Promise((r) => { release = r; });
  return () => {
    count++;
    if (count === n) {
      onRelease();
      release();
    }
    return all;
  };
}

// ---- one session, step for step as script.rs
async function session(i, messages, arrive) {
  const r = { rtts: [], sent: 0, errors: [], lost: 0, duplicated: 0, firstSend: null, lastReply: null, disconnects: 0, login: null };
  const t0 = performance.now();
  const sdk = CustomerSDK.init({ organizationId: ORG, clientId: CLIENT_ID, identityProvider: makeIdentityProvider() });
  let me = null;
  let arrived = false;
  // The bot's reply is awaited through a waiter registered before the send: its frame can be
  // handled before the continuation after sendEvent's promise runs.
  let waiter = null; // { want, resolve }
  sdk.on('incoming_event', (p) => {
    const ev = p && p.event;
    if (!waiter || !ev || ev.type !== 'message' || ev.authorId === me || ev.text !== waiter.want) return;
    const w = waiter;
    waiter = null;
    w.resolve('reply');
  });
  // A reply pushed while the socket was down is gone (pushes are not replayed): as script.rs,
  // a reconnect during the wait ends it, and the message is checked in the stored chat.
  let dropped = false;
  sdk.on('disconnected', () => {
    r.disconnects++;
    dropped = true;
  });
  sdk.on('connected', () => {
    if (dropped && waiter) {
      const w = waiter;
      waiter = null;
      w.resolve('reconnected');
    }
  });
  const connected = new Promise((resolve) => sdk.once('connected', resolve));
  try {
    const c = await withTimeout(connected, WAIT, 'no `connected` event within 30 s');
    me = c.customer.id;
    r.login = performance.now() - t0;
    const started = await withTimeout(sdk.startChat(), WAIT, 'start_chat timed out').catch((e) => {
      throw new Error('start_chat: ' + describe(e));
    });
    const chatId = started.chat.id;
    // Every session is logged in with a chat before any sends.
    arrived = true;
    await arrive();
    for (let k = 0; k < messages; k++) {
      const text = `load ${i} ${k}`;
      dropped = false;
      const reply = new Promise((resolve) => { waiter = { want: `You said: ${text}`, resolve }; });
      const t = performance.now();
      if (r.firstSend === null) r.firstSend = t;
      await withTimeout(sdk.sendEvent({ chatId, event: { type: 'message', text } }), WAIT, `send ${k} timed out`).catch((e) => {
        throw new Error(`send ${k}: ${describe(e)}`);
      });
      r.sent++;
      const how = await withTimeout(reply, WAIT, `no bot reply to message ${k} within 30 s`);
      const at = performance.now();
      if (how === 'reply') r.rtts.push(at - t);
      r.lastReply = at;
    }
    // Exactly once, as stored: each message must be in the chat once. A read cut by a drop is
    // retried, as script.rs does.
    let stored;
    for (let attempts = 0; ; attempts++) {
      try {
        stored = await withTimeout(sdk.getChat({ chatId }), WAIT, 'get_chat timed out');
        break;
      } catch (e) {
        if (e && e.code === 'CONNECTION_LOST' && attempts < 5) continue;
        throw new Error('get_chat: ' + describe(e));
      }
    }
    const events = (stored.thread && stored.thread.events) || [];
    for (let k = 0; k < messages; k++) {
      const text = `load ${i} ${k}`;
      const copies = events.filter((e) => e.authorId === me && e.type === 'message' && e.text === text).length;
      if (copies === 0) r.lost++;
      else if (copies > 1) r.duplicated += copies - 1;
    }
  } catch (e) {
    r.errors.push(describe(e));
  }
  // A session that failed early still counts at the barrier, or the others wait forever.
  if (!arrived) await arrive();
  try {
    sdk.destroy();
  } catch (e) {
    r.errors.push('destroy: ' + describe(e));
  }
  return r;
}

async function main() {
  const n = args.sessions;
  let echo;
  try {
    echo = (await echoFloor(200)).sort((a, b) => a - b);
  } catch (e) {
    console.error('load.mjs: echo floor failed: ' + describe(e));
    return 1;
  }
  console.log(`load.mjs: ${n} sessions × ${args.messages} messages, @livechat/customer-sdk ${SDK_VERSION} on Node ${process.version} (ws ${WS_VERSION}), simulator ${HTTP}`);

  let live = null;
  const arrive = makeBarrier(n, () => {
    live = { rss: statusKib('VmRSS:'), threads: statusKib('Threads:'), at: performance.now() };
  });
  const rssBefore = statusKib('VmRSS:');
  let done = 0;
  const started = performance.now();
  const tasks = [];
  for (let i = 0; i < n; i++) {
    const delay = (args.rampMs * i) / n;
    tasks.push(
      (async () => {
        await sleep(delay);
        let r;
        try {
          r = await session(i, args.messages, arrive);
        } catch (e) {
          r = { rtts: [], sent: 0, errors: ['task failed: ' + describe(e)], lost: 0, duplicated: 0, firstSend: null, lastReply: null, disconnects: 0, login: null };
        }
        done++;
        return r;
      })(),
    );
  }
  const tty = process.stderr.isTTY;
  const progress = setInterval(() => {
    const width = 30;
    const filled = Math.floor((done * width) / n);
    const bar = `[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${n} sessions`;
    if (tty) process.stderr.write(`\r${bar}`);
    else process.stderr.write(`${bar}\n`);
  }, tty ? 100 : 1000);
  const results = await Promise.all(tasks);
  clearInterval(progress);
  if (tty) process.stderr.write('\n');
  const wall = (performance.now() - started) / 1000;
  const peak = Math.max(statusKib('VmHWM:'), statusKib('VmRSS:'));

  const rtts = results.flatMap((r) => r.rtts).sort((a, b) => a - b);
  const messages = results.reduce((s, r) => s + r.sent, 0);
  const firsts = results.map((r) => r.firstSend).filter((x) => x !== null);
  const lasts = results.map((r) => r.lastReply).filter((x) => x !== null);
  const first = firsts.length ? Math.min(...firsts) : null;
  const last = lasts.length ? Math.max(...lasts) : null;
  const phase = first !== null && last !== null && last > first ? (last - first) / 1000 : wall;
  const errors = results.flatMap((r) => r.errors).concat(processErrors);
  const lost = results.reduce((s, r) => s + r.lost, 0);
  const duplicated = results.reduce((s, r) => s + r.duplicated, 0);
  const disconnects = results.reduce((s, r) => s + r.disconnects, 0);
  const logins = results.map((r) => r.login).filter((x) => x !== null).sort((a, b) => a - b);
  const report = {
    client: `@livechat/customer-sdk ${SDK_VERSION}`,
    transport: `ws ${WS_VERSION}, Node ${process.version}`,
    sessions: n,
    messages,
    replies_seen: rtts.length,
    messages_per_sec: messages / phase,
    rtt_p50_ms: percentile(rtts, 0.5),
    rtt_p95_ms: percentile(rtts, 0.95),
    rtt_p99_ms: percentile(rtts, 0.99),
    echo_rtt_p50_ms: percentile(echo, 0.5),
    rss_per_session_kib: Math.max(0, peak - rssBefore) / n,
    live_rss_per_session_kib: live ? Math.max(0, live.rss - rssBefore) / n : 0,
    threads_when_live: live ? live.threads : 0,
    errors: errors.length,
    lost,
    duplicated,
    wall_secs: wall,
    embedded_sim: false,
    // Not in livechat load's report: context for the numbers above.
    rss_before_kib: rssBefore,
    rss_peak_kib: peak,
    disconnects,
    // Start of a session → its `connected` event; when all sessions were live and when the
    // message phase (the window messages_per_sec is computed over) began and ended, in seconds
    // after the first session's start.
    login_p50_ms: percentile(logins, 0.5),
    login_p95_ms: percentile(logins, 0.95),
    all_live_secs: live ? (live.at - started) / 1000 : null,
    first_send_secs: first !== null ? (first - started) / 1000 : null,
    last_reply_secs: last !== null ? (last - started) / 1000 : null,
  };
  console.log(`sessions            ${n}`);
  console.log(`messages            ${messages} sent, ${rtts.length} bot replies timed (send → reply)`);
  console.log(`messages/s          ${report.messages_per_sec.toFixed(0)}`);
  console.log(
    `round trip p50/p95/p99  ${report.rtt_p50_ms.toFixed(2)} / ${report.rtt_p95_ms.toFixed(2)} / ${report.rtt_p99_ms.toFixed(2)} ms (raw WebSocket echo p50 ${report.echo_rtt_p50_ms.toFixed(3)} ms)`,
  );
  console.log(
    `memory              ${report.rss_per_session_kib.toFixed(1)} KiB per session at the peak, ${report.live_rss_per_session_kib.toFixed(1)} KiB with all sessions live (${report.threads_when_live} threads); baseline ${rssBefore} KiB`,
  );
  console.log(`errors              ${errors.length}`);
  console.log(`lost / duplicated   ${lost} / ${duplicated}`);
  console.log(`disconnects         ${disconnects}`);
  console.log(
    `login p50/p95       ${report.login_p50_ms.toFixed(1)} / ${report.login_p95_ms.toFixed(1)} ms; all live at ${report.all_live_secs?.toFixed(2)} s; messages ${report.first_send_secs?.toFixed(2)} s → ${report.last_reply_secs?.toFixed(2)} s`,
  );
  console.log(`wall time           ${wall.toFixed(2)} s`);
  for (const e of errors.slice(0, 5)) console.error(`  error: ${e}`);
  if (args.json) {
    try {
      writeFileSync(args.json, JSON.stringify(report, null, 2) + '\n');
    } catch (e) {
      console.error(`load.mjs: cannot write ${args.json}: ${describe(e)}`);
      return 1;
    }
  }
  return errors.length === 0 && lost === 0 && duplicated === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error('load.mjs: ' + (e && (e.stack || e.message)));
    process.exit(1);
  },
);
