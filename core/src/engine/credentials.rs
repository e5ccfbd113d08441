//! The one hook the credentials' lifetime code (`crate::refresh`, `crate::agent::renew`)
//! needs from the engine: an event that comes from outside a side hook (a failed background
//! renewal of the agent's credentials).

use super::{Engine, Side};

impl<S: Side> Engine<S> {
    /// Emit `event` to the application, after the outputs already queued.
    pub(crate) fn emit_event(&mut self, event: S::Event) {
        self.emit(event);
    }
}
