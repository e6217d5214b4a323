//! The group committer against a scripted backend: grouping, refusals while the store is down,
//! recovery by probe, detached events, conflicts retried one by one.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chittyid_app::authority::{CallerHash, LedgerError, MintKey, MintRecord};
use chittyid_app::gateway::{AuditError, AuditEvent};
use chittyid_domain::ChittyId;
use chittyid_storage::{
    Backend, BackendError, GroupRows, GroupWriter, GuardSettings, StoreGuard, WriterSettings,
};

/// A store that is up or down at the test's word, and keeps what it committed.
#[derive(Clone, Default)]
struct Scripted {
    down: Arc<AtomicBool>,
    commits: Arc<AtomicUsize>,
    probes: Arc<AtomicUsize>,
    /// Commits that contained more than one key fail with `KeyTaken` when set.
    refuse_shared_keys: Arc<AtomicBool>,
    audits: Arc<Mutex<Vec<String>>>,
}

impl Backend for Scripted {
    type Handle = ();

    fn handle(&self) {}

    async fn commit(&mut self, rows: &GroupRows<'_>) -> Result<(), BackendError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(BackendError::Store(anyhow::anyhow!("connection refused")));
        }
        if self.refuse_shared_keys.load(Ordering::SeqCst) && rows.keys.len() > 1 {
            return Err(BackendError::KeyTaken);
        }
        self.commits.fetch_add(1, Ordering::SeqCst);
        let mut kept = self.audits.lock().expect("lock");
        kept.extend(rows.audits.iter().map(|event| event.outcome.to_owned()));
        Ok(())
    }

    async fn probe(&mut self, _now: i64) -> Result<(), BackendError> {
        self.probes.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            return Err(BackendError::Store(anyhow::anyhow!("connection refused")));
        }
        Ok(())
    }

    fn discard(&mut self) {}
}

fn writer(backend: Scripted) -> GroupWriter<Scripted> {
    let guard = StoreGuard::try_new(
        "scripted",
        GuardSettings {
            open_for: Duration::from_millis(50),
            max_open_for: Duration::from_millis(200),
        },
    )
    .expect("settings");
    GroupWriter::start(backend, Arc::new(guard), WriterSettings::default())
}

fn event(outcome: &'static str) -> AuditEvent {
    AuditEvent {
        at_unix_ms: 1,
        action: "generate",
        caller: CallerHash::of_token("k"),
        outcome,
        ids: Vec::new(),
        entity: None,
    }
}

fn record(n: u32) -> MintRecord {
    let id = ChittyId::parse("03-1-USA-0001-P-2602-0-85").expect("canonical");
    MintRecord {
        id,
        entity_name: format!("PEO{n}"),
        name: None,
        metadata: None,
        caller: CallerHash::of_token("k"),
        minted_at_unix_ms: 1,
    }
}

fn key(n: u32) -> MintKey {
    MintKey {
        caller: CallerHash::of_token("k"),
        key: format!("key-{n}"),
        request_hash: [0; 32],
        taken_at_unix_ms: 1,
        expires_at_unix_ms: 2,
    }
}

/// Holds the writer on a job until `gate` is notified, so that what is sent meanwhile queues;
/// returns once the writer is running the job.
async fn hold(
    writer: &Arc<GroupWriter<Scripted>>,
    gate: &Arc<tokio::sync::Notify>,
) -> tokio::task::JoinHandle<anyhow::Result<()>> {
    let (gate, writer) = (Arc::clone(gate), Arc::clone(writer));
    let (started, running) = tokio::sync::oneshot::channel();
    let held = tokio::spawn(async move {
        writer
            .run(move |()| {
                Box::pin(async move {
                    let _ = started.send(());
                    gate.notified().await;
                })
            })
            .await
    });
    running.await.expect("the writer runs the held job");
    held
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_queued_together_share_one_commit() {
    let backend = Scripted::default();
    let writer = Arc::new(writer(backend.clone()));
    let gate = Arc::new(tokio::sync::Notify::new());
    let held = hold(&writer, &gate).await;
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            let writer = Arc::clone(&writer);
            tokio::spawn(async move { writer.audit(event("ok")).await })
        })
        .collect();
    // Every event queued behind the held job before it is let go (a fixed sleep was not
    // enough on a loaded machine).
    let queued = async {
        while writer.queued() < 64 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), queued)
        .await
        .expect("64 events queue within 10 s");
    gate.notify_one();
    held.await.expect("task").expect("ran");
    for task in tasks {
        task.await.expect("task").expect("committed");
    }
    assert_eq!(backend.audits.lock().expect("lock").len(), 64);
    assert_eq!(
        backend.commits.load(Ordering::SeqCst),
        1,
        "64 events queued behind one job are one transaction"
    );
    assert_eq!(writer.stats().audit_events(), 64);
}

