// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/util.h"
#include "observe/proc.h"
#include "tests/fixture.h"

#define KB(x) ((uint64_t)(x) * 1024)

static const char stat_cat[] =
	"1785 (cat) R 1783 1783 598 0 -1 4194304 101 0 0 0 7 3 0 0 20 0 1 0 271633 "
	"3133440 416 18446744073709551615 94133269266432 94133269286313 140723000492016 "
	"0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94133269302320 94133269303936 94133896224768 "
	"140723000494535 140723000494555 140723000494555 140723000496107 0\n";
static const char stat_kthreadd[] =
	"2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 19 0 0 "
	"18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

static void test_stat_real(void **state)
{
	struct proc_stat st;

	assert_int_equal(parse_proc_stat(stat_cat, &st), 0);
	assert_int_equal(st.pid, 1785);
	assert_string_equal(st.comm, "cat");
	assert_int_equal(st.state, 'R');
	assert_int_equal(st.ppid, 1783);
	assert_int_equal(st.flags, 4194304);
	assert_false(st.flags & PF_KTHREAD_FLAG);
	assert_int_equal(st.utime, 7);
	assert_int_equal(st.stime, 3);
	assert_int_equal(st.num_threads, 1);
	assert_int_equal(st.starttime, 271633);
	assert_int_equal(st.rss_pages, 416);

	assert_int_equal(parse_proc_stat(stat_kthreadd, &st), 0);
	assert_int_equal(st.pid, 2);
	assert_int_equal(st.ppid, 0);
	assert_true(st.flags & PF_KTHREAD_FLAG);
	assert_int_equal(st.rss_pages, 0);
}

static void test_stat_hostile_comm(void **state)
{
	struct proc_stat st;

	/* comm ") S 1 (x" tries to fake the following fields */
	assert_int_equal(parse_proc_stat("42 (a) S 1 (x) R 7 1 1 0 -1 0 0 0 0 0 1 2 0 0 20 0 3 0 99 0 5",
					 &st), 0);
	assert_int_equal(st.pid, 42);
	assert_string_equal(st.comm, "a) S 1 (x");
	assert_int_equal(st.state, 'R');
	assert_int_equal(st.ppid, 7);
	assert_int_equal(st.num_threads, 3);
	assert_int_equal(st.starttime, 99);
	assert_int_equal(st.rss_pages, 5);

	assert_int_equal(parse_proc_stat("43 (new\nline ) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n",
					 &st), 0);
	assert_string_equal(st.comm, "new\nline ");
	assert_int_equal(parse_proc_stat("44 () S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0", &st), 0);
	assert_string_equal(st.comm, "");

	/* a 100-char comm is cut to 63 */
	char buf[512], comm[101];

	memset(comm, 'x', 100);
	comm[100] = '\0';
	snprintf(buf, sizeof(buf), "45 (%s) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0", comm);
	assert_int_equal(parse_proc_stat(buf, &st), 0);
	assert_int_equal(strlen(st.comm), 63);
}

static void test_stat_malformed(void **state)
{
	static const char *bad[] = {
		"",
		"\n",
		"1785",
		"1785 (cat",
		"1785 cat) R 1",
		"(cat) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0",
		"x (cat) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0",
		"1785 (cat) R 1783 1783 598 0 -1 4194304 101 0 0 0 7 3 0 0 20 0 1 0",  /* truncated */
		"1785 (cat) R 1783 1783 598 0 -1 4194304 101 0 0 0 7 3 0 0 20 0 1 0 271633 3133440",
		"1785 (cat) RR 1783 1783 598 0 -1 4194304 101 0 0 0 7 3 0 0 20 0 1 0 271633 3133440 416",
		"1785 (cat) R  1783 1783 598 0 -1 4194304 101 0 0 0 7 3 0 0 20 0 1 0 271633 3133440 416",
		"1785 (cat) R 1783 1783 598 0 -1 4194304 101 0 0 0 7 3 0 0 20 0 1 0 271633 3133440 4x6",
		"1785)(cat R 1783 1783 598 0 -1 4194304 101 0 0 0 7 3 0 0 20 0 1 0 271633 3133440 416",
	};
	struct proc_stat st = { .pid = 99 };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (parse_proc_stat(bad[i], &st) != -EINVAL)
			fail_msg("accepted or wrong error: \"%s\"", bad[i]);
	assert_int_equal(st.pid, 99);
	assert_int_equal(parse_proc_stat(NULL, &st), -EINVAL);

	/* out of range or overflow is -ERANGE, not a wrap */
	static const char *range[] = {
		"0 (cat) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0",
		"-5 (cat) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0",
		"1785 (cat) R -3 1783 598 0 -1 4194304 101 0 0 0 7 3 0 0 20 0 1 0 271633 3133440 416",
		"1785 (cat) R 1783 1783 598 0 -1 4194304 101 0 0 0 7 3 0 0 20 0 -1 0 271633 3133440 416",
	};
	for (size_t i = 0; i < ARRAY_SIZE(range); i++)
		if (parse_proc_stat(range[i], &st) != -ERANGE)
			fail_msg("accepted or wrong error: \"%s\"", range[i]);
	assert_int_equal(parse_proc_stat("1785 (cat) R 1783 1783 598 0 -1 4194304 101 0 0 0 "
					 "99999999999999999999 3 0 0 20 0 1 0 271633 3133440 416", &st),
			 -ERANGE);
	assert_int_equal(parse_proc_stat("1785 (cat) R 1783 1783 598 0 -1 4294967296 101 0 0 0 "
					 "7 3 0 0 20 0 1 0 271633 3133440 416", &st), -ERANGE);
	assert_int_equal(parse_proc_stat("99999999999 (cat) R 1783 1783 598 0 -1 0 101 0 0 0 "
					 "7 3 0 0 20 0 1 0 271633 3133440 416", &st), -ERANGE);
	assert_int_equal(parse_proc_stat("1785 (cat) R 1783 1783 598 0 -1 0 101 0 0 0 "
					 "7 3 0 0 20 0 1 0 271633 3133440 "
					 "123456789012345678901234567890123456789", &st), -ERANGE);
	assert_int_equal(st.pid, 99);
}

