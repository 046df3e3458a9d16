#!/usr/bin/python3
"""Security (issue 12, item 12): requests the protocol does not allow are
refused with a typed error naming the field, and the node keeps serving.

  validation_test.py BIN_DIR

A 3-node cluster with no worker of tools/cluster's; a fake worker joins
with its own key. Each bad request is sent by a real client (developer key,
to the leader and through a follower):
  - a 1 MiB content_hash, an uppercase one, a request_id of 257 bytes;
  - confidence 7.5 and a malformed content_hash in update_context;
  - '.' and '..' as agent, role, project or task of an address (in
    `address`, `depends_on` and `context.address`);
  - invalid UTF-8 in request_id, type, a context's summary and tags;
  - a 64 KiB + 1 summary in update_context.
Each gets its error code and field, every reply and event stays decodable
by Python's msgpack (which refuses invalid UTF-8), and a ping is answered
after each. Last, the fake worker answers a job with confidence 7.5: the
attempt fails with the reason and nothing is stored.
"""
import pathlib
import sys
import threading
import tomllib

import msgpack
import zmq

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))
sys.path.insert(0, str(HERE))
from cluster_harness import (  # noqa: E402
    cluster_test_main, Client, EventCollector, next_id, note, now, read_key,
    wait_for)
from security_support import (  # noqa: E402
    BAD_REQUEST, NOT_FOUND, TOO_LARGE, add_key, is_error, leader_of, serves)

GOOD = "ucxl://shop/src/main.c"
CONTEXT_TEXT_BYTES_MAX = 64 * 1024  # protocol/limits.h


def with_invalid_utf8(request, field_value):
    """Packs `request` with the str `field_value` (a placeholder in it)
    swapped for the same number of bytes that are not UTF-8."""
    rid = request.setdefault("id", next_id())
    packed = msgpack.packb({"v": 1, **request})
    bad = b"\xff\xfe\xc0\xaf\xed\xa0\x80"  # stray, overlong '/', surrogate
    swapped = bad + b"x" * (len(field_value) - len(bad))
    assert packed.count(field_value.encode()) == 1
    return rid, packed.replace(field_value.encode(), swapped)


def bad_requests():
    """(name, request dict or (id, raw bytes), code, field)."""
    huge_hash = "a" * (1024 * 1024)
    out = [
        ("a 1 MiB content_hash",
         {"type": "generate", "request_id": "h1", "address": GOOD,
          "content_hash": huge_hash}, BAD_REQUEST, "content_hash"),
        ("an uppercase content_hash",
         {"type": "generate", "request_id": "h2", "address": GOOD,
          "content_hash": "AB" * 32}, BAD_REQUEST, "content_hash"),
        ("a 257-byte request_id",
         {"type": "generate", "request_id": "r" * 257, "address": GOOD},
         BAD_REQUEST, "request_id"),
        ("confidence 7.5",
         {"type": "update_context", "context": {
             "address": GOOD, "confidence": 7.5}},
         BAD_REQUEST, "context.confidence"),
        ("a malformed context.content_hash",
         {"type": "update_context", "context": {
             "address": GOOD, "content_hash": "not-a-hash"}},
         BAD_REQUEST, "context.content_hash"),
        ("a summary of 64 KiB + 1",
         {"type": "update_context", "context": {
             "address": GOOD, "summary": "s" * (CONTEXT_TEXT_BYTES_MAX + 1)}},
         TOO_LARGE, "context.summary"),
    ]
    for address, part in (("ucxl://../x.c", "project"),
                          ("ucxl://./x.c", "project"),
                          ("ucxl://..:r@p:t/x.c", "agent"),
                          ("ucxl://a:..@p:t/x.c", "role"),
                          ("ucxl://a:r@..:t/x.c", "project"),
                          ("ucxl://a:r@p:./x.c", "task")):
        out.append((f"'{address}' as address",
                    {"type": "generate", "request_id": "d-" + address,
                     "address": address}, BAD_REQUEST, f"address.{part}"))
    out.append(("'..' in depends_on",
                {"type": "generate", "request_id": "dep", "address": GOOD,
                 "depends_on": ["ucxl://a:r@p:../y.c"]},
                BAD_REQUEST, "depends_on[0].task"))
    out.append(("'..' in context.address",
                {"type": "update_context", "context": {
                    "address": "ucxl://a:r@..:t/x.c"}},
                BAD_REQUEST, "context.address.project"))
    out.append(("invalid UTF-8 in request_id", with_invalid_utf8(
        {"type": "generate", "request_id": "PLACEHOLDER-RID",
         "address": GOOD}, "PLACEHOLDER-RID"), BAD_REQUEST, "request_id"))
    out.append(("invalid UTF-8 in type", with_invalid_utf8(
        {"type": "PLACEHOLDER-TYPE"}, "PLACEHOLDER-TYPE"),
        BAD_REQUEST, "type"))
    out.append(("invalid UTF-8 in a summary", with_invalid_utf8(
        {"type": "update_context", "context": {
            "address": GOOD, "summary": "PLACEHOLDER-SUMMARY"}},
        "PLACEHOLDER-SUMMARY"), BAD_REQUEST, "context.summary"))
    out.append(("invalid UTF-8 in a tag", with_invalid_utf8(
        {"type": "update_context", "context": {
            "address": GOOD, "tags": ["ok", "PLACEHOLDER-TAG"]}},
        "PLACEHOLDER-TAG"), BAD_REQUEST, "context.tags[1]"))
    return out


