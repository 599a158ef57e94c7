// SPDX-License-Identifier: GPL-2.0
/*
 * The live engine: records pushed out of order (two rings read apart) are
 * put back in time order within the reorder window; what comes later than
 * the window is counted; drain() lets records go by the clock; a recorded
 * run replays to the same output; limits are honoured and counted.
 */
#include "kselftest_harness.h"
#include "engine_util.h"

#define T1	4241u
#define T2	4242u
#define T3	4243u
#define VAR	0x555555558010ULL
#define M1	0x555555558040ULL
#define MS	1000000ULL
#define T0	(5000 * MS)

FIXTURE(live) {
	struct collected c;
	struct rw_engine *e;
	char *out;
	size_t len;
	FILE *mem;
};

FIXTURE_SETUP(live)
{
	memset(&self->c, 0, sizeof(self->c));
	self->e = NULL;
	self->out = NULL;
	self->mem = open_memstream(&self->out, &self->len);
	ASSERT_NE(NULL, self->mem);
}

FIXTURE_TEARDOWN(live)
{
	rw_engine__free(self->e);
	fclose(self->mem);
	free(self->out);
	collected_free(&self->c);
}

static struct rw_engine *new_engine(FIXTURE_DATA(live) *self, __u64 window, const char *rec)
{
	struct rw_engine_opts o = {
		.sz = sizeof(o), .out = self->mem, .reorder_ns = window, .record_path = rec,
		.on_report = collect_report, .ctx = &self->c,
	};
	struct rw_watch_desc w = {
		.sz = sizeof(w), .id = 1, .pid = ST_PID, .addr = VAR, .len = 8, .name = "counter",
	};
	struct rw_engine *e = rw_engine__new(&o);

	if (e && rw_engine__add_watch(e, &w)) {
		rw_engine__free(e);
		return NULL;
	}
	return e;
}

/*
 * A mutex hand-off from T1 to T2, pushed the way two rings deliver it:
 * every sync event first, then the accesses.
 */
static int push_handoff(struct rw_engine *e)
{
	struct rw_sync_event s[5];
	struct racewatch_access a[2];
	int i, err = 0;

	rec_sync(&s[0], T0 + 10, ST_PID, RW_OP_THREAD_CREATE, RW_PRIM_THREAD, 0, T1, ST_FSBASE(T1));
	rec_sync(&s[1], T0 + 20, ST_PID, RW_OP_THREAD_CREATE, RW_PRIM_THREAD, 0, T2, ST_FSBASE(T2));
	rec_sync(&s[2], T0 + 100, T1, RW_OP_ACQUIRE_LAZY, RW_PRIM_MUTEX, M1, 0, 0);
	rec_access(&a[0], T0 + 200, T1, 1, VAR, 1, 1);
	rec_sync(&s[3], T0 + 300, T1, RW_OP_RELEASE, RW_PRIM_MUTEX, M1, 0, 0);
	rec_sync(&s[4], T0 + 400, T2, RW_OP_ACQUIRE_LAZY, RW_PRIM_MUTEX, M1, 0, 0);
	rec_access(&a[1], T0 + 500, T2, 1, VAR, 1, 2);
	for (i = 0; i < 5 && !err; i++)
		err = rw_engine__push(e, &s[i], sizeof(s[i]));
	for (i = 0; i < 2 && !err; i++)
		err = rw_engine__push(e, &a[i], sizeof(a[i]));
	return err;
}

TEST_F(live, window_restores_time_order)
{
	struct rw_engine_stats st;

	self->e = new_engine(self, MS, NULL);
	ASSERT_NE(NULL, self->e);
	ASSERT_EQ(0, push_handoff(self->e));
	ASSERT_EQ(0, rw_engine__finish(self->e));
	rw_engine__stats(self->e, &st);
	EXPECT_EQ(0ULL, rw_engine__races(self->e));
	EXPECT_EQ(0ULL, st.late);
	EXPECT_EQ(2ULL, st.accesses);
	EXPECT_EQ(5ULL, st.syncs);
}

