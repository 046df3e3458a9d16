"""Helpers the tests in tests/security share (not a test itself: only
*_test.py files are registered).

Only the standard library, python3-zmq and python3-msgpack.
"""
import pathlib
import signal
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))
from cluster_harness import Client, now, wait_for  # noqa: E402

# Error codes (protocol/PROTOCOL.md, "Error codes").
BAD_REQUEST, FORBIDDEN, NOT_FOUND, CONFLICT = 1, 3, 4, 5
TOO_LARGE = 9


def add_key(ctx, cluster, name, role):
    """Makes a key pair `name` in the cluster's keys/, authorizes it with
    `role`, and has every node reload its authorized keys (SIGHUP). Returns
    once each node greets the key by name, else False."""
    subprocess.run([str(cluster.bin_dir / "slurpctl"), "keygen", "--dir",
                    str(cluster.dir / "keys"), "--name", name],
                   check=True, capture_output=True, timeout=30)
    public = [line for line in
              (cluster.dir / "keys" / f"{name}.pub").read_text().splitlines()
              if line.strip() and not line.startswith("#")][0].strip()
    reloaded = {n: cluster.log(n).count("authorized keys reloaded")
                for n in cluster.live_nodes()}
    with open(cluster.dir / "authorized_keys", "a") as f:
        f.write(f"{public} {name} {role}\n")
    for node in reloaded:
        cluster.procs[node].signal(signal.SIGHUP)
    # Connect only once the node knows the key: a refused handshake would
    # leave a socket that blocks on send.
    if not wait_for(lambda: all(
            cluster.log(n).count("authorized keys reloaded") > count
            for n, count in reloaded.items()), 15):
        return False
    for node in reloaded:
        client = Client(ctx, cluster, node, name=name)
        try:
            reply = client.call({"type": "ping"}, timeout=5) or {}
        finally:
            client.close()
        if reply.get("peer_name") != name:
            return False
    return True


def leader_of(ctx, cluster, seconds=15):
    """The leader's node id as n1 reports it, once there is one."""
    client = Client(ctx, cluster, "n1")
    try:
        return wait_for(lambda: (client.call({"type": "status"}, timeout=1)
                                 or {}).get("leader"), seconds)
    finally:
        client.close()


def is_error(reply, code, field=None):
    """True when reply is an `error` with `code` (and `field`, if given)."""
    return (isinstance(reply, dict) and reply.get("type") == "error"
            and reply.get("code") == code
            and (field is None or reply.get("field") == field))


def serves(ctx, cluster, node, name="dev"):
    """The node still answers a ping from a fresh connection."""
    client = Client(ctx, cluster, node, name=name)
    try:
        return (client.call({"type": "ping"}, timeout=3) or {}).get(
            "type") == "pong"
    finally:
        client.close()


def generate_and_wait(client, request, seconds=20):
    """Sends a generate with wait: true; returns (generate_reply or error,
    job_done or None)."""
    request = dict(request, type="generate", wait=True)
    rid = client.send(request)
    first = client.receive({rid}, now() + seconds)
    if not first or first.get("type") != "generate_reply":
        return first, None
    done = client.receive({rid}, now() + seconds)
    return first, done
