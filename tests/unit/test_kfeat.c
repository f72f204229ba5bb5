/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kernel features: the pure decision over probe results (whole lines), the
 * test hook's parser, and the probe itself over fixture trees and the
 * running kernel. */
#include <errno.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/describe.h"
#include "core/kfeat.h"
#include "core/util.h"
#include "fixture.h"

/* What a 6.x kernel with everything answers to the probe. */
static struct kfeat_probe all_there(const char *release)
{
	struct kfeat_probe p = { .err = {
		[KF_PIDFD_SEND_SIGNAL] = -EBADF, [KF_PIDFD_OPEN] = 0, [KF_CGROUP_KILL] = 0,
		[KF_PROCESS_MRELEASE] = -EBADF, [KF_PSI] = 0, [KF_PSI_TRIGGER] = 0, [KF_CGROUP2] = 0,
	} };

	snprintf(p.release, sizeof(p.release), "%s", release);
	return p;
}

static void test_everything_there(void **state)
{
	struct kfeat_probe p = all_there("6.1.0-18-amd64");
	struct kfeat k;
	char line[2048];

	(void)state;
	kfeat_decide(&p, &k);
	assert_int_equal(k.missing, 0);
	assert_true(k.can_kill);
	for (int i = 0; i < KF_COUNT; i++)
		assert_int_equal(k.state[i], KF_PRESENT);
	assert_false(kfeat_summary(&k, line, sizeof(line)));
	assert_string_equal(line, "kernel 6.1.0-18-amd64: every feature oomguard uses is there "
			    "(pidfd_open, pidfd_send_signal, cgroup.kill, process_mrelease, PSI and "
			    "its triggers, cgroup v2)");
}

/* Debian 11's 5.10: no cgroup.kill (a cgroup dir without the file), and
 * process_mrelease answers ENOSYS. */
static void test_kernel_5_10(void **state)
{
	struct kfeat_probe p = all_there("5.10.0-28-amd64");
	struct kfeat k;
	char line[2048];

	(void)state;
	p.err[KF_CGROUP_KILL] = -ENOENT;
	p.err[KF_PROCESS_MRELEASE] = -ENOSYS;
	kfeat_decide(&p, &k);
	assert_int_equal(k.missing, KF_BIT(KF_CGROUP_KILL) | KF_BIT(KF_PROCESS_MRELEASE));
	assert_true(k.can_kill);
	assert_int_equal(k.state[KF_CGROUP_KILL], KF_ABSENT);
	assert_int_equal(k.state[KF_PROCESS_MRELEASE], KF_ABSENT);
	assert_false(kfeat_has(&k, KF_CGROUP_KILL));
	assert_true(kfeat_has(&k, KF_PIDFD_OPEN));
	assert_true(kfeat_summary(&k, line, sizeof(line)));
	assert_string_equal(line, "kernel 5.10.0-28-amd64: degraded: cgroup.kill missing (kernel < "
			    "5.14): whole-cgroup kills fall back to signalling each member through its "
			    "pidfd (a process forked in between can escape); process_mrelease missing "
			    "(kernel < 5.15): a SIGKILLed victim's memory comes back only as fast as "
			    "its own exit runs");
}

