#!/usr/bin/python3
"""Integration: slurpctl against a local cluster, on a pipe and on a
terminal (tmux).

  slurpctl_test.py BIN_DIR

A 3-node cluster with 2 workers (tools/cluster up). Checks:
  - `generate --recursive --wait` over a real tree nobody here wrote
    (CMake's own modules, /usr/share/cmake-3.*, over 2,000 files) on a pipe:
    progress as plain lines on stderr, every file and directory completed,
    and `export --format jsonl` of the project holds every one of them;
  - `generate --by-path` of a part of it: the workers read the files
    (their --file-root) and every context hashes the bytes they read;
  - the same command on a terminal (tmux), as another project, draws a
    progress bar and completes;
  - get (text and --json), status (tables), cluster, watch and cancel of a
    finished job, export --format json and markdown;
  - error messages: each error code the cluster can be made to answer here
    is printed with its name and a "what to do" line, and the exit code
    matches --help (bad_request, unauthenticated, forbidden, not_found,
    conflict, timeout, and a usage error). Every code's advice text itself
    is checked by tests/client/error_advice_test.cc.
"""
import glob
import hashlib
import json
import os
import pathlib
import re
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from cluster_harness import (  # noqa: E402
    cluster_test_main, note, wait_for)


def real_tree():
    """A tree of a Debian package this project builds with anyway."""
    trees = sorted(glob.glob("/usr/share/cmake-3.*"))
    return pathlib.Path(trees[-1]) if trees else None


def count_tree(root):
    files = dirs = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")
                       and not os.path.islink(os.path.join(dirpath, d))]
        dirs += 1
        files += sum(1 for f in filenames if not f.startswith(".")
                     and os.path.isfile(os.path.join(dirpath, f))
                     and not os.path.islink(os.path.join(dirpath, f)))
    return files, dirs


class Ctl:
    def __init__(self, bin_dir, cluster):
        self.binary = str(bin_dir / "slurpctl")
        self.cluster = cluster
        self.env = dict(os.environ, SLURP_CONFIG=str(cluster.dir /
                                                     "cluster.toml"))
        self.env.pop("SLURP_KEY", None)

    def run(self, *args, key=None, timeout=120, cwd=None):
        env = dict(self.env)
        if key:
            env["SLURP_KEY"] = str(self.cluster.dir / "keys" / f"{key}.key")
        p = subprocess.run([self.binary] + list(args), capture_output=True,
                           timeout=timeout, env=env, cwd=cwd)
        return (p.returncode, p.stdout.decode(errors="replace"),
                p.stderr.decode(errors="replace"))


def check_generate_pipe(c, ctl, tree):
    files, dirs = count_tree(tree)
    note(f"tree {tree}: {files} files, {dirs} directories")
    c.check("the tree has at least 2,000 files", files >= 2000, files)
    code, out, err = ctl.run("generate", "--recursive", str(tree),
                             "--project", "cm", "--root", str(tree.parent),
                             "--wait", "--in-flight", "128", timeout=400)
    c.check("generate --recursive --wait exits 0", code == 0,
            (out + err)[-1500:])
    c.check("on a pipe: progress as plain lines, no bar",
            re.search(r"slurpctl: \d+/\d+ acknowledged", err) is not None
            and "\r" not in err and "[#" not in err, err[-800:])
    summary = re.search(r"generate: (\d+) files and (\d+) directories", out)
    c.check("the summary counts every file and directory",
            summary and int(summary.group(1)) == files
            and int(summary.group(2)) == dirs, out[-600:])
    c.check("every job completed",
            re.search(rf"completed {files + dirs}, did not complete 0", out)
            is not None, out[-600:])
    code, out, err = ctl.run("export", "--format", "jsonl", "ucxl://cm/")
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    c.check("export jsonl: one context per file and directory",
            code == 0 and len(lines) == files + dirs,
            f"{code} {len(lines)} vs {files + dirs} {err[-300:]}")
    directories = [x for x in lines if x["language"] == "directory"]
    top = [x for x in directories
           if x["address"].endswith("/" + tree.name)]
    # Binary files have no language, so no share: they are the rest.
    binary = sum(1 for x in lines if "binary" in x["tags"])
    c.check("export: the directories are rolled up; the top one covers the "
            "tree", len(directories) == dirs and len(top) == 1
            and sum(s["files"] for s in top[0]["languages"]) + binary == files,
            (binary, top[:1]))
    return lines


