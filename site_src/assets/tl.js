/* Tariff Ledger: sortable and filterable tables, timeline filters, and the rates date picker.
   Plain JavaScript served from the site itself; every page works without it. */
(function () {
  "use strict";

  function cellValue(td, type) {
    var raw = td.hasAttribute("data-sort") ? td.getAttribute("data-sort") : td.textContent.trim();
    if (type === "number") {
      var n = parseFloat(raw);
      return isNaN(n) ? null : n;
    }
    return raw === "" ? null : raw; /* ISO dates sort as text */
  }

  function sortTable(table, col, th) {
    var type = th.getAttribute("data-type") || "text";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a.cells[col], type), y = cellValue(b.cells[col], type);
      if (x === null && y === null) return 0;
      if (x === null) return 1;  /* empty cells last, whichever the direction */
      if (y === null) return -1;
      var c = type === "number" ? x - y : String(x).localeCompare(String(y));
      return ascending ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  function makeSortable(table) {
    table.querySelectorAll("thead th").forEach(function (th, col) {
      if (th.querySelector("button")) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "tl-sort";
      button.textContent = th.textContent;
      button.setAttribute("aria-label", "Sort by " + th.textContent);
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () { sortTable(table, col, th); });
    });
  }

  function filterRows(input) {
    var table = document.getElementById("tbl-" + input.getAttribute("data-table"));
    if (!table) return;
    var q = input.value.trim().toLowerCase();
    Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
      r.hidden = q !== "" && r.textContent.toLowerCase().indexOf(q) === -1;
    });
  }

  function filterEvents() {
    var want = {};
    document.querySelectorAll(".tl-event-filter").forEach(function (s) { want[s.getAttribute("data-key")] = s.value; });
    document.querySelectorAll(".tl-month").forEach(function (month) {
      var shown = 0;
      month.querySelectorAll(".tl-event").forEach(function (e) {
        var ok = (!want.partner || e.getAttribute("data-partner") === want.partner) &&
                 (!want.kind || e.getAttribute("data-kind") === want.kind);
        e.hidden = !ok;
        if (ok) shown++;
      });
      month.hidden = shown === 0;
    });
  }

  function td(text, href) {
    var cell = document.createElement("td");
    if (href) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = text;
      cell.appendChild(a);
    } else {
      cell.textContent = text; /* textContent: data never becomes markup */
    }
    return cell;
  }

  function picker(root) {
    var dateInput = document.getElementById("tl-picker-date");
    var partnerInput = document.getElementById("tl-picker-partner");
    var status = document.getElementById("tl-picker-status");
    var body = document.querySelector("#tl-picker-table tbody");
    var base = root.getAttribute("data-src");
    var index = null, loaded = {}, request = 0;
    function load(pid) { /* one small file per partner, fetched once, when first needed */
      if (!loaded[pid]) {
        loaded[pid] = fetch(base + encodeURIComponent(pid) + ".json").then(function (r) {
          if (!r.ok) throw new Error(r.status);
          return r.json();
        });
      }
      return loaded[pid];
    }
    function show() {
      if (!index) return;
      var day = dateInput.value, pid = partnerInput.value, mine = ++request;
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) { status.textContent = "Choose a date."; return; }
      var ids = pid ? [pid] : Object.keys(index.partners);
      status.textContent = "Loading…";
      Promise.all(ids.map(load)).then(function (parts) {
        if (mine !== request) return; /* a newer choice is being shown */
        body.textContent = "";
        var count = 0;
        parts.forEach(function (data) {
          data.segments.forEach(function (s) {
            if (!(s[2] <= day && (s[3] === null || day < s[3]))) return;
            var r = data.rates[s[1]];
            var tr = document.createElement("tr");
            tr.setAttribute("data-rate-id", s[1]);
            [td(index.partners[s[0]] || s[0]), td(r.authority), td(r.scope),
             td(r.rate === null ? "no single rate" : String(r.rate)), td(r.basis), td(s[2]), td(s[3] || ""),
             td(s[4] === s[0] ? "own row" : "inherited from " + s[4]), td(r.instrument || ""),
             td(r.source_title, r.source)].forEach(function (c) { tr.appendChild(c); });
            if (r.rate !== null) tr.cells[3].setAttribute("data-sort", String(r.rate));
            body.appendChild(tr);
            count++;
          });
        });
        status.textContent = count + " layer" + (count === 1 ? "" : "s") + " in force on " + day +
          (pid ? " for " + index.partners[pid] : " across all partners") + " (data as of " + index.data_as_of + ").";
      }).catch(function () { status.textContent = "Could not load the rate data."; });
    }
    fetch(base + "index.json").then(function (r) { return r.json(); }).then(function (json) {
      index = json;
      show();
    }).catch(function () { status.textContent = "Could not load the rate data."; });
    dateInput.addEventListener("change", show);
    dateInput.addEventListener("input", show);
    partnerInput.addEventListener("change", show);
  }

  function init() {
    /* Material's search overlay is a dialog without a name; give it one for screen readers. */
    document.querySelectorAll(".md-search[role=dialog]").forEach(function (d) { d.setAttribute("aria-label", "Search"); });
    document.querySelectorAll("table.tl-table").forEach(makeSortable);
    document.querySelectorAll("input.tl-filter").forEach(function (i) {
      i.addEventListener("input", function () { filterRows(i); });
    });
    document.querySelectorAll(".tl-event-filter").forEach(function (s) { s.addEventListener("change", filterEvents); });
    var p = document.querySelector(".tl-picker");
    if (p) picker(p);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
