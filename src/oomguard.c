/* SPDX-License-Identifier: GPL-2.0-or-later */
/* oomguard: keep a Linux machine responsive when memory runs out.
 *
 *   oomguard [--config FILE] [--dry-run] [--psi-mode auto|trigger|poll]
 *   oomguard check FILE
 *   oomguard explain [--config FILE] [--json]
 *   oomguard status [--config FILE] [--json] [--status-socket PATH]
 *   oomguard watch [--count N] [--status-socket PATH]
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "og-config.h"
#include "guards/shield/shieldd.h"
#include "core/config.h"
#include "core/daemon.h"
#include "core/log.h"
#include "report/notify.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: oomguard [OPTIONS]            run the daemon in the foreground\n"
		"       oomguard check FILE           validate a config file\n"
		"       oomguard explain [OPTIONS]    show what would be done now, and why\n"
		"       oomguard status [OPTIONS]     the running daemon's state (its status socket);\n"
		"                                     without one, the protected cgroup, its members\n"
		"                                     and settings, and the oom_score_adj values set\n"
		"       oomguard watch [--count N]    a line a second from the running daemon: memory,\n"
		"                                     PSI, GPU memory, disk free, and its decisions\n"
		"       oomguard value set PID|CGROUP VALUE | clear PID|CGROUP | list\n"
		"                                     the runtime value registry (root only)\n"
		"       oomguard calibrate [--from T] [--to T] [--cgroup GLOB] [--json]\n"
		"       oomguard calibrate --collect DURATION [--interval D]\n"
		"       oomguard calibrate --restore\n"
		"                                     each cgroup's memory: min, median, p95, max;\n"
		"                                     --restore: the limits rebalancing changed\n"
		"       oomguard notify [--all]       the user agent: a desktop notification for\n"
		"                                     each of this user's processes oomguard stops\n"
		"\n"
		"Options:\n"
		"  -c, --config FILE       YAML config (default: the built-in policy)\n"
		"  -n, --dry-run           decide and log, but signal nothing\n"
		"      --psi-mode MODE     auto, trigger or poll (force the polling fallback)\n"
		"      --proc DIR          read processes and memory from DIR (default /proc;\n"
		"                          the daemon needs --dry-run with it)\n"
		"      --cgroup-root DIR   cgroup v2 mount (default: from mountinfo)\n"
		"      --runtime-dir DIR   value registry dir (default /run/oomguard)\n"
		"      --drop-in-dir DIR   oomd drop-in rulesets, added and removed at runtime\n"
		"                          (as oomd's --drop-in-dir; with an oomd config)\n"
		"      --json              explain/status: one JSON object keyed by guard name\n"
		"      --status-socket PATH  the daemon's status socket (default\n"
		"                          RUNTIME_DIR/status.sock, /run/oomguard/status.sock)\n"
		"      --count N           watch: N lines, then exit (default: until stopped)\n"
		"  -v, --verbose           debug logging\n"
		"  -V, --version           print the version\n"
		"  -h, --help              this help\n");
}

static int cmd_check(const char *path)
{
	struct og_config cfg;
	char err[OG_ERR_SIZE] = "";

	config_default(&cfg);
	if (config_load(path, &cfg, err) < 0) {
		fprintf(stderr, "%s\n", err);
		config_free(&cfg);
		return 1;
	}
	if (cfg.warnings)
		fprintf(stderr, "%s\n", cfg.warnings);
	printf("%s: OK\n", path);
	config_describe(&cfg, stdout);
	config_free(&cfg);
	return 0;
}

/* The index of the word cmd as the command (not an option's value), 0 if
 * it is not there. */
static int subcommand_at(int argc, char **argv, const char *cmd)
{
	static const char *const with_value[] = { "-c", "--config", "--psi-mode", "--proc",
						  "--cgroup-root", "--runtime-dir", "--drop-in-dir",
						  "--status-socket", "--count" };

	for (int i = 1; i < argc; i++) {
		bool value = false;

		for (size_t k = 0; k < sizeof(with_value) / sizeof(with_value[0]); k++)
			value |= !strcmp(argv[i], with_value[k]);
		if (value) {
			i++;
			continue;
		}
		if (argv[i][0] != '-')
			return strcmp(argv[i], cmd) ? 0 : i;
	}
	return 0;
}

int calibrate_cmd(const struct og_opts *o, int argc, char **argv);

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "psi-mode", required_argument, NULL, 'P' },
		{ "proc", required_argument, NULL, 'p' },
		{ "cgroup-root", required_argument, NULL, 'g' },
		{ "runtime-dir", required_argument, NULL, 'R' },
		{ "drop-in-dir", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "status-socket", required_argument, NULL, 'S' },
		{ "count", required_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct og_opts o = { .psi_mode = -1 };
	int ch, sub = subcommand_at(argc, argv, "calibrate");

	/* the user agent shares no option with the daemon */
	if (argc > 1 && !strcmp(argv[1], "notify"))
		return notify_agent(argc - 1, argv + 1);
	/* `calibrate` has options of its own: the global ones come before it */
	while ((ch = getopt_long(sub ? sub : argc, argv, "c:nvVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o.config_path = optarg;
			break;
		case 'n':
			o.dry_run = true;
			break;
		case 'P':
			if (!strcmp(optarg, "auto"))
				o.psi_mode = PSI_MODE_AUTO;
			else if (!strcmp(optarg, "trigger"))
				o.psi_mode = PSI_MODE_TRIGGER;
			else if (!strcmp(optarg, "poll"))
				o.psi_mode = PSI_MODE_POLL;
			else {
				fprintf(stderr, "oomguard: --psi-mode: expected auto, trigger or poll, got \"%s\"\n", optarg);
				return 2;
			}
			break;
		case 'p':
			o.proc_dir = optarg;
			break;
		case 'g':
			o.cgroup_root = optarg;
			break;
		case 'R':
			o.runtime_dir = optarg;
			break;
		case 'w':
			o.dropin_dir = optarg;
			break;
		case 'j':
			o.json = true;
			break;
		case 'S':
			o.status_socket = optarg;
			break;
		case 'C': {
			char *end;

			errno = 0;
			o.count = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || o.count < 1) {
				fprintf(stderr, "oomguard: --count: expected a number of lines >= 1, got \"%s\"\n", optarg);
				return 2;
			}
			break;
		}
		case 'v':
			log_set_level(LOG_DEBUG);
			break;
		case 'V':
			printf("oomguard %s\n", OG_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (sub)
		return optind == sub ? calibrate_cmd(&o, argc - sub, argv + sub) :
		       (usage(stderr), 2);
	if (optind == argc) {
		char err[512];

		if (og_opts_check_daemon(&o, err, sizeof(err)) < 0) {
			fprintf(stderr, "oomguard: %s\n", err);
			return 2;
		}
		return daemon_run(&o);
	}
	if (!strcmp(argv[optind], "check")) {
		if (argc - optind != 2) {
			fprintf(stderr, "Usage: oomguard check FILE\n");
			return 2;
		}
		return cmd_check(argv[optind + 1]);
	}
	if (!strcmp(argv[optind], "explain") && argc - optind == 1)
		return explain_run(&o);
	if (!strcmp(argv[optind], "status") && argc - optind == 1)
		return status_client(&o);
	if (!strcmp(argv[optind], "watch") && argc - optind == 1)
		return watch_client(&o);
	if (!strcmp(argv[optind], "value"))
		return value_cmd(&o, argc - optind - 1, argv + optind + 1);
	fprintf(stderr, "oomguard: unknown command \"%s\"\n", argv[optind]);
	usage(stderr);
	return 2;
}
