package printer

import (
	"math"
	"strconv"
)

// The labels a station and the centre print. Each template takes its
// fields as given (phones already masked by the caller: the templates
// print what they get) and lays them out at 203 dpi, scaled for another
// resolution. Text sizes are multiples of 24 dots so that every language
// prints them alike. The fixed captions come from a table per language.

// Lang is the language of a label's fixed captions.
type Lang string

// The caption languages.
const (
	Chinese Lang = "zh"
	English Lang = "en"
)

// captions are a label's fixed words.
type captions struct {
	receiver, sender, waybill, weight, date, contents, sign string
	pickupCode, phoneTail, waybillTail                      string
	trip, line, departs, route, unassigned                  string
}

var captionTables = map[Lang]captions{
	Chinese: {
		receiver: "收件人", sender: "寄件人", waybill: "运单号", weight: "重量", date: "日期", contents: "物品", sign: "签收",
		pickupCode: "取件码", phoneTail: "尾号", waybillTail: "单号",
		trip: "车次", line: "线路", departs: "发车", route: "路由", unassigned: "待分配",
	},
	English: {
		receiver: "To", sender: "From", waybill: "Waybill", weight: "Weight", date: "Date", contents: "Contents", sign: "Signed",
		pickupCode: "Pickup code", phoneTail: "Phone", waybillTail: "No.",
		trip: "Trip", line: "Line", departs: "Departs", route: "Route", unassigned: "UNASSIGNED",
	},
}

func captionsFor(l Lang) captions {
	if c, ok := captionTables[l]; ok {
		return c
	}
	return captionTables[Chinese]
}

// Party is a sender or a receiver as the waybill shows them.
type Party struct {
	Name string
	// Phone as it is to be printed, masked by the caller (138****5678).
	Phone   string
	Address string
}

// Waybill is the e-waybill of a parcel sent from a station (寄件), for
// the 76×130 mm stock.
type Waybill struct {
	Lang Lang // the captions' language; Chinese when ""
	DPI  int  // 203 when 0
	// Carrier is the carrier's name: 中通快递.
	Carrier string
	// Number is the waybill number, printed as a Code 128 barcode, in
	// text, and as a QR code.
	Number string
	// Route is the carrier's routing code (大头笔, 三段码), printed large
	// at the top; none when "".
	Route    string
	Sender   Party
	Receiver Party
	// Contents names what is inside; WeightGrams its weight (none when
	// 0).
	Contents    string
	WeightGrams int
	// Date is when it was accepted, as it is to be printed: 2026-05-14 10:32.
	Date string
}

// Pickup is the pickup-code sticker stuck on a parcel at inbound, for
// 40×30 mm stock.
type Pickup struct {
	Lang Lang
	DPI  int
	// Code is the pickup code, printed as large as it fits: 3-2-0417.
	Code string
	// PhoneTail is the receiver's phone's last four digits.
	PhoneTail string
	// Waybill is the waybill number: its last six characters in text,
	// all of it as a barcode.
	Waybill string
	// Date is the inbound date as it is to be printed: 05-14.
	Date string
}

// Sort is the centre's sort label, for 76×50 mm stock: where the parcel
// goes, on which trip.
type Sort struct {
	Lang Lang
	DPI  int
	// Station is the destination station's name, printed large.
	Station string
	Village string
	// RouteCode is the sort code, printed white on black.
	RouteCode string
	Trip      string
	Line      string
	Departure string // 07:30
	Date      string // 2026-05-14
	Waybill   string
	Carrier   string
	// Unresolved: no destination yet; the label says so instead of a
	// station.
	Unresolved bool
}

// builder lays a label out in 203-dpi dots, scaled to the label's.
type builder struct {
	l Label
	k float64
}

func newBuilder(wmm, hmm float64, dpi int) *builder {
	l := Label{WidthMM: wmm, HeightMM: hmm, GapMM: 2, DPI: dpi}
	return &builder{l: l, k: l.DotsPerMM() / 8}
}

func (b *builder) d(v int) int { return int(math.Round(float64(v) * b.k)) }

// size scales a text size, keeping it a multiple of 24.
func (b *builder) size(v int) int {
	return 24 * max(1, int(math.Round(float64(v)*b.k/24)))
}

