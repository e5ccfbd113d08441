// Drives the official Node.js agent SDK, @livechat/chat-sdk 0.2.0, against a running
// livechat-sim over SockJS, with a Rust customer (transport-tokio/examples/bot.rs
// --customer-only) on the other side of the chat.
// Usage: node agent.mjs <port> <path to the built `bot` example>
//
// chat-sdk hard-codes https://api.livechatinc.com/v3.4/agent/rtm/sjs and opens it with
// sockjs-client (agent-sdk-behaviour.md §1.1). Redirect: before the SDK is loaded, the
// `sockjs-client` module in the require cache is replaced by a subclass whose constructor keeps
// the SDK's path and query (`?bh=…`) and points it at http://127.0.0.1:<port>. Nothing in the
// packages is edited. Prints "N passed, M failed"; exits non-zero on any failure.

import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';

const require = createRequire(import.meta.url);
const port = Number(process.argv[2] || process.env.SIM_PORT);
const customerBin = process.argv[3] || process.env.CUSTOMER_BIN;
if (!port || !customerBin) {
  console.error('usage: node agent.mjs <port> <bot example binary>');
  process.exit(2);
}

// Simulator defaults (sim/README.md "Default agent account").
const AGENT_ID = 'agent@livechat-sim.invalid';
const AGENT_TOKEN = 'dal:sim-agent-token';
const ACCOUNT_ID = '00000000-0000-4000-8000-00000000a9e7';
const PAT = 'sim-agent-pat';
// What the Rust customer asks (examples/bot.rs QUESTIONS).
const QUESTIONS = ['What are your opening hours?', 'How much does it cost?'];
const ANSWERS = ['Answer one from chat-sdk', 'Answer two from chat-sdk'];

// 1. The SockJS redirect.
const sockjsPath = require.resolve('sockjs-client');
const SockJS = require('sockjs-client');
const requestedUrls = [];
class RedirectedSockJS extends SockJS {
  constructor(url, protocols, options) {
    requestedUrls.push(url);
    const u = new URL(url);
    super(`http://127.0.0.1:${port}${u.pathname}${u.search}`, protocols, options);
  }
}
require.cache[sockjsPath].exports = RedirectedSockJS;
const ChatSDK = require('@livechat/chat-sdk');

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
  return cond;
}
let customer = null;
function finish(code) {
  if (customer && customer.exitCode === null) customer.kill('SIGTERM');
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(code ?? (failed > 0 ? 1 : 0));
}
process.on('unhandledRejection', (e) => {
  failed++;
  console.log('FAIL unhandled rejection: ' + (e && (e.stack || e.message || JSON.stringify(e))));
  finish(1);
});
setTimeout(() => {
  failed++;
  console.log('FAIL overall timeout (60 s)');
  finish(1);
}, 60_000).unref();

function withTimeout(promise, ms, what) {
  return Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)),
  ]);
}
function once(sdk, name, pred = () => true) {
  return new Promise((resolve) => {
    const handler = (frame) => {
      if (pred(frame)) {
        sdk.off(name, handler);
        resolve(frame);
      }
    };
    sdk.on(name, handler);
  });
}

