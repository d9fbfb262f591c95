"""Bad input never hurts the daemon or another client.

One daemon serves the whole module, and one well-behaved connection
(`good`) is opened before any bad input is sent and kept open throughout.
Every case sends its bad bytes on a connection of its own, checks the
error reply (code, a message that says what is wrong, data.path where a
single value is at fault), and then checks that `good` still gets answers
and that a real study still takes an ask and a tell.
"""
import json
import re
import resource
import socket

import pytest

from daemon import Connection, Daemon, RPCError

MAX_LINE = 1 << 20  # parzend's default --max-line

SPACE = {
    "lr": {"$hp": "loguniform", "label": "lr", "low": -9, "high": 0},
    "units": {"$hp": "quniform", "label": "units", "low": 16, "high": 256,
              "q": 16},
    "layers": {"$hp": "randint", "label": "layers", "low": 1, "high": 5},
    "opt": {"$hp": "choice", "label": "opt", "options": [
        "sgd",
        {"name": "adam",
         "beta": {"$hp": "uniform", "label": "beta", "low": 0.8,
                  "high": 0.999}},
    ]},
}

GOOD_PARAMS = {"lr": 0.01, "units": 32, "layers": 2, "opt": 1, "beta": 0.9}


# --- fixtures ----------------------------------------------------------------


@pytest.fixture(scope="module")
def d(tmp_path_factory):
    daemon = Daemon(tmp_path_factory.mktemp("bad"), durability="normal")
    daemon.start()
    yield daemon
    if daemon.proc.poll() is None:
        assert daemon.stop() == 0, daemon.read_log()
    else:
        pytest.fail("parzend died:\n" + daemon.read_log())


@pytest.fixture(scope="module")
def good(d):
    c = d.connect()
    c.call("study.create", name="good", space=SPACE, algo="random", seed=1)
    yield c
    c.close()


@pytest.fixture
def bad(d, good):
    """A fresh connection for the bad input; afterwards `good` must still
    work: server.info, and an ask + tell on a real study."""
    c = d.connect()
    yield c
    c.close()
    assert d.proc.poll() is None, "parzend died:\n" + d.read_log()
    assert good.call("server.info")["name"] == "parzend"
    t = good.call("trial.ask", study="good")["trial"]
    assert t["state"] == "running"
    done = good.call("trial.tell", trial=t["id"], status="ok", loss=0.5)
    assert done["trial"]["state"] == "ok"


# --- helpers -----------------------------------------------------------------


def raw(conn, text):
    """Send one line as given and return the reply."""
    if isinstance(text, str):
        text = text.encode()
    conn.send_raw(text + b"\n")
    return conn.read_line()


def expect_error(reply, code, *words, path=None, id_=None):
    assert "error" in reply, reply
    assert "result" not in reply, reply
    err = reply["error"]
    assert err["code"] == code, reply
    assert reply["jsonrpc"] == "2.0"
    assert reply["id"] == id_, reply
    for w in words:
        assert w in err["message"], (w, err["message"])
    if path is not None:
        assert err.get("data", {}).get("path") == path, reply
    return err


def call_error(conn, method, code, *words, path=None, **params):
    with pytest.raises(RPCError) as ei:
        conn.call(method, **params)
    e = ei.value
    assert e.code == code, (e.code, e.message)
    for w in words:
        assert w in e.message, (w, e.message)
    if path is not None:
        assert e.data.get("path") == path, (e.data, e.message)
    return e


def new_study(conn, name, **kw):
    kw.setdefault("algo", "random")
    kw.setdefault("seed", 7)
    return conn.call("study.create", name=name, space=SPACE, **kw)["study"]


# --- framing and the envelope ------------------------------------------------


def test_malformed_json(bad):
    r = raw(bad, '{"jsonrpc": "2.0", "id": 1, "method": "server.info"')
    expect_error(r, -32700, "malformed JSON", "byte")
    r = raw(bad, '{"jsonrpc": "2.0", "id": 1, method: "server.info"}')
    err = expect_error(r, -32700, "malformed JSON", "byte")
    # The unquoted key starts at byte 28 (0-based); cJSON reports a bad
    # string one byte further on, which still points the reader there.
    assert re.search(r"byte 2[89]\b", err["message"]), err["message"]
    r = raw(bad, "NaN")
    expect_error(r, -32700, "malformed JSON")
    r = raw(bad, '{"jsonrpc": "2.0", "id": 2, "method": "server.info"} x')
    expect_error(r, -32700, "unexpected bytes after the JSON value",
                 "byte 53")
    r = raw(bad, b"\xff\xfe{}")
    expect_error(r, -32700)
    # The same connection keeps working after parse errors.
    assert bad.call("server.info")["protocol"] == 1


@pytest.mark.parametrize("bad_bytes, at", [
    (b"\xff\xfe", 0),            # not UTF-8 at all
    (b"ok\xc3", 2),               # truncated sequence
    (b"\xc0\xaf", 0),            # overlong '/'
    (b"\xed\xa0\x80", 0),        # a UTF-16 surrogate
    (b"\xf4\x90\x80\x80", 0),    # above U+10FFFF
], ids=["ff", "truncated", "overlong", "surrogate", "too-big"])
def test_invalid_utf8_is_refused(bad, good, bad_bytes, at):
    # A study name that is not UTF-8 would be stored and then break every
    # other client's study.list: it must be refused before parsing.
    head = b'{"jsonrpc": "2.0", "id": 1, "method": "study.create",' \
        b' "params": {"name": "'
    line = head + bad_bytes + b'", "space": {}}}'
    r = raw(bad, line)
    expect_error(r, -32700, "not valid UTF-8",
                 "byte %d" % (len(head) + at))
    studies = good.call("study.list")["studies"]
    assert all(s["name"].isprintable() for s in studies)
    # Well-formed multi-byte UTF-8 is fine.
    name = "\u00e9t\u00e9-\u4e2d\u6587-\U0001f600"
    r = raw(bad, json.dumps({"jsonrpc": "2.0", "id": 2,
                             "method": "study.create",
                             "params": {"name": name, "space": {},
                                        "exist_ok": True}},
                            ensure_ascii=False).encode())
    assert r["result"]["study"]["name"] == name, r


