#!/usr/bin/python3
"""Integration: `slurp-worker --engine exec:CMD` in a real cluster.

  exec_engine_test.py BIN_DIR

One node and one worker (tools/cluster up --worker-arg ...) whose engine is
a small Python script (written into the test's directory) that answers by
file name: good.go gets a context; flaky.go fails its first attempt and
then succeeds; fail.go exits 3 with a message on stderr; garbage.go prints
prose instead of JSON; mistyped.go prints a symbol line as a string;
slow.go sleeps past the worker's --exec-timeout-ms. Checks that:
  - good.go completes and `get` returns the script's context, engine
    "exec" and the --exec-engine-version given;
  - flaky.go is retried once (a job.retry with the exit reason) and
    completes on attempt 2;
  - each bad file is retried per the cluster's policy (job.retry for
    attempts 1 and 2) and then dead-lettered at attempt 3
    (job_attempts_max), its job_done and events carrying the clear reason.
"""
import os
import pathlib
import sys
import textwrap

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from cluster_harness import (  # noqa: E402
    Client, EventCollector, cluster_test_main, note, now, wait_for)

ATTEMPTS = 3
EXEC_TIMEOUT_MS = 1500
LIMITS = [f"job_attempts_max={ATTEMPTS}", "job_retry_backoff_ms=50",
          "job_lease_ms=20000"]

ENGINE = textwrap.dedent("""\
    import json, os, sys, time
    job = json.load(sys.stdin)
    name = job["path"].rsplit("/", 1)[-1]
    attempt = int(os.environ["SLURP_ATTEMPT"])
    if name == "fail.go":
        print("loading model", file=sys.stderr)
        print("model unavailable", file=sys.stderr)
        sys.exit(3)
    if name == "garbage.go":
        print("Sure! Here is the context you asked for.")
        sys.exit(0)
    if name == "mistyped.go":
        print(json.dumps({"symbols": [
            {"name": "main", "kind": "function", "line": "3"}]}))
        sys.exit(0)
    if name == "slow.go":
        print("thinking", file=sys.stderr, flush=True)
        time.sleep(60)
    if name == "flaky.go" and attempt == 1:
        print("rate limited", file=sys.stderr)
        sys.exit(75)
    print(json.dumps({
        "summary": "exec says hi to %s (%d bytes, attempt %d)"
                   % (name, len(job["content"]), attempt),
        "language": "go",
        "symbols": [{"name": "main", "kind": "function", "line": 3}],
        "confidence": 0.9}))
    """)

# file -> the reason its job must end with (None: it completes).
BAD = {
    "fail.go": "internal: command exited with status 3: loading model | "
               "model unavailable",
    "garbage.go": "bad_request: stdout is not a context: not JSON: parse "
                  "error at line 1, column 1",
    "mistyped.go": "bad_request: stdout is not a context: symbols[0].line: "
                   "expected an unsigned integer, got a string",
    "slow.go": f"timeout: command timed out after {EXEC_TIMEOUT_MS} ms: "
               "thinking",
}
FILES = ["good.go", "flaky.go"] + sorted(BAD)
CONTENT = b"package main\n\nfunc main() {}\n"


def address(name):
    return f"ucxl://any:any@exectest:any/*^/src/{name}"


def submit_all(c, client):
    """Sends every generate with wait; returns {name: (request id, job id)}."""
    sent = {}
    for name in FILES:
        rid = client.send({"type": "generate", "request_id": f"exec-{name}",
                           "address": address(name), "content": CONTENT,
                           "wait": True})
        reply = client.receive({rid}, now() + 10)
        c.check(f"{name}: generate_reply queued",
                reply and reply.get("outcome") == "queued", reply)
        if reply and "job_id" in reply:
            sent[name] = (rid, reply["job_id"])
    return sent


def await_done(client, sent, seconds):
    """job_done per file (every job ends: attempts and timeouts are
    bounded), or what arrived by the deadline."""
    done = {}
    by_rid = {rid: name for name, (rid, _) in sent.items()}
    # A fast job's job_done can arrive while later files are still being
    # submitted; the client keeps such replies in `late`.
    for reply in client.late:
        if reply.get("type") == "job_done" and reply.get("id") in by_rid:
            done[by_rid[reply["id"]]] = reply
    deadline = now() + seconds
    while len(done) < len(sent) and now() < deadline:
        reply = client.receive(set(by_rid) - {sent[n][0] for n in done},
                               deadline)
        if reply is None:
            break
        if reply.get("type") == "job_done":
            done[by_rid[reply["id"]]] = reply
    return done


