#!/usr/bin/python3
"""Integration: Prometheus metrics and health endpoints of real processes.

  metrics_test.py BIN_DIR

A 3-node cluster with 2 workers (tools/cluster up --metrics: every node and
worker has a metrics_listen on 127.0.0.1; every ZeroMQ socket is CURVE).
Over plain HTTP on 127.0.0.1 it checks:
  - every node's /metrics is Prometheus text format with the metrics
    docs/METRICS.md lists, each with its documented TYPE;
  - exactly one node exports slurp_raft_is_leader 1, and every node names
    the same leader in slurp_raft_leader;
  - a generate with wait moves the counters: requests, acknowledgement
    latency, jobs dispatched, results received, jobs completed (and the
    worker's own jobs counter);
  - /healthz and /readyz answer 200 with their reasons; an unknown path is
    404; with both followers stopped (SIGSTOP) the leader steps down and
    its /readyz answers 503 naming the leader check, then 200 again once
    they run (SIGCONT);
  - `slurpctl health` prints every node and worker, exit 0;
  - a malformed metrics_listen is refused with a typed error, and a port
    already in use stops slurpd with "cannot listen on".
"""
import pathlib
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from cluster_harness import (  # noqa: E402
    Client, cluster_test_main, note, wait_for)

# name -> TYPE, as docs/METRICS.md documents them.
NODE_METRICS = {
    "slurp_raft_term": "gauge",
    "slurp_raft_commit_index": "gauge",
    "slurp_raft_applied_index": "gauge",
    "slurp_raft_last_index": "gauge",
    "slurp_raft_is_leader": "gauge",
    "slurp_raft_leader": "gauge",
    "slurp_raft_elections_total": "counter",
    "slurp_raft_leader_changes_total": "counter",
    "slurp_raft_peer_lag_entries": "gauge",
    "slurp_storage_log_bytes": "gauge",
    "slurp_storage_snapshot_bytes": "gauge",
    "slurp_storage_contexts_db_bytes": "gauge",
    "slurp_storage_log_sync_seconds": "histogram",
    "slurp_loop_turn_seconds": "histogram",
    "slurp_queue_jobs": "gauge",
    "slurp_queue_waiting_jobs": "gauge",
    "slurp_jobs_ended_total": "counter",
    "slurp_jobs_dispatched_total": "counter",
    "slurp_results_received_total": "counter",
    "slurp_jobs_dead_lettered_total": "counter",
    "slurp_jobs_retried_total": "counter",
    "slurp_generate_ack_seconds": "histogram",
    "slurp_cache_hits_total": "counter",
    "slurp_jobs_attached_total": "counter",
    "slurp_duplicate_generations_total": "counter",
    "slurp_late_results_total": "counter",
    "slurp_workers_seen": "gauge",
    "slurp_requests_total": "counter",
    "slurp_request_refusals_total": "counter",
    "slurp_zap_refusals_total": "counter",
    "slurp_audit_records_total": "counter",
    "slurp_contexts": "gauge",
    "slurp_contexts_bytes": "gauge",
    "process_resident_memory_bytes": "gauge",
    "process_start_time_seconds": "gauge",
}
WORKER_METRICS = {
    "slurp_worker_jobs_total": "counter",
    "slurp_worker_batches_received_total": "counter",
    "slurp_worker_result_batches_sent_total": "counter",
    "process_resident_memory_bytes": "gauge",
}
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)$')


