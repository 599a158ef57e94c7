/* SPDX-License-Identifier: GPL-2.0 */
/*
 * End to end, in the VM: the verdict corpus (e2e_corpus_*_test.c). Small
 * racy and race-free programs (progs/corpus_*.c, *.cc) of the kinds
 * race-detector test suites hold, each with a known verdict on one named global, run as a user would:
 * `racewatch run -w SYM -- PROG`, at -O0 (PIE) and -O2 (non-PIE). A racy
 * program must exit 66 with the expected number of reports, whose frames
 * name the racing functions; a race-free one must print no report and exit
 * with its own status (0).
 *
 * A KNOWN LIMIT case is a race-free program racewatch cannot see the
 * synchronization of (plain-mov atomics, Documentation/sync.rst): it
 * asserts what racewatch does today, says so in the log, and names the
 * correct verdict, so that a fix shows up as a failure to update here.
 */
#ifndef __E2E_CORPUS_H
#define __E2E_CORPUS_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "e2e_util.h"

#define OUT_MAX (256 * 1024)

/**
 * struct corpus_case - one program and its verdict
 * @prog: program in progs/ (the -O2 build gets "-O2" appended)
 * @args: its arguments, or NULL
 * @watch: the -w argument
 * @min_reports: fewest "WARNING: DATA RACE" reports (0: race-free)
 * @max_reports: most reports
 * @funcs: functions every report's two first frames must name between them
 *	(NULL-terminated; each must appear as a frame-0 function)
 * @output: a line the program prints when it ran correctly
 * @known_limit: why racewatch gets this one wrong today; the real verdict
 *	is race-free
 */
struct corpus_case {
	const char *prog;
	const char *args;
	const char *watch;
	int min_reports;
	int max_reports;
	const char *funcs[3];
	const char *output;
	const char *known_limit;
};

FIXTURE(corpus) {
	char *out;
	char racewatch[PATH_MAX];
	char progs[PATH_MAX];
};

FIXTURE_VARIANT(corpus) {
	const char *opt;	/* "" for -O0 PIE, "-O2" for -O2 non-PIE */
};

FIXTURE_VARIANT_ADD(corpus, O0_pie) { .opt = "" };
FIXTURE_VARIANT_ADD(corpus, O2_nopie) { .opt = "-O2" };

FIXTURE_SETUP(corpus)
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

FIXTURE_TEARDOWN(corpus)
{
	free(self->out);
}

/*
 * Frames "#0 FUNC" in the output: FUNC, a compiler clone FUNC.xxx, or a
 * demangled C++ FUNC(ARGS).
 */
static int frame0_count(const char *out, const char *func)
{
	static const char *const after[] = { " ", ".", "(" };
	char pat[128];
	int n = 0;

	for (int i = 0; i < 3; i++) {
		snprintf(pat, sizeof(pat), "#0 %s%s", func, after[i]);
		n += e2e_count_of(out, pat);
	}
	return n;
}

static void corpus_run(struct __test_metadata *_metadata, FIXTURE_DATA(corpus) *self,
		       const FIXTURE_VARIANT(corpus) *variant, const struct corpus_case *c)
{
	int st, reports, want_st;

	if (!self->out)
		SKIP(return, "no /dev/racewatch");
	st = e2e_sh_capture(self->out, OUT_MAX, "%s run -w %s -- %s/%s%s %s", self->racewatch,
			    c->watch, self->progs, c->prog, variant->opt, c->args ? c->args : "");
	reports = e2e_count_of(self->out, "WARNING: DATA RACE");
	want_st = c->min_reports ? 66 : 0;
	if (c->known_limit)
		TH_LOG("KNOWN LIMIT (%s%s -w %s): correct verdict is race-free; racewatch "
		       "reports %d today: %s", c->prog, variant->opt, c->watch, reports,
		       c->known_limit);
	EXPECT_EQ(want_st, st);
	EXPECT_LE(c->min_reports, reports);
	EXPECT_GE(c->max_reports, reports);
	if (c->min_reports) {
		EXPECT_NE(NULL, strstr(self->out, "Previous "));
		/* each report's two frame-0 lines name the expected functions */
		int named = 0;

		for (int i = 0; c->funcs[i]; i++) {
			int n = frame0_count(self->out, c->funcs[i]);

			EXPECT_LE(1, n);
			named += n;
		}
		EXPECT_LE(2 * reports, named);
	}
	if (c->output)
		EXPECT_NE(NULL, strstr(self->out, c->output));
	if (_metadata->passed == 0 || c->known_limit || getenv("CORPUS_VERBOSE"))
		TH_LOG("status %d, %d reports:\n%s", st, reports, self->out);
}

/* One case; a run takes ~7 s in the emulated VM, a racy one with its report a bit more. */
#define CORPUS(name, ...)							\
	TEST_F_TIMEOUT(corpus, name, 180)					\
	{									\
		static const struct corpus_case c = { __VA_ARGS__ };		\
		corpus_run(_metadata, self, variant, &c);			\
	}

#define RACY(n, ...)	.min_reports = 1, .max_reports = (n), .funcs = { __VA_ARGS__, NULL }
#define CLEAN		.min_reports = 0, .max_reports = 0

#endif /* __E2E_CORPUS_H */
