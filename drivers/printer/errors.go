package printer

import (
	"errors"
	"fmt"
)

// Code is an error's stable name, the same at every boundary (the edge's
// API, the print queue's records, logs).
type Code string

// The codes of the printer's errors.
const (
	// The printer's own states, from its status reply.
	CodeHeadOpen  Code = "printer.head_open"
	CodePaperOut  Code = "printer.paper_out"
	CodePaperJam  Code = "printer.paper_jam"
	CodeRibbonOut Code = "printer.ribbon_out"
	CodeCoverOpen Code = "printer.cover_open"
	CodeOverTemp  Code = "printer.over_temp"
	CodePaused    Code = "printer.paused"
	CodeOffline   Code = "printer.offline"
	CodeFault     Code = "printer.fault"
	// No status reply in time: a ZPL printer keeps silent in an error
	// state (PROTOCOLS §3.3), any printer does when off.
	CodeNoReply Code = "printer.no_reply"
	// A reply that is no status of the configured language.
	CodeProtocol Code = "printer.protocol"

	// The connection.
	CodeNotFound     Code = "printer.not_found"
	CodeBusy         Code = "printer.busy"
	CodePermission   Code = "printer.permission"
	CodeTimeout      Code = "printer.timeout"
	CodeDisconnected Code = "printer.disconnected"
	CodeClosed       Code = "printer.closed"

	// The label cannot be printed as it is.
	CodeBadLabel Code = "printer.bad_label"
)

// codeInfo is what an operator reads for a code, in Chinese and English,
// and whether sending the same label again later can succeed.
type codeInfo struct {
	zh, en string
	retry  bool
}

// codes is the one table of the printer's errors. Every sentence says
// what to do.
var codes = map[Code]codeInfo{
	CodeHeadOpen:     {"打印头没有合上：请把打印头（上盖）压紧合好，再重新打印。", "The print head is open: close it firmly, then print again.", true},
	CodePaperOut:     {"打印机缺纸：请装上新的标签纸，再重新打印。", "The printer is out of labels: load a new roll, then print again.", true},
	CodePaperJam:     {"打印机卡纸：请打开上盖取出卡住的标签，合好后再重新打印。", "Labels are jammed: open the cover, clear the jam, close it and print again.", true},
	CodeRibbonOut:    {"碳带用完了：请换上新的碳带，再重新打印。", "The ribbon has run out: fit a new ribbon, then print again.", true},
	CodeCoverOpen:    {"打印机上盖开着：请关好上盖，再重新打印。", "The printer's cover is open: close it, then print again.", true},
	CodeOverTemp:     {"打印机过热：请停几分钟让它降温，再重新打印。", "The printer is too hot: let it cool for a few minutes, then print again.", true},
	CodePaused:       {"打印机处于暂停状态：请按一下打印机上的暂停键（或进纸键）恢复，再重新打印。", "The printer is paused: press its pause (or feed) button, then print again.", true},
	CodeOffline:      {"打印机脱机：请检查打印机是否开机、指示灯是否正常，再重新打印。", "The printer is offline: check that it is on and its light is normal, then print again.", true},
	CodeFault:        {"打印机报告故障：请关掉打印机电源再打开，然后重新打印；仍不行请联系技术员。", "The printer reports a fault: switch it off and on, then print again; call a technician if it persists.", true},
	CodeNoReply:      {"打印机没有应答：请检查打印机是否开机、是否缺纸或开盖，然后重新打印。", "The printer does not answer: check that it is on, has labels and is closed, then print again.", true},
	CodeProtocol:     {"打印机的应答看不懂：请联系技术员核对打印机的指令语言（TSPL/ZPL/ESC/POS）设置。", "The printer's answer makes no sense: ask a technician to check its command language (TSPL/ZPL/ESC/POS).", true},
	CodeNotFound:     {"找不到打印机：请检查打印机是否开机，数据线或网线是否插好，再重新打印。", "The printer cannot be found: check that it is on and its cable is plugged in, then print again.", true},
	CodeBusy:         {"打印机端口被别的程序占用：请关闭其他打印软件，再重新打印。", "The printer's port is in use by another program: close other printing software, then print again.", true},
	CodePermission:   {"没有权限使用打印机端口：请联系技术员设置权限。", "No permission to use the printer's port: ask a technician to set the permissions.", true},
	CodeTimeout:      {"和打印机通信超时：请检查数据线或网络，再重新打印。", "The printer took too long: check its cable or network, then print again.", true},
	CodeDisconnected: {"和打印机的连接断了：请检查数据线或网线，再重新打印。", "The connection to the printer broke: check its cable, then print again.", true},
	CodeClosed:       {"打印机已关闭：请重新启动本程序。", "The printer was closed: restart this program.", false},
	CodeBadLabel:     {"标签内容有误，无法打印：请联系技术员。", "The label cannot be printed as it is: call a technician.", false},
}

