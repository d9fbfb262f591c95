/*
 * Open-addressing hash table for trial ids; see idmap.h.
 */
#include "idmap.h"

#include <stdlib.h>
#include <string.h>

#include <parzen/error.h>

static size_t hash(int64_t id, size_t cap)
{
	uint64_t x = (uint64_t)id * UINT64_C(0x9E3779B97F4A7C15);

	return (size_t)(x >> 17) & (cap - 1);
}

void pz_idmap_init(struct pz_idmap *m)
{
	memset(m, 0, sizeof(*m));
}

void pz_idmap_finish(struct pz_idmap *m)
{
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static int grow(struct pz_idmap *m)
{
	size_t cap = m->cap ? 2 * m->cap : 1024;
	struct pz_idmap_slot *old = m->slots, *s = calloc(cap, sizeof(*s));
	size_t old_cap = m->cap;

	if (s == NULL)
		return PZ_ENOMEM;
	m->slots = s;
	m->cap = cap;
	m->len = 0;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].id != 0)
			pz_idmap_put(m, old[i].id, old[i].study, old[i].number);
	free(old);
	return 0;
}

int pz_idmap_put(struct pz_idmap *m, int64_t id, struct pz_study *study,
                 uint32_t number)
{
	size_t i;

	if ((m->len + 1) * 4 > m->cap * 3 && grow(m) != 0)
		return PZ_ENOMEM;
	for (i = hash(id, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].id == id || m->slots[i].id == 0)
			break;
	}
	if (m->slots[i].id == 0)
		m->len++;
	m->slots[i].id = id;
	m->slots[i].study = study;
	m->slots[i].number = number;
	return 0;
}

const struct pz_idmap_slot *pz_idmap_get(const struct pz_idmap *m, int64_t id)
{
	if (m->cap == 0 || id == 0)
		return NULL;
	for (size_t i = hash(id, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].id == id)
			return &m->slots[i];
		if (m->slots[i].id == 0)
			return NULL;
	}
}

void pz_idmap_remove(struct pz_idmap *m, int64_t id)
{
	size_t i, j, k;

	if (m->cap == 0)
		return;
	for (i = hash(id, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].id == 0)
			return;
		if (m->slots[i].id == id)
			break;
	}
	/* Backward-shift: move later entries of the probe run into the gap. */
	for (j = (i + 1) & (m->cap - 1); m->slots[j].id != 0;
	     j = (j + 1) & (m->cap - 1)) {
		k = hash(m->slots[j].id, m->cap);
		if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].id = 0;
	m->len--;
}
