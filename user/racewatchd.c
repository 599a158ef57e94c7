// SPDX-License-Identifier: GPL-2.0
/*
 * racewatchd: the racewatch daemon. One long-lived session (access records
 * from /dev/racewatch, sync events from the BPF tracer, the detector) that
 * watches what `racewatch watch` and `racewatch attach` hand it over a unix
 * control socket, keeps the latest reports for `racewatch reports`, appends
 * them to a JSON-lines file and serves Prometheus metrics. One thread, one
 * poll loop. See Documentation/daemon.rst.
 */
#include <argp.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "report.h"
#include "metrics.h"
#include "session.h"
#include "summary.h"
#include "sync_source.h"
#include "watchreq.h"

const char *argp_program_version = "racewatchd 0.1";
const char *argp_program_bug_address = "the racewatch issue tracker";

#define DEFAULT_METRICS		"127.0.0.1:9464"
#define DEFAULT_KEEP		1000
#define HTTP_MAX_REQUEST	8192
#define CLIENT_MAX_BACKLOG	(16u << 20)	/* a follower this far behind is dropped */
#define MAX_CLIENTS		256
#define MAX_HTTP_CLIENTS	64	/* so metrics scrapers cannot crowd out the control socket */
#define IDLE_MS			10000	/* a connection that sent no whole request by then is closed */

static volatile sig_atomic_t exiting, reopen;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reopen = 1;
	else
		exiting = 1;
}

/* ---- settings ----------------------------------------------------------------------------------- */

static struct env {
	const char *socket;
	const char *metrics;
	const char *json;
	const char *config;
	const char *group;
	long keep;
	bool verbose;
} env = {
	.socket = RW_CTL_DEFAULT_SOCKET,
	.metrics = DEFAULT_METRICS,
	.keep = DEFAULT_KEEP,
};

static const char doc[] =
"racewatchd: the racewatch daemon.\n"
"\n"
"USAGE: racewatchd [--socket PATH] [--metrics ADDR:PORT|off] [--json FILE]\n"
"                  [--config FILE] [--group GROUP]\n"
"\v"
"racewatchd holds one racewatch session — the kernel module's access records,\n"
"the eBPF sync tracer and the happens-before detector — for as long as it\n"
"runs, and watches what it is told to: `racewatch watch ...` and `racewatch\n"
"attach ...` hand their watches to it over the control socket when it runs\n"
"(`racewatch list`, `unwatch ID`, `stats`, `reports [--follow]` talk to it\n"
"too), and --config names watches to set up at start. It starts with no\n"
"watch. Reports are printed on stdout as they are found (the journal, under\n"
"systemd), kept in memory (the newest --keep of them), appended to --json\n"
"and counted in the metrics.\n"
"\n"
"It runs in the foreground (systemd: Type=simple; see\n"
"scripts/racewatchd.service). SIGTERM or SIGINT ends the session: every\n"
"watch is disarmed and the summary goes to stderr. SIGHUP reopens the --json\n"
"file (after logrotate). Only root may talk to the control socket, or the\n"
"members of --group. A second racewatchd on the same socket refuses to start.\n"
"\n"
"Metrics (Prometheus text format) are served on GET /metrics at\n"
DEFAULT_METRICS " unless --metrics says otherwise: a PORT alone stays on\n"
"127.0.0.1; any other address must be written out, and is then reachable by\n"
"whoever can reach that address.\n"
"\n"
"The config file has one watch per line, the arguments of `racewatch watch`\n"
"or `racewatch attach` after the word watch or attach; # starts a comment;\n"
"quotes work as in a shell. An error names FILE:LINE and racewatchd exits 1.\n"
"\n"
"EXAMPLES:\n"
"    racewatchd\n"
"        control socket " RW_CTL_DEFAULT_SOCKET ", metrics on " DEFAULT_METRICS "\n"
"    racewatchd --json /var/log/racewatch.json --config /etc/racewatch/watches.conf\n"
"        also write every report as a JSON line; set up the watches in the file\n"
"    racewatchd --metrics 10.0.0.5:9464 --group racewatch\n"
"        metrics on that interface; members of group racewatch may use racewatch\n"
"\n"
"    /etc/racewatch/watches.conf:\n"
"        # the order book's head index, in every process mapping it\n"
"        watch --shm /orders --offset 64 --len 8\n";

enum {
	OPT_SOCKET = 0x100,
	OPT_METRICS,
	OPT_JSON,
	OPT_CONFIG,
	OPT_GROUP,
	OPT_KEEP,
};

