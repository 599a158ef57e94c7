// SPDX-License-Identifier: GPL-2.0
/*
 * Happens-before verdicts of the engine, one sync kind at a time: each test
 * writes a replay file by hand, replays it and checks what was reported.
 */
#include "kselftest_harness.h"
#include "engine_util.h"

#define MAIN	ST_PID
#define T1	4241u
#define T2	4242u
#define T3	4243u
#define VAR	0x555555558010ULL
#define M1	0x555555558040ULL
#define M2	0x555555558080ULL
#define OBJ	0x5555555580c0ULL

#define W	1
#define R	0

FIXTURE(hb) {
	struct stream s;
	struct collected c;
	struct rw_engine_stats st;
	char *out;
};

FIXTURE_SETUP(hb)
{
	ASSERT_EQ(0, stream_open(&self->s));
	memset(&self->c, 0, sizeof(self->c));
	self->out = NULL;
	stream_watch(&self->s, 1, VAR, 8, "counter");
}

FIXTURE_TEARDOWN(hb)
{
	collected_free(&self->c);
	free(self->out);
	stream_remove(&self->s);
}

static int replay(FIXTURE_DATA(hb) *self)
{
	return stream_replay(&self->s, &self->c, &self->out, &self->st);
}

/* main creates T1 and T2, which then run unordered */
static void two_threads(struct stream *s)
{
	stream_create(s, MAIN, T1);
	stream_create(s, MAIN, T2);
}

TEST_F(hb, write_write_is_a_race)
{
	two_threads(&self->s);
	stream_access(&self->s, T1, 1, VAR, W, 1);
	stream_access(&self->s, T2, 1, VAR, W, 2);
	ASSERT_EQ(1, replay(self));
	ASSERT_EQ(1, self->c.n);
	EXPECT_EQ(T2, self->c.info[0].cur_tid);
	EXPECT_EQ(T1, self->c.info[0].prev_tid);
	EXPECT_TRUE(self->c.info[0].cur_write);
	EXPECT_TRUE(self->c.info[0].prev_write);
	EXPECT_NE(NULL, strstr(self->out, "==================\nWARNING: DATA RACE\n"
			       "Write at 0x555555558010 (counter, 8 bytes) by thread 4242 "
			       "in process 4240 (t4242):\n  #0 ?? (0x40101f)\n\n"
			       "Previous write at 0x555555558010 by thread 4241 in process 4240 "
			       "(t4241):\n  #0 ?? (0x40100f)\n\nLocks held: none / none\n"
			       "==================\n"));
	EXPECT_NE(NULL, strstr(self->out, "racewatch: 1 data race reported "
			       "(counter: 2 threads, 1 location)\n"));
}

TEST_F(hb, read_then_write_is_a_race)
{
	two_threads(&self->s);
	stream_access(&self->s, T1, 1, VAR, R, 1);
	stream_access(&self->s, T2, 1, VAR, W, 2);
	ASSERT_EQ(1, replay(self));
	EXPECT_TRUE(self->c.info[0].cur_write);
	EXPECT_FALSE(self->c.info[0].prev_write);
	EXPECT_NE(NULL, strstr(self->out, "Previous read at 0x555555558010 by thread 4241"));
}

TEST_F(hb, write_then_read_is_a_race)
{
	two_threads(&self->s);
	stream_access(&self->s, T1, 1, VAR, W, 1);
	stream_access(&self->s, T2, 1, VAR, R, 2);
	ASSERT_EQ(1, replay(self));
	EXPECT_FALSE(self->c.info[0].cur_write);
	EXPECT_TRUE(self->c.info[0].prev_write);
	EXPECT_NE(NULL, strstr(self->out, "Read at 0x555555558010 (counter, 8 bytes) by thread 4242"));
}

TEST_F(hb, read_read_is_not_a_race)
{
	two_threads(&self->s);
	stream_access(&self->s, T1, 1, VAR, R, 1);
	stream_access(&self->s, T2, 1, VAR, R, 2);
	stream_access(&self->s, T1, 1, VAR, R, 1);
	stream_access(&self->s, MAIN, 1, VAR, R, 3);
	ASSERT_EQ(0, replay(self));
	EXPECT_EQ(0, self->c.n);
	EXPECT_STREQ("racewatch: 0 data races reported\n", self->out);
}

