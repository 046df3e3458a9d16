#!/usr/bin/python3
"""A slurp worker in Python: takes jobs from a cluster and returns contexts.

A third-party worker written from protocol/PROTOCOL.md ("Workers") alone
(Debian's python3-zmq and python3-msgpack). Its "engine" only counts the
lines and words of each file; a directory (a job with neither content nor
file_path) sums the lines of the contexts it depends on.

  python_worker.py --config slurp-cluster/cluster.toml --key keys/pw.key
  python_worker.py --key keys/pw.key \\
      --node tcp://10.0.0.1:7103 tcp://10.0.0.1:7104 keys/n1.pub \\
      --node tcp://10.0.0.2:7103 tcp://10.0.0.2:7104 keys/n2.pub

Nodes come from a cluster.toml (docs/CONFIG.md; each [[nodes]] entry's host,
jobs_port, results_port and public_key or public_key_z85, relative paths
against the file's directory) or from --node JOBS RESULTS SERVER_KEY_FILE,
once per node. The worker connects to EVERY node: only the leader sends jobs,
and a new leader needs no reconfiguration. Its own secret key comes from
--key or $SLURP_KEY; its public key must be in the nodes' authorized_keys
with role `worker`:

  build/bin/slurpctl keygen --dir keys --name pw
  echo "$(grep -v '^#' keys/pw.pub) pw worker" >> authorized_keys
  kill -HUP <each slurpd>          # the nodes re-read authorized_keys

Prints a line per node it connects to (or that refuses our key), with
--verbose one per job, and a summary when stopped (SIGTERM or ^C).
Exit status: 0 stopped; 2 bad usage, config or key file.
"""
import argparse
import hashlib
import os
import pathlib
import signal
import sys
import time
import tomllib

import msgpack
import zmq
from zmq.utils.monitor import recv_monitor_message

PROTOCOL_VERSION = 1
ENGINE, ENGINE_VERSION = "python-example", "1"
RESULT_BATCH_MAX = 256  # protocol/limits.h result_batch_max


def read_key(path):
    """The Z85 key in a key file: '#' comment lines, then one 40-char line."""
    with open(path, encoding="ascii") as f:
        lines = [s.strip() for s in f if s.strip() and not s.strip().startswith("#")]
    if len(lines) != 1 or len(lines[0]) != 40:
        raise ValueError(f"{path}: expected one 40-character Z85 key line")
    return lines[0].encode("ascii")


def nodes_from_config(path):
    """[(jobs endpoint, results endpoint, server public key)] per [[nodes]]."""
    with open(path, "rb") as f:
        config = tomllib.load(f)
    base = pathlib.Path(path).resolve().parent
    nodes = []
    for n in config.get("nodes", []):
        if "public_key_z85" in n:
            key = n["public_key_z85"].encode("ascii")
        else:
            key = read_key(base / n["public_key"])
        nodes.append((f"tcp://{n['host']}:{n['jobs_port']}",
                      f"tcp://{n['host']}:{n['results_port']}", key))
    return nodes


# --- the "engine" ------------------------------------------------------------

def make_context(job):
    """A Context record for one Job (PROTOCOL.md, "Context (record)"), or
    raises OSError when the job names a file we cannot read."""
    content = job.get("content")
    if content is None and job.get("file_path"):
        with open(job["file_path"], "rb") as f:
            content = f.read()
    if content is not None:
        text = content.decode("utf-8", errors="replace")
        lines = text.splitlines()
        blank = sum(1 for line in lines if not line.strip())
        summary = f"python worker: {len(lines)} lines, {len(text.split())} words"
        metrics = {"lines_code": len(lines) - blank, "lines_comment": 0,
                   "lines_blank": blank, "bytes": len(content)}
        content_hash = hashlib.sha256(content).hexdigest()
    else:
        # A directory: roll up the (trimmed) contexts of its dependencies.
        deps = job.get("dependencies", [])
        metrics = {"lines_code": 0, "lines_comment": 0, "lines_blank": 0,
                   "bytes": 0}
        for dep in deps:
            for k in metrics:
                metrics[k] += dep.get("metrics", {}).get(k, 0)
        lines = metrics["lines_code"] + metrics["lines_comment"] + metrics["lines_blank"]
        summary = f"python worker: {lines} lines in {len(deps)} entries"
        if job.get("failed_dependencies"):
            summary += f" ({len(job['failed_dependencies'])} failed)"
        content_hash = job.get("content_hash", "")
    # Every defaulted field is written (PROTOCOL.md, "Presence"). The node
    # sets `version` itself and stores the rest as sent.
    return {
        "address": job["address"], "version": 0,
        "content_hash": content_hash, "language": "", "summary": summary,
        "purpose": "", "technologies": [], "tags": ["python-example"],
        "symbols": [], "imports": [], "metrics": metrics, "todos": [],
        "engine": ENGINE, "engine_version": ENGINE_VERSION,
        "generated_at_ms": time.time_ns() // 1_000_000, "confidence": 0.1,
        "languages": [],
    }


def run_job(job, term):
    """The JobResult for one job: job_id, attempt and the batch's term
    echoed, then the context or an error."""
    result = {"job_id": job["job_id"], "attempt": job["attempt"], "term": term}
    try:
        result.update(ok=True, context=make_context(job))
    except OSError as e:
        result.update(ok=False, error=f"python worker: cannot read "
                      f"{job.get('file_path')}: {e.strerror}")
    return result


# --- sockets -----------------------------------------------------------------

def curve_socket(ctx, kind, secret):
    sock = ctx.socket(kind)
    sock.linger = 0
    sock.curve_secretkey = secret
    sock.curve_publickey = zmq.curve_public(secret)
    # Notice a node that vanished without closing its connection.
    sock.heartbeat_ivl, sock.heartbeat_timeout = 1000, 5000
    return sock


