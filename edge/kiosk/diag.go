package kiosk

import (
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"time"

	"github.com/go-chi/chi/v5"

	"cunyou/edge/config"
	"cunyou/edge/devices"
	"cunyou/edge/diag"
	"cunyou/edge/messages"
	"cunyou/edge/store"
)

// SetDiag gives the kiosk what the technician's report (GET /api/v1/diag)
// checks: the configuration as loaded, its file, the backup folder. Until
// it is called the report runs on the defaults, with the data folder the
// station's database is in.
func (s *Server) SetDiag(o diag.Options) { s.diagOpts.Store(&o) }

// diagReport answers GET /api/v1/diag: edge/diag's report, run in the
// server (read-only: the database opened read-only, devices judged by
// the state serve's Host keeps), in the operator's language.
func (s *Server) diagReport(w http.ResponseWriter, r *http.Request) {
	var o diag.Options
	if p := s.diagOpts.Load(); p != nil {
		o = *p
	} else {
		o.Config = config.Default()
		o.Config.DataDir = filepath.Dir(s.st.Store().Path())
	}
	if o.Version == "" {
		o.Version = s.version
	}
	if o.Timeout == 0 {
		o.Timeout = 3 * time.Second
	}
	if o.DeviceTimeout == 0 {
		o.DeviceTimeout = 5 * time.Second
	}
	if o.Devices == nil {
		if h := s.devices.Load(); h != nil {
			o.Devices = h.Checks()
		}
	}
	rep := diag.Run(r.Context(), o)
	out := rep.JSON(messages.Pick(r.Header.Get("Accept-Language")))
	writeJSON(w, http.StatusOK, map[string]any{"status": rep.Status(), "version": out.Version, "node": out.Node, "checks": out.Checks})
}

// photo answers GET /api/v1/photos/{sha256}: a picture kept at the
// station (a camera's snapshot, a proof of pickup), for the page to show.
func (s *Server) photo(w http.ResponseWriter, r *http.Request) {
	f, err := s.st.Store().OpenBlob(chi.URLParam(r, "sha256"))
	if errors.Is(err, store.ErrNoBlob) {
		s.writeCode(w, r, http.StatusNotFound, "not_found", nil)
		return
	}
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	w.Header().Set("Content-Type", http.DetectContentType(head[:n]))
	w.Write(head[:n])
	io.Copy(w, f)
}

// printLabel answers POST /api/v1/labels/print?kind=…: the label
// labels/preview.png draws, printed on the label printer (the devices
// page's test print, a send's waybill label).
func (s *Server) printLabel(w http.ResponseWriter, r *http.Request) {
	l, ok := labelOf(r.URL.Query())
	if !ok {
		s.writeCode(w, r, http.StatusBadRequest, "label_kind", nil)
		return
	}
	h := s.devices.Load()
	if h == nil {
		s.writeCode(w, r, http.StatusNotFound, "device_none", nil)
		return
	}
	err := h.Print(r.Context(), l)
	switch {
	case errors.Is(err, devices.ErrNoDevice):
		s.writeCode(w, r, http.StatusNotFound, "device_none", nil)
		return
	case err != nil:
		s.log.Warn("label print failed", "err", err)
		s.writeCode(w, r, http.StatusServiceUnavailable, "print_failed", nil)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"printed": true})
}