TEST_F(hb, same_thread_is_not_a_race)
{
	two_threads(&self->s);
	stream_access(&self->s, T1, 1, VAR, W, 1);
	stream_access(&self->s, T1, 1, VAR, R, 2);
	stream_access(&self->s, T1, 1, VAR, W, 3);
	ASSERT_EQ(0, replay(self));
	EXPECT_EQ(3ULL, self->st.accesses);
}

TEST_F(hb, create_orders_parent_before_child)
{
	stream_access(&self->s, MAIN, 1, VAR, W, 1);
	stream_create(&self->s, MAIN, T1);
	stream_access(&self->s, T1, 1, VAR, W, 2);
	ASSERT_EQ(0, replay(self));
}

TEST_F(hb, parent_after_create_races_with_child)
{
	stream_create(&self->s, MAIN, T1);
	stream_access(&self->s, T1, 1, VAR, W, 2);
	stream_access(&self->s, MAIN, 1, VAR, W, 1);
	ASSERT_EQ(1, replay(self));
}

static void locked_write(struct stream *s, __u32 tid, __u64 m, int site)
{
	stream_sync(s, tid, RW_OP_ACQUIRE_LAZY, RW_PRIM_MUTEX, m);
	stream_access(s, tid, 1, VAR, W, site);
	stream_sync(s, tid, RW_OP_RELEASE, RW_PRIM_MUTEX, m);
}

TEST_F(hb, mutex_orders)
{
	two_threads(&self->s);
	locked_write(&self->s, T1, M1, 1);
	locked_write(&self->s, T2, M1, 2);
	locked_write(&self->s, T1, M1, 1);
	ASSERT_EQ(0, replay(self));
}

TEST_F(hb, blocked_lock_is_acquired_at_the_next_event)
{
	two_threads(&self->s);
	stream_sync(&self->s, T1, RW_OP_ACQUIRE_LAZY, RW_PRIM_MUTEX, M1);
	stream_access(&self->s, T1, 1, VAR, W, 1);
	/* T2 blocks in pthread_mutex_lock while T1 holds it */
	stream_sync(&self->s, T2, RW_OP_ACQUIRE_LAZY, RW_PRIM_MUTEX, M1);
	stream_sync(&self->s, T1, RW_OP_RELEASE, RW_PRIM_MUTEX, M1);
	stream_access(&self->s, T2, 1, VAR, W, 2);
	ASSERT_EQ(0, replay(self));
}

/*
 * T2 sleeps in pthread_mutex_lock, is woken by T1's unlock (futex wake/wait),
 * loses the lock to T1 coming round again, and takes it only after T1's
 * second unlock, without sleeping again. The futex wait happened inside the
 * lock call: it must not count as the call's return.
 */
TEST_F(hb, futex_wakeup_inside_a_blocked_lock_is_not_its_return)
{
	two_threads(&self->s);
	stream_sync(&self->s, T1, RW_OP_ACQUIRE_LAZY, RW_PRIM_MUTEX, M1);
	stream_access(&self->s, T1, 1, VAR, W, 1);
	stream_sync(&self->s, T2, RW_OP_ACQUIRE_LAZY, RW_PRIM_MUTEX, M1);
	stream_sync(&self->s, T1, RW_OP_RELEASE, RW_PRIM_MUTEX, M1);
	stream_sync(&self->s, T1, RW_OP_FUTEX_WAKE, RW_PRIM_FUTEX, M1);
	stream_sync(&self->s, T2, RW_OP_FUTEX_WAIT, RW_PRIM_FUTEX, M1);
	locked_write(&self->s, T1, M1, 1);
	stream_access(&self->s, T2, 1, VAR, W, 2);
	stream_sync(&self->s, T2, RW_OP_RELEASE, RW_PRIM_MUTEX, M1);
	ASSERT_EQ(0, replay(self));
}

