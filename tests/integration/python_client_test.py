#!/usr/bin/python3
"""Integration test: third-party Python clients against a real slurpd.

  python_client_test.py BUILD_BIN_DIR

Makes keys with `slurpctl keygen`, starts `slurpd` on an ephemeral port over
CURVE, then talks to it with protocol/examples/ping.py and with raw pyzmq
sockets, exactly as a client written from protocol/PROTOCOL.md would:

  (a) ping.py as alice (developer) exits 0 and names alice/developer
  (b) olive (observer) may ping but `generate` is forbidden (3)
  (c) malformed payloads get typed `error` replies; the node keeps serving
  (d) mallory (no authorized key) sees the handshake refused (ZAP 400)
  (e) a plaintext client gets no reply and sees its handshake fail
  (f) audit.log: auth.refused for mallory, request.rejected lines (or their
      aggregated .repeated counts), every
      line JSON, seq +1 each, hash chain intact
  (g) SIGHUP reloads the authorized keys: mallory is admitted afterwards
  and SIGTERM stops the node with exit 0 within 5 s.

Only the standard library, python3-zmq and python3-msgpack. Prints one line
per check and a summary; exits 1 when any check fails.
"""
import hashlib
import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import threading
import time

import msgpack
import zmq
from zmq.utils.monitor import recv_monitor_message

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from cluster_harness import (  # noqa: E402
    Checks, begin_test, read_key, wait_for)

REPO = pathlib.Path(__file__).resolve().parents[2]
PING_PY = REPO / "protocol" / "examples" / "ping.py"
PROTOCOL_MD = REPO / "protocol" / "PROTOCOL.md"

HANDSHAKE_FAILURES = (zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL,
                      zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL,
                      zmq.EVENT_HANDSHAKE_FAILED_AUTH)


