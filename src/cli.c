/*
 * cli — parsing the command line (getopt_long) and running a subcommand.
 */
#include "cli.h"

#include <getopt.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "db.h"
#include "http.h"
#include "jsonv.h"
#include "keyring.h"
#include "limits.h"
#include "log.h"
#include "mem.h"
#include "migrate.h"
#include "router.h"
#include "setup.h"
#include "util.h"

#define EXIT_USAGE 2

static const char default_db[] = "sqlite:visor.db";

static const char main_help[] =
    "usage: visor COMMAND [OPTIONS]\n"
    "\n"
    "Visor decides what an API caller may read or write: data visibility groups\n"
    "behind an Explo-compatible customer API.\n"
    "\n"
    "commands:\n"
    "  serve     run the server\n"
    "  init      create a team and its first admin\n"
    "  migrate   bring a database to the newest schema\n"
    "  audit     verify or export the audit log\n"
    "  rekey     re-seal stored secrets under a new master key\n"
    "  help      show this text, or `visor help COMMAND`\n"
    "\n"
    "Each command explains its options with --help.\n";

static const char serve_help[] =
    "usage: visor serve [--db URL] [--listen ADDR:PORT] [options]\n"
    "\n"
    "  --db URL              sqlite:PATH or postgresql://… (default sqlite:visor.db)\n"
    "  --key-file PATH       the master key (default: PATH.key beside a SQLite database;\n"
    "                        VISOR_MASTER_KEY overrides)\n"
    "  --listen ADDR:PORT    address to listen on (default 127.0.0.1:8080)\n"
    "  --threads N           HTTP worker threads (default: one per core)\n"
    "  --max-body BYTES      largest request body (default 1048576)\n"
    "  --max-connections N   concurrent connections (default 1024)\n"
    "  --idle-timeout SECS   close connections idle this long (default 30)\n"
    "  --token-rate N        requests per second per API token, bursts of 2N\n"
    "                        (default 100; 0: no limit)\n"
    "  --auth-failures N     failed authentications a minute per address, bursts\n"
    "                        of 2N (default 10; 0: no limit)\n"
    "  --log-level LEVEL     debug, info, warn or error (default info)\n"
    "  --event-log PATH      event log file (default: standard error)\n"
    "  --access-log PATH     access log file (default: standard error)\n"
    "  --access-log-json     write the access log as JSON lines\n";

static const char init_help[] =
    "usage: visor init [--db URL] --team NAME --admin-email EMAIL [--json]\n"
    "\n"
    "Creates a team with one hierarchy level (\"Customer\") and its first admin,\n"
    "then prints the admin's one-time password and an admin key. Both are shown\n"
    "once. Run again on the same database to add another team, fenced from the\n"
    "first.\n"
    "\n"
    "  --db URL              sqlite:PATH or postgresql://… (default sqlite:visor.db)\n"
    "  --team NAME           the team's name\n"
    "  --admin-email EMAIL   the first admin's sign-in email\n"
    "  --json                print {team_id, admin_email, password, admin_key}\n"
    "  --key-file PATH       the master key, created (mode 0600) if missing (default:\n"
    "                        PATH.key beside a SQLite database; VISOR_MASTER_KEY\n"
    "                        overrides)\n";

static const char audit_help[] =
    "usage: visor audit verify [--db URL] [--key-file PATH]\n"
    "       visor audit export [--db URL] [--key-file PATH] [--team ID]\n"
    "\n"
    "verify  recomputes the audit log's hash chain; exits 1 and names the first\n"
    "        event that was edited, inserted or removed\n"
    "export  writes the audit events as JSON lines on standard output\n"
    "\n"
    "  --db URL    sqlite:PATH or postgresql://… (default sqlite:visor.db)\n"
    "  --key-file PATH   the master key, which keys the chain (default: PATH.key\n"
    "              beside a SQLite database; VISOR_MASTER_KEY overrides)\n"
    "  --team ID   only this team's events\n";

