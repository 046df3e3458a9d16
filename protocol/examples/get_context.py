#!/usr/bin/python3
"""Print the stored context of a UCXL address as JSON.

A third-party client written from protocol/PROTOCOL.md alone (Debian's
python3-zmq and python3-msgpack).

  get_context.py --endpoint tcp://127.0.0.1:7111 --server-key n2.pub \\
                 --key dev.key ucxl://slurp/node/node.cc

Exit status: 0 printed; 1 an `error` reply (e.g. not_found); 2 bad usage;
3 no reply within --timeout-ms.
"""
import argparse
import json
import sys

import msgpack
import zmq


def read_key(path):
    with open(path, encoding="ascii") as f:
        lines = [s.strip() for s in f if s.strip() and not s.strip().startswith("#")]
    if len(lines) != 1 or len(lines[0]) != 40:
        raise ValueError(f"{path}: expected one 40-character Z85 key line")
    return lines[0].encode("ascii")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--server-key", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--stale", action="store_true",
                        help="answer from the node asked, not the leader")
    parser.add_argument("--timeout-ms", type=int, default=5000)
    parser.add_argument("address")
    args = parser.parse_args()
    sock = zmq.Context().socket(zmq.DEALER)
    sock.linger = 0
    try:
        secret = read_key(args.key)
        sock.curve_secretkey = secret
        sock.curve_publickey = zmq.curve_public(secret)
        sock.curve_serverkey = read_key(args.server_key)
    except (OSError, ValueError) as e:
        print(f"get_context.py: {e}", file=sys.stderr)
        return 2
    sock.connect(args.endpoint)
    sock.send(msgpack.packb({"v": 1, "type": "get", "id": 1,
                             "address": args.address, "stale": args.stale}))
    if not sock.poll(args.timeout_ms, zmq.POLLIN):
        print("get_context.py: no reply", file=sys.stderr)
        return 3
    reply = msgpack.unpackb(sock.recv(), raw=False)
    if reply.get("type") == "error":
        print(f"{reply['name']}: {reply['message']}", file=sys.stderr)
        return 1
    print(json.dumps(reply["context"], indent=2, default=lambda b: b.hex()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
