-- A station's day closes (day.closed ops) are kept in ops, not projected:
-- the console reads them there, per node, through this partial index.
CREATE INDEX ops_day_closed ON ops (stream, hlc) WHERE kind = 'day.closed';
