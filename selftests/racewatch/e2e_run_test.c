// SPDX-License-Identifier: GPL-2.0
/*
 * End to end, in the VM: `racewatch run -w counter -- PROG` on the seeds'
 * racy counter and its fixes, at -O0 (PIE) and -O2 (non-PIE). A racy program
 * must get a report whose two stacks name the racing function and source
 * file, and exit 66; a race-free one must get no report and its own status.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "e2e_util.h"

#define OUT_MAX (256 * 1024)

FIXTURE(run) {
	char *out;
	char racewatch[PATH_MAX];
	char progs[PATH_MAX];
};

FIXTURE_VARIANT(run) {
	const char *opt;	/* "" for -O0 PIE, "-O2" for -O2 non-PIE */
};

FIXTURE_VARIANT_ADD(run, O0_pie) { .opt = "" };
FIXTURE_VARIANT_ADD(run, O2_nopie) { .opt = "-O2" };

/* The 6.1 harness runs the body even after a SKIP in the setup. */
#define NEED_DEVICE() do { if (!self->out) SKIP(return, "no /dev/racewatch"); } while (0)

FIXTURE_SETUP(run)
{
	self->out = NULL;
	if (access("/dev/racewatch", R_OK | W_OK))
		SKIP(return, "/dev/racewatch is not there (racewatch.ko not loaded)");
	self->out = malloc(OUT_MAX);
	ASSERT_NE(NULL, self->out);
	snprintf(self->racewatch, sizeof(self->racewatch), "%s/../racewatch", e2e_bindir());
	snprintf(self->progs, sizeof(self->progs), "%s/progs", e2e_bindir());
	ASSERT_EQ(0, access(self->racewatch, X_OK));
}

FIXTURE_TEARDOWN(run)
{
	free(self->out);
}

#define RUN(prog, extra)							\
	e2e_sh_capture(self->out, OUT_MAX, "%s run %s -w counter -- %s/%s%s",	\
		self->racewatch, extra, self->progs, prog, variant->opt)

/* Both stacks of the report name worker() in the program's source file. */
static void expect_counter_report(struct __test_metadata *_metadata, const char *out,
				  const char *src)
{
	char frame[128];

	EXPECT_NE(NULL, strstr(out, "WARNING: DATA RACE"));
	EXPECT_NE(NULL, strstr(out, "(counter, 8 bytes)"));
	EXPECT_NE(NULL, strstr(out, "Previous "));
	snprintf(frame, sizeof(frame), " worker %s:", src);
	EXPECT_LE(2, e2e_count_of(out, frame));
	/* One report per pair of code locations: read/write and write/write. */
	EXPECT_NE(NULL, strstr(out, " reported (counter: "));
}

TEST_F(run, racy_counter_is_reported_with_both_stacks)
{
	NEED_DEVICE();
	int st = RUN("racy_counter", "");

	EXPECT_EQ(66, st);
	expect_counter_report(_metadata, self->out, "racy_counter.c");
	if (!variant->opt[0]) {
		/* -O0: the write is line 22, the read line 19 of progs/racy_counter.c. */
		EXPECT_NE(NULL, strstr(self->out, "racy_counter.c:22"));
	}
	TH_LOG("%s", self->out);
}

TEST_F(run, logging_in_the_window_is_still_one_race)
{
	NEED_DEVICE();
	int st = RUN("counter_log", "");

	EXPECT_EQ(66, st);
	expect_counter_report(_metadata, self->out, "counter_log.c");
	EXPECT_LE(4, e2e_count_of(self->out, "logging\n"));
}

TEST_F(run, mutex_fix_is_silent)
{
	NEED_DEVICE();
	int st = RUN("counter_mutex", "");

	EXPECT_EQ(0, st);
	EXPECT_EQ(NULL, strstr(self->out, "DATA RACE"));
	EXPECT_NE(NULL, strstr(self->out, "Final Counter: 4"));
	if (st)
		TH_LOG("%s", self->out);
}

TEST_F(run, atomic_fix_is_silent)
{
	NEED_DEVICE();
	int st = RUN("counter_atomic", "");

	EXPECT_EQ(0, st);
	EXPECT_EQ(NULL, strstr(self->out, "DATA RACE"));
	EXPECT_NE(NULL, strstr(self->out, "Final Counter: 4"));
	if (st)
		TH_LOG("%s", self->out);
}

TEST_F(run, join_handoff_is_silent)
{
	NEED_DEVICE();
	int st = RUN("counter_join", "");

	EXPECT_EQ(0, st);
	EXPECT_EQ(NULL, strstr(self->out, "DATA RACE"));
	EXPECT_NE(NULL, strstr(self->out, "Final Counter: 42"));
	if (st)
		TH_LOG("%s", self->out);
}

TEST_F(run, read_only_sharing_is_silent)
{
	NEED_DEVICE();
	int st = RUN("counter_readonly", "");

	EXPECT_EQ(0, st);
	EXPECT_EQ(NULL, strstr(self->out, "DATA RACE"));
	EXPECT_NE(NULL, strstr(self->out, "sums 21 21 21"));
	if (st)
		TH_LOG("%s", self->out);
}