static const char status_cat[] =
	"Name:\tcat\nUmask:\t0022\nState:\tR (running)\nTgid:\t1786\nPid:\t1786\nPPid:\t1783\n"
	"TracerPid:\t0\nUid:\t1000\t1001\t1002\t1003\nGid:\t0\t0\t0\t0\nFDSize:\t256\nGroups:\t \n"
	"VmPeak:\t    3060 kB\nVmSize:\t    3060 kB\nVmHWM:\t    1752 kB\nVmRSS:\t    1752 kB\n"
	"RssAnon:\t     112 kB\nRssFile:\t    1640 kB\nRssShmem:\t       4 kB\n"
	"VmData:\t     360 kB\nVmSwap:\t      16 kB\nHugetlbPages:\t       0 kB\nThreads:\t1\n";

static void test_status(void **state)
{
	struct proc_status s;

	assert_int_equal(parse_proc_status(status_cat, &s), 0);
	assert_int_equal(s.uid, 1000);
	assert_true(s.vm_rss == KB(1752));
	assert_true(s.rss_anon == KB(112));
	assert_true(s.rss_file == KB(1640));
	assert_true(s.rss_shmem == KB(4));
	assert_true(s.vm_swap == KB(16));
	assert_true(s.has_rss_split);

	/* kernel thread: no memory lines */
	assert_int_equal(parse_proc_status("Name:\tkworker/0:1\nUid:\t0\t0\t0\t0\nKthread:\t1\nThreads:\t1", &s), 0);
	assert_int_equal(s.uid, 0);
	assert_true(s.vm_rss == 0 && s.rss_anon == 0 && s.vm_swap == 0);
	assert_false(s.has_rss_split);

	/* old kernel: VmRSS without the split */
	assert_int_equal(parse_proc_status("Uid:\t5\t5\t5\t5\nVmRSS:\t 10 kB\nVmSwap:\t0 kB", &s), 0);
	assert_true(s.vm_rss == KB(10));
	assert_false(s.has_rss_split);
}

static void test_status_malformed(void **state)
{
	struct proc_status s = { .uid = 77 };

	assert_int_equal(parse_proc_status("", &s), -EINVAL);
	assert_int_equal(parse_proc_status("Name:\tx\nVmRSS:\t1 kB\n", &s), -EINVAL);  /* no Uid */
	assert_int_equal(parse_proc_status("XUid:\t0\t0\t0\t0\n", &s), -EINVAL);
	assert_int_equal(parse_proc_status("Uid:\t\n", &s), -EINVAL);
	assert_int_equal(parse_proc_status("Uid:\t-1\t0\t0\t0\n", &s), -ERANGE);
	assert_int_equal(parse_proc_status("Uid:\t4294967295\t0\t0\t0\n", &s), -ERANGE);
	assert_int_equal(parse_proc_status("Uid:\t0\nVmRSS:\t99999999999999999999 kB\n", &s), -ERANGE);
	assert_int_equal(parse_proc_status("Uid:\t0\nVmRSS:\t18446744073709551615 kB\n", &s), -ERANGE);
	assert_int_equal(parse_proc_status("Uid:\t0\nVmRSS:\t12\n", &s), -EINVAL);
	assert_int_equal(parse_proc_status("Uid:\t0\nVmRSS:\t kB\n", &s), -EINVAL);
	assert_int_equal(parse_proc_status("Uid:\t0\nVmRSS:\t12 MB\n", &s), -EINVAL);
	assert_int_equal(s.uid, 77);
	assert_int_equal(parse_proc_status(NULL, &s), -EINVAL);
}

