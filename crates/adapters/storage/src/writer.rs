//! The group committer: one task makes every ledger, key and audit write of this process.
//!
//! Requests queue their rows; the task takes everything queued (up to a cap) and commits it in
//! one transaction, then answers each request. A mint, and an audit event whose answer hands
//! out or confirms an ID, is answered only once its transaction committed. Detached audit
//! events (refusals, validation inputs) ride along in the same transactions without anyone
//! waiting; a crash may lose the last moments of them, and [`WriterStats::audit_dropped`]
//! counts any that were never stored.
//!
//! Failures are found once: a commit that fails for the store's sake fails its whole group at
//! once and opens the [`StoreGuard`]; from then on requests are refused before they queue,
//! and the task probes the store until it commits again.

use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chittyid_app::authority::{LedgerError, MintKey, MintRecord};
use chittyid_app::gateway::{AuditError, AuditEvent};
use tokio::sync::{mpsc, oneshot};

use crate::backend::{Backend, BackendError};
use crate::guard::StoreGuard;
use crate::rows::GroupRows;
use crate::stats::WriterStats;

/// The writer's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterSettings {
    /// Rows committed in one transaction at most; more wait for the next.
    pub max_group_rows: usize,
    /// Queued requests before callers that wait for their rows wait for room too
    /// (backpressure); detached events are dropped (and counted) instead.
    pub queue_depth: usize,
    /// A commit that takes longer fails (and opens the guard): no request waits on the store
    /// for longer than this.
    pub commit_deadline: Duration,
    /// With nothing committed for this long, the writer probes the store, so that readiness
    /// knows about a store that went away while nothing was written.
    pub idle_probe_every: Duration,
}

impl Default for WriterSettings {
    fn default() -> Self {
        Self {
            max_group_rows: 2_000,
            queue_depth: 4_096,
            commit_deadline: Duration::from_secs(2),
            idle_probe_every: Duration::from_secs(1),
        }
    }
}

type BoxFuture<T> = Pin<Box<dyn std::future::Future<Output = T> + Send>>;
type RunJob<H> = Box<dyn FnOnce(H) -> BoxFuture<()> + Send>;

struct MintJob {
    records: Vec<MintRecord>,
    key: Option<MintKey>,
    done: oneshot::Sender<Result<(), LedgerError>>,
}

struct AuditJob {
    event: AuditEvent,
    /// `None`: detached, nobody waits.
    done: Option<oneshot::Sender<Result<(), AuditError>>>,
}

enum Job<H> {
    Mint(MintJob),
    Audit(AuditJob),
    Run(RunJob<H>),
}

/// The handle requests use; cheap to share (`Arc`), the task stops when the last is dropped.
pub struct GroupWriter<B: Backend> {
    queue: mpsc::Sender<Job<B::Handle>>,
    guard: Arc<StoreGuard>,
    stats: Arc<WriterStats>,
}

impl<B: Backend> std::fmt::Debug for GroupWriter<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupWriter")
            .field("store", &self.guard.store())
            .field("up", &self.guard.is_up())
            .finish_non_exhaustive()
    }
}

impl<B: Backend> GroupWriter<B> {
    /// Starts the writer task on the current tokio runtime: for a backend whose calls are
    /// asynchronous (a network database).
    pub fn start(backend: B, guard: Arc<StoreGuard>, settings: WriterSettings) -> Self {
        let (writer, task, receiver) = Self::prepare(backend, guard, settings);
        tokio::spawn(task.run(receiver));
        writer
    }

