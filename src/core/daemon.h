/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once
#include "core/context.h"

/* The daemon's exit status when the kernel cannot kill through pidfds
 * (< 5.3) and dry-run is off (EX_UNAVAILABLE; the unit does not restart on
 * it: RestartPreventExitStatus=). */
#define OG_EXIT_NO_PIDFD 69

/* Run the daemon in the foreground until SIGTERM/SIGINT. Returns the exit
 * code for main. */
int daemon_run(const struct og_opts *o);
/* `oomguard value ...` with the arguments after "value". */
int value_cmd(const struct og_opts *o, int argc, char **argv);
/* Print what would be done now and why. Returns the exit code. */
int explain_run(const struct og_opts *o);
/* The guards' sections alone (`oomguard status`). Returns the exit code. */
int status_run(const struct og_opts *o);
/* `oomguard status`: the running daemon's snapshot through the status
 * socket, then status_run's one-shot look (--json: the daemon's object
 * alone); with no daemon answering, status_run (said on stderr). */
int status_client(const struct og_opts *o);
/* `oomguard watch [--count N]`: a line a second, and each new decision. */
int watch_client(const struct og_opts *o);
