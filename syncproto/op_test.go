package syncproto_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/syncproto"
)

// sampleOp returns a sealed op with every field set.
func sampleOp(t testing.TB) syncproto.Op {
	t.Helper()
	payload, err := json.Marshal(syncproto.ParcelInbound{Waybill: "73123456789012", Carrier: "zto",
		ReceiverPhone: "13800138000", Shelf: 5, Layer: 2, Code: "5-2-3001"})
	require.NoError(t, err)
	op := syncproto.Op{
		Node:        "wk-zhaojia",
		Incarnation: "0123456789abcdef",
		Seq:         42,
		HLC:         syncproto.MakeTimestamp(day2025.UnixMilli(), 3),
		Actor:       "clerk1",
		Kind:        syncproto.KindParcelInbound,
		Payload:     payload,
	}
	op.Seal()
	return op
}

// canonicalHash is an independent rendering of the documented canonical
// form: every field but Hash, numbers as 8 big-endian bytes, strings
// prefixed by their length as 8 big-endian bytes.
func canonicalHash(o syncproto.Op) string {
	var b []byte
	num := func(v uint64) { b = binary.BigEndian.AppendUint64(b, v) }
	str := func(s string) { num(uint64(len(s))); b = append(b, s...) }
	num(uint64(o.V))
	str(o.Node)
	str(o.Incarnation)
	num(o.Seq)
	num(uint64(o.HLC))
	str(o.Actor)
	str(string(o.Kind))
	str(string(o.Payload))
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestSeal(t *testing.T) {
	op := sampleOp(t)
	assert.Equal(t, syncproto.EnvelopeVersion, op.V)
	assert.Equal(t, 1, op.V, "this build writes envelope version 1")
	assert.Len(t, op.Hash, 64)
	assert.Equal(t, op.ComputeHash(), op.Hash)
	assert.Equal(t, canonicalHash(op), op.Hash, "the canonical form is part of the wire contract")
	require.NoError(t, op.Verify())

	// Sealing is idempotent and the hash does not cover itself.
	h := op.Hash
	op.Hash = "something else"
	assert.Equal(t, h, op.ComputeHash())
	op.Seal()
	assert.Equal(t, h, op.Hash)

	// A stale version is overwritten by Seal.
	op.V = 0
	op.Seal()
	assert.Equal(t, syncproto.EnvelopeVersion, op.V)
	assert.Equal(t, h, op.Hash)
}

func TestHashCoversEveryField(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*syncproto.Op)
	}{
		{"version", func(o *syncproto.Op) { o.V = 2 }},
		{"node", func(o *syncproto.Op) { o.Node += "x" }},
		{"incarnation", func(o *syncproto.Op) { o.Incarnation = "fedcba9876543210" }},
		{"seq", func(o *syncproto.Op) { o.Seq++ }},
		{"hlc", func(o *syncproto.Op) { o.HLC++ }},
		{"actor", func(o *syncproto.Op) { o.Actor = "owner" }},
		{"empty actor", func(o *syncproto.Op) { o.Actor = "" }},
		{"kind", func(o *syncproto.Op) { o.Kind = syncproto.KindParcelProblem }},
		{"payload byte", func(o *syncproto.Op) { o.Payload = []byte(`{"waybill":"73123456789013"}`) }},
		{"payload whitespace", func(o *syncproto.Op) { o.Payload = append(append([]byte{}, o.Payload...), ' ') }},
		{"nil payload", func(o *syncproto.Op) { o.Payload = nil }},
		// Length prefixes keep neighbouring fields apart.
		{"node/incarnation boundary", func(o *syncproto.Op) { o.Node, o.Incarnation = o.Node+o.Incarnation[:1], o.Incarnation[1:] }},
		{"actor/kind boundary", func(o *syncproto.Op) { o.Actor, o.Kind = o.Actor+"p", syncproto.EventKind(string(o.Kind)[1:]) }},
	}
	orig := sampleOp(t)
	seen := map[string]string{orig.Hash: "original"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := orig
			tt.mutate(&op)
			got := op.ComputeHash()
			assert.NotEqual(t, orig.Hash, got)
			assert.Equal(t, canonicalHash(op), got)
			if prev, dup := seen[got]; dup {
				t.Errorf("hash of %q equals hash of %q", tt.name, prev)
			}
			seen[got] = tt.name
			assert.Error(t, op.Verify(), "a changed op with the old hash must not verify")
		})
	}
}

