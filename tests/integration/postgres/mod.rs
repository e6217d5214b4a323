//! The real processes on a shared PostgreSQL database (`DATABASE_URL`, a database of its own per
//! test): several authorities minting at once, SIGKILL under load, and the database's
//! connections killed under load; a PostgreSQL server of its own killed under load.

mod fleet;
mod outage;
