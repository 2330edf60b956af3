// Package syncer is the edge's sync loop (DESIGN §4): it uploads the
// outbox to the county hub, applies the hub's downstream changes and
// uploads blobs, over a link that may drop at any moment.
//
// One cycle is an explicit sequence of states:
//
//	hello → upload → download → blobs → idle (interval) → hello …
//	any failure → backoff (exponential, full jitter, Retry-After) → hello
//
// The hub owns the resume point: every cycle starts with a hello whose
// answer gives, per incarnation, the highest seq the hub holds durably, and
// after any failure the position is distrusted and asked for again. Every
// call has a deadline; a watchdog restarts a loop that acknowledged
// nothing for too long while ops wait.
package syncer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"cunyou/edge/station"
	"cunyou/edge/store"
	"cunyou/syncproto"
)

// State is what the loop is doing.
type State string

const (
	StateHello    State = "hello"    // asking the hub where it stands
	StateUpload   State = "upload"   // sending ops, oldest incarnation first
	StateDownload State = "download" // applying the hub's changes
	StateBlobs    State = "blobs"    // uploading photos, resumably
	StateIdle     State = "idle"     // waiting for the next cycle
	StateBackoff  State = "backoff"  // waiting after a failure
	StateStopped  State = "stopped"  // no loop runs in this process
	StateOff      State = "off"      // not enrolled: sync is off
)

// Batch sizes, in ops: a batch starts at StartBatch, doubles after each
// quick success up to MaxBatch and halves after each failure down to
// MinBatch, so it follows what the link carries.
const (
	MinBatch   = 16
	StartBatch = 256
	MaxBatch   = 4096
	// maxBatchBytes caps a batch's payloads before compression.
	maxBatchBytes = 2 << 20
	// changesLimit is how many changes one download asks for.
	changesLimit = 1000
	// BlobChunk is the size of one blob upload call.
	BlobChunk = 256 << 10
	// maxGaps bounds how often one cycle follows the hub's cursor after a
	// gap answer before it gives up and backs off.
	maxGaps = 3
)

// Options tune the loop. Zero values take the defaults.
type Options struct {
	// Interval is the wait between cycles when all is sent (10 s).
	Interval time.Duration
	// CallTimeout is the deadline of the longest call, a full batch (30 s);
	// smaller batches and the hello get less.
	CallTimeout time.Duration
	// Watchdog restarts the loop when nothing was acknowledged for this
	// long while ops wait (10 min).
	Watchdog time.Duration
	// SafetyWindow is how long acknowledged ops are kept (7 days).
	SafetyWindow time.Duration
	// PruneEvery is how often acknowledged ops past the window are pruned
	// (1 h).
	PruneEvery time.Duration
	// BackoffMin and BackoffMax bound the wait after failures (1 s, 5 min).
	BackoffMin, BackoffMax time.Duration
	// Software names this program in the hello.
	Software string
	// Health, when set, is the node's report of itself sent with every
	// hello (its devices; the backlog is filled in here).
	Health func(ctx context.Context) *syncproto.Health
	// Log receives state changes and failures; never personal data.
	Log *slog.Logger
}

func (o *Options) defaults() {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&o.Interval, 10*time.Second)
	set(&o.CallTimeout, 30*time.Second)
	set(&o.Watchdog, 10*time.Minute)
	set(&o.SafetyWindow, store.DefaultSafetyWindow)
	set(&o.PruneEvery, time.Hour)
	set(&o.BackoffMin, time.Second)
	set(&o.BackoffMax, 5*time.Minute)
	if o.Software == "" {
		o.Software = "cunyou-edge"
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// Syncer runs the sync loop of one node.
type Syncer struct {
	stn *station.Station
	st  *store.Store
	tr  Transport
	o   Options
	log *slog.Logger

	cycleMu sync.Mutex // one cycle at a time
	kick    chan struct{}

	mu           sync.Mutex
	state        State
	stateSince   time.Time
	batch        int
	errors       map[string]int
	restarts     int
	lastProgress time.Time
	notBefore    time.Time
	lastPrune    time.Time
	failing      bool
	skew         *time.Duration
	bo           backoff
}

// New returns the sync loop of stn's node speaking to a hub through tr.
func New(stn *station.Station, tr Transport, o Options) *Syncer {
	o.defaults()
	return &Syncer{
		stn: stn, st: stn.Store(), tr: tr, o: o, log: o.Log,
		kick:  make(chan struct{}, 1),
		state: StateIdle, stateSince: time.Now(), batch: StartBatch,
		errors: map[string]int{}, lastProgress: time.Now(),
		bo: backoff{min: o.BackoffMin, max: o.BackoffMax},
	}
}

func (s *Syncer) setState(st State) {
	s.mu.Lock()
	from := s.state
	if from != st {
		s.state, s.stateSince = st, time.Now()
	}
	s.mu.Unlock()
	if from != st {
		s.log.Debug("sync state", "from", string(from), "to", string(st))
	}
}

// progress notes that the hub acknowledged something, or that nothing
// waits: the watchdog counts from here.
func (s *Syncer) progress() {
	s.mu.Lock()
	s.lastProgress = time.Now()
	s.mu.Unlock()
}

func (s *Syncer) batchSize() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.batch
}

