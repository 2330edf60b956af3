package scanner

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.bug.st/serial"
)

func TestMessages(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range Messages() {
		assert.Regexp(t, `^scanner\.[a-z_]+$`, m.Code)
		assert.False(t, seen[m.Code], "%s twice", m.Code)
		seen[m.Code] = true
		assert.NotEmpty(t, m.ZH, m.Code)
		assert.NotEmpty(t, m.EN, m.Code)
	}
	for _, tc := range []struct {
		err  error
		code string
	}{
		{nil, ""},
		{fmt.Errorf("open x: %w: gone", ErrNotFound), CodeNotFound},
		{fmt.Errorf("read: %w", ErrLost), CodeLost},
		{errors.New("something else"), CodeFailure},
	} {
		assert.Equal(t, tc.code, CodeOf(tc.err), "%v", tc.err)
	}
	assert.Equal(t, "找不到扫码枪，请检查扫码枪的连接线是否插好。", MessageOf(ErrNotFound).ZH)
}

// The serial library's PortError has no Unwrap: its code is read at the
// adapter and turned into ours.
func TestPortError(t *testing.T) {
	for _, tc := range []struct {
		code serial.PortErrorCode
		want error
	}{
		{serial.PortNotFound, ErrNotFound},
		{serial.PortBusy, ErrBusy},
		{serial.PermissionDenied, ErrPermission},
		{serial.PortClosed, ErrLost},
		{serial.InvalidSerialPort, ErrPort},
		{serial.InvalidSpeed, ErrPort},
	} {
		assert.ErrorIs(t, kindOf(tc.code), tc.want, "%v", tc.code)
	}
	assert.ErrorIs(t, portError("open", "/dev/ttyACM0", fs.ErrNotExist), ErrNotFound)
	assert.ErrorIs(t, portError("open", "/dev/ttyACM0", fs.ErrPermission), ErrPermission)
	err := portError("open", "/dev/ttyACM0", &serial.PortError{}) // its zero code is PortBusy
	assert.ErrorIs(t, err, ErrBusy)
	assert.Equal(t, "open /dev/ttyACM0: scanner port busy: Serial port busy", err.Error())
	assert.ErrorIs(t, portError("open", "COM9", errors.New("odd")), ErrPort)
}
