/*
 * JSON text with exact numbers.
 *
 * cJSON prints a number with 15 significant digits whenever those read
 * back within DBL_EPSILON of it, so the last bit can be lost. parzen's
 * resume guarantee is bit-exact (the params a worker sees are the ones the
 * suggester produced, the loss the daemon stores is the one it was told),
 * so everything parzen serializes goes through this printer instead: each
 * number in the shortest %.Ng (N = 1..17) that reads back as the identical
 * double, integers as integers. Non-finite numbers, which JSON cannot
 * represent, print as null.
 */
#ifndef PZ_JSON_H
#define PZ_JSON_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* Compact JSON text of `item`, malloc'ed, or NULL on allocation failure. */
char *pz_json_print(const cJSON *item, size_t *len);
/* The same followed by '\n': one line of the protocol (*len counts it). */
char *pz_json_print_line(const cJSON *item, size_t *len);

/* The shortest exact text of `v` into buf (at least 32 bytes). */
void pz_json_number(char *buf, size_t len, double v);

#endif
