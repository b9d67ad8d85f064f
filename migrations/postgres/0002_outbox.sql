-- Replies waiting to be sent through a provider's API (Meta Cloud API). A row is written
-- in the same transaction as the conversation it answers, and deleted once delivered
-- (or given up), so a failed send is retried, even after a restart, never lost silently.
CREATE TABLE outbox (
    id              BIGSERIAL   PRIMARY KEY,
    channel         TEXT        NOT NULL,
    -- The phone number as stored elsewhere (a keyed digest by default): one person's
    -- messages are sent one at a time, in order.
    recipient       TEXT        NOT NULL,
    -- The number to send to and the message, both sealed (encrypted).
    phone           BYTEA       NOT NULL,
    payload         BYTEA       NOT NULL,
    attempts        INTEGER     NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    -- Status and provider error code of the last failure; never a number or a text.
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox (channel, next_attempt_at);
CREATE INDEX outbox_recipient ON outbox (recipient, id);
