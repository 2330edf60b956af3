//go:build linux

package station

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/edge/store"
	"cunyou/syncproto"
)

// The fault tests produce storage faults with real parts: a small tmpfs
// that fills up, a second connection that holds the write lock, an
// immutable file. Each checks the operator-facing code and that the failed
// action left nothing behind.

func faultWaybill(n int) string { return fmt.Sprintf("73%012d", 500_000_000+n) }
func faultPhone(n int) string   { return fmt.Sprintf("137%08d", n) }

// faultCounts is what a failed inbound must not change.
type faultCounts struct {
	Parcels, Events, Ops, Used int
}

func countFaultRows(t *testing.T, st *store.Store) faultCounts {
	t.Helper()
	ctx := context.Background()
	var c faultCounts
	db := st.DB()
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM parcels").Scan(&c.Parcels))
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM events").Scan(&c.Events))
	require.NoError(t, db.QueryRowContext(ctx, "SELECT count(*) FROM outbox").Scan(&c.Ops))
	require.NoError(t, db.QueryRowContext(ctx, "SELECT coalesce(sum(used), 0) FROM slots").Scan(&c.Used))
	return c
}

// openFaultStation opens a new station at path with one shelf laid out.
func openFaultStation(t *testing.T, path string, o store.Options) (*store.Store, *Station) {
	t.Helper()
	o.Node, o.Kind = "ST-FAULT", syncproto.NodeStation
	st, err := store.Open(context.Background(), path, o)
	require.NoError(t, err)
	s := New(st, time.UTC)
	require.NoError(t, s.SetShelves(context.Background(), "boss", []syncproto.Shelf{{No: 1, Layers: 9, Capacity: 500}}))
	return st, s
}

// checkFaultStore reopens path and checks the database is whole and
// consistent: integrity, outbox, derived statuses, one op per parcel.
func checkFaultStore(t *testing.T, path string) faultCounts {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, path, store.Options{})
	require.NoError(t, err)
	defer st.Close()
	require.NoError(t, st.Check(ctx))
	require.NoError(t, New(st, time.UTC).VerifyDerived(ctx))
	c := countFaultRows(t, st)
	assert.Equal(t, c.Parcels, c.Events, "one inbound event per parcel")
	assert.Equal(t, c.Parcels+1, c.Ops, "one op per parcel, after the shelves op")
	assert.Equal(t, c.Parcels, c.Used, "slot loads")
	return c
}

func inboundFault(ctx context.Context, s *Station, n int) (InboundResult, error) {
	return s.Inbound(ctx, "li", InboundInput{Waybill: faultWaybill(n), ReceiverPhone: faultPhone(n)})
}

// mountTmpfs mounts a tmpfs of size at a new directory, unmounted when the
// test ends; it skips the test where mounting is not allowed.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput()
	if err != nil {
		requireOrSkipf(t, "disk-full test needs a small filesystem: mount tmpfs (uid %d): %v %s", os.Geteuid(), err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file until the filesystem has no room left and returns
// its path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	require.NoError(t, err)
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			require.ErrorIs(t, err, syscall.ENOSPC)
			return p
		}
	}
}