/* FUTEX_WAKE_OP releases both futexes: a waiter on the second is ordered. */
TEST_F(hb, futex_wake_op_releases_its_second_futex)
{
	struct rw_key k1 = key_private(ST_PID, M1), k2 = key_private(ST_PID, M2);

	two_threads(&self->s);
	stream_access(&self->s, T1, 1, VAR, W, 1);
	stream_sync_full(&self->s, ST_PID, T1, RW_OP_FUTEX_WAKE, RW_PRIM_FUTEX, k1, k2, 0, 0,
			 RW_SYNC_F_WAKE_OP);
	stream_sync(&self->s, T2, RW_OP_FUTEX_WAIT, RW_PRIM_FUTEX, M2);
	stream_access(&self->s, T2, 1, VAR, W, 2);
	ASSERT_EQ(0, replay(self));
}

TEST_F(hb, trylock_orders)
{
	two_threads(&self->s);
	stream_sync(&self->s, T1, RW_OP_ACQUIRE, RW_PRIM_MUTEX, M1);
	stream_access(&self->s, T1, 1, VAR, W, 1);
	stream_sync(&self->s, T1, RW_OP_RELEASE, RW_PRIM_MUTEX, M1);
	stream_sync(&self->s, T2, RW_OP_ACQUIRE, RW_PRIM_MUTEX, M1);
	stream_access(&self->s, T2, 1, VAR, W, 2);
	ASSERT_EQ(0, replay(self));
}

TEST_F(hb, unlocked_access_races_with_locked_one)
{
	two_threads(&self->s);
	locked_write(&self->s, T1, M1, 1);
	stream_access(&self->s, T2, 1, VAR, W, 2);
	ASSERT_EQ(1, replay(self));
	EXPECT_NE(NULL, strstr(self->out, "Locks held: none / mutex (0x555555558040)\n"));
}

TEST_F(hb, different_locks_race_and_both_are_reported)
{
	two_threads(&self->s);
	locked_write(&self->s, T1, M1, 1);
	locked_write(&self->s, T2, M2, 2);
	ASSERT_EQ(1, replay(self));
	EXPECT_NE(NULL, strstr(self->out,
			       "Locks held: mutex (0x555555558080) / mutex (0x555555558040)\n"));
}

TEST_F(hb, recursive_mutex_inner_release_does_not_order)
{
	two_threads(&self->s);
	stream_op(&self->s, ST_PID, T1, RW_OP_ACQUIRE_LAZY, RW_PRIM_MUTEX, M1, 0, 0,
		  RW_SYNC_F_RECURSIVE);
	stream_op(&self->s, ST_PID, T1, RW_OP_ACQUIRE, RW_PRIM_MUTEX, M1, 0, 0,
		  RW_SYNC_F_RECURSIVE);
	stream_op(&self->s, ST_PID, T1, RW_OP_RELEASE, RW_PRIM_MUTEX, M1, 0, 0,
		  RW_SYNC_F_RECURSIVE);
	/* still held once: this write is not published by the inner unlock */
	stream_access(&self->s, T1, 1, VAR, W, 1);
	stream_sync(&self->s, T2, RW_OP_ACQUIRE, RW_PRIM_MUTEX, M1);
	stream_access(&self->s, T2, 1, VAR, W, 2);
	ASSERT_EQ(1, replay(self));
}

TEST_F(hb, semaphore_orders)
{
	two_threads(&self->s);
	stream_access(&self->s, T1, 1, VAR, W, 1);
	stream_sync(&self->s, T1, RW_OP_RELEASE, RW_PRIM_SEM, OBJ);
	stream_sync(&self->s, T2, RW_OP_ACQUIRE_LAZY, RW_PRIM_SEM, OBJ);
	stream_access(&self->s, T2, 1, VAR, W, 2);
	ASSERT_EQ(0, replay(self));
}

TEST_F(hb, another_semaphore_does_not_order)
{
	two_threads(&self->s);
	stream_access(&self->s, T1, 1, VAR, W, 1);
	stream_sync(&self->s, T1, RW_OP_RELEASE, RW_PRIM_SEM, OBJ);
	stream_sync(&self->s, T2, RW_OP_ACQUIRE_LAZY, RW_PRIM_SEM, OBJ + 0x40);
	stream_access(&self->s, T2, 1, VAR, W, 2);
	ASSERT_EQ(1, replay(self));
}

