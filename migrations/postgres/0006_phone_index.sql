-- `ciu stats` counts distinct phones (src/store/mod.rs, Store::stats): without an index
-- that is a sort or hash of every record (6 s at 1,000,000 records on SQLite); with it,
-- a scan of this index in order (under 1 s, BENCHMARKS.md "Reports at scale").
CREATE INDEX uic_records_phone_number ON uic_records (phone_number);
