// SPDX-License-Identifier: GPL-2.0
/*
 * Sync tracer, one test per primitive: run progs/sync_target SCENARIO under
 * a struct sync_source and compare each thread's record sequence exactly.
 * Runs on the host kernel and in the VM (root, BPF, tracefs).
 */
#include "kselftest_harness.h"
#include "sync_harness.h"

FIXTURE(sync)
{
	struct sync_source *src;
	struct sync_log *log;
	struct sync_run run;
	char seq[4096];
};

/* the target built -O0 PIE and -O2 non-PIE: the records must not depend on it */
FIXTURE_VARIANT(sync)
{
	const char *prog;
};

FIXTURE_VARIANT_ADD(sync, pie_O0)
{
	.prog = "sync_target",
};

FIXTURE_VARIANT_ADD(sync, nopie_O2)
{
	.prog = "sync_target-O2",
};

FIXTURE_SETUP(sync)
{
	if (geteuid())
		SKIP(return, "needs root (BPF, uprobes)");
	self->log = calloc(1, sizeof(*self->log));
	ASSERT_NE(NULL, self->log);
	self->src = sync_harness_source(self->log, false, 0);
	ASSERT_NE(NULL, self->src) TH_LOG("sync_source__new: %s", strerror(errno));
}

FIXTURE_TEARDOWN(sync)
{
	if (self->run.pid > 0 && self->run.out)
		sync_run_kill(&self->run);
	sync_source__free(self->src);
	free(self->log);
}

/* Start SCENARIO, watch it, let it run to exit 0, collect its records. */
static void run_traced(struct __test_metadata *_metadata, FIXTURE_DATA(sync) *self,
		       const FIXTURE_VARIANT(sync) *variant, const char *scenario)
{
	ASSERT_EQ(0, sync_run_start(&self->run, variant->prog, scenario, NULL));
	ASSERT_EQ(0, sync_source__add_pid(self->src, self->run.pid))
		TH_LOG("%s", sync_source__errmsg(self->src));
	ASSERT_EQ(0, sync_run_go(&self->run));
	ASSERT_EQ(0, sync_run_wait(&self->run));
	/* exit records are written before waitpid() can return */
	ASSERT_LE(0, sync_source__consume(self->src));
	EXPECT_EQ(0ULL, sync_source__drops(self->src));
	EXPECT_EQ(1, sync_count_ended(self->log, self->run.pid));
	sync_run_index(&self->run, self->log);
}

#define SEQ(i) sync_seq(&self->run, self->log, self->run.tids[i], self->seq, sizeof(self->seq))

TEST_F(sync, mutex_lock_lazy_trylock_timed_and_failures)
{
	run_traced(_metadata, self, variant, "mutex");
	ASSERT_EQ(2, self->run.ntids);
	/* lock: lazy at entry; trylock/timedlock/clocklock: acquire only on 0 */
	EXPECT_STREQ("acq~ m, rel m, acq m, rel m, acq m, rel m, acq m, rel m, create T1, "
		     "join~ T1, exit", SEQ(0));
	/* T1 holds m while T0's trylock (EBUSY) and timedlock (ETIMEDOUT) fail: no acquire */
	EXPECT_STREQ("acq~ m, rel m, exit", SEQ(1));
}

TEST_F(sync, recursive_mutex_outermost_pair_only)
{
	run_traced(_metadata, self, variant, "recursive");
	EXPECT_STREQ("acq~ rm+rec, rel rm+rec, acq rm+rec, rel rm+rec, exit", SEQ(0));
}

TEST_F(sync, rwlock_read_and_write_distinguished)
{
	run_traced(_metadata, self, variant, "rwlock");
	ASSERT_EQ(2, self->run.ntids);
	EXPECT_STREQ("racq~ rw, rwrel rw, acq~ rw, rwrel rw, racq rw, rwrel rw, acq rw, rwrel rw, "
		     "racq rw, rwrel rw, acq rw, rwrel rw, create T1, racq rw, rwrel rw, "
		     "join~ T1, exit", SEQ(0));
	EXPECT_STREQ("racq~ rw, rwrel rw, exit", SEQ(1));
}