static const char migrate_help[] =
    "usage: visor migrate [--db URL]\n"
    "\n"
    "Applies every pending schema migration and exits.\n"
    "\n"
    "  --db URL   sqlite:PATH or postgresql://… (default sqlite:visor.db)\n";

static int usage_error(const char *help, const char *fmt, const char *arg)
{
	fprintf(stderr, "visor: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n\n%s", help);
	return EXIT_USAGE;
}

/* Open and migrate the database; on failure print why. */
static struct db *open_db(const char *url)
{
	struct db *db = NULL;
	char msg[512];
	int applied = 0;

	if (db_open(url, &db, msg, sizeof(msg)) != DB_OK) {
		fprintf(stderr, "visor: %s\n", msg);
		return NULL;
	}
	if (!migrate_run(db, &applied, msg, sizeof(msg))) {
		fprintf(stderr, "visor: %s: %s\n", url, msg);
		db_close(db);
		return NULL;
	}
	return db;
}

/* Open, migrate, and load the master key (creating its file if allowed). */
static struct db *open_keyed_db(const char *url, const char *key_file, bool create)
{
	struct db *db = open_db(url);
	char path[1024], msg[512];

	if (!db)
		return NULL;
	if (!key_file) {
		keyring_default_file(url, path, sizeof(path));
		key_file = path;
	}
	if (!create && !getenv("VISOR_MASTER_KEY") && access(key_file, F_OK) != 0) {
		fprintf(stderr,
		        "visor: no master key: VISOR_MASTER_KEY is unset and %s does not exist; "
		        "run `visor init` first, or give --key-file\n",
		        key_file);
		db_close(db);
		return NULL;
	}
	if (!keyring_open(db, key_file, create, msg, sizeof(msg))) {
		fprintf(stderr, "visor: %s\n", msg);
		db_close(db);
		return NULL;
	}
	return db;
}

enum serve_opt {
	OPT_DB = 1000,
	OPT_LISTEN,
	OPT_THREADS,
	OPT_MAX_BODY,
	OPT_MAX_CONN,
	OPT_IDLE,
	OPT_TOKEN_RATE,
	OPT_AUTH_FAILURES,
	OPT_LEVEL,
	OPT_EVENT_LOG,
	OPT_ACCESS_LOG,
	OPT_ACCESS_JSON,
	OPT_HELP,
	OPT_TEAM,
	OPT_EMAIL,
	OPT_JSON,
	OPT_KEY_FILE,
	OPT_NEW_KEY_FILE,
};

struct serve_args {
	const char *db;
	const char *listen;
	const char *event_log;
	const char *access_log;
	const char *key_file;
	bool access_json;
};

/* Apply one numeric serve option to the limits. */
static bool serve_number(int opt, const char *arg)
{
	int64_t v = 0;

	switch (opt) {
	case OPT_THREADS:
		if (!util_parse_i64(arg, 1, 256, &v))
			return false;
		limits.threads = (unsigned)v;
		return true;
	case OPT_MAX_BODY:
		if (!util_parse_i64(arg, 1024, 1 << 30, &v))
			return false;
		limits.body_max = (size_t)v;
		return true;
	case OPT_MAX_CONN:
		if (!util_parse_i64(arg, 1, 1000000, &v))
			return false;
		limits.connections = (unsigned)v;
		return true;
	case OPT_TOKEN_RATE:
		if (!util_parse_i64(arg, 0, 1000000, &v))
			return false;
		limits.token_rate = (double)v;
		limits.token_burst = (double)v * 2;
		return true;
	case OPT_AUTH_FAILURES:
		if (!util_parse_i64(arg, 0, 1000000, &v))
			return false;
		limits.auth_failures = (double)v;
		return true;
	default:
		if (!util_parse_i64(arg, 1, 86400, &v))
			return false;
		limits.idle_timeout_s = (unsigned)v;
		return true;
	}
}