static const struct argp_option opts[] = {
	{ "socket", OPT_SOCKET, "PATH", 0,
	  "Control socket (default " RW_CTL_DEFAULT_SOCKET "; its directory is made 0700)" },
	{ "metrics", OPT_METRICS, "ADDR:PORT|off", 0,
	  "Serve Prometheus metrics on GET /metrics here (default " DEFAULT_METRICS ")" },
	{ "json", OPT_JSON, "FILE", 0, "Append every report to FILE as one JSON line" },
	{ "config", OPT_CONFIG, "FILE", 0, "Watches to set up at start, one per line" },
	{ "group", OPT_GROUP, "GROUP", 0, "Members of GROUP may use the control socket too" },
	{ "keep", OPT_KEEP, "N", 0, "Reports kept for racewatch reports (default 1000)" },
	{ "verbose", 'v', NULL, 0, "Say what is armed and attached; libbpf debug output" },
	{},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	char *end;

	switch (key) {
	case OPT_SOCKET:
		env.socket = arg;
		return 0;
	case OPT_METRICS:
		env.metrics = arg;
		return 0;
	case OPT_JSON:
		env.json = arg;
		return 0;
	case OPT_CONFIG:
		env.config = arg;
		return 0;
	case OPT_GROUP:
		env.group = arg;
		return 0;
	case OPT_KEEP:
		errno = 0;
		env.keep = strtol(arg, &end, 10);
		if (errno || *end || end == arg || env.keep < 1 || env.keep > 1000000)
			argp_error(state, "--keep is 1..1000000, not '%s'", arg);
		return 0;
	case 'v':
		env.verbose = true;
		return 0;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

/* ---- state --------------------------------------------------------------------------------------- */

enum client_kind { CL_CTL, CL_HTTP };

/**
 * struct client - one accepted connection
 * @fd: its socket (non-blocking)
 * @kind: control or HTTP
 * @in: bytes received and not handled yet
 * @out: bytes to send
 * @follow: a `reports --follow` client: new reports are streamed to it
 * @json: it wants JSON lines
 * @done: close once @out is sent
 * @since_ms: when it was accepted (CLOCK_MONOTONIC ms)
 */
struct client {
	int fd;
	enum client_kind kind;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_off;
	bool follow;
	bool json;
	bool done;
	long long since_ms;
};

/**
 * struct dwatch - a watch the daemon holds
 * @id: its id (the session's watch group)
 * @cmd: attach or watch
 * @target: what it watches, for list
 * @removed: unwatched
 */
struct dwatch {
	__u32 id;
	enum rw_watch_cmd cmd;
	char target[256];
	bool removed;
};

struct report {
	char *text;
	char *json;
};

struct daemon {
	struct rw_session *s;
	int ctl_fd;
	int http_fd;
	bool socket_made;
	gid_t gid;
	bool has_group;
	struct client *clients[MAX_CLIENTS];
	int nr_clients;
	struct dwatch *watches;
	int nr_watches, cap_watches;
	struct report *reports;	/* ring of env.keep */
	long rep_head, rep_count;
	__u64 evicted;
	FILE *json;
};

static struct daemon d = { .ctl_fd = -1, .http_fd = -1 };

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* ---- client output -------------------------------------------------------------------------------- */

static void client_free(struct client *c)
{
	close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

static void client_flush(struct client *c)
{
	ssize_t n;

	while (c->out_off < c->out_len) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			/* the peer is gone: nothing more to send */
			c->out_off = c->out_len;
			c->done = true;
			c->follow = false;
			return;
		}
		c->out_off += n;
	}
	c->out_off = c->out_len = 0;
}

static void client_put(struct client *c, const char *buf, size_t len)
{
	char *p;

	if (c->out_len - c->out_off + len > CLIENT_MAX_BACKLOG) {
		fprintf(stderr, "racewatchd: a reports --follow client fell %u MiB behind: "
			"dropped\n", CLIENT_MAX_BACKLOG >> 20);
		c->done = true;
		c->follow = false;
		c->out_off = c->out_len = 0;
		return;
	}
	p = realloc(c->out, c->out_len + len);
	if (!p) {
		c->done = true;
		return;
	}
	c->out = p;
	memcpy(c->out + c->out_len, buf, len);
	c->out_len += len;
}

/* Send @text as lines of kind @kind ('.' or '!'), one per line of @text. */
static void client_lines(struct client *c, char kind, const char *text)
{
	const char *p = text, *nl;

	while (*p) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		client_put(c, &kind, 1);
		client_put(c, p, nl - p);
		client_put(c, "\n", 1);
		p = *nl ? nl + 1 : nl;
	}
}

static void client_printf(struct client *c, char kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void client_printf(struct client *c, char kind, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) >= 0) {
		if (kind)
			client_lines(c, kind, text);
		else
			client_put(c, text, strlen(text));
	}
	va_end(ap);
	free(text);
}

static void client_ok(struct client *c, const char *text)
{
	client_printf(c, 0, "ok%s%s\n", text && *text ? " " : "", text ? text : "");
	c->done = true;
}

/* The error line carries one line: the last non-empty line of @text. */
static void client_error(struct client *c, const char *text)
{
	const char *last = text, *p;
	int len;

	for (p = text; *p; p++)
		if (p[0] == '\n' && p[1])
			last = p + 1;
	/* the session's messages start with the CLI's prefix; the client adds its own */
	if (!strncmp(last, "racewatch: ", 11))
		last += 11;
	len = strcspn(last, "\n");
	client_printf(c, 0, "error %.*s\n", len ? len : 6, len ? last : "failed");
	c->done = true;
}

/* ---- reports ------------------------------------------------------------------------------------- */

static void send_report(struct client *c, const struct report *r)
{
	client_lines(c, '.', c->json ? r->json : r->text);
}

static void on_report(void *ctx, const struct rw_race_info *info)
{
	struct report *r;
	int i;

	if (d.json) {
		fprintf(d.json, "%s%s", info->json,
			info->json[0] && info->json[strlen(info->json) - 1] == '\n' ? "" : "\n");
		fflush(d.json);
	}
	if (d.rep_count == env.keep) {
		r = &d.reports[d.rep_head];
		free(r->text);
		free(r->json);
		d.rep_head = (d.rep_head + 1) % env.keep;
		d.rep_count--;
		d.evicted++;
	}
	r = &d.reports[(d.rep_head + d.rep_count) % env.keep];
	r->text = strdup(info->text);
	r->json = strdup(info->json);
	if (!r->text || !r->json) {
		free(r->text);
		free(r->json);
		return;
	}
	d.rep_count++;
	for (i = 0; i < d.nr_clients; i++) {
		struct client *c = d.clients[i];

		if (c->follow) {
			send_report(c, r);
			client_flush(c);
		}
	}
}

