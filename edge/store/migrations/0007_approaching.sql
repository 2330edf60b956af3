-- approaching: the county hub's word that a trip's vehicle is a few
-- minutes from this station with parcels for it (hub/gps's approach
-- circle), one row per trip, shown on the kiosk's home until a while
-- after it should have arrived.
CREATE TABLE approaching (
	trip        TEXT    PRIMARY KEY,
	line        TEXT    NOT NULL,
	vehicle     TEXT    NOT NULL,
	at_ms       INTEGER NOT NULL,
	eta_ms      INTEGER NOT NULL,
	parcels     INTEGER NOT NULL,
	received_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
