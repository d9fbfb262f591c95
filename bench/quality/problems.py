"""The problems of the quality suite: spaces, objectives, groups, halves.

Every problem is a parzen space document (plain JSON with {"$hp": ...}
and {"$fn": ...} nodes, hyperopt's conventions: log kinds take their
bounds in log space, randint is [low, high)) and an objective that takes
the evaluated point (hyperopt's space_eval result) and returns the loss.
All methods evaluate these same Python objectives: parzen's C driver
through evaluate.py, Optuna and hyperopt in process. See README.md for
the groups and the rule that splits them into a tuning and a validation
half.

Standard library only (the tables of the tabular problems were made once
by make_tables.py, which needs scikit-learn).

    python3 bench/quality/problems.py --list     # names, groups, halves
"""
import hashlib
import itertools
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TABLES = os.path.join(HERE, "tables")
LN = math.log


# --- space builders (the JSON form of hyperopt's hp.*) ---------------------

def _hp(kind, label, **args):
    node = {"$hp": kind, "label": label}
    node.update(args)
    return node


def uniform(label, low, high):
    return _hp("uniform", label, low=low, high=high)


def quniform(label, low, high, q):
    return _hp("quniform", label, low=low, high=high, q=q)


def loguniform(label, low, high):
    return _hp("loguniform", label, low=low, high=high)


def qloguniform(label, low, high, q):
    return _hp("qloguniform", label, low=low, high=high, q=q)


def normal(label, mu, sigma):
    return _hp("normal", label, mu=mu, sigma=sigma)


def qnormal(label, mu, sigma, q):
    return _hp("qnormal", label, mu=mu, sigma=sigma, q=q)


def lognormal(label, mu, sigma):
    return _hp("lognormal", label, mu=mu, sigma=sigma)


def qlognormal(label, mu, sigma, q):
    return _hp("qlognormal", label, mu=mu, sigma=sigma, q=q)


def randint(label, low, high):
    return _hp("randint", label, low=low, high=high)


def choice(label, options):
    return _hp("choice", label, options=list(options))


def pchoice(label, p_options):
    return _hp("pchoice", label, options=[o for _, o in p_options],
               p=[p for p, _ in p_options])


def fn(name, *args):
    return {"$fn": name, "args": list(args)}


# --- helpers ----------------------------------------------------------------

def sq(x):
    return x * x


def unit(x, low, high):
    """x mapped to [0, 1] over [low, high]."""
    return (x - low) / (high - low)


def hash01(*key):
    """A number in [0, 1) that depends only on `key` (for fixed tables)."""
    h = hashlib.sha256(repr(key).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2.0 ** 64


def gauss_noise(name, seed, trial):
    """N(0, 1) noise of trial `trial` of seed `seed`: a fixed function of
    (problem, seed, trial), by Box-Muller on two SHA-256 uniforms."""
    h = hashlib.sha256(("%s:%d:%d" % (name, seed, trial)).encode()).digest()
    u1 = ((int.from_bytes(h[:8], "big") >> 11) + 1) * 2.0 ** -53  # (0, 1]
    u2 = (int.from_bytes(h[8:16], "big") >> 11) * 2.0 ** -53      # [0, 1)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


class Problem:
    """name, group, space, objective(point, eps) -> loss, fmin, noise.

    A noisy problem's objective returns (observed, true) and is given the
    trial's N(0, 1) draw `eps`; a noise-free one returns the loss."""

    def __init__(self, name, group, space, objective, fmin, noisy=False,
                 note=""):
        self.name = name
        self.group = group
        self.space = space
        self.objective = objective
        self.fmin = fmin
        self.noisy = noisy
        self.note = note
        self.half = None  # set by _split()

    def evaluate(self, point, seed, trial):
        """(observed loss, true loss) of `point` as trial `trial` of seed
        `seed`."""
        if self.noisy:
            obs, true = self.objective(point,
                                       gauss_noise(self.name, seed, trial))
            return float(obs), float(true)
        loss = float(self.objective(point, 0.0))
        return loss, loss

    def kinds(self):
        """The set of $hp kinds in the space."""
        out = set()

        def walk(node):
            if isinstance(node, list):
                for v in node:
                    walk(v)
            elif isinstance(node, dict):
                if "$hp" in node:
                    out.add(node["$hp"])
                    for o in node.get("options", []):
                        walk(o)
                elif "$fn" in node:
                    walk(node["args"])
                else:
                    for v in node.values():
                        walk(v)
        walk(self.space)
        return out

    def categorical(self):
        """True if the space has a choice (categorical or conditional)."""
        return bool(self.kinds() & {"choice", "pchoice"})

    def conditional(self):
        """True if some label is active only under a choice's option."""
        def walk(node, inside):
            if isinstance(node, list):
                return any(walk(v, inside) for v in node)
            if isinstance(node, dict):
                if "$hp" in node:
                    if inside:
                        return True
                    return any(walk(o, True) for o in node.get("options", []))
                if "$fn" in node:
                    return walk(node["args"], inside)
                return any(walk(v, inside) for v in node.values())
            return False
        return walk(self.space, False)


PROBLEMS = []


def problem(name, group, space, fmin, noisy=False, note=""):
    def deco(f):
        PROBLEMS.append(Problem(name, group, space, f, fmin, noisy, note))
        return f
    return deco


# --- public: the public suite, as it is -------------------------------------

@problem("quad1d", "public", uniform("x", -2, 2), 0.75)
def _quad1d(x, eps):
    return x ** 2 - x + 1


@problem("sphere2d", "public",
         {"x": uniform("x", -10, 10), "y": uniform("y", -10, 10)}, 0.0)
def _sphere2d(p, eps):
    return p["x"] ** 2 + p["y"] ** 2


def _branin(x1, x2):
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return ((x2 - b * x1 ** 2 + c * x1 - 6) ** 2
            + 10 * (1 - t) * math.cos(x1) + 10)


@problem("branin", "public",
         {"x1": uniform("x1", -5, 10), "x2": uniform("x2", 0, 15)},
         0.397887)
def _branin_p(p, eps):
    return _branin(p["x1"], p["x2"])


_H_ALPHA = [1.0, 1.2, 3.0, 3.2]
_H_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
_H_P = [[1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381]]


@problem("hartmann6", "public",
         {"x%d" % i: uniform("x%d" % i, 0, 1) for i in range(6)}, -3.32237)
def _hartmann6(p, eps):
    x = [p["x%d" % i] for i in range(6)]
    total = 0.0
    for i in range(4):
        inner = sum(_H_A[i][j] * (x[j] - 1e-4 * _H_P[i][j]) ** 2
                    for j in range(6))
        total += _H_ALPHA[i] * math.exp(-inner)
    return -total


@problem("rosenbrock4", "public",
         {"x%d" % i: uniform("x%d" % i, -5, 10) for i in range(4)}, 0.0)
def _rosenbrock4(p, eps):
    x = [p["x%d" % i] for i in range(4)]
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2
               for i in range(3))


