package devices

import (
	"context"
	"errors"
	"fmt"
	"os"

	"cunyou/drivers/camera"
	"cunyou/edge/config"
)

// Picture is a picture a camera took, as stored.
type Picture struct {
	Device string `json:"device"`
	SHA256 string `json:"sha256"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	Size   int    `json:"size"`
	// Data is the picture's bytes.
	Data []byte `json:"-"`
}

// httpCameraDevice is a network camera: snapshots on demand. Run looks
// once whether it answers (and again, with backoff, until it does).
type httpCameraDevice struct {
	cfg config.Device
	env *Env
	cam *camera.HTTPCamera
	r   *Reporter
}

func newHTTPCamera(cfg config.Device, env *Env) (Device, error) {
	cam, err := camera.NewHTTP(camera.HTTPOptions{URL: cfg.URL, Name: cfg.Name, User: cfg.User, Password: cfg.Password,
		Auth: cfg.Auth, Log: env.Log})
	if err != nil {
		return nil, err
	}
	return &httpCameraDevice{cfg: cfg, env: env, cam: cam}, nil
}

func (d *httpCameraDevice) Run(ctx context.Context, r *Reporter) {
	d.r = r
	r.SetPort(d.cfg.URL)
	b := d.env.backoff()
	for {
		_, err := d.snap(ctx)
		if err == nil || ctx.Err() != nil {
			return // ready; snapshots are taken on demand from now on
		}
		if !sleep(ctx, b.next()) {
			return
		}
	}
}

// snap takes a snapshot and shows the outcome.
func (d *httpCameraDevice) snap(ctx context.Context) (*camera.Snapshot, error) {
	s, err := d.cam.Snapshot(ctx)
	if d.r != nil {
		if err != nil {
			m := camera.MessageOf(err)
			state := StateError
			if errors.Is(err, camera.ErrUnreachable) || errors.Is(err, camera.ErrTimeout) {
				state = StateAbsent
			}
			d.r.Set(state, m.Code, m.ZH)
		} else {
			d.r.Set(StateReady, "", "")
			d.r.SetDetail(fmt.Sprintf("%d×%d", s.Width, s.Height))
		}
	}
	return s, err
}

// Snapshot takes a picture and stores it (when the host has a store).
func (d *httpCameraDevice) Snapshot(ctx context.Context) (Picture, error) {
	s, err := d.snap(ctx)
	if err != nil {
		return Picture{}, err
	}
	p := Picture{Device: d.cfg.Name, Width: s.Width, Height: s.Height, Size: len(s.Data), Data: s.Data}
	if err := d.env.store(ctx, &p); err != nil {
		return p, err
	}
	if d.r != nil {
		d.r.Seen()
	}
	return p, nil
}

// store keeps a picture in the blob folder, with its thumbnail, and
// records it so it syncs.
func (e *Env) store(ctx context.Context, p *Picture) error {
	if e.BlobDir == "" {
		return nil
	}
	st, err := camera.NewStore(e.BlobDir).Put(p.Data)
	if err != nil {
		return fmt.Errorf("store picture: %w", err)
	}
	sha, err := e.PutBlob(ctx, p.Data)
	if err != nil {
		return fmt.Errorf("record picture: %w", err)
	}
	if sha != st.SHA256 {
		return fmt.Errorf("store picture: hash %s recorded as %s", st.SHA256, sha)
	}
	p.SHA256 = sha
	return nil
}

// folderCameraDevice watches a document camera's folder; each new picture
// is stored and becomes the device's last picture.
type folderCameraDevice struct {
	cfg  config.Device
	env  *Env
	last chan Picture
}

func newFolderCamera(cfg config.Device, env *Env) (Device, error) {
	return &folderCameraDevice{cfg: cfg, env: env, last: make(chan Picture, 1)}, nil
}

func (d *folderCameraDevice) Run(ctx context.Context, r *Reporter) {
	r.SetPort(d.cfg.Folder)
	sink := func(e camera.Event) {
		switch e := e.(type) {
		case camera.File:
			data, err := os.ReadFile(e.Path)
			if err != nil {
				r.Set(StateError, "camera.folder", err.Error())
				return
			}
			p := Picture{Device: d.cfg.Name, Width: e.Width, Height: e.Height, Size: len(data), Data: data}
			if err := d.env.store(ctx, &p); err != nil {
				d.env.Log.Warn("camera: picture not stored", "device", d.cfg.Name, "err", err)
				return
			}
			r.Seen()
			select { // keep only the newest
			case <-d.last:
			default:
			}
			d.last <- p
		case camera.StateChange:
			switch e.State {
			case camera.StateOpen:
				r.Set(StateReady, "", "")
			case camera.StateAbsent:
				m := camera.MessageOf(e.Err)
				r.Set(StateAbsent, m.Code, m.ZH)
			default:
				m := camera.MessageOf(e.Err)
				r.Set(StateError, m.Code, m.ZH)
			}
		}
	}
	f, err := camera.NewFolder(camera.FolderOptions{Dir: d.cfg.Folder, Name: d.cfg.Name, Sink: sink, Log: d.env.Log})
	if err != nil {
		m := camera.MessageOf(err)
		r.Set(StateError, m.Code, m.ZH)
		return
	}
	f.Run(ctx)
}

// Snapshot waits for the next picture the document camera saves.
func (d *folderCameraDevice) Snapshot(ctx context.Context) (Picture, error) {
	select {
	case p := <-d.last:
		return p, nil
	case <-ctx.Done():
		return Picture{}, ctx.Err()
	}
}
