/*
 * space_eval: walk the space tree and build the point.
 */
#include <parzen/eval.h>

#include <math.h>

static int eval_node(const struct pz_space *space, const struct pz_node *n,
                     const double *values, cJSON **out,
                     struct pz_error *err);

static int fn_apply(const struct pz_node *n, const double *a, double *res)
{
	switch (n->fn) {
	case PZ_FN_INT:
		*res = trunc(a[0]); /* Python's int(): toward zero */
		break;
	case PZ_FN_FLOAT:
		*res = a[0];
		break;
	case PZ_FN_NEG:
		*res = -a[0];
		break;
	case PZ_FN_ADD:
		*res = 0;
		for (int i = 0; i < n->n_children; i++)
			*res += a[i];
		break;
	case PZ_FN_MUL:
		*res = 1;
		for (int i = 0; i < n->n_children; i++)
			*res *= a[i];
		break;
	case PZ_FN_SUB:
		*res = a[0] - a[1];
		break;
	case PZ_FN_DIV:
		if (a[1] == 0)
			return -1;
		*res = a[0] / a[1];
		break;
	case PZ_FN_POW:
		*res = pow(a[0], a[1]);
		break;
	}
	return isfinite(*res) ? 0 : -1;
}

static int eval_fn(const struct pz_space *space, const struct pz_node *n,
                   const double *values, cJSON **out, struct pz_error *err)
{
	double args[64], res = 0;
	int rc;

	for (int i = 0; i < n->n_children; i++) {
		cJSON *v = NULL;

		rc = eval_node(space, n->children[i], values, &v, err);
		if (rc != 0)
			return rc;
		if (!cJSON_IsNumber(v) && !cJSON_IsBool(v)) {
			cJSON_Delete(v);
			return pz_error_set_at(
				err, PZ_EINVAL, n->path,
				"%s() argument %d is not a number",
				pz_space_fn_name(n->fn), i + 1);
		}
		args[i] = cJSON_IsBool(v) ? (double)cJSON_IsTrue(v)
		                          : v->valuedouble;
		cJSON_Delete(v);
	}
	if (fn_apply(n, args, &res) != 0)
		return pz_error_set_at(
			err, PZ_EINVAL, n->path,
			"%s() has no finite result for these arguments",
			pz_space_fn_name(n->fn));
	*out = cJSON_CreateNumber(res);
	return *out != NULL ? 0 : pz_error_set(err, PZ_ENOMEM, "out of memory");
}

static int eval_node(const struct pz_space *space, const struct pz_node *n,
                     const double *values, cJSON **out, struct pz_error *err)
{
	cJSON *c = NULL, *v;
	int rc;

	*out = NULL;
	switch (n->type) {
	case PZ_NODE_LITERAL:
		c = cJSON_Duplicate(n->literal, 1);
		break;
	case PZ_NODE_HP: {
		double x = values[n->param];

		if (isnan(x))
			return pz_error_set_key(err, PZ_EINVAL, "params",
			                        space->params[n->param].label,
			                        "missing (the label is active)");
		if (n->n_children > 0) {
			if (x < 0 || x >= n->n_children)
				return pz_error_set_key(
					err, PZ_ERANGE, "params",
					space->params[n->param].label,
					"option %g out of range", x);
			return eval_node(space, n->children[(int)x], values, out,
			                 err);
		}
		c = cJSON_CreateNumber(x);
		break;
	}
	case PZ_NODE_FN:
		return eval_fn(space, n, values, out, err);
	case PZ_NODE_OBJECT:
	case PZ_NODE_ARRAY:
		c = n->type == PZ_NODE_OBJECT ? cJSON_CreateObject()
		                              : cJSON_CreateArray();
		if (c == NULL)
			break;
		for (int i = 0; i < n->n_children; i++) {
			rc = eval_node(space, n->children[i], values, &v, err);
			if (rc != 0) {
				cJSON_Delete(c);
				return rc;
			}
			if (n->type == PZ_NODE_OBJECT)
				cJSON_AddItemToObject(c, n->keys[i], v);
			else
				cJSON_AddItemToArray(c, v);
		}
		break;
	}
	if (c == NULL)
		return pz_error_set(err, PZ_ENOMEM, "out of memory");
	*out = c;
	return 0;
}

int pz_eval(const struct pz_space *space, const double *values, cJSON **out,
            struct pz_error *err)
{
	return eval_node(space, space->root, values, out, err);
}
