"""The study report, end to end: a study built through the real daemon
with known trials, its report drawn by bench/report_bench (path in
$PARZEN_REPORT_BENCH, set by meson) from the daemon's replies, as `parzen
report` does, and read back with an XML parser.

The study has a loguniform label, a label x that alone drives the loss, a
noise label, a choice of objects with a nested conditional label, and a
choice of strings. Its trials are enqueued with chosen params, handed out
to two named workers and told known losses; a few fail, two stay running,
one stays queued, one is released and handed out again. The checks read
the data-* attributes the report puts on its SVG elements
(docs/report.md): counts, which trials each layer draws, where the best
trial sits on the axes, log axes for the log-scaled prior, option names on
the choices' strips, importance ranking x first.

A second study is run by two `parzen worker`s whose commands report a
value per epoch under a median pruner, and drawn by `parzen report` and
`parzen plot ... learning`: its learning curves are checked against the
reports parzend holds.
"""
import math
import os
import random
import subprocess
import xml.etree.ElementTree as ET

import pytest

BENCH = os.environ.get("PARZEN_REPORT_BENCH", "report_bench")
SVG = "{http://www.w3.org/2000/svg}"
XHTML = "{http://www.w3.org/1999/xhtml}"
KINDS = ["history", "importance", "effects", "priors", "pairs", "timeline"]

SPACE = {
    "lr": {"$hp": "loguniform", "label": "lr", "low": -9.2, "high": -2.3},
    "x": {"$hp": "uniform", "label": "x", "low": -5, "high": 5},
    "noise": {"$hp": "uniform", "label": "noise", "low": 0, "high": 1},
    "opt": {"$hp": "choice", "label": "opt", "options": [
        {"name": "adam"},
        {"name": "sgd",
         "momentum": {"$hp": "uniform", "label": "momentum", "low": 0,
                      "high": 1}},
    ]},
    "act": {"$hp": "choice", "label": "act",
            "options": ["relu", "tanh", "gelu"]},
}
N = 40
FAILED = {5, 17, 30}
RUNNING = {37, 38}
QUEUED = {39}
RELEASED = 12


def params_of(k):
    r = random.Random(k)
    p = {"lr": math.exp(r.uniform(-9.2, -2.31)), "x": r.uniform(-5, 5),
         "noise": r.random(), "opt": k % 2, "act": k % 3}
    if p["opt"] == 1:
        p["momentum"] = r.random()
    return p


def loss_of(p):
    """x alone drives the loss; it spans decades (a log loss axis)."""
    return (p["x"] - 1) ** 2 + 0.001


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """Build the study once; yield (paths, expected facts)."""
    from daemon import Daemon

    tmp = tmp_path_factory.mktemp("report")
    d = Daemon(tmp).start()
    c = d.connect()
    c.call("study.create", name="rep <&> study", space=SPACE,
           algo="random", seed=3)
    params = [params_of(k) for k in range(N)]
    for p in params:
        c.call("trial.enqueue", study="rep <&> study", params=p)
    trials = {}
    for k in range(N - len(QUEUED)):
        t = c.call("trial.ask", study="rep <&> study",
                   worker="w%d" % (k % 2))["trial"]
        assert t["number"] == k
        if k == RELEASED:
            c.call("trial.release", trial=t["id"], attempt=t["attempt"])
            t = c.call("trial.ask", study="rep <&> study",
                       worker="w%d" % (k % 2))["trial"]
            assert t["number"] == k and t["attempt"] == 1
        trials[k] = t
        if k in RUNNING:
            continue
        if k in FAILED:
            c.call("trial.tell", trial=t["id"], status="fail",
                   attempt=t["attempt"])
        else:
            c.call("trial.tell", trial=t["id"], status="ok",
                   loss=loss_of(params[k]), attempt=t["attempt"])
    out = {}
    for kind in [None] + KINDS:
        path = str(tmp / ("report.html" if kind is None else kind + ".svg"))
        cmd = [BENCH, "--socket", d.socket, "--study", "rep <&> study",
               "-o", path]
        if kind is not None:
            cmd += ["--plot", kind]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                       timeout=60)
        out[kind] = path
    c.close()
    assert d.stop() == 0, d.read_log()

    ok = [k for k in range(N - len(QUEUED))
          if k not in FAILED and k not in RUNNING]
    best = min(ok, key=lambda k: (loss_of(params[k]), k))
    yield out, {"params": params, "ok": set(ok), "best": best}


