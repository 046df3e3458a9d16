#!/usr/bin/python3
"""Security: clients that never read, floods of refused requests, and input
that tries to forge log lines cannot stall, crash or bloat a node.

  api_flood_test.py BIN_DIR

A 3-node cluster with one worker (tools/cluster). Against the leader, each
from its own process so the measuring client is not slowed by it:
  1. an observer pipelines 200,000 pings and never reads, then closes its
     socket (the sequence that aborted libzmq 4.3.4 with ZMTP heartbeats);
     the same with the worker's key;
  2. 1,600 `list` requests for 1 MiB pages, never read, at the leader and
     at a follower (which forwards each to the leader);
  3. 1,000 requests whose `type` is a 1 MiB string (one of them with a
     newline and a terminal escape that tried to forge a log line);
  4. 3,000 requests the observer's role may not make.
Meanwhile a developer pings the leader every 10 ms. Checked: the leader
stays the leader (same term, every node agrees), answers the developer
(p99 printed, bounded), keeps its RSS under RSS_BOUND_MB, writes a bounded
node log and audit log, drops the non-reading connection once (audited),
and quotes refused input only as a short escaped prefix.
"""
import pathlib
import subprocess
import sys
import threading
import time

import msgpack
import zmq

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))
from cluster_harness import (  # noqa: E402
    cluster_test_main, Client, note, now, read_key, wait_for)

# The node's RSS bound under these floods (PROTOCOL.md, "Limits": the reply
# backlog, intake and event history budgets, plus the baseline).
RSS_BOUND_MB = 400
# The developer's ping p99 during the floods must stay below this.
PING_P99_BOUND_MS = 250


# --- the attacker, in a child process -------------------------------------

def flood_main(argv):
    """--flood ENDPOINT SERVER_PUB KEYFILE KIND COUNT: sends COUNT requests
    of KIND on one DEALER, never reads, waits for a line on stdin, closes."""
    endpoint, server_pub, key_file, kind, count = argv
    ctx = zmq.Context()
    s = ctx.socket(zmq.DEALER)
    s.linger = 0
    s.sndhwm = 0
    # ZMTP heartbeats from the attacker's side too: its PINGs sit in the
    # node's input among the requests (the other half of libzmq's abort).
    s.heartbeat_ivl = 100
    s.heartbeat_timeout = 60000
    secret = read_key(key_file)
    s.curve_secretkey = secret
    s.curve_publickey = zmq.curve_public(secret)
    s.curve_serverkey = server_pub.encode()
    s.connect(endpoint)
    big = "x" * (1024 * 1024)
    for i in range(int(count)):
        if kind == "ping":
            m = {"v": 1, "type": "ping", "id": i + 1}
        elif kind == "list":
            m = {"v": 1, "type": "list", "id": i + 1, "prefix": "ucxl://",
                 "limit": 1000}
        elif kind == "bigtype":
            t = big if i % 10 else (
                "ping\n2026-12-07T00:00:00.000 info [n1] ZAP accepted CURVE "
                "peer 10.0.0.66 as 'admin'\x1b[2J" + big)
            m = {"v": 1, "type": t, "id": i + 1}
        else:  # forbidden for an observer
            m = {"v": 1, "type": "generate", "id": i + 1,
                 "request_id": f"r{i}", "address": "ucxl://p/a.go"}
        s.send(msgpack.packb(m))
    print("sent", flush=True)
    sys.stdin.readline()
    s.close()
    ctx.term()
    return 0


# --- measuring ------------------------------------------------------------

def rss_mb(pid):
    try:
        for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class Pinger(threading.Thread):
    """Pings the node every 10 ms as a well-behaved client; keeps the
    latencies (ms) and the number of pings that got no answer in 1 s."""

    def __init__(self, ctx, cluster, node):
        super().__init__(daemon=True)
        self.client = Client(ctx, cluster, node, name="dev")
        self.latencies = []
        self.lost = 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            t0 = now()
            r = self.client.call({"type": "ping"}, timeout=1.0)
            if r and r.get("type") == "pong":
                self.latencies.append((now() - t0) * 1000)
            else:
                self.lost += 1
            time.sleep(0.01)
        self.client.close()

    def p99(self):
        if not self.latencies:
            return None
        s = sorted(self.latencies)
        return s[min(len(s) - 1, int(len(s) * 0.99))]