func (s *Syncer) grow() {
	s.mu.Lock()
	s.batch = min(s.batch*2, MaxBatch)
	s.mu.Unlock()
}

func (s *Syncer) shrink() {
	s.mu.Lock()
	s.batch = max(s.batch/2, MinBatch)
	s.mu.Unlock()
}

// callTimeout is the deadline of a call carrying n ops: a quarter of
// CallTimeout plus a share for the ops, so a small batch on a dead link
// fails fast.
func (s *Syncer) callTimeout(n int) time.Duration {
	t := s.o.CallTimeout/4 + time.Duration(int64(s.o.CallTimeout)*3/4*int64(n)/MaxBatch)
	return min(t, s.o.CallTimeout)
}

// Kick starts the next cycle now if the loop is idle.
func (s *Syncer) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run runs the loop until ctx ends, under a watchdog that restarts it when
// nothing was acknowledged for Options.Watchdog while ops wait.
func (s *Syncer) Run(ctx context.Context) error {
	s.progress()
	s.log.Info("sync started", "interval", s.o.Interval, "watchdog", s.o.Watchdog)
	for {
		loopCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.loop(loopCtx)
		}()
		fired := s.watch(loopCtx, done)
		cancel()
		<-done
		if ctx.Err() != nil {
			s.setState(StateStopped)
			s.log.Info("sync stopped")
			return nil
		}
		if fired {
			s.mu.Lock()
			s.restarts++
			s.errors[CodeWatchdog]++
			failing := s.failing
			s.mu.Unlock()
			s.log.Warn("sync stalled: nothing acknowledged while ops wait; restarting the loop", "code", CodeWatchdog, "after", s.o.Watchdog)
			if !failing {
				// A silent stall is the news; a loop that keeps failing
				// has already said why, and that reason stays shown.
				s.recordError(ctx, CodeWatchdog, errWatchdog)
			}
			s.progress()
		}
	}
}

// watch returns true when the loop stalled, false when it ended.
func (s *Syncer) watch(ctx context.Context, done <-chan struct{}) bool {
	every := min(s.o.Watchdog/4, 30*time.Second)
	t := time.NewTicker(max(every, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-done:
			return false
		case <-ctx.Done():
			return false
		case <-t.C:
		}
		s.mu.Lock()
		since := time.Since(s.lastProgress)
		s.mu.Unlock()
		if since < s.o.Watchdog {
			continue
		}
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		b, err := s.st.Backlog(qctx)
		cancel()
		if err == nil && b.Ops == 0 {
			s.progress() // nothing waits: nothing is stalled
			continue
		}
		return true
	}
}

func (s *Syncer) loop(ctx context.Context) {
	for ctx.Err() == nil {
		s.mu.Lock()
		wait := time.Until(s.notBefore)
		s.mu.Unlock()
		if wait > 0 {
			s.setState(StateBackoff)
			if !s.sleep(ctx, wait, false) {
				return
			}
		}
		s.mu.Lock()
		before := s.lastProgress
		s.mu.Unlock()
		more, err := s.syncOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			code := CodeOf(err)
			s.mu.Lock()
			advanced := s.lastProgress.After(before)
			s.mu.Unlock()
			if advanced {
				// The hub acknowledged something before the failure: the link
				// works between cuts, so retry soon instead of backing off
				// further (a long upload on a link cut every few seconds
				// would otherwise wait minutes).
				s.bo.reset()
			}
			wait := s.bo.next(retryAfter(err))
			s.mu.Lock()
			s.notBefore = time.Now().Add(wait)
			s.mu.Unlock()
			s.log.Warn("sync failed", "code", code, "err", err, "retry_in", wait)
			continue
		}
		s.bo.reset()
		s.pruneIfDue(ctx)
		if more {
			continue
		}
		s.setState(StateIdle)
		if !s.sleep(ctx, s.o.Interval, true) {
			return
		}
	}
}

