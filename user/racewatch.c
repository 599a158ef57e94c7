// SPDX-License-Identifier: GPL-2.0
/*
 * racewatch: the command line front-end.
 *
 *   racewatch run -w SYM -- PROG ARGS      run PROG, report its data races
 *   racewatch attach -p PID -w SYM         watch a running process
 *   racewatch replay FILE                  detect again over a recording
 *   racewatch watch --shm NAME --offset N  watch a shared-memory field everywhere
 *   racewatch list|unwatch|stats|reports   talk to racewatchd
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

#include "ctl.h"
#include "engine.h"
#include "kdev.h"
#include "launch.h"
#include "session.h"
#include "shmtarget.h"
#include "watchreq.h"

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

/* ---- options shared by run, attach, watch and replay (user/lib/watchreq.c) -------------------- */

static int open_output(struct rw_watchreq *env)
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

static void close_output(struct rw_watchreq *env)
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

/* ---- talking to racewatchd ---------------------------------------------------------------------- */

static const char *sock_path(const char *opt)
{
	return opt ? opt : RW_CTL_DEFAULT_SOCKET;
}

static bool no_daemon(int err)
{
	return err == -ENOENT || err == -ECONNREFUSED;
}

/* Send argv to the daemon on @fd, relay its answer; the command's exit status. */
static int daemon_call(int fd, const char *path, int argc, char **argv)
{
	char msg[4096] = "";
	int r;

	r = rw_ctl__call(fd, argc, argv, stdout, stderr, msg, sizeof(msg));
	close(fd);
	if (!r)
		return 0;
	if (r == 1)
		fprintf(stderr, "racewatch: racewatchd: %s\n", msg);
	else
		fprintf(stderr, "racewatch: racewatchd on %s: %s\n", path,
			r == -EPROTO ? "unexpected answer" : strerror(-r));
	return 1;
}

static int daemon_connect(const char *path)
{
	int fd = rw_ctl__connect(path);

	if (fd >= 0)
		return fd;
	if (no_daemon(fd))
		fprintf(stderr, "racewatch: no racewatchd is running (nothing answers on %s)\n",
			path);
	else
		fprintf(stderr, "racewatch: cannot reach racewatchd on %s: %s\n", path,
			strerror(-fd));
	return fd;
}

/*
 * watch/attach: when racewatchd answers on the socket, hand it the command
 * line (it parses it with the same code) and return the exit status; -1
 * when no daemon runs (the caller runs the watch itself).
 */
static int hand_to_daemon(const char *cmd, const char *sock, int argc, char **argv)
{
	const char *path = sock_path(sock);
	char *words[argc + 1];
	int fd, i;

	fd = rw_ctl__connect(path);
	if (no_daemon(fd))
		return -1;
	if (fd < 0) {
		fprintf(stderr, "racewatch: cannot reach racewatchd on %s: %s (--foreground runs "
			"the watch here)\n", path, strerror(-fd));
		return 1;
	}
	words[0] = (char *)cmd;
	for (i = 1; i < argc; i++)
		words[i] = argv[i];
	words[argc] = NULL;
	return daemon_call(fd, path, argc, words);
}

static struct ctl_env {
	const char *socket;
	bool json;
	bool follow;
	const char *id;
} ctl_env;

static const struct argp_option list_opts[] = {
	{ "format", 'f', "text|json", 0, "Output format (default text)" },
	{ "socket", RW_OPT_SOCKET, "PATH", 0,
	  "racewatchd's control socket (default " RW_CTL_DEFAULT_SOCKET ")" },
	{},
};

static const struct argp_option reports_opts[] = {
	{ "follow", 'F', NULL, 0, "Then print new reports as they come, until Ctrl-C" },
	{ "format", 'f', "text|json", 0, "Report format (default text)" },
	{ "socket", RW_OPT_SOCKET, "PATH", 0,
	  "racewatchd's control socket (default " RW_CTL_DEFAULT_SOCKET ")" },
	{},
};

static const struct argp_option unwatch_opts[] = {
	{ "socket", RW_OPT_SOCKET, "PATH", 0,
	  "racewatchd's control socket (default " RW_CTL_DEFAULT_SOCKET ")" },
	{},
};

