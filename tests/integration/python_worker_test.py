#!/usr/bin/python3
"""Integration: a Python worker written from PROTOCOL.md does the cluster's work.

  python_worker_test.py BIN_DIR

Starts 3 nodes and NO slurp-worker (tools/cluster up --workers 0), authorizes
a new key with role `worker` (keygen, authorized_keys, SIGHUP), and runs
protocol/examples/python_worker.py as the only worker. Then:
  1. files (inline content, and one read from file_path), a file that cannot
     be read, and two directories depending on them, each generated with
     `wait`: every job_done arrives; the unreadable file is dead-lettered
     with the worker's error after job_attempts_max attempts; `get` shows
     the python worker's context (engine, summary with the line count,
     metrics, content hash, version 1), and a directory sums the lines of
     the dependency contexts the leader sent with its job;
  2. the leader is SIGKILLed while the worker (connected to every node) is
     in the middle of a batch, and more files are submitted during the
     election: every job still completes once (version 1 everywhere), the
     new leader completes jobs, and the worker saw jobs of both terms and
     survived; SIGTERM then stops it cleanly.
"""
import hashlib
import pathlib
import re
import signal
import subprocess
import sys

import zmq

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from cluster_harness import (  # noqa: E402
    REPO, RETRYABLE, Client, EventCollector, cluster_test_main, next_id, note,
    now, read_key, wait_for)

WORKER = REPO / "protocol" / "examples" / "python_worker.py"
WORKER_KEY = "pyworker"
# Short leases: results lost with the killed leader come back in seconds.
LIMITS = ["job_lease_ms=3000", "job_retry_backoff_ms=100"]
WORK_MS = 15  # per job, so that the leader dies with jobs in the worker
OVERALL_DEADLINE_S = 140


def canonical(address):
    """The canonical form of our short addresses (protocol/UCXL.md), which
    the node stores and names in jobs and events."""
    return address.replace("ucxl://pyw/", "ucxl://any:any@pyw:any/*^/", 1)


def content_for(name, lines):
    return "".join(f"line {i} of {name} has five words\n"
                   for i in range(lines)).encode()


def summary_for(content):
    text = content.decode()
    return (f"python worker: {len(text.splitlines())} lines, "
            f"{len(text.split())} words")


class Submitter:
    """Pipelines generate requests over one DEALER, each after the requests
    its depends_on names were acknowledged; resends a timed-out or
    retryable one with its request_id. Keeps every reply by request."""

    def __init__(self, client):
        self.client = client
        self.todo = []       # requests not yet sent, in order
        self.sent = {}       # id -> address, for every id ever sent
        self.pending = {}    # id -> (request, sent at)
        self.acks = {}       # address -> job_id
        self.done = {}       # address -> job_done
        self.refused = {}    # address -> error

    def add(self, requests):
        self.todo.extend(requests)

    def busy(self):
        return bool(self.todo or self.pending)

    def pump(self):
        while self.todo and len(self.pending) < 64 and all(
                a in self.acks for a in self.todo[0].get("depends_on", [])):
            request = self.todo.pop(0)
            rid = self.client.send(dict(request, id=next_id()))
            self.sent[rid] = request["address"]
            self.pending[rid] = (request, now())
        reply = self.client.receive(None, now() + 0.02)
        if reply is not None and reply.get("id") in self.sent:
            address = self.sent[reply["id"]]
            entry = self.pending.pop(reply["id"], None)
            if reply.get("type") == "job_done":
                self.done[address] = reply
            elif entry is None:
                pass  # a late answer to an attempt we already resent
            elif reply.get("type") == "generate_reply":
                self.acks[address] = reply["job_id"]
            elif reply.get("code") in RETRYABLE or \
                    reply.get("name") == "queue_full":
                self.todo.insert(0, entry[0])
            else:
                self.refused[address] = reply
        for rid, (request, sent) in list(self.pending.items()):
            if now() - sent > 8:
                del self.pending[rid]
                self.todo.insert(0, request)  # same request_id

    def run_until(self, condition, seconds):
        deadline = now() + seconds
        while not condition() and now() < deadline:
            self.pump()
        return condition()


def generate(address, content=None, **fields):
    request = {"type": "generate", "request_id": f"req-{address}",
               "address": address, "wait": True}
    if content is not None:
        request["content"] = content
        request["content_hash"] = hashlib.sha256(content).hexdigest()
    request.update(fields)
    return request


