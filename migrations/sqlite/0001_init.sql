-- Timestamps are RFC 3339 UTC text (as sqlx writes chrono values): SQLite's date
-- functions read them, so DATE(created_at) works, and they sort chronologically.

-- One row per person: the code, the keyed person key, never an answer.
CREATE TABLE uic_records (
    id                     INTEGER PRIMARY KEY,
    uic_code               TEXT    NOT NULL UNIQUE,
    person_key             TEXT    NOT NULL UNIQUE,
    -- As configured: a keyed digest (default) or the plain number.
    phone_number           TEXT    NOT NULL,
    flow_id                TEXT    NOT NULL,
    flow_version           INTEGER NOT NULL,
    derivation_fingerprint TEXT    NOT NULL,
    -- 0 for the normal code; n when candidates 0..n-1 belonged to other people.
    collision_index        INTEGER NOT NULL DEFAULT 0,
    created_at             TEXT    NOT NULL,
    last_requested_at      TEXT    NOT NULL,
    request_count          INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX uic_records_created_at ON uic_records (created_at);

-- The conversation in progress; `state` is sealed (encrypted) and erased when it ends
-- or expires (NULL: only the language is left, to say politely that it expired).
CREATE TABLE conversation_sessions (
    phone_number TEXT PRIMARY KEY,
    current_step TEXT NOT NULL,
    locale       TEXT NOT NULL,
    state        BLOB,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX conversation_sessions_expires_at ON conversation_sessions (expires_at);

-- Message ids already handled, so a redelivery gets the same (sealed) reply.
CREATE TABLE processed_messages (
    message_id   TEXT PRIMARY KEY,
    phone_number TEXT NOT NULL,
    reply        BLOB,
    processed_at TEXT NOT NULL
);
CREATE INDEX processed_messages_processed_at ON processed_messages (processed_at);

-- Codes issued as a collision candidate; nothing about the person.
CREATE TABLE ciu_collisions (
    id              INTEGER PRIMARY KEY,
    flow_id         TEXT    NOT NULL,
    uic_code        TEXT    NOT NULL,
    collision_index INTEGER NOT NULL,
    detected_at     TEXT    NOT NULL
);

-- Derivations that issued codes, so a changed salt/template/extraction is noticed.
CREATE TABLE derivation_fingerprints (
    flow_id       TEXT NOT NULL,
    fingerprint   TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    PRIMARY KEY (flow_id, fingerprint)
);
