-- Arrival SMS the station sent itself through its modem, when a parcel's
-- inbound op had not reached the hub in time (its link down). 'sending'
-- is written before the modem gets the message, 'sent' after, with the
-- parcel.notified op that tells the hub not to send its own. A row still
-- 'sending' at start is a message a stop caught mid-send.
CREATE TABLE station_sms (
	waybill TEXT    PRIMARY KEY,
	phone   TEXT    NOT NULL,
	state   TEXT    NOT NULL CHECK (state IN ('sending', 'sent', 'failed')),
	message TEXT    NOT NULL, -- one message may carry several parcels of one phone: their first waybill
	text    TEXT    NOT NULL,
	at_ms   INTEGER NOT NULL
) STRICT;
