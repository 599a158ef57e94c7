// SPDX-License-Identifier: GPL-2.0
/*
 * racewatch: the command line front-end.
 *
 *   racewatch run -w SYM -- PROG ARGS      run PROG, report its data races
 *   racewatch attach -p PID -w SYM         watch a running process
 *   racewatch replay FILE                  detect again over a recording
 *   racewatch watch --shm NAME --offset N  watch a shared-memory field everywhere
 */
#include <argp.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <sys/wait.h>

#include "engine.h"
#include "kdev.h"
#include "launch.h"
#include "session.h"
#include "shmtarget.h"

#define MAX_WATCHES 64

const char *argp_program_version = "racewatch 0.1";
const char *argp_program_bug_address = "the racewatch issue tracker";

static volatile sig_atomic_t exiting;

static void sig_handler(int sig)
{
	exiting = 1;
}

static int install_signals(void)
{
	struct sigaction sa = { .sa_handler = sig_handler };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return -errno;
	return 0;
}

/* ---- watch specifications ------------------------------------------------------------------ */

struct watch_spec {
	const char *text;	/* as the user wrote it */
	__u64 addr;
	__u32 len;
};

static int parse_addr_spec(const char *s, struct watch_spec *w)
{
	char *end;
	unsigned long long v;
	bool has_len;

	w->text = s;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || strncmp(s, "0x", 2)) {
		fprintf(stderr, "racewatch: '%s': expected 0xADDR[:LEN]\n", s);
		return -EINVAL;
	}
	w->addr = v;
	w->len = 8;
	has_len = *end == ':';
	if (has_len) {
		const char *l = end + 1;

		v = strtoull(l, &end, 0);
		if (end == l || *end) {
			fprintf(stderr, "racewatch: '%s': LEN must be 1, 2, 4 or 8\n", s);
			return -EINVAL;
		}
		w->len = v;
	} else if (*end) {
		fprintf(stderr, "racewatch: '%s': expected 0xADDR[:LEN]\n", s);
		return -EINVAL;
	}
	if (w->len != 1 && w->len != 2 && w->len != 4 && w->len != 8) {
		fprintf(stderr, "racewatch: '%s': LEN must be 1, 2, 4 or 8\n", s);
		return -EINVAL;
	}
	if (w->addr & (w->len - 1)) {
		fprintf(stderr, "racewatch: '%s': address not aligned to %u bytes%s\n", s, w->len,
			has_len ? "" : " (give a smaller :LEN)");
		return -EINVAL;
	}
	return 0;
}

static int parse_kind(const char *s, __u32 *kind)
{
	if (!strcmp(s, "rw"))
		*kind = RACEWATCH_KIND_RW;
	else if (!strcmp(s, "write"))
		*kind = RACEWATCH_KIND_WRITE;
	else
		return -EINVAL;
	return 0;
}

/* ---- options shared by run, attach and replay ------------------------------------------------ */

struct common_env {
	const char *specs[MAX_WATCHES];
	int nr_specs;
	struct rw_session_opts so;
	const char *output;
};

enum {
	OPT_RECORD = 0x100,
	OPT_WINDOW,
	OPT_ROTATE,
	OPT_SHM,
	OPT_SHMID,
	OPT_OFFSET,
	OPT_LEN,
};

#define COMMON_OPTIONS								\
	{ "format", 'f', "text|json", 0, "Report format (default text)" },		\
	{ "output", 'o', "FILE", 0, "Write reports to FILE instead of stdout" },	\
	{ "kind", 'k', "rw|write", 0,						\
	  "Accesses to trap: reads and writes (default; two debug registers per "	\
	  "location), or writes only (one)" },					\
	{ "raw", 'r', NULL, 0, "Print every access record instead of detecting races" }, \
	{ "record", OPT_RECORD, "FILE", 0, "Record the detector's input to FILE (racewatch replay)" }, \
	{ "window", OPT_WINDOW, "MS", 0, "Reorder window in milliseconds (default 20)" }, \
	{ "rotate-ms", OPT_ROTATE, "MS", 0,						\
	  "When the locations need more debug registers than are free, rotate the "	\
	  "armed set every MS milliseconds (default 50)" },				\
	{ "verbose", 'v', NULL, 0, "Say what is armed and attached; libbpf debug output" }

