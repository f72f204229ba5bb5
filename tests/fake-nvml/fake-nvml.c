/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A fake NVML (libnvidia-ml.so.1) for tests: NVIDIA's ABI for the calls the
 * GPU guard makes, driven by a text state file, every call logged. Built a
 * second time with -DFAKE_NVML_OLD, without any _v2/_v3 symbol.
 *
 * State: $FAKE_NVML_STATE (default /run/fake-nvml/state), re-read on every
 * call; a missing file is no device. One item a line, whole-line `#` comments;
 * a bad or unknown line is ignored and said once on stderr.
 *   driver 550.54.15 | nvml 12.550.54.15        (these are the defaults)
 *   device name="NVIDIA H200" uuid=GPU-x total=16G base=300M reserved=0
 *     persistence=0 max_graphics=1980 max_mem=3201 app_graphics=1500
 *     app_mem=3201 pstate=8      one a device, in index order (these defaults;
 *     name "Fake GPU N", uuid GPU-fake-000N)
 *   proc dev=0 pid=1234 mem=4G|na type=compute|graphics gi=N ci=N cc=SIZE
 *   hang all|FUNCTION        the call sleeps (100 ms steps, re-reading the
 *                            file, lock released) until the line is gone
 *   fail all|FUNCTION CODE [dev=N]  the call returns CODE (with dev=N: only
 *                            on device N)
 *   stride FUNCTION BYTES    a process call writes BYTES a record, not its own
 *                            size: a caller's buffer smaller than count*BYTES
 *                            overflows, as on a driver with the R535 mismatch
 * Sizes are bytes or K/M/G/T (binary). A proc whose pid is gone (or a zombie)
 * is in no list and no sum: used = base + its live processes' mem, free =
 * total - reserved - used (v1's used includes reserved). What a setter sets
 * (persistence, clocks) holds over the file's values for the process's life.
 * Log: $FAKE_NVML_LOG (default none), one write() a line, O_APPEND:
 *   nvmlDeviceSetApplicationsClocks dev=0 mem=3201 graphics=1980 -> 0
 * `FUNCTION ARGS hanging` when a hang starts; nvmlErrorString logs `-> "text"`.
 * dev=-1 is a pointer that is no handle of this library. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fake-nvml.h"

#define EXPORT __attribute__((visibility("default")))

/* What the setters changed on a device, over the file's values. */
struct setting {
	bool persistence_set, app_set, locked_set;
	unsigned int persistence, app_mem, app_graphics, locked_min, locked_max;
};

/* A handle is a pointer into handles[]: its index is the device's. */
struct nvmlDevice_st {
	char unused;
};

struct call {
	const char *fn;
	char args[256];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct state st;                    /* all below: under lock */
static struct setting settings[MAX_DEVS];
static struct nvmlDevice_st handles[MAX_DEVS];
static unsigned int init_count;
static unsigned int live[MAX_PROCS];

__attribute__((format(printf, 1, 2)))
static void log_line(const char *fmt, ...)
{
	const char *path = getenv("FAKE_NVML_LOG");
	char line[512];
	va_list ap;
	int n, fd;

	if (!path || !*path)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t)n) < 0) {
		/* nowhere to say it */
	}
	close(fd);
}

/* dev: the device a call is on (fail rules with dev= match only it), -1 for
 * any rule without dev=. */
static const struct rule *rule_find_dev(enum rule_kind kind, const char *fn, int dev)
{
	for (unsigned int i = 0; i < st.nrules; i++) {
		const struct rule *r = &st.rules[i];

		if (r->dev != dev)
			continue;
		if (r->kind == kind && (!strcmp(r->fn, fn) || (kind != RULE_STRIDE && !strcmp(r->fn, "all"))))
			return r;
	}
	return NULL;
}

static const struct rule *rule_find(enum rule_kind kind, const char *fn)
{
	return rule_find_dev(kind, fn, -1);
}

