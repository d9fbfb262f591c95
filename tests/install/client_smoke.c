/*
 * Built out of the tree by test_install.py, against the installed
 * libparzen-client with `pkg-config --cflags --libs parzen-client`: ask
 * the parzend at argv[1] (or the one the discovery order finds) for
 * server.info and print its name and protocol.
 */
#include <parzen/client.h>

#include <stdio.h>

int main(int argc, char **argv)
{
	struct pz_error err = { 0 };
	struct pz_client *c;
	cJSON *info = NULL;
	int rc;

	if (pz_client_connect(argc > 1 ? argv[1] : NULL, &c, &err) != 0) {
		fprintf(stderr, "client_smoke: %s\n", err.msg);
		return 3;
	}
	rc = pz_client_call(c, "server.info", NULL, &info, &err);
	if (rc == 0) {
		const cJSON *name =
			cJSON_GetObjectItemCaseSensitive(info, "name");
		const cJSON *proto =
			cJSON_GetObjectItemCaseSensitive(info, "protocol");

		printf("%s %d %s\n",
		       cJSON_IsString(name) ? name->valuestring : "?",
		       cJSON_IsNumber(proto) ? proto->valueint : -1,
		       pz_client_socket_path(c));
	} else {
		fprintf(stderr, "client_smoke: %s\n", err.msg);
	}
	cJSON_Delete(info);
	pz_client_destroy(c);
	return rc == 0 ? 0 : 1;
}
