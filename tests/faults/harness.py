"""Shared mechanics of the fault suite (run.py) and the soak (soak.py). Python 3 stdlib only.

- Suite: the run directory, the lock against a concurrent run, the sweep of an earlier run's
  leftovers (processes, network namespaces, links, tmpfs mounts), and the cleanup registry.
- Proc: a child in its own process group (optionally inside a network namespace) logging to a file.
- PgCluster: a throwaway PostgreSQL 15 + PgBouncer 1.18 (transaction mode, default
  server_login_retry) run as the postgres user, with fault operations.
- Netns: the cross-host topology (namespaces, veth pairs, one bridge, 198.18.0.0/24).
- Api / ApiReaders: a small client and the background readers that count 5xx per window.
- DbWatch: a sampler of the claim columns, for takeover times and who claimed what.
- Workload: fixture sites, the three pipelines enqueued through the API, and every
  exactly-once check against the expected URL sets.
- log_hygiene / log_lines_between: scans of the product's logs.
"""
from __future__ import annotations

import calendar
import fcntl
import hashlib
import http.client
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Tuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import fixture_sites  # noqa: E402
from fixture_sites import SiteSpec  # noqa: E402

REPO = HERE.parent.parent
STATE_ROOT = Path(os.environ.get("SCRAPERSKY_FAULTS_DIR", "/tmp/scrapersky-faults"))
LOCK_FILE = Path(str(STATE_ROOT) + ".lock")
MARK = "SCRAPERSKY_FAULTS_MARK"      # in the environment of every process the suite starts
NS_PREFIX = "sfx-"                   # network namespaces, veths and the bridge
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PGBOUNCER = "/usr/sbin/pgbouncer"
API_KEY = "faults-key"
LEASE_SECONDS = 4
# The database outages run with a lease longer than PgBouncer's ~6 s restart: a claim must
# survive the outage by the product's own retries, not be rescued by another worker's takeover
# after its heartbeat lapsed (with a 4 s lease that takeover hides a claim left behind).
OUTAGE_LEASE = 8
POLL_INTERVAL = 0.5

# Log lines that must never appear (transaction-mode pooling mistakes and libpq misuse).
FORBIDDEN_LOG_TEXT = ["current transaction is aborted", "already begun", "prepared statement",
                      "another command is already in progress"]
TAKEN_OVER_TEXT = "was taken over"


_wait_until = float("inf")   # no wait of a scenario goes past this (set_wait_budget)


def set_wait_budget(seconds: float) -> None:
    """Caps every wait of the scenario that starts now (the suite's 8-minute contract)."""
    global _wait_until
    _wait_until = time.time() + seconds


def capped(deadline: float) -> float:
    return min(deadline, _wait_until)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(argv: List[str], timeout: float = 60, check: bool = True, env=None,
        input_text: Optional[str] = None) -> subprocess.CompletedProcess:
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env,
                       input=input_text)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({p.returncode}): {p.stderr.strip()[-2000:]}")
    return p


def free_port(host: str = "127.0.0.1") -> int:
    s = socket.socket()
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(host: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def raise_nofile(n: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, max(n, hard)))


def sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


# --------------------------------------------------------------------------- suite / cleanup

class Suite:
    """One run: its directory, the lock, the leftovers sweep and the cleanup registry."""

    def __init__(self, build_dir: Path, keep: bool = False):
        self.build_dir = build_dir
        self.binary = build_dir / "src" / "cli" / "scrapersky"
        if not self.binary.exists():
            raise SystemExit(f"no binary at {self.binary}: build it (TARGETS=scrapersky scripts/build.sh)")
        self.keep = keep
        self.root = STATE_ROOT
        self._lock_fd: Optional[int] = None
        self._cleanups: List[Tuple[str, Callable[[], None]]] = []
        self._cleaned = False
        self.base_env = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"),
            "HOME": "/root", "LANG": "C.UTF-8", MARK: str(STATE_ROOT),
        }

    # -- lifecycle
    def __enter__(self) -> "Suite":
        if os.geteuid() != 0:
            raise SystemExit("the fault suite runs as root (network namespaces, tmpfs, runuser)")
        self._lock_fd = os.open(str(LOCK_FILE), os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SystemExit(f"another fault-suite run holds {LOCK_FILE}")
        sweep_leftovers()
        self.root.mkdir(parents=True)
        # Everything of a run on one tmpfs: fast for PostgreSQL, and gone with one umount.
        run(["mount", "-t", "tmpfs", "-o", "size=6g,mode=0755", "tmpfs", str(self.root)])
        os.chmod(self.root, 0o755)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, _raise_interrupt)
        return self

    def __exit__(self, *exc) -> None:
        self.cleanup()

    def on_cleanup(self, what: str, fn: Callable[[], None]) -> None:
        self._cleanups.append((what, fn))

    def cleanup(self) -> None:
        """Idempotent: runs the registered cleanups (newest first), then the sweep."""
        if self._cleaned:
            return
        self._cleaned = True
        old = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            while self._cleanups:
                what, fn = self._cleanups.pop()
                t = time.monotonic()
                try:
                    fn()
                except Exception as e:  # cleanup goes on whatever fails
                    log(f"cleanup of {what}: {e}")
                if time.monotonic() - t > 0.3:
                    log(f"cleanup of {what} took {time.monotonic() - t:.1f}s")
            if self.keep:
                log(f"kept {self.root} (a tmpfs: logs, databases; the next run removes it)")
            else:
                sweep_leftovers()
        finally:
            for s, h in old.items():
                signal.signal(s, h)
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    def scenario_dir(self, name: str) -> Path:
        d = self.root / name
        d.mkdir(parents=True, exist_ok=True)
        os.chmod(d, 0o755)
        return d

    # -- product processes
    def product_env(self, database_url: str, **extra: str) -> Dict[str, str]:
        env = dict(self.base_env)
        env.update({
            "DATABASE_URL": database_url,
            "WORKER_LEASE_SECONDS": str(LEASE_SECONDS),  # a Rig may override it
            "WORKER_POLL_INTERVAL": str(POLL_INTERVAL),
            "SCRAPERSKY_ALLOW_PRIVATE_TARGETS": "1",
            "API_KEYS": API_KEY,
            "LOG_FORMAT": "text",
            "DB_POOL_SIZE": "14",
            "DB_MAX_OVERFLOW": "10",
        })
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def start(self, name: str, argv: List[str], log_path: Path, env: Dict[str, str],
              netns: Optional[str] = None, nofile: Optional[int] = None,
              cwd: Optional[Path] = None) -> "Proc":
        p = Proc(name, argv, log_path, env, netns=netns, nofile=nofile, cwd=cwd)
        self.on_cleanup(f"process {name}", p.stop)
        return p

    def migrate(self, database_url: str, log_path: Path, netns: Optional[str] = None) -> None:
        env = self.product_env(database_url)
        cmd = (["ip", "netns", "exec", netns] if netns else []) + [str(self.binary), "migrate"]
        with open(log_path, "ab") as f:
            rc = subprocess.run(cmd, env=env, stdout=f, stderr=subprocess.STDOUT, timeout=120,
                                cwd=str(log_path.parent)).returncode
        if rc != 0:
            raise RuntimeError(f"scrapersky migrate failed ({rc}); see {log_path}")


