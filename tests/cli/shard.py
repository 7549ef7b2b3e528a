#!/usr/bin/python3
"""cli.shard-*: a run cut into shards (`racesim run CONFIG --shard K/N --out SHARD_DIR`) and put
back together (`racesim merge --out DIR SHARD_DIR...`) writes the results directory that the run
in one process writes, and merge refuses any set of shards that is not exactly one run.

    shard.py RACESIM SOURCE_DIR WORK_DIR CASE

runs one CASE (each a CTest test cli.shard-CASE, registered in tests/cli/CMakeLists.txt) in
WORK_DIR, which it empties first. The configs are in tests/cli/fixtures/shard/ (README.md there).

  compare-can-fail   the comparison below detects a changed byte, a changed number in
                     summary.json outside its timing section, an extra or a missing file (the
                     hidden marker too) and a changed stdout line, and ignores only the timing
                     numbers; and every CASE here is registered in CMakeLists.txt
  sweep-ode, sweep-ode-no-trajectories, mc-ode, mc-closed, solve-sens, grid-closed, analyses
                     the fixture run in one process, and in 3 shards merged: the same directory
                     and the same stdout (each shard's manifest.json is checked too)
  conditioning       configs/examples/declining-efficiency.yaml the same way, and merge prints
                     the two warnings of ill-conditioned target times that run prints (every
                     case above checks that merge warns as run does)
  slurm              --shard slurm, K and N from SLURM_ARRAY_TASK_ID/_MIN/_COUNT (MIN 0, 1 and 7)
  empty-shards       more shards than work units (two.yaml in 5 shards): empty shards merge
  refusals           merge refuses a missing, duplicated, overlapping, foreign (config,
                     version, plugin, trajectories) or corrupt (journal flipped, truncated,
                     extended, gone; manifest edited, broken, gone) shard: exit 1, the shard
                     directory and what is wrong on stderr, no results directory
  bad-shard-args     --shard 0/3, 4/3, a/b, '', ... and --shard slurm without (or with bad)
                     SLURM variables: exit BAD_SHARD_ARG (2, usage), a message, nothing written
  existing-dir       a shard into an existing directory is refused without --force (as run),
                     replaced with it; merge --out likewise
  relative-config    a config given by a relative path; merge from another directory either
                     writes the same results or refuses, naming the config

"Identical" is byte for byte, every file (hidden ones too), except the values inside
summary.json's top-level "timing" object (wall-clock seconds: "wall_seconds" and
"scenario_wall_seconds"), the only thing that differs between two runs of the same config
(cli.deterministic-outputs); its keys must still match. stdout must be identical, line for
line (racesim prints no timing on stdout). A difference names the file, the first differing
line (number and both texts) and the byte offset.

SHARD_TEST_VERBOSE=1 prints every command and its output even when all checks pass.
tests/mpi/mpi_run.py imports this file for its comparison.
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

# What legitimately differs between two runs of one config: the values (not the keys) under these
# paths of summary.json. Found by running every fixture twice and diffing (only these differed).
SUMMARY_IGNORED_PATHS = [("timing",)]
# Lines of stdout that may differ between a run and a merge (timing): none at present.
STDOUT_IGNORED_LINES = []
# Exit status of `racesim merge` refusing shards (the contract: 1).
REFUSED = 1
# Exit status of `racesim run` refusing a --shard value (0/3, a/b, slurm without its variables):
# a command-line usage error, like every other bad option value (docs/cli.md).
BAD_SHARD_ARG = 2  # a command-line usage error (docs/cli.md: exit 2)
HIDDEN_SIBLING = re.compile(r"^\..*\.(tmp|old|lock)-")


# ---------------------------------------------------------------------------------------------
# Comparison of results directories (also used by tests/mpi/mpi_run.py)

def _short(s, n=300):
    r = repr(s)
    return r if len(r) <= n else r[:n] + "...'"


def mask_json(text, ignored_paths=SUMMARY_IGNORED_PATHS):
    """text with every scalar value under one of ignored_paths (tuples of keys; list indices
    count as '*') replaced by '<ignored>', and nothing else changed (not even whitespace).
    Raises ValueError on text that is not JSON."""
    out = []
    i = 0
    n = len(text)
    ignored = [tuple(p) for p in ignored_paths]

    def under(path):
        return any(path[:len(p)] == p for p in ignored)

    def ws():
        nonlocal i
        j = i
        while i < n and text[i] in " \t\r\n":
            i += 1
        out.append(text[j:i])

    def string():
        nonlocal i
        if i >= n or text[i] != '"':
            raise ValueError(f"expected a string at offset {i}")
        j = i
        i += 1
        while i < n and text[i] != '"':
            i += 2 if text[i] == "\\" else 1
        if i >= n:
            raise ValueError(f"unterminated string at offset {j}")
        i += 1
        return text[j:i]

    def value(path):
        nonlocal i
        ws()
        if i >= n:
            raise ValueError("unexpected end of JSON")
        c = text[i]
        if c == "{":
            out.append(c)
            i += 1
            ws()
            if i < n and text[i] == "}":
                out.append("}")
                i += 1
                return
            while True:
                ws()
                key = string()
                out.append(key)
                ws()
                if i >= n or text[i] != ":":
                    raise ValueError(f"expected ':' at offset {i}")
                out.append(":")
                i += 1
                value(path + (json.loads(key),))
                ws()
                if i < n and text[i] == ",":
                    out.append(",")
                    i += 1
                    continue
                if i < n and text[i] == "}":
                    out.append("}")
                    i += 1
                    return
                raise ValueError(f"expected ',' or '}}' at offset {i}")
        if c == "[":
            out.append(c)
            i += 1
            ws()
            if i < n and text[i] == "]":
                out.append("]")
                i += 1
                return
            while True:
                value(path + ("*",))
                ws()
                if i < n and text[i] == ",":
                    out.append(",")
                    i += 1
                    continue
                if i < n and text[i] == "]":
                    out.append("]")
                    i += 1
                    return
                raise ValueError(f"expected ',' or ']' at offset {i}")
        j = i
        if c == '"':
            string()
        else:
            m = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null").match(text, i)
            if not m:
                raise ValueError(f"unexpected {_short(text[i:i + 20])} at offset {i}")
            i = m.end()
        out.append("<ignored>" if under(path) and path else text[j:i])

    value(())
    ws()
    if i != n:
        raise ValueError(f"trailing data at offset {i}")
    return "".join(out)


def first_difference(a, b, what):
    """A description of where bytes a and b first differ (None if they are equal)."""
    if a == b:
        return None
    offset = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
    la = a.split(b"\n")
    lb = b.split(b"\n")
    line = next((k for k in range(min(len(la), len(lb))) if la[k] != lb[k]), min(len(la), len(lb)))
    ta = la[line].decode("utf-8", "replace") if line < len(la) else "<end of file>"
    tb = lb[line].decode("utf-8", "replace") if line < len(lb) else "<end of file>"
    return (f"{what}: first difference at byte {offset} (sizes {len(a)} and {len(b)} bytes), line {line + 1}:\n"
            f"      expected: {_short(ta)}\n      got:      {_short(tb)}")


def listing(root):
    """Every entry under root (hidden ones too), relative, with its kind."""
    root = Path(root)
    entries = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = str(p.relative_to(root))
            entries[rel] = "symlink" if p.is_symlink() else "dir" if p.is_dir() else "file"
    return entries


def compare_dirs(expected, got, summary_ignored=SUMMARY_IGNORED_PATHS):
    """The differences between two results directories (an empty list when identical, timing
    aside): missing and extra entries, and for each differing file where it first differs."""
    expected, got = Path(expected), Path(got)
    if not got.is_dir():
        return [f"{got} is not a directory"]
    le, lg = listing(expected), listing(got)
    diffs = []
    for rel in sorted(set(le) - set(lg)):
        diffs.append(f"{got}: missing {rel} (it is in {expected})")
    for rel in sorted(set(lg) - set(le)):
        diffs.append(f"{got}: extra {rel} (not in {expected})")
    for rel in sorted(set(le) & set(lg)):
        if le[rel] != lg[rel]:
            diffs.append(f"{rel}: a {le[rel]} in {expected}, a {lg[rel]} in {got}")
            continue
        if le[rel] != "file":
            continue
        a = (expected / rel).read_bytes()
        b = (got / rel).read_bytes()
        if rel == "summary.json":
            try:
                a = mask_json(a.decode()).encode()
                b = mask_json(b.decode()).encode()
            except (ValueError, UnicodeDecodeError) as e:
                diffs.append(f"summary.json: not JSON ({e})")
                continue
            d = first_difference(a, b, f"{rel} (timing values masked)")
        else:
            d = first_difference(a, b, rel)
        if d:
            diffs.append(f"{got}/{d}")
    return diffs


def compare_stdout(expected, got, what="stdout"):
    """None when the two outputs are the same, lines matching STDOUT_IGNORED_LINES aside."""
    def keep(text):
        return "\n".join(l for l in text.split("\n") if not any(r.search(l) for r in STDOUT_IGNORED_LINES))
    return first_difference(keep(expected).encode(), keep(got).encode(), what)


def warnings_of(stderr, program="racesim"):
    """The warnings a run printed (`PROGRAM: warning: ...`), without the program's name."""
    prefix = f"{program}: warning: "
    return [line[len(prefix):] for line in stderr.splitlines() if line.startswith(prefix)]


