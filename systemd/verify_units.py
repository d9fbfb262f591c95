"""Check the systemd units with `systemd-analyze verify`.

The service's ExecStart names @sbindir@/parzend; verify refuses a unit
whose binary does not exist, so the units are copied into a temporary
directory with @sbindir@ replaced by the directory of the parzend just
built. Verify only parses files: it needs no running systemd, which is
what a build container has. Any output counts as a failure, because verify
reports an unknown or misspelled setting as a warning and still exits 0.
Exit 77 (skipped) without systemd-analyze.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile


def copy_units(units, sbindir, tmp):
    paths = []
    for unit in units:
        with open(unit, encoding="utf-8") as f:
            text = f.read().replace("@sbindir@", sbindir)
        path = os.path.join(tmp, os.path.basename(unit))
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        paths.append(path)
    return paths


def verify_user(tool, sbindir, units):
    """`systemd-analyze --user verify` on the user units. A user manager
    needs $XDG_RUNTIME_DIR, so it gets an empty one (no manager runs)."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = copy_units(units, sbindir, tmp)
        rt = os.path.join(tmp, "runtime")
        os.mkdir(rt, 0o700)
        env = dict(os.environ, SYSTEMD_LOG_COLOR="0", SYSTEMD_PAGER="",
                   XDG_RUNTIME_DIR=rt)
        p = subprocess.run([tool, "--user", "verify", "--man=no"] + paths,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           env=env, timeout=50, check=False)
        out = p.stdout.decode(errors="replace").strip()
        print("user units: " + (out or "verify: no complaints"))
        return 1 if p.returncode != 0 or out else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--systemd-analyze", default="")
    ap.add_argument("--parzend", required=True)
    ap.add_argument("--generated", help="the configured parzend.service")
    ap.add_argument("--user-unit", action="append", default=[],
                    help="units for a user manager (verified with --user)")
    ap.add_argument("units", nargs="+")
    args = ap.parse_args()

    if args.generated:
        with open(args.generated, encoding="utf-8") as f:
            text = f.read()
        if "@" in text.replace("@system-service", "").replace(
                "@privileged", "").replace("@resources", ""):
            print("unsubstituted @...@ in %s" % args.generated)
            return 1
    tool = args.systemd_analyze or shutil.which("systemd-analyze")
    if not tool:
        print("systemd-analyze not found: skipped")
        return 77
    sbindir = os.path.dirname(os.path.abspath(args.parzend))
    if args.user_unit:
        rc = verify_user(tool, sbindir, args.user_unit)
        if rc != 0:
            return rc
    with tempfile.TemporaryDirectory() as tmp:
        paths = copy_units(args.units, sbindir, tmp)
        env = dict(os.environ, SYSTEMD_LOG_COLOR="0", SYSTEMD_PAGER="")
        p = subprocess.run([tool, "verify", "--man=no"] + paths,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           env=env, timeout=50, check=False)
        out = p.stdout.decode(errors="replace").strip()
        print(out or "verify: no complaints")
        if p.returncode != 0 or out:
            return 1
        # The sandbox must stay tight: systemd's own exposure score of the
        # service (0 best, 10 worst; 0.5 when written) must stay below 2.
        # Older systemd has no --offline; then this part is skipped.
        service = [x for x in paths if x.endswith(".service")]
        if service:
            s = subprocess.run([tool, "security", "--offline=yes",
                                "--threshold=20", "--no-pager"] + service,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, env=env,
                               timeout=50, check=False)
            text = s.stdout.decode(errors="replace")
            overall = [x for x in text.splitlines() if "Overall" in x]
            if overall:
                print(overall[-1])
                if s.returncode != 0:
                    print(text)
                    return 1
            else:
                print("systemd-analyze security --offline unsupported: "
                      "exposure not checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
