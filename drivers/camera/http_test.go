package camera

import (
	"bytes"
	"context"
	"image/jpeg"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newSim(t *testing.T, opt SimOptions) *Simulator {
	t.Helper()
	s, err := NewSimulator(opt)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func newCam(t *testing.T, opt HTTPOptions) *HTTPCamera {
	t.Helper()
	c, err := NewHTTP(opt)
	require.NoError(t, err)
	return c
}

func TestSnapshotLogins(t *testing.T) {
	for _, tc := range []struct {
		name     string
		sim      SimOptions
		auth     string // HTTPOptions.Auth
		wantAuth string // how the camera saw the login
	}{
		{"no login", SimOptions{}, "", ""},
		{"basic asked", SimOptions{User: "admin", Password: "12345", Auth: "basic"}, "", "basic"},
		{"basic configured", SimOptions{User: "admin", Password: "12345", Auth: "basic"}, "basic", "basic"},
		{"digest SHA-256 and MD5 offered", SimOptions{User: "admin", Password: "12345"}, "", "SHA-256"},
		{"digest MD5 offered first", SimOptions{User: "admin", Password: "12345", Algorithms: []string{"MD5", "SHA-256"}}, "digest", "SHA-256"},
		{"digest MD5", SimOptions{User: "admin", Password: "12345", Algorithms: []string{"MD5"}}, "", "MD5"},
		{"digest MD5-sess", SimOptions{User: "admin", Password: "12345", Algorithms: []string{"MD5-sess"}}, "", "MD5-sess"},
		{"digest SHA-256-sess", SimOptions{User: "admin", Password: "12345", Algorithms: []string{"SHA-256-sess"}}, "", "SHA-256-sess"},
		{"digest without qop", SimOptions{User: "admin", Password: "12345", Algorithms: []string{"MD5"}, NoQop: true}, "", "MD5"},
		{"digest, user with quotes", SimOptions{User: `a"d\min`, Password: "密码"}, "", "SHA-256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.sim.Width, tc.sim.Height = 320, 240
			sim := newSim(t, tc.sim)
			cam := newCam(t, HTTPOptions{URL: sim.URL(), User: tc.sim.User, Password: tc.sim.Password, Auth: tc.auth, Name: "门口"})
			snap, err := cam.Snapshot(context.Background())
			require.NoError(t, err)
			assert.Equal(t, 320, snap.Width)
			assert.Equal(t, 240, snap.Height)
			assert.Equal(t, "门口", snap.Device)
			img, err := jpeg.Decode(bytes.NewReader(snap.Data))
			require.NoError(t, err)
			assert.Equal(t, 320, img.Bounds().Dx())
			assert.Equal(t, tc.wantAuth, sim.Stats().Auth)
			// The second snapshot logs in at once, with the nonce it has.
			snap2, err := cam.Snapshot(context.Background())
			require.NoError(t, err)
			assert.NotEqual(t, snap.Data, snap2.Data, "the counter moved on")
			st := sim.Stats()
			assert.Equal(t, 2, st.Snapshots)
			assert.LessOrEqual(t, st.Challenges, 1)
			assert.Equal(t, 2+st.Challenges, st.Requests)
		})
	}
}

func TestSnapshotStaleNonce(t *testing.T) {
	sim := newSim(t, SimOptions{User: "admin", Password: "12345"})
	cam := newCam(t, HTTPOptions{URL: sim.URL(), User: "admin", Password: "12345"})
	_, err := cam.Snapshot(context.Background())
	require.NoError(t, err)
	sim.ExpireNonces()
	_, err = cam.Snapshot(context.Background())
	require.NoError(t, err)
	st := sim.Stats()
	assert.Equal(t, SimStats{Requests: 4, Challenges: 2, Snapshots: 2, Auth: "SHA-256"}, st)
}

func TestSnapshotRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		sim  SimOptions
		opt  HTTPOptions
	}{
		{"wrong digest password", SimOptions{User: "admin", Password: "12345"}, HTTPOptions{User: "admin", Password: "54321"}},
		{"wrong basic password", SimOptions{User: "admin", Password: "12345", Auth: "basic"}, HTTPOptions{User: "admin", Password: "54321"}},
		{"wrong basic password sent at once", SimOptions{User: "admin", Password: "12345", Auth: "basic"}, HTTPOptions{User: "admin", Password: "54321", Auth: "basic"}},
		{"no login configured", SimOptions{User: "admin", Password: "12345"}, HTTPOptions{}},
		{"digest wanted, basic asked", SimOptions{User: "admin", Password: "12345", Auth: "basic"}, HTTPOptions{User: "admin", Password: "12345", Auth: "digest"}},
		{"unsupported algorithm", SimOptions{User: "admin", Password: "12345", Algorithms: []string{"SHA-1"}}, HTTPOptions{User: "admin", Password: "12345"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := newSim(t, tc.sim)
			tc.opt.URL = sim.URL()
			_, err := newCam(t, tc.opt).Snapshot(context.Background())
			assert.ErrorIs(t, err, ErrAuth)
			assert.Equal(t, CodeAuth, CodeOf(err))
			assert.LessOrEqual(t, sim.Stats().Requests, 2, "no point in asking again")
		})
	}
}

