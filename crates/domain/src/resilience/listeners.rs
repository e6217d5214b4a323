//! Event listeners with failure isolation: a listener that returns an error or panics is
//! reported, and the others still hear the event (a v2.2.0 behaviour).

use std::panic::{AssertUnwindSafe, catch_unwind};

/// Identifies a listener for removal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListenerId(u64);

type Listener<E> = Box<dyn FnMut(&E) -> Result<(), String> + Send>;

/// A listener that failed while hearing an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerFailure {
    pub listener: ListenerId,
    pub message: String,
}

pub struct Listeners<E> {
    next_id: u64,
    listeners: Vec<(ListenerId, Listener<E>)>,
}

impl<E> Default for Listeners<E> {
    fn default() -> Self {
        Self {
            next_id: 0,
            listeners: Vec::new(),
        }
    }
}

impl<E> std::fmt::Debug for Listeners<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listeners")
            .field("count", &self.listeners.len())
            .finish()
    }
}

impl<E> Listeners<E> {
    pub fn add(
        &mut self,
        listener: impl FnMut(&E) -> Result<(), String> + Send + 'static,
    ) -> ListenerId {
        let id = ListenerId(self.next_id);
        self.next_id += 1;
        self.listeners.push((id, Box::new(listener)));
        id
    }

    /// True if the listener was registered.
    pub fn remove(&mut self, id: ListenerId) -> bool {
        let before = self.listeners.len();
        self.listeners.retain(|(existing, _)| *existing != id);
        self.listeners.len() != before
    }

    pub fn len(&self) -> usize {
        self.listeners.len()
    }

    pub fn is_empty(&self) -> bool {
        self.listeners.is_empty()
    }

    /// Tells every listener, in the order they were added. Returns the ones that failed.
    pub fn emit(&mut self, event: &E) -> Vec<ListenerFailure> {
        let mut failures = Vec::new();
        for (id, listener) in &mut self.listeners {
            let message = match catch_unwind(AssertUnwindSafe(|| listener(event))) {
                Ok(Ok(())) => continue,
                Ok(Err(message)) => message,
                Err(panic) => panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "listener panicked".to_owned()),
            };
            failures.push(ListenerFailure {
                listener: *id,
                message,
            });
        }
        failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[test]
    fn a_failing_listener_does_not_block_the_next() {
        let heard = Arc::new(Mutex::new(Vec::new()));
        let mut listeners = Listeners::<u32>::default();
        let erring = listeners.add(|_| Err("refused".to_owned()));
        let panicking = listeners.add(|_| panic!("listener bug"));
        let log = Arc::clone(&heard);
        listeners.add(move |event| {
            log.lock().expect("not poisoned").push(*event);
            Ok(())
        });
        let failures = listeners.emit(&7);
        assert_eq!(*heard.lock().expect("not poisoned"), [7]);
        assert_eq!(
            failures,
            [
                ListenerFailure {
                    listener: erring,
                    message: "refused".to_owned()
                },
                ListenerFailure {
                    listener: panicking,
                    message: "listener bug".to_owned()
                },
            ]
        );
    }

    #[test]
    fn removed_listeners_hear_nothing() {
        let heard = Arc::new(Mutex::new(0));
        let mut listeners = Listeners::<()>::default();
        let log = Arc::clone(&heard);
        let id = listeners.add(move |()| {
            *log.lock().expect("not poisoned") += 1;
            Ok(())
        });
        listeners.emit(&());
        assert!(listeners.remove(id));
        assert!(!listeners.remove(id));
        listeners.emit(&());
        assert_eq!(*heard.lock().expect("not poisoned"), 1);
        assert!(listeners.is_empty());
    }
}
