package trackbench

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// bulk writes rows into the database with multi-row INSERTs, on one
// connection in one transaction, in a goroutine of its own: the caller
// fills a table's buffer and hands it over when it holds rowsPerInsert
// rows.
type bulk struct {
	ctx    context.Context
	tx     *sql.Tx
	tables []*table
	jobs   chan job
	done   chan error
	free   chan []any
}

type table struct {
	id     int
	insert string // INSERT INTO t (cols) VALUES
	cols   int
	stmts  map[int]*sql.Stmt // by rows
	buf    []any
}

type job struct {
	t    *table
	args []any
}

const rowsPerInsert = 128

func newBulk(ctx context.Context, tx *sql.Tx) *bulk {
	b := &bulk{ctx: ctx, tx: tx, jobs: make(chan job, 64), done: make(chan error, 1), free: make(chan []any, 80)}
	go b.run()
	return b
}

// table declares a table and its columns; the returned table takes rows
// through add.
func (b *bulk) table(name string, cols ...string) *table {
	t := &table{id: len(b.tables), insert: "INSERT INTO " + name + " (" + strings.Join(cols, ", ") + ") VALUES ", cols: len(cols),
		stmts: map[int]*sql.Stmt{}}
	b.tables = append(b.tables, t)
	return t
}

// add queues one row of t (len(vals) == its columns).
func (b *bulk) add(t *table, vals ...any) error {
	if t.buf == nil {
		select {
		case t.buf = <-b.free:
		default:
			t.buf = make([]any, 0, rowsPerInsert*t.cols)
		}
	}
	t.buf = append(t.buf, vals...)
	if len(t.buf) >= rowsPerInsert*t.cols {
		return b.hand(t)
	}
	return nil
}

func (b *bulk) hand(t *table) error {
	if len(t.buf) == 0 {
		return nil
	}
	select {
	case b.jobs <- job{t, t.buf}:
	case err := <-b.done:
		b.done <- err
		return fmt.Errorf("bulk insert: %w", err)
	}
	t.buf = nil
	return nil
}

// close writes what is buffered and waits for every insert.
func (b *bulk) close() error {
	for _, t := range b.tables {
		if err := b.hand(t); err != nil {
			return err
		}
	}
	close(b.jobs)
	err := <-b.done
	for _, t := range b.tables {
		for _, s := range t.stmts {
			s.Close()
		}
	}
	return err
}

func (b *bulk) run() {
	var failed error
	for j := range b.jobs {
		if failed != nil {
			continue
		}
		n := len(j.args) / j.t.cols
		st := j.t.stmts[n]
		if st == nil {
			tuple := "(" + strings.Repeat("?, ", j.t.cols-1) + "?)"
			q := j.t.insert + strings.Repeat(tuple+", ", n-1) + tuple
			var err error
			if st, err = b.tx.PrepareContext(b.ctx, q); err != nil {
				failed = err
				b.done <- err
				continue
			}
			j.t.stmts[n] = st
		}
		if _, err := st.ExecContext(b.ctx, j.args...); err != nil {
			failed = fmt.Errorf("%s: %w", strings.TrimSpace(j.t.insert), err)
			b.done <- failed
			continue
		}
		clear(j.args)
		select {
		case b.free <- j.args[:0]:
		default:
		}
	}
	if failed == nil {
		b.done <- nil
	}
}