func TestSnapshotFaults(t *testing.T) {
	for _, tc := range []struct {
		fault Fault
		want  error
	}{
		{FaultUnauthorized, ErrAuth},
		{FaultServerError, ErrStatus},
		{FaultHTML, ErrNotJPEG},
		{FaultDisguised, ErrNotJPEG},
		{FaultTruncated, ErrNotJPEG},
		{FaultSlow, ErrTimeout},
	} {
		t.Run(CodeOf(tc.want), func(t *testing.T) {
			sim := newSim(t, SimOptions{User: "admin", Password: "12345"})
			cam := newCam(t, HTTPOptions{URL: sim.URL(), User: "admin", Password: "12345"})
			_, err := cam.Snapshot(context.Background())
			require.NoError(t, err)
			sim.SetFault(tc.fault)
			if tc.fault == FaultSlow {
				quick := newCam(t, HTTPOptions{URL: sim.URL(), User: "admin", Password: "12345", Timeout: 100 * time.Millisecond})
				_, err = quick.Snapshot(context.Background())
			} else {
				_, err = cam.Snapshot(context.Background())
			}
			assert.ErrorIs(t, err, tc.want)
			// The camera recovers: so does the next snapshot.
			sim.SetFault(FaultNone)
			_, err = cam.Snapshot(context.Background())
			assert.NoError(t, err)
		})
	}
}

func TestSnapshotUnreachable(t *testing.T) {
	sim := newSim(t, SimOptions{})
	cam := newCam(t, HTTPOptions{URL: sim.URL()})
	require.NoError(t, sim.Close())
	_, err := cam.Snapshot(context.Background())
	assert.ErrorIs(t, err, ErrUnreachable)
	assert.Equal(t, "连接不上摄像头，请检查摄像头的电源和网线。", MessageOf(err).ZH)
}

func TestSnapshotOther(t *testing.T) {
	sim := newSim(t, SimOptions{})
	snap, err := newCam(t, HTTPOptions{URL: sim.URL()}).Snapshot(context.Background())
	require.NoError(t, err)
	assert.Equal(t, [2]int{640, 480}, [2]int{snap.Width, snap.Height}, "the simulator's default size")

	_, err = newCam(t, HTTPOptions{URL: strings.Replace(sim.URL(), "picture", "nothing", 1)}).Snapshot(context.Background())
	assert.ErrorIs(t, err, ErrStatus, "404")

	_, err = newCam(t, HTTPOptions{URL: sim.URL(), MaxBytes: 100}).Snapshot(context.Background())
	assert.ErrorIs(t, err, ErrTooLarge)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = newCam(t, HTTPOptions{URL: sim.URL()}).Snapshot(ctx)
	assert.ErrorIs(t, err, context.Canceled, "the caller's own cancellation is no camera fault")
	assert.NotErrorIs(t, err, ErrUnreachable)

	// A deadline of the caller's that runs out waiting for the camera is
	// the camera's timeout all the same.
	sim.SetFault(FaultSlow)
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = newCam(t, HTTPOptions{URL: sim.URL()}).Snapshot(ctx)
	assert.ErrorIs(t, err, ErrTimeout)
	sim.SetFault(FaultNone)

	// Credentials in the URL are taken, and sent in headers only.
	auth := newSim(t, SimOptions{User: "admin", Password: "12345"})
	cam := newCam(t, HTTPOptions{URL: strings.Replace(auth.URL(), "http://", "http://admin:12345@", 1)})
	assert.NotContains(t, cam.url.String(), "12345")
	_, err = cam.Snapshot(context.Background())
	assert.NoError(t, err)
}

func TestNewHTTP(t *testing.T) {
	for _, opt := range []HTTPOptions{
		{},
		{URL: "ftp://camera/x.jpg"},
		{URL: "http:///x.jpg"},
		{URL: "http://camera/x.jpg", Auth: "ntlm"},
		{URL: "http://camera/x.jpg", Timeout: -1},
	} {
		_, err := NewHTTP(opt)
		assert.ErrorIs(t, err, ErrConfig, "%+v", opt)
	}
	c, err := NewHTTP(HTTPOptions{URL: "http://192.168.1.64/ISAPI/Streaming/channels/101/picture", Auth: "Digest"})
	require.NoError(t, err)
	assert.Equal(t, "192.168.1.64", c.Name())
	assert.Equal(t, "digest", c.opt.Auth)
}

func TestJPEGType(t *testing.T) {
	for mt, want := range map[string]bool{"image/jpeg": true, "image/jpg": true, "image/pjpeg": true,
		"application/octet-stream": true, "text/html": false, "image/png": false, "multipart/x-mixed-replace": false} {
		assert.Equal(t, want, jpegType(mt), mt)
	}
}
