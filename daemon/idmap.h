/*
 * Trial id -> (study, number), an open-addressing hash table with linear
 * probing and backward-shift deletion. Keys are positive trial ids.
 */
#ifndef PZ_IDMAP_H
#define PZ_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct pz_study;

struct pz_idmap_slot {
	int64_t id;        /* 0: empty */
	struct pz_study *study;
	uint32_t number;
};

struct pz_idmap {
	struct pz_idmap_slot *slots;
	size_t cap;        /* power of two */
	size_t len;
};

void pz_idmap_init(struct pz_idmap *m);
void pz_idmap_finish(struct pz_idmap *m);
/* 0 or PZ_ENOMEM; replaces an existing entry. */
int pz_idmap_put(struct pz_idmap *m, int64_t id, struct pz_study *study,
                 uint32_t number);
/* Room for `more` puts without a rehash: 0 or PZ_ENOMEM. */
int pz_idmap_reserve(struct pz_idmap *m, size_t more);
/* NULL if absent; the pointer is valid until the next put or remove. */
const struct pz_idmap_slot *pz_idmap_get(const struct pz_idmap *m, int64_t id);
void pz_idmap_remove(struct pz_idmap *m, int64_t id);

#endif
