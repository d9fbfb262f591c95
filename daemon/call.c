/*
 * Replies on their way out; see call.h.
 */
#include "call.h"

#include <stdlib.h>

struct pz_call *pz_call_create(void *owner, pz_call_ready_fn on_ready)
{
	struct pz_call *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->owner = owner;
	c->on_ready = on_ready;
	c->pending = 1;
	return c;
}

void pz_call_destroy(struct pz_call *call)
{
	if (call == NULL)
		return;
	free(call->id);
	free(call->text);
	free(call);
}

void pz_call_finish(struct pz_call *call, char *text, size_t len,
                    uint64_t batch)
{
	call->text = text;
	call->len = text != NULL ? len : 0;
	call->batch = batch;
	call->pending = 0;
	call->waiter = NULL;
	if (call->owner == NULL) {
		pz_call_destroy(call);
		return;
	}
	if (call->on_ready != NULL)
		call->on_ready(call);
}

void pz_call_detach(struct pz_call *call)
{
	call->owner = NULL;
	call->on_ready = NULL;
}
