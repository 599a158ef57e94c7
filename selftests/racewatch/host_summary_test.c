// SPDX-License-Identifier: GPL-2.0
/*
 * user/lib/summary on the host: the end-of-run summary of a session that
 * rotated a location of one process and two shared-memory fields, lost
 * records in both rings, got late records and could not arm everything.
 * The JSON object must parse (json-c), follow the schema of
 * Documentation/report.rst, and its figures must add up: each coverage is
 * armed / watched time, the totals are the sums over the locations; the
 * text lines must name every loss and every gap.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "kselftest_harness.h"
#include "summary.h"

#define MS	(1000ull * 1000)

FIXTURE(summary) {
	struct rw_session_stats st;
	struct rw_session_loc locs[3];
	char *buf;
	size_t len;
};

FIXTURE_SETUP(summary)
{
	struct rw_session_loc *l = self->locs;

	memset(&self->st, 0, sizeof(self->st));
	memset(l, 0, sizeof(self->locs));
	self->buf = NULL;
	self->st = (struct rw_session_stats){
		.records = 1000, .kdev_dropped = 7, .syncs = 50, .sync_dropped = 2, .races = 2,
		.locations = 3, .rotations = 40, .late = 3, .arm_failures = 5, .rotating = true,
		.unknown_watch = 6, .dropped_threads = 8, .bad_records = 9,
		.period_ns = 50 * MS, .switch_ns = 200 * MS, .starved = 1, .places = 2,
		.slots = 4, .run_ns = 2000 * MS,
	};
	/* a location of process 42: a quarter of its time, 3 turns missed */
	l[0] = (struct rw_session_loc){
		.name = "counter", .pid = 42, .addr = 0x5000, .len = 8, .armed_ns = 500 * MS,
		.run_ns = 2000 * MS, .arms = 10, .armed = true, .missed = 3, .processes = 1,
		.procs_armed = 10,
	};
	/* a field whose name needs escaping; one process had no free register */
	l[1] = (struct rw_session_loc){
		.name = "shm:/a\"b+8", .pid = 0, .len = 4, .armed_ns = 1000 * MS,
		.run_ns = 2000 * MS, .arms = 9, .shm = true,
		.key = { .kind = RW_KEY_SHARED, .dev = 22, .id = 77, .off = 8 },
		.processes = 2, .procs_armed = 18, .procs_failed = 4, .procs_skipped = 1,
	};
	/* a field scoped to a process that is gone, never armed */
	l[2] = (struct rw_session_loc){
		.name = "shm:/c+0", .pid = 99, .len = 8, .run_ns = 300 * MS, .gone = true,
		.gone_err = -ESRCH, .shm = true,
		.key = { .kind = RW_KEY_SHARED, .dev = 22, .id = 78, .off = 0 },
	};
	rw_summary__totals(&self->st, self->locs, 3);
}

FIXTURE_TEARDOWN(summary)
{
	free(self->buf);
}

static void render(FIXTURE_DATA(summary) *self, bool json)
{
	FILE *f = open_memstream(&self->buf, &self->len);

	if (!f)
		return;
	if (json)
		rw_summary__json(f, &self->st, self->locs, 3);
	else
		rw_summary__text(f, &self->st, self->locs, 3);
	fclose(f);
}

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

static double num(struct json_object *o, const char *key)
{
	return json_object_get_double(get(o, key));
}

TEST_F(summary, totals_are_the_sums_over_the_locations)
{
	EXPECT_EQ(1, self->st.armed);
	EXPECT_EQ(1, self->st.never_armed);
	EXPECT_EQ(3, self->st.missed);
	EXPECT_EQ(4, self->st.procs_failed);
	EXPECT_EQ(1, self->st.procs_skipped);
	/* 500/2000 + 1000/2000 + 0/300 */
	EXPECT_GE(1e-12, self->st.coverage_sum - 0.75);
	EXPECT_LE(-1e-12, self->st.coverage_sum - 0.75);
}

