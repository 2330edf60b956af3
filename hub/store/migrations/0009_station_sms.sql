-- A station whose link is down sends the arrival SMS through its own
-- modem and tells the hub with a parcel.notified op. The projection
-- records when on the parcel's notice: a notice still pending is then
-- cancelled ('sent by the station'); one the hub had already sent is a
-- double (the hub merged the inbound op, the station never heard so), and
-- is counted: `cunyou-hub sms list` shows how many.
ALTER TABLE notices ADD COLUMN station_sent_ms INTEGER NOT NULL DEFAULT 0;
CREATE INDEX notices_station_sent ON notices (station_sent_ms) WHERE station_sent_ms > 0;
