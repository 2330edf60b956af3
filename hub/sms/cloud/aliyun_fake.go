package cloud

import (
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"cunyou/sms"
)

// AliyunFake is a fake dysmsapi endpoint on 127.0.0.1, for tests and the
// demo: it checks every request's signature (version 1.0, HMAC-SHA1) with
// its credentials, its timestamp and its nonce, answers SendSms and
// QuerySendDetails with Aliyun's field names and codes, and holds the
// delivery state Deliver sets until it is queried.
type AliyunFake struct {
	*fakeServer
	nonces map[string]time.Time
	state  map[string]*aliyunFakeState // by BizId
}

type aliyunFakeState struct {
	sendStatus  int // 1 waiting, 2 failed, 3 delivered
	errCode     string
	receiveDate time.Time
}

// NewAliyunFake starts a fake Aliyun SMS endpoint; Close stops it.
func NewAliyunFake(o FakeOptions) *AliyunFake {
	f := &AliyunFake{nonces: map[string]time.Time{}, state: map[string]*aliyunFakeState{}}
	f.fakeServer = startFake(o, 15*time.Minute, http.HandlerFunc(f.serve))
	return f
}

// FailNext makes the fake refuse the next SendSms as Aliyun does for kind:
// Temporary a 503 ServiceUnavailable, Throttled isv.BUSINESS_LIMIT_CONTROL
// (minute level), Permanent isv.MOBILE_NUMBER_ILLEGAL, Misconfigured
// isv.AMOUNT_NOT_ENOUGH.
func (f *AliyunFake) FailNext(kind sms.Kind) {
	switch kind {
	case sms.Temporary:
		f.FailWith(http.StatusServiceUnavailable, "ServiceUnavailable", "The request has failed due to a temporary failure of the server.")
	case sms.Throttled:
		f.FailWith(http.StatusOK, "isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1")
	case sms.Permanent:
		f.FailWith(http.StatusOK, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
	case sms.Misconfigured:
		f.FailWith(http.StatusOK, "isv.AMOUNT_NOT_ENOUGH", "账户余额不足")
	}
}

// Deliver sets the delivery state QuerySendDetails reports for bizID:
// Delivered is SendStatus 3 with ErrCode DELIVERED; Failed, Expired and
// Unknown are SendStatus 2 with ErrCode UNDELIV, EXPIRED or UNKNOWN (the
// carriers' status words; Aliyun's own failure codes vary [U]). It reports
// whether the fake knows bizID.
func (f *AliyunFake) Deliver(bizID string, st sms.Status) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.state[bizID]
	if !ok {
		return false
	}
	s.receiveDate = f.o.Now()
	switch st {
	case sms.Delivered:
		s.sendStatus, s.errCode = 3, "DELIVERED"
	case sms.Expired:
		s.sendStatus, s.errCode = 2, "EXPIRED"
	case sms.Unknown:
		s.sendStatus, s.errCode = 2, "UNKNOWN"
	default:
		s.sendStatus, s.errCode = 2, "UNDELIV"
	}
	return true
}

// aliyunAnswer is the body of every answer.
type aliyunAnswer map[string]any

func (f *AliyunFake) refuse(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, aliyunAnswer{"RequestId": requestID(), "HostId": "dysmsapi.aliyuncs.com", "Code": code, "Message": message})
}