@problem("lr_momentum", "public",
         {"lr": loguniform("lr", LN(1e-6), LN(1.0)),
          "momentum": uniform("momentum", 0, 1)}, 0.0)
def _lr_momentum(p, eps):
    return (math.log10(p["lr"]) + 3) ** 2 + 0.1 * (p["momentum"] - 0.9) ** 2


_CNN_SPACE = {
    "arch": choice("n_conv", [
        {"n": 1, "w": [quniform("c1_w1", 16, 128, 16)]},
        {"n": 2, "w": [quniform("c2_w1", 16, 128, 16),
                       quniform("c2_w2", 16, 256, 16)]},
        {"n": 3, "w": [quniform("c3_w1", 16, 128, 16),
                       quniform("c3_w2", 16, 256, 16),
                       quniform("c3_w3", 32, 512, 32)]},
    ]),
    "lr": loguniform("lr", LN(1e-5), LN(1.0)),
    "dropout": uniform("dropout", 0.0, 0.8),
    "optimizer": choice("optimizer", [
        {"name": "sgd", "momentum": uniform("sgd_momentum", 0.0, 0.99),
         "nesterov": choice("sgd_nesterov", [False, True])},
        {"name": "adam", "beta1": uniform("adam_beta1", 0.8, 0.999)},
        {"name": "rmsprop", "rho": uniform("rmsprop_rho", 0.8, 0.99),
         "centered": choice("rmsprop_centered", [False, True])},
    ]),
    "batch": qloguniform("batch", LN(16), LN(512), 16),
    "epochs": randint("epochs", 5, 51),
}
_CNN_ARCH = {1: (0.15, [96]), 2: (0.05, [64, 128]), 3: (0.08, [48, 96, 192])}
_CNN_LR = {"sgd": 1e-2, "adam": 1e-3, "rmsprop": 3e-4}


@problem("cnn_conditional", "public", _CNN_SPACE, 0.106)
def _cnn_conditional(p, eps):
    a = p["arch"]
    base, wopt = _CNN_ARCH[int(a["n"])]
    scale = 0.1 / len(wopt)
    loss = 0.05 + base + sum(scale * math.log2(max(w, 1) / wo) ** 2
                             for w, wo in zip(a["w"], wopt))
    o = p["optimizer"]
    loss += 0.1 * (math.log10(p["lr"]) - math.log10(_CNN_LR[o["name"]])) ** 2
    if o["name"] == "sgd":
        loss += (0.02 + 0.2 * (o["momentum"] - 0.9) ** 2
                 - (0.01 if o["nesterov"] else 0.0))
    elif o["name"] == "adam":
        loss += 0.5 * (o["beta1"] - 0.9) ** 2
    else:
        loss += (0.03 + 0.3 * (o["rho"] - 0.9) ** 2
                 + (0.0 if o["centered"] else 0.01))
    loss += 0.2 * (p["dropout"] - 0.3) ** 2
    loss += 0.02 * math.log2(max(p["batch"], 1) / 64) ** 2
    loss += 0.3 / int(p["epochs"])
    return loss


