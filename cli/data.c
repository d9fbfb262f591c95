/*
 * A study's data out of and into parzend: `parzen backup` (the whole
 * database, a consistent copy taken by the daemon while it runs),
 * `parzen export` (one study as one JSON document, or its trials as CSV)
 * and `parzen import` (an export back into a daemon, through
 * study.import, so that the imported study resumes exactly: its next
 * suggestion is the one the original would have made).
 *
 * The export document (docs/cli.md, "export"):
 *
 *     {"format": "parzen-export", "version": 1, "exported": UNIX_SECONDS,
 *      "study": STUDY,           (the Study object of study.get)
 *      "trials": [TRIAL, ...]}   (trial.list's Trial objects, by number,
 *                                 each with "values" beside "params")
 *
 * It holds everything study.import needs (space, algo, config, seed,
 * max_trials, heartbeat_timeout, every trial's params, state, loss,
 * result, worker, attempts and times) and what people read (values, the
 * evaluated point, counts, the best trial). Whatever else a newer parzend
 * adds to its objects (a trial's "intermediate" reports) is kept as it
 * comes.
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <parzen/json.h>

#define EXPORT_FORMAT "parzen-export"
#define EXPORT_VERSION 1

/* Trials per trial.list call (the daemon's maximum). */
#define PAGE 10000

/* --- backup --------------------------------------------------------------- */

/*
 * `path` made absolute against our working directory: parzend's is not
 * ours. Only the directory is resolved (the file need not exist).
 */
static char *absolute(const char *path)
{
	char cwd[PATH_MAX], *out = NULL;

	if (path[0] == '/')
		return strdup(path);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	if (asprintf(&out, "%s/%s", cwd, path) < 0)
		return NULL;
	return out;
}

static int backup_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	bool force = false, json = false;
	struct pz_error err = { 0 };
	struct pz_client *c;
	cJSON *p, *res = NULL;
	char *path, took[32];
	int opt, rc;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS, longopts,
	                          NULL)) != -1) {
		switch (opt) {
		case 'f':
			force = true;
			break;
		case 'j':
			json = true;
			break;
		default:
			rc = cli_common_opt(cli, opt, optarg);
			if (rc >= 0)
				return rc;
		}
	}
	if (argc - optind != 1)
		return cli_usage_err(cli, "expected the PATH of the copy");
	path = absolute(argv[optind]);
	if (path == NULL) {
		cli_err(cli, "cannot make %s absolute: %s", argv[optind],
		        strerror(errno));
		return CLI_EXIT_FAIL;
	}
	p = cJSON_CreateObject();
	if (p == NULL || cJSON_AddStringToObject(p, "path", path) == NULL ||
	    (force && cJSON_AddTrueToObject(p, "force") == NULL)) {
		cJSON_Delete(p);
		free(path);
		return CLI_EXIT_FAIL;
	}
	rc = cli_connect(cli, &c);
	if (rc != 0) {
		cJSON_Delete(p);
		goto out;
	}
	rc = pz_client_call(c, "server.backup", p, &res, &err);
	if (rc != 0) {
		/* The protocol's "pass force" is our --force. */
		char *at = strstr(err.msg, "pass force");

		if (at != NULL && pz_client_last_rpc_code(c) == -32002)
			snprintf(at, sizeof(err.msg) - (size_t)(at - err.msg),
			         "run again with --force to replace it");
		cli_err(cli, "%s", err.msg);
		rc = cli_exit_status(rc);
	}
	pz_client_destroy(c);
	if (rc != 0)
		goto out;
	if (json)
		rc = cli_print_json(res);
	else
		printf("backed up parzend's database to %s (%.0f bytes, %s)\n",
		       cli_get_str(res, "path", path),
		       cli_get_num(res, "bytes", 0),
		       cli_fmt_duration(took, sizeof(took),
		                        cli_get_num(res, "seconds", 0)));
out:
	cJSON_Delete(res);
	free(path);
	return rc;
}

const struct cli_command cli_cmd_backup = {
	.name = "backup",
	.args = "PATH [--force] [--json]",
	.summary = "copy parzend's whole database, while it runs",
	.help =
	"parzend copies its database into PATH with SQLite's online backup\n"
	"API, between its commits, while workers go on: the copy is the\n"
	"database as of one commit, holding every change acknowledged\n"
	"before the backup began. It is written beside PATH and moved there\n"
	"only when complete, so PATH never holds a partial copy; it is a\n"
	"database parzend opens as it is (parzend --db PATH). PATH is\n"
	"written by parzend, as its user: only that user may back up.\n"
	"\n"
	"  --force   replace PATH if it exists (refused otherwise)\n"
	"  --json    print the daemon's reply\n",
	.exec = backup_exec,
};