def parse(path):
    return ET.parse(path).getroot()


def by_plot(root, kind):
    return [s for s in root.iter(SVG + "svg") if s.get("data-plot") == kind]


def axis(g, which):
    """(scale, domain lo, hi, range p0, p1) of the axis group `which`."""
    for a in g.iter(SVG + "g"):
        if a.get("class") == "axis" and a.get("data-axis") == which:
            lo, hi = map(float, a.get("data-domain").split())
            p0, p1 = map(float, a.get("data-range").split())
            return a.get("data-scale"), lo, hi, p0, p1, a
    raise AssertionError("no %s axis" % which)


def to_px(ax, v):
    scale, lo, hi, p0, p1, _ = ax
    if scale == "log":
        lo, hi, v = math.log10(lo), math.log10(hi), math.log10(v)
    return p0 + (v - lo) / (hi - lo) * (p1 - p0)


def layer(g, cls):
    for e in g.iter(SVG + "g"):
        if e.get("class") == "pts " + cls:
            return e
    raise AssertionError("no layer " + cls)


def drawn(e):
    return sorted(int(x.get("data-trial")) for x in e
                  if x.get("data-trial") is not None)


def best_mark(g):
    marks = [e for e in g.iter(SVG + "circle")
             if e.get("class") == "best" and e.get("data-trial")]
    assert len(marks) == 1
    return marks[0]


def panels(svg):
    return {p.get("data-label"): p for p in svg.iter(SVG + "g")
            if p.get("class") == "panel"}


def test_report_is_xml_and_self_contained(study):
    out, _ = study
    root = parse(out[None])
    assert root.tag == XHTML + "html"
    text = open(out[None], encoding="utf-8").read()
    for kind in KINDS:
        assert by_plot(root, kind), kind
    # Nothing fetched from anywhere: no external scripts, styles, images.
    for e in root.iter():
        assert e.get("src") is None and e.get("href", "#").startswith("#")
    assert "http://" not in text.replace("http://www.w3.org/", "")
    assert "https://" not in text
    # The study's name is escaped, not markup.
    assert root.find(".//" + XHTML + "h1").text == "Study rep <&> study"


def test_standalone_plots_parse(study):
    out, _ = study
    for kind in KINDS:
        root = parse(out[kind])
        assert root.tag == SVG + "svg" and root.get("data-plot") == kind
        assert root.find(SVG + "style") is not None


def test_header_counts_and_best(study):
    out, facts = study
    root = parse(out[None])
    counts = {s.get("data-state"): int(s.get("data-count"))
              for s in root.iter(XHTML + "span") if s.get("data-state")}
    assert counts == {"ok": len(facts["ok"]), "fail": len(FAILED),
                      "running": len(RUNNING), "queued": len(QUEUED),
                      "total": N}
    best = root.find(".//" + XHTML + "h3[@id='best']")
    assert int(best.get("data-trial")) == facts["best"]
    # The best point, nested: the chosen option's object.
    point = "".join(root.find(".//" + XHTML + "div[@id='best-trial']/"
                              + XHTML + "div/" + XHTML + "pre").itertext())
    opt = facts["params"][facts["best"]]["opt"]
    assert '"opt": {\n    "name": "%s"' % ["adam", "sgd"][opt] in point


def test_history_points_match_trials(study):
    out, facts = study
    hist = by_plot(parse(out[None]), "history")
    # Losses span decades: both scales are there, log and linear.
    assert sorted(h.find(SVG + "g").get("data-variant") for h in hist) == [
        "linear", "log"]
    for h in hist:
        ok = layer(h, "ok")
        assert int(ok.get("data-n")) == len(facts["ok"])
        assert drawn(ok) == sorted(facts["ok"])
        assert drawn(layer(h, "fail")) == sorted(FAILED)
        assert drawn(layer(h, "run")) == sorted(RUNNING)
        b = best_mark(h)
        assert int(b.get("data-trial")) == facts["best"]
        loss = loss_of(facts["params"][facts["best"]])
        assert float(b.get("data-loss")) == pytest.approx(loss)
        assert float(b.get("cx")) == pytest.approx(
            to_px(axis(h, "x"), facts["best"]), abs=0.1)
        assert float(b.get("cy")) == pytest.approx(
            to_px(axis(h, "y"), loss), abs=0.1)
        variant = h.find(SVG + "g").get("data-variant")
        assert axis(h, "y")[0] == variant


