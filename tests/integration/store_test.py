#!/usr/bin/python3
"""The context store on disk (contexts.db), with three real slurpd processes:

  - ENTRIES update_contexts (SLURP_STORE_TEST_ENTRIES, default 22,000: more
    than two 10,000-entry snapshot intervals, so every node has taken a
    snapshot and a restart replays the log after it, and the leader's log,
    which keeps 10,000 entries below its latest snapshot, no longer reaches
    back to entry 1: a wiped follower cannot catch up by appends) are
    stored through the leader, 256 in flight;
  - a follower SIGKILLed after them and started again knows the leader
    within 1 s of its restart;
  - a follower whose data directory is wiped is sent a snapshot (the core,
    then the contexts read from the leader's contexts.db) while a client
    keeps writing, and then answers `get` for the first context stored and
    the last;
  - an export of everything (list pages until no next_after) returns every
    address once, and the leader's term does not change meanwhile;
  - a prefix under which nothing is stored is not_found.
"""
import os
import pathlib
import shutil
import signal
import sys
import threading

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from cluster_harness import (  # noqa: E402
    Client, cluster_test_main, note, now, wait_for)

ENTRIES = int(os.environ.get("SLURP_STORE_TEST_ENTRIES", "22000"))
IN_FLIGHT = 256
RESTART_TO_LEADER_S = 1.0


def address(i):
    return f"ucxl://store/dir{i % 50}/f{i}.go"


def context(i):
    return {"address": address(i), "language": "go",
            "summary": f"file {i} " + "x" * 600,
            "symbols": [{"name": f"F{i}_{k}", "kind": "function", "line": k}
                        for k in range(20)],
            "imports": [f"pkg{k}" for k in range(8)]}


def status(ctx, cluster, node, stale=True):
    c = Client(ctx, cluster, node, name="admin")
    r = c.call({"type": "status", "stale": stale}, timeout=1) or {}
    c.close()
    return r


def leader_of(ctx, cluster):
    for node in cluster.live_nodes():
        leader = status(ctx, cluster, node).get("leader")
        if leader and cluster.alive(leader):
            return leader
    return None


def store(ctx, cluster, node, first, count, stop=None):
    """update_context for first..first+count-1 through `node`, IN_FLIGHT at
    a time; returns how many were acknowledged."""
    client = Client(ctx, cluster, node, name="admin")
    pending, acked, i = set(), 0, first
    deadline = now() + 120
    while (i < first + count or pending) and now() < deadline:
        if stop is not None and stop.is_set():
            break
        while i < first + count and len(pending) < IN_FLIGHT:
            pending.add(client.send({"type": "update_context",
                                     "context": context(i)}))
            i += 1
        reply = client.receive(pending, now() + 5)
        if reply is None:
            break
        pending.discard(reply.get("id"))
        if reply.get("type") == "update_reply":
            acked += 1
    client.close()
    return acked


def get_summary(ctx, cluster, node, i):
    c = Client(ctx, cluster, node, name="admin")
    r = c.call({"type": "get", "address": address(i), "stale": True},
               timeout=2) or {}
    c.close()
    return (r.get("context") or {}).get("summary", "")


def run(c, ctx, cluster):
    leader = wait_for(lambda: leader_of(ctx, cluster), 15)
    if not c.check("a leader is elected", leader):
        return
    started = now()
    acked = store(ctx, cluster, leader, 0, ENTRIES)
    c.check(f"{ENTRIES} update_contexts acknowledged", acked == ENTRIES,
            f"{acked} in {now() - started:.1f} s")
    followers = [n for n in cluster.nodes if n != leader]

    # A follower restarted after the load.
    restarted = followers[0]
    cluster.kill(restarted, signal.SIGKILL)
    t0 = now()
    cluster.restart(restarted)
    known = wait_for(
        lambda: status(ctx, cluster, restarted).get("leader") == leader,
        10, step=0.01)
    took = now() - t0
    note(f"restart to leader known: {took * 1000:.0f} ms after {ENTRIES} "
         f"entries")
    c.check(f"a follower restarted after {ENTRIES} entries knows the leader "
            f"within {RESTART_TO_LEADER_S} s", known
            and took <= RESTART_TO_LEADER_S, f"{took * 1000:.0f} ms")
    caught_up = wait_for(
        lambda: get_summary(ctx, cluster, restarted, ENTRIES - 1)
        .startswith(f"file {ENTRIES - 1} "), 20)
    c.check("it answers get for the last context stored", caught_up)

    # A wiped follower gets a snapshot while a client keeps writing.
    wiped = followers[1]
    cluster.kill(wiped, signal.SIGKILL)
    data = cluster.nodes[wiped]["data_dir"]
    for entry in data.iterdir():
        if entry.name != "audit.log":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    (data / "audit.log").unlink(missing_ok=True)
    stop = threading.Event()
    more = {}
    writer = threading.Thread(target=lambda: more.setdefault(
        "acked", store(ctx, cluster, leader, ENTRIES, 3000, stop)))
    writer.start()
    cluster.restart(wiped)
    t0 = now()
    installed = wait_for(
        lambda: get_summary(ctx, cluster, wiped, 0).startswith("file 0 "), 30)
    note(f"wiped follower answers from the installed snapshot after "
         f"{(now() - t0) * 1000:.0f} ms")
    writer.join()
    c.check("the wiped follower, sent a snapshot while clients wrote, "
            "answers get for the first context stored", installed,
            (status(ctx, cluster, wiped), status(ctx, cluster, leader,
                                                 stale=False).get("members")))
    total = ENTRIES + more.get("acked", 0)
    last = wait_for(
        lambda: get_summary(ctx, cluster, wiped, total - 1)
        .startswith(f"file {total - 1} "), 30)
    c.check("... and for the last one written meanwhile", last, total)
    log = cluster.log_path(wiped).read_text(errors="replace")
    c.check("its log says it installed the leader's snapshot",
            "installed the leader's snapshot" in log)

    # An export of everything while the leader keeps its term. The leader
    # is asked again first: an fsync stall while the wiped follower caught
    # up may have moved leadership before the export began, which is not
    # what this checks (the slow-turn lines in the logs say when it does).
    leader = leader_of(ctx, cluster) or leader
    term = status(ctx, cluster, leader, stale=False).get("term")
    client = Client(ctx, cluster, leader, name="admin")
    t0 = now()
    seen, after, pages, ok = set(), "", 0, True
    while True:
        r = client.call({"type": "list", "prefix": "ucxl://store/",
                         "after": after, "limit": 500}, timeout=10) or {}
        if r.get("type") != "list_reply":
            ok = False
            break
        pages += 1
        for ctxt in r.get("contexts", []):
            seen.add(ctxt["address"])
        if not r.get("next_after"):
            break
        after = r["next_after"]
    note(f"export: {len(seen)} contexts in {now() - t0:.2f} s")
    missing = client.call({"type": "list", "prefix": "ucxl://nowhere/"},
                          timeout=5) or {}
    client.close()
    c.check(f"export: every one of {total} addresses once, in {pages} pages",
            ok and len(seen) == total, len(seen))
    term_after = status(ctx, cluster, leader, stale=False).get("term")
    leader_after = leader_of(ctx, cluster)
    c.check("the leader kept its term through the export",
            term_after == term and leader_after == leader,
            f"{leader} in term {term} before, {leader_after} in term "
            f"{term_after} after")
    c.check("list of a prefix under which nothing is stored: not_found",
            missing.get("type") == "error"
            and missing.get("name") == "not_found", missing)


if __name__ == "__main__":
    sys.exit(cluster_test_main(__doc__, 280, run, 48500, 340, nodes=3))
