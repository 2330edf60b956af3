package kiosk_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/edge/kiosk"
	"cunyou/edge/station"
	"cunyou/edge/store"
	"cunyou/edge/syncer"
	"cunyou/syncproto"
	"cunyou/ui/uitest"
)

// apiSyncStatus reads the sync object of /api/v1/status.
func apiSyncStatus(t *testing.T, e *apiEnv) kiosk.SyncJSON {
	t.Helper()
	return apiOK[struct {
		Sync kiosk.SyncJSON `json:"sync"`
	}](t, e, http.StatusOK, "GET", "/api/v1/status", "", nil).Sync
}

func TestAPIStatusSync(t *testing.T) {
	e := apiNewEnv(t)
	e.setupOwner(t) // one op
	e.clock.Advance(90 * time.Second)

	assert.Equal(t, kiosk.SyncJSON{State: "off", Backlog: 1, OldestUnackedAgeS: 90}, apiSyncStatus(t, e))

	// Enrolled, with a failure on record and no loop in this process.
	require.NoError(t, e.store.SetSyncConfig(e.ctx, store.SyncConfig{HubURL: "https://hub.example", Token: "t"}))
	require.NoError(t, e.store.RecordSyncError(e.ctx, e.clock.Now(), "network", "dial tcp: refused"))
	require.NoError(t, e.store.SetSkew(e.ctx, 2500*time.Millisecond))
	got := apiSyncStatus(t, e)
	assert.Equal(t, kiosk.SyncJSON{Enrolled: true, State: "stopped", Backlog: 1, OldestUnackedAgeS: 90, LastErrorCode: "network", SkewMs: 2500}, got)

	// After a success, the old failure is history, not the current state.
	success := e.clock.Now().Add(time.Second)
	require.NoError(t, e.store.RecordSyncSuccess(e.ctx, success))
	got = apiSyncStatus(t, e)
	assert.Empty(t, got.LastErrorCode)
	require.NotNil(t, got.LastSuccess)
	assert.True(t, got.LastSuccess.Equal(success.Truncate(time.Millisecond)))

	// A running loop shows its own state.
	c, err := syncer.NewClient("http://127.0.0.1:1", "t", "")
	require.NoError(t, err)
	sy := syncer.New(e.st, c, syncer.Options{CallTimeout: 2 * time.Second})
	e.srvSetSyncer(sy)
	require.Error(t, sy.SyncOnce(e.ctx))
	got = apiSyncStatus(t, e)
	assert.Equal(t, "backoff", got.State)
	assert.Equal(t, "network", got.LastErrorCode)
}

// srvSetSyncer hands the running loop to the server under test.
func (e *apiEnv) srvSetSyncer(sy *syncer.Syncer) {
	e.srv.Config.Handler.(*kiosk.Server).SetSyncer(sy)
}

var (
	apiMetricHelpRe   = regexp.MustCompile(`^# HELP ([a-z_]+) .+$`)
	apiMetricTypeRe   = regexp.MustCompile(`^# TYPE ([a-z_]+) (gauge|counter)$`)
	apiMetricSampleRe = regexp.MustCompile(`^([a-z_]+)(\{code="[a-z_]+"\})? (-?[0-9.e+-]+)$`)
)

// apiMetrics fetches /metrics, checks every line against the text format
// and returns the samples by name and labels.
func apiMetrics(t *testing.T, e *apiEnv) map[string]float64 {
	t.Helper()
	r := e.do(t, "GET", "/metrics", "", nil)
	require.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, "text/plain; version=0.0.4; charset=utf-8", r.Header.Get("Content-Type"))
	out := map[string]float64{}
	typed := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSuffix(string(r.Body), "\n"), "\n") {
		switch {
		case apiMetricHelpRe.MatchString(line):
		case apiMetricTypeRe.MatchString(line):
			typed[apiMetricTypeRe.FindStringSubmatch(line)[1]] = true
		case apiMetricSampleRe.MatchString(line):
			m := apiMetricSampleRe.FindStringSubmatch(line)
			require.True(t, typed[m[1]], "sample %s before its TYPE", m[1])
			v, err := strconv.ParseFloat(m[3], 64)
			require.NoError(t, err, line)
			out[m[1]+m[2]] = v
		default:
			t.Errorf("line not in the Prometheus text format: %q", line)
		}
	}
	return out
}

func TestAPIMetrics(t *testing.T) {
	e := apiNewEnv(t)
	e.setupOwner(t)
	e.clock.Advance(time.Minute)
	m := apiMetrics(t, e)
	assert.Equal(t, map[string]float64{
		"cunyou_edge_sync_enrolled":                       0,
		"cunyou_edge_outbox_backlog":                      1,
		"cunyou_edge_oldest_unacked_seconds":              60,
		"cunyou_edge_sync_last_success_timestamp_seconds": 0,
		"cunyou_edge_clock_skew_seconds":                  0,
		"cunyou_edge_blob_backlog":                        0,
	}, m)

	require.NoError(t, e.store.SetSyncConfig(e.ctx, store.SyncConfig{HubURL: "https://hub.example", Token: "t"}))
	require.NoError(t, e.store.RecordSyncSuccess(e.ctx, time.UnixMilli(1_741_570_000_500)))
	require.NoError(t, e.store.SetSkew(e.ctx, -3*time.Second))
	_, _, err := e.store.PutBlob(e.ctx, strings.NewReader("\xff\xd8\xff photo"))
	require.NoError(t, err)
	c, err := syncer.NewClient("http://127.0.0.1:1", "t", "")
	require.NoError(t, err)
	sy := syncer.New(e.st, c, syncer.Options{CallTimeout: 2 * time.Second})
	e.srvSetSyncer(sy)
	require.Error(t, sy.SyncOnce(e.ctx))
	require.Error(t, sy.SyncOnce(e.ctx))
	m = apiMetrics(t, e)
	assert.Equal(t, 1.0, m["cunyou_edge_sync_enrolled"])
	assert.Equal(t, 1_741_570_000.5, m["cunyou_edge_sync_last_success_timestamp_seconds"])
	assert.Equal(t, -3.0, m["cunyou_edge_clock_skew_seconds"])
	assert.Equal(t, 1.0, m["cunyou_edge_blob_backlog"])
	assert.Equal(t, 2.0, m[`cunyou_edge_sync_errors_total{code="network"}`])
}