def test_effects_panels(study):
    out, facts = study
    eff = by_plot(parse(out[None]), "effects")[0]
    ps = panels(eff)
    assert set(ps) == {"lr", "x", "noise", "opt", "momentum", "act"}
    params = facts["params"]
    ran = facts["ok"] | FAILED
    for label, p in ps.items():
        counts = p.find(SVG + "g")
        active = {k for k in ran if label in params[k]}
        assert int(counts.get("data-inactive")) == len(ran - active)
        ok = layer(p, "ok")
        assert drawn(ok) == sorted(active & facts["ok"])
        assert drawn(layer(p, "fail")) == sorted(active & FAILED)
    # The log-scaled prior gets a log axis; the others do not.
    assert axis(ps["lr"], "x")[0] == "log"
    assert axis(ps["x"], "x")[0] == "linear"
    assert axis(ps["x"], "y")[0] == "log"
    # Choices are strips named by their options, not indices.
    for label, names in (("act", ["relu", "tanh", "gelu"]),
                         ("opt", ["adam", "sgd"])):
        ax = axis(ps[label], "x")
        assert ax[0] == "band"
        assert [t.get("data-name") for t in ax[5]
                if t.get("data-name") is not None] == names
    # x drives the loss: its panel comes first.
    assert ps["x"].get("data-rank") == "1"
    # The best trial sits at its value and loss in the x panel.
    b = best_mark(ps["x"])
    best = params[facts["best"]]
    assert float(b.get("cx")) == pytest.approx(
        to_px(axis(ps["x"], "x"), best["x"]), abs=0.1)
    assert float(b.get("cy")) == pytest.approx(
        to_px(axis(ps["x"], "y"), loss_of(best)), abs=0.1)


def test_importance_ranks_the_driver_first(study):
    out, _ = study
    imp = by_plot(parse(out[None]), "importance")[0]
    bars = {int(r.get("data-rank")): (r.get("data-label"),
                                      float(r.get("data-importance")))
            for r in imp.iter(SVG + "rect") if r.get("data-rank")}
    assert len(bars) == 6
    assert bars[1][0] == "x"
    assert bars[1][1] > 0.5
    others = [v for rank, (_, v) in bars.items() if rank > 1
              and not math.isnan(v)]
    assert max(others) < bars[1][1] / 2


def test_priors_pairs_timeline_table(study):
    out, facts = study
    root = parse(out[None])
    pri = panels(by_plot(root, "priors")[0])
    assert axis(pri["lr"], "x")[0] == "log"
    assert axis(pri["act"], "x")[0] == "band"
    sampled = int(pri["momentum"].find(SVG + "g").get("data-sampled"))
    assert sampled == sum("momentum" in p for p in facts["params"])

    pairs = by_plot(root, "pairs")[0]
    k = int(pairs.find(SVG + "g").get("data-labels"))
    cells = [g for g in pairs.iter(SVG + "g") if g.get("class") == "pair"]
    assert k >= 2 and len(cells) == k * (k + 1) // 2
    assert cells[0].get("data-x") == "x"

    tl = by_plot(root, "timeline")[0]
    bars = [r for r in tl.iter(SVG + "rect") if r.get("data-trial")]
    assert sorted(int(r.get("data-trial")) for r in bars) == sorted(
        facts["ok"] | FAILED | RUNNING)
    assert {r.get("data-state") for r in bars} == {"ok", "fail", "running"}
    marks = [m for m in tl.iter(SVG + "path")
             if m.get("class") == "reclaim" and m.get("data-trial")]
    assert [int(m.get("data-trial")) for m in marks] == [RELEASED]
    names = {t.text for t in tl.iter(SVG + "text")}
    assert {"w0", "w1"} <= names

    table = root.find(".//" + XHTML + "table[@class='trials']")
    rows = table.findall(XHTML + "tbody/" + XHTML + "tr")
    assert sorted(int(r.get("data-trial")) for r in rows) == list(range(N))
    act_col = [th.text for th in table.iter(XHTML + "th")].index("act")
    row0 = [r for r in rows if r.get("data-trial") == "0"][0]
    assert row0.findall(XHTML + "td")[act_col].text == "relu"