// Chinese is the operator's sentence for the code, in Simplified
// Chinese.
func (c Code) Chinese() string {
	if i, ok := codes[c]; ok {
		return i.zh
	}
	return "打印出错：请检查打印机后重新打印；仍不行请联系技术员。"
}

// English is the operator's sentence for the code, in English.
func (c Code) English() string {
	if i, ok := codes[c]; ok {
		return i.en
	}
	return "Printing failed: check the printer and print again; call a technician if it persists."
}

// Retryable tells whether the same label may print if sent again once an
// operator has seen to the printer (or the device came back). Only a bad
// label and a closed Printer are final.
func (c Code) Retryable() bool {
	if i, ok := codes[c]; ok {
		return i.retry
	}
	return true
}

// Error is every error of the package's operations: a code from the
// table, what was being done, and the cause.
type Error struct {
	Code Code
	// Op is what failed: "open /dev/usb/lp0", "status before print",
	// "status after print", "write" …
	Op string
	// Status is the printer's status when the error comes from it.
	Status *Status
	// Err is the cause, when there is one.
	Err error
}

func (e *Error) Error() string {
	msg := string(e.Code)
	if e.Op != "" {
		msg = e.Op + ": " + msg
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches the sentinel of the error's code, so that errors.Is(err,
// ErrPaperOut) holds for every paper-out error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Op == "" && t.Err == nil && t.Status == nil && t.Code == e.Code
}

// The sentinels, one a code, for errors.Is.
var (
	ErrHeadOpen     = &Error{Code: CodeHeadOpen}
	ErrPaperOut     = &Error{Code: CodePaperOut}
	ErrPaperJam     = &Error{Code: CodePaperJam}
	ErrRibbonOut    = &Error{Code: CodeRibbonOut}
	ErrCoverOpen    = &Error{Code: CodeCoverOpen}
	ErrOverTemp     = &Error{Code: CodeOverTemp}
	ErrPaused       = &Error{Code: CodePaused}
	ErrOffline      = &Error{Code: CodeOffline}
	ErrFault        = &Error{Code: CodeFault}
	ErrNoReply      = &Error{Code: CodeNoReply}
	ErrProtocol     = &Error{Code: CodeProtocol}
	ErrNotFound     = &Error{Code: CodeNotFound}
	ErrBusy         = &Error{Code: CodeBusy}
	ErrPermission   = &Error{Code: CodePermission}
	ErrTimeout      = &Error{Code: CodeTimeout}
	ErrDisconnected = &Error{Code: CodeDisconnected}
	ErrClosed       = &Error{Code: CodeClosed}
	ErrBadLabel     = &Error{Code: CodeBadLabel}
)

// ErrNoStatus says that a connection carries no replies (a spool file, a
// shared Windows printer, a USB printer without a back channel): Status
// cannot ask, and Print sends without asking.
var ErrNoStatus = errors.New("printer: the connection carries no status replies")

// CodeOf is the code of err: its *Error's, or "" for nil and for errors
// of other packages (a cancelled context).
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Retryable tells whether a failed print may succeed when tried again
// later: true for the printer's states and the connection's errors,
// false for a bad label and a closed Printer.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code.Retryable()
	}
	return true
}

func errorf(code Code, op string, format string, args ...any) *Error {
	return &Error{Code: code, Op: op, Err: fmt.Errorf(format, args...)}
}
