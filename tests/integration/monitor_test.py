#!/usr/bin/python3
"""Integration: slurp-monitor against a local cluster, on a pipe and on a
terminal (tmux).

  monitor_test.py BIN_DIR

A 3-node cluster with 2 workers (tools/cluster up; two attempts per job,
short back-off). Files under two directories are generated, and one file
that no worker can read is dead-lettered. The events every node kept
(fetched here with fetch_events) are the reference.

Pipes (not a terminal):
  - `--json --history --address A` and `--json --history --topic
    job.completed --topic job.dead_lettered --address M`, started before
    the work, print exactly the reference events that pass those filters,
    each once;
  - `--json --history --job ID` prints exactly that job's events, in seq
    order, and exits 4 once nothing more comes for --timeout-ms;
    `--job ID --topic job.completed` exactly one line;
  - plain text has no ANSI escapes, `--color always` has them, `--json`
    never;
  - `--top --frames 2` prints two plain frames separated by "---";
  - `--help` shows examples and exit codes.
Terminal (tmux on a private socket, 120x40):
  - `--top` shows the leader, the term, the queue by priority, a worker of
    the status reply with completed > 0, a throughput sparkline, the
    dead-lettered job among the recent failures, in colour; q quits and
    the shell's screen comes back;
  - the plain tail is coloured, and not with NO_COLOR set.
"""
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import threading

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from cluster_harness import (  # noqa: E402
    Client, cluster_test_main, note, now, wait_for)

LIMITS = ["job_attempts_max=2", "job_retry_backoff_ms=100"]
PROJECT = "ucxl://any:any@mon:any/*^/"
DIR_A = PROJECT + "a/"
FILES_A = [DIR_A + f"f{i}.c" for i in range(4)]
FILES_B = [PROJECT + f"b/g{i}.py" for i in range(3)]
FILES_C = [PROJECT + f"c/h{i}.c" for i in range(6)]
BROKEN = PROJECT + "b/broken.c"
SPARK = set("▁▂▃▄▅▆▇█")


class Monitor:
    """slurp-monitor on pipes; two threads keep every stdout and stderr
    line (bytes decoded as UTF-8)."""

    def __init__(self, binary, config, args, env=None):
        self.argv = [str(binary), "--config", str(config)] + list(args)
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        self.out, self.err = [], []
        self.threads = [threading.Thread(target=self._read, args=(s, keep),
                                         daemon=True)
                        for s, keep in ((self.proc.stdout, self.out),
                                        (self.proc.stderr, self.err))]
        for t in self.threads:
            t.start()

    @staticmethod
    def _read(stream, keep):
        for raw in iter(stream.readline, b""):
            keep.append(raw.decode("utf-8", errors="replace").rstrip("\n"))

    def json_events(self):
        return [json.loads(line) for line in list(self.out)
                if line.startswith("{") and '"type":"event"' in line]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        for t in self.threads:
            t.join(5)
        return self.proc.returncode


def run_monitor(binary, config, args, env=None, timeout=60):
    """Runs slurp-monitor to its end; (exit code, stdout bytes, stderr)."""
    result = subprocess.run([str(binary), "--config", str(config)] + args,
                            stdin=subprocess.DEVNULL, capture_output=True,
                            timeout=timeout, env=env)
    return (result.returncode, result.stdout,
            result.stderr.decode(errors="replace"))


def all_events(client_for, nodes):
    """Every event each node still keeps, by fetch_events from seq 1."""
    events = []
    for node in nodes:
        client = client_for(node)
        seq = 1
        while True:
            reply = client.call({"type": "fetch_events", "from_seq": seq})
            batch = (reply or {}).get("events", [])
            if not batch:
                break
            events.extend(batch)
            seq = batch[-1]["seq"] + 1
    return events


def key(event):
    return (event["node"], event["seq"])


def same_events(printed, expected):
    """Both lists name the same events, each once, with the same topic and
    attrs; returns a description of the difference ("" if none)."""
    keys = [key(e) for e in printed]
    if len(keys) != len(set(keys)):
        return f"printed twice: {sorted(k for k in keys if keys.count(k) > 1)}"
    want = {key(e): e for e in expected}
    got = {key(e): e for e in printed}
    if set(want) != set(got):
        return (f"missing {sorted(set(want) - set(got))}, "
                f"extra {sorted(set(got) - set(want))}")
    for k, e in want.items():
        if (got[k]["topic"], got[k]["attrs"]) != (e["topic"], e["attrs"]):
            return f"{k}: printed {got[k]}, kept {e}"
    return ""


