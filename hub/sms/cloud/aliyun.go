package cloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"cunyou/sms"
)

// Aliyun SMS facts (PROTOCOLS.md §5.3; the SendSms and QuerySendDetails
// pages, https://help.aliyun.com/en/sms/developer-reference/api-dysmsapi-2017-05-25-sendsms
// and https://help.aliyun.com/document_detail/419277.html):
//
//   - endpoint dysmsapi.aliyuncs.com, Version 2017-05-25, RPC style;
//   - SendSms: PhoneNumbers, SignName, TemplateCode, TemplateParam (a JSON
//     object string), OutId (echoed in delivery details); answers Code
//     ("OK" or an error code), Message, BizId, RequestId;
//   - QuerySendDetails: PhoneNumber, SendDate (yyyyMMdd, the last 30
//     days), BizId, PageSize (1–50), CurrentPage; answers TotalCount and
//     SmsSendDetailDTOs.SmsSendDetailDTO[] with SendStatus (1 waiting for
//     the receipt, 2 failed, 3 delivered), ErrCode, SendDate, ReceiveDate,
//     OutId, PhoneNum, Content, TemplateCode;
//   - not idempotent: a resent request is a second message.
const (
	AliyunEndpoint = "https://dysmsapi.aliyuncs.com/"
	aliyunVersion  = "2017-05-25"
	aliyunTimeFmt  = "2006-01-02T15:04:05Z"
	aliyunDateFmt  = "20060102"
	aliyunLocalFmt = "2006-01-02 15:04:05"
)

// AliyunOptions configures an Aliyun SMS gateway.
type AliyunOptions struct {
	// Endpoint is the API's URL; AliyunEndpoint when empty.
	Endpoint string
	// AccessKeyID and AccessKeySecret are a RAM user's AccessKey pair
	// with the dysms permissions.
	AccessKeyID, AccessKeySecret string
	// SignName is the approved signature used for messages without a
	// Sign of their own.
	SignName string
	// Region is the RegionId parameter; cn-hangzhou when empty.
	Region string
	// Client does the HTTP; a client with Timeout when nil.
	Client  *http.Client
	Timeout time.Duration // per request; 10 s when 0
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Log gets one line per send and per receipt; discarded when nil.
	Log *slog.Logger
	// PollEvery is how often one message's delivery is queried while its
	// receipt is awaited; 1 min when 0, every Receipts call when < 0.
	PollEvery time.Duration
	// GiveUpAfter is how long a receipt is awaited before the message is
	// reported Unknown; 72 h when 0.
	GiveUpAfter time.Duration
	// MaxQueries bounds the QuerySendDetails calls of one Receipts call;
	// 100 when 0.
	MaxQueries int
}

// Aliyun is an sms.Gateway over Aliyun SMS.
type Aliyun struct {
	o AliyunOptions
	h httpClient

	pollMu  sync.Mutex // one Receipts at a time, so a receipt is reported once
	mu      sync.Mutex
	pending map[string]*aliyunPending // by BizId
}

// aliyunPending is a sent message whose receipt is awaited.
type aliyunPending struct {
	bizID, phone, messageID string
	sentAt, polled          time.Time
}

// NewAliyun returns an Aliyun gateway.
func NewAliyun(o AliyunOptions) (*Aliyun, error) {
	if o.AccessKeyID == "" || o.AccessKeySecret == "" {
		return nil, fmt.Errorf("aliyun: access key id and secret: %w", ErrNoCredentials)
	}
	h, err := newHTTPClient("aliyun", o.Endpoint, AliyunEndpoint, o.Client, o.Timeout, o.Now, o.Log)
	if err != nil {
		return nil, err
	}
	if o.Region == "" {
		o.Region = "cn-hangzhou"
	}
	if o.PollEvery == 0 {
		o.PollEvery = time.Minute
	}
	if o.GiveUpAfter <= 0 {
		o.GiveUpAfter = 72 * time.Hour
	}
	if o.MaxQueries <= 0 {
		o.MaxQueries = 100
	}
	return &Aliyun{o: o, h: h, pending: map[string]*aliyunPending{}}, nil
}