#define RUN_CXX(mode)								\
	e2e_sh_capture(self->out, OUT_MAX, "%s run -w counter -- %s/cxx_counter%s %s",	\
		self->racewatch, self->progs, variant->opt, mode)

TEST_F(run, cxx_std_thread_race_is_reported)
{
	NEED_DEVICE();
	EXPECT_EQ(66, RUN_CXX("racy"));
	EXPECT_NE(NULL, strstr(self->out, "WARNING: DATA RACE"));
	EXPECT_NE(NULL, strstr(self->out, "(counter, 8 bytes)"));
	EXPECT_LE(2, e2e_count_of(self->out, "cxx_counter.cc:"));
	TH_LOG("%s", self->out);
}

TEST_F(run, cxx_std_mutex_shared_mutex_and_condvar_are_silent)
{
	static const char *const modes[] = { "mutex", "shared", "cv" };

	NEED_DEVICE();
	for (int i = 0; i < 3; i++) {
		int st = RUN_CXX(modes[i]);

		EXPECT_EQ(0, st);
		EXPECT_EQ(NULL, strstr(self->out, "DATA RACE"));
		EXPECT_NE(NULL, strstr(self->out, "Final Counter: 4"));
		if (st)
			TH_LOG("%s: %s", modes[i], self->out);
	}
}

#define SESSION_OBJ "{\"type\":\"session\","

TEST_F(run, json_report_is_one_object_per_line)
{
	NEED_DEVICE();
	int st = RUN("racy_counter", "--format json");
	char *line, *save = NULL;
	int objects = 0, summaries = 0, sessions = 0;

	EXPECT_EQ(66, st);
	for (line = strtok_r(self->out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] != '{')
			continue;
		EXPECT_EQ('}', line[strlen(line) - 1]);
		/* nothing after the session object (its figures: host_summary_test) */
		EXPECT_EQ(0, sessions);
		if (!strncmp(line, SESSION_OBJ, strlen(SESSION_OBJ))) {
			sessions++;
			EXPECT_EQ(1, summaries);
			continue;
		}
		if (strstr(line, "\"summary\"")) {
			summaries++;
			continue;
		}
		objects++;
		EXPECT_NE(NULL, strstr(line, "\"race\""));
		EXPECT_NE(NULL, strstr(line, "\"counter\""));
		EXPECT_NE(NULL, strstr(line, "\"worker\""));
	}
	EXPECT_LE(1, objects);
	EXPECT_EQ(1, summaries);
	EXPECT_EQ(1, sessions);
}

TEST_F(run, record_and_replay_give_the_same_verdict)
{
	NEED_DEVICE();
	char rec[] = "/tmp/racewatch-e2e-XXXXXX";
	int fd = mkstemp(rec);

	ASSERT_LE(0, fd);
	close(fd);
	EXPECT_EQ(66, e2e_sh_capture(self->out, OUT_MAX, "%s run -w counter --record %s -- %s/racy_counter%s",
			      self->racewatch, rec, self->progs, variant->opt));
	EXPECT_EQ(66, e2e_sh_capture(self->out, OUT_MAX, "%s replay %s", self->racewatch, rec));
	expect_counter_report(_metadata, self->out, "racy_counter.c");
	unlink(rec);
}

TEST_F(run, whole_struct_is_watched_in_parts)
{
	NEED_DEVICE();
	int st = e2e_sh_capture(self->out, OUT_MAX, "%s run -w stats -- %s/racy_struct%s",
				self->racewatch, self->progs, variant->opt);

	/* 16 bytes: two 8-byte parts, stats and stats+8; the race is on stats+8 only */
	EXPECT_EQ(66, st);
	EXPECT_NE(NULL, strstr(self->out, "watching it as 2 locations"));
	EXPECT_NE(NULL, strstr(self->out, "(stats+8, 8 bytes)"));
	EXPECT_EQ(NULL, strstr(self->out, "(stats, 8 bytes)"));
	EXPECT_LE(2, e2e_count_of(self->out, " worker racy_struct.c:"));
	/* racy increments may lose updates: the program's line, not a total */
	EXPECT_NE(NULL, strstr(self->out, "hits "));
	TH_LOG("%s", self->out);
}

TEST_F(run, bad_watches_are_refused_clearly)
{
	NEED_DEVICE();
	/* No such symbol. */
	EXPECT_EQ(1, RUN("racy_counter", "-w no_such_symbol_here"));
	EXPECT_NE(NULL, strstr(self->out, "no_such_symbol_here"));
	/* A length that is not 1, 2, 4 or 8. */
	EXPECT_EQ(2, e2e_sh_capture(self->out, OUT_MAX, "%s run -w counter:3 -- %s/racy_counter",
			     self->racewatch, self->progs));
	/* No program. */
	EXPECT_EQ(2, e2e_sh_capture(self->out, OUT_MAX, "%s run -w counter", self->racewatch));
	EXPECT_NE(NULL, strstr(self->out, "no program"));
	/* A program that does not exist. */
	EXPECT_EQ(1, e2e_sh_capture(self->out, OUT_MAX, "%s run -w counter -- /nonexistent/prog",
			     self->racewatch));
	EXPECT_NE(NULL, strstr(self->out, "/nonexistent/prog"));
}

TEST_HARNESS_MAIN