static int open_json(void)
{
	FILE *f;

	if (!env.json)
		return 0;
	f = fopen(env.json, "a");
	if (!f) {
		fprintf(stderr, "racewatchd: --json %s: %s\n", env.json, strerror(errno));
		return -errno;
	}
	if (d.json)
		fclose(d.json);
	d.json = f;
	return 0;
}

/* ---- watches -------------------------------------------------------------------------------------- */

/*
 * Run @fn with the process's stderr going into a buffer (the session and
 * the resolvers say why something failed on stderr); the text is also
 * copied to the real stderr. Returns fn's value; *out gets the text.
 */
static int with_stderr_captured(int (*fn)(void *), void *arg, char **out)
{
	int mfd, saved, ret;
	off_t len;

	*out = NULL;
	fflush(stderr);
	mfd = memfd_create("racewatchd-msgs", MFD_CLOEXEC);
	saved = dup(2);
	if (mfd < 0 || saved < 0 || dup2(mfd, 2) < 0) {
		if (mfd >= 0)
			close(mfd);
		if (saved >= 0)
			close(saved);
		return fn(arg);
	}
	ret = fn(arg);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	len = lseek(mfd, 0, SEEK_END);
	if (len > 0 && (*out = calloc(1, len + 1)) && pread(mfd, *out, len, 0) == len)
		fputs(*out, stderr);
	close(mfd);
	return ret;
}

static int grow_watches(void)
{
	struct dwatch *p;
	int cap;

	if (d.nr_watches < d.cap_watches)
		return 0;
	cap = d.cap_watches ? 2 * d.cap_watches : 16;
	p = realloc(d.watches, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	d.watches = p;
	d.cap_watches = cap;
	return 0;
}

struct start_arg {
	struct rw_watchreq *r;
};

static int start_fn(void *arg)
{
	struct start_arg *a = arg;

	return rw_watchreq__start(a->r, d.s);
}

/*
 * A watch or attach request (argv[0] is "watch" or "attach", the rest the
 * command line's arguments). Messages go to @msgs. Returns the watch id,
 * or -errno.
 */
static int daemon_watch(int argc, char **argv, FILE *msgs)
{
	enum rw_watch_cmd cmd;
	struct rw_watchreq r;
	struct start_arg a = { &r };
	struct dwatch *w;
	char *text = NULL, name[32];
	__u32 id;
	int err;

	if (!strcmp(argv[0], "watch"))
		cmd = RW_CMD_WATCH;
	else if (!strcmp(argv[0], "attach"))
		cmd = RW_CMD_ATTACH;
	else {
		fprintf(msgs, "unknown command '%s' (watch or attach)\n", argv[0]);
		return -EINVAL;
	}
	snprintf(name, sizeof(name), "racewatch %s", argv[0]);
	argv[0] = name;
	if (rw_watchreq__parse(&r, cmd, argc, argv, RW_WATCHREQ_QUIET, msgs))
		return -EINVAL;
	if (r.fg_only) {
		fprintf(msgs, "%s applies to a run of its own, not to racewatchd's session "
			"(racewatch runs it in the foreground)\n", r.fg_only);
		return -EINVAL;
	}
	if (r.kind_given && r.so.kind != RACEWATCH_KIND_RW) {
		fprintf(msgs, "racewatchd watches reads and writes; --kind write needs "
			"--foreground\n");
		return -EINVAL;
	}
	err = grow_watches();
	if (err)
		return err;
	id = rw_session__begin_watch(d.s);
	err = with_stderr_captured(start_fn, &a, &text);
	if (text) {
		fputs(text, msgs);
		free(text);
	}
	if (err) {
		/* undo what was made before the failure (attach -w a -w b, b failing) */
		rw_session__unwatch(d.s, id);
		return err;
	}
	w = &d.watches[d.nr_watches++];
	memset(w, 0, sizeof(*w));
	w->id = id;
	w->cmd = cmd;
	rw_watchreq__describe(&r, w->target, sizeof(w->target));
	fprintf(stderr, "racewatchd: watch %u: %s\n", id, w->target);
	return id;
}

static struct dwatch *find_watch(__u32 id)
{
	int i;

	for (i = 0; i < d.nr_watches; i++)
		if (d.watches[i].id == id && !d.watches[i].removed)
			return &d.watches[i];
	return NULL;
}

static int live_watches(void)
{
	int i, n = 0;

	for (i = 0; i < d.nr_watches; i++)
		n += !d.watches[i].removed;
	return n;
}

/**
 * struct dloc - one location of a live watch, for list, stats and metrics
 * @watch: watch id
 * @name: location name
 * @coverage: share of the time armed
 * @hits: access records
 * @processes: processes armed now
 * @armed: armed now
 */
struct dloc {
	__u32 watch;
	const char *name;
	double coverage;
	__u64 hits;
	__u32 processes;
	bool armed;
};

/* The locations of live watches (malloc'd array, *nr entries). */
static struct dloc *collect_locs(int *nr)
{
	struct rw_session_stats st;
	struct rw_session_loc l;
	struct rw_session_file f;
	struct dloc *v;
	int i, n = 0;
	bool alive;

	rw_session__stats(d.s, &st);
	v = calloc(st.locations + st.files + 1, sizeof(*v));
	if (!v) {
		*nr = 0;
		return NULL;
	}
	/* shared-memory fields are locations too (l.shm), rotated with the others */
	for (i = 0; i < (int)st.locations; i++) {
		if (rw_session__location(d.s, i, &l) || l.removed || !find_watch(l.watch))
			continue;
		alive = l.armed && (!kill(l.pid, 0) || errno == EPERM);
		v[n++] = (struct dloc){
			.watch = l.watch, .name = l.name, .hits = l.hits, .armed = l.armed,
			/* a -w location counts its process while it lives; a field its mappers */
			.processes = l.shm ? l.processes : alive,
			.coverage = l.run_ns ? rw_summary__coverage(&l) : l.armed,
		};
	}
	/* executable watches: armed in every process running the executable, not rotated */
	for (i = 0; i < (int)st.files; i++) {
		if (rw_session__file(d.s, i, &f) || f.shm || f.removed || !find_watch(f.watch))
			continue;
		v[n++] = (struct dloc){
			.watch = f.watch, .name = f.name, .hits = f.hits, .armed = true,
			.processes = f.processes, .coverage = 1.0,
		};
	}
	*nr = n;
	return v;
}

/* ---- requests ------------------------------------------------------------------------------------- */

static const char *kind_name(enum rw_watch_cmd cmd)
{
	return cmd == RW_CMD_WATCH ? "watch" : "attach";
}

/* "--format json" among the words after the command; -EINVAL for anything unknown. */
static int parse_words(struct client *c, int argc, char **argv, bool follow_ok, bool *json,
		       bool *follow)
{
	int i;

	*json = false;
	if (follow)
		*follow = false;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--format") && i + 1 < argc &&
		    (!strcmp(argv[i + 1], "json") || !strcmp(argv[i + 1], "text"))) {
			*json = !strcmp(argv[++i], "json");
		} else if (follow_ok && !strcmp(argv[i], "--follow")) {
			*follow = true;
		} else {
			client_printf(c, 0, "error %s: unexpected '%s'\n", argv[0], argv[i]);
			c->done = true;
			return -EINVAL;
		}
	}
	return 0;
}