// sleep waits d, or less when kicked (if kickable); false when ctx ended.
func (s *Syncer) sleep(ctx context.Context, d time.Duration, kickable bool) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	var kick <-chan struct{}
	if kickable {
		kick = s.kick
	}
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
	case <-kick:
	}
	return true
}

func (s *Syncer) pruneIfDue(ctx context.Context) {
	s.mu.Lock()
	due := time.Since(s.lastPrune) >= s.o.PruneEvery
	if due {
		s.lastPrune = time.Now()
	}
	s.mu.Unlock()
	if !due {
		return
	}
	n, err := s.st.Prune(ctx, s.o.SafetyWindow)
	switch {
	case err != nil:
		s.log.Error("prune outbox", "err", err)
	case n > 0:
		s.log.Info("pruned acknowledged ops", "ops", n, "older_than", s.o.SafetyWindow)
	}
}

// SyncOnce runs one full cycle: hello, upload, download, blobs. It
// returns the first failure; the next cycle starts again from the hello.
func (s *Syncer) SyncOnce(ctx context.Context) error {
	for {
		more, err := s.syncOnce(ctx)
		if err != nil || !more {
			return err
		}
	}
}

// syncOnce runs one cycle and records its outcome; more is true when it
// left blobs behind to let new ops go first.
func (s *Syncer) syncOnce(ctx context.Context) (more bool, err error) {
	s.cycleMu.Lock()
	defer s.cycleMu.Unlock()
	more, err = s.cycle(ctx)
	if err == nil {
		if rerr := s.st.RecordSyncSuccess(ctx, time.Now()); rerr != nil {
			err = local(rerr)
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return false, err // stopped or restarted: not the hub's failure
		}
		s.setState(StateBackoff)
		code := CodeOf(err)
		s.mu.Lock()
		s.errors[code]++
		s.failing = true
		s.mu.Unlock()
		s.recordError(ctx, code, err)
		if c, ok := s.tr.(*Client); ok {
			c.CloseIdle() // the next try starts on a fresh connection
		}
		return false, err
	}
	s.mu.Lock()
	recovered := s.failing
	s.failing = false
	s.mu.Unlock()
	if recovered {
		s.log.Info("sync recovered")
	}
	return more, nil
}

func (s *Syncer) recordError(ctx context.Context, code string, err error) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if rerr := s.st.RecordSyncError(rctx, time.Now(), code, err.Error()); rerr != nil {
		s.log.Error("record sync error", "err", rerr)
	}
}

func (s *Syncer) cycle(ctx context.Context) (bool, error) {
	s.setState(StateHello)
	incs, err := s.hello(ctx)
	if err != nil {
		return false, fmt.Errorf("hello: %w", err)
	}
	s.setState(StateUpload)
	if err := s.upload(ctx, incs); err != nil {
		return false, fmt.Errorf("upload ops: %w", err)
	}
	s.setState(StateDownload)
	if err := s.download(ctx); err != nil {
		return false, fmt.Errorf("download changes: %w", err)
	}
	s.setState(StateBlobs)
	more, err := s.uploadBlobs(ctx)
	if err != nil {
		return false, fmt.Errorf("upload blobs: %w", err)
	}
	return more, nil
}

