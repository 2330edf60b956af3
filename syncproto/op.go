package syncproto

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// EnvelopeVersion is the version of the Op envelope written by this build.
// A hub keeps converters for every past version (DESIGN §4 rule 10).
const EnvelopeVersion = 1

// NodeKind says what a node is.
type NodeKind string

const (
	NodeStation NodeKind = "station"
	NodeCentre  NodeKind = "centre"
)

// Valid reports whether k is a known node kind.
func (k NodeKind) Valid() bool { return k == NodeStation || k == NodeCentre }

// Op is one fact recorded by a node: the unit of sync. Its identity is
// (Node, Incarnation, Seq); Seq is gap-free within an incarnation. Hash is
// the SHA-256 of the op's canonical form, so a hub can tell a harmless
// duplicate from a conflicting one.
type Op struct {
	V           int             `json:"v"`
	Node        string          `json:"node"`
	Incarnation string          `json:"inc"`
	Seq         uint64          `json:"seq"`
	HLC         Timestamp       `json:"hlc"`
	Actor       string          `json:"actor"`
	Kind        EventKind       `json:"kind"`
	Payload     json.RawMessage `json:"payload"`
	Hash        string          `json:"hash"`
}

// ComputeHash returns the hex SHA-256 of the op's canonical form: every
// field but Hash, length-prefixed so no two different ops share an input.
func (o *Op) ComputeHash() string {
	h := sha256.New()
	var num [8]byte
	writeStr := func(s string) {
		binary.BigEndian.PutUint64(num[:], uint64(len(s)))
		h.Write(num[:])
		h.Write([]byte(s))
	}
	binary.BigEndian.PutUint64(num[:], uint64(o.V))
	h.Write(num[:])
	writeStr(o.Node)
	writeStr(o.Incarnation)
	binary.BigEndian.PutUint64(num[:], o.Seq)
	h.Write(num[:])
	binary.BigEndian.PutUint64(num[:], uint64(o.HLC))
	h.Write(num[:])
	writeStr(o.Actor)
	writeStr(string(o.Kind))
	writeStr(string(o.Payload))
	return hex.EncodeToString(h.Sum(nil))
}

// Seal puts the payload in canonical form, sets the envelope version and
// the hash. Call it once every other field is final. The canonical form is
// what encoding/json writes for a json.RawMessage (compact, HTML-escaped),
// so an op keeps its hash through a JSON round trip.
func (o *Op) Seal() {
	if canon, err := json.Marshal(o.Payload); err == nil {
		o.Payload = canon
	}
	o.V = EnvelopeVersion
	o.Hash = o.ComputeHash()
}

// Verify checks the envelope: a known version, an identity, a known kind
// and a hash that matches the content.
func (o *Op) Verify() error {
	switch {
	case o.V < 1 || o.V > EnvelopeVersion:
		return &Error{Code: CodeUnsupportedVersion, Msg: fmt.Sprintf("op version %d", o.V)}
	case o.Node == "" || o.Incarnation == "" || o.Seq == 0:
		return &Error{Code: CodeBadOp, Msg: "op without identity"}
	case !o.Kind.Known():
		return &Error{Code: CodeUnknownKind, Msg: fmt.Sprintf("op kind %q", o.Kind)}
	case o.Hash != o.ComputeHash():
		return &Error{Code: CodeHashMismatch, Msg: fmt.Sprintf("op %s/%s/%d", o.Node, o.Incarnation, o.Seq)}
	}
	return nil
}
