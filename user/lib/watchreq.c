// SPDX-License-Identifier: GPL-2.0
/*
 * watchreq: parse the arguments of `racewatch attach` and `racewatch watch`
 * once, for the command line, racewatchd's control socket and its config
 * file, and make the watches they ask for in a session.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "shmtarget.h"
#include "watchreq.h"

/*
 * A usage error: argp_error() (prints, exits 2) on the command line; for a
 * quiet parse (the daemon's, ARGP_NO_ERRS keeps argp silent) the message
 * goes to r->err and the parse stops.
 */
static error_t rq_fail(struct rw_watchreq *r, struct argp_state *state, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static error_t rq_fail(struct rw_watchreq *r, struct argp_state *state, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->err) {
		fprintf(r->err, "%s: %s\n", state->argv[0], msg);
		r->said = true;
	}
	else
		argp_error(state, "%s", msg);
	return EINVAL;
}

#define FAIL(state, ...) return rq_fail(r, state, __VA_ARGS__)

static const char *addr_spec_error(const char *s)
{
	unsigned long long addr, len = 8;
	char *end;

	errno = 0;
	addr = strtoull(s, &end, 0);
	if (errno || end == s || strncmp(s, "0x", 2))
		return "expected 0xADDR[:LEN]";
	if (*end == ':') {
		const char *l = end + 1;

		len = strtoull(l, &end, 0);
		if (end == l || *end)
			return "LEN must be 1, 2, 4 or 8";
	} else if (*end) {
		return "expected 0xADDR[:LEN]";
	}
	if (len != 1 && len != 2 && len != 4 && len != 8)
		return "LEN must be 1, 2, 4 or 8";
	if (addr & (len - 1))
		return "address not aligned to its length (give a smaller :LEN)";
	return NULL;
}

static bool is_len(const char *l)
{
	return !strcmp(l, "1") || !strcmp(l, "2") || !strcmp(l, "4") || !strcmp(l, "8");
}

/* Remember the first option that needs a foreground run. */
static void fg_only(struct rw_watchreq *r, const char *opt)
{
	if (!r->fg_only)
		r->fg_only = opt;
}

static error_t parse_ms(struct rw_watchreq *r, struct argp_state *state, const char *opt,
			const char *arg, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end || end == arg || v < 1 || v > 60000)
		FAIL(state, "%s is 1..60000 ms, not '%s'", opt, arg);
	*out = v;
	return 0;
}

/* SYM[+OFF]:LEN ends in a :LEN; the :: of a C++ name (ns::var) is not one. */
static bool has_len(const char *spec)
{
	const char *colon = strrchr(spec, ':');

	return colon && (colon == spec || colon[-1] != ':');
}

error_t rw_watchreq__parse_common(struct rw_watchreq *r, int key, char *arg,
				  struct argp_state *state)
{
	const char *msg;
	long v;