/**
 * struct wsum - one watch's locations summed up for list
 * @hits: access records of all its locations
 * @procs: the most processes any of its locations is armed in now
 * @coverage: its locations' mean coverage
 * @n: its locations
 */
struct wsum {
	__u64 hits;
	__u32 procs;
	double coverage;
	int n;
};

static struct wsum sum_watch(const struct dwatch *w, const struct dloc *locs, int nr)
{
	struct wsum t = {};
	int j;

	for (j = 0; j < nr; j++) {
		if (locs[j].watch != w->id)
			continue;
		t.hits += locs[j].hits;
		t.procs = t.procs > locs[j].processes ? t.procs : locs[j].processes;
		t.coverage += locs[j].coverage;
		t.n++;
	}
	t.coverage = t.n ? t.coverage / t.n : 0;
	return t;
}

static void list_text(struct client *c, const struct dwatch *w, const struct dloc *locs, int nr)
{
	struct wsum t = sum_watch(w, locs, nr);
	int j;

	client_printf(c, '.', "%-5u %-6s %9u %10" PRIu64 " %7.1f%%  %s", w->id, kind_name(w->cmd),
		      t.procs, (uint64_t)t.hits, 100 * t.coverage, w->target);
	/* a watch of several locations: each on its own line */
	for (j = 0; t.n > 1 && j < nr; j++)
		if (locs[j].watch == w->id)
			client_printf(c, '.', "      %-24s %10" PRIu64 " %7.1f%%%s", locs[j].name,
				      (uint64_t)locs[j].hits, 100 * locs[j].coverage,
				      locs[j].armed ? "" : "  (resting)");
}

static void list_json(struct client *c, const struct dwatch *w, const struct dloc *locs, int nr)
{
	struct wsum t = sum_watch(w, locs, nr);
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	bool first = true;
	int j;

	if (!f)
		return;
	fprintf(f, "{\"type\":\"watch\",\"id\":%u,\"kind\":\"%s\",\"target\":", w->id,
		kind_name(w->cmd));
	rw_json__str(f, w->target);
	fprintf(f, ",\"processes\":%u,\"hits\":%" PRIu64 ",\"coverage\":%.4f,\"locations\":[",
		t.procs, (uint64_t)t.hits, t.coverage);
	for (j = 0; j < nr; j++) {
		if (locs[j].watch != w->id)
			continue;
		fprintf(f, "%s{\"name\":", first ? "" : ",");
		rw_json__str(f, locs[j].name);
		fprintf(f, ",\"processes\":%u,\"hits\":%" PRIu64 ",\"coverage\":%.4f,\"armed\":%s}",
			locs[j].processes, (uint64_t)locs[j].hits, locs[j].coverage,
			locs[j].armed ? "true" : "false");
		first = false;
	}
	fputs("]}", f);
	if (!fclose(f))
		client_lines(c, '.', buf);
	free(buf);
}

static void req_list(struct client *c, int argc, char **argv)
{
	struct dloc *locs;
	bool json;
	int nr, i;

	if (parse_words(c, argc, argv, false, &json, NULL))
		return;
	locs = collect_locs(&nr);
	if (!json && live_watches())
		client_printf(c, '.', "%-5s %-6s %9s %10s %8s  %s", "ID", "KIND", "PROCESSES",
			      "HITS", "COVERAGE", "TARGET");
	for (i = 0; i < d.nr_watches; i++) {
		if (d.watches[i].removed)
			continue;
		if (json)
			list_json(c, &d.watches[i], locs, nr);
		else
			list_text(c, &d.watches[i], locs, nr);
	}
	free(locs);
	client_printf(c, 0, "ok %d watch%s\n", live_watches(), live_watches() == 1 ? "" : "es");
	c->done = true;
}

