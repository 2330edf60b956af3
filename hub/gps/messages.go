package gps

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Message IDs the hub speaks.
const (
	MsgTerminalResponse uint16 = 0x0001
	MsgHeartbeat        uint16 = 0x0002
	MsgLogout           uint16 = 0x0003
	MsgRegister         uint16 = 0x0100
	MsgAuth             uint16 = 0x0102
	MsgLocation         uint16 = 0x0200
	MsgBatchLocation    uint16 = 0x0704
	MsgPlatformResponse uint16 = 0x8001
	MsgRegisterResponse uint16 = 0x8100
)

// Result is a general response's result.
type Result byte

// General response results (0x0001, 0x8001).
const (
	ResultOK          Result = 0
	ResultFail        Result = 1
	ResultBadMessage  Result = 2
	ResultUnsupported Result = 3
	ResultAlarmAck    Result = 4
)

// Register response results (0x8100).
const (
	RegisterOK              byte = 0
	RegisterVehicleTaken    byte = 1
	RegisterVehicleUnknown  byte = 2
	RegisterTerminalTaken   byte = 3
	RegisterTerminalUnknown byte = 4
)

// GeneralResponse is a terminal's (0x0001) or the platform's (0x8001)
// answer to a message: its serial and ID, and the result.
type GeneralResponse struct {
	Serial uint16
	ID     uint16
	Result Result
}

// Marshal returns the 5-byte body.
func (r GeneralResponse) Marshal() []byte {
	b := make([]byte, 5)
	binary.BigEndian.PutUint16(b, r.Serial)
	binary.BigEndian.PutUint16(b[2:], r.ID)
	b[4] = byte(r.Result)
	return b
}

// ParseGeneralResponse decodes a 0x0001 or 0x8001 body.
func ParseGeneralResponse(body []byte) (GeneralResponse, error) {
	if len(body) != 5 {
		return GeneralResponse{}, bodyErr(MsgPlatformResponse, "%d bytes, want 5", len(body))
	}
	return GeneralResponse{binary.BigEndian.Uint16(body), binary.BigEndian.Uint16(body[2:]), Result(body[4])}, nil
}

// Register is a terminal's registration (0x0100). The field sizes depend
// on the protocol's edition: 2011 (model 8 bytes), 2013 (model 20) and
// 2019 (maker 11, model 30, terminal ID 30).
type Register struct {
	Province, City uint16
	Maker, Model   string
	TerminalID     string
	PlateColor     byte
	Plate          string // plate number, or VIN when PlateColor is 0
}

// Edition of a register body.
type Edition int

// Editions of JT/T 808.
const (
	Edition2011 Edition = 2011
	Edition2013 Edition = 2013
	Edition2019 Edition = 2019
)

func registerSizes(e Edition) (maker, model, id int) {
	switch e {
	case Edition2011:
		return 5, 8, 7
	case Edition2019:
		return 11, 30, 30
	}
	return 5, 20, 7
}

// Marshal returns the body in edition e.
func (r Register) Marshal(e Edition) ([]byte, error) {
	maker, model, id := registerSizes(e)
	b := binary.BigEndian.AppendUint16(nil, r.Province)
	b = binary.BigEndian.AppendUint16(b, r.City)
	b = appendPadded(b, r.Maker, maker)
	b = appendPadded(b, r.Model, model)
	b = appendPadded(b, r.TerminalID, id)
	b = append(b, r.PlateColor)
	plate, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(r.Plate))
	if err != nil {
		return nil, fmt.Errorf("encode plate: %w", err)
	}
	return append(b, plate...), nil
}

// ParseRegister decodes a 0x0100 body. A 2019 header says 2019; otherwise
// a body of 37 bytes or more is taken as 2013 and a shorter one as 2011
// (the header does not tell them apart).
func ParseRegister(h Header, body []byte) (Register, Edition, error) {
	e := Edition2011
	switch {
	case h.V2019:
		e = Edition2019
	case len(body) >= 37:
		e = Edition2013
	}
	maker, model, id := registerSizes(e)
	fixed := 4 + maker + model + id + 1
	if len(body) < fixed {
		return Register{}, e, bodyErr(MsgRegister, "%d bytes, want at least %d", len(body), fixed)
	}
	r := Register{Province: binary.BigEndian.Uint16(body), City: binary.BigEndian.Uint16(body[2:])}
	n := 4
	r.Maker, n = trimPadded(body[n:n+maker]), n+maker
	r.Model, n = trimPadded(body[n:n+model]), n+model
	r.TerminalID, n = trimPadded(body[n:n+id]), n+id
	r.PlateColor = body[n]
	plate, err := simplifiedchinese.GBK.NewDecoder().Bytes(body[n+1:])
	if err != nil {
		return Register{}, e, bodyErr(MsgRegister, "plate is not GBK")
	}
	r.Plate = string(bytes.TrimRight(plate, "\x00 "))
	return r, e, nil
}

