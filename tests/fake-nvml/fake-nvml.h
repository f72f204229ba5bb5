/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The fake NVML's pieces: NVIDIA's types (as nvml.h has them) and the state
 * file as read. See fake-nvml.c for what the file says. */
#pragma once

#include <stdbool.h>

typedef enum nvmlReturn_enum {
	NVML_SUCCESS = 0,
	NVML_ERROR_UNINITIALIZED = 1,
	NVML_ERROR_INVALID_ARGUMENT = 2,
	NVML_ERROR_NOT_SUPPORTED = 3,
	NVML_ERROR_NO_PERMISSION = 4,
	NVML_ERROR_ALREADY_INITIALIZED = 5,
	NVML_ERROR_NOT_FOUND = 6,
	NVML_ERROR_INSUFFICIENT_SIZE = 7,
	NVML_ERROR_DRIVER_NOT_LOADED = 9,
	NVML_ERROR_TIMEOUT = 10,
	NVML_ERROR_GPU_IS_LOST = 15,
	NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18,
	NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25,
	NVML_ERROR_UNKNOWN = 999,
} nvmlReturn_t;

typedef enum nvmlEnableState_enum {
	NVML_FEATURE_DISABLED = 0,
	NVML_FEATURE_ENABLED = 1,
} nvmlEnableState_t;

typedef enum nvmlClockType_enum {
	NVML_CLOCK_GRAPHICS = 0,
	NVML_CLOCK_SM = 1,
	NVML_CLOCK_MEM = 2,
	NVML_CLOCK_VIDEO = 3,
} nvmlClockType_t;

typedef enum nvmlPStates_enum {
	NVML_PSTATE_0 = 0,
	NVML_PSTATE_15 = 15,
	NVML_PSTATE_UNKNOWN = 32,
} nvmlPstates_t;

typedef struct nvmlDevice_st *nvmlDevice_t;

typedef struct nvmlMemory_st {
	unsigned long long total, free, used;
} nvmlMemory_t;

typedef struct nvmlMemory_v2_st {
	unsigned int version;
	unsigned long long total, reserved, free, used;
} nvmlMemory_v2_t;

#define nvmlMemory_v2 ((unsigned int)(sizeof(nvmlMemory_v2_t) | (2 << 24)))
#define NVML_VALUE_NOT_AVAILABLE 0xFFFFFFFFFFFFFFFFULL

typedef struct nvmlProcessInfo_v1_st {
	unsigned int pid;
	unsigned long long usedGpuMemory;
} nvmlProcessInfo_v1_t;

typedef struct nvmlProcessInfo_v2_st {
	unsigned int pid;
	unsigned long long usedGpuMemory;
	unsigned int gpuInstanceId, computeInstanceId;
} nvmlProcessInfo_v2_t;

typedef struct nvmlProcessInfo_st {
	unsigned int pid;
	unsigned long long usedGpuMemory;
	unsigned int gpuInstanceId, computeInstanceId;
	unsigned long long usedGpuCcProtectedMemory;
} nvmlProcessInfo_t;

_Static_assert(sizeof(nvmlProcessInfo_v1_t) == 16, "v1 record");
_Static_assert(sizeof(nvmlProcessInfo_v2_t) == 24, "v2 record");
_Static_assert(sizeof(nvmlProcessInfo_t) == 32, "v3 record");

#define MAX_DEVS 16
#define MAX_PROCS 256
#define MAX_RULES 64
#define TEXT_LEN 96
#define MAX_STRIDE 4096

/* Every number of a device or a process is an unsigned long long, so one
 * table of fields parses them all. */
struct dev {
	char name[TEXT_LEN], uuid[TEXT_LEN];
	unsigned long long total, base, reserved, persistence;
	unsigned long long max_graphics, max_mem, app_graphics, app_mem, pstate;
};

struct proc {
	unsigned long long dev, pid, mem, gi, ci, cc;
	bool graphics;
};

enum rule_kind { RULE_HANG, RULE_FAIL, RULE_STRIDE };

struct rule {
	enum rule_kind kind;
	char fn[64];
	unsigned int value;
	int dev;                        /* fail ... dev=N: only on device N; -1 any call */
};

struct state {
	char driver[TEXT_LEN], nvml[TEXT_LEN];
	struct dev devs[MAX_DEVS];
	struct proc procs[MAX_PROCS];
	struct rule rules[MAX_RULES];
	unsigned int ndevs, nprocs, nrules;
};

/* Reads $FAKE_NVML_STATE into *s (defaults where the file is missing); a bad
 * line is said once on stderr. Not thread-safe: the caller holds its lock. */
void state_load(struct state *s);