static int parse_serve(int argc, char **argv, struct serve_args *a)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, OPT_DB},
	    {"key-file", required_argument, NULL, OPT_KEY_FILE},
	    {"listen", required_argument, NULL, OPT_LISTEN},
	    {"threads", required_argument, NULL, OPT_THREADS},
	    {"max-body", required_argument, NULL, OPT_MAX_BODY},
	    {"max-connections", required_argument, NULL, OPT_MAX_CONN},
	    {"idle-timeout", required_argument, NULL, OPT_IDLE},
	    {"token-rate", required_argument, NULL, OPT_TOKEN_RATE},
	    {"auth-failures", required_argument, NULL, OPT_AUTH_FAILURES},
	    {"log-level", required_argument, NULL, OPT_LEVEL},
	    {"event-log", required_argument, NULL, OPT_EVENT_LOG},
	    {"access-log", required_argument, NULL, OPT_ACCESS_LOG},
	    {"access-log-json", no_argument, NULL, OPT_ACCESS_JSON},
	    {"help", no_argument, NULL, OPT_HELP},
	    {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == OPT_HELP) {
			fputs(serve_help, stdout);
			return -1;
		} else if (c == OPT_DB) {
			a->db = optarg;
		} else if (c == OPT_KEY_FILE) {
			a->key_file = optarg;
		} else if (c == OPT_LISTEN) {
			a->listen = optarg;
		} else if (c == OPT_LEVEL) {
			if (!log_parse_level(optarg, &log_min_level))
				return usage_error(serve_help, "unknown log level \"%s\"", optarg);
		} else if (c == OPT_EVENT_LOG) {
			a->event_log = optarg;
		} else if (c == OPT_ACCESS_LOG) {
			a->access_log = optarg;
		} else if (c == OPT_ACCESS_JSON) {
			a->access_json = true;
		} else if (c >= OPT_THREADS && c <= OPT_AUTH_FAILURES) {
			if (!serve_number(c, optarg))
				return usage_error(serve_help,
				                   "option value \"%s\" is out of range", optarg);
		} else {
			return usage_error(serve_help, "%s", "unknown option");
		}
	}
	if (optind < argc)
		return usage_error(serve_help, "unexpected argument \"%s\"", argv[optind]);
	return 0;
}

static int wait_for_signal(void)
{
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigwait(&set, &sig);
	return sig;
}

