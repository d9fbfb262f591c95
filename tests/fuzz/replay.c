/*
 * main() for a fuzz target built without libFuzzer: run every file named
 * on the command line, and every regular file of every directory named,
 * through LLVMFuzzerTestOneInput() once. So each target is an ordinary
 * test that replays its corpus, under valgrind or the sanitizers as the
 * build decides (STYLE.md, after dav1d's tests/libfuzzer/main.c).
 *
 * Directory entries run in name order so that a failure reproduces in the
 * same place. Each input sits in a buffer of exactly its size, so reading
 * past its end is an error the tools see. A target reports a violated
 * invariant by aborting; this program fails when a file cannot be read or
 * when no input at all was run.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	long n;
	int rc = -1;

	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "%s: cannot size: %s\n", path, strerror(errno));
		goto close_file;
	}
	/* malloc(0) may return NULL; one spare byte keeps it simple. */
	data = malloc((size_t)n + 1);
	if (data == NULL) {
		fprintf(stderr, "%s: out of memory\n", path);
		goto close_file;
	}
	if (fread(data, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "%s: short read\n", path);
		goto free_data;
	}
	fprintf(stderr, "%s\n", path);
	LLVMFuzzerTestOneInput(data, (size_t)n);
	rc = 0;
free_data:
	free(data);
close_file:
	fclose(f);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run the regular files of `dir` in name order; returns how many, or -1. */
static int run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0;
	int count = 0;

	if (d == NULL) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **p = realloc(names, (cap ? cap * 2 : 64) *
			                              sizeof(*names));

			if (p == NULL)
				break;
			names = p;
			cap = cap ? cap * 2 : 64;
		}
		if ((names[n] = strdup(e->d_name)) == NULL)
			break;
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(path) != 0)
				count = -1;
			else if (count >= 0)
				count++;
		}
		free(names[i]);
	}
	free(names);
	return count;
}

int main(int argc, char **argv)
{
	int total = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS-DIR-OR-FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;
		int n;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		n = S_ISDIR(st.st_mode) ? run_dir(argv[i])
		                        : (run_file(argv[i]) == 0 ? 1 : -1);
		if (n < 0)
			return 1;
		total += n;
	}
	fprintf(stderr, "%d inputs run\n", total);
	return total > 0 ? 0 : 1;
}