/* T2 waits on the condvar under M1; T1 sets VAR under M1 and signals. */
static void cond_handoff(struct stream *s, bool signal)
{
	stream_sync(s, T2, RW_OP_ACQUIRE_LAZY, RW_PRIM_MUTEX, M1);
	stream_sync_full(s, ST_PID, T2, RW_OP_COND_WAIT, RW_PRIM_COND, key_private(ST_PID, OBJ),
			 key_private(ST_PID, M1), 0, 0, 0);
	stream_sync(s, T1, RW_OP_ACQUIRE_LAZY, RW_PRIM_MUTEX, M2);
	stream_access(s, T1, 1, VAR, W, 1);
	if (signal)
		stream_sync(s, T1, RW_OP_RELEASE, RW_PRIM_COND, OBJ);
	stream_sync(s, T1, RW_OP_RELEASE, RW_PRIM_MUTEX, M2);
	stream_access(s, T2, 1, VAR, R, 2);
}

TEST_F(hb, condvar_signal_orders)
{
	two_threads(&self->s);
	cond_handoff(&self->s, true);
	ASSERT_EQ(0, replay(self));
}

TEST_F(hb, condvar_without_signal_does_not_order)
{
	two_threads(&self->s);
	cond_handoff(&self->s, false);
	ASSERT_EQ(1, replay(self));
}

TEST_F(hb, condvar_wait_releases_the_mutex)
{
	two_threads(&self->s);
	stream_sync(&self->s, T2, RW_OP_ACQUIRE_LAZY, RW_PRIM_MUTEX, M1);
	stream_access(&self->s, T2, 1, VAR, W, 2);
	stream_sync_full(&self->s, ST_PID, T2, RW_OP_COND_WAIT, RW_PRIM_COND,
			 key_private(ST_PID, OBJ), key_private(ST_PID, M1), 0, 0, 0);
	/* T1 takes the mutex cond_wait released and sees T2's write */
	stream_sync(&self->s, T1, RW_OP_ACQUIRE_LAZY, RW_PRIM_MUTEX, M1);
	stream_access(&self->s, T1, 1, VAR, R, 1);
	ASSERT_EQ(0, replay(self));
}

/* @tid arrives at the barrier at OBJ, which counts @count threads a round (0: unknown) */
static void barrier_wait(struct stream *s, __u32 tid, __u32 count)
{
	stream_op(s, ST_PID, tid, RW_OP_BARRIER, RW_PRIM_BARRIER, OBJ, count, 0, 0);
}

static void barrier_handoff(struct stream *s, __u32 count)
{
	two_threads(s);
	stream_access(s, T1, 1, VAR, W, 1);
	barrier_wait(s, T1, count);
	barrier_wait(s, T2, count);
	stream_access(s, T2, 1, VAR, R, 2);
	stream_access(s, T1, 1, VAR, R, 1);
}

TEST_F(hb, barrier_orders)
{
	barrier_handoff(&self->s, 2);
	ASSERT_EQ(0, replay(self));
}

TEST_F(hb, barrier_of_unknown_count_orders)
{
	barrier_handoff(&self->s, 0);
	ASSERT_EQ(0, replay(self));
}

TEST_F(hb, access_before_barrier_races)
{
	two_threads(&self->s);
	stream_access(&self->s, T1, 1, VAR, W, 1);
	barrier_wait(&self->s, T1, 2);
	stream_access(&self->s, T2, 1, VAR, R, 2);
	barrier_wait(&self->s, T2, 2);
	ASSERT_EQ(1, replay(self));
}

/*
 * Both threads write in the same phase. T1 leaves round 0 at once, writes
 * and arrives at round 1 before the slower T2 has run anything after round
 * 0 (so T2's lazy departure is applied only at its write): T2 must learn
 * round 0's arrivals, not T1's round-1 arrival that carries the write.
 */
TEST_F(hb, barrier_departure_does_not_learn_the_next_round)
{
	two_threads(&self->s);
	barrier_wait(&self->s, T1, 2);
	barrier_wait(&self->s, T2, 2);
	stream_access(&self->s, T1, 1, VAR, W, 1);
	barrier_wait(&self->s, T1, 2);
	stream_access(&self->s, T2, 1, VAR, W, 2);
	barrier_wait(&self->s, T2, 2);
	/* round 1 is complete: both writes are ordered before what follows it */
	stream_access(&self->s, T1, 1, VAR, R, 3);
	ASSERT_EQ(1, replay(self));
	EXPECT_EQ(T2, self->c.info[0].cur_tid);
	EXPECT_EQ(1ULL, self->st.race_events);
}