func (b *builder) add(e Element) { b.l.Elements = append(b.l.Elements, e) }

// text puts s at x, y (203-dpi dots) and returns its width in the
// label's dots.
func (b *builder) text(x, y, size int, bold bool, s string) int {
	if s == "" {
		return 0
	}
	sz := b.size(size)
	b.add(Text{X: b.d(x), Y: b.d(y), Size: sz, Bold: bold, Text: s})
	return TextWidth(s, sz)
}

// right puts s so that it ends at x.
func (b *builder) right(x, y, size int, bold bool, s string) {
	if s == "" {
		return
	}
	sz := b.size(size)
	b.add(Text{X: max(0, b.d(x)-TextWidth(s, sz)), Y: b.d(y), Size: sz, Bold: bold, Text: s})
}

// centre puts s centred between x0 and x1.
func (b *builder) centre(x0, x1, y, size int, bold bool, s string) {
	if s == "" {
		return
	}
	sz := b.size(size)
	w := TextWidth(s, sz)
	b.add(Text{X: max(0, (b.d(x0)+b.d(x1)-w)/2), Y: b.d(y), Size: sz, Bold: bold, Text: s})
}

// fit is the largest of sizes at which s fits in width (203-dpi dots).
func (b *builder) fit(s string, width int, sizes ...int) int {
	for _, sz := range sizes {
		if TextWidth(s, b.size(sz)) <= b.d(width) {
			return sz
		}
	}
	return sizes[len(sizes)-1]
}

// wrap puts s in lines at most width wide from y down, at most max of
// them; it returns the y under the last.
func (b *builder) wrap(x, y, width, size, max int, s string) int {
	sz := b.size(size)
	for _, ln := range Wrap(s, sz, b.d(width), max) {
		b.add(Text{X: b.d(x), Y: b.d(y), Size: sz, Text: ln})
		y += size + 4
	}
	return y
}

func (b *builder) rule(x, y, w, h int) {
	b.add(Line{X: b.d(x), Y: b.d(y), Width: max(1, b.d(w)), Height: max(1, b.d(h))})
}

// barcode centres a Code 128 barcode between x0 and x1, with the widest
// module at which it fits.
func (b *builder) barcode(x0, x1, y, height int, data string) {
	if data == "" || !printableASCII(data) {
		return
	}
	mod := 1
	for m := 4; m >= 1; m-- {
		if Code128Width(data, m) <= b.d(x1-x0) {
			mod = m
			break
		}
	}
	w := Code128Width(data, mod)
	b.add(Barcode{X: max(0, (b.d(x0)+b.d(x1)-w)/2), Y: b.d(y), Height: b.d(height), Module: mod, Data: data})
}

// WaybillLabel lays out the 76×130 mm e-waybill.
func WaybillLabel(f Waybill) Label {
	c := captionsFor(f.Lang)
	b := newBuilder(76, 130, f.DPI)
	const left, right = 16, 592

	// The carrier and the date.
	b.text(left, 16, b.fit(f.Carrier, 360, 48, 24), true, f.Carrier)
	b.right(right, 16, 24, false, f.Date)
	b.rule(0, 80, 608, 3)

	// The routing code, white on black.
	y := 88
	if f.Route != "" {
		sz := b.fit(f.Route, right-left-16, 72, 48, 24)
		b.centre(left, right, y+8, sz, true, f.Route)
		b.add(Reverse{X: b.d(left), Y: b.d(y), Width: b.d(right - left), Height: b.d(sz + 16)})
		y += sz + 24
	}

	// The waybill number as a barcode and in text.
	b.barcode(left, right, y+8, 112, f.Number)
	b.centre(left, right, y+128, 24, true, c.waybill+" "+f.Number)
	y += 168
	b.rule(0, y, 608, 3)

	// The receiver, large.
	y += 12
	b.text(left, y, 24, true, c.receiver)
	col := left + 96
	b.text(col, y, 48, true, f.Receiver.Name+" "+f.Receiver.Phone)
	y = b.wrap(col, y+60, right-col, 24, 3, f.Receiver.Address)
	y = max(y, 512) + 8
	b.rule(0, y, 608, 2)

	// The sender.
	y += 12
	b.text(left, y, 24, true, c.sender)
	b.text(col, y, 24, false, f.Sender.Name+" "+f.Sender.Phone)
	y = b.wrap(col, y+32, right-col, 24, 2, f.Sender.Address)
	y = max(y, 648) + 8
	b.rule(0, y, 608, 2)

	// What is inside and its weight.
	y += 12
	if f.Contents != "" {
		b.text(left, y, 24, false, c.contents+": "+f.Contents)
	}
	if f.WeightGrams > 0 {
		b.right(right, y, 24, false, c.weight+": "+strconv.FormatFloat(float64(f.WeightGrams)/1000, 'f', -1, 64)+" kg")
	}
	y += 40
	b.rule(0, y, 608, 2)

	// The receiver's signature, and the waybill as a QR code.
	y += 16
	b.text(left, y, 24, true, c.sign+":")
	b.rule(left, y+120, 360, 2)
	b.add(QR{X: b.d(440), Y: b.d(y), Cell: max(1, b.d(5)), ECC: 'M', Data: f.Number})
	b.add(Box{X: 0, Y: 0, Width: b.d(608), Height: b.d(1040), Thickness: max(1, b.d(3))})
	return b.l
}