@problem("int_quantized", "public",
         {"layers": randint("layers", 1, 9),
          "units": qloguniform("units", LN(8), LN(2048), 8),
          "batch": quniform("batch", 16, 512, 16),
          "k": quniform("k", -10, 10, 1)}, 0.0)
def _int_quantized(p, eps):
    layers, units = int(p["layers"]), max(p["units"], 1)
    return (0.1 * (layers - 4) ** 2
            + 0.5 * math.log2(units * layers / 1280) ** 2
            + ((p["batch"] - 96) / 64) ** 2 + 0.05 * (p["k"] - 3) ** 2)


# --- hyperopt: the test domains of hyperopt/tests/unit/test_domains.py -------

@problem("ho_quadratic1", "hyperopt", uniform("x", -5, 5), 0.0)
def _ho_quadratic1(x, eps):
    return (x - 3) ** 2


@problem("ho_q1_lognormal", "hyperopt", lognormal("x", 0, 2), 0.0)
def _ho_q1_lognormal(x, eps):
    return min(0.1 * (x - 10) ** 2, 10)


@problem("ho_q1_choice", "hyperopt",
         choice("o_x", [[-3, uniform("x_neg", -5, 5)],
                        [3, uniform("x_pos", -5, 5)]]), 0.0)
def _ho_q1_choice(p, eps):
    return (p[0] - p[1]) ** 2


@problem("ho_n_arms", "hyperopt", choice("x", [0, 1]), -1.0, noisy=True,
         note="reward N(-1, 1) for arm 0, N(0, 1) for arm 1")
def _ho_n_arms(x, eps):
    mu = [-1.0, 0.0][int(x)]
    return mu + eps, mu


@problem("ho_distractor", "hyperopt", uniform("x", -15, 15),
         -(1 / (1 + math.exp(10.0)) + 2.0))
def _ho_distractor(x, eps):
    return -(1 / (1 + math.exp(-x)) + 2 * math.exp(-(x + 10) ** 2))


def _gauss_wave(t):
    return -(math.sin(t) + 2 * math.exp(-(t / 5) ** 2))


# hyperopt's curve = choice([x, x + pi]) reuses the node x in both options;
# labels are unique here, so the choice picks the shift and x is shared.
@problem("ho_gauss_wave", "hyperopt",
         {"x": uniform("x", -20, 20), "shift": choice("curve", [0, math.pi])},
         min(_gauss_wave(i / 1e4) for i in range(10000, 20000)))
def _ho_gauss_wave(p, eps):
    return _gauss_wave(p["x"] + p["shift"])


def _gauss_wave2(x, amp):
    return -(2 * math.exp(-(x / 5) ** 2) + math.sin(x) * amp)


@problem("ho_gauss_wave2", "hyperopt",
         {"x": uniform("x", -20, 20),
          "amp": choice("hf", [0, uniform("amp", 0, 1)])},
         min(_gauss_wave2(i / 1e4, 1.0) for i in range(5000, 25000)),
         noisy=True, note="N(0, 0.1) noise on the loss")
def _ho_gauss_wave2(p, eps):
    true = _gauss_wave2(p["x"], p["amp"])
    return true - 0.1 * eps, true


@problem("ho_many_dists", "hyperopt",
         {"a": choice("a", [0, 1, 2]), "b": randint("b", 0, 10),
          "bb": randint("bb", 12, 25), "c": uniform("c", 4, 7),
          "d": loguniform("d", -2, 0), "e": quniform("e", 0, 10, 3),
          "f": qloguniform("f", 0, 3, 2), "g": normal("g", 4, 7),
          "h": lognormal("h", -2, 2), "i": qnormal("i", 0, 10, 2),
          "j": qlognormal("j", 0, 2, 1),
          "k": pchoice("k", [(0.1, 0), (0.9, 1)])},
         math.log(1e-12))
def _ho_many_dists(p, eps):
    z = sum(p[k] for k in "a b bb c d e f g h i j k".split())
    return math.log(1e-12 + z ** 2)


@problem("ho_readme", "hyperopt",
         choice("a", [["case 1", fn("add", 1, lognormal("c1", 0, 1))],
                      ["case 2", uniform("c2", -10, 10)]]), 0.0,
         note="hyperopt's README example; case 2 is better (loss < 1)")
def _ho_readme(p, eps):
    case, val = p
    return val if case == "case 1" else val ** 2


