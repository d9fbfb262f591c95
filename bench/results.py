"""Shared helpers of the benchmark scripts: bench/RESULTS.md sections and
machine facts. Standard library only.

Each benchmark owns one section of RESULTS.md between the markers
<!-- NAME:begin --> and <!-- NAME:end -->; writing a section keeps the
others as they are.
"""
import os
import platform

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "RESULTS.md")


def markers(name):
    return "<!-- %s:begin -->" % name, "<!-- %s:end -->" % name


def write_section(name, text, path=RESULTS):
    """Replace (or append) section `name`; `text` includes its markers."""
    begin, end = markers(name)
    old = ""
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
    if begin in old and end in old:
        head, rest = old.split(begin, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        new = head + text + ("\n" + tail if tail else "")
    elif old:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        new = "# Benchmark results\n\n" + text
    with open(path + ".tmp", "w") as f:
        f.write(new)
    os.replace(path + ".tmp", path)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine():
    return "%d CPUs (nproc), %s; Linux %s" % (os.cpu_count() or 0,
                                              cpu_model(), platform.release())
