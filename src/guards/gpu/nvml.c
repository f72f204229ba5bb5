/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "guards/gpu/nvml.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#define STRIDE_MAX 64u          /* bytes per record the buffers leave room for */

/* The first of names[] the library has. */
static void *first_of(void *(*sym)(void *, const char *), void *h, const char *const *names,
		      const char **ret_name)
{
	for (; *names; names++) {
		void *f = sym(h, *names);

		if (f) {
			if (ret_name)
				*ret_name = *names;
			return f;
		}
	}
	return NULL;
}

#define NAMES(...) ((const char *const[]){ __VA_ARGS__, NULL })

struct symbol {
	size_t off;                     /* of the function pointer in struct nvml */
	const char *const *names;       /* newest first */
	bool required;
};

#define SYM(field, req, ...) { offsetof(struct nvml, field), NAMES(__VA_ARGS__), req }
static const struct symbol symbols[] = {
	SYM(init, true, "nvmlInit_v2", "nvmlInit"),
	SYM(shutdown, true, "nvmlShutdown"),
	SYM(error_string, true, "nvmlErrorString"),
	SYM(get_count, true, "nvmlDeviceGetCount_v2", "nvmlDeviceGetCount"),
	SYM(get_handle, true, "nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex"),
	SYM(memory, true, "nvmlDeviceGetMemoryInfo"),
	SYM(name, true, "nvmlDeviceGetName"),
	SYM(uuid, true, "nvmlDeviceGetUUID"),
	SYM(driver_version, true, "nvmlSystemGetDriverVersion"),
	SYM(nvml_version, true, "nvmlSystemGetNVMLVersion"),
	SYM(get_persistence, false, "nvmlDeviceGetPersistenceMode"),
	SYM(set_persistence, false, "nvmlDeviceSetPersistenceMode"),
	SYM(max_clock, false, "nvmlDeviceGetMaxClockInfo"),
	SYM(app_clock, false, "nvmlDeviceGetApplicationsClock"),
	SYM(set_app_clocks, false, "nvmlDeviceSetApplicationsClocks"),
	SYM(reset_app_clocks, false, "nvmlDeviceResetApplicationsClocks"),
	SYM(set_locked_clocks, false, "nvmlDeviceSetGpuLockedClocks"),
	SYM(reset_locked_clocks, false, "nvmlDeviceResetGpuLockedClocks"),
	SYM(pstate, false, "nvmlDeviceGetPerformanceState"),
};

/* The process calls, newest first, with the record each version declares. */
static const struct { const char *name; size_t size; } compute_calls[] = {
	{ "nvmlDeviceGetComputeRunningProcesses_v3", 32 },
	{ "nvmlDeviceGetComputeRunningProcesses_v2", 24 },
	{ "nvmlDeviceGetComputeRunningProcesses", 16 },
}, graphics_calls[] = {
	{ "nvmlDeviceGetGraphicsRunningProcesses_v3", 32 },
	{ "nvmlDeviceGetGraphicsRunningProcesses_v2", 24 },
	{ "nvmlDeviceGetGraphicsRunningProcesses", 16 },
};

static bool bind_procs(struct nvml_procs *p, void *(*sym)(void *, const char *), void *h,
		       bool graphics)
{
	for (size_t i = 0; i < ARRAY_SIZE(compute_calls); i++) {
		const char *name = graphics ? graphics_calls[i].name : compute_calls[i].name;
		void *f = sym(h, name);

		if (f) {
			*(void **)&p->fn = f;
			p->name = name;
			p->declared = compute_calls[i].size;
			return true;
		}
	}
	return false;
}

static void add_missing(struct nvml *n, const char *name)
{
	size_t len = strlen(n->missing);

	snprintf(n->missing + len, sizeof(n->missing) - len, "%s%s", len ? ", " : "", name);
}

int nvml_bind(struct nvml *n, void *(*sym)(void *h, const char *name), void *h,
	      const char **ret_missing)
{
	void *lib = n->lib;

	memset(n, 0, sizeof(*n));
	n->lib = lib;
	for (size_t i = 0; i < ARRAY_SIZE(symbols); i++) {
		void *f = first_of(sym, h, symbols[i].names, NULL);

		if (!f && symbols[i].required) {
			if (ret_missing)
				*ret_missing = symbols[i].names[0];
			return -ENOENT;
		}
		if (!f)
			add_missing(n, symbols[i].names[0]);
		memcpy((char *)n + symbols[i].off, &f, sizeof(f));
	}
	if (!bind_procs(&n->compute, sym, h, false)) {
		if (ret_missing)
			*ret_missing = compute_calls[0].name;
		return -ENOENT;
	}
	if (!bind_procs(&n->graphics, sym, h, true))
		add_missing(n, graphics_calls[0].name);
	return 0;
}

static void *dl_sym(void *h, const char *name) { return dlsym(h, name); }

