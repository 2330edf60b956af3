package openapi_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"cunyou/hub/intake"
	"cunyou/hub/openapi"
	"cunyou/syncproto"
)

const (
	addrMinzhu = "黑龙江省绥化市望奎县先锋镇民主村三组"
	stMinzhu   = "ST-V0701" // the station of 民主村
)

func TestAnnounceOne(t *testing.T) {
	e := newEnv(t)
	// A carrier's client may leave the carrier out.
	r := e.post("/api/v1/parcels", "zto-app", map[string]any{"waybill": " ７３１０００００００００01\t", "receiver_name": "王秀英",
		"receiver_phone": "139 1234 5678", "address": addrMinzhu, "weight_g": 800})
	res := decode[intake.Result](t, r, http.StatusCreated)
	assert.Equal(t, "73100000000001", res.Waybill)
	assert.Equal(t, intake.Created, res.Outcome)
	assert.Equal(t, syncproto.DestVillage, res.Reason)
	assert.NotEmpty(t, res.Station)

	p, err := e.st.Parcel(e.ctx, "73100000000001", "in")
	require.NoError(t, err)
	assert.Equal(t, "zto", p.Carrier)
	assert.Equal(t, "api:zto-app", p.Source)

	res = decode[intake.Result](t, e.post("/api/v1/parcels", "zto-app", entry("73100000000001", "zto", "13912345678", "卫星镇朝阳村")),
		http.StatusOK)
	assert.Equal(t, intake.Updated, res.Outcome)

	// Rejected: 422 with the entry's code and its result.
	pr := problem(t, e.post("/api/v1/parcels", "zto-app", entry("73100000000002", "zto", "12345678", addrMinzhu)),
		http.StatusUnprocessableEntity, intake.CodeBadPhone)
	require.Len(t, pr.Errors, 1)
	assert.Equal(t, intake.Rejected, pr.Errors[0].Outcome)
	assert.NotContains(t, string(pr.Detail), "12345678", "the bad number is masked")
	pr = problem(t, e.post("/api/v1/parcels", "zto-app", entry("73100000000002", "yto", "13912345678", addrMinzhu)),
		http.StatusForbidden, intake.CodeCarrierScope)
	assert.Len(t, pr.Errors, 1)
	problem(t, e.post("/api/v1/parcels", "shop", entry("73100000000002", "", "13912345678", addrMinzhu)),
		http.StatusUnprocessableEntity, intake.CodeUnknownCarrier)
	problem(t, e.post("/api/v1/parcels", "shop", entry("not a waybill!", "zto", "13912345678", addrMinzhu)),
		http.StatusUnprocessableEntity, intake.CodeBadWaybill)

	// Another carrier's waybill: rejected without naming the carrier.
	pr = problem(t, e.post("/api/v1/parcels", "yto-app", entry("73100000000001", "yto", "13912345678", addrMinzhu)),
		http.StatusUnprocessableEntity, intake.CodeOtherCarrier)
	assert.NotContains(t, pr.Detail, "zto")

	// Bodies that are not an entry.
	for _, body := range []string{``, `[`, `{"waybill":"73100000000002","receiver_phone":"13912345678","weight":800}`, `{} {}`} {
		problem(t, e.do(http.MethodPost, "/api/v1/parcels", "zto-app", []byte(body), nil), http.StatusBadRequest, openapi.CodeBadRequest)
	}
	problem(t, e.do(http.MethodPost, "/api/v1/parcels", "zto-app", bytes.Repeat([]byte(" "), 70<<10), nil),
		http.StatusRequestEntityTooLarge, openapi.CodeTooLarge)
}

