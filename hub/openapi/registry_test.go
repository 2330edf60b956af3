package openapi_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cunyou/hub/openapi"
	"cunyou/hub/store"
)

func TestRegistry(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	require.NoError(t, e.st.PutVehicle(ctx, store.Vehicle{Plate: "黑M12345", Kind: "bus", Capacity: 300, Active: true}))
	require.NoError(t, e.st.PutDriver(ctx, store.Driver{ID: "D001", Name: "张师傅", Phone: "13700001111", Active: true}))
	_, err := e.st.PlanTrips(ctx, "2026-03-14")
	require.NoError(t, err)

	for _, path := range []string{"/api/v1/carriers", "/api/v1/sites", "/api/v1/lines", "/api/v1/trips", "/api/v1/vehicles", "/api/v1/drivers"} {
		assert.Equal(t, http.StatusForbidden, e.get(path, "reader").status, path)
		assert.Equal(t, http.StatusUnauthorized, e.get(path, "").status, path)
		assert.Equal(t, http.StatusOK, e.get(path, "county").status, path)
	}
	var sites openapi.SiteList
	require.NoError(t, json.Unmarshal(e.get("/api/v1/sites", "county").body, &sites))
	require.Len(t, sites.Sites, 78)
	assert.Equal(t, "CENTRE", sites.Sites[0].Node)
	assert.Equal(t, "ST-V0101", sites.Sites[1].Node)
	assert.Equal(t, "望奎镇", sites.Sites[1].TownName)
	assert.Equal(t, "07:30-19:30", sites.Sites[1].Hours)

	var trips openapi.TripList
	require.NoError(t, json.Unmarshal(e.get("/api/v1/trips?date=2026-03-14", "county").body, &trips))
	require.NotEmpty(t, trips.Trips)
	id := trips.Trips[0].ID
	assert.Equal(t, "CENTRE", trips.Trips[0].Stops[0].Node)
	assert.Equal(t, http.StatusBadRequest, e.get("/api/v1/trips?date=14.3.2026", "county").status)

	r := e.do(http.MethodPatch, "/api/v1/trips/"+id, "county", []byte(`{"vehicle":"黑M12345","driver":"D001"}`), nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var trip openapi.Trip
	require.NoError(t, json.Unmarshal(r.body, &trip))
	assert.Equal(t, "黑M12345", trip.Vehicle)
	assert.Equal(t, "D001", trip.Driver)
	assert.Equal(t, http.StatusUnprocessableEntity, e.do(http.MethodPatch, "/api/v1/trips/"+id, "county", []byte(`{"status":"lost"}`), nil).status)
	assert.Equal(t, http.StatusNotFound, e.do(http.MethodPatch, "/api/v1/trips/"+id, "county", []byte(`{"vehicle":"黑X0"}`), nil).status)
	assert.Equal(t, http.StatusNotFound, e.do(http.MethodPatch, "/api/v1/trips/L9-20260314-0700", "county", []byte(`{}`), nil).status)
	assert.Equal(t, http.StatusBadRequest, e.do(http.MethodPatch, "/api/v1/trips/"+id, "county", []byte(`{"vehicel":"x"}`), nil).status)

	var ds openapi.DriverList
	require.NoError(t, json.Unmarshal(e.get("/api/v1/drivers", "county").body, &ds))
	assert.Equal(t, "137****1111", ds.Drivers[0].Phone)
	require.NoError(t, json.Unmarshal(e.get("/api/v1/drivers", "admin").body, &ds))
	assert.Equal(t, "13700001111", ds.Drivers[0].Phone)
}

func TestSMSMessages(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, err := e.st.DB().ExecContext(ctx, "SELECT 1")
	require.NoError(t, err)
	require.NoError(t, e.st.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO sms_messages (phone, kind, params, text, parts, state, error_code, error, created_ms, final_ms)
			VALUES ('13912345678', 'arrival', '[]', '【村邮】到了', 1, 'dead', 'isv.MOBILE_NUMBER_ILLEGAL', 'bad number', 1, 2),
			       ('13800001111', 'arrival', '[]', '【村邮】到了', 1, 'delivered', '', '', 3, 4)`)
		return err
	}))
	var l openapi.SMSMessageList
	r := e.get("/api/v1/sms/messages?state=problems", "county")
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	require.NoError(t, json.Unmarshal(r.body, &l))
	require.Len(t, l.Messages, 1)
	assert.Equal(t, "139****5678", l.Messages[0].Phone)
	assert.Equal(t, "isv.MOBILE_NUMBER_ILLEGAL", l.Messages[0].ErrorCode)
	require.NoError(t, json.Unmarshal(e.get("/api/v1/sms/messages", "admin").body, &l))
	assert.Len(t, l.Messages, 2)
	assert.Equal(t, "13800001111", l.Messages[0].Phone, "the admin sees the number")
	assert.Equal(t, http.StatusForbidden, e.get("/api/v1/sms/messages", "reader").status)
	assert.Equal(t, http.StatusBadRequest, e.get("/api/v1/sms/messages?state=lost", "county").status)
}

func TestSMSTemplatesAPI(t *testing.T) {
	e := newEnv(t)
	var l openapi.SMSTemplateList
	r := e.get("/api/v1/sms/templates", "county")
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	require.NoError(t, json.Unmarshal(r.body, &l))
	require.Len(t, l.Templates, 7)
	assert.Equal(t, "arrival", l.Templates[0].Kind)
	assert.Equal(t, []string{"carrier", "close", "code", "station"}, l.Templates[0].Variables)
	assert.Equal(t, 1, l.Templates[0].Preview.Parts)

	put := func(as, kind string, body any) response {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		return e.do(http.MethodPut, "/api/v1/sms/templates/"+kind, as, b, map[string]string{"Content-Type": "application/json"})
	}
	long := strings.Repeat("您的包裹到了，", 12) + "取件码{code}。"
	r = put("admin", "arrival", map[string]any{"text": long, "dry_run": true})
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var v openapi.SMSTemplate
	require.NoError(t, json.Unmarshal(r.body, &v))
	assert.Equal(t, 2, v.Preview.Parts, "shown before saving: over 70 characters is two messages")
	require.NoError(t, json.Unmarshal(e.get("/api/v1/sms/templates", "county").body, &l))
	assert.NotEqual(t, long, l.Templates[0].Text, "a dry run saves nothing")

	r = put("admin", "arrival", map[string]any{"text": "{carrier}快递到{station}了，凭{code}取件。", "providers": map[string]string{"aliyun": "SMS_1"}})
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	require.NoError(t, json.Unmarshal(r.body, &v))
	assert.Equal(t, "{carrier}快递到{station}了，凭{code}取件。", v.Text)
	assert.Equal(t, map[string]string{"aliyun": "SMS_1"}, v.Providers)
	assert.Equal(t, "admin", v.UpdatedBy)

	r = put("admin", "arrival", map[string]any{"text": "到了 {phone}"})
	assert.Equal(t, http.StatusUnprocessableEntity, r.status, string(r.body))
	assert.Contains(t, string(r.body), "{phone} is not a variable")
	assert.Equal(t, http.StatusForbidden, put("county", "arrival", map[string]any{"text": "x"}).status, "the admin only")
	assert.Equal(t, http.StatusNotFound, put("admin", "nope", map[string]any{"text": "x"}).status)
	assert.Equal(t, http.StatusBadRequest, put("admin", "arrival", map[string]any{"txt": "x"}).status)
}

func TestSMSOptOutAPI(t *testing.T) {
	e := newEnv(t)
	r := e.do(http.MethodPut, "/api/v1/sms/optouts/13912345678", "county", nil, nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	assert.JSONEq(t, `{"phone":"139****5678","opted_out":true}`, string(r.body))
	var n int
	require.NoError(t, e.st.DB().QueryRow("SELECT count(*) FROM sms_optout WHERE phone = '13912345678' AND source = 'api:county'").Scan(&n))
	assert.Equal(t, 1, n, "who asked, for the audit")
	r = e.do(http.MethodDelete, "/api/v1/sms/optouts/13912345678", "admin", nil, nil)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	assert.JSONEq(t, `{"phone":"13912345678","opted_out":false}`, string(r.body))
	require.NoError(t, e.st.DB().QueryRow("SELECT count(*) FROM sms_optout").Scan(&n))
	assert.Zero(t, n)
	assert.Equal(t, http.StatusUnprocessableEntity, e.do(http.MethodPut, "/api/v1/sms/optouts/12345", "county", nil, nil).status)
	assert.Equal(t, http.StatusBadRequest, e.do(http.MethodDelete, "/api/v1/sms/optouts/12345", "county", nil, nil).status)
	assert.Equal(t, http.StatusForbidden, e.do(http.MethodPut, "/api/v1/sms/optouts/13912345678", "reader", nil, nil).status)
}
