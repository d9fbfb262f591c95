/*
 * Hyperparameter importance: how much of the variation of the loss one
 * label explains on its own.
 *
 * The method is a one-dimensional analysis of variance on ranks, the
 * Kruskal-Wallis effect size eta^2_H (Tomczak & Tomczak 2014), computed
 * per label over the trials that finished ok with the label active:
 *
 *   1. The losses are replaced by their ranks (ties get the mean rank),
 *      so the score does not change under any increasing transform of the
 *      loss and a few huge losses cannot dominate it.
 *   2. The trials are grouped by the label's value: a choice by its
 *      option; a numeric label into k = min(10, n / 5) bins of equal
 *      count (quantile bins, which suit a TPE that samples unevenly),
 *      never splitting trials with equal values. Beyond 4096 trials the
 *      bin edges are the quantiles of an even sample of 4096 of them.
 *   3. H = (n - 1) * SS_between / SS_total of the ranks over the groups
 *      (the Kruskal-Wallis statistic with its tie correction), and the
 *      score is eta^2_H = (H - k + 1) / (n - k), clipped to [0, 1].
 *
 * The "- k + 1" removes what k groups explain by chance, so a label with
 * no effect scores near 0 whatever its number of options or bins, and a
 * label that orders the losses perfectly scores near 1. A score is NAN
 * when fewer than PZ_IMPORTANCE_MIN_TRIALS trials qualify. Scores are
 * main effects: a label whose effect only shows together with another
 * label's scores low.
 */
#ifndef PZ_IMPORTANCE_H
#define PZ_IMPORTANCE_H

#include <stddef.h>

#include <parzen/space.h>

#define PZ_IMPORTANCE_MIN_TRIALS 10

/*
 * Score one label from `n` (value, loss) pairs; `categorical`: values are
 * option indices. Pairs with a NAN value or loss are left out. Returns 0
 * or PZ_ENOMEM; *score as above.
 */
int pz_importance_1d(const double *x, const double *loss, size_t n,
                     int categorical, double *score);

/*
 * Score every label of `space`. `values` holds `n` params vectors (row
 * major, NAN for inactive labels), `loss` one loss per row, NAN for rows
 * that did not finish ok (they are left out). `scores` receives
 * space->n_params scores. Returns 0 or PZ_ENOMEM.
 */
int pz_importance(const struct pz_space *space, const double *values,
                  const double *loss, size_t n, double *scores);

#endif
