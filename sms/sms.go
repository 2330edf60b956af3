// Package sms is the one contract every SMS gateway of cunyou keeps: the
// cloud providers (Aliyun, Tencent Cloud), an SMSC over SMPP 3.4 and a
// GSM/LTE modem on a station's serial port. The hub's notifier and the
// edge's modem fallback send through it; the conformance suite in
// sms/smstest runs the same checks against every gateway. It also counts
// message length the way the operators bill it.
package sms

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Message is one notice to one phone.
type Message struct {
	// ID is ours, unique per message and stable across retries: gateways
	// pass it where the provider echoes it back (Aliyun OutId, Tencent
	// SessionContext, SMPP and modem keep it themselves) so a receipt
	// finds its message.
	ID string
	// Phone is an 11-digit mainland mobile number (no +86).
	Phone string
	// Sign is the approved signature without brackets, e.g. 望奎村邮.
	Sign string
	// Template is the provider's approved template id (cloud gateways)
	// and Params its variables, in the template's order.
	Template string
	Params   []Param
	// Text is the whole message as the receiver reads it, signature
	// included (【望奎村邮】您的包裹…): SMPP and the modem send it as is;
	// the clouds render it from Template and Params themselves.
	Text string
}

// Param is a template variable.
type Param struct{ Name, Value string }

// Sent is a gateway's answer to Send.
type Sent struct {
	// ProviderID identifies the message at the provider (Aliyun BizId,
	// Tencent SerialNo, SMPP message_id of the last part, modem
	// reference); receipts name it.
	ProviderID string
	// Parts is how many billed messages it took.
	Parts int
}

// Status of a delivery receipt.
type Status string

const (
	Delivered Status = "delivered" // the handset has it
	Failed    Status = "failed"    // the network gave up (bad number, handset off too long, blocked)
	Expired   Status = "expired"   // validity period passed
	Unknown   Status = "unknown"   // the provider does not know
)

// Receipt is a delivery report.
type Receipt struct {
	ProviderID string
	MessageID  string // Message.ID when the provider echoes it, else ""
	Phone      string
	Status     Status
	Code       string // the provider's own status code, e.g. DELIVRD, UNDELIV, isv.MOBILE_NUMBER_ILLEGAL
	At         time.Time
}

// Gateway sends SMS. Implementations are safe for concurrent use.
type Gateway interface {
	// Name identifies the gateway in logs and metrics ("aliyun", "smpp:…").
	Name() string
	// Send submits m and returns once the provider accepted it. Its errors
	// are *Error values telling the caller whether to retry.
	Send(ctx context.Context, m Message) (Sent, error)
	// Receipts returns delivery reports that arrived since the last call
	// (pushed by the provider or polled for), at most limit.
	Receipts(ctx context.Context, limit int) ([]Receipt, error)
	// Close releases connections.
	Close() error
}

// Finder is a gateway that can say whether its provider accepted a
// message, by the message's ID, when the sender lost the answer: a crash
// between the submission and recording it. The notifier asks before
// sending such a message again, so the receiver does not get it twice.
// Find looks at the messages to m.Phone since since; found reports
// whether m.ID was among them, with what the provider knows of it.
// Gateways whose provider cannot be asked (SMPP, a modem) are not
// Finders: after a crash mid-send their message goes again, and may
// arrive twice.
type Finder interface {
	Find(ctx context.Context, m Message, since time.Time) (s Sent, found bool, err error)
}

// Kind says what to do about a failed send.
type Kind int

const (
	// Temporary: try again later, the same or another gateway (network
	// down, provider busy, timeout).
	Temporary Kind = iota
	// Throttled: the provider's rate limit; wait RetryAfter (per number
	// limits: this number; otherwise the gateway).
	Throttled
	// Permanent: this message can never go (bad number, unapproved
	// template or signature, blocked content); do not retry it anywhere.
	Permanent
	// Misconfigured: the gateway itself is wrong (credentials, account
	// out of money, unknown template): fail over to another gateway and
	// alert a person.
	Misconfigured
)

