package cloud

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"cunyou/sms"
)

// Tencent Cloud SMS facts (PROTOCOLS.md §5.4; SendSms,
// https://cloud.tencent.com/document/api/382/55981; the API 3.0 request
// structure and the SMS data types, https://tencentcloud.com/document/product/382/40473):
//
//   - endpoint sms.tencentcloudapi.com, service sms, Version 2021-01-11,
//     JSON POST; the action, version, region and timestamp travel in
//     X-TC-Action, X-TC-Version, X-TC-Region and X-TC-Timestamp;
//   - SendSms: PhoneNumberSet (E.164, +86…), SmsSdkAppId, TemplateId,
//     SignName, TemplateParamSet (the values, in the template's order),
//     SessionContext (< 512 bytes, echoed); answers
//     Response.SendStatusSet[] with SerialNo, PhoneNumber, Fee (billed
//     messages), SessionContext, Code ("Ok" or an error code), Message,
//     IsoCode;
//   - PullSmsSendStatus: Limit (≤ 100), SmsSdkAppId; answers
//     Response.PullSmsSendStatusSet[] with UserReceiveTime (unix seconds),
//     CountryCode, SubscriberNumber, PhoneNumber, SerialNo, ReportStatus
//     (SUCCESS or FAIL), Description, SessionContext; a status is
//     answered once;
//   - PullSmsReplyStatus: Limit (≤ 100), SmsSdkAppId; answers
//     Response.PullSmsReplyStatusSet[] with ReplyContent, ReplyUnixTime,
//     ReplyTime, CountryCode, SubscriberNumber, PhoneNumber, SignName,
//     ExtendCode: the receivers' replies, each answered once;
//   - a failed call answers Response.Error {Code, Message} and RequestId.
const (
	TencentEndpoint = "https://sms.tencentcloudapi.com/"
	tencentVersion  = "2021-01-11"
	tencentService  = "sms"
	tencentJSON     = "application/json; charset=utf-8"
)

// TencentOptions configures a Tencent Cloud SMS gateway.
type TencentOptions struct {
	// Endpoint is the API's URL; TencentEndpoint when empty.
	Endpoint string
	// SecretID and SecretKey are an API key pair (CAM) allowed to send.
	SecretID, SecretKey string
	// AppID is the SmsSdkAppId of the SMS application, e.g. 1400006666.
	AppID string
	// SignName is the approved signature used for messages without a
	// Sign of their own.
	SignName string
	// Region is X-TC-Region; ap-guangzhou when empty.
	Region string
	// Client does the HTTP; a client with Timeout when nil.
	Client  *http.Client
	Timeout time.Duration // per request; 10 s when 0
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Log gets one line per send and per receipt; discarded when nil.
	Log *slog.Logger
}

// Tencent is an sms.Gateway over Tencent Cloud SMS.
type Tencent struct {
	o    TencentOptions
	h    httpClient
	host string

	mu   sync.Mutex
	sent map[string]tencentSent // by SerialNo, for receipts without SessionContext
}

type tencentSent struct {
	messageID string
	at        time.Time
}

// sentKept is how long a sent message's id is kept to name its receipt.
const sentKept = 72 * time.Hour

// NewTencent returns a Tencent Cloud gateway.
func NewTencent(o TencentOptions) (*Tencent, error) {
	if o.SecretID == "" || o.SecretKey == "" {
		return nil, fmt.Errorf("tencent: secret id and key: %w", ErrNoCredentials)
	}
	if o.AppID == "" {
		return nil, fmt.Errorf("tencent: SmsSdkAppId: %w", ErrNoAppID)
	}
	h, err := newHTTPClient("tencent", o.Endpoint, TencentEndpoint, o.Client, o.Timeout, o.Now, o.Log)
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(h.endpoint)
	if o.Region == "" {
		o.Region = "ap-guangzhou"
	}
	return &Tencent{o: o, h: h, host: u.Host, sent: map[string]tencentSent{}}, nil
}

// Name implements sms.Gateway.
func (g *Tencent) Name() string { return "tencent" }

// Close implements sms.Gateway.
func (g *Tencent) Close() error {
	g.h.close()
	return nil
}

type tencentSendStatus struct {
	SerialNo       string
	PhoneNumber    string
	Fee            int
	SessionContext string
	Code           string
	Message        string
	IsoCode        string
}