// Name implements sms.Gateway.
func (g *Aliyun) Name() string { return "aliyun" }

// Close implements sms.Gateway.
func (g *Aliyun) Close() error {
	g.h.close()
	return nil
}

// Send implements sms.Gateway with SendSms. The message's ID travels as
// OutId.
func (g *Aliyun) Send(ctx context.Context, m sms.Message) (sms.Sent, error) {
	sign := m.Sign
	if sign == "" {
		sign = g.o.SignName
	}
	if err := checkTemplate(m, sign); err != nil {
		return sms.Sent{}, err
	}
	params := map[string]string{
		"PhoneNumbers": m.Phone,
		"SignName":     sign,
		"TemplateCode": m.Template,
		"OutId":        m.ID,
	}
	if len(m.Params) > 0 {
		params["TemplateParam"] = templateJSON(m.Params)
	}
	at := g.h.now()
	var ans struct {
		BizID string `json:"BizId"`
	}
	if err := g.call(ctx, "SendSms", params, &ans); err != nil {
		g.h.log.Warn("sms not sent", "gateway", "aliyun", "id", m.ID, "phone", sms.Mask(m.Phone), "kind", sms.KindOf(err).String(), "err", err)
		return sms.Sent{}, err
	}
	if ans.BizID == "" {
		return sms.Sent{}, &sms.Error{Kind: sms.Temporary, Code: "no_biz_id", Msg: "SendSms answered OK without a BizId"}
	}
	g.Track(ans.BizID, m.Phone, m.ID, at)
	s := sms.Sent{ProviderID: ans.BizID, Parts: parts(m, 0)}
	g.h.log.Info("sms sent", "gateway", "aliyun", "id", m.ID, "phone", sms.Mask(m.Phone), "biz_id", s.ProviderID, "parts", s.Parts)
	return s, nil
}

// Track makes Receipts await the receipt of a message sent at sentAt:
// Send calls it; a caller restarting with messages still awaiting
// receipts calls it for each of them.
func (g *Aliyun) Track(bizID, phone, messageID string, sentAt time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.pending[bizID] = &aliyunPending{bizID: bizID, phone: phone, messageID: messageID, sentAt: sentAt}
}

// Pending is how many sent messages await their receipt.
func (g *Aliyun) Pending() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.pending)
}

// Receipts implements sms.Gateway. Aliyun pushes receipts only through a
// message queue (MNS) or an HTTP callback that needs a public address;
// a county hub behind NAT has neither, so receipts are polled: every sent
// message not yet final is queried with QuerySendDetails, at most once per
// PollEvery, until it is final or GiveUpAfter has passed (then it is
// reported Unknown with code NO_RECEIPT).
func (g *Aliyun) Receipts(ctx context.Context, limit int) ([]sms.Receipt, error) {
	if limit <= 0 {
		return nil, nil
	}
	g.pollMu.Lock()
	defer g.pollMu.Unlock()
	now := g.h.now()
	var out []sms.Receipt
	for _, p := range g.due(now) {
		if len(out) >= limit {
			break
		}
		if now.Sub(p.sentAt) > g.o.GiveUpAfter {
			g.done(p.bizID)
			out = append(out, sms.Receipt{ProviderID: p.bizID, MessageID: p.messageID, Phone: p.phone, Status: sms.Unknown, Code: "NO_RECEIPT", At: now})
			continue
		}
		r, final, err := g.query(ctx, p)
		var e *sms.Error
		if errors.As(err, &e) && e.Kind == sms.Permanent {
			// This message's query can never succeed: do not let it
			// stall the ones behind it.
			g.done(p.bizID)
			out = append(out, sms.Receipt{ProviderID: p.bizID, MessageID: p.messageID, Phone: p.phone, Status: sms.Unknown, Code: e.Code, At: now})
			continue
		}
		if err != nil {
			if len(out) > 0 {
				g.h.log.Warn("sms receipts: query failed", "gateway", "aliyun", "biz_id", p.bizID, "err", err)
				break
			}
			return nil, err
		}
		g.mu.Lock()
		p.polled = now
		g.mu.Unlock()
		if final {
			g.done(p.bizID)
			out = append(out, r)
			g.h.log.Info("sms receipt", "gateway", "aliyun", "biz_id", r.ProviderID, "id", r.MessageID, "status", string(r.Status), "code", r.Code)
		}
	}
	return out, nil
}