TEST_F(sync, spinlock)
{
	run_traced(_metadata, self, variant, "spin");
	/*
	 * glibc's pthread_spin_lock begins with a lock-prefixed instruction that
	 * x86 uprobes refuse: the source probes its ret instead, so it shows as
	 * an acquire on success (acq, not acq~). The second trylock fails.
	 */
	EXPECT_STREQ("acq sl, rel sl, acq sl, rel sl, exit", SEQ(0));
}

TEST_F(sync, semaphore_post_releases_wait_acquires)
{
	const struct rw_sync_event *post, *wait;

	run_traced(_metadata, self, variant, "sem");
	/*
	 * failing trywait (EAGAIN) and timedwait (ETIMEDOUT) give nothing; sem_wait
	 * too is seen at its return (acq, not acq~): a lazy acquire would also learn
	 * the posts made after it took its token
	 */
	EXPECT_STREQ("rel sem, acq sem, rel sem, acq sem, rel sem, acq sem, rel sem, acq sem, "
		     "exit", SEQ(0));
	post = sync_find(&self->run, self->log, self->run.pid, RW_OP_RELEASE, "sem");
	wait = sync_find(&self->run, self->log, self->run.pid, RW_OP_ACQUIRE, "sem");
	ASSERT_NE(NULL, post);
	ASSERT_NE(NULL, wait);
	EXPECT_EQ(0, memcmp(&post->obj, &wait->obj, sizeof(post->obj)));
	EXPECT_EQ(RW_KEY_PRIVATE, (int)post->obj.kind);
	EXPECT_EQ((__u64)self->run.pid, post->obj.id);
	EXPECT_EQ(RW_PRIM_SEM, post->prim);
}

TEST_F(sync, cond_wait_names_cond_and_mutex)
{
	run_traced(_metadata, self, variant, "cond");
	ASSERT_EQ(2, self->run.ntids);
	EXPECT_STREQ("acq~ m, create T1, condwait cv m, rel m, join~ T1, exit", SEQ(0));
	EXPECT_STREQ("acq~ m, rel cv, rel m, exit", SEQ(1));
}

TEST_F(sync, barrier_both_threads_arrive)
{
	const struct rw_sync_event *arrive;

	run_traced(_metadata, self, variant, "barrier");
	EXPECT_STREQ("create T1, barrier bar, join~ T1, exit", SEQ(0));
	EXPECT_STREQ("barrier bar, exit", SEQ(1));
	/* each arrival carries the barrier's thread count: the engine makes rounds of them */
	arrive = sync_find(&self->run, self->log, self->run.pid, RW_OP_BARRIER, "bar");
	ASSERT_NE(NULL, arrive);
	EXPECT_EQ(2, arrive->arg);
}

TEST_F(sync, once_done_after_init_routine)
{
	run_traced(_metadata, self, variant, "once");
	EXPECT_STREQ("acq~ m, rel m, once once, once once, exit", SEQ(0));
}

TEST_F(sync, join_maps_pthread_t_to_tid)
{
	const struct rw_sync_event *ex;
	int i;

	run_traced(_metadata, self, variant, "join");
	ASSERT_EQ(3, self->run.ntids);
	/* tryjoin while T2 runs fails: no edge; timedjoin succeeds */
	EXPECT_STREQ("create T1, join~ T1, create T2, join~ T2, exit", SEQ(0));
	EXPECT_STREQ("acq~ m, rel m, exit", SEQ(1));
	EXPECT_STREQ("acq~ m, rel m, exit", SEQ(2));
	/*
	 * each thread's own fsbase (its live thread.fsbase, in its lock record)
	 * is the pthread_t its creator was told; the exit record says it too
	 */
	for (i = 1; i < 3; i++) {
		ex = sync_find(&self->run, self->log, self->run.tids[i], RW_OP_ACQUIRE_LAZY, "m");
		ASSERT_NE(NULL, ex);
		EXPECT_EQ(self->run.fsbase[i], ex->fsbase);
		EXPECT_NE(self->run.fsbase[0], ex->fsbase);
		EXPECT_EQ((__u32)self->run.pid, ex->pid);
		ex = sync_find(&self->run, self->log, self->run.tids[i], RW_OP_THREAD_EXIT, NULL);
		ASSERT_NE(NULL, ex);
		EXPECT_EQ(self->run.fsbase[i], ex->fsbase);
	}
}

