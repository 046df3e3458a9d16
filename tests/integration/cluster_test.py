#!/usr/bin/python3
"""Integration test: a three-node slurp cluster as real processes.

  cluster_test.py BUILD_BIN_DIR

Starts a cluster with `tools/cluster up --nodes 3` (SLURP_BIN_DIR =
BUILD_BIN_DIR) in a fresh temporary directory on a free base port, and
talks to it over CURVE with raw pyzmq sockets, as a client written from
protocol/PROTOCOL.md would. The acceptance list:

  (1) every node's status names the same leader; a `generate` sent to a
      follower is forwarded and acknowledged `queued`.
  (2) SIGKILL the leader: a different leader is elected; every acknowledged
      request is still there (queued_tasks, and a resend of each request_id
      is a `duplicate` of the same job); generates streamed to a follower
      across the election, each retried with its own request_id, are all
      acknowledged exactly once. Prints the unavailability window.
  (3) the killed node, restarted as tools/cluster ran it, catches up (its
      stale status reaches the leader's commit index) and serves status.
  (4) SIGTERM the leader: it hands leadership over before it exits (exit 0),
      a node leads in a higher term within a short deadline, and a client
      sending generates back-to-back sees a gap under 1000 ms (printed).
  (5) garbage on a node's api (random bytes, wrong types, > 4 MiB, five
      frames, an unknown CURVE key) is answered with the right error codes
      or refused, and the node keeps serving.
  (6) a SUB per node sees election and request events with consecutive
      seq per node; fetch_events fills a gap (events dropped on purpose, a
      late subscriber, a restarted node's first events) exactly.

Waits are polls with deadlines. Prints one line per check and a summary
`cluster: N checks passed, M failed`; exits 1 when any check fails.
Only the standard library, python3-zmq and python3-msgpack.
"""
import pathlib
import random
import signal
import sys
import time

import msgpack
import zmq
from zmq.utils.monitor import recv_monitor_message

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from cluster_harness import (  # noqa: E402
    BAD_REQUEST, RETRYABLE, TOO_LARGE, Client, EventCollector,
    become_subreaper, cluster_test_main, next_id, note, now, read_key,
    wait_for)

OVERALL_DEADLINE_S = 240  # below the ctest TIMEOUT, so teardown still runs
SIGTERM_WINDOW_MAX_MS = 1000  # the target is 100 ms; this is the alarm


