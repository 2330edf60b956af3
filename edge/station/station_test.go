package station

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/edge/store"
	"cunyou/syncproto"
)

func TestMaskPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"13800138000", "138****8000"},
		{"15912345678", "159****5678"},
		{"12345678", "123*5678"},
		{"123456", "******"},
		{"123", "***"},
		{"", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, MaskPhone(tt.in), "MaskPhone(%q)", tt.in)
	}
}

// A seven-character value is shown whole: the guard is len < 7 where
// nothing is hidden until len 8. Phones reaching MaskPhone are normalized
// to 11 digits today, so this is latent.
func TestMaskPhoneSeven(t *testing.T) {
	assert.NotEqual(t, "1234567", MaskPhone("1234567"))
}

func TestMaskName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"张三", "张*"},
		{"欧阳娜娜", "欧***"},
		{"张", "张"},
		{"Li Lei", "L*****"},
		{"", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, MaskName(tt.in), "MaskName(%q)", tt.in)
	}
}

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"13800138000", "13800138000", true},
		{"138 0013 8000", "13800138000", true},
		{"138-0013-8000", "13800138000", true},
		{"+86 138 0013 8000", "13800138000", true},
		{"+8613800138000", "13800138000", true},
		{"8613800138000", "13800138000", true},
		{"１３８００１３８０００", "13800138000", true},
		{"19912345678", "19912345678", true},
		{"", "", false},
		{"1380013800", "", false},    // 10 digits
		{"138001380001", "", false},  // 12 digits
		{"23800138000", "", false},   // not 1…
		{"12800138000", "", false},   // 12… is not a mobile prefix
		{"10086", "", false},         // service number
		{"0451-88888888", "", false}, // landline
		{"8713800138000", "", false}, // 13 digits, not +86
		{"0086 13800138000", "", false},
		{"138.0013.8000", "", false},
		{"138001380OO", "", false},
		{"tel:13800138000", "", false},
	}
	for _, tt := range tests {
		got, ok := normalizePhone(tt.in)
		assert.Equal(t, tt.ok, ok, "normalizePhone(%q)", tt.in)
		assert.Equal(t, tt.want, got, "normalizePhone(%q)", tt.in)
	}
}

func TestCodeOf(t *testing.T) {
	tests := []struct {
		err  error
		want Code
	}{
		{nil, ""},
		{fail(CodeShelvesFull), CodeShelvesFull},
		{fmt.Errorf("inbound: %w", fail(CodeNoShelves)), CodeNoShelves},
		{fmt.Errorf("commit: %w", store.ErrDiskFull), CodeDiskFull},
		{store.ErrLocked, CodeDBLocked},
		{store.ErrReadOnly, CodeDBReadOnly},
		{store.ErrIO, CodeDBFailure},
		{store.ErrCorrupt, CodeDBFailure},
		{errors.New("boom"), CodeInternal},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, CodeOf(tt.err), "%v", tt.err)
	}
	err := fmt.Errorf("x: %w", fail(CodeParcelPickedUp, "when", "03-10 10:30", "by", "张* 138****0001", "odd"))
	assert.Equal(t, map[string]string{"when": "03-10 10:30", "by": "张* 138****0001"}, ArgsOf(err))
	assert.Nil(t, ArgsOf(errors.New("plain")))
	assert.Equal(t, "no_shelves", fail(CodeNoShelves).Error())
	cause := errors.New("bad length")
	wrapped := &Error{Code: CodeIDInvalid, Err: cause}
	assert.ErrorIs(t, wrapped, cause)
	assert.Equal(t, "id_invalid: bad length", wrapped.Error())
}

func TestTransition(t *testing.T) {
	statuses := []string{"", StatusAtStation, StatusPickedUp, StatusProblem, StatusReturning, StatusAccepted}
	allowed := map[string]map[string]string{ // event -> from -> to
		evInbound:   {"": StatusAtStation},
		evAccepted:  {"": StatusAccepted},
		evPickedUp:  {StatusAtStation: StatusPickedUp},
		evProblem:   {StatusAtStation: StatusProblem, StatusProblem: StatusProblem, StatusAccepted: StatusProblem},
		evReturning: {StatusAtStation: StatusReturning, StatusProblem: StatusReturning},
		evRelocated: {StatusAtStation: StatusAtStation, StatusProblem: StatusProblem},
	}
	for ev, from := range allowed {
		for _, cur := range statuses {
			next, ok := transition(cur, ev)
			want, wantOK := from[cur]
			assert.Equal(t, wantOK, ok, "%s in %q", ev, cur)
			if wantOK {
				assert.Equal(t, want, next, "%s in %q", ev, cur)
			}
		}
	}
	_, ok := transition(StatusAtStation, "teleported")
	assert.False(t, ok)
	for _, st := range statuses {
		assert.Equal(t, st == StatusAtStation || st == StatusProblem, onShelf(st), st)
	}
}

// VerifyDerived notices a status that its events do not give.
func TestVerifyDerivedDetects(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 1, Capacity: 5})
	e.in(t, sf(1), phone(1), "")
	e.in(t, sf(2), phone(2), "")
	require.NoError(t, e.s.VerifyDerived(e.ctx))
	setStatus := func(st string) {
		require.NoError(t, e.st.Write(e.ctx, "test", func(tx *store.Tx) error {
			_, err := tx.ExecContext(e.ctx, "UPDATE parcels SET status = ? WHERE waybill = ?", st, sf(2))
			return err
		}))
	}
	setStatus(StatusPickedUp)
	err := e.s.VerifyDerived(e.ctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), sf(2))
	setStatus(StatusAtStation)
	require.NoError(t, e.s.VerifyDerived(e.ctx))
}
