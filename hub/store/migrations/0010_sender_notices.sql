-- Notices for senders: a villager who sends a parcel (寄件) hears when the
-- station accepted it, when the centre handed it to the carrier, and when
-- the carrier reports it delivered. senders keeps the sender's phone of
-- each outbound parcel, from its acceptance, for the later two.
CREATE TABLE senders (
	waybill TEXT PRIMARY KEY,
	phone   TEXT NOT NULL,
	station TEXT NOT NULL, -- where it was accepted: its name in the message
	carrier TEXT NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO sms_templates (kind, text, updated_ms) VALUES
	('sender_accepted', '您在{station}寄出的{carrier}快递已收寄，运单号{waybill}。', 0),
	('sender_handed_over', '您在{station}寄出的{carrier}快递{waybill}已交快递公司发出。', 0),
	('sender_delivered', '您在{station}寄出的{carrier}快递{waybill}已签收。', 0);