static error_t ctl_parse(int key, char *arg, struct argp_state *state)
{
	struct ctl_env *e = state->input;

	switch (key) {
	case 'f':
		if (strcmp(arg, "text") && strcmp(arg, "json"))
			argp_error(state, "--format is text or json, not '%s'", arg);
		e->json = !strcmp(arg, "json");
		return 0;
	case 'F':
		e->follow = true;
		return 0;
	case RW_OPT_SOCKET:
		e->socket = arg;
		return 0;
	case ARGP_KEY_ARG:
		if (e->id || strcmp(state->argv[0], "racewatch unwatch"))
			argp_error(state, "unexpected argument '%s'", arg);
		e->id = arg;
		return 0;
	case ARGP_KEY_END:
		if (!strcmp(state->argv[0], "racewatch unwatch") && !e->id)
			argp_error(state, "which watch? (racewatch unwatch ID; racewatch list "
				   "shows the ids)");
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

#define NO_DAEMON_DOC								\
"With no racewatchd running, racewatch says so on one line and exits 1.\n"

static const char list_doc[] =
"List the watches racewatchd holds.\n"
"\n"
"USAGE: racewatch list [--format text|json] [--socket PATH]\n"
"\v"
"One line per watch: its id (for racewatch unwatch); its kind (watch: a\n"
"shared-memory field, or with --exe the globals of an executable; attach:\n"
"locations of one process); the processes armed now; the access records it\n"
"gave (hits); its coverage, the share of the time it was armed (below 100%\n"
"when more locations than debug registers take turns); what it watches. A\n"
"watch of several locations lists each below it.\n"
"--format json prints one object per watch.\n"
"\n"
NO_DAEMON_DOC
"\n"
"EXAMPLES:\n"
"    racewatch watch --shm /orders --offset 64 --len 8 && racewatch list\n"
"        hand a watch to racewatchd, then see it armed where the segment is\n"
"    racewatch list --format json | jq 'select(.coverage < 0.5)'\n"
"        the watches that were armed less than half of the time\n";

static const char unwatch_doc[] =
"Stop one of racewatchd's watches.\n"
"\n"
"USAGE: racewatch unwatch ID [--socket PATH]\n"
"\v"
"Disarms the watch in every process and takes it out of the rotation; the\n"
"reports it gave stay in racewatch reports. racewatch list shows the ids.\n"
"\n"
NO_DAEMON_DOC
"\n"
"EXAMPLE:\n"
"    racewatch unwatch 3\n";

static const char stats_doc[] =
"Show racewatchd's counters.\n"
"\n"
"USAGE: racewatch stats [--format text|json] [--socket PATH]\n"
"\v"
"Access records read and lost (the module's ring), sync events read (by\n"
"operation) and lost (the BPF ring), records that came after the reorder\n"
"window, races reported, reports kept and evicted, watches, hardware\n"
"watchpoints armed now (one per location per thread), rotation rounds, and\n"
"each location's coverage and hits. The same figures are on racewatchd's\n"
"/metrics.\n"
"\n"
NO_DAEMON_DOC
"\n"
"EXAMPLES:\n"
"    racewatch stats\n"
"    racewatch stats --format json | jq .dropped\n"
"        records lost in the module's ring and in the BPF ring\n";

static const char reports_doc[] =
"Print the race reports racewatchd kept.\n"
"\n"
"USAGE: racewatch reports [--follow] [--format text|json] [--socket PATH]\n"
"\v"
"racewatchd keeps the newest reports (1000 unless its --keep says\n"
"otherwise) and says how many older ones it dropped. --format json prints\n"
"each as one JSON line, as racewatch run --format json does. --follow keeps\n"
"printing new reports as they are found, until Ctrl-C.\n"
"\n"
NO_DAEMON_DOC
"\n"
"EXAMPLES:\n"
"    racewatch reports | less\n"
"        the kept reports, oldest first, as the Go race detector prints them\n"
"    racewatch reports --follow --format json >> races.json\n"
"        every report from now on, one JSON line each\n";

static int cmd_ctl(const char *cmd, int argc, char **argv)
{
	static const struct argp list_argp = { list_opts, ctl_parse, NULL, list_doc };
	static const struct argp stats_argp = { list_opts, ctl_parse, NULL, stats_doc };
	static const struct argp unwatch_argp = { unwatch_opts, ctl_parse, NULL, unwatch_doc };
	static const struct argp reports_argp = { reports_opts, ctl_parse, NULL, reports_doc };
	const struct argp *argp = !strcmp(cmd, "list") ? &list_argp :
				  !strcmp(cmd, "stats") ? &stats_argp :
				  !strcmp(cmd, "unwatch") ? &unwatch_argp : &reports_argp;
	struct ctl_env *e = &ctl_env;
	char *words[5];
	int n = 0, fd;

	if (argp_parse(argp, argc, argv, 0, NULL, e))
		return 2;
	words[n++] = (char *)cmd;
	if (e->id)
		words[n++] = (char *)e->id;
	if (e->follow)
		words[n++] = "--follow";
	if (e->json) {
		words[n++] = "--format";
		words[n++] = "json";
	}
	fd = daemon_connect(sock_path(e->socket));
	if (fd < 0)
		return 1;
	return daemon_call(fd, sock_path(e->socket), n, words);
}

/* ---- run -------------------------------------------------------------------------------------- */

static struct run_env {
	struct rw_watchreq c;
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
"library it loads (C++: ns::name, Class::member; a C function's static by its\n"
"plain name), an optional byte offset into it, and a length of 1, 2, 4 or 8\n"
"bytes — or 0xADDR[:LEN]. Without :LEN the whole object from +OFF on is\n"
"watched: up to 64 bytes, as aligned parts of at most 8 bytes, each a\n"
"location of its own (SYM+OFF). Each location takes two debug registers per\n"
"thread (one with --kind write); x86 has four. A --shm field takes them in\n"
"every process that maps it. When the locations need more than are free, all\n"
"of them stay watched in turns: the armed set (-w and --shm alike) is rotated\n"
"every --rotate-ms (DataCollider-style sampling), and the summary gives each\n"
"location's coverage, the share of the run it was armed, and counts any\n"
"process that could not be armed. With --format json the output ends with a\n"
"session object holding the same figures.\n"
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
	{ "shm", RW_OPT_SHM, "NAME[+OFF][:LEN]", 0,
	  "Field of a shared-memory segment (POSIX shm NAME, or a file PATH) to watch in "
	  "every process of the run that maps it (repeatable)" },
	RW_WATCHREQ_COMMON_OPTIONS,
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
	case RW_OPT_SHM: {
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
	return rw_watchreq__parse_common(&env->c, key, arg, state);
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

/* ---- attach ---------------------------------------------------------------------------------- */

static int cmd_attach(int argc, char **argv)
{
	struct rw_watchreq r;
	struct rw_session *s = NULL;
	int pidfd = -1, err, ret = 1;

	rw_watchreq__parse(&r, RW_CMD_ATTACH, argc, argv, 0, NULL);
	if (!r.foreground && !r.fg_only) {
		ret = hand_to_daemon("attach", r.socket, argc, argv);
		if (ret >= 0)
			return ret;
		ret = 1;
	}
	if (open_output(&r))
		return 1;
	pidfd = syscall(SYS_pidfd_open, r.pid, 0);
	if (pidfd < 0) {
		fprintf(stderr, "racewatch: process %d: %s\n", r.pid, strerror(errno));
		goto cleanup;
	}
	err = rw_session__new(&r.so, &s);
	if (err)
		goto cleanup;
	err = rw_watchreq__start(&r, s);
	if (err)
		goto cleanup;
	ret = follow_session(s, pidfd, r.pid, r.duration, r.count);
cleanup:
	if (pidfd >= 0)
		close(pidfd);
	rw_session__free(s);
	close_output(&r);
	return ret;
}

/* ---- replay ----------------------------------------------------------------------------------- */

static struct replay_env {
	struct rw_watchreq c;
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
	return rw_watchreq__parse_common(&env->c, key, arg, state);
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

/* ---- watch ----------------------------------------------------------------------------------- */

static int cmd_watch(int argc, char **argv)
{
	struct rw_watchreq r;
	struct rw_session *s = NULL;
	int err, ret = 1;

	rw_watchreq__parse(&r, RW_CMD_WATCH, argc, argv, 0, NULL);
	if (!r.foreground && !r.fg_only) {
		ret = hand_to_daemon("watch", r.socket, argc, argv);
		if (ret >= 0)
			return ret;
		ret = 1;
	}
	if (open_output(&r))
		return 1;
	/* fork children keep the mapping (and are armed): trace them from their fork */
	r.so.follow_children = true;
	err = rw_session__new(&r.so, &s);
	if (err)
		goto cleanup;
	err = rw_watchreq__start(&r, s);
	if (err)
		goto cleanup;
	ret = follow_session(s, -1, 0, r.duration, 0);
cleanup:
	rw_session__free(s);
	close_output(&r);
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
		"With racewatchd running, watch and attach hand their watches to it, and:\n"
		"  list     the daemon's watches: id, processes armed, hits, coverage\n"
		"  unwatch  stop one of them (racewatch unwatch ID)\n"
		"  stats    its counters: records, drops, sync events, races, coverage\n"
		"  reports  the reports it kept (--follow: and new ones as they come)\n"
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
	if (!strcmp(argv[1], "list") || !strcmp(argv[1], "unwatch") || !strcmp(argv[1], "stats") ||
	    !strcmp(argv[1], "reports")) {
		const char *cmd = argv[1];
		char name[32];

		snprintf(name, sizeof(name), "racewatch %s", cmd);
		argv[1] = name;
		return cmd_ctl(cmd, argc - 1, argv + 1);
	}
	if (!strcmp(argv[1], "replay")) {
		argv[1] = "racewatch replay";
		return cmd_replay(argc - 1, argv + 1);
	}
	fprintf(stderr, "racewatch: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
