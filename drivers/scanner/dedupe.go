package scanner

import "time"

// deduper collapses repeated reads. A scan gun held over a label, or in
// continuous mode, reads it again and again: a code read again within
// window of its last read is the same scan. The window slides, so a
// label held under the gun gives one code however long it is held.
//
// With confirm, a code counts only once it was read twice within the
// window: a damaged label that decodes wrongly now and then rarely gives
// the same wrong code twice in a row.
type deduper struct {
	window  time.Duration
	confirm bool
	seen    map[string]seen
}

type seen struct {
	last    time.Time
	emitted bool
}

func newDeduper(window time.Duration, confirm bool) *deduper {
	return &deduper{window: window, confirm: confirm, seen: map[string]seen{}}
}

// read records a read of code at now and reports whether to pass it on.
func (d *deduper) read(code string, now time.Time) bool {
	for c, s := range d.seen {
		if now.Sub(s.last) > d.window {
			delete(d.seen, c)
		}
	}
	s, ok := d.seen[code]
	if ok {
		emit := !s.emitted
		d.seen[code] = seen{last: now, emitted: true}
		return emit
	}
	d.seen[code] = seen{last: now, emitted: !d.confirm}
	return !d.confirm
}
