-- The photo of the sender's ID card (WLT, as the reader gave it) for a
-- send whose sender the reader read: the real-name record of the send,
-- encrypted (AES-256-GCM under a key derived from the node's secret; the
-- waybill is the associated data) and deleted after 90 days.
CREATE TABLE sender_cards (
	waybill    TEXT    PRIMARY KEY,
	photo      BLOB    NOT NULL, -- nonce || ciphertext
	created_ms INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sender_cards_created ON sender_cards (created_ms);