// hello asks the hub where it stands, measures the clock skew and adopts
// the hub's cursors.
func (s *Syncer) hello(ctx context.Context) ([]store.SyncIncarnation, error) {
	incs, err := s.st.SyncIncarnations(ctx)
	if err != nil {
		return nil, local(err)
	}
	h := syncproto.Hello{Proto: syncproto.ProtoVersion, MinProto: syncproto.MinProtoVersion,
		Node: s.st.Identity().Node, Software: s.o.Software, Incarnations: []string{}}
	// Every incarnation the node still has ops of; one pruned whole has
	// nothing left to send or to refill.
	kept := incs[:0]
	for _, in := range incs {
		if in.Current || in.LastSeq > 0 {
			h.Incarnations = append(h.Incarnations, in.ID)
			kept = append(kept, in)
		}
	}
	incs = kept
	h.Health = s.health(ctx)
	cctx, cancel := context.WithTimeout(ctx, s.o.CallTimeout/2)
	defer cancel()
	sent := time.Now()
	h.TimeMs = sent.UnixMilli()
	w, err := s.tr.Hello(cctx, h)
	if err != nil {
		return nil, err
	}
	rtt := time.Since(sent)
	if w.Proto < syncproto.MinProtoVersion || w.Proto > syncproto.ProtoVersion {
		return nil, &syncproto.Error{Code: syncproto.CodeUnsupportedVersion,
			Msg: fmt.Sprintf("hub chose protocol %d, this program speaks %d-%d", w.Proto, syncproto.MinProtoVersion, syncproto.ProtoVersion)}
	}
	if w.HubTimeMs > 0 {
		skew := time.Duration(w.HubTimeMs-sent.Add(rtt/2).UnixMilli()) * time.Millisecond
		if err := s.noteSkew(ctx, skew); err != nil {
			return nil, local(err)
		}
	}
	for i := range incs {
		if err := s.adopt(ctx, &incs[i], w.Cursors[incs[i].ID]); err != nil {
			return nil, err
		}
	}
	ss, err := s.st.SyncState(ctx)
	if err != nil {
		return nil, local(err)
	}
	if w.ChangesSeq < ss.DownCursor {
		s.log.Warn("hub's newest change is older than this station's cursor (hub restored?): fetching from the hub's",
			"cursor", ss.DownCursor, "hub_changes_seq", w.ChangesSeq)
		if err := s.st.ResetDownCursor(ctx, w.ChangesSeq); err != nil {
			return nil, local(err)
		}
	}
	return incs, nil
}

// noteSkew keeps the measured skew, writing it only when it moved.
func (s *Syncer) noteSkew(ctx context.Context, skew time.Duration) error {
	s.mu.Lock()
	prev := s.skew
	s.mu.Unlock()
	if prev != nil && (*prev-skew).Abs() < time.Second {
		return nil
	}
	if err := s.st.SetSkew(ctx, skew); err != nil {
		return err
	}
	s.mu.Lock()
	s.skew = &skew
	s.mu.Unlock()
	if skew.Abs() > time.Minute {
		s.log.Warn("station clock differs from the hub's", "skew", skew.Round(time.Second))
	}
	return nil
}

// adopt makes the hub's cursor for an incarnation this node's: forward as
// an acknowledgement, backward when the hub lost ops (restored from an
// older backup), which are then sent again.
func (s *Syncer) adopt(ctx context.Context, in *store.SyncIncarnation, cursor uint64) error {
	if in.Current && cursor > in.LastSeq {
		// The hub holds more of this incarnation than was ever issued here:
		// another copy of this database syncs too (a cloned disk). Taking
		// the cursor would mark this node's next ops as sent.
		ob, err := s.st.Outbox(ctx)
		if err != nil {
			return local(err)
		}
		if cursor > ob.LastSeq {
			return &divergedError{incarnation: in.ID, hub: cursor, issued: ob.LastSeq}
		}
	}
	switch {
	case cursor > in.Acked:
		if err := s.st.SetAcked(ctx, in.ID, cursor); err != nil {
			return local(err)
		}
		s.progress()
	case cursor < in.Acked:
		s.log.Warn("hub holds fewer ops than it acknowledged (restored from a backup?): sending them again",
			"incarnation", in.ID, "hub_cursor", cursor, "acked", in.Acked)
		if err := s.st.ResetAcked(ctx, in.ID, cursor); err != nil {
			return local(err)
		}
	}
	in.Acked = cursor
	return nil
}

