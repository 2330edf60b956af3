package syncer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"cunyou/edge/store"
	"cunyou/syncproto"
)

// HubError is an error answer of the hub: its HTTP status, its error body
// and how long it asked to wait.
type HubError struct {
	Status     int
	Body       syncproto.ErrorBody
	RetryAfter time.Duration
	// UploadOffset is the offset a blob answer named, if any.
	UploadOffset *int64
}

func (e *HubError) Error() string {
	return fmt.Sprintf("hub answered %d %s: %s", e.Status, e.Body.Code, e.Body.Message)
}

// Unwrap exposes the protocol error, so syncproto.CodeOf sees its code.
func (e *HubError) Unwrap() error { return e.Body.Err() }

// Error codes of the sync loop as status, logs and metrics show them: the
// names of syncproto's codes for what the hub answered, and these for what
// went wrong on this side of the wire.
const (
	CodeNetwork     = "network"      // no connection to the hub, or it broke
	CodeTimeout     = "timeout"      // a call ran past its deadline
	CodeLocal       = "local"        // this node's database or files failed
	CodeWatchdog    = "watchdog"     // nothing was acknowledged for too long: the loop was restarted
	CodePruned      = "pruned"       // the hub lost ops this node no longer keeps
	CodeNotEnrolled = "not_enrolled" // the node has no hub credentials
	CodeDiverged    = "diverged"     // the hub holds ops of this incarnation never issued here
)

var (
	// ErrNotEnrolled: the node has not been enrolled with a hub.
	ErrNotEnrolled = errors.New("syncer: not enrolled with a hub; run cunyou-edge enroll")
	// errWatchdog: the watchdog restarted the loop.
	errWatchdog = errors.New("syncer: nothing acknowledged for too long; loop restarted")
)

// prunedError: the hub's cursor is behind ops already pruned here.
type prunedError struct {
	incarnation string
	cursor      uint64
	firstKept   uint64
}

func (e *prunedError) Error() string {
	return fmt.Sprintf("hub holds incarnation %s up to seq %d, but this station keeps ops only from seq %d: ops %d-%d are lost",
		e.incarnation, e.cursor, e.firstKept, e.cursor+1, e.firstKept-1)
}

// divergedError: the hub holds more of the current incarnation than this
// node issued.
type divergedError struct {
	incarnation string
	hub, issued uint64
}

func (e *divergedError) Error() string {
	return fmt.Sprintf("hub holds incarnation %s up to seq %d, but this node issued only %d: another copy of this database is syncing",
		e.incarnation, e.hub, e.issued)
}

// localError marks a failure of this node's own storage.
type localError struct{ err error }

func (e *localError) Error() string { return e.err.Error() }
func (e *localError) Unwrap() error { return e.err }

func local(err error) error {
	if err == nil {
		return nil
	}
	return &localError{err}
}

// CodeOf returns the stable code of a sync error.
func CodeOf(err error) string {
	var (
		he *HubError
		pe *prunedError
		de *divergedError
		le *localError
		ne net.Error
		pr *syncproto.Error
	)
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNotEnrolled):
		return CodeNotEnrolled
	case errors.Is(err, errWatchdog):
		return CodeWatchdog
	case errors.As(err, &pe):
		return CodePruned
	case errors.As(err, &de):
		return CodeDiverged
	case errors.As(err, &he):
		return he.Body.Code.String()
	case errors.As(err, &le):
		if errors.Is(err, context.DeadlineExceeded) {
			return CodeTimeout
		}
		return CodeLocal
	case errors.Is(err, context.DeadlineExceeded):
		return CodeTimeout
	case errors.As(err, &ne) && ne.Timeout():
		return CodeTimeout
	case errors.As(err, &pr):
		return pr.Code.String()
	case errors.Is(err, store.ErrDiskFull), errors.Is(err, store.ErrCorrupt), errors.Is(err, store.ErrIO),
		errors.Is(err, store.ErrReadOnly), errors.Is(err, store.ErrLocked):
		return CodeLocal
	}
	return CodeNetwork
}

// retryAfter is how long the hub asked to wait before the next try.
func retryAfter(err error) time.Duration {
	var he *HubError
	if errors.As(err, &he) {
		return he.RetryAfter
	}
	return 0
}

// advice says, in Chinese, what a sync error means for the station and
// what to do about it.
var advice = map[string]string{
	CodeNetwork:                               "连不上县中心服务器：检查网络（4G 路由器、网线）；数据都保存在本机，联网后会自动补传。",
	CodeTimeout:                               "网络太慢或中断，连接超时：会自动重试并减小每批数量；长时间如此请检查信号。",
	CodeLocal:                                 "本机数据库或磁盘出错：运行 cunyou-edge check，并联系技术员。",
	CodeWatchdog:                              "同步长时间没有进展，已自动重启同步；如反复出现请联系技术员。",
	CodePruned:                                "县中心丢失了本站已清理的旧记录，无法自动补传：请联系县中心技术员。",
	CodeNotEnrolled:                           "本站还没有在县中心注册：运行 cunyou-edge enroll --hub 地址 --code 注册码。",
	syncproto.CodeUnauthorized.String():       "县中心不认本站的凭证：请向县中心要新的注册码，重新运行 cunyou-edge enroll。",
	syncproto.CodeBusy.String():               "县中心繁忙，按它要求的时间稍后自动重试，无需处理。",
	syncproto.CodeGap.String():                "与县中心的同步位置不一致，已按县中心的位置自动续传，无需处理。",
	syncproto.CodeClockSkew.String():          "本机时钟与县中心相差太大：请校准电脑的日期和时间。",
	syncproto.CodeUnsupportedVersion.String(): "本机程序版本与县中心不兼容：请升级 cunyou-edge。",
	syncproto.CodeWrongNode.String():          "县中心认为这些记录不属于本站：请联系技术员检查注册信息。",
	syncproto.CodeTooLarge.String():           "一批数据太大被县中心拒绝，已自动减小批量重试。",
	syncproto.CodeBadBatch.String():           "数据在传输中损坏，已自动重试；如反复出现请检查网络设备。",
}

// Advice returns the Chinese sentence for a sync error code.
func Advice(code string) string {
	if a, ok := advice[code]; ok {
		return a
	}
	return "同步出错，会自动重试；如长时间没有恢复请联系技术员。"
}
