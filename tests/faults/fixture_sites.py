#!/usr/bin/env python3
"""Deterministic generated sitemap sites for the fault suite (stdlib only).

Each site listens on its own port (one origin = one domain for scrapersky) and serves:
  /robots.txt                 "Sitemap: <origin>/sitemaps/index.xml"
  /sitemaps/index.xml         a sitemap index of the site's child sitemaps
  /sitemaps/part-<i>.xml[.gz] the children; every other one gzipped (raw gzip bytes, no
                              Content-Encoding, as many real sites do)
  anything else               404 (discovery probes the well-known paths too)
  /__stats                    JSON {path: hits} of this site, for debugging

URLs are generated from (seed, origin): random order, varied lengths, unique, so the suite knows
the exact expected set of every child without asking the server (`expected_children`).

Responses can trickle (`trickle_bps` bytes/s per response) so that scans are still fetching
and writing when a fault hits. A TLS ClientHello (scrapersky tries https:// first for a bare
domain) is answered by closing the connection: a connection-level failure, so the client falls
back to http:// at once.

Run as a program (the suite does, also inside a network namespace):
  fixture_sites.py --host 127.0.0.1 --spec-file sites.json
prints one JSON line {"ready": true, "ports": {"<name>": port, ...}} once every site listens,
then {"rendered": true} once every site's files are generated, and serves until SIGTERM/SIGINT.
"""
from __future__ import annotations

import argparse
import gzip
import json
import random
import selectors
import signal
import socket
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional, Tuple

INDEX_PATH = "/sitemaps/index.xml"
_WORDS = ["alpha", "beta", "gamma", "delta", "news", "shop", "blog", "docs", "item", "product",
          "category", "archive", "2024", "2025", "en", "de", "fr", "guide", "help", "about-us",
          "catalogue", "summer", "winter", "sale", "x"]
_CHANGEFREQ = ["always", "hourly", "daily", "weekly", "monthly", "yearly", "never"]


@dataclass
class SiteSpec:
    """One generated site. `name` is the suite's handle; `port` 0 picks a free one."""
    name: str
    n_urls: int = 1000
    children: int = 3
    seed: int = 1
    trickle_bps: int = 0          # 0: full speed; else bytes per second per response
    port: int = 0

    def to_json(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_json(d: dict) -> "SiteSpec":
        return SiteSpec(**d)


def child_path(i: int) -> str:
    return f"/sitemaps/part-{i}.xml.gz" if i % 2 == 0 else f"/sitemaps/part-{i}.xml"


def _urls(spec: SiteSpec, origin: str) -> List[str]:
    rng = random.Random(f"{spec.seed}:{spec.name}")
    urls = []
    for i in range(spec.n_urls):
        depth = rng.randint(1, 4)
        parts = [rng.choice(_WORDS) for _ in range(depth - 1)]
        slug_len = rng.choice([3, 8, 16, 40, 90, 160])
        slug = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789-") for _ in range(slug_len))
        parts.append(f"{slug}-{i}")
        urls.append(origin + "/" + "/".join(parts))
    rng.shuffle(urls)
    return urls


def expected_children(spec: SiteSpec, origin: str) -> Dict[str, List[str]]:
    """{child sitemap URL: [page URLs]} of the site at `origin` (e.g. http://127.0.0.1:8001)."""
    urls = _urls(spec, origin)
    out: Dict[str, List[str]] = {}
    n = max(1, spec.children)
    for i in range(n):
        out[origin + child_path(i)] = urls[i::n]
    return out


def index_url(origin: str) -> str:
    return origin + INDEX_PATH


def _urlset(urls: List[str], seed: str) -> bytes:
    rng = random.Random(seed)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for u in urls:
        extra = ""
        r = rng.random()
        if r < 0.5:
            extra += f"<lastmod>2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}</lastmod>"
        if r < 0.3:
            extra += f"<changefreq>{rng.choice(_CHANGEFREQ)}</changefreq>"
        if r < 0.2:
            extra += f"<priority>{rng.randint(0, 10) / 10:.1f}</priority>"
        lines.append(f"<url><loc>{u}</loc>{extra}</url>")
    lines.append("</urlset>")
    return ("\n".join(lines) + "\n").encode()


def render_site(spec: SiteSpec, origin: str) -> Dict[str, Tuple[bytes, str]]:
    """{path: (body, content type)} of every file of the site."""
    files: Dict[str, Tuple[bytes, str]] = {}
    children = expected_children(spec, origin)
    files["/robots.txt"] = (f"User-agent: *\nAllow: /\nSitemap: {index_url(origin)}\n".encode(),
                            "text/plain")
    idx = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for url in children:
        idx.append(f"<sitemap><loc>{url}</loc></sitemap>")
    idx.append("</sitemapindex>")
    files[INDEX_PATH] = (("\n".join(idx) + "\n").encode(), "application/xml")
    for i, (url, page_urls) in enumerate(children.items()):
        body = _urlset(page_urls, f"{spec.seed}:{spec.name}:{i}")
        path = url[len(origin):]
        if path.endswith(".gz"):
            files[path] = (gzip.compress(body, compresslevel=5, mtime=0), "application/octet-stream")
        else:
            files[path] = (body, "application/xml")
    return files


# --------------------------------------------------------------------------- server

class _Cache:
    """Rendered sites, the `cap` most recently used (a soak has hundreds of sites; a site
    dropped is rendered again, identically, when asked for)."""

    def __init__(self, cap: int):
        self.cap = cap
        self.lock = threading.Lock()
        self.files: "OrderedDict[str, Dict[str, Tuple[bytes, str]]]" = OrderedDict()

    def get(self, site: "_Site") -> Dict[str, Tuple[bytes, str]]:
        with self.lock:
            files = self.files.get(site.spec.name)
            if files is None:
                files = render_site(site.spec, site.origin)
                self.files[site.spec.name] = files
                while len(self.files) > self.cap:
                    self.files.popitem(last=False)
            else:
                self.files.move_to_end(site.spec.name)
            return files


class _Site:
    def __init__(self, spec: SiteSpec, host: str, sock: socket.socket, cache: _Cache):
        self.spec = spec
        self.sock = sock
        self.port = sock.getsockname()[1]
        self.origin = f"http://{host}:{self.port}"
        self._cache = cache
        self._lock = threading.Lock()
        self.hits: Dict[str, int] = {}

    def files(self) -> Dict[str, Tuple[bytes, str]]:
        return self._cache.get(self)


def _read_request(conn: socket.socket, buf: bytes) -> Tuple[Optional[str], Optional[str], bytes, bool]:
    """Reads one request head; returns (method, path, rest, keep_alive) or (None, ...) on EOF."""
    while b"\r\n\r\n" not in buf:
        if len(buf) > 65536:
            return None, None, b"", False
        chunk = conn.recv(65536)
        if not chunk:
            return None, None, b"", False
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) < 3:
        return None, None, b"", False
    method, target, version = parts[0], parts[1], parts[2]
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip().lower()
    keep = version == "HTTP/1.1" and headers.get("connection") != "close"
    if version == "HTTP/1.0" and headers.get("connection") == "keep-alive":
        keep = True
    length = int(headers.get("content-length", "0") or 0)
    while len(rest) < length:  # discard a body (none expected)
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return method, target.split("?", 1)[0], rest[length:], keep