def report_connections(monitor, what):
    """Prints handshake outcomes from a socket monitor (PROTOCOL.md, "What a
    refused handshake looks like to a client")."""
    while monitor.poll(0):
        event = recv_monitor_message(monitor)
        endpoint = event["endpoint"].decode()
        if event["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            print(f"{what}: connected to {endpoint}", flush=True)
        elif event["event"] == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
            print(f"{what}: {endpoint} refused our key (status "
                  f"{event['value']}): is it authorized with role worker?",
                  flush=True)
        elif event["event"] == zmq.EVENT_DISCONNECTED:
            print(f"{what}: disconnected from {endpoint}", flush=True)


def send_results(results, outbox):
    """Sends what it can of outbox; returns what is left. With immediate
    set, PUSH takes nothing while no node is connected (e.g. every node
    restarting); results whose leases have run out are dropped."""
    outbox = [o for o in outbox if time.monotonic() < o[1]]
    while outbox:
        try:
            results.send(outbox[0][0], zmq.NOBLOCK)
        except zmq.Again:
            break
        outbox.pop(0)
    return outbox


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", help="a cluster.toml naming the nodes")
    parser.add_argument("--node", nargs=3, action="append", default=[],
                        metavar=("JOBS", "RESULTS", "SERVER_KEY"),
                        help="a node's jobs and results endpoints and its "
                        "public key file (repeat for every node)")
    parser.add_argument("--key", default=os.environ.get("SLURP_KEY"),
                        help="our secret key file (default $SLURP_KEY)")
    parser.add_argument("--name", help="our name in results (default: the "
                        "key file's name without .key)")
    parser.add_argument("--work-ms", type=int, default=0,
                        help="pretend every job takes this long (demos, tests)")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    if not args.key or not (args.config or args.node):
        parser.error("--key (or $SLURP_KEY) and --config or --node are required")
    name = args.name or pathlib.Path(args.key).name.removesuffix(".key")
    try:
        secret = read_key(args.key)
        nodes = nodes_from_config(args.config) if args.config else []
        nodes += [(j, r, read_key(k)) for j, r, k in args.node]
    except (OSError, ValueError, KeyError, tomllib.TOMLDecodeError) as e:
        print(f"python_worker.py: {e!r}", file=sys.stderr)
        return 2
    if not nodes:
        print("python_worker.py: no nodes", file=sys.stderr)
        return 2

    ctx = zmq.Context()
    # One PULL and one PUSH reach every node. libzmq reads curve_serverkey
    # when connect() is called, so each connect gets that node's key.
    jobs = curve_socket(ctx, zmq.PULL, secret)
    jobs.rcvhwm = 2  # flow control: hold few batches (PROTOCOL.md, "Workers")
    results = curve_socket(ctx, zmq.PUSH, secret)
    # Queue results only to nodes we are connected to; without this, PUSH
    # also queues a share of them for a dead node, and they wait there
    # until their leases expire.
    results.immediate = True
    monitors = [(jobs.get_monitor_socket(), "jobs"),
                (results.get_monitor_socket(), "results")]
    for jobs_endpoint, results_endpoint, server_key in nodes:
        jobs.curve_serverkey = results.curve_serverkey = server_key
        jobs.connect(jobs_endpoint)
        results.connect(results_endpoint)
    print(f"python worker {name}: {len(nodes)} nodes", flush=True)

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    newest_term, done, failed = 0, 0, 0
    outbox = []  # [(results payload, give up at)] not yet sent
    poller = zmq.Poller()
    poller.register(jobs, zmq.POLLIN)
    for monitor, _ in monitors:
        poller.register(monitor, zmq.POLLIN)
    while not stop:
        poller.poll(100)
        for monitor, what in monitors:
            report_connections(monitor, what)
        outbox = send_results(results, outbox)
        try:
            frame = jobs.recv(zmq.NOBLOCK)
        except zmq.Again:
            continue
        try:
            batch = msgpack.unpackb(frame, raw=False)
            if batch.get("v") != PROTOCOL_VERSION or batch.get("type") != "jobs":
                raise ValueError(f"not a v1 jobs message: {batch.get('type')!r}")
            term, batch_jobs = batch["term"], batch["jobs"]
        except (ValueError, KeyError, AttributeError, msgpack.UnpackException) as e:
            print(f"jobs: dropped a message: {e}", file=sys.stderr, flush=True)
            continue
        if term < newest_term or not batch_jobs:
            continue  # from a deposed leader: its leases expire on their own
        newest_term = term
        out = []
        for job in batch_jobs:
            time.sleep(args.work_ms / 1000)
            result = run_job(job, term)
            out.append(result)
            if result["ok"]:
                done += 1
            else:
                failed += 1
            if args.verbose:
                outcome = (result["context"]["summary"] if result["ok"]
                           else result["error"])
                print(f"job {job['job_id']} attempt {job['attempt']} term "
                      f"{term} {job['address']}: {outcome}", flush=True)
        # Results are worth delivering only while the leases run.
        give_up = time.monotonic() + min(j["lease_ms"] for j in batch_jobs) / 1000
        for i in range(0, len(out), RESULT_BATCH_MAX):
            outbox.append((msgpack.packb({
                "v": PROTOCOL_VERSION, "type": "results", "worker": name,
                "results": out[i:i + RESULT_BATCH_MAX]}), give_up))
        outbox = send_results(results, outbox)

    print(f"python worker {name}: {done} jobs done, {failed} failed", flush=True)
    for sock in (jobs, results):
        sock.disable_monitor()
    for monitor, _ in monitors:
        monitor.close()
    jobs.close()
    results.close()
    ctx.term()
    return 0


if __name__ == "__main__":
    sys.exit(main())
