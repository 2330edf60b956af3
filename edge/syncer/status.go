package syncer

import (
	"context"
	"maps"
	"time"

	"cunyou/edge/store"
)

// Status is the sync loop as technicians, the kiosk and metrics see it.
type Status struct {
	Enrolled bool   `json:"enrolled"`
	HubURL   string `json:"hub_url,omitempty"`
	State    State  `json:"state"`
	// StateSince is when the loop entered State (zero when no loop runs
	// in this process).
	StateSince time.Time `json:"state_since,omitzero"`
	// Backlog is the count of ops the hub has not acknowledged.
	Backlog int `json:"backlog"`
	// OldestUnacked is the time of the oldest of them; zero when none.
	OldestUnacked time.Time `json:"oldest_unacked,omitzero"`
	LastSuccess   time.Time `json:"last_success,omitzero"`
	LastAttempt   time.Time `json:"last_attempt,omitzero"`
	// LastError is the most recent failure, also when a success followed;
	// Failing says whether the last attempt failed.
	LastError *ErrorInfo `json:"last_error,omitempty"`
	Failing   bool       `json:"failing"`
	// Skew is the hub's clock minus this node's, as last measured.
	Skew        time.Duration `json:"skew"`
	DownCursor  uint64        `json:"down_cursor"`
	BlobBacklog int           `json:"blob_backlog"`
	// BatchSize is the ops per batch the loop now sends (0: no loop here).
	BatchSize int `json:"batch_size"`
	// Restarts counts watchdog restarts of this process's loop.
	Restarts int `json:"restarts"`
	// ErrorsTotal counts this process's failures by code.
	ErrorsTotal    map[string]int      `json:"errors_total"`
	ChangesSkipped int                 `json:"changes_skipped"`
	Incarnations   []IncarnationStatus `json:"incarnations"`
}

// ErrorInfo is a failure: its stable code, message and time.
type ErrorInfo struct {
	Code    string    `json:"code"`
	Message string    `json:"message"`
	At      time.Time `json:"at"`
}

// IncarnationStatus is one incarnation's upload position.
type IncarnationStatus struct {
	ID      string `json:"id"`
	Current bool   `json:"current"`
	LastSeq uint64 `json:"last_seq"`
	Acked   uint64 `json:"acked"`
	Pending int    `json:"pending"`
}

// OldestUnackedAge is how long the oldest unacknowledged op has waited at
// now; zero when none waits.
func (st Status) OldestUnackedAge(now time.Time) time.Duration {
	if st.OldestUnacked.IsZero() || now.Before(st.OldestUnacked) {
		return 0
	}
	return now.Sub(st.OldestUnacked)
}

// StoredStatus reads the status kept in the store, for when no loop runs
// in this process (the command line, or a node that is not enrolled).
func StoredStatus(ctx context.Context, st *store.Store) (Status, error) {
	var out Status
	cfg, enrolled, err := st.SyncConfig(ctx)
	if err != nil {
		return out, err
	}
	out.Enrolled, out.HubURL = enrolled, cfg.HubURL
	out.State = StateStopped
	if !enrolled {
		out.State = StateOff
	}
	incs, err := st.SyncIncarnations(ctx)
	if err != nil {
		return out, err
	}
	for _, in := range incs {
		out.Incarnations = append(out.Incarnations, IncarnationStatus{ID: in.ID, Current: in.Current, LastSeq: in.LastSeq,
			Acked: in.Acked, Pending: in.Pending()})
	}
	b, err := st.Backlog(ctx)
	if err != nil {
		return out, err
	}
	out.Backlog, out.OldestUnacked = b.Ops, b.Oldest
	ss, err := st.SyncState(ctx)
	if err != nil {
		return out, err
	}
	out.LastSuccess, out.LastAttempt, out.Skew, out.DownCursor, out.ChangesSkipped =
		ss.LastSuccess, ss.LastAttempt, ss.Skew, ss.DownCursor, ss.ChangesSkipped
	if ss.LastErrorCode != "" {
		out.LastError = &ErrorInfo{Code: ss.LastErrorCode, Message: ss.LastError, At: ss.LastErrorAt}
		out.Failing = !ss.LastErrorAt.Before(ss.LastSuccess)
	}
	if out.BlobBacklog, err = st.BlobBacklog(ctx); err != nil {
		return out, err
	}
	out.ErrorsTotal = map[string]int{}
	return out, nil
}

// Status returns the loop's status: what the store keeps and what the
// running loop knows.
func (s *Syncer) Status(ctx context.Context) (Status, error) {
	out, err := StoredStatus(ctx, s.st)
	if err != nil {
		return out, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out.State, out.StateSince = s.state, s.stateSince
	out.BatchSize = s.batch
	out.Restarts = s.restarts
	out.ErrorsTotal = maps.Clone(s.errors)
	return out, nil
}