TEST_F(hb, once_orders)
{
	two_threads(&self->s);
	stream_access(&self->s, T1, 1, VAR, W, 1);	/* inside the init routine */
	stream_sync(&self->s, T1, RW_OP_ONCE_DONE, RW_PRIM_ONCE, OBJ);
	stream_sync(&self->s, T2, RW_OP_ONCE_DONE, RW_PRIM_ONCE, OBJ);
	stream_access(&self->s, T2, 1, VAR, R, 2);
	ASSERT_EQ(0, replay(self));
}

TEST_F(hb, futex_wake_wait_orders)
{
	two_threads(&self->s);
	stream_access(&self->s, T1, 1, VAR, W, 1);
	stream_sync(&self->s, T1, RW_OP_FUTEX_WAKE, RW_PRIM_FUTEX, OBJ);
	stream_sync(&self->s, T2, RW_OP_FUTEX_WAIT, RW_PRIM_FUTEX, OBJ);
	stream_access(&self->s, T2, 1, VAR, W, 2);
	ASSERT_EQ(0, replay(self));
}

TEST_F(hb, rwlock_writer_is_ordered_after_readers)
{
	stream_create(&self->s, MAIN, T1);
	stream_create(&self->s, MAIN, T2);
	stream_create(&self->s, MAIN, T3);
	stream_sync(&self->s, T1, RW_OP_RD_ACQUIRE_LAZY, RW_PRIM_RWLOCK, OBJ);
	stream_access(&self->s, T1, 1, VAR, R, 1);
	stream_sync(&self->s, T2, RW_OP_RD_ACQUIRE_LAZY, RW_PRIM_RWLOCK, OBJ);
	stream_access(&self->s, T2, 1, VAR, R, 2);
	stream_sync(&self->s, T1, RW_OP_RW_RELEASE, RW_PRIM_RWLOCK, OBJ);
	stream_sync(&self->s, T2, RW_OP_RW_RELEASE, RW_PRIM_RWLOCK, OBJ);
	stream_sync(&self->s, T3, RW_OP_ACQUIRE_LAZY, RW_PRIM_RWLOCK, OBJ);
	stream_access(&self->s, T3, 1, VAR, W, 3);
	stream_sync(&self->s, T3, RW_OP_RW_RELEASE, RW_PRIM_RWLOCK, OBJ);
	/* a reader after the writer sees its write */
	stream_sync(&self->s, T1, RW_OP_RD_ACQUIRE, RW_PRIM_RWLOCK, OBJ);
	stream_access(&self->s, T1, 1, VAR, R, 1);
	ASSERT_EQ(0, replay(self));
}

TEST_F(hb, rwlock_readers_do_not_order_each_other)
{
	two_threads(&self->s);
	/* writing under a read lock: the two readers are not ordered */
	stream_sync(&self->s, T1, RW_OP_RD_ACQUIRE_LAZY, RW_PRIM_RWLOCK, OBJ);
	stream_access(&self->s, T1, 1, VAR, W, 1);
	stream_sync(&self->s, T1, RW_OP_RW_RELEASE, RW_PRIM_RWLOCK, OBJ);
	stream_sync(&self->s, T2, RW_OP_RD_ACQUIRE_LAZY, RW_PRIM_RWLOCK, OBJ);
	stream_access(&self->s, T2, 1, VAR, W, 2);
	stream_sync(&self->s, T2, RW_OP_RW_RELEASE, RW_PRIM_RWLOCK, OBJ);
	ASSERT_EQ(1, replay(self));
	EXPECT_NE(NULL, strstr(self->out, "Locks held: read rwlock (0x5555555580c0) / "
			       "read rwlock (0x5555555580c0)\n"));
}

static void join_of(struct stream *s, __u32 joined_tid)
{
	stream_op(s, ST_PID, MAIN, RW_OP_JOIN_LAZY, RW_PRIM_THREAD, 0, ST_FSBASE(joined_tid), 0, 0);
}