def hidden_siblings(parent):
    """Temporary, set-aside and lock entries (".<leaf>.tmp-*", ".old-*", ".lock-*") in parent."""
    return sorted(p.name for p in Path(parent).iterdir() if HIDDEN_SIBLING.match(p.name))


# ---------------------------------------------------------------------------------------------
# Test harness

class Harness:
    name = "cli.shard"  # the CTest tests are <name>-<case>

    def __init__(self, racesim, source, work):
        self.racesim = str(racesim)
        self.source = Path(source)
        self.work = Path(work)
        self.fixtures = self.source / "tests" / "cli" / "fixtures" / "shard"
        self.failures = []
        self.log = []
        self.checks = 0
        # No SLURM variables unless a test sets them.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SLURM_")}

    def fixture(self, name):
        return str(self.fixtures / f"{name}.yaml")

    def check(self, ok, what):
        self.checks += 1
        if not ok:
            self.failures.append(what)
        return ok

    def cmd(self, args, env=None, cwd=None, timeout=240, exe=None):
        """Runs racesim (or exe) with args in WORK; returns (rc, stdout, stderr)."""
        argv = [exe or self.racesim] + [str(a) for a in args]
        e = dict(self.env)
        if env:
            e.update(env)
        try:
            p = subprocess.run(argv, cwd=cwd or self.work, env=e, capture_output=True, text=True, timeout=timeout)
            rc, out, err = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as t:
            rc, out, err = "timeout", (t.stdout or b"").decode() if isinstance(t.stdout, bytes) else (t.stdout or ""), \
                f"(killed after {timeout} s)"
        envs = " ".join(f"{k}={v}" for k, v in (env or {}).items())
        self.log.append(f"$ {envs + ' ' if envs else ''}{' '.join(argv)}   (in {cwd or self.work})\n"
                        f"[exit {rc}]\n--- stdout ---\n{_tail(out)}--- stderr ---\n{_tail(err)}")
        return rc, out, err

    def run_ok(self, args, what, env=None):
        rc, out, err = self.cmd(args, env=env)
        self.check(rc == 0, f"{what}: exit {rc}, expected 0; stderr: {_short(err.strip(), 600)}")
        return rc, out, err

    def expect_same(self, expected_dir, got_dir, what):
        diffs = compare_dirs(expected_dir, got_dir)
        self.check(not diffs, f"{what}: {got_dir} differs from {expected_dir}:\n    " + "\n    ".join(diffs[:12])
                   + (f"\n    ... and {len(diffs) - 12} more" if len(diffs) > 12 else ""))

    def expect_no_hidden(self, parent, what):
        left = hidden_siblings(parent)
        self.check(not left, f"{what}: temporary entries left in {parent}: {left}")

    def finish(self, case):
        if self.failures:
            print("\n\n".join(self.log))
            print(f"\n=== {self.name}-{case}: {len(self.failures)} of {self.checks} checks FAILED:")
            for f in self.failures:
                print("  - " + f)
            return 1
        if os.environ.get("SHARD_TEST_VERBOSE"):
            print("\n\n".join(self.log))
        print(f"{self.name}-{case}: {self.checks} checks passed ({len(self.log)} commands)")
        return 0