async function main() {
  // --- login over SockJS with an access token
  const sdk = new ChatSDK({ debug: false });
  const ready = once(sdk, 'ready');
  sdk.init({ access_token: AGENT_TOKEN });
  await withTimeout(ready, 10_000, 'ready');
  check('ready after login over SockJS', true);
  check(
    'the SDK asked for its hard-coded SockJS URL (redirected to the sim)',
    requestedUrls[0] && requestedUrls[0].startsWith('https://api.livechatinc.com/v3.4/agent/rtm/sjs?bh='),
    requestedUrls,
  );
  const details = await sdk.getAgentDetails();
  check('getAgentDetails returns the login response', details?.my_profile?.id === AGENT_ID, details?.my_profile);

  // --- a Rust customer starts a chat; the logged-in agent gets it (not the sim's bot)
  const incomingChat = once(sdk, 'incoming_chat');
  const firstQuestion = once(sdk, 'incoming_event', (f) => f.payload?.event?.text === QUESTIONS[0]);
  const secondQuestion = once(sdk, 'incoming_event', (f) => f.payload?.event?.text === QUESTIONS[1]);
  let customerOut = '';
  customer = spawn(customerBin, ['--customer-only', `ws://127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  customer.stdout.on('data', (d) => {
    customerOut += d;
    process.stdout.write(`  [rust customer] ${d}`.replace(/\n(?=.)/g, '\n  [rust customer] '));
  });
  const customerDone = new Promise((resolve) => customer.on('exit', (code) => resolve(code)));

  const chatFrame = await withTimeout(incomingChat, 15_000, 'incoming_chat');
  const chatId = chatFrame.payload?.chat?.id;
  check('incoming_chat push (whole frame) for the customer\'s chat', chatFrame.type === 'push' && !!chatId, chatFrame);

  const q1 = await withTimeout(firstQuestion, 15_000, 'first question');
  check('incoming_event with the customer\'s first message', q1.payload.chat_id === chatId, q1.payload);
  const authorOfQ1 = q1.payload.event.author_id;
  check('the message is authored by the customer', authorOfQ1 && authorOfQ1 !== AGENT_ID, authorOfQ1);

  // --- chat-sdk → Rust customer
  const sent = await sdk.sendMessage(chatId, ANSWERS[0]);
  check('sendMessage resolves with an event_id', typeof sent?.event_id === 'string' && sent.event_id.length > 0, sent);

  // --- Rust customer → chat-sdk: the customer replies only after it received our message
  const q2 = await withTimeout(secondQuestion, 15_000, "the customer's reply");
  check("the customer's reply arrives as an incoming_event push", q2.type === 'push' && q2.payload.chat_id === chatId, q2);
  const typing = await sdk.methodFactory({
    action: 'send_typing_indicator',
    payload: { chat_id: chatId, is_typing: true },
  });
  check('methodFactory(send_typing_indicator) resolves', typing !== undefined, typing);
  await sdk.sendMessage(chatId, ANSWERS[1]);

  const chat = await sdk.methodFactory({ action: 'get_chat', payload: { chat_id: chatId } });
  const texts = (chat?.thread?.events || []).filter((e) => e.type === 'message').map((e) => e.text);
  check(
    'methodFactory(get_chat) shows the conversation in order',
    JSON.stringify(texts) === JSON.stringify([QUESTIONS[0], ANSWERS[0], QUESTIONS[1], ANSWERS[1]]),
    texts,
  );

  const code = await withTimeout(customerDone, 20_000, 'the Rust customer to finish');
  check('the Rust customer exits 0', code === 0, code);
  check(
    'the Rust customer received both chat-sdk messages',
    customerOut.includes(`agent: ${ANSWERS[0]}`) && customerOut.includes(`agent: ${ANSWERS[1]}`),
    customerOut,
  );
  sdk.destroy();

  // --- a Personal Access Token (the SDK only prefixes "Basic "; the value is base64 of account:PAT)
  const patSdk = new ChatSDK({});
  const patReady = once(patSdk, 'ready');
  patSdk.init({ personal_access_token: Buffer.from(`${ACCOUNT_ID}:${PAT}`).toString('base64') });
  await withTimeout(patReady, 10_000, 'ready with a PAT');
  check('ready after a PAT login', true);
  const patDetails = await patSdk.getAgentDetails();
  check('PAT login is the same agent', patDetails?.my_profile?.id === AGENT_ID, patDetails?.my_profile);
  patSdk.destroy();
}

main().then(
  () => finish(),
  (e) => {
    failed++;
    console.log('FAIL ' + (e && (e.stack || e.message || JSON.stringify(e))));
    finish(1);
  },
);