    /// Starts the writer on a thread of its own, with a runtime of its own: for a backend whose
    /// calls block (an embedded database). The thread makes each group's statements itself, so
    /// a group costs one wake-up of this thread and one per request answered, and no hand-off
    /// per statement. The thread ends once every handle is dropped.
    pub fn start_on_thread(
        name: &str,
        backend: B,
        guard: Arc<StoreGuard>,
        settings: WriterSettings,
    ) -> std::io::Result<Self> {
        let (writer, task, receiver) = Self::prepare(backend, guard, settings);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()?;
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || runtime.block_on(task.run(receiver)))?;
        Ok(writer)
    }

    fn prepare(
        backend: B,
        guard: Arc<StoreGuard>,
        settings: WriterSettings,
    ) -> (Self, Task<B>, mpsc::Receiver<Job<B::Handle>>) {
        let (queue, receiver) = mpsc::channel(settings.queue_depth.max(1));
        let stats = Arc::new(WriterStats::default());
        let task = Task {
            backend,
            guard: Arc::clone(&guard),
            stats: Arc::clone(&stats),
            settings,
            last_write: Instant::now(),
        };
        let writer = Self {
            queue,
            guard,
            stats,
        };
        (writer, task, receiver)
    }

    pub fn guard(&self) -> &Arc<StoreGuard> {
        &self.guard
    }

    /// Requests queued and not yet taken by the writer.
    pub fn queued(&self) -> usize {
        self.queue.max_capacity() - self.queue.capacity()
    }

    pub fn stats(&self) -> &Arc<WriterStats> {
        &self.stats
    }

    /// Records `records` (with `key`) durably: Ok once committed.
    pub async fn record(
        &self,
        records: Vec<MintRecord>,
        key: Option<MintKey>,
    ) -> Result<(), LedgerError> {
        self.guard
            .check()
            .map_err(|down| LedgerError::Unavailable {
                retry_after: down.retry_after,
            })?;
        let (done, answer) = oneshot::channel();
        self.queue
            .send(Job::Mint(MintJob { records, key, done }))
            .await
            .map_err(|_| anyhow::anyhow!("the store writer has stopped"))?;
        answer
            .await
            .map_err(|_| anyhow::anyhow!("the store writer dropped a request"))?
    }

    /// Records `event` durably: Ok once committed.
    pub async fn audit(&self, event: AuditEvent) -> Result<(), AuditError> {
        self.guard.check().map_err(|_| AuditError::Unavailable)?;
        let (done, answer) = oneshot::channel();
        self.queue
            .send(Job::Audit(AuditJob {
                event,
                done: Some(done),
            }))
            .await
            .map_err(|_| AuditError::Unavailable)?;
        answer.await.map_err(|_| AuditError::Unavailable)?
    }

    /// Queues `event` and returns at once: it is committed with the next group. Dropped (and
    /// counted) if the queue is full or the store is down.
    pub fn audit_detached(&self, event: AuditEvent) {
        if self.guard.check().is_err() {
            self.stats.dropped(1);
            return;
        }
        let job = Job::Audit(AuditJob { event, done: None });
        if self.queue.try_send(job).is_err() {
            self.stats.dropped(1);
        }
    }

    /// Runs `write` on the writer, between transactions (so it never waits on this process's
    /// own group commit), and returns its answer.
    pub async fn run<T: Send + 'static>(
        &self,
        write: impl FnOnce(B::Handle) -> BoxFuture<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let (done, answer) = oneshot::channel();
        let job: RunJob<B::Handle> = Box::new(move |handle| {
            Box::pin(async move {
                let _ = done.send(write(handle).await);
            })
        });
        self.queue
            .send(Job::Run(job))
            .await
            .map_err(|_| anyhow::anyhow!("the store writer has stopped"))?;
        answer
            .await
            .map_err(|_| anyhow::anyhow!("the store writer dropped a job"))
    }

    /// Waits until everything queued before this call is committed (or failed).
    pub async fn flush(&self) -> anyhow::Result<()> {
        self.run(|_| Box::pin(async {})).await
    }
}

struct Task<B> {
    backend: B,
    guard: Arc<StoreGuard>,
    stats: Arc<WriterStats>,
    settings: WriterSettings,
    last_write: Instant,
}

