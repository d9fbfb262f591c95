/*
 * The figures by name: their titles and descriptions, which of them a
 * page shows and with which scales, and drawing one as an SVG element or
 * document (report.h has the contract). The HTML page (report.c) and the
 * dashboard both go through here, so a figure has one name, one title,
 * one text and one drawing.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "plot.h"
#include "report_data.h"

const char *const pz_report_plot_kinds[] = {
	"history",  "learning", "importance", "effects", "priors",
	"pairs",    "parallel", "contour",    "edf",     "timeline",
	NULL,
};

struct about {
	const char *kind, *title, *text;
};

static const struct about abouts[] = {
	{ "history", "History",
	  "The loss of every trial against its number, and the best loss so "
	  "far. Failed and running trials have no loss and sit in the band "
	  "at the top; pruned trials are grey triangles at their last "
	  "reported value." },
	{ "learning", "Learning curves",
	  "The values each trial reported against their step (epoch), the "
	  "best trial's curve in red; a pruned trial's curve ends in a grey "
	  "triangle where it was stopped." },
	{ "importance", "Importance",
	  "How much of the variation of the loss each hyperparameter "
	  "explains on its own: the Kruskal-Wallis effect size "
	  "\xce\xb7\xc2\xb2<sub>H</sub> of the loss ranks, grouped by the "
	  "label's option or by ten equal-count bins of its value, over the "
	  "ok trials where the label is active. 0: no effect beyond chance; "
	  "1: the label alone orders the losses. Interactions are not "
	  "counted (docs/report.md)." },
	{ "effects", "Effect of each hyperparameter",
	  "The loss against each label's value, most important label "
	  "first. Log-scaled priors get log axes, choices one strip per "
	  "option, named by its value. Trials where a label is inactive are "
	  "left out of its panel and counted below it." },
	{ "priors", "Priors vs what the search sampled",
	  "For each label, its prior (orange) and the values the trials "
	  "drew (blue): where the bars rise above the prior, the search "
	  "concentrated. Log-scaled priors are drawn per decade of a log "
	  "axis; discrete ones as shares per value." },
	{ "pairs", "Pairs of the most important labels",
	  "Each ok trial placed by two labels' values, coloured by its rank "
	  "(dark: low loss, yellow: high), with each label's histogram on "
	  "the diagonal." },
	{ "parallel", "Parallel coordinates",
	  "Each ok trial as a line through its value on every label's axis "
	  "(most important first) to its loss, coloured by rank (dark: low "
	  "loss); inactive labels are skipped." },
	{ "contour", "Contour of two hyperparameters",
	  "The loss over two labels' values: each cell is coloured by the "
	  "kernel-weighted mean rank of the ok trials near it (dark: low "
	  "loss), cells far from every trial are left blank, and the "
	  "trials are dots." },
	{ "edf", "Empirical distribution of the losses",
	  "The share of ok trials whose loss is at most x: a curve that "
	  "rises early means many good trials." },
	{ "timeline", "Timeline",
	  "Each trial's last run as a bar from its start to its end "
	  "(running ones to now), one row per worker; below, how many ran "
	  "at once. Gaps are idle time." },
};

int pz_report_figure_about(const char *kind, const char **title,
                           const char **about)
{
	for (size_t i = 0; i < sizeof(abouts) / sizeof(abouts[0]); i++)
		if (kind != NULL && strcmp(kind, abouts[i].kind) == 0) {
			*title = abouts[i].title;
			*about = abouts[i].text;
			return 0;
		}
	*title = *about = NULL;
	return PZ_EINVAL;
}

int pz_report_figure_shown(const struct pz_report_data *d, const char *kind)
{
	return strcmp(kind, "learning") != 0 || d->n_curves > 0;
}

int pz_report_figure_log(const struct pz_report_data *d, const char *kind)
{
	if (strcmp(kind, "history") == 0 || strcmp(kind, "edf") == 0)
		return d->log_offered ? d->loss_log : -1;
	if (strcmp(kind, "learning") == 0)
		return pz_plot_learning_log_offered(d) ? 1 : -1;
	return -1;
}

void pz_figure_init(struct pz_figure *f)
{
	f->kind = NULL;
	f->standalone = 0;
	f->log = -1;
	f->x = f->y = NULL;
	f->trial = -1;
}

/* The value axis of a figure: `want` (-1: the data's), if it can be log. */
static int resolve_log(const struct pz_report_data *d, const char *kind,
                       int want)
{
	int positive;

	if (strcmp(kind, "learning") == 0) {
		positive = 1;
		for (size_t i = 0; i < d->n_points; i++)
			positive &= d->curves[i].value > 0;
		if (want < 0)
			return pz_plot_learning_log_offered(d);
		return want && positive && d->n_points > 0;
	}
	if (want < 0)
		return d->loss_log;
	/* Log needs positive losses (loss_lo of the ok trials). */
	return want && d->best >= 0 && d->loss_lo > 0;
}

