package gazetteer

// index is built by Validate. Its pointers point into the County's slices,
// which must not be appended to afterwards.
type index struct {
	village   map[string]*Village // by village code
	townOf    map[string]*Town    // by village code
	town      map[string]*Town    // by town code
	station   map[string]*Station // by station id
	stationOf map[string]*Station // by village code
}

// Village returns the village with the code. Like every lookup it needs a
// County that Load or Validate accepted; otherwise it finds nothing.
func (c *County) Village(code string) (*Village, bool) {
	if c.idx == nil {
		return nil, false
	}
	v, ok := c.idx.village[code]
	return v, ok
}

// Town returns the town with the code.
func (c *County) Town(code string) (*Town, bool) {
	if c.idx == nil {
		return nil, false
	}
	t, ok := c.idx.town[code]
	return t, ok
}

// TownOf returns the town the village belongs to.
func (c *County) TownOf(villageCode string) (*Town, bool) {
	if c.idx == nil {
		return nil, false
	}
	t, ok := c.idx.townOf[villageCode]
	return t, ok
}

// StationOf returns the station serving the village. A village may have no
// station yet.
func (c *County) StationOf(villageCode string) (*Station, bool) {
	if c.idx == nil {
		return nil, false
	}
	s, ok := c.idx.stationOf[villageCode]
	return s, ok
}

// Station returns the station with the id.
func (c *County) Station(id string) (*Station, bool) {
	if c.idx == nil {
		return nil, false
	}
	s, ok := c.idx.station[id]
	return s, ok
}
