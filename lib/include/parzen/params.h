/*
 * Params vectors (double[space->n_params], NAN for inactive labels; see
 * space.h) and the flat JSON objects {label: value} made of them:
 * conversion both ways, and validation of params a user supplies
 * (enqueued points).
 *
 * Two flat forms exist, and differ only for choices:
 *
 * - the index form ("params"): a choice is the index of its option, from
 *   0. It is what the protocol carries and the database stores, and what
 *   hyperopt's fmin returns as argmin.
 * - the value form ("values"), for people: a choice is its option's value,
 *   the first of these that applies:
 *   1. an option that is an object with a "name" member whose value is a
 *      string is that string, whatever else it holds (hyperopt's idiom:
 *      {"name": "svm", "C": {"$hp": ...}} is "svm", and so is the
 *      literal {"name": "svm"});
 *   2. an option that holds no hyperparameter and no function node is a
 *      literal, and is that JSON value ("adam", 0.9, false, null,
 *      {"ktype": "linear"});
 *   3. any other option (a nested sub-space) is the label of the first
 *      hyperparameter inside it, in document order (an option
 *      {"$hp": "quniform", "label": "units", ...} is "units");
 *   4. else (functions of literals only) "option N".
 *
 * Every other label has the same value in both forms. Reading the value
 * form back, a choice's value must equal exactly one option's value (JSON
 * equality; a literal named by rule 1 also matches as the whole literal);
 * {"$index": N} gives an option by its index instead, which is
 * unambiguous ("$" keys cannot occur in a literal) and the way out when
 * two options have the same value.
 */
#ifndef PZ_PARAMS_H
#define PZ_PARAMS_H

#include <cjson/cJSON.h>

#include <parzen/error.h>
#include <parzen/space.h>

/*
 * Flat params object {label: value} over active labels, in space order.
 * Returns NULL on allocation failure. The caller owns the result.
 */
cJSON *pz_params_to_json(const struct pz_space *space, const double *values);

/*
 * The same object as JSON text, with every number printed in the shortest
 * form that reads back as the identical double (cJSON's printer may drop
 * the last bit). This is what the daemon stores, so that a resumed study
 * sees exactly the values it suggested. Returns malloc'ed text or NULL.
 */
char *pz_params_to_text(const struct pz_space *space, const double *values);

/*
 * Validate a user-supplied params object and convert it to a vector.
 * Refuses (naming the label): unknown labels, non-numbers, values outside
 * a bounded prior's range, values off the q grid or not integral where
 * the kind requires it, option indices out of range, an inactive label
 * given, an active label missing.
 */
int pz_params_from_json(const struct pz_space *space, const cJSON *params,
                        double *values, struct pz_error *err);

/*
 * The same for the JSON text of a params object. The flat form that
 * pz_params_to_text writes ({"label":number,...}) is read without
 * building a cJSON tree (loading a study reads one per trial); any other
 * text is parsed with cJSON and checked as above. The same text gives the
 * same values and the same errors either way.
 */
int pz_params_from_text(const struct pz_space *space, const char *text,
                        size_t len, double *values, struct pz_error *err);

/*
 * The value form of option `option` of choice `param` (a new cJSON owned
 * by the caller), or NULL when out of memory or not a choice's option.
 */
cJSON *pz_params_option_value(const struct pz_space *space, int param,
                              int option);

/*
 * The text a person reads for a value of the value form: a string is
 * itself, any other JSON value its compact JSON text, numbers in the
 * shortest form that reads back (0.999, true, null, {"ktype":"linear"}).
 * The report, the dashboard and the CLI name a choice's option with it,
 * so that they never name one differently. Returns malloc'ed text, or
 * NULL when out of memory.
 */
char *pz_params_value_text(const cJSON *v);

/*
 * pz_params_value_text() of option `option` of choice `param`, or NULL
 * when out of memory or not a choice's option.
 */
char *pz_params_option_text(const struct pz_space *space, int param,
                            int option);

/*
 * The index of the option of choice `param` that the value-form `v`
 * names, resolved as pz_params_from_values() does ({"$index": N}
 * included), or -1 when it names none or several, when `param` is not a
 * choice, or when out of memory.
 */
int pz_params_option_index(const struct pz_space *space, int param,
                           const cJSON *v);

/*
 * The value form of a params vector: {label: value} over active labels,
 * in space order. NULL on allocation failure; the caller owns the result.
 */
cJSON *pz_params_to_values(const struct pz_space *space, const double *values);

/*
 * The value form of an index-form object (a trial's "params", as the
 * protocol carries it). Lenient, for display: a member that is not a
 * choice's valid option index (an unknown label, a bad index) is copied
 * as it is. NULL on allocation failure; the caller owns the result.
 */
cJSON *pz_params_json_to_values(const struct pz_space *space,
                                const cJSON *params);

/*
 * Validate a value-form object and convert it to a vector: choices are
 * resolved to their option index as described above, then everything is
 * checked as by pz_params_from_json(). Errors name `root`.LABEL (root
 * e.g. "values"), with messages that list a choice's values when the one
 * given matches none, and say which {"$index": N} to use when it matches
 * several.
 */
int pz_params_from_values(const struct pz_space *space, const cJSON *obj,
                          const char *root, double *values,
                          struct pz_error *err);

#endif