def check_by_path(c, ctl, tree):
    """--by-path: only paths go through the log; the workers read the
    files under their --file-root and hash what they read."""
    sub = tree / "Modules" / "Platform"
    files, dirs = count_tree(sub)
    code, out, err = ctl.run("generate", "--recursive", "--by-path", str(sub),
                             "--project", "bypath", "--root", str(tree),
                             "--wait", timeout=300)
    c.check("generate --by-path: every job completed",
            code == 0 and re.search(
                rf"completed {files + dirs}, did not complete 0", out)
            is not None, (out + err)[-800:])
    code, out, err = ctl.run("export", "--format", "jsonl", "ucxl://bypath/")
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    c.check("--by-path: one context per file and directory",
            code == 0 and len(lines) == files + dirs,
            f"{code} {len(lines)} vs {files + dirs} {err[-300:]}")
    a_file = next((x for x in lines if x["language"] != "directory"), None)
    expected = ""
    if a_file:
        rel = a_file["address"].split("/Modules/Platform/", 1)[-1]
        expected = hashlib.sha256((sub / rel).read_bytes()).hexdigest()
    c.check("--by-path: the context hashes the bytes the worker read",
            a_file is not None and a_file["content_hash"] == expected,
            (a_file or {}).get("address"))


def check_reads(c, ctl, contexts):
    a_file = next(x for x in contexts if x["language"] == "cmake")
    code, out, _ = ctl.run("get", a_file["address"])
    c.check("get: readable text with language and lines",
            code == 0 and out.startswith(a_file["address"])
            and "language: cmake" in out and "lines:" in out, out[:400])
    code, out, _ = ctl.run("get", a_file["address"], "--json")
    got = json.loads(out) if code == 0 else {}
    c.check("get --json: the whole context",
            got.get("address") == a_file["address"]
            and got.get("metrics") == a_file["metrics"], out[:300])
    code, out, _ = ctl.run("status")
    c.check("status: leader, members, queue and workers tables",
            code == 0 and re.search(r"^leader\s+n\d", out, re.M)
            and "MEMBER" in out and "PRIORITY" in out and "WORKER" in out
            and "rates:" in out, out)
    c.check("status: the answering node's loop turn and memory",
            re.search(r"^longest loop turn\s+\d+ ms \(\d+ ms in the last "
                      r"10 s\)$", out, re.M)
            and re.search(r"^resident memory\s+[\d.]+ MiB$", out, re.M), out)
    code, out, _ = ctl.run("status", "--json")
    status = json.loads(out) if code == 0 else {}
    c.check("status --json: workers listed with completions",
            any(w["jobs_completed"] > 0 for w in status.get("workers", [])),
            out[:400])
    c.check("status --json: loop turns measured after the traffic, memory "
            "in bytes",
            status.get("loop_turn_max_ms", 0) >= 1
            and status.get("rss_bytes", 0) > (1 << 20), out[:400])
    code, out, _ = ctl.run("cluster")
    c.check("cluster: every node answers",
            code == 0 and len(re.findall(r"^n\d\s.*\byes\b", out, re.M)) == 3,
            out)
    code, out, _ = ctl.run("generate", a_file["address"].split("/*^/")[-1],
                           "--project", "one", "--json",
                           cwd=str(real_tree().parent))
    item = json.loads(out.splitlines()[0]) if code == 0 and out else {}
    job = item.get("job_id")
    c.check("generate --json: one object per item with its job id",
            job and item.get("outcome") == "queued", out[:300])
    code, out, _ = ctl.run("watch", str(job), "--interval-ms", "100")
    c.check("watch: follows the job to completed, exit 0",
            code == 0 and out.rstrip().endswith(")")
            and "completed" in out, out)
    code, out, err = ctl.run("cancel", str(job))
    c.check("cancel of a finished job: conflict, exit 2, with advice",
            code == 2 and "conflict" in err and "what to do:" in err,
            f"{code} {out} {err}")
    code, out, _ = ctl.run("export", "--format", "json", "ucxl://one/")
    c.check("export json: an array", code == 0 and
            len(json.loads(out)) == 1, out[:200])
    code, out, _ = ctl.run("export", "--format", "markdown", "ucxl://cm/")
    c.check("export markdown: a table and a section per context",
            code == 0 and out.startswith("# Contexts under `ucxl://cm/`")
            and out.count("\n## `") == len(contexts), out[:300])


