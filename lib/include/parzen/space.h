/*
 * Search spaces: parse and validate a space document (docs/space.md) into an
 * immutable tree plus a flat table of hyperparameters.
 *
 * A space is any JSON value. Objects with "$hp" are hyperparameters, objects
 * with "$fn" are function nodes (int, float, add, sub, mul, div, neg, pow)
 * evaluated into the point; everything else is a literal. Choices hold
 * nested spaces in their options, which makes the labels inside them
 * conditional.
 *
 * The flat table lists hyperparameters in depth-first document order, so a
 * choice always comes before the labels nested in its options. A
 * hyperparameter's value in a params vector (double[n_params]) is a float
 * for the continuous kinds, an integer-valued double for randint/uniformint,
 * and the option index for choice/pchoice; NAN means "inactive".
 *
 * Labels that are active under exactly the same condition (the same option
 * of the same choice, or unconditional) form an activation group; the TPE
 * models a group's labels jointly over the trials where the group was active.
 */
#ifndef PZ_SPACE_H
#define PZ_SPACE_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include <parzen/error.h>

/* Nesting deeper than this (JSON levels) is refused. */
#define PZ_SPACE_MAX_DEPTH 64
/* At most this many hyperparameters in one space. */
#define PZ_SPACE_MAX_PARAMS 4096
/* Labels are at most this long (bytes). */
#define PZ_LABEL_MAX 256

enum pz_hp_kind {
	PZ_HP_UNIFORM,
	PZ_HP_QUNIFORM,
	PZ_HP_LOGUNIFORM,
	PZ_HP_QLOGUNIFORM,
	PZ_HP_NORMAL,
	PZ_HP_QNORMAL,
	PZ_HP_LOGNORMAL,
	PZ_HP_QLOGNORMAL,
	PZ_HP_RANDINT,
	PZ_HP_UNIFORMINT,
	PZ_HP_CHOICE,
	PZ_HP_PCHOICE,
};

enum pz_fn_kind {
	PZ_FN_INT,
	PZ_FN_FLOAT,
	PZ_FN_ADD,
	PZ_FN_SUB,
	PZ_FN_MUL,
	PZ_FN_DIV,
	PZ_FN_NEG,
	PZ_FN_POW,
};

struct pz_param {
	char *label;
	char *path; /* JSON path of the node, for messages */
	enum pz_hp_kind kind;
	/* Arguments as written. Unused ones are 0. For the log kinds, low and
	 * high are in log space (hyperopt's convention). */
	double low, high, q, mu, sigma;
	int n_options;     /* choice, pchoice */
	double *p;         /* pchoice: option probabilities; NULL otherwise */
	int parent;        /* enclosing choice's index, -1 if unconditional */
	int parent_option; /* option of `parent` this label lives in */
	int group;         /* activation group */
};

struct pz_group {
	int cond_param; /* choice that activates the group, -1: always */
	int cond_option;
	int n_members;
	int *members; /* param indices, ascending */
};

struct pz_node;

struct pz_space {
	struct pz_node *root;
	int n_params;
	struct pz_param *params;
	int n_groups;
	struct pz_group *groups; /* ordered by their first member */
};

/*
 * Parse and validate `doc` (borrowed). `root_name` prefixes paths in error
 * messages (e.g. "space"). On success *out owns a new space.
 */
int pz_space_create(const cJSON *doc, const char *root_name,
                    struct pz_space **out, struct pz_error *err);

/* Parse from JSON text of `len` bytes; trailing bytes are refused. */
int pz_space_create_from_text(const char *text, size_t len,
                              const char *root_name, struct pz_space **out,
                              struct pz_error *err);

void pz_space_destroy(struct pz_space *space);

/* Index of `label`, or -1. */
int pz_space_find(const struct pz_space *space, const char *label);

/* Static names: "uniform", ..., "int", ... */
const char *pz_space_kind_name(enum pz_hp_kind kind);
const char *pz_space_fn_name(enum pz_fn_kind kind);

/* Kind predicates. */
int pz_space_kind_is_categorical(enum pz_hp_kind kind); /* choice, pchoice */
int pz_space_kind_is_integer(enum pz_hp_kind kind); /* randint, uniformint */
int pz_space_kind_is_log(enum pz_hp_kind kind);     /* (q)log{uniform,normal} */
int pz_space_kind_is_bounded(enum pz_hp_kind kind); /* has low/high */

/*
 * Quantization step of a numeric kind (q, 1 for integers), 0 when the kind
 * is continuous.
 */
double pz_space_param_step(const struct pz_param *p);

/*
 * Is parameter `i` active given the values of the parameters before it?
 * `values` must hold the values of every parameter with a smaller index.
 */
int pz_space_is_active(const struct pz_space *space, const double *values,
                       int i);

/*
 * Tree access for eval.c. A node is one of the kinds below; children are
 * object members (with keys), array elements, choice options or function
 * arguments.
 */
enum pz_node_type {
	PZ_NODE_LITERAL,
	PZ_NODE_OBJECT,
	PZ_NODE_ARRAY,
	PZ_NODE_HP,
	PZ_NODE_FN,
};

struct pz_node {
	enum pz_node_type type;
	cJSON *literal; /* LITERAL: owned copy */
	int n_children;
	struct pz_node **children;
	char **keys;        /* OBJECT: member names */
	int param;          /* HP: index into params */
	enum pz_fn_kind fn; /* FN */
	char *path;         /* FN: JSON path, for evaluation errors */
};

#endif
