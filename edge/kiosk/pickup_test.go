package kiosk_test

import (
	"net/http"
	"testing"
)

// A pickup with "id_source": "reader" needs a card on the reader; any
// other source is refused.
func TestAPIPickupIDSource(t *testing.T) {
	e := apiNewEnv(t)
	owner := e.setupOwner(t)
	clerk := e.addClerk(t, owner)
	body := func(src string) map[string]any {
		return map[string]any{"waybills": []string{apiZTO(1)}, "collector": map[string]string{"kind": "proxy", "phone": apiPhone}, "id_source": src}
	}
	e.refuse(t, http.StatusUnprocessableEntity, "idcard_none", "POST", "/api/v1/pickup", clerk, body("reader"))
	e.refuse(t, http.StatusBadRequest, "bad_request", "POST", "/api/v1/pickup", clerk, body("camera"))
}
