package console_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"cunyou/passwd"
	"cunyou/ui/uitest"
)

// TestBrowserUsers drives the admin's users page in a real Chromium: add
// a user and read the first password shown once; the new user signs in
// with it and changes it; the admin gives them another role, then
// disables them (two clicks); the audit log, filtered, shows each
// change.
func TestBrowserUsers(t *testing.T) {
	ctx, jsProblems := uitest.Open(t, uitest.Screen{Width: deskW, Height: deskH})
	h := newHub(t)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	fits := func(step string) {
		t.Helper()
		if w := uitest.Eval[int](t, ctx, `document.documentElement.scrollWidth`); w > deskW {
			t.Errorf("%s: the page is %d px wide on a %d px screen", step, w, deskW)
		}
	}
	signIn := func(step, user, pw, wait string) {
		t.Helper()
		uitest.Eval[string](t, ctx, `document.querySelector("#login-user").value = ""; document.querySelector("#login-pass").value = ""; ""`)
		uitest.Do(t, ctx, step,
			chromedp.SendKeys(css("#login-user"), user),
			chromedp.SendKeys(css("#login-pass"), pw+"\r"),
			chromedp.WaitVisible(css(wait)),
		)
	}
	signOut := func(step string) {
		t.Helper()
		uitest.Do(t, ctx, step, chromedp.Click(css("#logout")), chromedp.WaitVisible(css("#login-user")))
	}

	uitest.Do(t, ctx, "open the console", chromedp.Navigate(h.url+"/console/#/users"), chromedp.WaitVisible(css("#login-user")))
	signIn("sign in as the admin", admin, password, `#users-list [data-user="`+dispatcher+`"]`)

	uitest.Do(t, ctx, "add a user without a role",
		chromedp.SendKeys(css("#ua-name"), "li.ming"),
		chromedp.Click(css("#ua-submit")),
		chromedp.WaitVisible(css("#users-msg")),
	)
	if got := uitest.Text(t, ctx, "#users-msg"); got != "请填写用户名并选择角色。" {
		t.Errorf("a user without a role: %q", got)
	}
	uitest.Eval[string](t, ctx, `document.querySelector("#ua-role").value = "dispatcher"; ""`)
	uitest.Do(t, ctx, "add a dispatcher",
		chromedp.Click(css("#ua-submit")),
		chromedp.WaitVisible(css("#users-secret code.secret")),
		chromedp.WaitVisible(css(`#users-list [data-user="li.ming"]`)),
	)
	codes := uitest.Eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#users-secret code.secret")).map(c => c.textContent)`)
	if len(codes) != 2 || codes[0] != "li.ming" || passwd.Check(codes[1]) != nil {
		t.Fatalf("the new user's password box shows %q", codes)
	}
	first := codes[1]
	fits("users")
	uitest.Shot(t, ctx, "console-users-added")
	uitest.Do(t, ctx, "close the password box", chromedp.Click(css("#users-secret button")), chromedp.WaitNotVisible(css("#users-secret")))

	uitest.Eval[string](t, ctx, `document.querySelector("#ua-role").value = "technician"; ""`)
	uitest.Do(t, ctx, "the same name again",
		chromedp.SendKeys(css("#ua-name"), "li.ming"),
		chromedp.Click(css("#ua-submit")),
		chromedp.Poll[chromedp.Void](`document.querySelector("#users-msg").textContent.startsWith("这个用户名已经有人用了")`),
	)

	// The new user signs in with the first password and changes it.
	signOut("sign out the admin")
	signIn("sign in as the new user", "li.ming", first, `#nav a[data-view="overview"]`)
	uitest.Do(t, ctx, "open the password form", chromedp.Click(css("#pw-open")), chromedp.WaitVisible(css("#pw-current")))
	uitest.Do(t, ctx, "a wrong current password",
		chromedp.SendKeys(css("#pw-current"), "Wrong-pass-1"),
		chromedp.SendKeys(css("#pw-new"), "Li-Ming-2026!"),
		chromedp.SendKeys(css("#pw-again"), "Li-Ming-2026!"),
		chromedp.Click(css("#pw-submit")),
		chromedp.Poll[chromedp.Void](`document.querySelector("#pw-msg").textContent.startsWith("现在的密码不对")`),
	)
	uitest.Eval[string](t, ctx, `document.querySelector("#pw-current").value = ""`)
	uitest.Do(t, ctx, "change it",
		chromedp.SendKeys(css("#pw-current"), first),
		chromedp.Click(css("#pw-submit")),
		chromedp.Poll[chromedp.Void](`document.querySelector("#pw-msg").textContent.startsWith("密码已修改")`),
	)
	uitest.Shot(t, ctx, "console-password")
	signOut("sign out the new user")
	signIn("the new password signs in", "li.ming", "Li-Ming-2026!", `#nav a[data-view="exceptions"]`)
	signOut("sign out the new user again")

	// The admin makes them a government viewer, then disables them.
	uitest.Eval[string](t, ctx, `location.hash = "#/users"; ""`)
	signIn("the admin again", admin, password, `#users-list [data-user="li.ming"]`)
	row := `#users-list [data-user="li.ming"]`
	uitest.Eval[string](t, ctx, `const s = document.querySelector('`+row+` .u-role'); s.value = "government_viewer"; s.dispatchEvent(new Event("change")); ""`)
	uitest.Do(t, ctx, "give another role",
		chromedp.WaitVisible(css(row+" .u-role-save")),
		chromedp.Click(css(row+" .u-role-save")),
		chromedp.Poll[chromedp.Void](`document.querySelector("#users-msg").textContent.includes("角色已改为")`),
	)
	uitest.Do(t, ctx, "disable: the first click only asks",
		chromedp.Click(css(row+" .u-disable")),
		chromedp.Poll[chromedp.Void](`document.querySelector('`+row+` .u-disable').textContent === "再点一次确认"`),
	)
	if got := uitest.Text(t, ctx, row); !strings.Contains(got, "正常") {
		t.Errorf("one click disabled the user: %q", got)
	}
	uitest.Do(t, ctx, "disable: the second click does it",
		chromedp.Click(css(row+" .u-disable")),
		chromedp.Poll[chromedp.Void](`document.querySelector("#users-msg").textContent.startsWith("已停用 li.ming")`),
		chromedp.Poll[chromedp.Void](`(document.querySelector('`+row+`') || {textContent: ""}).textContent.includes("已停用")`),
	)
	uitest.Do(t, ctx, "the last admin cannot be disabled",
		chromedp.Click(css(`#users-list [data-user="`+admin+`"] .u-disable`)),
		chromedp.Click(css(`#users-list [data-user="`+admin+`"] .u-disable`)),
		chromedp.Poll[chromedp.Void](`document.querySelector("#users-msg").textContent.startsWith("至少要留一个能用的管理员")`),
	)

	uitest.Do(t, ctx, "the audit log of users' changes",
		chromedp.Navigate(h.url+"/console/#/audit"),
		chromedp.WaitVisible(css("#audit-action")),
		chromedp.SendKeys(css("#audit-action"), "user."),
		chromedp.Click(css("#audit-go")),
		chromedp.Poll[chromedp.Void](`Array.from(document.querySelectorAll("#audit-body tbody tr")).some(r => r.textContent.includes("user.disable"))`),
	)
	got := uitest.Eval[[]string](t, ctx, `Array.from(document.querySelectorAll("#audit-body tbody tr")).map(r => r.children[2].textContent)`)
	for _, want := range []string{"user.add", "user.password", "user.role", "user.disable"} {
		found := false
		for _, a := range got {
			found = found || a == want
			if !strings.HasPrefix(a, "user.") {
				t.Errorf("the filter let %q through", a)
			}
		}
		if !found {
			t.Errorf("the audit log lacks %s: %v", want, got)
		}
	}
	if body := uitest.Text(t, ctx, "#audit-body"); strings.Contains(body, first) || strings.Contains(body, "Li-Ming-2026!") {
		t.Error("a password is in the audit log")
	}
	fits("audit")
	uitest.Shot(t, ctx, "console-audit")

	if ps := jsProblems(); len(ps) > 0 {
		t.Errorf("the page reported problems:\n%s", strings.Join(ps, "\n"))
	}
}
