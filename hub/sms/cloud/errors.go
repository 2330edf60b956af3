package cloud

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"time"

	"cunyou/sms"
)

// beijing is China Standard Time, the time both providers count natural
// days and minutes in; a fixed zone so Windows hosts need no tzdata.
var beijing = time.FixedZone("CST", 8*3600)

// Config errors, returned by NewAliyun and NewTencent.
var (
	ErrNoCredentials = errors.New("no credentials")
	ErrNoAppID       = errors.New("no SMS app id")
	ErrBadEndpoint   = errors.New("bad endpoint")
)

// A rule says what a provider's error code means for the caller.
type rule struct {
	kind sms.Kind
	// retry is the RetryAfter of the error; 0 when unknown.
	retry time.Duration
	// midnight: retry after the next 00:00 Beijing time (natural-day
	// limits).
	midnight bool
	what     string
}

// aliyunRules maps dysmsapi's codes. Sources: 国内消息API错误码
// (https://help.aliyun.com/document_detail/101346.html) and PROTOCOLS.md
// §5.3 for isv.BUSINESS_LIMIT_CONTROL; the gateway's own codes
// (InvalidAccessKeyId.NotFound, SignatureDoesNotMatch, InvalidTimeStamp.*,
// SignatureNonceUsed, Throttling.*) as Alibaba Cloud's APIs answer them
// [U: not checked against a page here]. Kinds follow cunyou/sms:
// per-message faults are Permanent, the account's or our configuration's
// are Misconfigured.
var aliyunRules = map[string]rule{
	// Rate limits. BUSINESS_LIMIT_CONTROL is refined by its message
	// (minute, hour or day level) in aliyunRetryAfter.
	"isv.BUSINESS_LIMIT_CONTROL": {kind: sms.Throttled, retry: time.Minute, what: "per-number frequency limit"},
	"isv.DAY_LIMIT_CONTROL":      {kind: sms.Throttled, midnight: true, what: "the account's daily limit (set in the console) reached"},
	"Throttling":                 {kind: sms.Throttled, retry: time.Second, what: "API rate limit"},
	"Throttling.User":            {kind: sms.Throttled, retry: time.Second, what: "API rate limit"},
	"Throttling.Api":             {kind: sms.Throttled, retry: time.Second, what: "API rate limit"},

	// This message can never go.
	"isv.MOBILE_NUMBER_ILLEGAL":       {kind: sms.Permanent, what: "invalid phone number"},
	"isv.MOBILE_COUNT_OVER_LIMIT":     {kind: sms.Permanent, what: "too many phone numbers"},
	"isv.BLACK_KEY_CONTROL_LIMIT":     {kind: sms.Permanent, what: "blocked keyword in the content"},
	"isv.PARAM_LENGTH_LIMIT":          {kind: sms.Permanent, what: "a template parameter is too long"},
	"isv.PARAM_NOT_SUPPORT_URL":       {kind: sms.Permanent, what: "a template parameter holds a URL"},
	"isv.TEMPLATE_MISSING_PARAMETERS": {kind: sms.Permanent, what: "template parameters missing"},
	"isv.INVALID_JSON_PARAM":          {kind: sms.Permanent, what: "template parameters are not valid JSON"},
	"isv.INVALID_PARAMETERS":          {kind: sms.Permanent, what: "invalid parameters"},
	"isv.SMS_CONTENT_ILLEGAL":         {kind: sms.Permanent, what: "content not allowed"},
	"isv.DENY_IP_RANGE":               {kind: sms.Misconfigured, what: "this host's IP is not allowed"},

	// The gateway is wrong: fail over and tell a person.
	"isv.SMS_TEMPLATE_ILLEGAL":          {kind: sms.Misconfigured, what: "template not approved or not this account's"},
	"isv.SMS_SIGNATURE_ILLEGAL":         {kind: sms.Misconfigured, what: "signature not approved"},
	"isv.SIGN_NAME_ILLEGAL":             {kind: sms.Misconfigured, what: "signature not approved"},
	"isv.SMS_SIGN_ILLEGAL":              {kind: sms.Misconfigured, what: "signature not approved"},
	"isv.SMS_SIGNATURE_SCENE_ILLEGAL":   {kind: sms.Misconfigured, what: "signature not approved for this kind of message"},
	"isv.SIGN_STATE_ILLEGAL":            {kind: sms.Misconfigured, what: "signature unusable"},
	"isv.DOMESTIC_NUMBER_NOT_SUPPORTED": {kind: sms.Misconfigured, what: "an international template cannot send to mainland numbers"},
	"isv.MONTH_LIMIT_CONTROL":           {kind: sms.Misconfigured, what: "the account's monthly limit (set in the console) reached"},
	"isv.EXTEND_CODE_ERROR":             {kind: sms.Misconfigured, what: "bad extension code"},
	"isv.AMOUNT_NOT_ENOUGH":             {kind: sms.Misconfigured, what: "account out of money"},
	"isv.OUT_OF_SERVICE":                {kind: sms.Misconfigured, what: "account suspended"},
	"isv.ACCOUNT_NOT_EXISTS":            {kind: sms.Misconfigured, what: "account does not exist"},
	"isv.ACCOUNT_ABNORMAL":              {kind: sms.Misconfigured, what: "account abnormal"},
	"isv.PRODUCT_UN_SUBSCRIPT":          {kind: sms.Misconfigured, what: "SMS service not subscribed"},
	"isv.PRODUCT_UNSUBSCRIBE":           {kind: sms.Misconfigured, what: "SMS service not subscribed"},
	"isv.RAM_PERMISSION_DENY":           {kind: sms.Misconfigured, what: "access key lacks the SMS permission"},
	"isp.RAM_PERMISSION_DENY":           {kind: sms.Misconfigured, what: "access key lacks the SMS permission"},
	"InvalidAccessKeyId":                {kind: sms.Misconfigured, what: "unknown access key id"},
	"InvalidAccessKeyId.NotFound":       {kind: sms.Misconfigured, what: "unknown access key id"},
	"InvalidAccessKeyId.Inactive":       {kind: sms.Misconfigured, what: "access key disabled"},
	"SignatureDoesNotMatch":             {kind: sms.Misconfigured, what: "signature refused: wrong access key secret"},
	"IncompleteSignature":               {kind: sms.Misconfigured, what: "signature refused"},
	"InvalidTimeStamp.Expired":          {kind: sms.Misconfigured, what: "request timestamp refused: check this host's clock"},
	"InvalidTimeStamp.Format":           {kind: sms.Misconfigured, what: "request timestamp refused"},
	"Forbidden.RAM":                     {kind: sms.Misconfigured, what: "access key lacks the SMS permission"},
	"InvalidVersion":                    {kind: sms.Misconfigured, what: "API version refused"},
	"InvalidAction.NotFound":            {kind: sms.Misconfigured, what: "API action refused"},
	"MissingParameter":                  {kind: sms.Misconfigured, what: "a required parameter is missing"},

	// Try again.
	"isp.SYSTEM_ERROR":   {kind: sms.Temporary, what: "provider system error"},
	"isp.GATEWAY_ERROR":  {kind: sms.Temporary, what: "provider gateway error"},
	"ServiceUnavailable": {kind: sms.Temporary, what: "provider unavailable"},
	"InternalError":      {kind: sms.Temporary, what: "provider internal error"},
	"SignatureNonceUsed": {kind: sms.Temporary, what: "nonce reused"},
}

