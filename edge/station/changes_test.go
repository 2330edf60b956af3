package station

import (
	"database/sql"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/syncproto"
)

func change(t *testing.T, seq uint64, typ syncproto.ChangeType, payload any) syncproto.Change {
	t.Helper()
	raw, err := json.Marshal(payload)
	require.NoError(t, err)
	return syncproto.Change{Seq: seq, Type: typ, Payload: raw}
}

// downCursor reads the downstream cursor as stored.
func (e *env) downCursor(t *testing.T) uint64 {
	t.Helper()
	var v sql.NullInt64
	err := e.st.DB().QueryRowContext(e.ctx, "SELECT CAST(value AS INTEGER) FROM sync_state WHERE key = 'down_cursor'").Scan(&v)
	if err == sql.ErrNoRows {
		return 0
	}
	require.NoError(t, err)
	return uint64(v.Int64)
}

func TestApplyChanges(t *testing.T) {
	e := newEnv(t)
	pinHash := HashSecret("246810")
	changes := []syncproto.Change{
		change(t, 3, syncproto.ChangeManifest, ManifestEntry{Waybill: sf(1), Carrier: "sf", ReceiverName: "张三", ReceiverPhone: "+86 138 0000 0001"}),
		change(t, 5, syncproto.ChangeManifest, ManifestEntry{Waybill: sf(2), Carrier: "sf", ReceiverPhone: phone(2)}),
		change(t, 6, syncproto.ChangeManifestCancel, syncproto.ManifestCancel{Waybill: sf(2)}),
		change(t, 8, syncproto.ChangeTariffs, syncproto.Tariffs{Tariffs: testTariffs}),
		change(t, 9, syncproto.ChangeWaybillRange, WaybillRange{Carrier: "sf", Prefix: "SF", Next: 1, Last: 9, Width: 13}),
		change(t, 12, syncproto.ChangeShelves, syncproto.ShelvesSet{Shelves: []syncproto.Shelf{{No: 1, Layers: 2, Capacity: 3}}}),
		change(t, 13, syncproto.ChangeOperator, syncproto.OperatorAccount{Username: "wang", DisplayName: "王站长", Role: RoleOwner,
			SecretKind: "pin", SecretHash: pinHash}),
		change(t, 14, syncproto.ChangeTemplate, syncproto.Template{Key: "arrival", Text: "到了"}),
		change(t, 15, "coupon", map[string]int{"off": 5}),
	}
	res, err := e.s.ApplyChanges(e.ctx, changes, 15)
	require.NoError(t, err)
	assert.Equal(t, 8, res.Applied)
	assert.Equal(t, []ChangeOutcome{{Seq: 15, Type: "coupon", Reason: "unknown type"}}, res.Skipped)
	assert.Empty(t, res.Refused)
	assert.Equal(t, uint64(15), e.downCursor(t))
	assert.Zero(t, e.lastSeq(t), "the hub's facts record no op")

	_, _, m, err := e.s.DetectCarrier(e.ctx, sf(1))
	require.NoError(t, err)
	require.NotNil(t, m)
	assert.Equal(t, "138****0001", m.ReceiverPhone)
	_, _, m, err = e.s.DetectCarrier(e.ctx, sf(2))
	require.NoError(t, err)
	assert.Nil(t, m, "cancelled")
	sess, err := e.s.Login(e.ctx, "wang", "246810")
	require.NoError(t, err, "the county's account logs in with its PIN")
	assert.Equal(t, RoleOwner, sess.Operator.Role)
	p := e.in(t, sf(1), "", "")
	assert.Equal(t, "1-1-", p.Code[:4], "shelved on the county's layout")
	sent, err := e.s.Send(e.ctx, clerk, sendInput("sf", 1000))
	require.NoError(t, err)
	assert.Equal(t, "SF0000000000001", sent.Waybill)

	// Applying the same changes again changes nothing: not the data, not
	// the range's next number, not the cursor.
	before := e.snapshot(t, "sessions", "auth_log")
	res, err = e.s.ApplyChanges(e.ctx, changes, 15)
	require.NoError(t, err)
	assert.Equal(t, 8, res.Applied)
	after := e.snapshot(t, "sessions", "auth_log")
	assert.Equal(t, before, after)

	// A cursor never goes back by applying an older batch.
	_, err = e.s.ApplyChanges(e.ctx, changes[:1], 3)
	require.NoError(t, err)
	assert.Equal(t, uint64(15), e.downCursor(t))
}

