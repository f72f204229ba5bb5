/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kill notifications: which records become a Killed signal, and the text
 * the user agent shows. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "report/notify.h"
#include "report/record.h"

static struct decision kill_decision(void)
{
	return (struct decision){
		.guard = "memory", .event = "terminate", .trigger = "psi", .level = "terminate",
		.reason = "memory full avg10 12.00 >= 10 for 2 s", .pid = 4321, .uid = 1000,
		.comm = "chrome", .cgroup = "/user.slice/user-1000.slice/session-2.scope",
		.sig = 15, .freed_bytes = -1, .exit_ms = -1,
	};
}

static void test_kill_notice(void **state)
{
	struct decision d = kill_decision();
	struct report_tap t = { .guard = "memory", .event = "terminate", .d = &d };
	struct sd_killed k;

	(void)state;
	assert_true(kill_notice(&t, &k));
	assert_int_equal(k.pid, 4321);
	assert_int_equal(k.uid, 1000);
	assert_string_equal(k.comm, "chrome");
	assert_string_equal(k.guard, "memory");
	assert_string_equal(k.trigger, "psi");
	assert_string_equal(k.reason, "memory full avg10 12.00 >= 10 for 2 s");
	assert_string_equal(k.cgroup, "/user.slice/user-1000.slice/session-2.scope");
	d.event = "kill";       /* an immediate SIGKILL is announced too */
	assert_true(kill_notice(&t, &k));
	/* not announced: an escalation (announced at terminate), the exit, a
	 * dry run, a failed signal, records that are not decisions */
	d.event = "escalate";
	assert_false(kill_notice(&t, &k));
	d.event = "exit";
	assert_false(kill_notice(&t, &k));
	d.event = "terminate";
	d.dry_run = true;
	assert_false(kill_notice(&t, &k));
	d.dry_run = false;
	d.err = -ESRCH;
	assert_false(kill_notice(&t, &k));
	d.err = 0;
	t.d = NULL;
	t.message = "reload";
	assert_false(kill_notice(&t, &k));
	/* long and missing strings are cut and emptied, never overrun */
	d = kill_decision();
	t.d = &d;
	d.comm = NULL;
	d.cgroup = NULL;
	char long_reason[2000];
	memset(long_reason, 'x', sizeof(long_reason) - 1);
	long_reason[sizeof(long_reason) - 1] = '\0';
	d.reason = long_reason;
	assert_true(kill_notice(&t, &k));
	assert_string_equal(k.comm, "");
	assert_string_equal(k.cgroup, "");
	assert_int_equal(strlen(k.reason), sizeof(k.reason) - 1);
}

static void test_kill_notice_text(void **state)
{
	struct decision d = kill_decision();
	struct report_tap t = { .d = &d };
	char summary[160], body[700];
	struct sd_killed k;

	(void)state;
	assert_true(kill_notice(&t, &k));
	kill_notice_text(&k, summary, sizeof(summary), body, sizeof(body));
	assert_string_equal(summary, "oomguard stopped chrome (pid 4321)");
	assert_string_equal(body, "memory guard: memory full avg10 12.00 &gt;= 10 for 2 s");
	k.comm[0] = k.guard[0] = '\0';
	kill_notice_text(&k, summary, sizeof(summary), body, sizeof(body));
	assert_string_equal(summary, "oomguard stopped a process (pid 4321)");
	assert_string_equal(body, "oomguard guard: memory full avg10 12.00 &gt;= 10 for 2 s");
	/* what a process chose: escaped as in the records (valid UTF-8 for
	 * sd-bus, no controls), and no markup in the body */
	d.comm = "evil\x1b]0;x\x07<b>";
	d.reason = "cgroup /a<i>&b\xff\xfe";
	assert_true(kill_notice(&t, &k));
	assert_string_equal(k.comm, "evil\\x1b]0;x\\x07<b>");
	assert_string_equal(k.reason, "cgroup /a<i>&b\\xff\\xfe");
	kill_notice_text(&k, summary, sizeof(summary), body, sizeof(body));
	assert_string_equal(body, "memory guard: cgroup /a&lt;i&gt;&amp;b\\xff\\xfe");
	d.comm = "caf\xc3\xa9";
	assert_true(kill_notice(&t, &k));
	assert_string_equal(k.comm, "caf\xc3\xa9");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kill_notice),
		cmocka_unit_test(test_kill_notice_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