def check_errors(c, ctl, cluster):
    """Each error the cluster answers here: its name, a what-to-do line,
    and the documented exit code."""
    cases = [
        ("bad_request", ["get", "ucxl://"], None, 2),
        ("not_found", ["get", "ucxl://nowhere/none.c"], None, 2),
        # A prefix under which nothing is stored says so.
        ("not_found", ["export", "--format", "jsonl", "ucxl://nowhere/"],
         None, 2),
        ("forbidden", ["generate", "--project", "x", "/etc/hostname"],
         "observer", 2),
    ]
    for name, args, key, exit_code in cases:
        code, out, err = ctl.run(*args, key=key)
        c.check(f"{name}: named, explained, exit {exit_code}",
                code == exit_code and name in err and "what to do:" in err,
                f"{code} {err}")
    # An unknown key: refused at the handshake on every node.
    stranger = cluster.dir / "stranger"
    ctl.run("keygen", "--dir", str(stranger), "--name", "s")
    env_key = str(stranger / "s.key")
    code, _, err = ctl.run("status", "--key", env_key, "--timeout-ms", "1500")
    c.check("unauthenticated: named, explained, exit 3",
            code == 3 and "unauthenticated" in err and "authorized-keys" in err,
            f"{code} {err}")
    # Nothing listens there: a timeout.
    code, _, err = ctl.run("ping", "--endpoint", "tcp://127.0.0.1:9",
                           "--server-key", str(cluster.dir / "keys/n1.pub"),
                           "--key", str(cluster.dir / "keys/admin.key"),
                           "--timeout-ms", "300", "--connect-timeout-ms",
                           "300")
    c.check("timeout: named, explained, exit 3",
            code == 3 and "timeout" in err and "what to do:" in err,
            f"{code} {err}")
    code, _, err = ctl.run("generate", "--priority", "asap", "/etc/hostname")
    c.check("usage error: exit 1 with the field",
            code == 1 and "--priority" in err, err)


class Tmux:
    def __init__(self):
        name = f"slurpctl-test-{os.getpid()}"
        self.base = ["tmux", "-L", name, "-f", "/dev/null"]
        self.socket = (pathlib.Path(os.environ.get("TMUX_TMPDIR", "/tmp")) /
                       f"tmux-{os.getuid()}" / name)

    def run(self, *args):
        return subprocess.run(self.base + list(args), capture_output=True,
                              timeout=10)

    def capture(self):
        return self.run("capture-pane", "-p", "-t", "ctl").stdout.decode(
            errors="replace")

    def kill(self):
        self.run("kill-server")
        self.socket.unlink(missing_ok=True)


def check_tty(c, ctl, scratch):
    """On a terminal, the same command over the same real tree (as another
    project, so every job runs again) draws a bar in place."""
    tree = real_tree()
    files, dirs = count_tree(tree)
    done = scratch / "tty.done"
    command = (f"SLURP_CONFIG={ctl.env['SLURP_CONFIG']} {ctl.binary} generate "
               f"--recursive {tree} --root {tree.parent} --project tty --wait; "
               f"echo EXITED $? > {done}; sleep 30")
    tmux = Tmux()
    try:
        made = tmux.run("new-session", "-d", "-s", "ctl", "-x", "120", "-y",
                        "20", command)
        if not c.check("tmux runs slurpctl generate", made.returncode == 0,
                       made.stderr):
            return
        c.check("on a terminal: the command ends, exit 0",
                wait_for(lambda: done.exists() and
                         "EXITED 0" in done.read_text(), 200, step=0.1),
                tmux.capture())
        screen = tmux.capture()
        total = files + dirs
        c.check(f"on a terminal: a progress bar over all {total} items, with "
                "rate and time",
                re.search(rf"\[#+\] {total}/{total} acknowledged .*/s  in ",
                          screen)
                and re.search(rf"\[#+\] {total}/{total} done", screen),
                screen)
    finally:
        tmux.kill()


def run(c, ctx, cluster):
    ctl = Ctl(cluster.bin_dir, cluster)
    tree = real_tree()
    if not c.check("a real tree to generate (cmake-data)", tree, tree):
        return
    contexts = check_generate_pipe(c, ctl, tree)
    if contexts:
        check_reads(c, ctl, contexts)
    check_by_path(c, ctl, tree)
    check_errors(c, ctl, cluster)
    check_tty(c, ctl, cluster.dir)


def main():
    # The workers may read the cmake tree by path (check_by_path).
    tree = real_tree()
    return cluster_test_main(__doc__, 280, run, 52000, 440, nodes=3,
                             workers=2,
                             worker_args=["--file-root", str(tree.parent)]
                             if tree else [])


if __name__ == "__main__":
    sys.exit(main())