func (k Kind) String() string {
	switch k {
	case Temporary:
		return "temporary"
	case Throttled:
		return "throttled"
	case Permanent:
		return "permanent"
	case Misconfigured:
		return "misconfigured"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is a gateway's failure.
type Error struct {
	Kind       Kind
	Code       string        // the provider's code, e.g. isv.BUSINESS_LIMIT_CONTROL, SMPP 0x58
	Msg        string        // what happened, in English, without the phone number
	RetryAfter time.Duration // for Throttled and Temporary, when known
}

func (e *Error) Error() string {
	s := "sms: " + e.Kind.String()
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}

// KindOf returns the kind of err: an *Error's, Temporary for others (a
// network error, a timeout).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Temporary
}

// Length limits as the operators count them: every character (Chinese,
// letter, digit, punctuation, the signature's brackets) is one; up to
// SingleLen is one message, longer ones are split into parts of PartLen.
const (
	SingleLen = 70
	PartLen   = 67
	MaxLen    = 500 // the clouds refuse longer content
)

// Count returns a text's length in characters and how many billed
// messages it makes.
func Count(text string) (chars, parts int) {
	chars = utf8.RuneCountInString(text)
	switch {
	case chars == 0:
		return 0, 0
	case chars <= SingleLen:
		return chars, 1
	}
	return chars, (chars + PartLen - 1) / PartLen
}

var phoneRe = regexp.MustCompile(`^1[3-9]\d{9}$`)

// ValidPhone reports whether p is an 11-digit mainland mobile number.
func ValidPhone(p string) bool { return phoneRe.MatchString(p) }

// Mask shows a phone number as 138****5678, for logs.
func Mask(p string) string {
	if len(p) < 11 {
		return "***"
	}
	return p[:3] + "****" + p[len(p)-4:]
}

// Check validates a message before it is sent.
func (m Message) Check() error {
	switch {
	case m.ID == "":
		return &Error{Kind: Permanent, Msg: "message without an id"}
	case !ValidPhone(m.Phone):
		return &Error{Kind: Permanent, Code: "bad_phone", Msg: "not an 11-digit mainland mobile number: " + Mask(m.Phone)}
	case m.Text == "" && m.Template == "":
		return &Error{Kind: Permanent, Msg: "message without text or template"}
	case utf8.RuneCountInString(m.Text) > MaxLen:
		return &Error{Kind: Permanent, Code: "too_long", Msg: fmt.Sprintf("%d characters (at most %d)", utf8.RuneCountInString(m.Text), MaxLen)}
	}
	return nil
}

// Reply is a message a receiver sent back (mobile-originated).
type Reply struct {
	Phone string // 11-digit mainland mobile
	Text  string
	At    time.Time
}

// Inbox is a gateway that also receives replies (SMPP's deliver_sm, a
// modem's incoming SMS). Replies returns those that arrived since the
// last call, at most limit.
type Inbox interface {
	Replies(ctx context.Context, limit int) ([]Reply, error)
}

// IsOptOut reports whether a reply asks for no more messages: TD, T, N,
// 退订 or 取消 (the operators' convention), in any case and with spaces
// or punctuation around.
func IsOptOut(text string) bool {
	t := strings.ToUpper(strings.Trim(strings.TrimSpace(text), "。.!！ "))
	switch t {
	case "TD", "T", "N", "退订", "取消", "退订短信":
		return true
	}
	return false
}

var quietRe = regexp.MustCompile(`^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$`)

// QuietUntil reports whether now falls in quiet hours given as
// HH:MM-HH:MM (which may run past midnight, 21:00-08:00), and when they
// end. Malformed hours are never quiet.
func QuietUntil(now time.Time, quiet string) (time.Time, bool) {
	m := quietRe.FindStringSubmatch(quiet)
	if m == nil {
		return now, false
	}
	at := func(day time.Time, hh, mm string) time.Time {
		h, _ := strconv.Atoi(hh)
		mi, _ := strconv.Atoi(mm)
		return time.Date(day.Year(), day.Month(), day.Day(), h, mi, 0, 0, now.Location())
	}
	start, end := at(now, m[1], m[2]), at(now, m[3], m[4])
	if !start.Before(end) { // across midnight: 21:00-08:00
		if now.Before(end) {
			return end, true
		}
		if !now.Before(start) {
			return end.AddDate(0, 0, 1), true
		}
		return now, false
	}
	if !now.Before(start) && now.Before(end) {
		return end, true
	}
	return now, false
}

// JoinCodes lists pickup codes for one message: the first five and a
// count of the rest, so the message stays short.
func JoinCodes(codes []string) string {
	if len(codes) <= 5 {
		return strings.Join(codes, "、")
	}
	return strings.Join(codes[:5], "、") + fmt.Sprintf("等%d个", len(codes))
}
