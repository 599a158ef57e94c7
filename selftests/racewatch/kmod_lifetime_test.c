// SPDX-License-Identifier: GPL-2.0
/*
 * racewatch.ko lifetime: closing the fd disarms everything and frees the
 * slots; the target exiting or being killed while armed, UNWATCH of a dead
 * process, closing while the target writes, and rmmod while armed are all
 * safe. Every test checks that the kernel log gained no BUG/WARNING/Oops.
 * The rmmod test reloads the module from $RACEWATCH_KO. Runs in the VM.
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include "kselftest_harness.h"
#include "kmod_util.h"

static int module_loaded(void)
{
	struct stat st;

	return stat("/sys/module/racewatch", &st) == 0;
}

/* Load $RACEWATCH_KO and wait for the device node; 0 or -errno. */
static int module_load(void)
{
	const char *ko = getenv("RACEWATCH_KO");
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int fd, ret, i;

	if (!ko)
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	for (i = 0; !ret && i < 300 && access(RACEWATCH_DEVICE, F_OK); i++)
		nanosleep(&ts, NULL);
	return ret;
}

FIXTURE(life) {
	int fd;
	struct kt t;
	int bad_before;
};

FIXTURE_SETUP(life)
{
	self->bad_before = rw_dmesg_bad_lines();
	ASSERT_LE(0, self->bad_before);
	self->fd = rw_dev_open();
	if (self->fd < 0)
		SKIP(return, "%s: %s (module not loaded?)", RACEWATCH_DEVICE, strerror(errno));
	ASSERT_EQ(0, kt_start(&self->t, "kmod_target", true));
}

FIXTURE_TEARDOWN(life)
{
	kt_kill(&self->t);
	if (self->fd >= 0)
		close(self->fd);
	/* Never leave the VM without the module, whatever failed above. */
	if (!module_loaded())
		module_load();
	EXPECT_EQ(self->bad_before, rw_dmesg_bad_lines());
}

TEST_F(life, close_disarms_and_frees_every_slot)
{
	static struct rw_recs recs;
	int i, fd2, ids[4];

	for (i = 0; i < 4; i++)
		ASSERT_LT(0, rw_watch(self->fd, self->t.pid, self->t.var, 8,
				      RACEWATCH_KIND_WRITE, 0));
	ASSERT_LT(0, kt_cmd(&self->t, 'w', 3));
	ASSERT_LE(3, rw_drain(self->fd, &recs));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;

	/* A new session gets all four slots of both threads back... */
	fd2 = rw_dev_open();
	ASSERT_LE(0, fd2);
	for (i = 0; i < 4; i++) {
		ids[i] = rw_watch(fd2, self->t.pid, self->t.var, 8, RACEWATCH_KIND_WRITE, 0);
		ASSERT_LT(0, ids[i]);
	}
	/*
	 * ...and with one watch left, every write of every thread is its
	 * record: nothing of the closed session is still armed in front of it.
	 */
	for (i = 1; i < 4; i++)
		ASSERT_EQ(0, rw_unwatch(fd2, ids[i]));
	ASSERT_EQ(self->t.helper, kt_cmd(&self->t, 'T', 2));
	ASSERT_LT(0, kt_cmd(&self->t, 'w', 3));
	ASSERT_LT(0, kt_cmd(&self->t, 't', 1));
	EXPECT_EQ(6, rw_drain(fd2, &recs));
	for (i = 0; i < recs.n; i++)
		EXPECT_EQ((__u32)ids[0], recs.r[i]->watch_id);
	close(fd2);
}

TEST_F(life, target_exit_while_armed)
{
	struct racewatch_watch_info wi;
	struct racewatch_stats st;
	int status, id;

	id = rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_RW, 0);
	ASSERT_LT(0, id);
	ASSERT_LT(0, kt_cmd(&self->t, 't', 1));
	ASSERT_EQ(0, fprintf(self->t.in, "x\n") < 0);
	fflush(self->t.in);
	ASSERT_EQ(self->t.pid, waitpid(self->t.pid, &status, 0));
	self->t.pid = 0;
	EXPECT_TRUE(WIFEXITED(status));

	ASSERT_EQ(1, rw_list(self->fd, &wi, 1));
	EXPECT_EQ(0, wi.threads);
	EXPECT_EQ(1, wi.hits);
	ASSERT_EQ(0, rw_stats(self->fd, &st));
	EXPECT_EQ(0, st.armed_threads);

	/* UNWATCH of a dead process is fine, and only once. */
	EXPECT_EQ(0, rw_unwatch(self->fd, id));
	EXPECT_EQ(-ENOENT, rw_unwatch(self->fd, id));
	/* And the pid is gone for new watches. */
	EXPECT_EQ(-ESRCH, rw_watch(self->fd, wi.pid, wi.addr, 8, RACEWATCH_KIND_WRITE, 0));
}