func TestAnnounceBatch(t *testing.T) {
	e := newEnv(t, envOptions{maxBatch: 5})
	r := e.post("/api/v1/parcels/batch", "zto-app", map[string]any{"parcels": []intake.Entry{
		entry("73100000000001", "zto", "13912345678", addrMinzhu),
		entry("73100000000002", "zto", "12345", addrMinzhu),
		entry("73100000000003", "", "13912345670", "南岗村"), // ambiguous: the dispatchers' queue
		entry("YT0000000000001", "yto", "13912345678", addrMinzhu),
	}})
	rep := decode[openapi.Report](t, r, http.StatusOK)
	assert.Equal(t, openapi.Summary{Total: 4, Created: 2, Rejected: 2, Unresolved: 1}, rep.Summary)
	require.Len(t, rep.Results, 4)
	for i, want := range []string{"", intake.CodeBadPhone, "", intake.CodeCarrierScope} {
		assert.Equal(t, i+1, rep.Results[i].Row)
		assert.Equal(t, want, rep.Results[i].Code, i)
	}
	assert.Empty(t, rep.File)

	// Over the server's limit, or empty.
	six := make([]intake.Entry, 6)
	for i := range six {
		six[i] = entry(fmt.Sprintf("7310000000010%d", i), "zto", "13912345678", addrMinzhu)
	}
	problem(t, e.post("/api/v1/parcels/batch", "zto-app", map[string]any{"parcels": six}), http.StatusRequestEntityTooLarge,
		openapi.CodeTooManyParcels)
	problem(t, e.post("/api/v1/parcels/batch", "zto-app", map[string]any{"parcels": []any{}}), http.StatusBadRequest, openapi.CodeBadRequest)
	problem(t, e.post("/api/v1/parcels/batch", "zto-app", six[0]), http.StatusBadRequest, openapi.CodeBadRequest)
	doc := served(t, e)
	batch := doc["components"].(map[string]any)["schemas"].(map[string]any)["BatchRequest"].(map[string]any)
	assert.EqualValues(t, 5, batch["properties"].(map[string]any)["parcels"].(map[string]any)["maxItems"])
}

func multipartBody(t *testing.T, field, filename, contentType string, data []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	require.NoError(t, mw.WriteField("note", "before the file"))
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, field, filename))
	h.Set("Content-Type", contentType)
	part, err := mw.CreatePart(h)
	require.NoError(t, err)
	part.Write(data)
	require.NoError(t, mw.Close())
	return buf.Bytes(), mw.FormDataContentType()
}

func xlsx(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range rows {
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		require.NoError(t, err)
		require.NoError(t, f.SetSheetRow("Sheet1", cell, &row))
	}
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))
	return buf.Bytes()
}