/* --- export --------------------------------------------------------------- */

/*
 * The study and all its trials, paging through trial.list until its
 * "total" (a page may be cut short at a size), each trial with its
 * values and, from a parzend that has them, its intermediate reports. A
 * trial created meanwhile may or may not be in.
 */
static int fetch_all(const struct cli *cli, const char *name, cJSON **study,
                     cJSON **trials)
{
	struct pz_error err = { 0 };
	struct pz_space *space = NULL;
	struct pz_client *c;
	cJSON *res = NULL, *t;
	double offset = 0;
	bool intermediate = true;
	int rc;

	*study = NULL;
	*trials = cJSON_CreateArray();
	if (*trials == NULL)
		return CLI_EXIT_FAIL;
	rc = cli_connect(cli, &c);
	if (rc != 0)
		goto fail;
	rc = cli_call(cli, c, "study.get", cli_study_params(name), &res);
	if (rc != 0)
		goto fail_client;
	*study = cJSON_DetachItemFromObjectCaseSensitive(res, "study");
	cJSON_Delete(res);
	space = cli_study_space(*study);
	for (;;) {
		cJSON *p = cli_study_params(name), *page;
		double total;
		int n = 0;

		if (p == NULL ||
		    cJSON_AddNumberToObject(p, "offset", offset) == NULL ||
		    cJSON_AddNumberToObject(p, "limit", PAGE) == NULL ||
		    (intermediate &&
		     cJSON_AddTrueToObject(p, "intermediate") == NULL)) {
			cJSON_Delete(p);
			rc = CLI_EXIT_FAIL;
			goto fail_client;
		}
		/* With each trial's intermediate reports, where parzend has
		 * them (trial.report); an older one refuses the key. */
		rc = pz_client_call(c, "trial.list", p, &res, &err);
		if (rc == PZ_EINVAL && intermediate &&
		    pz_client_last_error_path(c) != NULL &&
		    strcmp(pz_client_last_error_path(c),
		           "params.intermediate") == 0) {
			intermediate = false;
			continue;
		}
		if (rc != 0) {
			cli_err(cli, "%s", err.msg);
			rc = cli_exit_status(rc);
			goto fail_client;
		}
		total = cli_get_num(res, "total", 0);
		page = cJSON_GetObjectItemCaseSensitive(res, "trials");
		while ((t = cJSON_DetachItemFromArray(page, 0)) != NULL) {
			cJSON_AddItemToArray(*trials, t);
			if (cli_add_values(space, t) != 0) {
				cJSON_Delete(res);
				rc = CLI_EXIT_FAIL;
				goto fail_client;
			}
			n++;
		}
		cJSON_Delete(res);
		offset += n;
		if (n == 0 || offset >= total)
			break;
	}
	pz_client_destroy(c);
	pz_space_destroy(space);
	return CLI_EXIT_OK;

fail_client:
	pz_client_destroy(c);
fail:
	pz_space_destroy(space);
	cJSON_Delete(*study);
	cJSON_Delete(*trials);
	*study = *trials = NULL;
	return rc;
}

/* The export document on `f`: the study indented, a trial per line. */
static int write_export(FILE *f, const cJSON *study, const cJSON *trials)
{
	const cJSON *t;
	char now[64];

	pz_json_number(now, sizeof(now), (double)time(NULL));
	fprintf(f, "{\n  \"format\": \"%s\",\n  \"version\": %d,\n"
	        "  \"exported\": %s,\n  \"study\": ", EXPORT_FORMAT,
	        EXPORT_VERSION, now);
	cli_write_json(f, study, 1);
	fputs(",\n  \"trials\": [", f);
	cJSON_ArrayForEach(t, trials) {
		char *text = pz_json_print(t, NULL);

		if (text == NULL)
			return CLI_EXIT_FAIL;
		fprintf(f, "%s\n    %s", t == trials->child ? "" : ",", text);
		free(text);
	}
	fputs(trials->child != NULL ? "\n  ]\n}\n" : "]\n}\n", f);
	return CLI_EXIT_OK;
}

/*
 * Write with `fn` to `path` ("-": stdout): into PATH.tmp, renamed over
 * PATH once complete, so that a failed export leaves no half file.
 */