def job_events(events, topic, job_id, count=1, seconds=5):
    """The attrs of the job's events on topic, waiting (events travel on
    their own socket, so they may trail the job_done) until there are
    `count` of them."""
    def found():
        return [r["msg"]["attrs"] for r in events.events(topic=topic)
                if r["msg"]["attrs"].get("job_id") == str(job_id)]
    return wait_for(lambda: len(found()) >= count and found(), seconds) or \
        found()


def worker_alive(cluster):
    try:
        os.kill(int((cluster.dir / "pids" / "w1.pid").read_text()), 0)
        return True
    except (OSError, ValueError):
        return False


def check_good(c, client, done):
    c.check("good.go completed", done.get("good.go", {}).get("state") ==
            "completed", done.get("good.go"))
    got = client.call({"type": "get", "address": address("good.go")})
    ctx = (got or {}).get("context", {})
    c.check("get good.go: the script's context",
            ctx.get("summary") == "exec says hi to good.go "
            f"({len(CONTENT)} bytes, attempt 1)"
            and ctx.get("language") == "go"
            and [s.get("name") for s in ctx.get("symbols", [])] == ["main"]
            and ctx.get("confidence") == 0.9, got)
    c.check("get good.go: engine exec, the version given, the content's "
            "hash", ctx.get("engine") == "exec"
            and ctx.get("engine_version") == "test-1"
            and len(ctx.get("content_hash", "")) == 64, ctx)


def check_flaky(c, client, events, sent, done):
    c.check("flaky.go completed after a failure",
            done.get("flaky.go", {}).get("state") == "completed",
            done.get("flaky.go"))
    retries = job_events(events, "job.retry", sent["flaky.go"][1])
    c.check("flaky.go: one job.retry with the exit reason",
            [(r.get("attempt"), r.get("error")) for r in retries] ==
            [("1", "internal: command exited with status 75: rate limited")],
            retries)
    got = client.call({"type": "get", "address": address("flaky.go")})
    summary = (got or {}).get("context", {}).get("summary", "")
    c.check("flaky.go: the context of attempt 2", summary.endswith(
        "attempt 2)"), summary)


def check_bad(c, events, sent, done, name, reason):
    job_id = sent[name][1]
    end = done.get(name, {})
    ok = end.get("state") == "dead_lettered" and \
        end.get("error", "").startswith(reason)
    c.check(f"{name}: dead-lettered, job_done says why", ok, end)
    retries = job_events(events, "job.retry", job_id, count=ATTEMPTS - 1)
    c.check(f"{name}: retried per the policy (job.retry at attempts 1, 2)",
            [r.get("attempt") for r in retries] ==
            [str(a) for a in range(1, ATTEMPTS)]
            and all(r.get("error", "").startswith(reason) for r in retries),
            retries)
    dead = job_events(events, "job.dead_lettered", job_id)
    c.check(f"{name}: job.dead_lettered at attempt {ATTEMPTS} with the reason",
            len(dead or []) == 1 and dead[0].get("attempt") == str(ATTEMPTS)
            and dead[0].get("error", "").startswith(reason), dead)


def run(c, ctx, cluster):
    events = EventCollector(ctx, cluster)
    events.start()
    client = Client(ctx, cluster, "n1", name="dev")
    try:
        sent = submit_all(c, client)
        if len(sent) != len(FILES):
            return
        # Bounded: the slowest file is 3 timeouts plus two short back-offs.
        done = await_done(client, sent, 60)
        c.check("every job ended", len(done) == len(FILES),
                f"ended: {sorted(done)}")
        check_good(c, client, done)
        check_flaky(c, client, events, sent, done)
        for name, reason in BAD.items():
            check_bad(c, events, sent, done, name, reason)
        status = client.call({"type": "status"}) or {}
        c.check("status counts the dead letters and the retries",
                status.get("dead_lettered") == len(BAD)
                and status.get("retries") == len(BAD) * (ATTEMPTS - 1) + 1,
                {k: status.get(k) for k in ("dead_lettered", "retries")})
        c.check("the worker still runs, on the exec engine it was given",
                worker_alive(cluster)
                and "(exec engine test-1)" in cluster.log("w1"),
                cluster.log("w1")[-2000:])
        note(f"engine: {cluster.worker_args[0]}")
    finally:
        client.close()
        events.stop()


def prepare(tmp):
    """The engine script, in the test's directory; the worker's flags."""
    script = tmp / "engine.py"
    script.write_text(ENGINE)
    return {"worker_args": [f"--engine=exec:/usr/bin/python3 {script}",
                            f"--exec-timeout-ms={EXEC_TIMEOUT_MS}",
                            "--exec-engine-version=test-1",
                            "--concurrency=4"]}


def main():
    return cluster_test_main(__doc__, 140, run, 30000, nodes=1, workers=1,
                             limits=LIMITS, prepare=prepare)


if __name__ == "__main__":
    sys.exit(main())