// due lists the pending messages to query now, oldest first.
func (g *Aliyun) due(now time.Time) []*aliyunPending {
	g.mu.Lock()
	defer g.mu.Unlock()
	var ps []*aliyunPending
	for _, p := range g.pending {
		if p.polled.IsZero() || now.Sub(p.polled) >= g.o.PollEvery || now.Sub(p.sentAt) > g.o.GiveUpAfter {
			ps = append(ps, p)
		}
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].sentAt.Before(ps[j].sentAt) })
	if len(ps) > g.o.MaxQueries {
		ps = ps[:g.o.MaxQueries]
	}
	return ps
}

func (g *Aliyun) done(bizID string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.pending, bizID)
}

// outIDPrefix marks the ProviderID of a message Find found: Aliyun's
// details name a message by OutId, not by BizId.
const outIDPrefix = "out:"

// Find implements sms.Finder with QuerySendDetails: the phone's messages
// of each day from since to now (Beijing dates, a page of 50 at a time),
// looking for m.ID as OutId. A message found is tracked for its receipt
// under the ProviderID "out:" + m.ID.
func (g *Aliyun) Find(ctx context.Context, m sms.Message, since time.Time) (sms.Sent, bool, error) {
	now := g.h.now().In(beijing)
	day := since.In(beijing)
	if now.Sub(day) > 30*24*time.Hour {
		day = now.Add(-30 * 24 * time.Hour) // QuerySendDetails keeps 30 days
	}
	var (
		found  bool
		sentAt time.Time
	)
	for d := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, beijing); !found && !d.After(now); d = d.AddDate(0, 0, 1) {
		err := g.details(ctx, m.Phone, d, "", func(x aliyunDetail) bool {
			if x.OutID != m.ID {
				return true
			}
			found, sentAt = true, g.h.now()
			if t, err := time.ParseInLocation(aliyunLocalFmt, x.SendDate, beijing); err == nil {
				sentAt = t
			}
			return false
		})
		if err != nil {
			return sms.Sent{}, false, err
		}
	}
	if !found {
		return sms.Sent{}, false, nil
	}
	id := outIDPrefix + m.ID
	g.Track(id, m.Phone, m.ID, sentAt)
	g.h.log.Info("sms found at the provider", "gateway", "aliyun", "id", m.ID, "phone", sms.Mask(m.Phone))
	return sms.Sent{ProviderID: id, Parts: parts(m, 0)}, true, nil
}

// aliyunDetail is one SmsSendDetailDTO.
type aliyunDetail struct {
	PhoneNum     string
	SendStatus   int
	ErrCode      string
	TemplateCode string
	Content      string
	SendDate     string
	ReceiveDate  string
	OutID        string `json:"OutId"`
}

