"""Process and client plumbing for the tests in tests/integration and
tests/security.

A Cluster started with `tools/cluster up` (its node processes, pid files,
logs, restarts and teardown), a CURVE DEALER client that matches replies by
id, and an event collector: a thread with one CURVE SUB per node that keeps
every event and beacon with the time it arrived.

Only the standard library, python3-zmq and python3-msgpack (Debian's
/usr/bin/python3).
"""
import ctypes
import hashlib
import itertools
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import traceback

import msgpack
import zmq

REPO = pathlib.Path(__file__).resolve().parents[2]
CLUSTER_TOOL = REPO / "tools" / "cluster"

# Error codes (protocol/PROTOCOL.md, "Error codes").
BAD_REQUEST, FORBIDDEN, NOT_LEADER, NO_QUORUM = 1, 3, 6, 7
TOO_LARGE, TIMEOUT, UNAVAILABLE = 9, 11, 13
# Errors after which a generate is resent with the same request_id.
RETRYABLE = {NOT_LEADER, NO_QUORUM, TIMEOUT, UNAVAILABLE}

_ids = itertools.count(1)


def next_id():
    """A fresh non-zero request id, unique within this process."""
    return next(_ids)


def now():
    return time.monotonic()


def wait_for(predicate, seconds, step=0.02):
    """Polls predicate until it returns a truthy value or the deadline
    passes; returns that value (or the last falsy one)."""
    deadline = now() + seconds
    while True:
        value = predicate()
        if value or now() >= deadline:
            return value
        time.sleep(step)


def thread_nices(pid):
    """{tid: (name, nice)} of every thread of `pid`, from field 19 of
    /proc/PID/task/TID/stat, as top reads it (the name, field 2, is in
    parentheses and may hold spaces)."""
    threads = {}
    for task in pathlib.Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:  # the thread ended meanwhile
            continue
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        threads[int(task.name)] = (name, int(fields[19 - 3]))
    return threads


def read_key(path):
    """The Z85 key in a key file: '#' comment lines, then one 40-char line."""
    lines = [s.strip() for s in pathlib.Path(path).read_text().splitlines()
             if s.strip() and not s.strip().startswith("#")]
    if len(lines) != 1 or len(lines[0]) != 40:
        raise ValueError(f"{path}: expected one 40-character Z85 key line")
    return lines[0].encode("ascii")


def begin_test(doc, deadline_s):
    """The start every integration test shares: BIN_DIR from the command
    line (else the usage, and None), a SIGALRM that raises TimeoutError
    once the test has run deadline_s seconds, SIGTERM raising
    KeyboardInterrupt (so a stopped test still tears its nodes down), and
    this process as the subreaper of the nodes it starts."""
    if len(sys.argv) != 2:
        print(doc)
        return None

    def over(*_):
        raise TimeoutError(f"over {deadline_s} s")

    def stopped(signum, _):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGALRM, over)
    signal.signal(signal.SIGTERM, stopped)
    signal.alarm(deadline_s)
    become_subreaper()
    return pathlib.Path(sys.argv[1]).resolve()


