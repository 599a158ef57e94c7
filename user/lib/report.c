// SPDX-License-Identifier: GPL-2.0
/*
 * Formatting race reports.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "report.h"
#include "symbolize.h"

static const char *const rw_prim_names[] = {
	[RW_PRIM_MUTEX] = "mutex",	[RW_PRIM_RWLOCK] = "rwlock",
	[RW_PRIM_SPIN] = "spinlock",	[RW_PRIM_SEM] = "semaphore",
	[RW_PRIM_COND] = "condvar",	[RW_PRIM_BARRIER] = "barrier",
	[RW_PRIM_ONCE] = "once",	[RW_PRIM_FUTEX] = "futex",
	[RW_PRIM_THREAD] = "thread",	[RW_PRIM_PROCESS] = "process",
	[RW_PRIM_PIPE] = "pipe",
};

const char *rw_prim__name(__u16 prim)
{
	if (prim < sizeof(rw_prim_names) / sizeof(rw_prim_names[0]) && rw_prim_names[prim])
		return rw_prim_names[prim];
	return "lock";
}

static const char *rw_basename(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path;
}

/* A JSON string literal, or null. */
void rw_json__str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void rw_json__key(FILE *f, const struct rw_key *key)
{
	static const char *const kinds[] = { "none", "private", "shared" };

	fprintf(f, "{\"kind\":\"%s\",\"dev\":%u,\"id\":%llu,\"off\":\"0x%llx\"}",
		key->kind < 3 ? kinds[key->kind] : "unknown", key->dev,
		(unsigned long long)key->id, (unsigned long long)key->off);
}

/* Frame @i of @a: #0 is the accessing instruction, then return addresses. */
static void rw_access__frame(struct rw_access *a, __u32 i, struct rw_frame *f)
{
	if (i == 0)
		rw_frame__symbolize(a->maps, a->pc, a->pc, f);
	else
		rw_frame__symbolize(a->maps, a->stack[i - 1], a->stack[i - 1] - 1, f);
}

static void rw_text__frame(FILE *f, const struct rw_frame *fr)
{
	fputs(fr->func ? fr->func : "??", f);
	if (fr->file)
		fprintf(f, " %s:%d", rw_basename(fr->file), fr->line);
	if (fr->module)
		fprintf(f, " (%s+0x%" PRIx64 ")", rw_basename(fr->module), (uint64_t)fr->modoff);
	else
		fprintf(f, " (0x%" PRIx64 ")", (uint64_t)fr->addr);
}

static void rw_json__frame(FILE *f, const struct rw_frame *fr)
{
	fprintf(f, "{\"addr\":\"0x%" PRIx64 "\",\"function\":", (uint64_t)fr->addr);
	rw_json__str(f, fr->func);
	fputs(",\"file\":", f);
	rw_json__str(f, fr->file);
	fprintf(f, ",\"line\":%d,\"module\":", fr->line);
	rw_json__str(f, fr->module);
	if (fr->module)
		fprintf(f, ",\"offset\":\"0x%" PRIx64 "\"}", (uint64_t)fr->modoff);
	else
		fputs(",\"offset\":null}", f);
}

/* The name of a lock: its symbol when it is private memory with one. */
static void rw_lock__name(struct rw_access *a, const struct rw_lockref *l, char *buf,
			  size_t len)
{
	if (l->key.kind != RW_KEY_PRIVATE || l->key.id != a->pid ||
	    rw_maps__symbol(a->maps, l->key.off, buf, len))
		buf[0] = '\0';
}

static void rw_text__locks(FILE *f, struct rw_access *a)
{
	__u32 i;

	if (!a->nr_locks) {
		fputs("none", f);
		return;
	}
	for (i = 0; i < a->nr_locks; i++) {
		const struct rw_lockref *l = &a->locks[i];
		char name[128];

		rw_lock__name(a, l, name, sizeof(name));
		fprintf(f, "%s%s%s ", i ? ", " : "", l->read ? "read " : "",
			rw_prim__name(l->prim));
		if (name[0])
			fprintf(f, "%s ", name);
		if (l->key.kind == RW_KEY_SHARED)
			fprintf(f, "(shared %u:%llu+0x%llx)", l->key.dev,
				(unsigned long long)l->key.id, (unsigned long long)l->key.off);
		else
			fprintf(f, "(0x%llx)", (unsigned long long)l->key.off);
		if (l->caller) {
			struct rw_frame fr;

			rw_frame__symbolize(a->maps, l->caller, l->caller - 1, &fr);
			fputs(" locked at ", f);
			rw_text__frame(f, &fr);
			rw_frame__fini(&fr);
		}
	}
}

