/* SPDX-License-Identifier: GPL-2.0 */
/*
 * summary: the end-of-run summary of a session — its counts (records read
 * and lost, late records, rotation, processes left unarmed) and every
 * location's coverage — as text lines (stderr) or as one JSON object
 * (Documentation/report.rst). Pure formatting of struct rw_session_stats
 * and struct rw_session_loc, so it can be tested without a kernel.
 */
#ifndef __RACEWATCH_SUMMARY_H
#define __RACEWATCH_SUMMARY_H

#include <stdio.h>

#include "session.h"

/* A location's coverage: armed time / watched time, 0 when not watched yet. */
double rw_summary__coverage(const struct rw_session_loc *l);

/*
 * The totals over the locations into @st: armed, never_armed, missed,
 * procs_failed, procs_skipped and coverage_sum.
 */
void rw_summary__totals(struct rw_session_stats *st, const struct rw_session_loc *locs, int n);

/* The summary as "racewatch: ..." lines. */
void rw_summary__text(FILE *f, const struct rw_session_stats *st,
		      const struct rw_session_loc *locs, int n);

/* The summary as one line: {"type":"session",...}. */
void rw_summary__json(FILE *f, const struct rw_session_stats *st,
		      const struct rw_session_loc *locs, int n);

#endif /* __RACEWATCH_SUMMARY_H */
