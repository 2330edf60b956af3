package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"cunyou/hub/auth"
	"cunyou/hub/store"
	"cunyou/passwd"

	"cunyou/syncproto"
	"cunyou/ui/uitest"
)

// TestBrowserUsersMistakes makes the admin's usual mistakes on the users
// page: a name with a space or capitals, a carrier's viewer without its
// carrier (as a new user and as a role change). Each is a sentence that
// says what to fix, never an error code, and what was typed stays. A
// password shown once is gone when the admin signs out.
func TestBrowserUsersMistakes(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: deskW, Height: deskH})
	h := newHub(t)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	msg := func() string { return uitest.Text(t, ctx, "#users-msg") }
	plain := func(step, got string) {
		t.Helper()
		if got == "" || strings.Contains(got, "invalid") || strings.Contains(got, "出错了") {
			t.Errorf("%s says %q, not what to fix", step, got)
		}
	}
	signIn := func(step string) {
		t.Helper()
		uitest.Eval[string](t, ctx, `document.querySelector("#login-user").value = ""; document.querySelector("#login-pass").value = ""; ""`)
		uitest.Do(t, ctx, step,
			chromedp.SendKeys(css("#login-user"), admin),
			chromedp.SendKeys(css("#login-pass"), password+"\r"),
			chromedp.WaitVisible(css(`#users-list [data-user="`+dispatcher+`"]`)),
		)
	}
	uitest.Do(t, ctx, "open the console", chromedp.Navigate(h.url+"/console/#/users"), chromedp.WaitVisible(css("#login-user")))
	signIn("sign in as the admin")

	uitest.Eval[string](t, ctx, `document.querySelector("#ua-role").value = "dispatcher"; ""`)
	uitest.Do(t, ctx, "a name with a space and capitals",
		chromedp.SendKeys(css("#ua-name"), "Li Ming"),
		chromedp.Click(css("#ua-submit")),
		chromedp.WaitVisible(css("#users-msg")),
		chromedp.Poll[chromedp.Void](`!document.querySelector("#ua-submit").disabled`),
	)
	plain("a name with a space", msg())
	if got := uitest.Eval[string](t, ctx, `document.querySelector("#ua-name").value`); got != "Li Ming" {
		t.Errorf("the name typed became %q", got)
	}

	uitest.Eval[string](t, ctx, `document.querySelector("#ua-name").value = "kd.zto"; const r = document.querySelector("#ua-role"); r.value = "carrier_viewer"; r.dispatchEvent(new Event("change")); document.querySelector("#users-msg").textContent = ""; ""`)
	uitest.Do(t, ctx, "a carrier's viewer without the carrier",
		chromedp.Click(css("#ua-submit")),
		chromedp.Poll[chromedp.Void](`document.querySelector("#users-msg").textContent !== ""`),
		chromedp.Poll[chromedp.Void](`!document.querySelector("#ua-submit").disabled`),
	)
	plain("a carrier's viewer without the carrier", msg())
	if got := uitest.Eval[string](t, ctx, `document.querySelector("#ua-name").value`); got != "kd.zto" {
		t.Errorf("the name typed became %q", got)
	}

	if n := uitest.Eval[int](t, ctx, `document.querySelectorAll('#users-list .u-role option[value=""]').length`); n != 0 {
		t.Errorf("%d users' role lists offer an empty role", n)
	}

	// A name being typed stays while the admin acts on another row.
	row := `#users-list [data-user="` + government + `"]`
	uitest.Eval[string](t, ctx, `document.querySelector("#ua-name").value = "keep.me"; document.querySelector("#ua-role").value = "technician"; ""`)
	uitest.Do(t, ctx, "end the government viewer's sessions",
		chromedp.Click(css(row+" .u-revoke")),
		chromedp.Click(css(row+" .u-revoke")),
		chromedp.Poll[chromedp.Void](`document.querySelector("#users-msg").className.includes("ok")`),
		chromedp.WaitVisible(css(row)),
	)
	if got := uitest.Eval[string](t, ctx, `document.querySelector("#ua-name").value + "/" + document.querySelector("#ua-role").value`); got != "keep.me/technician" {
		t.Errorf("the add form holds %q after another row's change, want keep.me/technician", got)
	}

	row = `#users-list [data-user="` + dispatcher + `"]`
	uitest.Eval[string](t, ctx, `const s = document.querySelector('`+row+` .u-role'); s.value = "carrier_viewer"; s.dispatchEvent(new Event("change")); document.querySelector("#users-msg").textContent = ""; ""`)
	uitest.Do(t, ctx, "make the dispatcher a carrier's viewer without the carrier",
		chromedp.Click(css(row+" .u-role-save")),
		chromedp.Poll[chromedp.Void](`document.querySelector("#users-msg").textContent !== ""`),
	)
	plain("a role change without the carrier", msg())
	if got := uitest.Eval[string](t, ctx, `document.querySelector('`+row+` .u-role').value`); got != "carrier_viewer" {
		t.Errorf("the role chosen became %q", got)
	}

	uitest.Do(t, ctx, "a new password for the government viewer",
		chromedp.Click(css(`#users-list [data-user="`+government+`"] .u-reset`)),
		chromedp.Click(css(`#users-list [data-user="`+government+`"] .u-reset`)),
		chromedp.WaitVisible(css("#users-secret code.secret")),
	)
	uitest.Do(t, ctx, "sign out with the password on screen", chromedp.Click(css("#logout")), chromedp.WaitVisible(css("#login-user")))
	if n := uitest.Eval[int](t, ctx, `document.querySelectorAll("#users-secret code, #st-code code").length`); n != 0 {
		t.Errorf("%d secrets stay in the page after signing out", n)
	}
	if ps := jsProblems(); len(ps) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(ps, "\n"))
	}
}