def _raise_interrupt(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _marked_pids() -> List[int]:
    me = os.getpid()
    needle = f"{MARK}={STATE_ROOT}".encode()
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if needle in f.read().split(b"\0"):
                    out.append(int(entry))
        except OSError:
            continue
    return out


def sweep_leftovers() -> None:
    """Removes everything an earlier (possibly killed) run left: processes carrying the suite's
    mark, network namespaces/links named sfx-*, tmpfs mounts below the state dir, the dir."""
    # Namespaces first: their processes are killed with them.
    ns = run(["ip", "netns", "list"], check=False).stdout.split("\n")
    for line in ns:
        name = line.split(" ")[0].strip()
        if name.startswith(NS_PREFIX):
            for pid in run(["ip", "netns", "pids", name], check=False).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
    for _ in range(3):
        pids = _marked_pids()
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.3)
    for line in ns:
        name = line.split(" ")[0].strip()
        if name.startswith(NS_PREFIX):
            run(["ip", "netns", "del", name], check=False)
    links = run(["ip", "-o", "link", "show"], check=False).stdout.split("\n")
    for line in links:
        m = re.match(r"\d+:\s+([^:@\s]+)", line)
        if m and m.group(1).startswith(NS_PREFIX):
            run(["ip", "link", "del", m.group(1)], check=False)
    try:
        with open("/proc/mounts") as f:
            mounts = [l.split()[1] for l in f]
    except OSError:
        mounts = []
    for mp in sorted(mounts, key=len, reverse=True):
        if mp == str(STATE_ROOT) or mp.startswith(str(STATE_ROOT) + "/"):
            run(["umount", "-l", mp], check=False)
    if STATE_ROOT.exists():
        shutil.rmtree(STATE_ROOT, ignore_errors=True)


class Proc:
    """A child in its own process group, stdout+stderr to `log_path`."""

    def __init__(self, name: str, argv: List[str], log_path: Path, env: Dict[str, str],
                 netns: Optional[str] = None, nofile: Optional[int] = None,
                 cwd: Optional[Path] = None):
        self.name = name
        self.log_path = log_path
        self.netns = netns
        cmd = (["ip", "netns", "exec", netns] if netns else []) + [str(a) for a in argv]

        def preexec():
            if nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        with open(log_path, "ab") as out:
            self.p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out,
                                      stderr=subprocess.STDOUT, env=env, start_new_session=True,
                                      preexec_fn=preexec, cwd=str(cwd or log_path.parent))
        self.pid = self.p.pid
        self.started = time.time()
        self.ended: Optional[float] = None

    def alive(self) -> bool:
        return self.p.poll() is None

    def _group(self, sig: int) -> None:
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            pass

    def kill9(self) -> None:
        self._group(signal.SIGKILL)
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.ended = time.time()

    def stop(self, timeout: float = 12) -> Optional[int]:
        if self.alive():
            self._group(signal.SIGTERM)
            try:
                self.p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._group(signal.SIGKILL)
                self.p.wait(timeout=10)
        self._group(signal.SIGKILL)  # anything left in the group
        if self.ended is None:
            self.ended = time.time()
        return self.p.returncode

    def text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


# --------------------------------------------------------------------------- PostgreSQL + PgBouncer

class PgCluster:
    """PostgreSQL 15 + PgBouncer 1.18 in transaction mode (server_login_retry left at 15 s)."""

    def __init__(self, suite: Suite, name: str, host: str = "127.0.0.1",
                 netns: Optional[str] = None, pool_size: int = 20):
        self.suite = suite
        self.dir = suite.root / name
        self.host = host
        self.netns = netns
        self.pool_size = pool_size
        self.pg_port = 5432 if netns else free_port(host)
        self.bouncer_port = 6432 if netns else free_port(host)
        while self.bouncer_port == self.pg_port:
            self.bouncer_port = free_port(host)

    def _as_pg(self, argv: List[str]) -> List[str]:
        return (["ip", "netns", "exec", self.netns] if self.netns else []) + \
            ["runuser", "-u", "postgres", "--"] + [str(a) for a in argv]

    def _run(self, argv: List[str], timeout: float = 60, check: bool = True):
        return run(self._as_pg(argv), timeout=timeout, check=check, env=self.suite.base_env)

    @property
    def data(self) -> Path:
        return self.dir / "data"

    @property
    def pg_log(self) -> Path:
        return self.dir / "postgres.log"

    @property
    def bouncer_log(self) -> Path:
        return self.dir / "pgbouncer.log"

    def init(self) -> "PgCluster":
        self.dir.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.dir, "postgres")
        os.chmod(self.dir, 0o755)
        self._run([PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
                   "--locale=C.UTF-8", "--no-sync"], timeout=120)
        with open(self.data / "postgresql.conf", "a") as f:
            f.write(f"""
listen_addresses = '{self.host}'
port = {self.pg_port}
unix_socket_directories = '{self.dir}'
max_connections = 300
log_min_messages = warning
log_connections = off
log_disconnections = off
fsync = off
synchronous_commit = off
full_page_writes = off
""")
        with open(self.data / "pg_hba.conf", "a") as f:
            f.write("host all all 198.18.0.0/15 trust\n")
        (self.dir / "userlist.txt").write_text('"postgres" ""\n')
        (self.dir / "pgbouncer.ini").write_text(f"""[databases]
* = host={self.host} port={self.pg_port}

[pgbouncer]
listen_addr = {self.host}
listen_port = {self.bouncer_port}
unix_socket_dir = {self.dir}
auth_type = trust
auth_file = {self.dir}/userlist.txt
pool_mode = transaction
default_pool_size = {self.pool_size}
max_client_conn = 2000
logfile = {self.bouncer_log}
pidfile = {self.dir}/pgbouncer.pid
admin_users = postgres
server_reset_query =
""")
        for f in ("userlist.txt", "pgbouncer.ini"):
            shutil.chown(self.dir / f, "postgres")
        self.suite.on_cleanup(f"cluster {self.dir.name}", self.stop)
        self.start_postgres()
        self.start_pgbouncer()
        return self

    def start_postgres(self) -> None:
        self._run([PG_BIN / "pg_ctl", "-D", self.data, "-l", self.pg_log, "-w", "-t", "60",
                   "start"], timeout=90)
        if not wait_port(self.host, self.pg_port, 30):
            raise RuntimeError(f"PostgreSQL is not listening on {self.host}:{self.pg_port}")

    def stop_postgres(self, mode: str = "fast") -> None:
        p = self._run([PG_BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "30", "stop"],
                      timeout=60, check=False)
        if p.returncode != 0 and (self.data / "postmaster.pid").exists():
            self._run([PG_BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "-t", "30",
                       "stop"], timeout=60, check=False)

    def _bouncer_pid(self) -> Optional[int]:
        try:
            return int((self.dir / "pgbouncer.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def start_pgbouncer(self) -> None:
        self._run([PGBOUNCER, "-d", self.dir / "pgbouncer.ini"], timeout=30)
        if not wait_port(self.host, self.bouncer_port, 30):
            raise RuntimeError(f"PgBouncer is not listening on {self.host}:{self.bouncer_port}")

    def stop_pgbouncer(self) -> None:
        """Immediate shutdown (SIGTERM): client connections are dropped, as in a crash/redeploy."""
        pid = self._bouncer_pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    # -- the two database faults of the suite and the soak
    def restart_pgbouncer(self, down: float = 5.0) -> None:
        self.stop_pgbouncer()
        time.sleep(down)
        self.start_pgbouncer()

    def restart_postgres(self, down: float = 3.0) -> None:
        """Fast shutdown, a pause, start. Through PgBouncer the outage then lasts until its
        login back-off (server_login_retry, 15 s) lets it connect again."""
        self.stop_postgres("fast")
        time.sleep(down)
        self.start_postgres()

    def stop(self) -> None:
        self.stop_pgbouncer()
        if (self.data / "postmaster.pid").exists():
            self.stop_postgres("immediate")

    # -- connections and queries (straight to PostgreSQL: works while PgBouncer is down)
    def url(self, db: str, bouncer: bool = True) -> str:
        port = self.bouncer_port if bouncer else self.pg_port
        return f"postgresql://postgres@{self.host}:{port}/{db}"

    def _psql(self, sql: str, db: str, timeout: float) -> str:
        env = dict(self.suite.base_env, PGCONNECT_TIMEOUT="3")
        p = run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.host, "-p",
                 str(self.pg_port), "-U", "postgres", "-d", db, "-c", sql], timeout=timeout, env=env)
        return p.stdout

    def bouncer_ok(self) -> bool:
        env = dict(self.suite.base_env, PGCONNECT_TIMEOUT="3")
        p = run(["psql", "-X", "-q", "-A", "-t", "-h", self.host, "-p", str(self.bouncer_port), "-U",
                 "postgres", "-d", "postgres", "-c", "SELECT 1"], timeout=10, check=False, env=env)
        return p.returncode == 0 and p.stdout.strip() == "1"

    def query(self, sql: str, db: str, timeout: float = 30) -> List[dict]:
        out = self._psql(f"SELECT coalesce(json_agg(q_), '[]'::json) FROM ({sql}) q_", db, timeout)
        return json.loads(out.strip() or "[]")

    def value(self, sql: str, db: str, timeout: float = 30):
        prefix = ""
        if sql.startswith("SET "):  # a session setting for psql's own connection
            prefix, sql = sql.split("; ", 1)
            prefix += "; "
        out = self._psql(f"{prefix}SELECT to_json(({sql}))", db, timeout).strip()
        return json.loads(out) if out else None

    def execute(self, sql: str, db: str = "postgres", timeout: float = 60) -> None:
        self._psql(sql, db, timeout)

    def create_database(self, name: str) -> str:
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.execute(f"CREATE DATABASE {name}")
        return name