impl<B: Backend> Task<B> {
    async fn run(mut self, mut receiver: mpsc::Receiver<Job<B::Handle>>) {
        let mut mints = Vec::new();
        let mut audits = Vec::new();
        loop {
            let wait = self.until_probe();
            let first = tokio::select! {
                job = receiver.recv() => match job {
                    Some(job) => job,
                    None => break,
                },
                () = tokio::time::sleep(wait) => {
                    self.probe().await;
                    continue;
                }
            };
            let mut next = Some(first);
            let mut rows = 0;
            while let Some(job) = next.take() {
                match job {
                    Job::Run(write) => {
                        // What was queued before it is committed first, so that a flush (an
                        // empty job) returns only once everything before it is stored.
                        if !mints.is_empty() || !audits.is_empty() {
                            self.commit_group(&mut mints, &mut audits).await;
                            rows = 0;
                        }
                        write(self.backend.handle()).await;
                    }
                    Job::Mint(job) => {
                        rows += job.records.len().max(1);
                        mints.push(job);
                    }
                    Job::Audit(job) => {
                        rows += 1;
                        audits.push(job);
                    }
                }
                if rows < self.settings.max_group_rows {
                    next = receiver.try_recv().ok();
                }
            }
            if !mints.is_empty() || !audits.is_empty() {
                self.commit_group(&mut mints, &mut audits).await;
            }
        }
    }

    /// How long to wait for work before probing: until the guard's next probe while the
    /// store is down, else until the store has been idle for `idle_probe_every`.
    fn until_probe(&self) -> Duration {
        match self.guard.until_probe() {
            Some(wait) => wait.max(Duration::from_millis(5)),
            None => self
                .settings
                .idle_probe_every
                .saturating_sub(self.last_write.elapsed())
                .max(Duration::from_millis(5)),
        }
    }

    /// Probes the store: the guard's half-open probe while down, an idle check while up.
    async fn probe(&mut self) {
        let permit = self.guard.probe_permit();
        if permit.is_none() && !self.guard.is_up() {
            return;
        }
        let now_ms = chittyid_app::unix_now_ms();
        let outcome =
            tokio::time::timeout(self.settings.commit_deadline, self.backend.probe(now_ms)).await;
        let probed = self.within_deadline(outcome);
        self.last_write = Instant::now();
        let ok = probed.is_ok();
        match permit {
            Some(permit) => self.guard.probed(permit, ok),
            None => match &probed {
                Ok(()) => self.guard.succeeded(),
                // A connection that sat idle and was ended: the next call opens a new one.
                Err(BackendError::Disconnected(_)) => self.backend.discard(),
                Err(err) => self.guard.failed(err),
            },
        }
        // A probe that commits does not clear a failed group commit: a small probe can fit
        // where a group does not (a full disk).
        if !ok {
            self.stats.failed();
        }
    }

    /// A backend call's outcome under the commit deadline; past it, the connection is dropped
    /// (its state is unknown).
    fn within_deadline(
        &mut self,
        outcome: Result<Result<(), BackendError>, tokio::time::error::Elapsed>,
    ) -> Result<(), BackendError> {
        outcome.unwrap_or_else(|_| {
            self.backend.discard();
            Err(BackendError::Store(anyhow::anyhow!(
                "the store did not commit within {} ms",
                self.settings.commit_deadline.as_millis()
            )))
        })
    }

    async fn commit(&mut self, rows: &GroupRows<'_>) -> Result<(), BackendError> {
        let outcome =
            tokio::time::timeout(self.settings.commit_deadline, self.backend.commit(rows)).await;
        let result = self.within_deadline(outcome);
        self.last_write = Instant::now();
        match &result {
            Ok(()) => {
                self.guard.succeeded();
                self.stats.committed(rows.records.len(), rows.audits.len());
            }
            Err(BackendError::Store(err)) => {
                self.guard.failed(err);
                self.stats.failed();
            }
            Err(BackendError::Disconnected(err)) => {
                tracing::warn!(store = self.guard.store(), error = %format!("{err:#}"), "the store's connection broke; its group fails and the next opens a new one");
                self.backend.discard();
                self.stats.failed();
            }
            // The group asked for something the store refuses; the store itself is fine.
            Err(BackendError::KeyTaken | BackendError::Conflict(_)) => {}
        }
        result
    }

