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
 * @rotate_ms: when the locations need more debug registers than a thread
 *	has free, the armed set is rotated every @rotate_ms milliseconds
 *	(default RW_SESSION_ROTATE_MS)
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
	__u32 rotate_ms;
};

#define RW_SESSION_ROTATE_MS	50

/**
 * struct rw_session_stats - what a session saw, for the end-of-run summary
 * @records: access records read from the device
 * @kdev_dropped: access records lost in the module's ring
 * @syncs: sync events read
 * @sync_dropped: sync events lost in the BPF ring buffer
 * @races: distinct races reported
 * @locations: locations the session was asked to watch
 * @rotations: times the armed set was rotated (0: everything fit)
 */
struct rw_session_stats {
	__u64 records;
	__u64 kdev_dropped;
	__u64 syncs;
	__u64 sync_dropped;
	__u64 races;
	__u64 locations;
	__u64 rotations;
};

/**
 * struct rw_session_loc - coverage of one watched location
 * @name: what the user called it (valid while the session lives)
 * @pid: process
 * @addr: address in @pid
 * @len: length in bytes
 * @armed_ns: time it was armed so far
 * @run_ns: time since the session first armed anything
 * @arms: times it was armed (a new watch id each time)
 * @armed: armed now
 * @gone: no longer armed because its process is gone or arming failed
 */
struct rw_session_loc {
	const char *name;
	pid_t pid;
	__u64 addr;
	__u32 len;
	__u64 armed_ns;
	__u64 run_ns;
	__u32 arms;
	bool armed;
	bool gone;
};

int rw_session__new(const struct rw_session_opts *opts, struct rw_session **out);

/* Trace pid's synchronization and snapshot its maps for symbolization. */
int rw_session__add_pid(struct rw_session *s, pid_t pid);

/*
 * Watch a location of pid: spec is 0xADDR[:LEN] or SYM[+OFF][:LEN] (looked
 * up in the executable and the libraries pid maps). It is armed now if its
 * debug registers are free; if not (more locations than slots, or slots held
 * by a debugger) the session keeps it and rotates the armed set on a period
 * from then on. -ENOSPC only if nothing at all could be armed. Messages go
 * to stderr.
 */
int rw_session__watch(struct rw_session *s, pid_t pid, const char *spec);

/* Coverage of location i (0 .. stats.locations - 1); 0 or -ENOENT. */
int rw_session__location(struct rw_session *s, int i, struct rw_session_loc *out);

/* Wait up to timeout_ms for records, feed them to the engine. 0 or -errno. */
int rw_session__poll(struct rw_session *s, int timeout_ms);

/* Read what is left, flush the engine, print the summary. 0 or -errno. */
int rw_session__finish(struct rw_session *s);

/*
 * Watch a field of a shared segment in every process that maps it, now and
 * later (scope 0), or only in process @scope and its descendants. Processes
 * that map it and are not traced yet get their synchronization traced (those
 * mapping it now at once, later ones at their first access record). Messages
 * go to stderr. 0 or -errno.
 */
struct rw_shm_target;
int rw_session__watch_shm(struct rw_session *s, const struct rw_shm_target *t, pid_t scope);

void rw_session__stats(struct rw_session *s, struct rw_session_stats *st);
void rw_session__free(struct rw_session *s);

#endif /* __RACEWATCH_SESSION_H */
