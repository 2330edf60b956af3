package printer

import (
	"bytes"
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// events feeds data to a language's parser in chunks of n bytes and
// returns the labels and queries it read.
func events(lang Language, data []byte, n int) (labels []Label, queries [][]byte) {
	p := dialects[lang].parser(SimOptions{DPI: 203})
	for len(data) > 0 {
		k := min(n, len(data))
		for _, ev := range p.feed(data[:k]) {
			if ev.label != nil {
				labels = append(labels, *ev.label)
			}
			if ev.query != nil {
				queries = append(queries, ev.query)
			}
		}
		data = data[k:]
	}
	return labels, queries
}

// simSeeds are inputs for the parsers' fuzz test: every template in
// every language, the status queries, and bits of each language.
func simSeeds(t testing.TB) map[Language][][]byte {
	seeds := map[Language][][]byte{
		TSPL: {tsplStatusQuery, []byte("SIZE 4,1\nGAP 0,0\nCLS\nTEXT 10,10,\"3\",90,2,2,\"a\\[\"]b\"\nBOX 0,0,10,10,2\nPRINT 2,3\n"),
			[]byte("SIZE 608 dot,400 dot\r\nQRCODE 10,10,H,5,A,0,M2,S7,\"x\"\r\nBARCODE 1,1,\"EAN13\",5,1,0,2,2,\"123\"\r\nPRINT 1\r\n")},
		ZPL: {zplStatusQuery, []byte("^XA^LH10,10^FO1,1^A0N,30,30^FDhi^FS^FO2,2^BQN,2,3^FDQA,x^FS^XZ~HS"),
			[]byte("^XA^CI28^FO0,0^A1N,24,24^FH^FD_E4_B8_AD^FS^FO5,5^GB10,10,1^FR^FS^PQ3^XZ")},
		ESCPOS: {{dle, 4, 1}, {dle, 4, 2}, {dle, 4, 4}, []byte("\x1b@hello\n\x1b$\x10\x00\x1dk\x04123\x00\x1dV\x00"),
			[]byte("\x1dv0\x00\x01\x00\x02\x00\xff\x0f\x1d(k\x03\x001E3\x1dV\x41\x05")},
	}
	for _, l := range templateLabels(t) {
		for _, lang := range Languages() {
			b, err := Encode(lang, l)
			if err != nil {
				t.Fatal(err)
			}
			seeds[lang] = append(seeds[lang], b)
		}
	}
	return seeds
}

func TestSimulatorParsers(t *testing.T) {
	for lang, seeds := range simSeeds(t) {
		for _, s := range seeds {
			whole, wq := events(lang, s, len(s))
			for _, n := range []int{1, 2, 7} {
				l, q := events(lang, s, n)
				assert.Equal(t, whole, l, "%s in chunks of %d: %q", lang, n, s)
				assert.Equal(t, wq, q, "%s in chunks of %d", lang, n)
			}
		}
	}
	labels, _ := events(TSPL, []byte("SIZE 4,1\nGAP 0,0\nCLS\nTEXT 10,10,\"3\",0,2,2,\"a\\[\"]b\"\nPRINT 2,3\n"), 100)
	require.Len(t, labels, 1)
	assert.Equal(t, Label{WidthMM: 101.6, HeightMM: 25.4, DPI: 203, Copies: 6, Elements: []Element{Text{X: 10, Y: 10, Size: 48, Text: `a"b`}}}, labels[0])
	labels, q := events(ZPL, []byte("~HS^XA^CI28^FO0,0^A1N,24,24^FH^FD_E4_B8_AD^FS^XZ"), 100)
	require.Len(t, labels, 1)
	assert.Equal(t, [][]byte{[]byte("~HS")}, q)
	assert.Equal(t, []Element{Text{Size: 24, Text: "中"}}, labels[0].Elements, "^CI28 is UTF-8")
}

// FuzzSimulatorParse feeds anything to the simulator's parsers: they
// must not panic, must read the same whole as in pieces, and must give
// labels whose elements are in range.
func FuzzSimulatorParse(f *testing.F) {
	for lang, seeds := range simSeeds(f) {
		for _, s := range seeds {
			f.Add(langIndex(lang), s, uint8(3))
		}
	}
	langs := Languages()
	f.Fuzz(func(t *testing.T, li uint8, data []byte, chunk uint8) {
		lang := langs[int(li)%len(langs)]
		whole, wq := events(lang, data, len(data)+1)
		pieces, pq := events(lang, data, int(chunk)%16+1)
		if len(whole) != len(pieces) || len(wq) != len(pq) {
			t.Fatalf("%s: %d labels and %d queries whole, %d and %d in pieces", lang, len(whole), len(wq), len(pieces), len(pq))
		}
		for i, l := range whole {
			if len(l.Elements) > maxElements {
				t.Fatalf("%d elements", len(l.Elements))
			}
			if l.WidthMM < 0 || l.HeightMM < 0 || l.WidthMM > maxLabelMM || l.HeightMM > maxLabelMM {
				t.Fatalf("size %g×%g", l.WidthMM, l.HeightMM)
			}
			for _, e := range l.Elements {
				p := posOf(e)
				if !validDots(p.X, p.Y) {
					t.Fatalf("%s: element %#v out of range", lang, e)
				}
			}
			if len(l.Elements) != len(pieces[i].Elements) {
				t.Fatalf("%s: label %d has %d elements whole, %d in pieces", lang, i, len(l.Elements), len(pieces[i].Elements))
			}
		}
	})
}

func langIndex(l Language) uint8 {
	for i, x := range Languages() {
		if x == l {
			return uint8(i)
		}
	}
	return 0
}

// The simulator answers each language's status query with its state,
// over raw TCP.
func TestSimulatorAnswers(t *testing.T) {
	for _, tt := range []struct {
		lang  Language
		query []byte
		set   func(*Simulator)
		want  []byte
	}{
		{TSPL, tsplStatusQuery, func(*Simulator) {}, []byte{0x00}},
		{TSPL, tsplStatusQuery, func(s *Simulator) { s.SetPaperOut(true); s.SetHeadOpen(true) }, []byte{0x05}},
		{TSPL, tsplStatusQuery, func(s *Simulator) { s.SetPaused(true) }, []byte{0x10}},
		{ESCPOS, []byte{dle, 4, 1}, func(*Simulator) {}, []byte{0x12}},
		{ESCPOS, []byte{dle, 4, 1}, func(s *Simulator) { s.SetPaperOut(true) }, []byte{0x1A}},
		{ESCPOS, []byte{dle, 4, 2}, func(s *Simulator) { s.SetHeadOpen(true) }, []byte{0x16}},
		{ESCPOS, []byte{dle, 4, 4}, func(s *Simulator) { s.SetPaperOut(true) }, []byte{0x72}},
		{ZPL, zplStatusQuery, func(s *Simulator) { s.SetStatus(Status{Paused: true}) }, nil},
	} {
		sim, err := NewSimulator(SimOptions{Language: tt.lang, NoPTY: true})
		require.NoError(t, err)
		tt.set(sim)
		c, err := net.Dial("tcp", sim.Addr())
		require.NoError(t, err)
		_, err = c.Write(tt.query)
		require.NoError(t, err)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 256)
		n, err := c.Read(buf)
		require.NoError(t, err)
		if tt.want != nil {
			assert.Equal(t, tt.want, buf[:n], "%s %q", tt.lang, tt.query)
		} else {
			st, err := ParseZPLStatus(buf[:n])
			if err != nil { // the reply came in pieces
				rest := make([]byte, 256)
				m, _ := c.Read(rest)
				st, err = ParseZPLStatus(append(buf[:n], rest[:m]...))
			}
			require.NoError(t, err)
			assert.True(t, st.Paused)
		}
		c.Close()
		sim.Close()
	}
}

// A printed label keeps its parsed fields and draws as a PNG; the
// commands are kept in order.
func TestSimulatorRecords(t *testing.T) {
	sim, err := NewSimulator(SimOptions{Language: ZPL, NoPTY: true})
	require.NoError(t, err)
	defer sim.Close()
	assert.Empty(t, sim.Path())
	assert.Equal(t, ZPL, sim.Language())
	c, err := net.Dial("tcp", sim.Addr())
	require.NoError(t, err)
	defer c.Close()
	data, err := Encode(ZPL, SortLabel(Sort{Station: "南岗村驿站", RouteCode: "L3-07", Waybill: "73100000000001"}))
	require.NoError(t, err)
	_, err = c.Write(data)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := sim.Wait(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, "南岗村驿站", got[0].Texts()[0])
	raw, err := got[0].PNG(nil)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(raw, []byte("\x89PNG")))
	cmds := sim.Commands()
	require.NotEmpty(t, cmds)
	assert.Equal(t, "^XA", cmds[0])
	assert.Contains(t, cmds, "^XZ")
}
