// The villagers' query page: track a waybill, My parcels (pickup codes by
// phone), find a station, price a parcel to send, today's buses. Plain
// JavaScript for old phone browsers (no ?. or ??, no replaceAll, no
// replaceChildren). Every visible string comes from the message table in
// i18n.js; sentences about parcels, stations, trips and errors come from
// the server (/q/api) already in the page's language.
"use strict";
(function () {
  var API = "api/";
  var LANG_KEY = "cunyou.q.lang";
  var RECENT_KEY = "cunyou.q.recent";
  var VILLAGE_KEY = "cunyou.q.village";
  var TIMEOUT_MS = 20000;
  var RECENT_MAX = 5;

  // ---------------------------------------------------------------- storage

  // Some browsers (private mode, WeChat settings) refuse storage: the page
  // works without it.
  function load(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function save(key, value) {
    try {
      if (value === null) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, value);
    } catch (e) { /* no storage: nothing remembered */ }
  }

  // ---------------------------------------------------------------- i18n

  var lang = load(LANG_KEY);
  if (!MESSAGES[lang]) lang = "zh-CN";

  function t(key, args) {
    var s = MESSAGES[lang][key];
    if (s === undefined) s = MESSAGES["zh-CN"][key];
    if (s === undefined) {
      console.warn("i18n: no message", key);
      s = key;
    }
    if (args) {
      Object.keys(args).forEach(function (k) { s = s.split("{" + k + "}").join(String(args[k])); });
    }
    return s;
  }

  function applyI18n() {
    document.documentElement.lang = lang;
    document.title = t("app.title");
    $$("[data-i18n]").forEach(function (el) { el.textContent = t(el.getAttribute("data-i18n")); });
    $$("[data-i18n-placeholder]").forEach(function (el) { el.placeholder = t(el.getAttribute("data-i18n-placeholder")); });
    $$("[data-i18n-aria]").forEach(function (el) { el.setAttribute("aria-label", t(el.getAttribute("data-i18n-aria"))); });
  }

  // ---------------------------------------------------------------- DOM

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  // h builds an element; strings become text, never HTML.
  function h(tag, props) {
    var el = document.createElement(tag);
    var p = props || {};
    Object.keys(p).forEach(function (k) {
      var v = p[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else if (k.indexOf("on") === 0) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : v);
    });
    for (var i = 2; i < arguments.length; i++) add(el, arguments[i]);
    return el;
  }
  function add(el, kid) {
    if (kid === null || kid === undefined || kid === false) return;
    if (Array.isArray(kid)) { kid.forEach(function (k) { add(el, k); }); return; }
    el.appendChild(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  function fill(el) {
    el.textContent = "";
    for (var i = 1; i < arguments.length; i++) add(el, arguments[i]);
  }
  function showMsg(el, kind, text) {
    el.className = "msg msg-" + kind;
    el.textContent = text;
    el.hidden = false;
  }
  function hideMsg(el) {
    el.hidden = true;
    el.textContent = "";
  }
  // busy disables a button while a query runs, with "looking it up".
  function busy(btn, on) {
    if (on) {
      btn.disabled = true;
      btn.textContent = t("common.loading");
    } else {
      btn.disabled = false;
      btn.textContent = t(btn.getAttribute("data-i18n"));
    }
  }

  // County times arrive as RFC 3339 with the county's offset: shown as
  // written, whatever the phone's own time zone.
  function clock(iso) { return iso ? iso.slice(11, 16) : ""; }
  function dayClock(iso) { return iso ? iso.slice(5, 10) + " " + iso.slice(11, 16) : ""; }

  // ---------------------------------------------------------------- API

  // ApiError carries the server's code and sentence, or a network failure.
  function ApiError(code, message, status) {
    this.code = code;
    this.message = message;
    this.status = status;
  }

  function api(method, path, body) {
    var ctrl = typeof AbortController === "function" ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, TIMEOUT_MS) : null;
    var opts = { method: method, headers: { "Accept": "application/json", "Accept-Language": lang }, credentials: "omit" };
    if (ctrl) opts.signal = ctrl.signal;
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(API + path, opts).then(function (res) {
      if (timer) clearTimeout(timer);
      return res.json().then(function (data) {
        if (res.ok) return data;
        var e = data && data.error;
        if (e && e.code) throw new ApiError(e.code, e.message, res.status);
        throw new ApiError("http", t("err.http", { status: res.status }), res.status);
      }, function () {
        throw new ApiError("http", t("err.http", { status: res.status }), res.status);
      });
    }, function (err) {
      if (timer) clearTimeout(timer);
      if (err && err.name === "AbortError") throw new ApiError("timeout", t("err.timeout"), 0);
      throw new ApiError("network", t("err.network"), 0);
    });
  }

  function errText(err) {
    return err instanceof ApiError ? err.message : t("err.network");
  }

  // ---------------------------------------------------------------- routes

  var views = ["home", "track", "mine", "stations", "price", "trips"];
  var current = "";

  function show(name) {
    views.forEach(function (v) { $("#view-" + v).hidden = v !== name; });
    if (current !== name) window.scrollTo(0, 0);
    current = name;
  }

  function route() {
    var parts = location.hash.replace(/^#\/?/, "").split("/");
    var name = parts[0];
    var arg = parts.length > 1 ? decodeURIComponent(parts.slice(1).join("/")) : "";
    switch (name) {
      case "track": show("track"); track(arg); break;
      case "mine": show("mine"); enterMine(); break;
      case "stations": show("stations"); enterStations(); break;
      case "price": show("price"); enterPrice(); break;
      case "trips": show("trips"); enterTrips(arg); break;
      default: show("home"); renderRecent();
    }
  }

  // ---------------------------------------------------------------- track

  // waybillFrom finds the waybill in what was typed or pasted ("中通快递
  // 运单号：73100000000001" gives the number): the longest run of letters
  // and digits of 8 or more, else the text as it is.
  function waybillFrom(text) {
    var runs = String(text).toUpperCase().match(/[A-Z0-9]{8,}/g) || [];
    var best = "";
    runs.forEach(function (r) { if (r.length > best.length) best = r; });
    return best || String(text).trim();
  }

  function recentList() {
    try {
      var v = JSON.parse(load(RECENT_KEY) || "[]");
      return Array.isArray(v) ? v : [];
    } catch (e) { return []; }
  }
  function remember(wb) {
    var list = recentList().filter(function (x) { return x !== wb; });
    list.unshift(wb);
    save(RECENT_KEY, JSON.stringify(list.slice(0, RECENT_MAX)));
  }
  function renderRecent() {
    var list = recentList();
    $("#recent").hidden = list.length === 0;
    fill($("#recent-list"), list.map(function (wb) {
      return h("a", { class: "chip", href: "#/track/" + encodeURIComponent(wb), text: wb });
    }));
  }

  $("#track-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var wb = waybillFrom($("#track-q").value);
    if (!wb) {
      showMsg($("#track-msg"), "error", t("track.empty"));
      return;
    }
    hideMsg($("#track-msg"));
    var next = "#/track/" + encodeURIComponent(wb);
    if (location.hash === next) route();
    else location.hash = next;
  });
  $("#recent-clear").addEventListener("click", function () {
    save(RECENT_KEY, null);
    renderRecent();
  });

  var trackSeq = 0;
  function track(wb) {
    var seq = ++trackSeq;
    var out = $("#track-result");
    var msg = $("#track-status");
    fill(out);
    if (!wb) { location.hash = "#/"; return; }
    showMsg(msg, "info", t("common.loading"));
    api("GET", "track?waybill=" + encodeURIComponent(wb)).then(function (data) {
      if (seq !== trackSeq) return;
      hideMsg(msg);
      remember(wb);
      $("#track-q").value = wb;
      fill(out, data.parcels.map(parcelCard), h("button", {
        class: "btn wide", type: "button", "data-i18n": "common.refresh", text: t("common.refresh"),
        onclick: function () { track(wb); },
      }));
    }, function (err) {
      if (seq !== trackSeq) return;
      showMsg(msg, "error", errText(err));
    });
  }

  function progressBar(p) {
    var steps = (p.progress && p.progress.steps) || [];
    return h("ol", { class: "steps" }, steps.map(function (s, i) {
      return h("li", { class: i <= p.progress.step ? "done" : "", text: s });
    }));
  }

  function parcelCard(p) {
    var stopped = p.progress && p.progress.stopped;
    var head = h("div", { class: "card parcel", "data-waybill": p.waybill },
      h("div", { class: "status" + (stopped ? " stopped" : ""), text: p.status_text }),
      h("div", { class: "sub" },
        (p.direction === "out" ? t("track.outbound") + " · " : "") + p.carrier.name + " · " + t("track.waybill") + " " + p.waybill),
      progressBar(p),
      stopped ? h("div", { class: "hint", text: t("track.stopped") }) : null,
      p.receiver && (p.receiver.name || p.receiver.phone)
        ? h("div", { class: "kv receiver" }, h("b", { text: t("track.receiver") }),
          [p.receiver.name, p.receiver.phone].filter(Boolean).join(" "))
        : null,
      p.status === "at_station"
        ? h("div", { class: "code-hint" }, t("track.code_hint") + " ", h("a", { href: "#/mine", text: t("track.code_link") }))
        : null);
    var events = p.events || [];
    return h("div", null,
      head,
      p.station ? stationCard(p.station) : null,
      h("div", { class: "card" },
        h("h2", { text: t("track.timeline") }),
        events.length
          ? h("ol", { class: "timeline" }, events.map(function (ev) {
            return h("li", null, h("span", { class: "ev-time", text: dayClock(ev.at) }), h("span", { class: "ev-text", text: ev.text }));
          }))
          : h("p", { class: "muted", text: t("track.no_events") })));
  }

  // ---------------------------------------------------------------- stations

  function stationCard(st, extra) {
    return h("div", { class: "card station", "data-station": st.id },
      h("div", { class: "station-name", text: st.name }),
      h("div", { class: "state state-" + st.state, text: st.state_text }),
      st.hours ? h("div", { class: "kv" }, h("b", { text: t("station.hours") }), st.hours) : null,
      st.address ? h("div", { class: "kv" }, h("b", { text: t("station.address") }), st.address) : null,
      st.contact ? h("div", { class: "kv" }, h("b", { text: t("station.contact") }), st.contact, " ",
        h("a", { class: "btn call", href: "tel:" + st.contact.replace(/[^0-9+]/g, ""), text: t("common.call") })) : null,
      extra || null);
  }

  var county = null; // the stations answer, loaded once per language
  var countyLang = "";
  function loadCounty() {
    if (county && countyLang === lang) return Promise.resolve(county);
    return api("GET", "stations").then(function (data) {
      county = data;
      countyLang = lang;
      return data;
    });
  }

  function fillTownSelect(sel, keep) {
    fill(sel, h("option", { value: "", text: t("common.choose_town") }),
      county.towns.map(function (tw) { return h("option", { value: tw.code, text: tw.name }); }));
    sel.value = keep || "";
  }
  function townOfVillage(code) {
    for (var i = 0; i < county.towns.length; i++) {
      var tw = county.towns[i];
      for (var j = 0; j < tw.villages.length; j++) if (tw.villages[j].code === code) return tw;
    }
    return null;
  }

  function enterStations() {
    var msg = $("#stations-msg");
    showMsg(msg, "info", t("common.loading"));
    loadCounty().then(function () {
      hideMsg(msg);
      var sel = $("#stations-town");
      var keep = sel.value;
      if (!keep) {
        var mine = load(VILLAGE_KEY);
        var tw = mine && townOfVillage(mine);
        keep = tw ? tw.code : "";
      }
      fillTownSelect(sel, keep);
      renderStations();
    }, function (err) { showMsg(msg, "error", errText(err)); });
  }

  function renderStations() {
    if (!county) return;
    var town = $("#stations-town").value;
    var q = $("#stations-filter").value.trim();
    var list = $("#stations-list");
    var msg = $("#stations-msg");
    var cards = [];
    county.towns.forEach(function (tw) {
      if (town && tw.code !== town) return;
      tw.villages.forEach(function (v) {
        if (q && v.name.indexOf(q) < 0 && tw.name.indexOf(q) < 0) return;
        if (!town && !q) return; // choose a town or type a name first
        cards.push(villageCard(tw, v));
      });
    });
    fill(list, cards);
    if ((town || q) && cards.length === 0) showMsg(msg, "info", t("stations.no_match"));
    else hideMsg(msg);
  }

  function villageCard(tw, v) {
    var title = h("div", { class: "village-name", text: tw.name + " · " + v.name });
    if (v.stations.length) {
      return h("div", { class: "village", "data-village": v.code }, title,
        v.stations.map(function (id) { return stationCard(county.stations[id]); }));
    }
    var near = v.nearest && county.stations[v.nearest.station];
    return h("div", { class: "village", "data-village": v.code }, title,
      h("div", { class: "card" },
        h("div", { text: t("stations.none_here") }),
        near ? h("div", { class: "hint", text: t("stations.nearest", { name: near.name, km: v.nearest.km }) }) : null),
      near ? stationCard(near) : null);
  }

  $("#stations-town").addEventListener("change", renderStations);
  $("#stations-filter").addEventListener("input", renderStations);

  // ---------------------------------------------------------------- my parcels

  function enterMine() {
    fill($("#mine-result"));
    hideMsg($("#mine-msg"));
    $("#mine-form").hidden = false;
  }

  $("#mine-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var btn = $("#mine-submit");
    var msg = $("#mine-msg");
    var phone = $("#mine-phone").value.replace(/[^0-9]/g, "");
    var tail = $("#mine-tail").value.replace(/\s/g, "").toUpperCase();
    hideMsg(msg);
    busy(btn, true);
    api("POST", "mine", { phone: phone, tail: tail }).then(function (data) {
      busy(btn, false);
      $("#mine-tail").value = "";
      $("#mine-form").hidden = true;
      renderMine(data);
    }, function (err) {
      busy(btn, false);
      showMsg(msg, "error", errText(err));
    });
  });

  function renderMine(d) {
    var out = $("#mine-result");
    var parts = [h("h2", { text: t("mine.for_phone", { phone: d.phone }) })];
    if (d.waiting.length) {
      parts.push(h("h2", { text: t("mine.waiting", { n: d.waiting.length }) }));
      parts.push(h("p", { class: "privacy", text: t("mine.privacy") }));
      d.waiting.forEach(function (p) {
        parts.push(h("div", { class: "card pickup", "data-waybill": p.waybill },
          h("div", { class: "code-label", text: t("mine.code") }),
          h("div", { class: "code", text: p.code }),
          h("div", { class: "sub", text: p.carrier.name + " · " + p.waybill }),
          h("div", { class: "sub", text: p.days > 0 ? t("mine.days", { n: p.days }) : t("mine.today") }),
          p.station ? stationCard(p.station) : null));
      });
    } else {
      parts.push(h("div", { class: "card", id: "mine-none", text: t("mine.none") }));
    }
    if (d.on_the_way.length) {
      parts.push(h("h2", { text: t("mine.on_the_way", { n: d.on_the_way.length }) }));
      parts.push(h("div", { class: "card" }, d.on_the_way.map(function (p) {
        return h("div", { class: "mini", "data-waybill": p.waybill },
          h("a", { href: "#/track/" + encodeURIComponent(p.waybill), class: "status", text: p.status_text }),
          h("div", { class: "sub", text: p.carrier.name + " · " + p.waybill }),
          p.latest ? h("div", { class: "sub", text: dayClock(p.latest.at) + " " + p.latest.text }) : null);
      })));
    }
    if (d.recent.length) {
      parts.push(h("h2", { text: t("mine.recent") }));
      parts.push(h("div", { class: "card" }, d.recent.map(function (p) {
        return h("div", { class: "mini", "data-waybill": p.waybill },
          h("a", { href: "#/track/" + encodeURIComponent(p.waybill), text: p.status_text }),
          h("div", { class: "sub", text: p.carrier.name + " · " + p.waybill + " · " + dayClock(p.updated) }));
      })));
    }
    parts.push(h("button", { class: "btn wide", type: "button", id: "mine-hide", text: t("mine.hide"), onclick: enterMine }));
    fill(out, parts);
  }

  // ---------------------------------------------------------------- price

  var priceOptions = null;
  var priceLang = "";
  function enterPrice() {
    var msg = $("#price-msg");
    if (priceOptions && priceLang === lang) return;
    showMsg(msg, "info", t("common.loading"));
    api("GET", "price/options").then(function (data) {
      priceOptions = data;
      priceLang = lang;
      hideMsg(msg);
      var cs = $("#price-carrier");
      var ps = $("#price-province");
      var keepC = cs.value;
      var keepP = ps.value;
      fill(cs, h("option", { value: "", text: t("price.choose_carrier") }),
        data.carriers.map(function (c) { return h("option", { value: c.code, text: c.name }); }));
      fill(ps, h("option", { value: "", text: t("price.choose_province") }),
        data.provinces.map(function (p) {
          var key = "province." + p.code;
          return h("option", { value: p.code, text: MESSAGES[lang][key] ? t(key) : p.name });
        }));
      cs.value = keepC;
      ps.value = keepP;
      if (!data.carriers.length) showMsg(msg, "info", t("price.no_carriers"));
    }, function (err) { showMsg(msg, "error", errText(err)); });
  }

  $("#price-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var msg = $("#price-msg");
    var res = $("#price-result");
    var carrier = $("#price-carrier").value;
    var province = $("#price-province").value;
    var n = parseFloat($("#price-weight").value.replace(/[，,]/g, "."));
    res.hidden = true;
    if (!carrier || !province || !(n > 0)) {
      showMsg(msg, "error", t("price.fill_in"));
      return;
    }
    var grams = Math.round($("#price-unit").value === "jin" ? n * 500 : n * 1000);
    var kg = Math.round(grams / 10) / 100;
    hideMsg(msg);
    var btn = $("#price-submit");
    busy(btn, true);
    api("GET", "price?carrier=" + encodeURIComponent(carrier) + "&province=" + encodeURIComponent(province) +
      "&weight_g=" + grams).then(function (d) {
      busy(btn, false);
      var pname = t("province." + province);
      fill(res,
        h("div", { class: "sub", text: t("price.result", { carrier: d.carrier.name, province: pname, weight: t("price.weight_kg", { n: kg }) }) }),
        h("div", { class: "price", id: "price-amount", text: d.price_text }),
        h("div", { class: "hint", text: d.rule_text }),
        d.default_rate ? h("div", { class: "hint", text: t("price.default_rate") }) : null,
        h("div", { class: "hint", text: t("price.note") }));
      res.hidden = false;
    }, function (err) {
      busy(btn, false);
      showMsg(msg, "error", errText(err));
    });
  });

  // ---------------------------------------------------------------- trips

  function enterTrips(village) {
    var msg = $("#trips-msg");
    showMsg(msg, "info", t("common.loading"));
    loadCounty().then(function () {
      hideMsg(msg);
      var code = village || load(VILLAGE_KEY) || "";
      var tw = code ? townOfVillage(code) : null;
      fillTownSelect($("#trips-town"), tw ? tw.code : "");
      fillVillages(tw, tw ? code : "");
      if (tw) loadTrips(code);
      else fill($("#trips-result"));
    }, function (err) { showMsg(msg, "error", errText(err)); });
  }

  function fillVillages(tw, keep) {
    var sel = $("#trips-village");
    fill(sel, h("option", { value: "", text: t("common.choose_village") }),
      (tw ? tw.villages : []).map(function (v) { return h("option", { value: v.code, text: v.name }); }));
    sel.value = keep || "";
    sel.disabled = !tw;
  }

  $("#trips-town").addEventListener("change", function () {
    var code = this.value;
    var tw = null;
    county.towns.forEach(function (x) { if (x.code === code) tw = x; });
    fillVillages(tw, "");
    fill($("#trips-result"));
  });
  $("#trips-village").addEventListener("change", function () {
    if (!this.value) return;
    save(VILLAGE_KEY, this.value);
    if (location.hash !== "#/trips/" + this.value) location.hash = "#/trips/" + this.value;
    else loadTrips(this.value);
  });

  var tripsSeq = 0;
  function loadTrips(code) {
    var seq = ++tripsSeq;
    var out = $("#trips-result");
    var msg = $("#trips-msg");
    showMsg(msg, "info", t("common.loading"));
    api("GET", "trips?village=" + encodeURIComponent(code)).then(function (d) {
      if (seq !== tripsSeq) return;
      hideMsg(msg);
      save(VILLAGE_KEY, code);
      var rows = d.trips.map(function (tr) {
        return h("div", { class: "trip " + tr.status + (tr.next ? " next" : ""), "data-line": tr.line },
          h("div", { class: "when", text: tr.arrive }),
          h("div", { class: "what" },
            h("div", null, tr.line + " · " + tr.line_name, tr.next ? h("span", { class: "badge", text: t("trips.next") }) : null),
            h("div", { class: "sub", text: tr.status_text })));
      });
      fill(out,
        h("div", { class: "card", id: "trips-card" },
          h("h2", { text: t("trips.date", { date: d.date, village: d.village.name }) }),
          h("div", { class: "hint", text: t("trips.from", { from: d.from }) }),
          d.timetable ? h("div", { class: "hint", text: t("trips.timetable") }) : null,
          rows,
          d.note ? h("p", { class: "muted", id: "trips-note", text: d.note }) : null),
        d.station ? stationCard(d.station) : null);
    }, function (err) {
      if (seq !== tripsSeq) return;
      showMsg(msg, "error", errText(err));
    });
  }

  // ---------------------------------------------------------------- start

  $("#lang").addEventListener("click", function () {
    lang = lang === "zh-CN" ? "en" : "zh-CN";
    save(LANG_KEY, lang);
    applyI18n();
    route(); // the server's sentences come again in the new language
  });

  applyI18n();
  // A link from an SMS may carry the waybill as ?t=NUMBER.
  var fromQuery = /[?&]t=([^&#]+)/.exec(location.search);
  if (fromQuery && !location.hash) location.replace("#/track/" + fromQuery[1]);
  window.addEventListener("hashchange", route);
  route();
})();
