// SPDX-License-Identifier: GPL-2.0
/*
 * summary: a session's end-of-run summary, as text or as one JSON object
 * (see summary.h; the JSON schema is in Documentation/report.rst).
 */
#include <errno.h>
#include <string.h>

#include "report.h"
#include "rotation.h"
#include "summary.h"

double rw_summary__coverage(const struct rw_session_loc *l)
{
	return rw_rot__share(l->armed_ns, l->run_ns);
}

void rw_summary__totals(struct rw_session_stats *st, const struct rw_session_loc *locs, int n)
{
	int i;

	st->armed = st->never_armed = st->missed = 0;
	st->procs_failed = st->procs_skipped = 0;
	st->coverage_sum = 0;
	for (i = 0; i < n; i++) {
		st->armed += locs[i].armed;
		st->never_armed += !locs[i].arms;
		st->missed += locs[i].missed;
		st->procs_failed += locs[i].procs_failed;
		st->procs_skipped += locs[i].procs_skipped;
		st->coverage_sum += rw_summary__coverage(&locs[i]);
	}
}

static unsigned long long ull(__u64 v)
{
	return v;
}

/* Why a location is no longer armed, for people. */
static const char *rw_summary__stopped(const struct rw_session_loc *l)
{
	if (l->removed)
		return " (unwatched)";
	if (!l->gone)
		return "";
	return l->gone_err == -ESRCH ? " (until its process was gone)" : " (stopped: see above)";
}

/* Lines that say what a location did not get: never armed, turns, processes. */
static void rw_summary__text_gaps(FILE *f, const struct rw_session_loc *l)
{
	if (!l->arms)
		fprintf(f, "racewatch: WARNING: %s was never armed: its accesses were not "
			"watched\n", l->name);
	if (l->missed)
		fprintf(f, "racewatch: WARNING: %s missed %llu turn(s): no free debug register "
			"in its process (a debugger holds them)\n", l->name, ull(l->missed));
	if (l->procs_failed || l->procs_skipped)
		fprintf(f, "racewatch: WARNING: %s: %llu process(es) that mapped it could not be "
			"armed (no free debug register), %llu skipped (no ptrace rights)\n",
			l->name, ull(l->procs_failed), ull(l->procs_skipped));
}

void rw_summary__text(FILE *f, const struct rw_session_stats *st,
		      const struct rw_session_loc *locs, int n)
{
	int i;

	fprintf(f, "racewatch: %llu access records, %llu sync events", ull(st->records),
		ull(st->syncs));
	if (st->kdev_dropped || st->sync_dropped)
		fprintf(f, "; LOST %llu access records and %llu sync events (rings full)",
			ull(st->kdev_dropped), ull(st->sync_dropped));
	if (st->late)
		fprintf(f, "; %llu late (after the reorder window)", ull(st->late));
	fputc('\n', f);
	if (st->unknown_watch || st->dropped_threads || st->bad_records)
		fprintf(f, "racewatch: WARNING: records ignored by the detector: %llu of unknown "
			"watches, %llu of threads past its limit, %llu malformed\n",
			ull(st->unknown_watch), ull(st->dropped_threads), ull(st->bad_records));
	if (st->rotating)
		fprintf(f, "racewatch: %d locations rotated through the debug registers every "
			"%llu ms (%llu rounds); share of the run each was armed:\n", n,
			ull(st->period_ns / 1000000), ull(st->rotations));
	for (i = 0; i < n; i++) {
		const struct rw_session_loc *l = &locs[i];

		if (st->rotating) {
			fprintf(f, "racewatch:   coverage %s %.1f%% (armed %u times, %.3f of "
				"%.3f s", l->name, 100 * rw_summary__coverage(l), l->arms,
				l->armed_ns / 1e9, l->run_ns / 1e9);
			if (l->shm)
				fprintf(f, "; %llu process arming(s)", ull(l->procs_armed));
			fprintf(f, ")%s\n", rw_summary__stopped(l));
		}
		rw_summary__text_gaps(f, l);
	}
	if (st->rotating) {
		fprintf(f, "racewatch:   coverage total %.1f%% (sum of the shares)\n",
			100 * st->coverage_sum);
		fprintf(f, "racewatch:   %llu rounds took %.3f s (%.1f%% of the run; one location "
			"at a time is between UNWATCH and WATCH meanwhile)\n", ull(st->rotations),
			st->switch_ns / 1e9, st->run_ns ? 100.0 * st->switch_ns / st->run_ns : 0);
		if (st->starved)
			fprintf(f, "racewatch: WARNING: in %llu round(s) nothing could be armed "
				"(no free debug register)\n", ull(st->starved));
	}
	if (st->arm_failures)
		fprintf(f, "racewatch: %llu thread arming(s) failed in the module (no free debug "
			"register)%s\n", ull(st->arm_failures),
			st->rotating ? "; the rotation tried those locations again" : "");
}

