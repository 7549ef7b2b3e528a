#!/usr/bin/python3
"""cli.docs-outputs-current: the outputs pasted into the docs are what racesim prints today.

1. The docs' example files. The example configs the docs run (under /tmp/, e.g.
   /tmp/docerr/typo.yaml) are declared in the Markdown source of README.md and docs/*.md, next
   to the text that quotes them, in one of these forms, each on lines of its own:

     <!-- file: /tmp/PATH -->          the fenced block that follows is the whole file
     <!-- file: /tmp/PATH              the lines up to `-->` are the whole file (a comment,
     ...                                not rendered: for a file the text quotes only in part
     -->                                or describes in words)
     <!-- file: /tmp/PATH (N bytes) --> a file of N bytes of YAML comment (size limits)
     <!-- file: /tmp/DIR/ -->           an empty directory
     <!-- file: /tmp/PATH (a copy of FILE) -->   a copy of a file of the build under test
                                        (build/...), of the repository (another relative FILE)
                                        or of the system (an absolute one: a library)

   and `<!-- excerpt: /tmp/PATH -->` before a fenced block says the block quotes part of a
   declared file: each of its lines other than `...` must be a line of the file, and a line
   commented `# line N` must be its line N. Every declared file is written into a sandbox (the
   test's `tmp-N/` directories, one per session) that stands for /tmp: a /tmp/ path in a
   command is rewritten to the sandbox, and the sandbox's path in an output back to /tmp/. A
   session's sandbox starts with the declared files and nothing else, so its runs see no other
   session's results (sessions run a few at a time). A path declared twice with different
   contents is an error.
2. Every fenced block that follows a line `<!-- output-checked -->` is a console session: each
   `$ <command>` in it is run again by bash (from a directory where `configs/`, `tests/` and
   `docs/` are the repository's, `build/bin/racesim` and `racesim` are the binary under test, and
   /tmp/ is the sandbox), and every line the block shows for it must be a line of the
   command's output today (stdout and stderr, in any order, other lines allowed), except `...`
   (an elision). Two things may differ: the built plugins' directory (an absolute path of the
   build that ran) and the byte count of a `racesim: info: ... written to FILE (N bytes)` line.
   `[exit N]` is the command's exit status; a command shown without one must exit 0. A `cd`
   holds for the block's later commands, as in one shell. Two variants of the marker:
   `<!-- output-checked (in /tmp/DIR) -->` starts the session in /tmp/DIR (the docs' "scratch
   directory" holding the declared example files), and `<!-- output-checked (continued) -->`
   goes on with the previous checked block's session (its files and directory), for a session
   the text interrupts. A number that changed, a line that is gone, a renamed scenario: the
   test fails and names the file, the line and the command.
3. Every top-level key of the summary.json of every config in configs/ is described in
   docs/results.md's table of top-level fields, and its Table 2 excerpt says the right
   `scenario_count`.

    docs_outputs.py RACESIM SOURCE_DIR WORK_DIR
    docs_outputs.py --self-test RACESIM SOURCE_DIR WORK_DIR

--self-test (CTest cli.docs-outputs-can-fail) runs checks 1 and 2 on small made-up docs and
asserts that a correct one (using every form above) passes and that a wrong line (also in a
continued session), a wrong or missing exit status, a wrong excerpt, a file declared twice and
a block without a command each fail: the check can fail.

    docs_outputs.py --update RACESIM SOURCE_DIR WORK_DIR

--update rewrites, in the docs themselves, every failing session that shows its whole output
(no `...`) with today's output (build/bin/racesim, from the repository root: see git diff before
committing), and lists the failing sessions it cannot rewrite.

DOCS_OUTPUTS_ONLY=docs/X.md (while editing a doc) runs only that file's blocks and skips 3.
"""
import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SELF_TEST = len(sys.argv) > 1 and sys.argv[1] == "--self-test"
UPDATE = len(sys.argv) > 1 and sys.argv[1] == "--update"
args = sys.argv[2:] if SELF_TEST or UPDATE else sys.argv[1:]
racesim, source, work = (Path(a).resolve() for a in args[:3])
work.mkdir(parents=True, exist_ok=True)

CHECKED_RE = re.compile(r"<!-- output-checked(?: \((?:in (/tmp/\S*)|(continued))\))? -->")
FILE_RE = re.compile(r"<!-- (file|excerpt): (/tmp/\S+?)(?: \((?:(\d+) bytes|a copy of (\S+))\))?( -->)?$")