func TestManifestUpload(t *testing.T) {
	e := newEnv(t)
	csv := "运单号,快递公司,收件人,收件人电话,收件地址,重量(克)\n" +
		"73100000000001,中通,王秀英,13912345678," + addrMinzhu + ",800\n" +
		"73100000000002,中通,李四,12345,民主村,abc\n" +
		"73100000000003,中通,张三,13912345679," + addrMinzhu + ",1200\n"
	gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(csv))
	require.NoError(t, err)
	book := xlsx(t, [][]any{
		{"waybill", "carrier", "receiver_name", "receiver_phone", "address", "weight_g"},
		{"73100000000011", "zto", "王秀英", "13912345678", addrMinzhu, 800},
		{"73100000000012", "zto", "李四", "1391234", addrMinzhu, 800},
	})

	check := func(r response, file string, created, rejected int) openapi.Report {
		t.Helper()
		rep := decode[openapi.Report](t, r, http.StatusOK)
		assert.Equal(t, file, rep.File)
		assert.Equal(t, created, rep.Summary.Created+rep.Summary.Unchanged, "%s", r.body)
		assert.Equal(t, rejected, rep.Summary.Rejected, "%s", r.body)
		return rep
	}

	// multipart/form-data, CSV in UTF-8.
	body, ct := multipartBody(t, "file", `C:\单据\zto-0314.csv`, "text/csv", []byte(csv))
	rep := check(e.do(http.MethodPost, "/api/v1/manifests", "zto-app", body, map[string]string{"Content-Type": ct}), "zto-0314.csv", 2, 1)
	assert.Equal(t, []int{2, 3, 4}, []int{rep.Results[0].Row, rep.Results[1].Row, rep.Results[2].Row}, "file rows")
	assert.Equal(t, intake.CodeBadField, rep.Results[1].Code)
	p, err := e.st.Parcel(e.ctx, "73100000000001", "in")
	require.NoError(t, err)
	assert.Equal(t, "file:zto-app/zto-0314.csv", p.Source)

	// A raw body in GB18030, as Excel saves CSV on Chinese Windows.
	check(e.do(http.MethodPost, "/api/v1/manifests?filename=gb.csv", "zto-app", gb, map[string]string{"Content-Type": "text/csv"}),
		"gb.csv", 2, 1)
	// No name: one is made.
	check(e.do(http.MethodPost, "/api/v1/manifests", "zto-app", []byte(csv), map[string]string{"Content-Type": "text/csv; charset=utf-8"}),
		"manifest.csv", 2, 1)

	// XLSX, raw and in a form.
	rep = check(e.do(http.MethodPost, "/api/v1/manifests?filename=book.xlsx", "zto-app", book, map[string]string{"Content-Type": openapi.XLSXType}),
		"book.xlsx", 1, 1)
	assert.Equal(t, intake.CodeBadPhone, rep.Results[1].Code)
	assert.Equal(t, 3, rep.Results[1].Row)
	body, ct = multipartBody(t, "file", "book.xlsx", "application/octet-stream", book)
	check(e.do(http.MethodPost, "/api/v1/manifests", "zto-app", body, map[string]string{"Content-Type": ct}), "book.xlsx", 1, 1)
	// A raw body named by its type: the name follows.
	check(e.do(http.MethodPost, "/api/v1/manifests?filename=book.csv", "zto-app", book, map[string]string{"Content-Type": openapi.XLSXType}),
		"book.xlsx", 1, 1)
	check(e.do(http.MethodPost, "/api/v1/manifests?filename=book.xlsx", "zto-app", book,
		map[string]string{"Content-Type": "application/octet-stream"}), "book.xlsx", 1, 1)

	// A carrier's client announces its own carrier's rows only.
	yto := "waybill,carrier,receiver_phone\nYT0000000000001,yto,13912345678\n73100000000021,zto,13912345678\n"
	rep = check(e.do(http.MethodPost, "/api/v1/manifests?filename=y.csv", "yto-app", []byte(yto), map[string]string{"Content-Type": "text/csv"}),
		"y.csv", 1, 1)
	assert.Equal(t, intake.CodeCarrierScope, rep.Results[1].Code)

	// Files that are no manifest.
	problem(t, e.do(http.MethodPost, "/api/v1/manifests", "zto-app", []byte("a,b\n1,2\n"), map[string]string{"Content-Type": "text/csv"}),
		http.StatusUnprocessableEntity, openapi.CodeBadFile)
	problem(t, e.do(http.MethodPost, "/api/v1/manifests", "zto-app", []byte("not a workbook"), map[string]string{"Content-Type": openapi.XLSXType}),
		http.StatusUnprocessableEntity, openapi.CodeBadFile)
	problem(t, e.do(http.MethodPost, "/api/v1/manifests", "zto-app", []byte("{}"), map[string]string{"Content-Type": "application/json"}),
		http.StatusUnsupportedMediaType, openapi.CodeUnsupportedMedia)
	problem(t, e.do(http.MethodPost, "/api/v1/manifests?filename=x.pdf", "zto-app", []byte("%PDF"),
		map[string]string{"Content-Type": "application/octet-stream"}), http.StatusUnsupportedMediaType, openapi.CodeUnsupportedMedia)
	body, ct = multipartBody(t, "upload", "x.csv", "text/csv", []byte(csv))
	problem(t, e.do(http.MethodPost, "/api/v1/manifests", "zto-app", body, map[string]string{"Content-Type": ct}),
		http.StatusBadRequest, openapi.CodeBadRequest)

	// The same file again under one Idempotency-Key, with another
	// multipart boundary: the same request, replayed.
	key := map[string]string{openapi.IdempotencyHeader: "file-1"}
	body, ct = multipartBody(t, "file", "again.csv", "text/csv", []byte(csv))
	key["Content-Type"] = ct
	first := e.do(http.MethodPost, "/api/v1/manifests", "zto-app", body, key)
	require.Equal(t, http.StatusOK, first.status)
	body, ct = multipartBody(t, "file", "again.csv", "text/csv", []byte(csv))
	key["Content-Type"] = ct
	again := e.do(http.MethodPost, "/api/v1/manifests", "zto-app", body, key)
	assert.Equal(t, "true", again.header.Get(openapi.ReplayedHeader))
	assert.Equal(t, string(first.body), string(again.body))
}

