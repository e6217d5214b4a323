//! An audit sink that keeps every event in memory.

use std::sync::{Arc, Mutex, PoisonError};

use chittyid_app::gateway::{AuditError, AuditEvent, AuditSink};

/// Keeps every event, waited for or not; clones share the events.
#[derive(Debug, Clone, Default)]
pub struct RecordingAudit(Arc<Mutex<Vec<AuditEvent>>>);

impl RecordingAudit {
    /// The events recorded so far, oldest first.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl AuditSink for RecordingAudit {
    async fn record(&self, event: AuditEvent) -> Result<(), AuditError> {
        self.record_detached(event);
        Ok(())
    }

    fn record_detached(&self, event: AuditEvent) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event);
    }

    async fn flush(&self) -> Result<(), AuditError> {
        Ok(())
    }

    async fn health(&self) -> Result<(), AuditError> {
        Ok(())
    }
}
