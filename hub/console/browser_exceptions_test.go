package console_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"cunyou/hub/store"
	"cunyou/syncproto"
	"cunyou/ui/uitest"
)

// deadAsOlderHub holds a station's op as a dead letter the way an older
// hub wrote it (a kind that build did not know): durable, unapplied, the
// station's cursor past it. This hub's build understands it.
func (h *hub) deadAsOlderHub(t *testing.T, node string, kind syncproto.EventKind, payload any) uint64 {
	t.Helper()
	body, err := json.Marshal(payload)
	require.NoError(t, err)
	h.seqs[node]++
	o := syncproto.Op{Node: node, Incarnation: "inc1", Seq: h.seqs[node], HLC: syncproto.MakeTimestamp(at("07:50").UnixMilli(), 0),
		Actor: "clerk", Kind: kind, Payload: body}
	o.Seal()
	require.NoError(t, h.st.Write(context.Background(), func(tx *sql.Tx) error {
		if _, err := tx.Exec(`INSERT INTO ops (stream, seq, v, hlc, actor, kind, payload, hash, received_ms, applied)
			SELECT stream, ?, ?, ?, ?, ?, ?, ?, ?, 0 FROM cursors WHERE node = ? AND incarnation = 'inc1'`,
			int64(o.Seq), o.V, int64(o.HLC), o.Actor, string(o.Kind), []byte(o.Payload), o.Hash, at("07:51").UnixMilli(), node); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO dead_letters (node, incarnation, seq, kind, payload, hash, code, reason, received_ms)
			VALUES (?, 'inc1', ?, ?, ?, ?, ?, ?, ?)`, node, int64(o.Seq), string(o.Kind), []byte(o.Payload), o.Hash,
			int(syncproto.CodeUnknownKind), `op kind "`+string(kind)+`" unknown`, at("07:51").UnixMilli()); err != nil {
			return err
		}
		_, err := tx.Exec("UPDATE cursors SET acked_seq = ? WHERE node = ? AND incarnation = 'inc1'", int64(o.Seq), node)
		return err
	}))
	return o.Seq
}

// TestBrowserExceptions works the exceptions queue as a dispatcher: a
// contradiction resolved with a note (a note is required), a problem
// parcel marked lost from the queue and another from its detail, a dead
// letter retried that the hub still refuses and one it now applies, and
// a quarantined op acknowledged.
func TestBrowserExceptions(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: deskW, Height: deskH})
	h := newHub(t)
	bg := context.Background()
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }

	// The station hands out the parcel nobody could place: the hub has
	// it only as announced, a contradiction.
	h.apply(t, stFuxing, at("07:50"), syncproto.KindParcelsPickedUp, syncproto.ParcelsPickedUp{Waybills: []string{wbUnknown},
		Collector: syncproto.Collector{Kind: "receiver"}})
	es, err := h.st.Exceptions(bg, wbUnknown)
	require.NoError(t, err)
	require.Len(t, es, 1)
	// A problem report with a reason code this hub does not know: a dead
	// letter the hub keeps refusing.
	h.apply(t, stFuxing, at("07:52"), syncproto.KindParcelProblem, map[string]any{"waybill": wbArrived, "reason": "wet_box"})
	refused := h.seqs[stFuxing]
	// A refusal reported when the hub was older: this build applies it.
	older := h.deadAsOlderHub(t, stFuxing, syncproto.KindParcelProblem, syncproto.ParcelProblem{Waybill: wbArrived,
		Reason: syncproto.ReasonRefused, Text: "收件人拒收"})
	// The station's PC restored from an old backup reuses a number.
	h.seqs[stFuxing]--
	h.apply(t, stFuxing, at("07:55"), syncproto.KindParcelProblem, syncproto.ParcelProblem{Waybill: wbDamaged,
		Reason: syncproto.ReasonDamaged, Text: "another op"})
	quar, err := h.st.QuarantineOf(bg, stFuxing, true)
	require.NoError(t, err)
	require.Len(t, quar, 1)

	uitest.Do(t, ctx, "sign in as a dispatcher",
		chromedp.Navigate(h.url+"/console/#/exceptions"),
		chromedp.WaitVisible(css("#login-user")),
		chromedp.SendKeys(css("#login-user"), dispatcher),
		chromedp.SendKeys(css("#login-pass"), password+"\r"),
		chromedp.WaitVisible(css(`#ex-contradictions [data-exception] form.resolve`)),
		chromedp.WaitVisible(css(`#ex-problems [data-waybill="`+wbDamaged+`"] form.lost`)),
		chromedp.WaitVisible(css(`#ex-oplists tr.quarantined form.ack`)),
	)
	opRow := func(seq uint64) string {
		return `#ex-oplists tr.dead[data-op="` + stFuxing + `/inc1/` + strconv.FormatUint(seq, 10) + `"]`
	}
	uitest.Do(t, ctx, "the dead letters",
		chromedp.WaitVisible(css(opRow(refused)+" form.retry")),
		chromedp.WaitVisible(css(opRow(older)+" form.retry")),
	)
	if w := uitest.Eval[int](t, ctx, `document.documentElement.scrollWidth`); w > deskW {
		t.Errorf("the exceptions page is %d px wide on a %d px screen", w, deskW)
	}
	uitest.Shot(t, ctx, "console-exceptions-queue")

	// A contradiction: the note is required.
	x := `#ex-contradictions [data-exception="` + strconv.FormatInt(es[0].ID, 10) + `"]`
	uitest.Do(t, ctx, "resolve without a note",
		chromedp.Click(css(x+" form.resolve button")),
		chromedp.Poll[chromedp.Void](`document.querySelector('`+x+` .repair-msg').textContent !== ""`),
	)
	if got := uitest.Text(t, ctx, x+" .repair-msg"); !strings.HasPrefix(got, "请填写说明") {
		t.Errorf("resolving without a note says %q", got)
	}
	uitest.Do(t, ctx, "resolve the contradiction",
		chromedp.SendKeys(css(x+" form.resolve .note"), "电话问过驿站：包裹已由收件人取走，补登目的站"),
		chromedp.Click(css(x+" form.resolve button")),
		chromedp.WaitVisible(css("#ex-contradictions .empty")),
		chromedp.Click(css("#ex-contradictions details.resolved summary")),
		chromedp.WaitVisible(css(`#ex-contradictions details.resolved [data-exception]`)),
	)
	if got := uitest.Text(t, ctx, `#ex-contradictions details.resolved [data-exception]`); !strings.Contains(got, "user:wang") ||
		!strings.Contains(got, "补登目的站") {
		t.Errorf("the resolved contradiction reads %q", got)
	}
	e, err := h.st.Exception(bg, es[0].ID)
	require.NoError(t, err)
	if e.Resolved.IsZero() || e.ResolvedBy != "user:wang" || e.Note != "电话问过驿站：包裹已由收件人取走，补登目的站" {
		t.Errorf("the exception after resolving: %+v", e)
	}

	// A problem parcel marked lost from the queue.
	damaged := `#ex-problems [data-waybill="` + wbDamaged + `"]`
	uitest.Do(t, ctx, "mark the damaged parcel lost",
		chromedp.SendKeys(css(damaged+" form.lost .note"), "货架和库房都找过，没有"),
		chromedp.Click(css(damaged+" form.lost button")),
		chromedp.Poll[chromedp.Void](`!document.querySelector('`+damaged+`')`),
	)
	p, err := h.st.Parcel(bg, wbDamaged, "in")
	require.NoError(t, err)
	if p.Status != "lost" {
		t.Errorf("the damaged parcel is %s after marking it lost", p.Status)
	}

	// The dead letter the hub still refuses stays, with the reason.
	uitest.Do(t, ctx, "retry a dead letter the hub still refuses",
		chromedp.SendKeys(css(opRow(refused)+" form.retry .note"), "中心升级后重试"),
		chromedp.Click(css(opRow(refused)+" form.retry button")),
		chromedp.Poll[chromedp.Void](`document.querySelector('`+opRow(refused)+` form.retry .repair-msg').textContent.indexOf("仍然无法处理") === 0`),
	)
	d, err := h.st.DeadLetterOf(bg, stFuxing, "inc1", refused)
	require.NoError(t, err)
	if d.State != store.DeadOpen || d.Attempts != 1 {
		t.Errorf("the refused dead letter after a retry: %s, %d attempts", d.State, d.Attempts)
	}
	// The one an older hub set aside goes through now.
	uitest.Do(t, ctx, "retry the dead letter this hub understands",
		chromedp.SendKeys(css(opRow(older)+" form.retry .note"), "中心已升级"),
		chromedp.Click(css(opRow(older)+" form.retry button")),
		chromedp.Poll[chromedp.Void](`!document.querySelector('`+opRow(older)+`') && !!document.querySelector('`+opRow(refused)+`')`),
	)
	p, err = h.st.Parcel(bg, wbArrived, "in")
	require.NoError(t, err)
	if p.Status != "problem" {
		t.Errorf("the parcel is %s after its refusal was applied", p.Status)
	}
	uitest.Do(t, ctx, "acknowledge the quarantined op",
		chromedp.SendKeys(css("#ex-oplists tr.quarantined form.ack .note"), "驿站电脑从旧备份恢复过，已核对"),
		chromedp.Click(css("#ex-oplists tr.quarantined form.ack button")),
		chromedp.Poll[chromedp.Void](`!document.querySelector("#ex-oplists tr.quarantined") && !!document.querySelector("#ex-oplists .quarantine .empty")`),
	)
	uitest.Shot(t, ctx, "console-exceptions-repaired")

	// The parcel, now a problem, marked lost from its detail.
	uitest.Do(t, ctx, "mark a parcel lost from its detail",
		chromedp.Navigate(h.url+"/console/#/parcels"),
		chromedp.WaitVisible(css("#pq-waybill")),
		chromedp.SendKeys(css("#pq-waybill"), wbArrived+"\r"),
		chromedp.WaitVisible(css("#parcel-detail form.lost")),
		chromedp.SendKeys(css("#parcel-detail form.lost .note"), "收件人拒收后在驿站找不到了"),
		chromedp.Click(css("#parcel-detail form.lost button")),
		chromedp.Poll[chromedp.Void](`(document.querySelector("#parcel-detail .timeline li:first-child .what") || {}).textContent === "调度员标记丢失"`),
	)
	if got := uitest.Text(t, ctx, "#parcel-detail .facts"); !strings.Contains(got, "已丢失") {
		t.Errorf("the parcel's facts after marking it lost: %q", got)
	}
	if n := uitest.Eval[int](t, ctx, `document.querySelectorAll("#parcel-detail form.lost").length`); n != 0 {
		t.Errorf("a lost parcel still offers to mark it lost (%d forms)", n)
	}
	uitest.Shot(t, ctx, "console-parcel-lost")

	if ps := jsProblems(); len(ps) > 0 {
		t.Errorf("JavaScript problems: %v", ps)
	}
}
