// SPDX-License-Identifier: GPL-2.0
/*
 * More locations than debug registers, end to end in the VM: racewatch run
 * watches the eight counters of progs/rotate_counters. They need 16 (RW) or
 * 8 (write-only) registers per thread and x86 has 4, so the session rotates
 * the armed set. Every counter must still be reported within the run, and
 * the per-location coverage in the summary must add up: each location armed
 * slots / (cost * 8) of the time, the shares summing to slots / cost. The
 * same for eight fields of a shared-memory segment raced on by two processes
 * (progs/shm_fields): file watches rotate with the same policy, and no
 * process that maps the segment is left unarmed.
 */
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <sys/mman.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

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
	char shm_prog[PATH_MAX];
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
	ASSERT_GT(sizeof(self->shm_prog), snprintf(self->shm_prog, sizeof(self->shm_prog),
						   "%s/progs/shm_fields", dir));
	ASSERT_EQ(0, access(self->racewatch, X_OK));
	ASSERT_EQ(0, access(self->prog, X_OK));
	ASSERT_EQ(0, access(self->shm_prog, X_OK));
	self->out = malloc(OUT_MAX);
	ASSERT_NE(NULL, self->out);
}

FIXTURE_TEARDOWN(rotate)
{
	free(self->out);
}

/* The watched seconds printed as "coverage NAME P% (armed T times, X of Y s"; -1 if absent. */
static double watched_of(const char *out, const char *name)
{
	char needle[96];
	double armed, watched;
	unsigned int times;
	const char *p;

	snprintf(needle, sizeof(needle), "coverage %s ", name);
	p = strstr(out, needle);
	if (!p || !(p = strstr(p, "(armed ")) ||
	    sscanf(p, "(armed %u times, %lf of %lf s", &times, &armed, &watched) != 3)
		return -1;
	return watched;
}

/* The seconds printed as "N rounds took X s"; -1 if absent. */
static double switch_seconds(const char *out)
{
	const char *p = strstr(out, " rounds took ");
	double t;

	if (!p || sscanf(p, " rounds took %lf s", &t) != 1)
		return -1;
	return t;
}

/*
 * The shares of the places add up: their sum is what the places hold
 * (@ideal), never more, and less only by the time a place stood empty while
 * one location was switched for another — one place at a time, during the
 * rounds, so at most the rounds' time over the watched time. (UNWATCH waits
 * for an RCU grace period: in an emulated VM on a loaded host a round can
 * take a good part of its period.) And the rotation is fair: every share is
 * within 40% of the mean.
 */
static void expect_shares_add_up(struct __test_metadata *_metadata, const double *share,
				 double ideal, double switch_s, double watched_s)
{
	double sum = 0, mean;
	int i;

	for (i = 0; i < NR_COUNTERS; i++)
		sum += share[i];
	mean = sum / NR_COUNTERS;
	for (i = 0; i < NR_COUNTERS; i++) {
		EXPECT_LE(mean * 0.6, share[i]) TH_LOG("location %d: coverage %.3f", i, share[i]);
		EXPECT_GE(mean * 1.4, share[i]) TH_LOG("location %d: coverage %.3f", i, share[i]);
	}
	ASSERT_LT(0, watched_s);
	ASSERT_LE(0, switch_s);
	TH_LOG("sum %.3f of %.0f; rounds %.3f s of %.3f s watched", sum, ideal, switch_s,
	       watched_s);
	EXPECT_GE(ideal * 1.01, sum);
	EXPECT_LE(ideal - switch_s / watched_s - 0.02, sum);
	/* and a rotation that mostly switched would not be one */
	EXPECT_LE(ideal * 0.5, sum);
}

/*
 * Every one of the eight locations, named @fmt with the number @step * i,
 * was reported, and the coverage figures add up (expect_shares_add_up()).
 */