TEST_F(live, records_later_than_the_window_are_counted)
{
	struct rw_engine_stats st;

	/* a 1 ns window: the access ring's records come too late */
	self->e = new_engine(self, 1, NULL);
	ASSERT_NE(NULL, self->e);
	ASSERT_EQ(0, push_handoff(self->e));
	ASSERT_EQ(0, rw_engine__finish(self->e));
	rw_engine__stats(self->e, &st);
	EXPECT_EQ(1ULL, st.late);
	/* T1's write applied after its release: the hand-off is lost, and said so */
	EXPECT_EQ(1ULL, rw_engine__races(self->e));
	fflush(self->mem);
	EXPECT_NE(NULL, strstr(self->out, "racewatch: warning: 1 records arrived after the "
			       "reorder window\n"));
}

TEST_F(live, drain_lets_records_go_by_the_clock)
{
	struct racewatch_access a[2];
	struct rw_sync_event s[2];

	self->e = new_engine(self, MS, NULL);
	ASSERT_NE(NULL, self->e);
	rec_sync(&s[0], T0 + 10, ST_PID, RW_OP_THREAD_CREATE, RW_PRIM_THREAD, 0, T1, ST_FSBASE(T1));
	rec_sync(&s[1], T0 + 20, ST_PID, RW_OP_THREAD_CREATE, RW_PRIM_THREAD, 0, T2, ST_FSBASE(T2));
	rec_access(&a[0], T0 + 100, T1, 1, VAR, 1, 1);
	rec_access(&a[1], T0 + 200, T2, 1, VAR, 1, 2);
	ASSERT_EQ(0, rw_engine__push(self->e, &s[0], sizeof(s[0])));
	ASSERT_EQ(0, rw_engine__push(self->e, &s[1], sizeof(s[1])));
	ASSERT_EQ(0, rw_engine__push(self->e, &a[0], sizeof(a[0])));
	ASSERT_EQ(0, rw_engine__push(self->e, &a[1], sizeof(a[1])));
	ASSERT_EQ(0, rw_engine__drain(self->e, T0 + MS / 2));
	EXPECT_EQ(0, self->c.n);	/* still inside the window */
	ASSERT_EQ(0, rw_engine__drain(self->e, T0 + 2 * MS));
	EXPECT_EQ(1, self->c.n);	/* reported before finish */
}

TEST_F(live, recorded_run_replays_to_the_same_output)
{
	char path[] = "/tmp/rw_engine_rec.XXXXXX", *again = NULL;
	struct collected c2 = {};
	size_t len2 = 0;
	FILE *mem2;
	int fd;

	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	close(fd);
	self->e = new_engine(self, 1, path);
	ASSERT_NE(NULL, self->e);
	ASSERT_EQ(0, rw_engine__add_maps(self->e, ST_PID,
					 "00400000-00401000 r-xp 00000000 08:01 12 /nonexistent\n"));
	ASSERT_EQ(0, push_handoff(self->e));
	ASSERT_EQ(0, rw_engine__finish(self->e));
	rw_engine__free(self->e);
	self->e = NULL;
	fflush(self->mem);

	mem2 = open_memstream(&again, &len2);
	ASSERT_NE(NULL, mem2);
	struct rw_engine_opts o = {
		.sz = sizeof(o), .out = mem2, .on_report = collect_report, .ctx = &c2,
	};
	EXPECT_EQ(1, rw_replay(path, &o));
	fclose(mem2);
	EXPECT_STREQ(self->out, again);
	EXPECT_EQ(1, c2.n);
	free(again);
	collected_free(&c2);
	unlink(path);
}

TEST_F(live, thread_limit_is_counted)
{
	struct rw_engine_opts o = { .sz = sizeof(o), .quiet = true, .max_threads = 2 };
	struct rw_watch_desc w = {
		.sz = sizeof(w), .id = 1, .pid = ST_PID, .addr = VAR, .len = 8, .name = "counter",
	};
	struct racewatch_access a;
	struct rw_engine_stats st;
	__u32 tid;

	self->e = rw_engine__new(&o);
	ASSERT_NE(NULL, self->e);
	ASSERT_EQ(0, rw_engine__add_watch(self->e, &w));
	for (tid = T1; tid <= T3; tid++) {
		rec_access(&a, T0 + tid, tid, 1, VAR, 0, 1);
		ASSERT_EQ(0, rw_engine__push(self->e, &a, sizeof(a)));
	}
	ASSERT_EQ(0, rw_engine__finish(self->e));
	rw_engine__stats(self->e, &st);
	EXPECT_EQ(1ULL, st.dropped_threads);
}