# --- conditional: choices, nested sub-spaces, irrelevant choices -----------

_NESTED2_SPACE = {
    "model": choice("family", [
        {"family": "linear",
         "alpha": loguniform("lin_alpha", LN(1e-4), LN(10)),
         "penalty": choice("lin_penalty", [
             {"kind": "l2"},
             {"kind": "elastic", "ratio": uniform("lin_l1_ratio", 0, 1)}])},
        {"family": "tree",
         "depth": quniform("tree_depth", 1, 12, 1),
         "split": choice("tree_split", [
             {"kind": "best",
              "min_leaf": qloguniform("tree_min_leaf", LN(1), LN(64), 1)},
             {"kind": "random",
              "n_trees": qloguniform("tree_n", LN(10), LN(500), 10),
              "frac": uniform("tree_frac", 0.1, 1)}])},
        {"family": "kernel",
         "C": loguniform("kern_C", LN(1e-3), LN(1e3)),
         "kernel": choice("kern_kernel", [
             {"kind": "rbf",
              "gamma": loguniform("kern_gamma", LN(1e-4), LN(1))},
             {"kind": "poly", "degree": randint("kern_degree", 2, 6),
              "coef0": uniform("kern_coef0", 0, 2)}])},
    ]),
    "scale": choice("scale", [False, True]),
}


# The best leaf (kernel/poly, 0.0) has a narrow basin two choices deep; a
# random point there averages about 2. tree/best is the leaf that looks
# best under random sampling (about 0.28 on average, minimum 0.22).
@problem("cond_nested2", "conditional", _NESTED2_SPACE, -0.02)
def _cond_nested2(p, eps):
    m = p["model"]
    ulog = lambda x, lo, hi: unit(math.log(max(x, 1e-300)), LN(lo), LN(hi))
    if m["family"] == "linear":
        ua = ulog(m["alpha"], 1e-4, 10)
        if m["penalty"]["kind"] == "l2":
            loss = 0.30 + 0.2 * sq(ua - 0.6)
        else:
            loss = (0.28 + 0.2 * sq(ua - 0.5)
                    + 0.1 * sq(m["penalty"]["ratio"] - 0.3))
    elif m["family"] == "tree":
        ud = unit(m["depth"], 1, 12)
        s = m["split"]
        if s["kind"] == "best":
            loss = (0.22 + 0.3 * sq(ud - 0.5)
                    + 0.3 * sq(ulog(max(s["min_leaf"], 1), 1, 64) - 0.3))
        else:
            loss = (0.12 + sq(ud - 0.8)
                    + sq(ulog(max(s["n_trees"], 10), 10, 500) - 0.9)
                    + sq(s["frac"] - 0.4))
    else:
        uc = ulog(m["C"], 1e-3, 1e3)
        k = m["kernel"]
        if k["kind"] == "rbf":
            ug = ulog(k["gamma"], 1e-4, 1)
            loss = 0.05 + 3 * sq(uc + ug - 1.1) + 1.5 * sq(uc - 0.7)
        else:
            loss = (6 * sq(uc - 0.6) + 0.3 * sq(k["degree"] - 3)
                    + 6 * sq(k["coef0"] / 2 - 0.8))
        if p["scale"]:
            loss -= 0.02
    return loss


_LATE_BASE = [0.35, 0.20, 0.45, 0.0, 0.30]
_LATE_SCALE = [1.0, 0.5, 1.0, 8.0, 2.0]
_LATE_CENTER = [(0.3, 0.7), (0.5, 0.5), (0.8, 0.2), (0.72, 0.28),
                (0.2, 0.2)]


# Option 1 is good almost everywhere (0.20 to 0.45); option 3 is the best
# (0.0) but only near its centre: a random point there averages about 1.4.
@problem("cond_late_best", "conditional",
         {"arm": choice("arm", [
             {"k": i, "u": uniform("a%d_u" % i, 0, 1),
              "v": uniform("a%d_v" % i, 0, 1)} for i in range(5)])}, 0.0)
def _cond_late_best(p, eps):
    a = p["arm"]
    i = a["k"]
    cu, cv = _LATE_CENTER[i]
    return _LATE_BASE[i] + _LATE_SCALE[i] * (sq(a["u"] - cu)
                                             + sq(a["v"] - cv))


_IRR_SIZES = [2, 3, 4, 5, 6, 2, 3, 4, 5, 6, 3, 4]
_IRR_SPACE = {"x%d" % i: uniform("x%d" % i, 0, 1) for i in range(3)}
_IRR_SPACE["mode"] = choice("mode", ["a", "b", "c", "d"])
_IRR_SPACE.update({"junk%d" % j: choice("junk%d" % j,
                                        ["v%d" % v for v in range(n)])
                   for j, n in enumerate(_IRR_SIZES)})
