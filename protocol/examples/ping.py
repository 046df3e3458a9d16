#!/usr/bin/python3
"""Ask a slurp node for its status and a pong, over CurveZMQ.

A third-party client written from protocol/PROTOCOL.md alone. It needs only
Debian's python3-zmq and python3-msgpack.

  ping.py --endpoint tcp://127.0.0.1:7101 --server-key n1.pub --key alice.key
  ping.py --endpoint tcp://127.0.0.1:7101 --insecure    # plaintext test node

Exit status: 0 ok; 1 the node answered with an `error`; 2 bad usage or an
unreadable key file; 3 no reply within --timeout-ms.
"""
import argparse
import sys
import time

import msgpack
import zmq

PROTOCOL_VERSION = 1


class NodeError(Exception):
    """The node answered with an `error` message (its map is args[0])."""


def read_key(path):
    """The Z85 key in a key file: '#' comment lines, then one 40-char line."""
    with open(path, encoding="ascii") as f:
        lines = [s.strip() for s in f if s.strip() and not s.strip().startswith("#")]
    if len(lines) != 1 or len(lines[0]) != 40:
        raise ValueError(f"{path}: expected one 40-character Z85 key line")
    return lines[0].encode("ascii")


def call(sock, request, expect, timeout_ms):
    """Sends one request frame and returns the reply that carries its id."""
    # The envelope: a map with "v" and "type" first, then the fields.
    sock.send(msgpack.packb({"v": PROTOCOL_VERSION, **request}))
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        left_ms = int((deadline - time.monotonic()) * 1000)
        if left_ms <= 0 or not sock.poll(left_ms, zmq.POLLIN):
            raise TimeoutError
        reply = msgpack.unpackb(sock.recv(), raw=False)
        if reply.get("id") != request["id"]:
            continue  # a late answer to an earlier request: not ours
        if reply.get("type") == "error":
            raise NodeError(reply)
        if reply.get("type") != expect:
            raise NodeError({"code": 0, "name": "unexpected_reply",
                             "message": f"got {reply.get('type')!r}"})
        return reply


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default="tcp://127.0.0.1:7101")
    parser.add_argument("--server-key", help="the node's public key file")
    parser.add_argument("--key", help="our secret key file (NAME.key)")
    parser.add_argument("--timeout-ms", type=int, default=5000)
    parser.add_argument("--insecure", action="store_true",
                        help="plaintext, only against an --insecure node")
    args = parser.parse_args()
    if not args.insecure and not (args.server_key and args.key):
        parser.error("--server-key and --key are required (or --insecure)")

    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)  # a DEALER sends one frame: [payload]
    sock.linger = 0
    try:
        if not args.insecure:
            try:
                secret = read_key(args.key)
                server = read_key(args.server_key)
            except (OSError, ValueError) as e:
                print(f"ping.py: {e}", file=sys.stderr)
                return 2
            sock.curve_secretkey = secret
            sock.curve_publickey = zmq.curve_public(secret)  # derived
            sock.curve_serverkey = server
        sock.connect(args.endpoint)
        status = call(sock, {"type": "status", "id": 1}, "status_reply",
                      args.timeout_ms)
        pong = call(sock, {"type": "ping", "id": 2}, "pong", args.timeout_ms)
    except TimeoutError:
        print(f"timeout: no reply from {args.endpoint} within "
              f"{args.timeout_ms} ms (node down, wrong server key, or our "
              "key not authorized?)", file=sys.stderr)
        return 3
    except NodeError as e:
        err = e.args[0]
        print(f"error: {err.get('name')} ({err.get('code')}): "
              f"{err.get('message')}", file=sys.stderr)
        return 1
    finally:
        sock.close()
        ctx.term()

    print(f"pong from {pong['node']}: you are {pong['peer_name']} "
          f"({pong['peer_role']})")
    print(f"status: node {status['node']}, leader "
          f"{status.get('leader') or '(none)'}, term {status['term']}, "
          f"commit {status['commit_index']}, queued "
          f"{status.get('queued_tasks', 0)}, active "
          f"{status.get('active_tasks', 0)}")
    for member in status.get("members", []):
        health = "healthy" if member["healthy"] else "UNHEALTHY"
        print(f"member: {member['node']} {member['state']} {health}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
