// SPDX-License-Identifier: GPL-2.0
/*
 * metrics: render racewatchd's counters as Prometheus text (format 0.0.4):
 * each metric a HELP and a TYPE line, then its samples.
 */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "metrics.h"
#include "sync_source.h"

void rw_metrics__label(FILE *f, const char *value)
{
	for (; *value; value++) {
		if (*value == '\\')
			fputs("\\\\", f);
		else if (*value == '"')
			fputs("\\\"", f);
		else if (*value == '\n')
			fputs("\\n", f);
		else
			fputc(*value, f);
	}
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void one(FILE *f, const char *name, const char *type, const char *help, __u64 v)
{
	head(f, name, type, help);
	fprintf(f, "%s %" PRIu64 "\n", name, (uint64_t)v);
}

static void loc_labels(FILE *f, const struct rw_metrics_loc *l)
{
	fprintf(f, "{watch=\"%u\",location=\"", l->watch);
	rw_metrics__label(f, l->location);
	fputs("\"}", f);
}

int rw_metrics__render(FILE *f, const struct rw_metrics *m)
{
	unsigned int op;
	int i;

	one(f, "racewatch_races_total", "counter",
	    "Distinct data races reported (deduplicated reports).", m->races);
	one(f, "racewatch_race_events_total", "counter",
	    "Racing access pairs seen, repeats of a report included.", m->race_events);
	one(f, "racewatch_access_records_total", "counter",
	    "Access records read from /dev/racewatch.", m->records);
	head(f, "racewatch_sync_events_total", "counter",
	     "Synchronization events read from the BPF sync tracer, by operation.");
	for (op = 1; op <= RW_OP_MAX; op++)
		fprintf(f, "racewatch_sync_events_total{op=\"%s\"} %" PRIu64 "\n",
			sync_source__op_name(op), (uint64_t)m->sync_by_op[op]);
	head(f, "racewatch_dropped_total", "counter",
	     "Records lost because a ring was full (access: the module's, sync: BPF's).");
	fprintf(f, "racewatch_dropped_total{source=\"access\"} %" PRIu64 "\n",
		(uint64_t)m->dropped_access);
	fprintf(f, "racewatch_dropped_total{source=\"sync\"} %" PRIu64 "\n",
		(uint64_t)m->dropped_sync);
	one(f, "racewatch_late_records_total", "counter",
	    "Records that arrived after the reorder window (verdicts near them may be wrong).",
	    m->late);
	one(f, "racewatch_rotations_total", "counter",
	    "Rotation rounds of the armed set (locations outnumbered debug registers).",
	    m->rotations);
	one(f, "racewatch_watches", "gauge", "Watches held by the daemon.", m->watches);
	one(f, "racewatch_armed_watchpoints", "gauge",
	    "Hardware breakpoints registered now, one per watched location per thread.", m->armed);
	one(f, "racewatch_reports_kept", "gauge",
	    "Reports held for racewatch reports (the newest ones).", m->reports_kept);
	one(f, "racewatch_reports_evicted_total", "counter",
	    "Reports dropped from the kept list to make room, oldest first.", m->reports_evicted);
	head(f, "racewatch_location_coverage_ratio", "gauge",
	     "Share of the time each watched location was armed (below 1 when rotating).");
	for (i = 0; i < m->nr_locs; i++) {
		fputs("racewatch_location_coverage_ratio", f);
		loc_labels(f, &m->locs[i]);
		fprintf(f, " %.6f\n", m->locs[i].coverage);
	}
	head(f, "racewatch_location_hits_total", "counter",
	     "Access records of each watched location.");
	for (i = 0; i < m->nr_locs; i++) {
		fputs("racewatch_location_hits_total", f);
		loc_labels(f, &m->locs[i]);
		fprintf(f, " %" PRIu64 "\n", (uint64_t)m->locs[i].hits);
	}
	return ferror(f) ? -EIO : 0;
}

int rw_metrics__parse_addr(const char *arg, struct sockaddr_storage *ss, unsigned int *len,
			   bool *loopback)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
				  .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	char host[64];
	const char *port, *colon;
	char *end;
	long p;

	if (!strcmp(arg, "off"))
		return 1;
	colon = strrchr(arg, ':');
	port = colon ? colon + 1 : arg;
	errno = 0;
	p = strtol(port, &end, 10);
	if (errno || end == port || *end || p < 1 || p > 65535)
		return -EINVAL;
	if (!colon || colon == arg) {
		strcpy(host, "127.0.0.1");
	} else if (arg[0] == '[') {
		if (colon[-1] != ']' || colon - arg - 2 <= 0 ||
		    (size_t)(colon - arg - 2) >= sizeof(host))
			return -EINVAL;
		memcpy(host, arg + 1, colon - arg - 2);
		host[colon - arg - 2] = '\0';
	} else {
		if ((size_t)(colon - arg) >= sizeof(host) || memchr(arg, ':', colon - arg))
			return -EINVAL;
		memcpy(host, arg, colon - arg);
		host[colon - arg] = '\0';
	}
	if (getaddrinfo(host, port, &hints, &res) || !res)
		return -EINVAL;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		*loopback = (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	} else {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		*loopback = IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
	}
	return 0;
}
