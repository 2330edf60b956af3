package cloud

import (
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"cunyou/sms"
)

// TencentFake is a fake Tencent Cloud SMS endpoint on 127.0.0.1, for tests
// and the demo: it checks every request's TC3-HMAC-SHA256 signature with
// its credentials and its timestamp, answers SendSms and PullSmsSendStatus
// with Tencent's field names and codes, and queues the statuses Deliver
// makes until they are pulled.
type TencentFake struct {
	*fakeServer
	statuses []map[string]any // waiting to be pulled
	replies  []map[string]any // receivers' replies waiting to be pulled
}

// NewTencentFake starts a fake Tencent Cloud SMS endpoint; Close stops
// it.
func NewTencentFake(o FakeOptions) *TencentFake {
	f := &TencentFake{}
	f.fakeServer = startFake(o, 5*time.Minute, http.HandlerFunc(f.serve))
	return f
}

// FailNext makes the fake refuse the next SendSms as Tencent does for
// kind: Temporary a 502 from the gateway in front, Throttled
// LimitExceeded.PhoneNumberThirtySecondLimit, Permanent
// InvalidParameterValue.IncorrectPhoneNumber, Misconfigured
// FailedOperation.InsufficientBalanceInSmsPackage (the last three in the
// number's SendStatus, with HTTP 200).
func (f *TencentFake) FailNext(kind sms.Kind) {
	switch kind {
	case sms.Temporary:
		f.FailWith(http.StatusBadGateway, "", "")
	case sms.Throttled:
		f.FailWith(http.StatusOK, "LimitExceeded.PhoneNumberThirtySecondLimit", "the number of sms messages sent from a single mobile number within 30 seconds exceeds the upper limit")
	case sms.Permanent:
		f.FailWith(http.StatusOK, "InvalidParameterValue.IncorrectPhoneNumber", "incorrect phone number")
	case sms.Misconfigured:
		f.FailWith(http.StatusOK, "FailedOperation.InsufficientBalanceInSmsPackage", "insufficient balance in SMS package")
	}
}

// Deliver queues the status of serialNo for PullSmsSendStatus: Delivered
// is ReportStatus SUCCESS, every other status FAIL with a description
// naming it (UNDELIV, EXPIRED, UNKNOWN; the carriers' words). It reports
// whether the fake knows serialNo.
func (f *TencentFake) Deliver(serialNo string, st sms.Status) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.received, func(m FakeSMS) bool { return m.ProviderID == serialNo })
	if i < 0 {
		return false
	}
	m := f.received[i]
	report, desc := "FAIL", "UNDELIV"
	switch st {
	case sms.Delivered:
		report, desc = "SUCCESS", "DELIVRD"
	case sms.Expired:
		desc = "EXPIRED"
	case sms.Unknown:
		desc = "UNKNOWN"
	}
	f.statuses = append(f.statuses, map[string]any{
		"UserReceiveTime": f.o.Now().Unix(), "CountryCode": "86", "SubscriberNumber": m.Phone, "PhoneNumber": "+86" + m.Phone,
		"SerialNo": serialNo, "ReportStatus": report, "Description": desc, "SessionContext": m.MessageID,
	})
	return true
}

// tencentPerNumber tells where a refusal goes: a per-number one is the
// number's SendStatus, anything else Response.Error [U: which codes
// Tencent answers in SendStatusSet is inferred from its code list].
func tencentPerNumber(code string) bool {
	return strings.HasPrefix(code, "LimitExceeded.PhoneNumber") || strings.HasPrefix(code, "FailedOperation.") ||
		code == "InvalidParameterValue.IncorrectPhoneNumber" || code == "LimitExceeded.DeliveryFrequencyLimit"
}

func (f *TencentFake) refuse(w http.ResponseWriter, code, message string) {
	writeJSON(w, http.StatusOK, map[string]any{"Response": map[string]any{
		"Error": map[string]string{"Code": code, "Message": message}, "RequestId": strings.ToLower(requestID())}})
}

func (f *TencentFake) answer(w http.ResponseWriter, resp map[string]any) {
	resp["RequestId"] = strings.ToLower(requestID())
	writeJSON(w, http.StatusOK, map[string]any{"Response": resp})
}

