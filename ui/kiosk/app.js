// The station operator's kiosk page: inbound, pickup, send, problem and
// overdue parcels, stocktake, day close and the owner's settings, on the
// station's JSON API (/api/v1). Every visible string comes from the message
// table in i18n.js; error sentences come translated from the server.
"use strict";
(() => {
  const API = "/api/v1";
  const TOKEN_KEY = "cunyou.token";
  const LANG_KEY = "cunyou.lang";
  const TAB_KEY = "cunyou.tab";
  const STATUS_EVERY_MS = 30000;
  const RECONNECT_EVERY_MS = 3000;

  // ---------------------------------------------------------------- i18n

  let lang = localStorage.getItem(LANG_KEY);
  if (!MESSAGES[lang]) lang = "zh-CN";

  function t(key, args) {
    let s = MESSAGES[lang][key];
    if (s === undefined) s = MESSAGES["zh-CN"][key];
    if (s === undefined) {
      console.warn("i18n: no message", key);
      s = key;
    }
    if (args) for (const [k, v] of Object.entries(args)) s = s.split("{" + k + "}").join(String(v));
    return s;
  }
  const hasKey = (key) => MESSAGES[lang][key] !== undefined;

  function applyI18n() {
    document.documentElement.lang = lang;
    document.title = t("app.title");
    for (const el of $$("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const el of $$("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
  }

  // ---------------------------------------------------------------- DOM helpers

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.from((root || document).querySelectorAll(sel)); }

  // h builds an element; string children become text nodes, never HTML.
  function h(tag, props, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else if (k === "dataset") Object.assign(el.dataset, v);
      else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (typeof v !== "string" && k in el) el[k] = v;
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const kid of kids.flat()) {
      if (kid !== null && kid !== undefined && kid !== false) el.append(kid instanceof Node ? kid : String(kid));
    }
    return el;
  }

  function showMsg(el, kind, text) {
    el.className = "msg msg-" + kind;
    el.textContent = text;
    el.hidden = false;
    // On a long tab the message may sit above the part in view.
    el.scrollIntoView({ block: "nearest" });
  }
  function hideMsg(el) {
    el.hidden = true;
    el.textContent = "";
    el.className = "msg";
  }

  const pad = (n) => String(n).padStart(2, "0");
  function fmtTime(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }
  function fmtDay(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return `${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  }
  function fmtClock(ms) {
    const d = new Date(ms);
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }
  const receiverText = (p) => [p.receiver_name, p.receiver_phone].filter(Boolean).join(" ");
  const money = (fen) => t("money", { yuan: (fen / 100).toFixed(2) });
  const slotText = (p) => (p && p.shelf ? t("slot", { shelf: p.shelf, layer: p.layer }) : "");

  function isTextEntry(el) {
    if (!el) return false;
    if (el.tagName === "SELECT" || el.tagName === "TEXTAREA") return true;
    return el.tagName === "INPUT" && !["checkbox", "radio", "button", "submit"].includes(el.type);
  }

  // A sound on each scan, one per outcome, made by Web Audio (no sound
  // files): two rising notes for a parcel new in, two equal notes for one
  // already in, a long low buzz for an error. The operator often looks at
  // the parcel, not the screen.
  const TONES = {
    new: [[1047, 0.07], [1568, 0.1]],
    repeat: [[784, 0.08], [0, 0.06], [784, 0.08]],
    error: [[196, 0.45]],
  };
  let audio = null;
  function sound(kind) {
    perf.sounds.push(kind);
    document.body.dataset.sound = kind;
    try {
      audio = audio || new AudioContext();
      let at = audio.currentTime;
      for (const [freq, secs] of TONES[kind]) {
        if (freq) {
          const o = audio.createOscillator();
          const g = audio.createGain();
          o.type = kind === "error" ? "square" : "sine";
          o.frequency.value = freq;
          g.gain.value = kind === "error" ? 0.05 : 0.09;
          o.connect(g);
          g.connect(audio.destination);
          o.start(at);
          o.stop(at + secs);
        }
        at += secs;
      }
    } catch (_) {
      // No sound device: the screen says it all.
    }
  }
  function beep(ok) { sound(ok ? "new" : "error"); }

  // perf keeps what the browser tests and the benchmark read: the codes
  // taken as scans, the sounds played, and for each inbound scan the
  // milliseconds from its Enter key to its pickup code on the screen.
  const perf = { scans: [], sounds: [], scanToCode: [] };
  window.kioskPerf = perf;

  // ---------------------------------------------------------------- scan gun (keyboard wedge)

  // A scan gun that types like a keyboard sends a code as a burst of keys
  // ended by Enter or Tab, the keys less than WEDGE_GAP_MS apart (the
  // median gap: a busy PC may hold a key back); a person types far slower.
  // Keys after a pause of WEDGE_PAUSE_MS start afresh: what a person typed
  // before picking up the gun is not part of its burst. A burst is a scan
  // wherever the focus is: what it typed into a field is taken back out
  // and the code goes to the screen in view (its scan hook). Slower keys
  // are left as typing. Fields marked data-wedge="keep" (a phone or ID
  // number, which a gun may read off a slip) keep a burst as their value.
  const WEDGE_GAP_MS = 30;
  const WEDGE_PAUSE_MS = 100;
  const WEDGE_MIN_LEN = 4;
  const wedge = { keys: [], last: 0, field: null }; // keys: {ch, gap, before}

  // wedgeBurst reports whether the keys since the last pause, ended by a
  // key at now, came from a scan gun.
  function wedgeBurst(now) {
    const ks = wedge.keys;
    const end = now - wedge.last;
    if (ks.length < WEDGE_MIN_LEN || end >= WEDGE_PAUSE_MS) return false;
    const gaps = [...ks.slice(1).map((k) => k.gap), end].sort((a, b) => a - b);
    return gaps[Math.floor(gaps.length / 2)] < WEDGE_GAP_MS;
  }

  function wedgeReset() {
    wedge.keys = [];
    wedge.field = null;
  }

  function onWedgeKey(e) {
    if (!me || !$("#modal").hidden || e.ctrlKey || e.altKey || e.metaKey || e.isComposing) {
      wedgeReset();
      return;
    }
    const now = e.timeStamp || performance.now();
    if (e.key === "Enter" || e.key === "Tab") {
      const burst = wedgeBurst(now);
      const { keys, field } = wedge;
      wedgeReset();
      const code = burst ? keys.map((k) => k.ch).join("").trim() : "";
      if (!code || (field && field.dataset.wedge === "keep")) return;
      e.preventDefault();
      e.stopImmediatePropagation();
      if (field && field.isConnected && document.activeElement === field) field.value = keys[0].before;
      routeScan(code, now);
      return;
    }
    if (e.key.length !== 1) {
      wedgeReset(); // Backspace, arrows…: a person at the keyboard
      return;
    }
    const gap = now - wedge.last;
    const typedInto = (el) => (isTextEntry(el) && el.tagName === "INPUT" ? el : null);
    let el = document.activeElement;
    if (!wedge.keys.length || gap >= WEDGE_PAUSE_MS || typedInto(el) !== wedge.field || wedge.keys.length > 200) {
      // Keys typed while a button has the focus go to the screen's scan
      // field.
      if (!isTextEntry(el) && e.key !== " ") {
        const home = currentTab && tabs[currentTab].home && tabs[currentTab].home();
        if (home) {
          home.focus();
          el = home;
        }
      }
      wedge.keys = [];
      wedge.field = typedInto(el);
    }
    wedge.keys.push({ ch: e.key, gap, before: wedge.field ? wedge.field.value : "" });
    wedge.last = now;
  }

  // routeScan gives a scanned code (from the wedge or a serial scan gun)
  // to the screen in view.
  function routeScan(code, t0) {
    perf.scans.push(code);
    document.body.dataset.scans = String(perf.scans.length);
    const tab = currentTab && tabs[currentTab];
    if (tab && tab.scan) {
      hideToast();
      tab.scan(code, t0);
      return;
    }
    toast(t("scan.not_here"));
    sound("error");
  }

  // Serial scan guns (edge/devices reads them) are polled: each code read
  // goes to the screen in view like a wedge scan.
  const SCANS_EVERY_MS = 400;
  const serial = { after: -1 };
  async function pollScans() {
    const has = me && (deviceList || []).some((d) => d.kind === "scanner");
    if (has && statusOK) {
      try {
        const d = await api("GET", "/devices/scans?after=" + Math.max(serial.after, 0));
        // The first look only learns where the list is: older codes were
        // read before this page was there.
        if (serial.after >= 0) for (const sc of d.scans || []) routeScan(sc.code, performance.now());
        serial.after = Math.max(serial.after, d.last || 0);
      } catch (_) {
        // The next look tries again; the status badge says what is wrong.
      }
    }
    setTimeout(pollScans, SCANS_EVERY_MS);
  }

  let toastTimer = null;
  function toast(text) {
    const el = $("#scan-toast");
    el.textContent = text;
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(hideToast, 5000);
  }
  function hideToast() {
    $("#scan-toast").hidden = true;
  }

  // scanInput calls onScan with the text when a scan gun (a keyboard that
  // ends each scan with Enter or Tab) or a person finishes an entry.
  function scanInput(input, onScan) {
    input.addEventListener("keydown", (e) => {
      if (e.key !== "Enter" && e.key !== "Tab") return;
      const v = input.value.trim();
      if (e.key === "Tab" && !v) return;
      e.preventDefault();
      if (!v) return;
      input.value = "";
      onScan(v);
    });
  }

  // confirmDialog asks a yes/no question with big buttons.
  function confirmDialog(text) {
    return new Promise((resolve) => {
      const modal = $("#modal");
      $("#modal-text").textContent = text;
      modal.hidden = false;
      const done = (yes) => {
        modal.hidden = true;
        $("#modal-ok").onclick = $("#modal-cancel").onclick = null;
        document.removeEventListener("keydown", onKey, true);
        resolve(yes);
        focusHome();
      };
      const onKey = (e) => {
        if (e.key === "Escape") { e.preventDefault(); done(false); }
      };
      $("#modal-ok").onclick = () => done(true);
      $("#modal-cancel").onclick = () => done(false);
      document.addEventListener("keydown", onKey, true);
      $("#modal-cancel").focus();
    });
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, code, message, args) {
      super(message);
      this.status = status;
      this.code = code;
      this.args = args || {};
    }
  }

  async function api(method, path, body) {
    const headers = { Accept: "application/json", "Accept-Language": lang === "en" ? "en" : "zh-CN" };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.Authorization = "Bearer " + token;
    const init = { method, headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(API + path, init);
    } catch (_) {
      localDown();
      throw new ApiError(0, "network", t("err.network"));
    }
    let data = null;
    try {
      data = await res.json();
    } catch (_) {
      data = null;
    }
    if (res.ok && method !== "GET") statusSoon();
    if (!res.ok) {
      const e = data && data.error;
      const err = new ApiError(res.status, e ? e.code : "http", e && e.message ? e.message : t("err.http", { status: res.status }), e && e.args);
      if (err.code === "unauthorized" && me) sessionEnded(err);
      throw err;
    }
    return data;
  }

  // apiURL fetches a picture the API serves (it needs the session) and
  // returns an address an <img> can show.
  async function apiImage(path) {
    const headers = {};
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.Authorization = "Bearer " + token;
    let res;
    try {
      res = await fetch(API + path, { headers, credentials: "same-origin" });
    } catch (_) {
      throw new ApiError(0, "network", t("err.network"));
    }
    if (!res.ok) {
      let e = null;
      try {
        e = (await res.json()).error;
      } catch (_) {
        e = null;
      }
      throw new ApiError(res.status, e ? e.code : "http", e && e.message ? e.message : t("err.http", { status: res.status }));
    }
    return URL.createObjectURL(await res.blob());
  }

  function showImage(img, url) {
    if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
    img.src = url;
    img.hidden = false;
  }

  // ---------------------------------------------------------------- reference data

  let carriers = []; // [{code, name, short}] in display order
  let problemReasons = [];

  async function loadCarriers() {
    if (carriers.length) return;
    const d = await api("GET", "/carriers");
    // The carrier objects may come with Go field names (Code, Name, Short).
    carriers = (d.carriers || []).map((c) => ({ code: c.code || c.Code, name: c.name || c.Name, short: c.short || c.Short }));
    problemReasons = d.problem_reasons || [];
    renderCarrierSelects();
    renderReasonChoices();
  }

  function carrierName(code) {
    if (!code) return "";
    if (hasKey("carrier." + code)) return t("carrier." + code);
    const c = carriers.find((c) => c.code === code);
    return c ? c.short : code;
  }

  function fillCarrierSelect(select, placeholderKey) {
    const keep = select.value;
    select.replaceChildren(h("option", { value: "" }, t(placeholderKey)),
      ...carriers.map((c) => h("option", { value: c.code }, carrierName(c.code))));
    select.value = keep;
  }
  function renderCarrierSelects() {
    fillCarrierSelect($("#inbound-carrier"), "inbound.carrier_auto");
    fillCarrierSelect($("#send-carrier"), "send.choose_carrier");
  }

  // Province codes; the value sent to the server is the Chinese name (the
  // tariff table's key), which is the zh-CN message of province.<code>.
  const PROVINCES = ["bj", "tj", "he", "sx", "nm", "ln", "jl", "hl", "sh", "js", "zj", "ah", "fj", "jx", "sd", "ha", "hb",
    "hn", "gd", "gx", "hi", "cq", "sc", "gz", "yn", "xz", "sn", "gs", "qh", "nx", "xj", "tw", "hk", "mo"];
  const provinceValue = (code) => MESSAGES["zh-CN"]["province." + code];

  function renderProvinces() {
    const sel = $("#send-province");
    const keep = sel.value;
    sel.replaceChildren(h("option", { value: "" }, t("send.choose_province")),
      ...PROVINCES.map((c) => h("option", { value: provinceValue(c) }, t("province." + c))));
    sel.value = keep;
  }

  // ---------------------------------------------------------------- status bar

  let status = null;
  let statusOK = null;

  let localDownSince = null; // when the local service stopped answering
  let deviceList = null; // GET /devices, when logged in

  async function refreshStatus() {
    try {
      status = await api("GET", "/status");
      statusOK = true;
      localDownSince = null;
    } catch (_) {
      statusOK = false;
      localDownSince = localDownSince || Date.now();
    }
    if (me && statusOK) {
      try {
        deviceList = (await api("GET", "/devices")).devices || [];
      } catch (_) {
        deviceList = null;
      }
    }
    renderStatus();
    renderBadges();
    if (currentTab === "home") renderHome(); // a vehicle coming, told by the county
    return status;
  }

  // pollStatus keeps the status, the badges and the devices fresh: every
  // half minute, and every few seconds while the local service is down
  // (cunyou-edge restarting), so the page is back as soon as it is.
  let pollTimer = null;
  async function pollStatus() {
    clearTimeout(pollTimer);
    await refreshStatus();
    clearTimeout(pollTimer);
    pollTimer = setTimeout(pollStatus, statusOK ? STATUS_EVERY_MS : RECONNECT_EVERY_MS);
  }

  // localDown is called when a request finds the local service gone: the
  // badge says so at once and the page looks again every few seconds.
  function localDown() {
    if (statusOK === false) return;
    statusOK = false;
    localDownSince = localDownSince || Date.now();
    renderStatus();
    renderBadges();
    clearTimeout(pollTimer);
    pollTimer = setTimeout(pollStatus, RECONNECT_EVERY_MS);
  }

  function deviceKind(kind) {
    return kind.startsWith("camera") ? "camera" : kind;
  }

  // renderBadges shows, in the top bar, the link to the county hub and
  // each device's state, green, amber or red.
  function renderBadges() {
    $("#badges").hidden = !me;
    if (!me) return;
    const sync = $("#badge-sync");
    const s = status && status.sync;
    let text;
    let cls;
    if (!statusOK) {
      text = t("badge.local_down", { since: fmtClock(localDownSince) });
      cls = "bad";
    } else if (!s || !s.enrolled) {
      text = t("badge.not_enrolled", { n: s ? s.backlog : status.outbox_ops });
      cls = "warn";
    } else if (s.last_error_code) {
      text = t("badge.offline", { since: s.last_success ? shortTime(s.last_success) : "—", n: s.backlog });
      cls = "bad";
    } else if (s.last_success) {
      text = t("badge.online", { n: s.backlog });
      cls = "good";
    } else {
      text = t("badge.never", { n: s.backlog });
      cls = "warn";
    }
    sync.textContent = text;
    sync.className = "badge sync " + cls;
    sync.dataset.state = cls;
    const stateClass = { ready: "good", starting: "warn" };
    $("#badge-devices").replaceChildren(...(deviceList || []).map((d) => h("span", {
      class: "badge device " + (stateClass[d.state] || "bad"), title: d.message, dataset: { device: d.name, state: d.state },
    }, t("devkind." + deviceKind(d.kind)))));
  }

  // statusSoon refreshes the status bar shortly after a change, so the
  // count of ops waiting to sync follows the work.
  let statusTimer = null;
  function statusSoon() {
    clearTimeout(statusTimer);
    statusTimer = setTimeout(refreshStatus, 1000);
  }

  // The sync line: ops waiting for the county hub, and when the last sync
  // was or why it fails.
  const SYNC_ERRORS = {
    network: "status.sync_err_network",
    timeout: "status.sync_err_timeout",
    unauthorized: "status.sync_err_unauthorized",
    busy: "status.sync_err_busy",
    local: "status.sync_err_local",
    pruned: "status.sync_err_pruned",
    watchdog: "status.sync_err_watchdog",
    diverged: "status.sync_err_diverged",
    clock_skew: "status.sync_err_clock_skew",
    unsupported_version: "status.sync_err_unsupported_version",
  };

  function shortTime(iso) {
    const d = new Date(iso);
    const pad = (n) => String(n).padStart(2, "0");
    const hm = pad(d.getHours()) + ":" + pad(d.getMinutes());
    return d.toDateString() === new Date().toDateString() ? hm : pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + hm;
  }

  function syncLine(st) {
    const s = st.sync;
    if (!s) return t("status.outbox", { n: st.outbox_ops });
    const n = s.backlog;
    let line;
    if (!s.enrolled) {
      line = t("status.sync_off", { n });
    } else if (s.last_error_code) {
      const key = SYNC_ERRORS[s.last_error_code];
      const reason = key ? t(key) : t("status.sync_err_other", { code: s.last_error_code });
      line = t("status.sync_failing", { n, reason });
    } else if (s.last_success) {
      line = t("status.sync_ok", { n, time: shortTime(s.last_success) });
    } else {
      line = t("status.sync_never", { n });
    }
    if (s.enrolled && Math.abs(s.skew_ms || 0) > 120000) {
      line += " · " + t("status.sync_skew", { min: Math.round(Math.abs(s.skew_ms) / 60000) });
    }
    return line;
  }

  function renderStatus() {
    $("#sb-node").textContent = status ? t("status.node", { node: status.node }) : "";
    $("#sb-today").textContent = status ? t("status.today", { date: status.today }) : "";
    const sync = $("#sb-outbox");
    sync.textContent = status ? syncLine(status) : "";
    sync.className = status && status.sync && status.sync.last_error_code ? "bad" : "";
    $("#sb-version").textContent = status ? t("status.version", { version: status.version }) : "";
    const conn = $("#sb-conn");
    conn.textContent = statusOK === null ? "" : statusOK ? t("status.ok") : t("status.offline");
    conn.className = statusOK ? "good" : "bad";
  }

  // ---------------------------------------------------------------- sign-in

  let me = null;

  function showScreen(name) {
    $("#screen-setup").hidden = name !== "setup";
    $("#screen-login").hidden = name !== "login";
    $("#app").hidden = name !== "app";
    $("#who").hidden = name !== "app";
    $("#logout").hidden = name !== "app";
  }

  function showLogin(msgText) {
    me = null;
    renderBadges();
    showScreen("login");
    const msg = $("#login-msg");
    if (msgText) showMsg(msg, "error", msgText);
    else hideMsg(msg);
    $("#login-secret").value = "";
    const user = $("#login-username");
    (user.value ? $("#login-secret") : user).focus();
  }

  function sessionEnded(err) {
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin(err.message);
  }

  function renderWho() {
    if (!me) return;
    $("#who-name").textContent = me.display_name || me.username;
    $("#who-role").textContent = t("role." + me.role);
  }

  async function enterApp(op) {
    me = op;
    renderWho();
    const centre = isCentre();
    for (const el of $$("[data-station-only]")) el.hidden = centre;
    for (const el of $$("[data-centre-only]")) el.hidden = !centre;
    for (const el of $$("[data-owner-only]")) el.hidden = me.role !== "owner" || centre;
    showScreen("app");
    refreshStatus();
    try {
      await loadCarriers();
    } catch (e) {
      showMsg($("#inbound-msg"), "error", e.message);
    }
    let tab = sessionStorage.getItem(TAB_KEY) || "";
    const button = tab && $(`#tabs [data-tab="${tab}"]`);
    if (!tabs[tab] || !button || button.hidden) tab = centre ? "centre" : "inbound";
    showTab(tab);
  }

  async function login(username, secret) {
    const sess = await api("POST", "/login", { username, secret });
    sessionStorage.setItem(TOKEN_KEY, sess.token);
    $("#login-secret").value = "";
    await enterApp(sess.operator);
  }

  // ---------------------------------------------------------------- auto-lock

  // After a while with no key, touch or click the page locks: the next
  // person needs a PIN. The session ends on the server; the screens keep
  // what was typed, under the login form. LOCK_KEY (seconds, in
  // localStorage) changes the wait.
  const LOCK_KEY = "cunyou.lock_after_s";
  const LOCK_AFTER_S = 10 * 60;
  let lastActive = Date.now();

  function lockAfterMs() {
    const s = parseInt(localStorage.getItem(LOCK_KEY), 10);
    return (s > 0 ? s : LOCK_AFTER_S) * 1000;
  }

  async function checkIdle() {
    if (me && $("#modal").hidden && Date.now() - lastActive > lockAfterMs()) {
      const user = me.username;
      try {
        await api("POST", "/logout", {});
      } catch (_) {
        // Locked either way: the token is dropped below.
      }
      sessionStorage.removeItem(TOKEN_KEY);
      $("#login-username").value = user;
      showLogin(t("login.locked"));
    }
  }

  function bindIdle() {
    for (const ev of ["keydown", "pointerdown", "touchstart"]) {
      window.addEventListener(ev, () => { lastActive = Date.now(); }, { capture: true, passive: true });
    }
    setInterval(checkIdle, 1000);
  }

  function bindAuth() {
    $("#login-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const msg = $("#login-msg");
      hideMsg(msg);
      const username = $("#login-username").value.trim();
      const secret = $("#login-secret").value;
      if (!username || !secret) {
        showMsg(msg, "warn", t("login.fill_in"));
        return;
      }
      try {
        await login(username, secret);
      } catch (err) {
        showMsg(msg, "error", err.message);
        $("#login-secret").value = "";
        $("#login-secret").focus();
      }
    });

    $("#setup-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const msg = $("#setup-msg");
      hideMsg(msg);
      const username = $("#setup-username").value.trim().toLowerCase();
      const secret = $("#setup-secret").value;
      if (secret !== $("#setup-secret2").value) {
        showMsg(msg, "error", t("setup.mismatch"));
        return;
      }
      try {
        await api("POST", "/setup", {
          username, display_name: $("#setup-display").value.trim(), role: "owner",
          secret_kind: $("#setup-kind").value, secret,
        });
        await login(username, secret);
        refreshStatus();
      } catch (err) {
        showMsg(msg, "error", err.message);
      }
    });

    $("#logout").addEventListener("click", async () => {
      try {
        await api("POST", "/logout", {});
      } catch (_) {
        // Logged out either way: the token is dropped below.
      }
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin();
    });
  }

  // ---------------------------------------------------------------- tabs

  const tabs = {}; // name -> {show(), home(), render()}
  let currentTab = null;

  function showTab(name) {
    currentTab = name;
    sessionStorage.setItem(TAB_KEY, name);
    for (const b of $$("#tabs button")) b.setAttribute("aria-selected", String(b.dataset.tab === name));
    for (const s of $$("main .tab")) s.hidden = s.id !== "tab-" + name;
    tabs[name].show();
    focusHome();
  }

  // focusHome puts the cursor back where the scan gun types, on the tabs
  // that have such a place.
  function focusHome() {
    if (!me || !$("#modal").hidden || !currentTab) return;
    const home = tabs[currentTab].home && tabs[currentTab].home();
    if (home && document.activeElement !== home) home.focus();
  }

  function bindTabs() {
    for (const b of $$("#tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
    // A click on anything that is not a text field returns the cursor to
    // the scan field, so the next scan never lands on a button.
    document.addEventListener("click", () => setTimeout(() => {
      if (!isTextEntry(document.activeElement)) focusHome();
    }, 0));
    window.addEventListener("focus", () => setTimeout(focusHome, 0));
    document.addEventListener("focusout", () => setTimeout(() => {
      if (!document.activeElement || document.activeElement === document.body) focusHome();
    }, 0));
    // Scan guns: a burst of keys anywhere on the page (before any field
    // sees the Enter that ends it).
    window.addEventListener("keydown", onWedgeKey, true);
  }

  // ---------------------------------------------------------------- 分拣 / 装车 the county centre

  // A centre (cunyou-edge with kind=centre) has its own screens: scan in
  // (the destination and trip in large type) and load onto a trip.
  const isCentre = () => !!status && status.kind === "centre";

  function detailsOf(pairs) {
    return pairs.filter(([, v]) => v).map(([k, v]) => h("div", {}, h("dt", {}, t(k)), h("dd", {}, v)));
  }

  const centre = { last: null };

  async function centreScan(waybill) {
    const msg = $("#centre-msg");
    hideMsg(msg);
    try {
      centre.last = await api("POST", "/centre/scan", { waybill });
      const d = centre.last.decision;
      sound(d.outcome === "unresolved" ? "error" : centre.last.repeat ? "repeat" : "new");
    } catch (e) {
      centre.last = null;
      showMsg(msg, "error", e.message);
      sound("error");
    }
    renderCentre();
  }

  function renderCentre() {
    const r = centre.last;
    const box = $("#centre-result");
    box.hidden = !r;
    if (!r) return;
    const d = r.decision;
    box.className = "result " + d.outcome + (r.repeat ? " repeat" : "");
    box.dataset.outcome = d.outcome;
    $("#centre-headline").textContent = r.headline ? r.headline.message : "";
    $("#centre-code").textContent = d.sort_code;
    $("#centre-notice").textContent = r.notice ? r.notice.message : "";
    $("#centre-details").replaceChildren(...detailsOf([
      ["centre.station", [d.station_name, d.village].filter(Boolean).join(" ")],
      ["centre.trip", d.line_name ? t("load.trip", { line: d.line_name, departure: d.departure }) : ""],
      ["centre.waybill", r.parcel.waybill],
    ]));
  }

  tabs.centre = {
    show() { renderCentre(); },
    home() { return $("#centre-scan"); },
    scan(code) {
      $("#centre-scan").value = "";
      centreScan(code);
    },
    render() { renderCentre(); },
  };

  const load = { trips: null, trip: null, last: null, manifest: null };

  // loadManifest fetches what of the chosen trip is still to load.
  async function loadManifest() {
    if (!load.trip) return;
    try {
      load.manifest = await api("GET", "/centre/trips/" + encodeURIComponent(load.trip));
    } catch (e) {
      load.manifest = null;
      showMsg($("#load-msg"), "error", e.message);
    }
    renderLoad();
  }

  async function loadTrips() {
    try {
      load.trips = (await api("GET", "/centre/trips")).trips || [];
    } catch (e) {
      showMsg($("#load-msg"), "error", e.message);
    }
    renderLoad();
  }

  function renderLoad() {
    const trips = (load.trips || []).filter((tr) => tr.state === "planned");
    const buttons = trips.map((tr) => h("button", {
      type: "button", class: "trip", "aria-pressed": String(tr.id === load.trip), dataset: { trip: tr.id },
      onclick: () => {
        load.trip = tr.id;
        load.last = null;
        load.manifest = null;
        hideMsg($("#load-msg"));
        renderLoad();
        loadManifest();
        $("#load-scan").focus();
      },
    }, h("b", {}, t("load.trip", { line: tr.line_name, departure: tr.departure })), h("span", {}, t("load.trip_load", { loaded: tr.loaded, waiting: tr.waiting }))));
    if (load.trips && !buttons.length) buttons.push(h("div", { class: "hint" }, t("load.no_trips")));
    $("#load-trips").replaceChildren(...buttons);
    const m = load.manifest;
    const waiting = (m && m.waiting) || [];
    $("#load-waiting-count").textContent = m ? t("common.count", { n: waiting.length }) : "";
    const rows = waiting.map((p) => h("tr", { dataset: { waybill: p.waybill } },
      h("td", { class: "code" }, p.sort_code || ""), h("td", { class: "mono" }, p.waybill), h("td", {}, p.station_name || p.station || "")));
    if (m && !rows.length) rows.push(h("tr", {}, h("td", { class: "empty", colSpan: 3 }, t("load.all_loaded"))));
    $("#load-waiting tbody").replaceChildren(...rows);
    $("#load-depart").hidden = !load.trip;
    const r = load.last;
    $("#load-result").hidden = !r;
    if (!r) return;
    $("#load-status").textContent = r.repeat ? t("load.repeat") : t("load.loaded", { line: r.trip.line_name, departure: r.trip.departure });
    $("#load-station").textContent = r.parcel.station_name || r.parcel.sort_code || "";
    $("#load-details").replaceChildren(...detailsOf([["load.count", String(r.trip.loaded)], ["load.waybill", r.parcel.waybill]]));
  }

  // departTrip records the chosen trip's departure after asking.
  async function departTrip() {
    const tr = (load.trips || []).find((x) => x.id === load.trip);
    if (!tr) return;
    const args = { line: tr.line_name, departure: tr.departure, loaded: tr.loaded, waiting: tr.waiting };
    if (!(await confirmDialog(t("load.depart_confirm", args)))) return;
    try {
      await api("POST", "/centre/trips/" + encodeURIComponent(tr.id) + "/depart", {});
      showMsg($("#load-msg"), "ok", t("load.departed", args));
      load.trip = null;
      load.last = null;
      load.manifest = null;
    } catch (e) {
      showMsg($("#load-msg"), "error", e.message);
    }
    loadTrips();
  }

  async function loadScan(waybill) {
    const msg = $("#load-msg");
    if (!load.trip) {
      showMsg(msg, "warn", t("load.choose_first"));
      sound("error");
      return;
    }
    hideMsg(msg);
    try {
      load.last = await api("POST", "/centre/load", { waybill, trip: load.trip });
      const i = (load.trips || []).findIndex((tr) => tr.id === load.trip);
      if (i >= 0) load.trips[i] = load.last.trip;
      sound(load.last.repeat ? "repeat" : "new");
      loadManifest();
    } catch (e) {
      load.last = null;
      showMsg(msg, "error", e.message);
      sound("error");
    }
    renderLoad();
  }

  tabs.load = {
    show() { loadTrips(); },
    home() { return load.trip ? $("#load-scan") : null; },
    scan(code) {
      $("#load-scan").value = "";
      loadScan(code);
    },
    render() { renderLoad(); },
  };

  const collect = { direction: "out", last: null };

  async function collectScan(waybill) {
    const msg = $("#collect-msg");
    hideMsg(msg);
    try {
      collect.last = await api("POST", "/centre/collect", { waybill, direction: collect.direction });
      sound(collect.last.repeat ? "repeat" : "new");
    } catch (e) {
      collect.last = null;
      showMsg(msg, "error", e.message);
      sound("error");
    }
    renderCollect();
  }

  function renderCollect() {
    for (const b of $$("#collect-direction button")) b.setAttribute("aria-pressed", String(b.dataset.direction === collect.direction));
    const r = collect.last;
    $("#collect-result").hidden = !r;
    if (!r) return;
    const p = r.parcel;
    $("#collect-status").textContent = r.repeat ? t("collect.repeat") : t("collect.done");
    $("#collect-carrier").textContent = carrierName(p.carrier) || p.carrier_name || "";
    $("#collect-details").replaceChildren(...detailsOf([
      ["collect.direction", p.direction === "return" ? t("collect.return") : t("collect.out")], ["collect.waybill", p.waybill]]));
  }

  tabs.collect = {
    show() { renderCollect(); },
    home() { return $("#collect-scan"); },
    scan(code) {
      $("#collect-scan").value = "";
      collectScan(code);
    },
    render() { renderCollect(); },
  };

  function bindCentre() {
    scanInput($("#centre-scan"), centreScan);
    scanInput($("#load-scan"), loadScan);
    $("#load-depart").addEventListener("click", departTrip);
    scanInput($("#collect-scan"), collectScan);
    for (const b of $$("#collect-direction button")) {
      b.addEventListener("click", () => {
        collect.direction = b.dataset.direction;
        renderCollect();
      });
    }
  }

  // ---------------------------------------------------------------- 首页 home

  const home = { day: null, overdue: null, problems: null };

  async function loadHome() {
    hideMsg($("#home-msg"));
    try {
      const [day, od, pr] = await Promise.all([api("GET", "/dayclose"), api("GET", "/overdue"), api("GET", "/problems")]);
      home.day = day;
      home.overdue = od.parcels || [];
      home.problems = (pr.parcels || []).length;
    } catch (e) {
      showMsg($("#home-msg"), "error", e.message);
    }
    renderHome();
  }

  function renderHome() {
    const d = home.day;
    const tot = (d && d.total) || {};
    const od = home.overdue || [];
    const counts = [
      ["in", tot.in, "inbound"], ["waiting", tot.on_shelf, "pickup"], ["out", tot.out, "pickup"],
      ["sent", tot.sent, "send"], ["problems", home.problems, "problems"], ["overdue", od.length, "overdue"],
    ];
    $("#home-counts").replaceChildren(...counts.map(([k, n, tab]) => h("button", {
      type: "button", class: "count-card" + ((k === "problems" || k === "overdue") && n ? " warn" : ""), dataset: { count: k },
      onclick: () => showTab(tab),
    }, h("span", { class: "n" }, d ? String(n || 0) : "…"), h("span", { class: "what" }, t("home." + k)))));
    const alerts = [];
    for (const dev of deviceList || []) {
      if (dev.state !== "ready") alerts.push(["bad", t("home.alert_device", { device: t("devkind." + deviceKind(dev.kind)), message: dev.message })]);
    }
    if (status && status.sync && status.sync.enrolled && status.sync.last_error_code) alerts.push(["warn", t("home.alert_sync")]);
    const returnNow = od.filter((p) => p.return_now).length;
    if (returnNow) alerts.push(["warn", t("home.alert_return", { n: returnNow })]);
    if (od.length - returnNow) alerts.push(["info", t("home.alert_remind", { n: od.length - returnNow })]);
    if (home.problems) alerts.push(["info", t("home.alert_problems", { n: home.problems })]);
    if (d && d.mismatch) alerts.push(["warn", t("home.alert_mismatch", { diff: d.mismatch })]);
    const missing = (d && d.stocktake_missing) || [];
    if (missing.length) alerts.push(["warn", t("home.alert_missing", { n: missing.length })]);
    for (const a of (status && status.approaching) || []) {
      const min = Math.round((new Date(a.eta).getTime() - Date.now()) / 60000);
      alerts.unshift(["near", min > 0
        ? t("home.alert_near", { vehicle: a.vehicle, line: a.line || a.trip, min, n: a.parcels })
        : t("home.alert_near_due", { vehicle: a.vehicle, line: a.line || a.trip, n: a.parcels })]);
    }
    const items = alerts.map(([cls, text]) => h("li", { class: "alert " + cls }, text));
    if (!items.length && d) items.push(h("li", { class: "alert ok" }, t("home.no_alerts")));
    $("#home-alerts").replaceChildren(...items);
  }

  tabs.home = {
    show() { loadHome(); },
    home() { return null; },
    render() { renderHome(); },
  };

  // ---------------------------------------------------------------- 入库 inbound

  const inbound = {
    batch: false,
    queue: [], // batch items: {waybill, state: queued|ok|repeat|error, result, error}
    pending: null, // {waybill, item} awaiting the receiver's phone
    session: [],
    last: null, // the last result shown
    bag: { new: 0, repeat: 0, error: 0, undone: 0 }, // this bag's scans, until the next bag
    sticker: null, // the last result's print job
    undoable: null, // the waybill of the last new scan shown, which the undo button undoes
    chain: Promise.resolve(),
  };

  function sessionKey() { return "cunyou.inbound." + (status ? status.today : ""); }
  function loadSession() {
    try {
      inbound.session = JSON.parse(sessionStorage.getItem(sessionKey()) || "[]");
    } catch (_) {
      inbound.session = [];
    }
  }
  function addSession(entry) {
    inbound.session.unshift({ at: Date.now(), ...entry });
    inbound.session.length = Math.min(inbound.session.length, 500);
    try {
      sessionStorage.setItem(sessionKey(), JSON.stringify(inbound.session));
    } catch (_) {
      // Storage full: the list lives on in memory.
    }
    renderSession();
  }
  function sessionFromResult(res) {
    const p = res.parcel;
    return { waybill: p.waybill, code: p.code, carrier: p.carrier, phone: p.receiver_phone, kind: res.repeat ? "repeat" : "new" };
  }

  function renderSession() {
    const body = $("#inbound-session tbody");
    const rows = inbound.session.map((s) => {
      const cls = s.kind === "error" ? "row-error" : s.kind === "repeat" || s.kind === "undone" ? "row-repeat" : "row-ok";
      const result = s.kind === "error" ? s.message : s.kind === "repeat" ? t("inbound.repeat") : s.kind === "undone" ? t("inbound.undone_short") : t("inbound.done_short");
      return h("tr", { class: cls },
        h("td", {}, fmtClock(s.at)), h("td", { class: "mono" }, s.waybill), h("td", { class: "code" }, s.code || ""),
        h("td", {}, carrierName(s.carrier)), h("td", {}, s.phone || ""), h("td", { class: "wrap" }, result));
    });
    if (!rows.length) rows.push(h("tr", {}, h("td", { class: "empty", colSpan: 6 }, t("inbound.session_empty"))));
    body.replaceChildren(...rows);
    const newCount = inbound.session.filter((s) => s.kind === "new").length;
    $("#inbound-session-count").textContent = t("inbound.session_count", { n: newCount });
  }

  function renderInboundResult() {
    const box = $("#inbound-result");
    const res = inbound.last;
    if (!res || inbound.batch) {
      box.hidden = true;
      return;
    }
    const p = res.parcel;
    box.hidden = false;
    box.classList.toggle("repeat", !!res.repeat);
    box.classList.toggle("undone", !!res.undone);
    let statusText = res.undone ? t("inbound.undone") : res.repeat ? t("inbound.repeat") : t("inbound.done");
    if (p.status === "problem") statusText += " · " + t("inbound.is_problem");
    $("#inbound-undo-row").hidden = !!res.undone || inbound.undoable !== p.waybill;
    $("#inbound-result-status").textContent = statusText;
    $("#inbound-code").textContent = p.code;
    const pairs = [
      ["inbound.slot", slotText(p)],
      ["inbound.carrier", carrierName(p.carrier)],
      ["inbound.receiver", receiverText(p)],
      ["inbound.waybill", p.waybill],
    ];
    $("#inbound-result-details").replaceChildren(...pairs.map(([k, v]) => h("div", {}, h("dt", {}, t(k)), h("dd", {}, v))));
    renderSticker();
  }

  async function inboundOne(input, item, t0) {
    const msg = $("#inbound-msg");
    hideMsg(msg);
    try {
      const res = await api("POST", "/inbound", input);
      inbound.last = res;
      // The last new scan can be undone, from the button under its code.
      inbound.undoable = res.repeat ? null : res.parcel.waybill;
      if (item) {
        item.state = res.repeat ? "repeat" : "ok";
        item.result = res;
        item.error = null;
        renderBatch();
      }
      renderInboundResult();
      if (t0) perf.scanToCode.push(performance.now() - t0);
      addSession(sessionFromResult(res));
      sound(res.repeat ? "repeat" : "new");
      countBag(res.repeat ? "repeat" : "new");
      if (!res.repeat) followSticker(res.parcel.waybill);
      return true;
    } catch (e) {
      beep(false);
      if (e.code === "receiver_required" && !input.receiver_phone) {
        openReceiver(input.waybill, e.message, item);
        return false;
      }
      if (e.code === "network" && !input.receiver_phone && !item) {
        // Nothing is lost: the waybill waits in the scan field for Enter.
        const field = $("#inbound-scan");
        if (!field.value) field.value = input.waybill;
        showMsg(msg, "error", t("inbound.network_kept"));
        addSession({ waybill: input.waybill, kind: "error", message: e.message });
        countBag("error");
        return false;
      }
      showMsg(msg, "error", e.message);
      if (!input.receiver_phone) addSession({ waybill: input.waybill, kind: "error", message: e.message });
      countBag("error");
      return false;
    }
  }

  // undoLast undoes the last new scan shown (a wrong parcel scanned in):
  // the server records the undo as a new event and frees the slot and
  // the code; the parcel is to be put aside, its sticker torn off.
  async function undoLast() {
    const res = inbound.last;
    const msg = $("#inbound-msg");
    if (!res || res.undone || inbound.undoable !== res.parcel.waybill) return;
    const btn = $("#inbound-undo");
    btn.disabled = true;
    try {
      await api("POST", "/inbound/undo", { waybill: res.parcel.waybill });
      res.undone = true;
      inbound.undoable = null;
      inbound.sticker = null;
      const entry = inbound.session.find((s) => s.waybill === res.parcel.waybill && s.kind === "new");
      if (entry) {
        entry.kind = "undone";
        try {
          sessionStorage.setItem(sessionKey(), JSON.stringify(inbound.session));
        } catch (_) {
          // The list lives on in memory.
        }
      }
      renderSession();
      if (inbound.bag.new > 0) inbound.bag.new--;
      countBag("undone");
      showMsg(msg, "ok", t("inbound.undone_msg", { code: res.parcel.code, waybill: res.parcel.waybill }));
      sound("repeat");
    } catch (e) {
      showMsg(msg, "error", e.message);
      sound("error");
    }
    btn.disabled = false;
    renderInboundResult();
    $("#inbound-scan").focus();
  }

  function countBag(kind) {
    inbound.bag[kind]++;
    renderBag();
  }

  function renderBag() {
    const b = inbound.bag;
    $("#inbound-bag-new").textContent = t("inbound.bag_new", { n: b.new });
    $("#inbound-bag-repeat").textContent = t("inbound.bag_repeat", { n: b.repeat });
    $("#inbound-bag-error").textContent = t("inbound.bag_error", { n: b.error });
    $("#inbound-bag-undone").hidden = !b.undone;
    $("#inbound-bag-undone").textContent = t("inbound.bag_undone", { n: b.undone });
  }

  // followSticker shows whether the pickup sticker of a parcel just
  // shelved has printed, looking at the print queue for a few seconds.
  async function followSticker(waybill) {
    if (!(deviceList || []).some((d) => d.kind === "printer")) return;
    inbound.sticker = { waybill, job: null };
    renderSticker();
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, i ? 500 : 150));
      if (!inbound.sticker || inbound.sticker.waybill !== waybill) return;
      try {
        const jobs = (await api("GET", "/print-jobs?" + new URLSearchParams({ waybill, limit: "5" }))).jobs || [];
        inbound.sticker.job = jobs.reduce((a, j) => (!a || j.id > a.id ? j : a), null);
      } catch (_) {
        // The status shows what is known; the next look may answer.
      }
      renderSticker();
      const st = inbound.sticker.job && inbound.sticker.job.status;
      if (st === "printed" || st === "failed") return;
    }
  }

  function renderSticker() {
    const s = inbound.sticker;
    const box = $("#inbound-sticker");
    box.hidden = !s || !inbound.last || inbound.last.parcel.waybill !== s.waybill;
    if (box.hidden) return;
    const st = s.job ? s.job.status : "queued";
    box.className = "sticker " + st;
    box.dataset.status = st;
    $("#inbound-sticker-text").textContent = t(st === "printed" ? "inbound.sticker_printed" : st === "failed" ? "inbound.sticker_failed" : "inbound.sticker_queued");
    $("#inbound-sticker-reprint").hidden = !s.job || st === "queued";
  }

  async function reprintSticker() {
    const s = inbound.sticker;
    if (!s || !s.job) return;
    try {
      await api("POST", "/print-jobs/" + s.job.id + "/reprint", {});
      followSticker(s.waybill);
    } catch (e) {
      showMsg($("#inbound-msg"), "error", e.message);
    }
  }

  async function openReceiver(waybill, why, item) {
    inbound.pending = { waybill, item };
    inbound.last = null;
    renderInboundResult();
    showMsg($("#inbound-msg"), "warn", why);
    $("#inbound-receiver-waybill").textContent = waybill;
    $("#inbound-phone").value = "";
    $("#inbound-name").value = "";
    const sel = $("#inbound-carrier");
    sel.value = "";
    $("#inbound-receiver").hidden = false;
    $("#inbound-phone").focus();
    try {
      const d = await api("GET", "/waybills/" + encodeURIComponent(waybill));
      const hint = (d.carrier_hints || [])[0];
      if (hint && inbound.pending && inbound.pending.waybill === waybill && !sel.value) sel.value = hint.code;
    } catch (_) {
      // Without hints the operator chooses the carrier.
    }
  }

  function closeReceiver() {
    inbound.pending = null;
    $("#inbound-receiver").hidden = true;
    $("#inbound-scan").focus();
  }

  function onInboundScan(waybill, t0) {
    if (inbound.batch) {
      enqueue(waybill);
      return;
    }
    // Scans run one after another, in the order they came.
    inbound.chain = inbound.chain.then(() => inboundOne({ waybill }, null, t0)).catch((e) => console.error(e));
  }

  function enqueue(waybill) {
    const msg = $("#inbound-msg");
    if (inbound.queue.some((i) => i.waybill === waybill && i.state === "queued")) {
      showMsg(msg, "warn", t("inbound.batch_dup", { waybill }));
      beep(false);
      return;
    }
    hideMsg(msg);
    inbound.queue.push({ waybill, state: "queued" });
    renderBatch();
    beep(true);
  }

  function renderBatch() {
    $("#inbound-batch").hidden = !inbound.batch;
    const queued = inbound.queue.filter((i) => i.state === "queued").length;
    $("#inbound-batch-count").textContent = t("inbound.batch_count", { n: queued, total: inbound.queue.length });
    const send = $("#inbound-batch-send");
    send.textContent = t("inbound.batch_send", { n: queued });
    send.disabled = queued === 0;
    const rows = inbound.queue.map((it, i) => {
      let cls = "";
      let result;
      let code = "";
      if (it.state === "queued") result = t("inbound.batch_queued");
      else if (it.state === "error") {
        cls = "row-error";
        result = [it.error.message];
        if (it.error.code === "receiver_required") {
          result.push(" ", h("button", { type: "button", class: "btn small", onclick: () => openReceiver(it.waybill, it.error.message, it) }, t("inbound.batch_fill")));
        }
      } else {
        cls = it.state === "repeat" ? "row-repeat" : "row-ok";
        code = it.result.parcel.code;
        result = (it.state === "repeat" ? t("inbound.repeat") : t("inbound.done_short")) + " · " + slotText(it.result.parcel);
      }
      return h("tr", { class: cls }, h("td", {}, String(i + 1)), h("td", { class: "mono" }, it.waybill), h("td", { class: "code" }, code), h("td", { class: "wrap" }, result));
    });
    if (!rows.length) rows.push(h("tr", {}, h("td", { class: "empty", colSpan: 4 }, t("inbound.batch_empty"))));
    $("#inbound-batch-table tbody").replaceChildren(...rows);
  }

  async function sendBatch() {
    const msg = $("#inbound-msg");
    const items = inbound.queue.filter((i) => i.state === "queued");
    if (!items.length) return;
    const send = $("#inbound-batch-send");
    send.disabled = true;
    let ok = 0;
    let failed = 0;
    try {
      for (let i = 0; i < items.length; i += 500) {
        const chunk = items.slice(i, i + 500);
        const d = await api("POST", "/inbound/batch", { items: chunk.map((it) => ({ waybill: it.waybill })) });
        d.items.forEach((r, j) => {
          const it = chunk[j];
          if (r.result) {
            it.state = r.result.repeat ? "repeat" : "ok";
            it.result = r.result;
            addSession(sessionFromResult(r.result));
            countBag(r.result.repeat ? "repeat" : "new");
            ok++;
          } else {
            it.state = "error";
            it.error = r.error;
            addSession({ waybill: it.waybill, kind: "error", message: r.error.message });
            countBag("error");
            failed++;
          }
        });
      }
      showMsg(msg, failed ? "warn" : "ok", t("inbound.batch_summary", { ok, failed }));
      beep(!failed);
    } catch (e) {
      showMsg(msg, "error", e.message);
      beep(false);
    }
    renderBatch();
  }

  tabs.inbound = {
    show() {
      renderBag();
      renderSession();
      renderBatch();
      renderInboundResult();
    },
    home() { return $("#inbound-receiver").hidden ? $("#inbound-scan") : null; },
    scan(code, t0) {
      if (inbound.pending) {
        // The receiver form is open: its phone comes first.
        showMsg($("#inbound-msg"), "warn", t("scan.finish_receiver", { waybill: inbound.pending.waybill }));
        sound("error");
        return;
      }
      onInboundScan(code, t0);
    },
    render() {
      renderBag();
      renderSession();
      renderBatch();
      renderInboundResult();
      renderSticker();
    },
  };

  function bindInbound() {
    scanInput($("#inbound-scan"), onInboundScan);
    $("#inbound-receiver").addEventListener("submit", async (e) => {
      e.preventDefault();
      const p = inbound.pending;
      if (!p) return;
      const phone = $("#inbound-phone").value.trim();
      if (!phone) {
        showMsg($("#inbound-msg"), "warn", t("inbound.phone_needed"));
        $("#inbound-phone").focus();
        return;
      }
      const input = { waybill: p.waybill, receiver_phone: phone };
      const name = $("#inbound-name").value.trim();
      if (name) input.receiver_name = name;
      if ($("#inbound-carrier").value) input.carrier = $("#inbound-carrier").value;
      const btn = $("#inbound-receiver-submit");
      btn.disabled = true;
      const ok = await inboundOne(input, p.item);
      btn.disabled = false;
      if (ok) closeReceiver();
      else $("#inbound-phone").focus();
    });
    $("#inbound-receiver-cancel").addEventListener("click", () => {
      hideMsg($("#inbound-msg"));
      closeReceiver();
    });
    $("#inbound-receiver").addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        hideMsg($("#inbound-msg"));
        closeReceiver();
      }
    });
    $("#inbound-batch-toggle").addEventListener("click", () => {
      inbound.batch = !inbound.batch;
      $("#inbound-batch-toggle").setAttribute("aria-pressed", String(inbound.batch));
      hideMsg($("#inbound-msg"));
      if (inbound.batch) showMsg($("#inbound-msg"), "info", t("inbound.batch_on"));
      renderBatch();
      renderInboundResult();
    });
    $("#inbound-batch-send").addEventListener("click", sendBatch);
    $("#inbound-sticker-reprint").addEventListener("click", reprintSticker);
    $("#inbound-undo").addEventListener("click", undoLast);
    $("#inbound-bag-next").addEventListener("click", () => {
      inbound.bag = { new: 0, repeat: 0, error: 0, undone: 0 };
      renderBag();
    });
    $("#inbound-batch-clear").addEventListener("click", () => {
      inbound.queue = inbound.queue.filter((i) => i.state === "queued" || (i.state === "error" && i.error.code === "receiver_required"));
      renderBatch();
    });
  }

  // ---------------------------------------------------------------- 取件 pickup

  // card: the collector's card read on the reader (masked), when used: a
  // proxy's, or the receiver's own where the station's rule asks for it.
  const pickup = { data: null, selected: new Set(), kind: "receiver", card: null };

  // idNeed says why this pickup needs the collector's ID card read, by the
  // station's rule (the server keeps it too): "proxy", "value" or "".
  function idNeed() {
    const pol = (pickup.data && pickup.data.id_policy) || {};
    if (pickup.kind === "proxy" && pol.proxy) return "proxy";
    let value = false;
    let receivers = 0;
    for (const r of (pickup.data && pickup.data.receivers) || []) {
      let mine = false;
      for (const p of r.parcels) {
        if (!pickup.selected.has(p.waybill)) continue;
        mine = true;
        if (p.high_value) value = true;
      }
      if (mine) receivers++;
    }
    // Parcels of several receivers: whoever takes them is a proxy for
    // the others (the server says so too).
    if (receivers > 1 && pol.proxy) return "proxy";
    return value ? "value" : "";
  }

  function renderPickupCard() {
    const proxy = pickup.kind === "proxy";
    const reader = (deviceList || []).some((d) => d.kind === "idcard");
    const need = idNeed();
    $("#pickup-proxy-card-row").hidden = !reader || !(proxy || need);
    // Several receivers' parcels are a proxy's, whatever the kind chosen.
    $("#pickup-read-card").textContent = t(proxy || need === "proxy" ? "pickup.read_card" : "pickup.read_card_self");
    const c = pickup.card;
    $("#pickup-card").hidden = !c;
    // A proxy's name comes from the card; with the rule on, a typed ID
    // number would not do.
    $("#pickup-proxy-name-box").hidden = !!c || need === "proxy";
    $("#pickup-proxy-id-box").hidden = !!c || need === "proxy";
    if (c) $("#pickup-card-text").textContent = t(proxy ? "pickup.card" : "pickup.card_self", { name: c.name, number: c.number });
    const box = $("#pickup-id-need");
    box.hidden = !need || !!c;
    if (!box.hidden) {
      const pol = pickup.data.id_policy || {};
      box.textContent = (need === "proxy" ? t("pickup.id_need_proxy") : t("pickup.id_need_value", { yuan: pol.value_yuan })) +
        (reader ? "" : " " + t("pickup.id_no_reader"));
    }
  }

  async function readProxyCard() {
    const msg = $("#pickup-msg");
    hideMsg(msg);
    try {
      const c = await api("GET", "/devices/idcard");
      if (!c.present) {
        showMsg(msg, "warn", t("pickup.card_none"));
        sound("error");
        return;
      }
      pickup.card = c;
      sound("new");
      if (pickup.kind === "proxy") $("#pickup-proxy-phone").focus();
    } catch (e) {
      showMsg(msg, "error", e.message);
      sound("error");
    }
    renderPickupConfirm();
  }

  async function searchPickup(q) {
    const results = $("#pickup-results");
    const msg = $("#pickup-msg");
    results.dataset.state = "loading";
    hideMsg(msg);
    $("#pickup-proof").hidden = true;
    pickup.data = null;
    pickup.selected.clear();
    try {
      pickup.data = await api("GET", "/pickup?q=" + encodeURIComponent(q));
      const rs = pickup.data.receivers || [];
      // One receiver: everything is theirs, all ticked. Several (a phone
      // tail shared by neighbours): the operator ticks the right ones.
      if (rs.length === 1) for (const p of rs[0].parcels) pickup.selected.add(p.waybill);
      beep(rs.length > 0);
    } catch (e) {
      showMsg(msg, "error", e.message);
      beep(false);
    }
    setCollector("receiver");
    renderPickup();
    results.dataset.state = "done";
  }

  function parcelMeta(p) {
    return h("span", { class: "meta" },
      h("span", {}, t("pickup.slot"), " ", h("b", {}, slotText(p))),
      h("span", {}, carrierName(p.carrier)),
      h("span", { class: "mono" }, p.waybill),
      h("span", {}, t("pickup.in_at", { when: fmtTime(p.in_at) })));
  }

  function renderPickup() {
    const results = $("#pickup-results");
    const d = pickup.data;
    const parts = [];
    const receivers = (d && d.receivers) || [];
    const problems = (d && d.problems) || [];
    if (d && receivers.length > 1) parts.push(h("div", { class: "msg msg-warn" }, t("pickup.several", { n: receivers.length })));
    for (const r of receivers) {
      const all = r.parcels.every((p) => pickup.selected.has(p.waybill));
      const head = h("div", { class: "receiver-head" },
        h("span", {}, r.name || t("pickup.no_name")), h("span", {}, r.phone),
        h("span", { class: "count" }, t("pickup.count", { n: r.parcels.length })),
        h("button", {
          type: "button", class: "btn small",
          onclick: () => {
            for (const p of r.parcels) all ? pickup.selected.delete(p.waybill) : pickup.selected.add(p.waybill);
            renderPickup();
          },
        }, all ? t("pickup.select_none") : t("pickup.select_all")));
      const rows = r.parcels.map((p) => h("label", { class: "parcel-row parcel", dataset: { waybill: p.waybill } },
        h("input", {
          type: "checkbox", class: "pick", checked: pickup.selected.has(p.waybill), dataset: { waybill: p.waybill },
          onchange: (e) => {
            e.target.checked ? pickup.selected.add(p.waybill) : pickup.selected.delete(p.waybill);
            renderPickupConfirm();
          },
        }),
        h("span", { class: "code" }, p.code),
        p.high_value ? h("span", { class: "badge-value" }, t("pickup.high_value", { yuan: Math.floor(p.value_fen / 100) })) : "",
        parcelMeta(p)));
      parts.push(h("div", { class: "receiver" }, head, ...rows));
    }
    if (problems.length) {
      parts.push(h("div", { class: "problems", id: "pickup-problems" },
        h("h3", {}, t("pickup.problems_title", { n: problems.length })),
        ...problems.map((p) => h("div", { class: "parcel-row problem", dataset: { waybill: p.waybill } },
          h("span", { class: "code" }, p.code), h("b", {}, reasonName(p.problem)), parcelMeta(p)))));
    }
    if (d && !receivers.length) {
      parts.push(h("div", { class: "msg msg-warn", id: "pickup-empty" }, t("pickup.none_found", { q: d.query })));
    }
    results.replaceChildren(...parts);
    $("#pickup-collector").hidden = !receivers.length;
    renderPickupConfirm();
  }

  function renderPickupConfirm() {
    const n = pickup.selected.size;
    const b = $("#pickup-confirm");
    b.textContent = t("pickup.confirm", { n });
    // Where the rule asks for the card, the hand-out waits for it.
    b.disabled = n === 0 || (!!idNeed() && !pickup.card);
    renderPickupCard();
  }

  function setCollector(kind) {
    pickup.kind = kind;
    for (const b of $$("#pickup-kind button")) b.setAttribute("aria-pressed", String(b.dataset.kind === kind));
    $("#pickup-proxy").hidden = kind !== "proxy";
    // A card read is one person's: another collector needs their own.
    pickup.card = null;
    if (kind !== "proxy") {
      for (const id of ["#pickup-proxy-name", "#pickup-proxy-phone", "#pickup-proxy-id"]) $(id).value = "";
    }
    renderPickupConfirm();
  }

  async function confirmPickup() {
    const msg = $("#pickup-msg");
    const waybills = [...pickup.selected];
    if (!waybills.length) {
      showMsg(msg, "warn", t("pickup.none_selected"));
      return;
    }
    const collector = { kind: pickup.kind };
    // The server takes the name and number from the card on the reader.
    const idSource = pickup.card ? "reader" : "";
    if (pickup.kind === "proxy") {
      collector.phone = $("#pickup-proxy-phone").value.trim();
      if (!pickup.card) {
        collector.name = $("#pickup-proxy-name").value.trim();
        const id = $("#pickup-proxy-id").value.trim();
        if (id) collector.id_number = id;
      }
    }
    const codes = [];
    for (const r of (pickup.data && pickup.data.receivers) || []) {
      for (const p of r.parcels) if (pickup.selected.has(p.waybill)) codes.push(p.code);
    }
    const btn = $("#pickup-confirm");
    btn.disabled = true;
    // With a camera, the proof photo is taken as the parcels are handed
    // out: no touch more.
    const hasCamera = (deviceList || []).some((d) => deviceKind(d.kind) === "camera" && d.state === "ready");
    let photo = null;
    if (hasCamera) {
      try {
        photo = await api("POST", "/devices/camera/snapshot", {});
      } catch (_) {
        photo = null;
      }
    }
    $("#pickup-proof").hidden = true;
    try {
      const body = { waybills, collector };
      if (photo) body.photo_sha256 = photo.sha256;
      if (idSource) body.id_source = idSource;
      const d = await api("POST", "/pickup", body);
      showMsg(msg, "ok", t("pickup.done", { n: d.parcels.length, codes: codes.join(t("list.sep")) }));
      beep(true);
      if (hasCamera) showProof(photo);
      pickup.data = null;
      pickup.selected.clear();
      setCollector("receiver");
      renderPickup();
      $("#pickup-results").dataset.state = "idle";
      $("#pickup-q").focus();
    } catch (e) {
      showMsg(msg, "error", e.message);
      beep(false);
      renderPickupConfirm();
    }
  }

  async function showProof(photo) {
    const box = $("#pickup-proof");
    box.hidden = false;
    box.className = "proof " + (photo ? "ok" : "warn");
    $("#pickup-proof-text").textContent = photo ? t("pickup.photo_taken") : t("pickup.photo_failed");
    const img = $("#pickup-photo");
    img.hidden = true;
    if (!photo) return;
    try {
      showImage(img, await apiImage("/photos/" + photo.sha256));
    } catch (_) {
      // The photo is kept at the station; only its thumbnail is missing.
    }
  }

  tabs.pickup = {
    show() { renderPickup(); },
    home() { return pickup.kind === "proxy" ? null : $("#pickup-q"); },
    scan(code) {
      $("#pickup-q").value = "";
      searchPickup(code);
    },
    render() { renderPickup(); },
  };

  function bindPickup() {
    scanInput($("#pickup-q"), searchPickup);
    $("#pickup-search").addEventListener("click", () => {
      const q = $("#pickup-q").value.trim();
      if (q) {
        $("#pickup-q").value = "";
        searchPickup(q);
      }
    });
    for (const b of $$("#pickup-kind button")) {
      b.addEventListener("click", () => {
        setCollector(b.dataset.kind);
        if (b.dataset.kind === "proxy") $("#pickup-proxy-name").focus();
      });
    }
    $("#pickup-read-card").addEventListener("click", readProxyCard);
    $("#pickup-card-clear").addEventListener("click", () => {
      pickup.card = null;
      renderPickupConfirm();
      if (pickup.kind === "proxy") $("#pickup-proxy-name").focus();
    });
    $("#pickup-collector").addEventListener("submit", (e) => {
      e.preventDefault();
      confirmPickup();
    });
    $("#pickup-cancel").addEventListener("click", () => {
      pickup.data = null;
      pickup.selected.clear();
      setCollector("receiver");
      hideMsg($("#pickup-msg"));
      renderPickup();
      $("#pickup-results").dataset.state = "idle";
    });
  }

  // ---------------------------------------------------------------- 寄件 send

  let quoteTimer = null;
  let quoteSeq = 0;

  function renderWeightKg() {
    const g = parseInt($("#send-weight").value, 10);
    $("#send-weight-kg").textContent = g > 0 ? t("send.weight_kg", { kg: (g / 1000).toFixed(2) }) : "";
  }

  function scheduleQuote() {
    renderWeightKg();
    clearTimeout(quoteTimer);
    quoteTimer = setTimeout(() => {
      quote();
      quoteAll();
    }, 250);
  }

  // quoteAll shows every carrier's price for the province and weight side
  // by side; a tap chooses the carrier. Carriers without a tariff there
  // are left out.
  let pricesSeq = 0;
  async function quoteAll() {
    const box = $("#send-prices");
    const province = $("#send-province").value;
    const grams = parseInt($("#send-weight").value, 10);
    const seq = ++pricesSeq;
    if (!province || !(grams > 0) || !carriers.length) {
      box.hidden = true;
      return;
    }
    const got = await Promise.all(carriers.map(async (c) => {
      try {
        const d = await api("GET", "/quote?" + new URLSearchParams({ carrier: c.code, province, weight_g: String(grams) }));
        return { code: c.code, fen: d.price_fen };
      } catch (_) {
        return null;
      }
    }));
    if (seq !== pricesSeq) return;
    const prices = got.filter(Boolean).sort((a, b) => a.fen - b.fen);
    box.hidden = !prices.length;
    const chosen = $("#send-carrier").value;
    box.replaceChildren(h("span", { class: "label" }, t("send.prices_title")), ...prices.map((p) => h("button", {
      type: "button", class: "price-choice", "aria-pressed": String(p.code === chosen), dataset: { carrier: p.code },
      onclick: () => {
        $("#send-carrier").value = p.code;
        scheduleQuote();
      },
    }, h("b", {}, carrierName(p.code)), " ", money(p.fen))));
  }

  async function quote() {
    const el = $("#send-price");
    const carrier = $("#send-carrier").value;
    const province = $("#send-province").value;
    const grams = parseInt($("#send-weight").value, 10);
    const seq = ++quoteSeq;
    el.className = "price";
    if (!carrier || !province || !(grams > 0)) {
      el.className = "price pending";
      el.textContent = t("send.price_pending");
      return;
    }
    try {
      const q = new URLSearchParams({ carrier, province, weight_g: String(grams) });
      const d = await api("GET", "/quote?" + q);
      if (seq !== quoteSeq) return;
      el.textContent = t("send.price", { price: money(d.price_fen) });
    } catch (e) {
      if (seq !== quoteSeq) return;
      el.className = "price error";
      el.textContent = e.message;
    }
  }

  // card: the sender's card read on the reader (masked), when used.
  const send = { last: null, card: null };

  function renderSendCard() {
    const c = send.card;
    $("#send-card").hidden = !c;
    $("#send-sender-name-box").hidden = !!c;
    $("#send-sender-id-box").hidden = !!c;
    if (c) $("#send-card-text").textContent = t("send.card", { name: c.name, number: c.number });
  }

  async function readSenderCard() {
    const msg = $("#send-msg");
    hideMsg(msg);
    try {
      const c = await api("GET", "/devices/idcard");
      if (!c.present || c.expired) {
        showMsg(msg, "warn", c.present ? t("send.card_expired") : t("send.card_none"));
        sound("error");
        return;
      }
      send.card = c;
      sound("new");
      $("#send-sender-phone").focus();
    } catch (e) {
      showMsg(msg, "error", e.message);
      sound("error");
    }
    renderSendCard();
  }

  function labelQuery(p) {
    return new URLSearchParams({ kind: "waybill", carrier: p.carrier, waybill: p.waybill, date: fmtDay(p.in_at || new Date().toISOString()) });
  }

  // printSendLabel prints the waybill label of the parcel just accepted.
  async function printSendLabel() {
    const p = send.last;
    const msg = $("#send-print-msg");
    if (!p) return;
    try {
      await api("POST", "/labels/print?" + labelQuery(p));
      showMsg(msg, "ok", t("send.printed"));
    } catch (e) {
      showMsg(msg, "warn", e.code === "device_none" ? t("send.no_printer") : e.message);
    }
  }

  async function showSendLabel() {
    const p = send.last;
    try {
      showImage($("#send-label"), await apiImage("/labels/preview.png?" + labelQuery(p)));
    } catch (e) {
      showMsg($("#send-print-msg"), "warn", e.message);
    }
  }

  function renderSendResult() {
    const p = send.last;
    $("#send-result").hidden = !p;
    $("#send-form").hidden = !!p;
    if (!p) return;
    $("#send-result-waybill").textContent = p.waybill;
    const pairs = [
      ["send.result_price", money(p.price_fen)],
      ["send.result_carrier", carrierName(p.carrier)],
      ["send.result_weight", t("send.grams", { g: p.weight_g })],
      ["send.result_receiver", receiverText(p)],
      ["send.result_time", fmtTime(p.in_at)],
      ["send.result_station", status ? status.node : ""],
    ];
    $("#send-result-details").replaceChildren(...pairs.map(([k, v]) => h("div", {}, h("dt", {}, t(k)), h("dd", {}, v))));
  }

  function resetSend() {
    for (const id of ["#send-weight", "#send-waybill", "#send-sender-name", "#send-sender-phone", "#send-sender-id",
      "#send-receiver-name", "#send-receiver-phone", "#send-address"]) $(id).value = "";
    send.last = null;
    send.card = null;
    renderSendCard();
    hideMsg($("#send-print-msg"));
    $("#send-label").hidden = true;
    hideMsg($("#send-msg"));
    renderSendResult();
    scheduleQuote();
    $("#send-sender-name").focus();
  }

  async function submitSend() {
    const msg = $("#send-msg");
    hideMsg(msg);
    const v = (id) => $(id).value.trim();
    const body = {
      carrier: v("#send-carrier"),
      sender: { name: v("#send-sender-name"), phone: v("#send-sender-phone"), id_number: v("#send-sender-id") },
      receiver: { name: v("#send-receiver-name"), phone: v("#send-receiver-phone"), province: v("#send-province"), address: v("#send-address") },
      weight_g: parseInt(v("#send-weight"), 10) || 0,
    };
    if (v("#send-waybill")) body.waybill = v("#send-waybill");
    if (send.card) {
      // The server takes the name and number from the card on the reader.
      body.id_source = "reader";
      body.sender = { phone: body.sender.phone };
    }
    const btn = $("#send-submit");
    btn.disabled = true;
    try {
      send.last = await api("POST", "/send", body);
      renderSendResult();
      beep(true);
      showSendLabel();
      printSendLabel();
    } catch (e) {
      showMsg(msg, "error", e.message);
      beep(false);
    }
    btn.disabled = false;
  }

  tabs.send = {
    scan(code) {
      // The waybill of a pre-printed label, scanned wherever the focus is.
      if (send.last) return sound("error");
      $("#send-waybill").value = code;
      sound("new");
    },
    show() {
      renderSendResult();
      scheduleQuote();
    },
    home() { return null; },
    render() {
      renderProvinces();
      renderSendResult();
      scheduleQuote();
    },
  };

  function bindSend() {
    for (const id of ["#send-carrier", "#send-province", "#send-weight"]) {
      $(id).addEventListener("input", scheduleQuote);
      $(id).addEventListener("change", scheduleQuote);
    }
    $("#send-form").addEventListener("submit", (e) => {
      e.preventDefault();
      submitSend();
    });
    $("#send-again").addEventListener("click", resetSend);
    $("#send-read-card").addEventListener("click", readSenderCard);
    $("#send-card-clear").addEventListener("click", () => {
      send.card = null;
      renderSendCard();
      $("#send-sender-name").focus();
    });
    $("#send-print").addEventListener("click", printSendLabel);
    // The receipt is the result as printed (the print style leaves out
    // the bars and buttons).
    $("#send-receipt").addEventListener("click", () => window.print());
  }

  // ---------------------------------------------------------------- 问题件 problems

  const problems = { reason: "", list: null };

  function reasonName(code) {
    if (!code) return "";
    return hasKey("reason." + code) ? t("reason." + code) : code;
  }

  function renderReasonChoices() {
    const box = $("#problem-reasons");
    box.replaceChildren(...problemReasons.map((r) => h("button", {
      type: "button", "aria-pressed": String(r === problems.reason), dataset: { reason: r },
      onclick: () => {
        problems.reason = r;
        renderReasonChoices();
        if (r === "other") $("#problem-text").focus();
      },
    }, reasonName(r))));
  }

  async function loadProblems() {
    try {
      const d = await api("GET", "/problems");
      problems.list = d.parcels || [];
    } catch (e) {
      showMsg($("#problem-msg"), "error", e.message);
    }
    renderProblems();
  }

  function renderProblems() {
    const list = problems.list || [];
    $("#problem-count").textContent = problems.list ? t("common.count", { n: list.length }) : "";
    const rows = list.map((p) => h("tr", {},
      h("td", { class: "code" }, p.code || ""), h("td", { class: "mono" }, p.waybill), h("td", {}, carrierName(p.carrier)),
      h("td", {}, receiverText(p)), h("td", {}, reasonName(p.problem)),
      h("td", {}, fmtTime(p.in_at)),
      h("td", {}, p.direction === "in" ? h("button", { type: "button", class: "btn small", onclick: () => returnProblem(p) }, t("problems.return")) : "")));
    if (!rows.length) rows.push(h("tr", {}, h("td", { class: "empty", colSpan: 7 }, t("problems.none"))));
    $("#problem-list tbody").replaceChildren(...rows);
  }

  async function returnProblem(p) {
    if (!(await confirmDialog(t("problems.return_confirm", { waybill: p.waybill, code: p.code || "" })))) return;
    try {
      await api("POST", "/returns", { waybills: [p.waybill], reason: p.problem });
      showMsg($("#problem-msg"), "ok", t("problems.returned", { waybill: p.waybill }));
    } catch (e) {
      showMsg($("#problem-msg"), "error", e.message);
    }
    loadProblems();
  }

  async function submitProblem() {
    const msg = $("#problem-msg");
    hideMsg(msg);
    const waybill = $("#problem-waybill").value.trim();
    if (!waybill) {
      showMsg(msg, "warn", t("problems.waybill_needed"));
      $("#problem-waybill").focus();
      return;
    }
    if (!problems.reason) {
      showMsg(msg, "warn", t("problems.reason_needed"));
      return;
    }
    try {
      const p = await api("POST", "/problems", { waybill, reason: problems.reason, text: $("#problem-text").value.trim() });
      showMsg(msg, "ok", t("problems.marked", { waybill: p.waybill, reason: reasonName(p.problem) }));
      beep(true);
      $("#problem-waybill").value = "";
      $("#problem-text").value = "";
      problems.reason = "";
      renderReasonChoices();
      loadProblems();
    } catch (e) {
      showMsg(msg, "error", e.message);
      beep(false);
    }
    $("#problem-waybill").focus();
  }

  tabs.problems = {
    scan(code) {
      $("#problem-waybill").value = code;
      sound("new");
    },
    show() {
      renderReasonChoices();
      loadProblems();
    },
    home() { return $("#problem-waybill").value ? null : $("#problem-waybill"); },
    render() {
      renderReasonChoices();
      renderProblems();
    },
  };

  function bindProblems() {
    $("#problem-waybill").addEventListener("keydown", (e) => {
      if (e.key !== "Enter" && !(e.key === "Tab" && $("#problem-waybill").value)) return;
      e.preventDefault();
      if (problems.reason) submitProblem();
      else showMsg($("#problem-msg"), "info", t("problems.reason_needed"));
    });
    $("#problem-form").addEventListener("submit", (e) => {
      e.preventDefault();
      submitProblem();
    });
    $("#problem-refresh").addEventListener("click", loadProblems);
  }

  // ---------------------------------------------------------------- 滞留件 overdue

  const overdue = { list: null, selected: new Set() };

  async function loadOverdue() {
    try {
      const d = await api("GET", "/overdue");
      overdue.list = d.parcels || [];
      const still = new Set(overdue.list.map((p) => p.waybill));
      for (const w of [...overdue.selected]) if (!still.has(w)) overdue.selected.delete(w);
    } catch (e) {
      showMsg($("#overdue-msg"), "error", e.message);
    }
    renderOverdue();
  }

  function renderOverdue() {
    const list = overdue.list || [];
    const rows = list.map((p) => h("tr", { class: p.return_now ? "return-now" : "" },
      h("td", {}, h("input", {
        type: "checkbox", checked: overdue.selected.has(p.waybill), dataset: { waybill: p.waybill },
        onchange: (e) => {
          e.target.checked ? overdue.selected.add(p.waybill) : overdue.selected.delete(p.waybill);
          renderOverdueButton();
        },
      })),
      h("td", { class: "code" }, p.code || ""), h("td", { class: "mono" }, p.waybill), h("td", {}, carrierName(p.carrier)),
      h("td", {}, receiverText(p)),
      h("td", { class: "num" }, t("overdue.days", { n: p.days })), h("td", {}, fmtDay(p.reminder_due)), h("td", {}, fmtDay(p.return_due)),
      h("td", { class: "state" }, p.return_now ? t("overdue.return_now") : p.status === "problem" ? reasonName(p.problem) : t("overdue.remind"))));
    if (!rows.length) rows.push(h("tr", {}, h("td", { class: "empty", colSpan: 9 }, overdue.list ? t("overdue.none") : t("common.loading"))));
    $("#overdue-list tbody").replaceChildren(...rows);
    renderOverdueButton();
  }

  function renderOverdueButton() {
    const b = $("#overdue-return");
    b.textContent = t("overdue.return_selected", { n: overdue.selected.size });
    b.disabled = overdue.selected.size === 0;
  }

  async function returnOverdue() {
    const msg = $("#overdue-msg");
    const waybills = [...overdue.selected];
    if (!waybills.length) return;
    if (!(await confirmDialog(t("overdue.confirm", { n: waybills.length })))) return;
    try {
      const d = await api("POST", "/returns", { waybills, reason: "overdue" });
      showMsg(msg, "ok", t("overdue.returned", { n: d.parcels.length }));
      overdue.selected.clear();
    } catch (e) {
      showMsg(msg, "error", e.message);
    }
    loadOverdue();
  }

  tabs.overdue = {
    show() {
      hideMsg($("#overdue-msg"));
      loadOverdue();
    },
    home() { return null; },
    render() { renderOverdue(); },
  };

  function bindOverdue() {
    $("#overdue-refresh").addEventListener("click", loadOverdue);
    $("#overdue-select-due").addEventListener("click", () => {
      for (const p of overdue.list || []) if (p.return_now) overdue.selected.add(p.waybill);
      renderOverdue();
    });
    $("#overdue-select-none").addEventListener("click", () => {
      overdue.selected.clear();
      renderOverdue();
    });
    $("#overdue-return").addEventListener("click", returnOverdue);
  }

  // ---------------------------------------------------------------- 盘点 stocktake

  const stock = { shelves: [], shelf: 0, layer: 0, scans: [], report: null };

  // shelvesFromSlots turns the per-layer slots of GET /shelves into shelves.
  function shelvesFromSlots(slots) {
    const by = new Map();
    for (const s of slots) {
      const sh = by.get(s.shelf) || { no: s.shelf, layers: 0, capacity: 0, used: 0, layerList: [] };
      sh.layers = Math.max(sh.layers, s.layer);
      sh.capacity = Math.max(sh.capacity, s.capacity);
      sh.used += s.used;
      sh.layerList.push(s.layer);
      by.set(s.shelf, sh);
    }
    return [...by.values()].sort((a, b) => a.no - b.no);
  }

  async function loadStockShelves() {
    try {
      const d = await api("GET", "/shelves");
      stock.shelves = shelvesFromSlots(d.slots || []);
    } catch (e) {
      showMsg($("#stocktake-msg"), "error", e.message);
    }
    renderStocktake();
  }

  function renderStocktake() {
    $("#stocktake-shelves").replaceChildren(...stock.shelves.map((s) => h("button", {
      type: "button", "aria-pressed": String(s.no === stock.shelf),
      onclick: () => {
        if (stock.scans.length && s.no !== stock.shelf) {
          showMsg($("#stocktake-msg"), "warn", t("stocktake.finish_first"));
          return;
        }
        stock.shelf = s.no;
        stock.layer = 0;
        stock.report = null;
        hideMsg($("#stocktake-msg"));
        renderStocktake();
      },
    }, t("stocktake.shelf", { n: s.no }), h("small", {}, t("stocktake.shelf_used", { n: s.used })))));
    if (!stock.shelves.length) $("#stocktake-shelves").append(h("span", { class: "hint" }, t("stocktake.no_shelves")));
    const cur = stock.shelves.find((s) => s.no === stock.shelf);
    const layers = cur ? [0, ...cur.layerList.sort((a, b) => a - b)] : [];
    $("#stocktake-layers").replaceChildren(...layers.map((l) => h("button", {
      type: "button", "aria-pressed": String(l === stock.layer),
      onclick: () => {
        stock.layer = l;
        renderStocktake();
      },
    }, l === 0 ? t("stocktake.any_layer") : t("stocktake.layer", { n: l }))));
    const rows = stock.scans.map((s, i) => h("tr", {},
      h("td", {}, String(i + 1)), h("td", { class: "mono" }, s.waybill), h("td", {}, s.layer ? t("stocktake.layer", { n: s.layer }) : t("stocktake.any_layer")),
      h("td", {}, h("button", {
        type: "button", class: "btn small",
        onclick: () => {
          stock.scans.splice(i, 1);
          renderStocktake();
        },
      }, t("common.remove")))));
    if (!rows.length) rows.push(h("tr", {}, h("td", { class: "empty", colSpan: 4 }, cur ? t("stocktake.scan_now", { n: cur.no }) : t("stocktake.choose_shelf"))));
    $("#stocktake-list tbody").replaceChildren(...rows);
    const b = $("#stocktake-submit");
    b.textContent = t("stocktake.submit", { n: stock.scans.length });
    b.disabled = !cur;
    renderStockReport();
  }

  function onStockScan(waybill) {
    const msg = $("#stocktake-msg");
    if (!stock.shelf) {
      showMsg(msg, "warn", t("stocktake.choose_shelf"));
      beep(false);
      return;
    }
    if (stock.scans.some((s) => s.waybill === waybill)) {
      showMsg(msg, "warn", t("stocktake.dup", { waybill }));
      beep(false);
      return;
    }
    hideMsg(msg);
    stock.report = null;
    stock.scans.push({ waybill, layer: stock.layer });
    renderStocktake();
    beep(true);
  }

  async function submitStocktake() {
    const msg = $("#stocktake-msg");
    if (!stock.shelf) return;
    if (!stock.scans.length && !(await confirmDialog(t("stocktake.confirm_empty", { n: stock.shelf })))) return;
    try {
      const body = { shelf: stock.shelf, scans: stock.scans.map((s) => (s.layer ? { waybill: s.waybill, layer: s.layer } : { waybill: s.waybill })) };
      stock.report = await api("POST", "/stocktake", body);
      stock.scans = [];
      hideMsg(msg);
      const r = stock.report;
      const clean = !r.missing.length && !r.unexpected.length && !r.misplaced.length && !r.invalid.length;
      showMsg(msg, clean ? "ok" : "warn", clean ? t("stocktake.clean", { n: r.shelf }) : t("stocktake.differences", { n: r.shelf }));
      beep(clean);
      loadStockShelves();
    } catch (e) {
      showMsg(msg, "error", e.message);
      beep(false);
    }
    renderStocktake();
  }

  function renderStockReport() {
    const box = $("#stocktake-report");
    const r = stock.report;
    box.hidden = !r;
    if (!r) return;
    const section = (cls, title, items) => (items.length ? h("div", { class: "report-section " + cls }, h("h3", {}, title), h("ul", {}, ...items.map((x) => h("li", {}, x)))) : null);
    const parcelLine = (p) => [p.code || "", " ", h("span", { class: "mono" }, p.waybill), " ", receiverText(p)];
    box.replaceChildren(h("div", { class: "panel" },
      h("h2", {}, t("stocktake.report_title", { n: r.shelf })),
      h("div", {}, t("stocktake.summary", { expected: r.expected, scanned: r.scanned })),
      section("bad", t("stocktake.missing", { n: r.missing.length }), r.missing.map((p) => h("span", {}, ...parcelLine(p), " · ", slotText(p)))),
      section("warn", t("stocktake.unexpected", { n: r.unexpected.length }), r.unexpected.map((w) => h("span", { class: "mono" }, w))),
      section("warn", t("stocktake.misplaced", { n: r.misplaced.length }), r.misplaced.map((p) => h("span", {}, ...parcelLine(p), " → ", slotText(p)))),
      section("bad", t("stocktake.invalid", { n: r.invalid.length }), r.invalid.map((w) => h("span", { class: "mono" }, w)))));
  }

  tabs.stocktake = {
    show() { loadStockShelves(); },
    home() { return stock.shelf ? $("#stocktake-scan") : null; },
    scan(code) { onStockScan(code); },
    render() { renderStocktake(); },
  };

  function bindStocktake() {
    scanInput($("#stocktake-scan"), onStockScan);
    $("#stocktake-submit").addEventListener("click", submitStocktake);
    $("#stocktake-print").addEventListener("click", () => window.print());
  }

  // ---------------------------------------------------------------- 日结 day close

  const day = { report: null };

  async function loadDay() {
    const msg = $("#dayclose-msg");
    hideMsg(msg);
    const date = $("#dayclose-date").value;
    try {
      day.report = await api("GET", "/dayclose" + (date ? "?date=" + encodeURIComponent(date) : ""));
    } catch (e) {
      day.report = null;
      showMsg(msg, "error", e.message);
    }
    renderDay();
  }

  function renderDay() {
    const r = day.report;
    const cols = ["in", "out", "sent", "problems", "returns", "on_shelf"];
    const row = (label, c, cls) => h("tr", { class: cls || "" }, h("td", {}, label), ...cols.map((k) => h("td", {}, String((c && c[k]) || 0))));
    const codes = r ? Object.keys(r.by_carrier || {}) : [];
    const order = (code) => {
      const i = carriers.findIndex((c) => c.code === code);
      return i < 0 ? 1000 : i;
    };
    codes.sort((a, b) => order(a) - order(b) || a.localeCompare(b));
    const rows = codes.map((c) => row(carrierName(c), r.by_carrier[c]));
    if (r && !rows.length) rows.push(h("tr", {}, h("td", { class: "empty", colSpan: 7 }, t("dayclose.nothing"))));
    $("#dayclose-table tbody").replaceChildren(...rows);
    $("#dayclose-table tfoot").replaceChildren(...(r ? [row(t("dayclose.total"), r.total, "total")] : []));
    const state = $("#dayclose-state");
    const close = $("#dayclose-close");
    $("#dayclose-recon").hidden = !r;
    if (!r) {
      state.textContent = "";
      close.disabled = true;
      return;
    }
    state.textContent = r.closed ? t("dayclose.closed", { when: fmtTime(r.closed_at), by: r.closed_by || "" }) : t("dayclose.open");
    state.className = "state" + (r.closed ? " closed" : "");
    close.disabled = r.closed;
    $("#dayclose-formula").textContent = t("dayclose.formula", {
      opening: r.opening_on_shelf, in: r.total.in, out: r.total.out, returns: r.total.returns, expected: r.expected_on_shelf,
    });
    const mm = $("#dayclose-mismatch");
    mm.textContent = r.mismatch === 0 ? t("dayclose.balanced", { n: r.total.on_shelf }) : t("dayclose.mismatch", { n: r.total.on_shelf, diff: (r.mismatch > 0 ? "+" : "") + r.mismatch });
    mm.className = "mismatch " + (r.mismatch === 0 ? "ok" : "bad");
    // The shelves counted against the books: parcels a stocktake of the
    // day did not find.
    const missing = r.stocktake_missing || [];
    const mbox = $("#dayclose-missing");
    mbox.hidden = !missing.length;
    mbox.replaceChildren(...(missing.length ? [h("div", {}, t("dayclose.stocktake_missing", { n: missing.length })),
      ...missing.map((p) => h("div", { class: "mono", dataset: { waybill: p.waybill } }, p.code + " · " + p.waybill + " · " + carrierName(p.carrier)))] : []));
    if (missing.length && r.mismatch === 0) {
      mm.textContent = t("dayclose.books_only", { n: r.total.on_shelf });
      mm.className = "mismatch bad";
    }
    const und = $("#dayclose-undone");
    und.hidden = !r.undone;
    und.textContent = t("dayclose.undone", { n: r.undone || 0 });
    $("#dayclose-source").textContent = r.opening_source === "recorded" ? t("dayclose.opening_recorded") : t("dayclose.opening_computed");
  }

  async function closeDay() {
    const msg = $("#dayclose-msg");
    const r = day.report;
    if (!r || r.closed) return;
    let q = t("dayclose.confirm", { date: r.date });
    if (r.mismatch !== 0) q += "\n" + t("dayclose.confirm_mismatch", { diff: r.mismatch });
    if ((r.stocktake_missing || []).length) q += "\n" + t("dayclose.confirm_missing", { n: r.stocktake_missing.length });
    if (!(await confirmDialog(q))) return;
    try {
      day.report = await api("POST", "/dayclose", { date: r.date });
      showMsg(msg, "ok", t("dayclose.done", { date: r.date }));
    } catch (e) {
      showMsg(msg, "error", e.message);
    }
    renderDay();
  }

  tabs.dayclose = {
    show() {
      const input = $("#dayclose-date");
      if (!input.value && status) input.value = status.today;
      if (status) input.max = status.today;
      loadDay();
    },
    home() { return null; },
    render() { renderDay(); },
  };

  function bindDay() {
    $("#dayclose-load").addEventListener("click", loadDay);
    $("#dayclose-date").addEventListener("change", loadDay);
    $("#dayclose-close").addEventListener("click", closeDay);
    $("#dayclose-print").addEventListener("click", () => window.print());
  }

  // ---------------------------------------------------------------- 设备 devices

  const devs = { diag: null, diagBusy: false, scanAfter: 0 };

  async function loadDevices() {
    await refreshStatus();
    renderDevices();
  }

  function renderDevices() {
    const list = deviceList || [];
    const cards = list.map((d) => {
      const kind = deviceKind(d.kind);
      const tests = {
        idcard: ["devices.test_card", testCard],
        printer: ["devices.test_print", testPrint],
        camera: ["devices.test_snapshot", testSnapshot],
      };
      const test = tests[kind];
      const cls = d.state === "ready" ? "good" : d.state === "starting" ? "warn" : "bad";
      return h("div", { class: "device-card " + cls, dataset: { device: d.name, kind } },
        h("div", { class: "device-head" }, h("b", {}, t("devkind." + kind)), h("span", { class: "mono" }, d.name),
          h("span", { class: "badge " + cls }, hasKey("state." + d.state) ? t("state." + d.state) : d.state)),
        h("div", { class: "device-msg" }, d.message),
        h("div", { class: "hint" }, [d.port ? t("devices.port", { port: d.port }) : "", d.detail || "",
          d.last_seen ? t("devices.last_seen", { when: fmtTime(d.last_seen) }) : ""].filter(Boolean).join(" · ")),
        test ? h("button", { type: "button", class: "btn primary big test", dataset: { test: kind }, onclick: test[1] }, t(test[0]))
          : h("div", { class: "hint" }, t("devices.test_scan")));
    });
    if (deviceList && !list.length) cards.push(h("div", { class: "msg msg-info" }, t("devices.none")));
    $("#devices-list").replaceChildren(...cards);
  }

  function showTest(text, kind) {
    $("#devices-test").hidden = false;
    const el = $("#devices-test-text");
    el.textContent = text;
    el.className = "test-text " + (kind || "");
    $("#devices-test-img").hidden = true;
    $("#devices-test").scrollIntoView({ block: "nearest" });
  }

  // showTestImage shows a test's picture, in view once it has loaded.
  function showTestImage(url) {
    const img = $("#devices-test-img");
    img.onload = () => $("#devices-test").scrollIntoView({ block: "nearest" });
    showImage(img, url);
  }

  async function testCard() {
    hideMsg($("#devices-msg"));
    try {
      const c = await api("GET", "/devices/idcard");
      if (!c.present) {
        showTest(t("devices.card_none"), "warn");
        sound("error");
        return;
      }
      let text = t("devices.card", { name: c.name, number: c.number, valid_to: c.valid_to });
      if (c.expired) text += " " + t("devices.card_expired");
      showTest(text, c.expired ? "warn" : "ok");
      sound(c.expired ? "error" : "new");
    } catch (e) {
      showMsg($("#devices-msg"), "error", e.message);
      sound("error");
    }
  }

  // A test label looks like a pickup sticker with zeros for the code.
  async function testPrint() {
    hideMsg($("#devices-msg"));
    const q = new URLSearchParams({ kind: "pickup", code: "0-0-0000", phone_tail: "0000", waybill: "TEST000000", date: fmtDay(new Date().toISOString()) });
    try {
      await api("POST", "/labels/print?" + q);
      showTest(t("devices.printed"), "ok");
      sound("new");
      showTestImage(await apiImage("/labels/preview.png?" + q));
    } catch (e) {
      showMsg($("#devices-msg"), "error", e.message);
      sound("error");
    }
    loadDevices();
  }

  async function testSnapshot() {
    hideMsg($("#devices-msg"));
    try {
      const p = await api("POST", "/devices/camera/snapshot", {});
      showTest(t("devices.snapshot", { width: p.width, height: p.height }), "ok");
      showTestImage(await apiImage("/photos/" + p.sha256));
      sound("new");
    } catch (e) {
      showMsg($("#devices-msg"), "error", e.message);
      sound("error");
    }
    loadDevices();
  }

  async function runDiag() {
    if (devs.diagBusy) return;
    devs.diagBusy = true;
    $("#devices-diag-state").textContent = t("devices.diag_running");
    $("#devices-diag-run").disabled = true;
    try {
      devs.diag = await api("GET", "/diag");
    } catch (e) {
      devs.diag = null;
      showMsg($("#devices-msg"), "error", e.message);
    }
    devs.diagBusy = false;
    $("#devices-diag-run").disabled = false;
    renderDiag();
  }

  function renderDiag() {
    const d = devs.diag;
    const state = $("#devices-diag-state");
    if (!d) {
      if (!devs.diagBusy) state.textContent = "";
      $("#devices-diag tbody").replaceChildren();
      return;
    }
    const n = (st) => d.checks.filter((c) => c.status === st).length;
    state.textContent = d.status === "ok" ? t("devices.diag_ok") : d.status === "warn" ? t("devices.diag_warn", { n: n("warn") }) : t("devices.diag_fail", { n: n("fail") });
    state.dataset.status = d.status;
    const cls = { ok: "row-ok", warn: "row-repeat", fail: "row-error" };
    $("#devices-diag tbody").replaceChildren(...d.checks.map((c) => h("tr", { class: cls[c.status] || "", dataset: { check: c.name } },
      h("td", {}, t("state." + c.status)), h("td", { class: "mono" }, c.name), h("td", { class: "wrap" }, c.detail), h("td", { class: "wrap" }, c.fix))));
  }

  tabs.devices = {
    show() {
      $("#devices-test").hidden = true;
      loadDevices();
      runDiag();
    },
    scan(code) {
      // The scan gun's test: what it read.
      showTest(t("devices.scanned", { code }), "ok");
      sound("new");
    },
    home() { return null; },
    render() {
      renderDevices();
      renderDiag();
    },
  };

  function bindDevices() {
    $("#devices-refresh").addEventListener("click", loadDevices);
    $("#devices-diag-run").addEventListener("click", runDiag);
  }

  // ---------------------------------------------------------------- 设置 settings (owner)

  const settings = { shelves: [], operators: [], resetting: null };

  function showSettings(st) {
    $("#settings-overdue").value = st.overdue_days;
    $("#settings-return").value = st.return_days;
    $("#settings-id-proxy").checked = !!st.id_for_proxy;
    $("#settings-id-value").checked = !!st.id_high_value;
    $("#settings-id-yuan").value = st.id_value_yuan;
  }

  async function loadSettings() {
    const msg = $("#settings-msg");
    try {
      const [sh, st, ops] = await Promise.all([api("GET", "/shelves"), api("GET", "/settings"), api("GET", "/operators")]);
      settings.shelves = shelvesFromSlots(sh.slots || []);
      showSettings(st);
      settings.operators = ops.operators || [];
    } catch (e) {
      showMsg(msg, "error", e.message);
    }
    renderShelves();
    renderOperators();
  }

  function numInput(value, onChange, max) {
    return h("input", { type: "number", min: "1", max: String(max), inputmode: "numeric", value: String(value), oninput: (e) => onChange(parseInt(e.target.value, 10) || 0) });
  }

  function renderShelves() {
    const rows = settings.shelves.map((s, i) => h("tr", {},
      h("td", {}, numInput(s.no, (v) => { s.no = v; }, 99)),
      h("td", {}, numInput(s.layers, (v) => { s.layers = v; }, 9)),
      h("td", {}, numInput(s.capacity, (v) => { s.capacity = v; }, 500)),
      h("td", { class: "num" }, String(s.used || 0)),
      h("td", {}, h("button", {
        type: "button", class: "btn small", disabled: s.used > 0,
        onclick: () => {
          settings.shelves.splice(i, 1);
          renderShelves();
        },
      }, t("common.remove")))));
    if (!rows.length) rows.push(h("tr", {}, h("td", { class: "empty", colSpan: 5 }, t("settings.no_shelves"))));
    $("#shelves-table tbody").replaceChildren(...rows);
  }

  async function saveShelves() {
    const msg = $("#settings-msg");
    try {
      const d = await api("PUT", "/shelves", { shelves: settings.shelves.map((s) => ({ no: s.no, layers: s.layers, capacity: s.capacity })) });
      settings.shelves = shelvesFromSlots(d.slots || []);
      showMsg(msg, "ok", t("settings.saved"));
    } catch (e) {
      showMsg(msg, "error", e.message);
    }
    renderShelves();
  }

  function operatorState(o) {
    if (o.disabled) return t("op.disabled");
    if (o.locked_until) return t("op.locked", { until: fmtTime(o.locked_until) });
    return t("op.active");
  }

  function renderOperators() {
    const rows = [];
    for (const o of settings.operators) {
      const patch = async (change, done) => {
        try {
          await api("PATCH", "/operators/" + encodeURIComponent(o.username), change);
          showMsg($("#settings-msg"), "ok", done());
          settings.resetting = null;
          const d = await api("GET", "/operators");
          settings.operators = d.operators || [];
        } catch (e) {
          showMsg($("#settings-msg"), "error", e.message);
        }
        renderOperators();
      };
      const actions = [
        h("button", { type: "button", class: "btn small", onclick: () => patch({ disabled: !o.disabled }, () => (o.disabled ? t("op.enabled_done", { username: o.username }) : t("op.disabled_done", { username: o.username }))) },
          o.disabled ? t("op.enable") : t("op.disable")),
        o.locked_until ? h("button", { type: "button", class: "btn small", onclick: () => patch({ unlock: true }, () => t("op.unlocked_done", { username: o.username })) }, t("op.unlock")) : null,
        h("button", {
          type: "button", class: "btn small",
          onclick: () => {
            settings.resetting = settings.resetting === o.username ? null : o.username;
            renderOperators();
          },
        }, t("op.reset")),
      ];
      rows.push(h("tr", { class: o.disabled ? "row-error" : "" },
        h("td", { class: "mono" }, o.username), h("td", {}, o.display_name), h("td", {}, t("role." + o.role)),
        h("td", {}, t("kind." + o.secret_kind)), h("td", {}, operatorState(o)), h("td", {}, ...actions)));
      if (settings.resetting === o.username) {
        const kind = h("select", {}, h("option", { value: "pin" }, t("kind.pin")), h("option", { value: "password" }, t("kind.password")));
        kind.value = o.secret_kind;
        const secret = h("input", { type: "password", autocomplete: "new-password", placeholder: t("op.new_secret") });
        rows.push(h("tr", {}, h("td", { colSpan: 6 }, h("div", { class: "toolbar" },
          h("span", {}, t("op.reset_for", { username: o.username })), kind, secret,
          h("button", { type: "button", class: "btn primary", onclick: () => patch({ secret_kind: kind.value, secret: secret.value }, () => t("op.reset_done", { username: o.username })) }, t("common.save")),
          h("button", {
            type: "button", class: "btn",
            onclick: () => {
              settings.resetting = null;
              renderOperators();
            },
          }, t("common.cancel"))))));
        setTimeout(() => secret.focus(), 0);
      }
    }
    $("#operators-table tbody").replaceChildren(...rows);
  }

  tabs.settings = {
    show() {
      hideMsg($("#settings-msg"));
      loadSettings();
    },
    home() { return null; },
    render() {
      renderShelves();
      renderOperators();
    },
  };

  function bindSettings() {
    $("#shelves-add").addEventListener("click", () => {
      const next = settings.shelves.reduce((m, s) => Math.max(m, s.no), 0) + 1;
      const last = settings.shelves[settings.shelves.length - 1];
      settings.shelves.push({ no: next, layers: last ? last.layers : 4, capacity: last ? last.capacity : 30, used: 0 });
      renderShelves();
    });
    $("#shelves-save").addEventListener("click", saveShelves);
    $("#settings-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const msg = $("#settings-msg");
      try {
        const st = await api("PUT", "/settings", {
          overdue_days: parseInt($("#settings-overdue").value, 10) || 0,
          return_days: parseInt($("#settings-return").value, 10) || 0,
          id_for_proxy: $("#settings-id-proxy").checked,
          id_high_value: $("#settings-id-value").checked,
          id_value_yuan: parseInt($("#settings-id-yuan").value, 10) || 0,
        });
        showSettings(st);
        showMsg(msg, "ok", t("settings.saved"));
      } catch (err) {
        showMsg(msg, "error", err.message);
      }
    });
    $("#operator-add").addEventListener("submit", async (e) => {
      e.preventDefault();
      const msg = $("#settings-msg");
      try {
        const o = await api("POST", "/operators", {
          username: $("#op-username").value.trim().toLowerCase(), display_name: $("#op-display").value.trim(),
          role: $("#op-role").value, secret_kind: $("#op-kind").value, secret: $("#op-secret").value,
        });
        showMsg(msg, "ok", t("op.added", { username: o.username }));
        for (const id of ["#op-username", "#op-display", "#op-secret"]) $(id).value = "";
        const d = await api("GET", "/operators");
        settings.operators = d.operators || [];
        renderOperators();
      } catch (err) {
        showMsg(msg, "error", err.message);
      }
    });
  }

  // ---------------------------------------------------------------- language, start

  function switchLanguage() {
    lang = lang === "en" ? "zh-CN" : "en";
    localStorage.setItem(LANG_KEY, lang);
    applyI18n();
    renderStatus();
    renderBadges();
    renderWho();
    renderProvinces();
    if (carriers.length) {
      renderCarrierSelects();
      renderReasonChoices();
    }
    if (me && currentTab) {
      for (const tab of Object.values(tabs)) tab.render();
      focusHome();
    }
  }

  async function start() {
    applyI18n();
    renderProvinces();
    bindTabs();
    bindAuth();
    bindInbound();
    bindPickup();
    bindSend();
    bindProblems();
    bindOverdue();
    bindStocktake();
    bindDay();
    bindDevices();
    bindCentre();
    bindIdle();
    bindSettings();
    $("#lang-toggle").addEventListener("click", switchLanguage);
    pollTimer = setTimeout(pollStatus, STATUS_EVERY_MS);
    setTimeout(pollScans, SCANS_EVERY_MS);

    let st = await refreshStatus();
    while (!st) {
      showScreen("login");
      showMsg($("#login-msg"), "error", t("status.offline"));
      await new Promise((r) => setTimeout(r, 5000));
      st = await refreshStatus();
    }
    loadSession();
    if (st.needs_setup) {
      showScreen("setup");
      $("#setup-username").focus();
      return;
    }
    try {
      await enterApp(await api("GET", "/me"));
    } catch (_) {
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin();
    }
  }

  start();
})();
