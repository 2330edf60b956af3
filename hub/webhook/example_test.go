package webhook_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"

	"cunyou/hub/webhook"
)

// A carrier's receiver: check the signature on the raw body, deduplicate
// by id, answer at once.
func ExampleVerify() {
	secret := "whsec_given_by_the_hub"
	receiver := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read body", http.StatusBadRequest)
			return
		}
		if err := webhook.Verify(secret, r.Header, body, time.Now(), 0); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var ev struct {
			ID        string          `json:"id"`
			Type      string          `json:"type"`
			CreatedAt time.Time       `json:"created_at"`
			Data      json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(body, &ev); err != nil {
			http.Error(w, "bad JSON", http.StatusBadRequest)
			return
		}
		// Skip ev.ID if it was seen before; queue the event; answer.
		fmt.Println("got", ev.Type, ev.ID, ev.CreatedAt.Format(time.Kitchen))
		w.WriteHeader(http.StatusNoContent)
	})

	// What the hub sends.
	body := []byte(`{"id":"picked_up/ZT1/op7","type":"picked_up","created_at":"2026-03-14T17:42:05.123Z","data":{"waybill":"ZT1"}}`)
	now := time.Now()
	req := httptest.NewRequest(http.MethodPost, "/hooks/cunyou", bytes.NewReader(body))
	req.Header.Set(webhook.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(webhook.HeaderSignature, webhook.Sign(secret, now, body))
	rec := httptest.NewRecorder()
	receiver.ServeHTTP(rec, req)
	fmt.Println(rec.Code)

	// The same request with one byte changed.
	req = httptest.NewRequest(http.MethodPost, "/hooks/cunyou", bytes.NewReader(bytes.Replace(body, []byte("ZT1"), []byte("ZT2"), 1)))
	req.Header.Set(webhook.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(webhook.HeaderSignature, webhook.Sign(secret, now, body))
	rec = httptest.NewRecorder()
	receiver.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// got picked_up picked_up/ZT1/op7 5:42PM
	// 204
	// 401
}