func (f *TencentFake) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		f.refuse(w, "UnsupportedProtocol", "the fake takes POST only")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAnswer))
	if err != nil {
		f.refuse(w, "InvalidParameter", "request body too large")
		return
	}
	if code, msg := f.verify(r, body); code != "" {
		f.refuse(w, code, msg)
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		f.refuse(w, "InvalidParameter", "Content-Type must be application/json")
		return
	}
	if r.Header.Get("X-TC-Version") != tencentVersion {
		f.refuse(w, "InvalidAction", "the fake knows version "+tencentVersion+" only")
		return
	}
	switch r.Header.Get("X-TC-Action") {
	case "SendSms":
		f.sendSms(w, body)
	case "PullSmsSendStatus":
		f.pullSmsSendStatus(w, body)
	case "PullSmsReplyStatus":
		f.pullSmsReplyStatus(w, body)
	default:
		f.refuse(w, "InvalidAction", "The action requested is not found.")
	}
}

// verify checks the Authorization header as Tencent does; code is empty
// when the request passes.
func (f *TencentFake) verify(r *http.Request, body []byte) (code, msg string) {
	a, ok := parseTC3Authorization(r.Header.Get("Authorization"))
	if !ok {
		return "AuthFailure.InvalidAuthorization", "Authorization header is not a TC3-HMAC-SHA256 one."
	}
	ts, err := strconv.ParseInt(r.Header.Get("X-TC-Timestamp"), 10, 64)
	if err != nil {
		return "MissingParameter", "X-TC-Timestamp is missing or not a number."
	}
	if f.skewed(time.Unix(ts, 0)) {
		return "AuthFailure.SignatureExpire", "Signature expired. Timestamp and server time cannot differ by more than " + f.o.MaxSkew.String() + "."
	}
	if a.SecretID != f.o.KeyID {
		return "AuthFailure.SecretIdNotFound", "The SecretId is not found, please ensure that your SecretId is correct."
	}
	if a.Date != time.Unix(ts, 0).UTC().Format(time.DateOnly) || a.Service != tencentService {
		return "AuthFailure.SignatureFailure", "The credential scope does not match the timestamp or the service."
	}
	if !slices.Contains(a.SignedHeaders, "content-type") || !slices.Contains(a.SignedHeaders, "host") {
		return "AuthFailure.SignatureFailure", "content-type and host must be signed."
	}
	headers := map[string]string{}
	for _, h := range a.SignedHeaders {
		if h == "host" {
			headers[h] = r.Host
		} else {
			headers[h] = r.Header.Get(h)
		}
	}
	want := tc3Sign(f.o.Secret, a.Service, r.Method, ts, headers, body).Signature
	if !hmac.Equal([]byte(want), []byte(a.Signature)) {
		return "AuthFailure.SignatureFailure", "The provided credentials could not be validated. Please check your signature is correct."
	}
	return "", ""
}

