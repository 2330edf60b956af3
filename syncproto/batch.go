package syncproto

import (
	"bufio"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
)

// ProtoVersion is the wire protocol this build speaks; MinProtoVersion the
// oldest it still accepts. Both ends say theirs in the hello and agree on
// the highest version both know, or fail with CodeUnsupportedVersion.
const (
	ProtoVersion    = 1
	MinProtoVersion = 1
)

// Batch kinds.
const (
	BatchOps     = "ops"     // edge → hub: one node's ops of one incarnation, oldest first
	BatchChanges = "changes" // hub → edge: downstream changes for one node, by cursor
)

// Limits a reader enforces, so a hostile or corrupt batch cannot exhaust
// memory.
const (
	MaxBatchRecords = 20000
	MaxRecordBytes  = 256 << 10
	MaxBatchBytes   = 64 << 20 // decompressed
	maxHeaderBytes  = 4 << 10
)

// batchMagic opens every batch: "CYSB" and the format version.
var batchMagic = []byte{'C', 'Y', 'S', 'B', 1}

// BatchHeader describes a batch.
type BatchHeader struct {
	Proto       int    `json:"proto"`
	Kind        string `json:"kind"`
	Node        string `json:"node"`
	Incarnation string `json:"inc,omitempty"`
	Count       int    `json:"count"`
	CreatedMs   int64  `json:"created_ms"`
}

// Change is one downstream change for a node. Seq is the hub's change
// cursor: the edge stores the highest it applied, in the same transaction.
type Change struct {
	Seq     uint64          `json:"seq"`
	Type    ChangeType      `json:"type"`
	Payload json.RawMessage `json:"payload"`
}

// Batch is a decoded batch: ops or changes, per its header's kind.
type Batch struct {
	Header  BatchHeader
	Ops     []Op
	Changes []Change
}

// The body is compressed with a preset dictionary of what ops look like,
// which keeps even small batches small.
var flateDict = []byte(`{"waybill":"","carrier":"zto","receiver_name":"","receiver_phone":"13","shelf":1,"layer":1,"code":"1-1-",` +
	`"manifested":true}{"waybills":[""],"collector":{"kind":"receiver","name":"","phone":"","id_hash":"","id_last4":""},` +
	`"photo_sha256":""}{"reason":"overdue","text":""}"sender":{"name":"","phone":"","province":"","address":""},"weight_g":,"price_fen":,` +
	`"waybill_source":"range"parcel.inboundparcel.picked_upparcel.accepted"yto""yunda""jt""sf""ems""sto"`)

func badBatch(format string, args ...any) error {
	return &Error{Code: CodeBadBatch, Msg: fmt.Sprintf(format, args...)}
}

// recordWriter writes the uncompressed body: varints, strings by table.
type recordWriter struct {
	w      io.Writer
	crc    hash.Hash32
	buf    []byte
	tables map[string]map[string]uint64
}

func newRecordWriter(w io.Writer) *recordWriter {
	crc := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	return &recordWriter{w: io.MultiWriter(w, crc), crc: crc, tables: map[string]map[string]uint64{}}
}

func (rw *recordWriter) uvarint(v uint64) { rw.buf = binary.AppendUvarint(rw.buf, v) }
func (rw *recordWriter) varint(v int64)   { rw.buf = binary.AppendVarint(rw.buf, v) }
func (rw *recordWriter) bytes(b []byte)   { rw.uvarint(uint64(len(b))); rw.buf = append(rw.buf, b...) }

// interned writes s as its index in the named table, adding it (index =
// table size, then the string) the first time.
func (rw *recordWriter) interned(table, s string) {
	t := rw.tables[table]
	if t == nil {
		t = map[string]uint64{}
		rw.tables[table] = t
	}
	if i, ok := t[s]; ok {
		rw.uvarint(i)
		return
	}
	i := uint64(len(t))
	t[s] = i
	rw.uvarint(i)
	rw.bytes([]byte(s))
}