// journey makes parcels with a history: a zto parcel announced, sorted at
// the centre onto a trip, carried and scanned in at its station; a yto
// parcel announced for the same receiver.
func (e *env) journey() {
	e.t.Helper()
	e.announce(entry("73100000000001", "zto", "13912345678", addrMinzhu), entry("YT0000000000001", "yto", "13912345678", addrMinzhu))
	e.apply("CENTRE", syncproto.KindParcelAtCentre, syncproto.ParcelAtCentre{Waybill: "73100000000001", Carrier: "zto", Manifested: true,
		Station: stMinzhu, Trip: "L3-20260314-0700"})
	e.apply(stMinzhu, syncproto.KindParcelInbound, syncproto.ParcelInbound{Waybill: "73100000000001", Carrier: "zto",
		ReceiverName: "王秀英", ReceiverPhone: "13912345678", Shelf: 1, Layer: 2, Code: "1-2-0042"})
}

func TestTrack(t *testing.T) {
	e := newEnv(t)
	e.journey()
	tr := decode[openapi.Tracking](t, e.get("/api/v1/parcels/73100000000001", "zto-app"), http.StatusOK)
	require.Len(t, tr.Parcels, 1)
	p := tr.Parcels[0]
	assert.Equal(t, "in", p.Direction)
	assert.Equal(t, "at_station", p.Status)
	assert.Equal(t, "at_station", p.Stage)
	require.NotNil(t, p.Holder)
	assert.Equal(t, openapi.Place{Node: stMinzhu, Name: "民主村驿站", Kind: "station"}, *p.Holder)
	require.NotNil(t, p.Destination)
	assert.Equal(t, stMinzhu, p.Destination.Station)
	assert.Equal(t, "民主村驿站", p.Destination.Name)
	assert.Equal(t, openapi.Person{Name: "王*英", Phone: "139****5678"}, p.Receiver, "masked")
	assert.Empty(t, p.PickupCode, "the pickup code is the villager's")
	assert.Equal(t, "L3-20260314-0700", p.Trip)
	var kinds []string
	for _, f := range tr.Timeline {
		kinds = append(kinds, f.Kind)
		assert.NotContains(t, f.Detail, "1-2-0042", "no pickup code in the timeline")
		assert.NotContains(t, f.Detail, "13912345678")
	}
	assert.Equal(t, []string{"parcel.manifested", "parcel.at_centre", "parcel.inbound"}, kinds)
	assert.Equal(t, "HUB", tr.Timeline[0].Node)
	assert.Equal(t, "民主村驿站", tr.Timeline[2].NodeName)
	assert.Contains(t, tr.Timeline[2].Detail, "code ****")

	// The admin sees it all.
	tr = decode[openapi.Tracking](t, e.get("/api/v1/parcels/73100000000001", "admin"), http.StatusOK)
	assert.Equal(t, openapi.Person{Name: "王秀英", Phone: "13912345678"}, tr.Parcels[0].Receiver)
	assert.Equal(t, "1-2-0042", tr.Parcels[0].PickupCode)
	assert.Contains(t, tr.Timeline[2].Detail, "1-2-0042")

	// A non-carrier reader sees every carrier's parcel, masked.
	tr = decode[openapi.Tracking](t, e.get("/api/v1/parcels/YT0000000000001", "reader"), http.StatusOK)
	assert.Equal(t, "139****5678", tr.Parcels[0].Receiver.Phone)
	assert.Nil(t, tr.Parcels[0].Holder, "with the carrier")

	// Another carrier's parcel is not found, like an unknown one: the
	// same answer, so waybills cannot be probed.
	other := problem(t, e.get("/api/v1/parcels/YT0000000000001", "zto-app"), http.StatusNotFound, openapi.CodeNotFound)
	unknown := problem(t, e.get("/api/v1/parcels/YT0000000000009", "zto-app"), http.StatusNotFound, openapi.CodeNotFound)
	assert.Equal(t, strings.ReplaceAll(unknown.Detail, "YT0000000000009", ""), strings.ReplaceAll(other.Detail, "YT0000000000001", ""))
	problem(t, e.get("/api/v1/parcels/73100000000001", "yto-app"), http.StatusNotFound, openapi.CodeNotFound)
	problem(t, e.get("/api/v1/parcels/%E2%9C%88", "zto-app"), http.StatusNotFound, openapi.CodeNotFound)
}