static int common_parse(struct common_env *env, int key, char *arg, struct argp_state *state)
{
	char *end;
	long v;

	switch (key) {
	case 'w':
		if (env->nr_specs == MAX_WATCHES)
			argp_error(state, "at most %d watches", MAX_WATCHES);
		if (!strncmp(arg, "0x", 2)) {
			struct watch_spec w;

			if (parse_addr_spec(arg, &w))
				argp_error(state, "invalid watch '%s'", arg);
		} else if (strchr(arg, ':')) {
			const char *l = strrchr(arg, ':') + 1;

			if (strcmp(l, "1") && strcmp(l, "2") && strcmp(l, "4") && strcmp(l, "8"))
				argp_error(state, "'%s': LEN must be 1, 2, 4 or 8", arg);
		}
		env->specs[env->nr_specs++] = arg;
		return 0;
	case 'f':
		if (!strcmp(arg, "text"))
			env->so.format = RW_FORMAT_TEXT;
		else if (!strcmp(arg, "json"))
			env->so.format = RW_FORMAT_JSON;
		else
			argp_error(state, "--format is text or json, not '%s'", arg);
		return 0;
	case 'o':
		env->output = arg;
		return 0;
	case 'k':
		if (parse_kind(arg, &env->so.kind))
			argp_error(state, "--kind is rw or write, not '%s'", arg);
		return 0;
	case 'r':
		env->so.raw = true;
		return 0;
	case OPT_RECORD:
		env->so.record_path = arg;
		return 0;
	case OPT_WINDOW:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end || v <= 0 || v > 60000)
			argp_error(state, "--window is 1..60000 ms, not '%s'", arg);
		env->so.reorder_ns = (__u64)v * 1000000;
		return 0;
	case OPT_ROTATE:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end || v < 1 || v > 60000)
			argp_error(state, "--rotate-ms is 1..60000 ms, not '%s'", arg);
		env->so.rotate_ms = v;
		return 0;
	case 'v':
		env->so.verbose = true;
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static int open_output(struct common_env *env)
{
	env->so.sz = sizeof(env->so);
	env->so.out = stdout;
	if (!env->output)
		return 0;
	env->so.out = fopen(env->output, "w");
	if (!env->so.out) {
		fprintf(stderr, "racewatch: %s: %s\n", env->output, strerror(errno));
		return -errno;
	}
	return 0;
}