// Send implements sms.Gateway with SendSms. The message's ID travels as
// SessionContext.
func (g *Tencent) Send(ctx context.Context, m sms.Message) (sms.Sent, error) {
	sign := m.Sign
	if sign == "" {
		sign = g.o.SignName
	}
	if err := checkTemplate(m, sign); err != nil {
		return sms.Sent{}, err
	}
	req := struct {
		PhoneNumberSet   []string
		SmsSdkAppId      string //nolint:revive // the provider's name
		TemplateId       string //nolint:revive // the provider's name
		SignName         string
		TemplateParamSet []string `json:",omitempty"`
		SessionContext   string
	}{[]string{"+86" + m.Phone}, g.o.AppID, m.Template, sign, nil, m.ID}
	for _, p := range m.Params {
		req.TemplateParamSet = append(req.TemplateParamSet, p.Value)
	}
	var ans struct{ SendStatusSet []tencentSendStatus }
	err := g.call(ctx, "SendSms", req, &ans)
	if err == nil {
		err = g.sendStatus(ans.SendStatusSet)
	}
	if err != nil {
		g.h.log.Warn("sms not sent", "gateway", "tencent", "id", m.ID, "phone", sms.Mask(m.Phone), "kind", sms.KindOf(err).String(), "err", err)
		return sms.Sent{}, err
	}
	st := ans.SendStatusSet[0]
	s := sms.Sent{ProviderID: st.SerialNo, Parts: parts(m, st.Fee)}
	if m.Text != "" && st.Fee > 0 && st.Fee != s.Parts {
		// The approved template's text differs from ours.
		g.h.log.Debug("sms billed parts differ from the text's", "gateway", "tencent", "id", m.ID, "fee", st.Fee, "parts", s.Parts)
	}
	now := g.h.now()
	g.mu.Lock()
	for k, v := range g.sent {
		if now.Sub(v.at) > sentKept {
			delete(g.sent, k)
		}
	}
	g.sent[st.SerialNo] = tencentSent{m.ID, now}
	g.mu.Unlock()
	g.h.log.Info("sms sent", "gateway", "tencent", "id", m.ID, "phone", sms.Mask(m.Phone), "serial_no", s.ProviderID, "parts", s.Parts)
	return s, nil
}

// sendStatus reads the one status of a one-number SendSms: per-number
// refusals (limits, a bad number, an unapproved template) come there with
// HTTP 200 and no Response.Error.
func (g *Tencent) sendStatus(set []tencentSendStatus) error {
	if len(set) != 1 {
		return &sms.Error{Kind: sms.Temporary, Code: "bad_answer", Msg: fmt.Sprintf("SendSms answered %d statuses for one number", len(set))}
	}
	st := set[0]
	if !strings.EqualFold(st.Code, "Ok") {
		return tencentError(http.StatusOK, st.Code, st.Message, g.h.now())
	}
	if st.SerialNo == "" {
		return &sms.Error{Kind: sms.Temporary, Code: "no_serial_no", Msg: "SendSms answered Ok without a SerialNo"}
	}
	return nil
}

// Receipts implements sms.Gateway with PullSmsSendStatus (at most 100 a
// call). Tencent can also push receipts to a callback URL, which needs an
// address the provider reaches; pulling works from behind NAT. The
// provider answers each status once, so the receipts of a call whose
// answer is lost are lost (the message then stays without receipt).
func (g *Tencent) Receipts(ctx context.Context, limit int) ([]sms.Receipt, error) {
	if limit <= 0 {
		return nil, nil
	}
	var ans struct {
		PullSmsSendStatusSet []struct {
			UserReceiveTime  int64
			CountryCode      string
			SubscriberNumber string
			PhoneNumber      string
			SerialNo         string
			ReportStatus     string
			Description      string
			SessionContext   string
		}
	}
	if err := g.pull(ctx, "PullSmsSendStatus", limit, &ans); err != nil {
		return nil, err
	}
	var out []sms.Receipt
	for _, s := range ans.PullSmsSendStatusSet {
		r := sms.Receipt{ProviderID: s.SerialNo, MessageID: s.SessionContext, Phone: s.SubscriberNumber, Code: s.ReportStatus, At: time.Unix(s.UserReceiveTime, 0)}
		if r.Phone == "" {
			r.Phone, _ = mainlandPhone(s.PhoneNumber)
		}
		if s.UserReceiveTime == 0 {
			r.At = g.h.now()
		}
		switch strings.ToUpper(s.ReportStatus) {
		case "SUCCESS":
			r.Status = sms.Delivered
		case "FAIL":
			r.Status = sms.Failed
			if strings.Contains(strings.ToUpper(s.Description), "EXPIRED") {
				r.Status = sms.Expired
			}
		default:
			r.Status = sms.Unknown
		}
		g.mu.Lock()
		if r.MessageID == "" {
			r.MessageID = g.sent[s.SerialNo].messageID
		}
		delete(g.sent, s.SerialNo)
		g.mu.Unlock()
		out = append(out, r)
		g.h.log.Info("sms receipt", "gateway", "tencent", "serial_no", r.ProviderID, "id", r.MessageID, "status", string(r.Status), "code", r.Code)
	}
	return out, nil
}