TEST_F(life, target_killed_while_writing)
{
	struct racewatch_stats st;

	ASSERT_LT(0, rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_RW, 0));
	ASSERT_LT(0, rw_watch(self->fd, self->t.pid, self->t.var, 4, RACEWATCH_KIND_WRITE, 0));
	/* Do not wait for the answer: kill it in the middle of its writes. */
	ASSERT_LT(0, fprintf(self->t.in, "w 100000000\n"));
	fflush(self->t.in);
	usleep(200 * 1000);
	ASSERT_EQ(0, kill(self->t.pid, SIGKILL));
	ASSERT_EQ(self->t.pid, waitpid(self->t.pid, NULL, 0));
	self->t.pid = 0;

	ASSERT_EQ(0, rw_stats(self->fd, &st));
	EXPECT_LT(0, st.records + st.dropped);
	EXPECT_EQ(0, st.armed_threads);
	EXPECT_EQ(2, st.watches);
}

TEST_F(life, close_while_target_writes)
{
	char line[64];

	ASSERT_LT(0, rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_RW, 0));
	ASSERT_LT(0, fprintf(self->t.in, "w 2000000\n"));
	fflush(self->t.in);
	usleep(100 * 1000);
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	/* The target finishes its writes untouched and still answers. */
	ASSERT_NE(NULL, fgets(line, sizeof(line), self->t.out));
	EXPECT_EQ(0, strncmp(line, "ok ", 3));
	EXPECT_EQ(self->t.pid, kt_cmd(&self->t, 'w', 10));
}

/*
 * A thread started after the watch inherits it. Dropping the watch (by
 * UNWATCH or by closing the session) must free that inherited copy too:
 * afterwards the thread has all four debug registers again.
 */
static void inherited_copies_are_freed(struct __test_metadata *_metadata, struct kt *t,
				       int *fd, bool by_close)
{
	static struct rw_recs recs;
	struct racewatch_watch w;
	struct racewatch_watch_info wi;
	pid_t spare;
	int id, i;

	id = rw_watch(*fd, t->pid, t->var, 8, RACEWATCH_KIND_RW, 0);
	ASSERT_LT(0, id);
	spare = kt_cmd(t, 'S', 0);
	ASSERT_LT(0, spare);
	ASSERT_EQ(spare, kt_cmd(t, 'U', 2));
	ASSERT_EQ(2, rw_drain(*fd, &recs));
	EXPECT_EQ((__u32)spare, recs.r[0]->tid);
	ASSERT_EQ(1, rw_list(*fd, &wi, 1));
	EXPECT_EQ(3, wi.threads);	/* main, helper, spare */

	if (by_close) {
		ASSERT_EQ(0, close(*fd));
		*fd = rw_dev_open();
		ASSERT_LE(0, *fd);
	} else {
		ASSERT_EQ(0, rw_unwatch(*fd, id));
	}
	ASSERT_EQ(spare, kt_cmd(t, 'U', 2));
	EXPECT_EQ(0, rw_drain(*fd, &recs));

	for (i = 0; i < 4; i++) {
		w = rw_req(t->pid, t->var, 8, RACEWATCH_KIND_WRITE, RACEWATCH_WATCH_NO_FOLLOW);
		ASSERT_EQ(0, ioctl(*fd, RACEWATCH_IOC_WATCH, &w));
		EXPECT_EQ(3, w.threads);
	}
	ASSERT_EQ(spare, kt_cmd(t, 'U', 1));
	ASSERT_LE(1, rw_drain(*fd, &recs));
	EXPECT_EQ((__u32)spare, recs.r[0]->tid);
}

TEST_F(life, unwatch_frees_copies_inherited_by_later_threads)
{
	inherited_copies_are_freed(_metadata, &self->t, &self->fd, false);
}

TEST_F(life, close_frees_copies_inherited_by_later_threads)
{
	inherited_copies_are_freed(_metadata, &self->t, &self->fd, true);
}

/*
 * Two threads trap without pause on both CPUs and a third keeps creating
 * threads (which inherit the watch) while watches are made and dropped by
 * UNWATCH and by close, again and again. Nothing may oops, every record
 * must belong to the watch of its session, and the target must survive.
 */
