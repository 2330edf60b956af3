package kiosk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"

	"cunyou/drivers/idcard"
	"cunyou/drivers/printer"
	"cunyou/drivers/pty"
	"cunyou/edge/config"
	"cunyou/edge/devices"
	"cunyou/edge/kiosk"
	"cunyou/edge/station"
	"cunyou/syncproto"
)

// apiTap is a pseudo-terminal between a driver and a simulator that
// keeps a copy of every byte the driver sends.
type apiTap struct {
	mu   sync.Mutex
	sent bytes.Buffer
}

func (p *apiTap) Bytes() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Clone(p.sent.Bytes())
}

// apiNewTap opens a terminal for the driver (its path is returned) that
// passes everything to and from the terminal at simPath.
func apiNewTap(t *testing.T, simPath string) (*apiTap, string) {
	t.Helper()
	master, slave, keep, err := pty.OpenPair()
	require.NoError(t, err)
	sim, err := pty.OpenRaw(simPath)
	require.NoError(t, err)
	tap := &apiTap{}
	t.Cleanup(func() { master.Close(); keep.Close(); sim.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			if n > 0 {
				tap.mu.Lock()
				tap.sent.Write(buf[:n])
				tap.mu.Unlock()
				sim.Write(buf[:n])
			}
			if err != nil {
				return
			}
		}
	}()
	go io.Copy(master, sim)
	return tap, slave
}

