"""hyperopt's `plotting`: the loss history, the loss histogram and one
panel per hyperparameter, drawn with matplotlib into the current figure
(`plt.show()` unless `do_show=False`).

matplotlib is not a dependency of parzen: importing this module without
it raises ImportError saying so. For a report without matplotlib, `parzen
report STUDY -o report.html` draws these and more from a persistent
study.
"""
import math

try:
    import matplotlib.pyplot as plt
except ImportError as e:  # pragma: no cover - depends on the machine
    raise ImportError(
        "parzen.plotting draws with matplotlib, which is not installed "
        "(pip install matplotlib, or apt install python3-matplotlib); "
        "`parzen report STUDY -o report.html` needs no matplotlib (%s)"
        % e) from e

from .base import (STATUS_FAIL, STATUS_NEW, STATUS_OK, STATUS_PRUNED,
                   STATUS_RUNNING)

default_status_colors = {
    STATUS_NEW: "k",
    STATUS_RUNNING: "g",
    STATUS_OK: "b",
    STATUS_FAIL: "r",
    STATUS_PRUNED: "0.6",   # grey: stopped early, its last reported loss
}

_LOG_KINDS = ("loguniform", "qloguniform", "lognormal", "qlognormal")


def _finite(y):
    return y is not None and isinstance(y, (int, float)) and math.isfinite(y)


def main_plot_history(trials, do_show=True, status_colors=None,
                      title="Loss History"):
    """Each trial's loss in trial order, coloured by status, and a line at
    the best loss (hyperopt's average_best_error). Returns the figure."""
    colors = status_colors or default_status_colors
    points = [(i, y, colors.get(s, "k")) for i, (y, s) in
              enumerate(zip(trials.losses(), trials.statuses()))
              if _finite(y)]
    fig = plt.gcf()
    if points:
        xs, ys, cs = zip(*points)
        plt.scatter(xs, ys, c=list(cs))
        best = trials.average_best_error()
        print("avg best error:", best)  # as hyperopt prints it
        plt.axhline(best, c="g")
    plt.xlabel("time")
    plt.ylabel("loss")
    plt.title(title)
    if do_show:
        plt.show()
    return fig


def main_plot_histogram(trials, do_show=True, title="Loss Histogram"):
    """A histogram of the finite losses. Returns the figure."""
    ys = [y for y in trials.losses() if _finite(y)]
    print("Showing Histogram of %i jobs" % len(ys))  # as hyperopt
    fig = plt.gcf()
    if ys:
        plt.hist(ys)
    plt.xlabel("loss")
    plt.ylabel("frequency")
    plt.title(title)
    if do_show:
        plt.show()
    return fig


def main_plot_vars(trials, do_show=True, fontsize=10, colorize_best=None,
                   columns=5, arrange_by_loss=False):
    """One panel per hyperparameter: its value in each trial where it was
    active, against the trial number (or the loss, `arrange_by_loss`),
    darker for lower losses; the `colorize_best` best trials in green; log
    kinds on a log axis. Returns the figure."""
    idxs, vals = trials.idxs_vals
    loss_by_tid = dict(zip(trials.tids, trials.losses()))
    finite = sorted(y for y in loss_by_tid.values() if _finite(y))
    lo = finite[0] if finite else 0.0
    hi = finite[-1] if finite else 1.0
    best_cut = finite[min(colorize_best, len(finite) - 1)] \
        if colorize_best is not None and finite else None
    kinds = getattr(trials, "_kinds", None) or {}
    if finite:  # as hyperopt prints it
        print("finite loss range", lo, hi,
              best_cut if best_cut is not None else lo - 1)

    def color(y):
        if not _finite(y):
            return (1.0, 1.0, 1.0)
        t = (y - lo) / (hi - lo + 1e-4)
        if best_cut is not None and y <= best_cut:
            return (0.0, 1.0 - t, 0.0)
        return (t, t, t)

    labels = sorted(idxs)
    fig = plt.gcf()
    if not labels:
        if do_show:
            plt.show()
        return fig
    ncols = min(columns, len(labels))
    nrows = (len(labels) + ncols - 1) // ncols
    for k, label in enumerate(labels):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        tids = idxs[label]
        x = [loss_by_tid.get(t) for t in tids] if arrange_by_loss else tids
        y = vals[label]
        if kinds.get(label) in _LOG_KINDS or \
                (label not in kinds and "log" in label):
            ax.set_yscale("log")
        if y:
            ax.scatter(x, y, c=[color(loss_by_tid.get(t)) for t in tids])
        ax.set_title(label, fontsize=fontsize)
        ax.set_xticklabels([])
    if do_show:
        plt.show()
    return fig


__all__ = ["main_plot_history", "main_plot_histogram", "main_plot_vars",
           "default_status_colors"]
