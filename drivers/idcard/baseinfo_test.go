package idcard

import (
	"bytes"
	"fmt"
	"image"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/idnum"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func mustID(t testing.TB, s string) idnum.ID {
	t.Helper()
	id, err := idnum.Parse(s)
	require.NoError(t, err)
	return id
}

func card(t testing.TB, name string) Card {
	t.Helper()
	for _, c := range demoCards {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no demo card %s", name)
	return Card{}
}

func encode(t testing.TB, c Card) []byte {
	t.Helper()
	b, err := c.BaseInfo()
	require.NoError(t, err)
	return b
}

// baseInfoTests are answers to read base info and what ParseBaseInfo
// makes of them; FuzzParseBaseInfo starts from them.
func baseInfoTests(t testing.TB) []struct {
	name    string
	frame   []byte
	want    *Identity
	wantErr error
} {
	zhang := card(t, "张三")
	badCheck := zhang
	badCheck.Number = "231221198503120138"
	badChars := zhang
	badChars.Number = "23122119850312013"
	foreigner := zhang
	foreigner.Kind = KindForeigner
	badDate := zhang
	badDate.Birth = "19850230"
	badSex := zhang
	badSex.Sex = 'M'
	noName := zhang
	noName.Name = ""
	blankTo := zhang
	blankTo.ValidTo = ""

	withPrints := func() []byte { // the 30 10 layout: a third length and 512 bytes of prints
		r, err := ParseResponse(encode(t, zhang))
		require.NoError(t, err)
		d := append([]byte{}, r.Data[:4]...)
		d = append(d, 0x02, 0x00)
		d = append(d, r.Data[4:]...)
		d = append(d, bytes.Repeat([]byte{0x43}, 512)...)
		return Response{SW3: 0x90, Data: d}.Frame()
	}
	lengthsOff := func() []byte {
		r, err := ParseResponse(encode(t, zhang))
		require.NoError(t, err)
		d := bytes.Clone(r.Data)
		d[1] = 0xFF // text length 0x01FF: text and photo no longer fill the data
		return Response{SW3: 0x90, Data: d}.Frame()
	}
	shortText := func() []byte {
		r, err := ParseResponse(encode(t, zhang))
		require.NoError(t, err)
		d := []byte{0, 100, 0, 0}
		d = append(d, r.Data[4:104]...)
		return Response{SW3: 0x90, Data: d}.Frame()
	}
	corrupt := bytes.Clone(encode(t, zhang))
	corrupt[100] ^= 0x40

	return []struct {
		name    string
		frame   []byte
		want    *Identity
		wantErr error
	}{
		{"resident", encode(t, zhang), &Identity{Name: "张三", Sex: SexMale, NationCode: "01", Birth: date(1985, 3, 12),
			Address: "黑龙江省望奎县望奎镇东风村三组12号", Number: mustID(t, "231221198503120139"), Authority: "望奎县公安局",
			ValidFrom: date(2015, 6, 10), ValidTo: date(2035, 6, 10), Photo: fakePhoto("231221198503120139")}, nil},
		{"manchu", encode(t, card(t, "李桂芳")), &Identity{Name: "李桂芳", Sex: SexFemale, NationCode: "11", Birth: date(1992, 7, 8),
			Address: "黑龙江省望奎县灵山满族乡灵山村45号", Number: mustID(t, "231221199207080245"), Authority: "望奎县公安局",
			ValidFrom: date(2018, 3, 1), ValidTo: date(2028, 3, 1), Photo: fakePhoto("231221199207080245")}, nil},
		{"long term", encode(t, card(t, "王秀英")), &Identity{Name: "王秀英", Sex: SexFemale, NationCode: "01", Birth: date(1951, 2, 3),
			Address: "黑龙江省望奎县卫星镇卫星村二组7号", Number: mustID(t, "231221195102030040"), Authority: "望奎县公安局",
			ValidFrom: date(2012, 5, 20), LongTerm: true, Photo: fakePhoto("231221195102030040")}, nil},
		{"residence permit", encode(t, card(t, "陈美玲")), &Identity{Kind: KindPermit, Name: "陈美玲", Sex: SexFemale, Birth: date(1994, 8, 23),
			Address: "黑龙江省望奎县望奎镇正阳街18号", Number: mustID(t, "810000199408230021"), Authority: "望奎县公安局",
			ValidFrom: date(2020, 1, 5), ValidTo: date(2025, 1, 5), PassNumber: "H12345678", IssueCount: 1,
			Photo: fakePhoto("810000199408230021")}, nil},
		{"with fingerprints", withPrints(), &Identity{Name: "张三", Sex: SexMale, NationCode: "01", Birth: date(1985, 3, 12),
			Address: "黑龙江省望奎县望奎镇东风村三组12号", Number: mustID(t, "231221198503120139"), Authority: "望奎县公安局",
			ValidFrom: date(2015, 6, 10), ValidTo: date(2035, 6, 10), Photo: fakePhoto("231221198503120139")}, nil},

		{"bad check digit", encode(t, badCheck), nil, ErrIDNumber},
		{"17-digit number", encode(t, badChars), nil, ErrCardData},
		{"foreigner", encode(t, foreigner), nil, ErrForeignerCard},
		{"no such date", encode(t, badDate), nil, ErrCardData},
		{"sex M", encode(t, badSex), nil, ErrCardData},
		{"no name", encode(t, noName), nil, ErrCardData},
		{"validity end blank", encode(t, blankTo), nil, ErrCardData},
		{"lengths do not fill", lengthsOff(), nil, ErrProtocol},
		{"text too short", shortText(), nil, ErrProtocol},
		{"bit flipped", corrupt, nil, ErrChecksum},
		{"read failed", Response{SW3: 0x41}.Frame(), nil, ErrReadCard},
		{"no data", Response{SW3: 0x90}.Frame(), nil, ErrProtocol},
	}
}

func TestParseBaseInfo(t *testing.T) {
	for _, tt := range baseInfoTests(t) {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseBaseInfo(tt.frame)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, got)
				assert.NotContains(t, err.Error(), "231221198503120", "no number in the error")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestBaseInfoLayout(t *testing.T) {
	b := encode(t, card(t, "张三"))
	require.Len(t, b, BaseInfoLen)
	assert.Equal(t, 1295, BaseInfoLen)
	assert.Equal(t, []byte{0x05, 0x08}, b[5:7], "Len 0x0508")
	assert.Equal(t, []byte{0, 0, 0x90, 0x01, 0x00, 0x04, 0x00}, b[7:14], "status, text 256, photo 1024")
	// The name at offset 14, UCS-2LE, padded with spaces: 张 U+5F20, 三 U+4E09.
	assert.Equal(t, []byte{0x20, 0x5F, 0x09, 0x4E, 0x20, 0x00}, b[14:20])
	assert.Equal(t, []byte{'1', 0}, b[14+30:14+32], "sex")
	assert.Equal(t, []byte{'0', 0, '1', 0}, b[14+32:14+36], "nation")
	assert.Equal(t, bytes.Repeat([]byte{' ', 0}, 18), b[14+220:14+256], "reserved")

	p := encode(t, card(t, "陈美玲"))
	assert.Equal(t, []byte{'J', 0}, p[14+248:14+250], "permit marker")
	assert.Equal(t, []byte{'H', 0, '1', 0}, p[14+220:14+224], "pass number")

	long := encode(t, card(t, "王秀英"))
	assert.Equal(t, []byte{0x7F, 0x95, 0x1F, 0x67, ' ', 0}, long[14+204:14+210], "长期")

	_, err := Card{Name: "一二三四五六七八九十一二三四五六"}.BaseInfo()
	assert.ErrorContains(t, err, "longer than 15")
}

func TestNations(t *testing.T) {
	assert.Len(t, nations, 58, "56 nations, 其他 and 外国血统中国籍人士")
	for i := 1; i <= 56; i++ {
		assert.NotEmpty(t, NationName(fmt.Sprintf("%02d", i)), "nation %02d", i)
	}
	assert.Equal(t, "汉", NationName("01"))
	assert.Equal(t, "满", NationName("11"))
	assert.Equal(t, "基诺", NationName("56"))
	assert.Equal(t, "外国血统中国籍人士", NationName("98"))
	assert.Empty(t, NationName("57"))
	assert.Equal(t, "蒙古", Identity{NationCode: "02"}.Nation())
}

func TestIdentity(t *testing.T) {
	id, err := ParseBaseInfo(encode(t, card(t, "张三")))
	require.NoError(t, err)
	assert.False(t, id.Expired(date(2035, 6, 10)), "valid through its last day")
	assert.True(t, id.Expired(date(2035, 6, 11).Add(time.Hour)))
	assert.False(t, Identity{LongTerm: true}.Expired(date(2099, 1, 1)))
	assert.Equal(t, "男", SexMale.String())
	assert.Equal(t, "女", SexFemale.String())
	assert.Equal(t, "未知", Sex(0).String())
	assert.Equal(t, "张* 男 231221********0139", id.String())

	p, err := ParseBaseInfo(encode(t, card(t, "陈美玲")))
	require.NoError(t, err)
	assert.Equal(t, "陈*玲 女 810000********0021 (permit)", p.String())

	img := image.NewGray(image.Rect(0, 0, 102, 126))
	require.NoError(t, id.DecodePhoto(nil))
	assert.Nil(t, id.Portrait)
	var got []byte
	require.NoError(t, id.DecodePhoto(func(wlt []byte) (image.Image, error) { got = wlt; return img, nil }))
	assert.Equal(t, id.Photo, got)
	assert.Equal(t, img, id.Portrait)
	err = id.DecodePhoto(func([]byte) (image.Image, error) { return nil, assert.AnError })
	assert.ErrorIs(t, err, ErrPhoto)
	assert.Nil(t, id.Portrait)
	assert.ErrorIs(t, id.DecodePhoto(func([]byte) (image.Image, error) { return nil, nil }), ErrPhoto)
}

// No full ID number, name or address in anything printed or logged.
func TestIdentityNoLeak(t *testing.T) {
	id, err := ParseBaseInfo(encode(t, card(t, "张三")))
	require.NoError(t, err)
	const full = "231221198503120139"
	secrets := []string{full, "张三", "东风村"}
	c := card(t, "张三")
	ev := Event{Kind: EventCard, Identity: id}
	type holder struct {
		ID  Identity
		Ptr *Identity
		Ev  Event
	}
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%10v"} {
		for _, arg := range []any{*id, id, c, &c, ev, &ev, holder{*id, id, ev}, []*Identity{id}, map[string]Identity{"k": *id}} {
			got := fmt.Sprintf(format, arg)
			for _, s := range secrets {
				assert.NotContains(t, got, s, "format %s of %T", format, arg)
			}
		}
	}
	var buf bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		log := slog.New(h)
		log.Info("read", "identity", id, "value", *id, "card", c, "event", ev)
	}
	for _, s := range secrets {
		assert.NotContains(t, buf.String(), s)
	}
	assert.Contains(t, buf.String(), "231221********0139")
}

func FuzzParseBaseInfo(f *testing.F) {
	for _, tt := range baseInfoTests(f) {
		f.Add(tt.frame)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := ParseBaseInfo(b)
		if err != nil {
			require.Nil(t, id)
			require.NotEmpty(t, Code(err), "every failure has a code: %v", err)
			return
		}
		full := id.Number.Full()
		require.Len(t, full, 18)
		again, err := idnum.Parse(full)
		require.NoError(t, err)
		require.Equal(t, id.Number, again)
		require.NotContains(t, fmt.Sprintf("%+v", id), full)
		require.NotEmpty(t, id.Name)
		require.NotEqual(t, KindForeigner, id.Kind)
		require.True(t, id.LongTerm == id.ValidTo.IsZero())
	})
}