/* Below 5.3 (no pidfd_open) or 5.1 (no pidfd_send_signal): no kills. */
static void test_no_pidfds(void **state)
{
	struct kfeat_probe p = all_there("5.2.21");
	struct kfeat k;
	char line[2048];

	(void)state;
	p.err[KF_PIDFD_OPEN] = -ENOSYS;
	p.err[KF_CGROUP_KILL] = -ENOENT;
	p.err[KF_PROCESS_MRELEASE] = -ENOSYS;
	kfeat_decide(&p, &k);
	assert_false(k.can_kill);
	assert_true(kfeat_summary(&k, line, sizeof(line)));
	assert_non_null(strstr(line, "degraded: pidfd_open missing (kernel < 5.3): oomguard will "
			       "not kill: every signal goes through a pidfd (no PID-reuse race); "));

	p = all_there("4.19.0");
	p.err[KF_PIDFD_SEND_SIGNAL] = -ENOSYS;
	kfeat_decide(&p, &k);
	assert_false(k.can_kill);
	assert_int_equal(k.state[KF_PIDFD_SEND_SIGNAL], KF_ABSENT);

	/* A pidfd_open that failed for another reason (out of fds) is not
	 * proof of absence: kills are still tried. */
	p = all_there("6.1.0");
	p.err[KF_PIDFD_OPEN] = -EMFILE;
	kfeat_decide(&p, &k);
	assert_int_equal(k.state[KF_PIDFD_OPEN], KF_UNKNOWN);
	assert_true(k.can_kill);
	assert_int_equal(k.missing, 0);
}

/* A seccomp filter (systemd's SystemCallFilter= answers EPERM) refuses
 * what the kernel has. */
static void test_refused(void **state)
{
	struct kfeat_probe p = all_there("6.1.0");
	struct kfeat k;
	char one[512];

	(void)state;
	p.err[KF_PROCESS_MRELEASE] = -EPERM;
	p.err[KF_PSI_TRIGGER] = -EPERM;
	kfeat_decide(&p, &k);
	assert_int_equal(k.state[KF_PROCESS_MRELEASE], KF_REFUSED);
	assert_int_equal(k.state[KF_PSI_TRIGGER], KF_REFUSED);
	assert_int_equal(k.missing, KF_BIT(KF_PROCESS_MRELEASE) | KF_BIT(KF_PSI_TRIGGER));
	kfeat_explain(&k, KF_PROCESS_MRELEASE, one, sizeof(one));
	assert_string_equal(one, "process_mrelease refused (Operation not permitted: a seccomp filter "
			    "or a missing capability): a SIGKILLed victim's memory comes back only as "
			    "fast as its own exit runs");
	kfeat_explain(&k, KF_PSI_TRIGGER, one, sizeof(one));
	assert_string_equal(one, "psi_trigger refused (Operation not permitted: a window under 2 s "
			    "needs CAP_SYS_RESOURCE): PSI is polled on the adaptive timer instead of "
			    "waking oomguard when pressure builds");
	/* EINVAL is the kernel's answer to an unprivileged short window too. */
	p.err[KF_PSI_TRIGGER] = -EINVAL;
	kfeat_decide(&p, &k);
	assert_int_equal(k.state[KF_PSI_TRIGGER], KF_REFUSED);
}

/* No PSI (psi=0, CONFIG_PSI off): no trigger either; no cgroup2 mount: the
 * cgroup.kill probe had nothing to look in, which is no verdict. */
static void test_psi_and_cgroup2(void **state)
{
	struct kfeat_probe p = all_there("5.4.0");
	struct kfeat k;

	(void)state;
	p.err[KF_PSI] = -ENOENT;
	p.err[KF_PSI_TRIGGER] = -EMFILE;
	p.err[KF_CGROUP2] = -ENOENT;
	p.err[KF_CGROUP_KILL] = -ENODEV;
	kfeat_decide(&p, &k);
	assert_int_equal(k.state[KF_PSI], KF_ABSENT);
	assert_int_equal(k.state[KF_PSI_TRIGGER], KF_ABSENT);
	assert_int_equal(k.state[KF_CGROUP2], KF_ABSENT);
	assert_int_equal(k.state[KF_CGROUP_KILL], KF_UNKNOWN);
	assert_int_equal(k.missing, KF_BIT(KF_PSI) | KF_BIT(KF_PSI_TRIGGER) | KF_BIT(KF_CGROUP2));
	assert_true(k.can_kill);
}