func TestSearch(t *testing.T) {
	e := newEnv(t)
	e.journey()
	for i := range 5 {
		e.announce(entry(fmt.Sprintf("7310000000010%d", i), "zto", "13912345678", addrMinzhu))
	}
	waybills := func(r response) []string {
		t.Helper()
		l := decode[openapi.ParcelList](t, r, http.StatusOK)
		out := []string{}
		for _, p := range l.Parcels {
			out = append(out, p.Waybill)
		}
		return out
	}
	// A carrier's phone lookup: its own parcels only.
	got := waybills(e.get("/api/v1/parcels?phone=%2B86%20139-1234-5678", "zto-app"))
	assert.Len(t, got, 6)
	assert.NotContains(t, got, "YT0000000000001")
	assert.Equal(t, []string{"YT0000000000001"}, waybills(e.get("/api/v1/parcels?phone=13912345678", "yto-app")))
	// Across carriers, for dispatchers only.
	l := decode[openapi.ParcelList](t, e.get("/api/v1/parcels?phone=13912345678", "county"), http.StatusOK)
	require.Len(t, l.Parcels, 7)
	assert.Equal(t, "139****5678", l.Parcels[0].Receiver.Phone, "masked for all but the admin")
	assert.Equal(t, "王*英", l.Parcels[0].Receiver.Name)
	assert.Len(t, waybills(e.get("/api/v1/parcels?phone=13912345678", "admin")), 7)
	problem(t, e.get("/api/v1/parcels?phone=13912345678", "reader"), http.StatusForbidden, openapi.CodeInsufficientScope)

	assert.Equal(t, []string{"73100000000001"}, waybills(e.get("/api/v1/parcels?trip=L3-20260314-0700", "reader")))
	assert.Equal(t, []string{"73100000000001"}, waybills(e.get("/api/v1/parcels?station="+stMinzhu+"&status=at_station", "reader")))
	assert.Len(t, waybills(e.get("/api/v1/parcels?station="+stMinzhu, "yto-app")), 1)
	assert.Len(t, waybills(e.get("/api/v1/parcels?status=manifested", "zto-app")), 5)

	// Pages.
	var all []string
	path := "/api/v1/parcels?station=" + stMinzhu + "&limit=3"
	for range 10 {
		l := decode[openapi.ParcelList](t, e.get(path, "county"), http.StatusOK)
		for _, p := range l.Parcels {
			all = append(all, p.Waybill)
		}
		if l.NextCursor == "" {
			break
		}
		path = "/api/v1/parcels?station=" + stMinzhu + "&limit=3&cursor=" + l.NextCursor
	}
	assert.Len(t, all, 7)
	seen := map[string]bool{}
	for _, w := range all {
		assert.False(t, seen[w], "%s twice", w)
		seen[w] = true
	}

	for _, q := range []string{"", "?limit=10", "?phone=12345", "?status=vanished", "?station=X&limit=0", "?station=X&limit=501", "?station=X&cursor=bm9wZQ"} {
		r := e.get("/api/v1/parcels"+q, "county")
		assert.Equal(t, http.StatusBadRequest, r.status, "%s: %s", q, r.body)
		assert.NotContains(t, string(r.body), "12345", "a phone is masked even when bad")
	}
	problem(t, e.get("/api/v1/parcels", "county"), http.StatusBadRequest, openapi.CodeFilterRequired)
	problem(t, e.get("/api/v1/parcels?status=vanished", "county"), http.StatusBadRequest, openapi.CodeBadParameter)
}

