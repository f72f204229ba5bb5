/* SPDX-License-Identifier: GPL-2.0-or-later */
/* og-many N: fork N idle children (each only pause()s), print "ready N" on
 * stdout once all run, then wait; SIGTERM to og-many kills them all. For the
 * VM scenarios that need a cgroup with thousands of members at little memory
 * (a child costs a few pages). Only for guests. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t *kids;
static long nkids;

static void on_term(int sig)
{
	for (long i = 0; i < nkids; i++)
		kill(kids[i], SIGKILL);
	_exit(0);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;

	if (n <= 0 || n > 100000) {
		fprintf(stderr, "usage: og-many N (1..100000)\n");
		return 2;
	}
	kids = calloc((size_t)n, sizeof(*kids));
	if (!kids)
		return 1;
	signal(SIGTERM, on_term);
	for (nkids = 0; nkids < n; nkids++) {
		pid_t p = fork();

		if (p < 0) {
			perror("og-many: fork");
			on_term(0);
		}
		if (p == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			signal(SIGTERM, SIG_DFL);
			for (;;)
				pause();
		}
		kids[nkids] = p;
	}
	printf("ready %ld\n", nkids);
	fflush(stdout);
	for (;;)
		pause();
}
