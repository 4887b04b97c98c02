/* Tariff Ledger: sortable and filterable tables, the rates tool, the compare view and the timeline
   filter. Plain JavaScript served from the site itself; every page reads without it. Data from the
   site's JSON files reaches the page through textContent and attributes only, never as markup. */
(function () {
  "use strict";

  function el(tag, text, attrs) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    return e;
  }
  function link(text, href, title) {
    var a = el("a", text, { href: href });
    if (title) a.title = title;
    return a;
  }
  function getJSON(url) {
    return fetch(url).then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }
  var ISO = /^\d{4}-\d{2}-\d{2}$/;

  /* -- tables: sort (a row's detail moves with it), filter ------------------------------------------ */
  function cellValue(td, type) {
    var raw = td.hasAttribute("data-sort") ? td.getAttribute("data-sort") : td.textContent.trim();
    if (type === "number") { var n = parseFloat(raw); return isNaN(n) ? null : n; }
    return raw === "" ? null : raw; /* ISO dates sort as text */
  }
  function pairs(body) {
    var out = [];
    Array.prototype.forEach.call(body.rows, function (r) {
      if (r.classList.contains("tl-detail") && out.length) out[out.length - 1].push(r);
      else out.push([r]);
    });
    return out;
  }
  function sortTable(table, col, th) {
    var type = th.getAttribute("data-type") || "text";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var groups = pairs(body);
    groups.sort(function (a, b) {
      var x = cellValue(a[0].cells[col], type), y = cellValue(b[0].cells[col], type);
      if (x === null && y === null) return 0;
      if (x === null) return 1; /* empty cells last, whichever the direction */
      if (y === null) return -1;
      var c = type === "number" ? x - y : String(x).localeCompare(String(y));
      return ascending ? c : -c;
    });
    groups.forEach(function (g) { g.forEach(function (r) { body.appendChild(r); }); });
  }
  function makeSortable(table) {
    if (!table.tHead) return;
    table.tHead.querySelectorAll("th").forEach(function (th, col) {
      if (th.querySelector("button, a")) return;
      var button = el("button", th.textContent, { type: "button", "class": "tl-sort", "aria-label": "Sort by " + th.textContent });
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () { sortTable(table, col, th); });
    });
  }
  function filterRows(input) {
    var table = document.getElementById("tbl-" + input.getAttribute("data-table"));
    if (!table) return;
    var q = input.value.trim().toLowerCase();
    pairs(table.tBodies[0]).forEach(function (g) {
      var hide = q !== "" && g[0].textContent.toLowerCase().indexOf(q) === -1;
      g.forEach(function (r) { r.hidden = hide; });
    });
  }

  /* -- the rates tool -------------------------------------------------------------------------------- */
  function ratesTool(form) {
    var base = form.getAttribute("data-src");
    var $ = function (id) { return document.getElementById(id); };
    var date = $("tl-rates-date"), partner = $("tl-rates-partner"), scope = $("tl-rates-scope");
    var authority = $("tl-rates-authority"), stage = $("tl-rates-stage");
    var status = $("tl-rates-status"), result = $("tl-rates-result"), more = $("tl-rates-more");
    var cache = {}, index = null, request = 0;
    var site = base.replace(/assets\/generated\/rates\/$/, "");
    function load(name) { return cache[name] || (cache[name] = getJSON(base + name + ".json")); }
    function at(periods, day) {
      for (var i = 0; i < periods.length; i++) {
        var p = periods[i];
        if (p[0] <= day && (p[1] === null || day < p[1])) return p;
      }
      return null;
    }
    function table(headers) {
      var t = el("table", null, { "class": "tl-table tl-ranking" }), tr = el("tr");
      headers.forEach(function (h) { tr.appendChild(el("th", h, { scope: "col" })); });
      t.appendChild(el("thead")).appendChild(tr);
      t.appendChild(el("tbody"));
      return t;
    }
    function row(t, cells, labels) {
      var tr = el("tr", null, { "class": "tl-row" });
      cells.forEach(function (c, i) {
        var td = el("td", null, { "data-label": labels[i] });
        if (c instanceof Node) td.appendChild(c); else td.textContent = c;
        tr.appendChild(td);
      });
      t.tBodies[0].appendChild(tr);
    }
    function setURL() {
      var q = new URLSearchParams();
      [["date", date], ["partner", partner], ["goods", scope], ["measure", authority], ["stage", stage]].forEach(function (p) {
        if (p[1].value) q.set(p[0], p[1].value);
      });
      history.replaceState(null, "", "?" + q.toString());
    }
    var shownFor = null;
    function show(all) {
      var day = date.value.trim();
      if (!ISO.test(day)) { status.textContent = "Write the date as YYYY-MM-DD, e.g. 2025-08-07."; return; }
      var pid = partner.value, s = scope.value, a = authority.value, st = stage.value;
      /* A change event that repeats what is shown (the date field losing focus after typing) does nothing:
         redrawing would move the page under a click on its way to "Show all". */
      var asked = [day, pid, s, a, st, all].join("|");
      if (asked === shownFor) return;
      shownFor = asked;
      var mine = ++request;
      setURL();
      var scopeName = index.scopes[s] || s;
      status.textContent = "Loading…";
      if (st !== "enacted") {
        var ids = pid ? [pid] : Object.keys(index.partners);
        Promise.all(ids.map(load)).then(function (parts) {
          if (mine !== request) return;
          var t = table(["Partner", "Rate", "Measure", "Goods", "Stated on", "From"]), n = 0, seen = {};
          parts.forEach(function (d) {
            d.stated.forEach(function (rid) {
              var r = d.rates[rid];
              if (seen[rid] || r.stage !== st || r.announced > day || (s !== "all-goods" && r.scope !== s) || (a && r.authority !== a)) return;
              seen[rid] = true;
              n++;
              row(t, [link(index.partners[r.partner] || r.partner, site + "partners/" + r.partner.toLowerCase() + "/"),
                      r.rate === null ? "no single rate" : r.rate + "%", link(r.name, site + r.href, r.source_title),
                      index.scopes[r.scope] || r.scope, r.announced, r.from || ""],
                  ["Partner", "Rate", "Measure", "Goods", "Stated on", "From"]);
            });
          });
          result.textContent = "";
          result.appendChild(t);
          more.textContent = "";
          status.textContent = n + " " + (index.stages[st] || st).toLowerCase() + " rate" + (n === 1 ? "" : "s") + " stated by " + day +
            (pid ? " for " + index.partners[pid] : "") + (s !== "all-goods" ? " on " + scopeName.toLowerCase() : "") + ".";
        }).catch(function () { shownFor = null; status.textContent = "Could not load the rate data."; });
        return;
      }
      if (pid) {
        load(pid).then(function (d) {
          if (mine !== request) return;
          var t = table(["Goods", "Rate", "Set by", "Since", "Not charged, and why"]), n = 0, ceilings = false;
          Object.keys(d.answers).forEach(function (sc) {
            if (s !== "all-goods" && sc !== s) return;
            var p = at(d.answers[sc], day);
            if (!p) return;
            if (a && !p[5].some(function (rid) { return d.rates[rid].authority === a; })) return;
            var set = el("span"), not = el("span");
            p[5].forEach(function (rid, i) {  // p[7]: all are ceilings, the highest holds (none added)
              if (i) set.appendChild(document.createTextNode(p[7] ? " and " : " + "));
              set.appendChild(link(d.rates[rid].name, site + d.rates[rid].href, d.rates[rid].source_title));
            });
            p[6].forEach(function (x, i) {
              var r = d.rates[x[0]], why = d.rules[x[1]];
              if (i) not.appendChild(document.createTextNode("; "));
              not.appendChild(document.createTextNode((r.rate === null ? "" : r.rate + "% ") + r.name + ": "));
              not.appendChild(link(why.text, site + why.href, why.title));
            });
            if (!p[6].length) not.textContent = "none";
            if (p[7]) ceilings = true;
            n++;
            row(t, [link(index.scopes[sc] || sc, site + "partners/" + pid.toLowerCase() + "/#" + sc), p[3] + (p[4] ? " " + p[4] : ""), set, p[0], not],
                ["Goods", "Rate", "Set by", "Since", "Not charged, and why"]);
          });
          result.textContent = "";
          result.appendChild(t);
          more.textContent = ceilings ? index.ceilings_note : "";
          status.textContent = index.partners[pid] + " on " + day + ": " + n + " kind" + (n === 1 ? "" : "s") + " of goods (data as of " + index.data_as_of + ").";
        }).catch(function () { shownFor = null; status.textContent = "Could not load the rate data."; });
        return;
      }
      load("scope-" + s).then(function (d) {
        if (mine !== request) return;
        var rows = [];
        Object.keys(d.partners).forEach(function (p) {
          if (d.members[p]) return; /* EU members pay the EU's rates: ranked once, as the EU */
          var x = at(d.partners[p], day);
          if (!x || x[2] === null) return;
          if (a) {
            /* Under one authority: that authority's own layers, not the combined total. */
            if (!x[5][a]) return;
            x = [x[0], x[1], x[5][a][0], x[5][a][1], [a]];
          }
          rows.push([p, x]);
        });
        rows.sort(function (u, v) { return v[1][2] - u[1][2] || (index.partners[u[0]] || u[0]).localeCompare(index.partners[v[0]] || v[0]); }); /* ties by name */
        var t = table(["Rank", "Partner", "Rate", "Set by", "Since"]);
        var shown = all ? rows : rows.slice(0, 25);
        shown.forEach(function (r, i) {
          row(t, [String(i + 1), link(index.partners[r[0]], site + "partners/" + r[0].toLowerCase() + "/#" + s), r[1][3],
                  r[1][4].map(function (k) { return index.authorities[k] || k; }).join(" + "), r[1][0]],
              ["Rank", "Partner", "Rate", "Set by", "Since"]);
        });
        result.textContent = "";
        result.appendChild(t);
        more.textContent = "";
        if (rows.length > shown.length) {
          var b = el("button", "Show all " + rows.length, { type: "button" });
          b.addEventListener("click", function () { show(true); });
          more.appendChild(b);
        }
        status.textContent = scopeName + ", in force on " + day + (a ? " under " + index.authorities[a] : "") + ": " +
          (rows.length > shown.length ? "the " + shown.length + " highest of " : "") + rows.length + " partners (EU members pay the EU's rate).";
      }).catch(function () { shownFor = null; status.textContent = "Could not load the rate data."; });
    }
    var q = new URLSearchParams(location.search);
    [["date", date], ["partner", partner], ["goods", scope], ["measure", authority], ["stage", stage]].forEach(function (p) {
      if (q.get(p[0])) p[1].value = q.get(p[0]);
    });
    document.querySelectorAll(".tl-keydates a[data-day]").forEach(function (a) {
      a.addEventListener("click", function (ev) {
        ev.preventDefault();
        date.value = a.getAttribute("data-day");
        stage.value = "enacted";
        show(false);
      });
    });
    getJSON(base + "index.json").then(function (json) {
      index = json;
      if (location.search) show(false);
      [date, partner, scope, authority, stage].forEach(function (i) {
        i.addEventListener("change", function () { show(false); });
      });
      date.addEventListener("input", function () { if (ISO.test(date.value.trim())) show(false); });
    }).catch(function () { shownFor = null; status.textContent = "Could not load the rate data."; });
  }

  /* -- compare: any two to four partners, kept in the address ---------------------------------------- */
  function compare(form) {
    var picks = form.querySelectorAll(".tl-compare-pick");
    var figure = document.querySelector("#tl-compare-chart figure");
    var legend = document.getElementById("tl-compare-legend");
    var tbl = document.getElementById("tl-compare-table");
    var SVGNS = "http://www.w3.org/2000/svg";
    var site = form.getAttribute("data-src").replace(/assets\/generated\/compare\.json$/, "");
    getJSON(form.getAttribute("data-src")).then(function (data) {
      function draw() {
        var chosen = [];
        picks.forEach(function (p) { if (p.value && chosen.indexOf(p.value) === -1) chosen.push(p.value); });
        history.replaceState(null, "", "?partners=" + chosen.join(","));
        figure.querySelectorAll("svg").forEach(function (svg) {
          var variant = svg.classList.contains("tl-svg--narrow") ? "narrow" : "wide";
          svg.querySelectorAll("path.tl-line").forEach(function (p) { p.remove(); });
          chosen.forEach(function (pid, i) {
            /* Lines at the same rate side by side, not on top of each other (charts.line_offset). */
            var offset = Math.round((i - (chosen.length - 1) / 2) * 2.5 * 10) / 10;
            data[pid].paths[variant].forEach(function (d, dashed) {
              if (!d) return;
              var path = document.createElementNS(SVGNS, "path");
              path.setAttribute("d", d);
              if (offset) path.setAttribute("transform", "translate(0 " + offset + ")");
              path.setAttribute("class", "tl-line tl-s" + (i + 1) + (dashed ? " tl-dashed" : ""));
              svg.appendChild(path);
            });
          });
        });
        var alt = chosen.map(function (pid) { return data[pid].name; }).join(", ");
        figure.querySelector("[role=img]").setAttribute("aria-label", "The rate on most goods over time: " + alt +
          ". The table below gives each partner's rates now.");
        legend.textContent = "";
        chosen.forEach(function (pid, i) {
          var li = el("li", null, { "class": "tl-legend__item tl-k" + (i + 1) });
          li.appendChild(el("span", null, { "class": "tl-swatch", "aria-hidden": "true" }));
          li.appendChild(link(data[pid].name, site + "partners/" + pid.toLowerCase() + "/"));
          legend.appendChild(li);
        });
        var head = tbl.tHead.rows[0];
        while (head.cells.length > 1) head.deleteCell(1);
        chosen.forEach(function (pid) {
          var th = el("th", null, { scope: "col" });
          th.appendChild(link(data[pid].name, site + "partners/" + pid.toLowerCase() + "/"));
          head.appendChild(th);
        });
        Array.prototype.forEach.call(tbl.tBodies[0].rows, function (tr) {
          while (tr.cells.length > 1) tr.deleteCell(1);
          var key = tr.getAttribute("data-row");
          chosen.forEach(function (pid) {
            var c = data[pid].columns, td = el("td", null, { "data-label": data[pid].name });
            if (key === "deal") td.textContent = c.deal;
            else if (key === "pledges") {
              (c.pledges.length ? c.pledges : ["none recorded"]).forEach(function (p, i) {
                if (i) td.appendChild(el("br"));
                td.appendChild(document.createTextNode(p));
              });
            } else td.textContent = c.scopes[key] || "none";
            tr.appendChild(td);
          });
        });
      }
      var q = new URLSearchParams(location.search).get("partners");
      if (q) {
        var ids = q.split(",").filter(function (p) { return data[p]; }).slice(0, 4);
        picks.forEach(function (p, i) { p.value = ids[i] || ""; });
        draw();
      }
      picks.forEach(function (p) { p.addEventListener("change", draw); });
    });
  }

  /* -- the timeline: one filter over every month ------------------------------------------------------ */
  function timeline(form) {
    var $ = function (id) { return document.getElementById(id); };
    var partner = $("tl-tf-partner"), kind = $("tl-tf-kind"), from = $("tl-tf-from"), to = $("tl-tf-to");
    var status = $("tl-tf-status"), list = $("tl-tf-results");
    getJSON(form.getAttribute("data-src")).then(function (data) {
      function run() {
        var f = from.value.trim(), t = to.value.trim();
        var q = new URLSearchParams();
        if (partner.value) q.set("partner", partner.value);
        if (kind.value) q.set("kind", kind.value);
        if (ISO.test(f)) q.set("from", f);
        if (ISO.test(t)) q.set("to", t);
        history.replaceState(null, "", q.toString() ? "?" + q.toString() : location.pathname);
        list.textContent = "";
        if (!q.toString()) { status.textContent = ""; return; }
        var hits = data.events.filter(function (e) {
          return (!partner.value || e[2] === partner.value) && (!kind.value || e[3] === kind.value) &&
                 (!ISO.test(f) || e[1] >= f) && (!ISO.test(t) || e[1] <= t);
        });
        hits.slice(0, 300).forEach(function (e) {
          var li = el("li");
          li.appendChild(el("span", e[1] + " · ", { "class": "tl-meta" }));
          li.appendChild(link(e[4], e[5] + "/#" + e[0]));
          li.appendChild(el("span", " · " + (data.partners[e[2]] || e[2]), { "class": "tl-meta" }));
          list.appendChild(li);
        });
        status.textContent = hits.length + " event" + (hits.length === 1 ? "" : "s") + " match" +
          (hits.length > 300 ? "; the first 300 are listed" : "") + ", newest first.";
      }
      var q = new URLSearchParams(location.search);
      if (q.get("partner")) partner.value = q.get("partner");
      if (q.get("kind")) kind.value = q.get("kind");
      if (q.get("from")) from.value = q.get("from");
      if (q.get("to")) to.value = q.get("to");
      [partner, kind].forEach(function (i) { i.addEventListener("change", run); });
      [from, to].forEach(function (i) { i.addEventListener("input", run); });
      run();
    });
  }


  /* -- the product look-up: the answer for a code comes from the lists that hold it --------------------- */
  function lookup(form) {
    var base = form.getAttribute("data-src"), site = form.getAttribute("data-site");
    var $ = function (id) { return document.getElementById(id); };
    var code = $("tl-lookup-code"), partner = $("tl-lookup-partner"), date = $("tl-lookup-date");
    var out = $("tl-lookup-result"), cache = {};
    function load(name) {
      return cache[name] || (cache[name] = fetch(base + name + ".json").then(function (r) {
        if (r.status === 404) return null;
        if (!r.ok) throw new Error(r.status);
        return r.json();
      }));
    }
    function holds(l, day) { return l.from <= day && (!l.until || day < l.until); }
    function para(parts) {
      var p = el("p");
      parts.forEach(function (x) { p.appendChild(typeof x === "string" ? document.createTextNode(x) : x); });
      return p;
    }
    function listLink(l) { return link(l.title, l.source, l.instrument); }
    /* What the lists holding a code say of it on the day, and the combined answer that follows. */
    function answerFor(meta, data, owners, lids, day) {
      var active = lids.filter(function (lid) { var l = meta.lists[lid]; return owners.indexOf(l.partner) !== -1 && holds(l, day); })
        .map(function (lid) { return meta.lists[lid]; });
      var plain = active.filter(function (l) { return !l.condition; });
      var uniq = function (s, i, a) { return a.indexOf(s) === i; };
      var scopes = plain.filter(function (l) { return l.effect === "covers" && l.scope; }).map(function (l) { return l.scope; }).filter(uniq).sort();
      var exempt = plain.filter(function (l) { return l.effect === "exempts"; })
        .map(function (l) { return l.authority + "/" + l.measure; }).filter(uniq).sort();
      var key = scopes.join("+") + ";" + exempt.join("+");
      function on(numbers) { /* the answer's periods are numbers into data.periods */
        var found = null;
        (numbers || []).forEach(function (i) { var x = data.periods[i]; if (x[0] <= day && (x[1] === null || day < x[1])) found = x; });
        return found;
      }
      var period = on(data.answers[key]), alts = [];
      /* Goods that meet a condition of the partner's rules (USMCA-qualifying, within the quota) may pay otherwise. */
      Object.keys(data.conditions || {}).forEach(function (name) {
        var alt = data.conditions[name][key] ? on(data.conditions[name][key]) : null;
        if (alt && (!period || alt[3] !== period[3] || alt[4] !== period[4])) alts.push([name, alt]);
      });
      return { active: active, plain: plain, scopes: scopes, period: period, alts: alts, day: day,
               banned: plain.filter(function (l) { return l.effect === "prohibits"; }) };
    }
    function rateWords(p) { return p ? p[3] + (p[4] ? " " + p[4] : "") : "no additional tariff"; }
    function words(a) { return a.banned.length ? "imports banned" : rateWords(a.period); }
    function explain(a, data, box, ceilingsNote) {
      a.banned.forEach(function (l) { box.appendChild(para(["Imports banned: ", listLink(l), "."])); });
      var layers = el("ul"), p = a.period;
      (p ? p[5] : []).forEach(function (rid) {
        var r = data.rates[rid], li = el("li");
        li.appendChild(document.createTextNode("Applies: " + (r.rate === null ? "" : r.rate + "% ") + r.name + " "));
        li.appendChild(link("(the layer)", site + r.href, r.source_title));
        var by = a.active.filter(function (l) { return l.effect === "covers" && l.authority === r.authority && l.scope === r.scope; });
        if (by.length) { li.appendChild(document.createTextNode(", because the code is on ")); li.appendChild(listLink(by[0])); }
        layers.appendChild(li);
      });
      (p ? p[6] : []).forEach(function (x) {
        var r = data.rates[x[0]], li = el("li");
        li.appendChild(document.createTextNode("Does not apply: " + (r.rate === null ? "" : r.rate + "% ") + r.name + ": "));
        if (x[1].indexOf("list:") === 0) {
          var ex = a.plain.filter(function (l) { return l.effect === "exempts" && l.authority === r.authority && (!l.measure || l.measure === r.measure); });
          li.appendChild(document.createTextNode("the code is exempt, "));
          if (ex.length) li.appendChild(listLink(ex[0]));
        } else {
          var why = data.rules[x[1]];
          li.appendChild(link(why.text, site + why.href, why.title));
        }
        layers.appendChild(li);
      });
      if (layers.childNodes.length) box.appendChild(layers);
      if (p && p[7]) box.appendChild(para([ceilingsNote]));
      if (!a.banned.length) a.alts.forEach(function (x) { box.appendChild(para([x[0] + ": " + rateWords(x[1]) + "."])); });
      a.active.filter(function (l) { return l.condition; }).forEach(function (l) {
        box.appendChild(para([(l.effect === "exempts" ? "Exempt " : "Covered ") + l.condition + ": ", listLink(l), "."]));
      });
      /* Goods a rule spares by a condition the code does not show (generic medicines), where the layer applies. */
      var named = [], parts = ["Exempt: "];
      (data.spared || []).forEach(function (s) {
        if (!p || named.indexOf(s.label) !== -1 || !holds(s, a.day)) return;
        var hit = p[5].some(function (rid) {
          var r = data.rates[rid];
          return r.authority === s.authority && (!s.measure || s.measure === r.measure) &&
            (!s.scope || s.scope === r.scope || a.scopes.indexOf(s.scope) !== -1);
        });
        if (!hit) return;
        if (named.length) parts.push("; ");
        named.push(s.label);
        parts.push(link(s.label, site + s.href, s.text));
      });
      if (named.length) box.appendChild(para(parts.concat(["."])));
    }
    function show() {
      var q = code.value.replace(/[\s.]/g, ""), pid = partner.value, day = date.value.trim();
      if (!/^\d{2}(\d{2}){0,4}$/.test(q)) { out.textContent = "Write the HTS code as 2, 4, 6, 8 or 10 digits (dots and spaces allowed)."; return; }
      if (!ISO.test(day)) { out.textContent = "Write the date as YYYY-MM-DD."; return; }
      history.replaceState(null, "", "?code=" + q + "&partner=" + pid + "&date=" + day);
      out.textContent = "Looking up…";
      Promise.all([load("lists"), load("codes-" + q.slice(0, 2)), load(pid)]).then(function (got) {
        var meta = got[0], piece = got[1] || { codes: {}, sigs: {} }, data = got[2];
        var owners = meta.owners[pid], name = meta.partners[pid], lids = [], prefix = "";
        for (var k = q.length; k >= 2; k -= 2) {
          if (piece.codes.hasOwnProperty(q.slice(0, k))) { prefix = q.slice(0, k); lids = piece.sigs[piece.codes[prefix]]; break; }
        }
        var main = answerFor(meta, data, owners, lids, day);
        // Longer codes under the one typed may be on other lists: the answer then depends on the full code.
        var groups = {};
        Object.keys(piece.codes).sort().forEach(function (c) {
          if (c.length <= q.length || c.indexOf(q) !== 0) return;
          var a = answerFor(meta, data, owners, piece.sigs[piece.codes[c]], day);
          if (words(a) === words(main) && a.active.length === main.active.length) return;
          var key = words(a) + "|" + a.active.map(function (l) { return l.title; }).join("|");
          (groups[key] = groups[key] || { answer: a, codes: [] }).codes.push(c);
        });
        var keys = Object.keys(groups);
        out.textContent = "";
        var head = el("h2", null, { id: "answer" });
        head.textContent = "HTS " + q + " from " + name + " on " + day + ": " + (keys.length ? "depends on the full code" : words(main));
        out.appendChild(head);
        keys.forEach(function (key) {
          var g = groups[key], box = el("div", null, { "class": "tl-lookup-group" });
          box.appendChild(el("h3", g.codes.slice(0, 6).join(", ") + (g.codes.length > 6 ? " and " + (g.codes.length - 6) + " more" : "") + ": " + words(g.answer)));
          explain(g.answer, data, box, meta.ceilings_note);
          out.appendChild(box);
        });
        var rest = el("div", null, { "class": "tl-lookup-group" });
        if (keys.length) rest.appendChild(el("h3", "Any other code under " + q + " (this tool does not hold the full HTS): " + words(main)));
        explain(main, data, rest, meta.ceilings_note);
        if (!prefix && !keys.length) rest.appendChild(para(["HTS " + q + " is on none of the record's product lists: it pays what all goods from " + name + " pay."]));
        out.appendChild(rest);
        var goods = main.scopes.length ? main.scopes : ["all-goods"], soon = el("ul");
        keys.forEach(function (key) { groups[key].answer.scopes.forEach(function (s) { if (goods.indexOf(s) === -1) goods.push(s); }); });
        data.stated.forEach(function (rid) {
          var r = data.rates[rid];
          if (r.announced > day || (goods.indexOf(r.scope) === -1 && r.scope !== "all-goods")) return;
          if (r.stage === "announced" && r.from && r.from <= day) return;
          var li = el("li");
          li.appendChild(document.createTextNode((r.stage === "announced" ? "Scheduled: " : "Threatened: ") +
            (r.rate === null ? "" : r.rate + "% ") + r.name + (r.from ? " from " + r.from : "") + " (stated " + r.announced + ") "));
          li.appendChild(link("(the row)", site + r.href, r.source_title));
          soon.appendChild(li);
        });
        if (soon.childNodes.length) { out.appendChild(el("h3", "What is scheduled or threatened")); out.appendChild(soon); }
        out.appendChild(para([meta.not_modelled + " Where the rules name a condition, such as USMCA-qualifying goods, the answer for goods that meet it is given above. Data as of " + meta.data_as_of + "."]));
      }).catch(function () { out.textContent = "Could not load the look-up data."; });
    }
    var q = new URLSearchParams(location.search);
    if (q.get("code")) code.value = q.get("code");
    if (q.get("partner")) partner.value = q.get("partner");
    if (q.get("date")) date.value = q.get("date");
    form.addEventListener("submit", function (ev) { ev.preventDefault(); show(); });
    [partner, date].forEach(function (i) { i.addEventListener("change", function () { if (code.value) show(); }); });
    if (q.get("code")) show();
  }

  function init() {
    /* Material's search overlay is a dialog without a name; give it one for screen readers. */
    document.querySelectorAll(".md-search[role=dialog]").forEach(function (d) { d.setAttribute("aria-label", "Search"); });
    document.querySelectorAll("table.tl-table").forEach(makeSortable);
    document.querySelectorAll("input.tl-filter").forEach(function (i) {
      i.addEventListener("input", function () { filterRows(i); });
    });
    var r = document.getElementById("tl-rates");
    if (r) ratesTool(r);
    var c = document.getElementById("tl-compare");
    if (c) compare(c);
    var t = document.getElementById("tl-timeline-filter");
    if (t) timeline(t);
    var l = document.getElementById("tl-lookup");
    if (l) lookup(l);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