func TestApplyChangesRefusesWithoutBlocking(t *testing.T) {
	e := newEnv(t)
	e.layout(t, syncproto.Shelf{No: 1, Layers: 2, Capacity: 3})
	e.in(t, sf(1), phone(1), "张三") // on shelf 1 layer 1
	res, err := e.s.ApplyChanges(e.ctx, []syncproto.Change{
		change(t, 20, syncproto.ChangeShelves, syncproto.ShelvesSet{Shelves: []syncproto.Shelf{{No: 2, Layers: 1, Capacity: 5}}}),
		change(t, 21, syncproto.ChangeManifest, ManifestEntry{Waybill: sf(3), Carrier: "sf", ReceiverPhone: "110"}),
		{Seq: 22, Type: syncproto.ChangeTariffs, Payload: []byte(`{"tariffs":"many"}`)},
		change(t, 23, syncproto.ChangeOperator, syncproto.OperatorAccount{Username: "x", Role: RoleClerk, SecretKind: "pin", SecretHash: "plain"}),
		change(t, 24, syncproto.ChangeManifest, ManifestEntry{Waybill: sf(4), Carrier: "sf", ReceiverPhone: phone(4)}),
	}, 24)
	require.NoError(t, err)
	assert.Equal(t, 1, res.Applied)
	var refused []uint64
	for _, r := range res.Refused {
		refused = append(refused, r.Seq)
		assert.NotContains(t, r.Reason, "110", "no phone in a reason that is logged")
	}
	assert.Equal(t, []uint64{20, 21, 22, 23}, refused)
	assert.Equal(t, uint64(24), e.downCursor(t), "refused changes never hold the cursor back")
	slots, err := e.s.Shelves(e.ctx)
	require.NoError(t, err)
	assert.Len(t, slots, 2, "a layout that drops a loaded layer is refused")
}

func TestApplyChangesFailsWhole(t *testing.T) {
	e := newEnv(t)
	_, err := e.s.ApplyChanges(e.ctx, []syncproto.Change{change(t, 1, syncproto.ChangeTemplate, syncproto.Template{Key: "a", Text: "1"})}, 1)
	require.NoError(t, err)

	// A storage failure in the middle of a batch (here a trigger, as a
	// full disk would) leaves data and cursor as they were.
	db, err := sql.Open("sqlite", "file:"+e.path+"?_pragma=busy_timeout(5000)")
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec(`CREATE TRIGGER boom BEFORE INSERT ON templates WHEN NEW.key = 'boom' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`)
	require.NoError(t, err)
	before := e.snapshot(t)
	_, err = e.s.ApplyChanges(e.ctx, []syncproto.Change{
		change(t, 2, syncproto.ChangeManifest, ManifestEntry{Waybill: sf(1), Carrier: "sf", ReceiverPhone: phone(1)}),
		change(t, 3, syncproto.ChangeTemplate, syncproto.Template{Key: "boom", Text: "x"}),
		change(t, 4, syncproto.ChangeTemplate, syncproto.Template{Key: "c", Text: "y"}),
	}, 4)
	require.ErrorContains(t, err, "disk on fire")
	assert.Equal(t, before, e.snapshot(t))
	assert.Equal(t, uint64(1), e.downCursor(t))
	_, err = db.Exec("DROP TRIGGER boom")
	require.NoError(t, err)
}