// upload sends every incarnation's unacknowledged ops, oldest incarnation
// first, in batches sized to the link.
func (s *Syncer) upload(ctx context.Context, incs []store.SyncIncarnation) error {
	node := s.st.Identity().Node
	var pruned error
	sent := 0
	for i := range incs {
		in := &incs[i]
		gaps := 0
		for {
			ops, err := s.st.OpsOf(ctx, in.ID, in.Acked, s.batchSize(), maxBatchBytes)
			if err != nil {
				return local(err)
			}
			if len(ops) == 0 {
				break
			}
			if ops[0].Seq != in.Acked+1 {
				pe := &prunedError{incarnation: in.ID, cursor: in.Acked, firstKept: ops[0].Seq}
				s.log.Error("cannot refill the hub", "code", CodePruned, "err", pe)
				pruned = pe
				break // the other incarnations still go
			}
			var buf bytes.Buffer
			if err := syncproto.WriteOps(&buf, node, in.ID, ops, time.Now().UnixMilli()); err != nil {
				return local(err)
			}
			timeout := s.callTimeout(len(ops))
			cctx, cancel := context.WithTimeout(ctx, timeout)
			start := time.Now()
			res, err := s.tr.PushOps(cctx, buf.Bytes())
			elapsed := time.Since(start)
			cancel()
			if err != nil {
				var he *HubError
				if errors.As(err, &he) && he.Body.Code == syncproto.CodeGap && he.Body.Cursor != nil && gaps < maxGaps {
					gaps++
					s.log.Info("hub is at another seq: resuming from its cursor", "incarnation", in.ID,
						"sent_from", ops[0].Seq, "hub_cursor", *he.Body.Cursor)
					if err := s.adopt(ctx, in, *he.Body.Cursor); err != nil {
						return err
					}
					continue
				}
				if shrinks(err) {
					s.shrink()
				}
				return err
			}
			last := ops[len(ops)-1].Seq
			if res.AckedSeq <= in.Acked {
				return &syncproto.Error{Code: syncproto.CodeInternal,
					Msg: fmt.Sprintf("hub acknowledged nothing of ops %d-%d of %s", ops[0].Seq, last, in.ID)}
			}
			if err := s.st.SetAcked(ctx, in.ID, res.AckedSeq); err != nil {
				return local(err)
			}
			sent += int(min(res.AckedSeq, last) - in.Acked)
			in.Acked = res.AckedSeq
			s.progress()
			if res.Quarantined > 0 || res.DeadLettered > 0 {
				s.log.Warn("hub set ops aside", "incarnation", in.ID, "quarantined", res.Quarantined, "dead_lettered", res.DeadLettered)
			}
			if elapsed < timeout/4 && len(ops) == s.batchSize() {
				s.grow()
			}
		}
	}
	if sent > 0 {
		s.log.Info("ops uploaded", "ops", sent, "batch", s.batchSize())
	} else if pruned == nil {
		s.progress() // nothing waits
	}
	return pruned
}

// shrinks reports whether a failure calls for smaller batches: the link
// (or the hub) could not carry the last one.
func shrinks(err error) bool {
	switch CodeOf(err) {
	case CodeTimeout, CodeNetwork, syncproto.CodeTooLarge.String(), syncproto.CodeInternal.String(), syncproto.CodeBadBatch.String():
		return true
	}
	return false
}

// download applies the hub's changes after the stored cursor until the hub
// has none left.
func (s *Syncer) download(ctx context.Context) error {
	ss, err := s.st.SyncState(ctx)
	if err != nil {
		return local(err)
	}
	node := s.st.Identity().Node
	after := ss.DownCursor
	applied := 0
	for {
		cctx, cancel := context.WithTimeout(ctx, s.o.CallTimeout)
		b, err := s.tr.Changes(cctx, after, changesLimit)
		cancel()
		if err != nil {
			return err
		}
		if b.Header.Kind != syncproto.BatchChanges || (b.Header.Node != "" && b.Header.Node != node) {
			return &syncproto.Error{Code: syncproto.CodeWrongNode,
				Msg: fmt.Sprintf("hub sent a %s batch for %q", b.Header.Kind, b.Header.Node)}
		}
		if len(b.Changes) == 0 {
			break
		}
		if b.Changes[0].Seq <= after {
			return &syncproto.Error{Code: syncproto.CodeBadBatch,
				Msg: fmt.Sprintf("hub sent change %d, not after cursor %d", b.Changes[0].Seq, after)}
		}
		last := b.Changes[len(b.Changes)-1].Seq
		res, err := s.stn.ApplyChanges(ctx, b.Changes, last)
		if err != nil {
			return local(err)
		}
		s.logOutcome(res)
		applied += res.Applied
		after = last
	}
	if applied > 0 {
		s.log.Info("changes applied", "changes", applied, "cursor", after)
	}
	return nil
}

