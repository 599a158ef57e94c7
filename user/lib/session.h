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
 * @on_report: called for every new report (the engine's struct
 *	rw_race_info: the text in @format and the JSON line)
 * @report_ctx: passed to @on_report
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
	rw_report_fn on_report;
	void *report_ctx;
};

#define RW_SESSION_ROTATE_MS	50

/**
 * struct rw_session_stats - what a session saw, for the end-of-run summary,
 *	the daemon's stats and metrics
 * @records: access records read from the device
 * @kdev_dropped: access records lost in the module's ring (it was full)
 * @syncs: sync events read
 * @sync_dropped: sync events lost in the BPF ring buffer (it was full)
 * @races: distinct races reported
 * @locations: locations the session was asked to watch
 * @rotations: times the armed set was rotated (0: everything fit)
 * @files: shared-memory fields (they are locations too, &rw_session_loc.shm
 *	set) and executable watches (rw_session__file())
 * @race_events: racing access pairs, repeats of a report included
 * @late: records the engine got after its reorder window had passed them
 *	(processed all the same; verdicts around them may be wrong)
 * @armed_threads: breakpoints registered now, counted per thread (the
 *	module's GET_STATS: process watches, and file and executable watches)
 * @sync_by_op: sync events read, by RW_OP_*
 * @unknown_watch: access records of a watch id the engine did not know
 *	(ignored)
 * @dropped_threads: events of threads past the engine's max_threads (ignored)
 * @bad_records: malformed records the engine refused
 * @arm_failures: threads the module could not arm with some watch (no
 *	free debug register, mostly: while rotating, the session retries those)
 * @rotating: the locations did not all fit: the armed set rotates
 * @period_ns: rotation period
 * @switch_ns: time spent inside rotation rounds (UNWATCH + WATCH)
 * @starved: rotation rounds in which nothing could be armed (a debugger
 *	held every free register)
 * @places: locations one thread holds at once (its debug registers / the
 *	registers one location takes)
 * @slots: debug registers per thread
 * @armed: locations armed now
 * @never_armed: locations that were never armed
 * @missed: turns locations were chosen for and could not take (sum of
 *	&struct rw_session_loc.missed)
 * @procs_failed: processes that mapped a shared-memory field while it was
 *	armed and could not be armed (sum of &rw_session_loc.procs_failed)
 * @procs_skipped: the same, for lack of ptrace rights
 * @coverage_sum: sum of the locations' coverage (armed / watched time):
 *	at most @places when every location is in one process or shared
 * @run_ns: time since the session first armed something, until its end
 */
struct rw_session_stats {
	__u64 records;
	__u64 kdev_dropped;
	__u64 syncs;
	__u64 sync_dropped;
	__u64 races;
	__u64 locations;
	__u64 rotations;
	__u64 files;
	__u64 race_events;
	__u64 late;
	__u64 armed_threads;
	__u64 sync_by_op[RW_OP_MAX + 1];
	__u64 unknown_watch;
	__u64 dropped_threads;
	__u64 bad_records;
	__u64 arm_failures;
	bool rotating;
	__u64 period_ns;
	__u64 switch_ns;
	__u64 starved;
	__u32 places;
	__u32 slots;
	__u64 armed;
	__u64 never_armed;
	__u64 missed;
	__u64 procs_failed;
	__u64 procs_skipped;
	double coverage_sum;
	__u64 run_ns;
};

