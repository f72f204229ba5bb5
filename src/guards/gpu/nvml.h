/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NVML, the library nvidia-smi is built on, loaded with dlopen (never
 * linked: the daemon runs where NVIDIA's driver is absent). The symbols are
 * resolved with their versioned names first and fall back to the older
 * ones, each process call with its own record layout. Only the calls
 * listed in the README are used.
 *
 * Every call into the library runs in the GPU guard's worker lane (a wedged
 * driver can block one for minutes); nothing here runs on the loop.
 *
 * The process records. NVML's nvmlProcessInfo has grown twice:
 *   v1 {pid u32; pad; usedGpuMemory u64}                        16 bytes
 *   v2 v1 + {gpuInstanceId u32; computeInstanceId u32}          24 bytes
 *   v3 v2 + {usedGpuCcProtectedMemory u64}                      32 bytes
 * and some drivers (R535) write bigger records through the _v3 calls than
 * the header their caller was built with declares, which scrambled pids in
 * other tools. So the stride is never trusted: each process call is made
 * twice into buffers filled with two different bytes, and the extent the
 * driver wrote, divided by the count, gives the stride it used
 * (nvml_stride). pid is at offset 0 and usedGpuMemory at 8 in every
 * layout. A pid is then still only a candidate: the GPU guard kills none
 * that /proc does not confirm (it exists here and has /dev/nvidia* open). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	NVML_OK = 0,
	NVML_ERR_UNINITIALIZED = 1,
	NVML_ERR_INVALID_ARGUMENT = 2,
	NVML_ERR_NOT_SUPPORTED = 3,
	NVML_ERR_NO_PERMISSION = 4,
	NVML_ERR_NOT_FOUND = 6,
	NVML_ERR_INSUFFICIENT_SIZE = 7,
	NVML_ERR_DRIVER_NOT_LOADED = 9,
	NVML_ERR_GPU_IS_LOST = 15,
	NVML_ERR_LIB_RM_VERSION_MISMATCH = 18,
	NVML_ERR_UNKNOWN = 999,
};

#define NVML_VALUE_NOT_AVAILABLE UINT64_MAX
#define NVML_CLOCK_GRAPHICS 0
#define NVML_CLOCK_MEM 2
#define NVML_SONAME "libnvidia-ml.so.1"

typedef void *nvml_dev;

struct nvml_memory {                    /* nvmlMemory_t */
	unsigned long long total, free, used;
};

typedef int (*nvml_procs_fn)(nvml_dev, unsigned *count, void *infos);

/* One process call: the symbol found and the record size its version declares. */
struct nvml_procs {
	nvml_procs_fn fn;
	const char *name;               /* the symbol, for messages */
	size_t declared;                /* 16, 24 or 32 */
};

struct nvml {
	void *lib;                      /* dlopen handle; NULL when bound by a test */
	/* required */
	int (*init)(void);
	int (*shutdown)(void);
	const char *(*error_string)(int);
	int (*get_count)(unsigned *);
	int (*get_handle)(unsigned, nvml_dev *);
	int (*memory)(nvml_dev, struct nvml_memory *);
	int (*name)(nvml_dev, char *, unsigned);
	int (*uuid)(nvml_dev, char *, unsigned);
	int (*driver_version)(char *, unsigned);
	int (*nvml_version)(char *, unsigned);
	struct nvml_procs compute, graphics;
	/* optional: the driver monitor's performance mode (NULL: that part off) */
	int (*get_persistence)(nvml_dev, int *);
	int (*set_persistence)(nvml_dev, int);
	int (*max_clock)(nvml_dev, int type, unsigned *);
	int (*app_clock)(nvml_dev, int type, unsigned *);
	int (*set_app_clocks)(nvml_dev, unsigned mem, unsigned graphics);
	int (*reset_app_clocks)(nvml_dev);
	int (*set_locked_clocks)(nvml_dev, unsigned min, unsigned max);
	int (*reset_locked_clocks)(nvml_dev);
	int (*pstate)(nvml_dev, int *);
	char missing[640];              /* optional symbols not found, ", "-separated */
};

/* Resolve every symbol through sym(h, name) (dlsym, or a test's table).
 * 0, or -ENOENT with *ret_missing the first required symbol that no
 * version of exists; optional ones absent are listed in n->missing. */
int nvml_bind(struct nvml *n, void *(*sym)(void *h, const char *name), void *h,
	      const char **ret_missing);
/* dlopen(NVML_SONAME) and bind. 0, or -ENOENT / -ENOEXEC with a message
 * ("libnvidia-ml.so.1 not found", "... lacks nvmlInit") in err. Where it
 * was found (the realpath of the loaded file) goes in path. */
int nvml_open(struct nvml *n, char *path, size_t pathsize, char *err, size_t errsize);
/* dlclose; never while a call into the library may still be running. */
void nvml_close(struct nvml *n);
/* NVML's own words for a return code (its nvmlErrorString, or a number). */
const char *nvml_strerror(const struct nvml *n, int ret, char *buf, size_t size);

/* A process on a GPU, as NVML says. */
struct gpu_proc {
	unsigned pid;
	uint64_t used;                  /* bytes; NVML_VALUE_NOT_AVAILABLE when NVML cannot say */
	bool graphics;
};

/* Pure: the stride a process call used, from two buffers of len bytes
 * filled with 0xA5 (a) and 0x5A (b) before two calls that both returned
 * count records. The written extent is the last byte that differs from
 * its fill in either buffer; the stride is 16, 24 or 32 (exactly extent /
 * count, else the one whose last record ends within it). 0 with *ret,
 * -EPROTO when no layout fits (then the sample is not used). With count
 * <= 1 the stride does not matter: declared. */
int nvml_stride(const unsigned char *a, const unsigned char *b, size_t len, unsigned count,
		size_t declared, size_t *ret);
/* Pure: the records of buf at stride into out (count of them). A pid of 0
 * is -EPROTO (scrambled). */
int nvml_records(const unsigned char *buf, size_t stride, unsigned count, bool graphics,
		 struct gpu_proc *out);
/* A process call, made twice to probe its stride (see above). Up to cap
 * processes into out, *ret_n of them; *ret_stride the stride seen.
 * NVML's return code (NVML_OK), or NVML_ERR_INSUFFICIENT_SIZE when the
 * list kept growing, or -EPROTO when the two calls disagree or the layout
 * is unknown (the sample is not used). */
int nvml_processes(const struct nvml *n, const struct nvml_procs *call, nvml_dev dev,
		   bool graphics, struct gpu_proc *out, size_t cap, size_t *ret_n,
		   size_t *ret_stride);
