/* ccsim --html: draws the embedded report (the JSON block #report-data) with uPlot.
   Every section tolerates a missing key: it shows what the report has. */
(function () {
  "use strict";
  var R = JSON.parse(document.getElementById("report-data").textContent);
  var main = document.getElementById("report");
  main.textContent = "";
  var charts = []; // {el, build(width) -> uPlot}

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === "text") e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]);
    }
    (kids || []).forEach(function (c) { if (c != null) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  function add(parent, tag, attrs, kids) { var e = el(tag, attrs, kids); parent.appendChild(e); return e; }
  function num(v) { return typeof v === "number" && isFinite(v); }
  function get(o, path) {
    for (var i = 0; i < path.length; i++) { if (o == null) return undefined; o = o[path[i]]; }
    return o;
  }
  function fmt(v, digits) {
    if (!num(v)) return v == null ? "—" : String(v);
    if (Number.isInteger(v)) return v.toLocaleString("en");
    var d = digits == null ? (Math.abs(v) >= 100 ? 1 : Math.abs(v) >= 1 ? 2 : 4) : digits;
    return v.toLocaleString("en", { maximumFractionDigits: d });
  }
  function pct(v) { return num(v) ? (100 * v).toLocaleString("en", { maximumFractionDigits: 2 }) + " %" : "—"; }
  function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }
  function palette(i) { return css("--c" + ((i % 8) + 1)); }
  function table(parent, head, rows, cls) {
    var t = add(parent, "table", cls ? { "class": cls } : null);
    if (head) add(t, "thead", null, [el("tr", null, head.map(function (h, i) { return el("th", { text: h, "class": i ? "num" : "" }); }))]);
    var b = add(t, "tbody");
    rows.forEach(function (r) {
      add(b, "tr", null, r.map(function (c, i) {
        return c instanceof Node ? el("td", null, [c]) : el("td", { text: c, "class": i ? "num" : "" });
      }));
    });
    return t;
  }
  function empty(container, text) { add(container, "p", { "class": "empty", text: text }); }

  /* A chart: `opts(width)` returns uPlot options, `data` its columns. */
  function chart(parent, name, opts, data) {
    var c = add(parent, "div", { "class": "chart", "data-chart": name });
    charts.push({ el: c, opts: opts, data: data });
    return c;
  }
  function axisStyle(extra) {
    var a = { stroke: css("--fg"), grid: { stroke: css("--grid"), width: 1 }, ticks: { stroke: css("--grid"), width: 1 } };
    for (var k in extra) a[k] = extra[k];
    return a;
  }
  function drawAll() {
    var print = document.documentElement.classList.contains("print");
    charts.forEach(function (c) {
      if (c.plot) c.plot.destroy();
      c.el.textContent = "";
      var width = print ? 680 : Math.max(300, Math.min(main.clientWidth || 900, 1000));
      c.plot = new uPlot(c.opts(width), c.data, c.el);
    });
  }

  /* ---- header and settings ---- */
  var breached = get(R, ["thresholds", "breached"]) || [];
  var h1 = add(main, "h1", { text: "ccsim report" });
  add(h1, "span", { text: " " });
  add(h1, "span", {
    "class": "verdict " + (breached.length ? "fail" : "pass"),
    text: breached.length ? "thresholds breached" : "thresholds passed",
  });
  var flags = [];
  if (R.partial) flags.push("partial snapshot of a run still going");
  if (R.interrupted) flags.push("interrupted");
  add(main, "p", { "class": "note", text: [R.target, R.profile && "profile " + R.profile, R.speed && "speed " + R.speed].filter(Boolean).join(" · ") + (flags.length ? " — " + flags.join(", ") : "") });

  /* ---- over time ---- */
  add(main, "h2", { text: "Over time" });
  var ts = R.timeseries;
  var rows = ts && Array.isArray(ts.rows) ? ts.rows : [];
  if (!rows.length) {
    empty(add(main, "div", { "class": "chart", "data-chart": "timeseries", "data-empty": "1" }), "no time series in this report");
  } else {
    var interval = num(ts.interval_s) && ts.interval_s > 0 ? ts.interval_s : 1;
    var t = rows.map(function (r, i) { return num(r.t_s) ? r.t_s : i * interval; });
    function col(key, per) {
      var has = rows.some(function (r) { return num(r[key]); });
      return has ? rows.map(function (r) { return num(r[key]) ? (per ? r[key] / interval : r[key]) : null; }) : null;
    }
    function timeChart(name, title, unit, series) {
      series = series.filter(function (s) { return s.data; });
      add(main, "h3", { text: title });
      if (!series.length) { empty(add(main, "div", { "class": "chart", "data-chart": name, "data-empty": "1" }), "not in this report's time series"); return; }
      chart(main, name, function (width) {
        return {
          width: width, height: 220,
          scales: { x: { time: false } },
          axes: [axisStyle({ label: "seconds since start" }), axisStyle({ label: unit, size: 60 })],
          series: [{ label: "t (s)" }].concat(series.map(function (s, i) {
            return { label: s.label, stroke: palette(s.color), width: 1.5, spanGaps: false };
          })),
        };
      }, [t].concat(series.map(function (s) { return s.data; })));
    }
    timeChart("latency-over-time", "Latency", "ms", [
      { label: "p50 ms", data: col("p50_ms"), color: 0 },
      { label: "p99 ms", data: col("p99_ms"), color: 1 },
    ]);
    timeChart("throughput-over-time", "Throughput", "events/s", [
      { label: "sent/s", data: col("sent", true), color: 0 },
      { label: "delivered/s", data: col("delivered", true), color: 4 },
    ]);
    timeChart("inflight-failures-over-time", "In flight and failures", "events", [
      { label: "in flight", data: col("in_flight"), color: 3 },
      { label: "failed/s", data: col("failed", true), color: 1 },
    ]);
  }

  /* ---- latency distribution ---- */
  add(main, "h2", { text: "Latency distribution" });
  var hists = [
    ["latency_ms", "latency (from schedule)"],
    ["service_time_ms", "service time"],
    ["schedule_lateness_ms", "schedule lateness"],
  ].filter(function (h) { return R[h[0]] && num(R[h[0]].p50); });
  var points = [["p50", 0.5], ["p90", 0.9], ["p99", 0.99], ["p999", 0.999], ["max", 0.9999]];
  if (hists.length && hists.some(function (h) { return R[h[0]].count > 0; })) {
    var floor = 0.001; // 1 µs: the histograms' resolution, and a log scale needs > 0
    var xs = points.map(function (p) { return 1 / (1 - p[1]); });
    // The point at `v` (the axis hands back computed floats, not the array's own values).
    var nearest = function (v) {
      for (var i = 0; i < xs.length; i++) if (v != null && Math.abs(v - xs[i]) / xs[i] < 1e-6) return i;
      return -1;
    };
    chart(main, "latency-distribution", function (width) {
      return {
        width: width, height: 260,
        scales: { x: { time: false, distr: 3, range: function () { return [1.5, 15000]; } }, y: { distr: 3 } },
        axes: [
          axisStyle({ label: "percentile", splits: function () { return xs; }, filter: function (u, s) { return s; }, values: function (u, s) { return s.map(function (v) { var i = nearest(v); return i < 0 ? "" : (i === 4 ? "max" : points[i][0].replace("p999", "p99.9")); }); } }),
          axisStyle({ label: "ms (log)", size: 60 }),
        ],
        series: [{ label: "percentile", value: function (u, v) { var i = nearest(v); return i < 0 ? "—" : points[i][0]; } }].concat(hists.map(function (h, i) {
          return { label: h[1] + " ms", stroke: palette(i), width: 2, dash: i === 2 ? [6, 4] : undefined, points: { show: true, size: 6 },
            value: function (u, v, si, di) { return di == null ? "—" : fmt(R[h[0]][points[di][0]]); } };
        })),
      };
    }, [xs].concat(hists.map(function (h) {
      return points.map(function (p) { var v = R[h[0]][p[0]]; return num(v) ? Math.max(v, floor) : null; });
    })));
  } else {
    empty(add(main, "div", { "class": "chart", "data-chart": "latency-distribution", "data-empty": "1" }), "no delivered events");
  }
  if (hists.length) {
    table(main, ["histogram", "count", "mean", "p50", "p90", "p99", "p99.9", "max"], hists.map(function (h) {
      var p = R[h[0]];
      return [h[0]].concat(["count", "mean", "p50", "p90", "p99", "p999", "max"].map(function (k) { return fmt(p[k]); }));
    }));
  }

  /* ---- stacked bars ---- */
  function stacked(name, xLabel, cats, labels, columns) {
    // columns[j][i]: count of category i for series j; drawn as cumulative bars, tallest first.
    var cum = [];
    columns.forEach(function (c, j) { cum.push(c.map(function (v, i) { return (v || 0) + (j ? cum[j - 1][i] : 0); })); });
    var order = labels.map(function (_, j) { return labels.length - 1 - j; });
    var x = cats.map(function (_, i) { return i; });
    chart(main, name, function (width) {
      var bars = uPlot.paths.bars({ size: [0.6, 80] });
      return {
        width: width, height: 240,
        scales: { x: { time: false, range: [-0.5, cats.length - 0.5] }, y: { range: function (u, lo, hi) { return [0, Math.max(1, hi) * 1.05]; } } },
        axes: [
          axisStyle({ splits: function () { return x; }, values: function (u, s) { return s.map(function (v) { return cats[v] != null ? cats[v] : ""; }); }, rotate: cats.length > 4 ? -20 : 0, size: cats.length > 4 ? 80 : 40 }),
          axisStyle({ size: 60 }),
        ],
        legend: { live: true },
        series: [{ label: xLabel, value: function (u, v) { return v == null ? "—" : cats[v]; } }].concat(order.map(function (j) {
          return { label: labels[j], fill: palette(j), stroke: palette(j), paths: bars, points: { show: false },
            value: function (u, v, si, di) { return di == null ? "—" : fmt(columns[j][di] || 0); } };
        })),
      };
    }, [x].concat(order.map(function (j) { return cum[j]; })));
  }

  add(main, "h2", { text: "Events by kind and outcome" });
  var ok = get(R, ["events", "outcomes_by_kind"]) || {};
  var kinds = Object.keys(ok);
  if (kinds.length) {
    var outs = ["delivered", "failed", "cancelled"];
    stacked("events-by-kind", "event", kinds.map(function (k) { return k.replace(/^callcenter\./, ""); }), outs,
      outs.map(function (o) { return kinds.map(function (k) { return ok[k][o] || 0; }); }));
  } else {
    empty(add(main, "div", { "class": "chart", "data-chart": "events-by-kind", "data-empty": "1" }), "no events");
  }
  var ev = R.events || {};
  table(main, null, [
    ["emitted", fmt(ev.emitted)], ["delivered", fmt(ev.delivered)], ["failed", fmt(ev.failed)],
    ["cancelled", fmt(ev.cancelled)], ["retries", fmt(ev.retries)], ["duplicated", fmt(ev.duplicated)],
    ["reordered", fmt(ev.reordered)], ["jittered", fmt(ev.jittered)],
  ].filter(function (r) { return r[1] !== "—"; }), "settings");
  var errs = ev.errors ? Object.keys(ev.errors) : [];
  if (errs.length) {
    add(main, "h3", { text: "Errors of failed events" });
    table(main, ["last error", "events"], errs.map(function (e) { return [e, fmt(ev.errors[e])]; }));
  }

  add(main, "h2", { text: "Conversations by type and outcome" });
  var bt = get(R, ["conversations", "by_type"]) || {};
  var types = Object.keys(bt);
  var outcomes = [];
  types.forEach(function (t) { Object.keys(bt[t].by_outcome || {}).forEach(function (o) { if (outcomes.indexOf(o) < 0) outcomes.push(o); }); });
  outcomes.sort(function (a, b) { return a === "completed" ? -1 : b === "completed" ? 1 : a < b ? -1 : 1; });
  if (types.length && outcomes.length) {
    stacked("conversations-by-type", "type", types, outcomes,
      outcomes.map(function (o) { return types.map(function (t) { return (bt[t].by_outcome || {})[o] || 0; }); }));
    table(main, ["type", "offered", "started", "ended", "failed", "unfinished"], types.map(function (t) {
      var s = bt[t];
      return [t, fmt(s.offered), fmt(s.started), fmt(s.ended), fmt(s.failed), fmt(s.unfinished)];
    }));
  } else {
    empty(add(main, "div", { "class": "chart", "data-chart": "conversations-by-type", "data-empty": "1" }), "no conversations");
  }

  /* ---- contact centre ---- */
  add(main, "h2", { text: "Contact centre" });
  var cc = R.contact_center;
  if (cc) {
    var th = cc.theory || {};
    var model = th.model ? th.model.replace("erlang_", "Erlang ").replace(/ ([ac])$/, function (m, l) { return " " + l.toUpperCase(); }) : null;
    add(main, "p", { "class": "note", text: fmt(cc.agents) + " agents · occupancy " + pct(cc.occupancy) + " · mean busy " + fmt(cc.mean_busy_s) + " s per call · service level within " + fmt(cc.sl_threshold_s) + " s" });
    var abandonRate = num(cc.abandoned) && cc.offered ? cc.abandoned / cc.offered : null;
    table(main, ["inbound (queue) calls", "measured", model ? model + " predicts" : "theory"], [
      ["offered", fmt(cc.offered), ""],
      ["answered", fmt(cc.answered), ""],
      ["abandoned", fmt(cc.abandoned) + (abandonRate != null ? " (" + pct(abandonRate) + ")" : ""), num(th.abandoned) ? pct(th.abandoned) : ""],
      ["timed out", fmt(cc.timed_out), ""],
      ["had to wait", pct(cc.p_wait), num(th.p_wait) ? pct(th.p_wait) : ""],
      ["mean wait (ASA), s", fmt(cc.mean_wait_s), num(th.mean_wait_s) ? fmt(th.mean_wait_s) : ""],
      ["service level", pct(cc.service_level), num(th.service_level) ? pct(th.service_level) : ""],
      ["agent occupancy", pct(cc.occupancy), num(th.occupancy) ? pct(th.occupancy) : ""],
    ]);
    if (cc.theory) {
      var notes = ["offered load " + fmt(th.offered_erlangs) + " erlangs", "arrivals " + fmt(th.arrival_rate_per_s) + "/s"];
      if (num(th.patience_s)) notes.push("mean patience " + fmt(th.patience_s) + " s");
      if (th.stable === false) notes.push("UNSTABLE: the load exceeds the agents");
      if (th.approximate) notes.push("approximate");
      add(main, "p", { "class": "note", text: notes.join(" · ") });
    } else {
      add(main, "p", { "class": "note", text: "no theory: the run had no generated queue arrivals" });
    }
    var ccTypes = cc.by_type ? Object.keys(cc.by_type) : [];
    if (ccTypes.length) {
      table(main, ["type", "offered", "answered", "abandoned", "timed out", "had to wait", "mean wait s", "service level"], ccTypes.map(function (t) {
        var f = cc.by_type[t];
        return [t, fmt(f.offered), fmt(f.answered), fmt(f.abandoned), fmt(f.timed_out), pct(f.p_wait), fmt(f.mean_wait_s), pct(f.service_level)];
      }));
    }
    if (cc.backlog) {
      var bl = cc.backlog;
      add(main, "p", { "class": "note" + (bl.overloaded ? " fail" : ""), text: "waiting when arrivals stopped: " + fmt(bl.waiting_at_arrivals_end) + (num(bl.drained_after_s) ? ", drained after " + fmt(bl.drained_after_s) + " s" : "") + (bl.overloaded ? " — overloaded" : "") });
    }
    var agents = (cc.by_agent || []).slice();
    if (agents.length) {
      var shown = 200;
      agents.sort(function (a, b) { return (b.handled - a.handled) || (b.talk_s - a.talk_s) || (a.name < b.name ? -1 : 1); });
      add(main, "h3", { text: "Agents by calls handled" + (agents.length > shown ? " (top " + shown + " of " + agents.length + "; all in the JSON)" : "") });
      table(main, ["agent", "handled", "talk, s", "after-call, s", "ringing, s", "occupancy", "engaged"], agents.slice(0, shown).map(function (a) {
        return [a.name, fmt(a.handled), fmt(a.talk_s), fmt(a.wrap_up_s), fmt(a.ringing_s), pct(a.occupancy), fmt(a.engaged)];
      }));
    }
  } else {
    add(main, "p", { "class": "empty", text: "no contact-centre figures in this report" });
  }

  /* ---- thresholds ---- */
  add(main, "h2", { text: "Thresholds" });
  var T = R.thresholds || {};
  function verdict(good) { return el("span", { "class": good ? "pass" : "fail", text: good ? "passed" : "breached" }); }
  var trows = [];
  if (num(T.max_failure_rate)) trows.push(["failure rate ≤ " + fmt(T.max_failure_rate), fmt(T.failure_rate), verdict(!(T.failure_rate > T.max_failure_rate))]);
  if (num(T.max_p99_ms)) trows.push(["latency p99 ≤ " + fmt(T.max_p99_ms) + " ms", fmt(get(R, ["latency_ms", "p99"])), verdict(!(get(R, ["latency_ms", "p99"]) > T.max_p99_ms))]);
  if (num(T.max_service_p99_ms)) trows.push(["service time p99 ≤ " + fmt(T.max_service_p99_ms) + " ms", fmt(get(R, ["service_time_ms", "p99"])), verdict(!(get(R, ["service_time_ms", "p99"]) > T.max_service_p99_ms))]);
  if (num(T.min_throughput)) trows.push(["throughput ≥ " + fmt(T.min_throughput) + " events/s", fmt(get(R, ["throughput", "events_per_s"])), verdict(!(get(R, ["throughput", "events_per_s"]) < T.min_throughput))]);
  if (R.contract) trows.push(["event contract (built-in receiver)", fmt(R.contract.violations) + " violations", verdict(!(R.contract.violations || R.contract.unterminated || R.contract.bad_signatures))]);
  table(main, ["threshold", "measured", ""], trows);
  if (breached.length) {
    var ul = add(main, "ul", { "class": "fail" });
    breached.forEach(function (b) { add(ul, "li", { text: b }); });
  }
  (R.output_errors || []).forEach(function (e) { add(main, "p", { "class": "fail", text: "output error: " + e }); });

  /* ---- settings ---- */
  add(main, "h2", { text: "Run settings" });
  var d = R.delivery || {};
  var tp = R.throughput || {};
  table(main, null, [
    ["ccsim version", R.ccsim_version], ["seed", R.seed != null ? String(R.seed) : null], ["profile", R.profile],
    ["event families", (R.event_families || []).join(", ") || null], ["speed", R.speed], ["target", R.target], ["platform API", R.api || "off"],
    ["ordering", d.ordering], ["signing secrets", fmt(d.signing_secrets)], ["max backlog", fmt(d.max_backlog)],
    ["peak backlog", fmt(d.peak_backlog)], ["wall time, s", fmt(tp.wall_s)], ["simulated time, s", fmt(tp.simulated_s)],
    ["delivered events/s", fmt(tp.events_per_s)],
  ].filter(function (r) { return r[1] != null && r[1] !== "—"; }), "settings");
  if (R.replay) table(main, null, Object.keys(R.replay).map(function (k) { return ["replay " + k.replace(/_/g, " "), fmt(R.replay[k])]; }), "settings");
  if (R.contract) {
    add(main, "h3", { text: "Event contract" });
    table(main, null, ["events", "conversations", "violations", "unterminated", "duplicates", "bad_signatures"].filter(function (k) { return k in R.contract; }).map(function (k) { return [k.replace(/_/g, " "), fmt(R.contract[k])]; }), "settings");
  }

  drawAll();
  var resizeTimer = null;
  window.addEventListener("resize", function () { clearTimeout(resizeTimer); resizeTimer = setTimeout(drawAll, 150); });
  if (window.matchMedia) {
    var mq = window.matchMedia("(prefers-color-scheme: dark)");
    if (mq.addEventListener) mq.addEventListener("change", drawAll);
  }
  window.addEventListener("beforeprint", function () { document.documentElement.classList.add("print"); drawAll(); });
  window.addEventListener("afterprint", function () { document.documentElement.classList.remove("print"); drawAll(); });
})();