_IRR_OFFSET = {"a": 0.25, "b": 0.10, "c": 0.0, "d": 0.35}
_IRR_CENTER = (0.2, 0.55, 0.8)


@problem("cond_irrelevant", "conditional", _IRR_SPACE, 0.0)
def _cond_irrelevant(p, eps):
    return _IRR_OFFSET[p["mode"]] + sum(sq(p["x%d" % i] - c)
                                        for i, c in enumerate(_IRR_CENTER))


_CAT_SIZES = [3, 4, 5, 3, 4, 5, 3, 4, 5, 3]
_CAT_PAIRS = [(0, 1), (2, 3), (4, 5), (6, 7), (8, 9), (1, 4), (3, 8)]


def _cat_unary(i, o):
    return 0.3 * hash01("cat_heavy", "unary", i, o)


def _cat_pair(i, j, a, b):
    return 0.3 * hash01("cat_heavy", "pair", i, j, a, b)


def _cat_heavy_loss(c):
    return (sum(_cat_unary(i, o) for i, o in enumerate(c))
            + sum(_cat_pair(i, j, c[i], c[j]) for i, j in _CAT_PAIRS))


def _cat_heavy_min():
    # The pairs form three paths (0-1-4-5, 2-3-8-9, 6-7); minimize each
    # path's share by enumeration.
    total = 0.0
    for comp in ([0, 1, 4, 5], [2, 3, 8, 9], [6, 7]):
        best = math.inf
        for vals in itertools.product(*[range(_CAT_SIZES[i]) for i in comp]):
            c = dict(zip(comp, vals))
            v = sum(_cat_unary(i, c[i]) for i in comp)
            v += sum(_cat_pair(i, j, c[i], c[j]) for i, j in _CAT_PAIRS
                     if i in c and j in c)
            best = min(best, v)
        total += best
    return total


@problem("cond_cat_heavy", "conditional",
         {"c%d" % i: choice("c%d" % i, ["o%d" % o for o in range(n)])
          for i, n in enumerate(_CAT_SIZES)}, _cat_heavy_min())
def _cond_cat_heavy(p, eps):
    return _cat_heavy_loss([int(p["c%d" % i][1:])
                            for i in range(len(_CAT_SIZES))])


# --- prior: normal / lognormal / qnormal / qlognormal, optimum in a tail ----

@problem("prior_normal", "prior",
         {"x": normal("x", 0, 1), "y": normal("y", 2, 1)}, 0.0,
         note="optimum x = 2.5, y = -0.5: 2.5 sigma out")
def _prior_normal(p, eps):
    return sq(p["x"] - 2.5) + sq(p["y"] + 0.5)


_LR_OPT = 0.01 * math.exp(2.5)
_DECAY_OPT = 1e-4 * math.exp(-4.2)


@problem("prior_lognormal", "prior",
         {"lr": lognormal("lr", LN(0.01), 1),
          "decay": lognormal("decay", LN(1e-4), 1.5)}, 0.0,
         note="optimum lr = 0.122 (+2.5 sigma), decay = 1.5e-6 (-2.8 sigma)")
def _prior_lognormal(p, eps):
    return (0.5 * sq(math.log(p["lr"] / _LR_OPT))
            + 0.2 * sq(math.log(p["decay"] / _DECAY_OPT)))


@problem("prior_quantized", "prior",
         {"units": qlognormal("units", LN(32), 0.5, 8),
          "k": qnormal("k", 3, 1, 1)}, 0.0,
         note="optimum units = 128 (+2.8 sigma), k = 6 (+3 sigma)")
def _prior_quantized(p, eps):
    return sq(math.log2(max(p["units"], 1) / 128)) + 0.25 * sq(p["k"] - 6)


_SGD_LR_OPT = 0.01 * math.exp(3.0)


@problem("prior_mixed", "prior",
         {"opt": choice("opt", [
             {"name": "sgd", "lr": lognormal("sgd_lr", LN(0.01), 1),
              "momentum": normal("sgd_momentum", 0.5, 0.2)},
             {"name": "adam", "lr": lognormal("adam_lr", LN(1e-3), 1),
              "amsgrad": choice("adam_amsgrad", [False, True])}]),
          "batch": qlognormal("batch", LN(64), 0.5, 16),
          "shift": qnormal("shift", 0, 2, 1)}, 0.05,
         note="sgd (0.05) beats adam (0.09) only with lr 3 sigma and "
              "momentum 2.25 sigma out; batch 16 (-2.8 sigma), shift 5 "
              "(+2.5 sigma)")
