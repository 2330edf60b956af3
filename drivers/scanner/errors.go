package scanner

import (
	"errors"
	"fmt"
	"io/fs"

	"go.bug.st/serial"

	"cunyou/drivers"
	"cunyou/drivers/pty"
)

// Errors of the scanner. Events and Run wrap them; CodeOf and MessageOf
// turn any of them into a stable code and the operator's sentence.
var (
	ErrNotFound     = errors.New("scanner port not found")
	ErrBusy         = errors.New("scanner port busy")
	ErrPermission   = errors.New("no permission to open the scanner port")
	ErrPort         = errors.New("scanner port unusable")
	ErrLost         = errors.New("scanner port lost")
	ErrTooLong      = errors.New("scan too long without a suffix")
	ErrNotPrintable = errors.New("scanned code not printable")
	ErrHIDReport    = errors.New("malformed HID-POS report")
	ErrConfig       = errors.New("invalid scanner configuration")
	ErrNoPTY        = pty.ErrNoPTY
)

// Stable error codes, as logs, status pages and the message table key them.
const (
	CodeNotFound     = "scanner.not_found"
	CodeBusy         = "scanner.busy"
	CodePermission   = "scanner.permission"
	CodePort         = "scanner.port"
	CodeLost         = "scanner.lost"
	CodeTooLong      = "scanner.too_long"
	CodeNotPrintable = "scanner.not_printable"
	CodeHIDReport    = "scanner.hid_report"
	CodeConfig       = "scanner.config"
	CodeFailure      = "scanner.failure"
)

// Message is what an operator reads about an error: its stable code and a
// sentence in Simplified Chinese (the default) and in English.
type Message = drivers.Message

// messages is the one table of the package's errors, in the order a
// person would look for them. The last row is the fallback.
var messages = drivers.MessageTable{
	drivers.Row(ErrNotFound, CodeNotFound, "找不到扫码枪，请检查扫码枪的连接线是否插好。", "Scan gun not found: check that its cable is plugged in."),
	drivers.Row(ErrBusy, CodeBusy, "扫码枪正被其他程序占用，请关闭其他程序后重试。", "The scan gun is in use by another program: close that program and try again."),
	drivers.Row(ErrPermission, CodePermission, "没有权限打开扫码枪，请联系管理员。", "No permission to open the scan gun: ask the administrator."),
	drivers.Row(ErrPort, CodePort, "扫码枪端口无法使用，请检查设置中的端口和波特率。", "The scan gun's port cannot be used: check the port and baud rate in the settings."),
	drivers.Row(ErrLost, CodeLost, "扫码枪已断开，正在重新连接，请检查连接线。", "The scan gun was disconnected; reconnecting. Check its cable."),
	drivers.Row(ErrTooLong, CodeTooLong, "扫码数据过长或缺少结束符，请重新扫码；反复出现时请检查扫码枪的后缀设置。", "The scan was too long or had no end mark: scan again; if it keeps happening, check the scan gun's suffix setting."),
	drivers.Row(ErrNotPrintable, CodeNotPrintable, "条码内容无法识别，请重新扫码。", "The code could not be read: scan it again."),
	drivers.Row(ErrHIDReport, CodeHIDReport, "扫码枪发来的数据格式不对，请重新扫码或检查扫码枪的工作模式。", "The scan gun sent data in an unknown format: scan again or check the scan gun's mode."),
	drivers.Row(ErrConfig, CodeConfig, "扫码枪设置有误，请检查设置。", "The scan gun's settings are wrong: check them."),
	drivers.Row(nil, CodeFailure, "扫码枪出现故障，请拔下扫码枪再重新插上。", "The scan gun failed: unplug it and plug it in again."),
}

// CodeOf returns the stable code of err; "" for nil.
func CodeOf(err error) string { return messages.CodeOf(err) }

// MessageOf returns the code and the operator's sentences for err.
func MessageOf(err error) Message { return messages.MessageOf(err) }

// Messages lists every code with its sentences, for a host's message table.
func Messages() []Message { return messages.Messages() }

// portError translates an error of go.bug.st/serial, whose PortError has
// no Unwrap, into one of ours; what an open of a missing device returns
// raw (ENOENT) counts as not found.
func portError(op, port string, err error) error {
	kind := ErrPort
	var pe *serial.PortError
	switch {
	case errors.As(err, &pe):
		kind = kindOf(pe.Code())
	case errors.Is(err, fs.ErrNotExist):
		kind = ErrNotFound
	case errors.Is(err, fs.ErrPermission):
		kind = ErrPermission
	}
	return fmt.Errorf("%s %s: %w: %v", op, port, kind, err)
}

// kindOf sorts the serial library's error codes.
func kindOf(code serial.PortErrorCode) error {
	switch code {
	case serial.PortNotFound:
		return ErrNotFound
	case serial.PortBusy:
		return ErrBusy
	case serial.PermissionDenied:
		return ErrPermission
	case serial.PortClosed:
		return ErrLost
	}
	return ErrPort
}
