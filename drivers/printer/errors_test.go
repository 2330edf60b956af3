package printer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.bug.st/serial"
)

// Every code says in Chinese and in English what to do.
func TestCodeSentences(t *testing.T) {
	sentinels := []*Error{ErrHeadOpen, ErrPaperOut, ErrPaperJam, ErrRibbonOut, ErrCoverOpen, ErrOverTemp, ErrPaused, ErrOffline,
		ErrFault, ErrNoReply, ErrProtocol, ErrNotFound, ErrBusy, ErrPermission, ErrTimeout, ErrDisconnected, ErrClosed, ErrBadLabel}
	require.Len(t, codes, len(sentinels), "one sentinel a code")
	seen := map[string]Code{}
	for _, s := range sentinels {
		c := s.Code
		_, ok := codes[c]
		require.True(t, ok, "%s in the table", c)
		assert.True(t, strings.HasPrefix(string(c), "printer."), c)
		zh := c.Chinese()
		han := 0
		for _, r := range zh {
			if unicode.Is(unicode.Han, r) {
				han++
			}
		}
		assert.Greater(t, han, 5, "%s: a Chinese sentence", c)
		assert.True(t, strings.Contains(zh, "请"), "%s: %q says what to do", c, zh)
		assert.NotEmpty(t, c.English(), c)
		assert.NotContains(t, seen, zh, "%s repeats %s's sentence", c, seen[zh])
		seen[zh] = c
	}
	assert.NotEmpty(t, Code("printer.unknown").Chinese())
	assert.True(t, Code("printer.unknown").Retryable())
}

func TestErrorIs(t *testing.T) {
	err := fmt.Errorf("print job 7: %w", &Error{Code: CodePaperOut, Op: "status before print", Status: &Status{PaperOut: true}})
	assert.ErrorIs(t, err, ErrPaperOut)
	assert.NotErrorIs(t, err, ErrHeadOpen)
	assert.Equal(t, CodePaperOut, CodeOf(err))
	assert.True(t, Retryable(err))
	assert.Equal(t, "print job 7: status before print: printer.paper_out", err.Error())

	bad := &Error{Code: CodeBadLabel, Op: "check label", Err: errors.New("size 0×0 mm out of range")}
	assert.False(t, Retryable(bad))
	assert.ErrorIs(t, bad, ErrBadLabel)
	assert.Equal(t, Code(""), CodeOf(errors.New("other")))
	assert.False(t, Retryable(nil))
}

// The serial library's errors (its PortError has no Unwrap) become ours.
func TestSerialErrors(t *testing.T) {
	notTTY := filepath.Join(t.TempDir(), "plain-file")
	require.NoError(t, os.WriteFile(notTTY, nil, 0o600))
	_, errNotTTY := serial.Open(notTTY, &serial.Mode{BaudRate: 9600})
	require.Error(t, errNotTTY)
	_, errMissing := serial.Open("/dev/cunyou-no-such-printer", &serial.Mode{BaudRate: 9600})
	require.Error(t, errMissing)

	for _, tt := range []struct {
		name string
		err  error
		want Code
	}{
		{"missing device", errMissing, CodeNotFound},
		{"not a terminal", errNotTTY, CodeNotFound},
		{"busy (PortBusy)", &serial.PortError{}, CodeBusy},
		{"busy (EBUSY)", syscall.EBUSY, CodeBusy},
		{"permission", fmt.Errorf("open: %w", fs.ErrPermission), CodePermission},
		{"timeout", os.ErrDeadlineExceeded, CodeTimeout},
		{"unplugged", syscall.EIO, CodeDisconnected},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := serialError("open /dev/ttyUSB0", tt.err)
			assert.Equal(t, tt.want, e.Code)
			assert.True(t, Retryable(e))
			var pe *serial.PortError
			assert.False(t, errors.As(e, &pe), "the library's type stays inside the adapter")
		})
	}
}

func TestNetErrors(t *testing.T) {
	assert.Equal(t, CodeNotFound, netError("connect 127.0.0.1:9", syscall.ECONNREFUSED).Code)
	assert.Equal(t, CodeNotFound, netError("connect 10.0.0.1:9100", os.ErrDeadlineExceeded).Code)
	assert.Equal(t, CodeTimeout, netError("write", os.ErrDeadlineExceeded).Code)
	assert.Equal(t, CodeDisconnected, netError("write", syscall.EPIPE).Code)
}