static void rw_json__locks(FILE *f, struct rw_access *a)
{
	__u32 i;

	fputc('[', f);
	for (i = 0; i < a->nr_locks; i++) {
		const struct rw_lockref *l = &a->locks[i];
		char name[128];

		rw_lock__name(a, l, name, sizeof(name));
		fprintf(f, "%s{\"prim\":\"%s\",\"mode\":\"%s\",\"name\":", i ? "," : "",
			rw_prim__name(l->prim), l->read ? "read" : "write");
		rw_json__str(f, name[0] ? name : NULL);
		fputs(",\"key\":", f);
		rw_json__key(f, &l->key);
		fputs(",\"locked_at\":", f);
		if (l->caller) {
			struct rw_frame fr;

			rw_frame__symbolize(a->maps, l->caller, l->caller - 1, &fr);
			rw_json__frame(f, &fr);
			rw_frame__fini(&fr);
		} else {
			fputs("null", f);
		}
		fputc('}', f);
	}
	fputc(']', f);
}

static const char *rw_access__kind(const struct rw_access *a, bool cap)
{
	if (a->atomic)
		return cap ? (a->write ? "Atomic write" : "Atomic read")
			   : (a->write ? "atomic write" : "atomic read");
	return cap ? (a->write ? "Write" : "Read") : (a->write ? "write" : "read");
}

static void rw_text__access(FILE *f, const struct rw_loc *loc, struct rw_access *a, bool cur)
{
	__u32 i;

	if (cur)
		fprintf(f, "%s at 0x%llx (%s, %u bytes)", rw_access__kind(a, true),
			(unsigned long long)a->addr, loc->name, a->len);
	else
		fprintf(f, "Previous %s at 0x%llx", rw_access__kind(a, false),
			(unsigned long long)a->addr);
	fprintf(f, " by thread %u in process %u (%.16s):\n", a->tid, a->pid, a->comm);
	for (i = 0; i <= a->nr_stack; i++) {
		struct rw_frame fr;

		rw_access__frame(a, i, &fr);
		fprintf(f, "  #%u ", i);
		rw_text__frame(f, &fr);
		fputc('\n', f);
		rw_frame__fini(&fr);
	}
}

static const char *const rw_decode_names[] = { "none", "forward", "backward" };

static void rw_json__access(FILE *f, struct rw_access *a)
{
	char comm[17];
	__u32 i;

	memcpy(comm, a->comm, 16);
	comm[16] = '\0';
	fprintf(f, "{\"kind\":\"%s\",\"atomic\":%s,\"addr\":\"0x%llx\",\"size\":%u,"
		"\"pid\":%u,\"tid\":%u,\"comm\":", a->write ? "write" : "read",
		a->atomic ? "true" : "false", (unsigned long long)a->addr, a->len, a->pid, a->tid);
	rw_json__str(f, comm);
	fprintf(f, ",\"time_ns\":%llu,\"watch\":%u,\"value\":", (unsigned long long)a->time_ns,
		a->watch_id);
	if (a->value_ok)
		fprintf(f, "%llu", (unsigned long long)a->value);
	else
		fputs("null", f);
	fprintf(f, ",\"ip\":\"0x%llx\",\"insn\":", (unsigned long long)a->ip);
	rw_json__str(f, a->insn[0] ? a->insn : NULL);
	fprintf(f, ",\"decoded\":\"%s\",\"stack\":[", rw_decode_names[a->decode_how % 3]);
	for (i = 0; i <= a->nr_stack; i++) {
		struct rw_frame fr;

		rw_access__frame(a, i, &fr);
		if (i)
			fputc(',', f);
		rw_json__frame(f, &fr);
		rw_frame__fini(&fr);
	}
	fputs("],\"locks\":", f);
	rw_json__locks(f, a);
	fputc('}', f);
}

static void rw_text__race(FILE *f, const struct rw_loc *loc, struct rw_access *cur,
			  struct rw_access *prev)
{
	fputs("==================\nWARNING: DATA RACE\n", f);
	rw_text__access(f, loc, cur, true);
	fputc('\n', f);
	rw_text__access(f, loc, prev, false);
	fputs("\nLocks held: ", f);
	rw_text__locks(f, cur);
	fputs(" / ", f);
	rw_text__locks(f, prev);
	fputs("\n==================\n", f);
}

static void rw_json__race(FILE *f, __u64 id, const struct rw_loc *loc, struct rw_access *cur,
			  struct rw_access *prev)
{
	fprintf(f, "{\"type\":\"race\",\"id\":%llu,\"location\":{\"name\":",
		(unsigned long long)id);
	rw_json__str(f, loc->name);
	fprintf(f, ",\"len\":%u,\"key\":", loc->len);
	rw_json__key(f, &loc->key);
	fputs("},\"current\":", f);
	rw_json__access(f, cur);
	fputs(",\"previous\":", f);
	rw_json__access(f, prev);
	fputs("}\n", f);
}

/**
 * rw_report__race() - format one race report
 * @fmt: text or JSON
 * @id: report number
 * @loc: the location
 * @cur: the access that found the race
 * @prev: the earlier access it races with
 *
 * Return: the report (text ends with the closing separator line, JSON is
 * one line), malloc'd; NULL without memory.
 */
char *rw_report__race(enum rw_format fmt, __u64 id, const struct rw_loc *loc,
		      struct rw_access *cur, struct rw_access *prev)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (fmt == RW_FORMAT_JSON)
		rw_json__race(f, id, loc, cur, prev);
	else
		rw_text__race(f, loc, cur, prev);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