def test_deeply_nested_request(bad):
    r = raw(bad, b"[" * 200000 + b"]" * 200000)
    expect_error(r, -32700)
    r = raw(bad, b'{"jsonrpc": "2.0", "id": 3, "method": "server.info",'
                 b' "params": {"a": ' + b'{"a": ' * 900 + b"1" +
            b"}" * 901 + b"}")
    expect_error(r, -32602, "unknown parameter", path="params.a", id_=3)


def test_blank_and_crlf_lines(bad):
    # Empty lines (also a bare CR) are skipped without a reply.
    bad.send_raw(b"\n\r\n\n")
    r = raw(bad, '{"jsonrpc": "2.0", "id": 5, "method": "server.info"}\r')
    assert r["id"] == 5 and r["result"]["name"] == "parzend"
    # A line of blanks is not empty: it is not JSON either.
    expect_error(raw(bad, "   \t"), -32700, "malformed JSON")


def test_line_too_long_closes_only_that_connection(bad):
    line = b'{"jsonrpc": "2.0", "id": 1, "method": "server.info", "x": "' + \
        b"a" * (2 << 20) + b'"}\n'
    try:
        bad.send_raw(line)
    except (BrokenPipeError, ConnectionResetError):
        pass  # parzend answered and closed while we were still sending
    r = bad.read_line()
    expect_error(r, -32600, "line longer than %d bytes" % MAX_LINE,
                 "closing")
    bad.sock.settimeout(10)
    rest = b""
    while True:
        try:
            chunk = bad.sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        rest += chunk
    assert rest == b"", rest


def test_line_without_newline_past_limit_is_refused(bad):
    # No newline at all: parzend cannot wait for one forever.
    try:
        bad.send_raw(b"[" * (MAX_LINE + 4096))
    except (BrokenPipeError, ConnectionResetError):
        pass
    expect_error(bad.read_line(), -32600, "line longer than")


def padded(id_, total):
    """A server.info request exactly `total` bytes long (without '\\n')."""
    head = '{"jsonrpc": "2.0", "id": %d, "method": "server.info"' % id_
    return (head + " " * (total - len(head) - 1) + "}").encode()


def test_line_at_the_limit_is_accepted(bad):
    for n, id_ in ((MAX_LINE - 100, 1), (MAX_LINE, 2)):
        line = padded(id_, n)
        assert len(line) == n
        r = raw(bad, line)
        assert r.get("id") == id_ and r["result"]["name"] == "parzend", r
    # A long line that is valid JSON but a bad request gets a normal
    # error, not a close.
    pad = "p" * (MAX_LINE - 200)
    r = raw(bad, json.dumps({"jsonrpc": "2.0", "id": 3,
                             "method": "server.info",
                             "params": {"pad": pad}}))
    expect_error(r, -32602, "unknown parameter", path="params.pad", id_=3)
    assert bad.call("server.info")["name"] == "parzend"


