/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tests of the min-cost covering knapsack: hand-made cases, a brute-force
 * property test (n <= 14), a DP-oracle property test (n 40..60), and a
 * check that ks_choose never allocates. */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/util.h"
#include "victim/knapsack.h"




/* ---- allocation counter (not under ASan, which owns malloc) ---- */
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
#define COUNT_ALLOCS 1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
static unsigned long n_allocs;
void *malloc(size_t n)
{
	n_allocs++;
	return __libc_malloc(n);
}
void *calloc(size_t a, size_t b)
{
	n_allocs++;
	return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n)
{
	n_allocs++;
	return __libc_realloc(p, n);
}
#endif

/* ---- PRNG: splitmix64, deterministic ---- */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static void seed(uint64_t s, const char *what)
{
	rng_state = s;
	print_message("%s: seed %" PRIu64 "\n", what, s);
}

/* ---- helpers ---- */

struct triple {
	int64_t v;
	size_t c;
	uint64_t w;
};

static int triple_cmp(struct triple a, struct triple b)
{
	if (a.v != b.v)
		return a.v < b.v ? -1 : 1;
	if (a.c != b.c)
		return a.c < b.c ? -1 : 1;
	if (a.w != b.w)
		return a.w < b.w ? -1 : 1;
	return 0;
}

/* Check the result is internally consistent; return its triple. */
static struct triple check_result(const struct ks_item *it, size_t n,
				  uint64_t need, const struct ks_result *r)
{
	struct triple t = { 0, r->n, 0 };
	unsigned __int128 bytes = 0;

	assert_true(r->n <= n);
	for (size_t i = 0; i < r->n; i++) {
		assert_true(r->idx[i] < n);
		if (i)
			assert_true(r->idx[i] > r->idx[i - 1]);
		bytes += it[r->idx[i]].bytes;
		t.v += it[r->idx[i]].value;
		t.w += it[r->idx[i]].work;
	}
	assert_int_equal(r->value, t.v);
	assert_int_equal(r->work, t.w);
	assert_true(r->bytes == (bytes > UINT64_MAX ? UINT64_MAX : (uint64_t)bytes));
	assert_int_equal(r->covered, bytes >= need);
	return t;
}

static void check_uncoverable(const struct ks_item *it, size_t n,
			      const struct ks_result *r)
{
	size_t k = 0;

	assert_int_equal(r->covered, 0);
	for (size_t i = 0; i < n; i++) {
		if (!it[i].bytes)
			continue;
		assert_true(k < r->n);
		assert_int_equal(r->idx[k], i);
		k++;
	}
	assert_int_equal(r->n, k);
}

/* brute force over all subsets; returns 0 if nothing covers */
static int brute(const struct ks_item *it, size_t n, uint64_t need,
		 struct triple *best)
{
	int found = 0;

	for (uint32_t mask = 0; mask < (1u << n); mask++) {
		struct triple t = { 0, 0, 0 };
		unsigned __int128 b = 0;

		for (size_t i = 0; i < n; i++) {
			if (!(mask & (1u << i)))
				continue;
			b += it[i].bytes;
			t.v += it[i].value;
			t.c++;
			t.w += it[i].work;
		}
		if (b < need)
			continue;
		if (!found || triple_cmp(t, *best) < 0)
			*best = t;
		found = 1;
	}
	return found;
}

/* exact DP over covered bytes (capped at need), lexicographic triple */
static int dp_oracle(const struct ks_item *it, size_t n, uint64_t need,
		     struct triple *best)
{
	struct triple *f = malloc((need + 1) * sizeof(*f));
	unsigned char *ok = calloc(need + 1, 1);
	int found;

	assert_non_null(f);
	assert_non_null(ok);
	ok[0] = 1;
	f[0] = (struct triple){ 0, 0, 0 };
	for (size_t i = 0; i < n; i++) {
		for (uint64_t b = need + 1; b-- > 0;) {
			uint64_t to;
			struct triple t;

			if (!ok[b])
				continue;
			to = b + it[i].bytes > need ? need : b + it[i].bytes;
			t = (struct triple){ f[b].v + it[i].value, f[b].c + 1,
					     f[b].w + it[i].work };
			if (to == b)
				continue;       /* zero bytes: never useful */
			if (!ok[to] || triple_cmp(t, f[to]) < 0) {
				f[to] = t;
				ok[to] = 1;
			}
		}
	}
	found = ok[need];
	if (found)
		*best = f[need];
	free(f);
	free(ok);
	return found;
}

