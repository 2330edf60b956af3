//go:build linux

package station

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/edge/store"
	"cunyou/syncproto"
)

// The crash tests run a real child process (this test binary, re-executed)
// that inbounds parcels in a tight loop and reports each one it shelved.
// The parent kills it with SIGKILL at a random point, reopens the database
// and checks that every committed action is there whole, with its event
// and its op, and that nothing is there in part.
const (
	crashChildEnv = "CUNYOU_CRASH_CHILD" // the database path; set only in the child
	crashModeEnv  = "CUNYOU_CRASH_MODE"  // "single" or "batch"
	crashStartEnv = "CUNYOU_CRASH_START" // the child's first waybill number
	crashSeedEnv  = "CUNYOU_CRASH_SEED"  // reruns a failing sequence of kill points

	crashRounds    = 5
	crashBatchSize = 20
	crashLine      = "shelved " // prefix of the child's report lines
)

func crashWaybill(n int) string { return fmt.Sprintf("73%012d", n) } // a ZTO number
func crashPhone(n int) string   { return fmt.Sprintf("139%08d", n%100_000_000) }

// TestCrashChild is the child's body; it is skipped unless the parent set
// crashChildEnv. It never returns: it is killed.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("runs only as the child of TestCrashDuringInbound*")
	}
	die := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "crash child: "+format+"\n", args...)
		os.Exit(3)
	}
	start, err := strconv.Atoi(os.Getenv(crashStartEnv))
	if err != nil {
		die("bad %s: %v", crashStartEnv, err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		die("open: %v", err)
	}
	s := New(st, time.UTC)
	report := func(wb, code string) {
		// One write per line, unbuffered: what the parent reads was
		// shelved before it was written.
		if _, err := os.Stdout.Write([]byte(crashLine + wb + " " + code + "\n")); err != nil {
			die("report: %v", err)
		}
	}
	for n := start; ; {
		switch mode := os.Getenv(crashModeEnv); mode {
		case "single":
			res, err := s.Inbound(ctx, "crash", InboundInput{Waybill: crashWaybill(n), ReceiverPhone: crashPhone(n), ReceiverName: "测试"})
			if err != nil {
				die("inbound %s: %v", crashWaybill(n), err)
			}
			if res.Repeat {
				die("inbound %s: unexpected repeat", crashWaybill(n))
			}
			report(res.Parcel.Waybill, res.Parcel.Code)
			n++
		case "batch":
			items := make([]InboundInput, crashBatchSize)
			for i := range items {
				items[i] = InboundInput{Waybill: crashWaybill(n + i), ReceiverPhone: crashPhone(n + i)}
			}
			n += len(items)
			for _, it := range s.InboundBatch(ctx, "crash", items) {
				if it.Err != nil || it.Result == nil || it.Result.Repeat {
					die("batch inbound %s: %v", it.Waybill, it.Err)
				}
				report(it.Result.Parcel.Waybill, it.Result.Parcel.Code)
			}
		default:
			die("bad %s %q", crashModeEnv, mode)
		}
	}
}

func TestCrashDuringInbound(t *testing.T)      { runCrashRounds(t, "single") }
func TestCrashDuringInboundBatch(t *testing.T) { runCrashRounds(t, "batch") }