/* The test hook: hidden wins over present, and says so. */
static void test_hidden(void **state)
{
	struct kfeat_probe p = all_there("6.1.0");
	struct kfeat k;
	char line[2048], bad[32];
	unsigned hide;

	(void)state;
	assert_int_equal(kfeat_parse_hide("cgroup.kill,process_mrelease,psi_trigger", &hide, bad,
					  sizeof(bad)), 0);
	assert_int_equal(hide, KF_BIT(KF_CGROUP_KILL) | KF_BIT(KF_PROCESS_MRELEASE) |
			 KF_BIT(KF_PSI_TRIGGER));
	p.hide = hide;
	kfeat_decide(&p, &k);
	assert_int_equal(k.missing, hide);
	assert_true(kfeat_summary(&k, line, sizeof(line)));
	assert_string_equal(line, "kernel 6.1.0: degraded: cgroup.kill hidden (OOMGUARD_TEST_HIDE): "
			    "whole-cgroup kills fall back to signalling each member through its pidfd "
			    "(a process forked in between can escape); process_mrelease hidden "
			    "(OOMGUARD_TEST_HIDE): a SIGKILLed victim's memory comes back only as fast "
			    "as its own exit runs; psi_trigger hidden (OOMGUARD_TEST_HIDE): PSI is "
			    "polled on the adaptive timer instead of waking oomguard when pressure "
			    "builds");

	/* JSON keys and underscores; unknown names are reported, the rest count. */
	assert_int_equal(kfeat_parse_hide("cgroup_kill pidfd_open", &hide, bad, sizeof(bad)), 0);
	assert_int_equal(hide, KF_BIT(KF_CGROUP_KILL) | KF_BIT(KF_PIDFD_OPEN));
	assert_int_equal(kfeat_parse_hide("bogus,psi,,cgroup", &hide, bad, sizeof(bad)), -EINVAL);
	assert_string_equal(bad, "bogus");
	assert_int_equal(hide, KF_BIT(KF_PSI));
	assert_int_equal(kfeat_parse_hide(NULL, &hide, bad, sizeof(bad)), 0);
	assert_int_equal(hide, 0);
	assert_int_equal(kfeat_parse_hide(" , ", &hide, bad, sizeof(bad)), 0);
	assert_int_equal(hide, 0);
}

/* Found missing at run time (an ENOSYS the probe could not foresee). */
static void test_lost(void **state)
{
	struct kfeat k = { 0 };

	(void)state;
	assert_true(kfeat_has(&k, KF_PROCESS_MRELEASE));        /* zeroes: everything */
	kfeat_lost(&k, KF_PROCESS_MRELEASE, -ENOSYS);
	assert_false(kfeat_has(&k, KF_PROCESS_MRELEASE));
	assert_int_equal(k.state[KF_PROCESS_MRELEASE], KF_ABSENT);
	kfeat_lost(&k, KF_CGROUP_KILL, -ENOENT);
	assert_int_equal(k.state[KF_CGROUP_KILL], KF_ABSENT);
}

/* explain --json: "kernel": {...}. */
static void test_describe_json(void **state)
{
	struct kfeat_probe p = all_there("5.10.0");
	struct json_object *root = json_object_new_object(), *kern, *v;
	struct describe d = { .json = root };
	struct kfeat k;

	(void)state;
	p.err[KF_CGROUP_KILL] = -ENOENT;
	p.hide = KF_BIT(KF_PROCESS_MRELEASE);
	kfeat_decide(&p, &k);
	kfeat_describe(&k, &d);
	assert_true(json_object_object_get_ex(root, "kernel", &kern));
	assert_true(json_object_object_get_ex(kern, "release", &v));
	assert_string_equal(json_object_get_string(v), "5.10.0");
	assert_true(json_object_object_get_ex(kern, "can_kill", &v));
	assert_true(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(kern, "cgroup_kill", &v));
	assert_string_equal(json_object_get_string(v), "missing");
	assert_true(json_object_object_get_ex(kern, "process_mrelease", &v));
	assert_string_equal(json_object_get_string(v), "hidden");
	assert_true(json_object_object_get_ex(kern, "pidfd_open", &v));
	assert_string_equal(json_object_get_string(v), "present");
	assert_true(json_object_object_get_ex(kern, "degraded", &v));
	assert_int_equal(json_object_array_length(v), 2);
	assert_non_null(strstr(json_object_get_string(json_object_array_get_idx(v, 0)),
			       "cgroup.kill missing (kernel < 5.14)"));
	json_object_put(root);
}

