"""The hyperopt tutorial's four examples run with only their import
changed from hyperopt to parzen."""
import math
import os

import pytest

from conftest import HERE, result_line, run_script

TUTORIAL = os.path.join(HERE, "tutorial")


def run_tutorial(name, tmp_path):
    with open(os.path.join(TUTORIAL, name)) as f:
        src = f.read()
    assert "from hyperopt import" in src
    ported = src.replace("from hyperopt", "from parzen")
    assert "hyperopt import" not in ported
    path = tmp_path / name
    path.write_text(ported)
    p = run_script(str(path))
    return p, result_line(p.stdout)


def test_one_variable(tmp_path):
    p, best = run_tutorial("t1_one_variable.py", tmp_path)
    assert set(best) == {"x"}
    assert abs(best["x"] - 0.5) < 0.15
    # fmin shows its progress (plain lines when not on a terminal).
    assert "100/100" in p.stderr


def test_dict_space(tmp_path):
    _, best = run_tutorial("t2_dict_space.py", tmp_path)
    assert set(best) == {"x", "y"}
    assert best["x"] ** 2 + best["y"] ** 2 < 1.0


def test_nested_choice(tmp_path):
    _, r = run_tutorial("t3_nested_choice.py", tmp_path)
    best, point, seen = r["best"], r["point"], r["seen"]
    assert len(seen) == 150
    # argmin: every active label, choices as option indices.
    assert best["classifier_type"] in (0, 1, 2)
    assert point["type"]["name"] == ["naive_bayes", "svm",
                                     "dtree"][best["classifier_type"]]
    if best["classifier_type"] == 1:
        assert set(best) >= {"svm_C", "svm_kernel"}
        assert not any(k.startswith("dtree") for k in best)
    # The objective got well-formed points of every branch.
    names = {t["name"] for t in seen}
    assert names == {"naive_bayes", "svm", "dtree"}
    for t in seen:
        if t["name"] == "svm":
            assert 0 <= t["C"] < 10
            if t["kernel"]["ktype"] == "rbf":
                assert t["kernel"]["width"] > 0
            else:
                assert set(t["kernel"]) == {"ktype"}
        elif t["name"] == "dtree":
            assert t["criterion"] in ("gini", "entropy")
            assert t["max_depth"] is None or 1 <= t["max_depth"] < 20
            assert isinstance(t["min_samples_split"], int)
            assert t["min_samples_split"] >= 2
        else:
            assert t == {"name": "naive_bayes"}
    # TPE found the svm region, the best of the made-up losses.
    assert best["classifier_type"] == 1


def test_trials_history(tmp_path):
    _, r = run_tutorial("t4_trials.py", tmp_path)
    assert r["n"] == 100
    assert r["tids"] == list(range(100))
    assert set(r["states"]) == {2}  # JOB_STATE_DONE
    assert r["statuses"] == ["ok"] * 100
    for res, loss, x in zip(r["results"], r["losses"], r["vals"]["x"]):
        assert res["status"] == "ok"
        assert math.isclose(res["loss"], x ** 2)
        assert loss == res["loss"]
        assert res["other_stuff"] == {"type": None, "value": [0, 1, 2]}
        assert isinstance(res["eval_time"], float)
        assert "attachments" not in res
    assert r["argmin"] == r["best"]
    assert r["losses"][r["best_trial_tid"]] == min(r["losses"])
    assert r["has_times"]
    assert r["time_module_is_time"]


@pytest.mark.parametrize("name", sorted(os.listdir(TUTORIAL)))
def test_scripts_are_hyperopt_scripts(name):
    # The examples import hyperopt and nothing of parzen.
    with open(os.path.join(TUTORIAL, name)) as f:
        code = [line for line in f if not line.lstrip().startswith("#")]
    assert not any("parzen" in line for line in code)
    assert any(line.startswith("from hyperopt import") for line in code)