def _send_body(conn: socket.socket, body: bytes, bps: int) -> None:
    if bps <= 0:
        conn.sendall(body)
        return
    # ~10 writes a second at the given rate.
    step = max(256, bps // 10)
    start = time.monotonic()
    sent = 0
    while sent < len(body):
        conn.sendall(body[sent:sent + step])
        sent += step
        due = start + sent / bps
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)


def _serve_connection(site: _Site, conn: socket.socket) -> None:
    try:
        conn.settimeout(60)
        try:
            first = conn.recv(1, socket.MSG_PEEK)
        except OSError:
            return
        if not first or first[0] == 0x16:  # TLS handshake on a plain HTTP port: refuse at once
            return
        buf = b""
        while True:
            method, path, buf, keep = _read_request(conn, buf)
            if method is None:
                return
            with site._lock:
                site.hits[path] = site.hits.get(path, 0) + 1
            if path == "/__stats":
                with site._lock:
                    body, ctype = json.dumps(site.hits).encode(), "application/json"
                status = "200 OK"
            else:
                entry = site.files().get(path)
                if entry is None:
                    body, ctype, status = b"not found\n", "text/plain", "404 Not Found"
                else:
                    body, ctype = entry
                    status = "200 OK"
            head = (f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                    f"Connection: {'keep-alive' if keep else 'close'}\r\n\r\n").encode()
            conn.sendall(head)
            if method != "HEAD":
                trickle = site.spec.trickle_bps if status.startswith("200") and path.startswith("/sitemaps/") else 0
                _send_body(conn, body, trickle)
            if not keep:
                return
    except OSError:
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def serve(host: str, specs: List[SiteSpec], ready_out=sys.stdout, cache_sites: int = 64) -> None:
    stop = threading.Event()

    def on_signal(_sig, _frm):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sel = selectors.DefaultSelector()
    cache = _Cache(cache_sites)
    sites: List[_Site] = []
    for spec in specs:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, spec.port))
        s.listen(256)
        s.setblocking(False)
        site = _Site(spec, host, s, cache)
        sites.append(site)
        sel.register(s, selectors.EVENT_READ, site)
    print(json.dumps({"ready": True, "ports": {site.spec.name: site.port for site in sites}}),
          file=ready_out, flush=True)

    # Render the first sites (as many as the cache holds) now, in order, so that generating
    # (CPU-bound, under the GIL) does not stall the responses of other sites later; a request
    # for a site not rendered yet renders it.
    def render_all():
        for site in sites[:cache_sites]:
            site.files()
        print(json.dumps({"rendered": True}), file=ready_out, flush=True)
    threading.Thread(target=render_all, daemon=True).start()
    while not stop.is_set():
        for key, _ in sel.select(timeout=0.5):
            site = key.data
            try:
                conn, _addr = site.sock.accept()
            except (BlockingIOError, InterruptedError):
                continue
            conn.setblocking(True)
            threading.Thread(target=_serve_connection, args=(site, conn), daemon=True).start()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--spec-file", required=True, help="JSON list of SiteSpec objects")
    ap.add_argument("--cache-sites", type=int, default=64, help="rendered sites kept in memory")
    args = ap.parse_args()
    with open(args.spec_file) as f:
        specs = [SiteSpec.from_json(d) for d in json.load(f)]
    serve(args.host, specs, cache_sites=args.cache_sites)
    return 0


if __name__ == "__main__":
    sys.exit(main())
