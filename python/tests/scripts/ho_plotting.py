"""hyperopt's plots of a search (matplotlib, no display)."""
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
from hyperopt import Trials, fmin, hp, plotting, tpe  # noqa: E402

trials = Trials()
space = {'x': hp.uniform('x', -5, 5), 'log_lr': hp.loguniform('log_lr', -5, 0),
         'c': hp.choice('c', [0, {'k': hp.uniform('k', 0, 1)}])}
fmin(lambda p: p['x'] ** 2 + p['log_lr'], space, algo=tpe.suggest,
     max_evals=15, trials=trials, show_progressbar=False)
for draw in (plotting.main_plot_history, plotting.main_plot_histogram,
             plotting.main_plot_vars):
    plt.figure()
    draw(trials, do_show=False)
    assert plt.gcf().axes
plt.close('all')
print("OK")
