// Package cloud sends arrival SMS through the two Chinese cloud providers'
// HTTPS APIs, Aliyun SMS (dysmsapi 2017-05-25) and Tencent Cloud SMS
// (sms 2021-01-11), each behind the cunyou/sms Gateway contract, with the
// providers' own request signing and no provider SDK:
//
//   - Aliyun: RPC-style requests (form-encoded POST) signed with
//     signature version 1.0, HMAC-SHA1 over the canonicalized query
//     (aliyun_sign.go). Receipts are polled with QuerySendDetails for every
//     message sent and not yet final.
//   - Tencent Cloud: JSON POST signed with TC3-HMAC-SHA256 (tc3.go).
//     Receipts are pulled with PullSmsSendStatus, a queue the provider
//     empties as it answers.
//
// Each gateway maps the provider's error codes onto sms.Kind in one table
// (errors.go), so the hub's notifier knows whether to retry, wait, fail
// over to another gateway or give the message up.
//
// NewAliyunFake and NewTencentFake are fake endpoints on 127.0.0.1 for tests
// and the demo, never the product: they verify every request's signature
// with the same credentials, answer with the providers' field names and
// error codes, record what they received, hold receipts for polling and can
// refuse the next submission the way each provider does.
//
// Facts about the providers' APIs come from their public documentation;
// each is cited where it is used. Where the documentation was not found or
// is silent, the comment says so ("[U]").
package cloud