// The end-to-end path: a card on the simulated reader becomes the
// verified sender of a send, and a parcel scanned in prints its pickup
// sticker on the simulated printer in GB18030.
func TestAPIDevicesEndToEnd(t *testing.T) {
	reader, err := idcard.NewSimulator(idcard.SimOptions{})
	if err != nil {
		t.Skip(err)
	}
	defer reader.Close()
	labels, err := printer.NewSimulator(printer.SimOptions{Language: printer.TSPL})
	require.NoError(t, err)
	defer labels.Close()
	tap, printerPort := apiNewTap(t, labels.Path())

	e := apiNewEnv(t)
	e.st.PrintPickupStickers(true)
	h, err := devices.New(devices.Options{Station: e.st, RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond, Poll: 200 * time.Millisecond,
		Devices: []config.Device{
			{Name: "reader", Kind: config.DeviceIDCard, Port: reader.Path()},
			{Name: "labels", Kind: config.DevicePrinter, Transport: "serial:" + printerPort, Language: "tspl"},
		}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	owner := e.setupOwner(t)
	clerk := e.addClerk(t, owner)
	e.setShelves(t, owner, syncproto.Shelf{No: 1, Layers: 2, Capacity: 10})
	require.NoError(t, e.st.ApplyTariffs(e.ctx, []station.Tariff{{Carrier: "zto", Province: "*", FirstGrams: 1000, FirstFen: 1000, StepGrams: 1000, StepFen: 500}}))
	require.NoError(t, e.st.ApplyWaybillRange(e.ctx, station.WaybillRange{Carrier: "zto", Prefix: "78", Next: 100000000000, Last: 100000000009, Width: 12}))

	e.srv.Config.Handler.(*kiosk.Server).SetDevices(h)
	e.refuse(t, http.StatusUnprocessableEntity, "idcard_none", "POST", "/api/v1/send", clerk, apiReaderSend())
	card := idcard.DemoCards()[0]
	require.NoError(t, reader.PlaceCard(card))
	require.Eventually(t, func() bool {
		return apiOK[kiosk.IDCardJSON](t, e, http.StatusOK, "GET", "/api/v1/devices/idcard", clerk, nil).Present
	}, 15*time.Second, 20*time.Millisecond, "the card is read")
	shown := apiOK[kiosk.IDCardJSON](t, e, http.StatusOK, "GET", "/api/v1/devices/idcard", clerk, nil)
	assert.Equal(t, "231221********0139", shown.Number)
	assert.True(t, shown.CheckDigitOK)
	assert.False(t, shown.Expired)
	assert.Equal(t, "2035-06-10", shown.ValidTo)
	assert.NotContains(t, shown.Name, []rune(card.Name)[1:], "the name is masked")

	before := e.lastSeq(t)
	p := apiOK[station.Parcel](t, e, http.StatusCreated, "POST", "/api/v1/send", clerk, apiReaderSend())
	assert.Equal(t, "78100000000000", p.Waybill)
	ops, err := e.store.Ops(e.ctx, uint64(before), 10)
	require.NoError(t, err)
	require.Len(t, ops, 1)
	require.Equal(t, syncproto.KindParcelAccepted, ops[0].Kind)
	var op struct {
		syncproto.ParcelAccepted
		Source string `json:"sender_id_source"`
	}
	require.NoError(t, json.Unmarshal(ops[0].Payload, &op))
	assert.Regexp(t, regexp.MustCompile(`^[0-9a-f]{64}$`), op.Sender.IDHash)
	assert.Equal(t, "0139", op.Sender.IDLast4)
	assert.Equal(t, "card", op.Source, "the op says the reader verified the sender")
	assert.Equal(t, card.Name, op.Sender.Name, "the name from the card")
	assert.NotContains(t, string(ops[0].Payload), card.Number)
	// One reading serves one customer: the next send needs a card read
	// anew, not the last customer's.
	e.refuse(t, http.StatusUnprocessableEntity, "idcard_none", "POST", "/api/v1/send", clerk, apiReaderSend())
	assert.False(t, apiOK[kiosk.IDCardJSON](t, e, http.StatusOK, "GET", "/api/v1/devices/idcard", clerk, nil).Present)

	// A parcel scanned in prints its pickup sticker.
	in := e.inbound(t, clerk, station.InboundInput{Waybill: apiZTO(7), Carrier: "zto", ReceiverPhone: apiPhone})
	got, err := labels.Wait(e.ctx, 1)
	require.NoError(t, err)
	assert.Contains(t, got[0].Texts(), in.Code)
	want := printer.PickupLabel(printer.Pickup{Code: in.Code, PhoneTail: apiPhone[7:], Waybill: apiZTO(7), Date: "03-10"})
	sent := tap.Bytes()
	chinese := 0
	for _, el := range want.Elements {
		txt, ok := el.(printer.Text)
		if p, isPtr := el.(*printer.Text); isPtr {
			txt, ok = *p, true
		}
		if !ok || !apiHasHan(txt.Text) {
			continue
		}
		gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(txt.Text))
		require.NoError(t, err)
		assert.True(t, bytes.Contains(sent, gb), "the printer got %q in GB18030 (% x)", txt.Text, gb)
		chinese++
	}
	assert.Positive(t, chinese, "the sticker has Chinese text")
	require.Eventually(t, func() bool {
		js := apiOK[map[string][]station.PrintJob](t, e, http.StatusOK, "GET", "/api/v1/print-jobs", clerk, nil)["jobs"]
		return len(js) == 1 && js[0].Status == station.PrintPrinted
	}, 15*time.Second, 20*time.Millisecond, "the job is finished as printed")

	// Reprint at the station.
	js := apiOK[map[string][]station.PrintJob](t, e, http.StatusOK, "GET", "/api/v1/print-jobs", clerk, nil)["jobs"]
	re := apiOK[station.PrintJob](t, e, http.StatusCreated, "POST", "/api/v1/print-jobs/"+strconv.FormatInt(js[0].ID, 10)+"/reprint", clerk, nil)
	assert.Equal(t, js[0].ID, re.ReprintOf)
	_, err = labels.Wait(e.ctx, 2)
	require.NoError(t, err)

	list := apiOK[map[string][]devices.Status](t, e, http.StatusOK, "GET", "/api/v1/devices", clerk, nil)["devices"]
	require.Len(t, list, 2)
	for _, d := range list {
		assert.Equal(t, devices.StateReady, d.State, d.Name)
		assert.Equal(t, "设备正常。", d.Message)
	}
	r := e.do(t, "GET", "/api/v1/labels/preview.png?kind=pickup&code=1-2-0001&waybill="+apiZTO(7), clerk, nil)
	require.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, "image/png", r.Header.Get("Content-Type"))
	e.refuse(t, http.StatusBadRequest, "label_kind", "GET", "/api/v1/labels/preview.png?kind=poster", clerk, nil)
	e.refuse(t, http.StatusUnauthorized, "unauthorized", "GET", "/api/v1/devices", "", nil)

	// No full ID number in any response or log line.
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, x := range e.exchanges {
		assert.NotContains(t, x.body, card.Number, "%s %s", x.method, x.target)
	}
	assert.NotContains(t, e.log.String(), card.Number)
}

func apiReaderSend() map[string]any {
	return map[string]any{
		"carrier": "zto", "id_source": "reader", "weight_g": 1500,
		"sender":   map[string]string{"phone": apiPhone},
		"receiver": map[string]string{"name": "周收", "phone": "13700000002", "province": "黑龙江省", "address": "绥化市望奎县"},
	}
}

func apiHasHan(s string) bool {
	for _, r := range s {
		if r > 0x2e80 {
			return true
		}
	}
	return false
}