def _tail(s, n=4000):
    s = s or ""
    if len(s) > n:
        s = f"[... {len(s) - n} characters ...]\n" + s[-n:]
    return s if s.endswith("\n") or not s else s + "\n"


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def read_manifest(d):
    return json.loads((Path(d) / "manifest.json").read_text())


def check_manifest(h, d, k, n, config, trajectories, summary):
    """The manifest of shard directory d (the issue's keys); returns it, or None."""
    what = f"{d}/manifest.json"
    try:
        m = read_manifest(d)
    except (OSError, ValueError) as e:
        h.check(False, f"{what}: unreadable: {e}")
        return None
    expect = {
        "format": "racesim-shard", "format_version": 2, "config": config,
        "shard": {"k": k, "n": n}, "trajectories": trajectories,
        "racesim_version": summary.get("racesim_version"),
    }
    for key, value in expect.items():
        h.check(m.get(key) == value, f"{what}: {key} is {m.get(key)!r}, expected {value!r}")
    h.check(isinstance(m.get("config_sha256"), str) and re.fullmatch(r"[0-9a-f]{64}", m["config_sha256"] or ""),
            f"{what}: config_sha256 is {m.get('config_sha256')!r}, expected 64 hex digits")
    u = m.get("units", {})
    h.check(all(isinstance(u.get(x), int) for x in ("first", "last", "total"))
            and 0 <= u["first"] <= u["last"] <= u["total"], f"{what}: units {u!r}: expected 0 <= first <= last <= total")
    # The same plugin libraries as the one-process run lists in its summary.json.
    h.check(m.get("plugins") == summary.get("plugins"),
            f"{what}: plugins {_short(m.get('plugins'), 400)} differ from summary.json's {_short(summary.get('plugins'), 400)}")
    j = m.get("journal", {})
    jf = Path(d) / str(j.get("file", "journal.bin"))
    if h.check(jf.is_file(), f"{what}: journal file {jf} is missing"):
        h.check(j.get("bytes") == jf.stat().st_size, f"{what}: journal.bytes {j.get('bytes')!r}, the file has {jf.stat().st_size}")
        h.check(j.get("sha256") == sha256(jf), f"{what}: journal.sha256 {j.get('sha256')!r} is not the file's {sha256(jf)}")
    ws = m.get("wall_seconds")
    h.check(isinstance(ws, (int, float)) and not isinstance(ws, bool) and ws >= 0, f"{what}: wall_seconds {ws!r}")
    return m


def check_units(h, manifests, what):
    """The shards' unit ranges: contiguous, balanced, covering [0, total) in order of k."""
    ms = [m for m in manifests if m and isinstance(m.get("units"), dict)]
    if len(ms) != len(manifests):
        return None
    ranges = [(m["units"].get("first"), m["units"].get("last")) for m in ms]
    totals = {m["units"].get("total") for m in ms}
    if not h.check(len(totals) == 1, f"{what}: the shards disagree on units.total: {sorted(map(str, totals))}"):
        return None
    total = totals.pop()
    ok = ranges[0][0] == 0 and ranges[-1][1] == total and all(ranges[i][1] == ranges[i + 1][0] for i in range(len(ranges) - 1))
    h.check(ok, f"{what}: unit ranges {ranges} do not cover [0, {total}) contiguously in order of k")
    sizes = [b - a for a, b in ranges if isinstance(a, int) and isinstance(b, int)]
    h.check(sizes and max(sizes) - min(sizes) <= 1, f"{what}: unit ranges {ranges} are not balanced (sizes {sizes})")
    return total


