"""Trials too big for one trial.list reply: parzend cuts a reply at its
size limit and says where to go on (next_offset). `parzen report` (the
client's study fetch) and `parzen dashboard` must still see every trial.
"""
import os
import subprocess
import urllib.request
import xml.etree.ElementTree as ET

CLI = os.environ.get("PARZEN_CLI", "parzen")
SPACE = {"x": {"$hp": "uniform", "label": "x", "low": 0, "high": 1}}
N = 200
BLOB = "x" * 60000  # 200 results of 60 kB: more than one 8 MB reply


def fill(daemon):
    c = daemon.connect()
    c.call("study.create", name="big", space=SPACE, seed=1, algo="random")
    for k in range(N):
        t = c.call("trial.ask", study="big", worker="w")["trial"]
        c.call("trial.tell", trial=t["id"], status="ok", loss=k / N,
               attempt=t["attempt"], result={"log": BLOB})
    page = c.call("trial.list", study="big", limit=N)
    c.close()
    return page


def test_report_and_dashboard_see_every_trial(daemon, tmp_path):
    page = fill(daemon)
    # The premise: one reply does not hold them all.
    assert len(page["trials"]) < N and "next_offset" in page

    out = tmp_path / "big.html"
    r = subprocess.run([CLI, "--socket", daemon.socket, "report", "big",
                        "-o", str(out)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    table = [t for t in ET.parse(out).getroot().iter(
        "{http://www.w3.org/1999/xhtml}table") if t.get("class") ==
        "trials"][0]
    assert table.get("data-total") == str(N)

    dash = subprocess.Popen([CLI, "--socket", daemon.socket, "dashboard",
                             "--listen", "127.0.0.1:0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        url = dash.stdout.readline().split(": ", 1)[1].strip()
        with urllib.request.urlopen(url + "trials?s=big&limit=1",
                                    timeout=60) as resp:
            html = resp.read().decode()
        assert 'data-total="%d"' % N in html
    finally:
        dash.terminate()
        dash.wait(30)
