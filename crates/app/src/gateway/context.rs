//! The request a piece of work is done for, carried along without threading it through every
//! call: the HTTP layer sets it around a use case, the upstream client passes it on to the
//! authority as `x-request-id`, so one id follows a request across both servers' logs.

tokio::task_local! {
    static REQUEST_ID: String;
}

/// Runs `work` as part of the request `id`.
pub async fn with_request_id<F: std::future::Future>(id: Option<String>, work: F) -> F::Output {
    match id {
        Some(id) => REQUEST_ID.scope(id, work).await,
        None => work.await,
    }
}

/// The id of the request the current task works for, if one was set.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}