static void req_unwatch(struct client *c, int argc, char **argv)
{
	struct dwatch *w;
	unsigned long id;
	char *end;

	errno = 0;
	id = argc == 2 ? strtoul(argv[1], &end, 10) : 0;
	if (argc != 2 || errno || *end || !id || id > UINT32_MAX) {
		client_error(c, "usage: unwatch ID (racewatch list shows the ids)");
		return;
	}
	w = find_watch(id);
	if (!w) {
		client_printf(c, 0, "error no watch %lu (racewatch list shows the ids)\n", id);
		c->done = true;
		return;
	}
	rw_session__unwatch(d.s, id);
	w->removed = true;
	fprintf(stderr, "racewatchd: watch %u removed: %s\n", w->id, w->target);
	client_printf(c, '.', "watch %u removed: %s", w->id, w->target);
	client_ok(c, NULL);
}

static void stats_json(FILE *f, const struct rw_session_stats *st, const struct dloc *locs,
		       int nr)
{
	unsigned int op;
	int i;

	fprintf(f, "{\"type\":\"stats\",\"records\":%llu,\"dropped\":{\"access\":%llu,"
		"\"sync\":%llu},\"syncs\":%llu,\"sync_by_op\":{",
		(unsigned long long)st->records, (unsigned long long)st->kdev_dropped,
		(unsigned long long)st->sync_dropped, (unsigned long long)st->syncs);
	for (op = 1; op <= RW_OP_MAX; op++)
		fprintf(f, "%s\"%s\":%llu", op > 1 ? "," : "", sync_source__op_name(op),
			(unsigned long long)st->sync_by_op[op]);
	fprintf(f, "},\"races\":%llu,\"race_events\":%llu,\"late\":%llu,\"armed_threads\":%llu,"
		"\"watches\":%d,\"rotations\":%llu,\"reports_kept\":%ld,\"reports_evicted\":%llu,"
		"\"locations\":[", (unsigned long long)st->races,
		(unsigned long long)st->race_events, (unsigned long long)st->late,
		(unsigned long long)st->armed_threads, live_watches(),
		(unsigned long long)st->rotations, d.rep_count, (unsigned long long)d.evicted);
	for (i = 0; i < nr; i++) {
		fprintf(f, "%s{\"watch\":%u,\"location\":", i ? "," : "", locs[i].watch);
		rw_json__str(f, locs[i].name);
		fprintf(f, ",\"coverage\":%.4f,\"hits\":%llu,\"armed\":%s}", locs[i].coverage,
			(unsigned long long)locs[i].hits, locs[i].armed ? "true" : "false");
	}
	fputs("]}", f);
}

static void stats_text(FILE *f, const struct rw_session_stats *st, const struct dloc *locs,
		       int nr)
{
	unsigned int op;
	int i, n = 0;

	fprintf(f, "access records      %llu\n", (unsigned long long)st->records);
	fprintf(f, "sync events         %llu\n", (unsigned long long)st->syncs);
	for (op = 1; op <= RW_OP_MAX; op++)
		if (st->sync_by_op[op])
			fprintf(f, "  %-17s %llu\n", sync_source__op_name(op),
				(unsigned long long)st->sync_by_op[op]);
	fprintf(f, "dropped             access %llu, sync %llu\n",
		(unsigned long long)st->kdev_dropped, (unsigned long long)st->sync_dropped);
	fprintf(f, "late records        %llu\n", (unsigned long long)st->late);
	fprintf(f, "races               %llu (%llu racing access pairs)\n",
		(unsigned long long)st->races, (unsigned long long)st->race_events);
	fprintf(f, "reports kept        %ld (%llu evicted)\n", d.rep_count,
		(unsigned long long)d.evicted);
	fprintf(f, "watches             %d\n", live_watches());
	fprintf(f, "armed watchpoints   %llu\n", (unsigned long long)st->armed_threads);
	fprintf(f, "rotations           %llu\n", (unsigned long long)st->rotations);
	for (i = 0; i < nr; i++, n++)
		fprintf(f, "%s  watch %u %s: coverage %.1f%%, %llu hits%s\n",
			n ? "" : "coverage\n", locs[i].watch, locs[i].name, 100 * locs[i].coverage,
			(unsigned long long)locs[i].hits, locs[i].armed ? "" : " (resting)");
}

static void req_stats(struct client *c, int argc, char **argv)
{
	struct rw_session_stats st;
	struct dloc *locs;
	char *buf = NULL;
	size_t len;
	bool json;
	FILE *f;
	int nr;

	if (parse_words(c, argc, argv, false, &json, NULL))
		return;
	rw_session__stats(d.s, &st);
	locs = collect_locs(&nr);
	f = open_memstream(&buf, &len);
	if (!f) {
		free(locs);
		client_error(c, "out of memory");
		return;
	}
	if (json)
		stats_json(f, &st, locs, nr);
	else
		stats_text(f, &st, locs, nr);
	fclose(f);
	client_lines(c, '.', buf);
	free(buf);
	free(locs);
	client_ok(c, NULL);
}

static void req_reports(struct client *c, int argc, char **argv)
{
	bool follow;
	long i;

	if (parse_words(c, argc, argv, true, &c->json, &follow))
		return;
	if (d.evicted)
		client_printf(c, '!', "racewatch: %llu older report(s) were evicted (racewatchd "
			      "keeps the newest %ld)", (unsigned long long)d.evicted, env.keep);
	for (i = 0; i < d.rep_count; i++)
		send_report(c, &d.reports[(d.rep_head + i) % env.keep]);
	if (follow) {
		c->follow = true;	/* the ok line comes when racewatchd stops */
		return;
	}
	client_printf(c, 0, "ok %ld report%s\n", d.rep_count, d.rep_count == 1 ? "" : "s");
	c->done = true;
}

