/*
 * trial.report and the pruner of a study's definition; see
 * handlers_prune.h. The rules of a report are pruning.h's.
 */
#include "handlers_prune.h"

#include <stdlib.h>

#include <parzen/json.h>
#include <parzen/prune.h>

#include "pruning.h"

int pz_hprune_report(struct pz_hctx *h, cJSON **result)
{
	const struct pz_req *q = &h->req;
	struct pz_prune_decision d;
	cJSON *o;
	int added, rc;

	rc = pz_pruning_report(h->rpc->core, h->study, h->number, q->attempt,
	                       q->step, q->value, &added, &d, &h->err);
	if (rc != 0) {
		h->code = rc == PZ_ENOMEM ? PZ_RPC_INTERNAL : 0;
		return -1;
	}
	o = cJSON_CreateObject();
	if (o == NULL)
		return pz_error_set(&h->err, PZ_ENOMEM, "out of memory"),
		       h->code = PZ_RPC_INTERNAL, -1;
	cJSON_AddBoolToObject(o, "prune", d.prune);
	cJSON_AddStringToObject(o, "reason", d.reason);
	cJSON_AddNumberToObject(o, "step", (double)d.step);
	*result = o;
	return 0;
}

int pz_hprune_pruner_text(struct pz_hctx *h, char **text)
{
	struct pz_pruner *p = NULL;
	cJSON *json;
	int rc;

	*text = NULL;
	rc = pz_prune_create(h->req.pruner, "params.pruner", &p, &h->err);
	if (rc != 0) {
		h->code = rc == PZ_ENOMEM ? PZ_RPC_INTERNAL : PZ_RPC_BAD_PARAMS;
		return -1;
	}
	if (p->kind != PZ_PRUNE_NONE) {
		json = pz_prune_to_json(p);
		*text = json != NULL ? pz_json_print(json, NULL) : NULL;
		cJSON_Delete(json);
		if (*text == NULL) {
			pz_prune_destroy(p);
			pz_error_set(&h->err, PZ_ENOMEM, "out of memory");
			h->code = PZ_RPC_INTERNAL;
			return -1;
		}
	}
	pz_prune_destroy(p);
	return 0;
}
