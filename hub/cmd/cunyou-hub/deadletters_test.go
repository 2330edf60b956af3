package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/syncproto"
)

func TestDeadLettersRetryAndDiscard(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	enrollDirect(t, dir, "ST-A")
	ops := sealedOps("ST-A", "inc1", 1, 3)
	ops[1] = syncproto.Op{Node: "ST-A", Incarnation: "inc1", Seq: 2, HLC: ops[1].HLC, Actor: "clerk", Kind: syncproto.KindParcelProblem,
		Payload: []byte(`{"waybill":"W","reason":"eaten"}`)}
	ops[1].Seal()
	var buf bytes.Buffer
	require.NoError(t, syncproto.WriteOps(&buf, "ST-A", "inc1", ops, time.Now().UnixMilli()))
	bundle := filepath.Join(dir, "b.cysb")
	require.NoError(t, os.WriteFile(bundle, buf.Bytes(), 0o600))
	mustRun(t, "sync", "import", "--data", dir, bundle)

	r := run("deadletters", "retry", "--data", dir, "--station", "ST-A", "--incarnation", "inc1", "--seq", "2")
	assert.ErrorContains(t, r.err, "give --note")
	out := mustRun(t, "deadletters", "retry", "--data", dir, "--station", "ST-A", "--incarnation", "inc1", "--seq", "2", "--note", "after the upgrade")
	assert.Contains(t, out, `dead letter ST-A/inc1/2 still refused: bad_payload: problem W: reason "eaten"`)
	assert.Regexp(t, `ST-A\s+inc1\s+2\s+parcel.problem\s+bad_payload\s+.*\s+open\s+1\s+-\s+-`, mustRun(t, "deadletters", "--data", dir))

	out = mustRun(t, "deadletters", "discard", "--data", dir, "--station", "ST-A", "--incarnation", "inc1", "--seq", "2", "--note", "an old edge's reason code")
	assert.Contains(t, out, "dead letter ST-A/inc1/2 discarded")
	assert.Contains(t, mustRun(t, "deadletters", "list", "--data", dir), "no dead letters")
	assert.Regexp(t, `\s+discarded\s+1\s+cli:\S+\s+an old edge's reason code`, mustRun(t, "deadletters", "list", "--all", "--data", dir))

	r = run("deadletters", "retry", "--data", dir, "--station", "ST-A", "--incarnation", "inc1", "--seq", "2", "--note", "again")
	assert.ErrorContains(t, r.err, "already resolved")
	r = run("deadletters", "discard", "--data", dir, "--station", "ST-A", "--incarnation", "inc1", "--seq", "9", "--note", "x")
	assert.ErrorContains(t, r.err, "not found")
	assert.Contains(t, mustRun(t, "audit", "list", "--data", dir, "--action", "deadletter."), "deadletter.discard")
}
