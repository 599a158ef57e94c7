// SPDX-License-Identifier: GPL-2.0
/*
 * More locations than debug registers, end to end in the VM: racewatch run
 * watches the eight counters of progs/rotate_counters. They need 16 (RW) or
 * 8 (write-only) registers per thread and x86 has 4, so the session rotates
 * the armed set. Every counter must still be reported within the run, and
 * the per-location coverage in the summary must add up: each location armed
 * slots / (cost * 8) of the time, the shares summing to slots / cost.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kmod_util.h"
#include "e2e_util.h"

#define OUT_MAX		(1024 * 1024)
#define NR_COUNTERS	8
#define SLOTS		4

/* The share printed as "coverage NAME P%", as a fraction; -1 if absent. */
static double coverage_of(const char *out, const char *name)
{
	char needle[64];
	const char *p;

	snprintf(needle, sizeof(needle), "coverage %s ", name);
	p = strstr(out, needle);
	if (!p)
		return -1;
	return atof(p + strlen(needle)) / 100;
}

FIXTURE(rotate) {
	char *out;
	char racewatch[PATH_MAX];
	char prog[PATH_MAX];
};

FIXTURE_VARIANT(rotate) {
	const char *kind;	/* --kind */
	int cost;		/* debug registers per location */
};

FIXTURE_VARIANT_ADD(rotate, rw) { .kind = "rw", .cost = 2 };
FIXTURE_VARIANT_ADD(rotate, write) { .kind = "write", .cost = 1 };

FIXTURE_SETUP(rotate)
{
	char exe[PATH_MAX / 2], *dir;
	ssize_t n;

	self->out = NULL;
	if (access("/dev/racewatch", R_OK | W_OK))
		SKIP(return, "/dev/racewatch is not there (racewatch.ko not loaded)");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_LT(0, n);
	exe[n] = '\0';
	dir = dirname(exe);
	ASSERT_GT(sizeof(self->racewatch), snprintf(self->racewatch, sizeof(self->racewatch),
						    "%s/../racewatch", dir));
	ASSERT_GT(sizeof(self->prog), snprintf(self->prog, sizeof(self->prog),
					       "%s/progs/rotate_counters", dir));
	ASSERT_EQ(0, access(self->racewatch, X_OK));
	ASSERT_EQ(0, access(self->prog, X_OK));
	self->out = malloc(OUT_MAX);
	ASSERT_NE(NULL, self->out);
}

FIXTURE_TEARDOWN(rotate)
{
	free(self->out);
}

TEST_F(rotate, every_location_is_reported_and_coverage_adds_up)
{
	double share, sum = 0, want, total, ideal;
	char name[32], loc[64];
	int i, st;

	/* The 6.1 harness runs the body even after a SKIP in the setup. */
	if (!self->out)
		SKIP(return, "no /dev/racewatch");

	st = e2e_sh_capture(self->out, OUT_MAX,
			"%s run --kind %s --rotate-ms 50 -w counter0 -w counter1 -w counter2 "
			"-w counter3 -w counter4 -w counter5 -w counter6 -w counter7 -- %s 3",
			self->racewatch, variant->kind, self->prog);
	TH_LOG("%s", self->out);
	EXPECT_EQ(66, st);
	EXPECT_NE(NULL, strstr(self->out, "rotating the armed set every 50 ms"));
	EXPECT_EQ(NULL, strstr(self->out, "never armed"));
	/* Records lost to a full ring (a loaded host) are counted and said: only logged. */
	if (strstr(self->out, "LOST"))
		TH_LOG("some access records were lost (ring full)");

	/* Each location holds SLOTS / cost of the 8 places: 1/4 (rw) or 1/2 (write). */
	want = (double)SLOTS / variant->cost / NR_COUNTERS;
	for (i = 0; i < NR_COUNTERS; i++) {
		snprintf(name, sizeof(name), "counter%d", i);
		snprintf(loc, sizeof(loc), "(%s, 8 bytes)", name);
		EXPECT_NE(NULL, strstr(self->out, loc)) TH_LOG("%s was not reported", name);
		share = coverage_of(self->out, name);
		EXPECT_LE(want * 0.6, share) TH_LOG("%s: coverage %.3f", name, share);
		EXPECT_GE(want * 1.4, share) TH_LOG("%s: coverage %.3f", name, share);
		sum += share;
	}
	/*
	 * The slots are in use all the time except while one location is
	 * switched for another (UNWATCH waits for an RCU grace period, slow in
	 * an emulated VM): the shares sum to SLOTS / cost, a little less, never
	 * more.
	 */
	ideal = (double)SLOTS / variant->cost;
	EXPECT_LE(ideal * 0.85, sum) TH_LOG("sum %.3f", sum);
	EXPECT_GE(ideal * 1.01, sum) TH_LOG("sum %.3f", sum);
	total = coverage_of(self->out, "total");
	EXPECT_GE(0.002, total > sum ? total - sum : sum - total) TH_LOG("total %.3f", total);
}

/*
 * Slots taken by someone else (a debugger; here another session holding
 * write watches on an unmapped address of the target) are respected:
 * racewatch attach rotates its locations through what is left, and when
 * nothing is left it refuses to start rather than watch nothing.
 */
static void attach_with_held_slots(struct __test_metadata *_metadata,
				   FIXTURE_DATA(rotate) *self, int held, int *status)
{
	struct timespec settle = { 0, 300 * 1000 * 1000 };
	int fd, i;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		execl(self->prog, self->prog, "6", NULL);
		_exit(127);
	}
	nanosleep(&settle, NULL);	/* its threads exist */
	fd = rw_dev_open();
	ASSERT_LE(0, fd);
	for (i = 0; i < held; i++)
		ASSERT_LT(0, rw_watch(fd, pid, 0x10000 + 8 * i, 8, RACEWATCH_KIND_WRITE, 0));
	*status = e2e_sh_capture(self->out, OUT_MAX,
			     "%s attach -p %d -d 2 --rotate-ms 50 -w counter0 -w counter1",
			     self->racewatch, pid);
	TH_LOG("%s", self->out);
	close(fd);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

TEST_F(rotate, slots_held_by_a_debugger_are_respected)
{
	double a, b;
	int st;

	if (!self->out)
		SKIP(return, "no /dev/racewatch");
	if (variant->cost != 2)
		SKIP(return, "one variant is enough");

	/* Two of four held: the two RW locations (two slots each) take turns. */
	attach_with_held_slots(_metadata, self, 2, &st);
	EXPECT_EQ(66, st);
	EXPECT_NE(NULL, strstr(self->out, "rotating the armed set"));
	a = coverage_of(self->out, "counter0");
	b = coverage_of(self->out, "counter1");
	EXPECT_LE(0.3, a);
	EXPECT_GE(0.7, a);
	EXPECT_LE(0.3, b);
	EXPECT_GE(0.7, b);
	EXPECT_GE(1.01, a + b);
	EXPECT_LE(0.8, a + b);

	/* All four held: nothing could ever be armed, which is an error, not a silent run. */
	attach_with_held_slots(_metadata, self, 4, &st);
	EXPECT_EQ(1, st);
	EXPECT_NE(NULL, strstr(self->out, "no free debug register"));
}

TEST_HARNESS_MAIN