func (f *AliyunFake) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		f.refuse(w, http.StatusMethodNotAllowed, "UnsupportedHTTPMethod", "This http method is not supported.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxAnswer)
	if err := r.ParseForm(); err != nil {
		f.refuse(w, http.StatusBadRequest, "InvalidParameter", "The request body cannot be parsed.")
		return
	}
	p := map[string]string{}
	for k, vs := range r.Form {
		if len(vs) != 1 {
			f.refuse(w, http.StatusBadRequest, "InvalidParameter", "Parameter "+k+" is repeated.")
			return
		}
		p[k] = vs[0]
	}
	if status, code, msg := f.verify(r.Method, p); code != "" {
		f.refuse(w, status, code, msg)
		return
	}
	if p["Version"] != aliyunVersion {
		f.refuse(w, http.StatusBadRequest, "InvalidVersion", "Specified parameter Version is not valid.")
		return
	}
	switch p["Action"] {
	case "SendSms":
		f.sendSms(w, p)
	case "QuerySendDetails":
		f.querySendDetails(w, p)
	default:
		f.refuse(w, http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
	}
}

// verify checks the signature and its common parameters as Aliyun does;
// code is empty when the request passes.
func (f *AliyunFake) verify(method string, p map[string]string) (status int, code, msg string) {
	for _, k := range []string{"AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp", "Action", "Version"} {
		if p[k] == "" {
			return http.StatusBadRequest, "MissingParameter", "The input parameter \"" + k + "\" that is mandatory for processing this request is not supplied."
		}
	}
	if p["AccessKeyId"] != f.o.KeyID {
		return http.StatusNotFound, "InvalidAccessKeyId.NotFound", "Specified access key is not found."
	}
	if p["SignatureMethod"] != "HMAC-SHA1" || p["SignatureVersion"] != "1.0" {
		return http.StatusBadRequest, "IncompleteSignature", "The request signature does not conform to Aliyun standards."
	}
	ts, err := time.Parse(aliyunTimeFmt, p["Timestamp"])
	if err != nil {
		return http.StatusBadRequest, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted."
	}
	if f.skewed(ts) {
		return http.StatusBadRequest, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."
	}
	want := aliyunSignature(f.o.Secret, method, p)
	if !hmac.Equal([]byte(want), []byte(p["Signature"])) {
		// Aliyun echoes the string it signed, to help find the fault.
		return http.StatusBadRequest, "SignatureDoesNotMatch",
			"Specified signature is not matched with our calculation. server string to sign is:" + aliyunStringToSign(method, p)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.o.Now()
	for n, at := range f.nonces {
		if now.Sub(at) > 2*f.o.MaxSkew {
			delete(f.nonces, n)
		}
	}
	if _, used := f.nonces[p["SignatureNonce"]]; used {
		return http.StatusBadRequest, "SignatureNonceUsed", "Specified signature nonce was used already."
	}
	f.nonces[p["SignatureNonce"]] = now
	return 0, "", ""
}

func (f *AliyunFake) sendSms(w http.ResponseWriter, p map[string]string) {
	if x, ok := f.nextFailure(); ok {
		f.refuse(w, x.status, x.code, x.message)
		return
	}
	phone, ok := mainlandPhone(p["PhoneNumbers"])
	switch {
	case p["PhoneNumbers"] == "" || p["SignName"] == "" || p["TemplateCode"] == "":
		f.refuse(w, http.StatusBadRequest, "MissingParameter", "PhoneNumbers, SignName and TemplateCode are mandatory.")
		return
	case strings.Contains(p["PhoneNumbers"], ","):
		f.refuse(w, http.StatusOK, "isv.INVALID_PARAMETERS", "the fake sends to one number at a time")
		return
	case !ok:
		f.refuse(w, http.StatusOK, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
		return
	case !f.signApproved(p["SignName"]):
		f.refuse(w, http.StatusOK, "isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
		return
	}
	names, ok := f.templateNames(p["TemplateCode"])
	if !ok {
		f.refuse(w, http.StatusOK, "isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
		return
	}
	params, err := orderedParams(p["TemplateParam"])
	if err != nil {
		f.refuse(w, http.StatusOK, "isv.INVALID_JSON_PARAM", "JSON参数不合法")
		return
	}
	for _, n := range names {
		if !hasParam(params, n) {
			f.refuse(w, http.StatusOK, "isv.TEMPLATE_MISSING_PARAMETERS", "模板缺少变量")
			return
		}
	}
	f.mu.Lock()
	f.seq++
	biz := fmt.Sprintf("%d^%s", 900000000000+f.seq, randDigits(10))
	f.received = append(f.received, FakeSMS{Phone: phone, Sign: p["SignName"], Template: p["TemplateCode"], Params: params,
		MessageID: p["OutId"], ProviderID: biz, At: f.o.Now()})
	f.state[biz] = &aliyunFakeState{sendStatus: 1}
	f.mu.Unlock()
	time.Sleep(f.o.AnswerDelay)
	writeJSON(w, http.StatusOK, aliyunAnswer{"Code": "OK", "Message": "OK", "BizId": biz, "RequestId": requestID()})
}

func (f *AliyunFake) querySendDetails(w http.ResponseWriter, p map[string]string) {
	size, err := strconv.Atoi(p["PageSize"])
	if err != nil || size < 1 || size > 50 {
		f.refuse(w, http.StatusOK, "isv.INVALID_PARAMETERS", "PageSize must be 1 to 50")
		return
	}
	page := 1
	if s := p["CurrentPage"]; s != "" {
		if page, err = strconv.Atoi(s); err != nil || page < 1 {
			f.refuse(w, http.StatusOK, "isv.INVALID_PARAMETERS", "CurrentPage must be at least 1")
			return
		}
	}
	if p["PhoneNumber"] == "" || p["SendDate"] == "" {
		f.refuse(w, http.StatusBadRequest, "MissingParameter", "PhoneNumber and SendDate are mandatory.")
		return
	}
	if _, ok := mainlandPhone(p["PhoneNumber"]); !ok {
		f.refuse(w, http.StatusOK, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
		return
	}
	f.mu.Lock()
	var dtos []map[string]any
	for _, m := range f.received {
		if m.Phone != p["PhoneNumber"] || m.At.In(beijing).Format(aliyunDateFmt) != p["SendDate"] ||
			(p["BizId"] != "" && m.ProviderID != p["BizId"]) {
			continue
		}
		s := f.state[m.ProviderID]
		d := map[string]any{"PhoneNum": m.Phone, "SendStatus": s.sendStatus, "ErrCode": s.errCode, "TemplateCode": m.Template,
			"Content": "【" + m.Sign + "】" + m.Text(), "SendDate": m.At.In(beijing).Format(aliyunLocalFmt), "OutId": m.MessageID}
		if s.sendStatus != 1 {
			d["ReceiveDate"] = s.receiveDate.In(beijing).Format(aliyunLocalFmt)
		}
		dtos = append(dtos, d)
	}
	f.mu.Unlock()
	total := len(dtos)
	from := min((page-1)*size, total)
	dtos = dtos[from:min(from+size, total)]
	if dtos == nil {
		dtos = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, aliyunAnswer{"Code": "OK", "Message": "OK", "RequestId": requestID(), "TotalCount": total,
		"SmsSendDetailDTOs": map[string]any{"SmsSendDetailDTO": dtos}})
}

// orderedParams reads a TemplateParam JSON object keeping its keys' order.
func orderedParams(s string) ([]sms.Param, error) {
	if s == "" {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	var ps []sms.Param
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, err
		}
		v, err := dec.Token()
		if err != nil {
			return nil, err
		}
		switch v.(type) {
		case string, json.Number:
		default:
			return nil, errors.New("template parameters are strings")
		}
		ps = append(ps, sms.Param{Name: k.(string), Value: fmt.Sprint(v)})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data")
	}
	return ps, nil
}

func hasParam(ps []sms.Param, name string) bool {
	for _, p := range ps {
		if p.Name == name {
			return true
		}
	}
	return false
}
