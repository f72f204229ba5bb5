/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Min-cost covering knapsack (see docs/knapsack.md for the algorithm and
 * for what is proven exact when).
 *
 * Objective, lexicographic: minimise (sum value, count, sum work) subject to
 * sum bytes >= need. Pipeline:
 *   1. trivial cases (need 0, nothing covers, one value-0 item covers);
 *   2. items sorted by class (value asc, bytes desc, work asc, index);
 *   3. V* (optimal value) found exactly: 0 if the value-0 items cover,
 *      otherwise a DP over value (max bytes per value) when cheap enough;
 *   4. an upper bound K_w on how many items of value class w an optimal set
 *      can hold; an item with >= K_w same-class items that have >= bytes
 *      and <= work is dropped (exchange argument, keeps an optimum);
 *   5. depth-first branch and bound over the survivors in value-per-byte
 *      order, LP-relaxation bound on value, count bound, node budget.
 * All memory comes from the scratch; ks_choose never allocates. */
#include "victim/knapsack.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define KS_DEFAULT_BUDGET 150000u     /* branch-and-bound nodes per call */
#define KS_DP_MAX_V 65536u            /* largest value bound for the DP */
#define KS_DP_MAX_OPS 3000000u        /* DP cell updates allowed per call */

struct kit {
	uint64_t bytes;         /* capped at need */
	int64_t value;
	uint64_t work;
	size_t idx;             /* index into the caller's array */
};

struct frame {
	size_t pos;             /* position of the included item */
	uint64_t rem;           /* bytes still needed before including it */
	uint64_t work;          /* work sum before including it */
};

struct u128 {
	uint64_t hi, lo;
};

struct ks_scratch {
	size_t cap;
	uint64_t budget;
	struct kit *a;          /* class order */
	struct kit *b;          /* value-per-byte order */
	struct kit *tmp;        /* merge sort buffer */
	struct u128 *pb;        /* prefix sums of bytes over b, cap + 1 */
	int64_t *pv;            /* prefix sums of values over b, cap + 1 */
	uint64_t *maxb;         /* suffix max of bytes over b, cap + 1 */
	uint64_t *minw;         /* suffix min of work over b, cap + 1 */
	uint64_t *heap;         /* dominance heap, cap */
	struct frame *stack;    /* branch and bound path, cap */
	size_t *best;           /* best set found (caller indices), cap */
	size_t *out;            /* result indices, cap */
	unsigned char *mark;    /* chosen flags, cap */
	uint64_t *dp;           /* KS_DP_MAX_V + 1 */
};

/* The best set known: triple plus members (caller indices). */
struct best {
	int64_t v;
	size_t c;
	uint64_t w;
	bool have;
};

/* ---- small arithmetic helpers ---- */

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static struct u128 mul64(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
	unsigned __int128 p = (unsigned __int128)a * b;

	return (struct u128){ (uint64_t)(p >> 64), (uint64_t)p };
#else
	uint64_t al = a & 0xffffffffu, ah = a >> 32;
	uint64_t bl = b & 0xffffffffu, bh = b >> 32;
	uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
	uint64_t mid = (ll >> 32) + (lh & 0xffffffffu) + (hl & 0xffffffffu);

	return (struct u128){ hh + (lh >> 32) + (hl >> 32) + (mid >> 32),
			      (ll & 0xffffffffu) | (mid << 32) };
#endif
}

static int u128_cmp(struct u128 x, struct u128 y)
{
	if (x.hi != y.hi)
		return x.hi < y.hi ? -1 : 1;
	if (x.lo != y.lo)
		return x.lo < y.lo ? -1 : 1;
	return 0;
}

static struct u128 u128_add64(struct u128 x, uint64_t y)
{
	struct u128 r = { x.hi, x.lo + y };

	if (r.lo < x.lo)
		r.hi++;
	return r;
}