static void test_cgroup(void **state)
{
	char path[64];

	assert_int_equal(parse_proc_cgroup("0::/user.slice/user-1000.slice/session-2.scope\n",
					   path, sizeof(path)), 0);
	assert_string_equal(path, "/user.slice/user-1000.slice/session-2.scope");
	/* hybrid, like this machine: the v2 line wins */
	assert_int_equal(parse_proc_cgroup("9:name=systemd:/\n4:memory:/process_api/5c2b\n"
					   "1:cpu:/\n0::/\n", path, sizeof(path)), 0);
	assert_string_equal(path, "/");
	/* pure v1: the memory controller's path, also in a joined list */
	assert_int_equal(parse_proc_cgroup("4:memory:/process_api/5c2b\n1:cpu:/\n", path, sizeof(path)), 0);
	assert_string_equal(path, "/process_api/5c2b");
	assert_int_equal(parse_proc_cgroup("3:cpu,memory,io:/a b", path, sizeof(path)), 0);
	assert_string_equal(path, "/a b");
	/* "memoryx" or "name=memory" are not the memory controller */
	strcpy(path, "keep");
	assert_int_equal(parse_proc_cgroup("4:memoryx:/a\n5:name=memory:/b\n1:cpu:/\n", path, sizeof(path)),
			 -ENOENT);
	assert_int_equal(parse_proc_cgroup("", path, sizeof(path)), -ENOENT);
	assert_int_equal(parse_proc_cgroup("garbage\n::\n", path, sizeof(path)), -ENOENT);
	assert_string_equal(path, "keep");
	assert_int_equal(parse_proc_cgroup("0::\n", path, sizeof(path)), -EINVAL);
	assert_int_equal(parse_proc_cgroup("0::/0123456789\n", path, 8), -ENAMETOOLONG);
	assert_int_equal(parse_proc_cgroup("0::/0123456\n", path, 8), -ENAMETOOLONG);
	assert_int_equal(parse_proc_cgroup("0::/012345\n", path, 8), 0);
	assert_string_equal(path, "/012345");
}

static void test_cmdline(void **state)
{
	char out[16];

	assert_int_equal(parse_cmdline("ls\0-l\0/tmp\0", 11, out, sizeof(out)), 10);
	assert_string_equal(out, "ls -l /tmp");
	assert_int_equal(parse_cmdline("a\0\0\0", 4, out, sizeof(out)), 1);
	assert_string_equal(out, "a");
	assert_int_equal(parse_cmdline("no-nul", 6, out, sizeof(out)), 6);
	assert_string_equal(out, "no-nul");
	assert_int_equal(parse_cmdline("", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(parse_cmdline("abcdefghijklmnopqrstuvwxyz", 26, out, sizeof(out)), 15);
	assert_string_equal(out, "abcdefghijklmno");
	assert_int_equal(parse_cmdline("abc", 3, out, 1), 0);
	assert_string_equal(out, "");
	assert_int_equal(parse_cmdline("abc", 3, out, 0), 0);
	assert_int_equal(parse_cmdline("\0\0x\0", 4, out, sizeof(out)), 3);
	assert_string_equal(out, "  x");
}

/* A fake /proc under "proc/" of the fixture. */
static const struct fixture_proc procs[] = {
	{ .pid = 1, .ppid = 0, .comm = "systemd", .cmdline = "/sbin/init splash",
	  .exe = "/usr/lib/systemd/systemd", .cgroup = "/init.scope", .uid = 0,
	  .rss_anon_kb = 4000, .rss_file_kb = 8000, .rss_shmem_kb = 0, .swap_kb = 0,
	  .oom_score = 0, .oom_score_adj = 0, .starttime = 10, .utime = 50, .stime = 20 },
	{ .pid = 2, .ppid = 0, .comm = "kthreadd", .kthread = 1, .starttime = 11 },
	{ .pid = 1234, .ppid = 1, .comm = "evil) S 1 (x", .cmdline = "/usr/bin/firefox --new-tab",
	  .exe = "/usr/lib/firefox/firefox", .cgroup = "/user.slice/app.scope", .uid = 1000,
	  .rss_anon_kb = 1048576, .rss_file_kb = 204800, .rss_shmem_kb = 1024, .swap_kb = 512,
	  .oom_score = 700, .oom_score_adj = 300, .starttime = 5000, .utime = 100, .stime = 30 },
	{ .pid = 4321, .ppid = 1234, .comm = "sh", .cmdline = "sh -c true", .exe = "/bin/dash",
	  .cgroup = "/user.slice/app.scope", .uid = 1000, .rss_anon_kb = 100, .rss_file_kb = 900,
	  .oom_score = 1, .oom_score_adj = -1000, .starttime = 6000 },
	{ .pid = 77, .ppid = 2, .comm = "kworker/0:1-events", .kthread = 1, .starttime = 12 },
};

static struct fixture *make_proc(void)
{
	struct fixture *f = fixture_new();

	for (size_t i = 0; i < ARRAY_SIZE(procs); i++)
		fixture_proc(f, "proc", &procs[i]);
	/* noise: non-numeric entries, a numeric file, a half-vanished and an empty PID dir */
	fixture_build(f, (const struct fixture_entry[]) {
		{ "proc/self", "->1234" },
		{ "proc/sys/kernel/pid_max", "4194304\n" },
		{ "proc/meminfo", "MemTotal: 1 kB\n" },
		{ "proc/123abc", NULL },
		{ "proc/0", NULL },
		{ "proc/00042", NULL },
		{ "proc/555", "not a dir" },
		{ "proc/600/stat", "600 (gone) Z 1 600 600 0 -1 4194564 0 0 0 0 0 0 0 0 20 0 1 0 7000 0 0\n" },
		{ "proc/601", NULL },
		{ "proc/602/stat", "garbage\n" },
		{ "proc/602/status", "Uid:\t0\t0\t0\t0\n" },
		FIXTURE_END,
	});
	return f;
}

static const struct proc_info *find(const struct proc_list *l, int pid)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].pid == pid)
			return &l->v[i];
	return NULL;
}

