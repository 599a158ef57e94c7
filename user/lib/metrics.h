/* SPDX-License-Identifier: GPL-2.0 */
/*
 * metrics: racewatchd's counters in the Prometheus text exposition format
 * (version 0.0.4), for GET /metrics. Documentation/daemon.rst lists them.
 */
#ifndef __RACEWATCH_METRICS_H
#define __RACEWATCH_METRICS_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include <racewatch/sync.h>

#define RW_METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

/**
 * struct rw_metrics_loc - one watched location
 * @watch: daemon watch id
 * @location: its name
 * @coverage: share of the time it was armed, 0..1
 * @hits: access records of it so far
 */
struct rw_metrics_loc {
	__u32 watch;
	const char *location;
	double coverage;
	__u64 hits;
};

/**
 * struct rw_metrics - what racewatchd exposes
 * @races: distinct races reported
 * @race_events: racing access pairs, repeats included
 * @records: access records read
 * @sync_by_op: sync events read, by RW_OP_*
 * @dropped_access: access records lost in the module's ring
 * @dropped_sync: sync events lost in the BPF ring buffer
 * @late: records that arrived after the reorder window
 * @rotations: rotation rounds
 * @watches: watches held now
 * @armed: breakpoints registered now, counted per thread
 * @reports_kept: reports held for `racewatch reports`
 * @reports_evicted: reports dropped from that list (oldest first)
 * @locs: the watched locations
 * @nr_locs: entries in @locs
 */
struct rw_metrics {
	__u64 races;
	__u64 race_events;
	__u64 records;
	__u64 sync_by_op[RW_OP_MAX + 1];
	__u64 dropped_access;
	__u64 dropped_sync;
	__u64 late;
	__u64 rotations;
	__u64 watches;
	__u64 armed;
	__u64 reports_kept;
	__u64 reports_evicted;
	const struct rw_metrics_loc *locs;
	int nr_locs;
};

/* Write @m in the text exposition format. 0 or -EIO. */
int rw_metrics__render(FILE *f, const struct rw_metrics *m);

/* Write @value as a label value, escaped: backslash, double quote, newline. */
void rw_metrics__label(FILE *f, const char *value);

/*
 * Parse racewatchd's --metrics argument: "off", "PORT" or ":PORT" (the
 * loopback address, 127.0.0.1), "ADDR:PORT" or "[ADDR6]:PORT" (numeric
 * addresses only). Fills @ss/@len and *@loopback. Returns 0, 1 for "off",
 * or -EINVAL.
 */
struct sockaddr_storage;
int rw_metrics__parse_addr(const char *arg, struct sockaddr_storage *ss, unsigned int *len,
			   bool *loopback);

#endif /* __RACEWATCH_METRICS_H */