/* x - y where the caller knows the difference fits in 64 bits */
static uint64_t u128_sub_small(struct u128 x, struct u128 y)
{
	return x.lo - y.lo;
}

/* A lower bound on ceil(v * r / b), exact where 128-bit maths exists. */
static uint64_t ceil_muldiv(uint64_t v, uint64_t r, uint64_t b)
{
#ifdef __SIZEOF_INT128__
	unsigned __int128 p = (unsigned __int128)v * r;

	return (uint64_t)((p + b - 1) / b);
#else
	struct u128 p = mul64(v, r);
	long double x;

	if (p.hi == 0)
		return p.lo / b + (p.lo % b != 0);
	x = (long double)v * (long double)r / (long double)b;
	return x > 2.0L ? (uint64_t)x - 1 : 0;
#endif
}

/* ---- sorting (no allocation: merge sort with the scratch buffer) ---- */

typedef int (*kit_cmp)(const struct kit *, const struct kit *);

static int cmp_tail(const struct kit *x, const struct kit *y)
{
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->work != y->work)
		return x->work < y->work ? -1 : 1;
	if (x->idx != y->idx)
		return x->idx < y->idx ? -1 : 1;
	return 0;
}

/* value asc, bytes desc, work asc, index asc */
static int cmp_class(const struct kit *x, const struct kit *y)
{
	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return cmp_tail(x, y);
}

/* value / bytes asc (exact cross multiplication), then as cmp_tail */
static int cmp_ratio(const struct kit *x, const struct kit *y)
{
	int c = u128_cmp(mul64((uint64_t)x->value, y->bytes),
			 mul64((uint64_t)y->value, x->bytes));

	return c ? c : cmp_tail(x, y);
}

static void kit_sort(struct kit *a, struct kit *tmp, size_t n, kit_cmp cmp)
{
	const size_t run = 16;
	struct kit *src = a, *dst = tmp, *t;
	size_t lo, w;

	for (lo = 0; lo < n; lo += run) {
		size_t hi = lo + run < n ? lo + run : n;

		for (size_t i = lo + 1; i < hi; i++) {
			struct kit x = a[i];
			size_t j = i;

			while (j > lo && cmp(&x, &a[j - 1]) < 0) {
				a[j] = a[j - 1];
				j--;
			}
			a[j] = x;
		}
	}
	for (w = run; w < n; w *= 2) {
		for (lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n;
			size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
			size_t i = lo, j = mid, k = lo;

			while (i < mid && j < hi)
				dst[k++] = cmp(&src[j], &src[i]) < 0 ? src[j++] : src[i++];
			while (i < mid)
				dst[k++] = src[i++];
			while (j < hi)
				dst[k++] = src[j++];
		}
		t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof(*a));
}

/* ---- scratch ---- */

struct ks_scratch *ks_scratch_new(size_t max_items)
{
	struct ks_scratch *s;
	size_t n = max_items ? max_items : 1;