func TestVerifyCodes(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*syncproto.Op)
		want   syncproto.Code
	}{
		{"version 0", func(o *syncproto.Op) { o.V = 0 }, syncproto.CodeUnsupportedVersion},
		{"negative version", func(o *syncproto.Op) { o.V = -1 }, syncproto.CodeUnsupportedVersion},
		{"future version", func(o *syncproto.Op) { o.V = syncproto.EnvelopeVersion + 1 }, syncproto.CodeUnsupportedVersion},
		{"future version resealed", func(o *syncproto.Op) { o.V = 2; o.Hash = o.ComputeHash() }, syncproto.CodeUnsupportedVersion},
		{"no node", func(o *syncproto.Op) { o.Node = ""; o.Seal() }, syncproto.CodeBadOp},
		{"no incarnation", func(o *syncproto.Op) { o.Incarnation = ""; o.Seal() }, syncproto.CodeBadOp},
		{"seq 0", func(o *syncproto.Op) { o.Seq = 0; o.Seal() }, syncproto.CodeBadOp},
		{"unknown kind", func(o *syncproto.Op) { o.Kind = "parcel.teleported"; o.Seal() }, syncproto.CodeUnknownKind},
		{"empty kind", func(o *syncproto.Op) { o.Kind = ""; o.Seal() }, syncproto.CodeUnknownKind},
		{"kind case", func(o *syncproto.Op) { o.Kind = "Parcel.Inbound"; o.Seal() }, syncproto.CodeUnknownKind},
		{"tampered payload", func(o *syncproto.Op) { o.Payload = []byte(`{"waybill":"73000000000000"}`) }, syncproto.CodeHashMismatch},
		{"tampered seq", func(o *syncproto.Op) { o.Seq = 43 }, syncproto.CodeHashMismatch},
		{"tampered hlc", func(o *syncproto.Op) { o.HLC = 0 }, syncproto.CodeHashMismatch},
		{"tampered actor", func(o *syncproto.Op) { o.Actor = "mallory" }, syncproto.CodeHashMismatch},
		{"missing hash", func(o *syncproto.Op) { o.Hash = "" }, syncproto.CodeHashMismatch},
		{"upper-case hash", func(o *syncproto.Op) { o.Hash = strings.ToUpper(o.Hash) }, syncproto.CodeHashMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := sampleOp(t)
			tt.mutate(&op)
			err := op.Verify()
			var pe *syncproto.Error
			require.True(t, errors.As(err, &pe), "want *syncproto.Error, got %v", err)
			assert.Equal(t, tt.want, pe.Code)
			assert.Contains(t, err.Error(), tt.want.String())
		})
	}
}

func TestVerifyAcceptsEveryKnownKind(t *testing.T) {
	for _, k := range allKinds {
		if !k.Known() {
			continue // reported by TestEventKindsKnown
		}
		op := sampleOp(t)
		op.Kind = k
		op.Seal()
		assert.NoError(t, op.Verify(), "kind %s", k)
	}
}

func TestOpJSONRoundTrip(t *testing.T) {
	op := sampleOp(t)
	b, err := json.Marshal(op)
	require.NoError(t, err)

	var fields map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &fields))
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	assert.ElementsMatch(t, []string{"v", "node", "inc", "seq", "hlc", "actor", "kind", "payload", "hash"}, keys,
		"wire field names are part of the contract")

	var got syncproto.Op
	require.NoError(t, json.Unmarshal(b, &got))
	assert.Equal(t, op, got)
	require.NoError(t, got.Verify())
}

func TestOpJSONRoundTripNonCanonicalPayload(t *testing.T) {
	// Payload is hashed as raw bytes, but encoding/json re-encodes a
	// json.RawMessage when marshalling (compacts it, escapes HTML
	// characters and U+2028/U+2029, writes nil as null). A sealed op whose
	// payload is valid JSON but not in that form no longer verifies after a
	// trip through the wire format.
	tests := []struct {
		name    string
		payload string
	}{
		{"whitespace", `{ "waybill": "73123456789012" }`},
		{"html characters", `{"text":"<b>&</b>"}`},
		{"line separator", "{\"text\":\"\u2028\"}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := sampleOp(t)
			op.Payload = json.RawMessage(tt.payload)
			op.Seal()
			b, err := json.Marshal(op)
			require.NoError(t, err)
			var got syncproto.Op
			require.NoError(t, json.Unmarshal(b, &got))
			if err := got.Verify(); err != nil {
				t.Fatalf("regression: syncproto/op.go hashes Op.Payload's raw bytes, but json.Marshal(Op) rewrites the json.RawMessage "+
					"(compact + HTML escape), so an op sealed over payload %q arrives as %q and fails Verify: %v", tt.payload, got.Payload, err)
			}
		})
	}
}