// query asks for p's delivery; final is false while the receipt is
// awaited.
func (g *Aliyun) query(ctx context.Context, p *aliyunPending) (sms.Receipt, bool, error) {
	bizID := p.bizID
	if strings.HasPrefix(bizID, outIDPrefix) {
		bizID = "" // found after a crash (Find): told apart by OutId
	}
	var (
		r     sms.Receipt
		final bool
	)
	err := g.details(ctx, p.phone, p.sentAt, bizID, func(d aliyunDetail) bool {
		if bizID == "" && d.OutID != p.messageID {
			return true
		}
		r = sms.Receipt{ProviderID: p.bizID, MessageID: d.OutID, Phone: p.phone, Code: d.ErrCode}
		if r.MessageID == "" {
			r.MessageID = p.messageID
		}
		switch d.SendStatus {
		case 3:
			r.Status = sms.Delivered
		case 2:
			r.Status = sms.Failed
			if strings.Contains(strings.ToUpper(d.ErrCode), "EXPIRED") {
				r.Status = sms.Expired
			}
		default: // 1: waiting for the carrier's receipt
			return true
		}
		r.At = g.h.now()
		if t, err := time.ParseInLocation(aliyunLocalFmt, d.ReceiveDate, beijing); err == nil {
			r.At = t
		}
		final = true
		return false
	})
	if err != nil || !final {
		return sms.Receipt{}, false, err
	}
	return r, true, nil
}

// details calls fn with each SmsSendDetailDTO of phone on the Beijing date
// of day (of bizID alone, unless it is ""), a page of 50 at a time, until
// fn returns false.
func (g *Aliyun) details(ctx context.Context, phone string, day time.Time, bizID string, fn func(aliyunDetail) bool) error {
	for page := 1; ; page++ {
		var ans struct {
			TotalCount        int
			SmsSendDetailDTOs struct {
				SmsSendDetailDTO []aliyunDetail
			}
		}
		q := map[string]string{
			"PhoneNumber": phone,
			"SendDate":    day.In(beijing).Format(aliyunDateFmt),
			"PageSize":    "50",
			"CurrentPage": strconv.Itoa(page),
		}
		if bizID != "" {
			q["BizId"] = bizID
		}
		if err := g.call(ctx, "QuerySendDetails", q, &ans); err != nil {
			return err
		}
		dtos := ans.SmsSendDetailDTOs.SmsSendDetailDTO
		for _, d := range dtos {
			if !fn(d) {
				return nil
			}
		}
		if len(dtos) == 0 || page*50 >= ans.TotalCount {
			return nil
		}
	}
}

// call signs and posts an RPC request and decodes the answer into out.
// A Code other than OK is an *sms.Error.
func (g *Aliyun) call(ctx context.Context, action string, params map[string]string, out any) error {
	now := g.h.now()
	p := map[string]string{
		"AccessKeyId":      g.o.AccessKeyID,
		"Action":           action,
		"Format":           "JSON",
		"RegionId":         g.o.Region,
		"SignatureMethod":  "HMAC-SHA1",
		"SignatureNonce":   nonce(),
		"SignatureVersion": "1.0",
		"Timestamp":        now.UTC().Format(aliyunTimeFmt),
		"Version":          aliyunVersion,
	}
	for k, v := range params {
		p[k] = v
	}
	body := aliyunBody(p, aliyunSignature(g.o.AccessKeySecret, http.MethodPost, p))
	status, b, err := g.h.post(ctx, "application/x-www-form-urlencoded", nil, []byte(body))
	if err != nil {
		return err
	}
	var head struct {
		Code, Message string
		RequestID     string `json:"RequestId"`
	}
	if json.Unmarshal(b, &head) != nil || head.Code == "" {
		if status >= 300 {
			return httpStatusError(status)
		}
		return &sms.Error{Kind: sms.Temporary, Code: "bad_answer", Msg: "unreadable " + action + " answer"}
	}
	if head.Code != "OK" {
		e := aliyunError(status, head.Code, head.Message, now)
		e.Msg += requestNote(head.RequestID)
		return e
	}
	if err := json.Unmarshal(b, out); err != nil {
		return &sms.Error{Kind: sms.Temporary, Code: "bad_answer", Msg: "unreadable " + action + " answer: " + scrub(err.Error())}
	}
	return nil
}