static const char *rw_summary__bool(bool b)
{
	return b ? "true" : "false";
}

static void rw_summary__json_loc(FILE *f, const struct rw_session_loc *l)
{
	struct rw_key key = l->key;

	if (key.kind == RW_KEY_NONE)
		key = (struct rw_key){
			.kind = RW_KEY_PRIVATE, .id = (__u64)l->pid, .off = l->addr,
		};
	fputs("{\"name\":", f);
	rw_json__str(f, l->name);
	if (l->shm)
		fprintf(f, ",\"kind\":\"shared\",\"pid\":null,\"scope\":%d,\"addr\":null",
			(int)l->pid);
	else
		fprintf(f, ",\"kind\":\"process\",\"pid\":%d,\"scope\":null,\"addr\":\"0x%llx\"",
			(int)l->pid, ull(l->addr));
	fprintf(f, ",\"len\":%u,\"key\":", l->len);
	rw_json__key(f, &key);
	fprintf(f, ",\"coverage\":%.6f,\"armed_ns\":%llu,\"watched_ns\":%llu,\"arms\":%u,"
		"\"armed\":%s,\"gone\":%s,\"stopped\":", rw_summary__coverage(l),
		ull(l->armed_ns), ull(l->run_ns), l->arms, rw_summary__bool(l->armed),
		rw_summary__bool(l->gone));
	if (!l->gone)
		fputs("null", f);
	else
		rw_json__str(f, l->removed ? "unwatched" : l->gone_err == -ESRCH ? "process gone" :
			     strerror(-l->gone_err));
	fprintf(f, ",\"missed_turns\":%llu,\"processes\":%llu,\"process_arms\":%llu,"
		"\"processes_unarmed\":%llu,\"processes_skipped\":%llu}", ull(l->missed),
		ull(l->processes), ull(l->procs_armed), ull(l->procs_failed),
		ull(l->procs_skipped));
}

void rw_summary__json(FILE *f, const struct rw_session_stats *st,
		      const struct rw_session_loc *locs, int n)
{
	int i;

	fprintf(f, "{\"type\":\"session\",\"access_records\":%llu,\"access_lost\":%llu,"
		"\"sync_events\":%llu,\"sync_lost\":%llu,\"late\":%llu,\"races\":%llu,"
		"\"arm_failures\":%llu,", ull(st->records), ull(st->kdev_dropped), ull(st->syncs),
		ull(st->sync_dropped), ull(st->late), ull(st->races), ull(st->arm_failures));
	fprintf(f, "\"ignored\":{\"unknown_watch\":%llu,\"dropped_threads\":%llu,"
		"\"bad_records\":%llu},", ull(st->unknown_watch), ull(st->dropped_threads),
		ull(st->bad_records));
	fprintf(f, "\"rotation\":{\"rotating\":%s,\"period_ms\":%llu,\"rounds\":%llu,"
		"\"switch_ns\":%llu,\"starved_rounds\":%llu,\"slots\":%u,\"places\":%u},",
		rw_summary__bool(st->rotating), ull(st->period_ns / 1000000), ull(st->rotations),
		ull(st->switch_ns), ull(st->starved), st->slots, st->places);
	fprintf(f, "\"run_ns\":%llu,\"coverage_total\":%.6f,\"armed\":%llu,\"never_armed\":%llu,"
		"\"missed_turns\":%llu,\"processes_unarmed\":%llu,\"processes_skipped\":%llu,"
		"\"locations\":[", ull(st->run_ns), st->coverage_sum, ull(st->armed),
		ull(st->never_armed), ull(st->missed), ull(st->procs_failed),
		ull(st->procs_skipped));
	for (i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		rw_summary__json_loc(f, &locs[i]);
	}
	fputs("]}\n", f);
}
