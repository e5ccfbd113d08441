//! The byte format of a `session` script: a two-byte [`Header`], then ops, each one opcode
//! byte plus parameter bytes ([`Op::read`] / [`Op::encode`]), so seeds can be written by
//! hand. Opcodes 0..=16 are the original ones; new ops take new opcodes, so old seed files
//! decode to the same ops.

use std::time::Duration;

use arbitrary::Unstructured;

/// The two configuration bytes in front of every script.
///
/// `a`: bit 0 `auto_connect` off, bits 1–2 `max_in_flight`, bits 3–4 `queue_limit`, bit 5
/// `request_timeout` 1 s, bit 6 a side-specific option (customer page / agent login
/// fields), **bit 7 the side: 0 customer, 1 agent**.
/// `b`: the RNG seed; bit 5 the customer's `group_id`, bits 6–7 the endpoint
/// ([`EndpointKind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub a: u8,
    pub b: u8,
}

/// Where the session connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    /// `Endpoint::Custom` with `ws://dal.sim/` and region `fra` → `ws://fra.sim`.
    Custom,
    /// `Endpoint::Region(name)`: `us`, `fra` or `Europe` (every valid region is reachable).
    Region(&'static str),
}

impl Header {
    pub const AGENT: u8 = 0x80;

    pub fn agent(self) -> bool {
        self.a & Self::AGENT != 0
    }
    pub fn auto_connect(self) -> bool {
        self.a & 1 == 0
    }
    pub fn max_in_flight(self) -> usize {
        [10, 1, 3, 12][usize::from(self.a >> 1) % 4]
    }
    pub fn queue_limit(self) -> usize {
        [1024, 4, 1, 0][usize::from(self.a >> 3) % 4]
    }
    pub fn request_timeout(self) -> Duration {
        Duration::from_secs(if self.a & 0x20 != 0 { 1 } else { 20 })
    }
    pub fn side_option(self) -> bool {
        self.a & 0x40 != 0
    }
    pub fn seed(self) -> u64 {
        u64::from(self.b)
    }
    pub fn group_id(self) -> Option<u64> {
        (self.b & 0x20 != 0).then_some(0)
    }
    pub fn endpoint(self) -> EndpointKind {
        match self.b >> 6 {
            0 => EndpointKind::Custom,
            1 => EndpointKind::Region("us"),
            2 => EndpointKind::Region("fra"),
            _ => EndpointKind::Region("Europe"),
        }
    }
}

/// One input to the session. Encoded as an opcode byte plus parameter bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// The current socket opened.
    Open,
    /// The current socket closed (code picked by the byte).
    TransportClosed(u8),
    /// Answer an outstanding `FetchToken` with a token (customer, lifetime).
    TokenOk {
        customer: u8,
        lifetime: u8,
    },
    /// Answer an outstanding `FetchToken` with an error.
    TokenErr(u8),
    /// Let time pass: `secs` (0..=60) plus `quarter_ms * 4` ms, firing timers on the way.
    Advance {
        secs: u8,
        quarter_ms: u8,
    },
    /// A realistic frame from the dictionary, with fuzzed ids and fields.
    Dict {
        template: u8,
        pick: u8,
        variant: u8,
    },
    /// A raw text frame (lossy UTF-8).
    Raw(Vec<u8>),
    /// Answer the `pick`-th outstanding request properly (response and push-response).
    Serve {
        pick: u8,
        variant: u8,
    },
    /// `request(action, payload, opts)` with an action from the side's list.
    Request {
        action: u8,
        payload: u8,
        timeout: u8,
    },
    /// `request("send_event", …)` with exactly-once on or off.
    SendEvent {
        chat: u8,
        flags: u8,
    },
    /// `history_open` / `history_next` / `history_close`.
    History {
        op: u8,
        which: u8,
    },
    /// `rate_chat` / `cancel_rate`.
    Rate {
        chat: u8,
        cancel: bool,
    },
    Connect,
    Disconnect,
    Destroy,
    /// A side-specific command: customer `set_sneak_peek` / `update_customer_page`, agent
    /// `send_message` / `set_credentials`.
    Misc {
        op: u8,
        chat: u8,
    },
    /// A frame for a socket that is no longer current: must be ignored.
    Stale {
        template: u8,
    },
    /// A `misdirected_*` redirect naming `region` (any bytes, lossy UTF-8). `how`: bit 0
    /// the disconnect push (0) or an error answering the login (1); bits 1–2 the region's
    /// JSON form (string, upper-cased string, number, absent).
    Misdirected {
        how: u8,
        region: Vec<u8>,
    },
    /// A frame of `(reps % 64 + 1) × 1024` copies of one element (see the server's `large_frame`),
    /// so megabyte frames come from four input bytes. `kind`: unknown push, known push,
    /// response to an outstanding request, over `MAX_FRAME_LEN`.
    Large {
        kind: u8,
        reps: u8,
        elem: u8,
    },
    /// A server that keeps pushing but answers nothing: `secs` times, 1 s passes and a
    /// push from the dictionary arrives.
    Chatter {
        secs: u8,
        template: u8,
    },
}

