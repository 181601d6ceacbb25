// caseflow workshop page: builds the controls from /api/setup, posts a change to /api/run and
// draws baseline and variant side by side with uPlot (served by the same server). The body's
// data-* attributes tell a test what happened: data-state, data-runs (answers drawn),
// data-charts-drawn, data-last-status, data-variant-sum (a checksum of the variant's means).
(function () {
  "use strict";
  var setup = null;
  var plots = [];
  var runs = 0;
  var $ = function (id) { return document.getElementById(id); };
  var body = document.body;

  function group(text) {
    var parts = text.split(".");
    parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return parts.join(".");
  }
  function format(v, share) {
    if (v === null || v === undefined || !isFinite(v)) return "-";
    if (share) return v.toFixed(3);
    var a = Math.abs(v);
    return group(a >= 100 || a === 0 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2));
  }
  function status(text) { $("status").textContent = text; }
  function message(text) {
    var m = $("message");
    if (text) { m.textContent = text; m.hidden = false; } else { m.textContent = ""; m.hidden = true; }
  }

  function yearIndex() { return setup.setup.years.indexOf(Number($("year").value)); }

  function buildControls() {
    var box = $("controls");
    box.textContent = "";
    var i = yearIndex();
    setup.setup.controls.forEach(function (c) {
      var row = document.createElement("div");
      row.className = "control";
      var id = "c-" + c.key.replace(/\./g, "-");
      var label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = c.label;
      var input = document.createElement("input");
      input.id = id;
      input.setAttribute("data-key", c.key);
      var out = document.createElement("output");
      var initial = c.values[i];
      if (c.kind.type === "switch") {
        input.type = "checkbox";
        input.checked = !!initial;
        out.textContent = initial ? "on" : "off";
      } else {
        input.type = "range";
        input.min = c.kind.min; input.max = c.kind.max; input.step = c.kind.step;
        input.value = initial;
        out.textContent = format(Number(initial), false);
      }
      var update = function () {
        var v = input.type === "checkbox" ? input.checked : Number(input.value);
        out.textContent = input.type === "checkbox" ? (v ? "on" : "off") : format(v, false);
        row.classList.toggle("changed", changedValue(c, input) !== undefined);
      };
      input.addEventListener("input", update);
      input.addEventListener("change", update);
      row.appendChild(label); row.appendChild(input); row.appendChild(out);
      box.appendChild(row);
    });
  }

  // The control's new value if it differs from the value in force in the chosen year.
  function changedValue(c, input) {
    var initial = c.values[yearIndex()];
    if (input.type === "checkbox") return input.checked !== !!initial ? input.checked : undefined;
    var v = Number(input.value);
    return Math.abs(v - Number(initial)) > 1e-9 ? v : undefined;
  }

  function changes() {
    var out = {};
    setup.setup.controls.forEach(function (c) {
      var input = $("c-" + c.key.replace(/\./g, "-"));
      var v = changedValue(c, input);
      if (v !== undefined) out[c.key] = v;
    });
    return out;
  }

  function chartOptions(name, unit, years, width) {
    var share = unit === "share";
    var value = function (u, v) { return format(v, share); };
    var edge = function (label) { return { label: label, stroke: "rgba(0,0,0,0)", width: 0, points: { show: false }, value: value }; };
    return {
      width: width, height: 220,
      series: [
        { label: "year" },
        edge("baseline p95"), edge("baseline p05"),
        edge("variant p95"), edge("variant p05"),
        { label: "baseline", stroke: "#1f77b4", width: 2, points: { show: false }, value: value },
        { label: "variant", stroke: "#e4572e", width: 2, points: { show: false }, value: value }
      ],
      bands: [
        { series: [1, 2], fill: "rgba(31,119,180,0.15)" },
        { series: [3, 4], fill: "rgba(228,87,46,0.18)" }
      ],
      scales: { x: { time: false } },
      axes: [
        { values: function (u, s) { return s.map(function (v) { return String(v); }); } },
        { size: 64, values: function (u, s) { return s.map(function (v) { return format(v, share); }); } }
      ],
      cursor: { drag: { x: false, y: false } },
      // The colours are explained above the controls; the numbers are in the table.
      legend: { show: false }
    };
  }

  function draw(answer) {
    plots.forEach(function (p) { p.destroy(); });
    plots = [];
    var charts = $("charts");
    charts.textContent = "";
    var years = answer.years;
    var drawn = 0;
    var sum = 0;
    var tbody = $("numbers").querySelector("tbody");
    tbody.textContent = "";
    answer.series_order.forEach(function (name) {
      var b = answer.baseline[name], v = answer.variant[name];
      if (!b || !v) return;
      var wrap = document.createElement("div");
      wrap.className = "plot";
      var h = document.createElement("h3");
      h.textContent = name + (b.unit ? " (" + b.unit + ")" : "");
      wrap.appendChild(h);
      charts.appendChild(wrap);
      var data = [years, b.p95, b.p05, v.p95, v.p05, b.mean, v.mean];
      try {
        var u = new uPlot(chartOptions(name, b.unit, years, Math.max(320, wrap.clientWidth || 380)), data, wrap);
        plots.push(u);
        if (wrap.querySelector("canvas")) { drawn += 1; wrap.setAttribute("data-drawn", "canvas"); }
      } catch (e) {
        wrap.setAttribute("data-chart-error", String(e));
      }
      var last = years.length - 1;
      var bl = b.mean[last], vl = v.mean[last];
      v.mean.forEach(function (x) { if (x !== null && isFinite(x)) sum += x; });
      var tr = document.createElement("tr");
      var share = b.unit === "share";
      var change = (bl !== null && vl !== null) ? vl - bl : null;
      [name + " (" + years[last] + ")", format(bl, share), format(vl, share),
        change === null ? "-" : (change > 0 ? "+" : "") + format(change, share)].forEach(function (t) {
        var td = document.createElement("td"); td.textContent = t; tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
    $("stories").textContent = answer.stories;
    $("question").textContent = answer.question;
    var m = answer.made;
    $("scaled").textContent = m.scaled_note + "; " + m.seeds + " runs (master seed " + m.master_seed + ", runs " + m.run_indices + ")" +
      (answer.cached ? ", from the cache" : ", " + m.seconds.toFixed(2) + " s");
    $("made").textContent = "scenario " + m.scenario + " (sha256 " + m.scenario_sha256.slice(0, 12) + "), caseflow " + m.version +
      " (" + m.git_revision + "). Counts are scaled back to the whole country; shares are as simulated.";
    runs += 1;
    body.setAttribute("data-runs", String(runs));
    body.setAttribute("data-charts-drawn", String(drawn));
    body.setAttribute("data-variant-sum", sum.toFixed(3));
  }

  function run(retries) {
    var btn = $("run");
    btn.disabled = true;
    body.setAttribute("data-state", "running");
    status("running...");
    message("");
    var request = { year: Number($("year").value), changes: changes(), seeds: Number($("seeds").value) };
    fetch("/api/run", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(request) })
      .then(function (r) {
        body.setAttribute("data-last-status", String(r.status));
        return r.json().then(function (j) { return { status: r.status, json: j, retry: r.headers.get("Retry-After") }; });
      })
      .then(function (r) {
        if (r.status === 200) {
          draw(r.json);
          status("done");
          body.setAttribute("data-state", "done");
          btn.disabled = false;
        } else if (r.status === 503 && retries > 0) {
          var wait = Number(r.retry || 2);
          status(r.json.error + " (retrying)");
          setTimeout(function () { run(retries - 1); }, wait * 1000);
        } else {
          message(r.json.error || ("error " + r.status));
          status("not run");
          body.setAttribute("data-state", "error");
          btn.disabled = false;
        }
      })
      .catch(function (e) {
        message("the server did not answer: " + e);
        status("not run");
        body.setAttribute("data-state", "error");
        btn.disabled = false;
      });
  }

  function reset() { buildControls(); }

  fetch("/api/setup").then(function (r) { return r.json(); }).then(function (j) {
    setup = j;
    var sel = $("year");
    j.setup.years.forEach(function (y) {
      var o = document.createElement("option");
      o.value = y; o.textContent = y;
      sel.appendChild(o);
    });
    sel.value = j.setup.years.indexOf(2010) >= 0 ? 2010 : j.setup.years[0];
    $("seeds").value = j.seeds;
    $("seeds").max = j.max_seeds;
    buildControls();
    sel.addEventListener("change", buildControls);
    $("run").addEventListener("click", function () { run(3); });
    $("reset").addEventListener("click", reset);
    body.setAttribute("data-state", "ready");
    run(3);
  }).catch(function (e) {
    message("could not load the workshop's setup: " + e);
  });
})();
