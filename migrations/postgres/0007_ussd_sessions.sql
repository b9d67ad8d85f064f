-- One row per USSD session (Africa's Talking's sessionId; src/service/ussd.rs): how
-- many of its inputs the engine was already given and the last screen shown, sealed
-- like sessions (it may echo an answer). A repeated request gets the same screen and
-- is processed once. Kept a day (Store::cleanup_expired, src/store/ussd.rs).
CREATE TABLE ussd_sessions (
    session_id   TEXT        PRIMARY KEY,
    -- As configured: a keyed digest (default) or the plain number.
    phone_number TEXT        NOT NULL,
    inputs_fed   BIGINT      NOT NULL,
    screen       BYTEA       NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX ussd_sessions_updated_at ON ussd_sessions (updated_at);
