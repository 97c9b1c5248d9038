#!/usr/bin/env python3
"""scrapersky soak: the three pipelines fed continuously for N minutes while faults hit at random.

  tests/faults/soak.py [--minutes 30] [--build DIR] [--seed N] [--keep]

`serve` (with in-process workers) and two `worker` processes run through PgBouncer (transaction
mode) against the suite's own PostgreSQL; a feeder enqueues scans, WF4 domain analyses and WF5
imports through the API (keeping a bounded backlog); 20 readers hit the GET routes. Between
random pauses one fault is injected (PgBouncer restart, PostgreSQL restart, kill -9 of a worker,
kill -9 of serve; each kind in turn, in a shuffled order). At the end the feeder stops, the
backlog drains, and the exactly-once checks of the fault suite run over everything that was
acknowledged. Prints per-phase figures (a phase runs from one fault to the next): jobs, URLs and
pages finished, 5xx, the fault and its recovery times. Not for CI: it runs as long as asked.
"""
from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (OUTAGE_LEASE, PgCluster, Result, Rig, Suite, Window, log, markdown_table)  # noqa: E402
from fixture_sites import SiteSpec  # noqa: E402

FAULT_KINDS = ["pgbouncer_restart", "postgres_restart", "kill_worker", "kill_serve"]
FEED_INTERVAL = 2.0      # seconds between enqueued items
MAX_BACKLOG = 12         # items not yet finished; the feeder waits above it


@dataclass
class Phase:
    start: float
    fault: Optional[Window] = None
    end: float = 0.0
    figures: dict = field(default_factory=dict)


class Feeder(threading.Thread):
    """Enqueues scans (8 recurring sites), and fresh WF4 domains and WF5 files, in turn."""

    def __init__(self, rig: Rig, n_fresh: int, seed: int):
        super().__init__(daemon=True)
        self.rig = rig
        self.rng = random.Random(seed)
        self.n_fresh = n_fresh
        self.next_wf4 = 0
        self.next_wf5 = 0
        self.stop_flag = threading.Event()
        self.fed = {"scan": 0, "wf4": 0, "wf5": 0, "refused": 0}

    def run(self) -> None:
        turn = 0
        while not self.stop_flag.wait(FEED_INTERVAL):
            try:
                if self.rig.workload.pending_count(self.rig.store) >= MAX_BACKLOG:
                    continue
            except Exception:
                continue  # the database is down: feed later
            kind = ("scan", "wf4", "wf5")[turn % 3]
            turn += 1
            try:
                self.feed(kind)
            except Exception as e:  # an outage or an unacknowledged request: counted, not fatal
                self.fed["refused"] += 1
                log(f"soak: feeding {kind} failed: {str(e)[:160]}")

    def feed(self, kind: str) -> None:
        wl = self.rig.workload
        if kind == "scan":
            req = wl.scan(f"scan{self.rng.randrange(8)}", strict=False)
            if req.job_id is None:
                raise RuntimeError("scan request not acknowledged")
        elif kind == "wf4" and self.next_wf4 < self.n_fresh:
            site = f"wf4_{self.next_wf4}"
            self.next_wf4 += 1
            d = wl.domain_analysis(site)
            if not wl.queue_domains([d], strict=False):
                raise RuntimeError(f"queueing {d.domain} not acknowledged")
        elif kind == "wf5" and self.next_wf5 < self.n_fresh:
            site = f"wf5_{self.next_wf5}"
            self.next_wf5 += 1
            f = wl.sitemap_import(site)
            if not wl.queue_imports([f], strict=False):
                raise RuntimeError(f"queueing {f.url} not acknowledged")
        else:
            return
        self.fed[kind] += 1


def inject(rig: Rig, kind: str, rng: random.Random) -> Window:
    t = time.time()
    if kind == "pgbouncer_restart":
        rig.cluster.restart_pgbouncer(5.0)
    elif kind == "postgres_restart":
        rig.cluster.restart_postgres(3.0)
    elif kind == "kill_worker":
        workers = [p for p in rig.procs if p.name.startswith("worker") and p.alive()]
        victim = rng.choice(workers)
        rig.kill9(victim)
        time.sleep(2)
        rig.start_worker(victim.name.split("#")[0], 4)
    elif kind == "kill_serve":
        rig.kill9(rig.serve)
        rig.start_serve()
    return Window(kind, t, time.time())


