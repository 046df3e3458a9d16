#!/usr/bin/python3
"""Security (issue 12, item 11): who may cancel a job and who may overwrite
an address's context (PROTOCOL.md, "Roles and authorization").

  ownership_test.py BIN_DIR

A 3-node cluster with no worker (jobs stay queued, so there is something to
cancel) and a second developer key. Checked, with requests sent to the
leader and, forwarded, to a follower:
  - developer B cannot cancel developer A's job (forbidden, "belongs to
    another requester"); A can; an admin can cancel A's job;
  - once B attached to A's job, A cannot cancel it either (it serves B
    too); the admin can;
  - B cannot update_context an address A wrote; A can; an admin can, and
    the address stays A's.
(That a generated address belongs to its first job's requester, and that
generating it again does not take it over, is checked in
tests/state/ownership_test.cc: this cluster runs no worker.)
"""
import pathlib
import sys


HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))
sys.path.insert(0, str(HERE))
from cluster_harness import Client, cluster_test_main, note  # noqa: E402
from security_support import (  # noqa: E402
    FORBIDDEN, add_key, is_error, leader_of, serves)


def generate(client, request_id, address, **extra):
    return client.call(dict({"type": "generate", "request_id": request_id,
                             "address": address}, **extra), timeout=5)


def cancel(client, job_id):
    return client.call({"type": "cancel", "job_id": job_id}, timeout=5)


def update(client, address, summary):
    return client.call({"type": "update_context", "context": {
        "address": address, "summary": summary}}, timeout=5)


def summary_of(client, address):
    reply = client.call({"type": "get", "address": address}, timeout=5) or {}
    return (reply.get("context") or {}).get("summary")


def check_cancel(c, a, b, b_follower, admin):
    job = (generate(a, "a-1", "ucxl://shop/src/a.c") or {}).get("job_id")
    if not c.check("A's job is queued", job, job):
        return
    for who, client in (("B at the leader", b),
                        ("B through a follower", b_follower)):
        reply = cancel(client, job)
        c.check(f"{who} cannot cancel A's job (forbidden)",
                is_error(reply, FORBIDDEN, "job_id") and
                "belongs to another requester" in reply.get("message", ""),
                reply)
    state = (a.call({"type": "job", "job_id": job}) or {}).get("state")
    c.check("A's job is still queued", state == "queued", state)
    reply = cancel(a, job)
    c.check("A cancels A's job", (reply or {}).get("state") == "cancelled",
            reply)
    other = (generate(a, "a-2", "ucxl://shop/src/b.c") or {}).get("job_id")
    reply = cancel(admin, other)
    c.check("an admin cancels A's job",
            (reply or {}).get("state") == "cancelled", reply)

    # Inline content: the leader hashes it, so B's identical bytes attach.
    shared = generate(a, "a-3", "ucxl://shop/src/c.c", content=b"int c;")
    job = (shared or {}).get("job_id")
    joined = generate(b, "b-3", "ucxl://shop/src/c.c", content=b"int c;")
    c.check("B's identical request attaches to A's job",
            (joined or {}).get("outcome") == "attached"
            and joined.get("job_id") == job, joined)
    reply = cancel(a, job)
    c.check("A cannot cancel a job B attached to (forbidden)",
            is_error(reply, FORBIDDEN) and "other requesters"
            in reply.get("message", ""), reply)
    reply = cancel(admin, job)
    c.check("the admin can", (reply or {}).get("state") == "cancelled", reply)


def check_update(c, a, b, b_follower, admin):
    address = "ucxl://shop/docs/notes.md"
    first = update(a, address, "A's notes")
    c.check("A writes a new address", (first or {}).get("version") == 1,
            first)
    for who, client in (("B at the leader", b),
                        ("B through a follower", b_follower)):
        reply = update(client, address, "B was here")
        c.check(f"{who} cannot overwrite A's context (forbidden)",
                is_error(reply, FORBIDDEN, "context.address")
                and "'dev'" in reply.get("message", ""), reply)
    c.check("A's context is untouched",
            summary_of(admin, address) == "A's notes")
    again = update(a, address, "A's notes, v2")
    c.check("A overwrites A's context", (again or {}).get("version") == 2,
            again)
    fixed = update(admin, address, "fixed by an admin")
    c.check("an admin overwrites it", (fixed or {}).get("version") == 3,
            fixed)
    reply = update(b, address, "B again")
    c.check("...and it is still A's: B is still refused",
            is_error(reply, FORBIDDEN), reply)
    c.check("the stored summary is the admin's",
            summary_of(b, address) == "fixed by an admin")


def run(c, ctx, cluster):
    leader = leader_of(ctx, cluster)
    if not c.check("a leader is elected", leader):
        return
    follower = next(n for n in cluster.nodes if n != leader)
    note(f"leader {leader}, follower {follower}")
    if not c.check("a second developer key is authorized",
                   add_key(ctx, cluster, "dev2", "developer")):
        return
    a = Client(ctx, cluster, leader, name="dev")
    b = Client(ctx, cluster, leader, name="dev2")
    b_follower = Client(ctx, cluster, follower, name="dev2")
    admin = Client(ctx, cluster, leader, name="admin")
    check_cancel(c, a, b, b_follower, admin)
    check_update(c, a, b, b_follower, admin)
    c.check("the leader still serves", serves(ctx, cluster, leader))
    for client in (a, b, b_follower, admin):
        client.close()



def main():
    return cluster_test_main(__doc__, 200, run, 58000, 140,
                             nodes=3, workers=0)


if __name__ == "__main__":
    sys.exit(main())