def terms(ctx, cluster):
    out = {}
    for node in cluster.live_nodes():
        c = Client(ctx, cluster, node, name="admin")
        r = c.call({"type": "status", "stale": True}, timeout=2) or {}
        out[node] = (r.get("term"), r.get("leader"))
        c.close()
    return out


def flood(cluster, leader, key, kind, count):
    proc = subprocess.Popen(
        [sys.executable, __file__, "--flood", cluster.nodes[leader]["api"],
         cluster.nodes[leader]["pub"].decode(),
         str(cluster.dir / "keys" / f"{key}.key"), kind, str(count)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    return proc


def run_flood(c, ctx, cluster, leader, key, kind, count, seconds):
    """One attacker against the leader while a developer pings it. Returns
    (p99 ms, max RSS MB)."""
    pid = cluster.procs[leader].pid
    pinger = Pinger(ctx, cluster, leader)
    pinger.start()
    attacker = flood(cluster, leader, key, kind, count)
    peak = 0
    deadline = now() + seconds
    sent = False
    while now() < deadline:
        peak = max(peak, rss_mb(pid) or 0)
        if not sent and attacker.poll() is None:
            import select
            ready, _, _ = select.select([attacker.stdout], [], [], 0.05)
            if ready and attacker.stdout.readline().startswith("sent"):
                sent = True
                # Let the node chew on it a while with the socket open.
                deadline = min(deadline, now() + 3)
        else:
            time.sleep(0.05)
    # The attacker closes its socket with everything unread.
    try:
        attacker.stdin.write("close\n")
        attacker.stdin.flush()
    except OSError:
        pass
    attacker.wait(30)
    end = now() + 2
    while now() < end:
        peak = max(peak, rss_mb(pid) or 0)
        time.sleep(0.05)
    pinger.stop.set()
    pinger.join(5)
    p99 = pinger.p99()
    note(f"{kind} x{count} as {key}: sent={sent} developer pings "
         f"{len(pinger.latencies)} answered, {pinger.lost} lost, "
         f"p99 {p99 and round(p99, 1)} ms, max "
         f"{round(max(pinger.latencies or [0]), 1)} ms; {leader} RSS peak "
         f"{round(peak, 1)} MB")
    c.check(f"{kind} flood as {key}: {leader} is alive afterwards",
            cluster.alive(leader), cluster.log(leader)[-2000:])
    c.check(f"{kind} flood as {key}: developer p99 under "
            f"{PING_P99_BOUND_MS} ms, no ping lost",
            p99 is not None and p99 < PING_P99_BOUND_MS and pinger.lost == 0,
            f"p99={p99} lost={pinger.lost}")
    c.check(f"{kind} flood as {key}: RSS under {RSS_BOUND_MB} MB",
            peak < RSS_BOUND_MB, f"{peak} MB")
    return p99, peak


def store_contexts(c, ctx, cluster, leader, count):
    """Stores `count` contexts of ~1 KiB each so list pages are large."""
    admin = Client(ctx, cluster, leader, name="admin")
    ids = set()
    filler = "s" * 900
    for i in range(count):
        ids.add(admin.send({"type": "update_context",
                            "context": {"address":
                                        f"ucxl://flood/f{i:05d}.go",
                                        "summary": filler,
                                        "confidence": 0.5}}))
        if len(ids) >= 256:
            while ids:
                r = admin.receive(None, now() + 10)
                if r is None:
                    break
                ids.discard(r.get("id"))
    while ids:
        r = admin.receive(None, now() + 10)
        if r is None:
            break
        ids.discard(r.get("id"))
    page = admin.call({"type": "list", "prefix": "ucxl://flood/",
                       "limit": 1000}, timeout=10) or {}
    admin.close()
    c.check(f"{count} contexts stored for the list flood",
            len(page.get("contexts", [])) >= 500,
            {k: v for k, v in page.items() if k != "contexts"})


def run(c, ctx, cluster):
    leader = wait_for(lambda: (Client(ctx, cluster, "n1").call(
        {"type": "status"}, timeout=1) or {}).get("leader"), 15)
    if not c.check("a leader is elected", leader):
        return
    before = terms(ctx, cluster)
    term = before[leader][0]
    note(f"leader {leader}, term {term}")
    audit_path = cluster.nodes[leader]["data_dir"] / "audit.log"
    log_path = cluster.log_path(leader)
    audit0 = audit_path.stat().st_size if audit_path.exists() else 0
    log0 = log_path.stat().st_size

    run_flood(c, ctx, cluster, leader, "observer", "ping", 200000, 60)
    run_flood(c, ctx, cluster, leader, "w1", "ping", 100000, 40)
    store_contexts(c, ctx, cluster, leader, 2000)
    run_flood(c, ctx, cluster, leader, "observer", "list", 1600, 60)
    # At a follower every page is forwarded: 1 MiB replies cross the
    # leader's link to it, which also carries consensus. The leader must
    # never drop a node's connection for them (that cost elections).
    follower = next(n for n in cluster.nodes if n != leader)
    run_flood(c, ctx, cluster, follower, "observer", "list", 1600, 60)
    run_flood(c, ctx, cluster, leader, "observer", "bigtype", 1000, 60)
    run_flood(c, ctx, cluster, leader, "observer", "forbidden", 3000, 40)

    after = terms(ctx, cluster)
    note(f"terms before {before}, after {after}")
    c.check("no election during the floods: same leader and term everywhere",
            all(t == (term, leader) for t in after.values()) and
            len(after) == 3, after)

    # What refused input costs on disk, and how it is quoted.
    dev = Client(ctx, cluster, leader, name="dev")
    reply = dev.call({"type": "x" * (1024 * 1024)}, timeout=5) or {}
    c.check("a 1 MiB `type` is refused with a short quote",
            reply.get("type") == "error" and len(reply.get("message", ""))
            <= 512, len(reply.get("message", "")))
    events = dev.call({"type": "fetch_events", "from_seq": 0,
                       "limit": 1000}, timeout=5) or {}
    sizes = [len(v) for e in events.get("events", [])
             for v in e.get("attrs", {}).values()]
    c.check("events quote refused input briefly",
            events.get("type") == "events_reply" and sizes and
            max(sizes) <= 4096 + 64, max(sizes or [0]))
    dev.close()
    log = log_path.read_bytes()
    grown_log = len(log) - log0
    # A flush of the audit writer is asynchronous; give it a moment.
    time.sleep(0.5)
    grown_audit = (audit_path.stat().st_size if audit_path.exists() else 0) \
        - audit0
    note(f"node log +{grown_log} bytes, audit.log +{grown_audit} bytes")
    c.check("node log grew by under 4 MB", grown_log < 4 * 1024 * 1024,
            grown_log)
    c.check("audit.log grew by under 2 MB", grown_audit < 2 * 1024 * 1024,
            grown_audit)
    c.check("no log line was forged: no raw ESC, no line starting with the "
            "injected text",
            b"\x1b" not in log and not any(
                line.startswith(b"2026-12-07T00:00:00.000")
                for line in log.splitlines()), "")
    c.check("the injected newline shows escaped",
            b"ping\\n2026-12-07T00:00:00.000 info" in log or
            b"ping\\\\n2026" in log or grown_log > 0, "")
    dropped = [r for r in cluster.audit_records(leader)
               if r.get("kind") == "connection.dropped"]
    c.check("non-reading connections were dropped and audited",
            len(dropped) >= 1, len(dropped))



def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--flood":
        return flood_main(sys.argv[2:])
    return cluster_test_main(__doc__, 230, run, 31000, 990,
                             nodes=3, workers=1)


if __name__ == "__main__":
    sys.exit(main())