// TestBrowserExceptionsKeepNotes: a dispatcher writes the note of one
// repair, then does another; the queue read again keeps the first note.
func TestBrowserExceptionsKeepNotes(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: deskW, Height: deskH})
	h := newHub(t)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	h.apply(t, stFuxing, at("07:50"), syncproto.KindParcelsPickedUp, syncproto.ParcelsPickedUp{Waybills: []string{wbUnknown},
		Collector: syncproto.Collector{Kind: "receiver"}})
	uitest.Do(t, ctx, "sign in as a dispatcher",
		chromedp.Navigate(h.url+"/console/#/exceptions"),
		chromedp.WaitVisible(css("#login-user")),
		chromedp.SendKeys(css("#login-user"), dispatcher),
		chromedp.SendKeys(css("#login-pass"), password+"\r"),
		chromedp.WaitVisible(css(`#ex-contradictions [data-exception] form.resolve`)),
		chromedp.WaitVisible(css(`#ex-problems [data-waybill="`+wbDamaged+`"] form.lost`)),
	)
	damaged := `#ex-problems [data-waybill="` + wbDamaged + `"] form.lost .note`
	uitest.Do(t, ctx, "a note for the damaged parcel, then resolve the contradiction",
		chromedp.SendKeys(css(damaged), "库房找过"),
		chromedp.SendKeys(css("#ex-contradictions [data-exception] form.resolve .note"), "电话核实"),
		chromedp.Click(css("#ex-contradictions [data-exception] form.resolve button")),
		chromedp.WaitVisible(css("#ex-contradictions .empty")),
		chromedp.WaitVisible(css(damaged)),
	)
	if got := uitest.Eval[string](t, ctx, `document.querySelector('`+damaged+`').value`); got != "库房找过" {
		t.Errorf("the damaged parcel's note is %q after another repair", got)
	}
	if ps := jsProblems(); len(ps) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(ps, "\n"))
	}
}

// TestBrowserPasswordTwice: a double press on 修改 changes the password
// once; the second press is not sent with the old password, refused
// and counted toward the lockout.
func TestBrowserPasswordTwice(t *testing.T) {
	ctx, _ := uitest.Open(t, uitest.Screen{Width: deskW, Height: deskH})
	h := newHub(t)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	uitest.Do(t, ctx, "sign in as a dispatcher",
		chromedp.Navigate(h.url+"/console/#/overview"),
		chromedp.WaitVisible(css("#login-user")),
		chromedp.SendKeys(css("#login-user"), dispatcher),
		chromedp.SendKeys(css("#login-pass"), password+"\r"),
		chromedp.WaitVisible(css("#pw-open")),
		chromedp.Click(css("#pw-open")),
		chromedp.SendKeys(css("#pw-current"), password),
		chromedp.SendKeys(css("#pw-new"), "Wang-Xin-2026!"),
		chromedp.SendKeys(css("#pw-again"), "Wang-Xin-2026!"),
	)
	uitest.Eval[bool](t, ctx, `(function () { window.sent = 0; var f = window.fetch; window.fetch = function (u, o) { if (String(u).endsWith("/me/password")) { window.sent++; } return f(u, o); };
		var b = document.querySelector("#pw-submit"); b.click(); b.click(); return true; })()`)
	uitest.Do(t, ctx, "changed",
		chromedp.Poll[chromedp.Void](`document.querySelector("#pw-msg").textContent.startsWith("密码已修改")`),
		chromedp.Sleep(300*time.Millisecond),
	)
	if n := uitest.Eval[int](t, ctx, `window.sent`); n != 1 {
		t.Errorf("a double press sent %d password changes", n)
	}
	if got := uitest.Text(t, ctx, "#pw-msg"); !strings.HasPrefix(got, "密码已修改") {
		t.Errorf("after a double press the form says %q", got)
	}
}