__attribute__((format(printf, 2, 3)))
static void call_args(struct call *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->args, sizeof(c->args), fmt, ap);
	va_end(ap);
}

/* Takes the lock (call_end releases it), reads the state, hangs, then the
 * call fails as the state or the init count says, or goes on. */
static nvmlReturn_t call_begin(struct call *c, bool need_init)
{
	const struct timespec step = { .tv_nsec = 100 * 1000 * 1000 };
	const struct rule *r;
	bool said = false;

	pthread_mutex_lock(&lock);
	for (;;) {
		state_load(&st);
		if (!rule_find(RULE_HANG, c->fn))
			break;
		if (!said)
			log_line("%s%s%s hanging", c->fn, *c->args ? " " : "", c->args);
		said = true;
		pthread_mutex_unlock(&lock);
		nanosleep(&step, NULL);
		pthread_mutex_lock(&lock);
	}
	r = rule_find(RULE_FAIL, c->fn);
	if (r)
		return (nvmlReturn_t)r->value;
	if (need_init && !init_count)
		return NVML_ERROR_UNINITIALIZED;
	return NVML_SUCCESS;
}

static nvmlReturn_t call_end(struct call *c, nvmlReturn_t r)
{
	log_line("%s%s%s -> %d", c->fn, *c->args ? " " : "", c->args, (int)r);
	pthread_mutex_unlock(&lock);
	return r;
}

static int dev_index(nvmlDevice_t h)
{
	uintptr_t p = (uintptr_t)h, b = (uintptr_t)handles;

	if (p < b || p >= b + sizeof(handles))
		return -1;
	return (int)((p - b) / sizeof(handles[0]));
}

/* call_begin for a call on a device: *ret_dev is its index. */
static nvmlReturn_t dev_begin(struct call *c, nvmlDevice_t h, unsigned int *ret_dev)
{
	nvmlReturn_t r = call_begin(c, true);
	const struct rule *r2;
	int i = dev_index(h);

	if (r != NVML_SUCCESS)
		return r;
	if (i < 0)
		return NVML_ERROR_INVALID_ARGUMENT;
	if ((unsigned int)i >= st.ndevs)
		return NVML_ERROR_GPU_IS_LOST;
	if ((r2 = rule_find_dev(RULE_FAIL, c->fn, i)))
		return (nvmlReturn_t)r2->value;
	*ret_dev = (unsigned int)i;
	return NVML_SUCCESS;
}

static nvmlReturn_t copy_out(char *dst, unsigned int len, const char *src)
{
	size_t n = strlen(src);

	if (!dst)
		return NVML_ERROR_INVALID_ARGUMENT;
	if (n >= len)
		return NVML_ERROR_INSUFFICIENT_SIZE;
	memcpy(dst, src, n + 1);
	return NVML_SUCCESS;
}

/* Alive: kill(pid, 0) finds it and /proc does not say it is a zombie. */
static bool pid_alive(unsigned long long pid)
{
	char path[48], buf[512], *p;
	ssize_t n;
	int fd;

	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return false;
	snprintf(path, sizeof(path), "/proc/%llu/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	p = strrchr(buf, ')');
	return !(p && p[1] == ' ' && p[2] == 'Z');
}

/* The live processes on dev into live[], graphics < 0: of either type. */
static unsigned int live_procs(unsigned int dev, int graphics)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < st.nprocs; i++) {
		const struct proc *p = &st.procs[i];

		if (p->dev == dev && (graphics < 0 || p->graphics == graphics) && pid_alive(p->pid))
			live[n++] = i;
	}
	return n;
}

/* Used without reserved (v2's), and free. */
static void dev_memory(unsigned int d, unsigned long long *used, unsigned long long *free_)
{
	const struct dev *v = &st.devs[d];
	unsigned int n = live_procs(d, -1);
	unsigned long long u = v->base;

	for (unsigned int i = 0; i < n; i++) {
		unsigned long long m = st.procs[live[i]].mem;

		if (m != NVML_VALUE_NOT_AVAILABLE)
			u = m > ULLONG_MAX - u ? ULLONG_MAX : u + m;
	}
	*used = u;
	*free_ = v->total > v->reserved && v->total - v->reserved > u ? v->total - v->reserved - u : 0;
}

