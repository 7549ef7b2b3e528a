// The what-if sliders' closed forms: a JavaScript port of the reference plugins
// plugins/reference/relative-loss (continuous-doubling x mean-field x power-law) and
// plugins/reference/piecewise-exact restricted to {continuous-doubling, discrete-steps} x
// {mean-field, peaked} with the power-law loss, and of racesim/plugin/math.hpp. Everything is
// kept in logarithms as in C++. tests/report/closed_form.test.js checks it against the C++
// plugins (racesim runs) on more than 1,000 random cases to 1e-9 relative.
//
// Loaded as a plain script in the report (window.RacesimClosedForm) and with require() by node.
(function (root) {
  "use strict";
  const ln2 = 0.693147180559945309417232121458176568;
  const negInf = -Infinity;

  // racesim/plugin/math.hpp
  function logAddExp(a, b) {
    if (a === negInf) return b;
    if (b === negInf) return a;
    const m = a > b ? a : b;
    const d = a > b ? b - a : a - b;
    return m + Math.log1p(Math.exp(d));
  }
  function logSubExp(a, b) {
    if (b === negInf) return a;
    if (a <= b) return negInf;
    return a + Math.log1p(-Math.exp(b - a));
  }
  function logExpm1(y) {
    if (!(y > 0)) return negInf;
    return y <= 30 ? Math.log(Math.expm1(y)) : y + Math.log1p(-Math.exp(-y));
  }
  function logGrowthIntegral(g, s) {
    if (!(s > 0)) return negInf;
    if (g === 0) return Math.log(s);
    const x = g * s;
    if (x > 30) return x - Math.log(g) + Math.log1p(-Math.exp(-x));
    return Math.log(Math.expm1(x) / g);
  }
  function solveGrowthIntegral(g, logI) {
    if (logI === negInf) return 0;
    if (g === 0) return Math.exp(logI);
    if (g > 0) {
      const lnGI = Math.log(g) + logI;
      if (lnGI > 30) return (lnGI + Math.log1p(Math.exp(-lnGI))) / g;
      return Math.log1p(Math.exp(lnGI)) / g;
    }
    const w = g * Math.exp(logI);
    if (!(w > -1)) return NaN;
    return Math.log1p(w) / g;
  }

  // Which scenarios the port covers; null when it does, else why not (shown in the page).
  function unsupported(sc) {
    const ref = sc.reference && sc.reference.type;
    const e = sc.efficiency && sc.efficiency.type, p = sc.power && sc.power.type, l = sc.loss && sc.loss.type;
    if (!ref) return "it has no reference model";
    if (ref !== "relative-loss" && ref !== "piecewise-exact") return "its reference '" + ref + "' is not ported to the page";
    if (e !== "continuous-doubling" && e !== "discrete-steps")
      return "efficiency '" + e + "' is not ported to the page (continuous-doubling and discrete-steps are)";
    if (p !== "mean-field" && p !== "peaked")
      return "power '" + p + "' is not ported to the page (mean-field and peaked are)";
    if (l !== "power-law") return "loss '" + l + "' is not ported to the page (power-law is)";
    return null;
  }

  // A model from a scenario's parameters (as in summary.json) and the slider values
  // {gamma, tau, kappa, P0}: C0 = E0 * P0 * (1 + tau) * 1 yr.
  // Returns {logRatio(t): ln(C/C0), time(x): t with ln(C/C0) = x or null, unreachable(x)}.
  function makeReference(sc, v) {
    const type = sc.reference.type;
    const E0 = sc.efficiency.E0, gamma = v.gamma, P0 = v.P0, tau = v.tau;
    const horizon = sc.horizon;
    const logOnePlusTau = Math.log1p(tau);
    if (type === "relative-loss") {
      const g = gamma * ln2;
      return {
        logRatio(t) { return logAddExp(0, logGrowthIntegral(g, t) - logOnePlusTau); },
        time(x) {
          if (x <= 0) return 0;
          const t = solveGrowthIntegral(g, logOnePlusTau + logExpm1(x));
          if (Number.isNaN(t) || t > horizon) return null;
          return t;
        },
        unreachable(x) { // relative-loss with gamma < 0: C/C0 is bounded
          if (!(g < 0) || x <= 0) return false;
          return Number.isNaN(solveGrowthIntegral(g, logOnePlusTau + logExpm1(x)));
        },
      };
    }
    // piecewise-exact: pieces between the breakpoints of both models, J summed in logs.
    const logC0 = Math.log(E0) + Math.log(P0) + logOnePlusTau;
    const logE0 = Math.log(E0);
    const gammaLn2 = gamma * ln2;
    const discrete = sc.efficiency.type === "discrete-steps";
    const T = discrete ? sc.efficiency.period : 0;
    const peaked = sc.power.type === "peaked";
    const duty = peaked ? sc.power.duty : 1, offset = peaked ? (sc.power.offset || 0) : 0;
    const Pi = peaked ? (sc.power.period === undefined ? 1 : sc.power.period) : 1;
    const cuts = [0, horizon];
    if (T > 0) for (let k = 1; k * T < horizon; k += 1) cuts.push(k * T);
    if (peaked && duty < 1)
      for (let k = 0; (k + offset) * Pi < horizon; k += 1) {
        cuts.push((k + offset) * Pi);
        cuts.push((k + offset + duty) * Pi);
      }
    cuts.sort((a, b) => a - b);
    const t = [];
    for (const c of cuts)
      if (c >= 0 && c <= horizon && (t.length === 0 || c - t[t.length - 1] > 1e-12 * Math.max(1, c))) t.push(c);
    if (t[t.length - 1] < horizon) t[t.length - 1] = horizon;
    const pieces = [];
    let logCum = negInf;
    for (let k = 0; k + 1 < t.length; k++) {
      const a = t[k], mid = 0.5 * (t[k] + t[k + 1]);
      let eLog, eG;
      if (discrete) { eLog = logE0 + gammaLn2 * T * Math.floor(mid / T); eG = 0; }
      else { eLog = logE0 + gammaLn2 * a; eG = gammaLn2; }
      let off = false;
      const pLog = Math.log(P0 / duty);
      if (peaked && duty < 1) {
        const phase = (mid - Math.floor(mid / Pi) * Pi) / Pi;
        if (!(phase >= offset && phase < offset + duty)) off = true;
      }
      const piece = { t0: a, t1: t[k + 1], off, logA: eLog + pLog - logC0, g: eG, logCum };
      pieces.push(piece);
      logCum = logAddExp(logCum, increment(piece, piece.t1 - piece.t0));
    }
    const endLogCum = logCum;
    function increment(p, s) { return p.off ? negInf : p.logA + logGrowthIntegral(p.g, s); }
    function pieceAt(x) {
      let lo = 0, hi = pieces.length; // the last piece with t0 <= x
      while (hi - lo > 1) { const m = (lo + hi) >> 1; if (pieces[m].t0 <= x) lo = m; else hi = m; }
      return pieces[lo];
    }
    return {
      logRatio(x) {
        const p = pieceAt(x);
        return logAddExp(0, logAddExp(p.logCum, increment(p, x - p.t0)));
      },
      time(x) {
        if (x <= 0) return 0;
        const target = logExpm1(x);
        if (target > endLogCum) return null;
        for (let k = 0; k < pieces.length; k++) {
          const p = pieces[k];
          const next = k + 1 < pieces.length ? pieces[k + 1].logCum : endLogCum;
          if (next < target || p.off) continue;
          const need = logSubExp(target, p.logCum);
          const s = solveGrowthIntegral(p.g, need - p.logA);
          if (Number.isNaN(s)) continue;
          return Math.min(p.t0 + s, p.t1);
        }
        return null;
      },
      unreachable() { return false; },
    };
  }

  // Everything the page shows for a scenario at slider values v: C0, L(C0), and per target
  // {label, relative, loss, x, time (null: not reached by the horizon), unreachable}.
  // Targets are as in summary.json (kind, loss, relative); a loss target keeps its loss, a
  // relative one its relative level.
  function evaluate(sc, v) {
    const ref = makeReference(sc, v);
    const kappa = v.kappa, L0 = sc.loss.L0;
    const logC0 = Math.log(sc.efficiency.E0) + Math.log(v.P0) + Math.log1p(v.tau);
    const logCref = sc.loss.C_ref === undefined ? logC0 : Math.log(sc.loss.C_ref);
    const LC0 = L0 * Math.exp(-kappa * (logC0 - logCref));
    const targets = (sc.targets || []).map((tg) => {
      let x, relative, loss;
      if (tg.kind === "relative") {
        relative = tg.relative; loss = relative * LC0;
        x = -Math.log(relative) / kappa;
      } else {
        loss = tg.loss; relative = loss / LC0;
        x = logCref - Math.log(loss / L0) / kappa - logC0;
      }
      const time = ref.time(x);
      return { kind: tg.kind, relative, loss, x, time, unreachable: time === null && ref.unreachable(x) };
    });
    return {
      C0: Math.exp(logC0), LC0, targets,
      logRatio: (t) => ref.logRatio(t),
      R: (t) => Math.exp(-kappa * ref.logRatio(t)),
    };
  }

  const api = { ln2, logAddExp, logSubExp, logExpm1, logGrowthIntegral, solveGrowthIntegral, unsupported,
                makeReference, evaluate };
  root.RacesimClosedForm = api;
  if (typeof module !== "undefined" && module.exports) module.exports = api;
})(typeof globalThis !== "undefined" ? globalThis : this);
