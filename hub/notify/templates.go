package notify

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"cunyou/hub/store"
	"cunyou/sms"
	"cunyou/syncproto"
)

// Template is a message text with {variables}, and each provider's
// approved template id.
type Template struct {
	Kind      string
	Text      string
	Providers map[string]string // provider ("aliyun", "tencent") → template id
	Updated   time.Time
	UpdatedBy string
}

var varRe = regexp.MustCompile(`\{([a-z_]+)\}`)

// Variables lists the template's variables in order of appearance.
func (t Template) Variables() []string {
	var out []string
	for _, m := range varRe.FindAllStringSubmatch(t.Text, -1) {
		out = append(out, m[1])
	}
	return out
}

// Render returns the message as the receiver reads it (the signature in
// 【】 first) and the variables in the template's order.
func (t Template) Render(sign string, vars map[string]string) (string, []sms.Param) {
	var params []sms.Param
	text := varRe.ReplaceAllStringFunc(t.Text, func(v string) string {
		name := v[1 : len(v)-1]
		params = append(params, sms.Param{Name: name, Value: vars[name]})
		return vars[name]
	})
	if sign != "" {
		text = "【" + sign + "】" + text
	}
	return text, params
}

// Kinds are the templates the hub sends, with the variables each may use
// and sample values for the length preview.
var Kinds = map[string]map[string]string{
	"arrival":      {"carrier": "中通", "station": "南岗村驿站", "code": "5-2-3001", "close": "19:30"},
	"arrival_many": {"count": "3", "station": "南岗村驿站", "codes": "5-2-3001、5-2-3002、5-3-1007", "close": "19:30"},
	"reminder":     {"carrier": "中通", "station": "南岗村驿站", "code": "5-2-3001", "close": "19:30", "days": "3"},
	"returning":    {"carrier": "中通", "station": "南岗村驿站", "code": "5-2-3001"},
	// To senders (寄件): accepted at the station, handed to the carrier
	// at the centre, delivered (the carrier's event "delivered" or
	// "signed").
	"sender_accepted":    {"carrier": "中通", "station": "南岗村驿站", "waybill": "78100000012345"},
	"sender_handed_over": {"carrier": "中通", "station": "南岗村驿站", "waybill": "78100000012345"},
	"sender_delivered":   {"carrier": "中通", "station": "南岗村驿站", "waybill": "78100000012345"},
}

// Templates returns the templates by kind.
func (n *Notifier) Templates(ctx context.Context) (map[string]Template, error) {
	return LoadTemplates(ctx, n.st)
}

// LoadTemplates reads the templates by kind.
func LoadTemplates(ctx context.Context, st *store.Store) (map[string]Template, error) {
	rows, err := st.DB().QueryContext(ctx, "SELECT kind, text, providers, updated_ms, updated_by FROM sms_templates")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]Template{}
	for rows.Next() {
		var t Template
		var providers string
		var upd int64
		if err := rows.Scan(&t.Kind, &t.Text, &providers, &upd, &t.UpdatedBy); err != nil {
			return nil, err
		}
		json.Unmarshal([]byte(providers), &t.Providers)
		if upd > 0 {
			t.Updated = time.UnixMilli(upd)
		}
		out[t.Kind] = t
	}
	return out, rows.Err()
}

// Preview is the length of a template rendered with sample values.
type Preview struct {
	Text         string
	Chars, Parts int
}

// Check validates a template for kind and previews its length with the
// signature: only the kind's variables, a non-empty text, at most
// sms.MaxLen characters.
func Check(kind, sign, text string) (Preview, error) {
	sample, ok := Kinds[kind]
	if !ok {
		return Preview{}, fmt.Errorf("%w: no template kind %q", store.ErrInvalid, kind)
	}
	t := Template{Kind: kind, Text: strings.TrimSpace(text)}
	if t.Text == "" {
		return Preview{}, fmt.Errorf("%w: empty template", store.ErrInvalid)
	}
	if strings.Count(t.Text, "{") != len(t.Variables()) || strings.Count(t.Text, "}") != len(t.Variables()) {
		return Preview{}, fmt.Errorf("%w: braces must only surround variables like {code}", store.ErrInvalid)
	}
	for _, v := range t.Variables() {
		if _, ok := sample[v]; !ok {
			var names []string
			for name := range sample {
				names = append(names, "{"+name+"}")
			}
			slices.Sort(names)
			return Preview{}, fmt.Errorf("%w: {%s} is not a variable of %s; use %s", store.ErrInvalid, v, kind, strings.Join(names, " "))
		}
	}
	out, _ := t.Render(sign, sample)
	chars, parts := sms.Count(out)
	if chars > sms.MaxLen {
		return Preview{}, fmt.Errorf("%w: %d characters with sample values (at most %d)", store.ErrInvalid, chars, sms.MaxLen)
	}
	return Preview{Text: out, Chars: chars, Parts: parts}, nil
}

