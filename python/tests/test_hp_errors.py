"""Every invalid hp.* call raises at once, with hyperopt's kind of
exception and message."""
import math

import pytest

from parzen import Trials, fmin, hp, rand, space_eval
from parzen.exceptions import BadSearchSpace, DuplicateLabel
from parzen.space import compile_space

KINDS = {
    "uniform": (0, 1), "quniform": (0, 1, 0.5), "loguniform": (-2, 0),
    "qloguniform": (-2, 0, 0.1), "normal": (0, 1), "qnormal": (0, 1, 0.5),
    "lognormal": (0, 1), "qlognormal": (0, 1, 1), "randint": (5,),
    "uniformint": (1, 5), "choice": ([1, 2],), "pchoice": ([(1.0, "a")],),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_requires_a_string_label(kind):
    f = getattr(hp, kind)
    f("ok", *KINDS[kind])  # valid
    for bad in (1, None, 2.5, ["x"]):
        with pytest.raises(TypeError, match="^require string label$"):
            f(bad, *KINDS[kind])


RANGE = "low should be less than high"

CASES = [
    # empty ranges (hyperopt's validate_distribution_range)
    (lambda: hp.uniform("x", 1, 0), ValueError, RANGE),
    (lambda: hp.uniform("x", 1, 1), ValueError, RANGE),
    (lambda: hp.uniform("x", 0, 0), ValueError, RANGE),
    (lambda: hp.quniform("x", 5, 1, 1), ValueError, RANGE),
    (lambda: hp.loguniform("x", 0, -1), ValueError, RANGE),
    (lambda: hp.qloguniform("x", 2, 1, 1), ValueError, RANGE),
    (lambda: hp.randint("x", 0), ValueError, RANGE),
    (lambda: hp.randint("x", 5, 5), ValueError, RANGE),
    (lambda: hp.uniformint("x", 3, 1), ValueError, RANGE),
    # missing and unknown arguments (Python's own TypeErrors)
    (lambda: hp.uniform("x", 0), TypeError, "missing 1 required"),
    (lambda: hp.quniform("x", 0, 1), TypeError, "missing 1 required"),
    (lambda: hp.normal("x"), TypeError, "missing 2 required"),
    (lambda: hp.uniform("x", 0, 1, 2), TypeError, "positional argument"),
    (lambda: hp.uniform("x", low=0, hi=1), TypeError, "unexpected keyword"),
    (lambda: hp.randint("x"), TypeError, "missing"),
    (lambda: hp.randint("x", 1, 2, 3), TypeError, "positional argument"),
    (lambda: hp.randint("x", 5, upper=3), TypeError, "either upper"),
    (lambda: hp.choice("x"), TypeError, "missing 1 required"),
    (lambda: hp.uniformint("x", 1, 5, q=2), TypeError, "does not take q"),
    # arguments of the wrong type or value
    (lambda: hp.uniform("x", "0", 1), TypeError, "must be a number"),
    (lambda: hp.uniform("x", 0, None), TypeError, "must be a number"),
    (lambda: hp.uniform("x", 0, math.inf), ValueError, "finite"),
    (lambda: hp.normal("x", math.nan, 1), ValueError, "finite"),
    (lambda: hp.normal("x", 0, 0), ValueError, "sigma must be > 0"),
    (lambda: hp.lognormal("x", 0, -1), ValueError, "sigma must be > 0"),
    (lambda: hp.quniform("x", 0, 1, 0), ValueError, "q must be > 0"),
    (lambda: hp.qnormal("x", 0, 1, -1), ValueError, "q must be > 0"),
    (lambda: hp.randint("x", 2.5), ValueError, "must be an integer"),
    (lambda: hp.uniformint("x", 0.5, 3), ValueError, "must be an integer"),
    (lambda: hp.randint("x", 0, 2 ** 60), ValueError, "2\\*\\*53"),
    # the usual porting mistake: log kinds take logarithms
    (lambda: hp.loguniform("x", 1, 1000), ValueError, "logarithms"),
    (lambda: hp.qloguniform("x", -1000, 0, 1), ValueError, "logarithms"),
    # choices
    (lambda: hp.choice("x", []), ValueError, "must not be empty"),
    (lambda: hp.choice("x", 3), TypeError, "list or a tuple"),
    (lambda: hp.choice("x", "abc"), TypeError, "list or a tuple"),
    (lambda: hp.choice("x", {"a": 1}), TypeError, "list or a tuple"),
    (lambda: hp.pchoice("x", [(0.0, "a"), (0.0, "b")]), ValueError,
     "sum to 0"),
    (lambda: hp.pchoice("x", [(-0.5, "a"), (1.5, "b")]), ValueError,
     "probabilities are not non-negative"),
    (lambda: hp.pchoice("x", [0.5, 0.5]), TypeError, "cannot unpack"),
    (lambda: hp.pchoice("x", [(0.5, "a", 1)]), ValueError, "too many"),
    (lambda: hp.pchoice("x", []), ValueError, "must not be empty"),
    (lambda: hp.pchoice("x", [("p", "a")]), TypeError, "must be a number"),
    # labels
    (lambda: hp.uniform("", 0, 1), ValueError, "non-empty"),
    (lambda: hp.uniform("x" * 300, 0, 1), ValueError, "longer than 256"),
]


@pytest.mark.parametrize("i", range(len(CASES)))
def test_invalid_call_raises(i):
    call, exc, pattern = CASES[i]
    with pytest.raises(exc, match=pattern):
        call()


def test_duplicate_labels():
    space = {"a": hp.uniform("x", 0, 1), "b": hp.uniform("x", 0, 2)}
    with pytest.raises(DuplicateLabel, match="x"):
        fmin(lambda p: 0, space, algo=rand.suggest, max_evals=1,
             show_progressbar=False)
    # Inside choices too.
    space = hp.choice("c", [hp.uniform("x", 0, 1), hp.normal("x", 0, 1)])
    with pytest.raises(DuplicateLabel):
        fmin(lambda p: 0, space, algo=rand.suggest, max_evals=1,
             show_progressbar=False)


def test_node_shared_by_options_is_active_where_it_is_used():
    # hyperopt allows one hp node in several options of a choice (a
    # learning rate shared by two optimizers): it is active where any of
    # its places is. parzend defines it once, beside the choice.
    lr = hp.uniform("lr", 0, 1)
    space = hp.choice("opt", [{"a": lr}, {"b": lr, "m": hp.uniform("m", 0, 1)},
                              "none"])
    trials = Trials()
    fmin(lambda p: p["a"] if isinstance(p, dict) and "a" in p else 0.5,
         space, algo=rand.suggest, max_evals=30, trials=trials, rstate=3,
         show_progressbar=False)
    assert {t["misc"]["vals"]["opt"][0] for t in trials.trials} == {0, 1, 2}
    for t in trials.trials:
        vals = t["misc"]["vals"]
        assert bool(vals["lr"]) == (vals["opt"][0] in (0, 1))
        assert bool(vals["m"]) == (vals["opt"][0] == 1)
    doc = compile_space(space).document
    assert doc[0] == "<python hoisted>" and doc[2]["label"] == "lr"
    # Inside an option, beside the inner choice; the point is hyperopt's.
    inner = hp.choice("outer", ["x", hp.choice("inner", [[lr], (lr, 1)])])
    assert space_eval(inner, {"outer": 1, "inner": 0, "lr": 0.5}) == (0.5,)
    assert "lr" in compile_space(inner).params


def test_reserved_keys():
    with pytest.raises(BadSearchSpace, match="reserved"):
        fmin(lambda p: 0, {"$x": hp.uniform("x", 0, 1)}, algo=rand.suggest,
             max_evals=1, show_progressbar=False)


def test_valid_calls_accept_hyperopt_spellings():
    np = pytest.importorskip("numpy")
    assert hp.randint("a", 5).args == {"low": 0, "high": 5}
    assert hp.randint("a", 2, 5).args == {"low": 2, "high": 5}
    assert hp.randint("a", upper=5).args == {"low": 0, "high": 5}
    assert hp.randint("a", low=2, high=5).args == {"low": 2, "high": 5}
    assert hp.uniform("a", low=np.float64(0.5), high=np.int64(2)).args == \
        {"low": 0.5, "high": 2.0}
    assert hp.loguniform("a", np.log(1e-4), np.log(1e-1)).args["low"] < 0
    assert hp.pchoice("a", [(0.2, "x"), (0.8, "y")]).p == [0.2, 0.8]
    # hyperopt takes probabilities that do not sum to 1 as they are.
    assert hp.pchoice("a", [(0.33, "x"), (0.33, "y"), (0.33, "z")]).p == \
        pytest.approx([1 / 3] * 3)
    assert hp.choice(np.str_("a"), ("x", "y")).options == ["x", "y"]