def shards_and_merge(h, config, stem, n=3, flags=(), order=None, env_for=None, shard_arg=None, want_warnings=None):
    """The one-process run of config (into stem-full) against n shards (stem-K) merged
    (stem-merged): the same directory, stdout and warnings (want_warnings of them, when given).
    Returns (full dir, shard dirs)."""
    full = h.work / f"{stem}-full"
    rc, run_out, run_err = h.run_ok(["run", config, "--out", full.name, *flags], f"{stem}: run")
    if rc != 0:
        return full, []
    run_warnings = warnings_of(run_err)
    if want_warnings is not None:
        h.check(len(run_warnings) == want_warnings,
                f"{stem}: run printed {len(run_warnings)} warnings, expected {want_warnings}: {run_warnings}")
    summary = json.loads((full / "summary.json").read_text())
    dirs, manifests = [], []
    for k in range(1, n + 1):
        d = h.work / f"{stem}-{k}"
        env = env_for(k) if env_for else None
        arg = shard_arg(k) if shard_arg else f"{k}/{n}"
        rc, _, _ = h.run_ok(["run", config, "--shard", arg, "--out", d.name, "--jobs", str(1 + k % 2), *flags],
                            f"{stem}: shard {k}/{n}", env=env)
        if rc != 0:
            return full, []
        dirs.append(d)
        manifests.append(check_manifest(h, d, k, n, config, "--no-trajectories" not in flags, summary))
    check_units(h, manifests, stem)
    before = {d: (sha256(d / "manifest.json"), sha256(d / "journal.bin")) for d in dirs if (d / "journal.bin").is_file()}
    merged = h.work / f"{stem}-merged"
    listed = [dirs[i] for i in order] if order else dirs
    rc, merge_out, merge_err = h.run_ok(["merge", "--out", merged.name, *[d.name for d in listed]],
                                        f"{stem}: merge {' '.join(d.name for d in listed)}")
    if rc == 0:
        h.expect_same(full, merged, f"{stem}: merged shards")
        d = compare_stdout(run_out, merge_out, f"{stem}: stdout of merge against stdout of run")
        h.check(d is None, str(d))
        merge_warnings = warnings_of(merge_err)
        h.check(merge_warnings == run_warnings, f"{stem}: merge warned {merge_warnings}, run {run_warnings}")
    for d, sums in before.items():
        h.check((sha256(d / "manifest.json"), sha256(d / "journal.bin")) == sums, f"{stem}: merge changed shard {d}")
    h.expect_no_hidden(h.work, stem)
    return full, dirs


# ---------------------------------------------------------------------------------------------
# Cases

def case_compare_can_fail(h):
    """The comparison detects what it must, and ignores only summary.json's timing values."""
    rc, out, _ = h.run_ok(["run", h.fixture("two"), "--out", "a"], "run two.yaml")
    if rc != 0:
        return
    a = h.work / "a"
    h.check(compare_dirs(a, a) == [], "a directory differs from itself")

    def variant(name, change):
        b = h.work / name
        shutil.copytree(a, b)
        change(b)
        return compare_dirs(a, b)

    def flip(path, offset):
        data = bytearray(path.read_bytes())
        data[offset] ^= 0x01
        path.write_bytes(bytes(data))

    csv = a / "one.csv"
    lines = csv.read_bytes().split(b"\n")
    off = len(lines[0]) + 1 + len(lines[1]) + 3  # on line 3
    d = variant("flipped", lambda b: flip(b / "one.csv", off))
    h.check(len(d) == 1 and "one.csv" in d[0] and "line 3" in d[0] and f"byte {off}" in d[0],
            f"a flipped byte in one.csv: got {d}")
    # A number outside the timing section.
    s = (a / "summary.json").read_text()
    m = re.search(r'"horizon": (\d+)', s)
    d = variant("summary-number", lambda b: (b / "summary.json").write_text(s[:m.start(1)] + "21" + s[m.end(1):]))
    h.check(len(d) == 1 and "summary.json" in d[0], f"a changed horizon in summary.json: got {d}")
    # The timing numbers only: ignored; a timing key renamed: not.
    t = s.index('"timing"')
    timing_changed = s[:t] + re.sub(r"\d\.\d+(e-\d+)?", "9.25", s[t:])
    h.check(timing_changed != s, "self-test: no timing number to change")
    d = variant("timing", lambda b: (b / "summary.json").write_text(timing_changed))
    h.check(d == [], f"changed timing values must be ignored: got {d}")
    d = variant("timing-key", lambda b: (b / "summary.json").write_text(s[:t] + s[t:].replace('"one"', '"uno"', 1)))
    h.check(len(d) == 1 and "summary.json" in d[0], f"a renamed key in the timing section: got {d}")
    d = variant("whitespace", lambda b: (b / "summary.json").write_text(s.replace("\n", "\n ", 1)))
    h.check(len(d) == 1, f"changed whitespace in summary.json: got {d}")
    d = variant("extra", lambda b: (b / "extra.csv").write_text("x\n"))
    h.check(len(d) == 1 and "extra extra.csv" in d[0], f"an extra file: got {d}")
    d = variant("no-marker", lambda b: (b / ".racesim-results").unlink())
    h.check(len(d) == 1 and "missing .racesim-results" in d[0], f"a missing hidden file: got {d}")
    d = variant("truncated", lambda b: (b / "two.csv").write_bytes((a / "two.csv").read_bytes()[:-1]))
    h.check(len(d) == 1 and "two.csv" in d[0], f"a truncated file: got {d}")
    h.check(compare_stdout(out, out) is None, "stdout differs from itself")
    changed = out.replace("0.68", "0.69", 1)
    d = compare_stdout(out, changed)
    h.check(changed != out and d is not None and "line 3" in d, f"a changed stdout line: got {d}")
    h.check(mask_json('{"a": 1, "timing": {"x": 2.5, "y": {"z": [1, null]}}}')
            == '{"a": 1, "timing": {"x": <ignored>, "y": {"z": [<ignored>, <ignored>]}}}', "mask_json")
    for broken in ['{"a": 1', '{"a" 1}', '[1, 2', "{}x"]:
        try:
            mask_json(broken)
            h.check(False, f"mask_json accepted {broken!r}")
        except ValueError:
            pass
    # Every case is registered as a CTest test.
    cm = (h.source / "tests" / "cli" / "CMakeLists.txt").read_text()
    m = re.search(r"set\(racesim_shard_cases([^)]*)\)", cm)
    registered = set(m.group(1).split()) if m else set()
    h.check(registered == set(CASES), f"tests/cli/CMakeLists.txt registers {sorted(registered)}, shard.py has {sorted(CASES)}")