# ------------------------------------------- learning curves, end to end

CLI = os.environ.get("PARZEN_CLI", "parzen")

# A training that reports x + 1/(epoch + 1) for 6 epochs on
# $PARZEN_REPORT_FD, as `parzen worker` asks, and ends with its last value
# (unless the pruner stops it first).
REPORTING_SH = r"""#!/bin/sh
x=$(echo "$PARZEN_PARAMS" | sed 's/.*"x":\([0-9.e-]*\).*/\1/')
epoch=0
while [ $epoch -lt 6 ]; do
  v=$(awk -v x="$x" -v e="$epoch" 'BEGIN { printf "%.6f", x + 1 / (e + 1) }')
  echo "$epoch $v" >&"$PARZEN_REPORT_FD"
  epoch=$((epoch + 1))
  sleep 0.05
done
echo "$v"
"""


def test_parzen_report_draws_learning_curves(daemon, tmp_path):
    """Two `parzen worker`s run a study whose commands report a value per
    epoch under a median pruner; `parzen report` and `parzen plot
    learning` draw a curve per trial that reported, with as many points
    as parzend holds for it (trial.list "intermediate"), the pruned ones
    marked where they stopped and the best trial on top."""
    c = daemon.connect()
    c.call("study.create", name="curves", algo="random", seed=2,
           space={"x": {"$hp": "uniform", "label": "x", "low": 0,
                        "high": 1}},
           max_trials=8,
           pruner={"kind": "median", "n_startup_trials": 2,
                   "n_warmup_steps": 1})
    # Good trials first, so that the bad ones meet finished ones.
    for x in (0.1, 0.2, 0.15, 0.05, 0.9, 0.8, 0.12, 0.85):
        c.call("trial.enqueue", study="curves", params={"x": x})
    cmd = tmp_path / "train.sh"
    cmd.write_text(REPORTING_SH)
    cmd.chmod(0o755)
    workers = [subprocess.Popen([CLI, "--socket", daemon.socket, "worker",
                                 "curves", "--", str(cmd)],
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    for w in workers:
        assert w.wait(120) == 0, w.stderr.read()
    trials = c.call("trial.list", study="curves",
                    intermediate=True)["trials"]
    best = c.call("study.best", study="curves")["trial"]
    c.close()
    states = [t["state"] for t in trials]
    pruned = sorted(t["number"] for t in trials if t["state"] == "pruned")
    assert "ok" in states and pruned, states
    assert all(t["intermediate"] for t in trials)

    html = tmp_path / "report.html"
    svg = tmp_path / "learning.svg"
    for argv in (["report", "curves", "-o", str(html)],
                 ["plot", "curves", "learning", "-o", str(svg)]):
        r = subprocess.run([CLI, "--socket", daemon.socket] + argv,
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
    figures = by_plot(parse(str(html)), "learning") + [parse(str(svg))]
    assert len(figures) == 2
    for fig in figures:
        assert fig.get("data-plot") == "learning"
        group = [g for g in fig.iter(SVG + "g")
                 if g.get("class") == "curves"][0]
        curves = [p for p in group.iter(SVG + "path")
                  if (p.get("class") or "").startswith("curve ")]
        assert int(group.get("data-n")) == len(trials) == len(curves)
        by_number = {int(p.get("data-trial")): p for p in curves}
        for t in trials:
            p = by_number[t["number"]]
            assert p.get("data-state") == t["state"]
            assert int(p.get("data-steps")) == len(t["intermediate"])
            assert float(p.get("data-last")) == t["intermediate"][-1][0]
        ends = sorted(int(p.get("data-trial")) for p in group.iter(SVG + "path")
                      if p.get("class") == "cend")
        assert ends == pruned
        assert by_number[best["number"]].get("class") == "curve best"
