package merge

// SetBeforeCommit makes every commit of m run f first; an error from f
// aborts the transaction. Set it before the Apply it should affect.
func SetBeforeCommit(m *Merger, f func() error) { m.beforeCommit = f }

// Queued is how many batches wait for the writer.
func Queued(m *Merger) int { return len(m.queue) }
