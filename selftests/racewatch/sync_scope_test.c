// SPDX-License-Identifier: GPL-2.0
/*
 * Sync tracer scope and robustness: unwatched processes give nothing,
 * add/remove at run time, a full ring counts drops, bad pids and processes
 * without usable symbols are refused with a clear error, a static binary
 * with symbols is traced.
 */
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "sync_harness.h"

FIXTURE(scope)
{
	struct sync_source *src;
	struct sync_log *log;
	struct sync_run a, b;
	char seq[4096];
};

static int setup_source(FIXTURE_DATA(scope) *self, __u32 ring)
{
	self->log = calloc(1, sizeof(*self->log));
	if (!self->log)
		return -1;
	self->src = sync_harness_source(self->log, false, ring);
	return self->src ? 0 : -1;
}

FIXTURE_SETUP(scope)
{
	if (geteuid())
		SKIP(return, "needs root (BPF, uprobes)");
	/* the drops test wants a tiny ring: it sets its own source up */
	if (strcmp(_metadata->name, "ring_full_counts_drops"))
		ASSERT_EQ(0, setup_source(self, 0)) TH_LOG("sync_source__new: %s", strerror(errno));
}

FIXTURE_TEARDOWN(scope)
{
	if (self->a.out)
		sync_run_kill(&self->a);
	if (self->b.out)
		sync_run_kill(&self->b);
	sync_source__free(self->src);
	free(self->log);
}

TEST_F(scope, unwatched_process_gives_nothing)
{
	ASSERT_EQ(0, sync_run_start(&self->a, "sync_target", "mutex", NULL));
	ASSERT_EQ(0, sync_run_start(&self->b, "sync_target", "mutex", NULL));
	ASSERT_EQ(0, sync_source__add_pid(self->src, self->a.pid));
	EXPECT_TRUE(sync_source__watching(self->src, self->a.pid));
	EXPECT_FALSE(sync_source__watching(self->src, self->b.pid));
	ASSERT_EQ(0, sync_run_go(&self->b));
	ASSERT_EQ(0, sync_run_go(&self->a));
	ASSERT_EQ(0, sync_run_wait(&self->b));
	ASSERT_EQ(0, sync_run_wait(&self->a));
	ASSERT_LE(0, sync_source__consume(self->src));
	sync_run_index(&self->a, self->log);
	EXPECT_STREQ("acq~ m, rel m, acq m, rel m, acq m, rel m, acq m, rel m, create T1, "
		     "join~ T1, exit",
		     sync_seq(&self->a, self->log, self->a.pid, self->seq, sizeof(self->seq)));
	EXPECT_EQ(1, sync_count_ended(self->log, self->a.pid));
	EXPECT_EQ(0, sync_count_pid(self->log, self->b.pid));
}

TEST_F(scope, removed_pid_gives_nothing)
{
	ASSERT_EQ(0, sync_run_start(&self->a, "sync_target", "mutex", NULL));
	ASSERT_EQ(0, sync_source__add_pid(self->src, self->a.pid));
	EXPECT_LT(0, sync_source__probes(self->src, self->a.pid));
	ASSERT_EQ(0, sync_source__remove_pid(self->src, self->a.pid));
	EXPECT_EQ(0, sync_source__probes(self->src, self->a.pid));
	EXPECT_EQ(-ENOENT, sync_source__remove_pid(self->src, self->a.pid));
	ASSERT_EQ(0, sync_run_go(&self->a));
	ASSERT_EQ(0, sync_run_wait(&self->a));
	ASSERT_LE(0, sync_source__consume(self->src));
	EXPECT_EQ(0, sync_count_pid(self->log, self->a.pid));
}

TEST_F(scope, add_twice_is_refused)
{
	ASSERT_EQ(0, sync_run_start(&self->a, "sync_target", "mutex", NULL));
	ASSERT_EQ(0, sync_source__add_pid(self->src, self->a.pid));
	EXPECT_EQ(-EEXIST, sync_source__add_pid(self->src, self->a.pid));
	EXPECT_NE(NULL, strstr(sync_source__errmsg(self->src), "already watched"));
	ASSERT_EQ(0, sync_run_go(&self->a));
	ASSERT_EQ(0, sync_run_wait(&self->a));
}

TEST_F(scope, bad_pids_are_refused)
{
	pid_t gone = fork();

	ASSERT_LE(0, gone);
	if (!gone)
		_exit(0);
	ASSERT_EQ(gone, waitpid(gone, NULL, 0));
	EXPECT_EQ(-ESRCH, sync_source__add_pid(self->src, gone));
	EXPECT_NE(NULL, strstr(sync_source__errmsg(self->src), "no such process"));
	EXPECT_EQ(-EINVAL, sync_source__add_pid(self->src, 0));
	EXPECT_EQ(-EINVAL, sync_source__add_pid(self->src, -5));
	EXPECT_FALSE(sync_source__watching(self->src, gone));
}

