#!/usr/bin/python3
"""The trajectory tables of docs/performance.md from one run's raw results: bench_trajectory's
Google Benchmark JSON (one or more files, repetitions pooled; optionally a second build's, e.g.
the commit before a change, as "before", compared under the conservative rule below) and
scipy_trajectory.py's JSON.

For each problem and rel_tol: racesim's integrate() (as `racesim run` does it: the
contract-tested built-in plugins are not audited for undeclared jumps), integrate() with every
model audited (BM_IntegrateAuditAll: what a third-party plugin costs) and run_scenario(); RHS evaluations, err C, err t*; and SciPy's fastest configuration under two
accuracy rules:
  * "≤ racesim's error" (bench/run-all's rule): error <= racesim's own max(err C, err t*);
    when no configuration gets there, SciPy's most accurate one;
  * "≤ max(racesim's error, rel_tol)": SciPy only has to meet the tolerance asked for, so an
    integrator more accurate than asked gains nothing from it (the conservative rule).
CPU times, medians [min–max]; ratios are SciPy's median over racesim's median.

  /usr/bin/python3 bench/peers/trajectory_table.py --scipy OUT/scipy_trajectory.json \
      OUT/trajectory1.json OUT/trajectory2.json [--before OUT/before1.json OUT/before2.json]
"""
import argparse
import json
import statistics

PROBLEMS = ["continuous", "discrete", "peaked"]


def load(paths):
    res = {}
    for path in paths:
        for b in json.load(open(path))["benchmarks"]:
            if b.get("run_type") != "iteration":
                continue
            scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
            r = res.setdefault(b["run_name"], dict(cpu=[], counters={}))
            r["cpu"].append(b["cpu_time"] * scale)
            for k in ("rhs", "steps", "err_C", "err_t", "segments"):
                if k in b:
                    r["counters"][k] = b[k]
    return res


def fmt_t(s):
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.2f} ms"
    return f"{s:.2f} s"


def cell(r):
    return f"{fmt_t(statistics.median(r['cpu']))} [{fmt_t(min(r['cpu']))}–{fmt_t(max(r['cpu']))}]"


def best(rows, name, bound):
    ok = [r for r in rows if r["problem"] == name and r["ok"]]
    good = [r for r in ok if r["err"] <= bound]
    if good:
        return min(good, key=lambda r: r["time_s"]), ""
    return min(ok, key=lambda r: (r["err"], r["time_s"])), " (never as accurate; its most accurate)"


def desc(r, tag):
    return (f"{r['method']} {'with' if r['breakpoints'] else 'without'} breakpoints, {r['form']}, tol {r['tol']:g}, "
            f"err {r['err']:.1e}{tag}, {fmt_t(r['time_s'])}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("racesim", nargs="+")
    ap.add_argument("--scipy", required=True)
    ap.add_argument("--before", nargs="*", default=[])
    a = ap.parse_args()
    rs = load(a.racesim)
    before = load(a.before) if a.before else {}
    scipy = json.load(open(a.scipy))["rows"]
    L = []
    L.append("| problem | rel_tol | integrate() | integrate(), audit all | run_scenario() | RHS | err C | err t* | "
             "SciPy's best ≤ racesim's error | ratio (integrate / audit all / run_scenario) | "
             "SciPy's best ≤ max(racesim's error, rel_tol) | ratio (integrate / audit all / run_scenario) |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for i, name in enumerate(PROBLEMS):
        for tol in (6, 10):
            key = f"problem:{i}/tol_exp:{tol}"
            ig, na, rn = rs[f"BM_Integrate/{key}"], rs.get(f"BM_IntegrateAuditAll/{key}"), rs[f"BM_RunScenario/{key}"]
            c = ig["counters"]
            err = max(c["err_C"], c["err_t"])
            cols = []
            for bound in (err, max(err, 10.0 ** -tol)):
                b, tag = best(scipy, name, bound)
                rat = [b["time_s"] / statistics.median(x["cpu"]) for x in (ig, na, rn) if x]
                cols += [desc(b, tag), " / ".join(f"{x:.0f}×" for x in rat)]
            L.append(f"| {name} | 1e-{tol} | {cell(ig)} | {cell(na) if na else '–'} | {cell(rn)} | {c['rhs']:.0f} | "
                     f"{c['err_C']:.1e} | {c['err_t']:.1e} | " + " | ".join(cols) + " |")
    if before:
        # Before and after, each against SciPy's fastest under the conservative rule for its own error.
        L.append("")
        L.append("| problem | rel_tol | before: integrate() | RHS | err C | err t* | ratio | after: integrate() | RHS | "
                 "err C | err t* | ratio | speed-up |")
        L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for i, name in enumerate(PROBLEMS):
            for tol in (6, 10):
                key = f"BM_Integrate/problem:{i}/tol_exp:{tol}"
                cells = []
                for run in (before[key], rs[key]):
                    c = run["counters"]
                    peer, _ = best(scipy, name, max(c["err_C"], c["err_t"], 10.0 ** -tol))
                    cells.append(f"{cell(run)} | {c['rhs']:.0f} | {c['err_C']:.1e} | {c['err_t']:.1e} | "
                                 f"{peer['time_s'] / statistics.median(run['cpu']):.0f}×")
                sp = statistics.median(before[key]["cpu"]) / statistics.median(rs[key]["cpu"])
                L.append(f"| {name} | 1e-{tol} | {cells[0]} | {cells[1]} | {sp:.1f}× |")
    # SciPy per method at rel_tol 1e-10 under the conservative rule.
    L.append("")
    L.append("| problem | method | without breakpoints | with breakpoints (segment by segment) |")
    L.append("|---|---|---|---|")
    for i, name in enumerate(PROBLEMS):
        c = rs[f"BM_Integrate/problem:{i}/tol_exp:10"]["counters"]
        bound = max(c["err_C"], c["err_t"], 1e-10)
        for meth in ("RK45", "DOP853", "LSODA"):
            cells = []
            for bp in (False, True):
                rows = [r for r in scipy if r["problem"] == name and r["method"] == meth and r["breakpoints"] == bp
                        and r["ok"]]
                good = [r for r in rows if r["err"] <= bound]
                if good:
                    b = min(good, key=lambda r: r["time_s"])
                    cells.append(f"{fmt_t(b['time_s'])} ({b['form']}, tol {b['tol']:g}, err {b['err']:.1e})")
                elif rows:
                    b = min(rows, key=lambda r: r["err"])
                    cells.append(f"never: best err {b['err']:.1e} ({b['form']}, tol {b['tol']:g})")
                else:
                    cells.append("failed at every tolerance")
            L.append(f"| {name} | {meth} | {cells[0]} | {cells[1]} |")
    print("\n".join(L))


if __name__ == "__main__":
    main()