func TestFaultDiskFullDuringInbound(t *testing.T) {
	ctx := context.Background()
	dir := mountTmpfs(t, "2m")
	path := filepath.Join(dir, "station.db")
	st, s := openFaultStation(t, path, store.Options{})
	closed := false
	defer func() {
		if !closed {
			st.Close()
		}
	}()
	for n := range 10 {
		_, err := inboundFault(ctx, s, n)
		require.NoError(t, err)
	}

	filler := fill(t, dir)
	var (
		failed faultCounts
		err    error
		n      = 10
	)
	for ; n < 5000; n++ {
		failed = countFaultRows(t, st)
		if _, err = inboundFault(ctx, s, n); err != nil {
			break
		}
	}
	require.Error(t, err, "the disk never filled")
	t.Logf("disk full at parcel %d: %v", n, err)
	assert.Equal(t, CodeDiskFull, CodeOf(err))
	assert.ErrorIs(t, err, store.ErrDiskFull)
	assert.Equal(t, failed, countFaultRows(t, st), "the failed inbound left nothing behind")
	var found int
	require.NoError(t, st.DB().QueryRowContext(ctx, "SELECT count(*) FROM parcels WHERE waybill = ?", faultWaybill(n)).Scan(&found))
	assert.Zero(t, found)

	// Still full: the next scan fails the same way, and still leaves nothing.
	_, err = inboundFault(ctx, s, n)
	assert.Equal(t, CodeDiskFull, CodeOf(err), "%v", err)
	assert.Equal(t, failed, countFaultRows(t, st))

	// Room again: the same store takes the same parcel, as new.
	require.NoError(t, os.Remove(filler))
	res, err := inboundFault(ctx, s, n)
	require.NoError(t, err)
	assert.False(t, res.Repeat, "the parcel was not half-stored")
	require.NoError(t, st.Check(ctx))

	require.NoError(t, st.Close())
	closed = true
	c := checkFaultStore(t, path)
	assert.Equal(t, failed.Parcels+1, c.Parcels)
}

func TestFaultLockedDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "station.db")
	st, s := openFaultStation(t, path, store.Options{BusyTimeout: 100 * time.Millisecond})
	defer st.Close()
	_, err := inboundFault(ctx, s, 0)
	require.NoError(t, err)

	// Another process (a stuck tool, a second edge instance) holds the
	// write lock.
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	require.NoError(t, err)
	defer other.Close()
	conn, err := other.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "BEGIN IMMEDIATE")
	require.NoError(t, err)

	before := countFaultRows(t, st)
	_, err = inboundFault(ctx, s, 1)
	require.Error(t, err)
	assert.Equal(t, CodeDBLocked, CodeOf(err), "%v", err)
	assert.ErrorIs(t, err, store.ErrLocked)
	assert.Equal(t, before, countFaultRows(t, st), "a locked-out inbound changes nothing")

	items := s.InboundBatch(ctx, "li", []InboundInput{
		{Waybill: faultWaybill(2), ReceiverPhone: faultPhone(2)},
		{Waybill: faultWaybill(3), ReceiverPhone: faultPhone(3)},
	})
	for _, it := range items {
		assert.Equal(t, CodeDBLocked, it.Code, "batch item %s: %v", it.Waybill, it.Err)
		assert.Nil(t, it.Result)
	}
	assert.Equal(t, before, countFaultRows(t, st))

	// The lock is released: the same parcels go in.
	_, err = conn.ExecContext(ctx, "ROLLBACK")
	require.NoError(t, err)
	for n := 1; n <= 3; n++ {
		res, err := inboundFault(ctx, s, n)
		require.NoError(t, err)
		assert.False(t, res.Repeat)
	}
	require.NoError(t, st.Close())
	c := checkFaultStore(t, path)
	assert.Equal(t, 4, c.Parcels)
}

func TestFaultReadOnlyDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "station.db")
	st, s := openFaultStation(t, path, store.Options{})
	_, err := inboundFault(ctx, s, 0)
	require.NoError(t, err)
	require.NoError(t, st.Close())

	// An immutable file is read-only even for root, who ignores modes.
	if out, err := exec.Command("chattr", "+i", path).CombinedOutput(); err != nil {
		requireOrSkipf(t, "cannot make %s immutable: %v %s", path, err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", path).Run() })

	st, err = store.Open(ctx, path, store.Options{BusyTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Logf("open: %v", err)
		assert.Equal(t, CodeDBReadOnly, CodeOf(err), "%v", err)
		return
	}
	defer st.Close()
	s = New(st, time.UTC)
	before := countFaultRows(t, st)
	_, err = inboundFault(ctx, s, 1)
	require.Error(t, err)
	assert.Equal(t, CodeDBReadOnly, CodeOf(err), "%v", err)
	assert.True(t, errors.Is(err, store.ErrReadOnly))
	assert.Equal(t, before, countFaultRows(t, st))
	// Reading still works.
	shelves, err := s.Shelves(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, shelves)
	assert.Equal(t, 1, shelves[0].Used)
}
