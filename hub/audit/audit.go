// Package audit is the hub's audit log (DESIGN §6): every change and
// every sensitive read, who did it, what, to what, when, from where and
// with what result. The log is append-only (the store's triggers refuse
// UPDATE and DELETE) and hash-chained: each row keeps the hash of the row
// before it, and its own hash is the SHA-256 of that and of its canonical
// content, so that a row changed, removed or inserted behind the
// database's back breaks the chain at that row. Verify walks the chain
// and names the first row that breaks it.
//
// Never put a password, a token or a full phone number in a row: callers
// mask them (package mask) before they get here.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"cunyou/hub/store"
)

// Genesis is the Prev of the first row.
var Genesis = strings.Repeat("0", 64)

// Results of an entry beyond an API error code.
const (
	OK     = "ok"
	Denied = "denied"
	Failed = "failed"
)

// Entry is what happened: the fields a caller gives to Append.
type Entry struct {
	Actor  string // user:NAME, api:CLIENT, admin, cli:OSUSER
	Role   string
	Action string // a dotted name: login, user.add, parcel.read …
	Target string // a waybill, user name, masked phone …
	Remote string // the client's address, or "local"
	Result string // OK, Denied, Failed or an error code
	Detail string
}

// Log appends to and checks the audit log in a store.
type Log struct{ st *store.Store }

// New returns the log kept in st.
func New(st *store.Store) *Log { return &Log{st: st} }

// Append seals e into the chain and returns its row.
func (l *Log) Append(ctx context.Context, e Entry) (store.AuditRow, error) {
	row := store.AuditRow{Actor: e.Actor, Role: e.Role, Action: e.Action, Target: e.Target, Remote: e.Remote,
		Result: e.Result, Detail: e.Detail}
	return l.st.AppendAudit(ctx, row, Genesis, func(r *store.AuditRow) { r.Hash = Seal(*r) })
}

// List returns the rows q selects, newest first.
func (l *Log) List(ctx context.Context, q store.AuditQuery) ([]store.AuditRow, error) {
	return l.st.AuditRows(ctx, q)
}

// Canonical is a row's content as hashed: a JSON array of its fields in a
// fixed order, the time as Unix milliseconds. Prev and Hash are not part
// of it.
func Canonical(r store.AuditRow) []byte {
	b, err := json.Marshal([]any{r.Seq, r.At.UnixMilli(), r.Actor, r.Role, r.Action, r.Target, r.Remote, r.Result, r.Detail})
	if err != nil {
		panic(err) // strings and numbers always marshal
	}
	return b
}

// Seal returns the hash of r: hex SHA-256 of r.Prev, a newline and
// Canonical(r).
func Seal(r store.AuditRow) string {
	h := sha256.New()
	h.Write([]byte(r.Prev))
	h.Write([]byte{'\n'})
	h.Write(Canonical(r))
	return hex.EncodeToString(h.Sum(nil))
}

// ErrBroken: the chain does not hold; a *BrokenError says where.
var ErrBroken = errors.New("audit: chain broken")

// BrokenError names the first row at which the chain breaks.
type BrokenError struct {
	Seq    int64  // the row
	Reason string // what is wrong with it
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("audit: chain broken at row %d: %s", e.Seq, e.Reason)
}

func (e *BrokenError) Unwrap() error { return ErrBroken }

// Report is what Verify found on an intact chain.
type Report struct {
	Rows int64     // rows checked
	Last string    // the last row's hash (keep it apart to detect a cut tail)
	At   time.Time // the last row's time
}

// Verify walks the whole chain in order and returns a *BrokenError for
// the first row that is out of sequence, does not follow the row before
// it or whose hash is not its content's.
func (l *Log) Verify(ctx context.Context) (Report, error) {
	var rep Report
	prev, want := Genesis, int64(1)
	err := l.st.WalkAudit(ctx, func(r store.AuditRow) error {
		switch {
		case r.Seq != want:
			return &BrokenError{Seq: r.Seq, Reason: fmt.Sprintf("follows row %d: row %d is missing", want-1, want)}
		case r.Prev != prev:
			return &BrokenError{Seq: r.Seq, Reason: "does not carry the hash of the row before it"}
		case r.Hash != Seal(r):
			return &BrokenError{Seq: r.Seq, Reason: "its content does not match its hash (changed)"}
		}
		prev, want = r.Hash, r.Seq+1
		rep.Rows, rep.Last, rep.At = r.Seq, r.Hash, r.At
		return nil
	})
	return rep, err
}
