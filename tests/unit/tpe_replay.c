/*
 * Helper for test_tpe.c: run the replay search (tpe_replay.h) with a
 * preset and a seed and print every suggestion's bits, so that the test
 * can compare runs made in separate processes.
 *
 * Usage: tpe_replay parzen|hyperopt SEED
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpe_replay.h"

int main(int argc, char **argv)
{
	struct pz_space *s = NULL;
	struct pz_history *h = NULL;
	struct pz_tpe_config cfg;
	struct pz_error err;
	int rc;

	if (argc != 3 || (strcmp(argv[1], "parzen") != 0 &&
	                  strcmp(argv[1], "hyperopt") != 0)) {
		fprintf(stderr, "usage: tpe_replay parzen|hyperopt SEED\n");
		return 2;
	}
	if (strcmp(argv[1], "hyperopt") == 0)
		pz_tpe_config_hyperopt(&cfg);
	else
		pz_tpe_config_default(&cfg);
	rc = pz_space_create_from_text(MIXED_SPACE, strlen(MIXED_SPACE),
	                               "space", &s, &err);
	if (rc != 0) {
		fprintf(stderr, "tpe_replay: %s\n", err.msg);
		return 1;
	}
	rc = pz_history_create(s, &h);
	if (rc == 0)
		rc = replay_run(s, h, &cfg, strtoull(argv[2], NULL, 10),
		                REPLAY_TRIALS, stdout);
	if (rc != 0)
		fprintf(stderr, "tpe_replay: %s\n", pz_strerror(rc));
	pz_history_destroy(h);
	pz_space_destroy(s);
	if (fflush(stdout) != 0)
		return 1;
	return rc != 0;
}
