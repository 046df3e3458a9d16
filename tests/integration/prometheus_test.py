#!/usr/bin/python3
"""Integration: Debian's Prometheus server scrapes a real slurp cluster.

  prometheus_test.py BIN_DIR

Not in the default CI (tools/prometheus-check runs it; about a minute).
A 3-node cluster with 2 workers (tools/cluster up --metrics, CURVE on
every ZeroMQ socket) and /usr/bin/prometheus on 127.0.0.1 with the rules
of deploy/slurp-alerts.yml, scraping every node and worker each second.
Through Prometheus' HTTP API it checks:
  - every target is up (up == 1 for 3 nodes and 2 workers);
  - slurp_raft_term is the same positive term on the 3 nodes;
  - sum(slurp_raft_is_leader) is exactly 1;
  - after a generate with wait, the completed jobs the leader reports
    (sum by instance of slurp_jobs_ended_total{outcome="completed"})
    grow by 1, and the workers' slurp_worker_jobs_total{outcome="done"}
    too;
  - the rules loaded, and SlurpNoLeader is not firing.
Each query and its answer is printed (the issue's closing note quotes them).
"""
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import urllib.parse
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from cluster_harness import (  # noqa: E402
    Client, cluster_test_main, note, wait_for)
from metrics_test import worker_addresses  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parents[2]
PROMETHEUS = "/usr/bin/prometheus"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_prometheus(cluster):
    """Prometheus on a free 127.0.0.1 port, its data under the cluster's
    directory; returns (process, "127.0.0.1:PORT")."""
    work = cluster.dir / "prometheus"
    work.mkdir()
    shutil.copy(REPO / "deploy" / "slurp-alerts.yml", work)
    nodes = [n["metrics"] for n in cluster.nodes.values()]
    workers = list(worker_addresses(cluster).values())
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": ["slurp-alerts.yml"],
        "scrape_configs": [
            {"job_name": "slurp-nodes",
             "static_configs": [{"targets": nodes}]},
            {"job_name": "slurp-workers",
             "static_configs": [{"targets": workers}]},
        ],
    }
    # JSON is YAML: no YAML library needed.
    (work / "prometheus.yml").write_text(json.dumps(config, indent=1))
    address = f"127.0.0.1:{free_port()}"
    log = open(work / "prometheus.log", "w")
    proc = subprocess.Popen(
        [PROMETHEUS, f"--config.file={work / 'prometheus.yml'}",
         f"--storage.tsdb.path={work / 'data'}",
         f"--web.listen-address={address}",
         "--log.level=warn"],
        stdout=log, stderr=subprocess.STDOUT, cwd=work)
    return proc, address


def query(address, promql):
    """The vector result of an instant query: [(labels, value)], or None."""
    url = (f"http://{address}/api/v1/query?"
           + urllib.parse.urlencode({"query": promql}))
    try:
        with urllib.request.urlopen(url, timeout=3) as r:
            body = json.load(r)
    except OSError:
        return None
    if body.get("status") != "success":
        return None
    return [(s["metric"], float(s["value"][1]))
            for s in body["data"]["result"]]


def show(address, promql):
    result = query(address, promql)
    note(f"PromQL {promql}  ->  " + (
        "no answer" if result is None else
        ", ".join(f"{format_labels(m)} {v:g}" for m, v in result) or "[]"))
    return result


def format_labels(metric):
    keep = {k: v for k, v in metric.items() if k in ("instance", "job")}
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(keep.items())) + "}"


def run(c, ctx, cluster):
    if not c.check(f"{PROMETHEUS} is installed (apt-get install prometheus)",
                   os.access(PROMETHEUS, os.X_OK)):
        return
    proc, address = start_prometheus(cluster)
    try:
        scrape_and_query(c, ctx, cluster, address)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        c.check("prometheus stopped", proc.returncode is not None)


def scrape_and_query(c, ctx, cluster, address):
    up = wait_for(lambda: (lambda r: r if r and len(r) == 5
                           and all(v == 1 for _, v in r) else None)(
        query(address, "up")), 30, step=0.25)
    show(address, "up")
    if not c.check("prometheus scraped 3 nodes and 2 workers: up == 1 for 5 "
                   "targets", up, query(address, "up")):
        return
    term = show(address, "slurp_raft_term")
    c.check("slurp_raft_term: one positive term on 3 nodes",
            term and len(term) == 3 and len({v for _, v in term}) == 1
            and term[0][1] >= 1, term)
    leaders = wait_for(lambda: (lambda r: r if r and r[0][1] == 1 else None)(
        query(address, "sum(slurp_raft_is_leader)")), 10, step=0.25)
    show(address, "sum(slurp_raft_is_leader)")
    c.check("sum(slurp_raft_is_leader) == 1", leaders,
            query(address, "sum(slurp_raft_is_leader)"))
    completed = ('sum(slurp_jobs_ended_total{outcome="completed"} '
                 'and on(instance) slurp_raft_is_leader == 1)')
    before = show(address, completed)
    done_q = 'sum(slurp_worker_jobs_total{outcome="done"})'
    done_before = show(address, done_q)
    client = Client(ctx, cluster, "n1", name="dev")
    done = client.generate_and_wait("prom-1", "ucxl://prom/main.go",
                                    b"package main\n\nfunc main() {}\n")
    client.close()
    if not c.check("generate --wait ends completed",
                   done and done.get("state") == "completed", done):
        return
    b = before[0][1] if before else 0
    grown = wait_for(lambda: (lambda r: r if r and r[0][1] >= b + 1
                              else None)(query(address, completed)), 15,
                     step=0.25)
    show(address, completed)
    c.check("completed jobs on the leader grew by 1 after the generate",
            grown, (before, query(address, completed)))
    d = done_before[0][1] if done_before else 0
    worker_grown = wait_for(lambda: (lambda r: r if r and r[0][1] >= d + 1
                                     else None)(query(address, done_q)), 15,
                            step=0.25)
    show(address, done_q)
    c.check("the workers' done jobs grew by 1", worker_grown,
            query(address, done_q))
    show(address, "histogram_quantile(0.99, sum by (le) "
                  "(rate(slurp_storage_log_sync_seconds_bucket[1m])))")
    rules = query(address, 'ALERTS{alertname="SlurpNoLeader"}')
    c.check("SlurpNoLeader is not firing", rules == [], rules)
    loaded = urllib.request.urlopen(f"http://{address}/api/v1/rules",
                                    timeout=3)
    names = [r["name"] for g in json.load(loaded)["data"]["groups"]
             for r in g["rules"]]
    c.check("deploy/slurp-alerts.yml's rules are loaded",
            "SlurpNoLeader" in names and "SlurpFsyncSlow" in names, names)


def main():
    return cluster_test_main(__doc__, 170, run, 6000, 390, nodes=3,
                             workers=2, metrics=True)


if __name__ == "__main__":
    sys.exit(main())