def _prior_mixed(p, eps):
    o = p["opt"]
    if o["name"] == "sgd":
        loss = (0.05 + 0.5 * sq(math.log(o["lr"] / _SGD_LR_OPT))
                + 2 * sq(o["momentum"] - 0.95))
    else:
        loss = (0.10 + 0.5 * sq(math.log(o["lr"] / 3e-3))
                - (0.01 if o["amsgrad"] else 0.0))
    loss += 0.1 * sq(math.log2(max(p["batch"], 1) / 16))
    loss += 0.02 * sq(p["shift"] - 5)
    return loss


# --- tabular: scikit-learn tasks answered from tables ----------------------
#
# GRIDS[task][branch] = list of axes (name, "log" | "lin", values). The
# table of a task holds, per branch, the metric at every grid point in
# row-major order of the axes (make_tables.py). A lookup interpolates
# multilinearly over the axes (in log10 for "log" axes), clamping a value
# outside an axis to its end.

def _log10s(lo, hi, step):
    n = int(round((hi - lo) / step))
    return [10.0 ** (lo + i * step) for i in range(n + 1)]


GRIDS = {
    "svm_digits": {
        "linear": [("C", "log", _log10s(-3, 5, 0.5))],
        "rbf": [("C", "log", _log10s(-3, 5, 0.5)),
                ("gamma", "log", _log10s(-5, 1, 0.5))],
        "poly": [("C", "log", _log10s(-3, 5, 1)),
                 ("gamma", "log", _log10s(-4, 1, 1)),
                 ("degree", "lin", [1, 2, 3, 4, 5]),
                 ("coef0", "lin", [-1, 0, 1])],
    },
    "mlp_digits": {
        "%s|%s|%s" % (opt, act, depth): (
            [("units1", "log", [16, 64, 256])]
            + ([("units2", "log", [16, 64, 256])] if depth == "2" else [])
            + [("alpha", "log", [1e-5, 1e-2, 1.0])]
            + ([("lr", "log", [1e-4, 1e-3, 1e-2, 1e-1])] if opt == "adam"
               else [("lr", "log", [1e-3, 1e-2, 1e-1, 1.0]),
                     ("momentum", "lin", [0.0, 0.9])]))
        for opt in ("adam", "sgd", "sgd_nesterov")
        for act in ("relu", "tanh") for depth in ("1", "2")
    },
    "gbm_diabetes": {
        "": [("learning_rate", "log",
              [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]),
             ("n_estimators", "log", [16, 32, 64, 128, 256]),
             ("max_depth", "lin", [1, 2, 3, 4, 5]),
             ("subsample", "lin", [0.5, 0.75, 1.0])],
    },
    "hgb_breast_cancer": {
        cw: [("learning_rate", "log", [0.01, 0.03, 0.1, 0.3, 1.0]),
             ("max_leaf_nodes", "log", [4, 16, 64]),
             ("min_samples_leaf", "log", [2, 8, 32, 128]),
             ("l2_regularization", "log", [1e-3, 1e-1, 10.0])]
        for cw in ("none", "balanced")
    },
    "pipeline_wine": {
        "%s|%s" % (scaler, model): axes
        for scaler in ("none", "standard", "minmax")
        for model, axes in (
            ("logreg", [("C", "log", _log10s(-3, 3, 0.5))]),
            ("knn_uniform", [("k", "log", [1, 2, 3, 5, 8, 13, 21, 34, 50])]),
            ("knn_distance", [("k", "log", [1, 2, 3, 5, 8, 13, 21, 34, 50])]),
            ("svm", [("C", "log", _log10s(-2, 3, 1)),
                     ("gamma", "log", _log10s(-4, 1, 1))]),
            ("rf_unlimited", [("n_estimators", "log", [10, 40, 200])]),
            ("rf_depth", [("n_estimators", "log", [10, 40, 200]),
                          ("max_depth", "log", [1, 2, 4, 8, 16])]))
    },
}

METRICS = {
    "svm_digits": "1 - accuracy, 3-fold stratified CV on 900 digits",
    "mlp_digits": "validation log loss, 600 train / 1197 validation digits, "
                  "30 epochs",
    "gbm_diabetes": "1 - R^2, 3-fold CV on diabetes",
    "hgb_breast_cancer": "log loss, 3-fold stratified CV on breast_cancer",
    "pipeline_wine": "1 - accuracy, 2 x 5-fold stratified CV on wine",
}


def grid_points(axes):
    """Every grid point of `axes` as a dict, in row-major order."""
    names = [a[0] for a in axes]
    for vals in itertools.product(*[a[2] for a in axes]):
        yield dict(zip(names, vals))