static struct ks_scratch *scratch(size_t n)
{
	struct ks_scratch *s = ks_scratch_new(n);

	assert_non_null(s);
	return s;
}

/* ---- hand-made cases ---- */

/* The seed: ML processes valued 8 and 5 (the value-5 one uses more memory)
 * and two big dummy allocators valued 1. */
static void test_seed_demo(void **state)
{
	const struct ks_item it[] = {
		{ .bytes = 2 * GiB, .value = 8, .work = 500 },        /* ML 1 */
		{ .bytes = 3 * GiB, .value = 5, .work = 400 },        /* ML 2 */
		{ .bytes = 4 * GiB, .value = 1, .work = 10 },         /* dummy */
		{ .bytes = 7 * GiB / 2, .value = 1, .work = 10 },     /* dummy */
	};
	struct ks_scratch *s = scratch(4);
	struct ks_result r;

	(void)state;
	/* 10 GiB: the dummies (7.5) are not enough; + ML 2 (10.5) is the
	 * cheapest cover (value 7); ML 1 (value 8) is kept */
	assert_int_equal(ks_choose(s, it, 4, 10 * GiB, &r), 0);
	check_result(it, 4, 10 * GiB, &r);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.idx[0], 1);
	assert_int_equal(r.idx[1], 2);
	assert_int_equal(r.idx[2], 3);
	assert_int_equal(r.value, 7);
	assert_true(r.covered && r.exact);
	/* 6 GiB: the two dummies suffice */
	assert_int_equal(ks_choose(s, it, 4, 6 * GiB, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.idx[0], 2);
	assert_int_equal(r.idx[1], 3);
	assert_int_equal(r.value, 2);
	/* 4 GiB: one dummy (the 4 GiB one) */
	assert_int_equal(ks_choose(s, it, 4, 4 * GiB, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.idx[0], 2);
	/* 11 GiB: ML 1 + ML 2 + big dummy = 9 < 11; all four needed */
	assert_int_equal(ks_choose(s, it, 4, 12 * GiB, &r), 0);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.value, 15);
	assert_true(r.covered);
	ks_scratch_free(s);
}