// RegisterResponse is the platform's answer to a registration (0x8100):
// the auth code comes only with RegisterOK.
type RegisterResponse struct {
	Serial   uint16
	Result   byte
	AuthCode string
}

// Marshal returns the body.
func (r RegisterResponse) Marshal() []byte {
	b := binary.BigEndian.AppendUint16(nil, r.Serial)
	b = append(b, r.Result)
	if r.Result == RegisterOK {
		b = append(b, r.AuthCode...)
	}
	return b
}

// ParseRegisterResponse decodes a 0x8100 body.
func ParseRegisterResponse(body []byte) (RegisterResponse, error) {
	if len(body) < 3 {
		return RegisterResponse{}, bodyErr(MsgRegisterResponse, "%d bytes, want at least 3", len(body))
	}
	r := RegisterResponse{Serial: binary.BigEndian.Uint16(body), Result: body[2]}
	if r.Result == RegisterOK {
		r.AuthCode = string(body[3:])
	}
	return r, nil
}

// Auth is a terminal's authentication (0x0102). 2019 adds the IMEI and the
// software version.
type Auth struct {
	Code     string
	IMEI     string
	Software string
}

// Marshal returns the body; v2019 selects the 2019 layout.
func (a Auth) Marshal(v2019 bool) ([]byte, error) {
	if !v2019 {
		return []byte(a.Code), nil
	}
	if len(a.Code) > 255 {
		return nil, bodyErr(MsgAuth, "auth code of %d bytes", len(a.Code))
	}
	b := append([]byte{byte(len(a.Code))}, a.Code...)
	b = appendPadded(b, a.IMEI, 15)
	return appendPadded(b, a.Software, 20), nil
}

// ParseAuth decodes a 0x0102 body.
func ParseAuth(h Header, body []byte) (Auth, error) {
	if !h.V2019 {
		if len(body) == 0 {
			return Auth{}, bodyErr(MsgAuth, "no auth code")
		}
		return Auth{Code: string(body)}, nil
	}
	if len(body) < 1 || len(body) < 1+int(body[0])+15+20 {
		return Auth{}, bodyErr(MsgAuth, "%d bytes is too short for 2019", len(body))
	}
	n := 1 + int(body[0])
	return Auth{Code: string(body[1:n]), IMEI: trimPadded(body[n : n+15]), Software: trimPadded(body[n+15 : n+35])}, nil
}

// Status and alarm bits of a location report.
const (
	StatusACC        uint32 = 1 << 0
	StatusPositioned uint32 = 1 << 1
	StatusSouth      uint32 = 1 << 2
	StatusWest       uint32 = 1 << 3
	StatusCut        uint32 = 1 << 10 // oil or circuit cut
	AlarmSOS         uint32 = 1 << 0
	AlarmOverspeed   uint32 = 1 << 1
	AlarmFatigue     uint32 = 1 << 2
)

// Additional item IDs of a location report.
const (
	ItemMileage    byte = 0x01 // DWORD, 1/10 km
	ItemFuel       byte = 0x02 // WORD, 1/10 L
	ItemSpeed      byte = 0x03 // WORD, recorder speed, 1/10 km/h
	ItemSignal     byte = 0x30 // BYTE, network signal strength
	ItemSatellites byte = 0x31 // BYTE, GNSS satellites
)

// Item is an additional item the hub does not decode, kept raw.
type Item struct {
	ID    byte
	Value []byte
}

// Location is a location report (0x0200), or one item of a batch (0x0704).
// Latitude and longitude are in micro-degrees, negative south and west
// (the wire carries them unsigned with the status bits).
type Location struct {
	Alarm, Status uint32
	LatE6, LonE6  int64
	Altitude      uint16 // m
	Speed         uint16 // 1/10 km/h
	Direction     uint16 // degrees, 0 = north, clockwise
	Time          time.Time

	// Decoded additional items; Has* says whether they were present.
	Mileage                                                         uint32 // 1/10 km
	Fuel                                                            uint16 // 1/10 L
	RecorderSpeed                                                   uint16 // 1/10 km/h
	Signal                                                          byte
	Satellites                                                      byte
	HasMileage, HasFuel, HasRecorderSpeed, HasSignal, HasSatellites bool
	// Other items, raw, in their order.
	Items []Item
}

