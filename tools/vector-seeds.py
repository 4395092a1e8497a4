#!/usr/bin/python3
"""Writes the codec vectors as seed inputs for fuzz/codec_structures_fuzzer.

Each structure or bitfield case of vectors/codec/*.json (valid and invalid) becomes one file
"<spec name>\\n<bytes>" in OUT_DIR, the input format of the structures fuzzer
(fuzz/codec_fuzz_common.h); a bitfield's value is written as 8 little-endian bytes.
Usage: vector-seeds.py VECTORS_DIR OUT_DIR
"""
import json
import pathlib
import sys


def main(argv):
    if len(argv) != 3:
        print("usage: vector-seeds.py VECTORS_DIR OUT_DIR", file=sys.stderr)
        return 2
    out = pathlib.Path(argv[2])
    out.mkdir(parents=True, exist_ok=True)
    written = 0
    for path in sorted(pathlib.Path(argv[1]).glob("codec/*.json")):
        for case in json.loads(path.read_text(encoding="utf-8"))["cases"]:
            if case["kind"] == "structure":
                body = bytes.fromhex(case["bytes"])
                name = case["structure"]
            elif case["kind"] == "bitfield":
                body = int(case["value"], 16).to_bytes(8, "little")
                name = case["bitfield"]
            else:
                continue
            (out / ("vector-" + case["id"])).write_bytes(name.encode() + b"\n" + body)
            written += 1
    print(f"vector-seeds: {written} seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