static nvmlReturn_t init(const char *fn)
{
	struct call c = { fn, "" };
	nvmlReturn_t r = call_begin(&c, false);

	if (r == NVML_SUCCESS)
		init_count++;
	return call_end(&c, r);
}

EXPORT nvmlReturn_t nvmlInit(void)
{
	return init(__func__);
}

EXPORT nvmlReturn_t nvmlShutdown(void)
{
	struct call c = { __func__, "" };
	nvmlReturn_t r = call_begin(&c, true);

	if (r == NVML_SUCCESS)
		init_count--;
	return call_end(&c, r);
}

EXPORT const char *nvmlErrorString(nvmlReturn_t result)
{
	static const struct { int code; const char *text; } texts[] = {
		{ 0, "Success" }, { 1, "Uninitialized" }, { 2, "Invalid Argument" },
		{ 3, "Not Supported" }, { 4, "Insufficient Permissions" },
		{ 5, "Already Initialized" }, { 6, "Not Found" }, { 7, "Insufficient Size" },
		{ 9, "Driver Not Loaded" }, { 10, "Timeout" }, { 15, "GPU is lost" },
		{ 18, "RM has detected an NVML/RM version mismatch." },
		{ 25, "Argument version mismatch" },
	};
	const char *text = "Unknown Error";

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (texts[i].code == (int)result)
			text = texts[i].text;
	log_line("%s result=%d -> \"%s\"", __func__, (int)result, text);
	return text;
}

static nvmlReturn_t system_text(const char *fn, char *buf, unsigned int len, bool driver)
{
	struct call c = { fn, "" };
	nvmlReturn_t r;

	call_args(&c, "len=%u", len);
	r = call_begin(&c, true);
	if (r == NVML_SUCCESS)
		r = copy_out(buf, len, driver ? st.driver : st.nvml);
	return call_end(&c, r);
}

EXPORT nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length)
{
	return system_text(__func__, version, length, true);
}

EXPORT nvmlReturn_t nvmlSystemGetNVMLVersion(char *version, unsigned int length)
{
	return system_text(__func__, version, length, false);
}

static nvmlReturn_t get_count(const char *fn, unsigned int *count)
{
	struct call c = { fn, "" };
	nvmlReturn_t r = call_begin(&c, true);

	if (r == NVML_SUCCESS && !count)
		r = NVML_ERROR_INVALID_ARGUMENT;
	if (r == NVML_SUCCESS)
		*count = st.ndevs;
	return call_end(&c, r);
}

EXPORT nvmlReturn_t nvmlDeviceGetCount(unsigned int *deviceCount)
{
	return get_count(__func__, deviceCount);
}

static nvmlReturn_t get_handle(const char *fn, unsigned int index, nvmlDevice_t *device)
{
	struct call c = { fn, "" };
	nvmlReturn_t r;

	call_args(&c, "index=%u", index);
	r = call_begin(&c, true);
	if (r == NVML_SUCCESS && (!device || index >= st.ndevs))
		r = NVML_ERROR_INVALID_ARGUMENT;
	if (r == NVML_SUCCESS)
		*device = &handles[index];
	return call_end(&c, r);
}

EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int index, nvmlDevice_t *device)
{
	return get_handle(__func__, index, device);
}

static nvmlReturn_t dev_text(const char *fn, nvmlDevice_t dev, char *buf, unsigned int len,
			     bool name)
{
	struct call c = { fn, "" };
	unsigned int d = 0;
	nvmlReturn_t r;

	call_args(&c, "dev=%d len=%u", dev_index(dev), len);
	r = dev_begin(&c, dev, &d);
	if (r == NVML_SUCCESS)
		r = copy_out(buf, len, name ? st.devs[d].name : st.devs[d].uuid);
	return call_end(&c, r);
}