/**
 * struct rw_session_loc - coverage of one watched location
 * @name: what the user called it (valid while the session lives)
 * @pid: a location of one process: the process; a shared-memory field: the
 *	scope of its watch (0: every process)
 * @addr: address in @pid (0 for a shared-memory field)
 * @len: length in bytes
 * @armed_ns: time it was armed so far
 * @run_ns: time it was watched so far: since it was asked for, until the
 *	session's end or until it was gone; coverage is @armed_ns / @run_ns
 * @arms: times it was armed (a new watch id each time)
 * @armed: armed now
 * @gone: no longer armed because its process is gone or arming failed
 * @watch: the watch (rw_session__begin_watch()) it belongs to, 0 if none
 * @hits: access records of it read so far
 * @removed: rw_session__unwatch() took it away
 * @gone_err: why (-ESRCH: the process is gone), with @gone
 * @shm: a shared-memory field, armed in every process that maps it
 * @key: the engine's location key (RW_KEY_NONE for a location of one process)
 * @missed: turns it was chosen for and could not be armed (no free debug
 *	register in a thread of its process: a debugger holds them)
 * @processes: processes armed now (a shared-memory field: each mapping
 *	counts; a location of one process: 1 while armed)
 * @procs_armed: process armings so far (a location of one process: @arms)
 * @procs_failed: shared-memory field: processes that mapped it while it was
 *	armed and could not be armed (no free debug register), so far
 * @procs_skipped: shared-memory field: the same, for lack of CAP_SYS_PTRACE
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
	__u32 watch;
	__u64 hits;
	bool removed;
	int gone_err;
	bool shm;
	struct rw_key key;
	__u64 missed;
	__u64 processes;
	__u64 procs_armed;
	__u64 procs_failed;
	__u64 procs_skipped;
};

/**
 * struct rw_session_file - one shared-memory field (rw_session__watch_shm();
 *	the same field is also a location, with its coverage) or executable
 *	watch (rw_session__watch_exe()), as the module counts it
 * @name: its location's name ("shm:/seg+128")
 * @watch: the watch (rw_session__begin_watch()) it belongs to, 0 if none
 * @id: the module's watch id now (0 while it rests: rotation)
 * @processes: processes armed now
 * @threads: threads armed now
 * @hits: records produced so far, dropped ones included
 * @removed: rw_session__unwatch() took it away
 * @shm: a shared-memory field (also a location, with its coverage); else an
 *	executable watch (rw_session__watch_exe(), not rotated)
 */
struct rw_session_file {
	const char *name;
	__u32 watch;
	__u32 id;
	__u32 processes;
	__u32 threads;
	__u64 hits;
	bool removed;
	bool shm;
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

/*
 * Coverage of location i (0 .. stats.locations - 1) so far, while the
 * session runs or after rw_session__finish(). 0 or -ENOENT.
 */
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

/*
 * Watch SYM[+OFF][:LEN], a global of the executable @path, in every process
 * that runs @path now and later (scope 0), or only in process @scope and
 * its descendants; each process has its own copy, a location of its own.
 * Processes running it now are traced before they are armed; later ones as
 * soon as the module reports their arming (their accesses before their
 * tracing started are counted, not checked). Messages go to stderr.
 * 0 or -errno.
 */
int rw_session__watch_exe(struct rw_session *s, const char *path, const char *spec, pid_t scope);

/* The session's figures so far (or at its end, after rw_session__finish()). */
void rw_session__stats(struct rw_session *s, struct rw_session_stats *st);

/*
 * Group what follows into one watch: the locations and shared-memory
 * watches made by the next rw_session__watch() and rw_session__watch_shm()
 * calls belong to the watch id returned (1, 2, ...), until the next call.
 */
__u32 rw_session__begin_watch(struct rw_session *s);

/*
 * Stop watch @watch: disarm its locations and shared-memory watches, take
 * them out of the rotation, keep the reports they gave (the engine forgets
 * their watch ids once their last records are processed). 0 or -ENOENT.
 */
int rw_session__unwatch(struct rw_session *s, __u32 watch);

/*
 * Shared-memory field or executable watch i (0 .. stats.files - 1): the
 * fields first, in the order given, then the executable watches. 0 or -ENOENT.
 */
int rw_session__file(struct rw_session *s, int i, struct rw_session_file *out);

/* An fd that polls readable when records wait (for a caller's own poll loop). */
int rw_session__fd(const struct rw_session *s);
void rw_session__free(struct rw_session *s);

#endif /* __RACEWATCH_SESSION_H */
