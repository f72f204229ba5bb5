/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The GPU guard's pure parts: NVML's symbols and their fallbacks, the
 * process records and the stride probe (the R535 trap), and the decisions
 * (which devices, over or not, how much to free). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/config.h"
#include "core/util.h"
#include "guards/gpu/gpu.h"

/* ---- symbols ------------------------------------------------------------- */

static int f_ok(void) { return 0; }

/* A library that has only these names. */
static const char *const *have;

static void *table_sym(void *h, const char *name)
{
	for (const char *const *p = have; *p; p++)
		if (!strcmp(*p, name))
			return (void *)f_ok;
	return NULL;
}

#define BASE "nvmlShutdown", "nvmlErrorString", "nvmlDeviceGetMemoryInfo", \
	"nvmlDeviceGetName", "nvmlDeviceGetUUID", "nvmlSystemGetDriverVersion", \
	"nvmlSystemGetNVMLVersion"

static void test_bind_newest(void **state)
{
	static const char *const lib[] = { BASE, "nvmlInit_v2", "nvmlInit", "nvmlDeviceGetCount_v2",
		"nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetComputeRunningProcesses_v3",
		"nvmlDeviceGetComputeRunningProcesses_v2", "nvmlDeviceGetComputeRunningProcesses",
		"nvmlDeviceGetGraphicsRunningProcesses_v2", "nvmlDeviceGetPersistenceMode", NULL };
	struct nvml n = { 0 };
	const char *missing = NULL;

	have = lib;
	assert_int_equal(nvml_bind(&n, table_sym, NULL, &missing), 0);
	assert_string_equal(n.compute.name, "nvmlDeviceGetComputeRunningProcesses_v3");
	assert_int_equal(n.compute.declared, 32);
	assert_string_equal(n.graphics.name, "nvmlDeviceGetGraphicsRunningProcesses_v2");
	assert_int_equal(n.graphics.declared, 24);
	assert_non_null(n.get_persistence);
	assert_null(n.set_persistence);         /* optional: listed, not fatal */
	assert_non_null(strstr(n.missing, "nvmlDeviceSetPersistenceMode"));
}

static void test_bind_old_driver(void **state)
{
	static const char *const lib[] = { BASE, "nvmlInit", "nvmlDeviceGetCount",
		"nvmlDeviceGetHandleByIndex", "nvmlDeviceGetComputeRunningProcesses", NULL };
	struct nvml n = { 0 };

	have = lib;
	assert_int_equal(nvml_bind(&n, table_sym, NULL, NULL), 0);
	assert_non_null(n.init);
	assert_string_equal(n.compute.name, "nvmlDeviceGetComputeRunningProcesses");
	assert_int_equal(n.compute.declared, 16);
	assert_null(n.graphics.fn);
	assert_non_null(strstr(n.missing, "nvmlDeviceGetGraphicsRunningProcesses_v3"));
}

static void test_bind_missing_required(void **state)
{
	static const char *const lib[] = { BASE, "nvmlInit_v2", "nvmlDeviceGetCount_v2",
		"nvmlDeviceGetHandleByIndex_v2", NULL };
	struct nvml n = { 0 };
	const char *missing = NULL;

	have = lib;
	assert_int_equal(nvml_bind(&n, table_sym, NULL, &missing), -ENOENT);
	assert_string_equal(missing, "nvmlDeviceGetComputeRunningProcesses_v3");
}

/* ---- records and the stride ------------------------------------------------ */

/* Write count records of stride bytes (pid, used at 0 and 8) over a
 * buffer filled with fill, tail bytes of each record written too unless
 * short_tail. */
static void write_records(unsigned char *buf, size_t len, unsigned char fill, size_t stride,
			  unsigned count, bool short_tail)
{
	memset(buf, fill, len);
	for (unsigned i = 0; i < count; i++) {
		uint32_t pid = 1000 + i;
		uint64_t used = (uint64_t)(i + 1) << 30;
		unsigned char *r = buf + (size_t)i * stride;

		memset(r, 0, short_tail ? 16 : stride);
		memcpy(r, &pid, 4);
		memcpy(r + 8, &used, 8);
	}
}

static void stride_of(size_t stride, unsigned count, bool short_tail, size_t declared,
		      int want_r, size_t want)
{
	unsigned char a[1024], b[1024];
	size_t got = 0;

	write_records(a, sizeof(a), 0xA5, stride, count, short_tail);
	write_records(b, sizeof(b), 0x5A, stride, count, short_tail);
	assert_int_equal(nvml_stride(a, b, sizeof(a), count, declared, &got), want_r);
	if (!want_r)
		assert_int_equal(got, want);
}

static void test_stride(void **state)
{
	stride_of(32, 3, false, 32, 0, 32);     /* what _v3 declares */
	stride_of(24, 3, false, 32, 0, 24);     /* the trap: a _v3 call writing v2 records */
	stride_of(32, 3, false, 24, 0, 32);     /* and the other way round */
	stride_of(16, 5, false, 16, 0, 16);
	stride_of(24, 2, false, 32, 0, 24);
	stride_of(32, 4, true, 24, 0, 32);      /* the last record's tail left alone */
	stride_of(40, 3, false, 32, -EPROTO, 0);        /* no layout of NVML's */
	stride_of(24, 1, false, 32, 0, 32);     /* one record: the stride does not matter */
}