static int write_out(const struct cli *cli, const char *path,
                     int (*fn)(FILE *f, const cJSON *study,
                               const cJSON *trials),
                     const cJSON *study, const cJSON *trials)
{
	char *tmp = NULL;
	FILE *f;
	int rc;

	if (path == NULL || strcmp(path, "-") == 0)
		return fn(stdout, study, trials);
	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return CLI_EXIT_FAIL;
	f = fopen(tmp, "w");
	if (f == NULL) {
		cli_err(cli, "cannot write %s: %s", tmp, strerror(errno));
		free(tmp);
		return CLI_EXIT_FAIL;
	}
	rc = fn(f, study, trials);
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0) {
		cli_err(cli, "cannot write %s: %s", tmp, strerror(errno));
		rc = CLI_EXIT_FAIL;
	}
	if (fclose(f) != 0 && rc == 0) {
		cli_err(cli, "cannot write %s: %s", tmp, strerror(errno));
		rc = CLI_EXIT_FAIL;
	}
	if (rc == 0 && rename(tmp, path) != 0) {
		cli_err(cli, "cannot rename %s to %s: %s", tmp, path,
		        strerror(errno));
		rc = CLI_EXIT_FAIL;
	}
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

static int write_csv(FILE *f, const cJSON *study, const cJSON *trials)
{
	struct pz_space *space = cli_study_space(study);
	int rc = cli_trials_csv(f, space, trials);

	pz_space_destroy(space);
	return rc;
}

static int export_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "csv", no_argument, NULL, 'c' },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	cJSON *study, *trials;
	bool csv = false;
	int opt, rc;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, "o:" CLI_SHORTOPTS, longopts,
	                          NULL)) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		case 'c':
			csv = true;
			break;
		default:
			rc = cli_common_opt(cli, opt, optarg);
			if (rc >= 0)
				return rc;
		}
	}
	if (argc - optind != 1)
		return cli_usage_err(cli, "expected one study NAME");
	rc = fetch_all(cli, argv[optind], &study, &trials);
	if (rc != 0)
		return rc;
	rc = write_out(cli, out, csv ? write_csv : write_export, study,
	               trials);
	if (rc == 0 && out != NULL && strcmp(out, "-") != 0)
		fprintf(stderr, "%s: study %s, %d trials, to %s\n", cli->prog,
		        argv[optind], cJSON_GetArraySize(trials), out);
	cJSON_Delete(study);
	cJSON_Delete(trials);
	return rc;
}

const struct cli_command cli_cmd_export = {
	.name = "export",
	.args = "NAME [-o FILE] [--csv]",
	.summary = "write a study and all its trials as one JSON document",
	.help =
	"The study (space, algo, config, seed, max_trials, heartbeat\n"
	"timeout, state, counts, best) and every trial (params by value and\n"
	"by index, point, state, loss, result, worker, attempts, times) as\n"
	"one JSON document, which `parzen import` turns back into a study\n"
	"that resumes exactly. Export a paused or finished study for an\n"
	"exact copy: a running trial is exported as running, and imported\n"
	"as queued (it runs again).\n"
	"\n"
	"  -o, --output FILE   write FILE (whole or not at all) instead of\n"
	"                      stdout\n"
	"  --csv               the trials as CSV instead, as `parzen trials\n"
	"                      --csv` writes them\n",
	.exec = export_exec,
};

/* --- import --------------------------------------------------------------- */

/* Trial keys study.import takes; the rest of a Trial object is output. */
static const char *const import_keys[] = {
	"number", "state", "params", "loss", "result", "worker", "attempt",
	"reclaims", "created", "started", "finished",
};

/*
 * study.import's params for the export `doc`, named `name`: *out the
 * definition, *trials the trials as study.import takes them.
 */