func (s *Syncer) logOutcome(res station.ApplyResult) {
	for _, o := range res.Skipped {
		s.log.Warn("change skipped: type unknown to this version", "seq", o.Seq, "type", string(o.Type))
	}
	for _, o := range res.Refused {
		s.log.Warn("change refused", "seq", o.Seq, "type", string(o.Type), "reason", o.Reason)
	}
}

// uploadBlobs sends pending blobs, oldest first. Ops go first: when new
// ops wait after a blob, it stops and reports more work.
func (s *Syncer) uploadBlobs(ctx context.Context) (bool, error) {
	for {
		blobs, err := s.st.PendingBlobs(ctx, 8)
		if err != nil {
			return false, local(err)
		}
		if len(blobs) == 0 {
			return false, nil
		}
		for _, b := range blobs {
			if err := s.uploadBlob(ctx, b); err != nil {
				return false, err
			}
			bl, err := s.st.Backlog(ctx)
			if err != nil {
				return false, local(err)
			}
			if bl.Ops > 0 {
				return true, nil
			}
		}
	}
}

// uploadBlob sends one blob from where the hub stands, in chunks.
func (s *Syncer) uploadBlob(ctx context.Context, b store.Blob) error {
	f, err := s.st.OpenBlob(b.SHA256)
	if errors.Is(err, store.ErrNoBlob) {
		s.log.Error("blob file missing: given up", "sha256", b.SHA256)
		return local(s.st.GiveUpBlob(ctx, b.SHA256))
	}
	if err != nil {
		return local(err)
	}
	defer f.Close()
	h := sha256.New()
	if n, err := io.Copy(h, f); err != nil {
		return local(err)
	} else if n != b.Size || hex.EncodeToString(h.Sum(nil)) != b.SHA256 {
		s.log.Error("blob file damaged: given up", "sha256", b.SHA256)
		return local(s.st.GiveUpBlob(ctx, b.SHA256))
	}
	cctx, cancel := context.WithTimeout(ctx, s.o.CallTimeout/2)
	off, err := s.tr.BlobOffset(cctx, b.SHA256)
	cancel()
	if err != nil {
		return err
	}
	if off >= b.Size && b.Size > 0 {
		return local(s.st.MarkBlobUploaded(ctx, b.SHA256))
	}
	buf := make([]byte, BlobChunk)
	for {
		n := int(min(int64(BlobChunk), b.Size-off))
		if m, err := f.ReadAt(buf[:n], off); m < n || (err != nil && !errors.Is(err, io.EOF)) {
			return local(fmt.Errorf("read blob %s at %d: %d of %d bytes: %v", b.SHA256, off, m, n, err))
		}
		cctx, cancel := context.WithTimeout(ctx, s.o.CallTimeout)
		st, err := s.tr.PushBlob(cctx, b.SHA256, off, b.Size, buf[:n])
		cancel()
		if err != nil {
			return err
		}
		if st.Complete {
			s.log.Info("blob uploaded", "sha256", b.SHA256, "bytes", b.Size)
			return local(s.st.MarkBlobUploaded(ctx, b.SHA256))
		}
		if st.Offset != off+int64(n) || st.Offset >= b.Size {
			return &syncproto.Error{Code: syncproto.CodeBadBatch,
				Msg: fmt.Sprintf("blob %s: sent up to %d, hub holds %d", b.SHA256, off+int64(n), st.Offset)}
		}
		off = st.Offset
	}
}

// health is the node's report of itself for the hello: the devices from
// Options.Health and the backlog from the store.
func (s *Syncer) health(ctx context.Context) *syncproto.Health {
	h := &syncproto.Health{}
	if s.o.Health != nil {
		if d := s.o.Health(ctx); d != nil {
			h = d
		}
	}
	if b, err := s.st.Backlog(ctx); err == nil {
		h.Backlog = b.Ops
		if !b.Oldest.IsZero() {
			h.OldestUnsentS = int64(max(s.st.Now().Sub(b.Oldest), 0) / time.Second)
		}
	}
	return h
}