func runCrashRounds(t *testing.T, mode string) {
	if testing.Short() {
		t.Skip("kills child processes; skipped with -short")
	}
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "station.db")

	// The parent lays out the shelves beforehand: 20 shelves × 5 layers ×
	// 100, more room than the rounds use.
	st, err := store.Open(ctx, path, store.Options{Node: "ST-CRASH", Kind: syncproto.NodeStation})
	require.NoError(t, err)
	var shelves []syncproto.Shelf
	for no := 1; no <= 20; no++ {
		shelves = append(shelves, syncproto.Shelf{No: no, Layers: 5, Capacity: 100})
	}
	require.NoError(t, New(st, time.UTC).SetShelves(ctx, "boss", shelves))
	require.NoError(t, st.Close())

	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(crashSeedEnv); v != "" {
		seed, err = strconv.ParseUint(v, 10, 64)
		require.NoError(t, err)
	}
	t.Logf("kill points from seed %d (rerun with %s=%d)", seed, crashSeedEnv, seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	reported := map[string]string{} // waybill → pickup code, as the child reported
	for round := 1; round <= crashRounds; round++ {
		killAt := 50 + rng.IntN(351)
		start := round * 1_000_000
		// A short random pause before the kill spreads it over every stage
		// of the action in flight.
		pause := time.Duration(rng.IntN(2000)) * time.Microsecond
		lines := runCrashChild(t, path, mode, start, killAt, pause)
		require.GreaterOrEqual(t, len(lines), killAt, "round %d", round)
		for _, l := range lines {
			wb, code, ok := strings.Cut(l, " ")
			require.True(t, ok, "child line %q", l)
			_, dup := reported[wb]
			require.False(t, dup, "child reported %s twice", wb)
			reported[wb] = code
		}
		committed := verifyAfterCrash(t, path, reported, start+900_000)
		t.Logf("round %d: killed %s after report %d; %d reported in all, %d parcels in the database",
			round, pause, killAt, len(lines), committed)
	}
}

// runCrashChild runs the child on path until it has reported killAt
// parcels, kills it with SIGKILL and returns every report it made,
// including those still in the pipe when it died.
func runCrashChild(t *testing.T, path, mode string, start, killAt int, pause time.Duration) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		crashChildEnv+"="+path, crashModeEnv+"="+mode, crashStartEnv+"="+strconv.Itoa(start))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	// A child that hangs must not hang the test.
	watchdog := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer watchdog.Stop()

	var lines []string
	killed := false
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		l, ok := strings.CutPrefix(sc.Text(), crashLine)
		if !ok {
			continue
		}
		lines = append(lines, l)
		if len(lines) == killAt && !killed {
			time.Sleep(pause)
			require.NoError(t, cmd.Process.Kill()) // SIGKILL
			killed = true
		}
	}
	require.NoError(t, sc.Err())
	err = cmd.Wait()
	require.True(t, killed, "the child stopped by itself after %d reports: %v\n%s", len(lines), err, stderr.String())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "killed")
	return lines
}