static void req_watch(struct client *c, int argc, char **argv)
{
	char *text = NULL;
	size_t len;
	FILE *msgs = open_memstream(&text, &len);
	int id;

	if (!msgs) {
		client_error(c, "out of memory");
		return;
	}
	id = daemon_watch(argc, argv, msgs);
	fclose(msgs);
	if (id < 0) {
		if (!text || !*text) {
			free(text);
			text = strdup(strerror(-id));
		}
		client_error(c, text ? text : "failed");
		free(text);
		return;
	}
	if (text && *text)
		client_lines(c, '!', text);
	free(text);
	client_printf(c, '.', "watch %d: %s", id, find_watch(id)->target);
	client_printf(c, 0, "ok %d\n", id);
	c->done = true;
}

static void handle_request(struct client *c, char *line)
{
	char *argv[RW_CTL_MAX_ARGS];
	int argc = rw_ctl__decode(line, argv, RW_CTL_MAX_ARGS);

	if (argc == -EPROTONOSUPPORT) {
		client_printf(c, 0, "error protocol version not supported (racewatchd speaks "
			      "%s%d)\n", RW_CTL_MAGIC, RW_CTL_VERSION);
		c->done = true;
		return;
	}
	if (argc <= 0) {
		client_error(c, argc ? "not a racewatch request" : "empty request");
		return;
	}
	if (!strcmp(argv[0], "watch") || !strcmp(argv[0], "attach"))
		req_watch(c, argc, argv);
	else if (!strcmp(argv[0], "list"))
		req_list(c, argc, argv);
	else if (!strcmp(argv[0], "unwatch"))
		req_unwatch(c, argc, argv);
	else if (!strcmp(argv[0], "stats"))
		req_stats(c, argc, argv);
	else if (!strcmp(argv[0], "reports"))
		req_reports(c, argc, argv);
	else if (!strcmp(argv[0], "ping")) {
		client_printf(c, 0, "ok %s pid %d\n", argp_program_version, getpid());
		c->done = true;
	} else {
		client_printf(c, 0, "error unknown request '%s' (watch, attach, list, unwatch, "
			      "stats, reports, ping)\n", argv[0]);
		c->done = true;
	}
}

/* ---- HTTP ----------------------------------------------------------------------------------------- */

static void http_reply(struct client *c, const char *status, const char *type, const char *body,
		       size_t len, bool head)
{
	client_printf(c, 0, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		      "Connection: close\r\n\r\n", status, type, len);
	if (!head)
		client_put(c, body, len);
	c->done = true;
}

static int render_metrics(char **buf, size_t *len)
{
	struct rw_session_stats st;
	struct rw_metrics m = {};
	struct rw_metrics_loc *ml;
	struct dloc *locs;
	int nr, i, err;
	FILE *f;

	rw_session__stats(d.s, &st);
	locs = collect_locs(&nr);
	ml = calloc(nr + 1, sizeof(*ml));
	f = open_memstream(buf, len);
	if (!ml || !f) {
		free(locs);
		free(ml);
		if (f)
			fclose(f);
		return -ENOMEM;
	}
	for (i = 0; i < nr; i++)
		ml[i] = (struct rw_metrics_loc){ .watch = locs[i].watch, .location = locs[i].name,
						 .coverage = locs[i].coverage, .hits = locs[i].hits };
	m.races = st.races;
	m.race_events = st.race_events;
	m.records = st.records;
	memcpy(m.sync_by_op, st.sync_by_op, sizeof(m.sync_by_op));
	m.dropped_access = st.kdev_dropped;
	m.dropped_sync = st.sync_dropped;
	m.late = st.late;
	m.rotations = st.rotations;
	m.watches = live_watches();
	m.armed = st.armed_threads;
	m.reports_kept = d.rep_count;
	m.reports_evicted = d.evicted;
	m.locs = ml;
	m.nr_locs = nr;
	err = rw_metrics__render(f, &m);
	if (fclose(f))
		err = -EIO;
	free(ml);
	free(locs);
	return err;
}

static void handle_http(struct client *c)
{
	char method[16], path[256];
	char *buf = NULL;
	size_t len = 0;
	bool head;

	if (sscanf(c->in, "%15s %255s", method, path) != 2) {
		http_reply(c, "400 Bad Request", "text/plain", "bad request\n", 12, false);
		return;
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		http_reply(c, "405 Method Not Allowed", "text/plain", "GET /metrics\n", 13, false);
		return;
	}
	head = !strcmp(method, "HEAD");
	if (strcmp(path, "/metrics")) {
		http_reply(c, "404 Not Found", "text/plain", "racewatchd serves /metrics\n", 27,
			   head);
		return;
	}
	if (render_metrics(&buf, &len)) {
		free(buf);
		http_reply(c, "500 Internal Server Error", "text/plain", "out of memory\n", 14,
			   head);
		return;
	}
	http_reply(c, "200 OK", RW_METRICS_CONTENT_TYPE, buf, len, head);
	free(buf);
}

/* ---- connections ------------------------------------------------------------------------------------ */

/* Root, or a member of --group: may the peer of @fd talk to us? */
static bool peer_allowed(int fd, char *why, size_t size)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	char path[64], line[4096];
	bool ok = false;
	FILE *f;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len)) {
		snprintf(why, size, "cannot tell who is asking: %s", strerror(errno));
		return false;
	}
	if (cr.uid == 0)
		return true;
	if (d.has_group) {
		if (cr.gid == d.gid)
			return true;
		snprintf(path, sizeof(path), "/proc/%d/status", cr.pid);
		f = fopen(path, "r");
		while (f && !ok && fgets(line, sizeof(line), f)) {
			char *p, *end;

			if (strncmp(line, "Groups:", 7))
				continue;
			for (p = line + 7;; p = end) {
				unsigned long g = strtoul(p, &end, 10);

				if (end == p)
					break;
				if (g == d.gid)
					ok = true;
			}
		}
		if (f)
			fclose(f);
		if (ok)
			return true;
	}
	snprintf(why, size, "permission denied: racewatchd takes requests from root%s%s only",
		 d.has_group ? " and group " : "", d.has_group ? env.group : "");
	return false;
}

