package cloud_test

import (
	"context"
	"errors"
	"fmt"

	"cunyou/hub/sms/cloud"
	"cunyou/sms"
)

// The hub's notifier sends an arrival notice through Aliyun; here against
// the fake endpoint, as the demo does.
func ExampleNewAliyun() {
	fake := cloud.NewAliyunFake(cloud.FakeOptions{KeyID: "LTAIdemo", Secret: "demo-secret",
		Templates: map[string][]string{"SMS_100001": {"station", "code"}}})
	defer fake.Close()

	g, err := cloud.NewAliyun(cloud.AliyunOptions{Endpoint: fake.URL(), AccessKeyID: "LTAIdemo", AccessKeySecret: "demo-secret",
		SignName: "望奎村邮"})
	if err != nil {
		panic(err)
	}
	defer g.Close()
	m := sms.Message{ID: "arrival-42", Phone: "13912345678", Template: "SMS_100001",
		Params: []sms.Param{{Name: "station", Value: "南岗村驿站"}, {Name: "code", Value: "5-2-0042"}},
		Text:   "【望奎村邮】您的包裹已到南岗村驿站，取件码 5-2-0042。"}
	sent, err := g.Send(context.Background(), m)
	fmt.Println(err, sent.Parts, fake.Received()[0].Text())

	fake.FailNext(sms.Throttled)
	_, err = g.Send(context.Background(), m)
	var e *sms.Error
	if errors.As(err, &e) {
		fmt.Println(e.Kind, e.Code, e.RetryAfter)
	}
	// Output:
	// <nil> 1 SMS_100001:station=南岗村驿站,code=5-2-0042
	// throttled isv.BUSINESS_LIMIT_CONTROL 1m0s
}