def become_subreaper():
    """Makes this process the reaper of its orphaned descendants, so the
    nodes `tools/cluster up` starts in their own sessions (setsid -f)
    become our children: we can then wait for them and read their exit
    status. Linux only; False when it is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_CHILD_SUBREAPER = 36
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


class NodeProcess:
    """One slurpd process, known by pid. Exit status is known when the
    process is our child (started by us, or reparented to us as the
    subreaper); otherwise only whether it still runs."""

    def __init__(self, pid):
        self.pid = pid
        self.exit_status = None  # os.waitstatus_to_exitcode, once reaped
        self.reaped = False

    def alive(self):
        if self.reaped:
            return False
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:  # not our child: ask /proc
            return _running(self.pid)
        if pid == 0:
            return True
        self.reaped = True
        self.exit_status = os.waitstatus_to_exitcode(status)
        return False

    def wait(self, seconds):
        """True once the process has exited (within the deadline)."""
        return wait_for(lambda: not self.alive(), seconds, step=0.005)

    def signal(self, sig):
        if self.alive():
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                pass


def _running(pid):
    """Whether pid exists and is not a zombie."""
    try:
        stat = pathlib.Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = stat.rpartition(")")[2].split()[0]
    return state not in ("Z", "X")


class Cluster:
    """A cluster made by `tools/cluster up` in DIR. Node facts come from
    the files the tool writes: cluster.toml (ports, key files, data dirs),
    pids/NAME.pid and logs/NAME.log."""

    def __init__(self, bin_dir, directory, nodes=3, workers=0, limits=(),
                 worker_args=(), metrics=False):
        self.bin_dir = pathlib.Path(bin_dir)
        self.dir = pathlib.Path(directory)
        self.count = nodes
        self.workers = workers
        self.limits = list(limits)  # "key=value" for cluster.toml [limits]
        self.worker_args = list(worker_args)  # more slurp-worker arguments
        self.metrics = metrics  # tools/cluster up --metrics
        self.base_port = None
        self.up_output = ""
        self.nodes = {}      # id -> dict(api, events, pub, data_dir)
        self.procs = {}      # id -> NodeProcess (the current incarnation)
        self.old_procs = []  # processes of earlier incarnations
        self.cmdlines = {}   # id -> (argv, cwd, env) as tools/cluster ran it
        self.children = []   # subprocess.Popen objects we started

    def env(self):
        env = dict(os.environ)
        env["SLURP_BIN_DIR"] = str(self.bin_dir)
        return env

    def up(self, base_port):
        """Runs `tools/cluster up`; True when it reported success. Its
        output is kept in self.up_output."""
        self.base_port = base_port
        # workers=0 (the default): no worker may take queued jobs whose
        # count a test checks.
        limit_flags = [flag for limit in self.limits
                       for flag in ("--limit", limit)]
        limit_flags += [flag for arg in self.worker_args
                        for flag in ("--worker-arg", arg)]
        if self.metrics:
            limit_flags.append("--metrics")
        result = subprocess.run(
            [str(CLUSTER_TOOL), "up", "--nodes", str(self.count),
             "--workers", str(self.workers), "--dir", str(self.dir),
             "--base-port", str(base_port)] + limit_flags,
            capture_output=True, text=True, timeout=60, env=self.env())
        self.up_output = result.stdout + result.stderr
        if result.returncode != 0:
            self._adopt_pids()  # whatever did start must still be stopped
            return False
        self._load_config()
        self._adopt_pids()
        return True

    def _load_config(self):
        with open(self.dir / "cluster.toml", "rb") as f:
            config = tomllib.load(f)
        data_root = self.dir / config.get("cluster", {}).get("data_dir", "data")
        for n in config["nodes"]:
            self.nodes[n["id"]] = {
                "id": n["id"],
                "metrics": n.get("metrics_listen"),
                "api": f"tcp://{n['host']}:{n['api_port']}",
                "events": f"tcp://{n['host']}:{n['events_port']}",
                "pub": read_key(self.dir / n["public_key"]),
                "data_dir": self.dir / n.get("data_dir", data_root / n["id"]),
            }

    def _adopt_pids(self):
        for pidfile in sorted((self.dir / "pids").glob("n*.pid")):
            try:
                pid = int(pidfile.read_text().strip())
            except (OSError, ValueError):
                continue
            node = pidfile.stem
            if node not in self.procs or self.procs[node].pid != pid:
                self.procs[node] = NodeProcess(pid)
                self._remember_cmdline(node, pid)

    def _remember_cmdline(self, node, pid):
        """The node's command line, working directory and environment, read
        from /proc while it runs, to restart it exactly as it was run."""
        try:
            argv = pathlib.Path(f"/proc/{pid}/cmdline").read_bytes()
            environ = pathlib.Path(f"/proc/{pid}/environ").read_bytes()
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            return
        argv = [a.decode() for a in argv.split(b"\0") if a]
        env = dict(e.decode(errors="replace").split("=", 1)
                   for e in environ.split(b"\0") if b"=" in e)
        if argv:
            self.cmdlines[node] = (argv, cwd, env)

    def log_path(self, node):
        return self.dir / "logs" / f"{node}.log"

    def log(self, node):
        try:
            return self.log_path(node).read_text(errors="replace")
        except OSError:
            return ""

    def audit_records(self, node):
        path = self.nodes[node]["data_dir"] / "audit.log"
        try:
            lines = path.read_text().splitlines()
        except OSError:
            return []
        records = []
        for line in lines:
            try:
                records.append(json.loads(line))
            except ValueError:
                records.append({"unparsable": line})
        return records

    def alive(self, node):
        proc = self.procs.get(node)
        return proc is not None and proc.alive()

    def live_nodes(self):
        return [n for n in self.nodes if self.alive(n)]

    def kill(self, node, sig):
        """Sends sig to the node's process; returns the NodeProcess. A
        SIGKILL returns once the process is gone (within 5 s): until the
        kernel has torn it down, alive() still says yes, and a test asking
        "who leads now?" right after would accept the dead leader."""
        proc = self.procs[node]
        proc.signal(sig)
        if sig == signal.SIGKILL:
            proc.wait(5)
        return proc

    def restart(self, node, extra_args=()):
        """Starts the node again with the command line, directory and
        environment tools/cluster started it with (plus extra_args), in its
        own session, its output appended to its log; the pid file is updated
        so `tools/cluster down` stops it. Returns the new NodeProcess."""
        argv, cwd, env = self.cmdlines[node]
        argv = list(argv) + list(extra_args)
        if node in self.procs:
            self.old_procs.append(self.procs[node])
        log = open(self.log_path(node), "ab")
        child = subprocess.Popen(argv, cwd=cwd, env=env,
                                 stdin=subprocess.DEVNULL, stdout=log,
                                 stderr=log, start_new_session=True)
        log.close()
        self.children.append(child)
        (self.dir / "pids" / f"{node}.pid").write_text(f"{child.pid}\n")
        self.procs[node] = NodeProcess(child.pid)
        return self.procs[node]

    def teardown(self):
        """`tools/cluster down`, then SIGKILL whatever still runs."""
        if (self.dir / ".slurp-cluster").exists():
            try:
                subprocess.run([str(CLUSTER_TOOL), "down", "--dir",
                                str(self.dir)], capture_output=True,
                               timeout=30, env=self.env())
            except (subprocess.TimeoutExpired, OSError):
                pass
        self._adopt_pids()
        for proc in list(self.procs.values()) + self.old_procs:
            if proc.alive():
                try:
                    os.kill(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            proc.wait(5)
        for child in self.children:
            child.returncode = 0  # reaped above; keep Popen quiet


class Client:
    """A CURVE DEALER to one node's api, as `name` (a key in DIR/keys).
    Sends one frame [payload]; matches replies by id."""

    def __init__(self, ctx, cluster, node, name="admin", secret=None,
                 monitor=False):
        self.node = node
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.linger = 0
        if secret is None:
            secret = read_key(cluster.dir / "keys" / f"{name}.key")
        self.sock.curve_secretkey = secret
        self.sock.curve_publickey = zmq.curve_public(secret)
        self.sock.curve_serverkey = cluster.nodes[node]["pub"]
        self.monitor = self.sock.get_monitor_socket() if monitor else None
        self.sock.connect(cluster.nodes[node]["api"])
        self.late = []  # replies to requests we had stopped waiting for

    def send(self, request):
        """Sends a dict (v=1 added; an id added unless given) or raw bytes,
        or a list of raw frames; returns the id used (None for raw)."""
        if isinstance(request, list):
            self.sock.send_multipart(request)
            return None
        if isinstance(request, (bytes, bytearray)):
            self.sock.send(request)
            return None
        request = dict(request)
        request.setdefault("id", next_id())
        self.sock.send(msgpack.packb({"v": 1, **request}))
        return request["id"]

    def receive(self, ids, deadline):
        """The next reply whose id is in ids (None: any reply), or None when
        the deadline (monotonic) passes. Replies to other ids are kept in
        self.late."""
        while True:
            left_ms = int((deadline - now()) * 1000)
            if left_ms <= 0 or not self.sock.poll(left_ms, zmq.POLLIN):
                return None
            raw = self.sock.recv()
            try:
                reply = msgpack.unpackb(raw, raw=False)
            except Exception:  # noqa: BLE001 - a test records it as such
                reply = {"undecodable": raw}
            if ids is None or (isinstance(reply, dict)
                               and reply.get("id") in ids):
                return reply
            self.late.append(reply)

    def generate_and_wait(self, request_id, address, content, seconds=20):
        """Sends an inline generate with wait: true (content_hash given) and
        returns its job_done, its error, or None when `seconds` pass."""
        rid = self.send({"type": "generate", "request_id": request_id,
                         "address": address, "content": content,
                         "content_hash": hashlib.sha256(content).hexdigest(),
                         "wait": True})
        deadline = now() + seconds
        while True:
            reply = self.receive({rid}, deadline)
            if not reply or reply.get("type") in ("job_done", "error"):
                return reply

    def call(self, request, timeout=3.0):
        """Sends a request and waits for its reply (None on timeout)."""
        rid = self.send(request)
        return self.receive(None if rid is None else {rid}, now() + timeout)

    def close(self):
        if self.monitor is not None:
            self.sock.disable_monitor()
            self.monitor.close()
        self.sock.close()


class EventCollector:
    """A thread with one CURVE SUB (subscribed to everything) per node's
    events endpoint. Every message is kept as a dict: t (monotonic arrival
    time), sub (the node whose socket it came from), frames, msg (decoded
    payload) and problem (a framing or decoding fault, else None)."""

    def __init__(self, ctx, cluster, name="admin"):
        self.ctx = ctx
        self.cluster = cluster
        self.secret = read_key(cluster.dir / "keys" / f"{name}.key")
        self.records = []
        self.lock = threading.Lock()
        self.stop_flag = threading.Event()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()
        self.ready.wait(5)

    def _socket(self, node):
        sock = self.ctx.socket(zmq.SUB)
        sock.linger = 0
        sock.rcvhwm = 0  # never drop on our side: gaps must be the node's
        sock.curve_secretkey = self.secret
        sock.curve_publickey = zmq.curve_public(self.secret)
        sock.curve_serverkey = self.cluster.nodes[node]["pub"]
        sock.setsockopt(zmq.SUBSCRIBE, b"")
        sock.connect(self.cluster.nodes[node]["events"])
        return sock

    def _run(self):
        socks = {self._socket(n): n for n in self.cluster.nodes}
        poller = zmq.Poller()
        for s in socks:
            poller.register(s, zmq.POLLIN)
        self.ready.set()
        try:
            while not self.stop_flag.is_set():
                for sock, _ in poller.poll(50):
                    while True:
                        try:
                            frames = sock.recv_multipart(zmq.NOBLOCK)
                        except zmq.Again:
                            break
                        self._keep(socks[sock], frames)
        finally:
            for s in socks:
                s.close()

    def _keep(self, node, frames):
        record = {"t": now(), "sub": node, "frames": frames, "msg": None,
                  "problem": None}
        if len(frames) != 2:
            record["problem"] = f"{len(frames)} frames"
        else:
            try:
                msg = msgpack.unpackb(frames[1], raw=False)
                record["msg"] = msg
                kind = msg.get("type")
                topic = frames[0].decode(errors="replace")
                if kind == "event" and topic != msg.get("topic"):
                    record["problem"] = (f"topic frame {topic!r} != payload "
                                         f"topic {msg.get('topic')!r}")
                elif kind == "beacon" and topic != "beacon":
                    record["problem"] = f"beacon under topic {topic!r}"
                elif kind not in ("event", "beacon") or msg.get("v") != 1:
                    record["problem"] = f"unexpected payload {msg!r}"
                elif msg.get("node") != node:
                    record["problem"] = (f"from {node}'s socket but node="
                                         f"{msg.get('node')!r}")
            except Exception as e:  # noqa: BLE001
                record["problem"] = f"undecodable payload: {e!r}"
        with self.lock:
            self.records.append(record)

    def snapshot(self):
        with self.lock:
            return list(self.records)

    def events(self, sub=None, topic=None, since=None):
        """Events (not beacons), optionally from one socket, one topic, and
        arrived at or after monotonic time `since`."""
        out = []
        for r in self.snapshot():
            m = r["msg"]
            if not m or m.get("type") != "event":
                continue
            if sub is not None and r["sub"] != sub:
                continue
            if topic is not None and m.get("topic") != topic:
                continue
            if since is not None and r["t"] < since:
                continue
            out.append(r)
        return out

    def wait_event(self, seconds, **match):
        """The first event matching sub/topic/since and attrs (a dict) and
        any other top-level fields given, within the deadline, or None."""
        attrs = match.pop("attrs", {})
        sel = {k: match.pop(k) for k in ("sub", "topic", "since")
               if k in match}

        def find():
            for r in self.events(**sel):
                m = r["msg"]
                if all(m.get(k) == v for k, v in match.items()) and all(
                        m.get("attrs", {}).get(k) == v
                        for k, v in attrs.items()):
                    return r
            return None
        return wait_for(find, seconds)

    def stop(self):
        self.stop_flag.set()
        self.thread.join(5)


class Checks:
    """Records named checks; a failing check does not stop the others."""

    def __init__(self):
        self.passed = 0
        self.failed = []

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print(f"PASS {name}", flush=True)
        else:
            self.failed.append(name)
            print(f"FAIL {name}: {detail}", flush=True)
        return bool(ok)


def note(text):
    print(f"     {text}", flush=True)


def start_cluster(bin_dir, root, port_floor, port_slots, nodes=3, **kwargs):
    """tools/cluster up on free ports: up to 6 tries (of up to 64 bases
    probed), each in its own
    directory under root, at a base port spread by pid so tests running
    side by side do not collide (each test passes its own port_floor and
    port_slots, in steps of 10). Returns the Cluster, or None; the last
    failure's output is noted."""
    tries = 0
    for attempt in range(64):
        base = port_floor + ((os.getpid() * 7 + attempt * 613)
                             % port_slots) * 10
        if not ports_free(base, nodes):
            continue
        # Only bases whose ports are free count as tries: most floors lie
        # in Linux's ephemeral range (32768-60999), where a test beside
        # this one that opened thousands of connections leaves ports in
        # use anywhere; six probes once all missed.
        tries += 1
        if tries > 6:
            break
        cluster = Cluster(bin_dir, pathlib.Path(root) / f"c{attempt}",
                          nodes=nodes, **kwargs)
        started = now()
        if cluster.up(base):
            note(f"tools/cluster up on base port {base} in "
                 f"{(now() - started) * 1000:.0f} ms: {cluster.dir}")
            return cluster
        note(cluster.up_output[-500:])
        cluster.teardown()
    if tries == 0:
        note(f"no base port from {port_floor} with {port_slots} slots had "
             f"its ports free")
    return None