static void test_records(void **state)
{
	unsigned char buf[256];
	struct gpu_proc p[4];

	write_records(buf, sizeof(buf), 0, 24, 3, false);
	assert_int_equal(nvml_records(buf, 24, 3, true, p), 0);
	assert_int_equal(p[2].pid, 1002);
	assert_int_equal(p[2].used, 3ull << 30);
	assert_true(p[0].graphics);
	/* read at the declared 32 when the driver wrote 24: scrambled, refused */
	assert_int_equal(nvml_records(buf, 32, 3, false, p), -EPROTO);
}

/* A process call of a fake driver: its records at `stride`, whatever the
 * caller's symbol declares. */
static size_t fake_stride = 24;
static unsigned fake_count = 3;

static int fake_procs(nvml_dev dev, unsigned *count, void *infos)
{
	if (*count < fake_count) {
		*count = fake_count;
		return NVML_ERR_INSUFFICIENT_SIZE;
	}
	for (unsigned i = 0; i < fake_count; i++) {
		unsigned char *r = (unsigned char *)infos + (size_t)i * fake_stride;
		uint32_t pid = 2000 + i;
		uint64_t used = (uint64_t)(fake_count - i) << 20;

		memset(r, 0, fake_stride);
		memcpy(r, &pid, 4);
		memcpy(r + 8, &used, 8);
	}
	*count = fake_count;
	return NVML_OK;
}

static void test_processes_probe(void **state)
{
	struct nvml n = { 0 };
	struct nvml_procs call = { .fn = fake_procs, .name = "x_v3", .declared = 32 };
	struct gpu_proc p[8];
	size_t np = 0, stride = 0;

	assert_int_equal(nvml_processes(&n, &call, NULL, false, p, 8, &np, &stride), NVML_OK);
	assert_int_equal(np, 3);
	assert_int_equal(stride, 24);
	assert_int_equal(p[1].pid, 2001);
	assert_int_equal(p[1].used, 2ull << 20);
	fake_count = 0;
	assert_int_equal(nvml_processes(&n, &call, NULL, false, p, 8, &np, &stride), NVML_OK);
	assert_int_equal(np, 0);
	fake_count = 3;
}

/* ---- decisions ------------------------------------------------------------- */

static void test_over_and_need(void **state)
{
	struct og_config cfg;
	struct gpu_dev d = { .index = 1, .name = "H200", .mem = { .total = 100ull << 30 } };
	char reason[256];
	uint64_t need = 0;

	config_default(&cfg);
	d.mem.used = 89ull << 30;
	assert_false(gpu_over(&cfg, &d, &need, reason, sizeof(reason)));
	d.mem.used = 95ull << 30;
	assert_true(gpu_over(&cfg, &d, &need, reason, sizeof(reason)));
	assert_int_equal(need, 10ull << 30);    /* down to 90 - 5 = 85% */
	assert_non_null(strstr(reason, "GPU 1 (H200) memory 95.0% >= 90%"));
	d.err = NVML_ERR_GPU_IS_LOST;
	assert_false(gpu_over(&cfg, &d, &need, reason, sizeof(reason)));
	config_free(&cfg);
}

static void test_selected(void **state)
{
	struct og_config cfg;

	config_default(&cfg);
	assert_true(gpu_selected(&cfg, 3, "GPU-x"));
	cfg.gpu_devices[0] = strdup("1");
	cfg.gpu_devices[1] = strdup("GPU-abc");
	cfg.n_gpu_devices = 2;
	assert_true(gpu_selected(&cfg, 1, "GPU-zzz"));
	assert_true(gpu_selected(&cfg, 0, "GPU-abc"));
	assert_false(gpu_selected(&cfg, 0, "GPU-zzz"));
	config_free(&cfg);
}

static void test_merge_and_used_by(void **state)
{
	struct gpu_dev d = { 0 };

	d.procs[0] = (struct gpu_seen){ .pid = 10, .used = 100, .confirmed = true, .start = 5 };
	d.procs[1] = (struct gpu_seen){ .pid = 11, .used = NVML_VALUE_NOT_AVAILABLE };
	d.procs[2] = (struct gpu_seen){ .pid = 10, .used = 300, .graphics = true };
	d.nprocs = gpu_merge(d.procs, 3);
	assert_int_equal(d.nprocs, 2);
	assert_int_equal(d.procs[0].used, 300);
	assert_int_equal(gpu_used_by(&d, 10, 5), 300);
	assert_int_equal(gpu_used_by(&d, 10, 6), 0);    /* another process with that pid */
	assert_int_equal(gpu_used_by(&d, 11, 0), 0);    /* not confirmed */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bind_newest),
		cmocka_unit_test(test_bind_old_driver),
		cmocka_unit_test(test_bind_missing_required),
		cmocka_unit_test(test_stride),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_processes_probe),
		cmocka_unit_test(test_over_and_need),
		cmocka_unit_test(test_selected),
		cmocka_unit_test(test_merge_and_used_by),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