def in_seq_order(printed):
    last = {}
    for e in printed:
        if e["seq"] <= last.get(e["node"], 0):
            return False
        last[e["node"]] = e["seq"]
    return True


class Work:
    """Generates through the leader with wait; remembers job ids and the
    job_done of each."""

    def __init__(self, client):
        self.client = client
        self.jobs = {}  # address -> job_id
        self.done = {}  # address -> job_done
        self.pending = {}  # request id -> address

    def submit(self, address, tag, **fields):
        request = {"type": "generate", "request_id": f"{tag}-{address}",
                   "address": address, "wait": True, **fields}
        rid = self.client.send(request)
        self.pending[rid] = address

    def collect(self, seconds):
        deadline = now() + seconds
        while self.pending and now() < deadline:
            reply = self.client.receive(set(self.pending), deadline)
            if reply is None:
                break
            address = self.pending[reply["id"]]
            if reply.get("type") == "generate_reply":
                self.jobs[address] = reply["job_id"]
                if reply.get("outcome") in ("cached", "duplicate"):
                    self.done[address] = reply
                    del self.pending[reply["id"]]
            else:  # job_done or error
                self.done[address] = reply
                del self.pending[reply["id"]]
        return not self.pending


def submit_round(work, tag, files):
    for i, address in enumerate(files):
        content = f"// {tag} {i}\nint f{i}(void) {{ return {i}; }}\n"
        work.submit(address, tag, content=content.encode())


def check_pipes(c, binary, config, live, work, reference, env):
    """The filtered JSON of the monitors that ran during the work, then
    one-shot runs with --job, plain text and --top frames."""
    addr_a = [e for e in reference
              if e["attrs"].get("address", "").startswith(DIR_A)]
    ends = [e for e in reference
            if e["topic"] in ("job.completed", "job.dead_lettered")
            and e["attrs"].get("address", "").startswith(PROJECT)]
    c.check("reference: each file of A was queued, dispatched, stored and "
            "completed", len([e for e in addr_a if e["topic"] ==
                              "job.completed"]) == len(FILES_A), addr_a)
    for name, monitor, expected in (("--address A", live["a"], addr_a),
                                    ("--topic x2 --address M", live["ends"],
                                     ends)):
        wait_for(lambda: len(monitor.json_events()) >= len(expected), 20)
        monitor.stop()
        printed = monitor.json_events()
        diff = same_events(printed, expected)
        c.check(f"live {name}: exactly the kept events that pass, each once",
                not diff, f"{diff}; stderr={monitor.err[-3:]}")
        c.check(f"live {name}: every line is a JSON event (no gap notices "
                "with attribute filters)",
                len(printed) == len(monitor.out), monitor.out[:5])
    job = work.jobs[FILES_A[0]]
    of_job = [e for e in reference if e["attrs"].get("job_id") == str(job)]
    code, out, err = run_monitor(binary, config, [
        "--json", "--history", "--job", str(job), "--timeout-ms", "2000"],
        env)
    printed = [json.loads(line) for line in out.decode().splitlines()]
    c.check("--job: exit 4 once nothing more came for --timeout-ms",
            code == 4, f"{code} {err}")
    c.check(f"--job {job}: exactly its {len(of_job)} events, in seq order",
            not same_events(printed, of_job) and in_seq_order(printed)
            and len(of_job) >= 4, f"{same_events(printed, of_job)} {printed}")
    code, out, err = run_monitor(binary, config, [
        "--json", "--history", "--job", str(job), "--topic", "job.completed",
        "--count", "1"], env)
    printed = [json.loads(line) for line in out.decode().splitlines()]
    c.check("--job and --topic together: its one job.completed",
            code == 0 and len(printed) == 1
            and printed[0]["topic"] == "job.completed"
            and printed[0]["attrs"]["job_id"] == str(job), (code, out, err))
    check_plain(c, binary, config, env, job)


