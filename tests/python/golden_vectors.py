#!/usr/bin/python3
"""Checks protocol/testdata/*.hex with an independent msgpack (python3-msgpack).

Each NAME.hex must decode to exactly the value in NAME.json, where bin values
are written {"$bin": "<hex>"}. This proves the golden bytes are plain msgpack
that any client library reads the same way, and gives client authors a
readable form of every message.

  golden_vectors.py DIR            check (exit 1 on any mismatch)
  golden_vectors.py DIR --write    regenerate the .json files from the .hex
"""
import json
import pathlib
import sys

import msgpack


def read_hex(path):
    digits = "".join(
        line for line in path.read_text().splitlines() if not line.startswith("#")
    )
    return bytes.fromhex("".join(digits.split()))


def to_json_value(value):
    if isinstance(value, bytes):
        return {"$bin": value.hex()}
    if isinstance(value, dict):
        return {k: to_json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_json_value(v) for v in value]
    return value


def main():
    folder = pathlib.Path(sys.argv[1])
    write = "--write" in sys.argv[2:]
    vectors = sorted(folder.glob("*.hex"))
    if not vectors:
        print(f"no vectors in {folder}")
        return 1
    failures = 0
    for hex_path in vectors:
        decoded = msgpack.unpackb(read_hex(hex_path), raw=False)
        value = to_json_value(decoded)
        json_path = hex_path.with_suffix(".json")
        if write:
            json_path.write_text(json.dumps(value, indent=2) + "\n")
            continue
        expected = json.loads(json_path.read_text())
        if value != expected:
            failures += 1
            print(f"MISMATCH {hex_path.name}: {value!r} != {expected!r}")
    print(f"vectors={len(vectors)} failures={failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