static void accept_client(int lfd, enum client_kind kind)
{
	struct client *c;
	char why[256];
	int fd;

	int i, http = 0;

	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (i = 0; i < d.nr_clients; i++)
		http += d.clients[i]->kind == CL_HTTP;
	if (d.nr_clients == MAX_CLIENTS || (kind == CL_HTTP && http >= MAX_HTTP_CLIENTS)) {
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->kind = kind;
	c->since_ms = now_ms();
	d.clients[d.nr_clients++] = c;
	if (kind == CL_CTL && !peer_allowed(fd, why, sizeof(why))) {
		client_printf(c, 0, "error %s\n", why);
		c->done = true;
	}
}

static void client_read(struct client *c)
{
	size_t limit = c->kind == CL_HTTP ? HTTP_MAX_REQUEST : RW_CTL_MAX_LINE;
	char buf[4096], *p, *nl;
	ssize_t n;

	n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* the peer closed: a follower stops, anything else was answered or is moot */
		c->follow = false;
		c->done = true;
		c->out_off = c->out_len = 0;
		return;
	}
	if (c->done || c->follow)
		return;		/* one request per connection */
	if (c->in_len + n + 1 > limit) {
		if (c->kind == CL_HTTP)
			http_reply(c, "431 Request Header Fields Too Large", "text/plain",
				   "too large\n", 10, false);
		else
			client_error(c, "request too long");
		return;
	}
	p = realloc(c->in, c->in_len + n + 1);
	if (!p) {
		c->done = true;
		return;
	}
	c->in = p;
	memcpy(c->in + c->in_len, buf, n);
	c->in_len += n;
	c->in[c->in_len] = '\0';
	if (c->kind == CL_HTTP) {
		if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n"))
			handle_http(c);
		return;
	}
	nl = strchr(c->in, '\n');
	if (nl) {
		*nl = '\0';
		handle_request(c, c->in);
	}
}

static void drop_done_clients(void)
{
	long long now = now_ms();
	int i, j;

	for (i = j = 0; i < d.nr_clients; i++) {
		struct client *c = d.clients[i];

		/* a request never completed, or an answer never read: give up on it */
		if (!c->follow && now - c->since_ms > IDLE_MS) {
			client_free(c);
			continue;
		}
		if (c->done && !c->follow && c->out_off >= c->out_len) {
			client_free(c);
			continue;
		}
		d.clients[j++] = c;
	}
	d.nr_clients = j;
}

/* ---- sockets --------------------------------------------------------------------------------------- */

/* Make the socket's directory (0700, or 0750 with --group) if it is not there. */
static int make_socket_dir(const char *path)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", path);
	dirname(dir);
	if (!mkdir(dir, d.has_group ? 0750 : 0700)) {
		if (d.has_group && chown(dir, 0, d.gid))
			return -errno;
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	fprintf(stderr, "racewatchd: cannot make %s: %s\n", dir, strerror(errno));
	return -errno;
}

static int open_control(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat sb;
	struct ucred cr;
	socklen_t len = sizeof(cr);
	int fd, err;

	if (strlen(env.socket) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "racewatchd: --socket %s: path too long\n", env.socket);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, env.socket);
	err = make_socket_dir(env.socket);
	if (err)
		return err;
	/* A live racewatchd answers; a socket file nobody answers on is stale. */
	fd = rw_ctl__connect(env.socket);
	if (fd >= 0) {
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len))
			cr.pid = 0;
		close(fd);
		fprintf(stderr, "racewatchd: another racewatchd (pid %d) is running on %s; "
			"stop it first, or give this one another --socket\n", cr.pid, env.socket);
		return -EADDRINUSE;
	}
	if (!lstat(env.socket, &sb)) {
		if (!S_ISSOCK(sb.st_mode)) {
			fprintf(stderr, "racewatchd: %s exists and is not a socket: not touching "
				"it\n", env.socket);
			return -EEXIST;
		}
		if (unlink(env.socket)) {
			fprintf(stderr, "racewatchd: cannot remove the stale socket %s: %s\n",
				env.socket, strerror(errno));
			return -errno;
		}
		fprintf(stderr, "racewatchd: removed the stale socket %s\n", env.socket);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* 0600 from the start: nobody else may connect between bind and chmod */
	{
		mode_t old = umask(0177);

		err = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ? -errno : 0;
		umask(old);
	}
	if (!err && d.has_group && (chown(env.socket, 0, d.gid) || chmod(env.socket, 0660)))
		err = -errno;
	if (!err && listen(fd, 64))
		err = -errno;
	if (err) {
		fprintf(stderr, "racewatchd: control socket %s: %s\n", env.socket, strerror(-err));
		close(fd);
		return err;
	}
	d.socket_made = true;
	d.ctl_fd = fd;
	return 0;
}

