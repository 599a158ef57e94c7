/* SPDX-License-Identifier: GPL-2.0 */
/*
 * racewatch detection engine: merges access records (racewatch.ko) and sync
 * events (the BPF sync tracer) by time, runs happens-before detection over
 * them and prints data race reports (text or JSON lines). The same engine
 * can record its merged input to a file and replay it offline.
 */
#ifndef __RACEWATCH_ENGINE_H
#define __RACEWATCH_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include <linux/racewatch.h>
#include <racewatch/sync.h>

/*
 * Engine-only record types (replay files). Access records use
 * RACEWATCH_REC_ACCESS (1), sync events RW_REC_SYNC (16).
 */
#define RW_REC_FILE_HDR		32 /* struct rw_rec_file_hdr, first in a replay file */
#define RW_REC_WATCH		33 /* struct rw_rec_watch */
#define RW_REC_MAPS		34 /* struct rw_rec_maps + maps text */

#define RW_REPLAY_MAGIC		0x43455257u /* "RWEC" */
#define RW_REPLAY_VERSION	1

#define RW_WATCH_NAME_LEN	64

/**
 * struct rw_rec_file_hdr - first record of a replay file
 * @type: RW_REC_FILE_HDR
 * @size: sizeof(struct rw_rec_file_hdr)
 * @magic: RW_REPLAY_MAGIC
 * @version: RW_REPLAY_VERSION
 * @reorder_ns: reorder window of the recording engine (informational)
 */
struct rw_rec_file_hdr {
	__u32 type;
	__u32 size;
	__u32 magic;
	__u32 version;
	__u64 reorder_ns;
};

/**
 * struct rw_watch_desc - one watched location as the engine sees it
 * @sz: sizeof(struct rw_watch_desc)
 * @id: watch id (struct racewatch_watch.id); access records name it
 * @pid: process the watch is armed in
 * @addr: watched address in @pid
 * @len: watched length, 1..8
 * @name: what the user called it ("counter", "counter+4", "shm:/seg+16")
 * @key: location identity; RW_KEY_NONE means (RW_KEY_PRIVATE, pid, addr).
 *	Watches with equal keys (e.g. one shared-memory field watched in two
 *	processes) are one location. RW_KEY_EACH_PROCESS: one watch id armed
 *	in many processes, each at its own private copy (an executable watch):
 *	every (process, address) its records come from is a location of its
 *	own, (RW_KEY_PRIVATE, record pid, record address); @pid and @addr are
 *	then unused.
 */
#define RW_KEY_EACH_PROCESS	3

struct rw_watch_desc {
	size_t sz;
	__u32 id;
	__u32 pid;
	__u64 addr;
	__u32 len;
	const char *name;
	struct rw_key key;
};

/**
 * struct rw_rec_watch - a watch description in a replay file
 * @type: RW_REC_WATCH
 * @size: sizeof(struct rw_rec_watch)
 * @id: watch id
 * @pid: process
 * @addr: address in @pid
 * @len: length
 * @reserved: zero
 * @key: location key (never RW_KEY_NONE in a file)
 * @name: NUL-terminated name
 */
struct rw_rec_watch {
	__u32 type;
	__u32 size;
	__u32 id;
	__u32 pid;
	__u64 addr;
	__u32 len;
	__u32 reserved;
	struct rw_key key;
	char name[RW_WATCH_NAME_LEN];
};

/**
 * struct rw_rec_maps - a /proc/PID/maps snapshot in a replay file
 * @type: RW_REC_MAPS
 * @size: sizeof(struct rw_rec_maps) + text length + 1, rounded up to 8
 * @pid: the process
 * @text_len: length of @text without its NUL
 * @text: the maps text, NUL-terminated
 */
struct rw_rec_maps {
	__u32 type;
	__u32 size;
	__u32 pid;
	__u32 text_len;
	char text[];
};

enum rw_format {
	RW_FORMAT_TEXT = 0,
	RW_FORMAT_JSON = 1,
};

struct rw_engine;

/**
 * struct rw_race_info - what the report callback gets for each new report
 * @id: report number, from 1
 * @location: location name
 * @cur_tid: thread of the current access
 * @prev_tid: thread of the previous access
 * @cur_write: the current access is a write
 * @prev_write: the previous access is a write
 * @text: the report as printed (text or one JSON line), NUL-terminated
 * @json: the report as one JSON line (the same as @text with RW_FORMAT_JSON)
 */
struct rw_race_info {
	__u64 id;
	const char *location;
	__u32 cur_tid;
	__u32 prev_tid;
	bool cur_write;
	bool prev_write;
	const char *text;
	const char *json;
};

typedef void (*rw_report_fn)(void *ctx, const struct rw_race_info *info);