static void close_output(struct common_env *env)
{
	if (env->so.out && env->so.out != stdout)
		fclose(env->so.out);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- run -------------------------------------------------------------------------------------- */

static struct run_env {
	struct common_env c;
	char **argv;
	const char *shm[MAX_WATCHES];
	int nr_shm;
} run_env;

static const char run_doc[] =
"Run a program and report the data races on the locations you name.\n"
"\n"
"USAGE: racewatch run -w SYM[+OFF][:LEN]... [OPTIONS] -- PROG [ARGS...]\n"
"\v"
"PROG is started stopped at its entry point; its watches are armed and its\n"
"synchronization (pthread mutexes, rwlocks, spinlocks, condition variables,\n"
"semaphores, barriers, once, create/join, fork/wait, futexes) is traced\n"
"before any of its own code runs, then it runs to its end. Races are printed\n"
"as they are found, and a summary at the end.\n"
"\n"
"A watch is SYM[+OFF][:LEN] — a data symbol of the executable or of a shared\n"
"library it loads, an optional byte offset into it, and a length of 1, 2, 4\n"
"or 8 bytes (default: the symbol's size, which must then be 1, 2, 4 or 8) —\n"
"or 0xADDR[:LEN]. Each location takes two debug registers per thread (one\n"
"with --kind write); x86 has four. When the locations need more than are\n"
"free, all of them stay watched in turns: the armed set is rotated every\n"
"--rotate-ms (DataCollider-style sampling), and the summary gives each\n"
"location's coverage, the share of the run it was armed.\n"
"\n"
"Exit status: 66 if a race was reported, else PROG's own status (128+N if\n"
"it was killed by signal N); 1 if racewatch itself failed, 2 on bad usage.\n"
"\n"
"EXAMPLES:\n"
"    racewatch run -w counter -- ./racy_counter\n"
"        watch the global 'counter' of racy_counter\n"
"    racewatch run -w stats+8:4 --format json -o races.json -- ./server -p 80\n"
"        watch 4 bytes at offset 8 of 'stats'; JSON lines into races.json\n"
"    racewatch run -w counter --record run.rec -- ./racy_counter\n"
"        also keep the detector's input, to re-run with racewatch replay\n";

static const struct argp_option run_opts[] = {
	{ "watch", 'w', "SYM[+OFF][:LEN]", 0, "Location to watch (repeatable)" },
	{ "shm", OPT_SHM, "NAME[+OFF][:LEN]", 0,
	  "Field of a shared-memory segment (POSIX shm NAME, or a file PATH) to watch in "
	  "every process of the run that maps it (repeatable)" },
	COMMON_OPTIONS,
	{},
};

static error_t run_parse(int key, char *arg, struct argp_state *state)
{
	struct run_env *env = state->input;

	switch (key) {
	case ARGP_KEY_ARG:
		/* The program and its arguments: everything from here on. */
		env->argv = &state->argv[state->next - 1];
		state->next = state->argc;
		return 0;
	case ARGP_KEY_END:
		if (!env->argv)
			argp_error(state, "no program to run (racewatch run -w SYM -- PROG ...)");
		if (!env->c.nr_specs && !env->nr_shm)
			argp_error(state, "at least one -w or --shm location is needed");
		return 0;
	case OPT_SHM: {
		char name[256];
		__u64 off;
		__u32 len;

		if (env->nr_shm == MAX_WATCHES)
			argp_error(state, "at most %d --shm fields", MAX_WATCHES);
		if (rw_shm__parse_spec(arg, name, sizeof(name), &off, &len))
			argp_error(state, "'%s': expected NAME[+OFF][:LEN], LEN 1, 2, 4 or 8", arg);
		env->shm[env->nr_shm++] = arg;
		return 0;
	}
	}
	return common_parse(&env->c, key, arg, state);
}

/*
 * Watch the --shm fields of a run: scope is the run's process tree, and a
 * POSIX shm NAME is matched by name, so a segment created after the start
 * is armed as soon as a process of the run maps it.
 */
static int run_watch_shm(struct rw_session *s, pid_t pid, const char *spec)
{
	struct rw_shm_target t;
	char name[256];
	__u64 off;
	__u32 len;
	int err;

	err = rw_shm__parse_spec(spec, name, sizeof(name), &off, &len);
	if (!err)
		err = rw_shm__resolve(name, off, len, true, &t);
	if (err) {
		fprintf(stderr, "racewatch: --shm %s: %s\n", spec,
			err == -EINVAL ? "bad name, offset or length (offset aligned to length)" :
			strerror(-err));
		return err;
	}
	return rw_session__watch_shm(s, &t, pid);
}

static int wait_child(pid_t pid, int *status, bool block)
{
	pid_t r;

	do
		r = waitpid(pid, status, block ? 0 : WNOHANG);
	while (r < 0 && errno == EINTR);
	return r;
}

static int exit_status_of(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

static int cmd_run(int argc, char **argv)
{
	static const struct argp argp = { run_opts, run_parse, NULL, run_doc };
	struct run_env *env = &run_env;
	struct rw_session *s = NULL;
	struct rw_session_stats st;
	int err, i, status = 0, ret = 1, forwarded = 0;
	pid_t pid = -1;

	if (argp_parse(&argp, argc, argv, ARGP_IN_ORDER, NULL, env))
		return 2;
	if (open_output(&env->c))
		return 1;
	err = install_signals();
	if (err)
		goto cleanup;

	/* the processes that share a segment are PROG's children, usually */
	if (env->nr_shm)
		env->c.so.follow_children = true;
	err = launch__start(env->argv, &pid);
	if (err) {
		pid = -1;
		goto cleanup;
	}
	err = rw_session__new(&env->c.so, &s);
	if (err)
		goto cleanup;
	err = rw_session__add_pid(s, pid);
	if (err)
		goto cleanup;
	for (i = 0; i < env->c.nr_specs; i++) {
		err = rw_session__watch(s, pid, env->c.specs[i]);
		if (err)
			goto cleanup;
	}
	for (i = 0; i < env->nr_shm; i++) {
		err = run_watch_shm(s, pid, env->shm[i]);
		if (err)
			goto cleanup;
	}
	err = launch__resume(pid);
	if (err) {
		fprintf(stderr, "racewatch: cannot resume %s: %s\n", env->argv[0], strerror(-err));
		goto cleanup;
	}

	for (;;) {
		if (exiting && forwarded < exiting) {
			kill(pid, SIGTERM);
			forwarded = exiting;
		}
		err = rw_session__poll(s, 50);
		if (err && err != -EINTR)
			goto cleanup;
		if (wait_child(pid, &status, false) == pid) {
			pid = -1;
			break;
		}
	}
	err = rw_session__finish(s);
	if (err)
		goto cleanup;
	rw_session__stats(s, &st);
	ret = st.races ? 66 : exit_status_of(status);
cleanup:
	if (pid > 0) {
		kill(pid, SIGKILL);
		wait_child(pid, &status, true);
	}
	rw_session__free(s);
	close_output(&env->c);
	return ret;
}

/*
 * Feed the session until Ctrl-C, SECONDS have passed (0: no limit), the
 * process behind pidfd exits (-1: none) or COUNT records were read (0: no
 * limit); then print the summary. Returns the command's exit status: 66 if a
 * race was reported, 0 if none, 1 on failure.
 */
static int follow_session(struct rw_session *s, int pidfd, pid_t pid, double seconds, long count)
{
	struct rw_session_stats st;
	double deadline = seconds > 0 ? now_s() + seconds : 0;
	int err;

	err = install_signals();
	if (err)
		return 1;
	while (!exiting) {
		struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

		err = rw_session__poll(s, 50);
		if (err && err != -EINTR)
			return 1;
		if (count) {
			rw_session__stats(s, &st);
			if ((long)st.records >= count)
				break;
		}
		if (pidfd >= 0 && poll(&pfd, 1, 0) == 1) {
			fprintf(stderr, "racewatch: process %d exited\n", pid);
			break;
		}
		if (deadline && now_s() >= deadline)
			break;
	}
	if (rw_session__finish(s))
		return 1;
	rw_session__stats(s, &st);
	return st.races ? 66 : 0;
}

/* ---- attach ----------------------------------------------------------------------------------- */

static struct attach_env {
	struct common_env c;
	pid_t pid;
	long count;
	double duration;
} attach_env;

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
"Exit status: 66 if a race was reported, 0 otherwise, 1 on failure.\n"
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
	COMMON_OPTIONS,
	{},
};

static error_t attach_parse(int key, char *arg, struct argp_state *state)
{
	struct attach_env *env = state->input;
	char *end;

	switch (key) {
	case 'p':
		errno = 0;
		env->pid = strtol(arg, &end, 10);
		if (errno || *end || env->pid <= 0)
			argp_error(state, "invalid PID '%s'", arg);
		return 0;
	case 'c':
		errno = 0;
		env->count = strtol(arg, &end, 10);
		if (errno || *end || env->count <= 0)
			argp_error(state, "invalid count '%s'", arg);
		return 0;
	case 'd':
		errno = 0;
		env->duration = strtod(arg, &end);
		if (errno || *end || env->duration <= 0)
			argp_error(state, "invalid duration '%s'", arg);
		return 0;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		return 0;
	case ARGP_KEY_END:
		if (!env->pid)
			argp_error(state, "-p PID is required");
		if (!env->c.nr_specs)
			argp_error(state, "at least one -w location is needed");
		if (env->count && !env->c.so.raw)
			argp_error(state, "--count needs --raw");
		return 0;
	}
	return common_parse(&env->c, key, arg, state);
}

static int cmd_attach(int argc, char **argv)
{
	static const struct argp argp = { attach_opts, attach_parse, NULL, attach_doc };
	struct attach_env *env = &attach_env;
	struct rw_session *s = NULL;
	int pidfd = -1, err, i, ret = 1;

	if (argp_parse(&argp, argc, argv, 0, NULL, env))
		return 2;
	if (open_output(&env->c))
		return 1;
	pidfd = syscall(SYS_pidfd_open, env->pid, 0);
	if (pidfd < 0) {
		fprintf(stderr, "racewatch: process %d: %s\n", env->pid, strerror(errno));
		goto cleanup;
	}
	err = rw_session__new(&env->c.so, &s);
	if (err)
		goto cleanup;
	err = rw_session__add_pid(s, env->pid);
	if (err)
		goto cleanup;
	for (i = 0; i < env->c.nr_specs; i++) {
		err = rw_session__watch(s, env->pid, env->c.specs[i]);
		if (err)
			goto cleanup;
	}
	ret = follow_session(s, pidfd, env->pid, env->duration, env->count);
cleanup:
	if (pidfd >= 0)
		close(pidfd);
	rw_session__free(s);
	close_output(&env->c);
	return ret;
}

/* ---- replay ----------------------------------------------------------------------------------- */

static struct replay_env {
	struct common_env c;
	const char *path;
} replay_env;

static const char replay_doc[] =
"Run the detector again over input recorded with --record.\n"
"\n"
"USAGE: racewatch replay [--format text|json] [-o FILE] RECORDING\n"
"\v"
"The recording holds the access records, sync events, watch descriptions and\n"
"memory maps of a run; replay prints the same reports offline (symbolizing\n"
"from the files the maps name, which must still exist). Exit status: 66 if a\n"
"race was reported, 0 if none, 1 if the recording could not be read.\n"
"\n"
"EXAMPLE:\n"
"    racewatch run -w counter --record run.rec -- ./racy_counter\n"
"    racewatch replay --format json run.rec\n";

static const struct argp_option replay_opts[] = {
	{ "format", 'f', "text|json", 0, "Report format (default text)" },
	{ "output", 'o', "FILE", 0, "Write reports to FILE instead of stdout" },
	{},
};

static error_t replay_parse(int key, char *arg, struct argp_state *state)
{
	struct replay_env *env = state->input;

	switch (key) {
	case ARGP_KEY_ARG:
		if (env->path)
			argp_error(state, "one recording at a time");
		env->path = arg;
		return 0;
	case ARGP_KEY_END:
		if (!env->path)
			argp_error(state, "which recording? (racewatch replay FILE)");
		return 0;
	}
	return common_parse(&env->c, key, arg, state);
}

static __u64 replay_races;

static void count_report(void *ctx, const struct rw_race_info *info)
{
	replay_races++;
}

static int cmd_replay(int argc, char **argv)
{
	static const struct argp argp = { replay_opts, replay_parse, NULL, replay_doc };
	struct replay_env *env = &replay_env;
	struct rw_engine_opts eo = { .sz = sizeof(eo) };
	int err;

	if (argp_parse(&argp, argc, argv, 0, NULL, env))
		return 2;
	if (open_output(&env->c))
		return 1;
	eo.out = env->c.so.out;
	eo.format = env->c.so.format;
	eo.on_report = count_report;
	err = rw_replay(env->path, &eo);
	close_output(&env->c);
	if (err < 0) {
		fprintf(stderr, "racewatch: replay %s: %s\n", env->path, strerror(-err));
		return 1;
	}
	return replay_races ? 66 : 0;
}

/* ---- watch ------------------------------------------------------------------------------------ */

static struct watch_env {
	struct common_env c;
	const char *shm;
	int shmid;
	bool has_shmid;
	__u64 offset;
	__u32 len;
	pid_t scope;
	double duration;
} watch_env = { .len = 8 };

static const char watch_doc[] =
"Watch a field of a shared-memory segment in every process that maps it.\n"
"\n"
"USAGE: racewatch watch --shm NAME|PATH | --shmid ID  --offset OFF [--len N] [OPTIONS]\n"
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
"Races are reported as they are found, naming both processes; Ctrl-C (or\n"
"--duration) prints the summary and disarms everything.\n"
"\n"
"Exit status: 66 if a race was reported, 0 otherwise, 1 on failure, 2 on bad\n"
"usage.\n"
"\n"
"EXAMPLES:\n"
"    racewatch watch --shm /orders --offset 64 --len 8\n"
"        every process mapping /dev/shm/orders, the 8 bytes at offset 64\n"
"    racewatch watch --shmid 32769 --offset 0 --len 4 --kind write -d 60\n"
"        writes to the first 4 bytes of System V segment 32769, for a minute\n";

static const struct argp_option watch_opts[] = {
	{ "shm", OPT_SHM, "NAME|PATH", 0, "POSIX shm object name or path of a shared file" },
	{ "shmid", OPT_SHMID, "ID", 0, "System V shared memory segment id" },
	{ "offset", OPT_OFFSET, "OFF", 0, "Byte offset of the field (aligned to its length)" },
	{ "len", OPT_LEN, "N", 0, "Field length: 1, 2, 4 or 8 (default 8)" },
	{ "pid", 'p', "PID", 0, "Only this process and its descendants (default: all)" },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS" },
	COMMON_OPTIONS,
	{},
};

static error_t watch_parse(int key, char *arg, struct argp_state *state)
{
	struct watch_env *env = state->input;
	unsigned long long v;
	char *end;

	switch (key) {
	case OPT_SHM:
		env->shm = arg;
		return 0;
	case OPT_SHMID:
		errno = 0;
		v = strtoull(arg, &end, 0);
		if (errno || *end || end == arg || v > INT32_MAX)
			argp_error(state, "invalid --shmid '%s'", arg);
		env->shmid = v;
		env->has_shmid = true;
		return 0;
	case OPT_OFFSET:
		errno = 0;
		v = strtoull(arg, &end, 0);
		if (errno || *end || end == arg)
			argp_error(state, "invalid --offset '%s'", arg);
		env->offset = v;
		return 0;
	case OPT_LEN:
		errno = 0;
		v = strtoull(arg, &end, 0);
		if (errno || *end || (v != 1 && v != 2 && v != 4 && v != 8))
			argp_error(state, "--len is 1, 2, 4 or 8, not '%s'", arg);
		env->len = v;
		return 0;
	case 'p':
		errno = 0;
		v = strtoull(arg, &end, 10);
		if (errno || *end || !v || v > INT32_MAX)
			argp_error(state, "invalid PID '%s'", arg);
		env->scope = v;
		return 0;
	case 'd':
		errno = 0;
		env->duration = strtod(arg, &end);
		if (errno || *end || env->duration <= 0)
			argp_error(state, "invalid duration '%s'", arg);
		return 0;
	case 'w':
		argp_error(state, "watch takes --shm or --shmid, not -w (see racewatch attach)");
		return 0;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		return 0;
	case ARGP_KEY_END:
		if (!env->shm == !env->has_shmid)
			argp_error(state, "give one of --shm NAME|PATH and --shmid ID");
		if (env->offset & (env->len - 1))
			argp_error(state, "--offset %llu is not aligned to --len %u",
				   (unsigned long long)env->offset, env->len);
		return 0;
	}
	return common_parse(&env->c, key, arg, state);
}

static int cmd_watch(int argc, char **argv)
{
	static const struct argp argp = { watch_opts, watch_parse, NULL, watch_doc };
	struct watch_env *env = &watch_env;
	struct rw_session *s = NULL;
	struct rw_shm_target t;
	int err, ret = 1;

	if (argp_parse(&argp, argc, argv, 0, NULL, env))
		return 2;
	if (env->has_shmid)
		err = rw_shm__resolve_sysv(env->shmid, env->offset, env->len, &t);
	else
		err = rw_shm__resolve(env->shm, env->offset, env->len, false, &t);
	if (err) {
		fprintf(stderr, "racewatch: %s%s: %s\n", env->has_shmid ? "--shmid " : "",
			env->has_shmid ? "" : env->shm,
			err == -EINVAL ? "bad segment, or offset/length outside it" : strerror(-err));
		return 1;
	}
	if (open_output(&env->c))
		return 1;
	/* fork children keep the mapping (and are armed): trace them from their fork */
	env->c.so.follow_children = true;
	err = rw_session__new(&env->c.so, &s);
	if (err)
		goto cleanup;
	err = rw_session__watch_shm(s, &t, env->scope);
	if (err)
		goto cleanup;
	ret = follow_session(s, -1, 0, env->duration, 0);
cleanup:
	rw_session__free(s);
	close_output(&env->c);
	return ret;
}

/* ---- dispatch --------------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: racewatch COMMAND [OPTIONS]\n"
		"\n"
		"Find data races with hardware watchpoints and eBPF, without rebuilding anything.\n"
		"\n"
		"Commands:\n"
		"  run      run a program and report its data races (racewatch run --help)\n"
		"  attach   watch locations of a running process (racewatch attach --help)\n"
		"  replay   run the detector again over a recording (racewatch replay --help)\n"
		"  watch    watch a shared-memory field in every process (racewatch watch --help)\n"
		"\n"
		"racewatch needs root and the racewatch.ko module (/dev/racewatch).\n");
}

int main(int argc, char **argv)
{
	argp_err_exit_status = 2;
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("%s\n", argp_program_version);
		return 0;
	}
	if (!strcmp(argv[1], "run")) {
		argv[1] = "racewatch run";
		return cmd_run(argc - 1, argv + 1);
	}
	if (!strcmp(argv[1], "attach")) {
		argv[1] = "racewatch attach";
		return cmd_attach(argc - 1, argv + 1);
	}
	if (!strcmp(argv[1], "watch")) {
		argv[1] = "racewatch watch";
		return cmd_watch(argc - 1, argv + 1);
	}
	if (!strcmp(argv[1], "replay")) {
		argv[1] = "racewatch replay";
		return cmd_replay(argc - 1, argv + 1);
	}
	fprintf(stderr, "racewatch: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