func TestAPIPhotoAndPickup(t *testing.T) {
	e := apiNewEnv(t)
	owner := e.setupOwner(t)
	clerk := e.addClerk(t, owner)
	e.setShelves(t, owner, syncproto.Shelf{No: 1, Layers: 1, Capacity: 5})
	p := e.inbound(t, clerk, station.InboundInput{Waybill: apiSF(1), ReceiverPhone: apiPhone, ReceiverName: "张三"})

	jpeg := append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte("pixels"), 1000)...)
	type photo struct {
		SHA256 string `json:"sha256"`
		Size   int64  `json:"size"`
	}
	ph := apiOK[photo](t, e, http.StatusCreated, "POST", "/api/v1/photos", clerk, jpeg, "Content-Type", "image/jpeg")
	sum := sha256.Sum256(jpeg)
	assert.Equal(t, photo{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(jpeg))}, ph)
	f, err := e.store.OpenBlob(ph.SHA256)
	require.NoError(t, err)
	f.Close()

	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)
	apiOK[photo](t, e, http.StatusCreated, "POST", "/api/v1/photos", clerk, png, "Content-Type", "image/png")

	e.refuse(t, http.StatusUnauthorized, "unauthorized", "POST", "/api/v1/photos", "", jpeg, "Content-Type", "image/jpeg")
	e.refuse(t, http.StatusUnsupportedMediaType, "bad_request", "POST", "/api/v1/photos", clerk, jpeg, "Content-Type", "image/gif")
	e.refuse(t, http.StatusUnsupportedMediaType, "bad_request", "POST", "/api/v1/photos", clerk, png, "Content-Type", "image/jpeg")
	e.refuse(t, http.StatusUnsupportedMediaType, "bad_request", "POST", "/api/v1/photos", clerk, []byte{0xff}, "Content-Type", "image/jpeg")
	big := append([]byte{0xff, 0xd8, 0xff}, make([]byte, kiosk.MaxPhotoBytes)...)
	e.refuse(t, http.StatusRequestEntityTooLarge, "bad_request", "POST", "/api/v1/photos", clerk, big, "Content-Type", "image/jpeg")

	// A pickup names a stored photo only.
	e.refuse(t, http.StatusBadRequest, "bad_request", "POST", "/api/v1/pickup", clerk,
		station.PickupInput{Waybills: []string{p.Waybill}, PhotoSHA256: strings.Repeat("ab", 32)})
	apiOK[apiParcels](t, e, http.StatusOK, "POST", "/api/v1/pickup", clerk,
		station.PickupInput{Waybills: []string{p.Waybill}, PhotoSHA256: ph.SHA256})
	ops, err := e.store.Ops(e.ctx, 0, 100)
	require.NoError(t, err)
	last := ops[len(ops)-1]
	require.Equal(t, syncproto.KindParcelsPickedUp, last.Kind)
	assert.Contains(t, string(last.Payload), `"photo_sha256":"`+ph.SHA256+`"`)
	assert.Equal(t, 2, apiSyncStatus(t, e).BlobBacklog)
}

// TestBrowserSyncLine checks the status bar's sync line in a real
// Chromium: waiting ops with the last sync time, then the failure.
func TestBrowserSyncLine(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: 1024, Height: 768})
	s := browserNewStation(t)
	st := s.st.Store()
	bg := context.Background()
	require.NoError(t, st.SetSyncConfig(bg, store.SyncConfig{HubURL: "https://hub.example", Token: "t"}))
	success := time.Now()
	require.NoError(t, st.RecordSyncSuccess(bg, success))
	b, err := st.Backlog(bg)
	require.NoError(t, err)

	line := func() string {
		t.Helper()
		deadline := time.Now().Add(uitest.StepTimeout)
		for time.Now().Before(deadline) {
			if l := uitest.Text(t, ctx, "#sb-outbox"); l != "" {
				return l
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatal("the status bar shows no sync line")
		return ""
	}
	uitest.Do(t, ctx, "open the page", chromedp.Navigate(s.srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	want := fmt.Sprintf("待同步 %d 条 · 上次同步 %s", b.Ops, success.Format("15:04"))
	assert.Equal(t, want, line())

	require.NoError(t, st.RecordSyncError(bg, success.Add(time.Second), "network", "dial: refused"))
	uitest.Do(t, ctx, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	assert.Equal(t, fmt.Sprintf("待同步 %d 条 · 同步失败：连不上县中心，联网后自动补传", b.Ops), line())
	assert.Equal(t, "bad", uitest.Eval[string](t, ctx, `document.querySelector("#sb-outbox").className`))
	assert.Empty(t, jsProblems())
}
