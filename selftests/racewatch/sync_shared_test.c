// SPDX-License-Identifier: GPL-2.0
/*
 * Sync tracer identity across processes: a PTHREAD_PROCESS_SHARED mutex and
 * a semaphore in one POSIX shm object, used by two processes, must have the
 * same (device, inode, offset) key in both.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "sync_harness.h"

FIXTURE(shared)
{
	struct sync_source *src;
	struct sync_log *log;
	struct sync_run a, b;
	char name[64];
	char seq[4096];
};

FIXTURE_SETUP(shared)
{
	if (geteuid())
		SKIP(return, "needs root (BPF, uprobes)");
	snprintf(self->name, sizeof(self->name), "/racewatch-sync-%d", getpid());
	self->log = calloc(1, sizeof(*self->log));
	ASSERT_NE(NULL, self->log);
	self->src = sync_harness_source(self->log, false, 0);
	ASSERT_NE(NULL, self->src);
}

FIXTURE_TEARDOWN(shared)
{
	if (self->a.out)
		sync_run_kill(&self->a);
	if (self->b.out)
		sync_run_kill(&self->b);
	shm_unlink(self->name);
	sync_source__free(self->src);
	free(self->log);
}

static void expect_same_key(struct __test_metadata *_metadata, const struct rw_key *x,
			    const struct rw_key *y)
{
	EXPECT_EQ(x->kind, y->kind);
	EXPECT_EQ(x->dev, y->dev);
	EXPECT_EQ(x->id, y->id);
	EXPECT_EQ(x->off, y->off);
}

TEST_F(shared, pshared_mutex_and_sem_have_equal_keys)
{
	const struct rw_sync_event *arel, *bacq, *post, *wait;
	char path[128];
	struct stat st;

	/* A creates the segment and the objects; B maps it at another address */
	ASSERT_EQ(0, sync_run_start(&self->a, "sync_target", "shm-post", self->name));
	ASSERT_EQ(0, sync_run_start(&self->b, "sync_target", "shm-wait", self->name));
	ASSERT_EQ(0, sync_source__add_pid(self->src, self->a.pid));
	ASSERT_EQ(0, sync_source__add_pid(self->src, self->b.pid));
	ASSERT_EQ(0, sync_run_go(&self->b));
	ASSERT_EQ(0, sync_run_go(&self->a));
	ASSERT_EQ(0, sync_run_wait(&self->a));
	ASSERT_EQ(0, sync_run_wait(&self->b));
	ASSERT_LE(0, sync_source__consume(self->src));
	sync_run_index(&self->a, self->log);
	sync_run_index(&self->b, self->log);

	/* the mutex is at offset 0 of the segment, the semaphore at 64 */
	EXPECT_STREQ("acq~ shm+0, rel shm+0, rel shm+64, exit",
		     sync_seq(&self->a, self->log, self->a.pid, self->seq, sizeof(self->seq)));
	/* sem_wait is seen at its return (acq), the mutex lock at entry (acq~) */
	EXPECT_STREQ("acq shm+64, acq~ shm+0, rel shm+0, exit",
		     sync_seq(&self->b, self->log, self->b.pid, self->seq, sizeof(self->seq)));

	EXPECT_EQ(1, sync_count_ended(self->log, self->a.pid));
	EXPECT_EQ(1, sync_count_ended(self->log, self->b.pid));
	arel = sync_find(&self->a, self->log, self->a.pid, RW_OP_RELEASE, "shm+0");
	bacq = sync_find(&self->b, self->log, self->b.pid, RW_OP_ACQUIRE_LAZY, "shm+0");
	post = sync_find(&self->a, self->log, self->a.pid, RW_OP_RELEASE, "shm+64");
	wait = sync_find(&self->b, self->log, self->b.pid, RW_OP_ACQUIRE, "shm+64");
	ASSERT_NE(NULL, arel);
	ASSERT_NE(NULL, bacq);
	ASSERT_NE(NULL, post);
	ASSERT_NE(NULL, wait);
	expect_same_key(_metadata, &arel->obj, &bacq->obj);
	expect_same_key(_metadata, &post->obj, &wait->obj);
	EXPECT_EQ(RW_PRIM_SEM, post->prim);

	/* and the key is the shm file's inode */
	snprintf(path, sizeof(path), "/dev/shm%s", self->name);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ((__u64)st.st_ino, arel->obj.id);
	EXPECT_EQ((__u32)RW_KEY_SHARED, arel->obj.kind);
	/* rw_key.dev is the kernel's dev_t encoding: major << 20 | minor */
	EXPECT_EQ((__u32)(major(st.st_dev) << 20 | minor(st.st_dev)), arel->obj.dev);
}

TEST_HARNESS_MAIN