EXPORT nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length)
{
	return dev_text(__func__, device, name, length, true);
}

EXPORT nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length)
{
	return dev_text(__func__, device, uuid, length, false);
}

EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *memory)
{
	struct call c = { __func__, "" };
	unsigned long long used, free_;
	unsigned int d = 0;
	nvmlReturn_t r;

	call_args(&c, "dev=%d", dev_index(device));
	r = dev_begin(&c, device, &d);
	if (r == NVML_SUCCESS && !memory)
		r = NVML_ERROR_INVALID_ARGUMENT;
	if (r == NVML_SUCCESS) {
		dev_memory(d, &used, &free_);
		memory->total = st.devs[d].total;
		memory->free = free_;
		memory->used = used + st.devs[d].reserved;
	}
	return call_end(&c, r);
}

/* The process calls: records of size bytes, or of the state's stride. */
static nvmlReturn_t procs_call(const char *fn, nvmlDevice_t dev, bool graphics,
			       unsigned int *count, void *infos, size_t size)
{
	struct call c = { fn, "" };
	const struct rule *stride;
	unsigned int d = 0, n;
	nvmlReturn_t r;

	call_args(&c, "dev=%d count=%lld", dev_index(dev), count ? (long long)*count : -1LL);
	r = dev_begin(&c, dev, &d);
	if (r == NVML_SUCCESS && !count)
		r = NVML_ERROR_INVALID_ARGUMENT;
	if (r != NVML_SUCCESS)
		return call_end(&c, r);
	stride = rule_find(RULE_STRIDE, fn);
	if (stride)
		size = stride->value;
	n = live_procs(d, graphics);
	if (*count < n) {
		*count = n;
		return call_end(&c, NVML_ERROR_INSUFFICIENT_SIZE);
	}
	if (n && !infos)
		return call_end(&c, NVML_ERROR_INVALID_ARGUMENT);
	for (unsigned int i = 0; i < n; i++) {
		const struct proc *p = &st.procs[live[i]];
		char *out = (char *)infos + (size_t)i * size;
		nvmlProcessInfo_t rec;

		memset(&rec, 0, sizeof(rec));
		rec.pid = (unsigned int)p->pid;
		rec.usedGpuMemory = p->mem;
		rec.gpuInstanceId = (unsigned int)p->gi;
		rec.computeInstanceId = (unsigned int)p->ci;
		rec.usedGpuCcProtectedMemory = p->cc;
		memcpy(out, &rec, size < sizeof(rec) ? size : sizeof(rec));
		if (size > sizeof(rec))
			memset(out + sizeof(rec), 0, size - sizeof(rec));
	}
	*count = n;
	return call_end(&c, NVML_SUCCESS);
}

EXPORT nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(nvmlDevice_t device,
		unsigned int *infoCount, nvmlProcessInfo_v1_t *infos)
{
	return procs_call(__func__, device, false, infoCount, infos, sizeof(*infos));
}

EXPORT nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses(nvmlDevice_t device,
		unsigned int *infoCount, nvmlProcessInfo_v1_t *infos)
{
	return procs_call(__func__, device, true, infoCount, infos, sizeof(*infos));
}

#ifndef FAKE_NVML_OLD
EXPORT nvmlReturn_t nvmlInit_v2(void)
{
	return init(__func__);
}

EXPORT nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *deviceCount)
{
	return get_count(__func__, deviceCount);
}

EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device)
{
	return get_handle(__func__, index, device);
}

EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t device, nvmlMemory_v2_t *memory)
{
	struct call c = { __func__, "" };
	unsigned long long used, free_;
	unsigned int d = 0;
	nvmlReturn_t r;

	call_args(&c, "dev=%d", dev_index(device));
	r = dev_begin(&c, device, &d);
	if (r == NVML_SUCCESS && !memory)
		r = NVML_ERROR_INVALID_ARGUMENT;
	if (r == NVML_SUCCESS && memory->version != nvmlMemory_v2)
		r = NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
	if (r == NVML_SUCCESS) {
		dev_memory(d, &used, &free_);
		memory->total = st.devs[d].total;
		memory->reserved = st.devs[d].reserved;
		memory->free = free_;
		memory->used = used;
	}
	return call_end(&c, r);
}

EXPORT nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(nvmlDevice_t device,
		unsigned int *infoCount, nvmlProcessInfo_v2_t *infos)
{
	return procs_call(__func__, device, false, infoCount, infos, sizeof(*infos));
}

EXPORT nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device,
		unsigned int *infoCount, nvmlProcessInfo_t *infos)
{
	return procs_call(__func__, device, false, infoCount, infos, sizeof(*infos));
}

EXPORT nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v2(nvmlDevice_t device,
		unsigned int *infoCount, nvmlProcessInfo_v2_t *infos)
{
	return procs_call(__func__, device, true, infoCount, infos, sizeof(*infos));
}

EXPORT nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v3(nvmlDevice_t device,
		unsigned int *infoCount, nvmlProcessInfo_t *infos)
{
	return procs_call(__func__, device, true, infoCount, infos, sizeof(*infos));
}
#endif

EXPORT nvmlReturn_t nvmlDeviceGetPersistenceMode(nvmlDevice_t device, nvmlEnableState_t *mode)
{
	struct call c = { __func__, "" };
	unsigned int d = 0;
	nvmlReturn_t r;

	call_args(&c, "dev=%d", dev_index(device));
	r = dev_begin(&c, device, &d);
	if (r == NVML_SUCCESS && !mode)
		r = NVML_ERROR_INVALID_ARGUMENT;
	if (r == NVML_SUCCESS)
		*mode = (nvmlEnableState_t)(settings[d].persistence_set ? settings[d].persistence :
					    st.devs[d].persistence);
	return call_end(&c, r);
}

EXPORT nvmlReturn_t nvmlDeviceSetPersistenceMode(nvmlDevice_t device, nvmlEnableState_t mode)
{
	struct call c = { __func__, "" };
	unsigned int d = 0;
	nvmlReturn_t r;

	call_args(&c, "dev=%d mode=%d", dev_index(device), (int)mode);
	r = dev_begin(&c, device, &d);
	if (r == NVML_SUCCESS && mode != NVML_FEATURE_DISABLED && mode != NVML_FEATURE_ENABLED)
		r = NVML_ERROR_INVALID_ARGUMENT;
	if (r == NVML_SUCCESS) {
		settings[d].persistence_set = true;
		settings[d].persistence = (unsigned int)mode;
	}
	return call_end(&c, r);
}

/* A clock of device d: its maximum or its application clock. */
static nvmlReturn_t clock_of(unsigned int d, nvmlClockType_t type, bool max, unsigned int *ret)
{
	const struct setting *s = &settings[d];
	const struct dev *v = &st.devs[d];

	switch (type) {
	case NVML_CLOCK_GRAPHICS:
	case NVML_CLOCK_SM:
		*ret = (unsigned int)(max ? v->max_graphics : s->app_set ? s->app_graphics : v->app_graphics);
		return NVML_SUCCESS;
	case NVML_CLOCK_MEM:
		*ret = (unsigned int)(max ? v->max_mem : s->app_set ? s->app_mem : v->app_mem);
		return NVML_SUCCESS;
	case NVML_CLOCK_VIDEO:
		return NVML_ERROR_NOT_SUPPORTED;
	}
	return NVML_ERROR_INVALID_ARGUMENT;
}