static int import_params(const struct cli *cli, const char *file,
                         const cJSON *doc, const char *name, bool exist_ok,
                         cJSON **out, cJSON **trials)
{
	static const char *const study_keys[] = {
		"space", "algo", "seed", "max_trials", "config",
		"heartbeat_timeout",
	};
	const cJSON *study = cli_get(doc, "study"), *t, *v;
	cJSON *p = cJSON_CreateObject(), *arr = cJSON_CreateArray();

	*out = *trials = NULL;
	if (!cJSON_IsObject(study) || !cJSON_IsArray(cli_get(doc, "trials")) ||
	    !cJSON_IsObject(cli_get(study, "space"))) {
		cJSON_Delete(p);
		cJSON_Delete(arr);
		if (cJSON_IsObject(study) && cJSON_IsArray(cli_get(doc, "trials")))
			goto bad_space;
		cli_err(cli, "%s: not a parzen export (expected an object with "
		        "\"study\" and \"trials\", as `parzen export` writes)",
		        file);
		return CLI_EXIT_FAIL;
	}
	if (p == NULL || arr == NULL ||
	    cJSON_AddStringToObject(p, "name", name) == NULL)
		goto oom;
	for (size_t i = 0; i < sizeof(study_keys) / sizeof(study_keys[0]);
	     i++) {
		v = cli_get(study, study_keys[i]);
		if (v != NULL && !cJSON_IsNull(v) &&
		    !cJSON_AddItemToObject(p, study_keys[i],
		                           cJSON_Duplicate(v, 1)))
			goto oom;
	}
	/* A pruner goes along once parzend has them (an older one refuses
	 * the key, and says so). */
	v = cli_get(study, "pruner");
	if (v != NULL && !cJSON_IsNull(v) &&
	    !cJSON_AddItemToObject(p, "pruner", cJSON_Duplicate(v, 1)))
		goto oom;
	if (exist_ok && cJSON_AddTrueToObject(p, "exist_ok") == NULL)
		goto oom;
	cJSON_ArrayForEach(t, cli_get(doc, "trials")) {
		cJSON *it = cJSON_CreateObject();

		if (it == NULL || !cJSON_AddItemToArray(arr, it))
			goto oom;
		for (size_t i = 0;
		     i < sizeof(import_keys) / sizeof(import_keys[0]); i++) {
			v = cli_get(t, import_keys[i]);
			if (v != NULL &&
			    !cJSON_AddItemToObject(it, import_keys[i],
			                           cJSON_Duplicate(v, 1)))
				goto oom;
		}
	}
	*out = p;
	*trials = arr;
	return CLI_EXIT_OK;
bad_space:
	cli_err(cli, "%s: the study has no space", file);
	return CLI_EXIT_FAIL;
oom:
	cJSON_Delete(p);
	cJSON_Delete(arr);
	cli_err(cli, "out of memory");
	return CLI_EXIT_FAIL;
}

/* Bytes a part of an import may take besides its definition. */
#define PART_BYTES (512u << 10)

/*
 * Send the import: one study.import, or, for a history longer than one
 * request line holds (parzend's max_line), parts of it with "offset"
 * (docs/protocol.md, study.import), each committed before the next. *res
 * is the last reply.
 */
static int send_import(const struct cli *cli, struct pz_client *c,
                       const char *file, const cJSON *def, cJSON *trials,
                       double max_line, cJSON **res)
{
	char *text = pz_json_print(def, NULL);
	size_t base, budget, used = 0, offset = 0;
	int n = cJSON_GetArraySize(trials), first = 0, rc = 0;

	*res = NULL;
	if (text == NULL)
		return CLI_EXIT_FAIL;
	/* The envelope and "trials": [] besides the definition. */
	base = strlen(text) + 128;
	free(text);
	budget = max_line > (double)base ? (size_t)max_line - base : 0;
	if (budget > PART_BYTES)
		budget = PART_BYTES;
	for (int i = 0; i <= n && rc == 0; i++) {
		cJSON *t = i < n ? cJSON_GetArrayItem(trials, i) : NULL;
		size_t len = 0;
		bool single;
		cJSON *p, *part;

		if (t != NULL) {
			text = pz_json_print(t, &len);
			if (text == NULL)
				return CLI_EXIT_FAIL;
			free(text);
			len++;
			if (len > budget) {
				cli_err(cli, "trial %d of %s takes %zu bytes, more "
				        "than fit in a request line of parzend's "
				        "--max-line (%.0f bytes) with the study's "
				        "definition: restart parzend with a larger "
				        "--max-line to import it", i, file, len,
				        max_line);
				return CLI_EXIT_FAIL;
			}
			if (used + len <= budget) {
				used += len;
				continue;
			}
		}
		/* Trials [first, i) make a part. */
		single = first == 0 && i == n;
		p = cJSON_Duplicate(def, 1);
		part = cJSON_CreateArray();
		for (int k = first; p != NULL && part != NULL && k < i; k++)
			cJSON_AddItemToArray(part, cJSON_Duplicate(
			        cJSON_GetArrayItem(trials, k), 1));
		if (p == NULL || part == NULL ||
		    !cJSON_AddItemToObject(p, "trials", part) ||
		    (!single && cJSON_AddNumberToObject(p, "offset",
		                                        (double)offset) ==
		                        NULL)) {
			cJSON_Delete(p);
			return CLI_EXIT_FAIL;
		}
		cJSON_Delete(*res);
		rc = cli_call(cli, c, "study.import", p, res);
		offset += (size_t)(i - first);
		first = i;
		used = len;
		if (single)
			break;
	}
	return rc;
}

