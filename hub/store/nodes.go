package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"cunyou/syncproto"
)

// EnrollTTL is how long an enrollment code stays valid.
const EnrollTTL = 7 * 24 * time.Hour

// codeAlphabet leaves out the characters a person misreads: 0 O 1 I L.
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// Node is a station or centre as the hub knows it.
type Node struct {
	ID          string
	Kind        syncproto.NodeKind
	Name        string
	Enrolled    bool      // holds a valid token
	EnrolledAt  time.Time // zero if never
	CodePending bool      // an unused, unexpired enrollment code exists
	CreatedAt   time.Time
	LastContact time.Time // zero if never
	LastSkew    time.Duration
	// LastOpHLC is the HLC of the newest op applied (capped at the hub's
	// clock when it was received).
	LastOpHLC syncproto.Timestamp
	// FutureOps counts ops whose HLC was further ahead of the hub's clock
	// than the allowed skew: accepted, but the node's clock is wrong.
	FutureOps int64
	// ChangesAfter is the highest downstream cursor the node asked after.
	ChangesAfter uint64
	Software     string
	Disabled     bool
	// Health is what the node last reported of itself at a hello (its
	// backlog and devices); nil before it first did.
	Health *syncproto.Health
}

// ValidNodeID reports whether id can name a node: 1–64 characters of
// letters, digits, '-' and '_'.
func ValidNodeID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// NormalizeCode returns an enrollment code as stored: upper case, without
// separators and spaces.
func NormalizeCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ' || r == '\t':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, code)
}

// newCode returns a random enrollment code, e.g. "K7PQ-M3XZ".
func newCode() string {
	var b [8]byte
	out := make([]byte, 0, 9)
	for i := range b {
		out = append(out, codeAlphabet[randIntn(len(codeAlphabet))])
		if i == 3 {
			out = append(out, '-')
		}
	}
	return string(out)
}