def ports_free(base, nodes):
    """Whether slurpd could bind these ports. SO_REUSEADDR as libzmq sets
    it on a listener: a port left in TIME_WAIT by a closed connection is
    free for a listener, one that a live socket holds is not."""
    for port in range(base + 1, base + 10 * nodes + 5):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def cluster_test_main(doc, deadline_s, run, port_floor, port_slots=990,
                      nodes=3, workers=0, prepare=None, **kwargs):
    """The main() of a test that needs one cluster: begin_test, the cluster
    on free ports in a fresh temporary directory, run(c, ctx, cluster),
    teardown whatever happened (checking that no node is left), and a
    summary line. prepare(tmp), when given, first writes what the cluster
    must find at start (an engine script, a worker's file root) in that
    directory and returns more start_cluster arguments; the cluster's own
    directory is cluster.dir under it. The directory is kept for a look
    when a check failed or SLURP_KEEP_TEST_DIR is set. Returns the exit
    status: 0 when every check passed, 1 otherwise, 2 on usage."""
    bin_dir = begin_test(doc, deadline_s)
    if bin_dir is None:
        return 2
    started = now()
    name = pathlib.Path(sys.argv[0]).stem.removesuffix("_test")
    c = Checks()
    ctx = zmq.Context()
    tmp = pathlib.Path(tempfile.mkdtemp(prefix=f"slurp-{name}-"))
    cluster = None
    try:
        if prepare is not None:
            kwargs.update(prepare(tmp))
        cluster = start_cluster(bin_dir, tmp, port_floor, port_slots,
                                nodes=nodes, workers=workers, **kwargs)
        if c.check(f"tools/cluster up --nodes {nodes} --workers {workers}",
                   cluster):
            run(c, ctx, cluster)
    except BaseException as e:  # noqa: BLE001 - a crash is a failure
        c.check("test ran to the end", False,
                f"{e!r}\n{traceback.format_exc()}")
    finally:
        signal.alarm(0)
        if cluster is not None:
            _end_cluster(c, cluster)
        ctx.destroy(linger=0)
        if c.failed or os.environ.get("SLURP_KEEP_TEST_DIR"):
            note(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{name}: {c.passed} checks passed, {len(c.failed)} failed in "
          f"{now() - started:.1f} s"
          + (f": {', '.join(c.failed)}" if c.failed else ""), flush=True)
    return 1 if c.failed else 0


def _end_cluster(c, cluster):
    """After a failure, the tail of every log (nodes and workers); then
    teardown, and a check that it left no node process behind."""
    if c.failed:
        for log in sorted((cluster.dir / "logs").glob("*.log")):
            print(f"--- {log.name} (tail) ---")
            print("\n".join(log.read_text(errors="replace")
                            .splitlines()[-40:]), flush=True)
    for proc in cluster.procs.values():
        proc.signal(signal.SIGCONT)  # a test may have paused one
    cluster.teardown()
    leftovers = [p.pid for p in list(cluster.procs.values()) +
                 cluster.old_procs if p.alive()]
    c.check("teardown: no node process left", not leftovers,
            f"pids {leftovers}")
