-- A parcel's declared value, from the hub's manifest, for the station's
-- ID-card rule at pickup (a parcel worth N yuan or more needs the
-- collector's card read). 0: not declared.
ALTER TABLE manifest ADD COLUMN value_fen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE parcels ADD COLUMN value_fen INTEGER NOT NULL DEFAULT 0;

-- Each shelf counted, and the parcels the count did not find: day close
-- reports those still on the books.
CREATE TABLE stocktakes (
	id    INTEGER PRIMARY KEY,
	shelf INTEGER NOT NULL,
	at    INTEGER NOT NULL -- unix ms
) STRICT;
CREATE INDEX stocktakes_at ON stocktakes(at);
CREATE TABLE stocktake_missing (
	stocktake INTEGER NOT NULL REFERENCES stocktakes(id),
	parcel_id INTEGER NOT NULL REFERENCES parcels(id),
	PRIMARY KEY (stocktake, parcel_id)
) STRICT, WITHOUT ROWID;
