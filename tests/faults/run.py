#!/usr/bin/env python3
"""scrapersky fault suite: "nothing lost, nothing stuck".

  tests/faults/run.py [--build DIR] [--only NAME[,NAME]] [--keep]

Starts its own PostgreSQL 15 + PgBouncer 1.18 (transaction mode), fixture sites and the
`scrapersky` binary of DIR (default: build), injects one fault per scenario, checks that every
expected URL/page is stored exactly once, that each request made one job, that no claim is
left behind and that no log shows a transaction-mode/libpq misuse. Prints a summary table and
exits non-zero if any scenario failed. See tests/faults/README.md.
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Callable, Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (API_KEY, LEASE_SECONDS, OUTAGE_LEASE, POLL_INTERVAL, TAKEN_OVER_TEXT, Api, Netns,  # noqa: E402
                     PgCluster, Result, Rig, Sites, SqliteStore, Suite, Tmpfs, Window, Workload,
                     base_holder, capped, count_lines, digest, holder_prefix_from_log, log, raise_nofile,
                     markdown_table, run, set_wait_budget, sql_str)
from fixture_sites import SiteSpec  # noqa: E402

# How long a claim of a dead or cut-off process may stay: two leases, one poll, and the whole
# second by which stored times are truncated (docs/scan.md).
TAKEOVER_LIMIT = 2 * LEASE_SECONDS + POLL_INTERVAL + 1.0


def pipeline_specs(scans: int, wf4: int, wf5: int, n_urls: int = 24000, wf5_urls: int = 10000,
                   bps: int = 200_000) -> List[SiteSpec]:
    """Sites for the three pipelines: 2 children each (one gzipped), trickled so an item takes
    ~8 s (the plain child of 12,000 URLs is ~1.7 MB); a scan writes a 10,000-row batch mid-file."""
    specs = [SiteSpec(f"scan{i}", n_urls=n_urls, children=2, seed=100 + i, trickle_bps=bps)
             for i in range(scans)]
    specs += [SiteSpec(f"wf4_{i}", n_urls=n_urls, children=2, seed=200 + i, trickle_bps=bps)
              for i in range(wf4)]
    specs += [SiteSpec(f"wf5_{i}", n_urls=wf5_urls, children=2, seed=300 + i, trickle_bps=bps // 2)
              for i in range(wf5)]
    return specs


def enqueue_all(rig: Rig) -> None:
    wl = rig.workload
    for name in rig.sites.specs:
        if name.startswith("scan"):
            wl.scan(name)
    doms = [wl.domain_analysis(n) for n in rig.sites.specs if n.startswith("wf4_")]
    files = [wl.sitemap_import(n) for n in rig.sites.specs if n.startswith("wf5_")]
    if doms:
        wl.queue_domains(doms)
    if files:
        wl.queue_imports(files)


def wait_mid_work(rig: Rig, result: Result, timeout: float = 25) -> None:
    """Until URLs and pages are stored and each pipeline has an item in progress."""
    if not rig.wait_for(lambda: rig.mid_work(all_pipelines=True), timeout):
        result.notes.append("the fault came before every pipeline was mid-work (slower than planned)")


# --------------------------------------------------------------------------- scenarios

class Ctx:
    def __init__(self, suite: Suite):
        self.suite = suite
        self._cluster: Optional[PgCluster] = None

    @property
    def cluster(self) -> PgCluster:
        """The loopback PostgreSQL + PgBouncer shared by the loopback scenarios."""
        if self._cluster is None:
            log("starting PostgreSQL 15 + PgBouncer (loopback)")
            self._cluster = PgCluster(self.suite, "pg").init()
        return self._cluster


def db_outage_scenario(ctx: Ctx, result: Result, name: str, fault: Callable[[PgCluster], None],
                       allowance: float) -> None:
    """serve --no-workers + 2 workers through PgBouncer, 20 readers, all three pipelines; `fault`
    runs mid-work; then everything must complete exactly once."""
    c = ctx.cluster
    rig = Rig(ctx.suite, name, c, pipeline_specs(4, 3, 3), lease=OUTAGE_LEASE)
    try:
        workers = [rig.start_worker(f"worker{i}", 10) for i in (1, 2)]
        rig.start_readers(20)
        enqueue_all(rig)
        wait_mid_work(rig, result)
        w = Window(name, time.time(), 0)
        log(f"{name}: fault")
        fault(c)
        w.end = time.time()
        log(f"{name}: fault over after {w.end - w.start:.1f}s; waiting for the work")
        how = rig.wait_done(w.end + allowance + 60, w.end + allowance + 2 * rig.lease)
        rig.finish(result, [w], how)
    finally:
        rig.stop()


def pgbouncer_restart(ctx: Ctx, result: Result) -> None:
    db_outage_scenario(ctx, result, "pgbouncer_restart", lambda c: c.restart_pgbouncer(5.0), allowance=0)


def postgres_restart(ctx: Ctx, result: Result) -> None:
    try:
        # Through PgBouncer the outage lasts until its login back-off (server_login_retry, 15 s) ends.
        db_outage_scenario(ctx, result, "postgres_restart", lambda c: c.restart_postgres(3.0), allowance=15)
    finally:
        # The next scenario needs PgBouncer serving again.
        Rig.wait_for(lambda: ctx.cluster.bouncer_ok(), 30, step=0.5)


def kill_worker(ctx: Ctx, result: Result) -> None:
    rig = Rig(ctx.suite, "kill_worker", ctx.cluster, pipeline_specs(4, 3, 3))
    try:
        workers = [rig.start_worker(f"worker{i}", 10) for i in (1, 2)]
        ids = {w.name: holder_prefix_from_log(w) for w in workers}
        rig.start_readers(20)
        enqueue_all(rig)

        def victim() -> Optional[str]:
            if not rig.mid_work():
                return None
            _, claims, _ = rig.watch.latest()
            for w in workers:
                if any(c["k"] == "job" and c["s"] == "running" and c["c"].startswith(ids[w.name])
                       for c in claims if c["c"]):
                    return w.name
            return None
        if not rig.wait_for(lambda: victim() is not None, 25):
            result.notes.append("no worker held a running scan with stored URLs; killing worker1")
        name = victim() or "worker1"
        proc = next(w for w in workers if w.name == name)
        held = [(c["k"], c["id"]) for c in rig.watch.claims_of(ids[name])]
        t = rig.kill9(proc)
        log(f"kill_worker: kill -9 {name} holding {len(held)} claims")
        w = Window("kill -9 worker", t, t)
        at = check_takeover(rig, result, held, ids[name], t, "killed worker")
        how = rig.wait_done(t + 60, t + 2 * LEASE_SECONDS)
        rig.finish(result, [w], how)
        result.recovery = takeover_text(at, t) + result.recovery
    finally:
        rig.stop()


def check_takeover(rig: Rig, result: Result, held, prefix: str, t: float, who: str) -> Optional[float]:
    """The claims `held` by `prefix` at `t` must be released (taken over or finished) in time."""
    if not held:
        result.notes.append(f"the {who} held no claim at the fault")
        return None
    rig.wait_for(lambda: rig.watch.released_at(held, prefix, t) is not None, TAKEOVER_LIMIT + 20, 0.3)
    at = rig.watch.released_at(held, prefix, t)
    if at is None or at - t > TAKEOVER_LIMIT:
        result.fail(f"claims of the {who} still held {('%.1f' % (at - t)) if at else '>%.0f' % (TAKEOVER_LIMIT + 20)}s "
                    f"after the fault (limit {TAKEOVER_LIMIT:.1f}s: 2 leases + poll + 1 s)")
    else:
        result.notes.append(f"{len(held)} claims of the {who} taken over after {at - t:.1f}s")
    return at


def takeover_text(at: Optional[float], t: float) -> str:
    return f"takeover {at - t:.1f}s; " if at else "takeover -; "


def kill_serve(ctx: Ctx, result: Result) -> None:
    rig = Rig(ctx.suite, "kill_serve", ctx.cluster, pipeline_specs(2, 1, 1), serve_workers=True)
    try:
        sid = holder_prefix_from_log(rig.serve)
        rig.start_readers(20)
        enqueue_all(rig)
        if not rig.wait_for(lambda: rig.mid_work() and any(
                c["k"] == "job" and c["s"] == "running" for c in rig.watch.claims_of(sid)), 25):
            result.notes.append("serve held no running scan with stored URLs at the kill")
        held = [(c["k"], c["id"]) for c in rig.watch.claims_of(sid)]
        t = rig.kill9(rig.serve)
        log(f"kill_serve: kill -9 serve holding {len(held)} claims; restarting it")
        rig.start_serve()
        w = Window("kill -9 serve", t, time.time())
        at = check_takeover(rig, result, held, sid, t, "killed serve")
        how = rig.wait_done(w.end + 60, w.end + 2 * LEASE_SECONDS)
        rig.finish(result, [w], how)
        result.recovery = takeover_text(at, t) + result.recovery
    finally:
        rig.stop()


def cross_host(ctx: Ctx, result: Result) -> None:
    suite = ctx.suite
    net = Netns(suite)
    hosts = net.create(["db", "sites", "serve", "w1", "w2"])
    log(f"cross_host: namespaces up {hosts}")
    cluster = PgCluster(suite, "pg-cross", host=hosts["db"], netns=net.ns("db")).init()
    specs = pipeline_specs(3, 2, 2, n_urls=24000, wf5_urls=10000, bps=160_000)
    specs += [SiteSpec(f"late{i}", n_urls=6000, children=2, seed=400 + i, trickle_bps=100_000)
              for i in range(6)]
    rig = Rig(suite, "cross_host", cluster, specs, sites_host=hosts["sites"],
              sites_netns=net.ns("sites"), serve_host=hosts["serve"], serve_port=8000,
              serve_netns=net.ns("serve"))
    try:
        w1 = rig.start_worker("worker1", 3, netns=net.ns("w1"))
        w1_id = base_holder(holder_prefix_from_log(w1))
        rig.start_readers(10)
        wl = rig.workload
        for n in specs:
            if n.name.startswith("scan"):
                wl.scan(n.name)
        doms = [wl.domain_analysis(n.name) for n in specs if n.name.startswith("wf4_")]
        files = [wl.sitemap_import(n.name) for n in specs if n.name.startswith("wf5_")]
        wl.queue_domains(doms)
        wl.queue_imports(files)
        # worker1 takes what it can first (3 items), then worker2 (8 threads: room to take over).
        rig.wait_for(lambda: len(rig.watch.claims_of(w1_id)) >= 3, 15)
        w2 = rig.start_worker("worker2", 8, netns=net.ns("w2"))
        w2_id = base_holder(holder_prefix_from_log(w2))
        if not rig.wait_for(lambda: rig.mid_work() and rig.watch.claims_of(w1_id), 25):
            result.notes.append("worker1 held no claim with URLs stored at the cut")
        held = [(c["k"], c["id"]) for c in rig.watch.claims_of(w1_id)]
        net.link("w1", up=False)
        t_cut = time.time()
        log(f"cross_host: worker1's link down, it holds {len(held)} claims: {held}")
        t_over = check_takeover(rig, result, held, w1_id, t_cut, "cut-off worker")
        for key in held:
            hist = rig.watch.holder_history(key)
            later = [h for t, h in hist if t > t_cut]
            if later and not later[0].startswith(w2_id):
                result.fail(f"{key} was taken over by {later[0]}, not worker2 ({w2_id})")
        # worker2 finishes everything while worker1 is still cut off.
        rig.wait_done(t_cut + 60, t_cut + 2 * LEASE_SECONDS)
        snap = snapshot(rig, held)
        # worker2 is paused while worker1 rejoins, so that the new jobs are worker1's to claim
        # (an idle worker2 with 8 threads would win every race for them).
        log("cross_host: original work over; pausing worker2, rejoining worker1")
        os.killpg(w2.pid, signal.SIGSTOP)
        try:
            net.link("w1", up=True)
            t_rejoin = time.time()
            w = Window("worker1 cut off", t_cut, t_rejoin)
            late = [wl.scan(f"late{i}") for i in range(6)]
            late_ids = {r.job_id for r in late}
            # The cut worker's late writes arrive when its TCP retransmissions get through (up to
            # ~15 s after the rejoin), then whatever it still had to write. Wait for its first
            # claim of a new job, and for a changed row (fail) or a refusal in its log.
            changed: List[str] = []
            claimed_new = lambda: any(k == "job" and i in late_ids
                                      for k, i in rig.watch.ever_claimed_by(w1_id, t_rejoin))
            deadline = capped(t_rejoin + 45)
            while time.time() < deadline:
                changed = diff_snapshot(snap, snapshot(rig, held))
                if changed or (claimed_new() and count_lines(w1, TAKEN_OVER_TEXT)):
                    break
                time.sleep(1)
            rejoined = claimed_new()
        finally:
            os.killpg(w2.pid, signal.SIGCONT)
        how = rig.wait_done(time.time() + 40, time.time())
        changed += [c for c in diff_snapshot(snap, snapshot(rig, held)) if c not in changed]
        for c in changed:
            result.fail(f"late write after the rejoin: {c}")
        if not rejoined:
            result.fail(f"the rejoined worker1 ({w1_id}) claimed none of the 6 jobs enqueued after "
                        f"the rejoin within 45 s (worker2 paused)")
        else:
            mine = [i for k, i in rig.watch.ever_claimed_by(w1_id, t_rejoin) if i in late_ids]
            result.notes.append(f"rejoined worker1 claimed {len(mine)} of the 6 new jobs")
        n_over = count_lines(w1, TAKEN_OVER_TEXT)
        result.notes.append(f"'{TAKEN_OVER_TEXT}' lines in worker1's log: {n_over}")
        rig.finish(result, [w], how)
        result.recovery = takeover_text(t_over, t_cut) + "after the rejoin: " + result.recovery
    finally:
        rig.stop()
        cluster.stop()
        net.destroy()


def snapshot(rig: Rig, held) -> Dict[str, dict]:
    """The final fields of the items the cut worker held, and the URL/page digests."""
    out: Dict[str, dict] = {}
    ids = {k: [i for kk, i in held if kk == k] for k in ("job", "domain", "file")}
    q = lambda xs: ",".join(sql_str(x) for x in xs) or "NULL"
    for r in rig.store.rows(
            "SELECT job_id::text AS id, status, claimed_by, lease_expires_at, completed_at, updated_at, "
            f"progress, error, result_data::text AS result_data, attempts FROM jobs WHERE job_id::text IN ({q(ids['job'])}) "
            f"OR domain_id::text IN ({q(ids['domain'])})"):
        out["job " + r["id"]] = r
    for r in rig.store.rows(
            "SELECT id::text AS id, sitemap_analysis_status, sitemap_analysis_error, claimed_by, "
            f"lease_expires_at, updated_at FROM domains WHERE id::text IN ({q(ids['domain'])})"):
        out["domain " + r["id"]] = r
    for r in rig.store.rows(
            "SELECT id::text AS id, sitemap_import_status, sitemap_import_error, claimed_by, lease_expires_at, "
            f"last_processed_at, updated_at FROM sitemap_files WHERE id::text IN ({q(ids['file'])})"):
        out["file " + r["id"]] = r
    for s in rig.store.file_summaries():
        out["urls " + s["file"]] = {"n": s["n"], "h": s["h"]}
    for s in rig.store.page_summaries():
        out[f"pages {s['domain_id']} {s['file']}"] = {"n": s["n"], "h": s["h"]}
    return out


def diff_snapshot(before: Dict[str, dict], after: Dict[str, dict]) -> List[str]:
    out = []
    for key, old in before.items():
        new = after.get(key)
        if new is None:
            out.append(f"{key} vanished")
            continue
        for f, v in old.items():
            if new.get(f) != v:
                out.append(f"{key}: {f} {str(v)[:60]!r} -> {str(new.get(f))[:60]!r}")
    return out


def sqlite_full_disk(ctx: Ctx, result: Result) -> None:
    suite = ctx.suite
    d = suite.scenario_dir("sqlite_full_disk")
    mnt = d / "mnt"
    fs = Tmpfs(suite, mnt, "12m")
    spec = SiteSpec("big", n_urls=120_000, children=4, seed=7)
    sites = Sites(suite, d, [spec])
    db_path = mnt / "scrapersky.db"
    env = suite.product_env(f"sqlite:///{db_path}")
    target = sites.origin("big") + "/"

    def scan(tag: str):
        t = time.time()
        with open(d / f"{tag}.log", "wb") as logf:
            p = subprocess.run([str(suite.binary), "scan", target, "--json", "--quiet"], env=env, cwd=str(d),
                               stdout=subprocess.PIPE, stderr=logf,
                               timeout=max(10.0, capped(time.time() + 180) - time.time()))
        return p.returncode, p.stdout.decode(errors="replace"), (d / f"{tag}.log").read_text(errors="replace"), time.time() - t

    try:
        rc, out, err, took = scan("scan1")
        text = out + "\n" + err
        result.notes.append(f"scan on the full disk: exit {rc} after {took:.1f}s")
        if rc == 0:
            result.fail("the scan on a full disk exited 0")
        elif rc < 0 or rc >= 128:
            result.fail(f"the scan on a full disk ended by a signal (exit {rc})")
        if not re.search(r"disk (is )?full|no space left|SQLITE_FULL", text, re.I):
            result.fail(f"no error naming the full disk; output: {text.strip()[-300:]!r}")
        else:
            m = re.search(r".{0,80}(disk (is )?full|no space left|SQLITE_FULL).{0,80}", text, re.I)
            result.notes.append(f"error: {m.group(0).strip()[:160]!r}")
        try:
            ok = SqliteStore(db_path).rows("PRAGMA integrity_check")
            verdict = [list(r.values())[0] for r in ok]
            if verdict != ["ok"]:
                result.fail(f"integrity_check on the full disk: {verdict[:3]}")
        except Exception as e:
            result.fail(f"integrity_check could not run on the full disk: {e}")
        fs.resize("256m")
        # Let the failed scan's lease run out, so the next scan fails it as abandoned if needed.
        time.sleep(LEASE_SECONDS + 1.5)
        rc, out, err, took = scan("scan2")
        result.notes.append(f"scan after freeing space: exit {rc} after {took:.1f}s")
        if rc != 0:
            result.fail(f"the scan after freeing space exited {rc}: {err.strip()[-300:]!r}")
        store = SqliteStore(db_path)
        wl = Workload(sites, None)
        dom = store.rows(f"SELECT id FROM domains WHERE domain = {sql_str(sites.domain('big'))}")
        got = {s["file"]: s for s in store.file_summaries() if dom and s["domain_id"] == dom[0]["id"]}
        for f in wl._compare_files("big", got, "sitemap_urls"):
            result.fail(f)
        jobs = store.rows("SELECT status, error, claimed_by FROM jobs")
        result.notes.append("jobs: " + ", ".join(f"{j['status']}" + (f" ({j['error'][:60]})" if j["error"] else "")
                                                 for j in jobs))
        if any(j["status"] in ("running", "pending") for j in jobs):
            result.fail("a job is still running/pending after the second scan")
        verdict = [list(r.values())[0] for r in store.rows("PRAGMA integrity_check")]
        if verdict != ["ok"]:
            result.fail(f"integrity_check after the second scan: {verdict[:3]}")
        result.jobs = len(jobs)
        result.urls = sum(s["n"] for s in got.values())
    finally:
        sites.proc.stop()
        fs.umount()


def idle_connections(ctx: Ctx, result: Result) -> None:
    raise_nofile(8192)
    c = ctx.cluster
    rig = Rig(ctx.suite, "idle_connections", c, [SiteSpec("unused", n_urls=10)])
    try:
        rig.serve.stop()
        rig.expected_dead.add(rig.serve.name)
        rig.start_serve(nofile=8192)
        rig.api.must("POST", "/api/v3/domains/direct-submit",
                     {"domains": [f"idle{i}.example.com" for i in range(60)]}, [200])
        host, port = rig.api.host, rig.api.port
        socks: List[socket.socket] = []
        for i in range(1000):
            s = socket.create_connection((host, port), timeout=5)
            s.setblocking(False)
            if i % 2:
                s.send(b"GET /api/v3/domains HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            socks.append(s)
        stop = threading.Event()

        def trickle():
            while not stop.is_set():
                for s in socks[1::2]:
                    try:
                        s.send(b"a")
                    except OSError:
                        pass
                stop.wait(1.0)
        tt = threading.Thread(target=trickle, daemon=True)
        tt.start()
        time.sleep(1.0)
        fds = len(os.listdir(f"/proc/{rig.serve.pid}/fd"))
        result.notes.append(f"serve holds {fds} file descriptors with 1,000 idle/trickling clients")
        if fds < 1000:
            result.fail(f"serve holds only {fds} descriptors: the 1,000 clients were not all accepted")
        lat: Dict[str, List[float]] = {"/healthz": [], "/api/v3/domains?size=20": []}
        errors: List[str] = []
        lock = threading.Lock()

        def measure(keepalive: bool, n: int):
            conn = None
            for i in range(n):
                path = list(lat)[i % 2]
                t0 = time.perf_counter()
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection(host, port, timeout=5)
                    conn.request("GET", path, headers={"X-API-Key": API_KEY})
                    r = conn.getresponse()
                    r.read()
                    dt = time.perf_counter() - t0
                    with lock:
                        lat[path].append(dt)
                        if r.status != 200:
                            errors.append(f"{path} -> {r.status}")
                except (OSError, http.client.HTTPException) as e:
                    with lock:
                        errors.append(f"{path}: {e}")
                    conn = None
                if not keepalive and conn is not None:
                    conn.close()
                    conn = None
                time.sleep(0.005)
        ths = [threading.Thread(target=measure, args=(True, 160)) for _ in range(3)]
        ths.append(threading.Thread(target=measure, args=(False, 120)))
        for t in ths:
            t.start()
        for t in ths:
            t.join()
        stop.set()
        tt.join()
        still_open = 0
        for s in socks:
            try:
                still_open += 1 if s.recv(1, socket.MSG_PEEK) != b"" else 0
            except BlockingIOError:
                still_open += 1
            except OSError:
                pass
        for s in socks:
            s.close()
        all_lat = sorted(x for v in lat.values() for x in v)
        p = lambda xs, q: sorted(xs)[min(len(xs) - 1, int(q * len(xs)))] * 1000 if xs else float("nan")
        p99 = p(all_lat, 0.99)
        result.notes.append(f"{len(all_lat)} requests: p50 {p(all_lat, 0.5):.1f} ms, p99 {p99:.1f} ms "
                            f"(healthz p99 {p(lat['/healthz'], 0.99):.1f}, domains p99 "
                            f"{p(lat['/api/v3/domains?size=20'], 0.99):.1f}); {still_open} of 1,000 clients still open")
        if len(all_lat) < 500:
            result.fail(f"only {len(all_lat)} requests measured")
        if p99 >= 100:
            result.fail(f"p99 {p99:.1f} ms >= 100 ms with 1,000 idle clients")
        if errors:
            result.fail(f"{len(errors)} failed requests, e.g. {errors[:2]}")
        result.recovery = f"p99 {p99:.1f} ms"
        for f in __import__("harness").log_hygiene(rig.procs):
            result.fail(f)
    finally:
        rig.watch.stop()
        rig.stop()


def _raw_exchange(host: str, port: int, data_parts: List[bytes], timeout: float = 10) -> str:
    """Sends the parts (ignoring a reset once the server has answered) and returns the status line."""
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        for part in data_parts:
            try:
                s.sendall(part)
            except OSError:
                break
        buf = b""
        try:
            while b"\r\n" not in buf:
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
        except OSError:
            pass
        return buf.split(b"\r\n", 1)[0].decode(errors="replace")
    finally:
        s.close()


def oversized(ctx: Ctx, result: Result) -> None:
    rig = Rig(ctx.suite, "oversized", ctx.cluster, [SiteSpec("unused", n_urls=10)])
    try:
        host, port = rig.api.host, rig.api.port
        limit = 1 << 20  # API_MAX_BODY_BYTES default (src/config/settings.cc, src/api/http_server.h)
        pad = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"a" * 1000) for i in range(70))  # ~71 KiB
        head = b"GET /api/v3/domains HTTP/1.1\r\nHost: x\r\nX-API-Key: " + API_KEY.encode() + b"\r\n"
        st = _raw_exchange(host, port, [head, pad, b"\r\n"])
        result.notes.append(f"{len(pad) // 1024} KiB of headers: {st!r}")
        if " 431 " not in st + " ":
            result.fail(f"headers over 64 KiB answered {st!r}, not 431")
        body = b"{" + b" " * limit + b"}"
        req = (b"POST /api/v3/sitemap/scan HTTP/1.1\r\nHost: x\r\nX-API-Key: " + API_KEY.encode() +
               b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
        st = _raw_exchange(host, port, [req, body])
        result.notes.append(f"{len(body)}-byte body: {st!r}")
        if " 413 " not in st + " ":
            result.fail(f"a body over {limit} bytes answered {st!r}, not 413")
        chunked = (b"POST /api/v3/sitemap/scan HTTP/1.1\r\nHost: x\r\nX-API-Key: " + API_KEY.encode() +
                   b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n%s\r\n" % (65536, b" " * 65536)
        st = _raw_exchange(host, port, [chunked] + [chunk] * 20 + [b"0\r\n\r\n"])
        result.notes.append(f"chunked body of 1.25 MiB: {st!r}")
        if " 413 " not in st + " ":
            result.fail(f"a chunked body over {limit} bytes answered {st!r}, not 413")
        for path in ("/healthz", "/api/v3/domains"):
            status, _ = rig.api.get(path)
            if status != 200:
                result.fail(f"after the oversized requests {path} answered {status}")
        status, data = rig.api.post("/api/v3/sitemap/scan", {"base_url": "https://example.com/"})
        if status != 202:
            result.fail(f"a normal POST after the oversized ones answered {status}")
        if not rig.serve.alive():
            result.fail("serve died")
        for f in __import__("harness").log_hygiene(rig.procs):
            result.fail(f)
    finally:
        rig.watch.stop()
        rig.stop()


SCENARIOS: Dict[str, Callable[[Ctx, Result], None]] = {
    "pgbouncer_restart": pgbouncer_restart,
    "postgres_restart": postgres_restart,
    "kill_worker": kill_worker,
    "kill_serve": kill_serve,
    "cross_host": cross_host,
    "sqlite_full_disk": sqlite_full_disk,
    "idle_connections": idle_connections,
    "oversized": oversized,
}

# Seconds each scenario may wait in all (its checks and shutdown come on top, ~5-10 s). They
# add up to ~6.5 minutes, so that the whole suite stays under 8 even when every wait runs out;
# a scenario takes 30-50% less when the product behaves.
WAIT_BUDGET = {"pgbouncer_restart": 60, "postgres_restart": 80, "kill_worker": 50,
               "kill_serve": 40, "cross_host": 85, "sqlite_full_disk": 50, "idle_connections": 15,
               "oversized": 10}


def print_table(results: List[Result], total: float) -> None:
    cols = ["scenario", "result", "time", "jobs", "URLs", "pages", "errors in fault window", "recovery"]
    rows = [[r.name, "PASS" if r.ok else "FAIL", f"{r.duration:.0f}s", str(r.jobs), f"{r.urls:,}",
             f"{r.pages:,}", r.window_errors, r.recovery] for r in results]
    markdown_table(cols, rows)
    print(f"\ntotal {total:.0f}s; {sum(r.ok for r in results)} of {len(results)} scenarios passed")
    for r in results:
        if r.failures or r.notes:
            print(f"\n{r.name}: {'PASS' if r.ok else 'FAIL'}")
            for f in r.failures[:15]:
                print(f"  FAIL  {f}")
            if len(r.failures) > 15:
                print(f"  FAIL  ... and {len(r.failures) - 15} more")
            for n in r.notes:
                print(f"  note  {n}")
    sys.stdout.flush()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=str(Path(__file__).resolve().parents[2] / "build"),
                    help="build directory holding src/cli/scrapersky (default: build)")
    ap.add_argument("--only", help="comma-separated scenario names: " + ", ".join(SCENARIOS))
    ap.add_argument("--keep", action="store_true", help="keep the run directory (logs, databases)")
    args = ap.parse_args()
    names = list(SCENARIOS)
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in SCENARIOS]
        if unknown:
            ap.error(f"unknown scenario(s) {unknown}; known: {', '.join(SCENARIOS)}")
    start = time.time()
    results: List[Result] = []
    interrupted = False
    with Suite(Path(args.build).resolve(), keep=args.keep) as suite:
        ctx = Ctx(suite)
        try:
            for name in names:
                log(f"=== {name}")
                r = Result(name)
                t = time.time()
                set_wait_budget(WAIT_BUDGET[name] + (10 if ctx._cluster is None and name != "sqlite_full_disk" else 0))
                try:
                    SCENARIOS[name](ctx, r)
                except KeyboardInterrupt:
                    r.fail("interrupted")
                    interrupted = True
                except Exception as e:
                    r.fail(f"scenario error: {e}")
                    traceback.print_exc()
                r.duration = time.time() - t
                results.append(r)
                log(f"=== {name}: {'PASS' if r.ok else 'FAIL'} in {r.duration:.0f}s")
                if interrupted:
                    break
        except KeyboardInterrupt:
            interrupted = True
        finally:
            log("cleaning up")
            suite.cleanup()
    print_table(results, time.time() - start)
    if interrupted:
        return 130
    return 0 if results and all(r.ok for r in results) and len(results) == len(names) else 1


if __name__ == "__main__":
    sys.exit(main())