// aliyunError maps an Aliyun answer (HTTP status, Code, Message) to an
// *sms.Error.
func aliyunError(status int, code, message string, now time.Time) *sms.Error {
	r, ok := aliyunRules[code]
	if !ok {
		r = unknownRule(status, code, strings.HasPrefix(code, "isv."), strings.HasPrefix(code, "isp."))
	}
	e := r.error(code, message, now)
	if code == "isv.BUSINESS_LIMIT_CONTROL" {
		e.RetryAfter = aliyunRetryAfter(message)
	}
	return e
}

// aliyunRetryAfter reads the window of a BUSINESS_LIMIT_CONTROL answer:
// "触发分钟级流控Permits:1", "触发小时级流控Permits:5", "触发天级流控Permits:10"
// (PROTOCOLS.md §5.3). Minute and hour windows are natural windows and the
// day a rolling 24 hours (Aliyun's frequency-limit page, ibid.).
func aliyunRetryAfter(message string) time.Duration {
	m := strings.ToLower(message)
	switch {
	case strings.Contains(m, "天级") || strings.Contains(m, "day"):
		return 24 * time.Hour
	case strings.Contains(m, "小时") || strings.Contains(m, "hour"):
		return time.Hour
	}
	return time.Minute
}

// tencentRules maps Tencent Cloud SMS codes: the SMS product's codes
// (https://cloud.tencent.com/document/api/382/59177 and the SendSms page
// https://cloud.tencent.com/document/api/382/55981) and the common API 3.0
// codes (https://cloud.tencent.com/document/api/382/38780). AuthFailure.*, UnauthorizedOperation.* and
// InternalError.* not listed here go by their prefix (tencentError).
var tencentRules = map[string]rule{
	// Per-number limits: wait, this number only.
	"LimitExceeded.PhoneNumberThirtySecondLimit":     {kind: sms.Throttled, retry: 30 * time.Second, what: "30-second per-number limit"},
	"LimitExceeded.PhoneNumberOneHourLimit":          {kind: sms.Throttled, retry: time.Hour, what: "hourly per-number limit"},
	"LimitExceeded.PhoneNumberDailyLimit":            {kind: sms.Throttled, midnight: true, what: "daily per-number limit"},
	"LimitExceeded.PhoneNumberSameContentDailyLimit": {kind: sms.Throttled, midnight: true, what: "daily same-content per-number limit"},
	"LimitExceeded.DeliveryFrequencyLimit":           {kind: sms.Throttled, retry: 30 * time.Second, what: "frequency limit"},
	// Limits of the whole app.
	"LimitExceeded.AppDailyLimit": {kind: sms.Throttled, midnight: true, what: "the app's daily limit"},
	"LimitExceeded.DailyLimit":    {kind: sms.Throttled, midnight: true, what: "daily limit"},
	"RequestLimitExceeded":        {kind: sms.Throttled, retry: time.Second, what: "API rate limit"},

	// This message can never go.
	"InvalidParameterValue.IncorrectPhoneNumber":                      {kind: sms.Permanent, what: "invalid phone number"},
	"FailedOperation.PhoneNumberInBlacklist":                          {kind: sms.Permanent, what: "number on the blacklist (unsubscribed or blocked)"},
	"FailedOperation.ContainSensitiveWord":                            {kind: sms.Permanent, what: "sensitive word in the content"},
	"InvalidParameter.DirtyWordFound":                                 {kind: sms.Permanent, what: "sensitive word in the content"},
	"InvalidParameterValue.ContentLengthLimit":                        {kind: sms.Permanent, what: "content too long"},
	"InvalidParameterValue.ProhibitedUseUrlInTemplateParameter":       {kind: sms.Permanent, what: "a template parameter holds a URL"},
	"InvalidParameterValue.TemplateParameterFormatError":              {kind: sms.Permanent, what: "template parameter format"},
	"InvalidParameterValue.TemplateParameterLengthLimit":              {kind: sms.Permanent, what: "a template parameter is too long"},
	"UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber": {kind: sms.Permanent, what: "mixed domestic and foreign numbers"},
	"UnsupportedOperation.UnsuportedRegion":                           {kind: sms.Permanent, what: "region not supported"},

	// The gateway is wrong.
	"FailedOperation.TemplateIncorrectOrUnapproved":   {kind: sms.Misconfigured, what: "template not approved or not matching"},
	"FailedOperation.SignatureIncorrectOrUnapproved":  {kind: sms.Misconfigured, what: "signature not approved"},
	"FailedOperation.MissingSignatureList":            {kind: sms.Misconfigured, what: "no approved signature"},
	"FailedOperation.MissingTemplateList":             {kind: sms.Misconfigured, what: "no approved template"},
	"FailedOperation.InsufficientBalanceInSmsPackage": {kind: sms.Misconfigured, what: "SMS package used up"},
	"FailedOperation.JsonParseFail":                   {kind: sms.Misconfigured, what: "request body refused"},
	"FailedOperation.FailResolvePacket":               {kind: sms.Misconfigured, what: "request body refused"},
	"InvalidParameterValue.SdkAppIdNotExist":          {kind: sms.Misconfigured, what: "unknown SmsSdkAppId"},
	"InvalidParameter.AppidAndBizId":                  {kind: sms.Misconfigured, what: "SmsSdkAppId not of this account"},
	"InvalidParameter.InvalidParameters":              {kind: sms.Misconfigured, what: "invalid parameters"},
	"MissingParameter":                                {kind: sms.Misconfigured, what: "a required parameter is missing"},
	"InvalidAction":                                   {kind: sms.Misconfigured, what: "API action refused"},
	"ActionOffline":                                   {kind: sms.Misconfigured, what: "API action offline"},
	"NoSuchVersion":                                   {kind: sms.Misconfigured, what: "API version refused"},
	"IpNotInWhitelist":                                {kind: sms.Misconfigured, what: "this host's IP is not allowed"},
	"InternalError.RequestTimeException":              {kind: sms.Misconfigured, what: "request time refused: check this host's clock"},
	"InternalError.SigVerificationFail":               {kind: sms.Misconfigured, what: "signature refused"},

	// Try again.
	"InternalError":                        {kind: sms.Temporary, what: "provider internal error"},
	"InternalError.Timeout":                {kind: sms.Temporary, what: "provider timeout"},
	"InternalError.SendAndRecvFail":        {kind: sms.Temporary, what: "provider timeout"},
	"InternalError.OtherError":             {kind: sms.Temporary, what: "provider error"},
	"InternalError.UnknownError":           {kind: sms.Temporary, what: "provider error"},
	"ResourceUnavailable":                  {kind: sms.Temporary, what: "provider unavailable"},
	"FailedOperation.OtherError":           {kind: sms.Temporary, what: "provider error"},
	"FailedOperation.ParametersOtherError": {kind: sms.Permanent, what: "parameters refused"},
}