# --------------------------------------------------------------------------- network namespaces

class Netns:
    """Namespaces joined by one bridge in the root namespace (198.18.0.1/24 on the bridge,
    so the suite reaches every host). Hosts get 198.18.0.<n>/24 on their eth0."""

    SUBNET = "198.18.0"

    def __init__(self, suite: Suite):
        self.suite = suite
        self.bridge = NS_PREFIX + "br"
        self.hosts: Dict[str, str] = {}   # name -> address
        self.created = False

    def ns(self, name: str) -> str:
        return NS_PREFIX + name

    def host_veth(self, name: str) -> str:
        return NS_PREFIX + name + "-h"

    def create(self, names: List[str]) -> Dict[str, str]:
        self.suite.on_cleanup("network namespaces", self.destroy)
        self.created = True
        ip = ["ip"]
        run(ip + ["link", "add", self.bridge, "type", "bridge"])
        run(ip + ["addr", "add", f"{self.SUBNET}.1/24", "dev", self.bridge])
        run(ip + ["link", "set", self.bridge, "up"])
        for i, name in enumerate(names):
            addr = f"{self.SUBNET}.{i + 2}"
            ns, hv, cv = self.ns(name), self.host_veth(name), NS_PREFIX + name + "-c"
            run(ip + ["netns", "add", ns])
            run(ip + ["link", "add", hv, "type", "veth", "peer", "name", cv])
            run(ip + ["link", "set", cv, "netns", ns])
            run(ip + ["-n", ns, "link", "set", cv, "name", "eth0"])
            run(ip + ["-n", ns, "addr", "add", f"{addr}/24", "dev", "eth0"])
            run(ip + ["-n", ns, "link", "set", "eth0", "up"])
            run(ip + ["-n", ns, "link", "set", "lo", "up"])
            run(ip + ["link", "set", hv, "master", self.bridge])
            run(ip + ["link", "set", hv, "up"])
            self.hosts[name] = addr
        return dict(self.hosts)

    def link(self, name: str, up: bool) -> None:
        run(["ip", "link", "set", self.host_veth(name), "up" if up else "down"])

    def destroy(self) -> None:
        if not self.created:
            return
        self.created = False
        for name in self.hosts:
            ns = self.ns(name)
            for pid in run(["ip", "netns", "pids", ns], check=False).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
        time.sleep(0.2)
        for name in self.hosts:
            run(["ip", "netns", "del", self.ns(name)], check=False)
            run(["ip", "link", "del", self.host_veth(name)], check=False)
        run(["ip", "link", "del", self.bridge], check=False)


# --------------------------------------------------------------------------- tmpfs

class Tmpfs:
    def __init__(self, suite: Suite, path: Path, size: str):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)])
        self.mounted = True
        suite.on_cleanup(f"tmpfs {path}", self.umount)

    def resize(self, size: str) -> None:
        run(["mount", "-o", f"remount,size={size}", str(self.path)])

    def umount(self) -> None:
        if self.mounted:
            self.mounted = False
            run(["umount", "-l", str(self.path)], check=False)


# --------------------------------------------------------------------------- fixture sites

class Sites:
    """A fixture_sites.py process serving `specs` on `host` (optionally inside a netns)."""

    def __init__(self, suite: Suite, workdir: Path, specs: List[SiteSpec], host: str = "127.0.0.1",
                 netns: Optional[str] = None, name: str = "sites", wait_rendered: bool = True):
        self.specs = {s.name: s for s in specs}
        self.host = host
        spec_file = workdir / f"{name}.json"
        spec_file.write_text(json.dumps([s.to_json() for s in specs]))
        self.proc = suite.start(name, [sys.executable, str(HERE / "fixture_sites.py"), "--host", host,
                                       "--spec-file", spec_file], workdir / f"{name}.log",
                                suite.base_env, netns=netns, nofile=8192)
        self.ports: Dict[str, int] = {}
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not self.ports:
            for line in self.proc.text().splitlines():
                if line.startswith("{") and '"ready"' in line:
                    self.ports = json.loads(line)["ports"]
            if not self.proc.alive():
                raise RuntimeError(f"fixture sites exited: {self.proc.text()[-2000:]}")
            time.sleep(0.05)
        if not self.ports:
            raise RuntimeError("fixture sites did not start")
        if wait_rendered:  # generated before any work starts: no generation during a scenario
            while time.monotonic() < deadline + 60 and '"rendered"' not in self.proc.text():
                time.sleep(0.05)
        self._expected: Dict[str, Dict[str, List[str]]] = {}

    def origin(self, name: str) -> str:
        return f"http://{self.host}:{self.ports[name]}"

    def domain(self, name: str) -> str:
        return f"{self.host}:{self.ports[name]}"

    def index_url(self, name: str) -> str:
        return fixture_sites.index_url(self.origin(name))

    def children(self, name: str) -> Dict[str, List[str]]:
        if name not in self._expected:
            self._expected[name] = fixture_sites.expected_children(self.specs[name], self.origin(name))
        return self._expected[name]

    def n_urls(self, name: str) -> int:
        return self.specs[name].n_urls