func (rw *recordWriter) flush() error {
	_, err := rw.w.Write(rw.buf)
	rw.buf = rw.buf[:0]
	return err
}

// WriteOps encodes ops of one node and incarnation, ascending by seq, as a
// batch on w. The node and incarnation are written once; seq and HLC as
// deltas; actor and kind by table; the body compressed; a CRC-32C of
// header and body and a SHA-256 over the ops' hashes close it. The op hashes
// themselves are not sent: the reader recomputes each and checks the
// digest.
func WriteOps(w io.Writer, node, incarnation string, ops []Op, createdMs int64) error {
	if len(ops) > MaxBatchRecords {
		return &Error{Code: CodeTooLarge, Msg: fmt.Sprintf("%d ops in one batch", len(ops))}
	}
	digest := sha256.New()
	var prevSeq uint64
	var prevHLC Timestamp
	for i, op := range ops {
		if op.Node != node || op.Incarnation != incarnation {
			return fmt.Errorf("write ops: op %d is %s/%s, batch is %s/%s", i, op.Node, op.Incarnation, node, incarnation)
		}
		if op.Seq <= prevSeq && i > 0 {
			return fmt.Errorf("write ops: seq %d after %d", op.Seq, prevSeq)
		}
		prevSeq = op.Seq
	}
	return writeBatch(w, BatchHeader{Proto: ProtoVersion, Kind: BatchOps, Node: node, Incarnation: incarnation, Count: len(ops), CreatedMs: createdMs},
		digest, func(rw *recordWriter) error {
			prevSeq = 0
			for _, op := range ops {
				h, err := hex.DecodeString(op.Hash)
				if err != nil || len(h) != sha256.Size {
					return fmt.Errorf("write ops: op %d has no hash", op.Seq)
				}
				digest.Write(h)
				rw.uvarint(uint64(op.V))
				rw.uvarint(op.Seq - prevSeq)
				rw.varint(int64(op.HLC - prevHLC))
				rw.interned("actor", op.Actor)
				rw.interned("kind", string(op.Kind))
				rw.bytes(op.Payload)
				prevSeq, prevHLC = op.Seq, op.HLC
				if err := rw.flush(); err != nil {
					return err
				}
			}
			return nil
		})
}

// WriteChanges encodes downstream changes for node, ascending by seq.
func WriteChanges(w io.Writer, node string, changes []Change, createdMs int64) error {
	if len(changes) > MaxBatchRecords {
		return &Error{Code: CodeTooLarge, Msg: fmt.Sprintf("%d changes in one batch", len(changes))}
	}
	digest := sha256.New()
	return writeBatch(w, BatchHeader{Proto: ProtoVersion, Kind: BatchChanges, Node: node, Count: len(changes), CreatedMs: createdMs},
		digest, func(rw *recordWriter) error {
			var prev uint64
			for i, c := range changes {
				if c.Seq <= prev && i > 0 {
					return fmt.Errorf("write changes: seq %d after %d", c.Seq, prev)
				}
				rw.uvarint(c.Seq - prev)
				rw.interned("type", string(c.Type))
				rw.bytes(c.Payload)
				prev = c.Seq
				digest.Write(rw.buf)
				if err := rw.flush(); err != nil {
					return err
				}
			}
			return nil
		})
}

func writeBatch(w io.Writer, h BatchHeader, digest hash.Hash, body func(*recordWriter) error) error {
	head, err := json.Marshal(h)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(w)
	out.Write(batchMagic)
	out.Write(binary.AppendUvarint(nil, uint64(len(head))))
	out.Write(head)
	fw, err := flate.NewWriterDict(out, flate.BestCompression, flateDict)
	if err != nil {
		return err
	}
	rw := newRecordWriter(fw)
	rw.crc.Write(head) // the checksum covers the header too
	if err := body(rw); err != nil {
		return err
	}
	if err := fw.Close(); err != nil {
		return err
	}
	out.Write(binary.BigEndian.AppendUint32(nil, rw.crc.Sum32()))
	out.Write(digest.Sum(nil))
	return out.Flush()
}