TEST_F(hb, join_orders_through_pthread_t)
{
	two_threads(&self->s);
	stream_access(&self->s, T1, 1, VAR, W, 1);
	join_of(&self->s, T1);
	stream_exit(&self->s, ST_PID, T1, 0);
	stream_access(&self->s, MAIN, 1, VAR, R, 3);
	ASSERT_EQ(0, replay(self));
	EXPECT_EQ(0ULL, self->st.unresolved_joins);
}

TEST_F(hb, join_orders_before_the_exit_event_arrives)
{
	/* the kernel wakes the joiner before the joined thread's exit tracepoint */
	two_threads(&self->s);
	stream_access(&self->s, T1, 1, VAR, W, 1);
	join_of(&self->s, T1);
	stream_access(&self->s, MAIN, 1, VAR, R, 3);
	stream_exit(&self->s, ST_PID, T1, 0);
	ASSERT_EQ(0, replay(self));
	EXPECT_EQ(0ULL, self->st.unresolved_joins);
}

TEST_F(hb, join_of_a_reused_pthread_t_finds_the_new_thread)
{
	two_threads(&self->s);
	join_of(&self->s, T1);
	stream_exit(&self->s, ST_PID, T1, 0);
	stream_access(&self->s, MAIN, 1, VAR, W, 3);
	/* glibc gives T1's stack, so its pthread_t, to T3 */
	self->s.fs_tid = T3;
	self->s.fs_val = ST_FSBASE(T1);
	stream_create(&self->s, MAIN, T3);
	stream_access(&self->s, T3, 1, VAR, W, 1);
	join_of(&self->s, T1);
	stream_access(&self->s, MAIN, 1, VAR, R, 3);
	stream_exit(&self->s, ST_PID, T3, 0);
	ASSERT_EQ(0, replay(self));
}

/*
 * T1's exit record arrives late (after T3, which reused its pthread_t, was
 * created, ran and exited): the second join is of T3, the newest thread
 * with that pthread_t, not of T1 still live in the detector. Seen in the VM
 * (corpus.ok_cxx_thread_join, intermittent).
 */
TEST_F(hb, join_takes_the_newest_thread_with_a_reused_pthread_t)
{
	stream_create(&self->s, MAIN, T1);
	stream_access(&self->s, T1, 1, VAR, W, 1);
	join_of(&self->s, T1);
	stream_access(&self->s, MAIN, 1, VAR, R, 3);
	self->s.fs_tid = T3;
	self->s.fs_val = ST_FSBASE(T1);
	stream_create(&self->s, MAIN, T3);
	stream_access(&self->s, T3, 1, VAR, W, 2);
	stream_exit(&self->s, ST_PID, T3, 0);
	join_of(&self->s, T1);
	stream_access(&self->s, MAIN, 1, VAR, R, 3);
	stream_exit(&self->s, ST_PID, T1, 0);
	ASSERT_EQ(0, replay(self));
	EXPECT_EQ(0ULL, self->st.unresolved_joins);
}

TEST_F(hb, joining_another_thread_does_not_order)
{
	two_threads(&self->s);
	stream_access(&self->s, T1, 1, VAR, W, 1);
	stream_exit(&self->s, ST_PID, T1, 0);
	stream_exit(&self->s, ST_PID, T2, 0);
	join_of(&self->s, T2);
	stream_access(&self->s, MAIN, 1, VAR, R, 3);
	ASSERT_EQ(1, replay(self));
}

TEST_F(hb, reused_tid_is_a_new_thread)
{
	stream_create(&self->s, MAIN, T1);
	stream_access(&self->s, T1, 1, VAR, W, 1);
	stream_exit(&self->s, ST_PID, T1, 0);
	/* never joined; the kernel hands the same tid to the next thread */
	stream_create(&self->s, MAIN, T1);
	stream_access(&self->s, T1, 1, VAR, W, 2);
	ASSERT_EQ(1, replay(self));
}

#define CHILD	5000u
#define SHM_P	0x7ffff7fc0010ULL
#define SHM_C	0x7ffff7fb0010ULL