def send(client, request):
    if isinstance(request, tuple):
        rid, raw = request
        client.send(raw)
        return client.receive({rid}, now() + 5)
    return client.call(request, timeout=5)


def check_refusals(c, ctx, cluster, leader, follower):
    for node in (leader, follower):
        client = Client(ctx, cluster, node, name="dev")
        where = "leader" if node == leader else "follower"
        for name, request, code, field in bad_requests():
            reply = send(client, request)
            c.check(f"{name} ({where}): code {code}, field {field}",
                    is_error(reply, code, field), str(reply)[:300])
            c.check(f"{name} ({where}): the reply quotes at most a short "
                    "prefix", len(msgpack.packb(reply)) < 2048,
                    len(msgpack.packb(reply)))
            c.check(f"{name} ({where}): the node keeps serving",
                    serves(ctx, cluster, node))
        client.close()
    admin = Client(ctx, cluster, leader, name="admin")
    reply = admin.call({"type": "get", "address": GOOD}, timeout=5)
    c.check("none of them stored anything", is_error(reply, NOT_FOUND), reply)
    admin.close()


# --- a worker that reports an impossible confidence ------------------------

def fake_worker(ctx, cluster, stop, seen):
    """Answers every job with confidence 7.5 until `stop` is set."""
    secret = read_key(cluster.dir / "keys" / "fakew.key")
    with open(cluster.dir / "cluster.toml", "rb") as f:
        nodes = tomllib.load(f)["nodes"]
    pull, push = ctx.socket(zmq.PULL), ctx.socket(zmq.PUSH)
    for s in (pull, push):
        s.linger = 0
        s.curve_secretkey = secret
        s.curve_publickey = zmq.curve_public(secret)
    push.immediate = True
    for n in nodes:
        key = read_key(cluster.dir / n["public_key"])
        pull.curve_serverkey = key
        pull.connect(f"tcp://{n['host']}:{n['jobs_port']}")
        push.curve_serverkey = key
        push.connect(f"tcp://{n['host']}:{n['results_port']}")
    try:
        while not stop.is_set():
            if not pull.poll(50):
                continue
            batch = msgpack.unpackb(pull.recv(), raw=False)
            results = []
            for job in batch.get("jobs", []):
                seen.append(job["job_id"])
                results.append({
                    "job_id": job["job_id"], "attempt": job["attempt"],
                    "term": batch["term"], "ok": True,
                    "context": {"address": job["address"],
                                "summary": "overconfident",
                                "confidence": 7.5}})
            push.send(msgpack.packb({"v": 1, "type": "results",
                                     "worker": "fakew", "results": results}))
    finally:
        pull.close()
        push.close()


def check_worker_result(c, ctx, cluster, leader):
    if not c.check("a fake worker key is authorized",
                   add_key(ctx, cluster, "fakew", "worker")):
        return
    stop, seen = threading.Event(), []
    thread = threading.Thread(target=fake_worker,
                              args=(ctx, cluster, stop, seen), daemon=True)
    thread.start()
    dev = Client(ctx, cluster, leader, name="dev")
    address = "ucxl://shop/src/overconfident.c"
    reply = dev.call({"type": "generate", "request_id": "conf",
                      "address": address, "content": b"int x;"}, timeout=5)
    job = (reply or {}).get("job_id")
    c.check("a job for the fake worker is queued", job, reply)

    def ended():
        r = dev.call({"type": "job", "job_id": job}, timeout=2) or {}
        return r if r.get("state") in ("dead_lettered", "failed") else None
    final = wait_for(ended, 60, step=0.2)
    stop.set()
    thread.join(5)
    note(f"the fake worker answered {len(seen)} attempt(s)")
    c.check("each result with confidence 7.5 failed its attempt; the job "
            "ended dead-lettered with the reason",
            final and final.get("state") == "dead_lettered"
            and "context.confidence" in (final.get("error") or "")
            and len(seen) >= 2, final)
    reply = dev.call({"type": "get", "address": address}, timeout=5)
    c.check("no context was stored for it", is_error(reply, NOT_FOUND), reply)
    dev.close()


def run(c, ctx, cluster):
    leader = leader_of(ctx, cluster)
    if not c.check("a leader is elected", leader):
        return
    follower = next(n for n in cluster.nodes if n != leader)
    note(f"leader {leader}, follower {follower}")
    events = EventCollector(ctx, cluster)
    events.start()
    try:
        check_refusals(c, ctx, cluster, leader, follower)
        check_worker_result(c, ctx, cluster, leader)
        rejected = wait_for(lambda: events.events(topic="request.rejected"),
                            5)
        c.check("request.rejected events were published", rejected)
        broken = [r["problem"] for r in events.snapshot() if r["problem"]]
        c.check("every event and beacon decodes (valid UTF-8 throughout)",
                not broken, broken[:3])
    finally:
        events.stop()



def main():
    return cluster_test_main(__doc__, 220, run, 59500, 140,
                             nodes=3, workers=0)


if __name__ == "__main__":
    sys.exit(main())