#[tokio::test]
async fn a_failed_store_refuses_at_once_and_a_probe_brings_it_back() {
    let backend = Scripted::default();
    let writer = writer(backend.clone());
    writer.audit(event("ok")).await.expect("up");
    backend.down.store(true, Ordering::SeqCst);
    let failed = writer.audit(event("ok")).await;
    assert!(matches!(failed, Err(AuditError::Unknown(_))), "{failed:?}");
    // Known down: refused before queueing, without a commit.
    let commits = backend.commits.load(Ordering::SeqCst);
    let started = Instant::now();
    for _ in 0..100 {
        assert!(matches!(
            writer.audit(event("ok")).await,
            Err(AuditError::Unavailable)
        ));
        let refused = writer.record(vec![record(1)], None).await;
        assert!(matches!(refused, Err(LedgerError::Unavailable { .. })));
    }
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(backend.commits.load(Ordering::SeqCst), commits);
    assert!(!writer.guard().is_up());
    // Back: the writer's probe closes the guard without any request's help.
    backend.down.store(false, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(3);
    while !writer.guard().is_up() {
        assert!(
            Instant::now() < deadline,
            "the guard closed after the store came back"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    writer.audit(event("ok")).await.expect("up again");
    assert!(backend.probes.load(Ordering::SeqCst) >= 1);
}

#[tokio::test]
async fn the_store_staying_down_is_probed_with_growing_pauses() {
    let backend = Scripted::default();
    let writer = writer(backend.clone());
    backend.down.store(true, Ordering::SeqCst);
    let _ = writer.audit(event("ok")).await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    // 50, 100, 200, 200, ... ms: a handful of probes in a second, not hundreds.
    let probes = backend.probes.load(Ordering::SeqCst);
    assert!((2..=10).contains(&probes), "{probes} probes");
}

#[tokio::test]
async fn detached_events_are_stored_without_waiting_and_counted_when_dropped() {
    let backend = Scripted::default();
    let writer = writer(backend.clone());
    writer.audit_detached(event("rate_limited"));
    writer.flush().await.expect("flushed");
    assert_eq!(*backend.audits.lock().expect("lock"), ["rate_limited"]);
    backend.down.store(true, Ordering::SeqCst);
    let _ = writer.audit(event("ok")).await;
    writer.audit_detached(event("breaker_open"));
    assert_eq!(writer.stats().audit_dropped(), 1);
}

#[tokio::test]
async fn a_taken_key_fails_only_its_own_mint() {
    let backend = Scripted::default();
    backend.refuse_shared_keys.store(true, Ordering::SeqCst);
    let writer = Arc::new(writer(backend.clone()));
    // Hold the writer so that several mints queue into one group.
    let gate = Arc::new(tokio::sync::Notify::new());
    let hold = hold(&writer, &gate).await;
    let mints: Vec<_> = (0..4)
        .map(|n| {
            let writer = Arc::clone(&writer);
            tokio::spawn(async move { writer.record(vec![record(n)], Some(key(n))).await })
        })
        .collect();
    let queued = async {
        while writer.queued() < 4 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), queued)
        .await
        .expect("4 mints queue within 10 s");
    gate.notify_one();
    hold.await.expect("task").expect("ran");
    for mint in mints {
        mint.await.expect("task").expect("each alone takes its key");
    }
    assert!(
        writer.guard().is_up(),
        "a taken key says nothing of the store"
    );
}

#[tokio::test]
async fn a_flush_returns_once_everything_queued_before_it_is_stored() {
    let backend = Scripted::default();
    let writer = writer(backend.clone());
    for _ in 0..10 {
        writer.audit_detached(event("rate_limited"));
    }
    writer.flush().await.expect("flushed");
    assert_eq!(backend.audits.lock().expect("lock").len(), 10);
}