// tencentError maps a Tencent answer (HTTP status, Code, Message) to an
// *sms.Error.
func tencentError(status int, code, message string, now time.Time) *sms.Error {
	r, ok := tencentRules[code]
	switch {
	case ok:
	case strings.HasPrefix(code, "AuthFailure"):
		// AuthFailure.SignatureFailure, .SecretIdNotFound, .SignatureExpire
		// (clock), .TokenFailure, .UnauthorizedOperation, …
		r = rule{kind: sms.Misconfigured, what: "authentication refused"}
	case strings.HasPrefix(code, "UnauthorizedOperation"):
		r = rule{kind: sms.Misconfigured, what: "operation not authorized for this account or app"}
	case strings.HasPrefix(code, "InternalError"), strings.HasPrefix(code, "ResourceUnavailable"):
		r = rule{kind: sms.Temporary, what: "provider error"}
	case strings.HasPrefix(code, "LimitExceeded"):
		r = rule{kind: sms.Throttled, retry: time.Minute, what: "limit exceeded"}
	default:
		r = unknownRule(status, code, strings.HasPrefix(code, "InvalidParameter") || strings.HasPrefix(code, "FailedOperation"), false)
	}
	return r.error(code, message, now)
}

// unknownRule decides for a code missing from the tables: a server error
// or a provider fault is temporary, a refusal of our request (HTTP 4xx) is
// the gateway's, a business refusal of this message (perMessage) is
// permanent.
func unknownRule(status int, code string, perMessage, providerFault bool) rule {
	switch {
	case status >= 500 || providerFault:
		return rule{kind: sms.Temporary, what: "provider error"}
	case status == 429:
		return rule{kind: sms.Throttled, retry: time.Second, what: "rate limited"}
	case status >= 400 && !perMessage:
		return rule{kind: sms.Misconfigured, what: "request refused"}
	case perMessage:
		return rule{kind: sms.Permanent, what: "message refused"}
	case code == "":
		return rule{kind: sms.Temporary, what: "unreadable answer"}
	}
	return rule{kind: sms.Temporary, what: "unknown error"}
}

