-- Possible duplicates (src/store/duplicates.rs): for each record, one keyed digest of
-- its canonical answers with one answer left out (src/code.rs, NearKey) — never an
-- answer. Two records sharing a near key agree on every answer but one.
CREATE TABLE uic_near_keys (
    near_key  BYTEA  NOT NULL,
    record_id BIGINT NOT NULL REFERENCES uic_records (id) ON DELETE CASCADE,
    PRIMARY KEY (near_key, record_id)
);

-- Pairs found at registration (looked up by the index above, never by a scan):
-- record_a is the earlier record, record_b the one whose registration found it.
CREATE TABLE possible_duplicates (
    record_a       BIGINT      NOT NULL REFERENCES uic_records (id) ON DELETE CASCADE,
    record_b       BIGINT      NOT NULL REFERENCES uic_records (id) ON DELETE CASCADE,
    differing_step TEXT        NOT NULL,
    found_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (record_a, record_b, differing_step)
);
CREATE INDEX possible_duplicates_found_at ON possible_duplicates (found_at);

-- Derivations the deployer confirmed with `ciu derivation --accept` after a change
-- (src/cli/derivation.rs): `serve` refuses to start under any other derivation once
-- codes exist.
CREATE TABLE accepted_derivations (
    flow_id     TEXT        NOT NULL,
    fingerprint TEXT        NOT NULL,
    accepted_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (flow_id, fingerprint)
);