// Lat and Lon return the position in degrees.
func (l Location) Lat() float64 { return float64(l.LatE6) / 1e6 }

// Lon returns the longitude in degrees.
func (l Location) Lon() float64 { return float64(l.LonE6) / 1e6 }

// SpeedKmH returns the speed in km/h.
func (l Location) SpeedKmH() float64 { return float64(l.Speed) / 10 }

// China is the terminals' clock: GMT+8, no daylight saving.
var China = time.FixedZone("GMT+8", 8*3600)

const locationBasic = 28

// Marshal returns the body: the 28-byte basic block, then the decoded items
// by ID, then the raw ones.
func (l Location) Marshal() ([]byte, error) { return l.append(nil) }

func (l Location) append(b []byte) ([]byte, error) {
	status := l.Status &^ (StatusSouth | StatusWest)
	lat, lon := l.LatE6, l.LonE6
	if lat < 0 {
		status |= StatusSouth
		lat = -lat
	}
	if lon < 0 {
		status |= StatusWest
		lon = -lon
	}
	if lat > 90e6 || lon > 180e6 {
		return nil, bodyErr(MsgLocation, "position %d, %d out of range", l.LatE6, l.LonE6)
	}
	b = binary.BigEndian.AppendUint32(b, l.Alarm)
	b = binary.BigEndian.AppendUint32(b, status)
	b = binary.BigEndian.AppendUint32(b, uint32(lat))
	b = binary.BigEndian.AppendUint32(b, uint32(lon))
	b = binary.BigEndian.AppendUint16(b, l.Altitude)
	b = binary.BigEndian.AppendUint16(b, l.Speed)
	b = binary.BigEndian.AppendUint16(b, l.Direction)
	t := l.Time.In(China)
	if t.Year() < 2000 || t.Year() > 2099 {
		return nil, bodyErr(MsgLocation, "time %s outside 2000-2099", l.Time.Format(time.RFC3339))
	}
	b = appendBCD(b, t.Year()%100, int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second())
	if l.HasMileage {
		b = binary.BigEndian.AppendUint32(append(b, ItemMileage, 4), l.Mileage)
	}
	if l.HasFuel {
		b = binary.BigEndian.AppendUint16(append(b, ItemFuel, 2), l.Fuel)
	}
	if l.HasRecorderSpeed {
		b = binary.BigEndian.AppendUint16(append(b, ItemSpeed, 2), l.RecorderSpeed)
	}
	if l.HasSignal {
		b = append(b, ItemSignal, 1, l.Signal)
	}
	if l.HasSatellites {
		b = append(b, ItemSatellites, 1, l.Satellites)
	}
	for _, it := range l.Items {
		if len(it.Value) > 255 {
			return nil, bodyErr(MsgLocation, "item 0x%02x of %d bytes", it.ID, len(it.Value))
		}
		b = append(append(b, it.ID, byte(len(it.Value))), it.Value...)
	}
	return b, nil
}

// ParseLocation decodes a 0x0200 body.
func ParseLocation(body []byte) (Location, error) {
	if len(body) < locationBasic {
		return Location{}, bodyErr(MsgLocation, "%d bytes, want at least %d", len(body), locationBasic)
	}
	l := Location{
		Alarm:     binary.BigEndian.Uint32(body),
		Status:    binary.BigEndian.Uint32(body[4:]),
		LatE6:     int64(binary.BigEndian.Uint32(body[8:])),
		LonE6:     int64(binary.BigEndian.Uint32(body[12:])),
		Altitude:  binary.BigEndian.Uint16(body[16:]),
		Speed:     binary.BigEndian.Uint16(body[18:]),
		Direction: binary.BigEndian.Uint16(body[20:]),
	}
	if l.Status&StatusSouth != 0 {
		l.LatE6 = -l.LatE6
	}
	if l.Status&StatusWest != 0 {
		l.LonE6 = -l.LonE6
	}
	t, err := parseBCDTime(body[22:28])
	if err != nil {
		return Location{}, err
	}
	l.Time = t
	for rest := body[locationBasic:]; len(rest) > 0; {
		if len(rest) < 2 || len(rest) < 2+int(rest[1]) {
			return Location{}, bodyErr(MsgLocation, "additional item 0x%02x runs past the body", rest[0])
		}
		id, v := rest[0], rest[2:2+int(rest[1])]
		rest = rest[2+len(v):]
		switch {
		case id == ItemMileage && len(v) == 4:
			l.Mileage, l.HasMileage = binary.BigEndian.Uint32(v), true
		case id == ItemFuel && len(v) == 2:
			l.Fuel, l.HasFuel = binary.BigEndian.Uint16(v), true
		case id == ItemSpeed && len(v) == 2:
			l.RecorderSpeed, l.HasRecorderSpeed = binary.BigEndian.Uint16(v), true
		case id == ItemSignal && len(v) == 1:
			l.Signal, l.HasSignal = v[0], true
		case id == ItemSatellites && len(v) == 1:
			l.Satellites, l.HasSatellites = v[0], true
		default:
			l.Items = append(l.Items, Item{ID: id, Value: append([]byte(nil), v...)})
		}
	}
	return l, nil
}

