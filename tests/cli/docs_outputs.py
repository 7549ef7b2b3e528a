#!/usr/bin/python3
"""cli.docs-outputs-current: the outputs pasted into the docs are what racesim prints today.

1. Every fenced block that follows a line `<!-- output-checked -->` in README.md or docs/*.md
   is a console session: each `$ <command>` in it is run again (racesim's path replaced by the
   binary under test, `--out DIR` by a fresh directory, from a directory where `configs/` is
   the repository's), and every line the block shows for it must be a line of the command's
   output today (stdout and stderr), except `racesim: info:` lines, which name the output
   directory, and `...` (an elision); the built plugins' directory may differ (it is an
   absolute path of the build that ran); `[exit N]` is the command's exit code. A command that
   reads a file the docs made under /tmp is not run again. A number that changed, a line that is gone, a renamed scenario: the test fails
   and names the file, the line and the command.
2. Every top-level key of the summary.json of every config in configs/ is described in
   docs/results.md's table of top-level fields, and its Table 2 excerpt says the right
   `scenario_count`.

    docs_outputs.py RACESIM SOURCE_DIR WORK_DIR
"""
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

racesim, source, work = (Path(a).resolve() for a in sys.argv[1:4])
work.mkdir(parents=True, exist_ok=True)
run_dir = work / "cwd"
run_dir.mkdir(exist_ok=True)
if not (run_dir / "configs").exists():
    (run_dir / "configs").symlink_to(source / "configs")
if not (run_dir / "tests").exists():
    (run_dir / "tests").symlink_to(source / "tests")
failures = []
checked_blocks = 0


def run(argv):
    p = subprocess.run(argv, cwd=run_dir, capture_output=True, text=True, timeout=120)
    return p.returncode, (p.stdout + p.stderr).splitlines()


def norm(line):
    """A line with the build's plugin directory (an absolute path that differs between
    checkouts and builds) written as <plugins>/."""
    return re.sub(r"[^\s\"']*/lib/racesim/plugins/", "<plugins>/", line)


def command_argv(cmd, n):
    argv = shlex.split(cmd)
    if argv[0] in ("build/bin/racesim", "racesim"):
        argv[0] = str(racesim)
    else:
        raise SystemExit(f"docs_outputs.py: a checked block runs '{argv[0]}': only racesim commands are checked")
    if "--out" in argv:
        i = argv.index("--out")
        argv[i + 1] = str(work / f"out-{n}")
    return argv


docs = [source / "README.md"] + sorted((source / "docs").glob("*.md"))
n = 0
for doc in docs:
    lines = doc.read_text().splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() != "<!-- output-checked -->":
            i += 1
            continue
        start = i + 1
        if start >= len(lines) or not lines[start].startswith("```"):
            failures.append(f"{doc.relative_to(source)}:{i + 1}: a marker not followed by a fenced block")
            i += 1
            continue
        end = start + 1
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        checked_blocks += 1
        # The block's commands and the lines each shows.
        cur = None
        sessions = []
        for k in range(start + 1, end):
            if lines[k].startswith("$ "):
                cur = (k + 1, lines[k][2:], [])
                sessions.append(cur)
            elif cur is not None:
                cur[2].append((k + 1, lines[k]))
        if not sessions:
            failures.append(f"{doc.relative_to(source)}:{start + 1}: a checked block without a '$ ' command")
        for line_no, cmd, shown in sessions:
            n += 1
            argv = command_argv(cmd, n)
            # A command that reads a file made outside the repository for the example (under
            # /tmp) cannot be run again here: its lines are left unchecked.
            if any(x.startswith("/tmp/") for j, x in enumerate(argv) if j == 0 or argv[j - 1] != "--out"):
                continue
            rc, out = run(argv)
            actual = {norm(l.rstrip()) for l in out}
            for k, text in shown:
                if text.startswith("racesim: info:") or text.strip() == "...":
                    continue
                if m := re.fullmatch(r"\[exit (\d+)\]", text.strip()):
                    if int(m.group(1)) != rc:
                        failures.append(f"{doc.relative_to(source)}:{k}: '{cmd}' exits {rc} today, not {m.group(1)}")
                    continue
                if norm(text.rstrip()) not in actual:
                    failures.append(f"{doc.relative_to(source)}:{k}: '{text}' is not in today's output of "
                                    f"'{cmd}' (line {line_no}); today:\n    " + "\n    ".join(out))
        i = end + 1

# 2. summary.json's top-level keys, all documented.
results_md = (source / "docs" / "results.md").read_text()
documented = set(re.findall(r"^\| `([a-z_]+)` \|", results_md.split("Per scenario:")[0], re.M))
configs = sorted((source / "configs").glob("*/*.yaml"))
seen = {}
for c in configs:
    n += 1
    out = work / f"summary-{n}"
    rc, text = run([str(racesim), "-q", "run", str(c), "--out", str(out), "--force", "--no-trajectories"])
    if rc != 0:
        failures.append(f"{c.relative_to(source)}: racesim run exited {rc}:\n    " + "\n    ".join(text))
        continue
    s = json.loads((out / "summary.json").read_text())
    for key in s:
        seen.setdefault(key, c.relative_to(source))
    if c.name == "table2.yaml":
        m = re.search(r'"scenario_count": (\d+),', results_md)
        if not m or int(m.group(1)) != s["scenario_count"]:
            failures.append(f"docs/results.md: the Table 2 excerpt says scenario_count "
                            f"{m.group(1) if m else '(none)'}, a run says {s['scenario_count']}")
for key, where in sorted(seen.items()):
    if key not in documented:
        failures.append(f"docs/results.md: summary.json's top-level key '{key}' (from {where}) is not in the "
                        "table of top-level fields")

if checked_blocks == 0:
    failures.append("no block is marked <!-- output-checked -->: the check checks nothing")
for f in failures:
    print("docs-outputs:", f)
print(f"docs-outputs: {checked_blocks} checked block(s), {len(configs)} configs' summary.json keys; "
      f"{len(failures)} problem(s)")
sys.exit(1 if failures else 0)
