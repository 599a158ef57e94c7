/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rotation: which watched locations to arm when they do not all fit in the
 * debug registers at once (DataCollider-style sampling). Pure arithmetic, so
 * the session's policy can be tested without a kernel.
 *
 * A location takes the same number of debug registers ("places" here: one
 * per location, the caller divides the free registers by the registers a
 * location needs) in every thread it is armed in. A location of one process
 * (RACEWATCH_IOC_WATCH) uses places in that process only; a field of a
 * shared file (RACEWATCH_IOC_WATCH_FILE) uses places in every process that
 * maps it, which can be any process, now or later. An armed set fits when no
 * process would need more than the places it has.
 */
#ifndef __RACEWATCH_ROTATION_H
#define __RACEWATCH_ROTATION_H

#include <stdbool.h>
#include <linux/types.h>

/**
 * struct rw_rot_loc - one location as the planner sees it
 * @pid: the process whose threads it is armed in; 0 for a shared-file field
 *	(armed in every process that maps it)
 * @armed_ns: time it was armed so far
 * @watched_ns: time it has been watched (asked for, and not gone) so far
 * @gone: it is not armed again
 * @pick: out: in the next armed set
 * @rank: out: its place in the order of need (0 first; -1 if @gone)
 */
struct rw_rot_loc {
	__u32 pid;
	__u64 armed_ns;
	__u64 watched_ns;
	bool gone;
	bool pick;
	int rank;
};

/* Can every location not gone be armed at once with @places per thread? */
bool rw_rot__fits(const struct rw_rot_loc *v, int n, int places);

/*
 * Choose the next armed set: the locations with the smallest share of their
 * watched time armed first (among equal shares, in order from index @first
 * on, wrapping), each taken if the set still fits in @places per thread.
 * Sets @rank (that order) and @pick of each location; returns how many
 * were picked, or -ENOMEM.
 */
int rw_rot__plan(struct rw_rot_loc *v, int n, int first, int places);

/* @armed_ns / @watched_ns as a fraction (0 when nothing was watched yet). */
double rw_rot__share(__u64 armed_ns, __u64 watched_ns);

#endif /* __RACEWATCH_ROTATION_H */
