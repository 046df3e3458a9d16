#!/usr/bin/python3
"""Security (issue 12, item 9): every node anchors its audit log head in the
replicated log, so cutting the tail of a node's audit.log is detected by
`slurpctl audit verify FILE --cluster --node ID`.

  audit_anchor_test.py BIN_DIR

A 3-node cluster with [limits] audit_anchor_interval_ms = 500. An observer
gets a few requests refused by n2, so n2's log grows; `status` (a leader
read, asked of n1) lists an anchor for every node. Then n2 is stopped
(SIGTERM) and, with the cluster's config and the observer's key:
  - n2's whole audit.log verifies against the cluster's anchor: exit 0,
    saying what the anchor proves;
  - a copy cut to a whole-line prefix before the anchored seq: exit 1,
    "the file was cut: it ends at seq X, but the cluster attested seq Y";
  - n2 restarted from the cut file: the cluster counts a regression for
    n2 (status audit_anchors[n2].regressions) even once n2 has written
    past the anchored seq again, and verify of its file exits 1;
  - `slurpctl status` shows the regression on n2's anchor row;
  - --cluster for a node the cluster holds no anchor for: exit 3.
"""
import os
import pathlib
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] /
                       "integration"))
from cluster_harness import (  # noqa: E402
    Client, cluster_test_main, note, wait_for)

INTERVAL_MS = 500


def anchors(client):
    """status.audit_anchors by node id ({} when the call fails)."""
    reply = client.call({"type": "status"}, timeout=5.0) or {}
    return {a["node"]: a for a in reply.get("audit_anchors") or []}


def slurpctl_run(slurpctl, cluster, args):
    env = dict(os.environ,
               SLURP_CONFIG=str(cluster.dir / "cluster.toml"),
               SLURP_KEY=str(cluster.dir / "keys" / "observer.key"))
    r = subprocess.run([str(slurpctl)] + args, capture_output=True,
                       text=True, timeout=60, env=env)
    return r.returncode, r.stdout + r.stderr


def verify(slurpctl, cluster, path, node):
    return slurpctl_run(slurpctl, cluster, ["audit", "verify", str(path),
                                            "--cluster", "--node", node])


def run(c, ctx, cluster):
    slurpctl = cluster.bin_dir / "slurpctl"
    asker = Client(ctx, cluster, "n1", name="observer")
    try:
        n2 = Client(ctx, cluster, "n2", name="observer")
        for i in range(6):  # refused (observers may not generate): audited
            n2.call({"type": "generate", "request_id": "r%d" % i,
                     "address": "ucxl://p/a.go"})
            n2.call({"type": "no_such_request"})
        n2.close()
        c.check("status lists an anchor for every node",
                wait_for(lambda: len(anchors(asker)) == 3, 20),
                anchors(asker))
        c.check("n2's anchor reaches seq 6",
                wait_for(lambda: anchors(asker).get("n2", {}).get("seq", 0)
                         >= 6, 20), anchors(asker).get("n2"))

        proc = cluster.kill("n2", signal.SIGTERM)
        c.check("n2 stops on SIGTERM", proc.wait(20))
        anchor = anchors(asker).get("n2")
        if not c.check("the cluster (n1, n3) still answers with n2's anchor",
                       anchor is not None, anchor):
            return
        note("n2 anchored seq %d at log index %d" % (anchor["seq"],
                                                    anchor["index"]))
        log = cluster.nodes["n2"]["data_dir"] / "audit.log"
        lines = log.read_text().splitlines()
        c.check("n2's file holds the anchored seq",
                len(lines) >= anchor["seq"], (len(lines), anchor))

        code, out = verify(slurpctl, cluster, log, "n2")
        note(out.strip().replace("\n", "\n     "))
        c.check("the whole file verifies against the cluster: exit 0",
                code == 0 and "attested by the cluster's majority" in out,
                out)

        keep = anchor["seq"] - 2  # a whole-line prefix before the anchor
        cut = cluster.dir / "cut.log"
        cut.write_text("\n".join(lines[:keep]) + "\n")
        code, out = verify(slurpctl, cluster, cut, "n2")
        note(out.strip().replace("\n", "\n     "))
        expected = ("the file was cut: it ends at seq %d, but the cluster "
                    "attested seq %d" % (keep, anchor["seq"]))
        c.check("the cut file: exit 1, naming the cut",
                code == 1 and expected in out, out)

        # The cut put in place and n2 started again: its file ends before
        # the attested head. Anchors every 500 ms take it past that seq
        # soon; the regression must be counted all the same.
        shutil.copyfile(cut, log)
        cluster.restart("n2")
        c.check("the cluster counts n2's regression",
                wait_for(lambda: anchors(asker).get("n2", {})
                         .get("regressions", 0) >= 1, 20),
                anchors(asker).get("n2"))
        after = anchors(asker).get("n2", {})
        note("after the restart: %s" % after)
        c.check("the regression names the seq n2's file ended at",
                after.get("last_regression_seq") == keep, after)
        code, out = verify(slurpctl, cluster, log, "n2")
        c.check("n2's file after the restart: exit 1, with the evidence",
                code == 1 and "EVIDENCE" in out, out)

        code, out = slurpctl_run(slurpctl, cluster, ["status"])
        row = [line for line in out.splitlines()
               if line.startswith("n2 ") and "records lost" in line]
        c.check("slurpctl status shows n2's regression", code == 0 and row,
                out)

        code, out = verify(slurpctl, cluster, log, "n9")
        c.check("no anchor for the node: exit 3",
                code == 3 and "no audit anchor" in out, out)
    finally:
        asker.close()


def main():
    return cluster_test_main(
        __doc__, 200, run, 22000, 600, nodes=3,
        limits=["audit_anchor_interval_ms=%d" % INTERVAL_MS])


if __name__ == "__main__":
    sys.exit(main())