/* One shared-memory field watched in the parent and in its forked child. */
static void fork_child_writes(struct stream *s, bool wait)
{
	struct rw_key shm = { .kind = RW_KEY_SHARED, .dev = 0x16, .id = 1234, .off = 16 };

	stream_watch_key(s, 2, ST_PID, SHM_P, 8, "shm:/seg+16", shm);
	stream_watch_key(s, 3, CHILD, SHM_C, 8, "shm:/seg+16", shm);
	stream_access_pid(s, ST_PID, MAIN, 2, SHM_P, W, ST_IP(1), 0, NULL);
	stream_op(s, ST_PID, MAIN, RW_OP_FORK, RW_PRIM_PROCESS, 0, CHILD, ST_FSBASE(MAIN), 0);
	stream_access_pid(s, CHILD, CHILD, 3, SHM_C, W, ST_IP(2), 0, NULL);
	stream_exit(s, CHILD, CHILD, 1);
	if (wait)
		stream_op(s, ST_PID, MAIN, RW_OP_WAIT_CHILD, RW_PRIM_PROCESS, 0, CHILD, 0, 0);
	stream_access_pid(s, ST_PID, MAIN, 2, SHM_P, R, ST_IP(3), 0, NULL);
}

TEST_F(hb, fork_and_wait_order_across_processes)
{
	fork_child_writes(&self->s, true);
	ASSERT_EQ(0, replay(self));
	EXPECT_EQ(0ULL, self->st.unresolved_joins);
}

TEST_F(hb, shared_field_without_wait_races_across_processes)
{
	fork_child_writes(&self->s, false);
	ASSERT_EQ(1, replay(self));
	EXPECT_NE(NULL, strstr(self->out, "Read at 0x7ffff7fc0010 (shm:/seg+16, 8 bytes) by "
			       "thread 4240 in process 4240"));
	EXPECT_NE(NULL, strstr(self->out, "Previous write at 0x7ffff7fb0010 by thread 5000 in "
			       "process 5000"));
	EXPECT_NE(NULL, strstr(self->out, "(shm:/seg+16: 2 threads, 1 location)\n"));
}

TEST_F(hb, exited_process_private_state_is_reclaimed)
{
	struct rw_key shm = { .kind = RW_KEY_SHARED, .dev = 0x16, .id = 1234, .off = 64 };
	struct rw_key none = {};

	two_threads(&self->s);
	locked_write(&self->s, T1, M1, 1);
	locked_write(&self->s, T2, M2, 2);
	stream_sync_full(&self->s, ST_PID, T1, RW_OP_RELEASE, RW_PRIM_SEM, shm, none, 0, 0, 0);
	stream_exit(&self->s, ST_PID, T1, 0);
	stream_exit(&self->s, ST_PID, T2, 0);
	stream_exit(&self->s, ST_PID, MAIN, 1);
	ASSERT_EQ(1, replay(self));
	/* M1 and M2 went with the process; the shared semaphore may be used elsewhere */
	EXPECT_EQ(1ULL, self->st.sync_objects);
}

TEST_F(hb, exec_forgets_private_sync_objects)
{
	locked_write(&self->s, MAIN, M1, 1);
	stream_sync(&self->s, MAIN, RW_OP_RELEASE, RW_PRIM_SEM, OBJ);
	stream_op(&self->s, ST_PID, MAIN, RW_OP_EXEC, RW_PRIM_PROCESS, 0, 0, 0, 0);
	ASSERT_EQ(0, replay(self));
	EXPECT_EQ(0ULL, self->st.sync_objects);
}

TEST_F(hb, wait_for_unknown_child_is_counted)
{
	stream_op(&self->s, ST_PID, MAIN, RW_OP_WAIT_CHILD, RW_PRIM_PROCESS, 0, CHILD + 1, 0, 0);
	ASSERT_EQ(0, replay(self));
	EXPECT_EQ(1ULL, self->st.unresolved_joins);
}

TEST_F(hb, three_thread_chain_orders)
{
	stream_create(&self->s, MAIN, T1);
	stream_create(&self->s, MAIN, T2);
	stream_create(&self->s, MAIN, T3);
	stream_access(&self->s, T1, 1, VAR, W, 1);
	stream_sync(&self->s, T1, RW_OP_RELEASE, RW_PRIM_SEM, M1);
	stream_sync(&self->s, T2, RW_OP_ACQUIRE_LAZY, RW_PRIM_SEM, M1);
	stream_sync(&self->s, T2, RW_OP_RELEASE, RW_PRIM_SEM, M2);
	stream_sync(&self->s, T3, RW_OP_ACQUIRE_LAZY, RW_PRIM_SEM, M2);
	stream_access(&self->s, T3, 1, VAR, W, 3);
	ASSERT_EQ(0, replay(self));
}