static void expect_fair_rotation(struct __test_metadata *_metadata, const char *out,
				 const char *fmt, int step, int cost)
{
	double share[NR_COUNTERS], sum = 0, total, watched = 0;
	char name[96], loc[128];
	int i;

	EXPECT_NE(NULL, strstr(out, "rotating the armed set every 50 ms"));
	EXPECT_EQ(NULL, strstr(out, "never armed"));
	/* Records lost to a full ring (a loaded host) are counted and said: only logged. */
	if (strstr(out, "LOST"))
		TH_LOG("some access records were lost (ring full)");

	for (i = 0; i < NR_COUNTERS; i++) {
		snprintf(name, sizeof(name), fmt, step * i);
		snprintf(loc, sizeof(loc), "(%s, 8 bytes)", name);
		EXPECT_NE(NULL, strstr(out, loc)) TH_LOG("%s was not reported", name);
		share[i] = coverage_of(out, name);
		sum += share[i];
		if (watched_of(out, name) > watched)
			watched = watched_of(out, name);
	}
	expect_shares_add_up(_metadata, share, (double)SLOTS / cost, switch_seconds(out), watched);
	total = coverage_of(out, "total");
	EXPECT_GE(0.002, total > sum ? total - sum : sum - total) TH_LOG("total %.3f", total);
}

TEST_F(rotate, every_location_is_reported_and_coverage_adds_up)
{
	int st;

	/* The 6.1 harness runs the body even after a SKIP in the setup. */
	if (!self->out)
		SKIP(return, "no /dev/racewatch");

	st = e2e_sh_capture(self->out, OUT_MAX,
			"%s run --kind %s --rotate-ms 50 -w counter0 -w counter1 -w counter2 "
			"-w counter3 -w counter4 -w counter5 -w counter6 -w counter7 -- %s 3",
			self->racewatch, variant->kind, self->prog);
	TH_LOG("%s", self->out);
	EXPECT_EQ(66, st);
	expect_fair_rotation(_metadata, self->out, "counter%d", 1, variant->cost);
}

/*
 * Eight fields of one shared-memory segment, each raced on by two
 * processes: the file watches rotate like the others, every field is
 * reported as a race between the two processes, and every process that
 * mapped a field while it was armed was armed (none left out for lack of a
 * free debug register: the armed set fits in every process).
 */