# --------------------------------------------------------------------------- API

class Api:
    def __init__(self, host: str, port: int, key: str = API_KEY):
        self.host, self.port, self.key = host, port, key

    def call(self, method: str, path: str, body=None, timeout: float = 10,
             raw_body: Optional[bytes] = None, headers: Optional[dict] = None) -> Tuple[int, object]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            h = {"X-API-Key": self.key}
            data = raw_body
            if body is not None:
                data = json.dumps(body).encode()
                h["Content-Type"] = "application/json"
            h.update(headers or {})
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            raw = resp.read()
            try:
                return resp.status, json.loads(raw) if raw else None
            except ValueError:
                return resp.status, raw.decode(errors="replace")
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, body, **kw):
        return self.call("POST", path, body, **kw)

    def put(self, path, body, **kw):
        return self.call("PUT", path, body, **kw)

    def wait_ready(self, timeout: float = 30, path: str = "/readyz") -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.get(path, timeout=2)[0] == 200:
                    return True
            except OSError:
                pass
            time.sleep(0.1)
        return False

    def must(self, method: str, path: str, body, want: Iterable[int]) -> object:
        status, data = self.call(method, path, body, timeout=20)
        if status not in tuple(want):
            raise RuntimeError(f"{method} {path} -> {status}: {str(data)[:500]}")
        return data


class ApiReaders:
    """`n` threads hitting database-backed GET routes on keep-alive connections; every answer
    (or connection error, status 0) is recorded with its time."""

    def __init__(self, api: Api, n: int = 20, pause: float = 0.1,
                 extra_paths: Optional[Callable[[], List[str]]] = None):
        self.api = api
        self.n = n
        self.pause = pause
        self.extra_paths = extra_paths or (lambda: [])
        self.events: List[Tuple[float, int, float, str]] = []   # (time, status, seconds, path)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: List[threading.Thread] = []

    BASE_PATHS = ["/api/v3/domains?page=1&size=20", "/api/v3/sitemap-files/?size=15",
                  "/api/v3/pages/?limit=20", "/readyz", "/api/v3/domains?sort_by=domain&size=5",
                  "/metrics"]

    def start(self) -> "ApiReaders":
        for i in range(self.n):
            t = threading.Thread(target=self._loop, args=(i,), daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=15)

    def _loop(self, i: int) -> None:
        rng = random.Random(i)
        conn = None
        while not self._stop.is_set():
            paths = self.BASE_PATHS + self.extra_paths()
            path = rng.choice(paths)
            t0 = time.time()
            status = 0
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(self.api.host, self.api.port, timeout=10)
                conn.request("GET", path, headers={"X-API-Key": self.api.key})
                resp = conn.getresponse()
                resp.read()
                status = resp.status
                if resp.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as e:
                status = -1 if isinstance(e, TimeoutError) else 0  # -1: no answer within 10 s
                if conn is not None:
                    conn.close()
                conn = None
            with self._lock:
                self.events.append((t0, status, time.time() - t0, path))
            self._stop.wait(self.pause if status > 0 else max(self.pause, 0.2))
        if conn is not None:
            conn.close()

    def window(self, t0: float, t1: float) -> Dict[str, int]:
        with self._lock:
            ev = [e for e in self.events if t0 <= e[0] <= t1]
        return {"requests": len(ev), "5xx": sum(1 for e in ev if e[1] >= 500),
                "conn_errors": sum(1 for e in ev if e[1] == 0),
                "timeouts": sum(1 for e in ev if e[1] == -1)}

    def first_ok_after(self, t: float) -> Optional[float]:
        with self._lock:
            oks = [e[0] + e[2] for e in self.events if e[0] >= t and e[1] == 200]
        return min(oks) if oks else None

    def totals(self) -> Dict[str, int]:
        return self.window(0, float("inf"))


# --------------------------------------------------------------------------- database watch

CLAIMS_SQL = (
    "SELECT 'job' AS k, job_id::text AS id, status AS s, claimed_by AS c FROM jobs "
    "WHERE claimed_by IS NOT NULL OR status = 'running' "
    "UNION ALL SELECT 'domain', id::text, sitemap_analysis_status, claimed_by FROM domains "
    "WHERE claimed_by IS NOT NULL OR sitemap_analysis_status = 'processing' "
    "UNION ALL SELECT 'file', id::text, sitemap_import_status, claimed_by FROM sitemap_files "
    "WHERE claimed_by IS NOT NULL OR sitemap_import_status = 'Processing'")

SIGNATURE_SQL = (
    "SELECT (SELECT count(*) FROM sitemap_urls) AS urls, (SELECT count(*) FROM pages) AS pages, "
    "(SELECT count(*) FROM jobs) AS jobs, "
    "(SELECT count(*) FROM jobs WHERE status = 'complete') AS jobs_done, "
    "(SELECT max(updated_at)::text FROM jobs) AS jobs_upd, "
    "(SELECT max(updated_at)::text FROM domains) AS dom_upd, "
    "(SELECT max(updated_at)::text FROM sitemap_files) AS files_upd, "
    "(SELECT count(*) FROM sitemap_files WHERE sitemap_import_status = 'Complete' "
    "AND parent_sitemap_id IS NULL) AS files_done, "
    "(SELECT count(*) FROM domains WHERE sitemap_analysis_status = 'submitted') AS doms_done")


