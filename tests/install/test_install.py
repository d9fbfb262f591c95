"""What `meson install` puts in place, used as a user would (issue 14).

One `meson install --destdir` of the build tree under test (once per run),
then: the listing (binaries, shared and static libraries, headers under
include/parzen/, .pc files, man pages, completions, units, the Python
package); programs built out of the tree with pkg-config against that
prefix and run (the library in-process, and a client of a real parzend);
the man pages through `man --warnings` and lexgrog; the bash completion
(`complete -p parzen`, and study names from a real daemon) and the zsh
one; `pip install ./python` into a venv.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile

import pytest

BUILD = os.environ["PARZEN_BUILD"]
SOURCE = os.environ["PARZEN_SOURCE"]
PARZEND = os.environ["PARZEND"]
CLI = os.environ["PARZEN_CLI"]
VERSION = os.environ["PARZEN_VERSION"]
HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd, **kw):
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 120)
    return subprocess.run(cmd, check=False, **kw)


@pytest.fixture(scope="module")
def dest():
    """(destdir, {installed path: source}) of one `meson install`."""
    d = tempfile.mkdtemp(prefix="parzen-destdir-")
    r = run(["meson", "install", "-C", BUILD, "--no-rebuild", "--quiet",
             "--destdir", d], timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run(["meson", "introspect", "--installed", BUILD])
    assert r.returncode == 0, r.stderr
    installed = json.loads(r.stdout)
    yield d, {v: k for k, v in installed.items()}
    shutil.rmtree(d, ignore_errors=True)


def under(d, path):
    return os.path.join(d, path.lstrip("/"))


def find(installed, suffix):
    hits = sorted(p for p in installed if p.endswith(suffix))
    assert hits, "nothing installed as *%s" % suffix
    return hits[0]


def options():
    r = run(["meson", "introspect", "--buildoptions", BUILD])
    return {o["name"]: o["value"] for o in json.loads(r.stdout)}


def test_destdir_has_everything(dest):
    d, installed = dest
    opts = options()
    prefix, libdir = opts["prefix"], opts["libdir"]
    lib = os.path.join(prefix, libdir)
    want = [
        os.path.join(prefix, opts["bindir"], "parzen"),
        os.path.join(prefix, opts["sbindir"], "parzend"),
        os.path.join(lib, "libparzen.so.0"),
        os.path.join(lib, "libparzen.so"),
        os.path.join(lib, "libparzen.a"),
        os.path.join(lib, "libparzen-client.so.0"),
        os.path.join(lib, "libparzen-client.a"),
        os.path.join(lib, "pkgconfig", "parzen.pc"),
        os.path.join(lib, "pkgconfig", "parzen-client.pc"),
    ]
    for h in os.listdir(os.path.join(SOURCE, "lib", "include", "parzen")):
        want.append(os.path.join(prefix, opts["includedir"], "parzen", h))
    for p in want:
        assert os.path.lexists(under(d, p)), p
    for suffix in ("/man1/parzen.1", "/man8/parzend.8",
                   "/completions/parzen", "/_parzen",
                   "/system/parzend.service", "/system/parzend.socket",
                   "/user/parzend.service", "/user/parzend.socket",
                   "/sysusers.d/parzen.conf"):
        assert os.path.exists(under(d, find(installed, suffix))), suffix
    # The Python package (an installed directory: walk for it).
    py = [os.path.join(w, "__init__.py") for w, _, files in os.walk(d)
          if w.endswith("-packages/parzen") and "__init__.py" in files]
    assert len(py) == 1, py
    assert os.path.exists(os.path.join(os.path.dirname(py[0]), "pyll",
                                       "__init__.py"))
    # The units went where the build was told (systemd.pc by default).
    system_unit = find(installed, "/system/parzend.service")
    assert "@sbindir@" not in open(under(d, system_unit)).read()
    print("\n".join(sorted(installed)))


def test_shared_libraries_export_only_pz_symbols(dest):
    d, installed = dest
    for name, one in (("libparzen.so.0", "pz_strerror"),
                      ("libparzen-client.so.0", "pz_client_connect")):
        path = under(d, find(installed, "/%s.%s" % (name[:-2], VERSION)))
        r = run(["readelf", "-d", path])
        assert "Library soname: [%s]" % name in r.stdout, r.stdout
        r = run(["nm", "-D", "--defined-only", path])
        syms = [line.split()[-1].split("@")[0]
                for line in r.stdout.splitlines()]
        assert syms, r.stderr
        stray = [s for s in syms if not s.startswith("pz_")
                 and s != "PARZEN_0"]
        assert stray == [], stray
        assert one in syms


def pkg_env(d):
    opts = options()
    lib = under(d, os.path.join(opts["prefix"], opts["libdir"]))
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(lib, "pkgconfig"),
               LD_LIBRARY_PATH=lib)
    return env, under(d, opts["prefix"]), lib


def pkg_config(env, prefix, *args):
    r = run(["pkg-config", "--define-variable=prefix=" + prefix, *args],
            env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout.split()


def cc():
    return os.environ.get("CC", "cc")


def test_out_of_tree_build_with_pkg_config(dest, tmp_path):
    """examples/tutorial.c, built against the installed prefix alone,
    linked to the shared library and then to the static one."""
    d, _ = dest
    env, prefix, lib = pkg_env(d)
    src = shutil.copy(os.path.join(SOURCE, "examples", "tutorial.c"),
                      tmp_path)
    cflags = pkg_config(env, prefix, "--cflags", "parzen")
    assert "-I" + os.path.join(prefix, "include") in cflags, cflags
    exe = str(tmp_path / "tutorial")
    r = run([cc(), "-std=c11", "-O1", src, "-o", exe, *cflags,
             *pkg_config(env, prefix, "--libs", "parzen")], env=env)
    assert r.returncode == 0, r.stderr
    r = run(["ldd", exe], env=env)
    assert os.path.join(lib, "libparzen.so.0") in r.stdout, r.stdout
    space = os.path.join(SOURCE, "bench", "spaces", "cifar100.json")
    shared_run = run([exe, space], env=env, cwd=str(tmp_path))
    assert shared_run.returncode == 0, shared_run.stdout + shared_run.stderr
    assert "all examples ran" in shared_run.stdout
    static = str(tmp_path / "tutorial-static")
    libs = [a for a in pkg_config(env, prefix, "--static", "--libs",
                                  "parzen") if a != "-lparzen"]
    r = run([cc(), "-std=c11", "-O1", src, "-o", static, *cflags,
             os.path.join(lib, "libparzen.a"), *libs], env=env)
    assert r.returncode == 0, r.stderr
    assert "libparzen" not in run(["ldd", static]).stdout
    r = run([static, space], cwd=str(tmp_path))
    assert r.returncode == 0 and r.stdout == shared_run.stdout


def test_out_of_tree_client_talks_to_parzend(dest, tmp_path):
    d, _ = dest
    env, prefix, lib = pkg_env(d)
    exe = str(tmp_path / "client_smoke")
    r = run([cc(), "-std=c11", os.path.join(HERE, "client_smoke.c"), "-o",
             exe, *pkg_config(env, prefix, "--cflags", "--libs",
                              "parzen-client")], env=env)
    assert r.returncode == 0, r.stderr
    assert os.path.join(lib, "libparzen-client.so.0") in \
        run(["ldd", exe], env=env).stdout
    with Parzend(tmp_path) as pzd:
        r = run([exe, pzd.socket], env=env)
        assert r.returncode == 0, r.stderr
        assert r.stdout.split() == ["parzend", "1", pzd.socket]


class Parzend:
    """The parzend under test on a socket in `workdir`, ready."""

    def __init__(self, workdir):
        self.workdir = str(workdir)
        self.socket = os.path.join(self.workdir, "parzend.sock")

    def __enter__(self):
        notify_path = os.path.join(self.workdir, "notify.sock")
        n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        n.bind(notify_path)
        n.settimeout(30)
        self.proc = subprocess.Popen(
            [PARZEND, "--socket", self.socket, "--db",
             os.path.join(self.workdir, "p.db")],
            env=dict(os.environ, NOTIFY_SOCKET=notify_path),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            assert b"READY=1" in n.recv(4096)
        finally:
            n.close()
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        assert self.proc.wait(30) == 0


def test_man_pages(dest):
    d, installed = dest
    pages = [p for p in installed if "/man/man" in p]
    if not pages:
        pytest.skip("man pages not built (no scdoc)")
    assert len(pages) == 2, pages
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8", MAN_KEEP_STDERR="1")
    for p in pages:
        path = under(d, p)
        r = run(["man", "--warnings", "-l", path], env=env)
        assert r.returncode == 0, r.stderr
        assert r.stderr.strip() == "", "%s: %s" % (p, r.stderr)
        assert "NAME" in r.stdout and "SYNOPSIS" in r.stdout
        r = run(["lexgrog", path])
        assert r.returncode == 0, r.stdout + r.stderr
        name = os.path.basename(p).split(".")[0]
        assert '"%s - ' % name in r.stdout, r.stdout


SPACE = json.dumps({"x": {"$hp": "uniform", "label": "x", "low": 0,
                          "high": 1}})


def complete_line(script, env, words, socket_arg=None):
    """What the bash completion offers for `words` (the last one being
    completed), with `script` sourced."""
    bash = ("source %s\n"
            "COMP_WORDS=(\"$@\"); COMP_CWORD=$(($# - 1))\n"
            "_parzen\n"
            "printf '%%s\\n' \"${COMPREPLY[@]}\"\n" % script)
    r = run(["bash", "--norc", "-c", bash, "bash", *words], env=env)
    assert r.returncode == 0, r.stderr
    return [w for w in r.stdout.splitlines() if w]


def test_bash_completion(dest, tmp_path):
    d, installed = dest
    script = under(d, find(installed, "/completions/parzen"))
    r = run(["bash", "--norc", "-c", "source %s && complete -p parzen"
             % script])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "complete -F _parzen parzen"
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(CLI) + os.pathsep + env["PATH"]
    with Parzend(tmp_path) as pzd:
        env["PARZEN_SOCKET"] = pzd.socket
        for name in ("alpha", "alphabet", "beta", "with space"):
            r = run([CLI, "create", name, "--space", "-"], input=SPACE,
                    env=env)
            assert r.returncode == 0, r.stderr
        assert complete_line(script, env, ["parzen", "wo"]) == ["worker"]
        assert complete_line(script, env, ["parzen", "show", "al"]) == \
            ["alpha", "alphabet"]
        assert complete_line(script, env, ["parzen", "watch", "w"]) == \
            ["with\\ space"]
        assert complete_line(script, env,
                             ["parzen", "trials", "beta", "--state", "r"]) \
            == ["running"]
        assert complete_line(script, env, ["parzen", "plot", "beta", "im"]) \
            == ["importance"]
        # A --socket on the line is the daemon asked.
        env2 = dict(env)
        del env2["PARZEN_SOCKET"]
        assert complete_line(script, env2, ["parzen", "--socket",
                                            pzd.socket, "rm", "b"]) == \
            ["beta"]
        # No daemon: nothing offered, and no error on the terminal.
        env2["PARZEN_SOCKET"] = str(tmp_path / "none.sock")
        assert complete_line(script, env2, ["parzen", "show", ""]) == []
    # bash-completion finds it on its own by the command's name.
    loader = "/usr/share/bash-completion/bash_completion"
    if os.path.exists(loader):
        compdir = os.path.dirname(os.path.dirname(script))
        r = run(["bash", "--norc", "-c",
                 "source %s; _completion_loader parzen; complete -p parzen"
                 % loader],
                env=dict(os.environ, BASH_COMPLETION_USER_DIR=compdir))
        assert "complete -F _parzen parzen" in r.stdout, r.stdout + r.stderr


def test_zsh_completion(dest):
    d, installed = dest
    zsh = shutil.which("zsh")
    if zsh is None:
        pytest.skip("zsh not installed")
    path = under(d, find(installed, "/_parzen"))
    r = run([zsh, "-n", path])
    assert r.returncode == 0, r.stderr
    r = run([zsh, "-f", "-c",
             "fpath=(%s $fpath); autoload -Uz compinit; compinit -u -D; "
             "print -r -- ${_comps[parzen]}" % os.path.dirname(path)])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "_parzen"


def test_pip_install(tmp_path):
    """`pip install ./python` into a venv (offline: the system's
    setuptools, --no-build-isolation), then import it elsewhere."""
    py = "/usr/bin/python3"
    if run([py, "-c", "import venv, ensurepip, setuptools, wheel"]
           ).returncode != 0:
        pytest.skip("needs python3-venv, python3-setuptools, python3-wheel")
    with open(os.path.join(SOURCE, "python", "pyproject.toml")) as f:
        assert 'version = "%s"' % VERSION in f.read(), \
            "pyproject.toml's version differs from meson.build's"
    src = str(tmp_path / "src")
    shutil.copytree(os.path.join(SOURCE, "python"), src,
                    ignore=shutil.ignore_patterns("__pycache__", "build",
                                                  "*.egg-info"))
    venv = str(tmp_path / "venv")
    r = run([py, "-m", "venv", "--system-site-packages", venv])
    assert r.returncode == 0, r.stderr
    r = run([os.path.join(venv, "bin", "pip"), "install", "--quiet",
             "--no-build-isolation", "--no-index", src], timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run([os.path.join(venv, "bin", "python"), "-c",
             "import parzen, parzen.pyll; "
             "print(parzen.__file__); print(parzen.__version__)"],
            cwd=str(tmp_path), env=dict(os.environ, PYTHONPATH=""))
    assert r.returncode == 0, r.stderr
    where, version = r.stdout.split()
    assert where.startswith(venv) and version == VERSION


def test_cluster_examples_parse():
    """examples/cluster: the scripts parse, the Job is a Job that forwards
    the system socket and runs `parzen worker`."""
    d = os.path.join(SOURCE, "examples", "cluster")
    for shell, name in (("bash", "slurm-array.sh"), ("sh", "forward.sh")):
        r = run([shell, "-n", os.path.join(d, name)])
        assert r.returncode == 0, r.stderr
        text = open(os.path.join(d, name)).read()
        assert "/run/parzen/parzend.sock" in text
    with open(os.path.join(d, "k8s-job.yaml")) as f:
        text = f.read()
    try:
        import yaml
    except ImportError:
        pytest.skip("PyYAML not installed: the Job is not parsed")
    job = yaml.safe_load(text)
    assert job["kind"] == "Job" and job["apiVersion"] == "batch/v1"
    script = job["spec"]["template"]["spec"]["containers"][0]["args"][0]
    assert "parzen worker" in script
    assert ":/run/parzen/parzend.sock" in script
    r = run(["sh", "-n", "-c", script])
    assert r.returncode == 0, r.stderr
