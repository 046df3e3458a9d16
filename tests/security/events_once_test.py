#!/usr/bin/python3
"""Security/correctness: state-machine events around leader changes.

  events_once_test.py BIN_DIR

PROTOCOL.md ("Events") promises state-machine events at least once, each
with an `entry` attribute that is the same whichever node publishes it, so
a subscriber to every node drops repeats by `entry`. A 3-node cluster with
one worker: 400 generates, the leader SIGKILLed and a second leader
SIGSTOPped for a second (the old leader then still believes it leads while
the others elect) while they run. Checked, over every event from every
node: each state-machine event carries `entry`; every copy of one job's
`job.completed` has one `entry` value, and no `entry` names two jobs; so
after dropping repeats by `entry` each completed job was reported exactly
once. The number of repeats seen is printed.
"""
import collections
import hashlib
import pathlib
import signal
import sys
import time


HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))
from cluster_harness import (  # noqa: E402
    cluster_test_main, Client, EventCollector, note, wait_for)

STATE_TOPICS = ("job.queued", "job.completed", "job.cancelled",
                "job.failed", "job.dead_lettered", "context.stored")
JOBS = 400


def leader_of(ctx, cluster):
    for node in cluster.live_nodes():
        c = Client(ctx, cluster, node, name="admin")
        r = c.call({"type": "status", "stale": True}, timeout=1) or {}
        c.close()
        if r.get("leader") and cluster.alive(r["leader"]):
            return r["leader"]
    return None


def submit(ctx, cluster, node, start, count):
    """Generates with inline content from a client on `node`, retried on
    retryable errors with the same request_id; returns accepted job ids."""
    client = Client(ctx, cluster, node, name="dev")
    jobs = set()
    for i in range(start, start + count):
        content = f"package p\n\nfunc F{i}() int {{ return {i} }}\n".encode()
        request = {"type": "generate", "request_id": f"once-{i}",
                   "address": f"ucxl://once/f{i}.go", "content": content,
                   "content_hash": hashlib.sha256(content).hexdigest()}
        for _ in range(40):
            r = client.call(request, timeout=2)
            if r and r.get("type") == "generate_reply":
                jobs.add(r["job_id"])
                break
            time.sleep(0.1)
    client.close()
    return jobs


def run(c, ctx, cluster):
    events = EventCollector(ctx, cluster, name="observer")
    events.start()
    first = wait_for(lambda: leader_of(ctx, cluster), 15)
    if not c.check("a leader is elected", first):
        return
    others = [n for n in cluster.nodes if n != first]
    jobs = submit(ctx, cluster, others[0], 0, JOBS // 2)
    cluster.kill(first, signal.SIGKILL)
    second = wait_for(lambda: leader_of(ctx, cluster), 15)
    c.check("a second leader after SIGKILL", second and second != first,
            second)
    # The old leader paused: it wakes up still believing it leads.
    if second:
        cluster.kill(second, signal.SIGSTOP)
        time.sleep(1.0)
        cluster.kill(second, signal.SIGCONT)
    cluster.restart(first)
    client_node = next(n for n in cluster.nodes if n != second)
    jobs |= submit(ctx, cluster, client_node, JOBS // 2, JOBS // 2)
    c.check(f"{JOBS} generates accepted", len(jobs) == JOBS, len(jobs))

    def completed_jobs():
        return {e["msg"]["attrs"].get("job_id")
                for e in events.events(topic="job.completed")}
    done = wait_for(lambda: len(completed_jobs() & {str(j) for j in jobs})
                    == JOBS, 90)
    c.check("job.completed seen for every job", done,
            len(completed_jobs() & {str(j) for j in jobs}))
    time.sleep(1)
    events.stop()

    state_events = [e["msg"] for e in events.events()
                    if e["msg"]["topic"] in STATE_TOPICS]
    missing = [m for m in state_events if "entry" not in m.get("attrs", {})]
    c.check("every state-machine event carries `entry`",
            state_events and not missing, missing[:3])
    by_job = collections.defaultdict(set)
    by_entry = collections.defaultdict(set)
    copies = collections.Counter()
    for m in state_events:
        if m["topic"] != "job.completed":
            continue
        job, entry = m["attrs"].get("job_id"), m["attrs"].get("entry")
        by_job[job].add(entry)
        by_entry[entry].add(job)
        copies[job] += 1
    c.check("all copies of one job's job.completed share one `entry`",
            all(len(e) == 1 for e in by_job.values()),
            {j: e for j, e in by_job.items() if len(e) != 1})
    c.check("no `entry` names two jobs",
            all(len(j) == 1 for j in by_entry.values()),
            {e: j for e, j in by_entry.items() if len(j) != 1})
    repeats = sum(n - 1 for n in copies.values())
    note(f"job.completed: {sum(copies.values())} events for "
         f"{len(copies)} jobs from {len(cluster.nodes)} nodes; "
         f"{repeats} repeats, dropped by `entry`")



def main():
    return cluster_test_main(__doc__, 200, run, 32000, 990,
                             nodes=3, workers=1)


if __name__ == "__main__":
    sys.exit(main())