TEST_F(live, exit_clocks_are_bounded)
{
	struct rw_engine_opts o = { .sz = sizeof(o), .quiet = true, .max_exited = 2 };
	struct rw_watch_desc w = {
		.sz = sizeof(w), .id = 1, .pid = ST_PID, .addr = VAR, .len = 8, .name = "counter",
	};
	struct rw_sync_event s;
	struct rw_engine_stats st;
	__u64 t = T0;
	__u32 tid;

	self->e = rw_engine__new(&o);
	ASSERT_NE(NULL, self->e);
	ASSERT_EQ(0, rw_engine__add_watch(self->e, &w));
	for (tid = T1; tid <= T3; tid++) {
		rec_sync(&s, t++, ST_PID, RW_OP_THREAD_CREATE, RW_PRIM_THREAD, 0, tid,
			 ST_FSBASE(tid));
		ASSERT_EQ(0, rw_engine__push(self->e, &s, sizeof(s)));
		rec_sync(&s, t++, tid, RW_OP_THREAD_EXIT, RW_PRIM_THREAD, 0, 0, 0);
		ASSERT_EQ(0, rw_engine__push(self->e, &s, sizeof(s)));
	}
	/* three exits (and the process record) through two slots: T1's is gone */
	rec_sync(&s, t++, ST_PID, RW_OP_JOIN_LAZY, RW_PRIM_THREAD, 0, ST_FSBASE(T3), 0);
	ASSERT_EQ(0, rw_engine__push(self->e, &s, sizeof(s)));
	rec_sync(&s, t++, ST_PID, RW_OP_JOIN_LAZY, RW_PRIM_THREAD, 0, ST_FSBASE(T1), 0);
	ASSERT_EQ(0, rw_engine__push(self->e, &s, sizeof(s)));
	/* main's next event (not a futex one: those happen inside blocking calls) */
	rec_sync(&s, t++, ST_PID, RW_OP_RELEASE, RW_PRIM_MUTEX, M1, 0, 0);
	ASSERT_EQ(0, rw_engine__push(self->e, &s, sizeof(s)));
	ASSERT_EQ(0, rw_engine__finish(self->e));
	rw_engine__stats(self->e, &st);
	EXPECT_EQ(1ULL, st.unresolved_joins);
}

TEST_F(live, malformed_records_are_refused)
{
	struct racewatch_access a;
	struct rw_engine_stats st;

	self->e = new_engine(self, MS, NULL);
	ASSERT_NE(NULL, self->e);
	rec_access(&a, T0, T1, 1, VAR, 1, 1);
	EXPECT_EQ(-EINVAL, rw_engine__push(self->e, &a, 12));
	a.nr_stack = 3;		/* claims a stack the record does not carry */
	EXPECT_EQ(-EINVAL, rw_engine__push(self->e, &a, sizeof(a)));
	a.nr_stack = 0;
	a.type = 99;
	EXPECT_EQ(-EINVAL, rw_engine__push(self->e, &a, sizeof(a)));
	rw_engine__stats(self->e, &st);
	EXPECT_EQ(3ULL, st.bad_records);
}

