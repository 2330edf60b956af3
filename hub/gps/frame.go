// Package gps ingests vehicle positions from JT/T 808 terminals: the frame
// codec (0x7e framing, escaping, XOR checksum, the 2011/2013 and 2019
// headers, sub-packages), the messages the hub speaks, a TCP server that
// keeps one session per terminal and stores reports in batches, the
// geofences around stations, and a terminal simulator for tests and the
// demo.
package gps

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// Framing bytes.
const (
	Flag   = 0x7e
	escape = 0x7d
)

// Body property bits.
const (
	propLength   = 0x03ff
	propEncrypt  = 0x1c00
	propSplit    = 1 << 13
	propVersion  = 1 << 14
	MaxBodyBytes = propLength // a longer body goes in sub-packages (Split)
)

// MaxFrameBytes bounds one frame as read from the wire (escaped, flags
// excluded): the largest header and body, every byte escaped, with room.
const MaxFrameBytes = 2 * (2 + 2 + 1 + 10 + 2 + 4 + MaxBodyBytes + 1)

// Header is a message's header.
type Header struct {
	ID uint16
	// V2019 marks the 2019 header (version flag, 10-byte phone);
	// Version is its protocol version byte (1 for 2019).
	V2019   bool
	Version byte
	// Encryption is the 3 encryption bits (0 none, 1 RSA).
	Encryption byte
	// Phone is the terminal's phone number in digits, without the BCD's
	// left padding of zeros.
	Phone  string
	Serial uint16
	// Packets and Index (1-based) are set on a sub-package.
	Packets, Index uint16
}

// Packet is one frame's header and body.
type Packet struct {
	Header
	Body []byte
}

// Split reports whether the packet is one of several sub-packages.
func (h Header) Split() bool { return h.Packets > 0 }

func (h Header) phoneBytes() int {
	if h.V2019 {
		return 10
	}
	return 6
}

// AppendFrame appends p as a frame (flags, escaped header and body,
// checksum) to dst.
func AppendFrame(dst []byte, p Packet) ([]byte, error) {
	if len(p.Body) > MaxBodyBytes {
		return dst, fmt.Errorf("%w: body of %d bytes needs sub-packages", ErrHeader, len(p.Body))
	}
	if p.Encryption > 7 {
		return dst, fmt.Errorf("%w: encryption bits %d", ErrHeader, p.Encryption)
	}
	var hdr [21]byte
	binary.BigEndian.PutUint16(hdr[0:], p.ID)
	props := uint16(len(p.Body)) | uint16(p.Encryption)<<10
	n := 4
	if p.V2019 {
		props |= propVersion
		hdr[n] = p.Version
		n++
	}
	if p.Split() {
		props |= propSplit
	}
	binary.BigEndian.PutUint16(hdr[2:], props)
	if err := putBCD(hdr[n:n+p.phoneBytes()], p.Phone); err != nil {
		return dst, err
	}
	n += p.phoneBytes()
	binary.BigEndian.PutUint16(hdr[n:], p.Serial)
	n += 2
	if p.Split() {
		binary.BigEndian.PutUint16(hdr[n:], p.Packets)
		binary.BigEndian.PutUint16(hdr[n+2:], p.Index)
		n += 4
	}
	var sum byte
	dst = append(dst, Flag)
	dst, sum = appendEscaped(dst, hdr[:n], sum)
	dst, sum = appendEscaped(dst, p.Body, sum)
	dst, _ = appendEscaped(dst, []byte{sum}, 0)
	return append(dst, Flag), nil
}

// Encode returns p as a frame.
func Encode(p Packet) ([]byte, error) { return AppendFrame(nil, p) }

func appendEscaped(dst, b []byte, sum byte) ([]byte, byte) {
	for _, c := range b {
		sum ^= c
		switch c {
		case Flag:
			dst = append(dst, escape, 0x02)
		case escape:
			dst = append(dst, escape, 0x01)
		default:
			dst = append(dst, c)
		}
	}
	return dst, sum
}

// Unescape appends the unescaped bytes of an escaped frame (without its
// flags) to dst. Some terminals leave the checksum unescaped: a 0x7d as the
// very last byte is taken as is.
func Unescape(dst, b []byte) ([]byte, error) {
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == Flag:
			return dst, fmt.Errorf("%w: flag inside a frame at byte %d", ErrFrame, i)
		case c != escape:
			dst = append(dst, c)
		case i == len(b)-1:
			dst = append(dst, c) // an unescaped checksum
		case b[i+1] == 0x01:
			dst = append(dst, escape)
			i++
		case b[i+1] == 0x02:
			dst = append(dst, Flag)
			i++
		default:
			return dst, fmt.Errorf("%w: 0x7d 0x%02x at byte %d", ErrEscape, b[i+1], i)
		}
	}
	return dst, nil
}

// DecodeFrame decodes one frame, with or without its 0x7e flags. The body
// of the packet is a fresh slice.
func DecodeFrame(frame []byte) (Packet, error) {
	if len(frame) > 0 && frame[0] == Flag {
		frame = frame[1:]
	}
	if len(frame) > 0 && frame[len(frame)-1] == Flag {
		frame = frame[:len(frame)-1]
	}
	if len(frame) > MaxFrameBytes {
		return Packet{}, fmt.Errorf("%w: %d bytes", ErrFrame, len(frame))
	}
	raw, err := Unescape(make([]byte, 0, len(frame)), frame)
	if err != nil {
		return Packet{}, err
	}
	return decodeRaw(raw)
}