const N_OPS: u8 = 20;

impl Op {
    pub fn read(u: &mut Unstructured<'_>) -> Option<Op> {
        if u.is_empty() {
            return None;
        }
        let b = |u: &mut Unstructured<'_>| u.arbitrary::<u8>().unwrap_or(0);
        let bytes = |u: &mut Unstructured<'_>| {
            let len = usize::from(b(u));
            u.bytes(len.min(u.len())).unwrap_or_default().to_vec()
        };
        let op = match b(u) % N_OPS {
            0 => Op::Open,
            1 => Op::TransportClosed(b(u)),
            2 => Op::TokenOk { customer: b(u), lifetime: b(u) },
            3 => Op::TokenErr(b(u)),
            4 => Op::Advance { secs: b(u), quarter_ms: b(u) },
            5 => Op::Dict { template: b(u), pick: b(u), variant: b(u) },
            6 => Op::Raw(bytes(u)),
            7 => Op::Serve { pick: b(u), variant: b(u) },
            8 => Op::Request { action: b(u), payload: b(u), timeout: b(u) },
            9 => Op::SendEvent { chat: b(u), flags: b(u) },
            10 => Op::History { op: b(u), which: b(u) },
            11 => {
                let x = b(u);
                Op::Rate { chat: x >> 1, cancel: x & 1 == 1 }
            }
            12 => Op::Connect,
            13 => Op::Disconnect,
            14 => Op::Destroy,
            15 => Op::Misc { op: b(u), chat: b(u) },
            16 => Op::Stale { template: b(u) },
            17 => {
                let how = b(u);
                Op::Misdirected { how, region: bytes(u) }
            }
            18 => Op::Large { kind: b(u), reps: b(u), elem: b(u) },
            _ => Op::Chatter { secs: b(u), template: b(u) },
        };
        Some(op)
    }

    /// The bytes [`Op::read`] turns back into this op (for writing seeds by hand).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let with_bytes = |out: &mut Vec<u8>, bytes: &[u8]| {
            let len = bytes.len().min(255);
            out.push(len as u8);
            out.extend(&bytes[..len]);
        };
        match self {
            Op::Open => out.push(0),
            Op::TransportClosed(c) => out.extend([1, *c]),
            Op::TokenOk { customer, lifetime } => out.extend([2, *customer, *lifetime]),
            Op::TokenErr(e) => out.extend([3, *e]),
            Op::Advance { secs, quarter_ms } => out.extend([4, *secs, *quarter_ms]),
            Op::Dict { template, pick, variant } => out.extend([5, *template, *pick, *variant]),
            Op::Raw(bytes) => {
                out.push(6);
                with_bytes(out, bytes);
            }
            Op::Serve { pick, variant } => out.extend([7, *pick, *variant]),
            Op::Request { action, payload, timeout } => out.extend([8, *action, *payload, *timeout]),
            Op::SendEvent { chat, flags } => out.extend([9, *chat, *flags]),
            Op::History { op, which } => out.extend([10, *op, *which]),
            Op::Rate { chat, cancel } => out.extend([11, (chat << 1) | u8::from(*cancel)]),
            Op::Connect => out.push(12),
            Op::Disconnect => out.push(13),
            Op::Destroy => out.push(14),
            Op::Misc { op, chat } => out.extend([15, *op, *chat]),
            Op::Stale { template } => out.extend([16, *template]),
            Op::Misdirected { how, region } => {
                out.extend([17, *how]);
                with_bytes(out, region);
            }
            Op::Large { kind, reps, elem } => out.extend([18, *kind, *reps, *elem]),
            Op::Chatter { secs, template } => out.extend([19, *secs, *template]),
        }
    }
}

/// Encode a whole script: the two configuration bytes, then the ops.
pub fn script(config: [u8; 2], ops: &[Op]) -> Vec<u8> {
    let mut out = config.to_vec();
    for op in ops {
        op.encode(&mut out);
    }
    out
}
