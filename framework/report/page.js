// racesim report: builds the page from the JSON in #racesim-data (docs/report.md).
// Sections appear only for what the results directory holds. Charts: uPlot (lines, bars);
// the heat map and the tornado are drawn here (canvas, SVG). No network, no storage.
(function () {
  "use strict";
  const DATA = JSON.parse(document.getElementById("racesim-data").textContent);
  const S = DATA.summary;
  const CF = window.RacesimClosedForm;
  const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
                   "#7f7f7f", "#bcbd22", "#393b79", "#ad494a"];
  const main = document.getElementById("main");
  const charts = []; // {u, box, height}: resized with the window and for printing
  window.racesimCharts = charts; // for tests and the browser console
  const sections = [];
  let uid = 0;
  const newId = (p) => p + "-" + (++uid);

  // ---------- small helpers ----------
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  }
  const isNum = (v) => typeof v === "number" && Number.isFinite(v);
  // A number for axes and tables: 5 significant digits, exponent outside [1e-3, 1e6).
  function fmt(v, digits) {
    if (v === null || v === undefined) return "–";
    if (typeof v !== "number") return String(v);
    if (!Number.isFinite(v)) return String(v);
    if (v === 0) return "0";
    const a = Math.abs(v), d = digits || 5;
    if (a >= 1e6 || a < 1e-3) return v.toExponential(Math.max(0, d - 1)).replace(/\.?0+e/, "e").replace("e+", "e");
    return String(Number(v.toPrecision(d)));
  }
  const fmtErr = (v) => (v === null || v === undefined) ? "–" : (v === 0 ? "0" : v.toExponential(2).replace("e+", "e"));
  // Tick labels; on a log axis the ticks are decades (every k-th when there are many), so that
  // the labels never crowd each other.
  function axisValues() {
    return (u, splits) => splits.map((v) => (v === null || v === undefined) ? "" : fmt(v, 4));
  }
  // A log axis is drawn as a linear axis of log10(value) labelled with the values (uPlot's own
  // log axes find no ticks over a few dozen decades): data, lines and markers go through lg.
  const lg = (v) => (isNum(v) && v > 0 ? Math.log10(v) : null);
  const powValues = () => (u, splits) => splits.map((v) => (v === null || v === undefined) ? "" : fmt(Math.pow(10, v), 3));
  function yAxis(label, log, size) {
    return { label, size: size || 62, values: log ? powValues() : axisValues() };
  }
  // A linear range padded by 4 % that need not include 0.
  const padded = (u, min, max) => {
    if (min === null || max === null) return [0, 1];
    const d = (max - min) || Math.abs(max) || 1;
    return [min - 0.04 * d, max + 0.04 * d];
  };
  function section(id, title, intro) {
    const s = el("section", { id, "aria-labelledby": id + "-h" }, el("h2", { id: id + "-h", text: title }));
    if (intro) s.append(el("p", { class: "note", text: intro }));
    main.append(s);
    sections.push([id, title]);
    return s;
  }
  function toggle(label, pressed, onchange) {
    const b = el("button", { type: "button", class: "toggle", "aria-pressed": String(pressed), text: label });
    b.addEventListener("click", () => {
      const now = b.getAttribute("aria-pressed") !== "true";
      b.setAttribute("aria-pressed", String(now));
      onchange(now);
    });
    return b;
  }
  function chartWidth(box) {
    return Math.max(320, Math.floor((box.clientWidth || main.clientWidth || 900) - 4));
  }
  // A uPlot chart in `box` (which must be in the document); returns the uPlot object.
  function plot(box, opts, data, height) {
    const h = height || 300;
    const u = new uPlot(Object.assign({ width: chartWidth(box), height: h }, opts), data, box);
    u.root.setAttribute("role", "img");
    u.root.setAttribute("aria-label", opts.ariaLabel || opts.title || "chart");
    charts.push({ u, box, height: h });
    return u;
  }
  function resizeAll(width) {
    for (const c of charts) if (c.u.root.isConnected) c.u.setSize({ width: width || chartWidth(c.box), height: c.height });
  }
  window.addEventListener("resize", () => resizeAll());
  window.addEventListener("beforeprint", () => resizeAll(660));
  window.addEventListener("afterprint", () => resizeAll());

  // Dashed horizontal lines (with labels) and crossing markers drawn over a chart.
  function overlay(get) {
    return (u) => {
      const { ctx } = u;
      const { left, top, width, height } = u.bbox;
      const { lines, points } = get();
      ctx.save();
      ctx.beginPath();
      ctx.rect(left, top, width, height);
      ctx.clip();
      const px = window.devicePixelRatio || 1;
      ctx.font = Math.round(12 * px) + "px sans-serif";
      ctx.textAlign = "left";
      ctx.textBaseline = "alphabetic";
      for (const l of lines || []) {
        const y = u.valToPos(l.y, "y", true);
        if (!Number.isFinite(y)) continue;
        ctx.strokeStyle = l.color || "#555";
        ctx.setLineDash([6 * px, 4 * px]);
        ctx.lineWidth = px;
        ctx.beginPath();
        ctx.moveTo(left, y);
        ctx.lineTo(left + width, y);
        ctx.stroke();
        if (l.label) {
          ctx.setLineDash([]);
          ctx.fillStyle = l.color || "#444";
          ctx.fillText(l.label, left + 6 * px, y - 4 * px);
        }
      }
      ctx.setLineDash([]);
      for (const p of points || []) {
        const x = u.valToPos(p.x, "x", true), y = u.valToPos(p.y, "y", true);
        if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
        ctx.fillStyle = "#fff";
        ctx.strokeStyle = p.color;
        ctx.lineWidth = 2 * px;
        ctx.beginPath();
        ctx.arc(x, y, 4.5 * px, 0, 2 * Math.PI);
        ctx.fill();
        ctx.stroke();
      }
      ctx.restore();
    };
  }

  // A sortable table: columns [{key, label, num, fmt, title}], rows: objects. Header buttons sort.
  function sortableTable(columns, rows, caption) {
    const table = el("table");
    if (caption) table.append(el("caption", { class: "note", text: caption, style: "text-align:left" }));
    const thead = el("thead"), tbody = el("tbody"), tr = el("tr");
    let sortKey = null, dir = 1;
    const ths = columns.map((c) => {
      const th = el("th", { scope: "col", class: c.num ? "num" : null, "aria-sort": "none", title: c.title });
      th.append(el("button", { type: "button", class: "sort", text: c.label,
                               onclick: () => sortBy(c.key) }));
      tr.append(th);
      return th;
    });
    thead.append(tr);
    table.append(thead, tbody);
    function render() {
      tbody.textContent = "";
      for (const r of rows) {
        const row = el("tr");
        for (const c of columns) {
          const v = r[c.key];
          const td = el("td", { class: c.num ? "num" : null });
          td.textContent = c.fmt ? c.fmt(v, r) : (v === null || v === undefined ? "–" : String(v));
          if (isNum(v)) td.title = String(v); // the exact value (shortest round-trip form)
          row.append(td);
        }
        tbody.append(row);
      }
    }
    function sortBy(key) {
      dir = sortKey === key ? -dir : 1;
      sortKey = key;
      const col = columns.find((c) => c.key === key);
      rows = rows.slice().sort((a, b) => {
        const x = a[key], y = b[key];
        const xm = x === null || x === undefined, ym = y === null || y === undefined;
        if (xm || ym) return xm === ym ? 0 : (xm ? 1 : -1); // missing values last, either way
        if (col.num) return (x - y) * dir;
        return String(x).localeCompare(String(y)) * dir;
      });
      ths.forEach((th, i) => th.setAttribute("aria-sort", columns[i].key === key ? (dir > 0 ? "ascending" : "descending") : "none"));
      render();
    }
    render();
    return el("div", { class: "table-wrap" }, table);
  }
  // Rows of a {columns, rows} table from the data as objects.
  function objects(t) {
    return (t ? t.rows : []).map((r) => Object.fromEntries(t.columns.map((c, i) => [c, r[i]])));
  }
  const targetLabel = (tg) => tg.kind === "relative" ? "R=" + fmt(tg.relative, 6) : "L=" + fmt(tg.loss, 6);

  // ---------- header ----------
  const scenarios = S.scenarios || [];
  const colorOf = new Map(scenarios.map((s, i) => [s.name, PALETTE[i % PALETTE.length]]));
  document.getElementById("subtitle").textContent =
    `experiment '${S.experiment}' from ${S.config} · ${S.scenario_count} scenario(s) run · horizon ${fmt(S.horizon)} yr · racesim ${S.racesim_version}`;

  // ---------- trajectories ----------
  const traj = DATA.trajectories || {};
  const trajNames = scenarios.map((s) => s.name).filter((n) => traj[n]);
  if (trajNames.length) {
    const sec = section("trajectories", "Loss, relative loss and compute over time",
      "L(t) is the loss, R(t) = L(t)/L(C0) the relative loss, C(t) the cumulative compute. Dashed lines: the targets; circles: where each scenario crosses them (times from summary.json). Drag across a chart to zoom in, double-click to zoom out.");
    const byName = Object.fromEntries(scenarios.map((s) => [s.name, s]));
    const shown = new Set(trajNames.slice(0, 12));
    const controls = el("div", { class: "controls" });
    const list = el("div", { class: "scenario-list" });
    for (const n of trajNames) {
      const id = newId("sc");
      const cb = el("input", { type: "checkbox", id, checked: shown.has(n) });
      cb.addEventListener("change", () => { cb.checked ? shown.add(n) : shown.delete(n); draw(); });
      list.append(el("label", { for: id }, cb, el("span", { class: "swatch", style: "background:" + colorOf.get(n) }), n));
    }
    const fs = el("fieldset", {}, el("legend", { text: `Scenarios (${trajNames.length}${trajNames.length > 12 ? ", first 12 shown" : ""})` }), list);
    const tmaxId = newId("tmax");
    const maxH = Math.max(...trajNames.map((n) => byName[n].horizon));
    let tmax = Math.min(S.horizon, maxH);
    const tmaxInput = el("input", { type: "number", id: tmaxId, min: "0", step: "any", value: String(tmax), style: "width:7em" });
    tmaxInput.addEventListener("change", () => { const v = parseFloat(tmaxInput.value); if (v > 0) { tmax = v; draw(); } });
    controls.append(fs, el("label", { for: tmaxId }, "t max (yr) ", tmaxInput));
    if (maxH > tmax) controls.append(el("span", { class: "note", text: `(some scenarios run to ${fmt(maxH)} yr: raise t max to see them)` }));
    sec.append(controls);
    const grid = el("div", { class: "charts" });
    sec.append(grid);
    const quantities = [
      { key: "L", title: "L(t): loss (nats/token)", log: false },
      { key: "R", title: "R(t) = L/L(C0): relative loss", log: false },
      { key: "C", title: "C(t): cumulative compute (PFLOP)", log: true },
    ];
    for (const q of quantities) {
      q.box = el("div", { class: "chart-box" });
      const head = el("div", { class: "chart-head" }, el("span", { class: "chart-title", text: q.title }),
        el("span", {}, toggle("log y", q.log, (v) => { q.log = v; draw(); })));
      grid.append(el("div", { class: "chart", "data-chart": "trajectory-" + q.key }, head, q.box));
    }
    function crossingC(name, time) { // C at a crossing time, interpolated in ln C
      const t = traj[name], ti = t.columns.indexOf("t"), ci = t.columns.indexOf("C");
      const rows = t.rows;
      for (let i = 1; i < rows.length; i++)
        if (rows[i][ti] >= time) {
          const a = rows[i - 1], b = rows[i], f = (time - a[ti]) / (b[ti] - a[ti]);
          return Math.exp(Math.log(a[ci]) + f * (Math.log(b[ci]) - Math.log(a[ci])));
        }
      return null;
    }
    function draw() {
      const names = trajNames.filter((n) => shown.has(n));
      for (const q of quantities) {
        if (q.u) { q.u.destroy(); charts.splice(charts.findIndex((c) => c.u === q.u), 1); q.u = null; }
        q.box.textContent = "";
        if (!names.length) { q.box.append(el("p", { class: "note", text: "No scenario selected." })); continue; }
        const tables = names.map((n) => {
          const t = traj[n], ti = t.columns.indexOf("t"), qi = t.columns.indexOf(q.key);
          const rows = t.rows.filter((r) => r[ti] <= tmax * 1.0000001 && (!q.log || r[qi] > 0));
          return [rows.map((r) => r[ti]), rows.map((r) => (q.log ? lg(r[qi]) : r[qi]))];
        });
        const data = uPlot.join(tables);
        const lines = [], points = [];
        const seen = new Set();
        for (const n of names) {
          const sc = byName[n];
          for (const tg of sc.targets || []) {
            const y = q.key === "L" ? tg.loss : q.key === "R" ? tg.relative : null;
            // A line for a target in the chart of its own kind (a loss target is one level of L,
            // but a different R* in each scenario): the others show as crossings only.
            if (y !== null && (q.key === "L") === (tg.kind === "loss")) {
              const key = q.key + fmt(y, 8);
              if (!seen.has(key)) { seen.add(key); lines.push({ y: q.log ? lg(y) : y, label: (q.key === "L" ? "L* = " : "R* = ") + fmt(y, 4) }); }
            }
            if (tg.reached && isNum(tg.time)) {
              const py = q.key === "C" ? crossingC(n, tg.time) : y;
              if (py !== null) points.push({ x: tg.time, y: q.log ? lg(py) : py, color: colorOf.get(n) });
            }
          }
        }
        q.u = plot(q.box, {
          ariaLabel: q.title,
          legend: { show: false },
          cursor: { drag: { x: true, y: false } },
          scales: { x: { time: false, range: [0, tmax] }, y: { range: padded } },
          axes: [{ label: "t (yr)", values: axisValues() }, yAxis(q.key, q.log)],
          series: [{ label: "t" }, ...names.map((n) => ({ label: n, stroke: colorOf.get(n), width: 1.6, spanGaps: true }))],
          hooks: { draw: [overlay(() => ({ lines, points }))] },
        }, data, 290);
      }
    }
    // Drawn once the section is laid out (the chart takes its container's width).
    requestAnimationFrame(draw);
  }

  // ---------- time to target ----------
  const targetRows = [];
  for (const sc of scenarios)
    for (const tg of sc.targets || [])
      targetRows.push({
        scenario: sc.name, target: targetLabel(tg), loss: tg.loss, relative: tg.relative,
        time: tg.reached ? tg.time : null,
        status: tg.at_start ? "at start" : tg.reached ? "reached" : tg.unreachable ? "unreachable" : "not reached by " + fmt(sc.horizon) + " yr",
        reference_time: tg.reference_time === undefined ? null : tg.reference_time,
        time_rel_err: tg.time_rel_err === undefined ? null : tg.time_rel_err,
        condition: tg.condition === undefined ? null : tg.condition,
        time_error_estimate: tg.time_error_estimate === undefined ? null : tg.time_error_estimate,
        reference: sc.reference ? sc.reference.type : null,
        date: tg.reached && tg.date !== undefined ? tg.date : null,
      });
  // Calendar dates (start_year + t) when the results carry them (a config with start_year).
  const dated = targetRows.some((r) => r.date !== null);
  // racesim::ill_conditioned_error: `racesim run` warns about a time whose estimated relative
  // error exceeds it (docs/numerics.md, "Conditioning of a time to target").
  const illConditioned = 1e-8;
  const uncertain = targetRows.filter((r) => r.time_error_estimate !== null && r.time_error_estimate > illConditioned);
  const references = [...new Set(targetRows.map((r) => r.reference))];
  const noReference = references.length === 1 && references[0] === null;
  if (targetRows.length) {
    const sec = section("targets", "Time to target",
      "Times in years from the end of the baseline year (t = 0). " +
      (noReference ? "No scenario names a reference model, so there are no reference times. "
        : (references.length > 1 ? "Reference: the time of each scenario's closed-form reference model (last column); "
          : `Reference: the time of the closed-form reference model (${references[0]}); `) +
          "error: |time − reference| / reference. ") +
      "Condition: the relative change of the time per relative change of C; est. error: condition × the solver's tolerance. Hover a number for its exact value; select a column header (or press Enter on it) to sort.");
    sec.append(sortableTable([
      { key: "scenario", label: "scenario" },
      { key: "target", label: "target" },
      { key: "loss", label: "L*", num: true, fmt: (v) => fmt(v, 6) },
      { key: "relative", label: "R*", num: true, fmt: (v) => fmt(v, 6) },
      { key: "time", label: "time (yr)", num: true, fmt: (v) => fmt(v, 7) },
      ...(dated ? [{ key: "date", label: "date (year)", num: true, fmt: (v) => fmt(v, 7) }] : []),
      { key: "reference_time", label: "reference (yr)", num: true, fmt: (v) => fmt(v, 7) },
      { key: "time_rel_err", label: "rel. error", num: true, fmt: fmtErr },
      { key: "condition", label: "condition", num: true, fmt: (v) => fmt(v, 3),
        title: "condition number: the relative change of the time per relative change of C" },
      { key: "time_error_estimate", label: "est. error", num: true,
        fmt: (v) => (v !== null && v > illConditioned ? "⚠ " : "") + fmtErr(v),
        title: "estimated relative error of the time: condition × the solver's tolerance" },
      { key: "status", label: "status" },
      // The reference model in a column only when the scenarios differ in it (else in the intro).
      ...(references.length > 1 ? [{ key: "reference", label: "reference model" }] : []),
    ], targetRows));
    if (uncertain.length)
      sec.append(el("p", { class: "warning", id: "targets-uncertain",
        text: `⚠ ${uncertain.length} time(s) to target have an estimated relative error above 1e-8 (racesim run warns about them): ` +
              "tighten solver.rel_tol to 1e-8 / condition or below, or set solver.target_time_tol. Where the condition number exceeds " +
              "1e6 no tolerance will do: the target lies where C barely grows (near the bound of a declining rate)." }));
  }

  // ---------- what-if ----------
  if (scenarios.length) {
    const ok = scenarios.filter((s) => !CF.unsupported(s));
    const no = scenarios.filter((s) => CF.unsupported(s));
    const sec = section("whatif", "What if: move gamma, tau, kappa and P0",
      "The curve and the time to each target are recomputed in the page from the reference model's closed form (a JavaScript port of the relative-loss and piecewise-exact plugins, checked against them to 1e-9). The baseline is taken as tau: C0 = E0 · P0 · (1 + tau) · 1 yr.");
    if (!ok.length) sec.append(el("p", { class: "note", text: "No scenario here has a closed form that the page carries, so there are no sliders." }));
    if (no.length) {
      const ul = el("ul", { class: "note", id: "whatif-unsupported" });
      for (const s of no) ul.append(el("li", { text: `${s.name}: recorded results only — ${CF.unsupported(s)}.` }));
      sec.append(el("p", { class: "note", text: "Scenarios without a closed form in the page (their recorded results are above):" }), ul);
    }
    if (ok.length) buildWhatIf(sec, ok);
  }

  function buildWhatIf(sec, ok) {
    const selId = newId("whatif-scenario");
    const select = el("select", { id: selId });
    ok.forEach((s, i) => select.append(el("option", { value: String(i), text: s.name })));
    const wrap = el("div", { class: "whatif" });
    const left = el("div"), right = el("div", { class: "chart", "data-chart": "whatif" });
    wrap.append(left, right);
    sec.append(el("div", { class: "controls" }, el("label", { for: selId }, "Scenario ", select)), wrap);
    let sc = null, state = null, u = null;
    const box = el("div");
    right.append(el("div", { class: "chart-head" }, el("span", { class: "chart-title", text: "R(t): what-if (solid) and recorded run (dashed)" })), box);
    const sliders = el("div"), results = el("ul", { class: "result-list", "aria-live": "polite", id: "whatif-results" });
    const reset = el("button", { type: "button", class: "toggle", text: "Reset to the scenario's values", onclick: () => load(select.value) });
    left.append(sliders, reset, results);
    select.addEventListener("change", () => load(select.value));

    // [name, label, unit, get initial, slider (min, max, step) as a function of the initial value, log?]
    const params = [
      { key: "gamma", label: "gamma", unit: "doublings of E per yr", range: (v) => [Math.min(-1, v - 1), Math.max(5, 2 * v), 0.01] },
      { key: "tau", label: "tau", unit: "baseline perturbation, C0 = E0·P0·(1+tau)·1 yr", range: (v) => [-0.95, Math.max(5, 2 * v + 1), 0.01] },
      { key: "kappa", label: "kappa", unit: "scaling exponent", range: (v) => [0.005, Math.max(0.5, 2 * v), 0.001] },
      { key: "P0", label: "P0", unit: "mean power (MW); slider in log10", log: true, range: (v) => [Math.log10(v) - 3, Math.log10(v) + 3, 0.01] },
    ];
    function initial(s) {
      const E0 = s.efficiency.E0, P0 = s.power.P0;
      const tau = s.baseline && s.baseline.tau !== undefined ? s.baseline.tau : s.C0 / (E0 * P0) - 1;
      return { gamma: s.efficiency.gamma, tau, kappa: s.loss.kappa, P0 };
    }
    function load(i) {
      sc = ok[Number(i)];
      state = initial(sc);
      sliders.textContent = "";
      for (const p of params) {
        const v0 = state[p.key];
        const [lo, hi, step] = p.range(v0);
        const rid = "whatif-" + p.key, nid = "whatif-" + p.key + "-value";
        const range = el("input", { type: "range", id: rid, min: String(lo), max: String(hi), step: String(step),
                                    value: String(p.log ? Math.log10(v0) : v0), "aria-describedby": rid + "-unit" });
        const num = el("input", { type: "number", id: nid, step: "any", value: String(v0), "aria-label": p.label + " value",
                                  "data-value": String(v0) });
        range.addEventListener("input", () => {
          const v = p.log ? Math.pow(10, parseFloat(range.value)) : parseFloat(range.value);
          state[p.key] = v; num.value = String(Number(v.toPrecision(12))); num.dataset.value = String(v); update();
        });
        num.addEventListener("change", () => {
          const v = parseFloat(num.value);
          if (!Number.isFinite(v)) return;
          state[p.key] = v; num.dataset.value = String(v);
          range.value = String(p.log ? Math.log10(v) : v); update();
        });
        sliders.append(el("div", { class: "slider" }, el("label", { for: rid, text: p.label }), range, num),
                       el("div", { class: "note", id: rid + "-unit", style: "margin:-4px 0 4px 4.6em", text: p.unit }));
      }
      update();
    }
    function valid() {
      return state.tau > -1 && state.kappa > 0 && state.P0 > 0 && Number.isFinite(state.gamma);
    }
    function update() {
      results.textContent = "";
      if (!valid()) { results.append(el("li", { class: "warning", text: "Out of range: tau > −1, kappa > 0 and P0 > 0." })); return; }
      const r = CF.evaluate(sc, state);
      r.targets.forEach((tg, i) => {
        const rec = sc.targets[i];
        const label = tg.kind === "relative" ? `R* = ${fmt(tg.relative, 6)}` : `L* = ${fmt(tg.loss, 6)} (R* = ${fmt(tg.relative, 5)})`;
        const text = tg.time === null ? (tg.unreachable ? "never reached (C is bounded: gamma < 0)" : `not reached by ${fmt(sc.horizon)} yr`)
          : fmt(tg.time, 7) + " yr";
        const recorded = rec.reached ? fmt(rec.time, 7) + " yr" : "not reached";
        results.append(el("li", {},
          el("span", { text: label + ": " }),
          el("span", { class: "big", id: "whatif-time-" + i, "data-value": tg.time === null ? "" : String(tg.time), text }),
          el("br"), el("span", { class: "note", text: `recorded run: ${recorded}` })));
      });
      results.append(el("li", { class: "note", text: `C0 = ${fmt(r.C0)} PFLOP, L(C0) = ${fmt(r.LC0, 6)}` }));
      drawCurve(r);
    }
    function drawCurve(r) {
      const H = sc.horizon;
      const finite = r.targets.map((t) => t.time).filter((t) => t !== null && t > 0);
      const rec = traj[sc.name];
      // Up to the horizon, or 1.5 times the latest crossing when that is much earlier.
      const tEnd = finite.length ? Math.min(H, Math.max(1.5 * Math.max(...finite), H / 50)) : H;
      const n = 400, ts = [], rs = [], recR = [];
      for (let k = 0; k <= n; k++) { const t = (tEnd * k) / n; ts.push(t); rs.push(r.R(t)); }
      let data = [ts, rs];
      if (rec) {
        const ti = rec.columns.indexOf("t"), ri = rec.columns.indexOf("R");
        const rows = rec.rows.filter((x) => x[ti] <= tEnd);
        data = uPlot.join([[ts, rs], [rows.map((x) => x[ti]), rows.map((x) => x[ri])]]);
      }
      const lines = r.targets.map((t) => ({ y: t.relative, label: "R* = " + fmt(t.relative, 4) }));
      const points = r.targets.filter((t) => t.time !== null).map((t) => ({ x: t.time, y: t.relative, color: "#d62728" }));
      if (u) { u.destroy(); charts.splice(charts.findIndex((c) => c.u === u), 1); }
      u = plot(box, {
        ariaLabel: "What-if R(t) of " + sc.name,
        legend: { show: false },
        scales: { x: { time: false, range: [0, tEnd] }, y: { auto: true } },
        axes: [{ label: "t (yr)", values: axisValues() }, { label: "R", size: 60, values: axisValues() }],
        series: [{ label: "t" }, { label: "what-if", stroke: "#1f77b4", width: 2, spanGaps: true },
                 ...(rec ? [{ label: "recorded", stroke: "#555", width: 1.2, dash: [5, 4], spanGaps: true }] : [])],
        hooks: { draw: [overlay(() => ({ lines, points }))] },
      }, data, 320);
    }
    // First shown: the first scenario with a target reached after t = 0 (where the sliders matter).
    const first = Math.max(0, ok.findIndex((x) => (x.targets || []).some((t) => t.reached && t.time > 0)));
    select.value = String(first);
    requestAnimationFrame(() => load(first));
  }

  // ---------- sweeps ----------
  const sweepTable = DATA.sweep;
  if (S.sweeps && S.sweeps.length) {
    const sec = section("sweeps", "Sweeps",
      "One swept path: time to each target against the swept value. Two swept paths: a heat map of the time to the chosen target (grey: not reached by the horizon).");
    sec.append(sortableTable([
      { key: "scenario", label: "sweep" }, { key: "scenarios", label: "scenarios", num: true },
      { key: "paths", label: "paths" }, { key: "target", label: "target" },
      { key: "reached", label: "reached", num: true }, { key: "unreachable", label: "unreachable", num: true },
      { key: "min_time", label: "min time (yr)", num: true, fmt: (v) => fmt(v, 7) },
      { key: "max_time", label: "max time (yr)", num: true, fmt: (v) => fmt(v, 7) },
      { key: "max_time_rel_err", label: "max time error", num: true, fmt: fmtErr },
    ], S.sweeps.flatMap((w) => w.targets.map((t) => ({
      scenario: w.scenario, scenarios: w.scenarios, paths: w.paths.join(" × ") + (w.zip ? " (zip)" : ""),
      target: t.target, reached: t.reached, unreachable: t.unreachable, min_time: t.min_time, max_time: t.max_time,
      max_time_rel_err: w.max_time_rel_err })))));
    const rows = objects(sweepTable);
    for (const w of S.sweeps) {
      const mine = rows.filter((r) => r.origin === w.scenario);
      const kept = sweepTable && sweepTable.sweeps && sweepTable.sweeps[w.scenario];
      const sub = el("div", { class: "chart" });
      sec.append(el("h3", { text: `Sweep '${w.scenario}': ${w.paths.join(" × ")}` }), sub);
      if (kept && kept.kept_rows < kept.total_rows)
        sub.append(el("p", { class: "note", text: `Drawn: ${kept.kept_rows} of ${kept.total_rows} rows (one value in ${kept.stride} of each swept path); the table above covers all of them.` }));
      if (!mine.length) { sub.append(el("p", { class: "note", text: "sweep.csv has no rows for it." })); continue; }
      const labels = w.targets.map((t) => t.target);
      if (w.paths.length === 1 || w.zip) {
        const p = w.paths[0];
        const sorted = mine.slice().sort((a, b) => a[p] - b[p]);
        const box = el("div", { "data-chart": "sweep-lines" });
        sub.append(box);
        const data = [sorted.map((r) => r[p]), ...labels.map((l) => sorted.map((r) => lg(r[l + " time"])))];
        requestAnimationFrame(() => plot(box, {
          ariaLabel: `time to target against ${p}`,
          scales: { x: { time: false }, y: { range: padded } },
          axes: [{ label: p, values: axisValues() }, yAxis("time to target (yr)", true)],
          series: [{ label: p, value: (u, v) => fmt(v, 6) },
                   ...labels.map((l, i) => ({ label: l, stroke: PALETTE[i % PALETTE.length], width: 1.8, points: { show: sorted.length <= 60 },
                                              value: (u, v) => (v === null ? "–" : fmt(Math.pow(10, v), 6)) }))],
        }, data, 300));
      } else {
        heatmap(sub, w, mine, labels);
      }
    }
  }

  function viridis(f) { // a perceptually ordered scale (5 stops of viridis), f in [0, 1]
    const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
    const x = Math.min(1, Math.max(0, f)) * (stops.length - 1), i = Math.min(stops.length - 2, Math.floor(x)), g = x - i;
    const c = stops[i].map((a, k) => Math.round(a + g * (stops[i + 1][k] - a)));
    return `rgb(${c[0]},${c[1]},${c[2]})`;
  }
  function heatmap(sub, w, rows, labels) {
    const [px, py] = w.paths;
    const xs = [...new Set(rows.map((r) => r[px]))].sort((a, b) => a - b);
    const ys = [...new Set(rows.map((r) => r[py]))].sort((a, b) => a - b);
    const selId = newId("heat-target");
    const sel = el("select", { id: selId });
    labels.forEach((l, i) => sel.append(el("option", { value: String(i), text: l })));
    sub.append(el("div", { class: "controls" }, el("label", { for: selId }, "Target ", sel)));
    const canvas = el("canvas", { class: "heatmap", role: "img", "data-chart": "sweep-heatmap" });
    sub.append(canvas);
    const xi = new Map(xs.map((v, i) => [v, i])), yi = new Map(ys.map((v, i) => [v, i]));
    function draw() {
      const l = labels[Number(sel.value)];
      const vals = rows.map((r) => r[l + " time"]).filter(isNum).filter((v) => v > 0);
      const lo = vals.length ? Math.min(...vals) : 1, hi = vals.length ? Math.max(...vals) : 1;
      const dpr = window.devicePixelRatio || 1;
      const W = Math.min(860, chartWidth(sub)), H = 380, m = { l: 70, r: 110, t: 12, b: 48 };
      canvas.width = W * dpr; canvas.height = H * dpr;
      canvas.style.width = W + "px"; canvas.style.height = H + "px";
      canvas.setAttribute("aria-label", `heat map of the time to ${l} over ${px} and ${py}`);
      const ctx = canvas.getContext("2d");
      ctx.scale(dpr, dpr);
      ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, H);
      const pw = W - m.l - m.r, ph = H - m.t - m.b, cw = pw / xs.length, ch = ph / ys.length;
      const logScale = (v) => hi > lo ? (Math.log(v) - Math.log(lo)) / (Math.log(hi) - Math.log(lo)) : 0.5;
      for (const r of rows) {
        const v = r[l + " time"];
        ctx.fillStyle = isNum(v) ? (v > 0 ? viridis(logScale(v)) : viridis(0)) : "#c8c8c8";
        ctx.fillRect(m.l + xi.get(r[px]) * cw, m.t + ph - (yi.get(r[py]) + 1) * ch, Math.ceil(cw + 0.5), Math.ceil(ch + 0.5));
      }
      ctx.fillStyle = "#1d232b"; ctx.strokeStyle = "#1d232b"; ctx.font = "12px sans-serif";
      ctx.strokeRect(m.l, m.t, pw, ph);
      ctx.textAlign = "center";
      for (const i of new Set([0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(f * (xs.length - 1))))) {
        const x = m.l + (i + 0.5) * cw;
        ctx.fillText(fmt(xs[i], 4), x, m.t + ph + 16);
      }
      ctx.fillText(px, m.l + pw / 2, H - 10);
      ctx.textAlign = "right";
      for (const i of new Set([0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(f * (ys.length - 1))))) {
        const y = m.t + ph - (i + 0.5) * ch;
        ctx.fillText(fmt(ys[i], 4), m.l - 6, y + 4);
      }
      ctx.save(); ctx.translate(16, m.t + ph / 2); ctx.rotate(-Math.PI / 2); ctx.textAlign = "center"; ctx.fillText(py, 0, 0); ctx.restore();
      // colour bar (log scale of the time)
      const bx = W - m.r + 24, bw = 16;
      for (let k = 0; k < ph; k++) { ctx.fillStyle = viridis(1 - k / ph); ctx.fillRect(bx, m.t + k, bw, 1.5); }
      ctx.fillStyle = "#1d232b"; ctx.textAlign = "left";
      ctx.fillText(fmt(hi, 4) + " yr", bx + bw + 4, m.t + 10);
      ctx.fillText(fmt(lo, 4) + " yr", bx + bw + 4, m.t + ph);
      ctx.fillStyle = "#c8c8c8"; ctx.fillRect(bx, m.t + ph + 14, bw, 10);
      ctx.fillStyle = "#1d232b"; ctx.fillText("not reached", bx - 4, m.t + ph + 40);
    }
    sel.addEventListener("change", draw);
    requestAnimationFrame(draw);
  }

  // ---------- Monte Carlo ----------
  if (S.monte_carlo && S.monte_carlo.length) {
    const sec = section("montecarlo", "Monte Carlo",
      "Quantiles and probabilities are exact, over all samples (summary.json). The histogram and the cumulative curve are drawn from the samples inlined in this page" +
      (DATA.samples && DATA.samples.rows.length < DATA.samples.total_rows ? ` (the first ${DATA.limits.samples} of each scenario: ${DATA.samples.rows.length} of ${DATA.samples.total_rows})` : " (all of them)") + ".");
    const sampleRows = objects(DATA.samples);
    for (const mc of S.monte_carlo) {
      sec.append(el("h3", { text: `'${mc.scenario}': ${mc.n} samples, seed ${mc.seed}` }));
      const params = Object.entries(mc.parameters || {}).map(([k, v]) => `${k} ~ ${typeof v === "object" ? JSON.stringify(v) : v}`);
      if (params.length) sec.append(el("p", { class: "note mono", text: params.join("; ") }));
      const qs = ["p5", "p10", "p25", "p50", "p75", "p90", "p95"];
      const dates = [...new Set(mc.targets.flatMap((t) => Object.keys(t.p_reached_by || {})))].sort((a, b) => a - b);
      sec.append(sortableTable([
        { key: "target", label: "target" },
        { key: "p", label: "P(reached by horizon)", num: true, fmt: (v) => fmt(v, 5) },
        ...dates.map((d) => ({ key: "by" + d, label: `P(by ${d} yr)`, num: true, fmt: (v) => fmt(v, 5) })),
        ...qs.map((q) => ({ key: q, label: q + " (yr)", num: true, fmt: (v) => v === null ? ">H" : fmt(v, 5) })),
        { key: "mean", label: "mean if reached (yr)", num: true, fmt: (v) => fmt(v, 5) },
        ...(mc.targets.some((t) => t.date_quantiles) ? ["p5", "p50", "p95"].map((q) => ({ key: "date_" + q, label: q + " (date)", num: true, fmt: (v) => v === null ? ">H" : fmt(v, 6) })) : []),
      ], mc.targets.map((t) => Object.assign({ target: t.target, p: t.p_reached_by_horizon, mean: t.mean_time_if_reached },
        Object.fromEntries(["p5", "p50", "p95"].map((q) => ["date_" + q, t.date_quantiles ? t.date_quantiles[q] : null])),
        Object.fromEntries(dates.map((d) => ["by" + d, (t.p_reached_by || {})[d]])),
        Object.fromEntries(qs.map((q) => [q, (t.time_quantiles || {})[q]]))))));
      const mine = sampleRows.filter((r) => r.scenario === mc.scenario);
      const grid = el("div", { class: "charts" });
      sec.append(grid);
      for (const [ti, t] of mc.targets.entries()) {
        const times = mine.map((r) => r[t.target + " time"]).filter(isNum).sort((a, b) => a - b);
        const n = mine.length;
        if (!n) continue;
        const color = PALETTE[ti % PALETTE.length];
        // Histogram: log-spaced bins when the times span more than a decade.
        const hb = el("div"), cb = el("div");
        grid.append(el("div", { class: "chart", "data-chart": "mc-histogram" }, el("div", { class: "chart-title", text: `Time to ${t.target}: histogram (${times.length} of ${n} drawn samples reach it)` }), hb));
        grid.append(el("div", { class: "chart", "data-chart": "mc-cdf" }, el("div", { class: "chart-title", text: `P(${t.target} reached by t), with the exact values at the configured dates` }), cb));
        requestAnimationFrame(() => {
          if (times.length) {
            const lo = times[0], hi = times[times.length - 1];
            const useLog = lo > 0 && hi / lo > 10, bins = Math.min(40, Math.max(8, Math.round(Math.sqrt(times.length))));
            const a = useLog ? Math.log(lo) : lo, b = useLog ? Math.log(hi) : hi, w = (b - a) / bins || 1;
            const counts = new Array(bins).fill(0);
            for (const x of times) counts[Math.min(bins - 1, Math.floor(((useLog ? Math.log(x) : x) - a) / w))]++;
            const centers = counts.map((_, k) => useLog ? (a + (k + 0.5) * w) / Math.LN10 : a + (k + 0.5) * w);
            plot(hb, {
              ariaLabel: `histogram of the time to ${t.target}`,
              legend: { show: false },
              scales: { x: { time: false, range: (u, mn, mx) => [mn - w / (useLog ? Math.LN10 : 1), mx + w / (useLog ? Math.LN10 : 1)] },
                        y: { range: (u, mn, mx) => [0, mx * 1.05] } },
              axes: [{ label: "time to target (yr)" + (useLog ? ", log scale" : ""), values: useLog ? powValues() : axisValues() }, { label: "samples", size: 56, values: axisValues() }],
              series: [{}, { label: "samples", fill: color + "99", stroke: color, points: { show: false }, paths: uPlot.paths.bars({ size: [0.92, 100] }) }],
            }, [centers, counts], 260);
          } else hb.append(el("p", { class: "note", text: "No drawn sample reaches it." }));
          const xs = [0], ys = [0];
          times.forEach((x, k) => { xs.push(x); ys.push((k + 1) / n); });
          const H = Math.max(...(S.scenarios.filter((s) => s.name === mc.scenario).map((s) => s.horizon)), S.horizon);
          xs.push(H); ys.push(times.length / n);
          const points = Object.entries(t.p_reached_by || {}).map(([d, p]) => ({ x: Number(d), y: p, color: "#d62728" }));
          points.push({ x: H, y: t.p_reached_by_horizon, color: "#d62728" });
          plot(cb, {
            ariaLabel: `probability that ${t.target} is reached by t`,
            legend: { show: false },
            scales: { x: { time: false, range: [0, H] }, y: { range: [0, 1] } },
            axes: [{ label: "t (yr)", values: axisValues() }, { label: "P(reached by t)", size: 56, values: axisValues() }],
            series: [{}, { label: "P", stroke: color, width: 2, points: { show: false }, paths: uPlot.paths.stepped({ align: 1 }) }],
            hooks: { draw: [overlay(() => ({ lines: [], points }))] },
          }, [xs, ys], 260);
        });
      }
      // Conditional forecasts (summary.json "conditional"): per condition, the share that meets
      // it, and each input's and target time's median and 90 % range over all samples and over those.
      const conds = (S.conditional || []).filter((r) => r.scenario === mc.scenario);
      for (const label of [...new Set(conds.map((r) => r.condition))]) {
        const rs = conds.filter((r) => r.condition === label);
        sec.append(el("h3", { text: `Given ${label}: ${rs[0].met} of ${mc.n} samples (share ${fmt(rs[0].share, 4)})` }));
        const range = (r) => r ? `${r.p50 === null ? ">H" : fmt(r.p50, 4)} (${r.p5 === null ? ">H" : fmt(r.p5, 4)} to ${r.p95 === null ? ">H" : fmt(r.p95, 4)})` : "–";
        const quantities = [...new Set(rs.map((r) => r.quantity))];
        sec.append(sortableTable([
          { key: "quantity", label: "quantity" },
          { key: "all", label: "all samples: median (5th to 95th percentile)" },
          { key: "met", label: "those that meet it: median (5th to 95th percentile)" },
        ], quantities.map((q) => ({ quantity: q, all: range(rs.find((r) => r.quantity === q && r.given === "all")),
          met: range(rs.find((r) => r.quantity === q && r.given === "met")) }))));
      }
      // Fan charts: the percentiles of R(t) and C(t) over the samples (bands.csv), nested bands
      // from the outermost pair inwards, the median (when recorded) as a line.
      const bandRows = objects(DATA.bands).filter((r) => r.scenario === mc.scenario);
      if (bandRows.length) {
        const color = PALETTE[S.monte_carlo.indexOf(mc) % PALETTE.length];
        const ps = [...new Set(bandRows.map((r) => r.percentile))].sort((a, b) => a - b);
        const ts = [...new Set(bandRows.map((r) => r.t))].sort((a, b) => a - b);
        const at = new Map(bandRows.map((r) => [r.t + "|" + r.percentile, r]));
        for (const [q, label, log] of [["R", "R = L/L(C₀)", false], ["C", "C (PFLOP), log scale", true]]) {
          const box = el("div");
          grid.append(el("div", { class: "chart", "data-chart": "mc-fan" },
            el("div", { class: "chart-title", text: `${q}(t) over the samples: percentiles ${ps.join(", ")} (bands.csv)` }), box));
          const cols = ps.map((p) => ts.map((t) => { const v = at.get(t + "|" + p)[q]; return log ? Math.log10(v) : v; }));
          const series = [{ label: "t (yr)", value: (u, v) => fmt(v, 5) }];
          ps.forEach((p) => series.push({ label: `p${p}`, stroke: p === 50 ? color : color + "88", width: p === 50 ? 2 : 1,
            points: { show: false }, value: (u, v) => v === null ? "–" : fmt(log ? Math.pow(10, v) : v, 5) }));
          const bands = [];
          for (let k = 0; k < Math.floor(ps.length / 2); k++) bands.push({ series: [ps.length - k, k + 1], fill: color + "26" });
          requestAnimationFrame(() => plot(box, {
            ariaLabel: `fan chart of ${q} over the samples of ${mc.scenario}`,
            scales: { x: { time: false }, y: log ? { range: padded } : { range: padded } },
            axes: [{ label: "t (yr)", values: axisValues() }, yAxis(label, log, 70)],
            series, bands,
          }, [ts, ...cols], 280));
        }
      }
    }
  }

  // ---------- sensitivity ----------
  const sens = objects(DATA.sensitivity);
  if (sens.length) {
    const sec = section("sensitivity", "Sensitivity",
      "Tornado: the change of the time to target when each parameter moves down (left bar colour) or up (right) by its relative step, largest first.");
    const groups = new Map();
    for (const r of sens) { const k = r.scenario + " · " + r.target; if (!groups.has(k)) groups.set(k, []); groups.get(k).push(r); }
    for (const [k, rs] of groups) {
      sec.append(el("h3", { text: k }));
      sec.append(tornado(rs));
    }
    sec.append(sortableTable(DATA.sensitivity.columns.map((c) => ({ key: c, label: c, num: ["value", "step", "low", "high", "time", "time_low", "time_high", "delta_low", "delta_high", "derivative", "elasticity"].includes(c),
      fmt: (v) => fmt(v, 7) })), sens));
  }
  function tornado(rs) {
    const NS = "http://www.w3.org/2000/svg";
    const sorted = rs.slice().sort((a, b) => Math.max(Math.abs(b.delta_low || 0), Math.abs(b.delta_high || 0)) - Math.max(Math.abs(a.delta_low || 0), Math.abs(a.delta_high || 0)));
    const W = 760, rowH = 30, m = { l: 190, r: 30, t: 10, b: 40 }, H = m.t + m.b + rowH * sorted.length;
    const ext = Math.max(1e-300, ...sorted.flatMap((r) => [Math.abs(r.delta_low || 0), Math.abs(r.delta_high || 0)]));
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`); svg.setAttribute("width", "100%"); svg.setAttribute("class", "tornado");
    svg.setAttribute("role", "img"); svg.setAttribute("data-chart", "tornado");
    svg.setAttribute("aria-label", "tornado chart: " + sorted.map((r) => `${r.parameter}: ${fmt(r.delta_low, 4)} / ${fmt(r.delta_high, 4)} yr`).join("; "));
    svg.style.maxWidth = W + "px";
    const cx = m.l + (W - m.l - m.r) / 2, half = (W - m.l - m.r) / 2;
    const X = (d) => cx + (d / ext) * (half - 80); // room for the value beside each bar
    const add = (tag, attrs, text) => { const e = document.createElementNS(NS, tag); for (const [a, v] of Object.entries(attrs)) e.setAttribute(a, v); if (text !== undefined) e.textContent = text; svg.append(e); return e; };
    sorted.forEach((r, i) => {
      const y = m.t + i * rowH;
      add("text", { x: m.l - 8, y: y + rowH / 2 + 4, "text-anchor": "end" }, `${r.parameter} (±${fmt(100 * r.step, 3)} %)`);
      for (const [d, color] of [[r.delta_low, "#1f77b4"], [r.delta_high, "#d62728"]]) {
        if (!isNum(d)) continue;
        const x0 = Math.min(X(0), X(d)), w = Math.max(1, Math.abs(X(d) - X(0)));
        add("rect", { x: x0, y: y + 5, width: w, height: rowH - 10, fill: color, "fill-opacity": "0.85" });
        add("text", { x: d < 0 ? x0 - 4 : x0 + w + 4, y: y + rowH / 2 + 4, "text-anchor": d < 0 ? "end" : "start" }, fmt(d, 3));
      }
    });
    add("line", { x1: cx, x2: cx, y1: m.t, y2: H - m.b + 4, stroke: "#1d232b" });
    add("text", { x: cx, y: H - 12, "text-anchor": "middle" }, "change of the time to target (yr): blue = parameter down, red = up");
    return svg;
  }

  // ---------- goal seeks ----------
  const solves = objects(DATA.solve);
  if (solves.length) {
    const sec = section("solve", "Goal seeks", "The parameter value that reaches each target at the given time (solve.csv).");
    sec.append(sortableTable(DATA.solve.columns.map((c) => ({ key: c, label: c, num: ["lo", "hi", "at", "value", "time_check", "simulations"].includes(c), fmt: (v) => fmt(v, 10) })), solves));
  }

  // ---------- comparisons ----------
  if (S.comparisons && S.comparisons.length) {
    const sec = section("comparisons", "Comparisons", "Scenario a against scenario b at the output times they share: R of each, and the gap R_a − R_b.");
    const files = new Map((DATA.comparisons || []).map((c) => [c.csv, c]));
    sec.append(sortableTable([
      { key: "pair", label: "a vs b" }, { key: "target", label: "target" },
      { key: "time_a", label: "time a (yr)", num: true, fmt: (v) => fmt(v, 7) },
      { key: "time_b", label: "time b (yr)", num: true, fmt: (v) => fmt(v, 7) },
      { key: "difference", label: "a − b (yr)", num: true, fmt: (v) => fmt(v, 7) },
      { key: "max_gap", label: "max |R_a − R_b|", num: true, fmt: (v) => fmt(v, 5) },
      { key: "max_gap_t", label: "at t (yr)", num: true, fmt: (v) => fmt(v, 5) },
    ], S.comparisons.flatMap((c) => (c.targets.length ? c.targets : [{}]).map((t) => ({
      pair: `${c.a} vs ${c.b}`, target: t.target || "–", time_a: t.time_a, time_b: t.time_b, difference: t.difference,
      max_gap: c.max_abs_R_gap !== undefined ? c.max_abs_R_gap : null, max_gap_t: c.max_abs_R_gap_at !== undefined ? c.max_abs_R_gap_at : null })))));
    const paired = S.comparisons.filter((c) => c.paired);
    if (paired.length) {
      sec.append(el("h3", { text: "Paired over the samples (one seed): time a − time b per sample" }));
      sec.append(sortableTable([
        { key: "pair", label: "a vs b" }, { key: "target", label: "target" },
        { key: "a_first", label: "share a first", num: true, fmt: (v) => fmt(v, 4) },
        { key: "b_first", label: "share b first", num: true, fmt: (v) => fmt(v, 4) },
        { key: "both", label: "both reach it", num: true, fmt: (v) => String(v) },
        ...["p5", "p25", "p50", "p75", "p95"].map((q) => ({ key: q, label: q + " of a − b (yr)", num: true, fmt: (v) => fmt(v, 5) })),
      ], paired.flatMap((c) => c.paired.targets.map((t) => Object.assign({
        pair: `${c.a} vs ${c.b} (${c.paired.samples} samples, seed ${c.paired.seed})`, target: t.target,
        a_first: t.a_first, b_first: t.b_first, both: t.both_reached }, t.difference_quantiles)))));
    }
    for (const c of S.comparisons.filter((c) => c.unpaired)) sec.append(el("p", { class: "note", text: `${c.a} vs ${c.b}: not paired: ${c.unpaired}` }));
    const grid = el("div", { class: "charts" });
    sec.append(grid);
    for (const c of S.comparisons) {
      const f = files.get(c.csv);
      if (!f) continue;
      const rows = objects(f);
      const box = el("div"), gbox = el("div");
      grid.append(el("div", { class: "chart", "data-chart": "comparison" }, el("div", { class: "chart-title", text: `R(t): ${c.a} (a) and ${c.b} (b)` }), box));
      grid.append(el("div", { class: "chart", "data-chart": "comparison-gap" }, el("div", { class: "chart-title", text: `R_a − R_b: ${c.a} − ${c.b}` }), gbox));
      requestAnimationFrame(() => {
        plot(box, {
          ariaLabel: `R of ${c.a} and ${c.b}`,
          scales: { x: { time: false } },
          axes: [{ label: "t (yr)", values: axisValues() }, { label: "R", size: 60, values: axisValues() }],
          series: [{ label: "t", value: (u, v) => fmt(v, 5) },
                   { label: c.a, stroke: colorOf.get(c.a) || PALETTE[0], width: 1.8, value: (u, v) => fmt(v, 6) },
                   { label: c.b, stroke: colorOf.get(c.b) || PALETTE[1], width: 1.8, dash: [6, 4], value: (u, v) => fmt(v, 6) }],
        }, [rows.map((r) => r.t), rows.map((r) => r.R_a), rows.map((r) => r.R_b)], 260);
        plot(gbox, {
          ariaLabel: `R gap of ${c.a} and ${c.b}`,
          legend: { show: false },
          scales: { x: { time: false } },
          axes: [{ label: "t (yr)", values: axisValues() }, { label: "R_a − R_b", size: 70, values: axisValues() }],
          series: [{}, { label: "gap", stroke: "#9467bd", width: 1.8, fill: "#9467bd22" }],
        }, [rows.map((r) => r.t), rows.map((r) => r.R_gap)], 260);
      });
    }
  }

  // ---------- config and provenance ----------
  {
    const sec = section("provenance", "Config and provenance");
    const mcSeeds = (S.monte_carlo || []).map((m) => `${m.scenario}: seed ${m.seed}, n = ${m.n}`);
    const dl = el("table", {}, el("tbody", {},
      ...[["racesim version", S.racesim_version], ["experiment", S.experiment], ["config file", S.config],
          ["scenarios run", String(S.scenario_count)], ["Monte Carlo seeds", mcSeeds.length ? mcSeeds.join("; ") : "none (no sampled scenario)"],
          ["report made by", `racesim ${DATA.generator.racesim_version} with ${DATA.generator.chart_library} (MIT licence) inlined`],
          ["thinned for display", DATA.reductions.length ? DATA.reductions.join("; ") : "nothing: every row of every file is in this page"],
          ["wall time of the run", S.timing ? fmt(S.timing.wall_seconds, 3) + " s" : "–"]]
        .map(([k, v]) => el("tr", {}, el("th", { scope: "row", text: k }), el("td", { text: v })))));
    sec.append(el("div", { class: "table-wrap" }, dl));
    if (S.plugins && S.plugins.length) {
      sec.append(el("h3", { text: "Plugins" }));
      sec.append(sortableTable([
        { key: "kind", label: "kind" }, { key: "type", label: "type" },
        { key: "library", label: "library" }, { key: "sha256", label: "sha256", fmt: (v) => v || "– (in process)" },
      ], S.plugins));
    }
    sec.append(el("h3", { text: "Resolved config (as validated)" }));
    const det = el("details", { open: true }, el("summary", { text: "resolved_config from summary.json" }),
      el("pre", { class: "config", tabindex: "0", text: JSON.stringify(S.resolved_config, null, 2) }));
    sec.append(det);
  }

  // ---------- table of contents, footer ----------
  const toc = document.getElementById("toc");
  for (const [id, title] of sections) toc.append(el("a", { href: "#" + id, text: title }));
  document.getElementById("footer").textContent =
    `Made by racesim report (racesim ${DATA.generator.racesim_version}, ${DATA.generator.chart_library}). One self-contained file: it loads nothing from any network.`;
  // Tests and tools wait for this flag: every chart has been drawn once.
  requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(() => { document.body.dataset.ready = "true"; })));
})();