def fixture_case(name, flags=(), order=None):
    def case(h):
        shards_and_merge(h, h.fixture(name), name, flags=flags, order=order)
    return case


def case_slurm(h):
    """--shard slurm: K = SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN + 1, N = SLURM_ARRAY_TASK_COUNT."""
    for config, stem, lo in (("sweep-ode", "min0", 0), ("mc-closed", "min1", 1), ("solve-sens", "min7", 7)):
        shards_and_merge(h, h.fixture(config), stem, n=3, shard_arg=lambda k: "slurm",
                         env_for=lambda k, lo=lo: {"SLURM_ARRAY_TASK_ID": str(lo + k - 1),
                                                   "SLURM_ARRAY_TASK_MIN": str(lo),
                                                   "SLURM_ARRAY_TASK_COUNT": "3"})


def case_empty_shards(h):
    """More shards than work units: the empty shards are written and merge with the others."""
    full, dirs = shards_and_merge(h, h.fixture("two"), "two", n=5)
    ms = [read_manifest(d) for d in dirs if (d / "manifest.json").is_file()]
    empty = [m["shard"]["k"] for m in ms if m.get("units", {}).get("first") == m.get("units", {}).get("last")]
    total = ms[0]["units"]["total"] if ms else None
    h.check(bool(empty) or (total or 0) >= 5, f"two.yaml: no empty shard among 5 (units.total {total})")
    if total and total >= 5:
        shards_and_merge(h, h.fixture("two"), "two-more", n=total + 2)


def refused(h, args, what, names, message, rc_expected=REFUSED, env=None):
    """racesim args must exit rc_expected, name one of names (paths, as given or absolute) on stderr
    with a message matching the regex message, and create neither the --out directory nor hidden
    siblings of it."""
    out = args[args.index("--out") + 1] if "--out" in args else None
    if out:
        h.check(not (h.work / out).exists(), f"self-test: {out} exists before {what}")
    rc, _, err = h.cmd(args, env=env)
    h.check(rc == rc_expected, f"{what}: exit {rc}, expected {rc_expected}; stderr: {_short(err.strip(), 600)}")
    if names:
        spelled = [str(x) for n in names for x in (n, h.work / n, (h.work / n).resolve())]
        h.check(any(s in err for s in spelled), f"{what}: stderr does not name {' or '.join(map(str, names))}: {_short(err.strip(), 600)}")
    h.check(re.search(message, err, re.I) is not None, f"{what}: stderr does not say /{message}/: {_short(err.strip(), 600)}")
    if out:
        h.check(not (h.work / out).exists(), f"{what}: {out} was created")
    h.expect_no_hidden(h.work, what)