// recordReader reads the decompressed body, checksumming it and stopping
// at MaxBatchBytes.
type recordReader struct {
	r      *bufio.Reader
	crc    hash.Hash32
	n      int64
	tables map[string][]string
}

func (rr *recordReader) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	rr.n += int64(n)
	if rr.n > MaxBatchBytes {
		return n, &Error{Code: CodeTooLarge, Msg: "batch larger than its limit"}
	}
	rr.crc.Write(p[:n])
	return n, err
}

func (rr *recordReader) ReadByte() (byte, error) {
	var b [1]byte
	if _, err := io.ReadFull(rr, b[:]); err != nil {
		return 0, err
	}
	return b[0], nil
}

func (rr *recordReader) uvarint() (uint64, error) {
	v, err := binary.ReadUvarint(rr)
	if err != nil {
		return 0, badBatch("truncated record: %v", err)
	}
	return v, nil
}

func (rr *recordReader) bytes() ([]byte, error) {
	n, err := rr.uvarint()
	if err != nil {
		return nil, err
	}
	if n > MaxRecordBytes {
		return nil, &Error{Code: CodeTooLarge, Msg: fmt.Sprintf("record of %d bytes", n)}
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(rr, b); err != nil {
		return nil, badBatch("truncated record: %v", err)
	}
	return b, nil
}

func (rr *recordReader) interned(table string) (string, error) {
	i, err := rr.uvarint()
	if err != nil {
		return "", err
	}
	t := rr.tables[table]
	switch {
	case i < uint64(len(t)):
		return t[i], nil
	case i == uint64(len(t)) && len(t) < MaxBatchRecords:
		b, err := rr.bytes()
		if err != nil {
			return "", err
		}
		rr.tables[table] = append(t, string(b))
		return string(b), nil
	}
	return "", badBatch("bad %s index %d", table, i)
}

// ReadBatch decodes one batch from r and verifies it whole: format,
// limits, checksum and digest. A batch that fails any check is rejected
// with a *Error of CodeBadBatch (or CodeUnsupportedVersion, CodeTooLarge)
// and nothing of it is returned. To read several batches from one stream
// (a bundle file), pass the same *bufio.Reader each time: nothing past the
// batch is consumed from it.
func ReadBatch(r io.Reader) (Batch, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	var b Batch
	magic := make([]byte, len(batchMagic))
	if _, err := io.ReadFull(br, magic); err != nil {
		if err == io.EOF {
			return b, io.EOF
		}
		return b, badBatch("truncated header")
	}
	if !bytes.Equal(magic[:4], batchMagic[:4]) {
		return b, badBatch("not a batch")
	}
	if magic[4] != batchMagic[4] {
		return b, &Error{Code: CodeUnsupportedVersion, Msg: fmt.Sprintf("batch format %d, this program reads %d", magic[4], batchMagic[4])}
	}
	n, err := binary.ReadUvarint(br)
	if err != nil || n > maxHeaderBytes {
		return b, badBatch("bad header length")
	}
	head := make([]byte, n)
	if _, err := io.ReadFull(br, head); err != nil {
		return b, badBatch("truncated header")
	}
	if err := json.Unmarshal(head, &b.Header); err != nil {
		return b, badBatch("bad header: %v", err)
	}
	h := b.Header
	if h.Proto < MinProtoVersion || h.Proto > ProtoVersion {
		return b, &Error{Code: CodeUnsupportedVersion, Msg: fmt.Sprintf("batch protocol %d, this program speaks %d to %d", h.Proto, MinProtoVersion, ProtoVersion)}
	}
	if h.Count < 0 || h.Count > MaxBatchRecords {
		return b, &Error{Code: CodeTooLarge, Msg: fmt.Sprintf("batch of %d records", h.Count)}
	}
	rr := &recordReader{r: bufio.NewReader(flate.NewReaderDict(br, flateDict)), crc: crc32.New(crc32.MakeTable(crc32.Castagnoli)), tables: map[string][]string{}}
	rr.crc.Write(head)
	digest := sha256.New()
	switch h.Kind {
	case BatchOps:
		if h.Node == "" || h.Incarnation == "" {
			return b, badBatch("ops batch without node or incarnation")
		}
		err = readOps(rr, &b, digest)
	case BatchChanges:
		err = readChanges(rr, &b, digest)
	default:
		return b, badBatch("unknown batch kind %q", h.Kind)
	}
	if err != nil {
		return Batch{}, err
	}
	// The body must end exactly here.
	if _, err := rr.r.ReadByte(); err != io.EOF {
		return Batch{}, badBatch("data after the last record")
	}
	var trailer [4 + sha256.Size]byte
	if _, err := io.ReadFull(br, trailer[:]); err != nil {
		return Batch{}, badBatch("truncated trailer")
	}
	if binary.BigEndian.Uint32(trailer[:4]) != rr.crc.Sum32() {
		return Batch{}, badBatch("checksum mismatch")
	}
	if !bytes.Equal(trailer[4:], digest.Sum(nil)) {
		return Batch{}, badBatch("digest mismatch")
	}
	return b, nil
}

func readOps(rr *recordReader, b *Batch, digest hash.Hash) error {
	var seq uint64
	var hlc Timestamp
	b.Ops = make([]Op, 0, b.Header.Count)
	for i := 0; i < b.Header.Count; i++ {
		v, err := rr.uvarint()
		if err != nil {
			return err
		}
		d, err := rr.uvarint()
		if err != nil {
			return err
		}
		if d == 0 && i > 0 {
			return badBatch("seq not ascending")
		}
		dh, err := binary.ReadVarint(rr)
		if err != nil {
			return badBatch("truncated record")
		}
		actor, err := rr.interned("actor")
		if err != nil {
			return err
		}
		kind, err := rr.interned("kind")
		if err != nil {
			return err
		}
		payload, err := rr.bytes()
		if err != nil {
			return err
		}
		seq += d
		hlc += Timestamp(dh)
		op := Op{V: int(v), Node: b.Header.Node, Incarnation: b.Header.Incarnation, Seq: seq, HLC: hlc, Actor: actor,
			Kind: EventKind(kind), Payload: payload}
		op.Hash = op.ComputeHash()
		raw, _ := hex.DecodeString(op.Hash)
		digest.Write(raw)
		b.Ops = append(b.Ops, op)
	}
	return nil
}

func readChanges(rr *recordReader, b *Batch, digest hash.Hash) error {
	var seq uint64
	b.Changes = make([]Change, 0, b.Header.Count)
	var enc recordWriter
	enc.tables = map[string]map[string]uint64{}
	for i := 0; i < b.Header.Count; i++ {
		d, err := rr.uvarint()
		if err != nil {
			return err
		}
		if d == 0 && i > 0 {
			return badBatch("seq not ascending")
		}
		typ, err := rr.interned("type")
		if err != nil {
			return err
		}
		payload, err := rr.bytes()
		if err != nil {
			return err
		}
		seq += d
		// The digest covers each record as written: re-encode it.
		enc.uvarint(d)
		enc.interned("type", typ)
		enc.bytes(payload)
		digest.Write(enc.buf)
		enc.buf = enc.buf[:0]
		b.Changes = append(b.Changes, Change{Seq: seq, Type: ChangeType(typ), Payload: payload})
	}
	return nil
}

// IsBadBatch reports whether err rejected a batch as malformed.
func IsBadBatch(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Code == CodeBadBatch || e.Code == CodeTooLarge || e.Code == CodeUnsupportedVersion)
}
