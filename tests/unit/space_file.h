/*
 * Tests that read a space document from a file: DIR/NAME read whole and
 * parsed, the test failing with the path and parzen's message if either
 * step does. Include after <cmocka.h>.
 */
#ifndef PZ_TEST_SPACE_FILE_H
#define PZ_TEST_SPACE_FILE_H

#include <stdio.h>
#include <stdlib.h>

#include <parzen/space.h>

static inline struct pz_space *test_space_file(const char *dir,
                                               const char *name)
{
	char path[1024], *text;
	struct pz_space *s = NULL;
	struct pz_error err = {0};
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = malloc((size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	if (pz_space_create_from_text(text, (size_t)n, "space", &s, &err) != 0)
		fail_msg("%s refused: %s", path, err.msg);
	free(text);
	return s;
}

#endif
