package kiosk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"cunyou/edge/station"
	"cunyou/edge/syncer"
)

// SetSyncer gives the server the running sync loop, whose live state
// /api/v1/status and /metrics then show. Without one they show what the
// store remembers.
func (s *Server) SetSyncer(sy *syncer.Syncer) { s.sync.Store(sy) }

func (s *Server) syncStatus(ctx context.Context) (syncer.Status, error) {
	if sy := s.sync.Load(); sy != nil {
		return sy.Status(ctx)
	}
	return syncer.StoredStatus(ctx, s.st.Store())
}

// SyncJSON is the sync line of /api/v1/status.
type SyncJSON struct {
	Enrolled          bool       `json:"enrolled"`
	State             string     `json:"state"`
	Backlog           int        `json:"backlog"`
	OldestUnackedAgeS int64      `json:"oldest_unacked_age_s"`
	LastSuccess       *time.Time `json:"last_success"` // null: never
	// LastErrorCode is the code of the failure since the last success,
	// or empty when the last attempt succeeded.
	LastErrorCode string `json:"last_error_code"`
	SkewMs        int64  `json:"skew_ms"`
	BlobBacklog   int    `json:"blob_backlog"`
}

func (s *Server) syncJSON(ctx context.Context) (SyncJSON, error) {
	st, err := s.syncStatus(ctx)
	if err != nil {
		return SyncJSON{}, err
	}
	j := SyncJSON{Enrolled: st.Enrolled, State: string(st.State), Backlog: st.Backlog,
		OldestUnackedAgeS: int64(st.OldestUnackedAge(s.st.Store().Now()) / time.Second),
		SkewMs:            st.Skew.Milliseconds(), BlobBacklog: st.BlobBacklog}
	if !st.LastSuccess.IsZero() {
		t := st.LastSuccess
		j.LastSuccess = &t
	}
	if st.Failing && st.LastError != nil {
		j.LastErrorCode = st.LastError.Code
	}
	return j, nil
}

// metrics serves the node's sync figures in the Prometheus text format,
// on the kiosk's (loopback) listener.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	st, err := s.syncStatus(r.Context())
	if err != nil {
		s.log.Error("metrics", "err", err)
		http.Error(w, "metrics unavailable", http.StatusInternalServerError)
		return
	}
	var b strings.Builder
	gauge := func(name, help string, v float64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n%s %g\n", name, help, name, name, v)
	}
	enrolled := 0.0
	if st.Enrolled {
		enrolled = 1
	}
	gauge("cunyou_edge_sync_enrolled", "Whether the node is enrolled with a hub (1) or not (0).", enrolled)
	gauge("cunyou_edge_outbox_backlog", "Ops the hub has not acknowledged.", float64(st.Backlog))
	gauge("cunyou_edge_oldest_unacked_seconds", "Age of the oldest op the hub has not acknowledged; 0 when none waits.",
		st.OldestUnackedAge(s.st.Store().Now()).Seconds())
	last := 0.0
	if !st.LastSuccess.IsZero() {
		last = float64(st.LastSuccess.UnixMilli()) / 1000
	}
	gauge("cunyou_edge_sync_last_success_timestamp_seconds", "When a sync cycle last completed, in Unix seconds; 0 when never.", last)
	fmt.Fprintf(&b, "# HELP cunyou_edge_sync_errors_total Failed sync cycles since the program started, by code.\n# TYPE cunyou_edge_sync_errors_total counter\n")
	codes := make([]string, 0, len(st.ErrorsTotal))
	for c := range st.ErrorsTotal {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, c := range codes {
		fmt.Fprintf(&b, "cunyou_edge_sync_errors_total{code=%q} %d\n", c, st.ErrorsTotal[c])
	}
	gauge("cunyou_edge_clock_skew_seconds", "The hub's clock minus this node's, as last measured.", st.Skew.Seconds())
	gauge("cunyou_edge_blob_backlog", "Blobs (photos) the hub does not hold yet.", float64(st.BlobBacklog))
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	io.WriteString(w, b.String())
}

// MaxPhotoBytes bounds an uploaded photo.
const MaxPhotoBytes = 5 << 20

var imageMagic = map[string][]byte{
	"image/jpeg": {0xff, 0xd8, 0xff},
	"image/png":  {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'},
}

// uploadPhoto stores a pickup photo (a JPEG or PNG body) as a blob and
// answers its SHA-256, which the pickup then names.
func (s *Server) uploadPhoto(w http.ResponseWriter, r *http.Request) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	magic, ok := imageMagic[mt]
	if err != nil || !ok {
		s.writeCode(w, r, http.StatusUnsupportedMediaType, string(station.CodeBadRequest), map[string]string{"field": "content-type"})
		return
	}
	body := http.MaxBytesReader(w, r.Body, MaxPhotoBytes)
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(body, head); err != nil || !bytes.Equal(head, magic) {
		s.writeCode(w, r, http.StatusUnsupportedMediaType, string(station.CodeBadRequest), map[string]string{"field": "body"})
		return
	}
	sha, size, err := s.st.Store().PutBlob(r.Context(), io.MultiReader(bytes.NewReader(head), body))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		s.writeCode(w, r, http.StatusRequestEntityTooLarge, string(station.CodeBadRequest), map[string]string{"field": "size"})
		return
	}
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	if sy := s.sync.Load(); sy != nil {
		sy.Kick()
	}
	writeJSON(w, http.StatusCreated, map[string]any{"sha256": sha, "size": size})
}