func TestCarrierEvents(t *testing.T) {
	e := newEnv(t)
	e.journey()
	at := time.Date(2026, 3, 14, 8, 0, 0, 0, shanghai)
	body := map[string]any{"events": []map[string]any{{"code": "out_for_delivery", "text": "派送中", "location": "望奎县", "at": at}}}
	rec := decode[openapi.EventsRecorded](t, e.post("/api/v1/parcels/73100000000001/events", "zto-app", body), http.StatusOK)
	assert.Equal(t, openapi.EventsRecorded{Waybill: "73100000000001", Recorded: 1}, rec)
	tr := decode[openapi.Tracking](t, e.get("/api/v1/parcels/73100000000001", "zto-app"), http.StatusOK)
	last := tr.Timeline[len(tr.Timeline)-1]
	assert.Equal(t, "parcel.carrier_event", last.Kind)
	assert.Contains(t, last.Detail, "out_for_delivery")
	assert.Equal(t, "at_station", tr.Parcels[0].Status, "a carrier's event does not move the parcel")

	// Another carrier's parcel, or none: not found.
	problem(t, e.post("/api/v1/parcels/YT0000000000001/events", "zto-app", body), http.StatusNotFound, openapi.CodeNotFound)
	problem(t, e.post("/api/v1/parcels/73100000000009/events", "zto-app", body), http.StatusNotFound, openapi.CodeNotFound)
	// A client of no carrier may not speak for one; the admin may.
	problem(t, e.post("/api/v1/parcels/73100000000001/events", "shop", body), http.StatusForbidden, openapi.CodeCarrierRequired)
	decode[openapi.EventsRecorded](t, e.post("/api/v1/parcels/YT0000000000001/events", "admin", body), http.StatusOK)

	bad := map[string]any{"events": []map[string]any{{"code": "Out For Delivery", "at": at}}}
	problem(t, e.post("/api/v1/parcels/73100000000001/events", "zto-app", bad), http.StatusUnprocessableEntity, openapi.CodeBadEvent)
	noTime := map[string]any{"events": []map[string]any{{"code": "signed"}}}
	problem(t, e.post("/api/v1/parcels/73100000000001/events", "zto-app", noTime), http.StatusUnprocessableEntity, openapi.CodeBadEvent)
	problem(t, e.post("/api/v1/parcels/73100000000001/events", "zto-app", map[string]any{"events": []any{}}), http.StatusBadRequest,
		openapi.CodeBadRequest)
	many := make([]map[string]any, 101)
	for i := range many {
		many[i] = map[string]any{"code": "x", "at": at}
	}
	problem(t, e.post("/api/v1/parcels/73100000000001/events", "zto-app", map[string]any{"events": many}),
		http.StatusRequestEntityTooLarge, openapi.CodeTooLarge)
}
