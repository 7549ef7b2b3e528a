#!/usr/bin/python3
"""mpi.run-*: `mpirun -np N racesim-mpi run CONFIG --out DIR` writes the results directory that
`racesim run CONFIG` writes in one process (timing aside), and a rank killed in the middle fails
the job and leaves no results directory behind.

    mpi_run.py CASE --mpiexec MPIRUN --racesim RACESIM --racesim-mpi RACESIM_MPI --source SRC --work WORK

Each CASE is a CTest test mpi.run-CASE (tests/mpi/CMakeLists.txt); WORK is emptied first.
The configs are tests/cli/fixtures/shard/*.yaml; the comparison is tests/cli/shard.py's
(byte for byte, every file, the values in summary.json's "timing" object aside; stdout line for
line), whose own test cli.shard-compare-can-fail shows it can fail.

  ldd-racesim              build/bin/racesim links no MPI library (ldd: no libmpi)
  ldd-racesim-mpi          racesim-mpi does (libmpi)
  np2-<fixture>            2 ranks against one process: sweep-ode, sweep-ode-no-trajectories,
                           mc-ode, solve-sens, grid-closed (--no-trajectories), analyses
  np3-<fixture>            3 ranks (--oversubscribe on 2 cores): mc-closed, mc-ode; two (more
                           ranks than work units)
  np2-conditioning         configs/examples/declining-efficiency.yaml: also the two warnings of
                           ill-conditioned target times, as racesim run prints them (every case
                           checks that racesim-mpi warns as racesim run does)
  killed-rank              kill -9 of rank 1 about 2 s into a long ODE Monte Carlo (mc-long.yaml):
                           mpirun exits non-zero soon, no racesim-mpi process is left, and neither
                           the results directory nor a hidden sibling of it (.<leaf>.tmp-*,
                           .old-*, .lock-*) exists
  killed-root              the same with rank 0 (the writer) killed: no results directory; a
                           SIGKILLed writer cannot clean up, so hidden siblings may remain, but
                           the next racesim run writing there removes them (docs/results.md, Locks)
  refusals                 an invalid config fails the job with nothing written; an existing
                           results directory is refused without --force (untouched) and replaced
                           with it
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

MPI_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_rmaps_base_oversubscribe": "1"}
KILL_AFTER = 2.0        # seconds after mpirun starts
EXIT_WITHIN = 60.0      # seconds mpirun may take to exit once a rank is killed


def load_shard_module(source):
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    sys.path.insert(0, str(Path(source) / "tests" / "cli"))
    import shard  # noqa: E402
    return shard


def mpi_harness(args, shard):
    """tests/cli/shard.py's harness (check, log, finish), its commands run with the MPI
    environment, named mpi.run-<case>; cmd(argv) runs argv itself, mpirun(np, args) racesim-mpi."""

    class MpiHarness(shard.Harness):
        name = "mpi.run"

        def __init__(self):
            super().__init__(args.racesim, args.source, Path(args.work).resolve())
            self.a = args
            self.shard = shard
            self.env.update(MPI_ENV)

        def cmd(self, argv, timeout=240):
            return super().cmd([str(a) for a in argv[1:]], timeout=timeout, exe=str(argv[0]))

        def mpirun(self, np, args_, timeout=240):
            return self.cmd([self.a.mpiexec, "--oversubscribe", "-np", str(np), self.a.racesim_mpi, *args_],
                            timeout=timeout)

    return MpiHarness()


def same_as_one_process(np, fixture, flags=(), want_warnings=0):
    """FIXTURE: a name in tests/cli/fixtures/shard/, or a config's path in the source tree.
    Also: racesim-mpi prints the warnings racesim run prints (WANT_WARNINGS of them)."""
    def case(h):
        config = str(Path(h.a.source) / fixture) if fixture.endswith(".yaml") else h.fixture(fixture)
        rc, run_out, err = h.cmd([h.a.racesim, "run", config, "--out", "one", *flags])
        if not h.check(rc == 0, f"racesim run {fixture}: exit {rc}; stderr {err.strip()[-600:]}"):
            return
        run_warnings = h.shard.warnings_of(err)
        h.check(len(run_warnings) == want_warnings,
                f"racesim run {fixture}: {len(run_warnings)} warnings, expected {want_warnings}: {run_warnings}")
        rc, mpi_out, err = h.mpirun(np, ["run", config, "--out", "mpi", *flags])
        if not h.check(rc == 0, f"mpirun -np {np} racesim-mpi run {fixture}: exit {rc}; stderr {err.strip()[-600:]}"):
            return
        mpi_warnings = h.shard.warnings_of(err, "racesim-mpi")
        h.check(mpi_warnings == run_warnings,
                f"-np {np} {fixture}: racesim-mpi warned {mpi_warnings}, racesim run {run_warnings}")
        diffs = h.shard.compare_dirs(h.work / "one", h.work / "mpi")
        h.check(not diffs, f"-np {np} {fixture}: mpi/ differs from one/:\n    " + "\n    ".join(diffs[:12]))
        d = h.shard.compare_stdout(run_out, mpi_out, f"-np {np} {fixture}: stdout of mpirun against stdout of racesim run")
        h.check(d is None, str(d))
        left = h.shard.hidden_siblings(h.work)
        h.check(not left, f"temporary entries left in {h.work}: {left}")
    return case


def ldd(h, exe, want_mpi):
    rc, out, err = h.cmd(["ldd", exe])
    if not h.check(rc == 0, f"ldd {exe}: exit {rc}: {err.strip()}"):
        return
    mpi = [l.strip() for l in out.splitlines() if re.search(r"libmpi", l)]
    if want_mpi:
        h.check(bool(mpi), f"{exe} does not link libmpi (ldd lists no libmpi)")
    else:
        h.check(not mpi, f"{exe} links MPI: {mpi}")
        # ... and holds no MPI symbol of its own (a static MPI would not show in ldd).
        rc, out, _ = h.cmd(["nm", "-D", "--undefined-only", exe])
        if rc == 0:
            syms = [l.split()[-1] for l in out.splitlines() if re.search(r"\b[PO]?MPI_\w+", l)]
            h.check(not syms, f"{exe} refers to MPI symbols: {syms[:5]}")


def rank_processes(out):
    """{rank: pid} of the racesim-mpi processes whose command line holds `out` (their own
    children, e.g. plugin workers, excluded)."""
    found = {}
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            argv = (p / "cmdline").read_bytes().split(b"\0")
            if str(out).encode() not in argv or not os.path.basename(argv[0].decode()).startswith("racesim-mpi"):
                continue
            env = dict(kv.split(b"=", 1) for kv in (p / "environ").read_bytes().split(b"\0") if b"=" in kv)
            ppid = (p / "stat").read_text().rsplit(")", 1)[1].split()[1]
            found[int(p.name)] = (env.get(b"OMPI_COMM_WORLD_RANK", b"?").decode(), int(ppid))
        except (OSError, ValueError, IndexError):
            continue
    return {rank: pid for pid, (rank, ppid) in found.items() if ppid not in found}


def killed(victim):
    def case(h):
        config = h.fixture("mc-long")
        out = h.work / f"killed-{os.getpid()}-{victim}"
        argv = [h.a.mpiexec, "--oversubscribe", "-np", "2", h.a.racesim_mpi, "run", config, "--out", str(out)]
        so, se = open(h.work / "mpirun.out", "w"), open(h.work / "mpirun.err", "w")
        t0 = time.monotonic()
        p = subprocess.Popen(argv, cwd=h.work, env=h.env, stdout=so, stderr=se, start_new_session=True)
        rc = None
        try:
            ranks = {}
            while time.monotonic() - t0 < 30 and p.poll() is None:
                ranks = rank_processes(out)
                if len(ranks) == 2:
                    break
                time.sleep(0.05)
            if not h.check(sorted(ranks) == ["0", "1"], f"the 2 ranks of racesim-mpi were not found (found {ranks}; mpirun exit {p.poll()})"):
                return
            time.sleep(max(0.0, KILL_AFTER - (time.monotonic() - t0)))
            if not h.check(p.poll() is None and not out.exists(),
                           f"the run ended (mpirun exit {p.poll()}, {out} exists: {out.exists()}) before the kill at "
                           f"{KILL_AFTER} s: make mc-long.yaml longer"):
                return
            during = [n for n in h.shard.hidden_siblings(h.work) if n.startswith(f".{out.name}.")]
            os.kill(ranks[victim], signal.SIGKILL)
            t_kill = time.monotonic()
            try:
                rc = p.wait(timeout=EXIT_WITHIN)
            except subprocess.TimeoutExpired:
                h.check(False, f"mpirun still running {EXIT_WITHIN} s after rank {victim} (pid {ranks[victim]}) was killed")
                return
            h.log.append(f"rank {victim} (pid {ranks[victim]}) killed at {t_kill - t0:.2f} s (hidden siblings of "
                         f"{out.name} then: {during}); mpirun exited {rc} {time.monotonic() - t_kill:.2f} s later")
            h.check(rc != 0, f"mpirun exit {rc} after rank {victim} was killed, expected non-zero")
            time.sleep(0.5)
            left = rank_processes(out)
            h.check(not left, f"racesim-mpi processes left after mpirun exited: {left}")
            for pid in left.values():
                os.kill(pid, signal.SIGKILL)
        finally:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
            so.close()
            se.close()
            h.log.append(f"$ {' '.join(argv)}\n[exit {rc}]\n--- stdout ---\n{h.shard._tail((h.work / 'mpirun.out').read_text())}"
                         f"--- stderr ---\n{h.shard._tail((h.work / 'mpirun.err').read_text())}")
        h.check(not out.exists(), f"{out} exists after rank {victim} was killed: {sorted(os.listdir(out)) if out.is_dir() else 'a file'}")
        siblings = [n for n in h.shard.hidden_siblings(h.work) if n.startswith(f".{out.name}.")]
        if victim == "1":
            h.check(not siblings, f"hidden siblings of {out.name} left in {h.work}: {siblings}")
        else:
            # A SIGKILLed writer may leave them; the next run writing to the same directory removes them.
            h.log.append(f"hidden siblings after the writer was killed: {siblings}")
            rc, _, err = h.cmd([h.a.racesim, "run", h.fixture("two"), "--out", str(out)])
            h.check(rc == 0, f"racesim run into {out.name} after the killed job: exit {rc}: {err.strip()[-400:]}")
            left = [n for n in h.shard.hidden_siblings(h.work) if n.startswith(f".{out.name}.")]
            h.check(not left, f"hidden siblings of {out.name} still left after the next run: {left}")
    return case


def case_refusals(h):
    bad = h.work / "bad.yaml"
    bad.write_text(Path(h.fixture("two")).read_text().replace("gamma: 1}", "gama: 1}"))
    rc, _, err = h.mpirun(2, ["run", bad, "--out", "bad-out"])
    h.check(rc == 1, f"racesim-mpi of an invalid config: exit {rc}, expected 1 (as racesim)")
    h.check("gama" in err, f"racesim-mpi of an invalid config: stderr does not name 'gama': {err.strip()[-400:]}")
    h.check(not (h.work / "bad-out").exists(), "racesim-mpi of an invalid config wrote bad-out")
    rc, _, _ = h.cmd([h.a.racesim, "run", h.fixture("two"), "--out", "one"])
    h.cmd([h.a.racesim, "run", h.fixture("two"), "--out", "existing"])
    (h.work / "existing" / "one.csv").write_text("stale\n")
    rc, _, err = h.mpirun(2, ["run", h.fixture("two"), "--out", "existing"])
    h.check(rc == 3, f"racesim-mpi into an existing results directory: exit {rc}, expected 3 (as racesim)")
    h.check((h.work / "existing" / "one.csv").read_text() == "stale\n", "racesim-mpi without --force changed existing/")
    rc, _, err = h.mpirun(2, ["run", h.fixture("two"), "--out", "existing", "--force"])
    if h.check(rc == 0, f"racesim-mpi --force: exit {rc}: {err.strip()[-400:]}"):
        diffs = h.shard.compare_dirs(h.work / "one", h.work / "existing")
        h.check(not diffs, "racesim-mpi --force: existing/ differs from one/:\n    " + "\n    ".join(diffs[:12]))
    left = h.shard.hidden_siblings(h.work)
    h.check(not left, f"temporary entries left in {h.work}: {left}")


CASES = {
    "ldd-racesim": lambda h: ldd(h, h.a.racesim, False),
    "ldd-racesim-mpi": lambda h: ldd(h, h.a.racesim_mpi, True),
    "np2-sweep-ode": same_as_one_process(2, "sweep-ode"),
    "np2-sweep-ode-no-trajectories": same_as_one_process(2, "sweep-ode", ("--no-trajectories",)),
    "np2-mc-ode": same_as_one_process(2, "mc-ode"),
    "np2-solve-sens": same_as_one_process(2, "solve-sens"),
    "np2-grid-closed": same_as_one_process(2, "grid-closed", ("--no-trajectories",)),
    "np2-analyses": same_as_one_process(2, "analyses"),
    "np3-mc-closed": same_as_one_process(3, "mc-closed"),
    "np3-mc-ode": same_as_one_process(3, "mc-ode"),
    "np3-two": same_as_one_process(3, "two"),
    "np2-conditioning": same_as_one_process(2, "configs/examples/declining-efficiency.yaml", want_warnings=2),
    "killed-rank": killed("1"),
    "killed-root": killed("0"),
    "refusals": case_refusals,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("--mpiexec", default="mpirun")
    ap.add_argument("--racesim", required=True)
    ap.add_argument("--racesim-mpi", default="")
    ap.add_argument("--source", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    a.racesim = str(Path(a.racesim).resolve())
    a.racesim_mpi = str(Path(a.racesim_mpi).resolve()) if a.racesim_mpi else ""
    shard = load_shard_module(a.source)
    work = Path(a.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    h = mpi_harness(a, shard)
    if a.case != "ldd-racesim" and not Path(a.racesim_mpi or "/nonexistent").is_file():
        h.check(False, f"racesim-mpi not found: {a.racesim_mpi!r}")
    else:
        CASES[a.case](h)
    return h.finish(a.case)


if __name__ == "__main__":
    sys.exit(main())
