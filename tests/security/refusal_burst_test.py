#!/usr/bin/python3
"""Security: refusals cost the node thread no fsync and little audit log.

  refusal_burst_test.py BIN_DIR

Before, each refused request or failed handshake appended an fdatasync'd
audit record on the node thread: 3,000 requests at a leaderless node
delayed the next election by 3-7 s, and a plaintext flood pushed ping
latency to 2.2 s. A 3-node cluster:
  1. the leader and one follower are paused (SIGSTOP); the third node,
     leaderless, gets 3,000 requests an observer may not make plus 3,000
     generates it can only hold or refuse (no_quorum); then the follower
     is resumed, and it and the flooded node must elect a new leader
     within LEADER_AGAIN_S, the audit log holding few new records;
  2. 300 plaintext connections (no CURVE) hit the leader's api while a
     developer pings it: ping p99 stays low, the handshake failures are
     aggregated in the audit log, and no election happens.
"""
import pathlib
import signal
import sys
import time

import msgpack
import zmq

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))
sys.path.insert(0, str(HERE))
from api_flood_test import Pinger, terms  # noqa: E402
from cluster_harness import (  # noqa: E402
    cluster_test_main, Client, note, now, wait_for)

LEADER_AGAIN_S = 2.0
PING_P99_BOUND_MS = 100
AUDIT_RECORDS_MAX = 60


def leader_seen_by(ctx, cluster, node):
    c = Client(ctx, cluster, node, name="admin")
    r = c.call({"type": "status", "stale": True}, timeout=1) or {}
    c.close()
    return r.get("leader")


def audit_count(cluster, node):
    return len(cluster.audit_records(node))


def burst(ctx, cluster, node, key, kind, count):
    """Sends `count` requests on one socket as fast as it can and reads
    whatever comes back, without waiting for it."""
    c = Client(ctx, cluster, node, name=key)
    for i in range(count):
        if kind == "forbidden":
            m = {"type": "update_context",
                 "context": {"address": f"ucxl://p/x{i}.go"}}
        else:
            m = {"type": "generate", "request_id": f"burst-{i}",
                 "address": f"ucxl://burst/f{i}.go"}
        c.send(m)
    return c


def leaderless_burst(c, ctx, cluster):
    leader = wait_for(lambda: leader_seen_by(ctx, cluster, "n1"), 15)
    if not c.check("a leader is elected", leader):
        return
    flooded = next(n for n in cluster.nodes if n != leader)
    paused = [n for n in cluster.nodes if n != flooded]
    for n in paused:
        cluster.kill(n, signal.SIGSTOP)
    gone = wait_for(lambda: leader_seen_by(ctx, cluster, flooded) is None, 5)
    c.check(f"{flooded} has no leader once the others are paused", gone)
    records0 = audit_count(cluster, flooded)
    clients = [burst(ctx, cluster, flooded, "observer", "forbidden", 3000),
               burst(ctx, cluster, flooded, "dev", "generate", 3000)]
    time.sleep(1.0)  # the node works through them while leaderless
    # Only the follower comes back: the flooded node and it must hold an
    # election (the old leader is still paused).
    follower = next(n for n in paused if n != leader)
    cluster.kill(follower, signal.SIGCONT)
    t0 = now()
    back = wait_for(lambda: leader_seen_by(ctx, cluster, flooded), 15,
                    step=0.01)
    took = now() - t0
    cluster.kill(leader, signal.SIGCONT)
    note(f"{flooded} knew leader {back} {took:.3f} s after {follower} "
         f"resumed (3,000 refused + 3,000 held/refused requests)")
    c.check(f"a new leader elected within {LEADER_AGAIN_S} s",
            back in (flooded, follower) and took <= LEADER_AGAIN_S,
            f"{back} after {took:.3f} s")
    for client in clients:
        client.close()
    time.sleep(0.5)  # the audit writer's group commit is asynchronous
    added = audit_count(cluster, flooded) - records0
    note(f"{flooded}'s audit log: +{added} records for 6,000 requests")
    c.check(f"refusals aggregated: at most {AUDIT_RECORDS_MAX} new audit "
            "records", added <= AUDIT_RECORDS_MAX, added)


def plaintext_flood(c, ctx, cluster):
    leader = wait_for(lambda: leader_seen_by(ctx, cluster, "n1"), 15)
    if not c.check("a leader before the plaintext flood", leader):
        return
    before = terms(ctx, cluster)
    records0 = audit_count(cluster, leader)
    pinger = Pinger(ctx, cluster, leader)
    pinger.start()
    for i in range(300):
        s = ctx.socket(zmq.DEALER)
        s.linger = 0
        s.connect(cluster.nodes[leader]["api"])
        try:
            s.send(msgpack.packb({"v": 1, "type": "ping", "id": i + 1}),
                   zmq.NOBLOCK)
        except zmq.Again:
            pass  # no handshake, no pipe: nothing to queue it on
        time.sleep(0.005)
        s.close()
    time.sleep(1.0)
    pinger.stop.set()
    pinger.join(5)
    p99 = pinger.p99()
    time.sleep(0.5)
    added = audit_count(cluster, leader) - records0
    note(f"300 plaintext connections: developer ping p99 "
         f"{p99 and round(p99, 1)} ms, {pinger.lost} lost; audit +{added}")
    c.check(f"ping p99 under {PING_P99_BOUND_MS} ms during the plaintext "
            "flood", p99 is not None and p99 < PING_P99_BOUND_MS
            and pinger.lost == 0, f"p99={p99} lost={pinger.lost}")
    c.check(f"handshake failures aggregated: at most {AUDIT_RECORDS_MAX} "
            "audit records", added <= AUDIT_RECORDS_MAX, added)
    after = terms(ctx, cluster)
    c.check("no election during the plaintext flood", after == before,
            f"{before} -> {after}")



def run(c, ctx, cluster):
    leaderless_burst(c, ctx, cluster)
    plaintext_flood(c, ctx, cluster)


def main():
    return cluster_test_main(__doc__, 200, run, 33000, 990,
                             nodes=3, workers=0)


if __name__ == "__main__":
    sys.exit(main())
