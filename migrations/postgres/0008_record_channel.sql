-- The channel a code was first given on (twilio: WhatsApp through Twilio, sms, meta,
-- …; src/channels/mod.rs, ChannelId::label), for `ciu stats` (codes per channel).
-- NULL for the codes given before this migration.
ALTER TABLE uic_records ADD COLUMN channel TEXT;