    /// Commits the whole group in one transaction. If a key or a row conflicts, each mint is
    /// tried in its own (so one cannot fail the others) and the audit events in one more. If
    /// the store fails, the whole group fails at once.
    async fn commit_group(&mut self, mints: &mut Vec<MintJob>, audits: &mut Vec<AuditJob>) {
        if let Err(down) = self.guard.check() {
            fail_all(mints, audits, &self.stats, &down.to_string());
            return;
        }
        let rows = match GroupRows::build(
            mints.iter().map(|m| (&m.records[..], m.key.as_ref())),
            audits.iter().map(|a| &a.event),
        ) {
            Ok(rows) => rows,
            Err(err) => {
                fail_all(mints, audits, &self.stats, &format!("{err:#}"));
                return;
            }
        };
        let result = self.commit(&rows).await;
        match result {
            Ok(()) => {
                for job in mints.drain(..) {
                    let _ = job.done.send(Ok(()));
                }
                for job in audits.drain(..) {
                    if let Some(done) = job.done {
                        let _ = done.send(Ok(()));
                    }
                }
            }
            Err(err @ (BackendError::Store(_) | BackendError::Disconnected(_))) => {
                fail_all(mints, audits, &self.stats, &format!("{err:#}"));
            }
            Err(refused) if mints.len() == 1 && audits.is_empty() => {
                let job = mints.pop().expect("one mint");
                let _ = job.done.send(Err(ledger_refusal(refused)));
            }
            Err(_) => self.commit_one_by_one(mints, audits).await,
        }
    }

    async fn commit_one_by_one(&mut self, mints: &mut Vec<MintJob>, audits: &mut Vec<AuditJob>) {
        for job in mints.drain(..) {
            let result = match GroupRows::build([(&job.records[..], job.key.as_ref())], []) {
                Ok(rows) => self.commit(&rows).await.map_err(ledger_refusal),
                Err(err) => Err(LedgerError::Unknown(err)),
            };
            let _ = job.done.send(result);
        }
        if audits.is_empty() {
            return;
        }
        let result = match GroupRows::build([], audits.iter().map(|a| &a.event)) {
            Ok(rows) => self.commit(&rows).await.map_err(|err| format!("{err:#}")),
            Err(err) => Err(format!("{err:#}")),
        };
        match result {
            Ok(()) => {
                for job in audits.drain(..) {
                    if let Some(done) = job.done {
                        let _ = done.send(Ok(()));
                    }
                }
            }
            Err(message) => fail_all(&mut Vec::new(), audits, &self.stats, &message),
        }
    }
}

fn ledger_refusal(err: BackendError) -> LedgerError {
    match err {
        BackendError::KeyTaken => LedgerError::KeyTaken,
        other => LedgerError::Unknown(anyhow::anyhow!("{other:#}")),
    }
}

/// Fails every request of the group with `message`; detached events are counted as dropped.
fn fail_all(
    mints: &mut Vec<MintJob>,
    audits: &mut Vec<AuditJob>,
    stats: &WriterStats,
    message: &str,
) {
    for job in mints.drain(..) {
        let _ = job
            .done
            .send(Err(LedgerError::Unknown(anyhow::anyhow!("{message}"))));
    }
    let mut dropped = 0;
    let mut failed = 0;
    for job in audits.drain(..) {
        match job.done {
            Some(done) => {
                failed += 1;
                let _ = done.send(Err(AuditError::Unknown(anyhow::anyhow!("{message}"))));
            }
            None => dropped += 1,
        }
    }
    stats.dropped(dropped);
    if failed > 0 {
        tracing::error!(error = %message, events = failed, "audit events could not be stored; their requests fail");
    }
}