static void test_fixture_stat_format(void **state)
{
	struct fixture *f = make_proc();
	struct proc_stat st;
	struct proc_status ss;
	char buf[4096];

	assert_true(read_file_at(f->dirfd, "proc/1234/stat", buf, sizeof(buf)) > 0);
	assert_int_equal(parse_proc_stat(buf, &st), 0);
	assert_string_equal(st.comm, "evil) S 1 (x");
	assert_int_equal(st.ppid, 1);
	assert_int_equal(st.utime, 100);
	assert_int_equal(st.stime, 30);
	assert_int_equal(st.starttime, 5000);
	assert_int_equal(st.rss_pages, (1048576 + 204800 + 1024) / 4);
	assert_true(read_file_at(f->dirfd, "proc/1234/status", buf, sizeof(buf)) > 0);
	assert_int_equal(parse_proc_status(buf, &ss), 0);
	assert_true(ss.rss_anon == KB(1048576));
	fixture_free(f);
}

static void test_scan(void **state)
{
	static const int want[] = { 1, 2, 77, 1234, 4321 };
	struct fixture *f = make_proc();
	struct proc_list l = { 0 };
	const struct proc_info *p;
	struct proc_info *v;
	int pfd = fixture_open_dir(f, "proc");

	assert_int_equal(proc_scan(pfd, &l), (int)ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		if (!find(&l, want[i]))
			fail_msg("pid %d missing", want[i]);

	p = find(&l, 1234);
	assert_int_equal(p->ppid, 1);
	assert_int_equal(p->uid, 1000);
	assert_string_equal(p->comm, "evil) S 1 (x");
	assert_int_equal(p->starttime, 5000);
	assert_int_equal(p->cpu_ticks, 130);
	assert_true(p->rss == KB(1048576 + 204800 + 1024));
	assert_true(p->anon == KB(1048576));
	assert_true(p->file == KB(204800));
	assert_true(p->shmem == KB(1024));
	assert_true(p->swap == KB(512));
	assert_int_equal(p->oom_score, 700);
	assert_int_equal(p->oom_score_adj, 300);
	assert_false(p->kthread);
	assert_null(p->cmdline);
	assert_null(p->exe);
	assert_null(p->cgroup);

	assert_int_equal(find(&l, 4321)->oom_score_adj, -1000);
	assert_true(find(&l, 2)->kthread);
	assert_true(find(&l, 77)->kthread);
	assert_false(find(&l, 1)->kthread);
	assert_true(find(&l, 77)->rss == 0);

	/* a second scan reuses the storage */
	v = l.v;
	assert_int_equal(proc_scan(pfd, &l), (int)ARRAY_SIZE(want));
	assert_ptr_equal(l.v, v);

	close(pfd);
	fixture_free(f);
	proc_list_free(&l);
	assert_null(l.v);
	proc_list_free(&l);     /* twice is fine */
	proc_list_free(NULL);
}

struct seen {
	int pid[16];
	size_t n;
	size_t stop_after;      /* 0 = never */
};

static int note_pid(int pid, void *userdata)
{
	struct seen *s = userdata;

	if (s->n < ARRAY_SIZE(s->pid))
		s->pid[s->n] = pid;
	s->n++;
	return s->stop_after && s->n == s->stop_after ? 7 : 0;
}

static bool seen_has(const struct seen *s, int pid)
{
	for (size_t i = 0; i < s->n && i < ARRAY_SIZE(s->pid); i++)
		if (s->pid[i] == pid)
			return true;
	return false;
}

/* Only process directories: digits, no leading 0, within int. */
static void test_for_each_pid(void **state)
{
	static const struct fixture_entry tree[] = {
		{ "proc/1", NULL }, { "proc/42", NULL }, { "proc/2147483647", NULL },
		{ "proc/0", NULL }, { "proc/007", NULL }, { "proc/2147483648", NULL },
		{ "proc/12a", NULL }, { "proc/sys", NULL }, { "proc/-3", NULL },
		{ "proc/99", "a file\n" }, { "proc/self", "->42" },
		FIXTURE_END,
	};
	struct fixture *f = fixture_new();
	struct seen s = { 0 };
	int pfd;

	fixture_build(f, tree);
	pfd = fixture_open_dir(f, "proc");
	assert_int_equal(proc_for_each_pid(pfd, note_pid, &s), 0);
	assert_int_equal(s.n, 3);
	assert_true(seen_has(&s, 1) && seen_has(&s, 42) && seen_has(&s, 2147483647));
	/* a non-zero return stops the walk and is returned */
	s = (struct seen){ .stop_after = 2 };
	assert_int_equal(proc_for_each_pid(pfd, note_pid, &s), 7);
	assert_int_equal(s.n, 2);
	close(pfd);
	assert_int_equal(proc_for_each_pid(-1, note_pid, &s), -EBADF);
	fixture_free(f);
}

static void test_same(void **state)
{
	const struct fixture_proc p = { .pid = 50, .ppid = 1, .comm = "old", .starttime = 500 };
	const struct fixture_proc q = { .pid = 50, .ppid = 1, .comm = "new", .starttime = 900 };
	struct fixture *f = fixture_new();
	struct proc_stat st = { .pid = 7 };
	char buf[64];
	int pfd, fd;

	fixture_proc(f, "proc", &p);
	pfd = fixture_open_dir(f, "proc");
	assert_int_equal(proc_same(pfd, 50, 500, &st), 0);
	assert_int_equal(st.pid, 50);
	assert_string_equal(st.comm, "old");
	assert_int_equal(proc_same(pfd, 50, 500, NULL), 0);
	st.pid = 7;
	assert_int_equal(proc_same(pfd, 50, 501, &st), -ESRCH);
	assert_int_equal(proc_open_same(pfd, 50, 501, &st), -ESRCH);
	assert_int_equal(st.pid, 7);            /* untouched on error */
	assert_int_equal(proc_same(pfd, 51, 500, NULL), -ESRCH);
	assert_int_equal(proc_open_same(pfd, 51, 500, NULL), -ESRCH);
	assert_int_equal(proc_same(pfd, 0, 0, NULL), -EINVAL);
	assert_int_equal(proc_open_same(pfd, -3, 0, NULL), -EINVAL);

	/* the fd is that process's directory, not whoever gets the pid next */
	fd = proc_open_same(pfd, 50, 500, &st);
	assert_true(fd >= 0);
	assert_int_equal(st.starttime, 500);
	assert_true(read_file_at(fd, "comm", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "old\n");
	assert_int_equal(renameat(f->dirfd, "proc/50", f->dirfd, "gone"), 0);
	fixture_proc(f, "proc", &q);
	assert_int_equal(proc_same(pfd, 50, 500, NULL), -ESRCH);
	assert_int_equal(proc_same(pfd, 50, 900, NULL), 0);
	assert_true(read_file_at(fd, "comm", buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "old\n");
	close(fd);

	fixture_file(f, "proc/50/stat", "garbage\n");
	assert_int_equal(proc_same(pfd, 50, 900, NULL), -EINVAL);
	assert_int_equal(proc_open_same(pfd, 50, 900, NULL), -EINVAL);
	close(pfd);
	fixture_free(f);
}

/* The real kernel: a child is itself until it is reaped, then gone. */
static void test_same_real(void **state)
{
	struct proc_stat st;
	int pfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;
	pid_t child;

	if (pfd < 0)
		skip();
	assert_int_equal(proc_read_stat(pfd, getpid(), &st), 0);
	assert_int_equal(proc_same(pfd, getpid(), st.starttime, NULL), 0);
	assert_int_equal(proc_same(pfd, getpid(), st.starttime + 1, NULL), -ESRCH);
	fd = proc_open_same(pfd, getpid(), st.starttime, NULL);
	assert_true(fd >= 0);
	assert_true(faccessat(fd, "status", R_OK, 0) == 0);
	close(fd);

	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(proc_read_stat(pfd, child, &st), 0);
	assert_int_equal(proc_same(pfd, child, st.starttime, NULL), 0);
	fd = proc_open_same(pfd, child, st.starttime, NULL);
	assert_true(fd >= 0);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	assert_int_equal(proc_same(pfd, child, st.starttime, NULL), -ESRCH);
	assert_int_equal(proc_open_same(pfd, child, st.starttime, NULL), -ESRCH);
	/* what was opened for it stays its own: it now fails instead */
	assert_true(read_file_at(fd, "stat", (char[64]){ 0 }, 64) < 0);
	close(fd);
	close(pfd);
}

static void test_read_exe_cmdline(void **state)
{
	const struct fixture_proc p = { .pid = 60, .ppid = 1, .comm = "py", .cmdline = "py -m x",
					.exe = "/usr/bin/python3", .starttime = 5 };
	const struct fixture_proc k = { .pid = 61, .ppid = 2, .comm = "kworker", .kthread = 1 };
	struct fixture *f = fixture_new();
	char buf[64];
	int pfd;

	fixture_proc(f, "proc", &p);
	fixture_proc(f, "proc", &k);
	pfd = fixture_open_dir(f, "proc");
	assert_int_equal(proc_read_exe(pfd, 60, buf, sizeof(buf)), 16);
	assert_string_equal(buf, "/usr/bin/python3");
	assert_int_equal(proc_read_exe(pfd, 60, buf, 16), -ENAMETOOLONG);
	assert_int_equal(proc_read_exe(pfd, 61, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(proc_read_cmdline(pfd, 60, buf, sizeof(buf)), 7);
	assert_string_equal(buf, "py -m x");
	assert_int_equal(proc_read_cmdline(pfd, 60, buf, 4), 3);     /* truncated */
	assert_string_equal(buf, "py ");
	assert_int_equal(proc_read_cmdline(pfd, 61, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(proc_read_cmdline(pfd, 62, buf, sizeof(buf)), -ENOENT);
	close(pfd);
	fixture_free(f);
}

static void test_scan_vanish_and_grow(void **state)
{
	struct fixture *f = fixture_new();
	struct proc_list l = { 0 };
	int pfd, n = 600;

	for (int i = 0; i < n; i++) {
		struct fixture_proc p = { .pid = 1000 + i, .ppid = 1, .comm = "w", .uid = 1,
					  .rss_anon_kb = (unsigned long)i };
		fixture_proc(f, "", &p);
	}
	pfd = fixture_open_dir(f, "");
	assert_int_equal(proc_scan(pfd, &l), n);
	assert_true(l.cap >= (size_t)n);
	/* half the files of a process vanish: skipped, not an error */
	assert_int_equal(unlinkat(f->dirfd, "1000/status", 0), 0);
	assert_int_equal(unlinkat(f->dirfd, "1001/oom_score_adj", 0), 0);
	assert_int_equal(unlinkat(f->dirfd, "1002/stat", 0), 0);
	assert_int_equal(proc_scan(pfd, &l), n - 3);
	assert_null(find(&l, 1000));
	assert_null(find(&l, 1001));
	assert_non_null(find(&l, 1003));
	assert_true(find(&l, 1599)->anon == KB(599));
	close(pfd);
	proc_list_free(&l);
	fixture_free(f);
}

static void test_read_one(void **state)
{
	struct fixture *f = make_proc();
	struct proc_info pi = { .pid = -5 };
	int pfd = fixture_open_dir(f, "proc");

	assert_int_equal(proc_read_one(pfd, 9999, &pi), -ENOENT);
	assert_int_equal(proc_read_one(pfd, 601, &pi), -ENOENT);        /* empty dir */
	assert_int_equal(proc_read_one(pfd, 600, &pi), -ENOENT);        /* only stat */
	assert_int_equal(proc_read_one(pfd, 602, &pi), -EINVAL);
	assert_int_equal(proc_read_one(pfd, 555, &pi), -ENOTDIR);
	assert_int_equal(proc_read_one(pfd, 0, &pi), -EINVAL);
	assert_int_equal(pi.pid, -5);
	assert_int_equal(proc_read_one(pfd, 1, &pi), 0);
	assert_int_equal(pi.pid, 1);
	assert_string_equal(pi.comm, "systemd");
	assert_true(pi.rss == KB(12000));
	close(pfd);
	fixture_free(f);
}

static void test_lazy(void **state)
{
	struct fixture *f = make_proc();
	struct proc_list l = { 0 };
	struct proc_info *p, *k, gone = { .pid = 31337 };
	int pfd = fixture_open_dir(f, "proc");

	assert_int_equal(proc_scan(pfd, &l), 5);
	p = (struct proc_info *)find(&l, 1234);
	k = (struct proc_info *)find(&l, 77);

	assert_int_equal(proc_load_cmdline(pfd, &l, p), 0);
	assert_string_equal(p->cmdline, "/usr/bin/firefox --new-tab");
	assert_int_equal(proc_load_exe(pfd, &l, p), 0);
	assert_string_equal(p->exe, "/usr/lib/firefox/firefox");
	assert_int_equal(proc_load_cgroup(pfd, &l, p), 0);
	assert_string_equal(p->cgroup, "/user.slice/app.scope");
	/* loading again keeps the same string */
	const char *c = p->cmdline;
	assert_int_equal(proc_load_cmdline(pfd, &l, p), 0);
	assert_ptr_equal(p->cmdline, c);

	/* kernel thread: empty cmdline, no exe, no cgroup file here */
	assert_int_equal(proc_load_cmdline(pfd, &l, k), 0);
	assert_string_equal(k->cmdline, "");
	assert_int_equal(proc_load_exe(pfd, &l, k), 0);
	assert_string_equal(k->exe, "");
	assert_int_equal(proc_load_cgroup(pfd, &l, k), -ENOENT);
	assert_string_equal(k->cgroup, "");

	/* vanished */
	assert_int_equal(proc_load_cmdline(pfd, &l, &gone), -ENOENT);
	assert_string_equal(gone.cmdline, "");
	assert_int_equal(proc_load_exe(pfd, &l, &gone), -ENOENT);
	assert_string_equal(gone.exe, "");
	assert_int_equal(proc_load_cgroup(pfd, &l, &gone), -ENOENT);
	assert_string_equal(gone.cgroup, "");

	/* a rescan invalidates the strings */
	assert_int_equal(proc_scan(pfd, &l), 5);
	assert_null(find(&l, 1234)->cmdline);
	close(pfd);
	proc_list_free(&l);
	fixture_free(f);
}

static void test_arena_full(void **state)
{
	struct fixture *f = fixture_new();
	struct proc_list l = { 0 };
	struct fixture_proc fp = { .pid = 10, .ppid = 1, .comm = "big", .uid = 0 };
	char cmd[4001];
	struct proc_info *p;
	int pfd, r = 0, loads = 0;

	memset(cmd, 'a', sizeof(cmd) - 1);
	cmd[sizeof(cmd) - 1] = '\0';
	fp.cmdline = cmd;
	fixture_proc(f, "", &fp);
	pfd = fixture_open_dir(f, "");
	assert_int_equal(proc_scan(pfd, &l), 1);
	p = &l.v[0];
	while (loads < 10000) {
		p->cmdline = NULL;
		r = proc_load_cmdline(pfd, &l, p);
		if (r < 0)
			break;
		assert_int_equal(strlen(p->cmdline), 4000);
		loads++;
	}
	assert_int_equal(r, -ENOMEM);
	assert_string_equal(p->cmdline, "");
	assert_true(loads >= 200);       /* the arena holds at least 800 KB */
	/* the next scan resets the arena */
	assert_int_equal(proc_scan(pfd, &l), 1);
	assert_int_equal(proc_load_cmdline(pfd, &l, &l.v[0]), 0);
	assert_int_equal(strlen(l.v[0].cmdline), 4000);
	close(pfd);
	proc_list_free(&l);
	fixture_free(f);
}

/* Read-only look at this machine's real /proc. */
static void test_real_proc(void **state)
{
	struct proc_list l = { 0 };
	const struct proc_info *self;
	struct proc_stat st;
	char buf[1024];
	int pfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int n;

	if (pfd < 0)
		skip();
	assert_true(read_file_at(pfd, "self/stat", buf, sizeof(buf)) > 0);
	assert_int_equal(parse_proc_stat(buf, &st), 0);
	assert_int_equal(st.pid, getpid());
	assert_int_equal(st.ppid, getppid());
	assert_string_equal(st.comm, "test_proc");
	assert_int_equal(st.state, 'R');
	assert_true(st.num_threads >= 1);
	assert_true(st.starttime > 0);
	assert_true(st.rss_pages > 0);
	assert_false(st.flags & PF_KTHREAD_FLAG);

	n = proc_scan(pfd, &l);
	assert_true(n >= 2);
	self = find(&l, getpid());
	assert_non_null(self);
	assert_int_equal(self->uid, getuid());
	assert_true(self->rss > 0);
	assert_true(self->rss >= self->anon);
	assert_false(self->kthread);
	assert_int_equal(self->starttime, st.starttime);
	assert_int_equal(proc_load_exe(pfd, &l, (struct proc_info *)self), 0);
	assert_non_null(strstr(self->exe, "test_proc"));
	assert_int_equal(proc_load_cmdline(pfd, &l, (struct proc_info *)self), 0);
	assert_non_null(strstr(self->cmdline, "test_proc"));
	if (find(&l, 2) && strcmp(find(&l, 2)->comm, "kthreadd") == 0)
		assert_true(find(&l, 2)->kthread);
	close(pfd);
	proc_list_free(&l);
}

/* Inside a pid namespace (a container, unshare --pid) pid 2 is an ordinary
 * process, and so are its children: only PF_KTHREAD makes a kernel thread.
 * Defect: pid 2 and every child of pid 2 were taken for kernel threads, so
 * their memory was never read and a hog among them was never a candidate. */
static void test_pid_namespace(void **state)
{
	static const struct fixture_proc ns[] = {
		{ .pid = 1, .ppid = 0, .comm = "tini", .cmdline = "tini -- bash",
		  .exe = "/usr/bin/tini", .cgroup = "/", .uid = 0, .rss_anon_kb = 500,
		  .oom_score = 1, .starttime = 100 },
		{ .pid = 2, .ppid = 1, .comm = "bash", .cmdline = "bash", .exe = "/bin/bash",
		  .cgroup = "/", .uid = 1000, .rss_anon_kb = 3000, .oom_score = 3, .starttime = 101 },
		{ .pid = 3, .ppid = 2, .comm = "hog", .cmdline = "./hog", .exe = "/tmp/hog",
		  .cgroup = "/", .uid = 1000, .rss_anon_kb = 800000, .oom_score = 800,
		  .starttime = 102 },
	};
	struct fixture *f = fixture_new();
	struct proc_list l = { 0 };
	struct proc_info one;
	int pfd;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ns); i++)
		fixture_proc(f, "proc", &ns[i]);
	/* and a real kernel thread (PF_KTHREAD) with an unusual parent: still one */
	fixture_proc(f, "proc", &(struct fixture_proc){ .pid = 9, .ppid = 0, .comm = "kworker/u4:0",
							.kthread = 1, .starttime = 5 });
	pfd = fixture_open_dir(f, "proc");
	assert_int_equal(proc_scan(pfd, &l), 4);
	assert_false(find(&l, 2)->kthread);
	assert_true(find(&l, 2)->rss == KB(3000));
	assert_false(find(&l, 3)->kthread);
	assert_true(find(&l, 3)->anon == KB(800000));
	assert_int_equal(find(&l, 3)->oom_score, 800);
	assert_true(find(&l, 9)->kthread);
	assert_int_equal(proc_read_one(pfd, 2, &one), 0);
	assert_false(one.kthread);
	assert_int_equal(one.oom_score, 3);
	/* the fast scan keeps them: they have memory */
	assert_int_equal(proc_scan_top(pfd, &l, 10), 3);
	assert_non_null(find(&l, 2));
	assert_non_null(find(&l, 3));
	close(pfd);
	proc_list_free(&l);
	fixture_free(f);
}

static void test_smaps_rollup(void **state)
{
	uint64_t v = 0;

	(void)state;
	/* COW-shared anon (Anonymous > private): only the private part. */
	assert_int_equal(parse_smaps_rollup(
		"55d0-7ffd ---p 00000000 00:00 0 [rollup]\nRss: 1000 kB\nPss: 600 kB\n"
		"Shared_Clean: 200 kB\nShared_Dirty: 300 kB\nPrivate_Clean: 100 kB\n"
		"Private_Dirty: 400 kB\nAnonymous: 700 kB\nSwap: 50 kB\nSwapPss: 20 kB\n", &v), 0);
	assert_int_equal(v, (500 + 20) * 1024ull);
	/* Private file pages (Private_* > Anonymous): only the anon part. */
	assert_int_equal(parse_smaps_rollup("Private_Clean: 900 kB\nPrivate_Dirty: 100 kB\n"
					    "Anonymous: 80 kB\n", &v), 0);
	assert_int_equal(v, 80 * 1024ull);
	assert_int_equal(parse_smaps_rollup("Rss: 5 kB\n", &v), -EINVAL);
	assert_int_equal(parse_smaps_rollup("Anonymous: x kB\nPrivate_Clean: 1 kB\nPrivate_Dirty: 1 kB\n", &v), -EINVAL);
	/* The real thing for this test process. */
	int fd = open("/proc", O_RDONLY | O_DIRECTORY);
	if (fd >= 0 && access("/proc/self/smaps_rollup", R_OK) == 0) {
		assert_int_equal(proc_read_private(fd, getpid(), &v), 0);
		assert_true(v > 0);
	}
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stat_real),
		cmocka_unit_test(test_stat_hostile_comm),
		cmocka_unit_test(test_stat_malformed),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_status_malformed),
		cmocka_unit_test(test_cgroup),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_fixture_stat_format),
		cmocka_unit_test(test_for_each_pid),
		cmocka_unit_test(test_same),
		cmocka_unit_test(test_same_real),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_scan_vanish_and_grow),
		cmocka_unit_test(test_read_one),
		cmocka_unit_test(test_lazy),
		cmocka_unit_test(test_read_exe_cmdline),
		cmocka_unit_test(test_arena_full),
		cmocka_unit_test(test_real_proc),
		cmocka_unit_test(test_smaps_rollup),
		cmocka_unit_test(test_pid_namespace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