def norm(line):
    """A line with the build's plugin directory (an absolute path that differs between
    checkouts and builds) written as <plugins>, and the size of a written file as N bytes."""
    line = re.sub(r"^(racesim: info: .* written to .*) \(\d+ bytes\)$", r"\1 (N bytes)", line)
    return re.sub(r"[^\s\"',:]*/lib/racesim/plugins(?=/|\b)", "<plugins>", line)


def fence(lines, i):
    """The fenced block that starts at line i (its opening fence): (content lines, index of the
    closing fence), or None. Indented blocks (in a list item) keep their indentation out."""
    if i >= len(lines) or not lines[i].lstrip().startswith("```"):
        return None
    indent = len(lines[i]) - len(lines[i].lstrip())
    end = i + 1
    while end < len(lines) and not lines[end].lstrip().startswith("```"):
        end += 1
    return [l[indent:] for l in lines[i + 1:end]], end


class Checker:
    def __init__(self, source, docs, work):
        self.source, self.docs, self.work = source, docs, work
        self.failures = []
        self.files = {}      # /tmp path -> (content bytes, where declared)
        self.excerpts = []   # (path, block lines, where)
        self.blocks = []     # (where, [(line_no, cmd, [(k, text)])])
        self.master = (work / "files").resolve()
        self.bin = (work / "cwd" / "build" / "bin").resolve()
        self.run_dir = (work / "cwd").resolve()
        self.only = None
        self.stale = []      # sessions that fail: (doc, line of the command, lines shown, rc, output)

    def rel(self, doc):
        try:
            return doc.relative_to(self.source)
        except ValueError:
            return doc

    def fail(self, msg):
        self.failures.append(msg)

    def declare(self, path, content, where):
        if path in self.files and self.files[path][0] != content:
            self.fail(f"{where}: {path} is declared again, with other contents (first at {self.files[path][1]})")
            return
        self.files.setdefault(path, (content, where))

    def parse(self):
        for doc in self.docs:
            lines = doc.read_text().splitlines()
            i = 0
            while i < len(lines):
                s = lines[i].strip()
                where = f"{self.rel(doc)}:{i + 1}"
                m = FILE_RE.fullmatch(s)
                if m:
                    kind, path, size, copy, closed = m.groups()
                    if kind == "file" and copy and closed:
                        # build/...: of the build under test; another relative path: of the
                        # repository; an absolute one: of the system.
                        original = (racesim.parent.parent / copy[len("build/"):] if copy.startswith("build/")
                                    else self.source / copy)
                        if not original.is_file():
                            self.fail(f"{where}: {path} is to be a copy of {copy}, which is not a file here")
                        else:
                            self.declare(path, original.read_bytes(), where)
                        i += 1
                    elif kind == "file" and path.endswith("/") and closed:
                        self.declare(path, None, where)
                        i += 1
                    elif kind == "file" and size:
                        text = "# padding\n" * (int(size) // 10 + 1)
                        self.declare(path, text.encode()[:int(size)], where)
                        i += 1
                    elif kind == "file" and not closed:
                        end = i + 1
                        while end < len(lines) and lines[end].strip() != "-->":
                            end += 1
                        if end == len(lines):
                            self.fail(f"{where}: '<!-- file:' without a closing '-->'")
                        ind = len(lines[i]) - len(lines[i].lstrip())
                        self.declare(path, "".join(l[ind:] + "\n" for l in lines[i + 1:end]).encode(), where)
                        i = end + 1
                    else:
                        b = fence(lines, i + 1)
                        if b is None:
                            self.fail(f"{where}: a {kind} marker not followed by a fenced block")
                            i += 1
                            continue
                        body, end = b
                        if kind == "file":
                            self.declare(path, "".join(l + "\n" for l in body).encode(), where)
                        else:
                            self.excerpts.append((path, body, where, i + 3))
                        i = end + 1
                    continue
                if s.startswith("<!-- file:") or s.startswith("<!-- excerpt:"):
                    self.fail(f"{where}: a malformed marker (the path must be under /tmp/)")
                mc = CHECKED_RE.fullmatch(s)
                if not mc:
                    i += 1
                    continue
                b = fence(lines, i + 1)
                if b is None:
                    self.fail(f"{where}: a marker not followed by a fenced block")
                    i += 1
                    continue
                body, end = b
                cur, sessions = None, []
                for k, line in enumerate(body):
                    if line.startswith("$ "):
                        cur = (i + 3 + k, line[2:], [])
                        sessions.append(cur)
                    elif cur is not None:
                        cur[2].append((i + 3 + k, line))
                if not sessions:
                    self.fail(f"{self.rel(doc)}:{i + 2}: a checked block without a '$ ' command")
                if mc.group(2) and not (self.blocks and self.blocks[-1][0] == doc):
                    self.fail(f"{self.rel(doc)}:{i + 1}: '(continued)' after no checked block of this file")
                self.blocks.append((doc, sessions, mc.group(1), bool(mc.group(2))))
                i = end + 1

    def check_excerpts(self):
        for path, body, where, first in self.excerpts:
            if self.files.get(path, (None,))[0] is None:
                self.fail(f"{where}: an excerpt of {path}, which no '<!-- file:' declares")
                continue
            flines = self.files[path][0].decode().splitlines()
            for k, line in enumerate(body):
                if line.strip() == "...":
                    continue
                if m := re.search(r"#\s*line (\d+)\s*$", line):
                    n = int(m.group(1))
                    if not (0 < n <= len(flines) and flines[n - 1].rstrip() == line.rstrip()):
                        self.fail(f"{where}: the excerpt's line {first + k} is not line {n} of {path}")
                elif line.rstrip() not in (l.rstrip() for l in flines):
                    self.fail(f"{where}: the excerpt's line {first + k} '{line}' is not a line of {path}")

    def setup(self):
        shutil.rmtree(self.master, ignore_errors=True)
        for path, (content, _) in self.files.items():
            f = self.master / path[len("/tmp/"):]
            if content is None:
                f.mkdir(parents=True, exist_ok=True)
                continue
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_bytes(content)
        self.master.mkdir(parents=True, exist_ok=True)
        # build/bin/racesim (also racesim, on PATH) and build/lib/, where it finds its plugins.
        shutil.rmtree(self.run_dir, ignore_errors=True)
        self.bin.mkdir(parents=True)
        (self.bin / "racesim").symlink_to(racesim)
        (self.run_dir / "build" / "lib").symlink_to(racesim.parent.parent / "lib")
        for d in ("configs", "tests", "docs"):
            (self.run_dir / d).symlink_to(self.source / d)

    def new_session(self, n, in_dir):
        """Session n's sandbox, holding the declared files only: copies (a session may change
        them), but a large file, which no session changes, is linked. Its directory: /tmp/DIR
        for a session in a scratch directory, else the run directory."""
        def put(src, dst):
            if os.path.getsize(src) > 1 << 20:
                os.link(src, dst)
            else:
                shutil.copyfile(src, dst)
        sandbox = (self.work / f"tmp-{n}").resolve()
        shutil.rmtree(sandbox, ignore_errors=True)
        shutil.copytree(self.master, sandbox, copy_function=put)
        # The session's own "repository root", so that what it writes there (results/...)
        # meets no other session's.
        repo = (self.work / f"cwd-{n}").resolve()
        shutil.rmtree(repo, ignore_errors=True)
        repo.mkdir()
        for d in ("configs", "tests", "docs", "build"):
            (repo / d).symlink_to(self.run_dir / d)
        cwd = sandbox / in_dir[len("/tmp/"):] if in_dir else repo
        cwd.mkdir(parents=True, exist_ok=True)
        return {"sandbox": sandbox, "repo": repo, "cwd": cwd, "pwd": self.work / f"pwd-{n}"}

    def run(self, session, cmd):
        sandbox = str(session["sandbox"])
        cmd = cmd.replace("/tmp/", sandbox + "/")
        cmd = re.sub(r"(?<![\w/.-])/tmp(?![\w/.-])", sandbox, cmd)
        env = dict(os.environ, PATH=f"{self.bin}:{os.environ.get('PATH', '/usr/bin:/bin')}", TMPDIR=sandbox)
        # `racesim` is the binary under test, run by its absolute path: found on PATH, racesim
        # would look for its plugins relative to the working directory (argv[0] has no '/').
        # A `cd` holds for the block's later commands, as in one shell.
        pwd_file = session["pwd"]
        script = (f'racesim() {{ "{self.bin}/racesim" "$@"; }}\n{cmd}\n'
                  f'rc=$?; pwd > "{pwd_file}"; exit $rc')
        p = subprocess.run(["bash", "-c", script], cwd=session["cwd"], capture_output=True, text=True,
                           timeout=120, env=env)
        if pwd_file.exists():
            session["cwd"] = Path(pwd_file.read_text().strip())
            pwd_file.unlink()
        out = (p.stdout + p.stderr).replace(sandbox + "/", "/tmp/").replace(sandbox, "/tmp")
        return p.returncode, out.splitlines()

    def check_group(self, n, group):
        """The blocks of one session (a block and the blocks that continue it): its failures
        and its stale sessions."""
        failures, stale = [], []
        session = self.new_session(n, group[0][2])
        for doc, sessions, _, _ in group:
            for line_no, cmd, shown in sessions:
                rc, out = self.run(session, cmd)
                actual = {norm(l.rstrip()) for l in out}
                n_failures = len(failures)
                exit_shown = 0
                for k, text in shown:
                    if text.strip() == "...":
                        continue
                    if m := re.fullmatch(r"\[exit (\d+)\]", text.strip()):
                        exit_shown = int(m.group(1))
                        continue
                    if norm(text.rstrip()) not in actual:
                        failures.append(f"{self.rel(doc)}:{k}: '{text}' is not in today's output of "
                                        f"'{cmd}' (line {line_no}); today:\n    " + "\n    ".join(out))
                if rc != exit_shown:
                    failures.append(f"{self.rel(doc)}:{line_no}: '{cmd}' exits {rc} today, the doc says "
                                    f"{exit_shown}" + ("" if shown else "; today:\n    " + "\n    ".join(out)))
                if len(failures) > n_failures:
                    stale.append((doc, line_no, shown, rc, out))
        shutil.rmtree(session["sandbox"], ignore_errors=True)
        shutil.rmtree(session["repo"], ignore_errors=True)
        return failures, stale

    def check_blocks(self):
        groups = []
        for block in self.blocks:
            if self.only and block[0] != self.only:
                continue
            if block[3] and groups:
                groups[-1].append(block)
            else:
                groups.append([block])
        # Sessions are independent (each has its own sandbox): run a few at once.
        with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
            for failures, stale in pool.map(self.check_group, range(len(groups)), groups):
                self.failures += failures
                self.stale += stale

    def update(self):
        """--update: rewrites each stale session that shows its whole output (no `...`) with
        today's output; the others are left for a person to edit. Returns what is left."""
        build = str(self.bin.parent)  # the run directory's build/, as build/ of the repository
        left, edits = [], {}
        for doc, line_no, shown, rc, out in self.stale:
            if any(t.strip() == "..." for _, t in shown):
                left.append(f"{self.rel(doc)}:{line_no}: shows part of its output ('...'): edit it by hand")
                continue
            new = [l.replace(build + "/", "build/") for l in out] + ([f"[exit {rc}]"] if rc else [])
            edits.setdefault(doc, []).append((line_no, len(shown), new))
        for doc, changes in edits.items():
            lines = doc.read_text().split("\n")
            for line_no, n, new in sorted(changes, reverse=True):
                indent = re.match(r" *", lines[line_no - 1]).group(0)
                lines[line_no:line_no + n] = [indent + l if l else l for l in new]
            doc.write_text("\n".join(lines))
            print(f"docs-outputs: rewrote {len(changes)} session(s) of {self.rel(doc)}")
        return left

    def check(self):
        self.parse()
        self.check_excerpts()
        self.setup()
        self.check_blocks()
        return self.failures


def self_test():
    """The check fails on made-up docs that are wrong, and passes on the right one."""
    good = """# t
<!-- file: /tmp/st/a.yaml -->
```yaml
racesim: 1
horizon: 10
sceanrios: []        # line 3
```
<!-- excerpt: /tmp/st/a.yaml -->
```yaml
...
sceanrios: []        # line 3
```
<!-- file: /tmp/st/b.yaml
racesim: 1
-->
<!-- output-checked -->
```console
$ build/bin/racesim validate /tmp/st/a.yaml
/tmp/st/a.yaml:3:1: error: unknown key 'sceanrios' in the top level
...
[exit 1]
$ racesim validate /tmp/st/b.yaml 2>&1 | head -1; ls /tmp/st
/tmp/st/b.yaml:1:1: error: missing required key 'horizon' (the simulated time span, yr)
a.yaml
b.yaml
$ build/bin/racesim validate /tmp/st/none.yaml
/tmp/st/none.yaml: error: no such file
[exit 1]
```
<!-- file: /tmp/st/dir/ -->
<!-- file: /tmp/st/big.yaml (100 bytes) -->
<!-- output-checked (in /tmp/st) -->
```console
$ cd dir && pwd && wc -c < ../big.yaml
/tmp/st/dir
100
```
<!-- output-checked (continued) -->
```console
$ pwd; ls ..
/tmp/st/dir
a.yaml
```
"""
    bad = {
        "a wrong line": good.replace("in the top level", "at the top level"),
        "a wrong exit status": good.replace("[exit 1]\n$ racesim", "[exit 2]\n$ racesim"),
        "a missing exit status": good.replace("error: no such file\n[exit 1]\n", "error: no such file\n"),
        "a wrong excerpt": good.replace("...\nsceanrios: []        # line 3", "horizon: 10       # line 3"),
        "an excerpt line not in the file": good.replace("...\nsceanrios", "horizon: 11\nsceanrios"),
        "a file declared twice": good + "<!-- file: /tmp/st/b.yaml\nracesim: 2\n-->\n",
        "a block without a command": good + "<!-- output-checked -->\n```console\nhello\n```\n",
        "a wrong line in a continued session": good.replace("$ pwd; ls ..\n/tmp/st/dir", "$ pwd; ls ..\n/tmp/st"),
        "a wrong file size": good.replace("100\n```", "101\n```"),
    }
    problems = []
    for name, text in [("the right doc", good)] + list(bad.items()):
        d = work / "self-test" / re.sub(r"\W+", "-", name)
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        doc = d / "doc.md"
        doc.write_text(text)
        fails = Checker(source, [doc], d).check()
        if name == "the right doc" and fails:
            problems.append("the right doc fails:\n    " + "\n    ".join(fails))
        elif name != "the right doc" and not fails:
            problems.append(f"a doc with {name} passes")
        print(f"docs-outputs self-test: {name}: {len(fails)} problem(s) found"
              + "".join(f"\n    {f.splitlines()[0]}" for f in fails))
    for p in problems:
        print("docs-outputs self-test: FAILED:", p)
    sys.exit(1 if problems else 0)


if SELF_TEST:
    self_test()
if UPDATE:
    checker = Checker(source, [source / "README.md"] + sorted((source / "docs").glob("*.md")), work)
    checker.check()
    left = checker.update()
    for f in left:
        print("docs-outputs:", f)
    print("docs-outputs: review the rewritten blocks (git diff) before you commit them")
    sys.exit(1 if left else 0)

docs = [source / "README.md"] + sorted((source / "docs").glob("*.md"))
checker = Checker(source, docs, work)
if only := os.environ.get("DOCS_OUTPUTS_ONLY"):  # while editing one doc: its blocks only, no step 3
    checker.only = source / only
failures = checker.check()
checked_blocks = len(checker.blocks)


def run(argv):
    p = subprocess.run(argv, cwd=checker.run_dir, capture_output=True, text=True, timeout=120)
    return p.returncode, (p.stdout + p.stderr).splitlines()


# 3. summary.json's top-level keys, all documented.
results_md = (source / "docs" / "results.md").read_text()
documented = {k for cell in re.findall(r"^\| (`[a-z_]+`(?:, `[a-z_]+`)*) \|", results_md.split("Per scenario:")[0], re.M)
              for k in re.findall(r"`([a-z_]+)`", cell)}
configs = [] if only else sorted((source / "configs").glob("*/*.yaml"))
seen = {}

def run_config(n, c):
    out = work / f"summary-{n}"
    return out, run([str(racesim), "-q", "run", str(c), "--out", str(out), "--force", "--no-trajectories"])


with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
    runs = list(pool.map(run_config, range(len(configs)), configs))
for c, (out, (rc, text)) in zip(configs, runs):
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
print(f"docs-outputs: {checked_blocks} checked block(s), {len(checker.files)} declared file(s), "
      f"{len(configs)} configs' summary.json keys; {len(failures)} problem(s)")
if checker.stale:
    print(f"docs-outputs: {sys.argv[0]} --update {racesim} {source} {work} rewrites the stale sessions "
          "that show their whole output")
sys.exit(1 if failures else 0)
