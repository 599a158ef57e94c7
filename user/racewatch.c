// SPDX-License-Identifier: GPL-2.0
/*
 * racewatch: the command line front-end.
 *
 *   racewatch attach -p PID -w 0xADDR[:LEN] --raw     print access records
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

#include "kdev.h"

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

/* ---- raw record output ---------------------------------------------------------------------- */

struct raw_ctx {
	FILE *out;
	long max;
	long seen;
};

static int print_raw(void *ctx, const struct racewatch_access *r)
{
	struct raw_ctx *rc = ctx;
	char comm[sizeof(r->comm) + 1] = {};
	__u32 i;

	memcpy(comm, r->comm, sizeof(r->comm));
	fprintf(rc->out,
		"time_ns=%" PRIu64 " seq=%" PRIu64 " watch=%u pid=%u tid=%u comm=%s cpu=%u "
		"access=%s addr=0x%" PRIx64 " len=%u value=",
		(uint64_t)r->time_ns, (uint64_t)r->seq, r->watch_id, r->pid, r->tid, comm, r->cpu,
		r->access == RACEWATCH_ACCESS_WRITE ? "write" : "read", (uint64_t)r->addr, r->len);
	if (r->flags & RACEWATCH_ACCESS_F_VALUE_OK)
		fprintf(rc->out, "0x%" PRIx64, (uint64_t)r->value);
	else
		fputs("?", rc->out);
	fprintf(rc->out, " ip=0x%" PRIx64 " sp=0x%" PRIx64 " stack=", (uint64_t)r->regs.ip,
		(uint64_t)r->regs.sp);
	for (i = 0; i < r->nr_stack; i++)
		fprintf(rc->out, "%s0x%" PRIx64, i ? "," : "", (uint64_t)r->stack[i]);
	fputc('\n', rc->out);
	fflush(rc->out);
	rc->seen++;
	return rc->max > 0 && rc->seen >= rc->max;
}

/* ---- attach ----------------------------------------------------------------------------------- */

static struct attach_env {
	pid_t pid;
	struct watch_spec watches[MAX_WATCHES];
	int nr_watches;
	__u32 kind;
	bool raw;
	long count;
	double duration;
	const char *output;
} attach_env = { .kind = RACEWATCH_KIND_RW };

static const char attach_doc[] =
"Watch memory locations of a running process.\n"
"\n"
"USAGE: racewatch attach -p PID -w 0xADDR[:LEN]... --raw [-c COUNT] [-d SECONDS]\n"
"\v"
"Every thread of PID gets a hardware watchpoint on each location (threads it\n"
"creates later too); each access to a location is printed as one line of\n"
"key=value fields: time_ns seq watch pid tid comm cpu access addr len value ip\n"
"sp stack. The process is not stopped or changed. Ctrl-C detaches and disarms.\n"
"\n"
"LEN is 1, 2, 4 or 8 (default 8) and ADDR must be aligned to it.\n"
"\n"
"EXAMPLES:\n"
"    racewatch attach -p 4242 -w 0x55d0c0a04010 --raw\n"
"        print every read and write of the 8 bytes at that address\n"
"    racewatch attach -p 4242 -w 0x55d0c0a04010:4 --kind write --raw -c 100\n"
"        writes only, to 4 bytes; stop after 100 records\n";

