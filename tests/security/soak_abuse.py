#!/usr/bin/python3
"""Soak: every socket of a 3-node cluster with 2 workers abused at once for
a while, and what it cost. Not part of the default CI run (tools/soak-abuse
runs it; README "Security soak").

  soak_abuse.py BIN_DIR [--seconds N] [--json FILE]

Attackers, each its own process, looping until the end, each round against
a node picked at random (the leader about a third of the time):
  api-ping     an observer pipelines 50,000 pings, never reads, closes
  api-list     an observer asks 400 one-MiB `list` pages, never reads
  api-bigtype  1 MiB `type` strings with a forged log line inside
  api-forbid   requests the observer's role may not make
  plaintext    connections without CURVE, opened and closed
  results      a worker key pushes garbage and oversized frames to every
               node's results socket
  events       subscribers to every node that never read, reconnecting
  jobs         a worker key PULLs every node's jobs and never reads them
A developer pings the leader every 20 ms and submits a small `generate`
(wait) every second. Every second each node's RSS, audit.log size and term
are sampled. The report: per node max RSS and audit.log growth, elections
(term changes), crashes, ping p50/p99/max, generates completed / sent.
Exit status 0 when: no node died, no election, every RSS under
RSS_BOUND_MB, audit.log growth under AUDIT_GROWTH_BOUND_MB per node, ping
p99 under PING_P99_BOUND_MS, and every generate completed.
"""
import argparse
import hashlib
import json
import os
import pathlib
import random
import subprocess
import sys
import tempfile
import threading
import time
import traceback

import msgpack
import zmq

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))
sys.path.insert(0, str(HERE))
from api_flood_test import rss_mb, store_contexts  # noqa: E402
from cluster_harness import (  # noqa: E402
    Checks, Client, become_subreaper, now, read_key, start_cluster, wait_for)

RSS_BOUND_MB = 400
AUDIT_GROWTH_BOUND_MB = 16
PING_P99_BOUND_MS = 250
ATTACKS = ("api-ping", "api-list", "api-bigtype", "api-forbid", "plaintext",
           "results", "events", "jobs")


# --- attackers (child processes) -------------------------------------------

def curve(sock, key_file, server_pub):
    secret = read_key(key_file)
    sock.curve_secretkey = secret
    sock.curve_publickey = zmq.curve_public(secret)
    sock.curve_serverkey = server_pub


def attack_main(kind, config_path, seconds):
    """Runs one attack in a loop for `seconds`."""
    import tomllib
    cfg_dir = pathlib.Path(config_path).parent
    with open(config_path, "rb") as f:
        cfg = tomllib.load(f)
    nodes = [{"api": f"tcp://{n['host']}:{n['api_port']}",
              "events": f"tcp://{n['host']}:{n['events_port']}",
              "jobs": f"tcp://{n['host']}:{n['jobs_port']}",
              "results": f"tcp://{n['host']}:{n['results_port']}",
              "pub": read_key(cfg_dir / n["public_key"])}
             for n in cfg["nodes"]]
    keys = cfg_dir / "keys"
    ctx = zmq.Context()
    end = time.monotonic() + seconds
    big = "x" * (1024 * 1024)
    rounds = 0
    while time.monotonic() < end:
        rounds += 1
        node = random.choice(nodes)
        socks = []
        try:
            if kind.startswith("api-"):
                s = ctx.socket(zmq.DEALER)
                s.linger = 0
                s.sndhwm = 0
                curve(s, keys / "observer.key", node["pub"])
                s.connect(node["api"])
                socks.append(s)
                count = {"api-ping": 50000, "api-list": 400,
                         "api-bigtype": 300, "api-forbid": 5000}[kind]
                for i in range(count):
                    if kind == "api-ping":
                        m = {"type": "ping"}
                    elif kind == "api-list":
                        m = {"type": "list", "prefix": "ucxl://",
                             "limit": 1000}
                    elif kind == "api-bigtype":
                        m = {"type": "ping\n2026 info ZAP accepted 'admin'"
                             "\x1b[2J" + big}
                    else:
                        m = {"type": "update_context",
                             "context": {"address": f"ucxl://p/{i}.go"}}
                    s.send(msgpack.packb({"v": 1, "id": i + 1, **m}))
                    if time.monotonic() >= end:
                        break
                time.sleep(2)
            elif kind == "plaintext":
                for _ in range(50):
                    s = ctx.socket(zmq.DEALER)
                    s.linger = 0
                    s.connect(node["api"])
                    try:
                        s.send(b"\x00garbage", zmq.NOBLOCK)
                    except zmq.Again:
                        pass
                    time.sleep(0.01)
                    s.close()
            elif kind == "results":
                s = ctx.socket(zmq.PUSH)
                s.linger = 0
                curve(s, keys / "w2.key", node["pub"])
                s.connect(node["results"])
                socks.append(s)
                for i in range(2000):
                    frame = (os.urandom(64) if i % 50 else
                             b"\x81" + b"\xa4type" + b"\xda\xff\xff" +
                             b"y" * 65535)
                    try:
                        s.send(frame, zmq.NOBLOCK)
                    except zmq.Again:
                        time.sleep(0.01)
                time.sleep(1)
            elif kind == "events":
                for n in nodes:
                    s = ctx.socket(zmq.SUB)
                    s.linger = 0
                    s.rcvhwm = 1
                    curve(s, keys / "observer.key", n["pub"])
                    s.setsockopt(zmq.SUBSCRIBE, b"")
                    s.connect(n["events"])
                    socks.append(s)
                time.sleep(5)
            elif kind == "jobs":
                for n in nodes:
                    s = ctx.socket(zmq.PULL)
                    s.linger = 0
                    s.rcvhwm = 1
                    curve(s, keys / "w2.key", n["pub"])
                    s.connect(n["jobs"])
                    socks.append(s)
                time.sleep(5)
        finally:
            for s in socks:
                s.close()
    ctx.term()
    return 0