// decodeRaw decodes an unescaped frame: header, body, checksum.
func decodeRaw(raw []byte) (Packet, error) {
	if len(raw) < 13 {
		return Packet{}, fmt.Errorf("%w: %d bytes is shorter than a header", ErrFrame, len(raw))
	}
	var sum byte
	for _, c := range raw {
		sum ^= c
	}
	if sum != 0 {
		return Packet{}, fmt.Errorf("%w: frame XORs to 0x%02x", ErrChecksum, sum)
	}
	raw = raw[:len(raw)-1]
	var p Packet
	p.ID = binary.BigEndian.Uint16(raw)
	props := binary.BigEndian.Uint16(raw[2:])
	p.Encryption = byte(props & propEncrypt >> 10)
	n := 4
	if props&propVersion != 0 {
		p.V2019 = true
		p.Version = raw[4]
		n++
	}
	need := n + p.phoneBytes() + 2
	if props&propSplit != 0 {
		need += 4
	}
	if len(raw) < need {
		return Packet{}, fmt.Errorf("%w: %d bytes is shorter than its header", ErrHeader, len(raw))
	}
	p.Phone = bcdDigits(raw[n : n+p.phoneBytes()])
	n += p.phoneBytes()
	p.Serial = binary.BigEndian.Uint16(raw[n:])
	n += 2
	if props&propSplit != 0 {
		p.Packets = binary.BigEndian.Uint16(raw[n:])
		p.Index = binary.BigEndian.Uint16(raw[n+2:])
		n += 4
		if p.Packets == 0 || p.Index == 0 || p.Index > p.Packets {
			return Packet{}, fmt.Errorf("%w: sub-package %d of %d", ErrHeader, p.Index, p.Packets)
		}
	}
	if want := int(props & propLength); len(raw)-n != want {
		return Packet{}, fmt.Errorf("%w: body of %d bytes, header says %d", ErrHeader, len(raw)-n, want)
	}
	p.Body = append([]byte(nil), raw[n:]...)
	return p, nil
}

// putBCD writes the digits of s right-aligned in b, left-padded with 0.
func putBCD(b []byte, s string) error {
	if len(s) > 2*len(b) {
		return fmt.Errorf("%w: phone %d digits, room for %d", ErrHeader, len(s), 2*len(b))
	}
	for i := range b {
		b[i] = 0
	}
	for i, j := len(s)-1, 2*len(b)-1; i >= 0; i, j = i-1, j-1 {
		c := s[i]
		if c < '0' || c > '9' {
			return fmt.Errorf("%w: phone has a non-digit", ErrHeader)
		}
		if j%2 == 1 {
			b[j/2] |= c - '0'
		} else {
			b[j/2] |= (c - '0') << 4
		}
	}
	return nil
}

const hexDigits = "0123456789abcdef"

// bcdDigits returns the BCD digits of b without leading zeros ("0" when
// all are zero). A nibble above 9 shows as a hex letter.
func bcdDigits(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		sb.WriteByte(hexDigits[c>>4])
		sb.WriteByte(hexDigits[c&0x0f])
	}
	s := strings.TrimLeft(sb.String(), "0")
	if s == "" {
		return "0"
	}
	return s
}

// Reader reads frames from a stream.
type Reader struct {
	r       *bufio.Reader
	buf     []byte
	started bool // a flag was read: bytes up to the next one are a frame
}

// NewReader reads frames from r with a buffer of size bytes (at least 64).
func NewReader(r io.Reader, size int) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, max(size, 64))}
}

// ReadFrame returns the next frame's escaped bytes between its flags,
// skipping bytes before the first flag and empty frames (one frame's end
// flag and the next one's start flag; some terminals share one flag). The
// slice is valid until the next call. A frame over MaxFrameBytes is an
// ErrFrame; the reader stays usable.
func (r *Reader) ReadFrame() ([]byte, error) {
	for {
		r.buf = r.buf[:0]
		for {
			chunk, err := r.r.ReadSlice(Flag)
			if r.started {
				r.buf = append(r.buf, chunk...)
			}
			if err == nil {
				break
			}
			if err != bufio.ErrBufferFull {
				if err == io.EOF && len(r.buf) > 0 {
					err = io.ErrUnexpectedEOF
				}
				return nil, err
			}
			if len(r.buf) > MaxFrameBytes {
				r.started = false // resynchronize on the next flag
				return nil, fmt.Errorf("%w: longer than %d bytes", ErrFrame, MaxFrameBytes)
			}
		}
		if !r.started {
			r.started = true
			continue
		}
		if frame := r.buf[:len(r.buf)-1]; len(frame) > 0 {
			if len(frame) > MaxFrameBytes {
				return nil, fmt.Errorf("%w: longer than %d bytes", ErrFrame, MaxFrameBytes)
			}
			return frame, nil
		}
	}
}
