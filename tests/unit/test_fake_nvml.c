/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fake NVML (tests/fake-nvml), dlopened by path as the GPU guard will
 * dlopen libnvidia-ml.so.1, driven by a state file in a temp dir: devices,
 * memory, the process records' layouts and count protocol, dead pids, stride
 * and fail rules, setters and their log lines, a hang, and the old variant's
 * missing symbols. */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#define G (1ULL << 30)
#define M (1ULL << 20)
#define NA 0xFFFFFFFFFFFFFFFFULL

typedef int (*f_void)(void);
typedef int (*f_uintp)(unsigned int *);
typedef int (*f_handle)(unsigned int, void **);
typedef int (*f_text)(void *, char *, unsigned int);
typedef int (*f_sys)(char *, unsigned int);
typedef int (*f_ptr)(void *, void *);
typedef int (*f_procs)(void *, unsigned int *, void *);
typedef int (*f_dev)(void *);
typedef int (*f_dev_u)(void *, unsigned int);
typedef int (*f_dev_uu)(void *, unsigned int, unsigned int);
typedef int (*f_clock)(void *, int, unsigned int *);
typedef const char *(*f_err)(int);

struct mem_v2 {
	unsigned int version;
	unsigned long long total, reserved, free, used;
};

static char dir[] = "/tmp/test-fake-nvml-XXXXXX";
static char state_path[64], log_path[64];
static void *lib;

/* A symbol of lib, which must be there: F(f_void, nvmlInit)() calls it. */
static void *sym(const char *name)
{
	void *p = dlsym(lib, name);

	if (!p)
		fail_msg("%s: no symbol %s", getenv("FAKE_NVML_LIB"), name);
	return p;
}
#define F(type, name) ((type)sym(#name))

__attribute__((format(printf, 1, 2)))
static void state(const char *fmt, ...)
{
	char tmp[80];
	va_list ap;
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", state_path);
	assert_non_null(f = fopen(tmp, "w"));
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rename(tmp, state_path), 0);
}

static void *dev(unsigned int i)
{
	void *h = NULL;

	assert_int_equal(F(f_handle, nvmlDeviceGetHandleByIndex_v2)(i, &h), 0);
	return h;
}