// randIntn returns a uniform random int in [0, n) from crypto/rand.
func randIntn(n int) int {
	var b [1]byte
	limit := 256 - 256%n
	for {
		if _, err := rand.Read(b[:]); err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
}

// NewToken returns a random 32-byte token, base64url without padding.
func NewToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Enrollment is a one-time enrollment code as issued: shown once, to be
// typed at the node (cunyou-edge enroll); the hub keeps only its hash.
type Enrollment struct {
	Node    string
	Code    string
	Expires time.Time
}

// NewNode is a station or centre to create.
type NewNode struct {
	ID   string
	Kind syncproto.NodeKind
	Name string
	// Village is the gazetteer's code of the village a station serves:
	// its site takes the town and village as its address and the village's
	// coordinates, and parcels for the village resolve to it. Optional; a
	// centre serves none.
	Village string
}

// AddNode creates a node and returns its one-time enrollment code.
func (s *Store) AddNode(ctx context.Context, id string, kind syncproto.NodeKind, name string) (string, error) {
	e, err := s.CreateNode(ctx, NewNode{ID: id, Kind: kind, Name: name})
	return e.Code, err
}

// CreateNode creates a node (and its site, when it serves a village) and
// returns its one-time enrollment code.
func (s *Store) CreateNode(ctx context.Context, n NewNode) (Enrollment, error) {
	if !ValidNodeID(n.ID) {
		return Enrollment{}, fmt.Errorf("%w: node id %q: use 1-64 letters, digits, - or _", ErrInvalid, n.ID)
	}
	if !n.Kind.Valid() {
		return Enrollment{}, fmt.Errorf("%w: kind %q: use station or centre", ErrInvalid, n.Kind)
	}
	name := strings.TrimSpace(n.Name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return Enrollment{}, fmt.Errorf("%w: name: give 1-100 characters", ErrInvalid)
	}
	village := strings.TrimSpace(n.Village)
	if village != "" && n.Kind != syncproto.NodeStation {
		return Enrollment{}, fmt.Errorf("%w: village: only a station serves a village", ErrInvalid)
	}
	code := newCode()
	now := s.now()
	e := Enrollment{Node: n.ID, Code: code, Expires: now.Add(EnrollTTL)}
	err := s.Write(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM nodes WHERE node_id = ?", n.ID).Scan(&one)
		if err == nil {
			return fmt.Errorf("%w: node %s", ErrExists, n.ID)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var addr string
		var lat, lon float64
		if village != "" {
			err := tx.QueryRowContext(ctx, `SELECT t.name || v.name, v.lat, v.lon FROM villages v JOIN towns t ON t.code = v.town
				WHERE v.code = ?`, village).Scan(&addr, &lat, &lon)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("%w: village %q: no such village in the county's gazetteer", ErrInvalid, village)
			}
			if err != nil {
				return err
			}
			var other string
			err = tx.QueryRowContext(ctx, "SELECT node FROM sites WHERE village = ?", village).Scan(&other)
			if err == nil {
				return fmt.Errorf("%w: village %s is served by %s", ErrExists, village, other)
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO nodes (node_id, kind, name, enroll_code_hash, enroll_expires, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, n.ID, string(n.Kind), name, hashSecret(NormalizeCode(code)), e.Expires.UnixMilli(),
			now.UnixMilli()); err != nil {
			return err
		}
		if village == "" {
			return nil
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO sites (node, village, address, lat, lon) VALUES (?, ?, ?, ?, ?)",
			n.ID, village, addr, lat, lon)
		return err
	})
	if err != nil {
		return Enrollment{}, err
	}
	return e, nil
}

// NewEnrollCode gives an existing node a new one-time code (after a PC was
// replaced, say) and revokes its token: the old PC can no longer sync.
func (s *Store) NewEnrollCode(ctx context.Context, id string) (string, error) {
	e, err := s.IssueEnrollCode(ctx, id)
	return e.Code, err
}

// IssueEnrollCode is NewEnrollCode with the code's expiry. A disabled node
// gets none (it could not enroll with it): ErrDisabled.
func (s *Store) IssueEnrollCode(ctx context.Context, id string) (Enrollment, error) {
	code := newCode()
	now := s.now()
	e := Enrollment{Node: id, Code: code, Expires: now.Add(EnrollTTL)}
	err := s.Write(ctx, func(tx *sql.Tx) error {
		var disabled bool
		err := tx.QueryRowContext(ctx, "SELECT disabled FROM nodes WHERE node_id = ?", id).Scan(&disabled)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: node %s", ErrNotFound, id)
		}
		if err != nil {
			return err
		}
		if disabled {
			return fmt.Errorf("%w: node %s: enable it first", ErrDisabled, id)
		}
		_, err = tx.ExecContext(ctx, `UPDATE nodes SET token_hash = NULL, enroll_code_hash = ?, enroll_expires = ?
			WHERE node_id = ?`, hashSecret(NormalizeCode(code)), e.Expires.UnixMilli(), id)
		return err
	})
	if err != nil {
		return Enrollment{}, err
	}
	return e, nil
}

// Enroll trades a one-time code for the node's token. The code becomes
// unusable; a wrong, used or expired code is ErrEnrollCode. When node is
// not empty the code must be that node's, or ErrWrongNode leaves it
// unused.
func (s *Store) Enroll(ctx context.Context, code, node, software string) (Node, string, error) {
	var n Node
	norm := NormalizeCode(code)
	if len(norm) != 8 {
		return n, "", ErrEnrollCode
	}
	token := NewToken()
	now := s.now()
	err := s.Write(ctx, func(tx *sql.Tx) error {
		var id string
		var expires int64
		err := tx.QueryRowContext(ctx, "SELECT node_id, enroll_expires FROM nodes WHERE enroll_code_hash = ? AND disabled = 0",
			hashSecret(norm)).Scan(&id, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrEnrollCode
		}
		if err != nil {
			return err
		}
		if now.UnixMilli() >= expires {
			return ErrEnrollCode
		}
		if node != "" && node != id {
			return fmt.Errorf("%w: the code enrolls %s, the caller is %s", ErrWrongNode, id, node)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE nodes SET token_hash = ?, enroll_code_hash = NULL, enroll_expires = 0,
			enrolled_at = ?, software = ?, last_contact_ms = ? WHERE node_id = ?`,
			hashSecret(token), now.UnixMilli(), truncate(software, 100), now.UnixMilli(), id); err != nil {
			return err
		}
		n, err = scanNode(tx.QueryRowContext(ctx, nodeSelect+" WHERE node_id = ?", id), now)
		return err
	})
	if err != nil {
		return Node{}, "", err
	}
	return n, token, nil
}

// Authenticate returns the enabled node holding token, or ErrUnauthorized.
func (s *Store) Authenticate(ctx context.Context, token string) (Node, error) {
	if token == "" {
		return Node{}, ErrUnauthorized
	}
	n, err := scanNode(s.r.QueryRowContext(ctx, nodeSelect+" WHERE token_hash = ? AND disabled = 0", hashSecret(token)), s.now())
	if errors.Is(err, ErrNotFound) {
		return Node{}, ErrUnauthorized
	}
	return n, err
}

// Node returns one node.
func (s *Store) Node(ctx context.Context, id string) (Node, error) {
	return scanNode(s.r.QueryRowContext(ctx, nodeSelect+" WHERE node_id = ?", id), s.now())
}

// Nodes returns every node, by id.
func (s *Store) Nodes(ctx context.Context) ([]Node, error) {
	rows, err := s.r.QueryContext(ctx, nodeSelect+" ORDER BY node_id")
	if err != nil {
		return nil, fmt.Errorf("read nodes: %w", classify(err))
	}
	defer rows.Close()
	var out []Node
	now := s.now()
	for rows.Next() {
		n, err := scanNode(rows, now)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, classify(rows.Err())
}

// SetDisabled disables or enables a node: a disabled node cannot
// authenticate or enroll.
func (s *Store) SetDisabled(ctx context.Context, id string, disabled bool) error {
	return s.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE nodes SET disabled = ? WHERE node_id = ?", disabled, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: node %s", ErrNotFound, id)
		}
		return nil
	})
}

// RecordHello notes a node's contact: its software and its clock's skew
// (node's wall clock minus the hub's, positive when the node is ahead).
func (s *Store) RecordHello(ctx context.Context, id, software string, skew time.Duration, health *syncproto.Health) error {
	h := ""
	if health != nil {
		if len(health.Devices) > 50 {
			health.Devices = health.Devices[:50] // a station has a handful
		}
		b, err := json.Marshal(health)
		if err != nil {
			return err
		}
		h = string(b)
	}
	return s.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE nodes SET last_contact_ms = ?, last_skew_ms = ?, software = ?,
			health = CASE WHEN ? = '' THEN health ELSE ? END WHERE node_id = ?`,
			s.now().UnixMilli(), skew.Milliseconds(), truncate(software, 100), h, h, id)
		return err
	})
}

// Cursors returns the acknowledged seq of each incarnation of node.
func (s *Store) Cursors(ctx context.Context, node string) (map[string]uint64, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT incarnation, acked_seq FROM cursors WHERE node = ?", node)
	if err != nil {
		return nil, fmt.Errorf("read cursors: %w", classify(err))
	}
	defer rows.Close()
	out := map[string]uint64{}
	for rows.Next() {
		var inc string
		var seq uint64
		if err := rows.Scan(&inc, &seq); err != nil {
			return nil, err
		}
		out[inc] = seq
	}
	return out, classify(rows.Err())
}

const nodeSelect = `SELECT node_id, kind, name, token_hash IS NOT NULL, enrolled_at,
	enroll_code_hash IS NOT NULL, enroll_expires, created_at, last_contact_ms, last_skew_ms, last_op_hlc, future_ops,
	changes_after, software, disabled, health FROM nodes`

type scanner interface{ Scan(dest ...any) error }

func scanNode(row scanner, now time.Time) (Node, error) {
	var (
		n                                 Node
		kind                              string
		enrolledAt, expires, created, ctc int64
		skew, hlc                         int64
		codeSet                           bool
		health                            string
	)
	err := row.Scan(&n.ID, &kind, &n.Name, &n.Enrolled, &enrolledAt, &codeSet, &expires, &created, &ctc, &skew, &hlc,
		&n.FutureOps, &n.ChangesAfter, &n.Software, &n.Disabled, &health)
	if errors.Is(err, sql.ErrNoRows) {
		return n, ErrNotFound
	}
	if err != nil {
		return n, fmt.Errorf("read node: %w", classify(err))
	}
	n.Kind = syncproto.NodeKind(kind)
	n.EnrolledAt = msTime(enrolledAt)
	n.CodePending = codeSet && now.UnixMilli() < expires
	n.CreatedAt = msTime(created)
	n.LastContact = msTime(ctc)
	n.LastSkew = time.Duration(skew) * time.Millisecond
	n.LastOpHLC = syncproto.Timestamp(hlc)
	if health != "" {
		var h syncproto.Health
		if json.Unmarshal([]byte(health), &h) == nil {
			n.Health = &h
		}
	}
	return n, nil
}

func msTime(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
