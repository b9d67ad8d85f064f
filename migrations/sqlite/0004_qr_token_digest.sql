-- QR tokens are kept as their SHA-256 digest, not in clear: whoever reads the database
-- cannot fetch a person's code from the public /qr/{token}. The rows live one hour; the
-- ones published before this migration are dropped.
DROP TABLE qr_codes;
CREATE TABLE qr_codes (
    token_digest BLOB PRIMARY KEY,
    code_sealed  BLOB NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX qr_codes_expires_at ON qr_codes (expires_at);
