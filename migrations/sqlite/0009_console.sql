-- The staff console (src/console/).
--
-- Daily counters behind its dashboard: codes given (new, returning) per channel and
-- language, and the conversation funnel per question (reached, answered, refused, left).
-- Names are built from the flow's step ids, channel labels and language codes only
-- (src/flow/funnel.rs): never an answer. Each `serve` process adds what its messages
-- counted once a second (src/service/counters.rs), in its own `shard`, so that several
-- processes on one PostgreSQL do not wait on one row's lock. A counter's value is the
-- sum of its shards.
CREATE TABLE daily_counters (
    day     TEXT    NOT NULL,
    counter TEXT    NOT NULL,
    shard   INTEGER NOT NULL,
    value   INTEGER NOT NULL,
    PRIMARY KEY (day, counter, shard)
);

-- Signed-in console sessions. Only a digest of the cookie's token is kept: reading the
-- table does not let anyone sign in. Every `serve` on one database honours them.
CREATE TABLE console_sessions (
    token_digest BLOB PRIMARY KEY,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX console_sessions_expires_at ON console_sessions (expires_at);