// verifyAfterCrash reopens the database after a kill and checks that it is
// whole: integrity, a gap-free outbox of valid ops, every reported parcel
// with its code, its event and its op, and parcels, events and ops in
// one-to-one correspondence, so the action in flight at the kill is either
// all there or not there at all. Then inbound still works. It returns the
// number of parcels found before that last inbound.
func verifyAfterCrash(t *testing.T, path string, reported map[string]string, fresh int) int {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, path, store.Options{})
	require.NoError(t, err)
	defer func() { require.NoError(t, st.Close()) }()
	s := New(st, time.UTC)
	db := st.DB()

	require.NoError(t, st.Check(ctx), "integrity, gap-free outbox, valid hashes")
	require.NoError(t, s.VerifyDerived(ctx))

	// The outbox: the shelves op, then one inbound op per parcel.
	ops, err := st.Ops(ctx, 0, 1<<30)
	require.NoError(t, err)
	require.NotEmpty(t, ops)
	require.Equal(t, syncproto.KindShelvesSet, ops[0].Kind)
	inboundOps := map[uint64]syncproto.ParcelInbound{}
	opWaybills := map[string]bool{}
	for i, op := range ops {
		require.Equal(t, uint64(i+1), op.Seq)
		require.NoError(t, op.Verify())
		if i > 0 {
			require.Greater(t, op.HLC, ops[i-1].HLC)
		}
		if op.Kind != syncproto.KindParcelInbound {
			continue
		}
		var p syncproto.ParcelInbound
		require.NoError(t, json.Unmarshal(op.Payload, &p))
		require.False(t, opWaybills[p.Waybill], "two inbound ops for %s", p.Waybill)
		opWaybills[p.Waybill] = true
		inboundOps[op.Seq] = p
	}
	require.Len(t, inboundOps, len(ops)-1, "only inbound ops after the shelves")

	// The identity row agrees with the outbox.
	var nextSeq, hwm int64
	require.NoError(t, db.QueryRowContext(ctx, "SELECT next_seq, hlc_hwm FROM node").Scan(&nextSeq, &hwm))
	assert.Equal(t, int64(len(ops)+1), nextSeq, "next_seq follows the last op")
	assert.Equal(t, int64(ops[len(ops)-1].HLC), hwm, "the clock's mark is the last op's")

	// Parcels, events and ops correspond one to one.
	var parcels, inboundEvents, otherEvents int
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM parcels").Scan(&parcels))
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM events WHERE kind = ?", evInbound).Scan(&inboundEvents))
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM events WHERE kind != ?", evInbound).Scan(&otherEvents))
	require.Equal(t, len(inboundOps), parcels, "parcels vs parcel.inbound ops")
	require.Equal(t, parcels, inboundEvents, "parcels vs inbound events")
	require.Zero(t, otherEvents)
	require.GreaterOrEqual(t, parcels, len(reported))

	rows, err := db.QueryContext(ctx, `SELECT p.waybill, p.status, p.code, p.shelf, p.layer, p.receiver_name, p.receiver_phone, e.seq
		FROM parcels p JOIN events e ON e.parcel_id = p.id WHERE e.kind = ?`, evInbound)
	require.NoError(t, err)
	stored := map[string]string{}
	for rows.Next() {
		var wb, status, code, name, phone string
		var shelf, layer int
		var seq uint64
		require.NoError(t, rows.Scan(&wb, &status, &code, &shelf, &layer, &name, &phone, &seq))
		op, ok := inboundOps[seq]
		require.True(t, ok, "parcel %s: its event names seq %d, which is no inbound op", wb, seq)
		assert.Equal(t, syncproto.ParcelInbound{Waybill: wb, Carrier: "zto", ReceiverName: name,
			ReceiverPhone: phone, Shelf: shelf, Layer: layer, Code: code}, op, "parcel %s and its op", wb)
		assert.Equal(t, StatusAtStation, status)
		stored[wb] = code
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	require.Len(t, stored, parcels)

	for wb, code := range reported {
		got, ok := stored[wb]
		require.True(t, ok, "reported parcel %s lost", wb)
		require.Equal(t, code, got, "parcel %s code", wb)
	}

	// Slot loads match the parcels on them.
	var badLayers, used int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(*) FROM slots s WHERE used !=
		(SELECT count(*) FROM parcels p WHERE p.shelf = s.shelf AND p.layer = s.layer)`).Scan(&badLayers))
	require.NoError(t, db.QueryRowContext(ctx, "SELECT coalesce(sum(used), 0) FROM slots").Scan(&used))
	assert.Zero(t, badLayers)
	assert.Equal(t, parcels, used)

	// The station works after the restart: a new parcel goes in, a
	// reported one scans as a repeat.
	res, err := s.Inbound(ctx, "li", InboundInput{Waybill: crashWaybill(fresh), ReceiverPhone: crashPhone(fresh)})
	require.NoError(t, err)
	require.False(t, res.Repeat)
	reported[res.Parcel.Waybill] = res.Parcel.Code
	for wb, code := range reported {
		res, err := s.Inbound(ctx, "li", InboundInput{Waybill: wb, ReceiverPhone: crashPhone(0)})
		require.NoError(t, err)
		assert.True(t, res.Repeat)
		assert.Equal(t, code, res.Parcel.Code)
		break
	}
	ob, err := st.Outbox(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(len(ops)+1), ob.LastSeq, "one new op, none for the repeat")
	require.NoError(t, st.Check(ctx))
	return parcels
}
