#!/usr/bin/python3
"""Label placement of tools/plot: in every figure it draws for the results directories given, the
placed labels (targets, crossings, medians) do not overlap each other, the legend or the markers,
and lie inside their axes, measured with matplotlib's renderer. Also checks that the case is a
hard one: with the labels put at their first choice (no placement), Table 2's do overlap.

Usage: plot_labels.py TOOLS_PLOT TABLE2_RESULTS [RESULTS[|OPTION|...] ...]   (run by cli.plot-labels)
A RESULTS argument may carry tools/plot options after '|' (RESULTS|--scenarios|ai|moore).
"""

import importlib.machinery
import importlib.util
import itertools
import sys

import matplotlib.text


def load(path):
    loader = importlib.machinery.SourceFileLoader("racesim_plot", path)
    spec = importlib.util.spec_from_loader("racesim_plot", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def boxes(fig, gid):
    """[(axes, [(text, bbox)])] of the texts with `gid`, after a full draw."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    out = []
    for ax in fig.axes:
        texts = [t for t in ax.texts if t.get_gid() == gid]
        out.append((ax, [(t.get_text(), matplotlib.text.Text.get_window_extent(t, r)) for t in texts]))
    return out, r


def overlaps(a, b):
    # Strict: boxes that only touch do not overlap.
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def check(fig, name, gid, problems):
    per_axes, r = boxes(fig, gid)
    n = 0
    for ax, labels in per_axes:
        n += len(labels)
        axbb = ax.get_window_extent(r)
        for (ta, a), (tb, b) in itertools.combinations(labels, 2):
            if overlaps(a, b):
                problems.append(f"{name}: labels '{ta}' and '{tb}' overlap ({a.bounds} / {b.bounds})")
        legend = ax.get_legend()
        for t, b in labels:
            if not (axbb.x0 - 0.5 <= b.x0 and b.x1 <= axbb.x1 + 0.5 and axbb.y0 - 0.5 <= b.y0 and b.y1 <= axbb.y1 + 0.5):
                problems.append(f"{name}: label '{t}' sticks out of its axes")
            if legend is not None and overlaps(b, legend.get_window_extent(r)):
                problems.append(f"{name}: label '{t}' overlaps the legend")
            for line in ax.get_lines():
                xy = line.get_xydata()
                if line.get_marker() in (None, "None", "", " ") or len(xy) != 1:
                    continue
                x, y = line.get_transform().transform(xy)[0]
                if b.x0 < x < b.x1 and b.y0 < y < b.y1:
                    problems.append(f"{name}: label '{t}' covers a marker at ({x:.0f}, {y:.0f}) px")
    return n


def main(argv):
    plot = load(argv[1])
    table2 = argv[2]
    problems = []
    # Every figure of every results directory, taken before it is saved.
    for arg in argv[2:]:
        res, *options = arg.split("|")
        figs = []
        plot.save = lambda fig, out, name, written: figs.append((name, fig))
        plot.main([res, "--out", "/nonexistent-not-written", *options])
        if not figs:
            problems.append(f"{res}: no figure drawn")
        for name, fig in figs:
            n = check(fig, f"{res}: {name}", plot.LABEL_GID, problems)
            print(f"{res}: {name}: {n} labels")
    # Table 2 in detail: every label present (none dropped), at the expected texts.
    summary = plot.load_summary(table2)
    args = plot.parse_args([table2])
    scen = plot.select_scenarios(table2, summary, args)
    fig = plot.trajectories_figure(table2, summary, args, scen)
    texts = sorted(t.get_text() for t in fig.axes[0].texts if t.get_gid() == plot.LABEL_GID)
    want = sorted(["L = 0.68", "0 yr", "5.32 yr", "5.74 yr", "20.1 yr", "→ 3,085 yr"])
    if texts != want:
        problems.append(f"Table 2 labels {texts}, expected {want}")
    # The same figure with every label at its first choice: the test's case is a hard one.
    naive = plot.trajectories_figure(table2, summary, args, scen, place=False)
    before = len(problems)
    check(naive, "Table 2 without placement", plot.LABEL_GID, problems)
    if len(problems) == before:
        problems.append("Table 2 without placement has no overlapping labels: the test would not catch a "
                        "placement that does nothing")
    else:
        print(f"without placement: {len(problems) - before} problem(s), as expected")
        del problems[before:]
    for p in problems:
        print("FAIL:", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
