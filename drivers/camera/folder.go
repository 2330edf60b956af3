package camera

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"cunyou/drivers"
)

// Event is what a Folder pushes into its sink: a File, a Rejected file or
// a StateChange.
type Event interface{ event() }

// File is a new image in the watched folder, written whole.
type File struct {
	Device string
	Path   string
	Size   int64
	ImageInfo
	ModTime time.Time
	At      time.Time // when it was found whole
}

// Rejected is a file in the watched folder that is no image the package
// takes: not a whole JPEG or PNG long after its last change
// (ErrBadImage), or too large (ErrTooLarge).
type Rejected struct {
	Device string
	Path   string
	Err    error
	At     time.Time
}

// StateChange says the folder is now absent, watched or failing.
type StateChange struct {
	Device string
	State  State
	Err    error // why it is absent or failing; nil when open
	At     time.Time
}

func (File) event()        {}
func (Rejected) event()    {}
func (StateChange) event() {}

// State is the state of a watched folder.
type State = drivers.State

const (
	StateAbsent = drivers.StateAbsent // the folder does not exist (yet): retried
	StateOpen   = drivers.StateOpen   // watched
	StateError  = drivers.StateError  // there but unwatchable: retried
)

// Sink receives a folder's events, one at a time, from the goroutine of
// Run.
type Sink func(Event)

// ChanSink returns a Sink that sends events into ch, waiting for room
// until ctx ends (then it drops them).
func ChanSink(ctx context.Context, ch chan<- Event) Sink {
	return drivers.ChanSink(ctx, ch)
}

// FolderOptions configures a Folder.
type FolderOptions struct {
	// Dir is the folder the document camera's software saves into.
	Dir string
	// Name is the device name in events; Dir when "".
	Name string
	// Settle is how long a file's size and time must stay the same
	// before it is looked at; 500 ms when 0.
	Settle time.Duration
	// Poll is how often files waiting to settle are looked at; Settle/4
	// when 0.
	Poll time.Duration
	// GiveUp rejects a file that is still no whole image this long after
	// its last change; 30 s when 0.
	GiveUp time.Duration
	// Retry is the wait between looks for a missing folder; 1 s when 0.
	Retry time.Duration
	// Sink receives the events; they are dropped when nil.
	Sink Sink
	// Now stamps events; time.Now when nil. Settling runs on the real
	// clock.
	Now func() time.Time
	// Log receives what the watcher does; nothing when nil.
	Log *slog.Logger
}

// Folder watches a folder for images that a document camera's software
// (高拍仪) saves: each new JPEG or PNG is reported once it is whole. It
// does not look into subfolders.
type Folder struct {
	opt    FolderOptions
	status drivers.Status

	pending map[string]*pendingFile
	done    map[string]stamp // files reported, by path, as they were then
}

type stamp struct {
	size int64
	mod  time.Time
}

type pendingFile struct {
	stamp
	changed time.Time // real time of the last change seen
	first   time.Time // real time it was first seen
}

// NewFolder makes a Folder. It watches nothing: Run does.
func NewFolder(opt FolderOptions) (*Folder, error) {
	if opt.Dir == "" {
		return nil, fmt.Errorf("camera folder: no folder given: %w", ErrConfig)
	}
	if opt.Name == "" {
		opt.Name = opt.Dir
	}
	if opt.Settle == 0 {
		opt.Settle = 500 * time.Millisecond
	}
	if opt.Poll == 0 {
		opt.Poll = max(opt.Settle/4, time.Millisecond)
	}
	if opt.GiveUp == 0 {
		opt.GiveUp = 30 * time.Second
	}
	if opt.Retry == 0 {
		opt.Retry = time.Second
	}
	if opt.Settle < 0 || opt.Poll < 0 || opt.GiveUp < 0 || opt.Retry < 0 {
		return nil, fmt.Errorf("camera folder: negative duration: %w", ErrConfig)
	}
	if opt.Sink == nil {
		opt.Sink = func(Event) {}
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	return &Folder{opt: opt, pending: map[string]*pendingFile{}, done: map[string]stamp{}}, nil
}

// Name is the device name its events carry.
func (f *Folder) Name() string { return f.opt.Name }

// State returns the folder's state and, when it is not open, why.
func (f *Folder) State() (State, error) { return f.status.Get() }

// Run watches the folder until ctx ends. Files already there are
// reported too, once. A missing folder is a state, retried, not an
// error of Run; so is a folder removed while watched.
func (f *Folder) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		err := f.watch(ctx)
		if ctx.Err() != nil {
			break
		}
		st := StateError
		if errors.Is(err, ErrFolderMissing) {
			st = StateAbsent
		}
		f.setState(st, err)
		if !drivers.Sleep(ctx, f.opt.Retry) {
			break
		}
	}
	return nil
}