class ClusterTest:
    def __init__(self, c, ctx, cluster, events):
        self.c = c
        self.ctx = ctx
        self.cluster = cluster
        self.events = events
        self.clients = {}
        self.ledger = {}      # request_id -> job_id, from every ack seen
        self.conflicts = []   # (request_id, job_id, other job_id)
        self.addresses = {}   # request_id -> address
        self.leaders = []     # (leader, term) after each change, in order
        self.restarts = {}    # node -> [monotonic times we restarted it]

    # --- plumbing ----------------------------------------------------------

    def client(self, node):
        if node not in self.clients:
            self.clients[node] = Client(self.ctx, self.cluster, node)
        return self.clients[node]

    def status(self, node, stale=False, timeout=2.0):
        reply = self.client(node).call(
            {"type": "status", "stale": stale}, timeout)
        if reply is None or reply.get("type") != "status_reply":
            return None
        return reply

    def views(self, nodes):
        """Each node's own (stale) view: node -> status_reply or None."""
        return {n: self.status(n, stale=True, timeout=1.0) for n in nodes}

    def wait_leader(self, seconds, min_term=0, among=None):
        """(leader, term) once every live node (or every node of `among`)
        names the same live leader, which reports itself leader in a term
        >= min_term; None at the deadline."""
        def agreed():
            nodes = among or self.cluster.live_nodes()
            views = self.views(nodes)
            if any(v is None for v in views.values()):
                return None
            leaders = {v.get("leader") for v in views.values()}
            if len(leaders) != 1:
                return None
            leader = leaders.pop()
            if leader not in nodes or views[leader].get("term", 0) < min_term:
                return None
            return leader, views[leader]["term"]
        return wait_for(agreed, seconds, step=0.01)

    def record_ack(self, request_id, job_id):
        known = self.ledger.setdefault(request_id, job_id)
        if known != job_id:
            self.conflicts.append((request_id, known, job_id))

    def address_for(self, request_id):
        return self.addresses.setdefault(
            request_id, f"ucxl://proj/src/{request_id}.go")

    def generate(self, request_id):
        return {"type": "generate", "request_id": request_id,
                "address": self.address_for(request_id),
                "content": f"package {request_id}\n".encode()}

    def submit(self, node, request_id, deadline_s=30.0, attempt_s=3.0,
               on_first_send=None):
        """Sends a generate to `node` until it is acknowledged, resending
        the SAME request_id (with a new id) after a timeout or a retryable
        error. Returns a dict: job_id, outcome, t_first, t_ack, attempts,
        errors (codes seen), error (a final non-retryable error or
        'deadline')."""
        client = self.client(node)
        result = {"request_id": request_id, "job_id": None, "outcome": None,
                  "t_first": None, "t_ack": None, "attempts": 0,
                  "errors": [], "error": None}
        ids = set()
        backoff = 0.05
        end = now() + deadline_s
        while now() < end:
            ids.add(client.send(self.generate(request_id)))
            result["attempts"] += 1
            if result["t_first"] is None:
                result["t_first"] = now()
                if on_first_send is not None:
                    on_first_send()
            reply = client.receive(ids, min(end, now() + attempt_s))
            if reply is None:
                result["errors"].append("no reply")
                continue
            if reply.get("type") == "generate_reply":
                result.update(job_id=reply.get("job_id"),
                              outcome=reply.get("outcome"), t_ack=now())
                self.record_ack(request_id, result["job_id"])
                return result
            code = reply.get("code")
            result["errors"].append(code)
            if reply.get("type") == "error" and code in RETRYABLE:
                time.sleep(backoff)
                backoff = min(backoff * 2, 0.4)
                continue
            result["error"] = reply
            return result
        result["error"] = "deadline"
        return result

    def stream(self, node, request_ids, interval_s, on_send=None,
               deadline_s=40.0, attempt_s=3.0):
        """Starts a generate every interval_s on one DEALER without waiting
        for earlier ones, each retried like submit(). on_send(i) runs right
        after request i is first sent. Returns {request_id: result}."""
        client = self.client(node)
        results, pending, owner = {}, {}, {}
        start = now()
        end = start + deadline_s
        nxt = 0
        next_new = start

        def send(rid):
            st = pending[rid]
            msg_id = client.send(self.generate(rid))
            owner[msg_id] = rid
            st["attempts"] += 1
            st["waiting"] = True
            st["resend_at"] = now() + attempt_s
            if st["t_first"] is None:
                st["t_first"] = now()

        while (nxt < len(request_ids) or pending) and now() < end:
            t = now()
            if nxt < len(request_ids) and t >= next_new:
                rid = request_ids[nxt]
                pending[rid] = {"request_id": rid, "t_first": None,
                                "t_ack": None, "job_id": None,
                                "outcome": None, "attempts": 0, "errors": [],
                                "error": None, "backoff": 0.05}
                send(rid)
                if on_send is not None:
                    on_send(nxt)
                nxt += 1
                next_new = t + interval_s
            for rid, st in list(pending.items()):
                if now() >= st["resend_at"]:
                    if st["waiting"]:
                        st["errors"].append("no reply")
                    send(rid)
            wake = min([st["resend_at"] for st in pending.values()] +
                       ([next_new] if nxt < len(request_ids) else []) + [end])
            reply = client.receive(None, max(wake, now() + 0.001))
            if reply is None:
                continue
            rid = owner.get(reply.get("id"))
            if reply.get("type") == "generate_reply" and rid is not None:
                self.record_ack(rid, reply.get("job_id"))
            if rid not in pending:
                continue  # a late answer to a request already settled
            st = pending[rid]
            if reply.get("type") == "generate_reply":
                st.update(job_id=reply.get("job_id"),
                          outcome=reply.get("outcome"), t_ack=now())
                results[rid] = pending.pop(rid)
            elif reply.get("type") == "error" and \
                    reply.get("code") in RETRYABLE:
                st["errors"].append(reply.get("code"))
                st["waiting"] = False
                st["resend_at"] = now() + st["backoff"]
                st["backoff"] = min(st["backoff"] * 2, 0.4)
            else:
                st["error"] = reply
                results[rid] = pending.pop(rid)
        for rid, st in pending.items():
            st["error"] = "deadline"
            results[rid] = st
        return results

    def queued_tasks(self, leader):
        reply = self.status(leader)
        return None if reply is None else reply.get("queued_tasks")

    def fetch_events(self, node, from_seq, limit=0):
        return self.client(node).call(
            {"type": "fetch_events", "from_seq": from_seq, "limit": limit})

    # --- (1) ---------------------------------------------------------------

    def check_up(self):
        c = self.c
        got = self.wait_leader(10)
        if not c.check("(1) tools/cluster up: 3 nodes run and agree on a "
                       "leader (stale status of each)",
                       got is not None and len(self.cluster.live_nodes()) == 3,
                       f"views={self.views(self.cluster.nodes)}"):
            return False
        leader, term = got
        self.leaders.append(got)
        note(f"leader {leader}, term {term}")
        replies = {n: self.status(n) for n in self.cluster.nodes}
        c.check("(1) status sent to every node is answered by the leader "
                "and names it",
                all(r is not None and r.get("node") == leader
                    and r.get("leader") == leader and r.get("term") == term
                    for r in replies.values()),
                f"replies={replies}")
        members = replies[leader] and replies[leader].get("members", [])
        c.check("(1) the leader's status lists the 3 members, itself leader",
                sorted(m.get("node") for m in members or []) ==
                sorted(self.cluster.nodes)
                and any(m.get("node") == leader and m.get("state") == "leader"
                        for m in members or []), f"members={members}")
        follower = self.followers(leader)[0]
        result = self.submit(follower, "first")
        c.check(f"(1) generate through follower {follower} -> queued",
                result["outcome"] == "queued" and result["job_id"]
                and result["attempts"] == 1, f"result={result}")
        again = self.submit(follower, "first")
        c.check("(1) the same request_id again -> duplicate, same job_id",
                again["outcome"] == "duplicate"
                and again["job_id"] == result["job_id"], f"result={again}")
        return True

    def followers(self, leader):
        return [n for n in sorted(self.cluster.nodes)
                if n != leader and self.cluster.alive(n)]

    # --- (2) ---------------------------------------------------------------

    def check_sigkill(self):
        c = self.c
        leader, term = self.wait_leader(5) or (None, 0)
        if leader is None:
            c.check("(2) a leader before SIGKILL", False)
            return None
        follower = self.followers(leader)[0]
        for i in range(5):
            r = self.submit(follower, f"pre-kill-{i}")
            if not c.check(f"(2) pre-kill generate {i} acknowledged",
                           r["outcome"] == "queued", f"result={r}"):
                return None
        t_kill = {}
        proc = self.cluster.procs[leader]

        def kill_at(i):
            if i == 5:  # request 5 is in flight when the leader dies
                t_kill["t"] = now()
                proc.signal(signal.SIGKILL)

        rids = [f"kill-{i}" for i in range(60)]
        results = self.stream(follower, rids, interval_s=0.025,
                              on_send=kill_at)
        killed_at = t_kill.get("t", now())
        c.check(f"(2) SIGKILL: leader {leader} (pid {proc.pid}) is gone",
                proc.wait(5), "still running")
        got = self.wait_leader(10, min_term=term + 1)
        c.check("(2) a new, different leader is elected in a higher term",
                got is not None and got[0] != leader and got[1] > term,
                f"got={got} old={leader}/{term}")
        if got is None:
            return None
        self.leaders.append(got)
        new_leader, new_term = got
        note(f"new leader {new_leader}, term {new_term}")

        acked = [r for r in results.values() if r["t_ack"] is not None]
        failed = [r for r in results.values() if r["t_ack"] is None]
        c.check(f"(2) all {len(rids)} generates streamed to {follower} "
                "across the election are acknowledged",
                len(acked) == len(rids) and not failed,
                f"{len(failed)} not acknowledged: {failed[:3]}")
        jobs = [r["job_id"] for r in acked]
        c.check("(2) none duplicated: distinct job ids == requests, one job "
                "per request_id",
                len(set(jobs)) == len(rids) and not self.conflicts,
                f"{len(set(jobs))} distinct jobs for {len(rids)} requests; "
                f"conflicts={self.conflicts}")
        after = [r for r in acked if r["t_first"] > killed_at]
        if c.check("(2) requests first sent after the kill are acknowledged",
                   after, "none"):
            window_ms = (min(r["t_ack"] for r in after) - killed_at) * 1000
            print(f"unavailability after SIGKILL: {window_ms:.0f} ms",
                  flush=True)
        in_flight = [r for r in acked if r["t_first"] <= killed_at
                     and r["t_ack"] > killed_at]
        retried = sum(1 for r in acked if r["attempts"] > 1)
        note(f"{len(acked) - len(after) - len(in_flight)} acknowledged "
             f"before the kill, {len(in_flight)} in flight, {len(after)} "
             f"sent after; {retried} needed a resend; outcomes "
             f"{sorted({r['outcome'] for r in acked})}")

        distinct = set(self.ledger.values())
        queued = self.queued_tasks(new_leader)
        c.check("(2) the new leader's queued_tasks == distinct acknowledged "
                "jobs", queued == len(distinct) == len(self.ledger),
                f"queued_tasks={queued}, {len(distinct)} distinct jobs, "
                f"{len(self.ledger)} request ids")
        wrong = []
        for rid, job in sorted(self.ledger.items()):
            r = self.submit(follower, rid, deadline_s=10)
            if r["outcome"] != "duplicate" or r["job_id"] != job:
                wrong.append((rid, job, r))
        c.check(f"(2) each of the {len(self.ledger)} acknowledged request_ids"
                " resent -> duplicate with the same job_id", not wrong,
                f"{len(wrong)} wrong, e.g. {wrong[:3]}")
        c.check("(2) resending created no job",
                self.queued_tasks(new_leader) == len(distinct),
                f"queued_tasks={self.queued_tasks(new_leader)}")
        return {"killed": leader, "killed_at": killed_at,
                "leader": new_leader, "term": new_term}

    # --- (3) ---------------------------------------------------------------

    def check_restart(self, killed):
        c = self.c
        node, leader = killed["killed"], killed["leader"]
        before = self.status(leader)
        commit = before["commit_index"] if before else None
        restarted_at = now()
        proc = self.cluster.restart(node)
        self.restarts.setdefault(node, []).append(restarted_at)
        killed["restarted_at"] = restarted_at
        note(f"restarted {node} (pid {proc.pid}): "
             f"{' '.join(self.cluster.cmdlines[node][0])}; leader commit "
             f"index {commit}")

        def caught_up():
            v = self.status(node, stale=True, timeout=0.5)
            if v and commit is not None and v["commit_index"] >= commit:
                return v
            return None
        view = wait_for(caught_up, 15, step=0.02)
        c.check(f"(3) restarted {node} catches up: its stale status reaches "
                f"commit index >= {commit} within 15 s",
                view is not None and proc.alive(),
                f"last view={self.status(node, stale=True)}")
        if view is not None:
            note(f"caught up in {(now() - restarted_at) * 1000:.0f} ms: "
                 f"commit {view['commit_index']}, queued "
                 f"{view.get('queued_tasks')}, leader {view.get('leader')}")
            c.check(f"(3) {node}'s own state holds every acknowledged job",
                    view.get("queued_tasks") == len(set(self.ledger.values())),
                    f"queued_tasks={view.get('queued_tasks')}")
        reply = self.status(node)
        c.check(f"(3) {node} serves status (answered by leader {leader})",
                reply is not None and reply.get("node") == leader
                and reply.get("leader") == leader, f"reply={reply}")
        # Each peer connects twice to a node (a DEALER to its api, a SUB to
        # its events), and the node audits each handshake. Until both
        # peers are back, messages from the missing one are dropped (peer
        # DEALERs are `immediate` and reconnect with a backoff up to 5 s):
        # a leadership transfer to this node could then lose quorum.
        peers = [n for n in self.cluster.nodes if n != node]

        def reconnected():
            records = self.cluster.audit_records(node)
            starts = [i for i, r in enumerate(records)
                      if r.get("kind") == "node.started"]
            since = records[starts[-1]:] if starts else []
            count = {p: sum(1 for r in since
                            if r.get("kind") == "auth.accepted"
                            and r.get("detail", "").endswith(f" as {p}"))
                     for p in peers}
            return all(v >= 2 for v in count.values()) and count
        count = wait_for(reconnected, 12, step=0.02)
        c.check(f"(3) both peers reconnect to {node} (api and events "
                f"handshakes audited) within 12 s", count,
                f"auth.accepted after restart: {reconnected()}")
        note(f"peers reconnected to {node} "
             f"{(now() - restarted_at) * 1000:.0f} ms after the restart")
        up = self.events.wait_event(5, sub=leader, topic="node.up",
                                    attrs={"peer": node}, since=restarted_at)
        c.check(f"(3) leader {leader} announces node.up for {node}",
                up is not None)
        got = self.wait_leader(5)
        c.check("(3) all three nodes agree on the leader again",
                got is not None and len(self.cluster.live_nodes()) == 3,
                f"views={self.views(self.cluster.nodes)}")

    # --- (4) ---------------------------------------------------------------

    def check_sigterm(self):
        c = self.c
        got = self.wait_leader(5)
        if not c.check("(4) a leader before SIGTERM", got is not None):
            return None
        leader, term = got
        follower = self.followers(leader)[0]
        proc = self.cluster.procs[leader]
        log_before = len(self.cluster.log(leader))
        marks = {}

        def terminate():
            marks["t"] = now()
            proc.signal(signal.SIGTERM)

        acks, failures = [], []
        exited_at = None
        i = 0
        end = now() + 30
        while now() < end:
            hook = terminate if i == 15 else None
            r = self.submit(follower, f"term-{i}", deadline_s=10,
                            on_first_send=hook)
            i += 1
            if r["t_ack"] is None:
                failures.append(r)
                break
            acks.append(r)
            if exited_at is None and "t" in marks and not proc.alive():
                exited_at = now()
            after = [a for a in acks if "t" in marks and a["t_first"] >
                     marks["t"]]
            if exited_at is not None and len(after) >= 20:
                break
        t_term = marks.get("t", now())
        c.check(f"(4) SIGTERM: {leader} exits within 8 s",
                proc.wait(8), "still running")
        c.check(f"(4) {leader}'s exit status is 0",
                proc.exit_status == 0, f"exit status {proc.exit_status}")
        log = self.cluster.log(leader)[log_before:]
        hand = log.find("handing leadership to ")
        stepped = log.find("stepped down in term")
        stopping = log.find(f"node {leader} stopping")
        target = log[hand:].split()[3].rstrip(":") if hand >= 0 else None
        c.check(f"(4) {leader}'s log: hands leadership over and steps down "
                "before it stops",
                0 <= hand < stepped < stopping, f"log tail={log[-1500:]!r}")
        got = self.wait_leader(2, min_term=term + 1)
        c.check("(4) another node leads in a higher term (within 2 s)",
                got is not None and got[0] != leader and got[1] > term,
                f"got={got} views={self.views(self.cluster.live_nodes())}")
        if got is not None:
            self.leaders.append(got)
            c.check(f"(4) the new leader is the transfer target ({target}) "
                    f"and keeps leading: term {term} + 1, no second election",
                    got[0] == target and got[1] == term + 1,
                    f"new leader {got[0]} in term {got[1]}")
            elected = self.events.wait_event(
                3, sub=got[0], topic="leader.elected", term=got[1])
            if c.check(f"(4) leader.elected from {got[0]} in term {got[1]}",
                       elected is not None):
                ms = (elected["t"] - t_term) * 1000
                note(f"new leader {got[0]}, term {got[1]}: its "
                     f"leader.elected arrived {ms:.0f} ms after SIGTERM")
        c.check("(4) every generate across the SIGTERM is acknowledged once",
                not failures and len({a["job_id"] for a in acks}) == len(acks)
                and not self.conflicts,
                f"failures={failures[:2]} conflicts={self.conflicts}")
        times = [a["t_ack"] for a in acks]
        gaps = [(b - a) * 1000 for a, b in zip(times, times[1:])]
        if gaps:
            window = max(gaps)
            before = [g for g, t in zip(gaps, times[1:]) if t < t_term]
            print(f"unavailability after SIGTERM: {window:.0f} ms", flush=True)
            note(f"{len(acks)} acks, longest gap before SIGTERM "
                 f"{max(before or [0]):.1f} ms, median gap "
                 f"{sorted(gaps)[len(gaps) // 2]:.1f} ms")
            slow = [a for a in acks if a["t_ack"] - a["t_first"] > 0.05]
            for a in slow:
                note(f"{a['request_id']}: sent {(a['t_first'] - t_term) * 1000:+.0f} ms,"
                     f" acked {(a['t_ack'] - t_term) * 1000:+.0f} ms after SIGTERM,"
                     f" {a['attempts']} attempt(s), errors {a['errors']}")
            c.check(f"(4) SIGTERM unavailability window < "
                    f"{SIGTERM_WINDOW_MAX_MS} ms (target 100 ms)",
                    window < SIGTERM_WINDOW_MAX_MS, f"{window:.0f} ms")
        if exited_at is not None:
            note(f"{leader} exited ~{(exited_at - t_term) * 1000:.0f} ms "
                 "after SIGTERM")
        return {"stopped": leader, "leader": got[0] if got else None,
                "term": got[1] if got else None, "t_term": t_term}

    # --- (5) ---------------------------------------------------------------

    def check_garbage(self):
        c = self.c
        got = self.wait_leader(5)
        target = self.followers(got[0])[0] if got else \
            self.cluster.live_nodes()[0]
        note(f"garbage goes to {target}'s api")
        cl = Client(self.ctx, self.cluster, target)

        def error_of(reply, code, rid=None, field=None):
            return (reply is not None and reply.get("type") == "error"
                    and reply.get("code") == code
                    and (rid is None or reply.get("id") == rid)
                    and (field is None or reply.get("field") == field))

        rng = random.Random(1729)
        for n in range(8):
            size = rng.randint(1, 300)
            payload = bytes(rng.getrandbits(8) for _ in range(size))
            reply = cl.call(payload)
            c.check(f"(5) random bytes #{n} ({size} B, {payload[:4].hex()}..)"
                    " -> error bad_request/too_large with id 0",
                    reply is not None and reply.get("type") == "error"
                    and reply.get("code") in (BAD_REQUEST, TOO_LARGE)
                    and reply.get("id") == 0, f"reply={reply}")
        for label, payload in [
                ("reserved byte 0xc1", b"\xc1\x00\x01"),
                ("truncated map", b"\x83\xa1v\x01\xa4type"),
                ("not a map", msgpack.packb("hello")),
                ("trailing bytes", msgpack.packb({"v": 1, "type": "ping",
                                                  "id": 5}) + b"\x00")]:
            reply = cl.call(payload)
            c.check(f"(5) {label} -> error 1 bad_request, id 0",
                    error_of(reply, BAD_REQUEST, 0), f"reply={reply}")

        good = self.generate("garbage-typed")
        cases = [
            ("generate with address as int", {**good, "address": 42},
             "address"),
            ("generate with request_id as int", {**good, "request_id": 7},
             "request_id"),
            ("generate with content as str", {**good, "content": "text"},
             "content"),
            ("generate with wait as 1", {**good, "wait": 1}, "wait"),
            ("generate without address",
             {k: v for k, v in good.items() if k != "address"}, "address"),
            ("status with stale as 'yes'", {"type": "status", "stale": "yes"},
             "stale"),
            ("fetch_events with from_seq -1",
             {"type": "fetch_events", "from_seq": -1}, "from_seq"),
        ]
        for label, request, field in cases:
            rid = next_id()
            reply = cl.call({**request, "id": rid})
            c.check(f"(5) {label} -> error 1 bad_request, field {field}, "
                    "same id", error_of(reply, BAD_REQUEST, rid, field),
                    f"reply={reply}")
        reply = cl.call(msgpack.packb({"v": 1, "type": "ping", "id": "x"}))
        c.check("(5) ping with id as str -> error 1 bad_request, id 0",
                error_of(reply, BAD_REQUEST, 0, "id"), f"reply={reply}")
        rid = next_id()
        reply = cl.call({"type": "generate", "id": rid,
                         "request_id": "garbage-big-content",
                         "address": "ucxl://proj/src/big.go",
                         "content": b"x" * (3 * 1024 * 1024 + 1)}, 10)
        c.check("(5) generate with content > 3 MiB -> error 9 too_large, "
                "field content", error_of(reply, TOO_LARGE, rid, "content"),
                f"reply={reply}")
        big = msgpack.packb({"v": 1, "type": "ping", "id": next_id(),
                             "pad": b"x" * (4 * 1024 * 1024)})
        reply = cl.call(big, 10)
        c.check("(5) a payload over 4 MiB -> error 9 too_large, id 0",
                error_of(reply, TOO_LARGE, 0), f"reply={reply}")
        reply = cl.call([b"a", b"b", b"c", b"d", b"e"], 1.0)
        c.check("(5) five frames: dropped (or too_large), never another "
                "answer", reply is None or error_of(reply, TOO_LARGE, 0),
                f"reply={reply}")
        note(f"five frames: {'no reply' if reply is None else reply}")
        reply = cl.call({"type": "ping"})
        c.check("(5) the next valid request on that connection is answered",
                reply is not None and reply.get("type") == "pong",
                f"reply={reply}")

        # An unknown CURVE key: the handshake is refused (ZAP 400).
        public, secret = zmq.curve_keypair()
        since = now()
        stranger = Client(self.ctx, self.cluster, target, secret=secret,
                          monitor=True)
        stranger.send({"type": "ping"})
        seen, event = [], None
        deadline = now() + 5
        while now() < deadline and stranger.monitor.poll(
                int((deadline - now()) * 1000)):
            e = recv_monitor_message(stranger.monitor)
            seen.append(e["event"])
            if e["event"] in (zmq.EVENT_HANDSHAKE_FAILED_AUTH,
                              zmq.EVENT_HANDSHAKE_SUCCEEDED):
                event = e
                break
        c.check("(5) unknown key: handshake fails with ZAP status 400",
                event is not None
                and event["event"] == zmq.EVENT_HANDSHAKE_FAILED_AUTH
                and event["value"] == 400, f"event={event} seen={seen}")
        c.check("(5) unknown key: no reply",
                stranger.receive(None, now() + 1.0) is None)
        stranger.close()
        key = public.decode()

        def audited():
            return [r for r in self.cluster.audit_records(target)
                    if r.get("kind") == "auth.refused"
                    and r.get("actor") == key]
        c.check(f"(5) {target}'s audit.log: auth.refused with the unknown "
                "key", wait_for(audited, 5),
                f"kinds={[r.get('kind') for r in self.cluster.audit_records(target)][-10:]}")
        c.check(f"(5) {target}'s log: the refusal is logged",
                wait_for(lambda: "ZAP refused" in self.cluster.log(target)
                         and key in self.cluster.log(target), 5),
                self.cluster.log(target)[-1500:])
        c.check(f"(5) auth.failed event from {target}",
                self.events.wait_event(5, sub=target, topic="auth.failed",
                                       since=since) is not None)
        admin = Client(self.ctx, self.cluster, target)
        reply = admin.call({"type": "ping"})
        c.check("(5) then a request with the admin key is answered",
                reply is not None and reply.get("type") == "pong"
                and reply.get("peer_name") == "admin", f"reply={reply}")
        reply = admin.call({"type": "status"})
        c.check(f"(5) {target} still serves status and forwards to the "
                "leader", reply is not None and reply.get("type") ==
                "status_reply" and reply.get("leader") is not None,
                f"reply={reply}")
        admin.close()
        cl.close()

    # --- (6) ---------------------------------------------------------------

    def incarnations(self, records):
        """Splits one socket's records into incarnations of the node: our
        restart of it, a seq that does not rise, or a beacon whose seq is
        below the last event's starts a new one (seq restarts at 1).
        Returns [dict(events=[...], beacon_faults=[...])]."""
        restarts = sorted(self.restarts.get(records[0]["sub"], [])) \
            if records else []
        out = [{"events": [], "beacon_faults": []}]
        for r in records:
            m = r["msg"]
            if not m:
                continue
            if restarts and r["t"] >= restarts[0]:
                restarts.pop(0)
                out.append({"events": [], "beacon_faults": []})
            cur = out[-1]
            last = cur["events"][-1]["msg"]["seq"] if cur["events"] else None
            if m.get("type") == "event":
                if last is not None and m["seq"] <= last:
                    out.append({"events": [], "beacon_faults": []})
                out[-1]["events"].append(r)
            elif m.get("type") == "beacon" and last is not None:
                if m["seq"] < last:
                    out.append({"events": [], "beacon_faults": []})
                elif m["seq"] != last:
                    cur["beacon_faults"].append((last, m["seq"]))
        return [inc for inc in out if inc["events"]]

    def check_events(self, killed, stopped):
        c = self.c
        records = self.events.snapshot()
        problems = [(r["sub"], r["problem"]) for r in records if r["problem"]]
        c.check(f"(6) {len(records)} messages on the events sockets: frames "
                "[topic, payload], node = the publisher", not problems,
                f"{problems[:5]}")

        # Election events, after each leader change.
        if killed:
            r = self.events.wait_event(
                3, sub=killed["leader"], topic="leader.elected",
                term=killed["term"], attrs={"leader": killed["leader"]})
            c.check(f"(6) after SIGKILL: leader.elected from "
                    f"{killed['leader']} in term {killed['term']}",
                    r is not None and r["t"] > killed["killed_at"])
            r = self.events.wait_event(
                3, sub=killed["leader"], topic="node.down",
                attrs={"peer": killed["killed"]}, since=killed["killed_at"])
            c.check(f"(6) after SIGKILL: node.down for {killed['killed']} "
                    f"from {killed['leader']}", r is not None)
        if stopped and stopped["leader"]:
            r = self.events.wait_event(
                3, sub=stopped["leader"], topic="leader.elected",
                term=stopped["term"])
            c.check(f"(6) after SIGTERM: leader.elected from "
                    f"{stopped['leader']} in term {stopped['term']}",
                    r is not None and r["t"] > stopped["t_term"])
            r = self.events.wait_event(
                1, sub=stopped["stopped"], topic="leader.stepped_down",
                since=stopped["t_term"])
            note(f"leader.stepped_down from {stopped['stopped']} before it "
                 f"exited: {'seen' if r else 'not seen (PUB is lossy at exit)'}")

        # node.down only for a member that was really down: the killed node
        # until its restart, the stopped one after its SIGTERM.
        dead = []
        if killed:
            dead.append((killed["killed"], killed["killed_at"],
                         killed.get("restarted_at", float("inf"))))
        if stopped:
            dead.append((stopped["stopped"], stopped["t_term"],
                         float("inf")))
        spurious = []
        for r in self.events.events(topic="node.down"):
            peer = r["msg"].get("attrs", {}).get("peer")
            if not any(p == peer and a <= r["t"] and r["t"] <= b + 1.0
                       for p, a, b in dead):
                spurious.append((r["sub"], peer, r["msg"]["seq"]))
        # Health is "heard from within an election timeout": a member that
        # kept running is never reported down.
        c.check("(6) no node.down for a member that was running",
                not spurious, f"(publisher, peer, seq) = {spurious}")

        # Request events for fresh generates, from the current leader.
        got = self.wait_leader(5)
        if not c.check("(6) a leader for the event checks", got is not None):
            return
        leader, term = got
        follower = self.followers(leader)[0]
        since = now()
        acks = [self.submit(follower, f"events-{i}") for i in range(12)]
        missing = []
        for a in acks:
            accepted = self.events.wait_event(
                3, sub=leader, topic="request.accepted", since=since,
                attrs={"request_id": a["request_id"],
                       "job_id": str(a["job_id"]), "outcome": "queued"})
            queued = self.events.wait_event(
                3, sub=leader, topic="job.queued", since=since,
                attrs={"job_id": str(a["job_id"])})
            if accepted is None or queued is None or a["outcome"] != "queued":
                missing.append((a["request_id"], a["job_id"],
                                accepted is not None, queued is not None))
        c.check(f"(6) request.accepted and job.queued from leader {leader} "
                f"for each of {len(acks)} new generates", not missing,
                f"missing={missing}")
        others = [r for r in self.events.events(since=since)
                  if r["sub"] != leader and r["msg"]["topic"] in
                  ("request.accepted", "job.queued")]
        c.check("(6) state-machine events come from the leader alone",
                not others, f"{[(r['sub'], r['msg']) for r in others[:3]]}")

        # seq: consecutive per node and incarnation; beacons agree.
        wait_for(lambda: False, 0.3)  # let beacons after the last event in
        records = self.events.snapshot()
        for node in sorted(self.cluster.nodes):
            incs = self.incarnations([r for r in records if r["sub"] == node])
            gaps, faults = [], []
            for inc in incs:
                seqs = [r["msg"]["seq"] for r in inc["events"]]
                gaps += [(a, b) for a, b in zip(seqs, seqs[1:]) if b != a + 1]
                faults += inc["beacon_faults"]
            spans = [f"{inc['events'][0]['msg']['seq']}.."
                     f"{inc['events'][-1]['msg']['seq']}" for inc in incs]
            c.check(f"(6) {node}: seq strictly increasing and consecutive "
                    f"(incarnations seen: {spans})", incs and not gaps,
                    f"gaps={gaps[:5]}")
            c.check(f"(6) {node}: each beacon's seq == the last event seq",
                    not faults, f"(last event, beacon) = {faults[:5]}")
        restarted = killed["killed"] if killed else None
        if restarted and self.cluster.alive(restarted):
            incs = self.incarnations(
                [r for r in records if r["sub"] == restarted])
            c.check(f"(6) {restarted} seen in two incarnations (restart)",
                    len(incs) == 2, f"{len(incs)} incarnations")
            first = incs[-1]["events"][0]["msg"]["seq"] if incs else 1
            reply = self.fetch_events(restarted, 1)
            evs = reply.get("events", []) if reply else []
            seqs = [e["seq"] for e in evs]
            seen = {r["msg"]["seq"]: r["msg"] for r in incs[-1]["events"]} \
                if incs else {}
            c.check(f"(6) {restarted} after its restart: fetch_events from 1 "
                    f"starts at seq 1 with node.up and covers the "
                    f"{first - 1} events before the first one SUB saw",
                    reply is not None and seqs[:1] == [1]
                    and evs[0]["topic"] == "node.up"
                    and seqs == list(range(1, len(seqs) + 1))
                    and len(seqs) >= first - 1
                    and all(seen[e["seq"]] == {"v": 1, "type": "event", **e}
                            for e in evs if e["seq"] in seen),
                    f"first seen {first}, fetched {seqs[:10]}, reply="
                    f"{str(reply)[:400]}")

        # A gap on purpose: forget some events we received, fetch them.
        incs = self.incarnations([r for r in records if r["sub"] == leader])
        window = [r["msg"] for r in incs[-1]["events"] if r["t"] >= since] \
            if incs else []
        if c.check(f"(6) enough events from {leader} to cut a gap",
                   len(window) >= 12, f"{len(window)} events"):
            dropped = window[3:10]
            lo, hi = dropped[0]["seq"], dropped[-1]["seq"]
            reply = self.fetch_events(leader, lo, limit=len(dropped))
            got_events = reply.get("events", []) if reply else []
            c.check(f"(6) fetch_events({lo}, limit {len(dropped)}) from "
                    f"{leader} returns exactly seq {lo}..{hi}, as seen",
                    reply is not None and reply.get("type") == "events_reply"
                    and reply.get("first_available_seq", lo + 1) <= lo
                    and [e["seq"] for e in got_events] ==
                    list(range(lo, hi + 1))
                    and [{"v": 1, "type": "event", **e} for e in got_events]
                    == dropped,
                    f"reply={str(reply)[:600]}")

        self.check_late_subscriber(leader, follower)

    def check_late_subscriber(self, leader, follower):
        """A SUB that connects late sees a first seq > 1 and fetches the
        events before it; they match what the early subscriber saw."""
        c = self.c
        sub = self.ctx.socket(zmq.SUB)
        sub.linger = 0
        secret = read_key(self.cluster.dir / "keys" / "observer.key")
        sub.curve_secretkey = secret
        sub.curve_publickey = zmq.curve_public(secret)
        sub.curve_serverkey = self.cluster.nodes[leader]["pub"]
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(self.cluster.nodes[leader]["events"])
        # Connected once the leader's periodic beacon arrives.
        beacon = None
        deadline = now() + 5
        while beacon is None and now() < deadline:
            if sub.poll(int((deadline - now()) * 1000)):
                frames = sub.recv_multipart()
                if frames[0] == b"beacon":
                    beacon = msgpack.unpackb(frames[1])
        late = []
        if beacon is not None:
            self.submit(follower, "late-subscriber")
            deadline = now() + 3
            while not late and now() < deadline:
                if sub.poll(int((deadline - now()) * 1000)):
                    frames = sub.recv_multipart()
                    if frames[0] != b"beacon":
                        late.append(msgpack.unpackb(frames[1]))
        sub.close()
        if not c.check(f"(6) a late subscriber to {leader} sees a beacon, "
                       "then events", beacon is not None and late,
                       f"beacon={beacon} events={late}"):
            return
        first = late[0]["seq"]
        c.check("(6) the late subscriber's first event is seq beacon.seq + 1",
                first == beacon["seq"] + 1 and first > 1,
                f"beacon seq {beacon['seq']}, first event {first}")
        fetched = []
        while len(fetched) < first - 1:
            reply = self.fetch_events(leader, len(fetched) + 1)
            batch = [e for e in (reply or {}).get("events", [])
                     if e["seq"] < first]
            if not batch:
                break
            fetched += batch
        seqs = [e["seq"] for e in fetched]
        records = self.events.snapshot()
        incs = self.incarnations([r for r in records if r["sub"] == leader])
        seen = {r["msg"]["seq"]: r["msg"] for r in incs[-1]["events"]} \
            if incs else {}
        mismatched = [e["seq"] for e in fetched if e["seq"] in seen
                      and seen[e["seq"]] != {"v": 1, "type": "event", **e}]
        c.check(f"(6) fetch_events fills the late subscriber's gap exactly: "
                f"seq 1..{first - 1}, matching the early subscriber's events "
                f"({len([s for s in seqs if s in seen])} compared)",
                seqs == list(range(1, first)) and not mismatched,
                f"fetched {seqs[:5]}..{seqs[-5:]}, mismatched {mismatched[:5]}")


def run(c, ctx, cluster):
    # begin_test asked to be the nodes' subreaper; asking again says
    # whether that worked (prctl answers the same).
    c.check("this process reaps the nodes (PR_SET_CHILD_SUBREAPER), so "
            "their exit status is known", become_subreaper())
    events = EventCollector(ctx, cluster)
    events.start()
    test = ClusterTest(c, ctx, cluster, events)
    try:
        if test.check_up():
            killed = test.check_sigkill()
            if killed:
                test.check_restart(killed)
            stopped = test.check_sigterm()
            test.check_garbage()
            test.check_events(killed, stopped)
    finally:
        for client in test.clients.values():
            client.close()
        events.stop()


def main():
    return cluster_test_main(__doc__, OVERALL_DEADLINE_S, run, 20000, 1990,
                             nodes=3)


if __name__ == "__main__":
    sys.exit(main())