class DbWatch:
    """Samples the claim columns and a progress signature every `interval` seconds (straight to
    PostgreSQL; samples that fail during an outage are skipped)."""

    def __init__(self, cluster: PgCluster, db: str, interval: float = 0.25):
        self.cluster, self.db, self.interval = cluster, db, interval
        self.samples: List[Tuple[float, List[dict], dict]] = []
        self.last_change = time.time()
        self._last_sig: Optional[dict] = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        # (kind, id) -> list of (first seen, holder) in order
        self.holders: Dict[Tuple[str, str], List[Tuple[float, str]]] = {}
        self.done_times: List[float] = []  # when a sample first saw more items finished successfully

    def start(self) -> "DbWatch":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        sql = (f"SELECT json_build_object('claims', (SELECT coalesce(json_agg(cl), '[]'::json) FROM "
               f"({CLAIMS_SQL}) cl), 'sig', (SELECT row_to_json(sg) FROM ({SIGNATURE_SQL}) sg))")
        while not self._stop.is_set():
            t = time.time()
            try:
                data = self.cluster.value(sql, self.db, timeout=10)
            except Exception:
                data = None
            if data:
                self._record(t, data["claims"], data["sig"])
            self._stop.wait(self.interval)

    def _record(self, t: float, claims: List[dict], sig: dict) -> None:
        with self._lock:
            self.samples.append((t, claims, sig))
            for c in claims:
                if c["c"]:
                    key = (c["k"], c["id"])
                    hist = self.holders.setdefault(key, [])
                    if not hist or hist[-1][1] != c["c"]:
                        hist.append((t, c["c"]))
            if self._last_sig is not None:
                done = lambda s: s["jobs_done"] + s["files_done"] + s["doms_done"]
                if done(sig) > done(self._last_sig):
                    self.done_times.append(t)
            if sig != self._last_sig:
                self.last_change = t
                self._last_sig = sig

    def latest(self) -> Tuple[Optional[float], List[dict], Optional[dict]]:
        with self._lock:
            if not self.samples:
                return None, [], None
            return self.samples[-1]

    def claims_of(self, prefix: str) -> List[dict]:
        _, claims, _ = self.latest()
        return [c for c in claims if c["c"] and c["c"].startswith(prefix)]

    def first_done_after(self, t: float) -> Optional[float]:
        with self._lock:
            later = [d for d in self.done_times if d >= t]
        return min(later) if later else None

    def released_at(self, keys: List[Tuple[str, str]], prefix: str, after: float) -> Optional[float]:
        """First sample time >= after at which none of `keys` is claimed by `prefix`."""
        with self._lock:
            for t, claims, _ in self.samples:
                if t < after:
                    continue
                held = {(c["k"], c["id"]) for c in claims if c["c"] and c["c"].startswith(prefix)}
                if not held.intersection(keys):
                    return t
        return None

    def holder_history(self, key: Tuple[str, str]) -> List[Tuple[float, str]]:
        with self._lock:
            return list(self.holders.get(key, []))

    def ever_claimed_by(self, prefix: str, since: float) -> List[Tuple[str, str]]:
        with self._lock:
            return [k for k, hist in self.holders.items()
                    if any(t >= since and h.startswith(prefix) for t, h in hist)]