class Table:
    def __init__(self, task):
        path = os.path.join(TABLES, task + ".json")
        with open(path) as f:
            doc = json.load(f)
        self.task = task
        self.branches = {}
        for key, axes in GRIDS[task].items():
            values = doc["branches"][key]
            n = 1
            for a in axes:
                n *= len(a[2])
            if len(values) != n:
                raise ValueError("%s: branch %r has %d values, grid %d"
                                 % (path, key, len(values), n))
            tr = [(name, scale, [math.log10(v) if scale == "log" else v
                                 for v in vals])
                  for name, scale, vals in axes]
            self.branches[key] = (tr, values)
        self.min = min(min(v) for _, v in self.branches.values())

    def lookup(self, key, coords):
        axes, values = self.branches[key]
        # Per axis: the two neighbours and the weight of the upper one.
        idx, frac, strides = [], [], []
        stride = 1
        for name, scale, grid in reversed(axes):
            strides.append(stride)
            stride *= len(grid)
        strides.reverse()
        for name, scale, grid in axes:
            x = coords[name]
            x = math.log10(max(x, 1e-300)) if scale == "log" else float(x)
            if len(grid) == 1 or x <= grid[0]:
                idx.append(0)
                frac.append(0.0)
                continue
            if x >= grid[-1]:
                idx.append(len(grid) - 2)
                frac.append(1.0)
                continue
            i = 0
            while grid[i + 1] < x:
                i += 1
            idx.append(i)
            frac.append((x - grid[i]) / (grid[i + 1] - grid[i]))
        total = 0.0
        for corner in itertools.product((0, 1), repeat=len(axes)):
            w, off = 1.0, 0
            for d, c in enumerate(corner):
                w *= frac[d] if c else 1.0 - frac[d]
                off += (idx[d] + c) * strides[d]
            if w > 0:
                total += w * values[off]
        return total


_TABLE_CACHE = {}


def table(task):
    if task not in _TABLE_CACHE:
        _TABLE_CACHE[task] = Table(task)
    return _TABLE_CACHE[task]


def _table_min(task):
    """The table's minimum (that of its interpolation), or None when the
    table has not been made yet."""
    try:
        return table(task).min
    except OSError:
        return None


# An SVM with a three-way kernel choice: lognormal C, lognormal gammas, a
# qnormal degree and a normal coef0.
@problem("tab_svm_digits", "tabular",
         {"C": lognormal("C", 0, 2),
          "kernel": choice("kernel", [
              {"kind": "linear"},
              {"kind": "poly", "gamma": lognormal("poly_gamma", LN(0.01), 2),
               "degree": qnormal("poly_degree", 3, 1, 1),
               "coef0": normal("poly_coef0", 0, 1)},
              {"kind": "rbf",
               "gamma": lognormal("rbf_gamma", LN(0.01), 2)}])},
         _table_min("svm_digits"), note=METRICS["svm_digits"])
def _tab_svm_digits(p, eps):
    k = p["kernel"]
    coords = {"C": p["C"]}
    if k["kind"] != "linear":
        coords["gamma"] = k["gamma"]
    if k["kind"] == "poly":
        coords["degree"] = k["degree"]
        coords["coef0"] = k["coef0"]
    return table("svm_digits").lookup(k["kind"], coords)


# The CIFAR-style nested space: optional second layer with its width,
# optimizer choice with nested parameters (sgd -> nesterov), activation,
# lognormal weight decay.
@problem("tab_mlp_digits", "tabular",
         {"units1": qloguniform("units1", LN(16), LN(256), 16),
          "layer2": choice("layer2", [
              None, {"units": qloguniform("units2", LN(16), LN(256), 16)}]),
          "activation": choice("activation", ["relu", "tanh"]),
          "alpha": lognormal("alpha", LN(1e-4), 2),
          "optimizer": choice("optimizer", [
              {"name": "adam", "lr": loguniform("adam_lr", LN(1e-4), LN(0.1))},
              {"name": "sgd", "lr": loguniform("sgd_lr", LN(1e-3), LN(1.0)),
               "momentum": uniform("sgd_momentum", 0, 0.95),
               "nesterov": choice("sgd_nesterov", [False, True])}])},
         _table_min("mlp_digits"), note=METRICS["mlp_digits"])
def _tab_mlp_digits(p, eps):
    o = p["optimizer"]
    name = o["name"]
    if name == "sgd" and o["nesterov"]:
        name = "sgd_nesterov"
    depth = "1" if p["layer2"] is None else "2"
    coords = {"units1": max(p["units1"], 1), "alpha": p["alpha"],
              "lr": o["lr"]}
    if depth == "2":
        coords["units2"] = max(p["layer2"]["units"], 1)
    if o["name"] == "sgd":
        coords["momentum"] = o["momentum"]
    return table("mlp_digits").lookup(
        "%s|%s|%s" % (name, p["activation"], depth), coords)


@problem("tab_gbm_diabetes", "tabular",
         {"learning_rate": loguniform("learning_rate", LN(0.005), LN(1.0)),
          "n_estimators": qloguniform("n_estimators", LN(16), LN(256), 8),
          "max_depth": randint("max_depth", 1, 6),
          "subsample": uniform("subsample", 0.5, 1.0)},
         _table_min("gbm_diabetes"), note=METRICS["gbm_diabetes"])
