// node:test suite of the report's what-if closed forms (framework/report/closed_form.js)
// against the C++ reference plugins: the cases file is written by closed_form_cases.py from
// racesim runs (R_ref at every output time, the reference's time to every target).
//
// usage: node --test-reporter=spec tests/report/closed_form.test.js   (RACESIM_CLOSED_FORM_CASES=cases.json)
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const CF = require(path.join(__dirname, "..", "..", "framework", "report", "closed_form.js"));

const file = process.env.RACESIM_CLOSED_FORM_CASES;
const TOL = 1e-9;

function close(js, cpp, what) {
  if (cpp === null || js === null) {
    assert.equal(js, cpp, `${what}: JS ${js}, C++ ${cpp}`);
    return;
  }
  const err = cpp === 0 ? Math.abs(js) : Math.abs(js / cpp - 1);
  assert.ok(err <= (cpp === 0 ? 1e-12 : TOL), `${what}: JS ${js}, C++ ${cpp} (relative error ${err})`);
}

// The slider values a scenario starts from, as the page takes them.
function values(sc) {
  return { gamma: sc.efficiency.gamma, kappa: sc.loss.kappa, P0: sc.power.P0, tau: sc.baseline.tau };
}

test("the cases file exists and holds at least 1,000 scenarios of both references", () => {
  assert.ok(file, "RACESIM_CLOSED_FORM_CASES is not set");
  const { cases } = JSON.parse(fs.readFileSync(file, "utf8"));
  assert.ok(cases.length >= 1000, `${cases.length} cases`);
  for (const ref of ["relative-loss", "piecewise-exact"])
    assert.ok(cases.filter((c) => c.scenario.reference.type === ref).length >= 500, ref);
});

test("every case is one the port covers", () => {
  const { cases } = JSON.parse(fs.readFileSync(file, "utf8"));
  for (const c of cases) assert.equal(CF.unsupported(c.scenario), null, c.scenario.name);
});

test("R(t) of the port equals R_ref of the C++ reference to 1e-9 at every output time", () => {
  const { cases } = JSON.parse(fs.readFileSync(file, "utf8"));
  let n = 0;
  for (const c of cases) {
    const r = CF.evaluate(c.scenario, values(c.scenario));
    for (const [t, Rref] of c.rows) {
      close(r.R(t), Rref, `${c.scenario.name} (${c.scenario.reference.type}) R at t = ${t}`);
      n++;
    }
  }
  console.log(`# ${n} values of R(t) compared`);
  assert.ok(n >= 5000, `${n} values`);
});

test("time to each target equals the C++ reference time to 1e-9 (and not reached / unreachable alike)", () => {
  const { cases } = JSON.parse(fs.readFileSync(file, "utf8"));
  let reached = 0, missed = 0, unreachable = 0;
  for (const c of cases) {
    const sc = c.scenario;
    const r = CF.evaluate(sc, values(sc));
    sc.targets.forEach((tg, i) => {
      const js = r.targets[i];
      const what = `${sc.name} (${sc.reference.type}, ${sc.efficiency.type} x ${sc.power.type}) target ${tg.kind} ${tg.kind === "loss" ? tg.loss : tg.relative}`;
      close(js.relative, tg.relative, what + " as R*");
      close(js.time, tg.reference_time, what + " time");
      assert.equal(js.unreachable, tg.unreachable, what + " unreachable");
      if (js.time === null) missed++; else reached++;
      if (js.unreachable) unreachable++;
    });
  }
  // The draw covers both outcomes, and gamma < 0 targets that are never reached.
  console.log(`# ${cases.length} scenarios, ${reached} target times, ${missed} not reached by the horizon, of which ${unreachable} unreachable`);
  assert.ok(reached >= 1000 && missed >= 50 && unreachable >= 10, `reached ${reached}, not reached ${missed}, unreachable ${unreachable}`);
});

test("the check can fail: a port whose gamma is off by 0.001 is refused", () => {
  const { cases } = JSON.parse(fs.readFileSync(file, "utf8"));
  const c = cases.find((x) => x.scenario.targets.some((t) => t.reference_time > 1));
  const v = values(c.scenario);
  v.gamma += 0.001;
  const r = CF.evaluate(c.scenario, v);
  const i = c.scenario.targets.findIndex((t) => t.reference_time > 1);
  assert.throws(() => close(r.targets[i].time, c.scenario.targets[i].reference_time, "perturbed"));
});
