#!/usr/bin/python3
"""The trajectory tables of docs/performance.md from one run's raw results: bench_trajectory's
Google Benchmark JSON (one or more files, repetitions pooled; optionally a second build's, e.g.
the commit before a change, as "before") and scipy_trajectory.py's JSON.

For each problem and rel_tol: racesim's integrate() (with its jump audit, as `racesim run`
does), integrate() with check_jumps off (BM_IntegrateNoAudit: the integration alone) and
run_scenario(); RHS evaluations, err C, err t*; and SciPy's fastest configuration under two
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
    L.append("| problem | rel_tol | integrate() | integrate(), no audit | run_scenario() | RHS | err C | err t* | "
             "SciPy's best ≤ racesim's error | ratio (integrate / no audit / run_scenario) | "
             "SciPy's best ≤ max(racesim's error, rel_tol) | ratio (integrate / no audit / run_scenario) |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for i, name in enumerate(PROBLEMS):
        for tol in (6, 10):
            key = f"problem:{i}/tol_exp:{tol}"
            ig, na, rn = rs[f"BM_Integrate/{key}"], rs.get(f"BM_IntegrateNoAudit/{key}"), rs[f"BM_RunScenario/{key}"]
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
        L.append("")
        L.append("| problem | rel_tol | before: integrate() | RHS | err C | err t* | after: integrate() | RHS | "
                 "err C | err t* | speed-up |")
        L.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for i, name in enumerate(PROBLEMS):
            for tol in (6, 10):
                key = f"BM_Integrate/problem:{i}/tol_exp:{tol}"
                b, n = before[key], rs[key]
                cb, cn = b["counters"], n["counters"]
                L.append(f"| {name} | 1e-{tol} | {cell(b)} | {cb['rhs']:.0f} | {cb['err_C']:.1e} | {cb['err_t']:.1e} | "
                         f"{cell(n)} | {cn['rhs']:.0f} | {cn['err_C']:.1e} | {cn['err_t']:.1e} | "
                         f"{statistics.median(b['cpu']) / statistics.median(n['cpu']):.1f}× |")
    print("\n".join(L))


if __name__ == "__main__":
    main()
