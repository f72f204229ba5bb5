// SPDX-License-Identifier: GPL-2.0-or-later
/* Replays files (or every regular file of a directory) through
 * LLVMFuzzerTestOneInput, so that fuzz targets build and run their seed
 * corpus without libFuzzer. Exits non-zero if an argument cannot be read. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(int dirfd, const char *name, const char *shown)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	ssize_t n;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", shown, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	LLVMFuzzerTestOneInput(buf, got);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	int ret = 0, runs = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			ret = 1;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *de;

			if (!d) {
				fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
				ret = 1;
				continue;
			}
			while ((de = readdir(d))) {
				struct stat fst;

				if (fstatat(dirfd(d), de->d_name, &fst, 0) < 0 || !S_ISREG(fst.st_mode))
					continue;
				if (run_file(dirfd(d), de->d_name, de->d_name) < 0)
					ret = 1;
				else
					runs++;
			}
			closedir(d);
		} else if (run_file(AT_FDCWD, argv[i], argv[i]) < 0) {
			ret = 1;
		} else {
			runs++;
		}
	}
	printf("replay: %d input(s)\n", runs);
	return ret;
}
