/* SPDX-License-Identifier: GPL-2.0 */
/*
 * session: one racewatch run — the access source (/dev/racewatch), the sync
 * source (eBPF) and the detection engine wired together. The CLI's run and
 * attach commands (and later the daemon) are thin front-ends over it.
 */
#ifndef __RACEWATCH_SESSION_H
#define __RACEWATCH_SESSION_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "engine.h"

struct rw_session;

/**
 * struct rw_session_opts - settings of rw_session__new(); zero means default
 * @sz: sizeof(struct rw_session_opts)
 * @out: where reports (or raw records) go; default stdout
 * @format: report format
 * @raw: print every access record (one key=value line each) instead of
 *	running the detector; no sync tracing is loaded
 * @kind: RACEWATCH_KIND_RW (default) or RACEWATCH_KIND_WRITE
 * @record_path: record the engine's merged input here (for racewatch replay)
 * @reorder_ns: the engine's reorder window (default: the engine's)
 * @follow_children: trace child processes of traced processes too
 * @verbose: libbpf and attach details on stderr
 */
struct rw_session_opts {
	size_t sz;
	FILE *out;
	enum rw_format format;
	bool raw;
	__u32 kind;
	const char *record_path;
	__u64 reorder_ns;
	bool follow_children;
	bool verbose;
};

/**
 * struct rw_session_stats - what a session saw, for the end-of-run summary
 * @records: access records read from the device
 * @kdev_dropped: access records lost in the module's ring
 * @syncs: sync events read
 * @sync_dropped: sync events lost in the BPF ring buffer
 * @races: distinct races reported
 */
struct rw_session_stats {
	__u64 records;
	__u64 kdev_dropped;
	__u64 syncs;
	__u64 sync_dropped;
	__u64 races;
};

int rw_session__new(const struct rw_session_opts *opts, struct rw_session **out);

/* Trace pid's synchronization and snapshot its maps for symbolization. */
int rw_session__add_pid(struct rw_session *s, pid_t pid);

/*
 * Arm a watch in pid: spec is 0xADDR[:LEN] or SYM[+OFF][:LEN] (looked up in
 * the executable and the libraries pid maps). Messages go to stderr.
 */
int rw_session__watch(struct rw_session *s, pid_t pid, const char *spec);

/* Wait up to timeout_ms for records, feed them to the engine. 0 or -errno. */
int rw_session__poll(struct rw_session *s, int timeout_ms);

/* Read what is left, flush the engine, print the summary. 0 or -errno. */
int rw_session__finish(struct rw_session *s);

void rw_session__stats(struct rw_session *s, struct rw_session_stats *st);
void rw_session__free(struct rw_session *s);

#endif /* __RACEWATCH_SESSION_H */
