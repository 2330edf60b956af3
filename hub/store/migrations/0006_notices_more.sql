-- More notices: a reminder for a parcel waiting too long, and the notice
-- that an unclaimed parcel goes back.
INSERT INTO sms_templates (kind, text, updated_ms) VALUES
	('reminder', '您的{carrier}包裹在{station}已等候{days}天，取件码{code}，营业至{close}，请尽快领取。', 0),
	('returning', '您在{station}的{carrier}包裹（取件码{code}）超期未取，已退回。如有疑问请联系驿站。', 0);