/* The probe over fixture trees: PSI and cgroup files are looked up below
 * the given directory fds, never at fixed paths. */
static void test_probe_fixture(void **state)
{
	struct fixture *f = fixture_new();
	struct kfeat_probe p;
	int proc_fd, cg_fd;

	(void)state;
	fixture_file(f, "proc/self/cgroup", "0::/\n");
	fixture_file(f, "cg/cgroup.controllers", "memory pids\n");
	fixture_dir(f, "cg/a.slice");
	proc_fd = fixture_open_dir(f, "proc");
	cg_fd = fixture_open_dir(f, "cg");

	/* No pressure/memory; a child cgroup without cgroup.kill (< 5.14). */
	kfeat_probe(proc_fd, cg_fd, 0, &p);
	assert_int_equal(p.err[KF_PSI], -ENOENT);
	assert_int_equal(p.err[KF_PSI_TRIGGER], -ENOENT);
	assert_int_equal(p.err[KF_CGROUP_KILL], -ENOENT);
	assert_int_equal(p.err[KF_CGROUP2], 0);

	/* Our own cgroup is looked at first. */
	fixture_file(f, "proc/self/cgroup", "0::/b.slice/me.scope\n");
	fixture_file(f, "cg/b.slice/me.scope/cgroup.kill", "");
	kfeat_probe(proc_fd, cg_fd, 0, &p);
	assert_int_equal(p.err[KF_CGROUP_KILL], 0);
	fixture_file(f, "proc/pressure/memory",
		     "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
		     "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
	kfeat_probe(proc_fd, cg_fd, KF_BIT(KF_PSI), &p);
	assert_int_equal(p.err[KF_PSI], 0);
	assert_int_equal(p.hide, KF_BIT(KF_PSI));
	close(cg_fd);

	/* No cgroup2 at all. */
	kfeat_probe(proc_fd, -1, 0, &p);
	assert_int_equal(p.err[KF_CGROUP2], -ENOENT);
	assert_int_equal(p.err[KF_CGROUP_KILL], -ENODEV);
	close(proc_fd);
	fixture_free(f);
}

/* The running kernel: the syscalls answer as their presence says. */
static void test_probe_real(void **state)
{
	struct kfeat_probe p;
	struct utsname u;
	struct kfeat k;
	int major = 0, minor = 0;

	(void)state;
	kfeat_probe(-1, -1, 0, &p);
	kfeat_decide(&p, &k);
	assert_int_equal(uname(&u), 0);
	assert_string_equal(k.release, u.release);
	assert_int_equal(sscanf(u.release, "%d.%d", &major, &minor), 2);
	if (major > 5 || (major == 5 && minor >= 3)) {
		assert_int_equal(p.err[KF_PIDFD_OPEN], 0);
		assert_int_equal(p.err[KF_PIDFD_SEND_SIGNAL], -EBADF);
		assert_true(k.can_kill);
	}
	if (major > 5 || (major == 5 && minor >= 15))
		assert_true(p.err[KF_PROCESS_MRELEASE] == -EBADF ||
			    p.err[KF_PROCESS_MRELEASE] == -EPERM);      /* a seccomp filter */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_everything_there),
		cmocka_unit_test(test_kernel_5_10),
		cmocka_unit_test(test_no_pidfds),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_psi_and_cgroup2),
		cmocka_unit_test(test_hidden),
		cmocka_unit_test(test_lost),
		cmocka_unit_test(test_describe_json),
		cmocka_unit_test(test_probe_fixture),
		cmocka_unit_test(test_probe_real),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