def check_plain(c, binary, config, env, job):
    args = ["--history", "--job", str(job), "--timeout-ms", "1500"]
    code, out, _ = run_monitor(binary, config, args, env)
    text = out.decode()
    line_format = re.compile(
        r"^\d+ n\d \d+ [a-z_]+\.[a-z_]+( \S+=\S+)+( \[fetched\])?$")
    c.check("plain text on a pipe: `seq node term topic k=v` lines",
            code == 4 and text and all(
                line_format.match(line) for line in text.splitlines()), text)
    c.check("plain text on a pipe: no ANSI escapes", b"\x1b" not in out, out)
    code, out, _ = run_monitor(binary, config, args + ["--color", "always"],
                               env)
    c.check("--color always on a pipe: coloured topics",
            b"\x1b[32mjob.completed\x1b[0m" in out, out)
    code, out, _ = run_monitor(binary, config, args + [
        "--color", "always", "--json"], env)
    c.check("--json is never coloured", out and b"\x1b" not in out, out)
    code, out, err = run_monitor(binary, config, ["--top", "--frames", "2"],
                                 env)
    text = out.decode()
    frames = text.split("\n---\n")
    c.check("--top on a pipe: 2 plain frames separated by ---, no escapes",
            code == 0 and len(frames) == 2 and "\x1b" not in text
            and all("THROUGHPUT" in f and "WORKER" in f for f in frames),
            f"{code} {err} {text}")
    code, out, _ = run_monitor(binary, config, ["--help"], env)
    c.check("--help: examples and exit codes",
            code == 0 and b"Examples:" in out and b"Exit codes:" in out
            and b"--top" in out, out)
    code, _, err = run_monitor(binary, config, ["--top", "--json"], env)
    c.check("--top --json is refused as a usage error", code == 1, err)


class Tmux:
    """A tmux server of our own (-L), so nothing of the user's is
    touched; killed at the end."""

    def __init__(self, env):
        name = f"slurp-test-{os.getpid()}"
        self.base = ["tmux", "-L", name, "-f", "/dev/null"]
        self.env = env
        # Where -L puts the socket; kill-server leaves the file behind.
        self.socket = (pathlib.Path(env.get("TMUX_TMPDIR", "/tmp")) /
                       f"tmux-{os.getuid()}" / name)

    def run(self, *args):
        return subprocess.run(self.base + list(args), capture_output=True,
                              timeout=10, env=self.env)

    def capture(self, target, escapes=False):
        args = ["capture-pane", "-p", "-t", target]
        if escapes:
            args.insert(1, "-e")
        return self.run(*args).stdout.decode(errors="replace")

    def kill(self):
        self.run("kill-server")
        self.socket.unlink(missing_ok=True)


def top_ready(screen, leader, term, workers):
    """What the acceptance asks of the --top screen, each as found/not."""
    lines = screen.splitlines()
    completed = {}
    for line in lines:
        m = re.match(r"^(\S+)\s+(\d+)\s+(\d+)\s+\S+ s ago", line)
        if m and m.group(1) in workers:
            completed[m.group(1)] = int(m.group(2))
    spark = next((lines[i + 1] for i, line in enumerate(lines[:-1])
                  if line.startswith("THROUGHPUT")), "")
    return {
        "leader": f"leader {leader}  term {term}" in screen,
        "queue": any(re.match(r"^normal\s+\d+\s+\d+\s+\d+\s+\d+$", line)
                     for line in lines),
        "workers table": any(line.startswith("WORKER") for line in lines),
        "a worker with completed > 0": any(n > 0 for n in completed.values()),
        "sparkline": bool(SPARK & set(spark)),
        "dead-lettered failure": "dead-lettered  job" in screen,
    }


