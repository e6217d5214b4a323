//! A database of its own for each test, on the server `DATABASE_URL` names: created empty,
//! dropped when the guard goes. Behind the `testing` feature, for this crate's tests and the
//! workspace's integration tests.

use anyhow::Context;
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

/// Applies the migrations up to `version` only: the database as an older version left it, for a
/// test of what the next migration does to its rows.
pub async fn migrate_to(url: &str, version: i64) -> anyhow::Result<()> {
    let mut migrator = crate::store::migrator();
    migrator.migrations = migrator
        .migrations
        .iter()
        .filter(|migration| migration.version <= version)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    let mut conn = PgConnection::connect(url)
        .await
        .context("connecting to the test database")?;
    migrator
        .run(&mut conn)
        .await
        .context("applying the older migrations")?;
    conn.close().await.context("closing")?;
    Ok(())
}

/// A fresh database; dropped (with its connections) when this is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    admin: PgConnectOptions,
    name: String,
    url: String,
}

/// The server to test against: `DATABASE_URL`, or a failure that says how to provide one.
pub fn server_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| {
        panic!(
            "DATABASE_URL is not set: these tests need a PostgreSQL server. Run `bash \
             scripts/test.sh` (it starts or installs one on 127.0.0.1:5432 and sets \
             DATABASE_URL), or set DATABASE_URL=postgres://user@host:port/db yourself"
        )
    })
}

impl TestDatabase {
    pub async fn create() -> Self {
        Self::try_create().await.unwrap_or_else(|err| {
            panic!(
                "cannot create a test database on DATABASE_URL's server ({err:#}); is \
                 PostgreSQL running? `bash scripts/test.sh` starts it"
            )
        })
    }

    async fn try_create() -> anyhow::Result<Self> {
        let admin: PgConnectOptions = server_url()
            .parse()
            .context("DATABASE_URL is not a postgres:// URL")?;
        let mut suffix = [0u8; 8];
        getrandom::fill(&mut suffix).map_err(|e| anyhow::anyhow!("{e}"))?;
        let name = format!(
            "chittyid_test_{}",
            suffix
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        let mut conn = PgConnection::connect_with(&admin)
            .await
            .context("connecting to DATABASE_URL")?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .context("creating a test database")?;
        let _ = conn.close().await;
        let url = {
            let mut url = url_without_database(&server_url());
            url.push('/');
            url.push_str(&name);
            url
        };
        Ok(Self { admin, name, url })
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Closes every connection to this database from any process (as a restart of the server
    /// would) and returns how many it closed.
    pub async fn kill_connections(&self) -> anyhow::Result<u64> {
        let mut conn = PgConnection::connect_with(&self.admin)
            .await
            .context("connecting to DATABASE_URL")?;
        let killed: Vec<bool> = sqlx::query_scalar(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(&self.name)
        .fetch_all(&mut conn)
        .await
        .context("terminating connections")?;
        let _ = conn.close().await;
        Ok(killed.into_iter().filter(|k| *k).count() as u64)
    }

    /// The URL of this database (no secret beyond what DATABASE_URL holds).
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// `postgres://user@host:port/db?params` without `/db?params`.
fn url_without_database(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(slash) => url[..after_scheme + slash].to_owned(),
        None => url.split('?').next().unwrap_or(url).to_owned(),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Drop runs outside async: a thread with its own runtime does the dropping.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                runtime.block_on(async move {
                    if let Ok(mut conn) = PgConnection::connect_with(&admin).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                        )))
                        .execute(&mut conn)
                        .await;
                    }
                });
            }
        })
        .join();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_database_is_cut_from_a_url() {
        assert_eq!(
            super::url_without_database("postgres://postgres@127.0.0.1:5432/test"),
            "postgres://postgres@127.0.0.1:5432"
        );
        assert_eq!(
            super::url_without_database("postgres://u:p@h/db?sslmode=disable"),
            "postgres://u:p@h"
        );
        assert_eq!(
            super::url_without_database("postgres://h:5432"),
            "postgres://h:5432"
        );
    }
}
