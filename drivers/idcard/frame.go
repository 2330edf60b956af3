package idcard

import (
	"bytes"
	"fmt"
)

// Preamble starts every frame in both directions (PROTOCOLS §1.2).
var Preamble = [5]byte{0xAA, 0xAA, 0xAA, 0x96, 0x69}

const (
	headerLen = 7 // preamble + Len1 + Len2
	// MaxFrameLen bounds a frame: the largest answer a reader gives
	// (base info with fingerprints, 30 10) is 2,321 bytes.
	MaxFrameLen = 4096
)

// Command is a command code and its parameter: the two bytes after the
// length of a command frame.
type Command struct {
	Cmd, Para byte
}

// The commands of PROTOCOLS §1.3 the driver sends.
var (
	CmdReset        = Command{0x10, 0xFF} // reset the SAM
	CmdSAMStatus    = Command{0x11, 0xFF} // SAM status
	CmdSAMID        = Command{0x12, 0xFF} // SAM id (管理信息)
	CmdFindCard     = Command{0x20, 0x01} // find card (寻找证/卡)
	CmdSelectCard   = Command{0x20, 0x02} // select card (选取证/卡)
	CmdReadBaseInfo = Command{0x30, 0x01} // read base info: text and photo
)

var commandNames = map[Command]string{
	CmdReset:        "reset sam",
	CmdSAMStatus:    "check sam",
	CmdSAMID:        "read sam id",
	CmdFindCard:     "find card",
	CmdSelectCard:   "select card",
	CmdReadBaseInfo: "read base info",
}

// String names the command for error messages, e.g. "find card" or
// "send command 61 FF".
func (c Command) String() string {
	if n, ok := commandNames[c]; ok {
		return n
	}
	return fmt.Sprintf("send command %02X %02X", c.Cmd, c.Para)
}

// Frame encodes the command with its data as a complete frame, checksum
// included.
func (c Command) Frame(data ...byte) []byte {
	return AppendFrame(nil, append([]byte{c.Cmd, c.Para}, data...))
}

// Checksum is the XOR of b: the frame checksum over Len1 … the last byte
// before CHK.
func Checksum(b []byte) byte {
	var x byte
	for _, c := range b {
		x ^= c
	}
	return x
}

// AppendFrame appends to dst a frame carrying payload (CMD Para Data for
// a command, SW1 SW2 SW3 Data for a response): preamble, length, payload
// and checksum. The payload must be shorter than MaxFrameLen.
func AppendFrame(dst, payload []byte) []byte {
	n := len(payload) + 1 // + CHK
	start := len(dst)
	dst = append(dst, Preamble[:]...)
	dst = append(dst, byte(n>>8), byte(n))
	dst = append(dst, payload...)
	return append(dst, Checksum(dst[start+len(Preamble):]))
}

// ParseFrame checks a complete frame, preamble to checksum, and returns
// its payload: the bytes between the length and the checksum (aliasing
// b). The length must match len(b) and the XOR must hold; a payload has
// at least two bytes (a command's CMD and Para).
func ParseFrame(b []byte) ([]byte, error) {
	if len(b) < headerLen+3 {
		return nil, fmt.Errorf("parse frame: %w: %d bytes", ErrProtocol, len(b))
	}
	if !bytes.Equal(b[:len(Preamble)], Preamble[:]) {
		return nil, fmt.Errorf("parse frame: %w: no preamble", ErrProtocol)
	}
	if n := int(b[5])<<8 | int(b[6]); n != len(b)-headerLen {
		return nil, fmt.Errorf("parse frame: %w: length %d in a frame of %d bytes", ErrProtocol, n, len(b))
	}
	last := len(b) - 1
	if got, want := b[last], Checksum(b[len(Preamble):last]); got != want {
		return nil, fmt.Errorf("parse frame: %w: got %02X, want %02X", ErrChecksum, got, want)
	}
	return b[headerLen:last], nil
}

// Response is a reader's answer: the three status bytes and the data.
type Response struct {
	SW1, SW2, SW3 byte
	Data          []byte
}

// ParseResponse checks a complete response frame (ParseFrame) and splits
// it. Data aliases b. The status is not judged here; see Response.Err.
func ParseResponse(b []byte) (Response, error) {
	p, err := ParseFrame(b)
	if err != nil {
		return Response{}, err
	}
	if len(p) < 3 {
		return Response{}, fmt.Errorf("parse response: %w: %d payload bytes", ErrProtocol, len(p))
	}
	return Response{SW1: p[0], SW2: p[1], SW3: p[2], Data: p[3:]}, nil
}

// Frame encodes the response as a complete frame.
func (r Response) Frame() []byte {
	return AppendFrame(nil, append([]byte{r.SW1, r.SW2, r.SW3}, r.Data...))
}

// Err judges the status: nil for success (SW1 SW2 00 00, SW3 0x90 or
// 0x9F), the error of PROTOCOLS §1.4 for a listed SW3, an error wrapping
// ErrStatus otherwise.
func (r Response) Err() error {
	if r.SW1 != 0 || r.SW2 != 0 {
		return fmt.Errorf("%w: SW %02X %02X %02X", ErrStatus, r.SW1, r.SW2, r.SW3)
	}
	return StatusErr(r.SW3)
}

// ParseCommand checks a complete command frame and splits it.
func ParseCommand(b []byte) (Command, []byte, error) {
	p, err := ParseFrame(b)
	if err != nil {
		return Command{}, nil, err
	}
	return Command{p[0], p[1]}, p[2:], nil
}

// scanner cuts frames out of a byte stream: it skips bytes until a
// preamble, reads the length and waits for the rest (the strategy of
// PROTOCOLS §1.2). A length beyond MaxFrameLen or below the minimum is
// no frame: the scanner drops the first preamble byte and looks again.
type scanner struct {
	buf []byte
}

// next returns the next complete frame (copied out of the buffer) or
// nil when more bytes are needed.
func (s *scanner) next() []byte {
	for {
		i := bytes.Index(s.buf, Preamble[:])
		if i < 0 {
			// Keep a tail that may be the start of a preamble.
			if keep := len(Preamble) - 1; len(s.buf) > keep {
				s.buf = append(s.buf[:0], s.buf[len(s.buf)-keep:]...)
			}
			return nil
		}
		s.buf = s.buf[i:]
		if len(s.buf) < headerLen {
			return nil
		}
		n := int(s.buf[5])<<8 | int(s.buf[6])
		if n < 3 || n+headerLen > MaxFrameLen {
			s.buf = s.buf[1:]
			continue
		}
		if len(s.buf) < headerLen+n {
			return nil
		}
		f := bytes.Clone(s.buf[:headerLen+n])
		s.buf = s.buf[headerLen+n:]
		return f
	}
}

// feed adds bytes read from the stream.
func (s *scanner) feed(b []byte) { s.buf = append(s.buf, b...) }
