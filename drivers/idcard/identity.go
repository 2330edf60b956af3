package idcard

import (
	"fmt"
	"image"
	"log/slog"
	"strings"
	"time"

	"cunyou/idnum"
	"cunyou/mask"
)

// CardKind is the kind of card, told by byte 248 of the text block.
type CardKind byte

const (
	// KindResident is the 2nd-generation resident ID card (居民身份证).
	KindResident CardKind = 0
	// KindPermit is the Hong Kong, Macau and Taiwan residents' residence
	// permit (港澳台居民居住证), marked 'J'.
	KindPermit CardKind = 'J'
	// KindForeigner is the foreigner's permanent residence ID card
	// (外国人永久居留身份证), marked 'I'. Its text layout differs and is
	// not confirmed (PROTOCOLS §7); reading one fails with
	// ErrForeignerCard.
	KindForeigner CardKind = 'I'
)

func (k CardKind) String() string {
	switch k {
	case KindResident:
		return "resident"
	case KindPermit:
		return "permit"
	case KindForeigner:
		return "foreigner"
	}
	return fmt.Sprintf("kind %q", rune(k))
}

// Sex is the sex code of the card (GB/T 2261.1): '1' male, '2' female.
type Sex byte

const (
	SexUnknown  Sex = '0'
	SexMale     Sex = '1'
	SexFemale   Sex = '2'
	SexUnstated Sex = '9'
)

// String returns the word printed on the card: 男 or 女.
func (s Sex) String() string {
	switch s {
	case SexMale:
		return "男"
	case SexFemale:
		return "女"
	case SexUnstated:
		return "未说明"
	}
	return "未知"
}

// nations are the ethnic groups of GB/T 3304 as printed on the card
// (without 族), by their two-digit code.
var nations = map[string]string{
	"01": "汉", "02": "蒙古", "03": "回", "04": "藏", "05": "维吾尔", "06": "苗", "07": "彝", "08": "壮",
	"09": "布依", "10": "朝鲜", "11": "满", "12": "侗", "13": "瑶", "14": "白", "15": "土家", "16": "哈尼",
	"17": "哈萨克", "18": "傣", "19": "黎", "20": "傈僳", "21": "佤", "22": "畲", "23": "高山", "24": "拉祜",
	"25": "水", "26": "东乡", "27": "纳西", "28": "景颇", "29": "柯尔克孜", "30": "土", "31": "达斡尔", "32": "仫佬",
	"33": "羌", "34": "布朗", "35": "撒拉", "36": "毛南", "37": "仡佬", "38": "锡伯", "39": "阿昌", "40": "普米",
	"41": "塔吉克", "42": "怒", "43": "乌孜别克", "44": "俄罗斯", "45": "鄂温克", "46": "德昂", "47": "保安", "48": "裕固",
	"49": "京", "50": "塔塔尔", "51": "独龙", "52": "鄂伦春", "53": "赫哲", "54": "门巴", "55": "珞巴", "56": "基诺",
	"97": "其他", "98": "外国血统中国籍人士",
}

// NationName returns the name of a nation code as printed on the card,
// e.g. "汉" for "01", or "" for an unknown code.
func NationName(code string) string { return nations[code] }

// PhotoDecoder turns the card's photo, a 1024-byte WLT blob, into a
// picture (102×126 px on a resident card). WLT is proprietary: a decoder
// wraps the reader maker's library. The caller sets one in Options; nil
// means the photo stays undecoded.
type PhotoDecoder func(wlt []byte) (image.Image, error)

// Identity is what a card holds. It prints masked (name 张*, number
// 110105********002X, no address) through fmt and log/slog, so a full ID
// number never reaches a log; Number.Full() gives the full number to
// whoever must store it.
//
// Photo and Portrait are personal data too: the driver keeps them in
// memory only. Encrypting them at rest is the edge store's work.
type Identity struct {
	Kind       CardKind
	Name       string
	Sex        Sex
	NationCode string // "01"…"56", "97", "98"; "" on a residence permit
	Birth      time.Time
	Address    string
	Number     idnum.ID // valid check digit
	Authority  string   // 签发机关
	ValidFrom  time.Time
	ValidTo    time.Time // zero when LongTerm
	LongTerm   bool      // valid for ever (长期)
	PassNumber string    // residence permit: the travel permit's number (通行证号码)
	IssueCount int       // residence permit: times issued (签发次数)
	Photo      []byte    // the WLT blob as the card gave it
	Portrait   image.Image
}

// Nation returns the nation's name, e.g. "汉".
func (id Identity) Nation() string { return NationName(id.NationCode) }

// Expired reports whether the card's validity ended before now's date.
func (id Identity) Expired(now time.Time) bool {
	if id.LongTerm || id.ValidTo.IsZero() {
		return false
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	return id.ValidTo.Before(today)
}

// DecodePhoto decodes Photo into Portrait with dec; a nil dec does
// nothing. A failure wraps ErrPhoto and leaves Portrait nil.
func (id *Identity) DecodePhoto(dec PhotoDecoder) error {
	if dec == nil {
		return nil
	}
	img, err := dec(id.Photo)
	if err == nil && img == nil {
		err = fmt.Errorf("no image")
	}
	if err != nil {
		id.Portrait = nil
		return fmt.Errorf("decode photo: %w: %v", ErrPhoto, err)
	}
	id.Portrait = img
	return nil
}

// String returns the masked identity, e.g. "张* 男 231221********0139".
func (id Identity) String() string {
	s := strings.TrimSpace(mask.Name(id.Name) + " " + id.Sex.String() + " " + id.Number.String())
	if id.Kind != KindResident {
		s += " (" + id.Kind.String() + ")"
	}
	return s
}

// Format prints the masked identity for every verb, %#v and %+v too.
func (id Identity) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, fmt.FormatString(f, verb), id.String())
}

// LogValue logs the masked name and number and nothing else personal.
func (id Identity) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("kind", id.Kind.String()),
		slog.String("name", mask.Name(id.Name)),
		slog.String("number", id.Number.String()),
		slog.Int("photo_bytes", len(id.Photo)),
	}
	if id.LongTerm {
		attrs = append(attrs, slog.Bool("long_term", true))
	} else if !id.ValidTo.IsZero() {
		attrs = append(attrs, slog.String("valid_to", id.ValidTo.Format(time.DateOnly)))
	}
	return slog.GroupValue(attrs...)
}