// SetTemplate checks and saves a template; providers maps a provider to
// its approved template id (nil keeps the current ones).
func SetTemplate(ctx context.Context, st *store.Store, kind, sign, text string, providers map[string]string, by string) (Preview, error) {
	p, err := Check(kind, sign, text)
	if err != nil {
		return p, err
	}
	err = st.Write(ctx, func(tx *sql.Tx) error {
		pj := "{}"
		if providers == nil {
			if err := tx.QueryRowContext(ctx, "SELECT providers FROM sms_templates WHERE kind = ?", kind).Scan(&pj); err != nil &&
				!errors.Is(err, sql.ErrNoRows) {
				return err
			}
		} else {
			b, _ := json.Marshal(providers)
			pj = string(b)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO sms_templates (kind, text, providers, updated_ms, updated_by) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (kind) DO UPDATE SET text = excluded.text, providers = excluded.providers, updated_ms = excluded.updated_ms,
			updated_by = excluded.updated_by`, kind, strings.TrimSpace(text), pj, st.Now().UnixMilli(), by)
		return err
	})
	return p, err
}

// OptOut records that phone wants no more messages; OptIn undoes it.
func OptOut(ctx context.Context, st *store.Store, phone, source string) error {
	if !sms.ValidPhone(phone) {
		return fmt.Errorf("%w: not an 11-digit mobile number", store.ErrInvalid)
	}
	return st.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sms_optout (phone, at_ms, source) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			phone, st.Now().UnixMilli(), source)
		return err
	})
}

// OptIn lets phone receive messages again.
func OptIn(ctx context.Context, st *store.Store, phone string) error {
	return st.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM sms_optout WHERE phone = ?", phone)
		return err
	})
}

// Message is an SMS message for dispatchers' lists.
type Message struct {
	ID                  int64
	Phone               string // full: mask it before showing it
	Kind, Text          string
	Parts               int
	State               string
	Gateway, ProviderID string
	Attempts            int
	ErrorCode, Error    string
	Created, Submitted  time.Time
	Final               time.Time
	Waybills            []string
}

// Messages lists messages, newest first: in state ("" any; "problems"
// for failed and dead), at most limit.
func Messages(ctx context.Context, st *store.Store, state string, limit int) ([]Message, error) {
	q := `SELECT m.id, m.phone, m.kind, m.text, m.parts, m.state, m.gateway, m.provider_id, m.attempts, m.error_code, m.error,
		m.created_ms, m.submitted_ms, m.final_ms, coalesce((SELECT group_concat(waybill, ' ') FROM notices WHERE message = m.id), '')
		FROM sms_messages m`
	var args []any
	switch state {
	case "":
	case "problems":
		q += " WHERE m.state IN ('failed', 'dead')"
	default:
		q += " WHERE m.state = ?"
		args = append(args, state)
	}
	rows, err := st.DB().QueryContext(ctx, q+" ORDER BY m.id DESC LIMIT ?", append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		var m Message
		var created, submitted, final int64
		var wbs string
		if err := rows.Scan(&m.ID, &m.Phone, &m.Kind, &m.Text, &m.Parts, &m.State, &m.Gateway, &m.ProviderID, &m.Attempts,
			&m.ErrorCode, &m.Error, &created, &submitted, &final, &wbs); err != nil {
			return nil, err
		}
		m.Created = time.UnixMilli(created)
		if submitted > 0 {
			m.Submitted = time.UnixMilli(submitted)
		}
		if final > 0 {
			m.Final = time.UnixMilli(final)
		}
		m.Waybills = strings.Fields(wbs)
		out = append(out, m)
	}
	return out, rows.Err()
}

// StationSent counts the arrival notices stations sent through their own
// modem (their link down): Doubles of them the hub had sent already (it
// merged the inbound op, the station never heard so).
type StationSent struct{ Sent, Doubles int }

// StationSentCounts returns the counts of StationSent.
func StationSentCounts(ctx context.Context, st *store.Store) (StationSent, error) {
	var s StationSent
	err := st.DB().QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE message > 0) FROM notices
		WHERE station_sent_ms > 0`).Scan(&s.Sent, &s.Doubles)
	return s, err
}

// Keys of the templates a station receives (syncproto.ChangeTemplate) for
// the arrival SMS it sends itself when its link is down: the texts with
// the signature, the station's name and closing time filled in, and
// {carrier} {code} {count} {codes} left for the station; and its quiet
// hours.
const (
	StationArrival     = "sms.arrival"
	StationArrivalMany = "sms.arrival_many"
	StationQuiet       = "sms.quiet"
)

// PushTemplates queues the arrival templates for each of nodes (every
// station when none is named), as they read at that station.
func PushTemplates(ctx context.Context, st *store.Store, sign, quiet string, nodes ...string) error {
	ts, err := LoadTemplates(ctx, st)
	if err != nil {
		return err
	}
	if len(nodes) == 0 {
		all, err := st.Nodes(ctx)
		if err != nil {
			return err
		}
		for _, n := range all {
			if n.Kind == syncproto.NodeStation {
				nodes = append(nodes, n.ID)
			}
		}
	}
	if quiet == "" {
		quiet = "21:00-08:00"
	}
	var out []store.Outgoing
	for _, node := range nodes {
		var s site
		err := st.DB().QueryRowContext(ctx, `SELECT n.name, coalesce(s.hours, ''), coalesce(s.quiet, '') FROM nodes n
			LEFT JOIN sites s ON s.node = n.node_id WHERE n.node_id = ?`, node).Scan(&s.name, &s.hours, &s.quiet)
		if err != nil {
			return fmt.Errorf("station %s: %w", node, err)
		}
		fill := strings.NewReplacer("{station}", s.name, "{close}", closing(s.hours))
		for kind, key := range map[string]string{"arrival": StationArrival, "arrival_many": StationArrivalMany} {
			t, ok := ts[kind]
			if !ok {
				continue
			}
			text := fill.Replace(t.Text)
			if sign != "" {
				text = "【" + sign + "】" + text
			}
			out = append(out, store.Outgoing{Node: node, Type: syncproto.ChangeTemplate, Payload: syncproto.Template{Key: key, Text: text}})
		}
		out = append(out, store.Outgoing{Node: node, Type: syncproto.ChangeTemplate,
			Payload: syncproto.Template{Key: StationQuiet, Text: orDefault(s.quiet, quiet)}})
	}
	if len(out) == 0 {
		return nil
	}
	_, err = st.AddChanges(ctx, out)
	return err
}