static int cmd_serve(int argc, char **argv)
{
	struct serve_args a = {default_db, "127.0.0.1:8080", NULL, NULL, NULL, false};
	struct http_server *server;
	struct db *db;
	char msg[512];
	sigset_t set;
	int rc = parse_serve(argc, argv, &a);

	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if (!http_listen_valid(a.listen, msg, sizeof(msg)))
		return usage_error(serve_help, "%s", msg);
	if (log_open(a.event_log, a.access_log, a.access_json) != 0) {
		fprintf(stderr, "visor: cannot open a log file\n");
		return 1;
	}
	db = open_keyed_db(a.db, a.key_file, false);
	if (!db)
		return 1;
	db_close(db);
	router_init(a.db);

	/* Block the stop signals before threads start, so only sigwait sees them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	server = http_start(a.listen, msg, sizeof(msg));
	if (!server) {
		fprintf(stderr, "visor: %s\n", msg);
		return 1;
	}
	log_info("visor ready on http://%s (database %s)", http_address(server), a.db);
	log_info("stopping on signal %d", wait_for_signal());
	http_stop(server);
	router_shutdown();
	return 0;
}

static void print_init(const struct setup_result *res, const char *team, const char *email,
                       bool as_json)
{
	if (as_json) {
		json_t *o =
		    json_pack("{sI ss ss ss}", "team_id", (json_int_t)res->team_id, "admin_email",
		              email, "password", res->password, "admin_key", res->admin_key);

		json_dumpf(o, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(o);
		return;
	}
	printf("Created team \"%s\" (id %lld).\n\n", team, (long long)res->team_id);
	printf("  admin email         %s\n", email);
	printf("  one-time password   %s\n", res->password);
	printf("  admin key           %s\n\n", res->admin_key);
	printf("Both secrets are shown only now. Use the admin key as\n"
	       "\"Authorization: Bearer <admin key>\" on /admin/api/….\n");
}

static int cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, OPT_DB},
	    {"team", required_argument, NULL, OPT_TEAM},
	    {"admin-email", required_argument, NULL, OPT_EMAIL},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"key-file", required_argument, NULL, OPT_KEY_FILE},
	    {"help", no_argument, NULL, OPT_HELP},
	    {NULL, 0, NULL, 0},
	};
	const char *url = default_db, *team = NULL, *email = NULL, *key_file = NULL;
	struct setup_result res;
	bool as_json = false;
	struct db *db;
	char msg[512];
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == OPT_HELP) {
			fputs(init_help, stdout);
			return 0;
		} else if (c == OPT_DB) {
			url = optarg;
		} else if (c == OPT_TEAM) {
			team = optarg;
		} else if (c == OPT_EMAIL) {
			email = optarg;
		} else if (c == OPT_JSON) {
			as_json = true;
		} else if (c == OPT_KEY_FILE) {
			key_file = optarg;
		} else {
			return usage_error(init_help, "%s", "unknown option");
		}
	}
	if (!team || !*team || strlen(team) > limits.name_max)
		return usage_error(init_help, "%s", "--team NAME is required (at most 1024 bytes)");
	if (!email || !strchr(email, '@') || strlen(email) > limits.id_max ||
	    !jsonv_utf8(email, strlen(email)))
		return usage_error(init_help, "%s", "--admin-email needs an email address");
	db = open_keyed_db(url, key_file, true);
	if (!db)
		return 1;
	if (!setup_team(db, team, email, &res, msg, sizeof(msg))) {
		fprintf(stderr, "visor: %s\n", msg);
		db_close(db);
		return 1;
	}
	db_close(db);
	print_init(&res, team, email, as_json);
	return 0;
}

static int cmd_migrate(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, OPT_DB},
	    {"help", no_argument, NULL, OPT_HELP},
	    {NULL, 0, NULL, 0},
	};
	const char *url = default_db;
	struct db *db;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == OPT_HELP) {
			fputs(migrate_help, stdout);
			return 0;
		}
		if (c != OPT_DB)
			return usage_error(migrate_help, "%s", "unknown option");
		url = optarg;
	}
	db = open_db(url);
	if (!db)
		return 1;
	db_close(db);
	printf("%s is up to date.\n", url);
	return 0;
}

static int audit_run(const char *what, const char *url, const char *key_file, int64_t team)
{
	struct db *db = open_keyed_db(url, key_file, false);
	int64_t count = 0;
	char msg[256];
	bool ok;

	if (!db)
		return 1;
	if (strcmp(what, "verify") == 0) {
		ok = audit_verify(db, &count, msg, sizeof(msg));
		if (ok)
			printf("The audit log is intact: %lld events.\n", (long long)count);
		else
			fprintf(stderr, "visor: the audit log is broken: %s\n", msg);
	} else {
		ok = audit_export(db, team, stdout);
		if (!ok)
			fprintf(stderr, "visor: the audit log could not be read\n");
	}
	db_close(db);
	return ok ? 0 : 1;
}

static int cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, OPT_DB},
	    {"team", required_argument, NULL, OPT_TEAM},
	    {"key-file", required_argument, NULL, OPT_KEY_FILE},
	    {"help", no_argument, NULL, OPT_HELP},
	    {NULL, 0, NULL, 0},
	};
	const char *url = default_db, *key_file = NULL;
	int64_t team = 0;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == OPT_HELP) {
			fputs(audit_help, stdout);
			return 0;
		} else if (c == OPT_DB) {
			url = optarg;
		} else if (c == OPT_KEY_FILE) {
			key_file = optarg;
		} else if (c != OPT_TEAM || !util_parse_i64(optarg, 1, INT64_MAX, &team)) {
			return usage_error(audit_help, "%s", "bad option or --team value");
		}
	}
	if (optind != argc - 1 ||
	    (strcmp(argv[optind], "verify") != 0 && strcmp(argv[optind], "export") != 0))
		return usage_error(audit_help, "%s", "say verify or export");
	return audit_run(argv[optind], url, key_file, team);
}

static const char rekey_help[] =
    "usage: visor rekey [--db URL] [--key-file PATH] --new-key-file PATH\n"
    "\n"
    "Re-seals every data source secret and signing key under a new master key,\n"
    "in one transaction. The new key comes from VISOR_NEW_MASTER_KEY or from\n"
    "--new-key-file (created, mode 0600, if missing). Restart the servers with\n"
    "the new key afterwards.\n"
    "\n"
    "  --db URL              sqlite:PATH or postgresql://… (default sqlite:visor.db)\n"
    "  --key-file PATH       the current master key (default: PATH.key beside a SQLite\n"
    "                        database; VISOR_MASTER_KEY overrides)\n"
    "  --new-key-file PATH   the new master key\n";

static int cmd_rekey(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, OPT_DB},
	    {"key-file", required_argument, NULL, OPT_KEY_FILE},
	    {"new-key-file", required_argument, NULL, OPT_NEW_KEY_FILE},
	    {"help", no_argument, NULL, OPT_HELP},
	    {NULL, 0, NULL, 0},
	};
	const char *url = default_db, *key_file = NULL, *new_file = NULL;
	struct db *db;
	char msg[512];
	int c, count = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == OPT_HELP) {
			fputs(rekey_help, stdout);
			return 0;
		} else if (c == OPT_DB) {
			url = optarg;
		} else if (c == OPT_KEY_FILE) {
			key_file = optarg;
		} else if (c == OPT_NEW_KEY_FILE) {
			new_file = optarg;
		} else {
			return usage_error(rekey_help, "%s", "unknown option");
		}
	}
	if (!new_file && !getenv("VISOR_NEW_MASTER_KEY"))
		return usage_error(rekey_help, "%s", "--new-key-file PATH is required");
	db = open_keyed_db(url, key_file, false);
	if (!db)
		return 1;
	if (!keyring_rekey(db, new_file, &count, msg, sizeof(msg))) {
		fprintf(stderr, "visor: %s\n", msg);
		db_close(db);
		return 1;
	}
	db_close(db);
	printf("Re-sealed %d value(s) under the new master key.\n", count);
	return 0;
}

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
    {"serve", cmd_serve, serve_help},       {"init", cmd_init, init_help},
    {"migrate", cmd_migrate, migrate_help}, {"audit", cmd_audit, audit_help},
    {"rekey", cmd_rekey, rekey_help},
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(commands); i++) {
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	}
	return NULL;
}

int cli_main(int argc, char **argv)
{
	const struct command *cmd;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(main_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "help") == 0) {
		cmd = argc > 2 ? find_command(argv[2]) : NULL;
		fputs(cmd ? cmd->help : main_help, stdout);
		return 0;
	}
	cmd = find_command(argv[1]);
	if (!cmd)
		return usage_error(main_help, "unknown command \"%s\"", argv[1]);
	if (sodium_init() < 0) {
		fprintf(stderr, "visor: libsodium failed to start\n");
		return 1;
	}
	mem_init();
	/* Each connection is used by one thread; SQLite's global memory
	 * statistics would only add a lock to every allocation. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	return cmd->run(argc - 1, argv + 1);
}
