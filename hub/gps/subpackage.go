package gps

import "fmt"

// Split cuts p's body into sub-packages of at most size bytes (at most
// MaxBodyBytes), numbered from serial on; a body that fits in one packet
// comes back as p itself with the serial.
func Split(p Packet, size int, serial uint16) ([]Packet, error) {
	if size <= 0 || size > MaxBodyBytes {
		size = MaxBodyBytes
	}
	if len(p.Body) <= size && !p.Split() {
		p.Serial = serial
		return []Packet{p}, nil
	}
	n := (len(p.Body) + size - 1) / size
	if n > 0xffff {
		return nil, fmt.Errorf("%w: body needs %d sub-packages", ErrHeader, n)
	}
	out := make([]Packet, 0, n)
	for i := range n {
		q := p
		q.Serial = serial + uint16(i)
		q.Packets, q.Index = uint16(n), uint16(i+1)
		q.Body = p.Body[i*size : min((i+1)*size, len(p.Body))]
		out = append(out, q)
	}
	return out, nil
}

// maxPending bounds the sub-packaged messages a reassembler holds, and
// maxPendingBytes their bytes (the parts' slots counted too), so a
// terminal cannot fill the hub's memory: a part that does not fit drops
// the oldest other messages, and a message that can never fit is dropped.
const (
	maxPending      = 8
	maxPendingBytes = 1 << 20
	partSlotBytes   = 24 // a part's slot (a slice header), held from the message's first part on
)

type pendingKey struct {
	id      uint16
	packets uint16
	first   uint16 // serial of sub-package 1, as far as known: serial - (index - 1)
}

type pending struct {
	parts [][]byte
	have  int
	bytes int // the parts' bytes and slots
	seq   uint64
}

// Reassembler joins the sub-packages of one terminal's messages. A
// sub-package belongs to the message with the same ID and count whose
// first serial is serial−(index−1).
type Reassembler struct {
	msgs  map[pendingKey]*pending
	bytes int
	seq   uint64
}

// Add takes a packet. A whole packet comes back at once; a sub-package
// completes a message when it is the last one missing, which then comes
// back with the header of the completing sub-package (its serial is the
// one to answer) and Packets, Index cleared. Otherwise ok is false.
func (r *Reassembler) Add(p Packet) (whole Packet, ok bool) {
	if !p.Split() {
		return p, true
	}
	if p.Packets == 1 {
		p.Packets, p.Index = 0, 0
		return p, true
	}
	if r.msgs == nil {
		r.msgs = map[pendingKey]*pending{}
	}
	k := pendingKey{p.ID, p.Packets, p.Serial - (p.Index - 1)}
	m := r.msgs[k]
	if m == nil {
		slots := int(p.Packets) * partSlotBytes
		if slots+len(p.Body) > maxPendingBytes {
			return Packet{}, false // could never be held whole
		}
		r.seq++
		m = &pending{parts: make([][]byte, p.Packets), seq: r.seq, bytes: slots}
		r.msgs[k] = m
		r.bytes += slots
	}
	if m.parts[p.Index-1] == nil {
		for len(r.msgs) > maxPending || r.bytes+len(p.Body) > maxPendingBytes {
			if !r.dropOldest(k) {
				r.drop(k) // the message alone is too large
				return Packet{}, false
			}
		}
		m.parts[p.Index-1] = append([]byte{}, p.Body...)
		m.have++
		m.bytes += len(p.Body)
		r.bytes += len(p.Body)
	}
	if m.have < len(m.parts) {
		return Packet{}, false
	}
	r.drop(k)
	size := 0
	for _, part := range m.parts {
		size += len(part)
	}
	body := make([]byte, 0, size)
	for _, part := range m.parts {
		body = append(body, part...)
	}
	p.Packets, p.Index, p.Body = 0, 0, body
	return p, true
}

// Pending returns how many messages wait for sub-packages.
func (r *Reassembler) Pending() int { return len(r.msgs) }

// Bytes returns the bytes the waiting messages hold, their parts' slots
// counted.
func (r *Reassembler) Bytes() int { return r.bytes }

// dropOldest drops the oldest message other than keep; false when there
// is none.
func (r *Reassembler) dropOldest(keep pendingKey) bool {
	var oldest pendingKey
	var seq uint64
	for k, m := range r.msgs {
		if k != keep && (seq == 0 || m.seq < seq) {
			oldest, seq = k, m.seq
		}
	}
	if seq == 0 {
		return false
	}
	r.drop(oldest)
	return true
}

func (r *Reassembler) drop(k pendingKey) {
	if m := r.msgs[k]; m != nil {
		r.bytes -= m.bytes
		delete(r.msgs, k)
	}
}
