"""What the Python runners of the quality suite share with bench/quality
(the C driver): checkpoints, the figure recorded at each, and the result
line. Standard library only."""
import statistics

MARKS = (25, 50, 100)


def checkpoints(evals):
    """25, 50 and 100 where the budget reaches them, and the budget."""
    out = [m for m in MARKS if m <= evals]
    if not out or out[-1] != evals:
        out.append(evals)
    return out


def figures(obs, true, marks):
    """At each checkpoint c, the true loss of the trial with the lowest
    observed loss among the first c (the first such trial on ties)."""
    out, arg, c = [], 0, 0
    for k in range(len(obs)):
        if obs[k] < obs[arg]:
            arg = k
        if c < len(marks) and k + 1 == marks[c]:
            out.append(true[arg])
            c += 1
    return out


def result_line(p, algo, config, workers, seeds, seed0, evals, per_seed,
                seconds):
    """The JSON line of one problem, in bench/quality's format;
    per_seed[s] is the list of figures of seed seed0 + s."""
    marks = checkpoints(evals)
    best = {str(c): [f[i] for f in per_seed] for i, c in enumerate(marks)}
    return {
        "problem": p.name, "group": p.group, "half": p.half,
        "fmin": p.fmin, "algo": algo, "config": config,
        "workers": workers, "seeds": seeds, "seed0": seed0,
        "evals": evals, "checkpoints": marks, "best": best,
        "median": {c: statistics.median(v) for c, v in best.items()},
        "seconds": seconds,
    }
