package syncproto_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/syncproto"
)

// FuzzOpJSON feeds arbitrary bytes to the op decoder: decoding and
// verifying never panic, Verify fails only with a protocol error, and an op
// that decodes can be sealed, round-tripped through JSON and verified.
func FuzzOpJSON(f *testing.F) {
	seed := sampleOp(f)
	b, err := json.Marshal(seed)
	require.NoError(f, err)
	f.Add(b)
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"v":1,"node":"n","inc":"i","seq":1,"hlc":1,"actor":"a","kind":"parcel.inbound","payload":{},"hash":""}`))
	f.Add([]byte(`{"v":2,"node":"n","inc":"i","seq":18446744073709551615,"hlc":18446744073709551615,"kind":"x","payload":[1,2]}`))
	f.Add([]byte(`{"v":-9223372036854775808,"payload":"\u0000"}`))
	f.Add([]byte(`{"payload":null,"hash":"00"}`))
	f.Add([]byte(`{"v":1,"node":"n","inc":"i","seq":1,"kind":"parcel.inbound","payload":{ "a" : "<&>\u2028" }}`))

	f.Fuzz(func(t *testing.T, data []byte) {
		var op syncproto.Op
		if err := json.Unmarshal(data, &op); err != nil {
			return
		}
		if err := op.Verify(); err != nil {
			var pe *syncproto.Error
			require.True(t, errors.As(err, &pe), "Verify returned a non-protocol error: %v", err)
			assert.NotEqual(t, syncproto.CodeOK, pe.Code)
		}

		// Give the op an identity and a known kind, seal it, and it must
		// survive the wire.
		if op.Node == "" {
			op.Node = "n"
		}
		if op.Incarnation == "" {
			op.Incarnation = "i"
		}
		if op.Seq == 0 {
			op.Seq = 1
		}
		if !op.Kind.Known() {
			op.Kind = syncproto.KindParcelInbound
		}
		// encoding/json rewrites a RawMessage on the way out (compacts it,
		// escapes <, >, &, U+2028 and U+2029; nil becomes null), so only a
		// payload already in that form keeps its hash across the wire; see
		// TestOpJSONRoundTripNonCanonicalPayload. Producers marshal payloads
		// with encoding/json, which yields that form.
		canon, err := json.Marshal(op.Payload)
		require.NoError(t, err, "a payload that decoded must encode")
		op.Payload = canon
		op.Seal()
		require.NoError(t, op.Verify())
		wire, err := json.Marshal(op)
		require.NoError(t, err)
		var got syncproto.Op
		require.NoError(t, json.Unmarshal(wire, &got))
		require.NoError(t, got.Verify(), "sealed op must verify after a round trip; wire %s", wire)
		assert.Equal(t, op.Hash, got.Hash)
	})
}