TEST_F(summary, json_is_one_object_on_one_line_and_adds_up)
{
	struct json_object *o, *rot, *ls, *l, *key;
	double sum = 0, unarmed = 0, missed = 0;
	size_t i;

	render(self, true);
	ASSERT_NE(NULL, self->buf);
	ASSERT_LT(0, self->len);
	EXPECT_EQ('\n', self->buf[self->len - 1]);
	EXPECT_EQ(self->buf + self->len - 1, strchr(self->buf, '\n'));
	o = json_tokener_parse(self->buf);
	ASSERT_NE(NULL, o) TH_LOG("not JSON: %s", self->buf);

	EXPECT_STREQ("session", json_object_get_string(get(o, "type")));
	EXPECT_EQ(1000, num(o, "access_records"));
	EXPECT_EQ(7, num(o, "access_lost"));
	EXPECT_EQ(50, num(o, "sync_events"));
	EXPECT_EQ(2, num(o, "sync_lost"));
	EXPECT_EQ(3, num(o, "late"));
	EXPECT_EQ(2, num(o, "races"));
	EXPECT_EQ(5, num(o, "arm_failures"));
	EXPECT_EQ(2000 * MS, num(o, "run_ns"));
	EXPECT_EQ(6, num(get(o, "ignored"), "unknown_watch"));
	EXPECT_EQ(8, num(get(o, "ignored"), "dropped_threads"));
	EXPECT_EQ(9, num(get(o, "ignored"), "bad_records"));
	rot = get(o, "rotation");
	ASSERT_NE(NULL, rot);
	EXPECT_TRUE(json_object_get_boolean(get(rot, "rotating")));
	EXPECT_EQ(50, num(rot, "period_ms"));
	EXPECT_EQ(40, num(rot, "rounds"));
	EXPECT_EQ(200 * MS, num(rot, "switch_ns"));
	EXPECT_EQ(1, num(rot, "starved_rounds"));
	EXPECT_EQ(4, num(rot, "slots"));
	EXPECT_EQ(2, num(rot, "places"));

	ls = get(o, "locations");
	ASSERT_NE(NULL, ls);
	ASSERT_EQ(3, json_object_array_length(ls));
	for (i = 0; i < 3; i++) {
		double cov;

		l = json_object_array_get_idx(ls, i);
		cov = num(l, "coverage");
		/* coverage is armed / watched time */
		EXPECT_GE(1e-6, cov - num(l, "armed_ns") / num(l, "watched_ns"));
		EXPECT_LE(-1e-6, cov - num(l, "armed_ns") / num(l, "watched_ns"));
		sum += cov;
		unarmed += num(l, "processes_unarmed");
		missed += num(l, "missed_turns");
		EXPECT_STREQ(self->locs[i].name, json_object_get_string(get(l, "name")));
	}
	EXPECT_GE(1e-6, sum - num(o, "coverage_total"));
	EXPECT_LE(-1e-6, sum - num(o, "coverage_total"));
	EXPECT_EQ(unarmed, num(o, "processes_unarmed"));
	EXPECT_EQ(missed, num(o, "missed_turns"));
	EXPECT_EQ(1, num(o, "never_armed"));
	EXPECT_EQ(1, num(o, "processes_skipped"));

	/* a location of one process: pid, address, a private key */
	l = json_object_array_get_idx(ls, 0);
	EXPECT_STREQ("process", json_object_get_string(get(l, "kind")));
	EXPECT_EQ(42, num(l, "pid"));
	EXPECT_STREQ("0x5000", json_object_get_string(get(l, "addr")));
	key = get(l, "key");
	EXPECT_STREQ("private", json_object_get_string(get(key, "kind")));
	EXPECT_EQ(42, num(key, "id"));
	EXPECT_STREQ("0x5000", json_object_get_string(get(key, "off")));
	EXPECT_EQ(json_type_null, json_object_get_type(get(l, "stopped")));
	EXPECT_EQ(json_type_null, json_object_get_type(get(l, "scope")));

	/* shared fields: no pid or address, their scope, the file's key */
	l = json_object_array_get_idx(ls, 1);
	EXPECT_STREQ("shared", json_object_get_string(get(l, "kind")));
	EXPECT_EQ(json_type_null, json_object_get_type(get(l, "pid")));
	EXPECT_EQ(json_type_null, json_object_get_type(get(l, "addr")));
	EXPECT_EQ(0, num(l, "scope"));
	EXPECT_EQ(18, num(l, "process_arms"));
	EXPECT_EQ(2, num(l, "processes"));
	key = get(l, "key");
	EXPECT_STREQ("shared", json_object_get_string(get(key, "kind")));
	EXPECT_EQ(77, num(key, "id"));
	l = json_object_array_get_idx(ls, 2);
	EXPECT_EQ(99, num(l, "scope"));
	EXPECT_TRUE(json_object_get_boolean(get(l, "gone")));
	EXPECT_STREQ("process gone", json_object_get_string(get(l, "stopped")));
	EXPECT_EQ(0, num(l, "arms"));
	json_object_put(o);
}