def test_line_one_past_the_limit_is_refused(bad):
    try:
        bad.send_raw(padded(1, MAX_LINE + 1) + b"\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    expect_error(bad.read_line(), -32600, "line longer than")


@pytest.mark.parametrize("text, words", [
    ("42", ["must be a JSON object"]),
    ('"server.info"', ["must be a JSON object"]),
    ("null", ["must be a JSON object"]),
    ("true", ["must be a JSON object"]),
    ("[]", ["batches are not supported"]),
    ('[{"jsonrpc": "2.0", "id": 1, "method": "server.info"}]',
     ["batches are not supported"]),
    ('[{"jsonrpc": "2.0", "id": 1, "method": "server.info"},'
     ' {"jsonrpc": "2.0", "id": 2, "method": "server.info"}]',
     ["batches are not supported"]),
], ids=["number", "string", "null", "true", "empty-batch", "batch-1",
        "batch-2"])
def test_not_an_object(bad, text, words):
    r = raw(bad, text)
    expect_error(r, -32600, "invalid request", *words)


@pytest.mark.parametrize("req, words, id_", [
    ({"id": 1, "method": "server.info"}, ['"jsonrpc" must be "2.0"'], 1),
    ({"jsonrpc": "1.0", "id": 2, "method": "server.info"},
     ['"jsonrpc" must be "2.0"'], 2),
    ({"jsonrpc": 2.0, "id": 3, "method": "server.info"},
     ['"jsonrpc" must be "2.0"'], 3),
    ({"jsonrpc": "2.0", "id": 4}, ['"method" must be a string'], 4),
    ({"jsonrpc": "2.0", "id": 5, "method": 17},
     ['"method" must be a string'], 5),
    ({"jsonrpc": "2.0", "id": 6, "method": ["server.info"]},
     ['"method" must be a string'], 6),
    ({"jsonrpc": "2.0", "id": 7, "method": None},
     ['"method" must be a string'], 7),
    ({"jsonrpc": "2.0", "id": {"n": 1}, "method": "server.info"},
     ["id must be a number or a string"], None),
    ({"jsonrpc": "2.0", "id": [8], "method": "server.info"},
     ["id must be a number or a string"], None),
    ({"jsonrpc": "2.0", "id": True, "method": "server.info"},
     ["id must be a number or a string"], None),
], ids=["no-jsonrpc", "jsonrpc-1.0", "jsonrpc-number", "no-method",
        "method-number", "method-array", "method-null", "id-object",
        "id-array", "id-bool"])
def test_invalid_envelope(bad, req, words, id_):
    r = raw(bad, json.dumps(req))
    expect_error(r, -32600, "invalid request", *words, id_=id_)


def test_string_id_and_params_not_object(bad):
    r = raw(bad, '{"jsonrpc": "2.0", "id": "abc", "method": "server.info"}')
    assert r["id"] == "abc" and r["result"]["protocol"] == 1
    r = raw(bad, '{"jsonrpc": "2.0", "id": 9, "method": "study.get",'
                 ' "params": ["good"]}')
    expect_error(r, -32602, "params: must be an object", path="params",
                 id_=9)
    r = raw(bad, '{"jsonrpc": "2.0", "id": 10, "method": "study.get",'
                 ' "params": "good"}')
    expect_error(r, -32602, "must be an object", path="params", id_=10)


def test_unknown_method(bad):
    for name in ("study.frobnicate", "", "Server.Info", "x" * 1000):
        r = raw(bad, json.dumps({"jsonrpc": "2.0", "id": 1,
                                 "method": name}))
        err = expect_error(r, -32601, "no method", "trial.ask",
                           "server.info", id_=1)
        assert len(err["message"]) < 1000


# --- params ------------------------------------------------------------------

BAD_PARAMS = [
    # method, params, path, words
    ("study.get", {}, "params.study", ["missing"]),
    ("study.get", {"study": 5}, "params.study", ["must be a string"]),
    ("study.get", {"study": None}, "params.study", ["missing"]),
    ("study.pause", {}, "params.study", ["missing"]),
    ("study.best", {"study": ["good"]}, "params.study", ["string"]),
    ("study.delete", {"study": {}}, "params.study", ["string"]),
    ("trial.ask", {}, "params.study", ["missing"]),
    ("trial.ask", {"study": "good", "worker": 5}, "params.worker",
     ["must be a string"]),
    ("trial.ask", {"study": "good", "worker": ""}, "params.worker",
     ["1 to 200 bytes"]),
    ("trial.ask", {"study": "good", "worker": "w" * 201}, "params.worker",
     ["1 to 200 bytes"]),
    ("trial.tell", {"trial": 1}, "params.status", ["missing"]),
    ("trial.tell", {"trial": 1, "status": "maybe"}, "params.status",
     ['"ok", "fail" or "pruned"']),
    ("trial.tell", {"trial": 1, "status": True}, "params.status",
     ['"ok", "fail" or "pruned"']),
    ("trial.tell", {"status": "fail"}, "params.trial", ["missing"]),
    ("trial.tell", {"trial": "1", "status": "fail"}, "params.trial",
     ["an integer"]),
    ("trial.tell", {"trial": 1.5, "status": "fail"}, "params.trial",
     ["an integer"]),
    ("trial.tell", {"trial": 0, "status": "fail"}, "params.trial",
     ["an integer from 1"]),
    ("trial.tell", {"trial": -3, "status": "fail"}, "params.trial",
     ["an integer from 1"]),
    ("trial.tell", {"trial": 1, "status": "fail", "attempt": -1},
     "params.attempt", ["an integer from 0"]),
    ("trial.tell", {"trial": 1, "status": "fail", "attempt": "0"},
     "params.attempt", ["an integer"]),
    ("trial.tell", {"trial": 1, "status": "fail", "result": [1]},
     "params.result", ["an object"]),
    ("trial.tell", {"trial": 1, "status": "fail", "result": "boom"},
     "params.result", ["an object"]),
    ("trial.get", {}, "params.trial", ["missing"]),
    ("trial.get", {"trial": None}, "params.trial", ["an integer"]),
    ("trial.heartbeat", {"trial": True}, "params.trial", ["an integer"]),
    ("trial.heartbeat", {"trial": 1, "attempt": 0.5}, "params.attempt",
     ["an integer"]),
    ("trial.release", {"trial": [1]}, "params.trial", ["an integer"]),
    ("trial.list", {}, "params.study", ["missing"]),
    ("trial.list", {"study": "good", "limit": 0}, "params.limit",
     ["an integer from 1 to 10000"]),
    ("trial.list", {"study": "good", "limit": 10001}, "params.limit",
     ["an integer from 1 to 10000"]),
    ("trial.list", {"study": "good", "offset": -1}, "params.offset",
     ["an integer from 0"]),
    ("trial.list", {"study": "good", "state": "done"}, "params.state",
     ['"queued", "running", "ok", "fail" or "pruned"']),
    ("trial.list", {"study": "good", "state": 1}, "params.state",
     ['"queued", "running", "ok", "fail" or "pruned"']),
    ("trial.enqueue", {"study": "good"}, "params.params", ["missing"]),
    ("trial.enqueue", {"study": "good", "params": [1]}, "params.params",
     ["an object"]),
    ("study.create", {"space": {}}, "params.name", ["missing"]),
    ("study.create", {"name": 3, "space": {}}, "params.name",
     ["must be a string"]),
    ("study.create", {"name": "", "space": {}}, "params.name",
     ["1 to 200 bytes"]),
    ("study.create", {"name": "n" * 201, "space": {}}, "params.name",
     ["1 to 200 bytes"]),
    ("study.create", {"name": "a\nb", "space": {}}, "params.name",
     ["control characters"]),
    ("study.create", {"name": "s"}, "params.space", ["missing"]),
    ("study.create", {"name": "s", "space": {}, "algo": "grid"},
     "params.algo", ['"random", "anneal" or "mix"']),
    ("study.create", {"name": "s", "space": {}, "algo": 1},
     "params.algo", ["must be a string"]),
    ("study.create", {"name": "s", "space": {}, "seed": -1},
     "params.seed", ["an integer from 0"]),
    ("study.create", {"name": "s", "space": {}, "seed": 1.5},
     "params.seed", ["an integer"]),
    ("study.create", {"name": "s", "space": {}, "seed": "42"},
     "params.seed", ["an integer"]),
    ("study.create", {"name": "s", "space": {}, "max_trials": 0},
     "params.max_trials", ["an integer from 1"]),
    ("study.create", {"name": "s", "space": {}, "heartbeat_timeout": 0},
     "params.heartbeat_timeout", ["> 0"]),
    ("study.create", {"name": "s", "space": {}, "heartbeat_timeout": "60"},
     "params.heartbeat_timeout", ["number of seconds"]),
    ("study.create", {"name": "s", "space": {}, "exist_ok": "yes"},
     "params.exist_ok", ["true or false"]),
    ("study.create", {"name": "s", "space": {}, "config": [1]},
     "params.config", ["an object"]),
    ("study.create", {"name": "s", "space": {}, "config": {"gamma": 2}},
     "params.config.gamma", ["must be in"]),
    ("study.create", {"name": "s", "space": {}, "config": {"gama": 0.2}},
     "params.config.gama", ["unknown setting"]),
    ("study.create", {"name": "s", "space": {},
                      "config": {"pending": "lie"}},
     "params.config.pending", ['"liar" or "ignore"']),
]


@pytest.mark.parametrize("method, params, path, words", BAD_PARAMS,
                         ids=["%s-%s" % (m, p) for m, _, p, _ in BAD_PARAMS])
def test_bad_params(bad, method, params, path, words):
    e = call_error(bad, method, -32602, *words, path=path, **params)
    assert e.message.startswith(path + ":"), e.message


@pytest.mark.parametrize("method, params, key", [
    ("server.info", {"verbose": True}, "verbose"),
    ("study.list", {"all": 1}, "all"),
    ("study.get", {"study": "good", "name": "good"}, "name"),
    ("trial.ask", {"study": "good", "wroker": "w"}, "wroker"),
    ("trial.tell", {"trial": 1, "status": "ok", "los": 1}, "los"),
    ("study.create", {"name": "s", "space": {}, "spaec": {}}, "spaec"),
])
def test_unknown_param_key(bad, method, params, key):
    e = call_error(bad, method, -32602, "unknown parameter", method,
                   path="params." + key, **params)
    assert "expected" in e.message


def test_methods_without_params(bad):
    # "params" may be omitted or null for methods that need none...
    r = raw(bad, '{"jsonrpc": "2.0", "id": 1, "method": "study.list"}')
    assert "studies" in r["result"]
    r = raw(bad, '{"jsonrpc": "2.0", "id": 2, "method": "server.info",'
                 ' "params": null}')
    assert r["result"]["name"] == "parzend"
    # ...and when a method needs some, their absence names the first.
    r = raw(bad, '{"jsonrpc": "2.0", "id": 3, "method": "trial.ask"}')
    expect_error(r, -32602, "missing", path="params.study", id_=3)


# --- spaces ------------------------------------------------------------------

# From tests/unit/test_space.c's table: (space text with single quotes,
# expected message prefix). The JSON is sent as raw text so that 1e999
# arrives as an infinity.
UNI = "'$hp': 'uniform', 'label': 'x'"
BAD_SPACES = [
    ("{'x': {'$hp': 'gaussian', 'label': 'x'}}",
     "space.x.$hp: unknown distribution 'gaussian' (expected one of "
     "uniform, quniform, loguniform, qloguniform, normal, qnormal, "
     "lognormal, qlognormal, randint, uniformint, choice, pchoice)"),
    ("{'x': {'$hp': 1, 'label': 'x'}}",
     "space.x.$hp: must be a string naming a distribution"),
    ("{'x': {" + UNI + ", '$fn': 'int', 'low': 0, 'high': 1}}",
     "space.x: an object cannot have both \"$hp\" and \"$fn\""),
    ("{'x': {'$hp': 'uniform', 'low': 0, 'high': 1}}",
     "space.x: missing 'label'"),
    ("{'x': {'$hp': 'uniform', 'label': '', 'low': 0, 'high': 1}}",
     "space.x.label: must be a non-empty string"),
    ("{'a': {" + UNI + ", 'low': 0, 'high': 1},"
     " 'b': {'$hp': 'normal', 'label': 'x', 'mu': 0, 'sigma': 1}}",
     "space.b: duplicate label 'x' (first used at space.a)"),
    ("{'a': {" + UNI + ", 'low': 0, 'high': 1},"
     " 'b': {'$hp': 'choice', 'label': 'c', 'options': [1,"
     "  {'w': {'$hp': 'normal', 'label': 'x', 'mu': 0, 'sigma': 1}}]}}",
     "space.b.options[1].w: duplicate label 'x' (first used at space.a)"),
    ("{'x': {" + UNI + ", 'high': 1}}", "space.x: missing argument 'low'"),
    ("{'x': {'$hp': 'quniform', 'label': 'x', 'low': 0, 'high': 1}}",
     "space.x: missing argument 'q'"),
    ("{'x': {" + UNI + ", 'low': '0', 'high': 1}}",
     "space.x.low: must be a finite number"),
    ("{'x': {" + UNI + ", 'low': 0, 'high': 1e999}}",
     "space.x.high: must be a finite number"),
    ("{'x': {'$hp': 'qnormal', 'label': 'x', 'mu': 0, 'sigma': 1,"
     " 'q': -1e999}}",
     "space.x.q: must be a finite number"),
    ("{'x': {" + UNI + ", 'low': 1, 'high': 1}}",
     "space.x: high must be > low (got low 1, high 1)"),
    ("{'x': {'$hp': 'loguniform', 'label': 'x', 'low': 0, 'high': -1}}",
     "space.x: high must be > low (got low 0, high -1)"),
    ("{'x': {'$hp': 'randint', 'label': 'x', 'high': 0}}",
     "space.x: high must be > low (randint draws from [low, high); "
     "got low 0, high 0)"),
    ("{'x': {'$hp': 'uniformint', 'label': 'x', 'low': 5, 'high': 1}}",
     "space.x: high must be > low (got low 5, high 1)"),
    ("{'x': {'$hp': 'loguniform', 'label': 'x', 'low': -701, 'high': 0}}",
     "space.x: log-space bounds must lie in [-700, 700] (low and high are "
     "logarithms, as in hyperopt)"),
    ("{'x': {'$hp': 'quniform', 'label': 'x', 'low': 0, 'high': 1,"
     " 'q': 0}}",
     "space.x.q: q must be > 0 (got 0)"),
    ("{'x': {'$hp': 'lognormal', 'label': 'x', 'mu': 0, 'sigma': -2}}",
     "space.x.sigma: sigma must be > 0 (got -2)"),
    ("{'x': {'$hp': 'randint', 'label': 'x', 'high': 2.5}}",
     "space.x.high: must be an integer (got 2.5)"),
    ("{'x': {'$hp': 'choice', 'label': 'x', 'options': []}}",
     "space.x.options: must be a non-empty array of spaces"),
    ("{'x': {'$hp': 'pchoice', 'label': 'x', 'options': [1, 2]}}",
     "space.x: missing argument 'p'"),
    ("{'x': {'$hp': 'pchoice', 'label': 'x', 'options': [1, 2],"
     " 'p': [0.5, 0.4]}}",
     "space.x.p: probabilities sum to 0.9, must sum to 1"),
    ("{'x': {'$hp': 'pchoice', 'label': 'x', 'options': [1, 2],"
     " 'p': [0, 1.5]}}",
     "space.x.p[1]: must be a probability in [0, 1]"),
    ("{'x': {" + UNI + ", 'low': 0, 'high': 1, 'q': 1}}",
     "space.x: unknown argument 'q' for uniform (expected low, high)"),
    ("{'x': {'$fn': 'floor', 'args': [1.5]}}",
     "space.x.$fn: unknown function 'floor' (expected one of int, float, "
     "add, sub, mul, div, neg, pow)"),
    ("{'x': {'$fn': 'sub', 'args': [1]}}",
     "space.x.args: sub takes 2 arguments, got 1"),
    ("{'x': {'$fn': 'add', 'args': [1, {'$hp': 'bogus'}]}}",
     "space.x.args[1].$hp: unknown distribution 'bogus'"),
    ("{'a': {'$ref': 'x'}}",
     "space.a: key '$ref' is reserved (keys starting with '$' are "
     "\"$hp\" and \"$fn\" only)"),
    ("[1, {'b': {'$': 0}}]", "space[1].b: key '$' is reserved"),
    ("{'a': [1, -1e999]}", "space.a[1]: numbers must be finite"),
    ("{'optimizer': {'$hp': 'choice', 'label': 'optimizer', 'options': ["
     " 'sgd', {'rho': {'$hp': 'uniform', 'label': 'rho', 'low': 1,"
     " 'high': 0}}]}}",
     "space.optimizer.options[1].rho: high must be > low "
     "(got low 1, high 0)"),
    ("{'a': {'$hp': 'pchoice', 'label': 'a', 'p': [0.5, 0.5],"
     " 'options': [0, {'$hp': 'choice', 'label': 'b', 'options': ["
     " {'c': [{'$hp': 'normal', 'label': 'n', 'mu': 0,"
     " 'sigma': 0}]}]}]}}",
     "space.a.options[1].options[0].c[0].sigma: sigma must be > 0"),
]


@pytest.mark.parametrize("text, msg", BAD_SPACES,
                         ids=[m.split(":")[0] + "-%d" % i
                              for i, (_, m) in enumerate(BAD_SPACES)])
def test_invalid_space(bad, text, msg):
    assert len(BAD_SPACES) >= 30
    space = text.replace("'", '"')
    line = ('{"jsonrpc": "2.0", "id": 11, "method": "study.create",'
            ' "params": {"name": "badspace", "space": %s}}' % space)
    r = raw(bad, line)
    err = expect_error(r, -32004, id_=11, path=msg.split(":")[0])
    assert err["message"].startswith(msg), (err["message"], msg)
    # Nothing was created.
    call_error(bad, "study.get", -32001, "no study named 'badspace'",
               study="badspace")


def test_deep_nesting_is_refused(bad):
    space = {"x": 1}
    for _ in range(200):
        space = {"n": space}
    e = call_error(bad, "study.create", -32004, name="deep", space=space)
    assert e.data.get("path", "").startswith("space.n"), e.data


# --- tell, ask, enqueue, create ------------------------------------------------


@pytest.fixture
def running(d, good):
    """A running trial of a fresh study, and its study name."""
    c = d.connect()
    name = "s%d" % running.n
    running.n += 1
    new_study(c, name)
    t = c.call("trial.ask", study=name, worker="w")["trial"]
    c.close()
    return name, t


running.n = 0


def test_loss_missing_or_bad(bad, running):
    _, t = running
    tid = t["id"]
    call_error(bad, "trial.tell", -32602, "missing", "finite number",
               path="params.loss", trial=tid, status="ok")
    call_error(bad, "trial.tell", -32602, "missing", path="params.loss",
               trial=tid, status="ok", loss=None)
    call_error(bad, "trial.tell", -32602, "a finite number",
               path="params.loss", trial=tid, status="ok", loss="0.5")
    call_error(bad, "trial.tell", -32602, "a finite number",
               path="params.loss", trial=tid, status="ok", loss=[0.5])
    for text in ("1e999", "-1e999"):
        r = raw(bad, '{"jsonrpc": "2.0", "id": 4, "method": "trial.tell",'
                     ' "params": {"trial": %d, "status": "ok",'
                     ' "loss": %s}}' % (tid, text))
        expect_error(r, -32602, "a finite number", path="params.loss",
                     id_=4)
    # None of that finished the trial: a good tell still works, once.
    got = bad.call("trial.get", trial=tid)["trial"]
    assert got["state"] == "running" and got["loss"] is None
    done = bad.call("trial.tell", trial=tid, status="ok", loss=0.25,
                    result={"acc": 0.9})["trial"]
    assert done["state"] == "ok" and done["loss"] == 0.25
    assert bad.call("trial.get", trial=tid)["trial"]["result"] == {"acc": 0.9}


def test_fail_needs_no_loss(bad, running):
    _, t = running
    done = bad.call("trial.tell", trial=t["id"], status="fail",
                    result={"traceback": "boom"})["trial"]
    assert done["state"] == "fail"


def test_tell_unknown_trial(bad):
    call_error(bad, "trial.tell", -32001, "no trial with id 987654321",
               trial=987654321, status="ok", loss=1.0)
    call_error(bad, "trial.get", -32001, "no trial", trial=987654321)
    call_error(bad, "trial.heartbeat", -32001, "no trial", trial=987654321)
    call_error(bad, "trial.release", -32001, "no trial", trial=987654321)


def test_second_tell_is_wrong_state(bad, running):
    _, t = running
    bad.call("trial.tell", trial=t["id"], status="ok", loss=1.0)
    e = call_error(bad, "trial.tell", -32003, trial=t["id"], status="ok",
                   loss=2.0)
    assert "already" in e.message or "finished" in e.message, e.message
    call_error(bad, "trial.tell", -32003, trial=t["id"], status="fail")
    assert bad.call("trial.get", trial=t["id"])["trial"]["loss"] == 1.0
    call_error(bad, "trial.heartbeat", -32003, trial=t["id"])
    call_error(bad, "trial.release", -32003, trial=t["id"])


def test_unknown_study(bad):
    for m in ("trial.ask", "study.get", "study.pause", "study.resume",
              "study.best", "study.delete", "trial.list"):
        call_error(bad, m, -32001, "no study named 'nosuch'",
                   study="nosuch")
    call_error(bad, "trial.enqueue", -32001, "no study named 'nosuch'",
               study="nosuch", params={})


ENQUEUE_BAD = [
    # params, label, words
    (dict(GOOD_PARAMS, lr=5.0), "lr", ["outside the prior's range"]),
    (dict(GOOD_PARAMS, lr=0.0), "lr", ["> 0"]),
    (dict(GOOD_PARAMS, units=17), "units", ["not a multiple of q"]),
    (dict(GOOD_PARAMS, units=512), "units", ["outside the prior's range"]),
    (dict(GOOD_PARAMS, layers=5), "layers", ["not an integer in [1, 4]"]),
    (dict(GOOD_PARAMS, layers=1.5), "layers", ["not an integer"]),
    (dict(GOOD_PARAMS, opt=2), "opt", ["not an option index"]),
    (dict(GOOD_PARAMS, lr="0.1"), "lr", ["must be a finite number"]),
    (dict(GOOD_PARAMS, zz=1), "zz", ["no such label"]),
    ({k: v for k, v in GOOD_PARAMS.items() if k != "lr"}, "lr",
     ["missing", "active"]),
    ({k: v for k, v in GOOD_PARAMS.items() if k != "beta"}, "beta",
     ["missing", "active"]),
    (dict(GOOD_PARAMS, opt=0), "beta", ["inactive"]),
]


@pytest.mark.parametrize("params, label, words", ENQUEUE_BAD,
                         ids=["%s-%d" % (l, i) for i, (_, l, _) in
                              enumerate(ENQUEUE_BAD)])
def test_enqueue_outside_the_space(bad, params, label, words):
    e = call_error(bad, "trial.enqueue", -32004, label, *words,
                   study="good", params=params)
    # The label's value sits at params.params.<label> of the request.
    assert e.data.get("path") == "params.params." + label, e.data


def test_enqueue_good_params_is_queued_and_asked_first(bad):
    new_study(bad, "warm")
    q = bad.call("trial.enqueue", study="warm", params=GOOD_PARAMS)["trial"]
    assert q["state"] == "queued" and q["params"] == GOOD_PARAMS
    a = bad.call("trial.ask", study="warm")["trial"]
    assert a["id"] == q["id"] and a["state"] == "running"
    inactive = {k: v for k, v in GOOD_PARAMS.items() if k != "beta"}
    inactive["opt"] = 0
    q2 = bad.call("trial.enqueue", study="warm", params=inactive)["trial"]
    assert q2["params"] == inactive


def test_exist_ok(bad):
    s = new_study(bad, "twice", max_trials=10)
    call_error(bad, "study.create", -32002, "already exists", "exist_ok",
               name="twice", space=SPACE, algo="random", seed=7,
               max_trials=10)
    again = bad.call("study.create", name="twice", space=SPACE,
                     algo="random", seed=7, max_trials=10,
                     exist_ok=True)["study"]
    assert again["seed"] == s["seed"] and again["name"] == "twice"
    other = dict(SPACE, lr={"$hp": "loguniform", "label": "lr",
                            "low": -8, "high": 0})
    for change, word in ((dict(space=other), "space"),
                         (dict(algo="tpe"), "algo"),
                         (dict(seed=8), "seed"),
                         (dict(max_trials=11), "max_trials"),
                         (dict(config={"gamma": 0.5}), "config"),
                         (dict(heartbeat_timeout=5), "heartbeat_timeout")):
        kw = dict(name="twice", space=SPACE, algo="random", seed=7,
                  max_trials=10, exist_ok=True)
        kw.update(change)
        call_error(bad, "study.create", -32002, "different " + word, **kw)
    assert bad.call("study.get", study="twice")["study"]["max_trials"] == 10


# --- connections -------------------------------------------------------------


def test_disconnect_mid_line(d, good):
    for cut in (1, 20, 45):
        c = d.connect()
        req = b'{"jsonrpc": "2.0", "id": 1, "method": "study.create",' \
              b' "params": {"name": "half", "space": {}}}\n'
        c.send_raw(req[:cut])
        c.close()
    # Half a request and a shutdown of the write side: no reply, no harm.
    c = d.connect()
    c.send_raw(b'{"jsonrpc": "2.0", "id": 1, "method": "serv')
    c.sock.shutdown(socket.SHUT_WR)
    assert c.sock.recv(100) == b""
    c.close()
    assert good.call("server.info")["name"] == "parzend"
    call_error(good, "study.get", -32001, study="half")


def test_disconnect_with_replies_pending(d, good):
    c = d.connect()
    c.send_raw(b'{"jsonrpc": "2.0", "id": 1, "method": "trial.ask",'
               b' "params": {"study": "good"}}\n' * 50)
    c.close()
    assert good.call("server.info")["name"] == "parzend"


def test_hang_up_while_replies_are_written(d, good):
    # Many replies to a peer that is already gone: the writes fail with
    # EPIPE, which must not kill the daemon with SIGPIPE.
    for _ in range(5):
        c = d.connect()
        c.send_raw(b'{"jsonrpc": "2.0", "id": 1, "method": "server.info"}\n'
                   * 3000)
        c.close()
    assert good.call("server.info")["name"] == "parzend"
    assert d.proc.poll() is None, d.read_log()


def test_half_close_still_gets_every_reply(d, good):
    # A script that writes all its requests, shuts down its writing side
    # and then reads (nc -U, socat): every request gets its reply, also
    # those that waited for the commit, and then parzend closes.
    new_study(good, "half")
    c = d.connect()
    n = 2000
    c.send_raw(b'{"jsonrpc": "2.0", "id": 1, "method": "trial.ask",'
               b' "params": {"study": "half"}}\n' * n)
    c.sock.shutdown(socket.SHUT_WR)
    data = b""
    while True:
        chunk = c.sock.recv(1 << 16)
        if not chunk:
            break
        data += chunk
    c.close()
    replies = [json.loads(x) for x in data.splitlines()]
    assert len(replies) == n
    assert sorted(r["result"]["trial"]["number"] for r in replies) == \
        list(range(n))
    assert good.call("trial.list", study="half", limit=1)["total"] == n


def test_500_connections_at_once(d, good):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 700
    if soft < want:
        if hard != resource.RLIM_INFINITY and hard < want:
            pytest.skip("RLIMIT_NOFILE hard limit %d is too low" % hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    conns = []
    try:
        for _ in range(500):
            conns.append(Connection(d.socket, 30))
        for i, c in enumerate(conns):
            c.send_raw(b'{"jsonrpc": "2.0", "id": %d, "method":'
                       b' "server.info"}\n' % i)
        seen = 0
        for i, c in enumerate(conns):
            r = c.read_line()
            assert r["id"] == i and r["result"]["name"] == "parzend", r
            seen = max(seen, r["result"]["connections"])
        assert seen >= 501
    finally:
        for c in conns:
            c.close()
        if soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert good.call("server.info")["name"] == "parzend"


def test_notifications_get_no_reply_but_take_effect(bad):
    new_study(bad, "note")
    lines = [
        {"jsonrpc": "2.0", "method": "study.pause",
         "params": {"study": "note"}},
        # Failing notifications are not answered either.
        {"jsonrpc": "2.0", "method": "no.such.method"},
        {"jsonrpc": "2.0", "method": "study.get", "params": {}},
        {"jsonrpc": "2.0", "method": "trial.tell",
         "params": {"trial": 987654321, "status": "ok", "loss": 1}},
        {"jsonrpc": "2.0", "id": 77, "method": "study.get",
         "params": {"study": "note"}},
    ]
    bad.send_raw("".join(json.dumps(x) + "\n" for x in lines).encode())
    r = bad.read_line()
    assert r["id"] == 77, r
    assert r["result"]["study"]["state"] == "paused"
    # An ask sent as a notification creates a trial nobody hears about.
    bad.call("study.resume", study="note")
    bad.send_raw(b'{"jsonrpc": "2.0", "method": "trial.ask",'
                 b' "params": {"study": "note"}}\n')
    lst = bad.call("trial.list", study="note")
    assert lst["total"] == 1 and lst["trials"][0]["state"] == "running"


def test_null_id_is_answered(bad):
    # id null is a request (JSON-RPC 2.0 discourages it but it is not a
    # notification): it gets a reply with id null.
    r = raw(bad, '{"jsonrpc": "2.0", "id": null, "method": "server.info"}')
    assert r["id"] is None and r["result"]["name"] == "parzend"


def test_pipelining_1000_in_one_write(bad):
    new_study(bad, "pipe", max_trials=2000)
    reqs = []
    for i in range(1000):
        k = i % 4
        if k == 0:
            req = {"jsonrpc": "2.0", "id": i, "method": "trial.ask",
                   "params": {"study": "pipe"}}
        elif k == 1:
            req = {"jsonrpc": "2.0", "id": i, "method": "server.info"}
        elif k == 2:
            req = {"jsonrpc": "2.0", "id": i, "method": "study.get",
                   "params": {"study": "nosuch"}}
        else:
            req = {"jsonrpc": "2.0", "id": "s%d" % i, "method": "study.get",
                   "params": {"study": "pipe"}}
        reqs.append(json.dumps(req))
    bad.send_raw(("\n".join(reqs) + "\n").encode())
    numbers = []
    for i in range(1000):
        r = bad.read_line()
        k = i % 4
        assert r["id"] == (i if k != 3 else "s%d" % i), (i, r)
        if k == 0:
            numbers.append(r["result"]["trial"]["number"])
        elif k == 1:
            assert r["result"]["name"] == "parzend"
        elif k == 2:
            assert r["error"]["code"] == -32001
        else:
            assert r["result"]["study"]["counts"]["total"] == i // 4 + 1
    assert numbers == list(range(250))


# --- other methods -------------------------------------------------------------


def test_pause_resume(bad):
    new_study(bad, "pr")
    st = bad.call("study.pause", study="pr")["study"]
    assert st["state"] == "paused"
    r = bad.call("trial.ask", study="pr")
    assert r == {"trial": None, "reason": "paused"}
    # Pausing twice is harmless.
    assert bad.call("study.pause", study="pr")["study"]["state"] == "paused"
    assert bad.call("study.resume", study="pr")["study"]["state"] == \
        "running"
    t = bad.call("trial.ask", study="pr")["trial"]
    assert t["state"] == "running" and t["number"] == 0
    # A running trial may be told while paused.
    bad.call("study.pause", study="pr")
    assert bad.call("trial.tell", trial=t["id"], status="ok",
                    loss=1.0)["trial"]["state"] == "ok"


def test_max_trials(bad):
    new_study(bad, "mt", max_trials=2)
    for _ in range(2):
        t = bad.call("trial.ask", study="mt")["trial"]
        bad.call("trial.tell", trial=t["id"], status="ok", loss=1.0)
    assert bad.call("trial.ask", study="mt") == {"trial": None,
                                                  "reason": "max_trials"}
    call_error(bad, "trial.enqueue", -32003, "max_trials", study="mt",
               params=GOOD_PARAMS)


def test_delete(bad):
    new_study(bad, "del")
    t = bad.call("trial.ask", study="del")["trial"]
    r = bad.call("study.delete", study="del")
    assert r == {"deleted": "del", "trials": 1}
    call_error(bad, "study.get", -32001, "no study named 'del'",
               study="del")
    call_error(bad, "trial.tell", -32001, trial=t["id"], status="ok",
               loss=1.0)
    call_error(bad, "study.delete", -32001, study="del")
    names = [s["name"] for s in bad.call("study.list")["studies"]]
    assert "del" not in names
    # The name can be used again.
    assert new_study(bad, "del")["counts"]["total"] == 0


def test_trial_list_paging_and_filter(bad):
    new_study(bad, "page")
    ids = []
    for i in range(25):
        t = bad.call("trial.ask", study="page")["trial"]
        ids.append(t["id"])
    for i, tid in enumerate(ids[:15]):
        if i % 3 == 0:
            bad.call("trial.tell", trial=tid, status="fail")
        else:
            bad.call("trial.tell", trial=tid, status="ok", loss=float(i))
    bad.call("trial.enqueue", study="page", params=GOOD_PARAMS)

    full = bad.call("trial.list", study="page")
    assert full["total"] == 26
    assert [t["number"] for t in full["trials"]] == list(range(26))
    got = []
    for off in range(0, 26, 7):
        p = bad.call("trial.list", study="page", offset=off, limit=7)
        assert p["total"] == 26
        got += [t["number"] for t in p["trials"]]
    assert got == list(range(26))
    assert bad.call("trial.list", study="page", offset=100)["trials"] == []

    counts = {"ok": 10, "fail": 5, "running": 10, "queued": 1}
    for state, n in counts.items():
        p = bad.call("trial.list", study="page", state=state)
        assert p["total"] == n, (state, p["total"])
        assert len(p["trials"]) == n
        assert all(t["state"] == state for t in p["trials"])
    p = bad.call("trial.list", study="page", state="ok", offset=8, limit=5)
    assert p["total"] == 10 and len(p["trials"]) == 2
    st = bad.call("study.get", study="page")["study"]
    assert st["counts"] == dict(counts, pruned=0, total=26)


def test_best(bad):
    new_study(bad, "best")
    assert bad.call("study.best", study="best") == {"trial": None}
    losses = [3.0, 1.0, 2.0, 1.0]
    ts = [bad.call("trial.ask", study="best")["trial"] for _ in losses]
    t_fail = bad.call("trial.ask", study="best")["trial"]
    bad.call("trial.tell", trial=t_fail["id"], status="fail")
    assert bad.call("study.best", study="best") == {"trial": None}
    for t, loss in zip(ts, losses):
        bad.call("trial.tell", trial=t["id"], status="ok", loss=loss,
                 result={"loss_was": loss})
    b = bad.call("study.best", study="best")["trial"]
    # Ties go to the lower number.
    assert b["number"] == 1 and b["loss"] == 1.0
    assert b["result"] == {"loss_was": 1.0}
    st = bad.call("study.get", study="best")["study"]
    assert st["best"]["id"] == b["id"] and st["best"]["loss"] == 1.0


def test_daemon_still_alive_and_clean(d, good):
    info = good.call("server.info")
    assert info["connections"] >= 1
    assert d.proc.poll() is None
    assert "ERROR" not in d.read_log().upper().replace("ERRORS", ""), \
        d.read_log()