def http(address, path, timeout=3):
    """(status, body) of GET http://address/path; (None, reason) when
    nothing answered."""
    try:
        with urllib.request.urlopen(f"http://{address}{path}",
                                    timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return None, repr(e)


def scrape(address):
    """{"types": {name: type}, "samples": {(name, labels): value}} of one
    /metrics page, or None when it did not answer 200."""
    status, body = http(address, "/metrics")
    if status != 200:
        return None
    types, samples = {}, {}
    for line in body.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
        elif line and not line.startswith("#"):
            m = SAMPLE.match(line)
            if m:
                labels = tuple(sorted(re.findall(r'(\w+)="([^"]*)"',
                                                 m.group(3) or "")))
                samples[(m.group(1), labels)] = float(m.group(4))
    return {"types": types, "samples": samples}


def total(page, name, **labels):
    """Sum of the samples of `name` whose labels include `labels`."""
    want = set(labels.items())
    return sum(v for (n, ls), v in page["samples"].items()
               if n == name and want <= set(ls))


def run(c, ctx, cluster):
    nodes = {n: info["metrics"] for n, info in cluster.nodes.items()}
    c.check("every node has a metrics_listen", all(nodes.values()), nodes)
    pages = {n: wait_for(lambda a=a: scrape(a), 10) for n, a in nodes.items()}
    c.check("every node's /metrics answers 200",
            all(pages.values()), [n for n, p in pages.items() if not p])
    if not all(pages.values()):
        return
    for n, page in pages.items():
        wrong = {name: page["types"].get(name) for name, kind
                 in NODE_METRICS.items() if page["types"].get(name) != kind}
        c.check(f"{n}: every documented metric with its type", not wrong,
                wrong)
    leaders = wait_for(lambda: one_leader(nodes), 10)
    c.check("exactly one node has slurp_raft_is_leader 1", leaders,
            {n: total(scrape(a) or {"samples": {}}, "slurp_raft_is_leader")
             for n, a in nodes.items()})
    if not leaders:
        return
    leader = leaders
    note(f"leader {leader}")
    named = {n: [ls for (name, ls), v in scrape(a)["samples"].items()
                 if name == "slurp_raft_leader" and v == 1]
             for n, a in nodes.items()}
    c.check("every node names it in slurp_raft_leader",
            all(v == [(("leader", leader),)] for v in named.values()), named)
    check_counters_move(c, ctx, cluster, nodes, leader)
    check_health(c, cluster, nodes, leader)
    check_slurpctl_health(c, cluster)
    check_bad_listen(c, cluster, nodes)


def one_leader(nodes):
    flags = {}
    for n, a in nodes.items():
        page = scrape(a)
        if page is None:
            return None
        flags[n] = total(page, "slurp_raft_is_leader")
    leaders = [n for n, v in flags.items() if v == 1]
    return leaders[0] if len(leaders) == 1 and sum(flags.values()) == 1 \
        else None


def counters(nodes, leader, asked):
    lp, ap = scrape(nodes[leader]), scrape(nodes[asked])
    if lp is None or ap is None:
        return None
    return {
        "requests": total(ap, "slurp_requests_total", type="generate"),
        "acks": total(lp, "slurp_generate_ack_seconds_count"),
        "dispatched": total(lp, "slurp_jobs_dispatched_total"),
        "results": total(lp, "slurp_results_received_total"),
        "completed": total(lp, "slurp_jobs_ended_total", outcome="completed"),
        "commit": total(lp, "slurp_raft_commit_index"),
    }


def check_counters_move(c, ctx, cluster, nodes, leader):
    asked = next(n for n in nodes if n != leader)  # forwarded to the leader
    before = counters(nodes, leader, asked)
    worker_done_before = worker_jobs_done(cluster)
    client = Client(ctx, cluster, asked, name="dev")
    done = client.generate_and_wait("metrics-1", "ucxl://metrics/main.py",
                                    b"def main():\n    return 0\n")
    client.close()
    if not c.check("generate --wait ends completed",
                   done and done.get("state") == "completed", done):
        return

    def moved():
        after = counters(nodes, leader, asked)
        if after is None:
            return None
        grown = {k: after[k] - before[k] for k in before}
        return grown if all(v >= 1 for v in grown.values()) else None
    grown = wait_for(moved, 5)
    c.check("after the generate every counter moved by at least 1 "
            "(requests on the asked node; acks, dispatched, results, "
            "completed, commit on the leader)", grown,
            {"before": before, "after": counters(nodes, leader, asked)})
    if grown:
        note(f"moved by {grown}")
    done_after = wait_for(
        lambda: (worker_jobs_done(cluster) or 0) > (worker_done_before or 0)
        and worker_jobs_done(cluster), 5)
    c.check("slurp_worker_jobs_total{outcome=done} moved on a worker",
            done_after, (worker_done_before, worker_jobs_done(cluster)))


def worker_addresses(cluster):
    import tomllib
    with open(cluster.dir / "cluster.toml", "rb") as f:
        config = tomllib.load(f)
    return {w["id"]: w.get("metrics_listen") for w in config.get("workers", [])}


def worker_jobs_done(cluster):
    done = 0
    for address in worker_addresses(cluster).values():
        page = scrape(address)
        if page is None:
            return None
        done += total(page, "slurp_worker_jobs_total", outcome="done")
    return done


def check_health(c, cluster, nodes, leader):
    for n, a in nodes.items():
        live = http(a, "/healthz")
        ready = http(a, "/readyz")
        c.check(f"{n}: /healthz 200 with the loop's reason",
                live[0] == 200 and live[1].startswith("ok\n")
                and "ok   loop: last turn ended" in live[1], live)
        c.check(f"{n}: /readyz 200 naming leader and applied checks",
                ready[0] == 200 and "ok   leader:" in ready[1]
                and "ok   applied:" in ready[1], ready)
    a = nodes[leader]
    c.check("an unknown path is 404", http(a, "/nope")[0] == 404,
            http(a, "/nope"))
    for p in page_for_workers(cluster):
        c.check(f"worker {p[0]}: /healthz 200", p[1][0] == 200, p[1])
    followers = [n for n in nodes if n != leader]
    for f in followers:
        cluster.kill(f, signal.SIGSTOP)
    try:
        down = wait_for(lambda: unready(a), 10)
        c.check("followers stopped: the old leader's /readyz is 503 and "
                "says the leader check failed", down, http(a, "/readyz"))
        if down:
            note("/readyz said: " + down.replace("\n", " | "))
        live = http(a, "/healthz")
        c.check("...while its /healthz stays 200 (its loop turns)",
                live[0] == 200, live)
    finally:
        for f in followers:
            cluster.kill(f, signal.SIGCONT)
    back = wait_for(lambda: all(http(x, "/readyz")[0] == 200
                                for x in nodes.values()), 15)
    c.check("followers running again: every /readyz is 200", back,
            {n: http(x, "/readyz") for n, x in nodes.items()})


def unready(address):
    status, body = http(address, "/readyz")
    return body if status == 503 and "FAIL leader:" in body else None


def page_for_workers(cluster):
    return [(w, http(a, "/healthz"))
            for w, a in worker_addresses(cluster).items()]


def check_slurpctl_health(c, cluster):
    out = subprocess.run(
        [str(cluster.bin_dir / "slurpctl"), "--config",
         str(cluster.dir / "cluster.toml"), "health"],
        capture_output=True, text=True, timeout=30)
    names = list(cluster.nodes) + list(worker_addresses(cluster))
    c.check("slurpctl health: exit 0, a line per node and worker",
            out.returncode == 0 and all(
                re.search(rf"^{n}  \S+  healthz ok  readyz ok$", out.stdout,
                          re.M) for n in names),
            (out.returncode, out.stdout, out.stderr))
    c.check("slurpctl health prints the reasons",
            "ok   leader:" in out.stdout, out.stdout)


def check_bad_listen(c, cluster, nodes):
    config = cluster.dir / "cluster.toml"
    bad = cluster.dir / "bad.toml"
    bad.write_text(config.read_text().replace(
        f'metrics_listen = "{nodes["n1"]}"',
        'metrics_listen = "localhost:9100"', 1))
    out = subprocess.run(
        [str(cluster.bin_dir / "slurpd"), "--config", str(bad), "--node",
         "n1"], capture_output=True, text=True, timeout=30)
    c.check("metrics_listen = \"localhost:9100\": exit 2, bad_request "
            "naming the key", out.returncode == 2
            and "bad_request: nodes[0].metrics_listen" in out.stderr
            and "must be HOST:PORT with HOST an IP address" in out.stderr,
            (out.returncode, out.stderr[-600:]))
    # A port held by a listener: slurpd must stop with a clear error (in a
    # fresh data dir so it does not touch n1's).
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        text = config.read_text().replace(
            f'metrics_listen = "{nodes["n1"]}"',
            f'metrics_listen = "127.0.0.1:{port}"', 1)
        text = text.replace('data_dir = "data"', 'data_dir = "data-busy"', 1)
        for n in cluster.nodes:  # its own ports: n1's are in use
            text = re.sub(r"(api|events|jobs|results)_port = (\d+)",
                          lambda m: f"{m.group(1)}_port = "
                          f"{int(m.group(2)) + 5000}", text)
            break
        bad.write_text(text)
        out = subprocess.run(
            [str(cluster.bin_dir / "slurpd"), "--config", str(bad), "--node",
             "n1"], capture_output=True, text=True, timeout=30)
    c.check("metrics_listen on a port in use: exit 1, unavailable, "
            "\"cannot listen on\"", out.returncode == 1
            and "unavailable: metrics_listen: cannot listen on" in out.stderr,
            (out.returncode, out.stderr[-600:]))


def main():
    return cluster_test_main(__doc__, 170, run, 2000, 390, nodes=3,
                             workers=2, metrics=True)


if __name__ == "__main__":
    sys.exit(main())