static int import_exec(struct cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "as", required_argument, NULL, 'a' },
		{ "exist-ok", no_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	const char *as = NULL, *file, *end = NULL, *name;
	bool exist_ok = false, json = false;
	struct pz_error err = { 0 };
	struct pz_client *c = NULL;
	cJSON *doc = NULL, *p = NULL, *trials = NULL, *info = NULL;
	cJSON *res = NULL;
	const cJSON *study, *counts;
	char *text;
	int opt, rc;

	cli_getopt_reset();
	while ((opt = getopt_long(argc, argv, CLI_SHORTOPTS, longopts,
	                          NULL)) != -1) {
		switch (opt) {
		case 'a':
			as = optarg;
			break;
		case 'e':
			exist_ok = true;
			break;
		case 'j':
			json = true;
			break;
		default:
			rc = cli_common_opt(cli, opt, optarg);
			if (rc >= 0)
				return rc;
		}
	}
	if (argc - optind != 1)
		return cli_usage_err(cli, "expected the FILE of an export");
	file = argv[optind];
	text = cli_read_file(file, &err);
	if (text == NULL) {
		cli_err(cli, "%s", err.msg);
		return CLI_EXIT_FAIL;
	}
	doc = cJSON_ParseWithOpts(text, &end, 1);
	if (!cJSON_IsObject(doc)) {
		cli_err(cli, "%s: not JSON%s (at byte %ld)", file,
		        doc != NULL ? " object" : "",
		        end != NULL ? (long)(end - text) : 0L);
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	name = as != NULL ? as : cli_get_str(cli_get(doc, "study"), "name",
	                                     NULL);
	if (name == NULL) {
		rc = cli_usage_err(cli, "%s names no study: give --as NAME",
		                   file);
		goto out;
	}
	rc = import_params(cli, file, doc, name, exist_ok, &p, &trials);
	if (rc != 0)
		goto out;
	rc = cli_connect(cli, &c);
	if (rc != 0)
		goto out;
	/* A request line is at most max_line bytes: a long history goes in
	 * parts. */
	rc = cli_call(cli, c, "server.info", NULL, &info);
	if (rc == 0)
		rc = send_import(cli, c, file, p, trials,
		                 cli_get_num(info, "max_line", 1 << 20), &res);
	if (rc != 0)
		goto out;
	/* A paused study comes back paused. */
	if (cJSON_IsTrue(cli_get(cli_get(doc, "study"), "paused"))) {
		cJSON_Delete(res);
		rc = cli_call(cli, c, "study.pause", cli_study_params(name),
		              &res);
		if (rc != 0)
			goto out;
	}
	study = cli_get(res, "study");
	counts = cli_get(study, "counts");
	if (json)
		rc = cli_print_json(res);
	else
		printf("imported study %s: %.0f trials (%.0f ok, %.0f fail, "
		       "%.0f pruned, %.0f queued), %s, seed %.0f, %s\n",
		       cli_get_str(study, "name", "?"),
		       cli_get_num(counts, "total", 0),
		       cli_get_num(counts, "ok", 0),
		       cli_get_num(counts, "fail", 0),
		       cli_get_num(counts, "pruned", 0),
		       cli_get_num(counts, "queued", 0),
		       cli_get_str(study, "algo", "?"),
		       cli_get_num(study, "seed", 0),
		       cli_get_str(study, "state", "?"));
out:
	pz_client_destroy(c);
	cJSON_Delete(res);
	cJSON_Delete(info);
	cJSON_Delete(p);
	cJSON_Delete(trials);
	cJSON_Delete(doc);
	free(text);
	return rc;
}

const struct cli_command cli_cmd_import = {
	.name = "import",
	.args = "FILE [--as NAME] [--exist-ok] [--json]",
	.summary = "create a study from a `parzen export` document",
	.help =
	"Recreate the study of FILE (- reads stdin), as `parzen export`\n"
	"wrote it, with all its trials (study.import; a history longer than\n"
	"a request line of parzend holds goes in parts, each committed):\n"
	"same space, algo, config, seed, max_trials and history, so its next\n"
	"suggestion is the one the original would have made. Trials that\n"
	"were running come back queued (they run again, first). A paused\n"
	"study comes back paused.\n"
	"\n"
	"  --as NAME    the new study's name (default: the exported one)\n"
	"  --exist-ok   if NAME exists with the same definition and history,\n"
	"               use it (a second import of the same file is a no-op)\n"
	"  --json       print the daemon's reply\n",
	.exec = import_exec,
};
