/* SPDX-License-Identifier: GPL-2.0 */
/*
 * watchreq: the arguments of `racewatch attach` and `racewatch watch`, parsed
 * by one piece of code wherever they come from — the command line, a
 * request on racewatchd's control socket, a line of racewatchd's config file
 * — and applied to a session the same way. An option added here works in
 * all three at once.
 */
#ifndef __RACEWATCH_WATCHREQ_H
#define __RACEWATCH_WATCHREQ_H

#include <argp.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "session.h"

#define RW_WATCHREQ_MAX		64

enum rw_watch_cmd {
	RW_CMD_ATTACH = 1,	/* racewatch attach -p PID -w SPEC... */
	RW_CMD_WATCH = 2,	/* racewatch watch --shm NAME|PATH | --shmid ID | --exe PATH -w SYM ... */
};

/* Keys of options without a short form (shared with the CLI's run and replay). */
enum {
	RW_OPT_RECORD = 0x100,
	RW_OPT_WINDOW,
	RW_OPT_ROTATE,
	RW_OPT_SHM,
	RW_OPT_SHMID,
	RW_OPT_OFFSET,
	RW_OPT_LEN,
	RW_OPT_SOCKET,
	RW_OPT_FOREGROUND,
	RW_OPT_EXE,
};

/**
 * struct rw_watchreq - one attach or watch request
 * @cmd: RW_CMD_ATTACH or RW_CMD_WATCH
 * @pid: attach: the process; watch: scope (0: every process)
 * @specs: attach, watch --exe: -w locations, as written
 * @nr_specs: entries in @specs
 * @shm: watch: --shm NAME|PATH
 * @shmid: watch: --shmid ID (with @has_shmid)
 * @has_shmid: --shmid given
 * @exe: watch: --exe PATH, the executable whose globals @specs name
 * @offset: watch: --offset
 * @len: watch: --len (default 8)
 * @so: session settings the options set (format, kind, raw, record, window,
 *	rotation period, verbose)
 * @output: -o FILE
 * @count: attach --count
 * @duration: --duration
 * @socket: --socket PATH (racewatchd's control socket)
 * @foreground: --foreground given
 * @kind_given: --kind given
 * @fg_only: the first option given that only a foreground run can honour
 *	(--output, --format, --raw, --record, --window, --rotate-ms,
 *	--duration, --count), NULL if none
 * @err: where a parse error is written (NULL: stderr)
 * @said: a quiet parse wrote its error
 */
struct rw_watchreq {
	enum rw_watch_cmd cmd;
	pid_t pid;
	const char *specs[RW_WATCHREQ_MAX];
	int nr_specs;
	const char *shm;
	int shmid;
	bool has_shmid;
	const char *exe;
	__u64 offset;
	__u32 len;
	struct rw_session_opts so;
	const char *output;
	long count;
	double duration;
	const char *socket;
	bool foreground;
	bool kind_given;
	const char *fg_only;
	FILE *err;
	bool said;
};

/* Flags of rw_watchreq__parse() */
#define RW_WATCHREQ_QUIET	(1U << 0) /* never exit, no --help: errors into r->err */

/*
 * Parse argv (argv[0] names the command in messages, e.g. "racewatch
 * watch"). Without RW_WATCHREQ_QUIET this is the command line's argp:
 * --help prints and exits 0, a usage error prints and exits with
 * argp_err_exit_status. With it, nothing exits and a usage error is
 * written to @err. Returns 0 or -EINVAL.
 */
int rw_watchreq__parse(struct rw_watchreq *r, enum rw_watch_cmd cmd, int argc, char **argv,
		       unsigned int flags, FILE *err);

/*
 * Make the request's watches in @s: attach traces the process's
 * synchronization and watches each location; watch resolves the segment
 * and watches the field in every process that maps it (or in @r->pid's
 * tree). Messages go to stderr. 0 or -errno.
 */
int rw_watchreq__start(const struct rw_watchreq *r, struct rw_session *s);

/* A one-line description of what @r watches ("process 42: counter, flag"). */
void rw_watchreq__describe(const struct rw_watchreq *r, char *buf, size_t size);

/*
 * The options that run, attach and watch share, for the CLI's argp tables
 * (run and replay use them with rw_watchreq__parse_common()).
 */
#define RW_WATCHREQ_COMMON_OPTIONS							\
	{ "format", 'f', "text|json", 0, "Report format (default text)" },		\
	{ "output", 'o', "FILE", 0, "Write reports to FILE instead of stdout" },	\
	{ "kind", 'k', "rw|write", 0,							\
	  "Accesses to trap: reads and writes (default; two debug registers per "	\
	  "location), or writes only (one)" },						\
	{ "raw", 'r', NULL, 0, "Print every access record instead of detecting races" }, \
	{ "record", RW_OPT_RECORD, "FILE", 0,						\
	  "Record the detector's input to FILE (racewatch replay)" },			\
	{ "window", RW_OPT_WINDOW, "MS", 0, "Reorder window in milliseconds (default 20)" }, \
	{ "rotate-ms", RW_OPT_ROTATE, "MS", 0,						\
	  "When the locations need more debug registers than are free, rotate the "	\
	  "armed set every MS milliseconds (default 50)" },				\
	{ "verbose", 'v', NULL, 0, "Say what is armed and attached; libbpf debug output" }

/* argp parser of RW_WATCHREQ_COMMON_OPTIONS and -w; ARGP_ERR_UNKNOWN for others. */
error_t rw_watchreq__parse_common(struct rw_watchreq *r, int key, char *arg,
				  struct argp_state *state);

#endif /* __RACEWATCH_WATCHREQ_H */
