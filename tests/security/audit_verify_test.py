#!/usr/bin/python3
"""Security (issue 12, item 9): `slurpctl audit verify` on a real node's
audit log says what it proves and exits 0 intact, 1 tampered, 2 usage.

  audit_verify_test.py BIN_DIR

A 1-node cluster (tools/cluster); an observer sends requests the node
refuses, then the cluster is stopped, so the log holds node.started,
refusals, node.stopped and epoch seals. Checked, with the node's own
audit.log and audit.verify-key:
  - verify with --key: exit 0, "MACs verified"; without: exit 0 and
    "STRUCTURE ONLY";
  - an edited detail with the public hash chain recomputed (what anyone
    with write access can do): exit 0 without the key (structure cannot
    tell), exit 1 naming the line with it;
  - a removed middle record: exit 1;
  - a cut tail: exit 0 with the key alone, exit 1 with --anchor SEQ:MAC of
    the last record (as the replicated log would attest it);
  - no file, an unreadable key file, a malformed --anchor: exit 2.
"""
import hashlib
import json
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] /
                       "integration"))
from cluster_harness import Client, cluster_test_main, note  # noqa: E402


def rechain(lines):
    """Renumbers seq from 1 and recomputes the public SHA-256 chain, as an
    attacker without the key would after editing (audit_format.h)."""
    out, prev = [], "0" * 64
    for seq, line in enumerate(lines, start=1):
        rest = line[line.index(","):line.index(',"prev":"')]
        body = '{"seq":%d%s,"prev":"%s"' % (seq, rest, prev)
        digest = hashlib.sha256((prev + "\n" + body).encode()).hexdigest()
        out.append(body + ',"hash":"%s"' % digest +
                   line[line.index(',"mac":"'):])
        prev = digest
    return out


def verify(slurpctl, args):
    r = subprocess.run([str(slurpctl), "audit", "verify"] + args,
                       capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def make_log(ctx, cluster):
    """Gets refusals audited, then stops the node, so its log ends with
    node.stopped and the seal; returns its data dir."""
    client = Client(ctx, cluster, "n1", name="observer")
    for i in range(20):
        client.call({"type": "no_such_request_%d" % (i % 3)})
    client.close()
    cluster.teardown()
    return cluster.nodes["n1"]["data_dir"]


def run(c, ctx, cluster):
    slurpctl = cluster.bin_dir / "slurpctl"
    data_dir = make_log(ctx, cluster)
    log, key = data_dir / "audit.log", data_dir / "audit.verify-key"
    lines = log.read_text().splitlines()
    kinds = [json.loads(line)["kind"] for line in lines]
    note("%d records: %s" % (len(lines), ", ".join(sorted(set(kinds)))))
    c.check("the node wrote a chain with refusals",
            len(lines) >= 4 and "request.rejected" in kinds, kinds)

    code, out = verify(slurpctl, [str(log), "--key", str(key)])
    note(out.strip().replace("\n", "\n     "))
    c.check("intact log, with the key: exit 0, MACs verified",
            code == 0 and "MACs verified" in out, out)
    code, out = verify(slurpctl, [str(log)])
    c.check("intact log, no key: exit 0, says structure only",
            code == 0 and "STRUCTURE ONLY" in out, out)

    edited = cluster.dir / "edited.log"
    victim = next(i for i, k in enumerate(kinds)
                  if k == "request.rejected")
    forged = list(lines)
    forged[victim] = forged[victim].replace('"actor":"',
                                            '"actor":"forged-', 1)
    edited.write_text("\n".join(rechain(forged)) + "\n")
    code, out = verify(slurpctl, [str(edited)])
    c.check("edited + rechained, no key: structure cannot tell (exit 0)",
            code == 0, out)
    code, out = verify(slurpctl, [str(edited), "--key", str(key)])
    c.check("edited + rechained, with the key: exit 1 at that line",
            code == 1 and (":%d:" % (victim + 1)) in out, out)

    removed = cluster.dir / "removed.log"
    removed.write_text("\n".join(lines[:2] + lines[3:]) + "\n")
    code, out = verify(slurpctl, [str(removed), "--key", str(key)])
    c.check("a removed middle record: exit 1", code == 1, out)

    last = json.loads(lines[-1])
    anchor = "%d:%s" % (last["seq"], last["mac"])
    cut = cluster.dir / "cut.log"
    cut.write_text("\n".join(lines[:-2]) + "\n")
    code, out = verify(slurpctl, [str(log), "--key", str(key),
                                  "--anchor", anchor])
    c.check("the whole log matches its anchor: exit 0",
            code == 0 and "anchors from the replicated log match" in out,
            out)
    code, out = verify(slurpctl, [str(cut), "--key", str(key)])
    c.check("a cut tail passes without an anchor (exit 0)",
            code == 0, out)
    code, out = verify(slurpctl, [str(cut), "--key", str(key),
                                  "--anchor", anchor])
    c.check("a cut tail fails against the anchor: exit 1",
            code == 1 and "cut from the tail" in out, out)

    code, out = verify(slurpctl, [str(cluster.dir / "missing.log")])
    c.check("no such file: exit 2", code == 2, out)
    code, out = verify(slurpctl, [str(log), "--key", str(log)])
    c.check("a key file that is not a key: exit 2", code == 2, out)
    code, out = verify(slurpctl, [str(log), "--anchor", "x:y"])
    c.check("a malformed anchor: exit 2", code == 2, out)
    code, out = verify(slurpctl, [])
    c.check("no FILE: exit 2", code == 2, out)


def main():
    return cluster_test_main(__doc__, 180, run, 44000, 440, nodes=1)


if __name__ == "__main__":
    sys.exit(main())