def get_all(client, addresses):
    """address -> the `context` reply (or an error, or None)."""
    out, todo, pending = {}, list(addresses), {}
    deadline = now() + 30
    while (todo or pending) and now() < deadline:
        while todo and len(pending) < 64:
            address = todo.pop()
            pending[client.send({"type": "get", "address": address})] = address
        reply = client.receive(set(pending), now() + 5)
        if reply is None:
            todo.extend(pending.values())  # e.g. across an election
            pending.clear()
            continue
        out[pending.pop(reply["id"])] = reply
    return out


def status(client):
    reply = client.call({"type": "status"}, timeout=3)
    return reply if reply and reply.get("type") == "status_reply" else None


def worker_log(path):
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def authorize_worker_key(c, ctx, cluster):
    """A new key with role worker, admitted by every node after SIGHUP."""
    subprocess.run([str(cluster.bin_dir / "slurpctl"), "keygen", "--dir",
                    str(cluster.dir / "keys"), "--name", WORKER_KEY],
                   check=True, capture_output=True, timeout=10)
    public = read_key(cluster.dir / "keys" / f"{WORKER_KEY}.pub").decode()
    with open(cluster.dir / "authorized_keys", "a") as f:
        f.write(f"{public} {WORKER_KEY} worker\n")
    for node in cluster.nodes:
        cluster.kill(node, signal.SIGHUP)

    def admitted(node):
        probe = Client(ctx, cluster, node, name=WORKER_KEY)
        pong = probe.call({"type": "ping"}, timeout=0.5)
        probe.close()
        return pong and pong.get("peer_role") == "worker"
    return c.check("every node admits the new key with role worker",
                   all(wait_for(lambda n=n: admitted(n), 10)
                       for n in cluster.nodes))


def check_contexts(c, label, contexts, expected):
    """expected: address -> (summary, bytes or None, content_hash or None)."""
    wrong = []
    for address, (summary, size, digest) in expected.items():
        reply = contexts.get(address) or {}
        ctx = reply.get("context", {})
        if not (reply.get("type") == "context"
                and ctx.get("engine") == "python-example"
                and ctx.get("engine_version") == "1"
                and ctx.get("summary") == summary
                and ctx.get("version") == 1
                and ctx.get("address") == canonical(address)
                and "python-example" in ctx.get("tags", [])
                and (size is None or ctx["metrics"]["bytes"] == size)
                and (digest is None or ctx["content_hash"] == digest)):
            wrong.append((address, summary, reply))
    c.check(f"{label}: every context is the python worker's (engine "
            "python-example 1, summary with the line count, version 1)",
            not wrong, wrong[:2])


def phase1(c, client, scratch):
    """Files, a file from disk, an unreadable file, two directories."""
    files = {f"ucxl://pyw/a/f{i}.txt": content_for(f"f{i}", i + 2)
             for i in range(5)}
    disk = scratch / "from_disk.txt"
    disk.write_bytes(content_for("disk", 7))
    missing = "ucxl://pyw/missing.txt"
    requests = [generate(a, body) for a, body in files.items()]
    requests.append(generate("ucxl://pyw/a/disk.txt", file_path=str(disk)))
    requests.append(generate(missing, file_path=str(scratch / "no-such-file")))
    requests.append(generate("ucxl://pyw/a", depends_on=list(files) +
                             ["ucxl://pyw/a/disk.txt"]))
    requests.append(generate("ucxl://pyw/b", depends_on=[
        missing, "ucxl://pyw/a/f0.txt"]))
    sub = Submitter(client)
    sub.add(requests)
    addresses = [r["address"] for r in requests]
    all_done = sub.run_until(
        lambda: not sub.busy() and all(a in sub.done for a in addresses), 40)
    c.check("phase 1: every generate acknowledged and its job_done received",
            all_done and not sub.refused,
            f"acked {len(sub.acks)}, done {len(sub.done)}, refused "
            f"{sub.refused}")
    states = {a: sub.done.get(a, {}).get("state") for a in addresses}
    c.check("phase 1: every job completed except the unreadable file",
            all(s == "completed" for a, s in states.items() if a != missing),
            states)
    dead = sub.done.get(missing, {})
    c.check("phase 1: the unreadable file is dead-lettered with the "
            "worker's error", dead.get("state") == "dead_lettered"
            and "python worker: cannot read" in dead.get("error", ""), dead)
    lines = {a: len(body.decode().splitlines()) for a, body in files.items()}
    expected = {a: (summary_for(body), len(body),
                    hashlib.sha256(body).hexdigest())
                for a, body in files.items()}
    expected["ucxl://pyw/a/disk.txt"] = (
        summary_for(disk.read_bytes()), len(disk.read_bytes()),
        hashlib.sha256(disk.read_bytes()).hexdigest())
    expected["ucxl://pyw/a"] = (
        f"python worker: {sum(lines.values()) + 7} lines in 6 entries",
        sum(len(b) for b in files.values()) + len(disk.read_bytes()), None)
    expected["ucxl://pyw/b"] = (
        f"python worker: {lines['ucxl://pyw/a/f0.txt']} lines in 1 entries "
        "(1 failed)", None, None)
    check_contexts(c, "phase 1", get_all(client, list(expected)), expected)
    return sub.acks.get(missing)


