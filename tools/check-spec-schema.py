#!/usr/bin/python3
"""Validate spec YAML files against spec/schema/svsm-spec.schema.json.

Editors use the same schema; this script proves the schema and the shipped
files agree. Usage: check-spec-schema.py SCHEMA FILE... ; exit 0 when every
file conforms, 1 otherwise (each problem printed as file: path: message).
"""
import json
import sys

import jsonschema
import yaml


def main(argv):
    if len(argv) < 3:
        print("usage: check-spec-schema.py SCHEMA FILE...", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(schema)
    failed = False
    for path in argv[2:]:
        with open(path, encoding="utf-8") as f:
            try:
                data = yaml.safe_load(f)
            except yaml.YAMLError as e:
                print(f"{path}: YAML error: {e}")
                failed = True
                continue
        for err in sorted(validator.iter_errors(data), key=lambda e: list(e.path)):
            where = "/".join(str(p) for p in err.path) or "(top)"
            print(f"{path}: {where}: {err.message[:300]}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