TEST_F(hb, broken_chain_races)
{
	stream_create(&self->s, MAIN, T1);
	stream_create(&self->s, MAIN, T2);
	stream_create(&self->s, MAIN, T3);
	stream_access(&self->s, T1, 1, VAR, W, 1);
	stream_sync(&self->s, T1, RW_OP_RELEASE, RW_PRIM_SEM, M1);
	stream_sync(&self->s, T2, RW_OP_ACQUIRE_LAZY, RW_PRIM_SEM, M1);
	/* T2 posts before its wait returned: no edge from T1 reaches T3 */
	stream_sync(&self->s, T2, RW_OP_RELEASE, RW_PRIM_SEM, OBJ);
	stream_sync(&self->s, T3, RW_OP_ACQUIRE_LAZY, RW_PRIM_SEM, M2);
	stream_access(&self->s, T3, 1, VAR, W, 3);
	ASSERT_EQ(1, replay(self));
	EXPECT_EQ(T3, self->c.info[0].cur_tid);
	EXPECT_EQ(T1, self->c.info[0].prev_tid);
}

TEST_F(hb, dedup_counts_repeats)
{
	int i;

	two_threads(&self->s);
	for (i = 0; i < 5; i++) {
		stream_access(&self->s, T1, 1, VAR, W, 1);
		stream_access(&self->s, T2, 1, VAR, W, 2);
	}
	/* another pair of threads at the same code is the same report */
	stream_create(&self->s, MAIN, T3);
	stream_access(&self->s, T3, 1, VAR, W, 1);
	ASSERT_EQ(1, replay(self));
	EXPECT_EQ(1, self->c.n);
	EXPECT_EQ(1ULL, self->st.races);
	EXPECT_EQ(11ULL, self->st.race_events);
	EXPECT_NE(NULL, strstr(self->out, "racewatch: 11 racing access pairs in all"));
	EXPECT_NE(NULL, strstr(self->out, "racewatch: 1 data race reported "
			       "(counter: 3 threads, 1 location)\n"));
}

/* T1 writes at 1, T2 reads at 2 (the increment's load) and writes at 3 */
static void increment_pairs(struct stream *s)
{
	two_threads(s);
	stream_access(s, T1, 1, VAR, W, 1);
	stream_access(s, T2, 1, VAR, R, 2);	/* R2 x W1: report 1 */
	stream_access(s, T2, 1, VAR, W, 3);	/* W3 x W1 */
	stream_access(s, T1, 1, VAR, R, 4);	/* R4 x W3 */
	stream_access(s, T2, 1, VAR, R, 2);	/* R2 x W1 again */
	stream_access(s, T1, 1, VAR, W, 1);	/* W1 x W3 (the other way), W1 x R2 */
}

TEST_F(hb, races_sharing_a_code_location_are_one_report)
{
	increment_pairs(&self->s);
	/* W3 x W1 folds into report 1 (shares W1); R4 x W3 shares nothing with it */
	ASSERT_EQ(2, replay(self));
	EXPECT_EQ(6ULL, self->st.race_events);
}

TEST_F(hb, every_code_pair_on_request)
{
	increment_pairs(&self->s);
	/* (W1, R2), (W1, W3) and (R4, W3); the order inside a pair does not matter */
	ASSERT_EQ(3, stream_replay_opts(&self->s, &self->c, &self->out, &self->st,
					RW_FORMAT_TEXT, true));
	EXPECT_EQ(6ULL, self->st.race_events);
}

TEST_F(hb, unknown_watch_is_counted)
{
	two_threads(&self->s);
	stream_access(&self->s, T1, 9, VAR, W, 1);
	stream_access(&self->s, T2, 9, VAR, W, 2);
	ASSERT_EQ(0, replay(self));
	EXPECT_EQ(2ULL, self->st.unknown_watch);
}

TEST_HARNESS_MAIN
