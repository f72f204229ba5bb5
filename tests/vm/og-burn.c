/* og-burn: a CPU burner for the VM scenarios: --threads N busy threads
 * (default 8) in one process, for --seconds S (default: until killed).
 * --name sets its comm. Only for guests. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

static void *spin(void *arg)
{
	(void)arg;
	for (;;)
		sink++;
	return NULL;
}

int main(int argc, char **argv)
{
	long threads = 8, seconds = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--threads"))
			threads = strtol(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = strtol(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--name"))
			prctl(PR_SET_NAME, argv[i + 1], 0, 0, 0);
		else {
			fprintf(stderr, "usage: og-burn [--threads N] [--seconds S] [--name NAME]\n");
			return 2;
		}
	}
	for (long t = 1; t < threads; t++) {
		pthread_t th;

		if (pthread_create(&th, NULL, spin, NULL) != 0) {
			perror("pthread_create");
			return 1;
		}
	}
	if (seconds > 0) {
		struct timespec end, now;

		clock_gettime(CLOCK_MONOTONIC, &end);
		end.tv_sec += seconds;
		do {
			for (int k = 0; k < 1000000; k++)
				sink++;
			clock_gettime(CLOCK_MONOTONIC, &now);
		} while (now.tv_sec < end.tv_sec ||
			 (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
		return 0;
	}
	spin(NULL);
	return 0;
}
