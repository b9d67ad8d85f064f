-- QR images of a code, fetched once by the channel (Twilio downloads the <Media> URL):
-- the token is 128 random bits, the code is sealed, the row is useless after expires_at
-- and erased by the periodic cleanup.
CREATE TABLE qr_codes (
    token       TEXT        PRIMARY KEY,
    code_sealed BYTEA       NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX qr_codes_expires_at ON qr_codes (expires_at);