def phase2(c, ctx, cluster, client, leader, worker_log_path, events):
    """The leader dies with jobs in the worker; more come during the
    election."""
    files = {}
    requests = {0: [], 1: []}  # before the kill, after it
    for d in range(4):
        names = []
        for i in range(20):
            address = f"ucxl://pyw/p2/d{d}/f{i}.txt"
            files[address] = content_for(address, 1 + (d * 20 + i) % 9)
            names.append(address)
            requests[d // 2].append(generate(address, files[address]))
        requests[d // 2].append(generate(f"ucxl://pyw/p2/d{d}",
                                         depends_on=names))
    total = len(requests[0]) + len(requests[1])
    start = now()

    def completed_so_far():
        return len({e["msg"]["attrs"].get("job_id") for e in events.events(
            topic="job.completed", since=start)
            if e["msg"]["attrs"].get("address", "").startswith(
                canonical("ucxl://pyw/p2/"))})
    sub = Submitter(client)
    sub.add(requests[0])
    mid = sub.run_until(lambda: completed_so_far() >= 15, 30)
    log = worker_log(worker_log_path)
    connected = {m for m in re.findall(r"^(jobs|results): connected to (\S+)$",
                                       log, re.M)}
    disconnected = {m for m in re.findall(
        r"^(jobs|results): disconnected from (\S+)$", log, re.M)}
    c.check("phase 2: the worker is connected to all 3 nodes' jobs and "
            "results when the leader dies",
            len(connected) == 6 and not disconnected, (connected, disconnected))
    at_kill = completed_so_far()
    killed_at = now()
    cluster.kill(leader, signal.SIGKILL)
    c.check("phase 2: the leader was SIGKILLed mid-run",
            mid and at_kill < len(requests[0]),
            f"{at_kill} of {len(requests[0])} jobs done at the kill")
    note(f"SIGKILLed leader {leader} with {at_kill} of {len(requests[0])} "
         "jobs done; submitting the rest during the election")
    sub.add(requests[1])
    everything = list(files) + [f"ucxl://pyw/p2/d{d}" for d in range(4)]
    acked = sub.run_until(lambda: not sub.busy() and all(
        a in sub.acks for a in everything), 60)
    c.check("phase 2: every generate acknowledged across the leader change",
            acked and not sub.refused,
            f"{len(sub.acks)} of {total}, refused {sub.refused}")

    def settled():
        st = status(client)
        if st and st.get("leader") and st["queued_tasks"] == 0 \
                and st["active_tasks"] == 0:
            return st
        return None
    final = wait_for(settled, 60, step=0.2)
    took = now() - killed_at
    c.check("phase 2: every job ended within 60 s of the kill", final,
            status(client))
    if not final:
        return
    note(f"settled {took:.1f} s after the kill; leader now {final['leader']},"
         f" term {final['term']}, retries {final['retries']}, generated "
         f"twice {final['duplicate_generations']}")
    c.check("phase 2: a new leader took over", final["leader"] != leader,
            final["leader"])
    contexts = get_all(client, everything)
    lines = {a: len(body.decode().splitlines()) for a, body in files.items()}
    expected = {a: (summary_for(body), len(body),
                    hashlib.sha256(body).hexdigest())
                for a, body in files.items()}
    for d in range(4):
        prefix = f"ucxl://pyw/p2/d{d}/"
        expected[f"ucxl://pyw/p2/d{d}"] = (
            f"python worker: {sum(n for a, n in lines.items() if a.startswith(prefix))}"
            " lines in 20 entries", None, None)
    check_contexts(c, "phase 2", contexts, expected)
    by_new = events.events(sub=final["leader"], topic="job.completed",
                           since=killed_at)
    c.check("phase 2: the new leader completed jobs from the python worker "
            "(job.completed from it)", len(by_new) >= len(requests[1]),
            f"{len(by_new)} job.completed events from {final['leader']}")
    terms = {int(t) for t in re.findall(r"^job \d+ attempt \d+ term (\d+) ",
                                        worker_log(worker_log_path), re.M)}
    c.check("phase 2: the worker ran jobs of the old and a new term",
            len(terms) >= 2, sorted(terms))