TEST_F(life, watch_and_drop_under_trap_and_clone_storm)
{
	static struct rw_recs recs;
	struct racewatch_stats st;
	int i, j, id, n, total = 0;

	ASSERT_LT(0, kt_cmd(&self->t, 'B', 2));
	ASSERT_LT(0, kt_cmd(&self->t, 'C', 0));
	for (i = 0; i < 30; i++) {
		id = rw_watch(self->fd, self->t.pid, self->t.var, 8,
			      i % 2 ? RACEWATCH_KIND_RW : RACEWATCH_KIND_WRITE, 0);
		ASSERT_LT(0, id);
		usleep(20 * 1000);
		n = rw_drain(self->fd, &recs);
		ASSERT_LE(0, n);
		total += n;
		for (j = 0; j < n; j++) {
			ASSERT_EQ((__u32)id, recs.r[j]->watch_id);
			ASSERT_EQ((__u32)self->t.pid, recs.r[j]->pid);
			ASSERT_EQ(RACEWATCH_ACCESS_WRITE, recs.r[j]->access);
		}
		if (i % 3 == 2) {
			ASSERT_EQ(0, close(self->fd));
			self->fd = rw_dev_open();
			ASSERT_LE(0, self->fd);
		} else {
			ASSERT_EQ(0, rw_unwatch(self->fd, id));
			ASSERT_EQ(0, rw_stats(self->fd, &st));
			EXPECT_EQ(0, st.armed_threads);
			/* Records queued before UNWATCH stay readable; none comes after. */
			n = rw_drain(self->fd, &recs);
			ASSERT_LE(0, n);
			for (j = 0; j < n; j++)
				ASSERT_EQ((__u32)id, recs.r[j]->watch_id);
		}
	}
	EXPECT_LT(30, total);	/* the storm did trap */
	EXPECT_EQ(self->t.pid, kt_cmd(&self->t, 'w', 1));
	EXPECT_EQ(0, kill(self->t.pid, 0));
}

TEST_F(life, fork_children_are_not_armed)
{
	static struct rw_recs recs;
	pid_t child;

	ASSERT_LT(0, rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_RW, 0));
	child = kt_cmd(&self->t, 'f', 5);
	ASSERT_LT(0, child);
	ASSERT_NE(self->t.pid, child);
	/* The child's copy of the variable is its own memory: not watched. */
	EXPECT_EQ(0, rw_drain(self->fd, &recs));
	ASSERT_EQ(self->t.pid, kt_cmd(&self->t, 'w', 1));
	EXPECT_EQ(1, rw_drain(self->fd, &recs));
}

TEST_F(life, exec_removes_the_watch)
{
	static struct rw_recs recs;
	struct racewatch_watch_info wi;
	struct kt *t = &self->t;
	unsigned long var;

	/* The non-PIE build: the variable has the same address after exec. */
	kt_kill(t);
	ASSERT_EQ(0, kt_start(t, "kmod_target-O2", true));
	var = t->var;
	ASSERT_LT(0, rw_watch(self->fd, t->pid, t->var, 8, RACEWATCH_KIND_RW, 0));
	ASSERT_EQ(t->pid, kt_cmd(t, 'w', 1));
	ASSERT_EQ(1, rw_drain(self->fd, &recs));

	ASSERT_LT(0, fprintf(t->in, "e\n"));
	ASSERT_EQ(0, fflush(t->in));
	ASSERT_EQ(0, kt_read_header(t));
	ASSERT_EQ(var, t->var);

	ASSERT_EQ(t->pid, kt_cmd(t, 'w', 3));
	ASSERT_EQ(t->helper, kt_cmd(t, 'T', 2));
	ASSERT_LT(0, kt_cmd(t, 't', 1));
	EXPECT_EQ(0, rw_drain(self->fd, &recs));
	ASSERT_EQ(1, rw_list(self->fd, &wi, 1));
	EXPECT_EQ(0, wi.threads);
	EXPECT_EQ(1, wi.hits);
}

TEST_F(life, rmmod_while_armed_is_refused_then_works_after_close)
{
	if (!getenv("RACEWATCH_KO"))
		SKIP(return, "RACEWATCH_KO is not set: cannot reload the module");

	ASSERT_LT(0, rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_RW, 0));
	ASSERT_LT(0, kt_cmd(&self->t, 'w', 3));

	/* An open session holds the module: the kernel answers EWOULDBLOCK. */
	EXPECT_EQ(-1, syscall(SYS_delete_module, "racewatch", O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	EXPECT_TRUE(module_loaded());
	EXPECT_EQ(self->t.pid, kt_cmd(&self->t, 'w', 3));

	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	ASSERT_EQ(0, syscall(SYS_delete_module, "racewatch", O_NONBLOCK));
	EXPECT_FALSE(module_loaded());
	/* No breakpoint may survive the module: the target keeps running. */
	EXPECT_EQ(self->t.pid, kt_cmd(&self->t, 'w', 100));
	EXPECT_EQ(self->t.helper, kt_cmd(&self->t, 'T', 100));
	EXPECT_LT(0, kt_cmd(&self->t, 't', 100));

	ASSERT_EQ(0, module_load());
	self->fd = rw_dev_open();
	ASSERT_LE(0, self->fd);
	EXPECT_LT(0, rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_RW, 0));
}

TEST_HARNESS_MAIN