TEST_F(summary, text_names_every_loss_and_gap)
{
	render(self, false);
	ASSERT_NE(NULL, self->buf);
	TH_LOG("%s", self->buf);
	EXPECT_NE(NULL, strstr(self->buf, "racewatch: 1000 access records, 50 sync events; "
				"LOST 7 access records and 2 sync events (rings full); 3 late"));
	EXPECT_NE(NULL, strstr(self->buf, "records ignored by the detector: 6 of unknown watches, "
				"8 of threads past its limit, 9 malformed"));
	EXPECT_NE(NULL, strstr(self->buf, "3 locations rotated through the debug registers "
				"every 50 ms (40 rounds)"));
	EXPECT_NE(NULL, strstr(self->buf, "coverage counter 25.0% (armed 10 times, 0.500 of "
				"2.000 s)\n"));
	EXPECT_NE(NULL, strstr(self->buf, "coverage shm:/a\"b+8 50.0% (armed 9 times, 1.000 of "
				"2.000 s; 18 process arming(s))\n"));
	EXPECT_NE(NULL, strstr(self->buf, "coverage shm:/c+0 0.0% (armed 0 times, 0.000 of "
				"0.300 s; 0 process arming(s)) (until its process was gone)"));
	EXPECT_NE(NULL, strstr(self->buf, "coverage total 75.0% (sum of the shares)"));
	EXPECT_NE(NULL, strstr(self->buf, "WARNING: shm:/c+0 was never armed"));
	EXPECT_NE(NULL, strstr(self->buf, "WARNING: counter missed 3 turn(s)"));
	EXPECT_NE(NULL, strstr(self->buf, "WARNING: shm:/a\"b+8: 4 process(es) that mapped it "
				"could not be armed (no free debug register), 1 skipped"));
	EXPECT_NE(NULL, strstr(self->buf, "40 rounds took 0.200 s (10.0% of the run"));
	EXPECT_NE(NULL, strstr(self->buf, "in 1 round(s) nothing could be armed"));
	EXPECT_NE(NULL, strstr(self->buf, "5 thread arming(s) failed in the module"));
}

TEST_F(summary, a_run_that_fit_and_lost_nothing_says_only_its_counts)
{
	self->st = (struct rw_session_stats){ .records = 12, .syncs = 3, .locations = 1 };
	self->locs[0].missed = 0;
	rw_summary__totals(&self->st, self->locs, 1);
	{
		FILE *f = open_memstream(&self->buf, &self->len);

		ASSERT_NE(NULL, f);
		rw_summary__text(f, &self->st, self->locs, 1);
		fclose(f);
	}
	EXPECT_STREQ("racewatch: 12 access records, 3 sync events\n", self->buf);
}

TEST_HARNESS_MAIN
