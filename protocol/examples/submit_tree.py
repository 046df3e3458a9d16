#!/usr/bin/python3
"""Submit every file under a directory to a slurp cluster for context.

A third-party client written from protocol/PROTOCOL.md alone (Debian's
python3-zmq and python3-msgpack). It pipelines `generate` requests over one
DEALER socket, one per file with its content inline, and follows the
protocol's retry rule: a request that times out or meets no_quorum /
unavailable / queue_full is resent with the SAME request_id, so a retry
across a leader change never makes a second job.

  submit_tree.py --endpoint tcp://127.0.0.1:7111 --server-key n1.pub \\
                 --key dev.key --project slurp src/

Prints one summary line and, with --verbose, one line per file. Exit
status: 0 all acknowledged; 1 some refused; 2 bad usage; 3 gave up.
"""
import argparse
import hashlib
import os
import sys
import time

import msgpack
import zmq

RETRYABLE = {"no_quorum", "unavailable", "queue_full", "timeout", "not_leader"}
CONTENT_BYTES_MAX = 3 * 1024 * 1024  # protocol/limits.h content_bytes_max
IN_FLIGHT_MAX = 256


def read_key(path):
    with open(path, encoding="ascii") as f:
        lines = [s.strip() for s in f if s.strip() and not s.strip().startswith("#")]
    if len(lines) != 1 or len(lines[0]) != 40:
        raise ValueError(f"{path}: expected one 40-character Z85 key line")
    return lines[0].encode("ascii")


def files_under(root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield os.path.join(dirpath, name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--server-key", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--project", required=True,
                        help="the UCXL project name for the addresses")
    parser.add_argument("--timeout-ms", type=int, default=10000,
                        help="resend a request unanswered this long")
    parser.add_argument("--deadline-s", type=float, default=120)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("root")
    args = parser.parse_args()

    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.linger = 0
    try:
        secret = read_key(args.key)
        sock.curve_secretkey = secret
        sock.curve_publickey = zmq.curve_public(secret)
        sock.curve_serverkey = read_key(args.server_key)
    except (OSError, ValueError) as e:
        print(f"submit_tree.py: {e}", file=sys.stderr)
        return 2
    sock.connect(args.endpoint)

    todo = []  # (request_id, request without id)
    for path in files_under(args.root):
        with open(path, "rb") as f:
            content = f.read(CONTENT_BYTES_MAX + 1)
        rel = os.path.relpath(path, args.root).replace(os.sep, "/")
        request = {"type": "generate", "address": f"ucxl://{args.project}/{rel}",
                   "file_path": os.path.abspath(path)}
        if len(content) <= CONTENT_BYTES_MAX:
            request["content"] = content
            request["content_hash"] = hashlib.sha256(content).hexdigest()
        # Stable across runs: resubmitting an unchanged file is a duplicate.
        request_id = hashlib.sha256(
            rel.encode() + b"\0" + request.get("content_hash", "").encode()
        ).hexdigest()[:32]
        request["request_id"] = request_id
        todo.append(request)

    next_id = 1
    pending = {}  # id -> (request, sent_at)
    outcomes, refused, job_ids = {}, {}, set()
    queue = list(reversed(todo))
    start = time.monotonic()
    while queue or pending:
        now = time.monotonic()
        if now - start > args.deadline_s:
            print(f"gave up after {args.deadline_s}s with {len(pending)} "
                  "unanswered", file=sys.stderr)
            return 3
        while queue and len(pending) < IN_FLIGHT_MAX:
            request = queue.pop()
            request["id"] = next_id  # a fresh id per attempt
            pending[next_id] = (request, now)
            next_id += 1
            sock.send(msgpack.packb({"v": 1, **request}))
        if sock.poll(100, zmq.POLLIN):
            reply = msgpack.unpackb(sock.recv(), raw=False)
            entry = pending.pop(reply.get("id"), None)
            if entry is None:
                continue  # an answer to an attempt we already resent
            request = entry[0]
            if reply.get("type") == "generate_reply":
                outcomes[reply["outcome"]] = outcomes.get(reply["outcome"], 0) + 1
                job_ids.add(reply["job_id"])
                if args.verbose:
                    print(f"{reply['outcome']:9} job {reply['job_id']:6} "
                          f"{request['address']}")
            elif reply.get("name") in RETRYABLE:
                time.sleep(0.1)
                queue.append(request)  # same request_id: never a 2nd job
            else:
                refused[request["address"]] = reply
                print(f"refused {request['address']}: {reply.get('name')}: "
                      f"{reply.get('message')}", file=sys.stderr)
        for rid, (request, sent_at) in list(pending.items()):
            if time.monotonic() - sent_at > args.timeout_ms / 1000:
                del pending[rid]
                queue.append(request)
    took = time.monotonic() - start
    summary = ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items()))
    print(f"submitted {len(todo)} files in {took:.2f}s: {summary or 'nothing'}"
          f"; {len(job_ids)} jobs; {len(refused)} refused")
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