TEST_F(rotate, shared_memory_fields_rotate_across_processes)
{
	char seg[64], fmt[96], spec[2048];
	size_t len = 0;
	int i, st;

	if (!self->out)
		SKIP(return, "no /dev/racewatch");
	if (variant->cost != 2)
		SKIP(return, "the write variant runs it with --format json");

	snprintf(seg, sizeof(seg), "/rw_e2e_rot_%d", getpid());
	for (i = 0; i < NR_COUNTERS; i++)
		len += snprintf(spec + len, sizeof(spec) - len, " --shm %s+%d:8", seg, 8 * i);
	st = e2e_sh_capture(self->out, OUT_MAX, "%s run --kind %s --rotate-ms 50%s -- %s %s 3",
			    self->racewatch, variant->kind, spec, self->shm_prog, seg);
	TH_LOG("%s", self->out);
	shm_unlink(seg);
	EXPECT_EQ(66, st);
	/* both processes race on the fields; none was left unarmed */
	EXPECT_NE(NULL, strstr(self->out, "(shm_bump_a)"));
	EXPECT_NE(NULL, strstr(self->out, "(shm_bump_b)"));
	EXPECT_EQ(NULL, strstr(self->out, "could not be armed"));
	/* the fields are at offsets 0, 8, ... 56, named shm:SEG+OFF */
	snprintf(fmt, sizeof(fmt), "shm:%s+%%d", seg);
	expect_fair_rotation(_metadata, self->out, fmt, 8, variant->cost);
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

/*
 * The same eight shared-memory fields with --format json: every line is a
 * JSON object; races name both processes for every field; the engine's
 * summary object comes next, unchanged; the last line is the session
 * object, whose figures add up: each location's coverage is its armed /
 * watched time and its fair share, the total is their sum, every process
 * that mapped a field was armed, nothing was never armed.
 */
TEST_F(rotate, json_session_summary_adds_up)
{
	char seg[64], spec[2048], path[96], *line, *save = NULL;
	struct json_object *o, *last = NULL, *ls, *l, *rot;
	int i, st, races = 0, summaries = 0, lines = 0;
	bool field_raced[NR_COUNTERS] = {};
	double share[NR_COUNTERS], sum = 0, cov, watched = 0;
	size_t len = 0;
	FILE *f;

	if (!self->out)
		SKIP(return, "no /dev/racewatch");
	if (variant->cost != 1)
		SKIP(return, "the rw variant runs it with text output");

	snprintf(seg, sizeof(seg), "/rw_e2e_rotj_%d", getpid());
	snprintf(path, sizeof(path), "/tmp/rw_e2e_rotj_%d.json", getpid());
	for (i = 0; i < NR_COUNTERS; i++)
		len += snprintf(spec + len, sizeof(spec) - len, " --shm %s+%d:8", seg, 8 * i);
	st = e2e_sh_capture(self->out, OUT_MAX,
			    "%s run --kind %s --rotate-ms 50 --format json -o %s%s -- %s %s 3",
			    self->racewatch, variant->kind, path, spec, self->shm_prog, seg);
	TH_LOG("%s", self->out);
	shm_unlink(seg);
	EXPECT_EQ(66, st);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	len = fread(self->out, 1, OUT_MAX - 1, f);
	self->out[len] = '\0';
	fclose(f);
	unlink(path);

	for (line = strtok_r(self->out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *type, *name;

		o = json_tokener_parse(line);
		ASSERT_NE(NULL, o) TH_LOG("not JSON: %s", line);
		lines++;
		type = json_object_get_string(get(o, "type"));
		ASSERT_NE(NULL, type) TH_LOG("no type: %s", line);
		if (!strcmp(type, "race")) {
			races++;
			name = json_object_get_string(get(get(o, "location"), "name"));
			for (i = 0; i < NR_COUNTERS; i++) {
				char want_name[96];

				snprintf(want_name, sizeof(want_name), "shm:%s+%d", seg, 8 * i);
				if (name && !strcmp(name, want_name))
					field_raced[i] = true;
			}
			EXPECT_NE(num(get(o, "current"), "pid"), num(get(o, "previous"), "pid"));
		} else if (!strcmp(type, "summary")) {
			summaries++;
			EXPECT_EQ(races, num(o, "races"));
		}
		if (last)
			json_object_put(last);
		last = o;
	}
	EXPECT_EQ(1, summaries);
	for (i = 0; i < NR_COUNTERS; i++)
		EXPECT_TRUE(field_raced[i]) TH_LOG("field %d was not reported", 8 * i);
	ASSERT_NE(NULL, last);
	ASSERT_STREQ("session", json_object_get_string(get(last, "type")));
	EXPECT_EQ(races, num(last, "races"));
	EXPECT_LT(0, num(last, "access_records"));
	EXPECT_EQ(0, num(last, "never_armed"));
	EXPECT_EQ(0, num(last, "processes_unarmed"));
	EXPECT_EQ(0, num(last, "processes_skipped"));
	rot = get(last, "rotation");
	EXPECT_TRUE(json_object_get_boolean(get(rot, "rotating")));
	EXPECT_EQ(50, num(rot, "period_ms"));
	EXPECT_LT(NR_COUNTERS, num(rot, "rounds"));
	EXPECT_EQ(SLOTS / variant->cost, num(rot, "places"));

	ls = get(last, "locations");
	ASSERT_EQ(NR_COUNTERS, json_object_array_length(ls));
	for (i = 0; i < NR_COUNTERS; i++) {
		l = json_object_array_get_idx(ls, i);
		EXPECT_STREQ("shared", json_object_get_string(get(l, "kind")));
		cov = num(l, "coverage");
		EXPECT_GE(1e-4, fabs(cov - num(l, "armed_ns") / num(l, "watched_ns")));
		/* the parent and both children mapped each field while it was armed */
		EXPECT_LE(3, num(l, "process_arms"));
		EXPECT_LE(2, num(l, "arms"));
		share[i] = cov;
		sum += cov;
		if (num(l, "watched_ns") > watched)
			watched = num(l, "watched_ns");
	}
	EXPECT_GE(1e-4, fabs(sum - num(last, "coverage_total")));
	expect_shares_add_up(_metadata, share, (double)SLOTS / variant->cost,
			     num(rot, "switch_ns") / 1e9, watched / 1e9);
	json_object_put(last);
	EXPECT_LT(2, lines);
}

/*
 * A process that maps a watched field but has no free debug register (here
 * another session holds all four in the parent of progs/shm_fields) is not
 * armed, and that is said, never hidden: a WARNING in the text summary and
 * processes_unarmed in the JSON session object, while the two children,
 * which have their registers, are armed and race.
 */
TEST_F(rotate, a_process_without_free_registers_is_counted_unarmed)
{
	char seg[64], path[96], *last, *nl;
	struct json_object *o, *l;
	struct timespec settle = { 0, 200 * 1000 * 1000 };
	size_t len;
	int fd, i, st;
	pid_t pid;
	FILE *f;

	if (!self->out)
		SKIP(return, "no /dev/racewatch");
	if (variant->cost != 2)
		SKIP(return, "one variant is enough");

	snprintf(seg, sizeof(seg), "/rw_e2e_rotu_%d", getpid());
	snprintf(path, sizeof(path), "/tmp/rw_e2e_rotu_%d.json", getpid());
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		execl(self->shm_prog, self->shm_prog, seg, "60", NULL);
		_exit(127);
	}
	nanosleep(&settle, NULL);	/* the segment exists, the children are forked */
	fd = rw_dev_open();
	ASSERT_LE(0, fd);
	for (i = 0; i < SLOTS; i++)
		ASSERT_LT(0, rw_watch(fd, pid, 0x10000 + 8 * i, 8, RACEWATCH_KIND_WRITE, 0));
	st = e2e_sh_capture(self->out, OUT_MAX,
			    "%s watch --foreground --shm %s --offset 0 --len 8 -d 2 --format json "
			    "-o %s", self->racewatch, seg, path);
	TH_LOG("%s", self->out);
	close(fd);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	shm_unlink(seg);
	EXPECT_EQ(66, st);
	EXPECT_NE(NULL, strstr(self->out, "1 process(es) map it but have no free debug register"));
	EXPECT_NE(NULL, strstr(self->out, "1 process(es) that mapped it could not be armed"));

	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	len = fread(self->out, 1, OUT_MAX - 1, f);
	self->out[len] = '\0';
	fclose(f);
	unlink(path);
	/* the last line is the session object */
	while (len && self->out[len - 1] == '\n')
		self->out[--len] = '\0';
	nl = strrchr(self->out, '\n');
	last = nl ? nl + 1 : self->out;
	o = json_tokener_parse(last);
	ASSERT_NE(NULL, o) TH_LOG("not JSON: %s", last);
	EXPECT_STREQ("session", json_object_get_string(get(o, "type")));
	EXPECT_EQ(1, num(o, "processes_unarmed"));
	EXPECT_FALSE(json_object_get_boolean(get(get(o, "rotation"), "rotating")));
	l = json_object_array_get_idx(get(o, "locations"), 0);
	ASSERT_NE(NULL, l);
	EXPECT_EQ(1, num(l, "processes_unarmed"));
	/* the two children are armed, the parent is not */
	EXPECT_EQ(2, num(l, "processes"));
	EXPECT_EQ(2, num(l, "process_arms"));
	json_object_put(o);
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