def _tab_gbm_diabetes(p, eps):
    return table("gbm_diabetes").lookup("", {
        "learning_rate": p["learning_rate"],
        "n_estimators": max(p["n_estimators"], 1),
        "max_depth": p["max_depth"], "subsample": p["subsample"]})


@problem("tab_hgb_breast_cancer", "tabular",
         {"learning_rate": lognormal("learning_rate", LN(0.1), 1),
          "max_leaf_nodes": qloguniform("max_leaf_nodes", LN(4), LN(64), 1),
          "min_samples_leaf": qlognormal("min_samples_leaf", LN(20), 1, 1),
          "l2_regularization": lognormal("l2_regularization", LN(0.1), 2),
          "class_weight": choice("class_weight", [None, "balanced"])},
         _table_min("hgb_breast_cancer"), note=METRICS["hgb_breast_cancer"])
def _tab_hgb_breast_cancer(p, eps):
    return table("hgb_breast_cancer").lookup(
        "none" if p["class_weight"] is None else "balanced", {
            "learning_rate": p["learning_rate"],
            "max_leaf_nodes": max(p["max_leaf_nodes"], 1),
            "min_samples_leaf": max(p["min_samples_leaf"], 1),
            "l2_regularization": p["l2_regularization"]})


@problem("tab_pipeline_wine", "tabular",
         {"scaler": choice("scaler", [None, "standard", "minmax"]),
          "model": choice("model", [
              {"name": "logreg", "C": lognormal("logreg_C", 0, 2)},
              {"name": "knn", "k": qloguniform("knn_k", 0, LN(50), 1),
               "weights": choice("knn_weights", ["uniform", "distance"])},
              {"name": "svm", "C": loguniform("svm_C", LN(1e-2), LN(1e3)),
               "gamma": loguniform("svm_gamma", LN(1e-4), LN(10))},
              {"name": "rf",
               "n_estimators": qloguniform("rf_n", LN(10), LN(200), 10),
               "max_depth": choice("rf_depth_limit", [
                   None, randint("rf_max_depth", 1, 17)])}])},
         _table_min("pipeline_wine"), note=METRICS["pipeline_wine"])
def _tab_pipeline_wine(p, eps):
    m = p["model"]
    scaler = p["scaler"] or "none"
    if m["name"] == "logreg":
        key, coords = "logreg", {"C": m["C"]}
    elif m["name"] == "knn":
        key, coords = "knn_" + m["weights"], {"k": max(m["k"], 1)}
    elif m["name"] == "svm":
        key, coords = "svm", {"C": m["C"], "gamma": m["gamma"]}
    elif m["max_depth"] is None:
        key, coords = "rf_unlimited", {"n_estimators": max(m["n_estimators"],
                                                           10)}
    else:
        key, coords = "rf_depth", {"n_estimators": max(m["n_estimators"], 10),
                                   "max_depth": m["max_depth"]}
    return table("pipeline_wine").lookup(scaler + "|" + key, coords)


# --- the split --------------------------------------------------------------

def _split():
    """README.md's rule: the public suite tunes; within every other group,
    names sorted by SHA-256 alternate validation, tuning, validation..."""
    groups = {}
    for p in PROBLEMS:
        groups.setdefault(p.group, []).append(p)
    for g, ps in groups.items():
        if g == "public":
            for p in ps:
                p.half = "tuning"
            continue
        ps = sorted(ps, key=lambda p: hashlib.sha256(
            p.name.encode("utf-8")).hexdigest())
        for i, p in enumerate(ps):
            p.half = "validation" if i % 2 == 0 else "tuning"


_split()
BY_NAME = {p.name: p for p in PROBLEMS}
GROUPS = ["public", "hyperopt", "conditional", "prior", "tabular"]


def select(names=None, half=None):
    """Problems by comma-separated names and/or half ("tuning",
    "validation"), in suite order."""
    out = PROBLEMS
    if names:
        want = [n for n in names.split(",") if n]
        for n in want:
            if n not in BY_NAME:
                raise KeyError("no problem %s" % n)
        out = [p for p in out if p.name in want]
    if half:
        out = [p for p in out if p.half == half]
    return out


def main():
    if sys.argv[1:] == ["--list"]:
        for p in PROBLEMS:
            print("%-22s %-12s %-10s %-5s %s" % (
                p.name, p.group, p.half,
                "cond" if p.conditional() else
                "cat" if p.categorical() else "-",
                "%.6g" % p.fmin if p.fmin is not None else "(no table)"))
        return
    if sys.argv[1:] == ["--spaces"]:
        for p in PROBLEMS:
            print(p.name, json.dumps(p.space))
        return
    sys.exit("usage: problems.py --list | --spaces")


if __name__ == "__main__":
    main()
