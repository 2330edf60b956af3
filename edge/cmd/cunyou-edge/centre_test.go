package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRunDemoCentre(t *testing.T) {
	clearEnv(t)
	dir := filepath.Join(t.TempDir(), "centre")
	out := mustRun(t, "demo", "--data", dir, "--kind", "centre")
	assert.Equal(t, "demo centre CENTRE ready at "+filepath.Join(dir, "edge.db")+"\n", out)
	assert.Contains(t, mustRun(t, "demo", "--data", dir), "demo centre CENTRE already set up", "the database's kind decides")

	out = mustRun(t, "check", "--data", dir)
	assert.True(t, strings.HasPrefix(out, "ok: centre CENTRE incarnation "), out)
}