class Node:
    """One slurpd subprocess with its own keys and data dir. Its stdout (where
    spdlog writes) and stderr both go to slurpd.log."""

    def __init__(self, bin_dir, tmp):
        self.tmp = tmp
        self.keys = tmp / "keys"
        self.data = tmp / "data"
        self.endpoint_file = tmp / "api.endpoint"
        self.log_path = tmp / "slurpd.log"
        self.keys.mkdir()
        for name in ("n1", "alice", "olive", "mallory"):
            made = subprocess.run([str(bin_dir / "slurpctl"), "keygen",
                                   "--dir", str(self.keys), "--name", name],
                                  capture_output=True, text=True, timeout=10)
            if made.returncode != 0:
                raise RuntimeError(f"slurpctl keygen {name}: {made.stderr}")
        authorized = tmp / "authorized_keys"
        authorized.write_text(
            f"# test keys: mallory is deliberately absent\n"
            f"{self.public('alice').decode()} alice developer\n"
            f"{self.public('olive').decode()} olive observer\n")
        os.chmod(authorized, 0o644)
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [str(bin_dir / "slurpd"), "--node", "n1",
             "--api", "tcp://127.0.0.1:*",
             "--secret-key", str(self.keys / "n1.key"),
             "--authorized-keys", str(authorized),
             "--data-dir", str(self.data),
             "--endpoint-file", str(self.endpoint_file)],
            stdout=self.log, stderr=self.log)
        self.endpoint = None

    def public(self, name):
        return read_key(self.keys / f"{name}.pub")

    def secret(self, name):
        return read_key(self.keys / f"{name}.key")

    def wait_ready(self, seconds=10):
        """True once the endpoint file exists (it is written by rename, so
        whole) or False when the deadline passes or the node exits."""
        def ready():
            return self.proc.poll() is not None or self.endpoint_file.exists()
        if not wait_for(ready, seconds) or self.proc.poll() is not None:
            return False
        self.endpoint = self.endpoint_file.read_text().strip()
        return bool(self.endpoint)

    def stop(self, seconds=5):
        """SIGTERM; the exit status, or None when it did not exit in time."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


class Client:
    """A raw pyzmq DEALER (or REQ) speaking the envelope by hand."""

    def __init__(self, ctx, node, name=None, kind=zmq.DEALER, monitor=False):
        self.sock = ctx.socket(kind)
        self.sock.linger = 0
        if name is not None:  # None: plaintext, no CURVE at all
            secret = node.secret(name)
            self.sock.curve_secretkey = secret
            self.sock.curve_publickey = zmq.curve_public(secret)
            self.sock.curve_serverkey = node.public("n1")
        self.monitor = self.sock.get_monitor_socket() if monitor else None
        self.seen = []  # monitor event types, in order
        self.sock.connect(node.endpoint)

    def request(self, payload, timeout_ms=5000):
        """Sends raw bytes (or a dict, encoded with v=1); returns the reply
        map or None on timeout."""
        if isinstance(payload, dict):
            payload = msgpack.packb({"v": 1, **payload})
        self.sock.send(payload)
        if not self.sock.poll(timeout_ms, zmq.POLLIN):
            return None
        return msgpack.unpackb(self.sock.recv(), raw=False)

    def wait_event(self, wanted, seconds=5):
        """The first monitor event whose type is in `wanted`, or None.
        Every event seen is kept in self.seen."""
        deadline = time.monotonic() + seconds
        while True:
            left_ms = int((deadline - time.monotonic()) * 1000)
            if left_ms <= 0 or not self.monitor.poll(left_ms):
                return None
            event = recv_monitor_message(self.monitor)
            self.seen.append(event["event"])
            if event["event"] in wanted:
                return event

    def close(self):
        if self.monitor is not None:
            self.sock.disable_monitor()
            self.monitor.close()
        self.sock.close()


def run_ping_py(*args, timeout=20):
    return subprocess.run([sys.executable, str(PING_PY), *args],
                          capture_output=True, text=True, timeout=timeout)


def check_ping_py_error_exit(c, ctx):
    """ping.py exits 1 and names the error when a node answers `error`: a
    plaintext fake node (a ROUTER here) answers every request that way."""
    router = ctx.socket(zmq.ROUTER)
    router.linger = 0
    port = router.bind_to_random_port("tcp://127.0.0.1")

    def serve():
        if router.poll(15000):
            routing_id, payload = router.recv_multipart()
            request = msgpack.unpackb(payload, raw=False)
            reply = {"v": 1, "type": "error", "id": request["id"], "code": 3,
                     "name": "forbidden", "message": "fake node says no"}
            router.send_multipart([routing_id, msgpack.packb(reply)])

    server = threading.Thread(target=serve)
    server.start()
    result = run_ping_py("--endpoint", f"tcp://127.0.0.1:{port}",
                         "--insecure", "--timeout-ms", "10000")
    server.join()
    router.close()
    c.check("ping.py: an error reply exits 1 naming the error",
            result.returncode == 1 and "forbidden" in result.stderr,
            f"rc={result.returncode} stderr={result.stderr!r}")


def check_audit_log(c, node, mallory_key):
    path = node.data / "audit.log"
    lines = path.read_text().splitlines() if path.exists() else []
    records, bad = [], []
    for number, line in enumerate(lines, 1):
        try:
            records.append(json.loads(line))
        except ValueError:
            bad.append(number)
    c.check("(f) audit.log: every line is JSON", lines and not bad,
            f"{len(lines)} lines, not JSON: {bad}")
    seqs = [r.get("seq") for r in records]
    c.check("(f) audit.log: seq starts at 1 and rises by 1",
            seqs == list(range(1, len(seqs) + 1)), f"seqs={seqs}")
    # hash = sha256(prev + "\n" + the line up to ',"hash"'), chained.
    prev, broken = "0" * 64, []
    for number, line in enumerate(lines, 1):
        body, _, _ = line.rpartition(',"hash":"')
        record = records[number - 1] if number <= len(records) else {}
        digest = hashlib.sha256((prev + "\n" + body).encode()).hexdigest()
        if record.get("prev") != prev or record.get("hash") != digest:
            broken.append(number)
        prev = record.get("hash", "")
    c.check("(f) audit.log: hash chain intact", not broken,
            f"broken at lines {broken}")
    kinds = [r.get("kind") for r in records]
    c.check("(f) audit.log: auth.refused for mallory's key",
            any(r.get("kind") == "auth.refused" and
                r.get("actor") == mallory_key for r in records),
            f"kinds={kinds}")
    # Refusals are aggregated per (key, reason) and 10 s interval: the first
    # is a record of its own, the rest are counted in one
    # "request.rejected.repeated" record ("N more (reason) ...").
    rejected = [r for r in records if r.get("kind") == "request.rejected"]
    repeated = sum(int(r.get("detail", "0").split(" ", 1)[0])
                   for r in records
                   if r.get("kind") == "request.rejected.repeated")
    c.check("(f) audit.log: request.rejected for each refused request "
            "(written, or counted in .repeated)",
            len(rejected) >= 4 and len(rejected) + repeated >= 5 and
            any(r.get("actor") == "olive" and "forbidden" in r.get("detail", "")
                for r in rejected),
            f"{len(rejected)} request.rejected + {repeated} counted: "
            f"{rejected}")
    c.check("(e) audit.log: the plaintext handshake failure is recorded",
            any(r.get("kind") == "auth.handshake_failed" for r in records),
            f"kinds={kinds}")
    # After node.stopped only what closing the log writes: the pending
    # aggregated summaries and the seal of the last epoch.
    stopped = kinds.index("node.stopped") if "node.stopped" in kinds else -1
    closing = kinds[stopped + 1:] if stopped >= 0 else []
    c.check("(f) audit.log: starts with the chain and node.started, ends "
            "with node.stopped then the closing summaries and seal",
            kinds[:2] == ["audit.chain_started", "node.started"] and
            stopped >= 0 and closing[-1:] == ["audit.epoch_sealed"] and
            all(k.endswith(".repeated") or k == "audit.refusals_other"
                for k in closing[:-1]),
            f"kinds={kinds}")


def run(c, ctx, node):
    # Docs and example stay in step: PROTOCOL.md quotes ping.py verbatim.
    c.check("PROTOCOL.md quotes protocol/examples/ping.py verbatim",
            PING_PY.read_text().strip() in PROTOCOL_MD.read_text(),
            "copy ping.py into PROTOCOL.md's example section")
    check_ping_py_error_exit(c, ctx)

    if not c.check("slurpd wrote its endpoint file within 10 s",
                   node.wait_ready(10),
                   f"exit={node.proc.poll()} log="
                   f"{node.log_path.read_text()[-2000:]!r}"):
        return

    # (a) the example client, as alice.
    result = run_ping_py("--endpoint", node.endpoint,
                         "--server-key", str(node.keys / "n1.pub"),
                         "--key", str(node.keys / "alice.key"))
    c.check("(a) ping.py as alice exits 0 and prints alice/developer",
            result.returncode == 0 and "alice (developer)" in result.stdout
            and "status: node n1" in result.stdout,
            f"rc={result.returncode} out={result.stdout!r} "
            f"err={result.stderr!r}")
    result = run_ping_py("--endpoint", node.endpoint,
                         "--server-key", str(node.keys / "n1.pub"),
                         "--key", str(node.keys / "mallory.key"),
                         "--timeout-ms", "1000")
    c.check("(a) ping.py as mallory exits 3 (timeout)",
            result.returncode == 3, f"rc={result.returncode}")

    # (b) roles: olive is an observer.
    olive = Client(ctx, node, "olive")
    generate = {"type": "generate", "id": 21, "request_id": "req-1",
                "address": "ucxl://project/src/main.go"}
    reply = olive.request(generate)
    c.check("(b) olive generate -> error 3 forbidden, same id",
            reply is not None and reply.get("type") == "error"
            and reply.get("code") == 3 and reply.get("name") == "forbidden"
            and reply.get("id") == 21, f"reply={reply}")
    reply = olive.request({"type": "ping", "id": 22})
    c.check("(b) olive ping -> pong as olive/observer",
            reply is not None and reply.get("type") == "pong"
            and reply.get("id") == 22 and reply.get("peer_name") == "olive"
            and reply.get("peer_role") == "observer", f"reply={reply}")
    olive.close()

    # (c) malformed input from alice; then alice still gets answers.
    alice = Client(ctx, node, "alice")
    reply = alice.request(generate)
    # A node started from flags is a one-node cluster: it elects itself
    # and accepts the job (held until then, so no retry is needed).
    c.check("(c) alice generate -> generate_reply queued (one-node cluster)",
            reply is not None and reply.get("type") == "generate_reply"
            and reply.get("outcome") == "queued"
            and reply.get("id") == 21, f"reply={reply}")
    reply = alice.request(dict(generate, id=23))
    c.check("(c) the same request_id again -> duplicate, same job",
            reply is not None and reply.get("outcome") == "duplicate"
            and reply.get("id") == 23, f"reply={reply}")
    malformed = [
        ("reserved byte c1", b"\xc1", 1, 0),
        ("array claiming 4e9 items", b"\xdd\xff\x00\x00\x00", 9, 0),
        ("v=2", {"v": 2, "type": "ping", "id": 31}, 10, 31),
        ("unknown type", {"v": 1, "type": "no_such_type", "id": 32}, 1, 32),
    ]
    for label, payload, code, reply_id in malformed:
        if isinstance(payload, dict):
            payload = msgpack.packb(payload)  # v given explicitly here
        reply = alice.request(payload)
        c.check(f"(c) {label} -> error {code} with id {reply_id}",
                reply is not None and reply.get("type") == "error"
                and reply.get("code") == code and reply.get("id") == reply_id,
                f"reply={reply}")
    # Over the payload limit (4 MiB) but under libzmq's frame cap: a typed
    # reply, not a dropped connection.
    big = msgpack.packb({"v": 1, "type": "ping", "id": 35,
                         "pad": b"x" * (4 * 1024 * 1024)})
    reply = alice.request(big)
    c.check("(c) a 4 MiB + payload -> error 9 too_large",
            reply is not None and reply.get("code") == 9, f"reply={reply}")
    alice.sock.send_multipart([b"a", b"b", b"c", b"d", b"e"])
    reply = alice.sock.poll(5000) and msgpack.unpackb(alice.sock.recv())
    c.check("(c) five frames -> error 9 too_large",
            bool(reply) and reply.get("code") == 9, f"reply={reply}")
    reply = alice.request({"type": "ping", "id": 33})
    c.check("(c) node still answers ping after malformed input",
            reply is not None and reply.get("type") == "pong"
            and reply.get("id") == 33, f"reply={reply}")
    alice.close()
    req = Client(ctx, node, "alice", kind=zmq.REQ)
    reply = req.request({"type": "ping", "id": 34})
    c.check("(c) a REQ client (['', payload] envelope) gets its pong",
            reply is not None and reply.get("id") == 34, f"reply={reply}")
    req.close()

    # (d) mallory's key is not authorized: ZAP answers 400.
    mallory = Client(ctx, node, "mallory", monitor=True)
    mallory.sock.send(msgpack.packb({"v": 1, "type": "ping", "id": 41}))
    event = mallory.wait_event({zmq.EVENT_HANDSHAKE_FAILED_AUTH,
                                zmq.EVENT_HANDSHAKE_SUCCEEDED}, 5)
    c.check("(d) mallory: EVENT_HANDSHAKE_FAILED_AUTH with ZAP status 400",
            event is not None
            and event["event"] == zmq.EVENT_HANDSHAKE_FAILED_AUTH
            and event["value"] == 400, f"event={event} seen={mallory.seen}")
    c.check("(d) mallory: no reply", not mallory.sock.poll(200))
    mallory.close()

    # (e) plaintext (NULL mechanism) against a CURVE node. The ZMTP greeting
    # already fails (mechanism mismatch) and the node closes the connection:
    # the client sees a handshake failure event and never a success.
    plain = Client(ctx, node, None, monitor=True)
    plain.sock.send(msgpack.packb({"v": 1, "type": "ping", "id": 51}))
    c.check("(e) plaintext client: no reply within 1 s",
            not plain.sock.poll(1000))
    event = plain.wait_event(set(HANDSHAKE_FAILURES) |
                             {zmq.EVENT_HANDSHAKE_SUCCEEDED}, 5)
    c.check("(e) plaintext client: handshake fails, never succeeds",
            event is not None and event["event"] in HANDSHAKE_FAILURES
            and zmq.EVENT_HANDSHAKE_SUCCEEDED not in plain.seen,
            f"event={event} seen={plain.seen}")
    plain.close()
    # A plaintext attempt never reaches ZAP; the node's api socket monitor
    # records it (checked in the audit log below). ZAP admitted no NULL peer.
    log_text = node.log_path.read_text()
    c.check("(e) node log: ZAP decisions logged, no plaintext peer admitted",
            "ZAP refused CURVE" in log_text
            and "ZAP accepted NULL" not in log_text, log_text[-2000:])

    # (g) SIGHUP reloads the authorized keys: mallory, added as observer,
    # is admitted without a restart.
    authorized = node.tmp / "authorized_keys"
    with open(authorized, "a") as keys:
        keys.write(f"{node.public('mallory').decode()} mallory observer\n")
    node.proc.send_signal(signal.SIGHUP)

    def mallory_admitted():
        probe = Client(ctx, node, "mallory")
        reply = probe.request({"type": "ping", "id": 61}, timeout_ms=300)
        probe.close()
        return reply is not None and reply.get("peer_role") == "observer"
    c.check("(g) SIGHUP: a newly authorized key is admitted",
            wait_for(mallory_admitted, 10))

    # Stop, then read the finished audit log.
    status = node.stop(5)
    c.check("SIGTERM: slurpd exits 0 within 5 s", status == 0,
            f"exit status {status}")
    check_audit_log(c, node, node.public("mallory").decode())


def main():
    # Not cluster_test_main: this test checks slurpd started from flags
    # alone (no cluster.toml, an ephemeral port read back from
    # --endpoint-file, a one-node cluster by default), as a third party
    # would run it; tools/cluster starts nodes from a config on fixed ports.
    bin_dir = begin_test(__doc__, 50)  # under ctest's 60: the node is killed
    if bin_dir is None:
        return 2
    c = Checks()
    ctx = zmq.Context()
    with tempfile.TemporaryDirectory(prefix="slurp-pyclient-") as tmp:
        node = None
        try:
            node = Node(bin_dir, pathlib.Path(tmp))
            run(c, ctx, node)
        except Exception as e:  # a crash in the test is a failure, reported
            c.check("test ran to the end", False, repr(e))
        finally:
            signal.alarm(0)
            if node is not None:
                node.kill()
                if c.failed and node.log_path.exists():
                    print("--- slurpd.log (tail) ---")
                    print(node.log_path.read_text()[-4000:])
    ctx.destroy(linger=0)
    print(f"python_client: {c.passed} passed, {len(c.failed)} failed"
          + (f": {', '.join(c.failed)}" if c.failed else ""))
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