def sig_at(rig: Rig, t: float) -> dict:
    """The DbWatch signature of the last sample at or before t."""
    best = None
    for ts, _, sig in rig.watch.samples:
        if ts <= t:
            best = sig
        else:
            break
    return best or {"jobs_done": 0, "urls": 0, "pages": 0, "files_done": 0, "doms_done": 0}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--build", default=str(Path(__file__).resolve().parents[2] / "build"))
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--keep", action="store_true", help="keep the run directory (logs, databases)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    duration = args.minutes * 60
    # Fresh WF4/WF5 sites: at most one of each every 3 feeds.
    n_fresh = int(duration / (3 * FEED_INTERVAL)) + 2
    # Items of 4-7 s, so that faults find writes in flight. The fixture keeps 64 rendered sites
    # and renders the fresh ones as they are first asked for.
    specs = [SiteSpec(f"scan{i}", n_urls=10000, children=2, seed=500 + i, trickle_bps=150_000) for i in range(8)]
    specs += [SiteSpec(f"wf4_{i}", n_urls=6000, children=2, seed=1000 + i, trickle_bps=100_000)
              for i in range(n_fresh)]
    specs += [SiteSpec(f"wf5_{i}", n_urls=6000, children=2, seed=5000 + i, trickle_bps=60_000)
              for i in range(n_fresh)]
    result = Result("soak")
    phases: List[Phase] = []
    started = time.time()
    log(f"soak: {args.minutes} min, seed {args.seed}")
    with Suite(Path(args.build).resolve(), keep=args.keep) as suite:
        rig = None
        try:
            cluster = PgCluster(suite, "pg").init()
            rig = Rig(suite, "soak", cluster, specs, serve_workers=True, watch_interval=1.0,
                      lease=OUTAGE_LEASE)
            for i in (1, 2):
                rig.start_worker(f"worker{i}", 4)
            rig.start_readers(20, pause=0.2)
            feeder = Feeder(rig, n_fresh, args.seed)
            feeder.start()
            t_end = time.time() + duration
            kinds: List[str] = []
            phases.append(Phase(time.time()))
            while True:
                gap = rng.uniform(40, 90)
                if time.time() + gap > t_end - 20:
                    break
                time.sleep(gap)
                if not kinds:
                    kinds = FAULT_KINDS[:]
                    rng.shuffle(kinds)
                kind = kinds.pop()
                log(f"soak: fault {kind}")
                w = inject(rig, kind, rng)
                phases[-1].end = w.start
                phases.append(Phase(w.start, w))
                if kind == "postgres_restart":  # wait PgBouncer's back-off out before the next one
                    Rig.wait_for(cluster.bouncer_ok, 30, 0.5)
            time.sleep(max(0.0, t_end - time.time()))
            feeder.stop_flag.set()
            feeder.join(timeout=30)
            phases[-1].end = time.time()
            log(f"soak: feeding stopped ({feeder.fed}); draining")
            how = rig.wait_done(time.time() + 180, time.time() + 15 + 2 * OUTAGE_LEASE)
            rig.finish(result, [p.fault for p in phases if p.fault], how)
            for p in phases:
                a, b = sig_at(rig, p.start), sig_at(rig, p.end)
                p.figures = {k: b[k] - a[k] for k in ("jobs_done", "urls", "pages", "files_done", "doms_done")}
                p.figures.update(rig.readers.window(p.start, p.end))
            result.notes.append(f"fed: {feeder.fed}")
        except KeyboardInterrupt:
            result.fail("interrupted")
        except Exception as e:
            result.fail(f"soak error: {e}")
            import traceback
            traceback.print_exc()
        finally:
            if rig:
                rig.stop()
            suite.cleanup()
    print_report(result, phases, time.time() - started)
    return 0 if result.ok else 1


def print_report(result: Result, phases: List[Phase], took: float) -> None:
    cols = ["phase", "from", "length", "fault", "jobs done", "URLs", "pages", "WF5 done", "WF4 done", "5xx",
            "conn err", "timeouts", "recovery"]
    rows = []
    t0 = phases[0].start if phases else 0
    for i, p in enumerate(phases):
        f = p.figures
        rows.append([str(i), f"{p.start - t0:.0f}s", f"{p.end - p.start:.0f}s",
                     p.fault.name if p.fault else "-", str(f.get("jobs_done", "")), f"{f.get('urls', 0):,}",
                     f"{f.get('pages', 0):,}", str(f.get("files_done", "")), str(f.get("doms_done", "")),
                     str(f.get("5xx", "")), str(f.get("conn_errors", "")), str(f.get("timeouts", "")),
                     p.fault.recovery_text() if p.fault else "-"])
    markdown_table(cols, rows)
    print(f"\nsoak {'PASS' if result.ok else 'FAIL'} after {took / 60:.1f} min: {result.jobs} jobs, "
          f"{result.urls:,} URLs, {result.pages:,} pages; faults: {result.recovery}")
    print(f"errors inside fault windows: {result.window_errors}")
    for f in result.failures:
        print(f"  FAIL  {f}")
    for n in result.notes:
        print(f"  note  {n}")


if __name__ == "__main__":
    sys.exit(main())