# --- the observer -------------------------------------------------------------

class Sampler(threading.Thread):
    def __init__(self, ctx, cluster):
        super().__init__(daemon=True)
        self.ctx = ctx
        self.cluster = cluster
        self.stop = threading.Event()
        self.rss = {n: 0.0 for n in cluster.nodes}
        self.audit0 = {n: self.audit_size(n) for n in cluster.nodes}
        self.audit_growth = {n: 0 for n in cluster.nodes}
        self.terms = set()
        self.leaders = set()
        self.deaths = set()

    def audit_size(self, node):
        p = self.cluster.nodes[node]["data_dir"] / "audit.log"
        return p.stat().st_size if p.exists() else 0

    def run(self):
        clients = {n: Client(self.ctx, self.cluster, n, name="admin")
                   for n in self.cluster.nodes}
        while not self.stop.is_set():
            for n in self.cluster.nodes:
                if not self.cluster.alive(n):
                    self.deaths.add(n)
                    continue
                self.rss[n] = max(self.rss[n],
                                  rss_mb(self.cluster.procs[n].pid) or 0)
                self.audit_growth[n] = self.audit_size(n) - self.audit0[n]
                r = clients[n].call({"type": "status", "stale": True},
                                    timeout=1) or {}
                if r.get("term"):
                    self.terms.add(r["term"])
                if r.get("leader"):
                    self.leaders.add(r["leader"])
            time.sleep(1)
        for c in clients.values():
            c.close()


def well_behaved(ctx, cluster, leader, stop, stats):
    ping = Client(ctx, cluster, leader, name="dev")
    gen = Client(ctx, cluster, leader, name="dev")
    next_gen = now()
    i = 0
    pending = {}
    while not stop.is_set():
        t0 = now()
        r = ping.call({"type": "ping"}, timeout=1.0)
        if r and r.get("type") == "pong":
            stats["pings"].append((now() - t0) * 1000)
        else:
            stats["lost"] += 1
        if now() >= next_gen:
            next_gen = now() + 1.0
            content = f"package soak\n\nfunc F{i}() {{}}\n".encode()
            rid = gen.send({"type": "generate", "request_id": f"soak-{i}",
                            "address": f"ucxl://soak/f{i}.go",
                            "content": content,
                            "content_hash":
                                hashlib.sha256(content).hexdigest(),
                            "wait": True})
            pending[rid] = now()
            stats["generates"] += 1
            i += 1
        while True:
            r = gen.receive(None, now() + 0.001)
            if r is None:
                break
            if r.get("type") == "job_done" and r.get("state") == "completed":
                stats["completed"] += 1
                pending.pop(r.get("id"), None)
            elif r.get("type") == "generate_reply" and r.get("outcome") in (
                    "cached", "duplicate"):
                stats["completed"] += 1
                pending.pop(r.get("id"), None)
        time.sleep(0.02)
    deadline = now() + 30
    while pending and now() < deadline:
        r = gen.receive(None, deadline)
        if r is None:
            break
        if r.get("type") == "job_done":
            stats["completed"] += r.get("state") == "completed"
            pending.pop(r.get("id"), None)
    ping.close()
    gen.close()