// Replies implements sms.Inbox with PullSmsReplyStatus (at most 100 a
// call): the receivers' answers, "TD" among them. Like the receipts, each
// is answered once.
func (g *Tencent) Replies(ctx context.Context, limit int) ([]sms.Reply, error) {
	if limit <= 0 {
		return nil, nil
	}
	var ans struct {
		PullSmsReplyStatusSet []struct {
			ReplyContent     string
			ReplyUnixTime    int64
			SubscriberNumber string
			PhoneNumber      string
		}
	}
	if err := g.pull(ctx, "PullSmsReplyStatus", limit, &ans); err != nil {
		return nil, err
	}
	var out []sms.Reply
	for _, r := range ans.PullSmsReplyStatusSet {
		phone := r.SubscriberNumber
		if phone == "" {
			phone, _ = mainlandPhone(r.PhoneNumber)
		}
		at := time.Unix(r.ReplyUnixTime, 0)
		if r.ReplyUnixTime == 0 {
			at = g.h.now()
		}
		out = append(out, sms.Reply{Phone: phone, Text: r.ReplyContent, At: at})
	}
	return out, nil
}

// pull calls one of the pull actions (statuses, replies): up to limit
// (at most 100) of the app's items, each answered once.
func (g *Tencent) pull(ctx context.Context, action string, limit int, out any) error {
	req := struct {
		Limit       int
		SmsSdkAppId string //nolint:revive // the provider's name
	}{min(limit, 100), g.o.AppID}
	return g.call(ctx, action, req, out)
}

// call signs and posts an API 3.0 request and decodes Response into out.
// A Response.Error is an *sms.Error.
func (g *Tencent) call(ctx context.Context, action string, req, out any) error {
	body, err := json.Marshal(req)
	if err != nil {
		return &sms.Error{Kind: sms.Permanent, Code: "request", Msg: err.Error()}
	}
	now := g.h.now()
	ts := now.Unix()
	signed := tc3Sign(g.o.SecretKey, tencentService, http.MethodPost, ts, map[string]string{
		"content-type": tencentJSON,
		"host":         g.host,
		"x-tc-action":  action,
	}, body)
	header := http.Header{}
	header.Set("Authorization", signed.Authorization(g.o.SecretID))
	header.Set("X-TC-Action", action)
	header.Set("X-TC-Version", tencentVersion)
	header.Set("X-TC-Region", g.o.Region)
	header.Set("X-TC-Timestamp", strconv.FormatInt(ts, 10))
	status, b, err := g.h.post(ctx, tencentJSON, header, body)
	if err != nil {
		return err
	}
	var ans struct {
		Response struct {
			Error     *struct{ Code, Message string }
			RequestID string `json:"RequestId"`
		}
	}
	if json.Unmarshal(b, &ans) != nil || (status >= 300 && ans.Response.Error == nil) {
		if status >= 300 {
			return httpStatusError(status)
		}
		return &sms.Error{Kind: sms.Temporary, Code: "bad_answer", Msg: "unreadable " + action + " answer"}
	}
	if e := ans.Response.Error; e != nil {
		te := tencentError(status, e.Code, e.Message, now)
		te.Msg += requestNote(ans.Response.RequestID)
		return te
	}
	var wrap struct{ Response json.RawMessage }
	if err := json.Unmarshal(b, &wrap); err != nil || json.Unmarshal(wrap.Response, out) != nil {
		return &sms.Error{Kind: sms.Temporary, Code: "bad_answer", Msg: "unreadable " + action + " answer"}
	}
	return nil
}