static int open_metrics(void)
{
	struct sockaddr_storage ss;
	unsigned int len;
	bool loopback;
	int fd, r, one = 1;

	r = rw_metrics__parse_addr(env.metrics, &ss, &len, &loopback);
	if (r == 1)
		return 0;
	if (r) {
		fprintf(stderr, "racewatchd: --metrics %s: expected off, PORT, ADDR:PORT or "
			"[ADDR6]:PORT (numeric)\n", env.metrics);
		return r;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 16)) {
		r = -errno;
		fprintf(stderr, "racewatchd: metrics on %s: %s\n", env.metrics, strerror(-r));
		close(fd);
		return r;
	}
	if (!loopback)
		fprintf(stderr, "racewatchd: metrics on %s are reachable from the network\n",
			env.metrics);
	d.http_fd = fd;
	return 0;
}

/* ---- main ------------------------------------------------------------------------------------------ */

static int conf_line(void *ctx, int argc, char **argv, FILE *err)
{
	int id = daemon_watch(argc, argv, err);

	return id < 0 ? id : 0;
}

static int load_config(void)
{
	FILE *f;
	int err;

	if (!env.config)
		return 0;
	f = fopen(env.config, "r");
	if (!f) {
		fprintf(stderr, "racewatchd: --config %s: %s\n", env.config, strerror(errno));
		return -errno;
	}
	err = rw_conf__parse(f, env.config, conf_line, NULL, stderr);
	fclose(f);
	if (err)
		fprintf(stderr, "racewatchd: %s has errors (above): not starting\n", env.config);
	return err;
}

static int install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	    sigaction(SIGHUP, &sa, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int serve(void)
{
	struct pollfd pfd[MAX_CLIENTS + 3];
	int n, i, err;

	while (!exiting) {
		if (reopen) {
			reopen = 0;
			open_json();
		}
		n = 0;
		pfd[n++] = (struct pollfd){ .fd = rw_session__fd(d.s), .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = d.ctl_fd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = d.http_fd, .events = POLLIN };
		for (i = 0; i < d.nr_clients; i++) {
			struct client *c = d.clients[i];

			pfd[n++] = (struct pollfd){
				.fd = c->fd,
				.events = POLLIN | (c->out_off < c->out_len ? POLLOUT : 0),
			};
		}
		if (poll(pfd, n, 50) < 0 && errno != EINTR)
			return -errno;
		/* every round: records, and the reorder window's drain */
		err = rw_session__poll(d.s, 0);
		if (err && err != -EINTR) {
			fprintf(stderr, "racewatchd: session: %s\n", strerror(-err));
			return err;
		}
		for (i = 0; i < n - 3 && i < d.nr_clients; i++) {
			struct client *c = d.clients[i];

			if (pfd[i + 3].revents & (POLLIN | POLLHUP | POLLERR))
				client_read(c);
			client_flush(c);
		}
		if (pfd[1].revents & POLLIN)
			accept_client(d.ctl_fd, CL_CTL);
		if (d.http_fd >= 0 && (pfd[2].revents & POLLIN))
			accept_client(d.http_fd, CL_HTTP);
		for (i = 0; i < d.nr_clients; i++)
			client_flush(d.clients[i]);
		drop_done_clients();
	}
	return 0;
}

static void shutdown_clients(void)
{
	int i;

	for (i = 0; i < d.nr_clients; i++) {
		struct client *c = d.clients[i];

		if (c->follow) {
			client_put(c, "ok racewatchd stopped\n", 21);
			c->follow = false;
		}
		client_flush(c);
		client_free(c);
	}
	d.nr_clients = 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = { opts, parse_opt, NULL, doc };
	struct rw_session_opts so = { .sz = sizeof(so) };
	int err, ret = 1;
	long i;

	argp_err_exit_status = 2;
	if (argp_parse(&argp, argc, argv, 0, NULL, NULL))
		return 2;
	if (env.group) {
		struct group *g = getgrnam(env.group);

		if (!g) {
			fprintf(stderr, "racewatchd: --group %s: no such group\n", env.group);
			return 2;
		}
		d.gid = g->gr_gid;
		d.has_group = true;
	}
	d.reports = calloc(env.keep, sizeof(*d.reports));
	if (!d.reports)
		return 1;
	if (install_signals())
		return 1;
	err = open_control();
	if (err)
		goto cleanup;
	err = open_metrics();
	if (err)
		goto cleanup;
	err = open_json();
	if (err)
		goto cleanup;

	so.out = stdout;
	so.format = RW_FORMAT_TEXT;
	so.follow_children = true;	/* shared-memory watches follow fork children */
	so.verbose = env.verbose;
	so.on_report = on_report;
	err = rw_session__new(&so, &d.s);
	if (err)
		goto cleanup;
	err = load_config();
	if (err)
		goto cleanup;
	fprintf(stderr, "racewatchd: ready: control socket %s, metrics %s%s%s, %d watch%s\n",
		env.socket, d.http_fd >= 0 ? env.metrics : "off",
		env.json ? ", reports also to " : "", env.json ? env.json : "", live_watches(),
		live_watches() == 1 ? "" : "es");
	err = serve();
	if (err)
		goto cleanup;
	fprintf(stderr, "racewatchd: stopping: disarming %d watch%s\n", live_watches(),
		live_watches() == 1 ? "" : "es");
	err = rw_session__finish(d.s);
	if (!err)
		ret = 0;
cleanup:
	shutdown_clients();
	/* closing the device disarms every watch that is left */
	rw_session__free(d.s);
	if (d.ctl_fd >= 0)
		close(d.ctl_fd);
	if (d.socket_made)
		unlink(env.socket);
	if (d.http_fd >= 0)
		close(d.http_fd);
	if (d.json)
		fclose(d.json);
	for (i = 0; i < d.rep_count; i++) {
		free(d.reports[(d.rep_head + i) % env.keep].text);
		free(d.reports[(d.rep_head + i) % env.keep].json);
	}
	free(d.reports);
	free(d.watches);
	return ret;
}