def case_refusals(h):
    """merge refuses any set of shards that is not exactly one run of one config."""
    # The config is a copy, so that a foreign shard can be made under the same path.
    cfg_dir = h.work / "cfg"
    cfg_dir.mkdir()
    cfg = cfg_dir / "sweep.yaml"
    original = Path(h.fixture("sweep-ode")).read_text()
    cfg.write_text(original)
    full, dirs = shards_and_merge(h, str(cfg), "s", n=3)
    if len(dirs) != 3:
        return
    s1, s2, s3 = (d.name for d in dirs)
    m2 = read_manifest(dirs[1])
    lo = m2["units"]["first"]

    def copy(name, src="s-2"):
        shutil.copytree(h.work / src, h.work / name)
        return name

    merges = iter(range(1, 1000))

    def merge(*names):  # each into a directory of its own, so that a refusal that fails does not hide the next
        return ["merge", "--out", f"merged-{next(merges)}", *names]

    # Missing: 2 of 3; and only one.
    # ... saying which units are missing (those of shard 2, from unit lo).
    refused(h, merge(s1, s3), "shard 2/3 missing", None,
            rf"\b{lo}\b.*(missing|no shard|not covered|gap)|(missing|no shard|not covered|gap).*\b{lo}\b")
    refused(h, merge(s2), "shards 1/3 and 3/3 missing", None, r"missing|not covered|cover|gap")
    # Duplicated: the same directory twice, a copy of it, an overlapping shard of another N.
    refused(h, merge(s1, s1, s2, s3), "shard 1/3 given twice", [s1], r"duplicat|twice|more than once|again|overlap|same")
    copy("s-1-copy", "s-1")
    refused(h, merge(s1, "s-1-copy", s2, s3), "shard 1/3 and its copy", [s1, "s-1-copy"],
            r"duplicat|twice|more than once|again|overlap|same")
    h.run_ok(["run", str(cfg), "--shard", "1/2", "--out", "half-1"], "shard 1/2")
    refused(h, merge("half-1", s2, s3), "shard 1/2 overlapping 2/3", ["half-1", s2],
            r"overlap|duplicat|twice|more than once|\bn\b|of 2|/2")
    # Foreign: the same config path with other contents; another config; another version,
    # plugin set or trajectories setting.
    cfg.write_text(original.replace("duty: 0.5", "duty: 0.4"))
    h.run_ok(["run", str(cfg), "--shard", "2/3", "--out", "foreign-2"], "shard 2/3 of the changed config")
    refused(h, merge(s1, s2, s3), "shards of a config changed since they ran", [s1, s2, s3, str(cfg)],
            r"config|hash|sha|changed")
    cfg.write_text(original)
    refused(h, merge(s1, "foreign-2", s3), "shard of the same path, other contents", ["foreign-2"], r"config|hash|sha")
    h.run_ok(["run", h.fixture("solve-sens"), "--shard", "2/3", "--out", "other-2"], "shard 2/3 of another config")
    refused(h, merge(s1, "other-2", s3), "shard of another config", ["other-2"], r"config|hash|sha")
    h.run_ok(["run", str(cfg), "--shard", "2/3", "--no-trajectories", "--out", "lean-2"], "shard 2/3 --no-trajectories")
    refused(h, merge(s1, "lean-2", s3), "shard run with --no-trajectories among shards with", ["lean-2"], r"trajector")

    def edit_manifest(name, pattern, repl, src="s-2"):
        copy(name, src)
        p = h.work / name / "manifest.json"
        text = p.read_text()
        new, count = re.subn(pattern, repl, text, count=1)
        h.check(count == 1 and new != text, f"self-test: {pattern!r} not found in {p}")
        p.write_text(new)
        return name

    edit_manifest("version-2", r'("racesim_version"\s*:\s*")[^"]*"', r'\g<1>0.0.1-other"')
    refused(h, merge(s1, "version-2", s3), "manifest with another racesim_version", ["version-2"], r"version")
    plugin_sha = re.search(r'"plugins"\s*:\s*\[.*?"sha256"\s*:\s*"([0-9a-f])', (dirs[1] / "manifest.json").read_text(), re.S)
    if h.check(plugin_sha is not None, "s-2/manifest.json lists no plugin with a sha256"):
        other = "1" if plugin_sha.group(1) != "1" else "2"
        copy("plugin-2")
        p = h.work / "plugin-2" / "manifest.json"
        text = p.read_text()
        p.write_text(text[:plugin_sha.start(1)] + other + text[plugin_sha.end(1):])
        refused(h, merge(s1, "plugin-2", s3), "manifest with another plugin sha256", ["plugin-2"], r"plugin")

    # Corrupt journals.
    journal = (dirs[1] / "journal.bin").read_bytes()
    if not h.check(len(journal) >= 2, f"s-2/journal.bin has {len(journal)} bytes"):
        return

    def edit_journal(name, data):
        copy(name)
        (h.work / name / "journal.bin").write_bytes(data)
        return name

    mid = len(journal) // 2
    edit_journal("flipped-2", journal[:mid] + bytes([journal[mid] ^ 0x01]) + journal[mid + 1:])
    refused(h, merge(s1, "flipped-2", s3), "journal with one byte flipped", ["flipped-2"], r"sha|checksum|hash|corrupt|journal")
    edit_journal("truncated-2", journal[:mid])
    refused(h, merge(s1, "truncated-2", s3), "truncated journal", ["truncated-2"], r"size|bytes|truncat|sha|corrupt|journal")
    edit_journal("short-2", journal[:-1])
    refused(h, merge(s1, "short-2", s3), "journal one byte short", ["short-2"], r"size|bytes|truncat|sha|corrupt|journal")
    edit_journal("longer-2", journal + b"\0")
    refused(h, merge(s1, "longer-2", s3), "journal one byte longer", ["longer-2"], r"size|bytes|sha|corrupt|journal")
    copy("nojournal-2")
    (h.work / "nojournal-2" / "journal.bin").unlink()
    refused(h, merge(s1, "nojournal-2", s3), "journal missing", ["nojournal-2"], r"journal|missing|no such|not found|cannot")
    # A journal whose manifest was made to match it (size and sha256), but flipped: the bytes are
    # then checked by what they say, not by the manifest (a shard written by hand).
    # (Not part of the contract; not tested.)

    # Edited or broken manifests.
    edit_manifest("jsha-2", r'("journal"\s*:\s*\{[^}]*"sha256"\s*:\s*")([0-9a-f])',
                  lambda m: m.group(1) + ("1" if m.group(2) != "1" else "2"))
    refused(h, merge(s1, "jsha-2", s3), "manifest with another journal sha256", ["jsha-2"], r"sha|checksum|hash|corrupt|journal")
    edit_manifest("jbytes-2", r'("journal"\s*:\s*\{[^}]*"bytes"\s*:\s*)(\d+)', lambda m: m.group(1) + str(int(m.group(2)) + 1))
    refused(h, merge(s1, "jbytes-2", s3), "manifest with another journal size", ["jbytes-2"], r"size|bytes|journal|corrupt")
    last = r'("units"\s*:\s*\{[^}]*"last"\s*:\s*)(\d+)'
    first = r'("units"\s*:\s*\{[^}]*"first"\s*:\s*)(\d+)'
    edit_manifest("units-2", last, lambda m: m.group(1) + str(int(m.group(2)) - 1))
    refused(h, merge(s1, "units-2", s3), "manifest with units.last one less (a gap before s-3)", ["units-2", s3],
            r"missing|cover|gap|units|corrupt|journal|does not match|mismatch")
    # Shards 2 and 3 swapped in their manifests (k and units): each journal matches its manifest's
    # size and sha256, but holds other units than the manifest says.
    m3 = read_manifest(dirs[2])
    for name, src, other in (("swap-2", "s-2", m3), ("swap-3", "s-3", m2)):
        copy(name, src)
        p = h.work / name / "manifest.json"
        text = p.read_text()
        text = re.sub(r'("shard"\s*:\s*\{[^}]*"k"\s*:\s*)\d+', lambda m: m.group(1) + str(other["shard"]["k"]), text, count=1)
        text = re.sub(first, lambda m: m.group(1) + str(other["units"]["first"]), text, count=1)
        text = re.sub(last, lambda m: m.group(1) + str(other["units"]["last"]), text, count=1)
        p.write_text(text)
    refused(h, merge(s1, "swap-2", "swap-3"), "shards 2 and 3 with their k and units swapped in the manifests",
            ["swap-2", "swap-3"], r"unit|corrupt|journal|order|does not match|mismatch|edited")
    # Both neighbours edited so that the ranges still cover every unit once, and the journals, read
    # in order, still hold every unit once: refused, or merged into the right results, never others.
    edit_manifest("units-2b", last, lambda m: m.group(1) + str(int(m.group(2)) - 1))
    edit_manifest("units-3b", first, lambda m: m.group(1) + str(int(m.group(2)) - 1), src="s-3")
    args = merge(s1, "units-2b", "units-3b")
    rc, _, _ = h.cmd(args)
    out = h.work / args[2]
    if rc == 0:
        h.expect_same(full, out, "manifests of 2 and 3 edited to move one unit from 2 to 3 (merged)")
    else:
        h.check(rc == REFUSED and not out.exists(), f"manifests of 2 and 3 edited to move one unit: exit {rc}, "
                f"{out.name} exists: {out.exists()} (expected exit 0 and the right results, or {REFUSED} and nothing)")
    edit_manifest("format-2", r'("format"\s*:\s*")[^"]*"', r'\g<1>racesim-results"')
    refused(h, merge(s1, "format-2", s3), "manifest of another format", ["format-2"], r"format|not a shard|manifest")
    edit_manifest("fversion-2", r'("format_version"\s*:\s*)2\b', r"\g<1>1")
    refused(h, merge(s1, "fversion-2", s3), "manifest format_version 1 (before the panels' counters)", ["fversion-2"],
            r"version|format")
    copy("broken-2")
    p = h.work / "broken-2" / "manifest.json"
    p.write_text(p.read_text()[: len(p.read_text()) // 2])
    refused(h, merge(s1, "broken-2", s3), "manifest cut in half", ["broken-2"], r"manifest|json|parse|invalid|corrupt")
    copy("nomanifest-2")
    (h.work / "nomanifest-2" / "manifest.json").unlink()
    refused(h, merge(s1, "nomanifest-2", s3), "manifest missing", ["nomanifest-2"], r"manifest|not a shard|missing|no such")
    refused(h, merge(s1, "no-such-dir", s3), "shard directory that does not exist", ["no-such-dir"],
            r"exist|no such|not found|missing|cannot|not a directory")
    # A results directory is not a shard directory.
    refused(h, merge(s1, full.name, s3), "a results directory given as a shard", [full.name],
            r"manifest|not a shard|missing|no such")
    # Nothing to merge: refused, nothing written.
    rc, _, err = h.cmd(["merge", "--out", "merged-none"])
    h.check(rc not in (0, None), f"merge without shards: exit {rc}, expected non-zero")
    h.check(not (h.work / "merged-none").exists(), "merge without shards created merged-none")
    # After all this the good shards still merge, and the copies were faithful.
    copy("s-2-copy")
    rc, _, _ = h.run_ok(["merge", "--out", "merged-after", s1, "s-2-copy", s3], "merge of the good shards with a copy of 2")
    if rc == 0:
        h.expect_same(full, h.work / "merged-after", "merge after the refusals")


def case_bad_shard_args(h):
    """An invalid --shard value, or --shard slurm without usable SLURM variables: exit 1, a
    message naming --shard or the variable, nothing written."""
    config = h.fixture("two")
    for i, value in enumerate(["0/3", "4/3", "a/b", "1/0", "0/0", "-1/3", "3", "1/3/3", "", "1/x", "x/3", "2.5/3",
                               "1/3x", "slurmy", "SLURM"]):
        refused(h, ["run", config, "--shard", value, "--out", f"bad-{i}"], f"--shard {value!r}", None,
                r"shard", rc_expected=BAD_SHARD_ARG)
    slurm = [
        ({}, "no SLURM variables"),
        ({"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "3"}, "no SLURM_ARRAY_TASK_MIN"),
        ({"SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "3"}, "no SLURM_ARRAY_TASK_ID"),
        ({"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "1"}, "no SLURM_ARRAY_TASK_COUNT"),
        ({"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "3"}, "ID below MIN"),
        ({"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "3"}, "ID - MIN + 1 above COUNT"),
        ({"SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "3"}, "ID not a number"),
        ({"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "0"}, "COUNT 0"),
        ({"SLURM_ARRAY_TASK_ID": "", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "3"}, "ID empty"),
    ]
    for i, (env, what) in enumerate(slurm):
        refused(h, ["run", config, "--shard", "slurm", "--out", f"bad-slurm-{i}"], f"--shard slurm, {what}", None,
                r"SLURM|shard", rc_expected=BAD_SHARD_ARG, env=env)
    # A plain run is not affected by SLURM variables.
    env = {"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "3"}
    rc, _, _ = h.run_ok(["run", config, "--out", "plain"], "run with SLURM variables set, no --shard", env=env)
    h.check(rc != 0 or (h.work / "plain" / "summary.json").is_file(), "run with SLURM variables set wrote no summary.json")
    h.expect_no_hidden(h.work, "bad --shard values")


def case_existing_dir(h):
    """A shard directory, like a results directory, is replaced only with --force; merge --out too."""
    config = h.fixture("two")
    rc, _, _ = h.run_ok(["run", config, "--out", "full"], "run")
    rc_run, _, err_run = h.cmd(["run", config, "--out", "full"])
    h.check(rc_run == 3, f"run into an existing results directory: exit {rc_run}, expected 3")
    for k in (1, 2):
        h.run_ok(["run", config, "--shard", f"{k}/2", "--out", f"s{k}"], f"shard {k}/2")
    if not (h.work / "s1" / "manifest.json").is_file():
        return
    before = sha256(h.work / "s1" / "manifest.json")
    rc, _, err = h.cmd(["run", config, "--shard", "1/2", "--out", "s1"])
    h.check(rc == rc_run, f"shard into an existing shard directory without --force: exit {rc}, expected {rc_run} (as run)")
    h.check(re.search(r"exist", err) is not None and "s1" in err, f"shard into existing s1: stderr {_short(err, 400)}")
    h.check(sha256(h.work / "s1" / "manifest.json") == before, "a refused shard run changed s1/manifest.json")
    rc, _, _ = h.run_ok(["run", config, "--shard", "1/2", "--out", "s1", "--force"], "shard into s1 with --force")
    h.check(rc != 0 or sorted(p.name for p in (h.work / "s1").iterdir() if not p.name.startswith(".")) == ["journal.bin", "manifest.json"],
            f"s1 after --force holds {sorted(p.name for p in (h.work / 's1').iterdir())}")
    # A directory racesim did not write is refused even with --force (as run), and kept.
    (h.work / "mine").mkdir()
    (h.work / "mine" / "notes.txt").write_text("my notes\n")
    rc, _, err = h.cmd(["run", config, "--shard", "1/2", "--out", "mine", "--force"])
    h.check(rc == 3, f"shard --force into a directory holding notes.txt: exit {rc}, expected 3 (as run)")
    h.check((h.work / "mine" / "notes.txt").read_text() == "my notes\n" and len(list((h.work / "mine").iterdir())) == 1,
            f"mine/ changed: {sorted(p.name for p in (h.work / 'mine').iterdir())}")
    # A results directory is not replaced by a shard without --force.
    before_full = listing(h.work / "full")
    rc, _, _ = h.cmd(["run", config, "--shard", "1/2", "--out", "full"])
    h.check(rc == rc_run, f"shard into an existing results directory without --force: exit {rc}, expected {rc_run}")
    h.check(listing(h.work / "full") == before_full, "a refused shard run changed full/")
    # merge --out: an existing directory needs --force.
    h.run_ok(["merge", "--out", "merged", "s1", "s2"], "merge")
    h.expect_same(h.work / "full", h.work / "merged", "merge")
    (h.work / "merged" / "one.csv").write_text("stale\n")
    rc, _, err = h.cmd(["merge", "--out", "merged", "s1", "s2"])
    h.check(rc == rc_run, f"merge into an existing results directory without --force: exit {rc}, expected {rc_run} (as run)")
    h.check((h.work / "merged" / "one.csv").read_text() == "stale\n", "a refused merge changed merged/")
    h.run_ok(["merge", "--out", "merged", "--force", "s1", "s2"], "merge --force")
    h.expect_same(h.work / "full", h.work / "merged", "merge --force")
    rc, _, _ = h.cmd(["merge", "--out", "mine", "--force", "s1", "s2"])
    h.check(rc == 3, f"merge --force into a directory holding notes.txt: exit {rc}, expected 3 (as run)")
    h.check(len(list((h.work / "mine").iterdir())) == 1, "a refused merge changed mine/")
    h.expect_no_hidden(h.work, "existing-dir")


def case_relative_config(h):
    """A config given by a relative path: the manifests, summary.json and stdout keep it as given."""
    (h.work / "cfg").mkdir()
    shutil.copy(h.fixture("solve-sens"), h.work / "cfg" / "solve.yaml")
    full, dirs = shards_and_merge(h, "cfg/solve.yaml", "rel", n=2)
    if len(dirs) != 2:
        return
    # From another directory, the relative path means another file: merge either finds the config
    # as the shards knew it and writes the same results, or refuses, naming it; never other results.
    (h.work / "elsewhere").mkdir()
    rc, _, err = h.cmd(["merge", "--out", "../merged-elsewhere", "../rel-1", "../rel-2"], cwd=h.work / "elsewhere")
    out = h.work / "merged-elsewhere"
    if rc == 0:
        h.expect_same(full, out, "merge from another directory")
    else:
        h.check(rc == REFUSED and "cfg/solve.yaml" in err and not out.exists(),
                f"merge from another directory: exit {rc} (expected 0, or {REFUSED} naming cfg/solve.yaml and writing "
                f"nothing); {out.name} exists: {out.exists()}; stderr: {_short(err.strip(), 400)}")
    h.expect_no_hidden(h.work, "relative-config")


def case_conditioning(h):
    shards_and_merge(h, str(h.source / "configs" / "examples" / "declining-efficiency.yaml"), "conditioning",
                     want_warnings=2)


CASES = {
    "compare-can-fail": case_compare_can_fail,
    "sweep-ode": fixture_case("sweep-ode"),
    "sweep-ode-no-trajectories": fixture_case("sweep-ode", flags=("--no-trajectories",), order=[2, 0, 1]),
    "mc-ode": fixture_case("mc-ode", order=[2, 1, 0]),
    "mc-closed": fixture_case("mc-closed"),
    "solve-sens": fixture_case("solve-sens"),
    "grid-closed": fixture_case("grid-closed", flags=("--no-trajectories",)),
    "analyses": fixture_case("analyses"),
    "conditioning": case_conditioning,
    "slurm": case_slurm,
    "empty-shards": case_empty_shards,
    "refusals": case_refusals,
    "bad-shard-args": case_bad_shard_args,
    "existing-dir": case_existing_dir,
    "relative-config": case_relative_config,
}


def main(argv):
    if len(argv) != 5 or argv[4] not in CASES:
        print(__doc__)
        print(f"cases: {', '.join(CASES)}")
        return 2
    racesim, source, work, case = Path(argv[1]).resolve(), Path(argv[2]).resolve(), Path(argv[3]), argv[4]
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    h = Harness(racesim, source, work.resolve())
    CASES[case](h)
    return h.finish(case)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