TEST_F(scope, kernel_thread_is_refused)
{
	/* kthreadd: pid 2 in the initial pid namespace, no memory map, no executable */
	char comm[32] = "";
	FILE *f = fopen("/proc/2/comm", "r");

	if (!f || !fgets(comm, sizeof(comm), f) || strncmp(comm, "kthreadd", 8)) {
		if (f)
			fclose(f);
		SKIP(return, "pid 2 is not kthreadd here (pid namespace)");
	}
	fclose(f);
	EXPECT_EQ(-ENOENT, sync_source__add_pid(self->src, 2));
	EXPECT_NE(NULL, strstr(sync_source__errmsg(self->src), "no libc.so"));
}

/* Start @argv[0] stopped on a pipe read: returns its pid, writes the pipe fd. */
static pid_t spawn_blocked(char *const argv[], int *go)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[0], 0);
		close(p[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[0]);
	*go = p[1];
	return pid;
}

/* Wait until @pid runs @path (exec done), up to 5 s. */
static int wait_exec(pid_t pid, const char *path)
{
	char exe[64], real[PATH_MAX], want[PATH_MAX];
	ssize_t n;
	int i;

	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
	if (!realpath(path, want))
		return -1;
	for (i = 0; i < 500; i++) {
		n = readlink(exe, real, sizeof(real) - 1);
		if (n > 0) {
			real[n] = 0;
			if (!strcmp(real, want))
				return 0;
		}
		usleep(10000);
	}
	return -1;
}

TEST_F(scope, static_stripped_binary_is_refused)
{
	const char *bb = access("/bin/busybox", X_OK) ? "/usr/bin/busybox" : "/bin/busybox";
	char *argv[] = { (char *)bb, "cat", NULL };
	pid_t pid;
	int go;

	if (access(bb, X_OK))
		SKIP(return, "no busybox (a static, stripped binary) here");
	pid = spawn_blocked(argv, &go);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, wait_exec(pid, bb));
	EXPECT_EQ(-ENOENT, sync_source__add_pid(self->src, pid));
	EXPECT_NE(NULL, strstr(sync_source__errmsg(self->src), "no pthread symbols"))
		TH_LOG("message: %s", sync_source__errmsg(self->src));
	close(go);
	waitpid(pid, NULL, 0);
}

TEST_F(scope, static_binary_with_symbols_is_traced)
{
	char bin[PATH_MAX];
	char *argv[] = { bin, NULL };
	struct sync_run r = { 0 };
	const struct rw_sync_event *e;
	pid_t pid;
	int go, st;

	/* progs/sync_static.c, linked with -static by the Makefile */
	sync_prog_path("sync_static-static", bin, sizeof(bin));
	ASSERT_EQ(0, access(bin, X_OK)) TH_LOG("%s is not built", bin);
	pid = spawn_blocked(argv, &go);
	ASSERT_LT(0, pid);
	ASSERT_EQ(0, wait_exec(pid, bin));
	ASSERT_EQ(0, sync_source__add_pid(self->src, pid)) TH_LOG("%s", sync_source__errmsg(self->src));
	ASSERT_EQ(1, write(go, "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_LE(0, sync_source__consume(self->src));
	r.pid = pid;
	sync_run_index(&r, self->log);
	/* no names from this target: check the shape of its mutex records */
	e = sync_find(&r, self->log, pid, RW_OP_ACQUIRE_LAZY, NULL);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(RW_PRIM_MUTEX, e->prim);
	e = sync_find(&r, self->log, pid, RW_OP_RELEASE, NULL);
	ASSERT_NE(NULL, e);
	e = sync_find(&r, self->log, pid, RW_OP_THREAD_EXIT, NULL);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(1ULL, e->arg);
}

TEST_F(scope, poll_delivers_records_below_the_wakeup_batch)
{
	int n;

	/* 10 pairs: 20 records and an exit, fewer than the 64 that wake the reader */
	ASSERT_EQ(0, sync_run_start(&self->a, "sync_target", "loop", "10"));
	ASSERT_EQ(0, sync_source__add_pid(self->src, self->a.pid));
	ASSERT_EQ(0, sync_run_go(&self->a));
	ASSERT_EQ(0, sync_run_wait(&self->a));
	n = sync_source__poll(self->src, 50);
	EXPECT_EQ(self->log->n, n);
	EXPECT_LE(21, sync_count_pid(self->log, self->a.pid));
	EXPECT_EQ(1, sync_count_ended(self->log, self->a.pid));
}

TEST_F(scope, ring_full_counts_drops)
{
	const long pairs = 5000;
	int got;

	/* 4 KiB ring: 32 records; nobody reads until the target is done */
	ASSERT_EQ(0, setup_source(self, 4096));
	ASSERT_EQ(0, sync_run_start(&self->a, "sync_target", "loop", "5000"));
	ASSERT_EQ(0, sync_source__add_pid(self->src, self->a.pid));
	ASSERT_EQ(0, sync_run_go(&self->a));
	ASSERT_EQ(0, sync_run_wait(&self->a));
	ASSERT_LE(0, sync_source__consume(self->src));
	got = sync_count_pid(self->log, self->a.pid);
	EXPECT_GT(2 * pairs, got);
	EXPECT_LT(0, got);
	/* every record of the run was delivered or counted */
	EXPECT_LE((__u64)(2 * pairs + 1), got + sync_source__drops(self->src));
}

TEST_HARNESS_MAIN