static const struct argp_option attach_opts[] = {
	{ "pid", 'p', "PID", 0, "Process to watch" },
	{ "watch", 'w', "0xADDR[:LEN]", 0, "Location to watch (repeatable)" },
	{ "kind", 'k', "rw|write", 0, "Accesses to trap: reads and writes (default), or writes" },
	{ "raw", 'r', NULL, 0, "Print access records, one per line" },
	{ "count", 'c', "N", 0, "Stop after N records" },
	{ "duration", 'd', "SECONDS", 0, "Stop after SECONDS" },
	{ "output", 'o', "FILE", 0, "Write records to FILE instead of stdout" },
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
		break;
	case 'w':
		if (env->nr_watches == MAX_WATCHES)
			argp_error(state, "at most %d watches", MAX_WATCHES);
		if (parse_addr_spec(arg, &env->watches[env->nr_watches++]))
			argp_error(state, "invalid watch '%s'", arg);
		break;
	case 'k':
		if (parse_kind(arg, &env->kind))
			argp_error(state, "--kind is rw or write, not '%s'", arg);
		break;
	case 'r':
		env->raw = true;
		break;
	case 'c':
		errno = 0;
		env->count = strtol(arg, &end, 10);
		if (errno || *end || env->count <= 0)
			argp_error(state, "invalid count '%s'", arg);
		break;
	case 'd':
		errno = 0;
		env->duration = strtod(arg, &end);
		if (errno || *end || env->duration <= 0)
			argp_error(state, "invalid duration '%s'", arg);
		break;
	case 'o':
		env->output = arg;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (!env->pid)
			argp_error(state, "-p PID is required");
		if (!env->nr_watches)
			argp_error(state, "at least one -w is required");
		if (!env->raw)
			argp_error(state, "only --raw output is available in this version");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmd_attach(int argc, char **argv)
{
	static const struct argp argp = { attach_opts, attach_parse, NULL, attach_doc };
	struct attach_env *env = &attach_env;
	struct raw_ctx rc = { .out = stdout };
	struct kdev_opts kopts = { .sz = sizeof(kopts), .on_record = print_raw, .ctx = &rc };
	struct racewatch_stats st;
	struct kdev *dev = NULL;
	int pidfd = -1, err, i;
	double deadline = 0;

	err = argp_parse(&argp, argc, argv, 0, NULL, env);
	if (err)
		return 2;
	rc.max = env->count;
	if (env->output) {
		rc.out = fopen(env->output, "w");
		if (!rc.out) {
			fprintf(stderr, "racewatch: %s: %s\n", env->output, strerror(errno));
			return 1;
		}
	}

	err = kdev__open(&kopts, &dev);
	if (err) {
		fprintf(stderr, "racewatch: cannot open %s: %s%s\n", RACEWATCH_DEVICE,
			strerror(-err), err == -ENOENT ? " (is racewatch.ko loaded?)" : "");
		goto cleanup;
	}
	pidfd = syscall(SYS_pidfd_open, env->pid, 0);
	if (pidfd < 0) {
		err = -errno;
		fprintf(stderr, "racewatch: process %d: %s\n", env->pid, strerror(errno));
		goto cleanup;
	}
	for (i = 0; i < env->nr_watches; i++) {
		struct watch_spec *w = &env->watches[i];
		struct racewatch_watch out;

		err = kdev__watch(dev, env->pid, w->addr, w->len, env->kind, 0, &out);
		if (err) {
			fprintf(stderr, "racewatch: watch %s in process %d: %s\n", w->text, env->pid,
				kdev__watch_strerror(err));
			goto cleanup;
		}
		fprintf(stderr, "racewatch: watch %u: 0x%llx:%u in process %d, %u thread(s) armed\n",
			out.id, (unsigned long long)w->addr, w->len, env->pid, out.threads);
	}
	err = install_signals();
	if (err)
		goto cleanup;
	if (env->duration > 0)
		deadline = now_s() + env->duration;

	while (!exiting) {
		struct pollfd pfd[2] = {
			{ .fd = kdev__fd(dev), .events = POLLIN },
			{ .fd = pidfd, .events = POLLIN },
		};
		int n = poll(pfd, 2, 100);

		if (n < 0 && errno != EINTR) {
			err = -errno;
			goto cleanup;
		}
		n = kdev__consume(dev);
		if (n < 0) {
			err = n;
			fprintf(stderr, "racewatch: reading records: %s\n", strerror(-err));
			goto cleanup;
		}
		if (rc.max > 0 && rc.seen >= rc.max)
			break;
		if (pfd[1].revents & POLLIN) {
			kdev__consume(dev);
			fprintf(stderr, "racewatch: process %d exited\n", env->pid);
			break;
		}
		if (deadline && now_s() >= deadline)
			break;
	}
	err = 0;
	if (!kdev__stats(dev, &st))
		fprintf(stderr, "racewatch: %llu records, %llu dropped (ring full)\n",
			(unsigned long long)st.records, (unsigned long long)st.dropped);
cleanup:
	if (pidfd >= 0)
		close(pidfd);
	kdev__free(dev);
	if (rc.out && rc.out != stdout)
		fclose(rc.out);
	return err ? 1 : 0;
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
		"  attach   watch locations of a running process (racewatch attach --help)\n"
		"\n"
		"racewatch needs root and the racewatch.ko module (/dev/racewatch).\n");
}

int main(int argc, char **argv)
{
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
	if (!strcmp(argv[1], "attach")) {
		argv[1] = "racewatch attach";
		return cmd_attach(argc - 1, argv + 1);
	}
	fprintf(stderr, "racewatch: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
