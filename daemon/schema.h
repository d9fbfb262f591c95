/*
 * The schema migrations from sql/, embedded at build time
 * (scripts/embed_sql.py). Migration i brings PRAGMA user_version from i to
 * i + 1; the store applies the missing ones at open.
 */
#ifndef PZ_SCHEMA_H
#define PZ_SCHEMA_H

extern const char *const pz_schema_migrations[];
extern const int pz_schema_n_migrations;

#endif