// Batch types of 0x0704.
const (
	BatchNormal byte = 0 // regular reports sent together
	BatchResend byte = 1 // blind-area resend: stored while out of coverage
)

// BatchLocation is a batch location upload (0x0704).
type BatchLocation struct {
	Type  byte
	Items []Location
}

// Marshal returns the body.
func (b BatchLocation) Marshal() ([]byte, error) {
	if len(b.Items) > 0xffff {
		return nil, bodyErr(MsgBatchLocation, "%d items", len(b.Items))
	}
	out := binary.BigEndian.AppendUint16(nil, uint16(len(b.Items)))
	out = append(out, b.Type)
	for _, l := range b.Items {
		n := len(out)
		out = append(out, 0, 0)
		var err error
		if out, err = l.append(out); err != nil {
			return nil, err
		}
		binary.BigEndian.PutUint16(out[n:], uint16(len(out)-n-2))
	}
	return out, nil
}

// ParseBatchLocation decodes a 0x0704 body.
func ParseBatchLocation(body []byte) (BatchLocation, error) {
	if len(body) < 3 {
		return BatchLocation{}, bodyErr(MsgBatchLocation, "%d bytes, want at least 3", len(body))
	}
	count := int(binary.BigEndian.Uint16(body))
	b := BatchLocation{Type: body[2], Items: make([]Location, 0, min(count, len(body)/(2+locationBasic)))}
	rest := body[3:]
	for i := range count {
		if len(rest) < 2 || len(rest) < 2+int(binary.BigEndian.Uint16(rest)) {
			return BatchLocation{}, bodyErr(MsgBatchLocation, "item %d of %d runs past the body", i+1, count)
		}
		n := int(binary.BigEndian.Uint16(rest))
		l, err := ParseLocation(rest[2 : 2+n])
		if err != nil {
			return BatchLocation{}, fmt.Errorf("batch item %d: %w", i+1, err)
		}
		b.Items = append(b.Items, l)
		rest = rest[2+n:]
	}
	if len(rest) > 0 {
		return BatchLocation{}, bodyErr(MsgBatchLocation, "%d bytes after %d items", len(rest), count)
	}
	return b, nil
}

func appendPadded(b []byte, s string, n int) []byte {
	if len(s) > n {
		s = s[:n]
	}
	b = append(b, s...)
	for range n - len(s) {
		b = append(b, 0)
	}
	return b
}

func trimPadded(b []byte) string { return string(bytes.TrimRight(b, "\x00 ")) }

func appendBCD(b []byte, vs ...int) []byte {
	for _, v := range vs {
		b = append(b, byte(v/10)<<4|byte(v%10))
	}
	return b
}

// parseBCDTime decodes YYMMDDhhmmss in GMT+8.
func parseBCDTime(b []byte) (time.Time, error) {
	var v [6]int
	for i, c := range b {
		hi, lo := c>>4, c&0x0f
		if hi > 9 || lo > 9 {
			return time.Time{}, bodyErr(MsgLocation, "time byte 0x%02x is not BCD", c)
		}
		v[i] = int(hi)*10 + int(lo)
	}
	if v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 59 {
		return time.Time{}, bodyErr(MsgLocation, "time %02d%02d%02d%02d%02d%02d is no date", v[0], v[1], v[2], v[3], v[4], v[5])
	}
	t := time.Date(2000+v[0], time.Month(v[1]), v[2], v[3], v[4], v[5], 0, China)
	if t.Day() != v[2] {
		return time.Time{}, bodyErr(MsgLocation, "day %d is not in month %d", v[2], v[1])
	}
	return t, nil
}
