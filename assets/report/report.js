// caseflow report: draws the page's charts with uPlot (inlined above) from the data embedded in
// <script id="caseflow-data">. Nothing is downloaded. Charts inside a closed <details> are drawn
// when it is opened.
//
// For checks from outside (scripts/browser-check.sh reads the DOM after the scripts ran): each
// drawn chart's container gets data-drawn="canvas" once uPlot's canvas is in it, and
// data-painted="yes" once that canvas holds painted pixels; <body> gets data-charts-drawn (the
// count) and data-charts-painted; a chart that fails gets data-chart-error with the reason.
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("caseflow-data").textContent);
  var byId = {};
  data.charts.forEach(function (c) { byId[c.id] = c; });
  var plots = [];
  var drawn = 0;

  // As src/report/chart.rs format_value: shares to 3 decimals, counts grouped by thousands.
  function group(text) {
    var parts = text.split(".");
    var digits = parts[0].replace("-", "");
    if (digits.length <= 4) return text;
    parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return parts.join(".");
  }
  function format(v, share) {
    if (v === null || v === undefined || !isFinite(v)) return "-";
    if (share) return v.toFixed(3);
    var a = Math.abs(v);
    var text = a >= 100 || a === 0 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toFixed(3);
    return group(text);
  }

  function options(c, width) {
    var share = c.unit === "share";
    var value = function (u, v) { return format(v, share); };
    var series = [{ label: "year", value: function (u, v) { return v === null || v === undefined ? "-" : String(v); } }];
    var columns = [c.years];
    var bands = [];
    // Legend entries without a swatch: the year and the band's edges (the band is the fill).
    var unmarked = [0];
    c.bands.forEach(function (b) {
      var hi = series.length;
      var edge = function (label) {
        return { label: label, stroke: "rgba(0,0,0,0)", width: 0, points: { show: false }, value: value };
      };
      unmarked.push(hi, hi + 1);
      series.push(edge(b.hi_label));
      columns.push(b.hi);
      series.push(edge(b.lo_label));
      columns.push(b.lo);
      bands.push({ series: [hi, hi + 1], fill: b.fill });
    });
    c.lines.forEach(function (l) {
      series.push({
        label: l.label, stroke: l.colour, width: l.width, dash: l.dashed ? [5, 4] : undefined,
        show: l.shown, points: { show: false }, value: value
      });
      columns.push(l.values);
    });
    c.points.forEach(function (p) {
      series.push({
        label: p.label, stroke: p.colour, fill: p.colour, width: 0,
        paths: function () { return null; },
        points: { show: true, size: 9, width: 1, stroke: "#ffffff", fill: p.colour }, value: value
      });
      columns.push(p.values);
    });
    var first = c.years.length ? c.years[0] : 0;
    var last = c.years.length ? c.years[c.years.length - 1] : 1;
    return {
      opts: {
        width: width,
        height: 240,
        series: series,
        bands: bands,
        scales: {
          x: { time: false, range: function () { return [first - 0.5, last + 0.5]; } },
          y: { range: function () { return [c.y_range[0], c.y_range[1]]; } }
        },
        axes: [
          { splits: function () { return c.x_ticks; }, values: function (u, s) { return s.map(String); } },
          { splits: function () { return c.y_ticks; }, values: function () { return c.y_labels; }, size: 64 }
        ],
        cursor: { drag: { x: false, y: false } },
        legend: { live: true },
        // Away from the chart, the legend shows the last year's values rather than dashes.
        hooks: {
          setLegend: [function (u) {
            if (u.legend.idx == null && c.years.length) u.setLegend({ idx: c.years.length - 1 }, false);
          }]
        }
      },
      columns: columns,
      unmarked: unmarked
    };
  }

  function width(el) {
    return Math.max(300, Math.floor(el.clientWidth || 520));
  }

  function draw(el) {
    if (el.getAttribute("data-drawn")) return;
    var c = byId[el.getAttribute("data-chart")];
    if (!c) {
      el.setAttribute("data-chart-error", "no data for this chart");
      return;
    }
    try {
      var o = options(c, width(el));
      var u = new uPlot(o.opts, o.columns, el);
      plots.push({ el: el, plot: u });
      if (c.years.length) u.setLegend({ idx: c.years.length - 1 }, false);
      var entries = el.querySelectorAll(".u-legend .u-series");
      o.unmarked.forEach(function (i) {
        var marker = entries[i] && entries[i].querySelector(".u-marker");
        if (marker) marker.style.display = "none";
      });
      if (el.querySelector("canvas")) {
        el.setAttribute("data-drawn", "canvas");
        drawn += 1;
      } else {
        el.setAttribute("data-chart-error", "uPlot made no canvas");
      }
    } catch (e) {
      el.setAttribute("data-chart-error", String(e));
      el.textContent = "This chart could not be drawn: " + e;
    }
    document.body.setAttribute("data-charts-drawn", String(drawn));
  }

  function visible(el) {
    return !el.closest("details:not([open])");
  }

  function drawVisible(root) {
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (visible(el)) draw(el);
    });
  }

  // True when the canvas holds painted (not fully transparent) pixels.
  function painted(canvas) {
    try {
      var ctx = canvas.getContext("2d");
      var px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      for (var i = 3; i < px.length; i += 4) {
        if (px[i] !== 0) return true;
      }
    } catch (e) {
      return false;
    }
    return false;
  }

  function checkPainted() {
    var n = 0;
    plots.forEach(function (p) {
      var canvas = p.el.querySelector("canvas");
      if (canvas && painted(canvas)) {
        p.el.setAttribute("data-painted", "yes");
        n += 1;
      }
    });
    document.body.setAttribute("data-charts-painted", String(n));
  }

  document.body.setAttribute("data-charts-drawn", "0");
  drawVisible(document);
  document.querySelectorAll("details").forEach(function (d) {
    d.addEventListener("toggle", function () {
      if (d.open) {
        drawVisible(d);
        window.requestAnimationFrame(checkPainted);
      }
    });
  });
  // uPlot paints on the next microtask; by the load event every chart drawn so far has painted.
  window.addEventListener("load", checkPainted);

  var resizing = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizing);
    resizing = window.setTimeout(function () {
      plots.forEach(function (p) {
        if (visible(p.el)) p.plot.setSize({ width: width(p.el), height: 240 });
      });
    }, 150);
  });
})();