def percentile(values, q):
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * q))]


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--attack":
        return attack_main(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("bin_dir")
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--json", help="also write the report here")
    args = parser.parse_args()
    become_subreaper()
    ctx = zmq.Context()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="slurp-soak-abuse-"))
    cluster = start_cluster(args.bin_dir, tmp, 34000, 990, nodes=3,
                            workers=2)
    if cluster is None:
        print("soak: the cluster did not start")
        return 1
    attackers = []
    report = {}
    try:
        leader = wait_for(lambda: (Client(ctx, cluster, "n1").call(
            {"type": "status"}, timeout=1) or {}).get("leader"), 15)
        # 2,000 stored contexts of ~1 KiB, so `list` pages are full.
        store_contexts(Checks(), ctx, cluster, leader, 2000)
        sampler = Sampler(ctx, cluster)
        sampler.start()
        stop = threading.Event()
        stats = {"pings": [], "lost": 0, "generates": 0, "completed": 0}
        client = threading.Thread(target=well_behaved,
                                  args=(ctx, cluster, leader, stop, stats),
                                  daemon=True)
        client.start()
        started = now()
        for kind in ATTACKS:
            attackers.append(subprocess.Popen(
                [sys.executable, __file__, "--attack", kind,
                 str(cluster.dir / "cluster.toml"), str(args.seconds)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        while now() - started < args.seconds:
            time.sleep(1)
            if now() - started > 10 and int(now() - started) % 30 == 0:
                p = stats["pings"]
                print(f"soak: {int(now() - started)} s: ping p99 "
                      f"{percentile(p, 0.99) and round(percentile(p, 0.99), 1)}"
                      f" ms; RSS {dict((n, round(v)) for n, v in sampler.rss.items())} MB;"
                      f" terms {sorted(sampler.terms)}", flush=True)
        for a in attackers:
            a.wait(60)
        stop.set()
        client.join(60)
        sampler.stop.set()
        sampler.join(10)
        pings = stats["pings"]
        report = {
            "seconds": args.seconds,
            "attacks": list(ATTACKS),
            "crashed_nodes": sorted(sampler.deaths),
            "elections": len(sampler.terms) - 1,
            "terms": sorted(sampler.terms),
            "leaders": sorted(sampler.leaders),
            "rss_max_mb": {n: round(v, 1) for n, v in sampler.rss.items()},
            "audit_growth_bytes": sampler.audit_growth,
            "ping_count": len(pings),
            "ping_lost": stats["lost"],
            "ping_p50_ms": percentile(pings, 0.5),
            "ping_p99_ms": percentile(pings, 0.99),
            "ping_max_ms": max(pings) if pings else None,
            "generates": stats["generates"],
            "generates_completed": stats["completed"],
            "load": os.getloadavg(),
        }
    except BaseException:  # noqa: BLE001 - reported below
        traceback.print_exc()
    finally:
        for a in attackers:
            if a.poll() is None:
                a.kill()
        cluster.teardown()
        ctx.destroy(linger=0)
    print(json.dumps(report, indent=2))
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(report, indent=2))
    ok = bool(report) and not report["crashed_nodes"] and \
        report["elections"] == 0 and \
        all(v < RSS_BOUND_MB for v in report["rss_max_mb"].values()) and \
        all(v < AUDIT_GROWTH_BOUND_MB * 1024 * 1024
            for v in report["audit_growth_bytes"].values()) and \
        report["ping_p99_ms"] is not None and \
        report["ping_p99_ms"] < PING_P99_BOUND_MS and \
        report["generates_completed"] == report["generates"]
    print("soak: " + ("ok" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