func (r rule) error(code, message string, now time.Time) *sms.Error {
	e := &sms.Error{Kind: r.kind, Code: code, Msg: r.what, RetryAfter: r.retry}
	if r.midnight {
		e.RetryAfter = untilMidnight(now)
	}
	if message = scrub(message); message != "" {
		e.Msg += ": " + message
	}
	return e
}

// untilMidnight is the time from now to the next 00:00 Beijing time, when
// the providers' natural-day limits reset.
func untilMidnight(now time.Time) time.Duration {
	b := now.In(beijing)
	next := time.Date(b.Year(), b.Month(), b.Day()+1, 0, 0, 0, 0, beijing)
	return next.Sub(now)
}

// transportError maps a failed HTTP exchange: always Temporary, since the
// network or the provider may recover; the caller must know the provider
// may have accepted a message whose answer was lost.
func transportError(err error) *sms.Error {
	code, what := "network", "request failed"
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		code, what = "canceled", "request canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		code, what = "timeout", "request timed out (the provider may have accepted it)"
	}
	return &sms.Error{Kind: sms.Temporary, Code: code, Msg: fmt.Sprintf("%s: %s", what, scrub(err.Error()))}
}

var longDigits = regexp.MustCompile(`\d{11,}`)

// scrub masks anything that looks like a full phone number in a provider's
// message (Aliyun's SignatureDoesNotMatch, for one, echoes the string it
// signed, phone number included) and shortens it.
func scrub(s string) string {
	s = longDigits.ReplaceAllStringFunc(s, func(d string) string { return sms.Mask(d[len(d)-11:]) })
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}
