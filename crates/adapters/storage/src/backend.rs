//! What a SQL store supplies to the shared writer: its statements, its begin and commit.

use std::future::Future;

use crate::rows::GroupRows;

/// One store's side of the group committer. The writer owns it (one connection, one task), so
/// nothing here needs to be shared or locked.
pub trait Backend: Send + 'static {
    /// What a job run on the writer ([`crate::GroupWriter::run`]) is given: typically the pool.
    type Handle: Clone + Send + 'static;

    fn handle(&self) -> Self::Handle;

    /// Commits every row of `rows` in one transaction, or none of them. A key in `rows` held by
    /// an unexpired mint is [`BackendError::KeyTaken`], a row that repeats a stored one is
    /// [`BackendError::Conflict`]; both leave the store as it was and healthy.
    fn commit(
        &mut self,
        rows: &GroupRows<'_>,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// One small committed write: whether the store takes writes now.
    fn probe(&mut self, now_unix_ms: i64) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// Forgets the writer's connection (a deadline passed while it was in use, so its state is
    /// unknown); the next call opens a new one.
    fn discard(&mut self);
}

/// Why a commit did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// A key in the group is held by an unexpired mint: nothing was committed.
    #[error("an idempotency key is taken")]
    KeyTaken,
    /// A row repeats one already stored (an ID recorded twice): nothing was committed.
    #[error("a row conflicts with a stored one: {0}")]
    Conflict(String),
    /// An established connection broke (the server ended it): nothing was committed that the
    /// caller can count on, the connection is dropped, and the next call opens a new one. Not
    /// a sign that the store is down: only a new connection failing is.
    #[error("the connection to the store broke: {0:#}")]
    Disconnected(anyhow::Error),
    /// The store could not commit: gone, full, too slow.
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}
