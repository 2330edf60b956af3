package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	var out, errb bytes.Buffer
	require.NoError(t, run([]string{"version"}, &out, &errb))
	assert.Contains(t, out.String(), "envelope 1")
	assert.Error(t, run([]string{"nope"}, &out, &errb))
	assert.Error(t, run(nil, &out, &errb))
}
