package cloud

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"cunyou/sms"
)

// noon is 2024-05-01 12:00 Beijing, 12 h before the natural day ends.
var noon = time.Date(2024, 5, 1, 12, 0, 0, 0, beijing)

func TestAliyunErrorTable(t *testing.T) {
	for _, tt := range []struct {
		status        int
		code, message string
		kind          sms.Kind
		retry         time.Duration
	}{
		{200, "isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1", sms.Throttled, time.Minute},
		{200, "isv.BUSINESS_LIMIT_CONTROL", "触发小时级流控Permits:5", sms.Throttled, time.Hour},
		{200, "isv.BUSINESS_LIMIT_CONTROL", "触发天级流控Permits:10", sms.Throttled, 24 * time.Hour},
		{200, "isv.BUSINESS_LIMIT_CONTROL", "", sms.Throttled, time.Minute},
		{400, "Throttling.User", "Request was denied due to user flow control.", sms.Throttled, time.Second},
		{200, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号", sms.Permanent, 0},
		{200, "isv.BLACK_KEY_CONTROL_LIMIT", "", sms.Permanent, 0},
		{200, "isv.SMS_TEMPLATE_ILLEGAL", "", sms.Misconfigured, 0},
		{200, "isv.SMS_SIGNATURE_ILLEGAL", "", sms.Misconfigured, 0},
		{200, "isv.AMOUNT_NOT_ENOUGH", "", sms.Misconfigured, 0},
		{404, "InvalidAccessKeyId.NotFound", "", sms.Misconfigured, 0},
		{404, "InvalidAccessKeyId", "", sms.Misconfigured, 0},
		{400, "SignatureDoesNotMatch", "", sms.Misconfigured, 0},
		{400, "InvalidTimeStamp.Expired", "", sms.Misconfigured, 0},
		{200, "isv.DAY_LIMIT_CONTROL", "", sms.Throttled, 12 * time.Hour},
		{200, "isp.SYSTEM_ERROR", "", sms.Temporary, 0},
		{503, "ServiceUnavailable", "", sms.Temporary, 0},
		{400, "SignatureNonceUsed", "", sms.Temporary, 0},
		// Codes missing from the table.
		{200, "isv.SOMETHING_NEW", "", sms.Permanent, 0},
		{200, "isp.SOMETHING_NEW", "", sms.Temporary, 0},
		{502, "SomethingNew", "", sms.Temporary, 0},
		{403, "Forbidden.SomethingNew", "", sms.Misconfigured, 0},
	} {
		e := aliyunError(tt.status, tt.code, tt.message, noon)
		name := fmt.Sprint(tt.status, " ", tt.code, " ", tt.message)
		assert.Equal(t, tt.kind, e.Kind, name)
		assert.Equal(t, tt.code, e.Code, name)
		assert.Equal(t, tt.retry, e.RetryAfter, name)
		assert.NotEmpty(t, e.Msg, name)
	}
}

func TestTencentErrorTable(t *testing.T) {
	for _, tt := range []struct {
		code  string
		kind  sms.Kind
		retry time.Duration
	}{
		{"LimitExceeded.PhoneNumberThirtySecondLimit", sms.Throttled, 30 * time.Second},
		{"LimitExceeded.PhoneNumberOneHourLimit", sms.Throttled, time.Hour},
		{"LimitExceeded.PhoneNumberDailyLimit", sms.Throttled, 12 * time.Hour}, // until midnight Beijing
		{"LimitExceeded.PhoneNumberSameContentDailyLimit", sms.Throttled, 12 * time.Hour},
		{"LimitExceeded.AppDailyLimit", sms.Throttled, 12 * time.Hour},
		{"RequestLimitExceeded", sms.Throttled, time.Second},
		{"LimitExceeded.SomethingNew", sms.Throttled, time.Minute},
		{"InvalidParameterValue.IncorrectPhoneNumber", sms.Permanent, 0},
		{"FailedOperation.PhoneNumberInBlacklist", sms.Permanent, 0},
		{"FailedOperation.ContainSensitiveWord", sms.Permanent, 0},
		{"FailedOperation.TemplateIncorrectOrUnapproved", sms.Misconfigured, 0},
		{"FailedOperation.SignatureIncorrectOrUnapproved", sms.Misconfigured, 0},
		{"FailedOperation.InsufficientBalanceInSmsPackage", sms.Misconfigured, 0},
		{"AuthFailure.SignatureFailure", sms.Misconfigured, 0},
		{"AuthFailure.SecretIdNotFound", sms.Misconfigured, 0},
		{"AuthFailure.SignatureExpire", sms.Misconfigured, 0},
		{"UnauthorizedOperation.SmsSdkAppIdVerifyFail", sms.Misconfigured, 0},
		{"InternalError.RequestTimeException", sms.Misconfigured, 0},
		{"InternalError", sms.Temporary, 0},
		{"InternalError.Timeout", sms.Temporary, 0},
		{"InternalError.SomethingNew", sms.Temporary, 0},
		{"ResourceUnavailable.SomethingNew", sms.Temporary, 0},
		{"FailedOperation.SomethingNew", sms.Permanent, 0},
		{"SomethingNew", sms.Temporary, 0},
	} {
		e := tencentError(http.StatusOK, tt.code, "", noon)
		assert.Equal(t, tt.kind, e.Kind, tt.code)
		assert.Equal(t, tt.retry, e.RetryAfter, tt.code)
		assert.Equal(t, tt.code, e.Code)
	}
}

func TestUntilMidnight(t *testing.T) {
	assert.Equal(t, 12*time.Hour, untilMidnight(noon))
	assert.Equal(t, time.Second, untilMidnight(time.Date(2024, 5, 1, 23, 59, 59, 0, beijing)))
	// 16:00 UTC is 00:00 Beijing: a whole day to wait.
	assert.Equal(t, 24*time.Hour, untilMidnight(time.Date(2024, 5, 1, 16, 0, 0, 0, time.UTC)))
}

func TestHTTPStatusError(t *testing.T) {
	for _, tt := range []struct {
		status int
		kind   sms.Kind
	}{{502, sms.Temporary}, {503, sms.Temporary}, {429, sms.Throttled}, {404, sms.Misconfigured}, {401, sms.Misconfigured}} {
		e := httpStatusError(tt.status)
		assert.Equal(t, tt.kind, e.Kind, tt.status)
		assert.Equal(t, fmt.Sprint("http_", tt.status), e.Code)
	}
}

func TestTransportError(t *testing.T) {
	for _, tt := range []struct {
		err  error
		code string
	}{
		{context.Canceled, "canceled"},
		{fmt.Errorf("post: %w", context.DeadlineExceeded), "timeout"},
		{errors.New("connection refused"), "network"},
	} {
		e := transportError(tt.err)
		assert.Equal(t, sms.Temporary, e.Kind)
		assert.Equal(t, tt.code, e.Code)
	}
}

func TestScrub(t *testing.T) {
	assert.Equal(t, "to 139****5678 failed", scrub("to 13912345678 failed"))
	assert.Equal(t, "PhoneNumbers%3D139****5678%26", scrub("PhoneNumbers%3D8613912345678%26"))
	assert.Equal(t, "code 12345", scrub("code 12345"))
	long := scrub(string(make([]byte, 500)))
	assert.Equal(t, 201, len([]rune(long)))
}
