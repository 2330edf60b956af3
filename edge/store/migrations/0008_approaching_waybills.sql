-- The parcels an approaching vehicle brings (a JSON array of waybills;
-- '' from a hub that did not say): the kiosk's notice counts down as they
-- are scanned in and goes once all are.
ALTER TABLE approaching ADD COLUMN waybills TEXT NOT NULL DEFAULT '';