	if (n > SIZE_MAX / 2 / sizeof(struct kit)) {
		errno = ENOMEM;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cap = max_items;
	s->budget = KS_DEFAULT_BUDGET;
	s->a = calloc(n, sizeof(*s->a));
	s->b = calloc(n, sizeof(*s->b));
	s->tmp = calloc(n, sizeof(*s->tmp));
	s->pb = calloc(n + 1, sizeof(*s->pb));
	s->pv = calloc(n + 1, sizeof(*s->pv));
	s->maxb = calloc(n + 1, sizeof(*s->maxb));
	s->minw = calloc(n + 1, sizeof(*s->minw));
	s->heap = calloc(n, sizeof(*s->heap));
	s->stack = calloc(n, sizeof(*s->stack));
	s->best = calloc(n, sizeof(*s->best));
	s->out = calloc(n, sizeof(*s->out));
	s->mark = calloc(n, sizeof(*s->mark));
	s->dp = calloc(KS_DP_MAX_V + 1, sizeof(*s->dp));
	if (!s->a || !s->b || !s->tmp || !s->pb || !s->pv || !s->maxb || !s->minw ||
	    !s->heap || !s->stack || !s->best || !s->out || !s->mark || !s->dp) {
		ks_scratch_free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

void ks_scratch_free(struct ks_scratch *s)
{
	if (!s)
		return;
	free(s->a);
	free(s->b);
	free(s->tmp);
	free(s->pb);
	free(s->pv);
	free(s->maxb);
	free(s->minw);
	free(s->heap);
	free(s->stack);
	free(s->best);
	free(s->out);
	free(s->mark);
	free(s->dp);
	free(s);
}

/* Testing and tuning hook, not part of knapsack.h: nodes allowed to the
 * branch and bound per call (0 restores the default). */
void ks_scratch_set_budget(struct ks_scratch *s, uint64_t nodes);
void ks_scratch_set_budget(struct ks_scratch *s, uint64_t nodes)
{
	if (s)
		s->budget = nodes ? nodes : KS_DEFAULT_BUDGET;
}

/* ---- result ---- */

/* Fill ret from the flags in s->mark (cleared on the way). */
static void emit(struct ks_scratch *s, const struct ks_item *items, size_t n,
		 uint64_t need, int exact, struct ks_result *ret)
{
	struct ks_result r = { .idx = s->out, .exact = exact };

	for (size_t i = 0; i < n; i++) {
		if (!s->mark[i])
			continue;
		s->mark[i] = 0;
		s->out[r.n++] = i;
		r.bytes = sat_add(r.bytes, items[i].bytes);
		r.value += items[i].value;
		r.work = sat_add(r.work, items[i].work);
	}
	r.covered = r.bytes >= need;
	*ret = r;
}

static bool lex_less(int64_t v, size_t c, uint64_t w, const struct best *b)
{
	if (!b->have)
		return true;
	if (v != b->v)
		return v < b->v;
	if (c != b->c)
		return c < b->c;
	return w < b->w;
}

/* Offer the set it[pos[0..k)] (or it[0..k) when pos is NULL). */
static void offer(struct ks_scratch *s, struct best *bst, const struct kit *it,
		  const size_t *pos, size_t k)
{
	int64_t v = 0;
	uint64_t w = 0;

	for (size_t i = 0; i < k; i++) {
		const struct kit *x = &it[pos ? pos[i] : i];

		v += x->value;
		w = sat_add(w, x->work);
	}
	if (!lex_less(v, k, w, bst))
		return;
	bst->v = v;
	bst->c = k;
	bst->w = w;
	bst->have = true;
	for (size_t i = 0; i < k; i++)
		s->best[i] = it[pos ? pos[i] : i].idx;
}

/* ---- incumbent: value-per-byte greedy, made minimal ---- */

static void greedy(struct ks_scratch *s, struct best *bst, const struct kit *b,
		   size_t m, uint64_t need)
{
	size_t *pos = s->out, k = 0, kk = 0, single = SIZE_MAX;
	uint64_t rem = need, sur = 0;   /* sur: bytes beyond need */

	for (size_t i = 0; i < m && rem; i++) {
		pos[k++] = i;
		if (b[i].bytes >= rem) {
			sur = b[i].bytes - rem;
			rem = 0;
		} else {
			rem -= b[i].bytes;
		}
	}
	if (!rem) {
		/* drop what is not needed, the worst value per byte first */
		for (size_t j = k; j-- > 0;) {
			if (b[pos[j]].bytes <= sur) {
				sur -= b[pos[j]].bytes;
				pos[j] = SIZE_MAX;
			}
		}
		for (size_t j = 0; j < k; j++)
			if (pos[j] != SIZE_MAX)
				pos[kk++] = pos[j];
		offer(s, bst, b, pos, kk);
	}
	for (size_t i = 0; i < m; i++) {
		if (b[i].bytes < need)
			continue;
		if (single == SIZE_MAX || b[i].value < b[single].value ||
		    (b[i].value == b[single].value && b[i].work < b[single].work))
			single = i;
	}
	if (single != SIZE_MAX)
		offer(s, bst, b, &single, 1);
}

/* ---- exact optimal value by DP over value ---- */

/* a[lo..hi) positive-value items in class order; r0 = bytes to cover
 * beyond the value-0 items; vub = a value known to be feasible.
 * Returns the optimal value, or -1 when the DP would cost too much. */
static int64_t dp_value(struct ks_scratch *s, const struct kit *a, size_t lo,
			size_t hi, uint64_t r0, int64_t vub)
{
	uint64_t ops = 0, *f = s->dp;
	size_t i, k;

	if (vub > (int64_t)KS_DP_MAX_V)
		return -1;
	/* for value v only the floor(vub / v) largest of that class matter */
	for (i = lo, k = 0; i < hi; i++) {
		k = (i > lo && a[i].value == a[i - 1].value) ? k + 1 : 0;
		if (k < (uint64_t)(vub / a[i].value))
			ops += (uint64_t)(vub - a[i].value + 1);
		if (ops > KS_DP_MAX_OPS)
			return -1;
	}
	memset(f, 0, ((size_t)vub + 1) * sizeof(*f));
	for (i = lo, k = 0; i < hi; i++) {
		int64_t w = a[i].value;
		uint64_t x = a[i].bytes;

		k = (i > lo && a[i].value == a[i - 1].value) ? k + 1 : 0;
		if (k >= (uint64_t)(vub / w))
			continue;
		for (int64_t v = vub; v >= w; v--) {
			uint64_t y = sat_add(f[v - w], x);

			if (y > r0)
				y = r0;
			if (y > f[v])
				f[v] = y;
		}
	}
	for (int64_t v = 0; v <= vub; v++)
		if (f[v] >= r0)
			return v;
	return vub;     /* unreachable: the incumbent is feasible */
}

/* ---- dominance reduction ---- */

static void heap_push(uint64_t *h, size_t *n, uint64_t x)
{
	size_t i = (*n)++;

	while (i > 0 && h[(i - 1) / 2] < x) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = x;
}

/* replace the max with x (x < max) */
static void heap_replace(uint64_t *h, size_t n, uint64_t x)
{
	size_t i = 0;

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, c = l;

		if (l >= n)
			break;
		if (r < n && h[r] > h[l])
			c = r;
		if (h[c] <= x)
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = x;
}

/* Copy the survivors of a[0..m) (class order) into out. An item is dropped
 * when at least K_w earlier kept items of its class have work <= its own
 * (earlier in class order means bytes >= its own). */
static size_t reduce(struct ks_scratch *s, const struct kit *a, size_t m,
		     struct kit *out, size_t cb, size_t n0, int64_t vb)
{
	size_t r = 0, i = 0;

	while (i < m) {
		int64_t w = a[i].value;
		size_t end = i, kw, hn = 0;

		while (end < m && a[end].value == w)
			end++;
		kw = w == 0 ? (cb < n0 ? cb : n0) : cb;
		if (w > 0 && (uint64_t)(vb / w) < kw)
			kw = (size_t)(vb / w);
		for (; i < end; i++) {
			if (kw == 0)
				continue;
			if (hn == kw && s->heap[0] <= a[i].work)
				continue;
			out[r++] = a[i];
			if (hn < kw)
				heap_push(s->heap, &hn, a[i].work);
			else
				heap_replace(s->heap, hn, a[i].work);
		}
	}
	return r;
}

/* ---- branch and bound ---- */

/* LP/count lower bound at position i, rem > 0 bytes still needed; returns
 * false when no completion from it[i..m) can beat the best. */
static bool promising(const struct ks_scratch *s, const struct kit *it,
		      size_t m, size_t i, uint64_t rem, int64_t v, size_t c,
		      uint64_t w, int64_t vlb, const struct best *bst)
{
	struct u128 target = u128_add64(s->pb[i], rem);
	size_t lo = i, hi = m, k;
	uint64_t part;
	int64_t lbv;
	size_t lbc;

	if (i >= m || u128_cmp(s->pb[m], target) < 0)
		return false;
	/* smallest k in [i, m) with pb[k + 1] >= target */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (u128_cmp(s->pb[mid + 1], target) >= 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	k = lo;
	part = u128_sub_small(target, s->pb[k]);
	lbv = v + (s->pv[k] - s->pv[i]) +
	      (int64_t)ceil_muldiv((uint64_t)it[k].value, part, it[k].bytes);
	if (lbv < vlb)
		lbv = vlb;
	lbc = (size_t)(rem / s->maxb[i] + (rem % s->maxb[i] != 0));
	/* each of the lbc items still to take costs >= the suffix min work */
	if (s->minw[i] && lbc > UINT64_MAX / s->minw[i])
		w = UINT64_MAX;
	else
		w = sat_add(w, lbc * s->minw[i]);
	return lex_less(lbv, c + lbc, w, bst);
}

/* Depth-first search; returns false when the node budget ran out. */
static bool bnb(struct ks_scratch *s, struct best *bst, const struct kit *it,
		size_t m, uint64_t need, int64_t vlb)
{
	uint64_t nodes = 0, rem = need, w = 0;
	int64_t v = 0;
	size_t i = 0, depth = 0;

	s->pb[0] = (struct u128){ 0, 0 };
	s->pv[0] = 0;
	for (size_t j = 0; j < m; j++) {
		s->pb[j + 1] = u128_add64(s->pb[j], it[j].bytes);
		s->pv[j + 1] = s->pv[j] + it[j].value;
	}
	s->maxb[m] = 0;
	s->minw[m] = UINT64_MAX;
	for (size_t j = m; j-- > 0;) {
		s->maxb[j] = it[j].bytes > s->maxb[j + 1] ? it[j].bytes : s->maxb[j + 1];
		s->minw[j] = it[j].work < s->minw[j + 1] ? it[j].work : s->minw[j + 1];
	}

	for (;;) {
		bool back;

		if (++nodes > s->budget)
			return false;
		if (rem == 0) {
			if (lex_less(v, depth, w, bst)) {
				for (size_t j = 0; j < depth; j++)
					s->best[j] = it[s->stack[j].pos].idx;
				bst->v = v;
				bst->c = depth;
				bst->w = w;
				bst->have = true;
			}
			back = true;
		} else {
			back = !promising(s, it, m, i, rem, v, depth, w, vlb, bst);
		}
		if (!back) {
			struct frame *f = &s->stack[depth++];

			f->pos = i;
			f->rem = rem;
			f->work = w;
			rem = it[i].bytes >= rem ? 0 : rem - it[i].bytes;
			v += it[i].value;
			w = sat_add(w, it[i].work);
			i++;
			continue;
		}
		if (depth == 0)
			return true;
		depth--;
		i = s->stack[depth].pos;
		rem = s->stack[depth].rem;
		w = s->stack[depth].work;
		v -= it[i].value;
		i++;
	}
}

/* ---- entry point ---- */

int ks_choose(struct ks_scratch *s, const struct ks_item *items, size_t n,
	      uint64_t need, struct ks_result *ret)
{
	struct best bst = { 0 };
	uint64_t total = 0, base0 = 0;
	int64_t vsum = 0, vb, vlb = 0, wmin = INT64_MAX;
	size_t m = 0, n0, mm, r, cb, single = SIZE_MAX;
	bool exact;

	if (!s || !ret || (!items && n))
		return -EINVAL;
	if (n > s->cap)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		if (items[i].value < 0 || items[i].value > INT64_MAX - vsum)
			return -EINVAL;
		vsum += items[i].value;
		total = sat_add(total, items[i].bytes);
	}

	if (need == 0) {
		emit(s, items, n, need, 1, ret);
		return 0;
	}
	if (total < need) {
		/* nothing covers: everything that frees memory */
		for (size_t i = 0; i < n; i++)
			s->mark[i] = items[i].bytes > 0;
		emit(s, items, n, need, 1, ret);
		return 0;
	}
	/* one value-0 item covers alone: (0, 1, least work) is optimal */
	for (size_t i = 0; i < n; i++)
		if (items[i].value == 0 && items[i].bytes >= need &&
		    (single == SIZE_MAX || items[i].work < items[single].work))
			single = i;
	if (single != SIZE_MAX) {
		s->mark[single] = 1;
		emit(s, items, n, need, 1, ret);
		return 0;
	}
	/* the value-0 items do not cover, so every cover holds an item of
	 * value >= wmin (least positive value): one item of value wmin that
	 * covers alone is optimal */
	for (size_t i = 0; i < n; i++) {
		if (items[i].value > 0 && items[i].bytes && items[i].value < wmin)
			wmin = items[i].value;
		base0 = sat_add(base0, items[i].value ? 0 : items[i].bytes);
	}
	if (base0 < need) {
		for (size_t i = 0; i < n; i++)
			if (items[i].value == wmin && items[i].bytes >= need &&
			    (single == SIZE_MAX || items[i].work < items[single].work))
				single = i;
		if (single != SIZE_MAX) {
			s->mark[single] = 1;
			emit(s, items, n, need, 1, ret);
			return 0;
		}
	}
	base0 = 0;

	for (size_t i = 0; i < n; i++) {
		if (!items[i].bytes)
			continue;       /* frees nothing: never in an optimum */
		s->a[m++] = (struct kit){
			.bytes = items[i].bytes < need ? items[i].bytes : need,
			.value = items[i].value,
			.work = items[i].work,
			.idx = i,
		};
	}
	kit_sort(s->a, s->tmp, m, cmp_class);
	for (n0 = 0; n0 < m && s->a[n0].value == 0; n0++)
		base0 = sat_add(base0, s->a[n0].bytes);

	if (base0 >= need) {
		/* V* = 0; C* = fewest value-0 items = the largest first */
		uint64_t rem = need;
		size_t k0 = 0;

		while (rem) {
			rem = s->a[k0].bytes >= rem ? 0 : rem - s->a[k0].bytes;
			k0++;
		}
		offer(s, &bst, s->a, NULL, k0);
		mm = n0;
		vb = 0;
		cb = k0;
	} else {
		int64_t vstar;

		memcpy(s->b, s->a, m * sizeof(*s->b));
		kit_sort(s->b, s->tmp, m, cmp_ratio);
		greedy(s, &bst, s->b, m, need);
		vb = bst.v;
		/* an item worth more than a known solution is never chosen */
		for (mm = n0; mm < m && s->a[mm].value <= vb; mm++)
			;
		vstar = dp_value(s, s->a, n0, mm, need - base0, vb);
		if (vstar >= 0) {
			vb = vlb = vstar;
			while (mm > n0 && s->a[mm - 1].value > vb)
				mm--;
		}
		/* count bound: all value-0 plus vb / (least positive value) */
		cb = mm;
		if (mm > n0 && (uint64_t)(vb / s->a[n0].value) < mm - n0)
			cb = n0 + (size_t)(vb / s->a[n0].value);
		if (vstar >= 0 && bst.v == vstar && bst.c < cb)
			cb = bst.c;
	}

	r = reduce(s, s->a, mm, s->b, cb, n0, vb);
	kit_sort(s->b, s->tmp, r, cmp_ratio);
	exact = bnb(s, &bst, s->b, r, need, vlb);

	for (size_t i = 0; i < bst.c; i++)
		s->mark[s->best[i]] = 1;
	emit(s, items, n, need, exact, ret);
	return 0;
}
