package merge

// SetBeforeCommit makes every commit of m run f first; an error from f
// aborts the transaction. Set it before the Apply it should affect.
func SetBeforeCommit(m *Merger, f func() error) { m.beforeCommit = f }

// Queued is how many batches wait for the writer.
func Queued(m *Merger) int { return len(m.queue) }

// PauseProjector stops (true) or resumes the projector of m.
func PauseProjector(m *Merger, paused bool) {
	m.proj.paused.Store(paused)
	if !paused {
		m.proj.advanceCommitted(0, nil) // wake it
	}
}

// SetMemCap bounds the in-memory hand-over of m to n ops.
func SetMemCap(m *Merger, n int) { m.proj.memCap = n }