int nvml_open(struct nvml *n, char *path, size_t pathsize, char *err, size_t errsize)
{
	const char *missing = NULL;
	char where[PATH_MAX];
	void *lib;

	memset(n, 0, sizeof(*n));
	if (!(lib = dlopen(NVML_SONAME, RTLD_NOW | RTLD_LOCAL))) {
		const char *e = dlerror();

		/* "not found" when the loader found no such file; its own words otherwise */
		if (!e || strstr(e, "No such file"))
			snprintf(err, errsize, "%s not found", NVML_SONAME);
		else
			snprintf(err, errsize, "%s", e);
		return -ENOENT;
	}
	n->lib = lib;
	if (nvml_bind(n, dl_sym, lib, &missing) < 0) {
		snprintf(err, errsize, "%s lacks %s (a driver older than NVML supports?)",
			 NVML_SONAME, missing);
		nvml_close(n);
		return -ENOEXEC;
	}
	if (path) {
		Dl_info info;

		*path = '\0';
		if (dladdr(*(void **)&n->init, &info) && info.dli_fname)
			snprintf(path, pathsize, "%s",
				 realpath(info.dli_fname, where) ? where : info.dli_fname);
	}
	return 0;
}

void nvml_close(struct nvml *n)
{
	if (n->lib)
		dlclose(n->lib);
	memset(n, 0, sizeof(*n));
}

const char *nvml_strerror(const struct nvml *n, int ret, char *buf, size_t size)
{
	const char *s = n->error_string ? n->error_string(ret) : NULL;

	if (ret < 0)
		snprintf(buf, size, "%s", strerror(-ret));
	else if (s)
		snprintf(buf, size, "%s (NVML %d)", s, ret);
	else
		snprintf(buf, size, "NVML error %d", ret);
	return buf;
}

int nvml_stride(const unsigned char *a, const unsigned char *b, size_t len, unsigned count,
		size_t declared, size_t *ret)
{
	static const size_t layouts[] = { 16, 24, 32 };
	size_t extent = 0;

	if (count <= 1) {
		*ret = declared;
		return 0;
	}
	for (size_t i = len; i-- > 0;)
		if (a[i] != 0xA5 || b[i] != 0x5A) {
			extent = i + 1;
			break;
		}
	for (size_t i = 0; i < ARRAY_SIZE(layouts); i++)
		if (extent == layouts[i] * count) {
			*ret = layouts[i];
			return 0;
		}
	/* A last record whose tail was not written (padding, a field the
	 * driver leaves alone): the layout whose last record starts below the
	 * extent and ends at or after it. */
	for (size_t i = 0; i < ARRAY_SIZE(layouts); i++)
		if (extent > layouts[i] * (count - 1) + 12 && extent <= layouts[i] * count) {
			*ret = layouts[i];
			return 0;
		}
	return -EPROTO;
}

int nvml_records(const unsigned char *buf, size_t stride, unsigned count, bool graphics,
		 struct gpu_proc *out)
{
	for (unsigned i = 0; i < count; i++) {
		uint32_t pid;
		uint64_t used;

		memcpy(&pid, buf + (size_t)i * stride, sizeof(pid));
		memcpy(&used, buf + (size_t)i * stride + 8, sizeof(used));
		if (pid == 0 || pid > (uint32_t)INT32_MAX)
			return -EPROTO;
		out[i].pid = pid;
		out[i].used = used;
		out[i].graphics = graphics;
	}
	return 0;
}

int nvml_processes(const struct nvml *n, const struct nvml_procs *call, nvml_dev dev,
		   bool graphics, struct gpu_proc *out, size_t cap, size_t *ret_n,
		   size_t *ret_stride)
{
	unsigned want = 0, ca, cb;
	unsigned char *a, *b;
	size_t len, stride = call->declared;
	int r;

	*ret_n = 0;
	r = call->fn(dev, &want, NULL);
	if (r == NVML_OK && want == 0) {
		*ret_stride = stride;
		return NVML_OK;
	}
	if (r != NVML_OK && r != NVML_ERR_INSUFFICIENT_SIZE)
		return r;
	want += 8;                      /* room for a few that start meanwhile */
	len = (size_t)want * STRIDE_MAX;
	a = malloc(len);
	b = malloc(len);
	if (!a || !b) {
		free(a);
		free(b);
		return -ENOMEM;
	}
	memset(a, 0xA5, len);
	memset(b, 0x5A, len);
	ca = cb = want;
	r = call->fn(dev, &ca, a);
	if (r == NVML_OK)
		r = call->fn(dev, &cb, b);
	if (r == NVML_OK && ca != cb)
		r = -EPROTO;            /* a process came or went between the two */
	if (r == NVML_OK)
		r = nvml_stride(a, b, len, ca, call->declared, &stride);
	/* both calls saw the same processes: their pids must agree too (the
	 * memory each uses may have moved in between) */
	for (unsigned i = 0; r == NVML_OK && i < ca; i++)
		if (memcmp(a + (size_t)i * stride, b + (size_t)i * stride, sizeof(uint32_t)))
			r = -EPROTO;
	if (r == NVML_OK && ca > cap)
		ca = (unsigned)cap;
	if (r == NVML_OK && (r = nvml_records(a, stride, ca, graphics, out)) == 0) {
		*ret_n = ca;
		*ret_stride = stride;
	}
	free(a);
	free(b);
	return r;
}