static unsigned int u32_at(const unsigned char *b, size_t off)
{
	unsigned int v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

static unsigned long long u64_at(const unsigned char *b, size_t off)
{
	unsigned long long v;

	memcpy(&v, b + off, sizeof(v));
	return v;
}

/* Calls fn with room for 8 records of a 0xAA buffer, wants n back. */
static void procs(const char *fn, unsigned int n, unsigned char *buf, size_t len)
{
	unsigned int count = 8;

	memset(buf, 0xAA, len);
	assert_int_equal(((f_procs)sym(fn))(dev(0), &count, buf), 0);
	assert_int_equal(count, n);
}

static void test_devices(void **unused)
{
	unsigned int n = 9;
	char text[96];
	void *h;

	state("driver 535.129.03\n# a comment\n\ndevice name=\"NVIDIA H200\" uuid=GPU-0c2b total=16G\n"
	      "device\nno such line\n");
	assert_int_equal(F(f_uintp, nvmlDeviceGetCount_v2)(&n), 1);
	assert_int_equal(F(f_void, nvmlInit_v2)(), 0);
	assert_int_equal(F(f_void, nvmlInit)(), 0);
	assert_int_equal(F(f_void, nvmlShutdown)(), 0);
	assert_int_equal(F(f_uintp, nvmlDeviceGetCount_v2)(&n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(F(f_text, nvmlDeviceGetName)(dev(0), text, sizeof(text)), 0);
	assert_string_equal(text, "NVIDIA H200");
	assert_int_equal(F(f_text, nvmlDeviceGetName)(dev(0), text, 11), 7);
	assert_int_equal(F(f_text, nvmlDeviceGetName)(dev(1), text, sizeof(text)), 0);
	assert_string_equal(text, "Fake GPU 1");
	assert_int_equal(F(f_text, nvmlDeviceGetUUID)(dev(1), text, sizeof(text)), 0);
	assert_string_equal(text, "GPU-fake-0001");
	assert_int_equal(F(f_handle, nvmlDeviceGetHandleByIndex)(2, &h), 2);
	assert_int_equal(F(f_sys, nvmlSystemGetDriverVersion)(text, sizeof(text)), 0);
	assert_string_equal(text, "535.129.03");
	assert_int_equal(F(f_sys, nvmlSystemGetNVMLVersion)(text, sizeof(text)), 0);
	assert_string_equal(text, "12.550.54.15");
	assert_null(dlsym(lib, "load_state"));
	assert_int_equal(F(f_void, nvmlShutdown)(), 0);
	assert_int_equal(F(f_void, nvmlShutdown)(), 1);
}

static void test_memory(void **unused)
{
	struct mem_v2 m2 = { .version = sizeof(m2) | 2 << 24 };
	unsigned long long m1[3];

	state("device total=16G base=300M reserved=1M\nproc pid=%d mem=4G\n"
	      "proc pid=%d mem=na type=graphics\n", getpid(), getpid());
	assert_int_equal(F(f_void, nvmlInit_v2)(), 0);
	assert_int_equal(F(f_ptr, nvmlDeviceGetMemoryInfo)(dev(0), m1), 0);
	assert_true(m1[0] == 16 * G && m1[2] == 301 * M + 4 * G && m1[1] == 12 * G - 301 * M);
	assert_int_equal(F(f_ptr, nvmlDeviceGetMemoryInfo_v2)(dev(0), &m2), 0);
	assert_true(m2.total == 16 * G && m2.reserved == M && m2.used == 300 * M + 4 * G);
	assert_true(m2.free == 12 * G - 301 * M);
	m2.version = sizeof(m2);
	assert_int_equal(F(f_ptr, nvmlDeviceGetMemoryInfo_v2)(dev(0), &m2), 25);
	assert_int_equal(F(f_void, nvmlShutdown)(), 0);
}

static void test_records(void **unused)
{
	unsigned char buf[8 * 32];
	unsigned int count = 0;

	state("device\nproc pid=%d mem=1G gi=1 ci=2 cc=3K\nproc pid=%d mem=na\n"
	      "proc pid=%d mem=2G type=graphics\n", getpid(), getpid(), getpid());
	assert_int_equal(F(f_void, nvmlInit_v2)(), 0);
	assert_int_equal(F(f_procs, nvmlDeviceGetComputeRunningProcesses_v3)(dev(0), &count, NULL), 7);
	assert_int_equal(count, 2);
	count = 1;
	assert_int_equal(F(f_procs, nvmlDeviceGetComputeRunningProcesses)(dev(0), &count, buf), 7);
	assert_int_equal(count, 2);
	for (size_t size = 16; size <= 32; size += 8) {
		const char *fn = size == 16 ? "nvmlDeviceGetComputeRunningProcesses" :
				 size == 24 ? "nvmlDeviceGetComputeRunningProcesses_v2" :
					      "nvmlDeviceGetComputeRunningProcesses_v3";

		procs(fn, 2, buf, sizeof(buf));
		assert_int_equal(u32_at(buf, 0), getpid());
		assert_true(u64_at(buf, 8) == G && u64_at(buf, size + 8) == NA);
		assert_int_equal(u32_at(buf, size), getpid());
		if (size >= 24)
			assert_true(u32_at(buf, 16) == 1 && u32_at(buf, 20) == 2 &&
				    u32_at(buf, size + 16) == 0xFFFFFFFF);
		if (size == 32)
			assert_true(u64_at(buf, 24) == 3072);
		assert_int_equal(buf[2 * size], 0xAA);
	}
	procs("nvmlDeviceGetGraphicsRunningProcesses_v3", 1, buf, sizeof(buf));
	assert_true(u64_at(buf, 8) == 2 * G);
	assert_int_equal(F(f_void, nvmlShutdown)(), 0);
}

/* A dead pid and a zombie's are in no list and no sum. */
static void test_dead_pid(void **unused)
{
	unsigned long long m[3];
	unsigned char buf[8 * 32];
	pid_t dead = fork(), zombie;
	siginfo_t info;

	if (dead == 0)
		_exit(0);
	assert_int_equal(waitpid(dead, NULL, 0), dead);
	zombie = fork();
	if (zombie == 0)
		_exit(0);
	assert_int_equal(waitid(P_PID, (id_t)zombie, &info, WEXITED | WNOWAIT), 0);
	state("device total=16G\nproc pid=%d mem=4G\nproc pid=%d mem=2G\nproc pid=%d mem=1G\n",
	      dead, zombie, getpid());
	assert_int_equal(F(f_void, nvmlInit_v2)(), 0);
	procs("nvmlDeviceGetComputeRunningProcesses_v3", 1, buf, sizeof(buf));
	assert_int_equal(u32_at(buf, 0), getpid());
	assert_int_equal(F(f_ptr, nvmlDeviceGetMemoryInfo)(dev(0), m), 0);
	assert_true(m[2] == G && m[1] == 15 * G);
	assert_int_equal(waitpid(zombie, NULL, 0), zombie);
	assert_int_equal(F(f_void, nvmlShutdown)(), 0);
}

static void test_stride(void **unused)
{
	unsigned char buf[8 * 32];

	state("device\nproc pid=%d mem=1G cc=5K\nproc pid=%d mem=2G\n"
	      "stride nvmlDeviceGetComputeRunningProcesses_v3 24\n"
	      "stride nvmlDeviceGetComputeRunningProcesses_v2 32\n", getpid(), getpid());
	assert_int_equal(F(f_void, nvmlInit_v2)(), 0);
	procs("nvmlDeviceGetComputeRunningProcesses_v3", 2, buf, sizeof(buf));
	assert_true(u64_at(buf, 8) == G && u64_at(buf, 24 + 8) == 2 * G);
	assert_true(buf[48] == 0xAA && buf[63] == 0xAA);
	procs("nvmlDeviceGetComputeRunningProcesses_v2", 2, buf, sizeof(buf));
	assert_true(u64_at(buf, 24) == 5120 && u64_at(buf, 32 + 8) == 2 * G && buf[64] == 0xAA);
	procs("nvmlDeviceGetComputeRunningProcesses", 2, buf, sizeof(buf));
	assert_true(u64_at(buf, 16 + 8) == 2 * G);
	assert_int_equal(F(f_void, nvmlShutdown)(), 0);
}

static void test_fail(void **unused)
{
	unsigned int n;

	state("device\nfail nvmlInit_v2 18\nfail nvmlDeviceSetApplicationsClocks 3\n");
	assert_int_equal(F(f_void, nvmlInit_v2)(), 18);
	assert_non_null(strstr(F(f_err, nvmlErrorString)(18), "mismatch"));
	assert_int_equal(F(f_void, nvmlInit)(), 0);
	assert_int_equal(F(f_dev_uu, nvmlDeviceSetApplicationsClocks)(dev(0), 3201, 1980), 3);
	state("device\nfail all 999\n");
	assert_int_equal(F(f_uintp, nvmlDeviceGetCount)(&n), 999);
	state("device\n");
	assert_int_equal(F(f_void, nvmlShutdown)(), 0);
}

static void test_setters_log(void **unused)
{
	static const char *const lines[] = {
		"nvmlInit_v2 -> 0\n",
		"nvmlDeviceSetPersistenceMode dev=0 mode=1 -> 0\n",
		"nvmlDeviceSetApplicationsClocks dev=0 mem=3201 graphics=1980 -> 0\n",
		"nvmlDeviceSetApplicationsClocks dev=0 mem=3201 graphics=5000 -> 2\n",
		"nvmlDeviceSetGpuLockedClocks dev=0 min=1000 max=1980 -> 0\n",
		"nvmlDeviceResetGpuLockedClocks dev=0 -> 0\n",
		"nvmlDeviceGetComputeRunningProcesses_v3 dev=0 count=0 -> 0\n",
	};
	char log[4096] = "";
	unsigned int v = 0, count = 0;
	int fd;

	state("device persistence=0 app_graphics=1500 pstate=2\n");
	unlink(log_path);
	assert_int_equal(F(f_void, nvmlInit_v2)(), 0);
	assert_int_equal(F(f_ptr, nvmlDeviceGetPersistenceMode)(dev(0), &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(F(f_dev_u, nvmlDeviceSetPersistenceMode)(dev(0), 1), 0);
	assert_int_equal(F(f_ptr, nvmlDeviceGetPersistenceMode)(dev(0), &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(F(f_dev_uu, nvmlDeviceSetApplicationsClocks)(dev(0), 3201, 1980), 0);
	assert_int_equal(F(f_dev_uu, nvmlDeviceSetApplicationsClocks)(dev(0), 3201, 5000), 2);
	assert_int_equal(F(f_clock, nvmlDeviceGetApplicationsClock)(dev(0), 0, &v), 0);
	assert_int_equal(v, 1980);
	assert_int_equal(F(f_dev, nvmlDeviceResetApplicationsClocks)(dev(0)), 0);
	assert_int_equal(F(f_clock, nvmlDeviceGetApplicationsClock)(dev(0), 0, &v), 0);
	assert_int_equal(v, 1500);
	assert_int_equal(F(f_clock, nvmlDeviceGetMaxClockInfo)(dev(0), 2, &v), 0);
	assert_int_equal(v, 3201);
	assert_int_equal(F(f_dev_uu, nvmlDeviceSetGpuLockedClocks)(dev(0), 1000, 1980), 0);
	assert_int_equal(F(f_dev, nvmlDeviceResetGpuLockedClocks)(dev(0)), 0);
	assert_int_equal(F(f_ptr, nvmlDeviceGetPerformanceState)(dev(0), &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(F(f_procs, nvmlDeviceGetComputeRunningProcesses_v3)(dev(0), &count, NULL), 0);
	assert_int_equal(F(f_dev_u, nvmlDeviceSetPersistenceMode)(dev(0), 0), 0);
	assert_int_equal(F(f_void, nvmlShutdown)(), 0);
	assert_true((fd = open(log_path, O_RDONLY)) >= 0);
	assert_true(read(fd, log, sizeof(log) - 1) > 0);
	close(fd);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (!strstr(log, lines[i]))
			fail_msg("no line %s in the log:\n%s", lines[i], log);
}

static _Atomic int hung_result = -1;

static void *hung_call(void *arg)
{
	hung_result = F(f_uintp, nvmlDeviceGetCount_v2)(arg);
	return NULL;
}

/* A hung call blocks until its line goes; meanwhile another call works. */
static void test_hang(void **unused)
{
	unsigned int n = 0;
	pthread_t t;
	char name[64];

	state("device\nhang nvmlDeviceGetCount_v2\n");
	assert_int_equal(F(f_void, nvmlInit_v2)(), 0);
	assert_int_equal(pthread_create(&t, NULL, hung_call, &n), 0);
	usleep(300 * 1000);
	assert_int_equal(hung_result, -1);
	assert_int_equal(F(f_text, nvmlDeviceGetName)(dev(0), name, sizeof(name)), 0);
	state("device\n");
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(hung_result == 0 && n == 1);
	assert_int_equal(F(f_void, nvmlShutdown)(), 0);
}

static void test_old(void **unused)
{
	static const char *const gone[] = {
		"nvmlInit_v2", "nvmlDeviceGetCount_v2", "nvmlDeviceGetHandleByIndex_v2",
		"nvmlDeviceGetMemoryInfo_v2", "nvmlDeviceGetComputeRunningProcesses_v2",
		"nvmlDeviceGetComputeRunningProcesses_v3", "nvmlDeviceGetGraphicsRunningProcesses_v3",
	};
	void *main_lib = lib, *h = NULL;
	unsigned char buf[8 * 16];
	unsigned int n = 8;

	assert_non_null(lib = dlopen(getenv("FAKE_NVML_OLD_LIB"), RTLD_NOW | RTLD_LOCAL));
	assert_true(lib != main_lib);
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
		assert_null(dlsym(lib, gone[i]));
	state("device\nproc pid=%d mem=1G\n", getpid());
	assert_int_equal(F(f_void, nvmlInit)(), 0);
	assert_int_equal(F(f_handle, nvmlDeviceGetHandleByIndex)(0, &h), 0);
	assert_int_equal(F(f_procs, nvmlDeviceGetComputeRunningProcesses)(h, &n, buf), 0);
	assert_true(n == 1 && u64_at(buf, 8) == G);
	assert_int_equal(F(f_void, nvmlShutdown)(), 0);
	dlclose(lib);
	lib = main_lib;
}

static int setup(void **unused)
{
	if (!mkdtemp(dir) || !getenv("FAKE_NVML_LIB") || !getenv("FAKE_NVML_OLD_LIB"))
		return -1;
	snprintf(state_path, sizeof(state_path), "%s/state", dir);
	snprintf(log_path, sizeof(log_path), "%s/log", dir);
	setenv("FAKE_NVML_STATE", state_path, 1);
	setenv("FAKE_NVML_LOG", log_path, 1);
	lib = dlopen(getenv("FAKE_NVML_LIB"), RTLD_NOW | RTLD_LOCAL);
	return lib ? 0 : -1;
}

static int teardown(void **unused)
{
	char tmp[80];

	snprintf(tmp, sizeof(tmp), "%s.tmp", state_path);
	unlink(tmp);
	unlink(state_path);
	unlink(log_path);
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_devices),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_dead_pid),
		cmocka_unit_test(test_stride),
		cmocka_unit_test(test_fail),
		cmocka_unit_test(test_setters_log),
		cmocka_unit_test(test_hang),
		cmocka_unit_test(test_old),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