def holder_prefix_from_log(proc: Proc, timeout: float = 30) -> str:
    """The worker id of a worker/serve process ('<host>:<pid>:<random>'), from its start line."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        m = re.search(r"worker (\S+): starting", proc.text())
        if m:
            return m.group(1)
        if not proc.alive():
            break
        time.sleep(0.1)
    return f"{socket.gethostname()}:{proc.pid}:"


def base_holder(worker_id: str) -> str:
    """'<host>:<pid>:<random>' without any per-claim token suffix ('#...')."""
    return worker_id.split("#", 1)[0]


# --------------------------------------------------------------------------- stores (checks)

CHECK_QUERIES = {
    "jobs": "SELECT job_id, job_type, status, target, domain_id, claimed_by, error, attempts FROM jobs",
    "domains": "SELECT id, domain, sitemap_analysis_status AS a, sitemap_analysis_error AS e, claimed_by "
               "FROM domains",
    "files": "SELECT id, domain_id, url, sitemap_import_status AS i, sitemap_import_error AS e, claimed_by, "
             "parent_sitemap_id AS parent FROM sitemap_files",
}


class PgStore:
    def __init__(self, cluster: PgCluster, db: str):
        self.cluster, self.db = cluster, db

    def rows(self, sql: str) -> List[dict]:
        return self.cluster.query(sql, self.db, timeout=60)

    FILE_SUMMARIES = (
        "SELECT sf.domain_id::text AS domain_id, sf.url AS file, count(su.url) AS n, "
        "coalesce(md5(string_agg(su.url, E'\\n' ORDER BY su.url "
        "COLLATE \"C\")), '') AS h FROM sitemap_files sf LEFT JOIN sitemap_urls su ON "
        "su.sitemap_file_id = sf.id GROUP BY sf.domain_id, sf.url")
    PAGE_SUMMARIES = (
        "SELECT p.domain_id::text AS domain_id, sf.url AS file, count(*) AS n, "
        "md5(string_agg(p.url, E'\\n' ORDER BY p.url COLLATE \"C\")) "
        "AS h FROM pages p LEFT JOIN sitemap_files sf ON sf.id = p.sitemap_file_id "
        "GROUP BY p.domain_id, sf.url")
    ORPHANS = ("SELECT count(*) AS n FROM sitemap_urls su WHERE NOT EXISTS "
               "(SELECT 1 FROM sitemap_files sf WHERE sf.id = su.sitemap_file_id)")

    def file_summaries(self) -> List[dict]:
        return self.rows(self.FILE_SUMMARIES)

    def page_summaries(self) -> List[dict]:
        return self.rows(self.PAGE_SUMMARIES)

    def check_data(self) -> Dict[str, List[dict]]:
        """Everything Workload.check reads, in one round trip."""
        parts = dict(CHECK_QUERIES, file_sum=self.FILE_SUMMARIES, page_sum=self.PAGE_SUMMARIES,
                     orphans=self.ORPHANS)
        sql = "SET work_mem = '256MB'; SELECT json_build_object(" + ", ".join(
            f"'{k}', (SELECT coalesce(json_agg(x_), '[]'::json) FROM ({q}) x_)" for k, q in parts.items()) + ")"
        return self.cluster.value(sql, self.db, timeout=120)


class SqliteStore:
    def __init__(self, path: Path):
        self.path = path

    def rows(self, sql: str) -> List[dict]:
        con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        try:
            con.row_factory = sqlite3.Row
            return [dict(r) for r in con.execute(sql)]
        finally:
            con.close()

    def _summaries(self, sql: str) -> List[dict]:
        groups: Dict[Tuple[str, Optional[str]], List[str]] = {}
        for r in self.rows(sql):
            groups.setdefault((r["domain_id"], r["file"]), [])
            if r["u"] is not None:
                groups[(r["domain_id"], r["file"])].append(r["u"])
        out = []
        for (d, f), urls in groups.items():
            out.append({"domain_id": d, "file": f, "n": len(urls), "h": digest(urls) if urls else ""})
        return out

    def file_summaries(self) -> List[dict]:
        return self._summaries("SELECT sf.domain_id AS domain_id, sf.url AS file, su.url AS u FROM "
                               "sitemap_files sf LEFT JOIN sitemap_urls su ON su.sitemap_file_id = sf.id")

    def page_summaries(self) -> List[dict]:
        return self._summaries("SELECT p.domain_id AS domain_id, sf.url AS file, p.url AS u FROM pages p "
                               "LEFT JOIN sitemap_files sf ON sf.id = p.sitemap_file_id")

    def check_data(self) -> Dict[str, List[dict]]:
        out = {k: self.rows(q) for k, q in CHECK_QUERIES.items()}
        out["file_sum"] = self.file_summaries()
        out["page_sum"] = self.page_summaries()
        out["orphans"] = self.rows(PgStore.ORPHANS)
        return out


def digest(urls: Iterable[str]) -> str:
    return hashlib.md5("\n".join(sorted(urls)).encode()).hexdigest()


# --------------------------------------------------------------------------- workload

@dataclass
class ScanReq:
    site: str
    target: str
    job_id: Optional[str] = None      # None: the request was not acknowledged (soak)


@dataclass
class Wf4Domain:
    site: str
    domain: str
    domain_id: str
    queued: int = 1                   # acknowledged "Selected" requests


@dataclass
class Wf5File:
    site: str
    file_id: str
    domain_id: str
    url: str
    queued: int = 1


class Workload:
    """Enqueues the three pipelines through the API and checks every result exactly."""

    MAX_PAGES = 10_000_000

    def __init__(self, sites: Sites, api: Api):
        self.sites, self.api = sites, api
        self.scans: List[ScanReq] = []
        self.wf4: List[Wf4Domain] = []
        self.wf5: List[Wf5File] = []
        self.unacked_scans = 0

    def scan(self, site: str, strict: bool = True) -> ScanReq:
        req = ScanReq(site, self.sites.origin(site) + "/")
        try:
            status, data = self.api.post("/api/v3/sitemap/scan",
                                         {"base_url": req.target, "max_pages": self.MAX_PAGES},
                                         timeout=20)
        except OSError as e:
            status, data = 0, str(e)
        if status == 202:
            req.job_id = data["job_id"]
        elif strict:
            raise RuntimeError(f"scan request for {site}: {status} {data}")
        else:
            self.unacked_scans += 1
        self.scans.append(req)
        return req

    def domain_analysis(self, site: str) -> Wf4Domain:
        name = self.sites.domain(site)
        data = self.api.must("POST", "/api/v3/domains/direct-submit", {"domains": [name]}, [200])
        d = Wf4Domain(site, name, data["domain_ids"][0], 0)
        self.wf4.append(d)
        return d

    def queue_domains(self, domains: List[Wf4Domain], strict: bool = True) -> bool:
        return self._select(domains, "/api/v3/domains/sitemap-curation/status", "domain_ids",
                            [d.domain_id for d in domains], "sitemap_curation_status",
                            "queueing domains", strict)

    def sitemap_import(self, site: str) -> Wf5File:
        url = self.sites.index_url(site)
        data = self.api.must("POST", "/api/v3/sitemap-files/", {"sitemap_url": url}, [201])
        f = Wf5File(site, data["id"], data["domain_id"], url, 0)
        self.wf5.append(f)
        return f

    def queue_imports(self, files: List[Wf5File], strict: bool = True) -> bool:
        return self._select(files, "/api/v3/sitemap-files/sitemap_import_curation/status",
                            "sitemap_file_ids", [f.file_id for f in files],
                            "deep_scrape_curation_status", "queueing imports", strict)

    def _select(self, items, path: str, ids_key: str, ids: List[str], status_key: str,
                what: str, strict: bool) -> bool:
        """PUTs curation status Selected for `ids`, which queues them; counts each item queued."""
        try:
            status, data = self.api.put(path, {ids_key: ids, status_key: "Selected"}, timeout=20)
        except OSError as e:
            status, data = 0, str(e)
        if status == 200 and data.get("queued_count") == len(items):
            for item in items:
                item.queued += 1
            return True
        if strict:
            raise RuntimeError(f"{what}: {status} {data}")
        return False

    def job_ids(self) -> List[str]:
        return [s.job_id for s in self.scans if s.job_id]

    # -- state
    def pending_count(self, store) -> int:
        """Items not yet in a final state (0: all work is over)."""
        rows = store.rows(
            "SELECT (SELECT count(*) FROM jobs WHERE status NOT IN ('complete', 'failed')) + "
            "(SELECT count(*) FROM domains WHERE sitemap_analysis_status IN ('queued', 'processing')) + "
            "(SELECT count(*) FROM sitemap_files WHERE sitemap_import_status IN ('Queued', 'Processing')) "
            "AS n")
        return rows[0]["n"]

    def check(self, store, expect_complete: bool = True) -> Tuple[List[str], Dict[str, int]]:
        """Every exactly-once assertion; returns (failures, figures)."""
        fails: List[str] = []
        data = store.check_data()
        jobs, domains, files = data["jobs"], data["domains"], data["files"]
        file_sum, page_sum = data["file_sum"], data["page_sum"]
        dom_by_name = {d["domain"]: d for d in domains}
        # Nothing stuck: no claim and no in-progress state left.
        stuck = [f"job {j['job_id']} {j['status']} claimed_by={j['claimed_by']}" for j in jobs
                 if j["status"] in ("running", "pending") or j["claimed_by"]]
        stuck += [f"domain {d['domain']} {d['a']} claimed_by={d['claimed_by']}" for d in domains
                  if d["a"] in ("processing", "queued") or d["claimed_by"]]
        stuck += [f"sitemap file {f['url']} {f['i']} claimed_by={f['claimed_by']}" for f in files
                  if f["i"] in ("Processing", "Queued") or f["claimed_by"]]
        if stuck:
            fails.append(f"stuck/unfinished: {len(stuck)} rows, e.g. " + "; ".join(stuck[:4]))
        # One job per request.
        by_target: Dict[str, List[dict]] = {}
        for j in jobs:
            if j["job_type"] == "sitemap":
                by_target.setdefault(j["target"], []).append(j)
        want_per_target: Dict[str, Tuple[int, int]] = {}
        for s in self.scans:
            lo, hi = want_per_target.get(s.target, (0, 0))
            want_per_target[s.target] = (lo + (1 if s.job_id else 0), hi + 1)
        for target, (lo, hi) in want_per_target.items():
            n = len(by_target.get(target, []))
            if not lo <= n <= hi:
                fails.append(f"scan {target}: {n} jobs for {lo} acknowledged request(s)")
            for j in by_target.get(target, []):
                if expect_complete and j["status"] != "complete":
                    fails.append(f"scan job {j['job_id']} ({target}) ended {j['status']}: {j['error']}")
        extra = set(by_target) - set(want_per_target)
        if extra:
            fails.append(f"jobs for targets never requested: {sorted(extra)[:3]}")
        analysed_sites = set()
        for d in self.wf4:
            row = dom_by_name.get(d.domain)
            n = sum(1 for j in jobs if j["job_type"] == "sitemap_analysis" and j["domain_id"] == d.domain_id)
            if d.queued == 0 and n == 0 and row is not None and row["a"] is None:
                continue  # the queue request was not acknowledged and did not happen (soak)
            analysed_sites.add(d.site)
            if not 1 <= n <= max(1, d.queued):
                fails.append(f"WF4 {d.domain}: {n} analysis jobs for {d.queued} queue request(s)")
            for j in jobs:
                if j["job_type"] == "sitemap_analysis" and j["domain_id"] == d.domain_id and \
                        expect_complete and j["status"] != "complete":
                    fails.append(f"WF4 job {j['job_id']} ({d.domain}) ended {j['status']}: {j['error']}")
            if row is None or row["a"] != "submitted":
                fails.append(f"WF4 {d.domain}: analysis {row and row['a']} ({row and row['e']})")
        # URLs: every scanned domain holds exactly its index + children, each child exactly its URLs.
        scanned_sites = sorted({s.site for s in self.scans if by_target.get(s.target)} | analysed_sites)
        sums_by_domain: Dict[str, Dict[str, dict]] = {}
        for s in file_sum:
            sums_by_domain.setdefault(s["domain_id"], {})[s["file"]] = s
        for site in scanned_sites:
            dom = dom_by_name.get(self.sites.domain(site))
            if dom is None:
                fails.append(f"site {site}: no domain row")
                continue
            got = sums_by_domain.get(dom["id"], {})
            fails += self._compare_files(site, got, what="sitemap_urls")
        if data["orphans"][0]["n"]:
            fails.append("sitemap_urls rows without a sitemap file")
        # Pages (WF5).
        pages_by_domain: Dict[str, Dict[Optional[str], dict]] = {}
        for s in page_sum:
            pages_by_domain.setdefault(s["domain_id"], {})[s["file"]] = s
        files_by_id = {f["id"]: f for f in files}
        for f in self.wf5:
            row = files_by_id.get(f.file_id)
            if f.queued == 0 and row is not None and row["i"] is None:
                continue  # the queue request was not acknowledged and did not happen (soak)
            if row is None or row["i"] != "Complete":
                fails.append(f"WF5 {f.url}: import {row and row['i']} ({row and row['e']})")
            got = pages_by_domain.get(f.domain_id, {})
            children = self.sites.children(f.site)
            if None in got:
                fails.append(f"WF5 {f.site}: {got[None]['n']} pages without a sitemap file")
            for child, urls in children.items():
                g = got.get(child)
                if g is None or g["n"] != len(urls) or g["h"] != digest(urls):
                    fails.append(f"WF5 {f.site} {child.rsplit('/', 1)[-1]}: pages "
                                 f"{g and g['n']} of {len(urls)} expected"
                                 f"{', different set' if g and g['n'] == len(urls) else ''}")
            extra_files = set(k for k in got if k is not None) - set(children)
            if extra_files:
                fails.append(f"WF5 {f.site}: pages under unexpected files {sorted(extra_files)[:2]}")
            dom_files = {x["url"] for x in files if x["domain_id"] == f.domain_id}
            if dom_files != set(children) | {f.url}:
                fails.append(f"WF5 {f.site}: sitemap files {len(dom_files)}, expected {len(children) + 1}")
        figures = {"jobs": len(jobs), "urls": sum(s["n"] for s in file_sum),
                   "pages": sum(s["n"] for s in page_sum)}
        return fails, figures

    def _compare_files(self, site: str, got: Dict[str, dict], what: str) -> List[str]:
        fails = []
        children = self.sites.children(site)
        index = self.sites.index_url(site)
        want_files = set(children) | {index}
        if set(got) != want_files:
            fails.append(f"site {site}: sitemap files {sorted(set(got) ^ want_files)[:3]} differ "
                         f"({len(got)} stored, {len(want_files)} expected)")
        for child, urls in children.items():
            g = got.get(child)
            if g is None:
                continue
            if g["n"] != len(urls) or g["h"] != digest(urls):
                fails.append(f"site {site} {child.rsplit('/', 1)[-1]}: {what} {g['n']} rows "
                             f"for {len(urls)} expected"
                             f"{', different set' if g['n'] == len(urls) else ''}")
        if index in got and got[index]["n"]:
            fails.append(f"site {site}: the index has {got[index]['n']} {what} rows")
        return fails


# --------------------------------------------------------------------------- logs

_TS = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)Z\s+(\w+)")


def _line_time(line: str) -> Optional[Tuple[float, str]]:
    m = _TS.match(line)
    if not m:
        return None
    ts = m.group(1)
    base, _, frac = ts.partition(".")
    t = calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S"))
    return t + (float("0." + frac) if frac else 0.0), m.group(2)


def log_hygiene(procs: Iterable[Proc]) -> List[str]:
    """Forbidden text in any product log: one failure line per (process, text)."""
    fails = []
    for p in procs:
        text = p.text()
        for needle in FORBIDDEN_LOG_TEXT:
            hits = [l for l in text.splitlines() if needle in l]
            if hits:
                fails.append(f"log of {p.name}: {len(hits)} line(s) with '{needle}', e.g. {hits[0][:200]}")
    return fails


def log_problems_between(procs: Iterable[Proc], t0: float, t1: float) -> int:
    """warn/error lines of the product logs with a time stamp in [t0, t1]."""
    n = 0
    for p in procs:
        for line in p.text().splitlines():
            parsed = _line_time(line)
            if parsed and t0 <= parsed[0] <= t1 and parsed[1].lower() in ("warning", "warn", "error",
                                                                          "critical"):
                n += 1
    return n


def count_lines(proc: Proc, needle: str) -> int:
    return sum(1 for l in proc.text().splitlines() if needle in l)


# --------------------------------------------------------------------------- the pipeline rig

@dataclass
class Window:
    """One fault: [start, end] plus what was measured after it."""
    name: str
    start: float
    end: float
    api_recovered: Optional[float] = None
    work_recovered: Optional[float] = None

    def recovery_text(self) -> str:
        a = f"{self.api_recovered - self.end:.1f}s" if self.api_recovered else "-"
        w = f"{self.work_recovered - self.end:.1f}s" if self.work_recovered else "-"
        return f"api {a}, work {w}"


@dataclass
class Result:
    name: str
    ok: bool = True
    duration: float = 0.0
    jobs: int = 0
    urls: int = 0
    pages: int = 0
    window_errors: str = "-"
    recovery: str = "-"
    failures: List[str] = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    def fail(self, msg: str) -> None:
        self.ok = False
        self.failures.append(msg)


class Rig:
    """One scenario's pipelines: a fresh database on `cluster`, fixture sites, `serve` (with or
    without in-process workers), `worker` processes, API readers and a DbWatch."""

    def __init__(self, suite: Suite, name: str, cluster: PgCluster, specs: List[SiteSpec], *,
                 sites_host: str = "127.0.0.1", sites_netns: Optional[str] = None,
                 serve_host: str = "127.0.0.1", serve_port: Optional[int] = None,
                 serve_netns: Optional[str] = None, serve_workers: bool = False,
                 watch_interval: float = 0.25, lease: int = LEASE_SECONDS):
        self.suite, self.name, self.cluster = suite, name, cluster
        self.lease = lease
        self.dir = suite.scenario_dir(name)
        self.db = cluster.create_database("faults_" + name)
        suite.migrate(cluster.url(self.db), self.dir / "migrate.log")
        self.sites = Sites(suite, self.dir, specs, host=sites_host, netns=sites_netns)
        self.serve_host, self.serve_netns = serve_host, serve_netns
        self.serve_port = serve_port or free_port(serve_host)
        self.serve_workers = serve_workers  # in-process workers: the pool's default concurrency (4)
        self.procs: List[Proc] = []          # every product process started (for log checks)
        self.expected_dead: set = set()      # names of processes the scenario killed/stopped
        self.api = Api(serve_host, self.serve_port)
        self.serve: Optional[Proc] = None
        self.start_serve()
        self.workload = Workload(self.sites, self.api)
        self.store = PgStore(cluster, self.db)
        self.watch = DbWatch(cluster, self.db, watch_interval).start()
        self.readers: Optional[ApiReaders] = None
        self.t0 = time.time()

    def env(self, **extra) -> Dict[str, str]:
        return self.suite.product_env(self.cluster.url(self.db), WORKER_LEASE_SECONDS=self.lease, **extra)

    def _start(self, name: str, argv: List[str], netns: Optional[str] = None,
               nofile: Optional[int] = None, **env_extra) -> Proc:
        n = sum(1 for p in self.procs if p.name.split("#")[0] == name)
        tag = name if n == 0 else f"{name}#{n + 1}"
        p = self.suite.start(tag, [self.suite.binary] + argv, self.dir / f"{tag}.log",
                             self.env(**env_extra), netns=netns, nofile=nofile)
        self.procs.append(p)
        return p

    def start_serve(self, nofile: Optional[int] = None, wait: float = 60) -> Proc:
        argv = ["serve", "--host", self.serve_host, "--port", str(self.serve_port)]
        if not self.serve_workers:
            argv.append("--no-workers")
        self.serve = self._start("serve", argv, netns=self.serve_netns, nofile=nofile)
        if not self.api.wait_ready(wait, path="/healthz"):
            raise RuntimeError(f"serve did not answer /healthz: {self.serve.text()[-1500:]}")
        return self.serve

    def start_worker(self, name: str, concurrency: int, netns: Optional[str] = None) -> Proc:
        return self._start(name, ["worker", "--concurrency", str(concurrency)], netns=netns)

    def start_readers(self, n: int = 20, pause: float = 0.1) -> ApiReaders:
        jobs = self.workload.job_ids
        self.readers = ApiReaders(self.api, n, pause, extra_paths=lambda: [
            f"/api/v3/sitemap/status/{j}" for j in jobs()[:8]]).start()
        return self.readers

    def kill9(self, proc: Proc) -> float:
        self.expected_dead.add(proc.name)
        t = time.time()
        proc.kill9()
        return t

    # -- waiting
    @staticmethod
    def wait_for(pred: Callable[[], bool], timeout: float, step: float = 0.2) -> bool:
        deadline = capped(time.time() + timeout)
        while time.time() < deadline:
            try:
                if pred():
                    return True
            except Exception:
                pass
            time.sleep(step)
        return False

    def mid_work(self, all_pipelines: bool = False) -> bool:
        """Some URLs or pages stored and work claimed; with all_pipelines: URLs and pages stored
        and a scan, a domain analysis and an import all in progress."""
        _, claims, sig = self.watch.latest()
        if not sig:
            return False
        if not all_pipelines:
            return (sig["urls"] > 0 or sig["pages"] > 0) and any(c["c"] for c in claims)
        kinds = {c["k"] for c in claims if c["c"]}
        return sig["urls"] > 0 and sig["pages"] > 0 and kinds >= {"job", "domain", "file"}

    def all_done(self) -> bool:
        try:
            _, claims, _ = self.watch.latest()
            return self.workload.pending_count(self.store) == 0 and not any(c["c"] for c in claims)
        except Exception:
            return False

    def wait_done(self, deadline: float, quiet_after: float, quiet: float = 12.0) -> str:
        """Until all work is over ('done'), nothing changed in the database for `quiet` s after
        `quiet_after` ('quiet': stuck), or the deadline."""
        t0 = time.time()
        how = "deadline" if deadline <= capped(deadline) else "time budget of the scenario"
        deadline = capped(deadline)
        while time.time() < deadline:
            if self.all_done():
                how = "done"
                break
            now = time.time()
            if now > quiet_after and now - max(self.watch.last_change, quiet_after) > quiet:
                how = "quiet"
                break
            time.sleep(0.3)
        log(f"{self.name}: work {'over' if how == 'done' else 'NOT over (' + how + ')'} "
            f"after {time.time() - t0:.1f}s more")
        return how

    def measure(self, w: Window) -> Window:
        if self.readers:
            w.api_recovered = self.readers.first_ok_after(w.end)
        w.work_recovered = self.watch.first_done_after(w.end)
        return w

    # -- the end
    def finish(self, result: Result, windows: List[Window], how: str) -> Result:
        if how != "done":
            result.notes.append(f"work not over: {how}")
        if self.readers:
            self.readers.stop()
        self.watch.stop()
        for w in windows:
            self.measure(w)
        for p in self.procs:
            if p.name not in self.expected_dead and not p.alive():
                result.fail(f"{p.name} exited unexpectedly (exit {p.p.returncode}); "
                            f"last line: {p.text().strip().splitlines()[-1:]}")
        t = time.monotonic()
        try:
            fails, fig = self.workload.check(self.store)
        except Exception as e:
            fails, fig = [f"checks could not run: {e}"], {}
        log(f"{self.name}: checks took {time.monotonic() - t:.1f}s")
        for f in fails:
            result.fail(f)
        result.jobs, result.urls, result.pages = fig.get("jobs", 0), fig.get("urls", 0), fig.get("pages", 0)
        for f in log_hygiene(self.procs):
            result.fail(f)
        parts = []
        for w in windows:
            end = max(w.end, w.api_recovered or w.end)
            api = self.readers.window(w.start, end) if self.readers else {"5xx": 0, "conn_errors": 0,
                                                                          "timeouts": 0}
            logs = log_problems_between(self.procs, w.start, end)
            parts.append(f"5xx {api['5xx']}, conn {api['conn_errors']}, timeout {api['timeouts']}, "
                         f"log {logs}")
        if windows:
            result.window_errors = "; ".join(parts)
            result.recovery = "; ".join(w.recovery_text() for w in windows)
        if self.readers:
            tot = self.readers.totals()
            outside = tot["5xx"] - sum(self.readers.window(w.start, max(w.end, w.api_recovered or w.end))["5xx"]
                                       for w in windows)
            result.notes.append(f"API readers: {tot['requests']} requests, {tot['5xx']} 5xx "
                                f"({outside} outside fault windows), {tot['conn_errors']} connection errors, "
                                f"{tot['timeouts']} without an answer within 10 s")
        return result

    def stop(self) -> None:
        for p in reversed(self.procs):
            t = time.monotonic()
            p.stop()
            if time.monotonic() - t > 1:
                log(f"{self.name}: {p.name} took {time.monotonic() - t:.1f}s to stop")
        self.sites.proc.stop()


def markdown_table(cols: List[str], rows: List[List[str]]) -> None:
    """A Markdown table of `rows` under `cols`, columns padded to their widest cell."""
    widths = [max([len(c)] + [len(row[i]) for row in rows]) for i, c in enumerate(cols)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    print()
    print(line(cols))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))
