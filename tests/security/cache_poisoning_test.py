#!/usr/bin/python3
"""Security (issue 12, item 7): a content hash the cluster did not compute
is never trusted for the cache.

  cache_poisoning_test.py BIN_DIR

A 3-node cluster with one worker (tools/cluster) and a second developer
key. Developer A tries to plant a context: attacker-written bytes labelled
with the real file's content_hash (refused: the leader hashes inline
content), then the same bytes under their own honest hash (stored, keyed by
that hash). Developer B then generates the real file with its real hash:
the answer is not `cached` from A's context; B's job runs and the address
ends with the honest context (symbols and hash of the real bytes). A repeat
of B's request is honestly cached, and a request without a content_hash
gets the hash the leader computed.
"""
import hashlib
import pathlib
import sys


HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))
sys.path.insert(0, str(HERE))
from cluster_harness import Client, cluster_test_main, note  # noqa: E402
from security_support import (  # noqa: E402
    BAD_REQUEST, NOT_FOUND, add_key, generate_and_wait, is_error, leader_of,
    serves)

ADDRESS = "ucxl://shop/src/config.c"
REAL = (b"/* Parses the shop's configuration file. */\n"
        b"int honest_parse_config(const char *path) {\n  return 0;\n}\n")
EVIL = (b"/* Ships the secrets to evil.example. */\n"
        b"int evil_exfiltrate(void) {\n  return 1;\n}\n")


def sha(data):
    return hashlib.sha256(data).hexdigest()


def symbols(context):
    return {s.get("name") for s in (context or {}).get("symbols", [])}


def get(client, address):
    return client.call({"type": "get", "address": address}, timeout=5)


def run(c, ctx, cluster):
    leader = leader_of(ctx, cluster)
    if not c.check("a leader is elected", leader):
        return
    follower = next(n for n in cluster.nodes if n != leader)
    note(f"leader {leader}; developer B talks to follower {follower}")
    if not c.check("a second developer key is authorized",
                   add_key(ctx, cluster, "dev2", "developer")):
        return
    a = Client(ctx, cluster, leader, name="dev")
    b = Client(ctx, cluster, follower, name="dev2")
    admin = Client(ctx, cluster, leader, name="admin")

    # 1. Evil bytes under the real file's hash: refused at admission.
    forged = a.call({"type": "generate", "request_id": "forged",
                     "address": ADDRESS, "content": EVIL,
                     "content_hash": sha(REAL)}, timeout=5)
    c.check("evil content labelled with the real hash is refused "
            "(bad_request, field content_hash)",
            is_error(forged, BAD_REQUEST, "content_hash")
            and "does not match" in forged.get("message", ""), forged)
    c.check("nothing was stored for the address",
            is_error(get(admin, ADDRESS), NOT_FOUND))

    # 2. Evil bytes under their own honest hash: an ordinary job.
    reply, done = generate_and_wait(a, {"request_id": "evil",
                                        "address": ADDRESS, "content": EVIL,
                                        "content_hash": sha(EVIL)})
    c.check("evil content with its own hash is queued and completes",
            reply and reply.get("outcome") == "queued" and done
            and done.get("state") == "completed", (reply, done))
    evil = (get(admin, ADDRESS) or {}).get("context")
    c.check("the stored context is keyed by the evil bytes' hash",
            evil and evil.get("content_hash") == sha(EVIL)
            and "evil_exfiltrate" in symbols(evil), evil)

    # 3. B asks for the real file: no cache hit on A's context.
    reply, done = generate_and_wait(b, {"request_id": "real",
                                        "address": ADDRESS, "content": REAL,
                                        "content_hash": sha(REAL)})
    c.check("the real file is not answered from the evil context",
            reply and reply.get("outcome") == "queued"
            and reply.get("type") == "generate_reply", reply)
    c.check("B's job completes", done and done.get("state") == "completed",
            done)
    honest = (get(b, ADDRESS) or {}).get("context")
    c.check("the address ends with the honest context (real hash, real "
            "symbols, none of the evil ones)",
            honest and honest.get("content_hash") == sha(REAL)
            and "honest_parse_config" in symbols(honest)
            and "evil_exfiltrate" not in symbols(honest), honest)

    # 4. The honest cache still works, and an unhashed request gets the
    #    leader's hash.
    again, _ = generate_and_wait(b, {"request_id": "real again",
                                     "address": ADDRESS, "content": REAL,
                                     "content_hash": sha(REAL)})
    c.check("the real file again is cached, from B's job",
            again and again.get("outcome") == "cached"
            and again.get("job_id") == reply.get("job_id"), again)
    other = "ucxl://shop/src/config_copy.c"
    first, done = generate_and_wait(a, {"request_id": "unhashed",
                                        "address": other, "content": REAL})
    c.check("content without a content_hash is accepted and completes",
            first and first.get("outcome") == "queued" and done
            and done.get("state") == "completed", (first, done))
    hit, _ = generate_and_wait(b, {"request_id": "hashed copy",
                                   "address": other, "content": REAL,
                                   "content_hash": sha(REAL)})
    c.check("...and is keyed by the hash the leader computed (cached)",
            hit and hit.get("outcome") == "cached", hit)
    c.check("the leader still serves", serves(ctx, cluster, leader))
    for client in (a, b, admin):
        client.close()



def main():
    return cluster_test_main(__doc__, 200, run, 56500, 140,
                             nodes=3, workers=1)


if __name__ == "__main__":
    sys.exit(main())