def check_observer_refused_on_jobs(c, ctx, cluster):
    """A job carries file content: an observer key that connects a PULL to
    jobs is refused at the handshake (ZAP work domain) and audited."""
    import tomllib
    with open(cluster.dir / "cluster.toml", "rb") as f:
        node = tomllib.load(f)["nodes"][0]
    sock = ctx.socket(zmq.PULL)
    sock.setsockopt(zmq.LINGER, 0)
    sock.curve_publickey = read_key(cluster.dir / "keys" / "observer.pub")
    sock.curve_secretkey = read_key(cluster.dir / "keys" / "observer.key")
    sock.curve_serverkey = cluster.nodes[node["id"]]["pub"]
    sock.connect(f"tcp://{node['host']}:{node['jobs_port']}")
    refused = wait_for(lambda: any(
        r.get("kind") == "auth.refused"
        and "role observer may not take jobs" in r.get("detail", "")
        for r in cluster.audit_records(node["id"])), 10)
    c.check("an observer key is refused on jobs (ZAP 400, audited)", refused,
            cluster.audit_records(node["id"])[-3:])
    sock.close(0)


def run(c, ctx, cluster):
    probe = Client(ctx, cluster, "n1")
    st = wait_for(lambda: status(probe), 10)
    probe.close()
    if not c.check("a leader is elected", st and st.get("leader"), st):
        return
    leader = st["leader"]
    follower = next(n for n in sorted(cluster.nodes) if n != leader)
    note(f"leader {leader}; submitting through {follower}")
    if not authorize_worker_key(c, ctx, cluster):
        return
    check_observer_refused_on_jobs(c, ctx, cluster)
    events = EventCollector(ctx, cluster)
    events.start()
    log_path = cluster.dir / "python_worker.log"
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, str(WORKER), "--config",
             str(cluster.dir / "cluster.toml"), "--key",
             str(cluster.dir / "keys" / f"{WORKER_KEY}.key"), "--verbose",
             "--work-ms", str(WORK_MS)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        connected = wait_for(lambda: len(re.findall(
            r"^(?:jobs|results): connected to ", worker_log(log_path),
            re.M)) >= 6, 10)
        c.check("the worker connects to every node's jobs and results",
                connected, worker_log(log_path)[-2000:])
        client = Client(ctx, cluster, follower, name="dev")
        dead_job = phase1(c, client, cluster.dir)
        attempts = re.findall(rf"^job {dead_job} attempt (\d+) ",
                              worker_log(log_path), re.M)
        c.check("phase 1: the worker saw attempts 1..5 of the unreadable file",
                sorted(set(map(int, attempts))) == [1, 2, 3, 4, 5], attempts)
        phase2(c, ctx, cluster, client, leader, log_path, events)
        c.check("the worker survived the leader's death",
                worker.poll() is None, worker.returncode)
        worker.send_signal(signal.SIGTERM)
        try:
            code = worker.wait(10)
        except subprocess.TimeoutExpired:
            code = None
        summary = re.findall(r"^python worker \S+: (\d+) jobs done, (\d+) failed$",
                             worker_log(log_path), re.M)
        c.check("SIGTERM stops the worker (exit 0, a summary line)",
                code == 0 and summary, (code, worker_log(log_path)[-500:]))
        client.close()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(5)
        events.stop()
        note(f"worker log: {log_path}")


def main():
    return cluster_test_main(__doc__, OVERALL_DEADLINE_S, run, 10000,
                             nodes=3, limits=LIMITS)


if __name__ == "__main__":
    sys.exit(main())