// watch watches the folder until it goes away or ctx ends.
func (f *Folder) watch(ctx context.Context) error {
	if err := f.checkDir(); err != nil {
		return err
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch %s: %w: %v", f.opt.Dir, ErrFolder, err)
	}
	defer w.Close()
	if err := w.Add(f.opt.Dir); err != nil {
		return f.dirError(err)
	}
	f.setState(StateOpen, nil)
	if err := f.scan(); err != nil {
		return err
	}
	tick := time.NewTicker(f.opt.Poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return fmt.Errorf("watch %s: %w: watcher closed", f.opt.Dir, ErrFolder)
			}
			if filepath.Clean(ev.Name) == filepath.Clean(f.opt.Dir) && ev.Has(fsnotify.Remove|fsnotify.Rename) {
				return fmt.Errorf("watch %s: %w: removed", f.opt.Dir, ErrFolderMissing)
			}
			f.changed(ev.Name)
		case err, ok := <-w.Errors:
			if !ok {
				return fmt.Errorf("watch %s: %w: watcher closed", f.opt.Dir, ErrFolder)
			}
			// Events were lost (the kernel's queue overflowed): look again.
			f.opt.Log.Warn("camera folder: watch error", "dir", f.opt.Dir, "err", err)
			if err := f.scan(); err != nil {
				return err
			}
		case <-tick.C:
			if err := f.checkDir(); err != nil {
				return err
			}
			f.settle()
		}
	}
}

// checkDir checks that the folder is there and is a folder.
func (f *Folder) checkDir() error {
	fi, err := os.Stat(f.opt.Dir)
	switch {
	case err != nil:
		return f.dirError(err)
	case !fi.IsDir():
		return fmt.Errorf("watch %s: %w: not a folder", f.opt.Dir, ErrFolder)
	}
	return nil
}

func (f *Folder) dirError(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("watch %s: %w", f.opt.Dir, ErrFolderMissing)
	}
	return fmt.Errorf("watch %s: %w: %v", f.opt.Dir, ErrFolder, err)
}

// scan takes note of every image file in the folder.
func (f *Folder) scan() error {
	entries, err := os.ReadDir(f.opt.Dir)
	if err != nil {
		return f.dirError(err)
	}
	for _, e := range entries {
		f.changed(filepath.Join(f.opt.Dir, e.Name()))
	}
	return nil
}

// imageName reports whether a file's name is that of an image the
// package takes. Software that writes to a temporary name and renames it
// is seen at the rename.
func imageName(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jpg", ".jpeg", ".png":
		return !strings.HasPrefix(filepath.Base(path), ".")
	}
	return false
}

// changed takes note that a file may have changed.
func (f *Folder) changed(path string) {
	if !imageName(path) {
		return
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		delete(f.pending, path)
		delete(f.done, path) // gone: a new file of that name is news
		return
	}
	now := time.Now()
	st := stamp{fi.Size(), fi.ModTime()}
	if d, ok := f.done[path]; ok && d == st {
		return
	}
	if p, ok := f.pending[path]; ok {
		if p.stamp != st {
			p.stamp, p.changed = st, now
		}
		return
	}
	f.pending[path] = &pendingFile{stamp: st, changed: now, first: now}
}

// settle looks at the files that stopped changing.
func (f *Folder) settle() {
	now := time.Now()
	for path, p := range f.pending {
		f.changed(path) // did it change since?
		if f.pending[path] != p || now.Sub(p.changed) < f.opt.Settle {
			continue
		}
		info, err := f.inspect(path, p.size)
		switch {
		case err == nil:
			delete(f.pending, path)
			f.done[path] = p.stamp
			f.opt.Sink(File{Device: f.opt.Name, Path: path, Size: p.size, ImageInfo: info, ModTime: p.mod, At: f.opt.Now()})
		case errors.Is(err, ErrTooLarge) || now.Sub(p.changed) >= f.opt.GiveUp:
			delete(f.pending, path)
			f.done[path] = p.stamp
			f.opt.Log.Warn("camera folder: file rejected", "path", path, "code", CodeOf(err), "err", err)
			f.opt.Sink(Rejected{Device: f.opt.Name, Path: path, Err: err, At: f.opt.Now()})
		}
		// Otherwise not whole yet: a writer that pauses between pieces.
	}
}

func (f *Folder) inspect(path string, size int64) (ImageInfo, error) {
	if size > MaxImageBytes {
		return ImageInfo{}, fmt.Errorf("%s: %w: %d bytes", filepath.Base(path), ErrTooLarge, size)
	}
	file, err := os.Open(path)
	if err != nil {
		return ImageInfo{}, fmt.Errorf("%s: %w: %v", filepath.Base(path), ErrBadImage, err)
	}
	defer file.Close()
	return Inspect(file, size)
}

// setState records the state and reports it when it or the error's code
// changed.
func (f *Folder) setState(st State, err error) {
	if !f.status.Set(st, err, CodeOf) {
		return
	}
	if err != nil {
		f.opt.Log.Warn("camera folder: "+st.String(), "dir", f.opt.Dir, "code", CodeOf(err), "err", err)
	} else {
		f.opt.Log.Info("camera folder: "+st.String(), "dir", f.opt.Dir)
	}
	f.opt.Sink(StateChange{Device: f.opt.Name, State: st, Err: err, At: f.opt.Now()})
}
