//! PostgreSQL connections kept between messages, out of sqlx's pool. sqlx pings a
//! connection each time it goes back to its pool (a round trip per message, and a
//! wake-up of a PostgreSQL process); a connection whose transaction ended cleanly is
//! kept here instead and taken by the next message. Broken or dirty ones are closed.
//! Messages queue for one of [`MESSAGE_CONNECTIONS`] places in order, so a kept
//! connection never sits idle while a message waits in the pool's queue.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnection, PgPool};
use sqlx::{Executor, Postgres};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::StoreError;

/// Messages in a transaction at once; the pool has [`OTHER_CONNECTIONS`] more for
/// the rest (health, statistics, cleanup, the outbox).
pub const MESSAGE_CONNECTIONS: usize = 16;
pub const OTHER_CONNECTIONS: usize = 4;

pub struct PgIdle {
    connections: Mutex<Vec<PoolConnection<Postgres>>>,
    places: Arc<Semaphore>,
}

impl Default for PgIdle {
    fn default() -> Self {
        PgIdle {
            connections: Mutex::default(),
            places: Arc::new(Semaphore::new(MESSAGE_CONNECTIONS)),
        }
    }
}

impl PgIdle {
    fn take(&self) -> Option<PoolConnection<Postgres>> {
        self.connections
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop()
    }

    fn keep(&self, connection: PoolConnection<Postgres>) {
        let mut kept = self
            .connections
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        kept.push(connection);
    }
}

/// A transaction opened and closed by hand on a kept (or pooled) connection.
pub struct PgTx {
    connection: Option<PoolConnection<Postgres>>,
    idle: Arc<PgIdle>,
    /// Released once the connection is back among the kept ones (or closed).
    place: Option<OwnedSemaphorePermit>,
}

impl PgTx {
    /// Runs `begin` (a simple query starting with `BEGIN`) on a kept connection, or on
    /// one from the pool.
    pub async fn begin(
        pool: &PgPool,
        idle: &Arc<PgIdle>,
        begin: &str,
        wait_limit: Duration,
    ) -> Result<Self, StoreError> {
        let place = tokio::time::timeout(wait_limit, idle.places.clone().acquire_owned())
            .await
            .ok()
            .and_then(Result::ok)
            // Waiting this long for a connection: the database cannot keep up.
            .ok_or_else(|| StoreError::Unavailable(sqlx::Error::PoolTimedOut.into()))?;
        let mut connection = match idle.take() {
            Some(connection) => connection,
            None => pool.acquire().await?,
        };
        if let Err(error) = connection.execute(begin).await {
            // Perhaps half begun, perhaps broken (a restarted server): never reused.
            connection.close_on_drop();
            return Err(error.into());
        }
        Ok(PgTx {
            connection: Some(connection),
            idle: idle.clone(),
            place: Some(place),
        })
    }

    pub async fn commit(mut self) -> Result<(), StoreError> {
        let mut connection = self.connection.take().expect("open until commit or drop");
        match connection.execute("COMMIT").await {
            Ok(_) => {
                self.idle.keep(connection);
                Ok(())
            }
            Err(error) => {
                connection.close_on_drop();
                Err(error.into())
            }
        }
    }
}

/// Dropped before commit (an error, a cancelled request): rolled back in the
/// background before the connection is used again; closed if that fails.
impl Drop for PgTx {
    fn drop(&mut self) {
        let Some(mut connection) = self.connection.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            connection.close_on_drop();
            return;
        };
        let idle = self.idle.clone();
        let place = self.place.take();
        runtime.spawn(async move {
            let _place = place;
            match connection.execute("ROLLBACK").await {
                Ok(_) => idle.keep(connection),
                Err(_) => connection.close_on_drop(),
            }
        });
    }
}

impl Deref for PgTx {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        self.connection.as_ref().expect("open until commit or drop")
    }
}

impl DerefMut for PgTx {
    fn deref_mut(&mut self) -> &mut PgConnection {
        self.connection.as_mut().expect("open until commit or drop")
    }
}
