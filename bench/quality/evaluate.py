#!/usr/bin/python3
"""The objective side of bench/quality (the C search driver).

    evaluate.py NAME     serve problem NAME on stdin/stdout
    evaluate.py --list   one JSON line per problem: name, group, half

Serving: the first line written is {"problem", "group", "half", "fmin",
"space"}; then every line read is a JSON array of [seed, trial, point]
and is answered by one line, a JSON array of [observed loss, true loss]
in the same order. On an objective error the answer is {"error": TEXT}
and the process exits with status 1. Standard library only.
"""
import json
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import problems  # noqa: E402


def header(p):
    return {"problem": p.name, "group": p.group, "half": p.half,
            "fmin": p.fmin, "noisy": p.noisy, "space": p.space}


def serve(p):
    out = sys.stdout
    out.write(json.dumps(header(p)) + "\n")
    out.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            batch = json.loads(line)
            reply = [list(p.evaluate(point, seed, trial))
                     for seed, trial, point in batch]
        except Exception:  # the driver prints it and stops
            out.write(json.dumps({"error": traceback.format_exc()}) + "\n")
            out.flush()
            sys.exit(1)
        out.write(json.dumps(reply) + "\n")
        out.flush()


def main():
    args = sys.argv[1:]
    if args == ["--list"]:
        for p in problems.PROBLEMS:
            print(json.dumps({"problem": p.name, "group": p.group,
                              "half": p.half}))
        return
    if len(args) != 1 or args[0] not in problems.BY_NAME:
        sys.exit("usage: evaluate.py NAME | --list (known: %s)"
                 % ", ".join(problems.BY_NAME))
    serve(problems.BY_NAME[args[0]])


if __name__ == "__main__":
    main()
