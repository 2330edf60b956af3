// The dispatchers' console: plain JavaScript, no framework, nothing
// loaded from elsewhere. Signs in with POST /api/v1/login, keeps the
// session token in sessionStorage (gone with the tab) and sends it as
// Authorization: Bearer to /api/v1. Every string comes from i18n.js.
"use strict";
(function () {
  var TOKEN_KEY = "cunyou.console.token";
  var LANG_KEY = "cunyou.console.lang";
  var API = "/api/v1";
  var lang = localStorage.getItem(LANG_KEY) || "zh-CN";
  if (!MESSAGES[lang]) { lang = "zh-CN"; }
  var me = null;
  var timer = null;
  var view = "";
  var cache = { sites: null, lines: null };
  var carriers = null;

  function t(key, vars) {
    var m = MESSAGES[lang][key];
    if (m === undefined) { m = MESSAGES["zh-CN"][key]; }
    if (m === undefined) { return key; }
    return m.replace(/\{([a-z_]+)\}/g, function (all, name) {
      return vars && vars[name] !== undefined ? String(vars[name]) : all;
    });
  }
  function tOr(key, fallback) {
    return MESSAGES[lang][key] !== undefined ? MESSAGES[lang][key] : fallback;
  }

  function $(sel) { return document.querySelector(sel); }
  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) { return; }
        if (k === "text") { e.textContent = v; } else if (k === "cls") { e.className = v; } else { e.setAttribute(k, v); }
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) { continue; }
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return e;
  }
  function clear(e) { while (e.firstChild) { e.removeChild(e.firstChild); } return e; }
  function svg(tag, attrs) {
    var e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { e.textContent = attrs[k]; } else { e.setAttribute(k, attrs[k]); }
    });
    return e;
  }

  function applyI18n() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach(function (e) { e.textContent = t(e.getAttribute("data-i18n")); });
    document.querySelectorAll("[data-i18n-placeholder]").forEach(function (e) {
      e.setAttribute("placeholder", t(e.getAttribute("data-i18n-placeholder")));
    });
    document.querySelectorAll("[data-i18n-aria]").forEach(function (e) {
      e.setAttribute("aria-label", t(e.getAttribute("data-i18n-aria")));
    });
    document.title = t("app.title");
  }

  // api calls the open API with the session; a problem's code becomes a
  // sentence of the table (err.CODE).
  function api(method, path, body) {
    var opts = { method: method, headers: { "Accept": "application/json" } };
    var tok = sessionStorage.getItem(TOKEN_KEY);
    if (tok) { opts.headers["Authorization"] = "Bearer " + tok; }
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    if (method === "POST" && path !== "/login" && path !== "/logout") { opts.headers["Idempotency-Key"] = newKey(); }
    return fetch(API + path, opts).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (res.ok) { return data; }
        var code = data && data.code ? data.code : "http_" + res.status;
        if (res.status === 401 && path !== "/login" && me) { signedOut("err.session_ended"); }
        var err = new Error(code);
        err.code = code;
        err.status = res.status;
        err.detail = data && data.detail ? data.detail : "";
        throw err;
      });
    }, function () {
      var err = new Error("offline");
      err.code = "offline";
      throw err;
    });
  }
  // newKey is a random Idempotency-Key: a retried write is not done twice.
  function newKey() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return (x < 16 ? "0" : "") + x.toString(16); }).join("");
  }
  function errText(err) {
    return tOr("err." + err.code, t("err.other", { code: err.code }));
  }
  function can(area, action) {
    return !!me && me.permissions.indexOf(area + "." + action) >= 0;
  }

  // Time and numbers.
  // fmtTime shows a time in county time (China Standard Time, UTC+8, no
  // summer time), whatever the browser's own zone and the offset the
  // hub wrote it with.
  var COUNTY_OFFSET_MS = 8 * 3600 * 1000;
  function fmtTime(s) {
    if (!s) { return ""; }
    var d = s instanceof Date ? s : new Date(s);
    if (isNaN(d.getTime())) { return String(s); }
    var c = new Date(d.getTime() + COUNTY_OFFSET_MS);
    function p(n) { return n < 10 ? "0" + n : "" + n; }
    return c.getUTCFullYear() + "-" + p(c.getUTCMonth() + 1) + "-" + p(c.getUTCDate()) + " " + p(c.getUTCHours()) + ":" + p(c.getUTCMinutes());
  }
  function fmtAge(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    if (seconds < 90) { return t("time.seconds", { n: seconds }); }
    if (seconds < 5400) { return t("time.minutes", { n: Math.round(seconds / 60) }); }
    if (seconds < 172800) { return t("time.hours", { n: Math.round(seconds / 3600) }); }
    return t("time.days", { n: Math.round(seconds / 86400) });
  }
  function statusText(s) { return tOr("status." + s, s); }
  function stageText(s) { return tOr("stage." + s, s); }

  function table(headKeys, rows) {
    var thead = el("thead", null, el("tr", null));
    headKeys.forEach(function (k) { thead.firstChild.appendChild(el("th", { text: t(k) })); });
    var tbody = el("tbody");
    rows.forEach(function (r) { tbody.appendChild(r); });
    return el("table", { cls: "grid" }, thead, tbody);
  }
  function row(cells, attrs) {
    var tr = el("tr", attrs);
    cells.forEach(function (c) {
      tr.appendChild(typeof c === "object" && c !== null ? el("td", null, c) : el("td", { text: c === undefined ? "" : String(c) }));
    });
    return tr;
  }
  function empty(key) { return el("p", { cls: "muted empty", text: t(key) }); }

  // Sign-in.
  function showLogin(msgKey) {
    stopTimer();
    $("#shell").hidden = true;
    $("#login").hidden = false;
    var msg = $("#login-msg");
    msg.hidden = !msgKey;
    msg.textContent = msgKey ? t(msgKey) : "";
    $("#login-user").focus();
  }
  function signedOut(msgKey) {
    sessionStorage.removeItem(TOKEN_KEY);
    me = null;
    // A password or enrollment code shown once, and the forms of the
    // last person's role, are not left for the next one.
    ["#users-secret", "#st-code"].forEach(function (s) { clear($(s)).hidden = true; });
    ["#st-add", "#users-msg", "#pw-box"].forEach(function (s) { $(s).hidden = true; });
    clear($("#users-add"));
    ["#pw-current", "#pw-new", "#pw-again"].forEach(function (s) { $(s).value = ""; });
    carriers = null;
    cache = { sites: null, lines: null };
    map.proj = null;
    showLogin(msgKey);
  }
  $("#login-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var msg = $("#login-msg");
    var user = $("#login-user").value.trim();
    var pass = $("#login-pass").value;
    if (!user || !pass) {
      msg.hidden = false;
      msg.textContent = t("login.fill");
      return;
    }
    var body = { username: user, password: pass };
    var totp = $("#login-totp").value.trim();
    if (totp) { body.totp = totp; }
    $("#login-submit").disabled = true;
    api("POST", "/login", body).then(function (res) {
      sessionStorage.setItem(TOKEN_KEY, res.token);
      $("#login-pass").value = "";
      $("#login-totp").value = "";
      msg.hidden = true;
      return start();
    }).catch(function (err) {
      msg.hidden = false;
      msg.textContent = errText(err);
      if (err.code === "totp_required") { $("#login-totp").focus(); }
    }).then(function () { $("#login-submit").disabled = false; });
  });
  $("#logout").addEventListener("click", function () {
    api("POST", "/logout").catch(function () {}).then(function () { signedOut("login.signed_out"); });
  });
  document.querySelectorAll(".lang").forEach(function (b) {
    b.addEventListener("click", function () {
      lang = lang === "zh-CN" ? "en" : "zh-CN";
      localStorage.setItem(LANG_KEY, lang);
      applyI18n();
      if (me) { buildNav(); route(); }
    });
  });

  // The views, each with the permission it needs.
  var VIEWS = [
    { id: "overview", nav: "nav.overview", need: ["statistics", "read"], show: showOverview, every: 10000 },
    { id: "parcels", nav: "nav.parcels", need: ["parcels", "read"], show: showParcels },
    { id: "exceptions", nav: "nav.exceptions", need: ["exceptions", "read"], show: showExceptions },
    { id: "stations", nav: "nav.stations", need: ["stations", "read"], show: showStations, every: 30000 },
    { id: "trips", nav: "nav.trips", need: ["trips", "read"], show: showTrips, every: 30000 },
    { id: "map", nav: "nav.map", need: ["fleet", "read"], show: showMap, every: 5000 },
    { id: "sms", nav: "nav.sms", need: ["sms", "messages", "read"], show: showSMS },
    { id: "statistics", nav: "nav.statistics", need: ["statistics", "read"], show: showStatistics },
    { id: "users", nav: "nav.users", need: ["users", "manage"], show: showUsers },
    { id: "audit", nav: "nav.audit", need: ["audit", "read"], show: showAudit }
  ];
  function viewOf(id) { return VIEWS.filter(function (v) { return v.id === id; })[0]; }
  function allowed(v) { return !!me && me.permissions.indexOf(v.need.join(".")) >= 0; }
  function buildNav() {
    var nav = clear($("#nav"));
    VIEWS.forEach(function (v) {
      if (allowed(v)) { nav.appendChild(el("a", { href: "#/" + v.id, "data-view": v.id, text: t(v.nav) })); }
    });
    clear($("#me")).appendChild(document.createTextNode(t("me.who", { user: me.user, role: tOr("role." + me.role, me.role) })));
  }
  function stopTimer() { if (timer) { clearInterval(timer); timer = null; } }
  function route() {
    var parts = location.hash.replace(/^#\/?/, "").split("/");
    var v = null;
    VIEWS.forEach(function (x) { if (x.id === parts[0] && allowed(x)) { v = x; } });
    if (!v) {
      VIEWS.forEach(function (x) { if (!v && allowed(x)) { v = x; } });
    }
    stopTimer();
    document.querySelectorAll(".view").forEach(function (s) { s.hidden = true; });
    document.querySelectorAll("#nav a").forEach(function (a) { a.classList.toggle("active", !!v && a.getAttribute("data-view") === v.id); });
    $("#banner").hidden = true;
    if (!v) {
      banner(t("me.nothing"));
      return;
    }
    view = v.id;
    $("#view-" + v.id).hidden = false;
    v.show(parts.slice(1));
    if (v.every) {
      timer = setInterval(function () { if (view === v.id && !document.hidden) { v.show(parts.slice(1), true); } }, v.every);
    }
  }
  function banner(text) {
    var b = $("#banner");
    b.textContent = text;
    b.hidden = !text;
  }
  function failed(err) { banner(errText(err)); }
  window.addEventListener("hashchange", function () { if (me) { route(); } });

  function start() {
    return api("GET", "/me").then(function (res) {
      me = res;
      return loadCarriers();
    }).then(function () {
      $("#login").hidden = true;
      $("#shell").hidden = false;
      buildNav();
      route();
    }).catch(function (err) {
      if (err.status === 401) { signedOut(); } else { showLogin(); $("#login-msg").hidden = false; $("#login-msg").textContent = errText(err); }
    });
  }

  // Overview: stages, stations online, open exceptions, SMS problems, trips.
  var STAGES = ["announced", "at_centre", "on_the_road", "at_station", "delivered", "problem", "returns", "outbound"];
  var ONLINE_MS = 10 * 60 * 1000;
  function showOverview() {
    $("#ov-stations").parentNode.hidden = !can("stations", "read");
    $("#ov-exceptions").parentNode.hidden = !can("exceptions", "read");
    $("#ov-sms").parentNode.hidden = !allowed(viewOf("sms"));
    $("#ov-trips").parentNode.hidden = !can("trips", "read");
    var jobs = [api("GET", "/counts").then(function (c) {
      var box = clear($("#ov-stages"));
      STAGES.forEach(function (s) {
        box.appendChild(el("div", { cls: "stage", "data-stage": s },
          el("span", { cls: "n", text: String((c.by_stage || {})[s] || 0) }), el("span", { cls: "label", text: stageText(s) })));
      });
    })];
    if (can("stations", "read")) {
      jobs.push(api("GET", "/stations").then(function (res) {
        var on = 0, off = [], lag = 0;
        res.stations.forEach(function (s) {
          if (s.kind !== "station" || !s.enrolled) { return; }
          if (s.last_contact_ms && res.hub_time_ms - s.last_contact_ms < ONLINE_MS) { on++; } else { off.push(s); }
          lag = Math.max(lag, s.lag_seconds || 0);
        });
        var box = clear($("#ov-stations"));
        box.appendChild(el("div", { cls: "pair" },
          el("span", { cls: "ok", id: "ov-online", text: t("overview.online", { n: on }) }),
          el("span", { cls: off.length ? "bad" : "muted", id: "ov-offline", text: t("overview.offline", { n: off.length }) })));
        box.appendChild(el("div", { cls: "muted", text: t("overview.max_lag", { lag: fmtAge(lag) }) }));
        off.slice(0, 5).forEach(function (s) {
          box.appendChild(el("div", { cls: "small", text: t("overview.offline_one", { name: s.name || s.node,
            ago: s.last_contact_ms ? fmtAge((res.hub_time_ms - s.last_contact_ms) / 1000) : t("overview.never") }) }));
        });
      }));
    }
    if (can("exceptions", "read")) {
      jobs.push(Promise.all([api("GET", "/exceptions?open=true&limit=500"), api("GET", "/unresolved?limit=500")]).then(function (r) {
        var n = r[0].exceptions.length + (r[1].parcels || []).length;
        var a = el("a", { href: "#/exceptions", text: String(n) });
        clear($("#ov-exceptions")).appendChild(a);
      }));
    }
    if (allowed(viewOf("sms"))) {
      jobs.push(api("GET", "/sms/messages?state=problems&limit=500").then(function (r) {
        clear($("#ov-sms")).appendChild(el("a", { href: "#/sms/problems", text: String(r.messages.length) }));
      }));
    }
    if (can("trips", "read")) {
      jobs.push(api("GET", "/trips").then(function (r) {
        var box = clear($("#ov-trips"));
        if (!r.trips.length) { box.appendChild(empty("overview.no_trips")); return; }
        box.appendChild(table(["trips.line", "trips.departure", "trips.vehicle", "trips.driver", "trips.status"],
          r.trips.map(function (tr) {
            var line = allowed(viewOf("trips")) ? el("a", { href: "#/trips/" + encodeURIComponent(tr.id), text: tr.line_name || tr.line }) :
              (tr.line_name || tr.line);
            return row([line, tr.departure, tr.vehicle, tr.driver, tOr("trip." + tr.status, tr.status)],
              { "data-trip": tr.id, cls: "trip-" + tr.status });
          })));
      }));
    }
    Promise.all(jobs).then(function () {
      banner("");
      $("#ov-updated").textContent = t("overview.updated", { at: fmtTime(new Date()) });
    }).catch(failed);
  }

  // Parcels: search, a parcel's timeline, its destination.
  var STATUSES = ["manifested", "at_centre", "sorted", "loaded", "in_transit", "at_station", "picked_up", "problem",
    "returning", "returned", "accepted", "collected", "handed_over", "lost"];
  // A parcel's station may change until it leaves the centre.
  var BEFORE_CENTRE = ["manifested", "at_centre", "sorted"];
  // carrierName names a carrier by its code once GET /carriers has
  // answered (the code until then, or for a role that may not read it).
  function carrierName(code) { return carriers && carriers[code] ? carriers[code] : code; }
  function loadCarriers() {
    carriers = {};
    if (!can("registry", "read")) { return Promise.resolve(); }
    return api("GET", "/carriers").then(function (r) { r.carriers.forEach(function (c) { carriers[c.code] = c.name; }); }).catch(function () {});
  }
  function loadSites() {
    if (cache.sites) { return Promise.resolve(cache.sites); }
    return api("GET", "/sites").then(function (r) { cache.sites = r.sites; return r.sites; });
  }
  function fillSelect(sel, options, anyKey) {
    var keep = sel.value;
    clear(sel);
    // Without anyKey every option is a real choice (a user's role).
    if (anyKey) { sel.appendChild(el("option", { value: "", text: t(anyKey) })); }
    options.forEach(function (o) { sel.appendChild(el("option", { value: o[0], text: o[1] })); });
    sel.value = keep;
  }
  function showParcels(args) {
    fillSelect($("#pq-status"), STATUSES.map(function (s) { return [s, statusText(s)]; }), "parcels.any");
    var sites = can("registry", "read") ? loadSites() : Promise.resolve([]);
    sites.then(function (list) {
      fillSelect($("#pq-station"), list.filter(function (s) { return s.kind === "station"; }).map(function (s) { return [s.node, s.name]; }),
        "parcels.any");
    }).catch(failed);
    if (args[0]) { openParcel(decodeURIComponent(args[0])); }
  }
  $("#pq-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var wb = $("#pq-waybill").value.replace(/\s+/g, "");
    var msg = $("#pq-msg");
    msg.hidden = true;
    if (wb) {
      if (location.hash === "#/parcels/" + encodeURIComponent(wb)) { openParcel(wb); } else { location.hash = "#/parcels/" + encodeURIComponent(wb); }
      return;
    }
    var q = [];
    var phone = $("#pq-phone").value.replace(/\D+/g, "");
    if (phone) { q.push("phone=" + encodeURIComponent(phone)); }
    if ($("#pq-station").value) { q.push("station=" + encodeURIComponent($("#pq-station").value)); }
    if ($("#pq-status").value) { q.push("status=" + encodeURIComponent($("#pq-status").value)); }
    if (!q.length) { msg.hidden = false; msg.textContent = t("parcels.need_filter"); return; }
    q.push("limit=100");
    var found = [];
    function page(cursor) {
      api("GET", "/parcels?" + q.join("&") + (cursor ? "&cursor=" + encodeURIComponent(cursor) : "")).then(function (r) {
        found = found.concat(r.parcels);
        listParcels(found, r.next_cursor ? function () { page(r.next_cursor); } : null);
      }).catch(function (err) {
        msg.hidden = false;
        msg.textContent = errText(err);
      });
    }
    page("");
  });
  function listParcels(parcels, more) {
    var box = clear($("#pq-results"));
    if (!parcels.length) { box.appendChild(empty("parcels.none")); return; }
    box.appendChild(el("p", { cls: "muted", text: t("parcels.found", { n: parcels.length }) }));
    if (more) {
      var btn = el("button", { cls: "btn more", type: "button", text: t("parcels.more") });
      btn.addEventListener("click", function () { btn.disabled = true; more(); });
      box.appendChild(btn);
    }
    box.appendChild(table(["parcels.waybill", "parcels.carrier", "parcels.status", "parcels.holder", "parcels.destination", "parcels.receiver", "parcels.updated"],
      parcels.map(function (p) {
        var link = el("a", { href: "#/parcels/" + encodeURIComponent(p.waybill), text: p.waybill });
        return row([link, carrierName(p.carrier), statusText(p.status), p.holder ? (p.holder.name || p.holder.node) : "",
          destText(p.destination), (p.receiver.name || "") + " " + (p.receiver.phone || ""), fmtTime(p.updated_at)],
          { "data-waybill": p.waybill });
      })));
  }
  function destText(d) {
    if (!d) { return ""; }
    if (!d.station) { return t("parcels.unresolved"); }
    return d.name || d.station;
  }
  function openParcel(wb) {
    $("#pq-waybill").value = wb;
    var box = $("#parcel-detail");
    api("GET", "/parcels/" + encodeURIComponent(wb)).then(function (r) {
      clear(box).hidden = false;
      box.appendChild(el("h3", { text: t("parcels.detail", { waybill: r.waybill }) }));
      r.parcels.forEach(function (p) {
        var dl = el("dl", { cls: "facts" });
        function fact(k, v) { if (v) { dl.appendChild(el("dt", { text: t(k) })); dl.appendChild(el("dd", { text: v })); } }
        fact("parcels.direction", t("direction." + (p.direction === "out" ? "out" : "in")));
        fact("parcels.status", statusText(p.status));
        fact("parcels.stage", stageText(p.stage));
        fact("parcels.carrier", carrierName(p.carrier));
        fact("parcels.holder", p.holder ? (p.holder.name || p.holder.node) : "");
        fact("parcels.destination", destText(p.destination));
        fact("parcels.trip", p.trip);
        fact("parcels.receiver", ((p.receiver.name || "") + " " + (p.receiver.phone || "")).trim());
        fact("parcels.address", p.address);
        fact("parcels.pickup_code", p.pickup_code);
        box.appendChild(el("div", { cls: "parcel", "data-direction": p.direction }, dl));
        if (p.destination && can("parcels", "destination") && p.direction !== "out" && BEFORE_CENTRE.indexOf(p.status) >= 0) { box.appendChild(destinationForm(r.waybill, p)); }
        if (losable(p)) { box.appendChild(lostForm(r.waybill)); }
      });
      box.appendChild(el("h4", { text: t("parcels.timeline") }));
      var ul = el("ul", { cls: "timeline" });
      r.timeline.slice().reverse().forEach(function (f) {
        ul.appendChild(el("li", { "data-kind": f.kind },
          el("span", { cls: "at", text: fmtTime(f.at) }),
          el("span", { cls: "what", text: tOr("event." + f.kind, f.kind) }),
          el("span", { cls: "where", text: f.node === "HUB" ? t("parcels.hub") : (f.node_name || f.node) }),
          f.detail ? el("span", { cls: "muted", text: f.detail }) : null));
      });
      if (!r.timeline.length) { ul.appendChild(el("li", { cls: "muted", text: t("parcels.no_events") })); }
      box.appendChild(ul);
    }).catch(function (err) {
      clear(box).hidden = false;
      box.appendChild(el("p", { cls: "msg error", text: errText(err) }));
    });
  }
  function destinationForm(wb, p, done) {
    var sel = el("select", { cls: "dest-station" });
    var note = el("input", { cls: "dest-note", type: "text", placeholder: t("dest.note") });
    var btn = el("button", { cls: "btn primary dest-save", type: "submit", text: t("dest.save") });
    var msg = el("span", { cls: "dest-msg", role: "status" });
    var form = el("form", { cls: "dest" }, el("label", { text: t(p.destination.station ? "dest.change" : "dest.choose") }), sel, note, btn, msg);
    loadSites().then(function (list) {
      fillSelect(sel, list.filter(function (s) { return s.kind === "station"; }).map(function (s) { return [s.node, s.name + " (" + (s.village_name || s.node) + ")"]; }),
        "dest.pick");
      sel.value = p.destination.station || "";
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (!sel.value) { msg.textContent = t("dest.pick"); return; }
      btn.disabled = true;
      api("POST", "/parcels/" + encodeURIComponent(wb) + "/destination", { station: sel.value, note: note.value.trim() }).then(function () {
        msg.textContent = t("dest.saved");
        if (done) { done(); } else { openParcel(wb); }
      }).catch(function (err) {
        msg.textContent = errText(err);
        btn.disabled = false;
      });
    });
    return form;
  }

  // A parcel waiting at a station longer than this is overdue (the
  // stations send their reminder SMS on their own).
  var OVERDUE_DAYS = 3;
  function parcelQueue(box, parcels, now) {
    clear(box);
    if (!parcels.length) { box.appendChild(empty("exceptions.none")); return; }
    var lost = can("parcels", "lost");
    box.appendChild(table(["parcels.waybill", "parcels.carrier", "parcels.holder", "parcels.receiver", "parcels.updated", "", lost ? "lost.title" : ""], parcels.map(function (p) {
      return row([el("a", { href: "#/parcels/" + encodeURIComponent(p.waybill), text: p.waybill }), carrierName(p.carrier),
        p.holder ? (p.holder.name || p.holder.node) : "", (p.receiver.name || "") + " " + (p.receiver.phone || ""), fmtTime(p.updated_at),
        now ? t("exceptions.waiting", { age: fmtAge((now - new Date(p.updated_at).getTime()) / 1000) }) : "",
        lost ? lostForm(p.waybill, showExceptions) : ""], { "data-waybill": p.waybill });
    })));
  }

  // noteForm is a repair with its required note (why, what was done):
  // send(note) returns the API call's promise; done runs after it.
  function noteForm(cls, buttonKey, send, done) {
    var note = el("input", { cls: "note", type: "text", maxlength: "200", placeholder: t("repair.note") });
    var btn = el("button", { cls: "btn", type: "submit", text: t(buttonKey) });
    var msg = el("span", { cls: "repair-msg", role: "status" });
    var form = el("form", { cls: "repair " + cls }, note, btn, msg);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (!note.value.trim()) { msg.textContent = t("err.note_required"); note.focus(); return; }
      btn.disabled = true;
      send(note.value.trim()).then(function (r) {
        msg.textContent = t("repair.done");
        if (done) { done(r, msg); }
      }).catch(function (err) {
        msg.textContent = errText(err);
        btn.disabled = false;
      });
    });
    return form;
  }
  // A parcel out of the county's hands, or lost already, cannot be lost.
  var FINAL = ["picked_up", "returned", "handed_over", "lost"];
  function losable(p) { return can("parcels", "lost") && FINAL.indexOf(p.status) < 0; }
  function lostForm(wb, done) {
    return noteForm("lost", "lost.mark", function (note) {
      return api("POST", "/parcels/" + encodeURIComponent(wb) + "/lost", { note: note });
    }, function () { if (done) { done(); } else { openParcel(wb); } });
  }
  function resolveForm(x) {
    return noteForm("resolve", "exceptions.resolve", function (note) {
      return api("POST", "/exceptions/" + x.id + "/resolve", { note: note });
    }, showExceptions);
  }
  function opRef(d) { return d.node + "/" + d.incarnation + "/" + d.seq; }
  function deadPath(d) { return "/deadletters/" + [d.node, d.incarnation, String(d.seq)].map(encodeURIComponent).join("/"); }
  // deadLetters shows the open dead letters with their repairs: retry
  // (judged again by the hub as it is now; one still refused stays with
  // the new reason) and discard.
  function deadLetters(box) {
    return api("GET", "/deadletters").then(function (r) {
      box.appendChild(el("h4", { text: t("dead.title") }));
      if (!r.dead_letters.length) { box.appendChild(empty("exceptions.none")); return; }
      var repair = can("ops", "repair");
      box.appendChild(table(["dead.op", "dead.kind", "parcels.waybill", "exceptions.reason", "dead.received", "dead.attempts", repair ? "dead.repair" : ""],
        r.dead_letters.map(function (d) {
          var acts = "";
          if (repair) {
            acts = el("div", { cls: "acts" },
              noteForm("retry", "dead.retry", function (note) { return api("POST", deadPath(d) + "/retry", { note: note }); }, function (a, msg) {
                if (a.applied) { showExceptions(); return; }
                msg.textContent = t("dead.still", { reason: a.dead_letter.reason });
              }),
              noteForm("discard", "dead.discard", function (note) { return api("POST", deadPath(d) + "/discard", { note: note }); }, showExceptions));
          }
          return row([opRef(d), tOr("event." + d.kind, d.kind), d.waybills.join(", "), el("span", { cls: "reason", text: d.code + ": " + d.reason }),
            fmtTime(d.received_at), String(d.attempts), acts], { "data-op": opRef(d), cls: "dead" });
        })));
    });
  }
  function quarantined(box) {
    return api("GET", "/quarantine").then(function (r) {
      box.appendChild(el("h4", { text: t("quarantine.title") }));
      if (!r.quarantined.length) { box.appendChild(empty("exceptions.none")); return; }
      var repair = can("ops", "repair");
      box.appendChild(table(["dead.op", "dead.kind", "exceptions.reason", "dead.received", repair ? "dead.repair" : ""], r.quarantined.map(function (q) {
        var act = repair ? noteForm("ack", "quarantine.ack", function (note) { return api("POST", "/quarantine/" + q.id + "/ack", { note: note }); }, showExceptions) : "";
        return row([opRef(q), tOr("event." + q.kind, q.kind), q.reason, fmtTime(q.received_at), act], { "data-op": opRef(q), cls: "quarantined" });
      })));
    });
  }
  // resolvedExceptions lists the contradictions resolved, with who, when and why.
  function resolvedExceptions(box) {
    var d = el("details", { cls: "resolved" }, el("summary", { text: t("exceptions.resolved") }));
    d.addEventListener("toggle", function () {
      if (!d.open || d.loaded) { return; }
      d.loaded = true;
      api("GET", "/exceptions?open=false&limit=100").then(function (r) {
        var done = r.exceptions.filter(function (x) { return !x.open; });
        if (!done.length) { d.appendChild(empty("exceptions.none")); return; }
        d.appendChild(table(["parcels.waybill", "exceptions.reason", "exceptions.resolved_at", "exceptions.resolved_by", "repair.note"], done.map(function (x) {
          return row([x.waybill, tOr("reason." + x.reason, x.reason), fmtTime(x.resolved_at), x.resolved_by, x.note], { "data-exception": String(x.id) });
        })));
      }).catch(failed);
    });
    box.appendChild(d);
  }

  // Exceptions: unresolved destinations, contradictions, dead-lettered and quarantined ops.
  // keepTyped notes what is typed in root's row forms (a note, a station
  // chosen), by the section, the row and the field; the function it
  // returns puts it back into the rows drawn again.
  function keepTyped(root) {
    var ROW = ["data-waybill", "data-exception", "data-op"];
    function key(e) {
      var r = e.closest("[" + ROW.join("],[") + "]");
      if (!r) { return null; }
      var box = r.parentNode.closest("[id]");
      return [box ? box.id : ""].concat(ROW.map(function (a) { return r.getAttribute(a) || ""; }),
        [e.form ? e.form.className : "", e.className]).join("|");
    }
    var kept = {};
    root.querySelectorAll("input, select").forEach(function (e) { var k = key(e); if (k && e.value) { kept[k] = e.value; } });
    return function () {
      root.querySelectorAll("input, select").forEach(function (e) { var k = key(e); if (k && kept[k] !== undefined && !e.value) { e.value = kept[k]; } });
    };
  }

  // showExceptions draws the queue; after a repair it is drawn again,
  // and the notes being written in other rows stay.
  function showExceptions() {
    var restore = keepTyped($("#view-exceptions"));
    var jobs = [
      api("GET", "/unresolved?limit=200").then(function (r) {
        var box = clear($("#ex-unresolved"));
        var ps = r.parcels || [];
        if (!ps.length) { box.appendChild(empty("exceptions.none")); return; }
        ps.forEach(function (p) {
          var item = el("div", { cls: "ex-item", "data-waybill": p.waybill },
            el("a", { href: "#/parcels/" + encodeURIComponent(p.waybill), text: p.waybill }),
            el("span", { text: " " + (p.address || "") + " " }),
            el("span", { cls: "muted", text: p.destination && p.destination.detail ? p.destination.detail : "" }));
          if (can("parcels", "destination")) {
            item.appendChild(destinationForm(p.waybill, { destination: p.destination || {} }, showExceptions));
          }
          box.appendChild(item);
        });
      }),
      api("GET", "/parcels?status=problem&limit=200").then(function (r) {
        parcelQueue($("#ex-problems"), r.parcels);
      }),
      Promise.all([api("GET", "/parcels?status=at_station&limit=500"),
        can("statistics", "read") ? api("GET", "/counts") : Promise.resolve({ hub_time_ms: Date.now() })]).then(function (r) {
        var cutoff = r[1].hub_time_ms - OVERDUE_DAYS * 86400000;
        parcelQueue($("#ex-overdue"), r[0].parcels.filter(function (p) { return new Date(p.updated_at).getTime() < cutoff; }), r[1].hub_time_ms);
      }),
      api("GET", "/exceptions?open=true&limit=200").then(function (r) {
        var box = clear($("#ex-contradictions"));
        var resolve = can("exceptions", "resolve");
        if (!r.exceptions.length) {
          box.appendChild(empty("exceptions.none"));
        } else {
          box.appendChild(table(["parcels.waybill", "exceptions.reason", "exceptions.ops", "exceptions.since", resolve ? "exceptions.resolve_head" : ""], r.exceptions.map(function (x) {
            return row([el("a", { href: "#/parcels/" + encodeURIComponent(x.waybill), text: x.waybill }), tOr("reason." + x.reason, x.reason),
              x.ops.join(", "), fmtTime(x.created_at), resolve ? resolveForm(x) : ""], { "data-exception": String(x.id) });
          })));
        }
        resolvedExceptions(box);
      })
    ];
    if (can("stations", "read")) {
      jobs.push(api("GET", "/stations").then(function (r) {
        var box = clear($("#ex-ops"));
        var bad = r.stations.filter(function (s) { return s.dead_letters || s.quarantined || s.future_ops; });
        if (!bad.length) { box.appendChild(empty("exceptions.none")); return; }
        box.appendChild(table(["stations.name", "stations.dead", "stations.quarantined", "stations.future"], bad.map(function (s) {
          return row([s.name || s.node, s.dead_letters, s.quarantined, s.future_ops]);
        })));
        box.appendChild(el("p", { cls: "muted", text: t("exceptions.ops_hint") }));
        var lists = el("div", { id: "ex-oplists" });
        box.appendChild(lists);
        var dead = el("div", { cls: "dead-letters" }), quar = el("div", { cls: "quarantine" });
        lists.appendChild(dead);
        lists.appendChild(quar);
        return Promise.all([deadLetters(dead), quarantined(quar)]);
      }));
    }
    Promise.all(jobs).then(function () { restore(); banner(""); }, function (err) { restore(); failed(err); });
  }

  // Stations' health; a station's parcels.
  function devicesText(h) {
    if (!h) { return t("stations.no_report"); }
    var bad = h.devices.filter(function (d) { return d.state !== "ready"; });
    if (!h.devices.length) { return t("stations.no_devices"); }
    if (!bad.length) { return t("stations.devices_ok", { n: h.devices.length }); }
    return bad.map(function (d) { return d.name + " " + tOr("device." + d.state, d.state) + (d.code ? " (" + d.code + ")" : ""); }).join("; ");
  }
  function stationState(s, hubMs) {
    var online = !!s.last_contact_ms && hubMs - s.last_contact_ms < ONLINE_MS;
    return {
      online: online,
      key: s.disabled ? "stations.disabled" : !s.enrolled ? (s.code_pending ? "stations.code_pending" : "stations.not_enrolled") :
        online ? "stations.online" : "stations.offline"
    };
  }
  // showStations lists the stations' health; with a node, that station's
  // detail: its site, devices, day closes and parcels, and the actions the
  // role may take (a new enrollment code, disable, enable). The list's
  // timer refresh (again) leaves the detail and the add form alone.
  function showStations(args, again) {
    api("GET", "/stations").then(function (r) {
      var box = clear($("#st-list"));
      box.appendChild(table(["stations.name", "stations.kind", "stations.state", "stations.contact", "stations.lag", "stations.backlog",
        "stations.oldest", "stations.skew", "stations.dead", "stations.quarantined", "stations.devices", "stations.software"], r.stations.map(function (s) {
        var st = stationState(s, r.hub_time_ms);
        var h = s.health;
        var sick = h && h.devices.some(function (d) { return d.state !== "ready"; });
        var name = el("a", { href: "#/stations/" + encodeURIComponent(s.node), text: s.name || s.node });
        return row([name, tOr("kind." + s.kind, s.kind), el("span", { cls: st.online ? "ok" : "bad", text: t(st.key) }),
          s.last_contact_ms ? t("time.ago", { age: fmtAge((r.hub_time_ms - s.last_contact_ms) / 1000) }) : t("overview.never"),
          fmtAge(s.lag_seconds || 0), h ? h.backlog : "", h && h.backlog ? fmtAge(h.oldest_unsent_s) : "",
          t("stations.skew_ms", { ms: s.skew_ms }), s.dead_letters, s.quarantined,
          el("span", { cls: sick ? "bad devices" : "devices", text: devicesText(h) }), s.software || ""],
        { "data-node": s.node });
      })));
      banner("");
    }).catch(failed);
    if (again) { return; }
    $("#st-add-open").hidden = !can("stations", "manage");
    var detail = $("#st-detail");
    if (!args[0]) { detail.hidden = true; return; }
    showStation(decodeURIComponent(args[0]));
  }

  // The form to add a station: node id, name, kind, the village it serves.
  $("#st-add-open").addEventListener("click", function () {
    var form = $("#st-add");
    form.hidden = !form.hidden;
    if (form.hidden) { return; }
    $("#st-add-msg").hidden = true;
    fillSelect($("#sa-kind"), [["station", t("kind.station")], ["centre", t("kind.centre")]], "stations.pick_kind");
    $("#sa-kind").value = "station";
    $("#sa-village").disabled = false;
    api("GET", "/villages").then(function (r) {
      fillSelect($("#sa-village"), r.villages.filter(function (v) { return !v.station; }).map(function (v) {
        return [v.code, v.town_name + v.name + " (" + v.code + ")"];
      }), "stations.no_village");
    }).catch(failed);
    $("#sa-node").focus();
  });
  $("#sa-kind").addEventListener("change", function () { $("#sa-village").disabled = $("#sa-kind").value === "centre"; });
  $("#sa-cancel").addEventListener("click", function () { $("#st-add").hidden = true; });
  $("#st-add").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var msg = $("#st-add-msg");
    var node = $("#sa-node").value.trim();
    var name = $("#sa-name").value.trim();
    var kind = $("#sa-kind").value || "station";
    if (!node || !name) { msg.textContent = t("stations.fill"); msg.className = "msg error"; msg.hidden = false; return; }
    var body = { name: name, kind: kind };
    if (kind === "station" && $("#sa-village").value) { body.village = $("#sa-village").value; }
    $("#sa-submit").disabled = true;
    api("PUT", "/stations/" + encodeURIComponent(node), body).then(function (a) {
      $("#st-add").hidden = true;
      $("#sa-node").value = "";
      $("#sa-name").value = "";
      cache.sites = null;
      showCode(a, "stations.added_title");
      location.hash = "#/stations/" + encodeURIComponent(a.node);
    }).catch(function (err) {
      msg.textContent = err.code === "invalid" ? t("stations.invalid") : errText(err);
      msg.className = "msg error";
      msg.hidden = false;
    }).then(function () { $("#sa-submit").disabled = false; });
  });

  // showCode shows a one-time enrollment code and the command that uses
  // it, until the dispatcher closes it: it is shown only this once.
  function showCode(a, titleKey) {
    var box = clear($("#st-code"));
    box.hidden = false;
    box.setAttribute("data-node", a.node);
    box.appendChild(el("h3", { text: t(titleKey, { name: a.name, node: a.node }) }));
    box.appendChild(el("p", null, el("span", { cls: "muted", text: t("stations.code") + " " }), el("code", { cls: "secret enroll-code", text: a.code })));
    box.appendChild(el("p", { cls: "muted", text: t("stations.code_expires", { at: fmtTime(a.expires) }) }));
    box.appendChild(el("p", { cls: "muted", text: t("stations.command") }));
    box.appendChild(el("pre", { cls: "enroll-command", text: a.command }));
    if (a.sms_pushed === false) { box.appendChild(el("p", { cls: "msg error", text: t("stations.sms_not_pushed", { node: a.node }) })); }
    box.appendChild(el("p", { cls: "muted", text: t("stations.code_hint") }));
    var close = el("button", { cls: "btn", type: "button", text: t("users.once_close") });
    close.addEventListener("click", function () { clear(box).hidden = true; });
    box.appendChild(close);
  }

  // showStation fills the detail of one station; note, a message key, is
  // what was just done.
  function showStation(node, note) {
    var detail = $("#st-detail");
    var path = "/stations/" + encodeURIComponent(node);
    var jobs = [api("GET", path), api("GET", path + "/dayclosures?limit=60")];
    if (can("parcels", "read")) { jobs.push(api("GET", "/parcels?station=" + encodeURIComponent(node) + "&limit=100")); }
    Promise.all(jobs).then(function (res) {
      var s = res[0], closes = res[1].day_closures, parcels = res[2];
      clear(detail).hidden = false;
      detail.setAttribute("data-node", s.node);
      var st = stationState(s, s.hub_time_ms);
      var head = el("div", { cls: "st-head" }, el("h3", { text: (s.name || s.node) + " · " + s.node }),
        el("span", { cls: st.online ? "ok st-state" : "bad st-state", text: t(st.key) }));
      var acts = el("span", { cls: "u-acts st-acts" });
      var msg = el("div", { cls: "msg", role: "status", hidden: true });
      if (note) { msg.textContent = t(note, { node: s.node }); msg.className = "msg ok"; msg.hidden = false; }
      // After a change the list and this detail are read again.
      function done(key) { showStations([node], true); showStation(node, key); }
      // A refused action can be tried again.
      function fail(b) { return function (err) { msg.textContent = errText(err); msg.className = "msg error"; msg.hidden = false; b.disabled = false; }; }
      if (can("stations", "enroll") && !s.disabled) {
        acts.appendChild(confirmButton("stations.new_code", "st-new-code", function (b) {
          api("POST", path + "/code").then(function (a) { showCode(a, "stations.code_title"); done("stations.code_done"); }).catch(fail(b));
        }));
      }
      if (can("stations", "manage")) {
        acts.appendChild(confirmButton(s.disabled ? "stations.enable" : "stations.disable", "st-disable", function (b) {
          api("POST", path + (s.disabled ? "/enable" : "/disable")).then(function () {
            done(s.disabled ? "stations.enabled_done" : "stations.disabled_done");
          }).catch(fail(b));
        }));
      }
      head.appendChild(acts);
      detail.appendChild(head);
      detail.appendChild(msg);

      var site = s.site || {};
      var h = s.health;
      var facts = el("dl", { cls: "facts st-facts" });
      function fact(key, value) { facts.appendChild(el("dt", { text: t(key) })); facts.appendChild(el("dd", { text: value === undefined || value === "" ? "—" : String(value) })); }
      fact("stations.kind", tOr("kind." + s.kind, s.kind));
      fact("stations.village", site.village ? site.town_name + site.village_name : "");
      fact("stations.address", site.address);
      fact("stations.hours", site.hours);
      fact("stations.contact_person", [site.contact_name, site.contact_phone].filter(Boolean).join(" "));
      fact("stations.contact", s.last_contact_ms ? t("time.ago", { age: fmtAge((s.hub_time_ms - s.last_contact_ms) / 1000) }) : t("overview.never"));
      fact("stations.lag", fmtAge(s.lag_seconds || 0));
      fact("stations.backlog", h ? h.backlog + (h.backlog ? " · " + t("stations.oldest") + " " + fmtAge(h.oldest_unsent_s) : "") : t("stations.no_report"));
      fact("stations.skew", t("stations.skew_ms", { ms: s.skew_ms }));
      fact("stations.dead", s.dead_letters + " · " + t("stations.quarantined") + " " + s.quarantined);
      fact("stations.software", s.software);
      detail.appendChild(facts);

      detail.appendChild(el("h4", { text: t("stations.devices") }));
      if (!h || !h.devices.length) {
        detail.appendChild(empty(h ? "stations.no_devices" : "stations.no_report"));
      } else {
        detail.appendChild(table(["stations.device", "stations.device_kind", "stations.state", "stations.device_code"], h.devices.map(function (d) {
          return row([d.name, tOr("devkind." + d.kind, d.kind), el("span", { cls: d.state === "ready" ? "ok" : "bad", text: tOr("device." + d.state, d.state) }),
            d.code || ""], { "data-device": d.name });
        })));
      }

      detail.appendChild(el("h4", { text: t("stations.dayclosures") }));
      if (!closes.length) {
        detail.appendChild(empty("stations.no_dayclosures"));
      } else {
        detail.appendChild(table(["stations.dc_date", "stations.dc_in", "stations.dc_out", "stations.dc_sent", "stations.dc_problems",
          "stations.dc_returns", "stations.dc_opening", "stations.dc_on_shelf", "stations.dc_mismatch", "stations.dc_by", "stations.dc_at"],
          closes.map(function (c) {
            return row([c.date, c.total.in, c.total.out, c.total.sent, c.total.problems, c.total.returns, c.opening_on_shelf, c.total.on_shelf,
              el("span", { cls: c.mismatch ? "bad" : "ok", text: c.mismatch ? String(c.mismatch) : t("stations.dc_ok") }), c.closed_by, fmtTime(c.closed_at)],
              { "data-date": c.date, "class": c.mismatch ? "dc-mismatch" : null });
          })));
      }

      if (parcels) {
        detail.appendChild(el("h4", { text: t("stations.parcels", { node: s.name || s.node, n: parcels.parcels.length }) }));
        if (!parcels.parcels.length) { detail.appendChild(empty("parcels.none")); return; }
        detail.appendChild(table(["parcels.waybill", "parcels.status", "parcels.receiver", "parcels.pickup_code", "parcels.updated"],
          parcels.parcels.map(function (p) {
            return row([el("a", { href: "#/parcels/" + encodeURIComponent(p.waybill), text: p.waybill }), statusText(p.status),
              (p.receiver.name || "") + " " + (p.receiver.phone || ""), p.pickup_code || "", fmtTime(p.updated_at)], { "data-waybill": p.waybill });
          })));
      }
    }).catch(function (err) {
      // A node id typed into the address that the county does not have.
      if (err.code === "not_found") {
        clear(detail).hidden = false;
        detail.appendChild(el("p", { cls: "msg error", text: t("stations.not_found", { node: node }) }));
        return;
      }
      failed(err);
    });
  }

  // Trips: today's trips with their stops and the parcels loaded on them.
  // showTrips refreshes the list on its timer (again) and leaves the
  // detail alone: an assignment being filled in is not wiped.
  function showTrips(args, again) {
    api("GET", "/trips").then(function (r) {
      var box = clear($("#trips-list"));
      box.appendChild(el("p", { cls: "muted", text: t("trips.date", { date: r.date }) }));
      if (!r.trips.length) { box.appendChild(empty("overview.no_trips")); return; }
      box.appendChild(table(["trips.line", "trips.departure", "trips.vehicle", "trips.driver", "trips.status", "trips.stops", ""],
        r.trips.map(function (tr) {
          var links = el("span", null, el("a", { href: "#/trips/" + encodeURIComponent(tr.id), text: t("trips.parcels") }));
          if (can("trips", "write")) {
            links.appendChild(document.createTextNode(" · "));
            links.appendChild(el("a", { href: "#/trips/" + encodeURIComponent(tr.id) + "/assign", cls: "assign", text: t("trips.assign") }));
          }
          if (tr.vehicle && allowed(viewOf("map"))) {
            links.appendChild(document.createTextNode(" · "));
            links.appendChild(el("a", { href: "#/map/" + encodeURIComponent(tr.id), text: t("map.play") }));
          }
          return row([tr.line_name || tr.line, tr.departure, tr.vehicle, tr.driver, tOr("trip." + tr.status, tr.status),
            String(tr.stops.length), links], { "data-trip": tr.id, cls: "trip-" + tr.status });
        })));
      banner("");
    }).catch(failed);
    if (again) { return; }
    showTimetable();
    var detail = $("#trip-detail");
    if (args[0] && args[1] === "assign" && can("trips", "write")) { assignTrip(decodeURIComponent(args[0])); return; }
    if (!args[0] || !can("parcels", "read")) { detail.hidden = true; return; }
    var id = decodeURIComponent(args[0]);
    api("GET", "/parcels?trip=" + encodeURIComponent(id) + "&limit=500").then(function (r) {
      clear(detail).hidden = false;
      detail.appendChild(el("h3", { text: t("trips.loaded", { trip: id, n: r.parcels.length }) }));
      if (!r.parcels.length) { detail.appendChild(empty("parcels.none")); return; }
      detail.appendChild(table(["parcels.waybill", "parcels.status", "parcels.destination"], r.parcels.map(function (p) {
        return row([el("a", { href: "#/parcels/" + encodeURIComponent(p.waybill), text: p.waybill }), statusText(p.status),
          destText(p.destination)], { "data-waybill": p.waybill });
      })));
    }).catch(failed);
  }

  // showTimetable lists the lines: for each, its stops down and its
  // departures across, each cell the time the vehicle is due there.
  function addMinutes(hhmm, min) {
    var m = parseInt(hhmm.slice(0, 2), 10) * 60 + parseInt(hhmm.slice(3, 5), 10) + min;
    var h = Math.floor(m / 60) % 24, mm = m % 60;
    return (h < 10 ? "0" : "") + h + ":" + (mm < 10 ? "0" : "") + mm;
  }
  function showTimetable() {
    if (!can("registry", "read")) { return; }
    Promise.all([loadSites(), api("GET", "/lines")]).then(function (r) {
      var names = {};
      r[0].forEach(function (s) { names[s.node] = s.name; });
      var box = clear($("#trips-lines"));
      if (!r[1].lines.length) { box.appendChild(empty("trips.no_lines")); return; }
      r[1].lines.forEach(function (l) {
        var head = el("tr", null, el("th", { text: t("trips.stop") }));
        l.departures.forEach(function (d) { head.appendChild(el("th", { text: d })); });
        var body = el("tbody");
        l.stops.forEach(function (st) {
          var tr = el("tr", null, el("td", { text: names[st.node] || st.node }));
          l.departures.forEach(function (d) { tr.appendChild(el("td", { text: addMinutes(d, st.minutes) })); });
          body.appendChild(tr);
        });
        box.appendChild(el("details", { cls: "line", "data-line": l.code },
          el("summary", { text: t("trips.line_summary", { name: l.name, kind: tOr("linekind." + l.kind, l.kind), stops: l.stops.length,
            departures: l.departures.join(" ") }) }),
          el("table", { cls: "grid" }, el("thead", null, head), body)));
      });
    }).catch(failed);
  }

  // assignTrip sets a trip's vehicle, driver and status (PATCH /trips/{id}).
  var TRIP_STATUSES = ["planned", "departed", "arrived", "cancelled"];
  function assignTrip(id) {
    var detail = clear($("#trip-detail"));
    detail.hidden = false;
    var fleet = allowed(viewOf("map")) ? Promise.all([api("GET", "/vehicles"), api("GET", "/drivers"), api("GET", "/trips")]) :
      Promise.all([{ vehicles: [] }, { drivers: [] }, api("GET", "/trips")]);
    fleet.then(function (r) {
      var trip = r[2].trips.filter(function (x) { return x.id === id; })[0];
      if (!trip) { detail.appendChild(el("p", { cls: "msg error", text: t("err.not_found") })); return; }
      var vehicle = el("select", { id: "assign-vehicle" });
      fillSelect(vehicle, r[0].vehicles.filter(function (v) { return v.active; }).map(function (v) { return [v.plate, v.plate + " (" + v.kind + ")"]; }), "trips.none");
      vehicle.value = trip.vehicle || "";
      var driver = el("select", { id: "assign-driver" });
      fillSelect(driver, r[1].drivers.filter(function (d) { return d.active; }).map(function (d) { return [d.id, d.name + " " + d.phone]; }), "trips.none");
      driver.value = trip.driver || "";
      var status = el("select", { id: "assign-status" });
      TRIP_STATUSES.forEach(function (st) { status.appendChild(el("option", { value: st, text: t("trip." + st) })); });
      status.value = trip.status;
      var msg = el("p", { id: "assign-msg", role: "status" });
      var btn = el("button", { cls: "btn primary", type: "submit", text: t("dest.save") });
      var form = el("form", { cls: "assign-form" },
        el("h3", { text: t("trips.assign_title", { line: trip.line_name || trip.line, departure: trip.departure }) }),
        el("label", null, el("span", { text: t("trips.vehicle") }), vehicle),
        el("label", null, el("span", { text: t("trips.driver") }), driver),
        el("label", null, el("span", { text: t("trips.status") }), status), btn, msg);
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        btn.disabled = true;
        api("PATCH", "/trips/" + encodeURIComponent(id), { vehicle: vehicle.value, driver: driver.value, status: status.value }).then(function () {
          msg.textContent = t("trips.assigned");
          showTrips([], true);
        }).catch(function (err) { msg.textContent = errText(err); }).then(function () { btn.disabled = false; });
      });
      detail.appendChild(form);
    }).catch(failed);
  }

  // The map: the county drawn from the gazetteer's coordinates, lines as
  // polylines, vehicles' latest positions, a trip's track replayed.
  var map = { proj: null, replay: null };
  function project(sites, extra) {
    var lats = [], lons = [];
    sites.concat(extra).forEach(function (p) { if (p.lat || p.lon) { lats.push(p.lat); lons.push(p.lon); } });
    var minLat = Math.min.apply(null, lats), maxLat = Math.max.apply(null, lats);
    var minLon = Math.min.apply(null, lons), maxLon = Math.max.apply(null, lons);
    var k = Math.cos((minLat + maxLat) / 2 * Math.PI / 180);
    var w = Math.max((maxLon - minLon) * k, 0.01), h = Math.max(maxLat - minLat, 0.01);
    var scale = Math.min(900 / w, 560 / h);
    var ox = 500 - ((minLon + maxLon) / 2 - minLon) * k * scale, oy = 320 + ((minLat + maxLat) / 2 - minLat) * scale;
    return function (lat, lon) {
      return [Math.round((ox + (lon - minLon) * k * scale) * 10) / 10, Math.round((oy - (lat - minLat) * scale) * 10) / 10];
    };
  }
  function showMap(args, again) {
    var base = cache.lines && cache.sites ? Promise.resolve() : Promise.all([loadSites(), api("GET", "/lines")]).then(function (r) {
      cache.lines = r[1].lines;
    });
    base.then(function () {
      return api("GET", "/vehicles/positions");
    }).then(function (pos) {
      if (!map.proj || !again) { drawBase(); }
      drawVehicles(pos.positions);
      if (!again) { fillTrips(args[0] ? decodeURIComponent(args[0]) : ""); }
      banner("");
    }).catch(failed);
  }
  function drawBase() {
    var s = clear($("#map"));
    var sites = cache.sites.filter(function (x) { return x.lat || x.lon; });
    map.proj = project(sites, []);
    var byNode = {};
    sites.forEach(function (x) { byNode[x.node] = x; });
    var gl = svg("g", { "class": "lines" });
    cache.lines.forEach(function (l) {
      var pts = l.stops.map(function (st) { return byNode[st.node]; }).filter(Boolean).map(function (x) { return map.proj(x.lat, x.lon).join(","); });
      if (pts.length > 1) { gl.appendChild(svg("polyline", { points: pts.join(" "), "class": "line", "data-line": l.code })); }
    });
    s.appendChild(gl);
    var gs = svg("g", { "class": "sites" });
    sites.forEach(function (x) {
      var p = map.proj(x.lat, x.lon);
      var g = svg("g", { "class": "site site-" + x.kind, "data-node": x.node, transform: "translate(" + p[0] + "," + p[1] + ")" });
      g.appendChild(svg(x.kind === "centre" ? "rect" : "circle", x.kind === "centre" ? { x: -7, y: -7, width: 14, height: 14 } : { r: 4 }));
      g.appendChild(svg("text", { x: 7, y: 4, text: x.village_name || x.name }));
      gs.appendChild(g);
    });
    s.appendChild(gs);
    s.appendChild(svg("g", { "class": "track" }));
    s.appendChild(svg("g", { "class": "vehicles" }));
  }
  function drawVehicles(ps) {
    var g = $("#map .vehicles");
    var list = clear($("#map-vehicles"));
    if (!ps.length) { list.appendChild(empty("map.no_vehicles")); }
    var seen = {};
    ps.forEach(function (p) {
      seen[p.plate] = true;
      var xy = map.proj(p.lat, p.lon);
      var m = null;
      g.querySelectorAll(".vehicle").forEach(function (x) { if (x.getAttribute("data-plate") === p.plate) { m = x; } });
      if (!m) {
        m = svg("g", { "class": "vehicle", "data-plate": p.plate });
        m.appendChild(svg("path", { "class": "heading", d: "M0,-15 L5,-8 L-5,-8 Z" }));
        m.appendChild(svg("circle", { r: 8 }));
        m.appendChild(svg("text", { x: 10, y: -8, text: p.plate }));
        g.appendChild(m);
      }
      m.setAttribute("transform", "translate(" + xy[0] + "," + xy[1] + ")");
      m.querySelector(".heading").setAttribute("transform", "rotate(" + (p.heading || 0) + ")");
      m.setAttribute("data-lat", p.lat);
      m.setAttribute("data-lon", p.lon);
      list.appendChild(el("div", { cls: "vehicle-row", "data-plate": p.plate },
        el("b", { text: p.plate }), " ", t("map.speed", { kmh: Math.round(p.speed_kmh) }), " ",
        el("span", { cls: "muted", text: fmtTime(p.time) + (p.trip ? " " + p.trip : "") })));
    });
    g.querySelectorAll(".vehicle").forEach(function (m) { if (!seen[m.getAttribute("data-plate")]) { m.parentNode.removeChild(m); } });
  }
  function fillTrips(replay) {
    api("GET", "/trips").then(function (r) {
      fillSelect($("#map-trip"), r.trips.map(function (tr) { return [tr.id, (tr.line_name || tr.line) + " " + tr.departure + " " + (tr.vehicle || "")]; }),
        "map.pick_trip");
      if (replay) {
        $("#map-trip").value = replay;
        playTrack();
      }
    }).catch(failed);
  }
  $("#map-play").addEventListener("click", function () { playTrack(); });
  function playTrack() {
    var id = $("#map-trip").value;
    var msg = $("#map-replay-msg");
    if (!id) { msg.textContent = t("map.pick_trip"); return; }
    if (map.replay) { clearInterval(map.replay); map.replay = null; }
    api("GET", "/trips/" + encodeURIComponent(id) + "/track").then(function (tr) {
      var g = clear($("#map .track"));
      document.querySelectorAll("#map .line").forEach(function (l) { l.classList.toggle("active", l.getAttribute("data-line") === tr.trip.line); });
      var stops = clear($("#map-stops"));
      tr.events.forEach(function (e) {
        var site = (cache.sites || []).filter(function (x) { return x.node === e.node; })[0];
        stops.appendChild(el("li", { "data-node": e.node }, el("span", { cls: "muted", text: fmtTime(e.time) + " " }),
          t(e.kind === "departure" ? "map.stop_departure" : "map.stop_arrival", { site: site ? site.name : e.node })));
      });
      if (!tr.positions.length) { msg.textContent = t("map.no_track"); return; }
      var pts = tr.positions.map(function (p) { return map.proj(p.lat, p.lon); });
      g.appendChild(svg("polyline", { "class": "trail", points: pts.map(function (p) { return p.join(","); }).join(" ") }));
      var dot = svg("circle", { "class": "replay", r: 7 });
      g.appendChild(dot);
      var i = 0;
      function step() {
        if (i >= pts.length) { clearInterval(map.replay); map.replay = null; msg.textContent = t("map.replay_done", { n: pts.length }); return; }
        dot.setAttribute("cx", pts[i][0]);
        dot.setAttribute("cy", pts[i][1]);
        msg.textContent = t("map.replay_at", { at: fmtTime(tr.positions[i].time), kmh: Math.round(tr.positions[i].speed_kmh) });
        i++;
      }
      step();
      map.replay = setInterval(step, Math.max(30, Math.min(400, 8000 / pts.length)));
    }).catch(function (err) { msg.textContent = errText(err); });
  }

  // templateCard shows an SMS template with its preview; the admin edits
  // it there: the preview follows the typing (a dry run on the hub, which
  // checks the variables and the length), saving takes a second click.
  // templateProblem says in the page's language what hub/notify.Check
  // found wrong with a template (its detail is English).
  function templateProblem(detail) {
    detail = String(detail || "").replace(/^invalid: /, "");
    var m, words = detail;
    if (/^empty template/.test(detail)) {
      words = t("sms.tpl_empty");
    } else if (/^braces /.test(detail)) {
      words = t("sms.tpl_braces", { example: "{code}" });
    } else if ((m = /^(\{[^}]*\}) is not a variable of \S+; use (.*)$/.exec(detail))) {
      words = t("sms.tpl_variable", { bad: m[1], vars: m[2] });
    } else if ((m = /^(\d+) characters with sample values \(at most (\d+)\)/.exec(detail))) {
      words = t("sms.tpl_long", { chars: m[1], max: m[2] });
    }
    return t("sms.template_bad", { detail: words });
  }
  function templateCard(tp) {
    var card = el("div", { cls: "template", "data-kind": tp.kind }, el("h4", { text: tOr("smskind." + tp.kind, tp.kind) }));
    var preview = el("span", { cls: "preview-text", text: tp.preview.text });
    var length = el("p", { cls: "muted length", text: t("sms.length", { chars: tp.preview.chars, parts: tp.preview.parts }) });
    var msg = el("p", { cls: "msg", role: "status", hidden: true });
    var vars = el("p", { cls: "muted", text: t("sms.variables", { vars: tp.variables.map(function (v) { return "{" + v + "}"; }).join(" ") }) });
    if (!can("sms.templates", "write")) {
      card.appendChild(el("pre", { text: tp.text }));
      card.appendChild(vars);
      card.appendChild(el("div", { cls: "preview" }, el("b", { text: t("sms.preview") }), " ", preview));
      card.appendChild(length);
      return card;
    }
    var text = el("textarea", { cls: "tpl-text", rows: 3, spellcheck: "false", "aria-label": t("sms.text") });
    text.value = tp.text;
    var say = function (cls, words) { msg.className = "msg " + cls; msg.textContent = words; msg.hidden = !words; };
    var check = null, asked = 0;
    var dry = function () {
      var n = ++asked;
      api("PUT", "/sms/templates/" + encodeURIComponent(tp.kind), { text: text.value, dry_run: true }).then(function (v) {
        if (n !== asked) { return; }
        preview.textContent = v.preview.text;
        length.textContent = t("sms.length", { chars: v.preview.chars, parts: v.preview.parts });
        save.disabled = text.value.trim() === tp.text;
        say("", "");
      }).catch(function (err) {
        if (n !== asked) { return; }
        save.disabled = true;
        say("error", err.code === "invalid" ? templateProblem(err.detail) : errText(err));
      });
    };
    text.addEventListener("input", function () { clearTimeout(check); check = setTimeout(dry, 300); });
    var save = confirmButton("sms.template_save", "primary tpl-save", function () {
      api("PUT", "/sms/templates/" + encodeURIComponent(tp.kind), { text: text.value }).then(function (v) {
        tp.text = v.text;
        say("ok", t("sms.template_saved"));
        save.disabled = true;
      }).catch(function (err) {
        save.disabled = false;
        say("error", err.code === "invalid" ? templateProblem(err.detail) : errText(err));
      });
    });
    save.disabled = true;
    card.appendChild(text);
    card.appendChild(vars);
    card.appendChild(el("div", { cls: "preview" }, el("b", { text: t("sms.preview") }), " ", preview));
    card.appendChild(length);
    card.appendChild(el("p", { cls: "muted", text: tp.updated ? t("sms.template_updated", { at: fmtTime(tp.updated), by: tp.updated_by || "" }) : "" }));
    card.appendChild(save);
    card.appendChild(msg);
    return card;
  }

  // optOutForm stops or resumes a villager's SMS, when they ask by phone
  // or at a station.
  function optOutForm() {
    var phone = el("input", { id: "oo-phone", type: "tel", inputmode: "numeric", maxlength: 11, placeholder: t("sms.optout_phone") });
    var msg = el("p", { id: "oo-msg", cls: "msg", role: "status", hidden: true });
    var act = function (method) {
      var p = phone.value.replace(/\D/g, "");
      if (!/^1\d{10}$/.test(p)) { msg.className = "msg error"; msg.textContent = t("sms.optout_bad"); msg.hidden = false; return; }
      api(method, "/sms/optouts/" + p).then(function (r) {
        msg.className = "msg ok";
        msg.textContent = t(method === "PUT" ? "sms.optout_done" : "sms.optin_done", { phone: r.phone });
        msg.hidden = false;
      }).catch(function (err) { msg.className = "msg error"; msg.textContent = errText(err); msg.hidden = false; });
    };
    var stop = el("button", { id: "oo-stop", cls: "btn primary", type: "button", text: t("sms.optout") });
    var resume = el("button", { id: "oo-resume", cls: "btn", type: "button", text: t("sms.optin") });
    stop.addEventListener("click", function () { act("PUT"); });
    resume.addEventListener("click", function () { act("DELETE"); });
    return el("div", { cls: "optouts" }, el("p", { cls: "muted", text: t("sms.optout_hint") }),
      el("div", { cls: "row-form" }, el("label", { "for": "oo-phone", text: t("sms.phone") }), phone, stop, resume), msg);
  }

  // SMS: messages, problems, templates with their previews.
  var smsTab = "all";
  document.querySelectorAll("[data-sms]").forEach(function (b) {
    b.addEventListener("click", function () { location.hash = "#/sms/" + b.getAttribute("data-sms"); });
  });
  function showSMS(args) {
    smsTab = args[0] || "all";
    document.querySelectorAll("[data-sms]").forEach(function (b) { b.classList.toggle("active", b.getAttribute("data-sms") === smsTab); });
    $('[data-sms="optouts"]').hidden = !can("sms.optouts", "write");
    var box = $("#sms-body");
    // An answer for a tab left meanwhile is not drawn over the tab shown.
    var tab = smsTab;
    var still = function () { return smsTab === tab && view === "sms"; };
    if (smsTab === "templates") {
      api("GET", "/sms/templates").then(function (r) {
        if (!still()) { return; }
        clear(box);
        r.templates.forEach(function (tp) { box.appendChild(templateCard(tp)); });
      }).catch(failed);
      return;
    }
    if (smsTab === "optouts") {
      clear(box).appendChild(optOutForm());
      return;
    }
    api("GET", "/sms/messages?limit=200" + (smsTab === "problems" ? "&state=problems" : "")).then(function (r) {
      if (!still()) { return; }
      clear(box);
      if (!r.messages.length) { box.appendChild(empty("sms.none")); return; }
      box.appendChild(table(["sms.created", "sms.phone", "sms.kind", "sms.state", "sms.gateway", "sms.attempts", "sms.error", "sms.waybills", "sms.text"],
        r.messages.map(function (m) {
          return row([fmtTime(m.created), m.phone, tOr("smskind." + m.kind, m.kind), tOr("smsstate." + m.state, m.state), m.gateway || "",
            m.attempts, [m.error_code, m.error].filter(Boolean).join(" "), (m.waybills || []).join(" "), m.text], { cls: "sms-" + m.state });
        })));
    }).catch(failed);
  }

  // Statistics: parcels by stage drawn as bars, by holder as a table,
  // exported as CSV.
  var stats = null;
  function showStatistics() {
    api("GET", "/counts").then(function (c) {
      stats = c;
      var chart = clear($("#stats-chart"));
      var max = 1;
      STAGES.forEach(function (s) { max = Math.max(max, (c.by_stage || {})[s] || 0); });
      var bw = 640 / STAGES.length;
      STAGES.forEach(function (s, i) {
        var n = (c.by_stage || {})[s] || 0;
        var h = Math.round(200 * n / max);
        var g = svg("g", { "class": "bar", "data-stage": s });
        g.appendChild(svg("rect", { x: i * bw + 12, y: 220 - h, width: bw - 24, height: Math.max(h, 1) }));
        g.appendChild(svg("text", { x: i * bw + bw / 2, y: 214 - h, "class": "n", text: String(n) }));
        g.appendChild(svg("text", { x: i * bw + bw / 2, y: 242, "class": "label", text: stageText(s) }));
        chart.appendChild(g);
      });
      var box = clear($("#stats-holders"));
      var holders = c.holders.filter(function (h) { return h.total > 0; });
      if (!holders.length) { box.appendChild(empty("stats.none")); return; }
      box.appendChild(table(["stats.holder", "stats.total"].concat(STAGES.map(function (s) { return "stage." + s; })), holders.map(function (h) {
        return row([h.holder ? (h.name || h.holder) : t("stats.no_holder"), h.total].concat(STAGES.map(function (s) { return h.by_stage[s] || 0; })), { "data-holder": h.holder });
      })));
      banner("");
    }).catch(failed);
    showHistory();
  }
  function csvField(v) {
    v = String(v === undefined || v === null ? "" : v);
    // A cell a spreadsheet would take for a formula is kept as text.
    if (/^[=+\-@\t\r]/.test(v)) { v = "'" + v; }
    return /[",\r\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
  }
  // csvFile saves rows (arrays of cells) as a CSV file with a BOM, so
  // Excel and WPS read the Chinese right.
  function csvFile(name, rows) {
    var lines = rows.map(function (r) { return r.map(csvField).join(","); });
    saveBlob(new Blob(["\ufeff" + lines.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" }), name);
  }
  function saveBlob(blob, name) {
    var a = el("a", { href: URL.createObjectURL(blob), download: name });
    document.body.appendChild(a);
    a.click();
    document.body.removeChild(a);
    setTimeout(function () { URL.revokeObjectURL(a.href); }, 1000);
  }
  $("#stats-csv").addEventListener("click", function () {
    if (!stats) { return; }
    var rows = [["holder", "name", "kind", "total"].concat(STAGES)];
    stats.holders.forEach(function (h) {
      rows.push([h.holder, h.name || "", h.kind, h.total].concat(STAGES.map(function (s) { return h.by_stage[s] || 0; })));
    });
    csvFile("cunyou-counts-" + fmtTime(new Date()).slice(0, 10) + ".csv", rows);
  });

  // Statistics over days (GET /statistics): a range of county days, a
  // station and a carrier; charts drawn as SVG; the tables per station
  // and day, per station and per carrier, each saved as CSV, and all of
  // them as an XLSX workbook made by the hub.
  var hist = null;
  var FIGURES = ["in", "picked_up", "sent", "returned", "overdue", "overdue_rate", "wait_median_hours", "wait_p90_hours"];
  function pct(x) { return (Math.round(x * 1000) / 10) + "%"; }
  function figureCells(f) {
    return [f.in, f.picked_up, f.sent, f.returned, f.overdue, pct(f.overdue_rate), f.waited ? f.wait_median_hours : "", f.waited ? f.wait_p90_hours : ""];
  }
  function figureHeads() { return FIGURES.map(function (k) { return "stats.f." + k; }); }
  function statsQuery() {
    var q = [];
    [["from", "#stats-from"], ["to", "#stats-to"], ["station", "#stats-station"], ["carrier", "#stats-carrier"]].forEach(function (f) {
      var v = $(f[1]).value;
      if (v) { q.push(f[0] + "=" + encodeURIComponent(v)); }
    });
    return q.join("&");
  }
  function statsError(err) {
    var msg = $("#stats-msg");
    msg.hidden = false;
    msg.textContent = err.code === "bad_parameter" ? t("stats.bad_range") : errText(err);
  }
  function showHistory() {
    var lists = can("registry", "read") ? loadSites().then(function (sites) {
      fillSelect($("#stats-station"), sites.filter(function (x) { return x.kind === "station"; }).map(function (x) { return [x.node, x.name || x.node]; }),
        "stats.all_stations");
      fillSelect($("#stats-carrier"), Object.keys(carriers || {}).sort().map(function (c) { return [c, carrierName(c)]; }), "stats.all_carriers");
    }) : Promise.resolve();
    var from = $("#stats-from").value, to = $("#stats-to").value;
    $("#stats-msg").hidden = true;
    if (from && to && from > to) { statsError({ code: "bad_parameter" }); return; }
    $("#stats-show").disabled = true;
    $("#stats-summary").textContent = t("stats.loading");
    lists.catch(function () {}).then(function () { return api("GET", "/statistics?" + statsQuery()); }).then(function (s) {
      hist = s;
      // The first time, the hub's 30 days to its today.
      if (!$("#stats-to").value) { $("#stats-to").value = s.to; }
      if (!$("#stats-from").value) { $("#stats-from").value = s.from; }
      drawHistory(s);
    }).catch(function (err) {
      $("#stats-summary").textContent = "";
      statsError(err);
    }).then(function () { $("#stats-show").disabled = false; });
  }
  $("#stats-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    showHistory();
  });
  $("#stats-xlsx").addEventListener("click", function () {
    var tok = sessionStorage.getItem(TOKEN_KEY);
    var q = statsQuery();
    $("#stats-msg").hidden = true;
    fetch(API + "/statistics?format=xlsx" + (q ? "&" + q : ""), { headers: { "Authorization": "Bearer " + tok } }).then(function (res) {
      if (res.ok) { return res.blob(); }
      return res.json().catch(function () { return {}; }).then(function (p) {
        var err = new Error(p.code || "http_" + res.status);
        err.code = err.message;
        throw err;
      });
    }, function () {
      var err = new Error("offline");
      err.code = "offline";
      throw err;
    }).then(function (b) {
      saveBlob(b, "cunyou-statistics-" + $("#stats-from").value + "-" + $("#stats-to").value + ".xlsx");
    }).catch(statsError);
  });
  document.querySelectorAll(".stats-table-csv").forEach(function (b) {
    b.addEventListener("click", function () {
      if (!hist) { return; }
      var which = b.getAttribute("data-table");
      var head = FIGURES.concat(["waited"]);
      var rows;
      function cells(f) { return FIGURES.map(function (k) { return f[k]; }).concat([f.waited]); }
      if (which === "station_days") {
        rows = [["day", "station", "name"].concat(head)].concat(hist.station_days.map(function (x) { return [x.day, x.station, x.name || ""].concat(cells(x)); }));
      } else if (which === "stations") {
        rows = [["station", "name", "overdue_now"].concat(head)].concat(hist.stations.map(function (x) { return [x.station, x.name || "", x.overdue_now].concat(cells(x)); }));
      } else {
        rows = [["carrier", "name"].concat(head)].concat(hist.carriers.map(function (x) { return [x.carrier, x.name || ""].concat(cells(x)); }));
      }
      csvFile("cunyou-statistics-" + which.replace("_", "-") + "-" + hist.from + "-" + hist.to + ".csv", rows);
    });
  });

  // barChart draws groups of bars into an SVG of 640×240: labels name
  // the groups, each series {key, values} a bar in every group. Each bar
  // carries data-label, data-series and data-value; the values are
  // written over the bars when there is room.
  function barChart(box, labels, series, fmt, warn) {
    box = clear(box);
    fmt = fmt || String;
    var left = 40, top = 32, height = 168, width = 590;
    var max = 0;
    series.forEach(function (s) { s.values.forEach(function (v) { max = Math.max(max, v); }); });
    if (!labels.length) {
      box.appendChild(svg("text", { x: 320, y: 120, "class": "label", text: t("stats.nothing") }));
      return;
    }
    max = max || 1;
    [0, 0.5, 1].forEach(function (f) {
      var y = top + height - f * height;
      box.appendChild(svg("line", { x1: left, x2: left + width, y1: y, y2: y, "class": "grid" }));
      box.appendChild(svg("text", { x: left - 4, y: y + 4, "class": "axis", text: fmt(f * max) }));
    });
    series.forEach(function (s, i) {
      box.appendChild(svg("rect", { x: left + 8 + i * 110, y: 4, width: 10, height: 10, "class": "s" + i }));
      box.appendChild(svg("text", { x: left + 22 + i * 110, y: 13, text: s.name }));
    });
    var gw = width / labels.length, bw = Math.max(1, (gw - 4) / series.length);
    var every = Math.ceil(labels.length / 12);
    labels.forEach(function (label, g) {
      series.forEach(function (s, i) {
        var v = s.values[g], h = Math.round(height * v / max);
        var x = left + g * gw + 2 + i * bw;
        var bar = svg("g", { "class": "bar" + (warn && warn(v) ? " warn" : ""), "data-label": label, "data-series": s.key, "data-value": String(v) });
        bar.appendChild(svg("rect", { x: x, y: top + height - h, width: Math.max(1, bw - 1), height: Math.max(h, v ? 1 : 0), "class": "s" + i }));
        bar.appendChild(svg("title", { text: label + " " + s.name + " " + fmt(v) }));
        if (bw >= 18) { bar.appendChild(svg("text", { x: x + bw / 2, y: top + height - h - 3, "class": "n", text: fmt(v) })); }
        box.appendChild(bar);
      });
      // A day is shown without its year; a name whole.
      if (g % every === 0) {
        box.appendChild(svg("text", { x: left + g * gw + gw / 2, y: top + height + 16, "class": "label", text: /^\d{4}-\d\d-\d\d$/.test(label) ? label.slice(5) : label }));
      }
    });
  }
  function bucketLabel(h, prev) {
    if (!h) { return t("stats.bucket_more", { n: Math.round(prev / 24) }); }
    return h < 48 ? t("stats.bucket_h", { n: h }) : t("stats.bucket_d", { n: Math.round(h / 24) });
  }
  function drawHistory(s) {
    var f = s.total;
    $("#stats-summary").textContent = t("stats.summary", { from: s.from, to: s.to, "in": f.in, out: f.picked_up, sent: f.sent,
      returned: f.returned, rate: pct(f.overdue_rate), days: s.overdue_days, median: f.waited ? f.wait_median_hours : "-", ninety: f.waited ? f.wait_p90_hours : "-" });
    barChart($("#stats-daily"), s.days.map(function (d) { return d.day; }), [
      { key: "in", name: t("stats.f.in"), values: s.days.map(function (d) { return d.in; }) },
      { key: "picked_up", name: t("stats.f.picked_up"), values: s.days.map(function (d) { return d.picked_up; }) },
      { key: "sent", name: t("stats.f.sent"), values: s.days.map(function (d) { return d.sent; }) }]);
    barChart($("#stats-waits"), s.wait_buckets.map(function (b, i) { return bucketLabel(b.up_to_hours, i ? s.wait_buckets[i - 1].up_to_hours : 0); }), [
      { key: "pickups", name: t("stats.pickups"), values: s.wait_buckets.map(function (b) { return b.count; }) }]);
    var left = s.stations.filter(function (x) { return x.picked_up + x.returned > 0; });
    barChart($("#stats-overdue"), left.map(function (x) { return x.name || x.station; }), [
      { key: "overdue_rate", name: t("stats.f.overdue_rate"), values: left.map(function (x) { return x.overdue_rate; }) }], pct,
      function (v) { return v >= 0.2; });
    barChart($("#stats-carriers"), s.carriers.map(function (x) { return x.name || x.carrier; }), [
      { key: "in", name: t("stats.f.in"), values: s.carriers.map(function (x) { return x.in; }) },
      { key: "picked_up", name: t("stats.f.picked_up"), values: s.carriers.map(function (x) { return x.picked_up; }) },
      { key: "sent", name: t("stats.f.sent"), values: s.carriers.map(function (x) { return x.sent; }) }]);
    var box = clear($("#stats-station-days"));
    if (!s.station_days.length) { box.appendChild(empty("stats.nothing")); } else {
      box.appendChild(table(["stats.day", "stats.station"].concat(figureHeads()), s.station_days.map(function (x) {
        return row([x.day, x.name || x.station].concat(figureCells(x)), { "data-day": x.day, "data-station": x.station });
      })));
    }
    box = clear($("#stats-stations"));
    if (!s.stations.length) { box.appendChild(empty("stats.nothing")); } else {
      box.appendChild(table(["stats.station"].concat(figureHeads(), ["stats.overdue_now"]), s.stations.map(function (x) {
        return row([x.name || x.station].concat(figureCells(x), [x.overdue_now]), { "data-station": x.station });
      })));
    }
    box = clear($("#stats-carrier-table"));
    if (!s.carriers.length) { box.appendChild(empty("stats.nothing")); } else {
      box.appendChild(table(["stats.carrier"].concat(figureHeads()), s.carriers.map(function (x) {
        return row([x.name || x.carrier].concat(figureCells(x)), { "data-carrier": x.carrier });
      })));
    }
  }

  // Users and what each role may do (the admin's; users are changed with
  // the cunyou-hub user commands).
  // once shows a password or secret that is shown only this once.
  function once(box, titleKey, lines) {
    clear(box).hidden = false;
    box.appendChild(el("h3", { text: t(titleKey) }));
    lines.forEach(function (l) { box.appendChild(el("p", null, el("span", { cls: "muted", text: t(l[0]) + " " }), el("code", { cls: "secret", text: l[1] }))); });
    box.appendChild(el("p", { cls: "muted", text: t("users.once_hint") }));
    var close = el("button", { cls: "btn", type: "button", text: t("users.once_close") });
    close.addEventListener("click", function () { clear(box).hidden = true; });
    box.appendChild(close);
  }
  // confirmed runs act on a second click within 4 s: a mistaken touch on
  // "disable" or "new password" does nothing.
  function confirmButton(key, cls, act) {
    var b = el("button", { cls: "btn " + (cls || ""), type: "button", text: t(key) });
    var armed = null;
    b.addEventListener("click", function () {
      if (!armed) {
        b.textContent = t("users.confirm");
        b.classList.add("armed");
        armed = setTimeout(function () { armed = null; b.textContent = t(key); b.classList.remove("armed"); }, 4000);
        return;
      }
      clearTimeout(armed);
      armed = null;
      b.textContent = t(key);
      b.classList.remove("armed");
      b.disabled = true;
      act(b);
    });
    return b;
  }
  // USERNAME is hub/auth's rule for a user name (checked there too).
  var USERNAME = /^[a-z0-9_.-]{2,32}$/;
  function roleOptions(roles) { return roles.map(function (ro) { return [ro.role, tOr("role." + ro.role, ro.role)]; }); }
  function carrierOptions() { return Object.keys(carriers || {}).sort().map(function (c) { return [c, carrierName(c)]; }); }

  // The console's people (the admin's): add, change the role, disable,
  // new password, end sessions, second factor; each change audited.
  // showUsers returns when the list is drawn again, so that a change's
  // message shows with the list that has it.
  function showUsers() {
    return Promise.all([api("GET", "/users"), loadCarriers()]).then(function (res) {
      var r = res[0];
      var msg = $("#users-msg");
      var secret = $("#users-secret");
      function say(text, ok) { msg.textContent = text; msg.className = "msg " + (ok ? "ok" : "error"); msg.hidden = false; }
      function done(key, vars) { showUsers().then(function () { say(t(key, vars), true); }); }
      // A refused change leaves the page as it is: the role chosen stays,
      // the button can be pressed again.
      function refused(b) { return function (err) { say(errText(err)); if (b) { b.disabled = false; } }; }
      var path = function (u, rest) { return "/users/" + encodeURIComponent(u.username) + (rest || ""); };

      // The form to add a user; what is being typed in it stays while the
      // list is read again after a change to another user.
      var was = { name: ($("#ua-name") || {}).value || "", role: ($("#ua-role") || {}).value || "", carrier: ($("#ua-carrier") || {}).value || "" };
      var form = clear($("#users-add"));
      var name = el("input", { id: "ua-name", type: "text", autocomplete: "off", autocapitalize: "none", spellcheck: "false", placeholder: t("users.name_hint") });
      var role = el("select", { id: "ua-role" });
      var carrier = el("select", { id: "ua-carrier", hidden: true });
      fillSelect(role, roleOptions(r.roles), "users.pick_role");
      fillSelect(carrier, carrierOptions(), "users.pick_carrier");
      role.addEventListener("change", function () { carrier.hidden = role.value !== "carrier_viewer"; });
      name.value = was.name;
      role.value = was.role;
      carrier.value = was.carrier;
      carrier.hidden = role.value !== "carrier_viewer";
      var add = el("button", { id: "ua-submit", cls: "btn primary", type: "submit", text: t("users.add") });
      form.appendChild(el("h3", { text: t("users.add_title") }));
      form.appendChild(el("div", { cls: "row-form" }, el("label", { "for": "ua-name", text: t("users.name") }), name,
        el("label", { "for": "ua-role", text: t("users.role") }), role, carrier, add));
      form.onsubmit = function (ev) {
        ev.preventDefault();
        if (!name.value.trim() || !role.value) { say(t("users.fill")); return; }
        if (!USERNAME.test(name.value.trim().toLowerCase())) { say(t("users.bad_name")); name.focus(); return; }
        if (role.value === "carrier_viewer" && !carrier.value) { say(t("users.fill_carrier")); carrier.focus(); return; }
        add.disabled = true;
        api("POST", "/users", { username: name.value.trim(), role: role.value, carrier: role.value === "carrier_viewer" ? carrier.value : "" }).then(function (a) {
          name.value = role.value = carrier.value = "";
          once(secret, "users.added_title", [["users.name", a.user.username], ["users.password_once", a.password]]);
          done("users.added", { name: a.user.username });
        }).catch(refused(add));
      };

      var box = clear($("#users-list"));
      box.appendChild(table(["users.name", "users.role", "users.carrier", "users.totp", "users.state", "users.created", "users.password_changed", "users.actions"],
        r.users.map(function (u) {
          var state = u.disabled ? "users.disabled" : u.locked_until ? "users.locked" : "users.active";
          var self = me && me.user === u.username;
          var sel = el("select", { cls: "u-role", "aria-label": t("users.role") });
          fillSelect(sel, roleOptions(r.roles));
          sel.value = u.role;
          var csel = el("select", { cls: "u-carrier", "aria-label": t("users.carrier") });
          fillSelect(csel, carrierOptions(), "users.pick_carrier");
          csel.value = u.carrier || "";
          var save = el("button", { cls: "btn u-role-save", type: "button", text: t("users.role_save"), hidden: true });
          var edited = function () {
            csel.hidden = sel.value !== "carrier_viewer";
            save.hidden = sel.value === u.role && (csel.hidden || csel.value === (u.carrier || ""));
          };
          sel.addEventListener("change", edited);
          csel.addEventListener("change", edited);
          edited();
          save.addEventListener("click", function () {
            if (sel.value === "carrier_viewer" && !csel.value) { say(t("users.fill_carrier")); csel.focus(); return; }
            save.disabled = true;
            var body = { role: sel.value };
            if (sel.value === "carrier_viewer") { body.carrier = csel.value; }
            api("PATCH", path(u), body).then(function () { done("users.role_set", { name: u.username, role: tOr("role." + sel.value, sel.value) }); }).catch(refused(save));
          });
          var acts = el("span", { cls: "u-acts" });
          var b = acts.appendChild(confirmButton(u.disabled ? "users.enable" : "users.disable", "u-disable", function () {
            api("PATCH", path(u), { disabled: !u.disabled }).then(function () { done(u.disabled ? "users.enabled" : "users.disabled_done", { name: u.username }); }).catch(refused(b));
          }));
          var rb = acts.appendChild(confirmButton("users.reset", "u-reset", function () {
            api("POST", path(u, "/password")).then(function (a) {
              once(secret, "users.reset_title", [["users.name", u.username], ["users.password_once", a.password]]);
              done("users.reset_done", { name: u.username });
            }).catch(refused(rb));
          }));
          var vb = acts.appendChild(confirmButton("users.revoke", "u-revoke", function () {
            api("POST", path(u, "/revoke")).then(function (a) { done("users.revoked", { name: u.username, n: a.ended }); }).catch(refused(vb));
          }));
          var tb = acts.appendChild(confirmButton(u.totp ? "users.totp_remove" : "users.totp_enrol", "u-totp", function () {
            api(u.totp ? "DELETE" : "PUT", path(u, "/totp")).then(function (a) {
              if (!u.totp) { once(secret, "users.totp_title", [["users.name", u.username], ["users.totp_secret", a.secret], ["users.totp_uri", a.uri]]); }
              done(u.totp ? "users.totp_removed" : "users.totp_enrolled", { name: u.username });
            }).catch(refused(tb));
          }));
          return row([u.username + (self ? " " + t("users.you") : ""), el("span", { cls: "u-role-edit" }, sel, csel, save), u.carrier ? carrierName(u.carrier) : "", t(u.totp ? "users.yes" : "users.no"),
            el("span", { cls: state === "users.active" ? "ok" : "bad", text: t(state) }), fmtTime(u.created), fmtTime(u.password_changed), acts],
            { "data-user": u.username });
        })));
      var all = [];
      r.roles.forEach(function (ro) { ro.permissions.forEach(function (p) { if (all.indexOf(p) < 0) { all.push(p); } }); });
      var head = el("tr", null, el("th", { text: t("users.permission") }));
      r.roles.forEach(function (ro) { head.appendChild(el("th", { text: tOr("role." + ro.role, ro.role) })); });
      var body = el("tbody");
      all.forEach(function (p) {
        var tr = el("tr", { "data-permission": p }, el("td", { text: tOr("perm." + p, p) }));
        r.roles.forEach(function (ro) { tr.appendChild(el("td", { cls: "tick", text: ro.permissions.indexOf(p) >= 0 ? "\u2713" : "" })); });
        body.appendChild(tr);
      });
      clear($("#users-roles")).appendChild(el("table", { cls: "grid" }, el("thead", null, head), body));
      banner("");
    }).catch(failed);
  }

  // Changing one's own password (every signed-in person).
  $("#pw-open").addEventListener("click", function () {
    var box = $("#pw-box");
    box.hidden = !box.hidden;
    $("#pw-msg").hidden = true;
    if (!box.hidden) { $("#pw-current").focus(); }
  });
  $("#pw-box").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var cur = $("#pw-current").value, nw = $("#pw-new").value, again = $("#pw-again").value;
    var msg = $("#pw-msg");
    function say(text, ok) { msg.textContent = text; msg.className = "msg " + (ok ? "ok" : "error"); msg.hidden = false; }
    if (!cur || !nw) { say(t("pw.fill")); return; }
    if (nw !== again) { say(t("pw.mismatch")); return; }
    if (nw === cur) { say(t("pw.same")); return; }
    // One change at a time: a second press sent with the old password
    // would be refused and counted toward the lockout.
    $("#pw-submit").disabled = true;
    api("PUT", "/me/password", { current: cur, "new": nw }).then(function () {
      $("#pw-current").value = $("#pw-new").value = $("#pw-again").value = "";
      say(t("pw.changed"), true);
    }).catch(function (err) { say(errText(err)); }).then(function () { $("#pw-submit").disabled = false; });
  });

  // The audit log (the admin's), filtered by person, action and day, and
  // paged back in time.
  function showAudit() {
    var f = $("#audit-filter");
    var q = function (before) {
      var p = ["limit=200"];
      var user = $("#audit-user").value.trim(), action = $("#audit-action").value.trim(), day = $("#audit-since").value;
      if (user) { p.push("user=" + encodeURIComponent(user)); }
      if (action) { p.push("action=" + encodeURIComponent(action)); }
      if (day) { p.push("since=" + encodeURIComponent(day + "T00:00:00+08:00")); }
      if (before) { p.push("before=" + before); }
      return "/audit?" + p.join("&");
    };
    var box = clear($("#audit-body"));
    var load = function (before) {
      api("GET", q(before)).then(function (r) {
        var old = box.querySelector(".more");
        if (old) { old.remove(); }
        var rows = r.rows.map(function (a) {
          return row([fmtTime(a.at), a.actor, a.action, a.target, a.remote,
            el("span", { cls: a.result === "ok" ? "" : "bad", text: a.result }), a.detail || ""], { "data-seq": a.seq });
        });
        var tb = box.querySelector("tbody");
        if (!tb) {
          if (!rows.length) { box.appendChild(empty("audit.none")); return; }
          box.appendChild(table(["audit.at", "audit.actor", "audit.action", "audit.target", "audit.remote", "audit.result", "audit.detail"], rows));
        } else {
          rows.forEach(function (x) { tb.appendChild(x); });
        }
        if (r.next_before) {
          var more = el("button", { cls: "btn more", type: "button", text: t("audit.more") });
          more.addEventListener("click", function () { load(r.next_before); });
          box.appendChild(more);
        }
        banner("");
      }).catch(failed);
    };
    f.onsubmit = function (ev) { ev.preventDefault(); showAudit(); };
    load(0);
  }

  applyI18n();
  if (sessionStorage.getItem(TOKEN_KEY)) { start(); } else { showLogin(); }
})();