TEST_F(live, removed_watch_forgets_its_location)
{
	struct racewatch_access a;
	struct rw_sync_event s;
	struct rw_engine_stats st;

	self->e = new_engine(self, 1, NULL);
	ASSERT_NE(NULL, self->e);
	rec_sync(&s, T0 + 1, ST_PID, RW_OP_THREAD_CREATE, RW_PRIM_THREAD, 0, T1, ST_FSBASE(T1));
	ASSERT_EQ(0, rw_engine__push(self->e, &s, sizeof(s)));
	rec_access(&a, T0 + 2, T1, 1, VAR, 1, 1);
	ASSERT_EQ(0, rw_engine__push(self->e, &a, sizeof(a)));
	ASSERT_EQ(0, rw_engine__drain(self->e, T0 + MS));
	EXPECT_EQ(0, rw_engine__remove_watch(self->e, 1));
	EXPECT_EQ(-ENOENT, rw_engine__remove_watch(self->e, 1));
	/* watched again: a fresh location, T1's write is forgotten */
	struct rw_watch_desc w = {
		.sz = sizeof(w), .id = 2, .pid = ST_PID, .addr = VAR, .len = 8, .name = "counter",
	};
	ASSERT_EQ(0, rw_engine__add_watch(self->e, &w));
	rec_access(&a, T0 + 3, ST_PID, 1, VAR, 1, 2);	/* the old id */
	ASSERT_EQ(0, rw_engine__push(self->e, &a, sizeof(a)));
	rec_access(&a, T0 + 4, ST_PID, 2, VAR, 1, 2);
	ASSERT_EQ(0, rw_engine__push(self->e, &a, sizeof(a)));
	ASSERT_EQ(0, rw_engine__finish(self->e));
	rw_engine__stats(self->e, &st);
	EXPECT_EQ(1ULL, st.unknown_watch);
	EXPECT_EQ(0ULL, rw_engine__races(self->e));
}

TEST_F(live, watch_descriptions_are_checked)
{
	struct rw_watch_desc w = {
		.sz = sizeof(w), .id = 1, .pid = ST_PID, .addr = VAR, .len = 8, .name = "counter",
	};

	self->e = new_engine(self, MS, NULL);	/* holds watch 1 already */
	ASSERT_NE(NULL, self->e);
	EXPECT_EQ(-EEXIST, rw_engine__add_watch(self->e, &w));
	w.id = 2;
	w.len = 16;
	EXPECT_EQ(-EINVAL, rw_engine__add_watch(self->e, &w));
	w.len = 8;
	w.key.kind = 7;
	EXPECT_EQ(-EINVAL, rw_engine__add_watch(self->e, &w));
}

TEST_F(live, snapshot_reads_a_live_process)
{
	self->e = new_engine(self, MS, NULL);
	ASSERT_NE(NULL, self->e);
	EXPECT_EQ(0, rw_engine__snapshot_pid(self->e, getpid()));
	EXPECT_EQ(-ENOENT, rw_engine__snapshot_pid(self->e, 0x7ffffff0));
}

TEST(replay_refuses_bad_files)
{
	struct rw_rec_file_hdr h = {
		.type = RW_REC_FILE_HDR, .size = sizeof(h), .magic = RW_REPLAY_MAGIC,
		.version = RW_REPLAY_VERSION,
	};
	struct rw_engine_opts o = { .sz = sizeof(o), .quiet = true };
	__u32 cut[2] = { RW_REC_MAPS, 8 };
	char path[] = "/tmp/rw_engine_bad.XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(-ENOENT, rw_replay("/nonexistent/rec", &o));
	EXPECT_EQ(-EINVAL, rw_replay(path, &o));	/* empty */

	h.magic ^= 1;
	f = fopen(path, "w");
	fwrite(&h, sizeof(h), 1, f);
	fclose(f);
	EXPECT_EQ(-EINVAL, rw_replay(path, &o));

	h.magic ^= 1;
	h.version = RW_REPLAY_VERSION + 1;
	f = fopen(path, "w");
	fwrite(&h, sizeof(h), 1, f);
	fclose(f);
	EXPECT_EQ(-EPROTONOSUPPORT, rw_replay(path, &o));

	/* a maps record too short to hold its own header */
	h.version = RW_REPLAY_VERSION;
	f = fopen(path, "w");
	fwrite(&h, sizeof(h), 1, f);
	fwrite(cut, sizeof(cut), 1, f);
	fclose(f);
	EXPECT_EQ(-EINVAL, rw_replay(path, &o));

	/* the header alone is an empty, valid run */
	f = fopen(path, "w");
	fwrite(&h, sizeof(h), 1, f);
	fclose(f);
	EXPECT_EQ(0, rw_replay(path, &o));
	unlink(path);
}

TEST_HARNESS_MAIN