/**
 * struct rw_engine_opts - engine settings; zero means the default
 * @sz: sizeof(struct rw_engine_opts)
 * @out: where reports and the summary go (default stdout; NULL with
 *	@quiet prints nothing)
 * @quiet: print nothing to @out (the callback still runs)
 * @format: RW_FORMAT_TEXT or RW_FORMAT_JSON
 * @reorder_ns: reorder window (default 20 ms)
 * @record_path: if set, record the merged input to this file
 * @max_threads: most thread identities in one session (default 65536);
 *	events of threads beyond it are counted and ignored
 * @max_exited: exit clocks kept for joins (default 4096)
 * @max_pending: most records held in the reorder window (default 1 << 20);
 *	beyond it the oldest are processed early
 * @max_reports: most distinct reports kept (default 10000); beyond it races
 *	are counted but not reported
 * @dedup_code_pairs: one report per distinct pair of code locations; by
 *	default a race sharing a location and a code location with an earlier
 *	report is counted as a repeat of it (ThreadSanitizer's choice)
 * @drain_only: records leave the reorder window only through
 *	rw_engine__drain() and rw_engine__finish() (and @max_pending), never
 *	because a newer record was pushed. Set it when records come from
 *	several sources read one after the other: a newer record from one
 *	source says nothing about what the other still holds.
 * @on_report: called for every new (deduplicated) report
 * @ctx: passed to @on_report
 */
struct rw_engine_opts {
	size_t sz;
	FILE *out;
	bool quiet;
	enum rw_format format;
	__u64 reorder_ns;
	const char *record_path;
	__u32 max_threads;
	__u32 max_exited;
	__u32 max_pending;
	__u32 max_reports;
	bool dedup_code_pairs;
	bool drain_only;
	rw_report_fn on_report;
	void *ctx;
};

/**
 * struct rw_engine_stats - counters of one engine
 * @accesses: access records processed
 * @syncs: sync events processed
 * @late: records that arrived older than what was already processed (they
 *	are still applied, at arrival; detection around them may be wrong)
 * @races: distinct reports
 * @race_events: racing access pairs seen, including repeats of a report
 * @unknown_watch: access records naming a watch the engine does not know
 * @unresolved_joins: joins/waits whose exited thread or process was unknown
 * @dropped_threads: events ignored because @max_threads was reached
 * @atomic_accesses: accesses decoded as atomic read-modify-write
 * @undecoded: accesses whose instruction could not be decoded
 * @reclassified: accesses reported as reads whose instruction writes memory
 *	(counted as writes)
 * @bad_records: malformed records refused by rw_engine__push()
 * @sync_objects: sync objects the detector holds now (private ones are
 *	forgotten when their process exits or execs)
 */
struct rw_engine_stats {
	__u64 accesses;
	__u64 syncs;
	__u64 late;
	__u64 races;
	__u64 race_events;
	__u64 unknown_watch;
	__u64 unresolved_joins;
	__u64 dropped_threads;
	__u64 atomic_accesses;
	__u64 undecoded;
	__u64 reclassified;
	__u64 bad_records;
	__u64 sync_objects;
};

struct rw_engine *rw_engine__new(const struct rw_engine_opts *opts);
void rw_engine__free(struct rw_engine *e);
int rw_engine__add_watch(struct rw_engine *e, const struct rw_watch_desc *w);
int rw_engine__add_maps(struct rw_engine *e, __u32 pid, const char *maps_text);
int rw_engine__snapshot_pid(struct rw_engine *e, __u32 pid);
int rw_engine__push(struct rw_engine *e, const void *rec, size_t len);
int rw_engine__drain(struct rw_engine *e, __u64 now_ns);
int rw_engine__finish(struct rw_engine *e);
__u64 rw_engine__races(const struct rw_engine *e);
void rw_engine__stats(const struct rw_engine *e, struct rw_engine_stats *st);

int rw_engine__remove_watch(struct rw_engine *e, __u32 id);

int rw_replay(const char *path, const struct rw_engine_opts *opts);
int rw_replay_stats(const char *path, const struct rw_engine_opts *opts,
		    struct rw_engine_stats *st);

int rw_elfsym__resolve(__u32 pid, const char *spec, __u64 *addr, __u32 *len, char **name);

/* Most bytes one -w SYM covers (with several watches); beyond, name a part. */
#define RW_SPAN_MAX	64

/**
 * struct rw_span - a watched object as rw_elfsym__resolve_span() finds it
 * @addr: its first watched byte in the process
 * @size: bytes, 1 .. RW_SPAN_MAX
 * @sym: the symbol as the user named it
 * @off: the +OFF the user gave
 */
struct rw_span {
	__u64 addr;
	__u32 size;
	char sym[256];
	__u64 off;
};

int rw_elfsym__resolve_span(__u32 pid, const char *spec, struct rw_span *span);
__u32 rw_span__next(__u64 addr, __u64 left);

#endif /* __RACEWATCH_ENGINE_H */