def check_tty(c, binary, config, env, status_of, more_work):
    tmux = Tmux(env)
    try:
        top_cmd = (f"env -u NO_COLOR {binary} --top --config {config}; "
                   f"echo EXITED $?; exec sleep 600")
        made = tmux.run("new-session", "-d", "-s", "mon", "-x", "120", "-y",
                        "40", "sh", "-c", top_cmd)
        if not c.check("tmux new-session -x 120 -y 40 runs --top",
                       made.returncode == 0, made.stderr):
            return
        leader, term, _ = status_of()
        # Work only once --top has a status: the sparkline is made of the
        # differences between its answers.
        c.check("tmux --top shows the leader and term",
                wait_for(lambda: f"leader {leader}  term {term}" in
                         tmux.capture("mon"), 15, step=0.1),
                tmux.capture("mon"))
        more_work()
        leader, term, workers = status_of()
        found = {}

        def ready():
            found.update(top_ready(tmux.capture("mon"), leader, term,
                                   workers))
            return all(found.values())

        wait_for(ready, 30, step=0.2)
        screen = tmux.capture("mon")
        for what, ok in found.items():
            c.check(f"tmux --top shows {what}", ok, screen)
        c.check("tmux --top is coloured (capture-pane -e)",
                "\x1b[" in tmux.capture("mon", escapes=True))
        tmux.run("send-keys", "-t", "mon", "q")
        exited = wait_for(lambda: "EXITED 0" in tmux.capture("mon"), 10)
        after = tmux.capture("mon")
        c.check("q quits with 0 and the shell's screen comes back",
                exited and "THROUGHPUT" not in after, after)
        check_tty_tail(c, tmux, binary, config)
    finally:
        tmux.kill()


def check_tty_tail(c, tmux, binary, config):
    base = f"{binary} --config {config} --history --topic job.completed"
    for name, prefix in (("tail", "env -u NO_COLOR"), ("nocolor",
                                                        "env NO_COLOR=1")):
        tmux.run("new-window", "-d", "-t", "mon", "-n", name, "sh", "-c",
                 f"{prefix} {base}; exec sleep 600")
    shown = wait_for(lambda: "job.completed" in tmux.capture("mon:tail") and
                     "job.completed" in tmux.capture("mon:nocolor"), 20)
    coloured = tmux.capture("mon:tail", escapes=True)
    plain = tmux.capture("mon:nocolor", escapes=True)
    c.check("tmux tail: job.completed lines shown", shown, coloured)
    c.check("tmux tail on a terminal is coloured (capture-pane -e)",
            re.search(r"\x1b\[[0-9;]*32m\s*job\.completed", coloured),
            coloured[:400])
    c.check("tmux tail with NO_COLOR=1 has no colour",
            not any("\x1b" in line for line in plain.splitlines()
                    if "job.completed" in line), plain[:400])


def run(c, ctx, cluster):
    binary = cluster.bin_dir / "slurp-monitor"
    config = cluster.dir / "cluster.toml"
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    env.setdefault("TERM", "xterm-256color")
    clients = {}

    def client_for(node):
        if node not in clients:
            clients[node] = Client(ctx, cluster, node, name="admin")
        return clients[node]

    leader = wait_for(lambda: (client_for("n1").call(
        {"type": "status"}, timeout=1) or {}).get("leader"), 15)
    if not c.check("the cluster has a leader", leader, leader):
        return
    note(f"leader {leader}")
    live = {
        "a": Monitor(binary, config, ["--json", "--history", "--address",
                                      "ucxl://mon/a/"], env),
        "ends": Monitor(binary, config, [
            "--json", "--history", "--topic", "job.completed", "--topic",
            "job.dead_lettered", "--address", PROJECT], env),
    }
    try:
        work = Work(client_for(leader))
        submit_round(work, "r1", FILES_A + FILES_B)
        work.submit(BROKEN, "r1", file_path="/nonexistent/slurp-monitor/x.c")
        c.check("every job ended", work.collect(60), work.pending)
        dead = work.done.get(BROKEN, {})
        c.check("the unreadable file was dead-lettered",
                dead.get("state") == "dead_lettered", dead)
        reference = all_events(client_for, cluster.nodes)
        check_pipes(c, binary, config, live, work, reference, env)
    finally:
        for m in live.values():
            m.stop()

    def status_of():
        s = client_for(leader).call({"type": "status"}) or {}
        return (s.get("leader"), s.get("term"),
                {w["name"] for w in s.get("workers", [])})

    def more_work():
        more = Work(client_for(leader))
        submit_round(more, "r2", FILES_C)
        c.check("more work ended", more.collect(60), more.pending)

    if c.check("tmux is installed (tools/setup)", shutil.which("tmux")):
        check_tty(c, binary, config, env, status_of, more_work)


def main():
    return cluster_test_main(__doc__, 170, run, 61000, 440, nodes=3,
                             workers=2, limits=LIMITS)


if __name__ == "__main__":
    sys.exit(main())