TEST_F(sync, fork_and_wait_child)
{
	ASSERT_EQ(0, sync_run_start(&self->run, variant->prog, "fork", NULL));
	ASSERT_EQ(0, sync_source__add_pid(self->src, self->run.pid));
	ASSERT_EQ(0, sync_run_go(&self->run));
	ASSERT_EQ(0, sync_run_go(&self->run));	/* the child's go */
	ASSERT_EQ(0, sync_run_wait(&self->run));
	ASSERT_LE(0, sync_source__consume(self->src));
	sync_run_index(&self->run, self->log);
	ASSERT_EQ(1, self->run.nkids);
	EXPECT_STREQ("fork P1, waitchild P1, exit", SEQ(0));
	EXPECT_EQ(1, sync_count_ended(self->log, self->run.pid));
	/* not following children: the child is not watched */
	EXPECT_EQ(0, sync_count_pid(self->log, self->run.kids[0]));
}

TEST_F(sync, exec_restarts_and_stays_traced)
{
	const struct rw_sync_event *ex;

	run_traced(_metadata, self, variant, "exec");
	/*
	 * m2 is the mutex of the image after exec (same libc: uprobes stay); a
	 * non-PIE image has it at the same address as before, named m then
	 */
	ASSERT_NE(0ULL, sync_run_addr(&self->run, "m2"));
	if (sync_run_addr(&self->run, "m2") == sync_run_addr(&self->run, "m")) {
		EXPECT_STREQ("acq~ m, rel m, exec, acq~ m, rel m, exit", SEQ(0));
	} else {
		EXPECT_STREQ("acq~ m, rel m, exec, acq~ m2, rel m2, exit", SEQ(0));
	}
	ex = sync_find(&self->run, self->log, self->run.pid, RW_OP_EXEC, NULL);
	ASSERT_NE(NULL, ex);
	EXPECT_EQ((__u64)self->run.pid, ex->arg);
}

TEST_F(sync, futex_wake_and_wait)
{
	ASSERT_EQ(0, sync_run_start(&self->run, variant->prog, "futex", NULL));
	self->run.futex = true;
	ASSERT_EQ(0, sync_source__add_pid(self->src, self->run.pid));
	ASSERT_EQ(0, sync_run_go(&self->run));
	ASSERT_EQ(0, sync_run_wait(&self->run));
	ASSERT_LE(0, sync_source__consume(self->src));
	sync_run_index(&self->run, self->log);
	ASSERT_EQ(2, self->run.ntids);
	EXPECT_STREQ("create T1, fwake fut, join~ T1, exit", SEQ(0));
	EXPECT_EQ(1, sync_count_ended(self->log, self->run.pid));
	EXPECT_STREQ("fwait fut, exit", SEQ(1));
}

/*
 * The target's threads hand over through pipes (T1 answers T0 through one):
 * a write to a pipe releases it, a read that returned data acquires it, and
 * both ends of one pipe have one key, the pipe's inode.
 */
TEST_F(sync, pipe_write_releases_read_acquires)
{
	const struct rw_sync_event *rel = NULL, *acq = NULL;
	int i, j;

	run_traced(_metadata, self, variant, "mutex");
	ASSERT_EQ(2, self->run.ntids);
	for (i = 0; i < self->log->n && !acq; i++) {
		rel = &self->log->ev[i];
		if (rel->tid != (__u32)self->run.tids[1] || rel->op != RW_OP_RELEASE ||
		    rel->prim != RW_PRIM_PIPE)
			continue;
		for (j = i + 1; j < self->log->n && !acq; j++) {
			const struct rw_sync_event *e = &self->log->ev[j];

			if (e->tid == (__u32)self->run.tids[0] && e->op == RW_OP_ACQUIRE &&
			    e->prim == RW_PRIM_PIPE && !memcmp(&e->obj, &rel->obj, sizeof(e->obj)))
				acq = e;
		}
	}
	ASSERT_NE(NULL, acq);
	EXPECT_EQ(RW_KEY_SHARED, (int)acq->obj.kind);
	EXPECT_NE(0ULL, acq->obj.id);
	EXPECT_EQ(0ULL, acq->obj.off);
	EXPECT_LT(rel->time_ns, acq->time_ns);
}