static void test_need_zero(void **state)
{
	const struct ks_item it[] = { { 100, 0, 1 }, { 200, 3, 1 } };
	struct ks_scratch *s = scratch(2);
	struct ks_result r;

	(void)state;
	assert_int_equal(ks_choose(s, it, 2, 0, &r), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(r.bytes, 0);
	assert_int_equal(r.value, 0);
	assert_true(r.covered && r.exact);
	/* also with no items at all */
	assert_int_equal(ks_choose(s, NULL, 0, 0, &r), 0);
	assert_int_equal(r.n, 0);
	assert_true(r.covered);
	ks_scratch_free(s);
}

static void test_nothing_covers(void **state)
{
	const struct ks_item it[] = {
		{ 100, 5, 1 }, { 0, 0, 1 }, { 200, 0, 7 }, { 300, 2, 3 },
	};
	struct ks_scratch *s = scratch(4);
	struct ks_result r;

	(void)state;
	assert_int_equal(ks_choose(s, it, 4, 601, &r), 0);
	check_result(it, 4, 601, &r);
	check_uncoverable(it, 4, &r);    /* all but the zero-byte one */
	assert_int_equal(r.bytes, 600);
	assert_int_equal(r.value, 7);
	/* no items, need > 0 */
	assert_int_equal(ks_choose(s, it, 0, 1, &r), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(r.covered, 0);
	/* exactly enough is covered */
	assert_int_equal(ks_choose(s, it, 4, 600, &r), 0);
	assert_int_equal(r.n, 3);
	assert_true(r.covered);
	ks_scratch_free(s);
}

static void test_ties(void **state)
{
	/* value 2 either way: one item beats two, despite more work */
	const struct ks_item a[] = {
		{ 5, 1, 1 }, { 10, 2, 100 }, { 5, 1, 1 },
	};
	/* value and count tie: less work wins */
	const struct ks_item b[] = {
		{ 10, 1, 50 }, { 12, 1, 20 }, { 10, 1, 30 }, { 6, 0, 0 },
	};
	/* value 0 sets: two beats three */
	const struct ks_item c[] = {
		{ 4, 0, 1 }, { 4, 0, 1 }, { 4, 0, 1 }, { 7, 0, 9 }, { 5, 0, 9 },
	};
	struct ks_scratch *s = scratch(8);
	struct ks_result r;

	(void)state;
	assert_int_equal(ks_choose(s, a, 3, 10, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.idx[0], 1);
	assert_int_equal(ks_choose(s, b, 4, 10, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.idx[0], 1);
	assert_int_equal(r.work, 20);
	/* 16 bytes: {12,6} value 1 count 2 beats two value-1 items */
	assert_int_equal(ks_choose(s, b, 4, 16, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.idx[0], 1);
	assert_int_equal(r.idx[1], 3);
	/* 12 bytes from value-0 items: {7,5} (work 18) has fewer items than
	 * {4,4,4} (work 3) */
	assert_int_equal(ks_choose(s, c, 5, 12, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.value, 0);
	assert_int_equal(r.work, 18);
	/* 8 bytes: pairs {4,4} (work 2) beat {7,4}, {7,5}... on work */
	assert_int_equal(ks_choose(s, c, 5, 8, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.work, 2);
	assert_true(r.exact);
	ks_scratch_free(s);
}

static void test_zero_value(void **state)
{
	const struct ks_item it[] = {
		{ 5, 0, 3 }, { 10, 1, 1 }, { 3, 0, 1 }, { 0, 0, 0 }, { 4, 2, 0 },
	};
	struct ks_scratch *s = scratch(5);
	struct ks_result r;

	(void)state;
	/* the free items cover 8: take them, not the value-1 one */
	assert_int_equal(ks_choose(s, it, 5, 8, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.idx[0], 0);
	assert_int_equal(r.idx[1], 2);
	assert_int_equal(r.value, 0);
	/* 10: {10} (1,1) beats {5,3,...}: free items alone cannot */
	assert_int_equal(ks_choose(s, it, 5, 10, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.idx[0], 1);
	/* 12: {10,3} and {5,10} are both (1, 2): less work wins */
	assert_int_equal(ks_choose(s, it, 5, 12, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.idx[0], 1);
	assert_int_equal(r.idx[1], 2);
	assert_int_equal(r.work, 2);
	/* 5: single free item */
	assert_int_equal(ks_choose(s, it, 5, 5, &r), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.idx[0], 0);
	/* the zero-byte item is never part of an answer */
	for (uint64_t need = 1; need <= 22; need++) {
		assert_int_equal(ks_choose(s, it, 5, need, &r), 0);
		for (size_t i = 0; i < r.n; i++)
			assert_int_not_equal(r.idx[i], 3);
	}
	ks_scratch_free(s);
}

static void test_errors(void **state)
{
	struct ks_item it[] = { { 5, 1, 0 }, { 5, -1, 0 }, { 5, 1, 0 } };
	struct ks_scratch *s = scratch(2);
	struct ks_result r = { .n = 77 };

	(void)state;
	assert_int_equal(ks_choose(s, it, 2, 5, &r), -EINVAL);
	assert_int_equal(r.n, 77);      /* untouched on error */
	assert_int_equal(ks_choose(s, it, 3, 5, &r), -E2BIG);
	assert_int_equal(ks_choose(NULL, it, 1, 5, &r), -EINVAL);
	assert_int_equal(ks_choose(s, it, 1, 5, NULL), -EINVAL);
	assert_int_equal(ks_choose(s, NULL, 1, 5, &r), -EINVAL);
	/* sum of values overflowing int64 */
	it[0].value = INT64_MAX;
	it[1].value = 1;
	assert_int_equal(ks_choose(s, it, 2, 5, &r), -EINVAL);
	it[1].value = 0;
	assert_int_equal(ks_choose(s, it, 2, 5, &r), 0);
	assert_int_equal(r.value, 0);
	ks_scratch_free(s);
	/* capacity 0 still works for empty instances */
	s = scratch(0);
	assert_int_equal(ks_choose(s, it, 0, 5, &r), 0);
	assert_int_equal(ks_choose(s, it, 1, 5, &r), -E2BIG);
	ks_scratch_free(s);
	ks_scratch_free(NULL);
}

static void test_huge_numbers(void **state)
{
	const struct ks_item it[] = {
		{ UINT64_MAX, 3, 1 }, { UINT64_MAX - 1, 2, 1 },
		{ UINT64_MAX / 2, 1, 1 }, { UINT64_MAX / 2 + 1, 1, 2 },
	};
	struct ks_scratch *s = scratch(4);
	struct ks_result r;

	(void)state;
	assert_int_equal(ks_choose(s, it, 4, UINT64_MAX, &r), 0);
	check_result(it, 4, UINT64_MAX, &r);
	/* the halves sum to MAX: value 2 beats {MAX} (3) and MAX-1 + any */
	assert_int_equal(r.value, 2);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.idx[0], 2);
	assert_int_equal(r.bytes, UINT64_MAX);
	assert_true(r.exact && r.covered);
	/* large values, no DP: value-per-byte order must be exact */
	const struct ks_item v[] = {
		{ 3 * GiB, INT64_MAX / 4, 0 }, { 2 * GiB, INT64_MAX / 8, 0 },
		{ 2 * GiB, INT64_MAX / 8, 5 },
	};
	assert_int_equal(ks_choose(s, v, 3, 4 * GiB, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.idx[0], 1);
	assert_int_equal(r.idx[1], 2);
	ks_scratch_free(s);
}

/* ---- property tests ---- */

enum mode { M_SMALL, M_LARGE, M_TIES, M_ZERO, M_NMODES };

static void gen(struct ks_item *it, size_t n, enum mode m)
{
	for (size_t i = 0; i < n; i++) {
		switch (m) {
		case M_SMALL:
			it[i].bytes = rnd_below(4) ? 1 + rnd_below(1000) : 0;
			it[i].value = (int64_t)rnd_below(21);
			it[i].work = rnd_below(1000);
			break;
		case M_LARGE:   /* value sums too big for the DP */
			it[i].bytes = 1 + rnd_below(1ull << 40);
			it[i].value = (int64_t)rnd_below(1ull << 50);
			it[i].work = rnd_below(1ull << 40);
			break;
		case M_TIES:
			it[i].bytes = (1 + rnd_below(3)) * 100;
			it[i].value = (int64_t)rnd_below(2);
			it[i].work = rnd_below(3);
			break;
		default:        /* many free items, few costly ones */
			it[i].bytes = 1 + rnd_below(500);
			it[i].value = rnd_below(3) ? 0 : 1 + (int64_t)rnd_below(100);
			it[i].work = rnd_below(50);
			break;
		}
	}
}

static uint64_t pick_need(const struct ks_item *it, size_t n)
{
	unsigned __int128 t = 0;

	for (size_t i = 0; i < n; i++)
		t += it[i].bytes;
	if (t > UINT64_MAX / 2)
		t = UINT64_MAX / 2;
	/* around half the total, sometimes more than all */
	return rnd_below(4) ? rnd_below((uint64_t)t + 1) / 2 + (uint64_t)t / 4 :
			      rnd_below((uint64_t)t + 2) + 1;
}

static void test_property_bruteforce(void **state)
{
	struct ks_scratch *s = scratch(14);
	struct ks_item it[14];
	unsigned long runs = 0, cov = 0;

	(void)state;
	seed(0x5eed0001, "bruteforce");
	for (int k = 0; k < 6000; k++) {
		size_t n = rnd_below(15);
		enum mode m = (enum mode)(k % M_NMODES);
		uint64_t need;
		struct ks_result r;
		struct triple o, t;
		int found;

		gen(it, n, m);
		need = pick_need(it, n);
		assert_int_equal(ks_choose(s, it, n, need, &r), 0);
		t = check_result(it, n, need, &r);
		found = brute(it, n, need, &o);
		if (!need) {
			assert_int_equal(r.n, 0);
		} else if (!found) {
			check_uncoverable(it, n, &r);
		} else {
			if (triple_cmp(t, o) != 0)
				fail_msg("case %d (n %zu mode %d need %" PRIu64
					 "): got (%" PRId64 ",%zu,%" PRIu64
					 ") want (%" PRId64 ",%zu,%" PRIu64 ")",
					 k, n, m, need, t.v, t.c, t.w, o.v, o.c, o.w);
			assert_true(r.covered);
			cov++;
		}
		assert_true(r.exact);
		runs++;
	}
	print_message("bruteforce: %lu instances, %lu coverable\n", runs, cov);
	assert_true(cov > runs / 2);
	ks_scratch_free(s);
}

static void test_property_dp(void **state)
{
	enum { N = 60 };
	struct ks_scratch *s = scratch(N);
	struct ks_item it[N];
	unsigned long exact = 0, runs = 0;

	(void)state;
	seed(0x5eed0002, "dp-oracle");
	for (int k = 0; k < 1200; k++) {
		size_t n = 40 + rnd_below(21);
		enum mode m = (enum mode)(k % M_NMODES);
		uint64_t need;
		struct ks_result r;
		struct triple o, t;

		gen(it, n, m);
		for (size_t i = 0; i < n; i++) {
			it[i].bytes %= 2000;    /* keep the oracle's table small */
			if (m == M_SMALL)
				it[i].value %= 6;
		}
		need = pick_need(it, n);
		if (need > 60000)
			need = 60000;
		assert_int_equal(ks_choose(s, it, n, need, &r), 0);
		t = check_result(it, n, need, &r);
		if (!need)
			continue;
		if (!dp_oracle(it, n, need, &o)) {
			check_uncoverable(it, n, &r);
			continue;
		}
		assert_true(r.covered);
		runs++;
		if (r.exact) {
			exact++;
			if (triple_cmp(t, o) != 0)
				fail_msg("case %d (n %zu mode %d need %" PRIu64
					 "): got (%" PRId64 ",%zu,%" PRIu64
					 ") want (%" PRId64 ",%zu,%" PRIu64 ")",
					 k, n, m, need, t.v, t.c, t.w, o.v, o.c, o.w);
		} else {
			assert_true(triple_cmp(t, o) >= 0);
		}
	}
	print_message("dp-oracle: %lu coverable instances, %lu proven exact\n",
		      runs, exact);
	assert_true(exact * 10 >= runs * 9);
	ks_scratch_free(s);
}

/* With a tiny node budget the answer still covers and its value is within
 * one item's value of the optimum (the documented bound). */
static void test_budget_bound(void **state)
{
	enum { N = 60 };
	struct ks_scratch *s = scratch(N);
	struct ks_item it[N];
	unsigned long inexact = 0;

	(void)state;
	seed(0x5eed0003, "budget");
	ks_scratch_set_budget(s, 3);
	for (int k = 0; k < 300; k++) {
		size_t n = 40 + rnd_below(21);
		int64_t vmax = 0;
		uint64_t need;
		struct ks_result r;
		struct triple o, t;

		gen(it, n, (enum mode)(k % M_NMODES));
		for (size_t i = 0; i < n; i++) {
			it[i].bytes %= 2000;
			if (it[i].value > vmax)
				vmax = it[i].value;
		}
		need = pick_need(it, n) % 60000;
		assert_int_equal(ks_choose(s, it, n, need, &r), 0);
		t = check_result(it, n, need, &r);
		if (!need || !dp_oracle(it, n, need, &o))
			continue;
		assert_true(r.covered);
		assert_true(triple_cmp(t, o) >= 0);
		assert_true(t.v - o.v <= vmax);
		if (r.exact)
			assert_int_equal(triple_cmp(t, o), 0);
		else
			inexact++;
	}
	assert_true(inexact > 0);       /* the budget did bite */
	ks_scratch_set_budget(s, 0);
	ks_scratch_free(s);
}

/* A realistic large instance: exact, covering, and no allocation. */
static void test_large_no_alloc(void **state)
{
	enum { N = 10000 };
	struct ks_item *it = calloc(N, sizeof(*it));
	struct ks_scratch *s;
	struct ks_result r;
#ifdef COUNT_ALLOCS
	unsigned long before = n_allocs;
#endif

	(void)state;
	s = scratch(N);
#ifdef COUNT_ALLOCS
	assert_true(n_allocs > before);  /* the counter does see allocations */
#endif
	assert_non_null(it);
	seed(0x5eed0004, "large");
	for (int round = 0; round < 4; round++) {
		for (size_t i = 0; i < N; i++) {
			uint64_t p = rnd_below(100);

			it[i].bytes = 100 * 1024 + rnd_below(64 * MiB);
			it[i].value = p < 5 ? 0 : p < 95 ? 1 : 5 + (int64_t)rnd_below(96);
			if (round & 1 && it[i].value == 0)
				it[i].value = 1;     /* no free items at all */
			it[i].work = rnd_below(1000000);
		}
		uint64_t need = (round < 2 ? 64 : 2048) * MiB;
#ifdef COUNT_ALLOCS
		before = n_allocs;
#endif
		assert_int_equal(ks_choose(s, it, N, need, &r), 0);
#ifdef COUNT_ALLOCS
		assert_int_equal(n_allocs, before);
#endif
		check_result(it, N, need, &r);
		assert_true(r.covered);
		print_message("large round %d: n %zu value %" PRId64 " exact %d\n",
			      round, r.n, r.value, r.exact);
	}
	ks_scratch_free(s);
	free(it);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_demo),
		cmocka_unit_test(test_need_zero),
		cmocka_unit_test(test_nothing_covers),
		cmocka_unit_test(test_ties),
		cmocka_unit_test(test_zero_value),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_huge_numbers),
		cmocka_unit_test(test_property_bruteforce),
		cmocka_unit_test(test_property_dp),
		cmocka_unit_test(test_budget_bound),
		cmocka_unit_test(test_large_no_alloc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