static nvmlReturn_t get_clock(const char *fn, nvmlDevice_t dev, nvmlClockType_t type,
			      unsigned int *clock, bool max)
{
	struct call c = { fn, "" };
	unsigned int d = 0;
	nvmlReturn_t r;

	call_args(&c, "dev=%d type=%d", dev_index(dev), (int)type);
	r = dev_begin(&c, dev, &d);
	if (r == NVML_SUCCESS && !clock)
		r = NVML_ERROR_INVALID_ARGUMENT;
	if (r == NVML_SUCCESS)
		r = clock_of(d, type, max, clock);
	return call_end(&c, r);
}

EXPORT nvmlReturn_t nvmlDeviceGetMaxClockInfo(nvmlDevice_t device, nvmlClockType_t type,
					      unsigned int *clock)
{
	return get_clock(__func__, device, type, clock, true);
}

EXPORT nvmlReturn_t nvmlDeviceGetApplicationsClock(nvmlDevice_t device, nvmlClockType_t clockType,
						   unsigned int *clockMHz)
{
	return get_clock(__func__, device, clockType, clockMHz, false);
}

EXPORT nvmlReturn_t nvmlDeviceSetApplicationsClocks(nvmlDevice_t device, unsigned int memClockMHz,
						    unsigned int graphicsClockMHz)
{
	struct call c = { __func__, "" };
	unsigned int d = 0;
	nvmlReturn_t r;

	call_args(&c, "dev=%d mem=%u graphics=%u", dev_index(device), memClockMHz, graphicsClockMHz);
	r = dev_begin(&c, device, &d);
	if (r == NVML_SUCCESS && (memClockMHz > st.devs[d].max_mem ||
				  graphicsClockMHz > st.devs[d].max_graphics))
		r = NVML_ERROR_INVALID_ARGUMENT;
	if (r == NVML_SUCCESS) {
		settings[d].app_set = true;
		settings[d].app_mem = memClockMHz;
		settings[d].app_graphics = graphicsClockMHz;
	}
	return call_end(&c, r);
}

EXPORT nvmlReturn_t nvmlDeviceResetApplicationsClocks(nvmlDevice_t device)
{
	struct call c = { __func__, "" };
	unsigned int d = 0;
	nvmlReturn_t r;

	call_args(&c, "dev=%d", dev_index(device));
	r = dev_begin(&c, device, &d);
	if (r == NVML_SUCCESS)
		settings[d].app_set = false;
	return call_end(&c, r);
}

EXPORT nvmlReturn_t nvmlDeviceSetGpuLockedClocks(nvmlDevice_t device, unsigned int minGpuClockMHz,
						 unsigned int maxGpuClockMHz)
{
	struct call c = { __func__, "" };
	unsigned int d = 0;
	nvmlReturn_t r;

	call_args(&c, "dev=%d min=%u max=%u", dev_index(device), minGpuClockMHz, maxGpuClockMHz);
	r = dev_begin(&c, device, &d);
	if (r == NVML_SUCCESS) {
		settings[d].locked_set = true;
		settings[d].locked_min = minGpuClockMHz;
		settings[d].locked_max = maxGpuClockMHz;
	}
	return call_end(&c, r);
}

EXPORT nvmlReturn_t nvmlDeviceResetGpuLockedClocks(nvmlDevice_t device)
{
	struct call c = { __func__, "" };
	unsigned int d = 0;
	nvmlReturn_t r;

	call_args(&c, "dev=%d", dev_index(device));
	r = dev_begin(&c, device, &d);
	if (r == NVML_SUCCESS)
		settings[d].locked_set = false;
	return call_end(&c, r);
}

EXPORT nvmlReturn_t nvmlDeviceGetPerformanceState(nvmlDevice_t device, nvmlPstates_t *pState)
{
	struct call c = { __func__, "" };
	unsigned int d = 0;
	nvmlReturn_t r;

	call_args(&c, "dev=%d", dev_index(device));
	r = dev_begin(&c, device, &d);
	if (r == NVML_SUCCESS && !pState)
		r = NVML_ERROR_INVALID_ARGUMENT;
	if (r == NVML_SUCCESS)
		*pState = (nvmlPstates_t)st.devs[d].pstate;
	return call_end(&c, r);
}