void pz_plot_draw(struct pz_buf *b, const struct pz_report_data *d,
                  const struct pz_figure *f)
{
	const char *k = f->kind;
	int sa = f->standalone;

	if (strcmp(k, "history") == 0) {
		pz_plot_history(b, d, resolve_log(d, k, f->log), sa);
	} else if (strcmp(k, "learning") == 0) {
		pz_plot_learning(b, d, resolve_log(d, k, f->log), f->trial,
		                 sa);
	} else if (strcmp(k, "importance") == 0) {
		pz_plot_importance(b, d, sa);
	} else if (strcmp(k, "effects") == 0) {
		pz_plot_effects(b, d, sa);
	} else if (strcmp(k, "priors") == 0) {
		pz_plot_priors(b, d, sa);
	} else if (strcmp(k, "pairs") == 0) {
		pz_plot_pairs(b, d, sa);
	} else if (strcmp(k, "parallel") == 0) {
		pz_plot_parallel(b, d, sa);
	} else if (strcmp(k, "contour") == 0) {
		int lx = f->x ? pz_space_find(d->space, f->x) : -1;
		int ly = f->y ? pz_space_find(d->space, f->y) : -1;

		if (lx < 0 || ly < 0 || lx == ly)
			pz_plot_contour_labels(d, &lx, &ly);
		pz_plot_contour(b, d, lx, ly, sa);
	} else if (strcmp(k, "edf") == 0) {
		pz_plot_edf(b, d, resolve_log(d, k, f->log), sa);
	} else {
		pz_plot_timeline(b, d, sa);
	}
}

static int known(const char *kind)
{
	for (int k = 0; kind != NULL && pz_report_plot_kinds[k] != NULL; k++)
		if (strcmp(kind, pz_report_plot_kinds[k]) == 0)
			return 1;
	return 0;
}

static int unknown_kind(const char *kind, struct pz_error *err)
{
	return pz_error_set(err, PZ_EINVAL,
	                    "unknown plot '%.40s' (expected history, "
	                    "learning, importance, effects, priors, pairs, "
	                    "parallel, contour, edf or timeline)",
	                    kind ? kind : "(null)");
}

int pz_report_figure(const struct pz_report_data *d, const struct pz_figure *f,
                     char **svg_out, size_t *len, struct pz_error *err)
{
	struct pz_buf b;

	*svg_out = NULL;
	if (len != NULL)
		*len = 0;
	if (!known(f->kind))
		return unknown_kind(f->kind, err);
	if (strcmp(f->kind, "contour") == 0) {
		if (f->x != NULL && pz_space_find(d->space, f->x) < 0)
			return pz_error_set(err, PZ_EINVAL,
			                    "x: no label '%.80s' in the space",
			                    f->x);
		if (f->y != NULL && pz_space_find(d->space, f->y) < 0)
			return pz_error_set(err, PZ_EINVAL,
			                    "y: no label '%.80s' in the space",
			                    f->y);
	}
	pz_buf_init(&b);
	if (f->standalone)
		pz_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	pz_plot_draw(&b, d, f);
	if (f->standalone)
		pz_buf_puts(&b, "\n");
	if (pz_buf_take(&b, svg_out, len) != 0)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	return 0;
}

int pz_report_plot(const cJSON *study, const cJSON *trials, const char *kind,
                   const struct pz_report_options *opt, char **svg_out,
                   size_t *len, struct pz_error *err)
{
	struct pz_report_data *d;
	struct pz_figure f;
	int rc;

	*svg_out = NULL;
	if (len != NULL)
		*len = 0;
	if (!known(kind))
		return unknown_kind(kind, err);
	rc = pz_report_data_create(study, trials, opt, &d, err);
	if (rc != 0)
		return rc;
	pz_figure_init(&f);
	f.kind = kind;
	f.standalone = 1;
	rc = pz_report_figure(d, &f, svg_out, len, err);
	pz_report_data_destroy(d);
	return rc;
}