// PickupLabel lays out the 40×30 mm pickup-code sticker.
func PickupLabel(f Pickup) Label {
	c := captionsFor(f.Lang)
	b := newBuilder(40, 30, f.DPI)
	const left, right = 12, 308

	b.text(left, 8, 24, false, c.pickupCode)
	b.right(right, 8, 24, false, f.Date)
	b.centre(left, right, 40, b.fit(f.Code, right-left, 72, 48, 24), true, f.Code)
	b.rule(left, 120, right-left, 2)
	if f.PhoneTail != "" {
		b.text(left, 130, 24, true, c.phoneTail+" "+f.PhoneTail)
	}
	tail := f.Waybill
	if r := []rune(tail); len(r) > 6 {
		tail = "…" + string(r[len(r)-6:])
	}
	if tail != "" {
		b.right(right, 130, 24, false, c.waybillTail+" "+tail)
	}
	b.barcode(left, right, 166, 56, f.Waybill)
	return b.l
}

// SortLabel lays out the centre's 76×50 mm sort label.
func SortLabel(f Sort) Label {
	c := captionsFor(f.Lang)
	b := newBuilder(76, 50, f.DPI)
	const left, right = 16, 592

	station := f.Station
	if f.Unresolved || station == "" {
		station = c.unassigned
	}
	sz := b.fit(station, right-left, 72, 48, 24)
	b.text(left, 12, sz, true, station)
	if f.Unresolved {
		b.add(Reverse{X: b.d(left - 8), Y: b.d(4), Width: b.d(TextWidth(station, sz) + 16), Height: b.d(sz + 16)})
	} else if f.Village != "" {
		b.right(right, 12, 24, false, f.Village)
	}
	b.rule(0, 96, 608, 3)

	// The sort code, white on black, beside the trip.
	y := 108
	code := f.RouteCode
	if code == "" {
		code = "-"
	}
	csz := b.fit(code, 240, 48, 24)
	w := b.text(left+8, y+8, csz, true, code)
	b.add(Reverse{X: b.d(left), Y: b.d(y), Width: w + b.d(16), Height: b.d(csz + 16)})
	col := left + int(math.Round(float64(w)/b.k)) + 32
	b.text(col, y, 24, false, joinNonEmpty(" ", c.trip, f.Trip, f.Line))
	b.text(col, y+32, 24, false, joinNonEmpty(" ", c.departs, f.Departure, f.Date))
	b.rule(0, 184, 608, 2)

	// The waybill.
	b.barcode(left, right, 196, 104, f.Waybill)
	b.text(left, 312, 24, false, c.waybill+" "+f.Waybill)
	b.right(right, 312, 24, false, f.Carrier)
	return b.l
}

// joinNonEmpty joins the words after the first when there are any; the
// first is their caption.
func joinNonEmpty(sep, caption string, words ...string) string {
	out := ""
	for _, w := range words {
		if w == "" {
			continue
		}
		if out != "" {
			out += sep
		}
		out += w
	}
	if out == "" {
		return ""
	}
	return caption + sep + out
}