	switch (key) {
	case 'w':
		if (r->nr_specs == RW_WATCHREQ_MAX)
			FAIL(state, "at most %d watches", RW_WATCHREQ_MAX);
		if (!strncmp(arg, "0x", 2)) {
			msg = addr_spec_error(arg);
			if (msg)
				FAIL(state, "invalid watch '%s': %s", arg, msg);
		} else if (has_len(arg) && !is_len(strrchr(arg, ':') + 1)) {
			FAIL(state, "'%s': LEN must be 1, 2, 4 or 8", arg);
		}
		r->specs[r->nr_specs++] = arg;
		return 0;
	case 'f':
		if (!strcmp(arg, "text"))
			r->so.format = RW_FORMAT_TEXT;
		else if (!strcmp(arg, "json"))
			r->so.format = RW_FORMAT_JSON;
		else
			FAIL(state, "--format is text or json, not '%s'", arg);
		fg_only(r, "--format");
		return 0;
	case 'o':
		r->output = arg;
		fg_only(r, "--output");
		return 0;
	case 'k':
		if (!strcmp(arg, "rw"))
			r->so.kind = RACEWATCH_KIND_RW;
		else if (!strcmp(arg, "write"))
			r->so.kind = RACEWATCH_KIND_WRITE;
		else
			FAIL(state, "--kind is rw or write, not '%s'", arg);
		r->kind_given = true;
		return 0;
	case 'r':
		r->so.raw = true;
		fg_only(r, "--raw");
		return 0;
	case RW_OPT_RECORD:
		r->so.record_path = arg;
		fg_only(r, "--record");
		return 0;
	case RW_OPT_WINDOW:
		if (parse_ms(r, state, "--window", arg, &v))
			return EINVAL;
		r->so.reorder_ns = (__u64)v * 1000000;
		fg_only(r, "--window");
		return 0;
	case RW_OPT_ROTATE:
		if (parse_ms(r, state, "--rotate-ms", arg, &v))
			return EINVAL;
		r->so.rotate_ms = v;
		fg_only(r, "--rotate-ms");
		return 0;
	case 'v':
		r->so.verbose = true;
		return 0;
	case RW_OPT_SOCKET:
		r->socket = arg;
		return 0;
	case RW_OPT_FOREGROUND:
		r->foreground = true;
		return 0;
	case ARGP_KEY_ERROR:
		/* a quiet parse that failed in getopt (unknown option, missing value) */
		if (r->err && !r->said)
			fprintf(r->err, "%s: unknown option or missing value near '%s'\n",
				state->argv[0], state->argv[state->next > 1 ? state->next - 1 : 0]);
		r->said = true;
		return 0;
	case ARGP_KEY_INIT:
		/* Quiet parses (the daemon's) write their messages where the caller says. */
		if (r->err) {
			state->err_stream = r->err;
			state->out_stream = r->err;
		}
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

#define DAEMON_OPTIONS									\
	{ "socket", RW_OPT_SOCKET, "PATH", 0,						\
	  "racewatchd's control socket (default " RW_CTL_DEFAULT_SOCKET ")" },		\
	{ "foreground", RW_OPT_FOREGROUND, NULL, 0,					\
	  "Run the watch here even when racewatchd runs" }

#define DAEMON_DOC									\
"When racewatchd runs (it answers on --socket), the watch is handed to it:\n"	\
"racewatch prints the watch's id and returns, and `racewatch list`, `reports`,\n" \
"`unwatch ID` follow it from there. Options that shape a run of its own\n"	\
"(--output, --format, --raw, --record, --window, --rotate-ms, --duration,\n"	\
"--count) and --foreground run it here instead, as when no daemon runs.\n"

/* ---- attach ------------------------------------------------------------------------------------ */

static const char attach_doc[] =
"Watch locations of a running process and report its data races.\n"
"\n"
"USAGE: racewatch attach -p PID -w SYM[+OFF][:LEN]|0xADDR[:LEN]... [OPTIONS]\n"
"\v"
"Every thread of PID (and every thread it creates later) gets a hardware\n"
"watchpoint on each location, and its synchronization is traced from now on.\n"
"The process is not stopped or changed. racewatch runs until the process\n"
"exits, Ctrl-C, or --duration; then it prints the summary and disarms\n"
"everything. Synchronization that happened before the attach is not seen, so\n"
"the first accesses after it may be reported against each other.\n"
"\n"
"With --raw, each access is printed as one line of key=value fields (time_ns\n"
"seq watch pid tid comm cpu access addr len value ip sp stack) and nothing is\n"
"detected.\n"
"\n"
DAEMON_DOC
"\n"
"Exit status: 66 if a race was reported, 0 otherwise (and when the daemon took\n"
"the watch), 1 on failure.\n"
"\n"
"EXAMPLES:\n"
"    racewatch attach -p 4242 -w counter\n"
"        report races on the global 'counter' of process 4242\n"
"    racewatch attach -p 4242 -w 0x55d0c0a04010 --raw -c 100\n"
"        print the first 100 reads and writes of the 8 bytes at that address\n"
"    racewatch attach -p 4242 -w 0x55d0c0a04010:4 --kind write --raw -d 10\n"
"        writes only, to 4 bytes, for 10 seconds\n";

static const struct argp_option attach_opts[] = {
	{ "pid", 'p', "PID", 0, "Process to watch" },
	{ "watch", 'w', "SYM|0xADDR[:LEN]", 0, "Location to watch (repeatable)" },
	{ "count", 'c', "N", 0, "With --raw: stop after N records" },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS" },
	RW_WATCHREQ_COMMON_OPTIONS,
	DAEMON_OPTIONS,
	{},
};

static error_t attach_parse(int key, char *arg, struct argp_state *state)
{
	struct rw_watchreq *r = state->input;
	char *end;

	switch (key) {
	case 'p':
		errno = 0;
		r->pid = strtol(arg, &end, 10);
		if (errno || *end || end == arg || r->pid <= 0)
			FAIL(state, "invalid PID '%s'", arg);
		return 0;
	case 'c':
		errno = 0;
		r->count = strtol(arg, &end, 10);
		if (errno || *end || end == arg || r->count <= 0)
			FAIL(state, "invalid count '%s'", arg);
		fg_only(r, "--count");
		return 0;
	case 'd':
		errno = 0;
		r->duration = strtod(arg, &end);
		if (errno || *end || end == arg || r->duration <= 0)
			FAIL(state, "invalid duration '%s'", arg);
		fg_only(r, "--duration");
		return 0;
	case ARGP_KEY_ARG:
		FAIL(state, "unexpected argument '%s'", arg);
	case ARGP_KEY_END:
		if (!r->pid)
			FAIL(state, "-p PID is required");
		if (!r->nr_specs)
			FAIL(state, "at least one -w location is needed");
		if (r->count && !r->so.raw)
			FAIL(state, "--count needs --raw");
		return 0;
	}
	return rw_watchreq__parse_common(r, key, arg, state);
}

/* ---- watch ------------------------------------------------------------------------------------- */

static const char watch_doc[] =
"Watch a field of a shared-memory segment in every process that maps it, or a\n"
"global of an executable in every process that runs it.\n"
"\n"
"USAGE: racewatch watch --shm NAME|PATH | --shmid ID  --offset OFF [--len N] [OPTIONS]\n"
"       racewatch watch --exe PATH -w SYM[+OFF][:LEN]... [OPTIONS]\n"
"\v"
"The segment is a POSIX shm object (NAME, as given to shm_open; it may not\n"
"exist yet: the first process that maps a segment of that name binds the\n"
"watch to it), any shared file mapping (PATH), or a System V segment (ID).\n"
"Every process that maps the field now gets a hardware watchpoint on it at its\n"
"own address; processes that map it later (mmap, shmat, mremap, fork) are\n"
"armed before they touch it; unmapping, exec and exit disarm. Processes the\n"
"caller may not ptrace are skipped and counted. Their synchronization is\n"
"traced from the moment they are seen (mapping it now, or at their first\n"
"access): locks taken in a process before that are not seen.\n"
"\n"
"With --exe, each -w names a global (.data or .bss) of the executable PATH.\n"
"Every process running PATH now (its /proc/PID/exe) gets a watchpoint on its\n"
"own copy, at its own address (PIE or not); a process that starts PATH later\n"
"is armed before its first instruction, fork children keep it, exec of\n"
"another program and exit disarm. Each process's copy is a location of its\n"
"own: races are reported between threads of one process. Processes running\n"
"PATH now are traced before they are armed; a later one is traced when the\n"
"module reports its arming, and its accesses until its tracing is in place\n"
"(its first milliseconds) are counted in the summary, not checked. A process\n"
"started as 'ld.so PATH' runs ld.so, not PATH, and is not armed.\n"
"Races are reported as they are found, naming both processes; Ctrl-C (or\n"
"--duration) prints the summary and disarms everything.\n"
"\n"
DAEMON_DOC
"\n"
"Exit status: 66 if a race was reported, 0 otherwise (and when the daemon took\n"
"the watch), 1 on failure, 2 on bad usage.\n"
"\n"
"EXAMPLES:\n"
"    racewatch watch --shm /orders --offset 64 --len 8\n"
"        every process mapping /dev/shm/orders, the 8 bytes at offset 64\n"
"    racewatch watch --shmid 32769 --offset 0 --len 4 --kind write -d 60\n"
"        writes to the first 4 bytes of System V segment 32769, for a minute\n"
"    racewatch watch --exe /usr/sbin/mysvc -w stats+8:4 -w queue_len\n"
"        two globals of every mysvc process, now and later\n";

static const struct argp_option watch_opts[] = {
	{ "shm", RW_OPT_SHM, "NAME|PATH", 0, "POSIX shm object name or path of a shared file" },
	{ "shmid", RW_OPT_SHMID, "ID", 0, "System V shared memory segment id" },
	{ "exe", RW_OPT_EXE, "PATH", 0, "Executable whose -w globals to watch in every process running it" },
	{ "watch", 'w', "SYM[+OFF][:LEN]", 0, "With --exe: global to watch (repeatable)" },
	{ "offset", RW_OPT_OFFSET, "OFF", 0, "Byte offset of the field (aligned to its length)" },
	{ "len", RW_OPT_LEN, "N", 0, "Field length: 1, 2, 4 or 8 (default 8)" },
	{ "pid", 'p', "PID", 0, "Only this process and its descendants (default: all)" },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS" },
	RW_WATCHREQ_COMMON_OPTIONS,
	DAEMON_OPTIONS,
	{},
};

static error_t watch_parse(int key, char *arg, struct argp_state *state)
{
	struct rw_watchreq *r = state->input;
	unsigned long long v;
	char *end;

	switch (key) {
	case RW_OPT_SHM:
		r->shm = arg;
		return 0;
	case RW_OPT_SHMID:
		errno = 0;
		v = strtoull(arg, &end, 0);
		if (errno || *end || end == arg || v > INT32_MAX)
			FAIL(state, "invalid --shmid '%s'", arg);
		r->shmid = v;
		r->has_shmid = true;
		return 0;
	case RW_OPT_OFFSET:
		errno = 0;
		v = strtoull(arg, &end, 0);
		if (errno || *end || end == arg)
			FAIL(state, "invalid --offset '%s'", arg);
		r->offset = v;
		return 0;
	case RW_OPT_LEN:
		errno = 0;
		v = strtoull(arg, &end, 0);
		if (errno || *end || (v != 1 && v != 2 && v != 4 && v != 8))
			FAIL(state, "--len is 1, 2, 4 or 8, not '%s'", arg);
		r->len = v;
		return 0;
	case 'p':
		errno = 0;
		v = strtoull(arg, &end, 10);
		if (errno || *end || !v || v > INT32_MAX)
			FAIL(state, "invalid PID '%s'", arg);
		r->pid = v;
		return 0;
	case 'd':
		errno = 0;
		r->duration = strtod(arg, &end);
		if (errno || *end || end == arg || r->duration <= 0)
			FAIL(state, "invalid duration '%s'", arg);
		fg_only(r, "--duration");
		return 0;
	case RW_OPT_EXE:
		r->exe = arg;
		return 0;
	case 'w':
		if (!strncmp(arg, "0x", 2))
			FAIL(state, "watch --exe takes symbols, not addresses ('%s'; see racewatch attach)",
			     arg);
		break;
	case ARGP_KEY_ARG:
		FAIL(state, "unexpected argument '%s'", arg);
	case ARGP_KEY_END:
		if (!!r->shm + r->has_shmid + !!r->exe != 1)
			FAIL(state, "give one of --shm NAME|PATH, --shmid ID and --exe PATH");
		if (r->exe && !r->nr_specs)
			FAIL(state, "--exe needs at least one -w SYM");
		if (!r->exe && r->nr_specs)
			FAIL(state, "-w goes with --exe; a segment's field is --offset and --len");
		if (r->exe && (r->offset || r->len != 8))
			FAIL(state, "--offset and --len go with --shm or --shmid; with --exe say "
			     "-w SYM+OFF:LEN");
		if (r->offset & (r->len - 1))
			FAIL(state, "--offset %llu is not aligned to --len %u",
			     (unsigned long long)r->offset, r->len);
		return 0;
	}
	return rw_watchreq__parse_common(r, key, arg, state);
}

int rw_watchreq__parse(struct rw_watchreq *r, enum rw_watch_cmd cmd, int argc, char **argv,
		       unsigned int flags, FILE *err)
{
	static const struct argp attach_argp = { attach_opts, attach_parse, NULL, attach_doc };
	static const struct argp watch_argp = { watch_opts, watch_parse, NULL, watch_doc };
	unsigned int aflags = 0;
	error_t ret;

	memset(r, 0, sizeof(*r));
	r->cmd = cmd;
	r->len = 8;
	r->so.sz = sizeof(r->so);
	r->err = flags & RW_WATCHREQ_QUIET ? err : NULL;
	if (flags & RW_WATCHREQ_QUIET)
		aflags = ARGP_NO_EXIT | ARGP_NO_HELP | ARGP_NO_ERRS;
	ret = argp_parse(cmd == RW_CMD_ATTACH ? &attach_argp : &watch_argp, argc, argv, aflags,
			 NULL, r);
	r->err = NULL;
	return ret ? -EINVAL : 0;
}

static int start_shm(const struct rw_watchreq *r, struct rw_session *s)
{
	struct rw_shm_target t;
	int err;

	if (r->has_shmid)
		err = rw_shm__resolve_sysv(r->shmid, r->offset, r->len, &t);
	else
		err = rw_shm__resolve(r->shm, r->offset, r->len, false, &t);
	if (err) {
		fprintf(stderr, "racewatch: %s%s: %s\n", r->has_shmid ? "--shmid " : "",
			r->has_shmid ? "" : r->shm,
			err == -EINVAL ? "bad segment, or offset/length outside it" : strerror(-err));
		return err;
	}
	return rw_session__watch_shm(s, &t, r->pid);
}

int rw_watchreq__start(const struct rw_watchreq *r, struct rw_session *s)
{
	int err, i;

	if (r->cmd == RW_CMD_WATCH && r->exe) {
		for (i = 0; i < r->nr_specs; i++) {
			err = rw_session__watch_exe(s, r->exe, r->specs[i], r->pid);
			if (err)
				return err;
		}
		return 0;
	}
	if (r->cmd == RW_CMD_WATCH)
		return start_shm(r, s);
	err = rw_session__add_pid(s, r->pid);
	if (err)
		return err;
	for (i = 0; i < r->nr_specs; i++) {
		err = rw_session__watch(s, r->pid, r->specs[i]);
		if (err)
			return err;
	}
	return 0;
}

void rw_watchreq__describe(const struct rw_watchreq *r, char *buf, size_t size)
{
	size_t n;
	int i;

	if (r->cmd == RW_CMD_WATCH && r->exe) {
		n = snprintf(buf, size, "exe:%s:", r->exe);
		for (i = 0; i < r->nr_specs && n < size; i++)
			n += snprintf(buf + n, size - n, "%s%s", i ? ", " : " ", r->specs[i]);
		if (n < size && r->pid)
			snprintf(buf + n, size - n, " in process %d and its descendants", r->pid);
		return;
	}
	if (r->cmd == RW_CMD_WATCH) {
		if (r->has_shmid)
			n = snprintf(buf, size, "sysv:%d", r->shmid);
		else
			n = snprintf(buf, size, "shm:%s", r->shm);
		if (n < size)
			n += snprintf(buf + n, size - n, "+%llu:%u", (unsigned long long)r->offset,
				      r->len);
		if (n < size && r->pid)
			snprintf(buf + n, size - n, " in process %d and its descendants", r->pid);
		return;
	}
	n = snprintf(buf, size, "process %d:", r->pid);
	for (i = 0; i < r->nr_specs && n < size; i++)
		n += snprintf(buf + n, size - n, "%s%s", i ? ", " : " ", r->specs[i]);
}
