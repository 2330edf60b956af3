-- What a node reports of itself at each hello (syncproto.Health): its
-- backlog and its devices, as JSON, for the dispatchers' view of the
-- stations. Empty until a node that sends it says hello.
ALTER TABLE nodes ADD COLUMN health TEXT NOT NULL DEFAULT '';