// TestBrowserTechnician: a technician replacing a station's PC sees the
// stations and issues a new code, but is offered neither 添加驿站 nor
// 停用, which the hub refuses them.
func TestBrowserTechnician(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: deskW, Height: deskH})
	h := newHub(t)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	_, err := h.st.AddUser(context.Background(), store.User{Username: "jishu", Role: auth.Technician, PasswordHash: passwd.Hash(password)})
	require.NoError(t, err)
	detail := `#st-detail[data-node="` + stFuxing + `"]`
	uitest.Do(t, ctx, "sign in as a technician",
		chromedp.Navigate(h.url+"/console/#/stations/"+stFuxing),
		chromedp.WaitVisible(css("#login-user")),
		chromedp.SendKeys(css("#login-user"), "jishu"),
		chromedp.SendKeys(css("#login-pass"), password+"\r"),
		chromedp.WaitVisible(css(detail+" .st-new-code")),
	)
	if n := uitest.Eval[int](t, ctx, `document.querySelectorAll("#st-detail .st-disable").length`); n != 0 {
		t.Error("a technician is offered to disable a station")
	}
	if uitest.Eval[bool](t, ctx, `!document.querySelector("#st-add-open").hidden`) {
		t.Error("a technician is offered to add a station")
	}
	uitest.Do(t, ctx, "a new code",
		chromedp.Click(css(detail+" .st-new-code")),
		chromedp.Click(css(detail+" .st-new-code")),
		chromedp.WaitVisible(css("#st-code .enroll-code")),
	)
	if ps := jsProblems(); len(ps) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(ps, "\n"))
	}
}

// TestBrowserNoSuchStation: a station's address with a node the county
// does not have says so, not "check the waybill number".
func TestBrowserNoSuchStation(t *testing.T) {
	ctx, _ := uitest.Open(t, uitest.Screen{Width: deskW, Height: deskH})
	h := newHub(t)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	uitest.Do(t, ctx, "sign in on a station that is not",
		chromedp.Navigate(h.url+"/console/#/stations/ST-V9999"),
		chromedp.WaitVisible(css("#login-user")),
		chromedp.SendKeys(css("#login-user"), dispatcher),
		chromedp.SendKeys(css("#login-pass"), password+"\r"),
		chromedp.WaitVisible(css(`#st-list [data-node="`+stFuxing+`"]`)),
		chromedp.WaitVisible(css("#st-detail .msg.error")),
	)
	if got := uitest.Text(t, ctx, "#st-detail .msg.error"); !strings.Contains(got, "ST-V9999") || strings.Contains(got, "运单号") {
		t.Errorf("an unknown station says %q", got)
	}
}

// TestBrowserTemplateMistakes: what is wrong with a template being typed
// is said in Chinese, whatever words the hub's detail uses.
func TestBrowserTemplateMistakes(t *testing.T) {
	ctx, _ := uitest.Open(t, uitest.Screen{Width: deskW, Height: deskH})
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
	for _, c := range []struct{ text, want string }{
		{"取件码{nonsense}", "{nonsense}"},
		{"取件码{code", "{code}"},
		{"取件码{code}" + strings.Repeat("请尽快来取", 110), "500"},
	} {
		uitest.Eval[string](t, ctx, `(function () { var a = document.querySelector('`+card+` textarea'); a.value = "`+c.text+`";
			document.querySelector('`+card+` .msg').textContent = ""; a.dispatchEvent(new Event("input")); return ""; })()`)
		uitest.Do(t, ctx, "type "+c.text[:12],
			chromedp.Poll[chromedp.Void](`document.querySelector('`+card+` .msg').textContent !== ""`),
		)
		got := uitest.Text(t, ctx, card+" .msg")
		if !strings.HasPrefix(got, "模板不对：") || !strings.Contains(got, c.want) || strings.ContainsAny(got, "abfhijklmnpqtuwxyz") && !strings.Contains(got, "{") {
			t.Errorf("a template with %s says %q", c.want, got)
		}
		if strings.Contains(got, " is not ") || strings.Contains(got, "braces") || strings.Contains(got, "characters") {
			t.Errorf("a template with %s says %q: English in a Chinese page", c.want, got)
		}
	}
}
