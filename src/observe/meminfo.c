// SPDX-License-Identifier: GPL-2.0-or-later
/* /proc/meminfo and /proc/vmstat parsers and pread-based re-readers. */
#include "observe/meminfo.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "core/util.h"

/* Parse "   1234 kB" (the text after "Key:") up to the end of the line into
 * bytes. The unit is optional ("HugePages_Total:  0" has none). */
static int parse_kb_value(const char *s, const char *eol, uint64_t *ret)
{
	char tmp[32];
	size_t n;
	uint64_t v;
	bool kb = false;
	int r;

	while (s < eol && (*s == ' ' || *s == '\t'))
		s++;
	while (eol > s && (eol[-1] == ' ' || eol[-1] == '\t' || eol[-1] == '\r'))
		eol--;
	if (eol - s >= 2 && eol[-2] == 'k' && eol[-1] == 'B') {
		kb = true;
		eol -= 2;
	}
	n = (size_t)(eol - s);
	if (n == 0 || n >= sizeof(tmp))
		return n == 0 ? -EINVAL : -ERANGE;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	r = parse_u64(tmp, &v);
	if (r < 0)
		return r;
	if (kb) {
		if (v > UINT64_MAX / 1024)
			return -ERANGE;
		v *= 1024;
	}
	*ret = v;
	return 0;
}

int parse_meminfo(const char *buf, struct meminfo *ret)
{
#define KEY(k, f, b) { k, sizeof(k) - 1, offsetof(struct meminfo, f), 1u << (b) }
	static const struct { const char *key; size_t len, off; unsigned bit; } keys[] = {
		KEY("MemTotal", mem_total, 0), KEY("MemFree", mem_free, 1),
		KEY("MemAvailable", mem_available, 2), KEY("Buffers", buffers, 3),
		KEY("Cached", cached, 4), KEY("Shmem", shmem, 5),
		KEY("AnonPages", anon_pages, 6), KEY("SwapTotal", swap_total, 7),
		KEY("SwapFree", swap_free, 8),
	};
#undef KEY
	const unsigned all = (1u << ARRAY_SIZE(keys)) - 1;
	struct meminfo m = { 0 };
	unsigned seen = 0;
	const char *p = buf, *eol, *colon;
	int r;

	if (!buf)
		return -EINVAL;
	/* Stop once every key is seen: they are all among the first 20 lines. */
	for (; *p && seen != all; p = *eol ? eol + 1 : eol) {
		eol = strchrnul(p, '\n');
		colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon)
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
			if ((size_t)(colon - p) != keys[i].len || memcmp(p, keys[i].key, keys[i].len) != 0)
				continue;
			if (seen & keys[i].bit)
				break;          /* first occurrence wins */
			r = parse_kb_value(colon + 1, eol, (uint64_t *)((char *)&m + keys[i].off));
			if (r < 0)
				return r;
			seen |= keys[i].bit;
			break;
		}
	}
	if (!(seen & 1u) || !(seen & (1u << 2)))
		return -EINVAL;
	*ret = m;
	return 0;
}

int meminfo_read_fd(int fd, struct meminfo *ret)
{
	char buf[8192];
	ssize_t n;

	n = reread_whole_fd(fd, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return parse_meminfo(buf, ret);
}

int parse_vmstat(const char *buf, struct vmstat *ret)
{
	static const char *const keys[] = {
		"workingset_refault_file", "workingset_refault", "nr_active_file", "nr_inactive_file",
		"pgscan_kswapd",
	};
	uint64_t v[ARRAY_SIZE(keys)] = { 0 }, stalls = 0, n;
	bool has_stall = false;
	unsigned seen = 0;
	const char *p = buf, *eol, *sp;
	char tmp[32];

	if (!buf)
		return -EINVAL;
	for (; *p; p = *eol ? eol + 1 : eol) {
		size_t klen, i;
		bool stall;

		eol = strchrnul(p, '\n');
		sp = memchr(p, ' ', (size_t)(eol - p));
		if (!sp || (size_t)(eol - sp - 1) >= sizeof(tmp))
			continue;
		klen = (size_t)(sp - p);
		stall = klen > 11 && !memcmp(p, "allocstall_", 11);
		for (i = 0; !stall && i < ARRAY_SIZE(keys); i++)
			if (klen == strlen(keys[i]) && !memcmp(p, keys[i], klen) && !(seen & (1u << i)))
				break;
		if (!stall && i == ARRAY_SIZE(keys))
			continue;
		memcpy(tmp, sp + 1, (size_t)(eol - sp - 1));
		tmp[eol - sp - 1] = '\0';
		if (parse_u64(tmp, stall ? &n : &v[i]) < 0)
			return -EINVAL;
		if (stall) {
			stalls += n;
			has_stall = true;
		} else {
			seen |= 1u << i;
		}
	}
	if (!(seen & 3u) || (seen & 12u) != 12u)
		return -EINVAL;
	/* Before 5.9 the one counter was for file pages only; after, the
	 * plain name is gone (there are _anon and _file). */
	ret->refault_file = (seen & 1u) ? v[0] : v[1];
	ret->file_lru = v[2] + v[3];
	ret->has_reclaim = has_stall && (seen & 16u);
	ret->reclaim = ret->has_reclaim ? v[4] + stalls : 0;
	return 0;
}

int vmstat_read_fd(int fd, struct vmstat *ret)
{
	char buf[16384];
	ssize_t n;

	n = reread_fd(fd, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return parse_vmstat(buf, ret);
}