TEST_F(sync, threads_stay_traced_after_the_main_thread_exits)
{
	const struct rw_sync_event *ex = NULL;
	int i;

	ASSERT_EQ(0, sync_run_start(&self->run, variant->prog, "leader-exit", NULL));
	ASSERT_EQ(0, sync_source__add_pid(self->src, self->run.pid));
	ASSERT_EQ(0, sync_run_go(&self->run));
	/* wait until the source consumed the main thread's exit */
	for (i = 0; i < 100 && !ex; i++) {
		ASSERT_LE(0, sync_source__poll(self->src, 100));
		ex = sync_find(&self->run, self->log, self->run.pid, RW_OP_THREAD_EXIT, NULL);
	}
	ASSERT_NE(NULL, ex);
	EXPECT_EQ(0ULL, ex->arg);
	ASSERT_EQ(0, sync_run_go(&self->run));	/* the survivor's go */
	ASSERT_EQ(0, sync_run_wait(&self->run));
	ASSERT_LE(0, sync_source__consume(self->src));
	sync_run_index(&self->run, self->log);
	ASSERT_EQ(2, self->run.ntids);
	EXPECT_STREQ("create T1, exit", SEQ(0));
	EXPECT_STREQ("acq~ m, rel m, exit", SEQ(1));
	EXPECT_EQ(1, sync_count_ended(self->log, self->run.pid));
}

FIXTURE(sync_follow)
{
	struct sync_source *src;
	struct sync_log *log;
	struct sync_run run;
	char seq[4096];
};

FIXTURE_SETUP(sync_follow)
{
	if (geteuid())
		SKIP(return, "needs root (BPF, uprobes)");
	self->log = calloc(1, sizeof(*self->log));
	ASSERT_NE(NULL, self->log);
	self->src = sync_harness_source(self->log, true, 0);
	ASSERT_NE(NULL, self->src);
}

FIXTURE_TEARDOWN(sync_follow)
{
	sync_source__free(self->src);
	free(self->log);
}

TEST_F(sync_follow, child_is_watched_from_its_fork)
{
	const struct rw_sync_event *fk = NULL;
	pid_t kid;
	int i;

	ASSERT_EQ(0, sync_run_start(&self->run, "sync_target", "fork", NULL));
	ASSERT_EQ(0, sync_source__add_pid(self->src, self->run.pid));
	ASSERT_EQ(0, sync_run_go(&self->run));
	/* the child waits for its go until the source consumed the fork and attached */
	for (i = 0; i < 100 && !fk; i++) {
		ASSERT_LE(0, sync_source__poll(self->src, 100));
		fk = sync_find(&self->run, self->log, self->run.pid, RW_OP_FORK, NULL);
	}
	ASSERT_NE(NULL, fk);
	kid = fk->arg;
	EXPECT_TRUE(sync_source__watching(self->src, kid));
	ASSERT_EQ(0, sync_run_go(&self->run));
	ASSERT_EQ(0, sync_run_wait(&self->run));
	ASSERT_LE(0, sync_source__consume(self->src));
	sync_run_index(&self->run, self->log);
	EXPECT_STREQ("fork P1, waitchild P1, exit",
		     sync_seq(&self->run, self->log, self->run.pid, self->seq, sizeof(self->seq)));
	/* the child's own mutex key is its own (tgid, address) */
	EXPECT_STREQ("acq~ m, rel m, exit",
		     sync_seq(&self->run, self->log, kid, self->seq, sizeof(self->seq)));
	EXPECT_EQ(1, sync_count_ended(self->log, kid));
	EXPECT_EQ(1, sync_count_ended(self->log, self->run.pid));
	/* the child inherited the parent's thread pointer (fork copies the TLS) */
	EXPECT_EQ(self->run.fsbase[0], fk->arg2);
	/* its last thread exited: the source forgot it */
	EXPECT_FALSE(sync_source__watching(self->src, kid));
}

TEST_HARNESS_MAIN
