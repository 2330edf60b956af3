package console_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cunyou/ui/uitest"
)

// TestBrowserSMSTemplates drives the SMS page as the admin in a real
// Chromium: a template with a variable it does not have is refused as
// it is typed, a good one previews and saves (on the second click) and
// stays; a villager's SMS are stopped and resumed; the dispatcher sees the
// templates read-only.
func TestBrowserSMSTemplates(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: deskW, Height: deskH})
	h := newHub(t)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	card := `#sms-body .template[data-kind="arrival"]`

	uitest.Do(t, ctx, "sign in as the admin",
		chromedp.Navigate(h.url+"/console/#/sms/templates"),
		chromedp.WaitVisible(css("#login-user")),
		chromedp.SendKeys(css("#login-user"), admin),
		chromedp.SendKeys(css("#login-pass"), password+"\r"),
		chromedp.WaitVisible(css(card+" textarea")),
	)
	before := uitest.Eval[string](t, ctx, `document.querySelector('`+card+` textarea').value`)
	uitest.Eval[string](t, ctx, `document.querySelector('`+card+` textarea').value = ""; ""`)
	uitest.Do(t, ctx, "a variable the arrival SMS does not have",
		chromedp.SendKeys(css(card+" textarea"), "您的包裹到了{station}，取件码{nonsense}"),
		chromedp.Poll[chromedp.Void](`document.querySelector('`+card+` .msg').textContent.startsWith("模板不对：")`),
	)
	if !uitest.Eval[bool](t, ctx, `document.querySelector('`+card+` .tpl-save').disabled`) {
		t.Error("a bad template can be saved")
	}
	uitest.Eval[string](t, ctx, `document.querySelector('`+card+` textarea').value = ""; ""`)
	uitest.Do(t, ctx, "a good one previews",
		chromedp.SendKeys(css(card+" textarea"), "您的{carrier}包裹已到{station}，取件码{code}，请凭码取件。"),
		chromedp.Poll[chromedp.Void](`document.querySelector('`+card+` .preview-text').textContent.includes("请凭码取件")`),
		chromedp.Poll[chromedp.Void](`!document.querySelector('`+card+` .tpl-save').disabled`),
	)
	if got := uitest.Text(t, ctx, card+" .preview-text"); strings.Contains(got, "{") {
		t.Errorf("the preview keeps a variable: %q", got)
	}
	uitest.Do(t, ctx, "save: the first click asks, the second saves",
		chromedp.Click(css(card+" .tpl-save")),
		chromedp.Poll[chromedp.Void](`document.querySelector('`+card+` .tpl-save').textContent === "再点一次确认"`),
		chromedp.Click(css(card+" .tpl-save")),
		chromedp.Poll[chromedp.Void](`document.querySelector('`+card+` .msg').textContent.startsWith("模板已保存")`),
	)
	uitest.Shot(t, ctx, "console-sms-template")
	uitest.Do(t, ctx, "the saved template stays",
		chromedp.Navigate(h.url+"/console/#/sms/all"),
		chromedp.WaitVisible(css("#sms-body")),
		chromedp.Navigate(h.url+"/console/#/sms/templates"),
		chromedp.Poll[chromedp.Void](`(document.querySelector('`+card+` textarea') || {}).value === "您的{carrier}包裹已到{station}，取件码{code}，请凭码取件。"`),
	)
	if before == uitest.Eval[string](t, ctx, `document.querySelector('`+card+` textarea').value`) {
		t.Error("the template did not change")
	}

	uitest.Do(t, ctx, "a villager asks for no more SMS",
		chromedp.Click(css(`[data-sms="optouts"]`)),
		chromedp.WaitVisible(css("#oo-phone")),
		chromedp.SendKeys(css("#oo-phone"), "1391234"),
		chromedp.Click(css("#oo-stop")),
		chromedp.Poll[chromedp.Void](`document.querySelector("#oo-msg").textContent === "请输入 11 位手机号。"`),
		chromedp.SendKeys(css("#oo-phone"), "5678"),
		chromedp.Click(css("#oo-stop")),
		chromedp.Poll[chromedp.Void](`document.querySelector("#oo-msg").textContent === "已停发 13912345678 的短信。"`),
		chromedp.Click(css("#oo-resume")),
		chromedp.Poll[chromedp.Void](`document.querySelector("#oo-msg").textContent === "已恢复 13912345678 的短信。"`),
	)

	// The dispatcher reads the templates and may stop a villager's SMS,
	// but not change a template.
	uitest.Do(t, ctx, "sign out", chromedp.Click(css("#logout")), chromedp.WaitVisible(css("#login-user")))
	uitest.Eval[string](t, ctx, `document.querySelector("#login-user").value = ""; document.querySelector("#login-pass").value = ""; location.hash = "#/sms/templates"; ""`)
	uitest.Do(t, ctx, "the dispatcher's templates",
		chromedp.SendKeys(css("#login-user"), dispatcher),
		chromedp.SendKeys(css("#login-pass"), password+"\r"),
		chromedp.WaitVisible(css(card+" pre")),
	)
	if n := uitest.Eval[int](t, ctx, `document.querySelectorAll("#sms-body textarea, #sms-body .tpl-save").length`); n != 0 {
		t.Errorf("the dispatcher gets %d template editors", n)
	}
	if uitest.Eval[bool](t, ctx, `document.querySelector('[data-sms="optouts"]').hidden`) {
		t.Error("the dispatcher has no opt-out tab")
	}

	if ps := jsProblems(); len(ps) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(ps, "\n"))
	}
}