func (f *TencentFake) sendSms(w http.ResponseWriter, body []byte) {
	var req struct {
		PhoneNumberSet   []string
		SmsSdkAppId      string //nolint:revive // the provider's name
		TemplateId       string //nolint:revive // the provider's name
		SignName         string
		TemplateParamSet []string
		SessionContext   string
	}
	if err := json.Unmarshal(body, &req); err != nil {
		f.refuse(w, "FailedOperation.JsonParseFail", "The request body cannot be parsed.")
		return
	}
	if f.o.AppID != "" && req.SmsSdkAppId != f.o.AppID {
		f.refuse(w, "UnauthorizedOperation.SmsSdkAppIdVerifyFail", "SmsSdkAppId verify fail.")
		return
	}
	if len(req.PhoneNumberSet) == 0 {
		f.refuse(w, "MissingParameter.EmptyPhoneNumberSet", "PhoneNumberSet is empty.")
		return
	}
	if len(req.PhoneNumberSet) > 200 {
		f.refuse(w, "LimitExceeded.PhoneNumberCountLimit", "more than 200 numbers")
		return
	}
	if len(req.SessionContext) >= 512 {
		f.refuse(w, "InvalidParameter", "SessionContext must be shorter than 512 bytes.")
		return
	}
	failure, failing := f.nextFailure()
	if failing && (failure.status != http.StatusOK || !tencentPerNumber(failure.code)) {
		if failure.status != http.StatusOK {
			http.Error(w, "<html><body><h1>"+strconv.Itoa(failure.status)+" "+http.StatusText(failure.status)+"</h1></body></html>", failure.status)
			return
		}
		f.refuse(w, failure.code, failure.message)
		return
	}
	names, approved := f.templateNames(req.TemplateId)
	params := make([]sms.Param, len(req.TemplateParamSet))
	for i, v := range req.TemplateParamSet {
		name := strconv.Itoa(i + 1)
		if i < len(names) {
			name = names[i]
		}
		params[i] = sms.Param{Name: name, Value: v}
	}
	var set []map[string]any
	for _, number := range req.PhoneNumberSet {
		st := map[string]any{"SerialNo": "", "PhoneNumber": number, "Fee": 0, "SessionContext": req.SessionContext, "IsoCode": "CN"}
		phone, ok := mainlandPhone(number)
		switch {
		case failing:
			st["Code"], st["Message"] = failure.code, failure.message
		case !ok:
			st["Code"], st["Message"] = "InvalidParameterValue.IncorrectPhoneNumber", "incorrect phone number"
		case req.SignName == "" || !f.signApproved(req.SignName):
			st["Code"], st["Message"] = "FailedOperation.SignatureIncorrectOrUnapproved", "signature is not approved or incorrect"
		case !approved || (names != nil && len(names) != len(params)):
			st["Code"], st["Message"] = "FailedOperation.TemplateIncorrectOrUnapproved", "template is not approved or parameters do not match"
		default:
			f.mu.Lock()
			f.seq++
			serial := fmt.Sprintf("2433:%d%s", 100000+f.seq, randDigits(14))
			f.received = append(f.received, FakeSMS{Phone: phone, Sign: req.SignName, Template: req.TemplateId, Params: params,
				MessageID: req.SessionContext, ProviderID: serial, At: f.o.Now()})
			f.mu.Unlock()
			// The fake does not know the approved template's text, so it
			// bills one message.
			st["SerialNo"], st["Fee"], st["Code"], st["Message"] = serial, 1, "Ok", "send success"
		}
		set = append(set, st)
	}
	f.answer(w, map[string]any{"SendStatusSet": set})
}

// Reply queues a receiver's reply (an uplink SMS, e.g. "TD") for
// PullSmsReplyStatus.
func (f *TencentFake) Reply(phone, sign, text string) {
	now := f.o.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replies = append(f.replies, map[string]any{"SmsSdkAppId": f.o.AppID, "ReplyContent": text, "ReplyTime": now.In(beijing).Format(aliyunLocalFmt),
		"ReplyUnixTime": now.Unix(), "CountryCode": "86", "SubscriberNumber": phone, "PhoneNumber": "+86" + phone, "SignName": sign, "ExtendCode": ""})
}

func (f *TencentFake) pullSmsReplyStatus(w http.ResponseWriter, body []byte) {
	f.pull(w, body, &f.replies, "PullSmsReplyStatusSet")
}

func (f *TencentFake) pullSmsSendStatus(w http.ResponseWriter, body []byte) {
	f.pull(w, body, &f.statuses, "PullSmsSendStatusSet")
}

// pull answers a pull of up to Limit items of queue, each answered once.
func (f *TencentFake) pull(w http.ResponseWriter, body []byte, queue *[]map[string]any, set string) {
	var req struct {
		Limit       int
		SmsSdkAppId string //nolint:revive // the provider's name
	}
	if err := json.Unmarshal(body, &req); err != nil {
		f.refuse(w, "FailedOperation.JsonParseFail", "The request body cannot be parsed.")
		return
	}
	if f.o.AppID != "" && req.SmsSdkAppId != f.o.AppID {
		f.refuse(w, "UnauthorizedOperation.SmsSdkAppIdVerifyFail", "SmsSdkAppId verify fail.")
		return
	}
	if req.Limit < 1 || req.Limit > 100 {
		f.refuse(w, "InvalidParameterValue.LimitVerifyFail", "Limit must be 1 to 100.")
		return
	}
	f.mu.Lock()
	n := min(req.Limit, len(*queue))
	items := slices.Clone((*queue)[:n])
	*queue = (*queue)[n:]
	f.mu.Unlock()
	if items == nil {
		items = []map[string]any{}
	}
	f.answer(w, map[string]any{set: items})
}
