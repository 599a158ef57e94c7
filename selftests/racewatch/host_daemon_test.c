// SPDX-License-Identifier: GPL-2.0
/*
 * The pure parts of racewatchd, on the host: the control protocol's request
 * lines (encode, decode, escapes, versions) and response lines, the config
 * file's word splitting and its FILE:LINE errors through the same
 * watch/attach parser the command line uses, the metrics exposition (HELP
 * and TYPE lines, label escaping) and the --metrics address rules.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "ctl.h"
#include "metrics.h"
#include "watchreq.h"

const char *argp_program_version = "host_daemon_test";

/* ---- request lines ---------------------------------------------------------------------------- */

TEST(request_round_trip_keeps_every_byte)
{
	char *in[] = { "watch", "--shm", "/a b\\c", "", "tab\there", "nl\nx", "\x01\x7f\xff",
		       "plain-word" };
	char *out[16];
	char *line;
	int n, i;

	line = rw_ctl__encode(8, in);
	ASSERT_NE(NULL, line);
	/* one line, ending in its newline, and starting with the version */
	EXPECT_EQ(0, strncmp(line, "racewatch/1 watch --shm /a\\x20b\\x5cc \\x tab\\x09here ",
			     strlen("racewatch/1 watch --shm /a\\x20b\\x5cc \\x tab\\x09here ")));
	EXPECT_EQ(strlen(line) - 1, strcspn(line, "\n"));
	n = rw_ctl__decode(line, out, 16);
	ASSERT_EQ(8, n);
	for (i = 0; i < n; i++)
		EXPECT_STREQ(in[i], out[i]);
	free(line);
}

TEST(request_decode_refuses_what_is_not_a_request)
{
	char *argv[4];
	char a[] = "GET /metrics HTTP/1.1";
	char b[] = "racewatch/2 list";
	char c[] = "racewatch/1  list";		/* two spaces: an empty word */
	char d[] = "racewatch/1 list ";		/* trailing space */
	char e[] = "racewatch/1 bad\\q";	/* not a \xHH escape */
	char f[] = "racewatch/1 bad\\x4";	/* half an escape */
	char g[] = "racewatch/1 a b c d e";
	char h[] = "racewatch/1";
	char i[] = "racewatch/1x list";

	EXPECT_EQ(-EPROTO, rw_ctl__decode(a, argv, 4));
	EXPECT_EQ(-EPROTONOSUPPORT, rw_ctl__decode(b, argv, 4));
	EXPECT_EQ(-EPROTO, rw_ctl__decode(c, argv, 4));
	EXPECT_EQ(-EPROTO, rw_ctl__decode(d, argv, 4));
	EXPECT_EQ(-EPROTO, rw_ctl__decode(e, argv, 4));
	EXPECT_EQ(-EPROTO, rw_ctl__decode(f, argv, 4));
	EXPECT_EQ(-E2BIG, rw_ctl__decode(g, argv, 4));
	EXPECT_EQ(0, rw_ctl__decode(h, argv, 4));
	EXPECT_EQ(-EPROTO, rw_ctl__decode(i, argv, 4));
}

TEST(response_lines_are_classified)
{
	const char *t;

	EXPECT_EQ(RW_CTL_DATA, rw_ctl__response(".watch 3: shm:/x+0:8", &t));
	EXPECT_STREQ("watch 3: shm:/x+0:8", t);
	EXPECT_EQ(RW_CTL_DATA, rw_ctl__response(".", &t));
	EXPECT_STREQ("", t);
	EXPECT_EQ(RW_CTL_DIAG, rw_ctl__response("!racewatch: 2 skipped", &t));
	EXPECT_STREQ("racewatch: 2 skipped", t);
	EXPECT_EQ(RW_CTL_OK, rw_ctl__response("ok", &t));
	EXPECT_STREQ("", t);
	EXPECT_EQ(RW_CTL_OK, rw_ctl__response("ok 3", &t));
	EXPECT_STREQ("3", t);
	EXPECT_EQ(RW_CTL_ERROR, rw_ctl__response("error no watch 7", &t));
	EXPECT_STREQ("no watch 7", t);
	EXPECT_EQ(-EPROTO, rw_ctl__response("okay", &t));
	EXPECT_EQ(-EPROTO, rw_ctl__response("error", &t));
	EXPECT_EQ(-EPROTO, rw_ctl__response("HTTP/1.1 200 OK", &t));
}

/* The daemon refuses a peer at once and closes: the client still reads why. */
TEST(call_reads_the_answer_of_a_daemon_that_already_closed)
{
	char *req[] = { "list", NULL };
	char msg[128] = "";
	FILE *null = fopen("/dev/null", "w");
	int sv[2];

	ASSERT_NE(NULL, null);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(19, write(sv[1], "error permission x\n", 19));
	ASSERT_EQ(0, close(sv[1]));
	EXPECT_EQ(1, rw_ctl__call(sv[0], 1, req, null, null, msg, sizeof(msg)));
	EXPECT_STREQ("permission x", msg);
	close(sv[0]);

	/* a daemon that dies mid-answer: the call fails, it does not hang */
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(9, write(sv[1], ".partial\n", 9));
	ASSERT_EQ(0, close(sv[1]));
	EXPECT_GT(0, rw_ctl__call(sv[0], 1, req, null, null, msg, sizeof(msg)));
	close(sv[0]);

	/* and a normal answer: result lines to out, the ok line's text */
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_EQ(17, write(sv[1], ".watch 1: x\nok 1\n", 17));
	EXPECT_EQ(0, rw_ctl__call(sv[0], 1, req, null, null, msg, sizeof(msg)));
	EXPECT_STREQ("1", msg);
	close(sv[0]);
	close(sv[1]);
	fclose(null);
}

/* ---- config file ------------------------------------------------------------------------------ */

TEST(config_words_split_like_a_shell)
{
	char line[] = "  watch --shm '/my seg' --offset \"1\\\"28\" a\\ b  # comment 'x\n";
	char *argv[16];
	const char *why = NULL;

	ASSERT_EQ(6, rw_conf__split(line, argv, 16, &why));
	EXPECT_STREQ("watch", argv[0]);
	EXPECT_STREQ("--shm", argv[1]);
	EXPECT_STREQ("/my seg", argv[2]);
	EXPECT_STREQ("--offset", argv[3]);
	EXPECT_STREQ("1\"28", argv[4]);
	EXPECT_STREQ("a b", argv[5]);
}

TEST(config_split_errors_say_why)
{
	char a[] = "watch --shm 'open\n", b[] = "watch \"open\n", c[] = "watch x\\";
	char d[] = "   # only a comment\n", e[] = "a b c";
	char *argv[8];
	const char *why = NULL;

	EXPECT_EQ(-EINVAL, rw_conf__split(a, argv, 8, &why));
	EXPECT_STREQ("unterminated '", why);
	EXPECT_EQ(-EINVAL, rw_conf__split(b, argv, 8, &why));
	EXPECT_STREQ("unterminated \"", why);
	EXPECT_EQ(-EINVAL, rw_conf__split(c, argv, 8, &why));
	EXPECT_STREQ("backslash at the end of the line", why);
	EXPECT_EQ(0, rw_conf__split(d, argv, 2, &why));
	EXPECT_EQ(-E2BIG, rw_conf__split(e, argv, 2, &why));
}

/* What racewatchd does with a config line, less the session: parse it as the CLI would. */
static int parse_line(void *ctx, int argc, char **argv, FILE *err)
{
	struct rw_watchreq r;
	int *ok = ctx;
	enum rw_watch_cmd cmd;

	if (!strcmp(argv[0], "watch")) {
		cmd = RW_CMD_WATCH;
		argv[0] = "racewatch watch";
	} else if (!strcmp(argv[0], "attach")) {
		cmd = RW_CMD_ATTACH;
		argv[0] = "racewatch attach";
	} else {
		fprintf(err, "unknown command '%s' (watch or attach)\n", argv[0]);
		return -EINVAL;
	}
	if (rw_watchreq__parse(&r, cmd, argc, argv, RW_WATCHREQ_QUIET, err))
		return -EINVAL;
	(*ok)++;
	return 0;
}

TEST(config_errors_name_file_and_line)
{
	static const char conf[] =
		"# racewatchd watches\n"
		"watch --shm /orders --offset 64 --len 8\n"
		"\n"
		"watch --shm /orders --offset 3 --len 8\n"	/* 4: misaligned */
		"attach -p 42 -w counter -w 0x1001:4\n"		/* 5: misaligned address */
		"attach -w counter\n"				/* 6: no -p */
		"watch --shm '/a b' --offset 0 --len 4 # fine\n"
		"frobnicate --now\n"				/* 8: not a command */
		"watch --shm 'open\n"				/* 9: quote */
		"attach -p 42 -w counter --no-such-option\n";	/* 10: unknown option */
	char *out = NULL;
	size_t len = 0;
	FILE *in = fmemopen((void *)conf, sizeof(conf) - 1, "r");
	FILE *err = open_memstream(&out, &len);
	int ok = 0, ret;

	ASSERT_NE(NULL, in);
	ASSERT_NE(NULL, err);
	ret = rw_conf__parse(in, "watches.conf", parse_line, &ok, err);
	fclose(in);
	fclose(err);
	TH_LOG("%s", out);
	EXPECT_EQ(-EINVAL, ret);
	EXPECT_EQ(2, ok);
	EXPECT_NE(NULL, strstr(out, "watches.conf:4: racewatch watch: --offset 3 is not aligned "
				    "to --len 8\n"));
	EXPECT_NE(NULL, strstr(out, "watches.conf:5: racewatch attach: invalid watch '0x1001:4'"));
	EXPECT_NE(NULL, strstr(out, "watches.conf:6: racewatch attach: -p PID is required\n"));
	EXPECT_NE(NULL, strstr(out, "watches.conf:8: unknown command 'frobnicate'"));
	EXPECT_NE(NULL, strstr(out, "watches.conf:9: unterminated '\n"));
	EXPECT_NE(NULL, strstr(out, "watches.conf:10: racewatch attach: unknown option"));
	/* lines that parsed are not named */
	EXPECT_EQ(NULL, strstr(out, "watches.conf:2:"));
	EXPECT_EQ(NULL, strstr(out, "watches.conf:7:"));
	free(out);
}

/* A C++ qualified name is a SYM, not SYM:LEN (the corpus's -w app::requests was refused). */
TEST(cxx_names_are_not_taken_for_a_length)
{
	char *a[] = { "racewatch attach", "-p", "7", "-w", "app::requests", "-w",
		      "net::Stats::errors:4", NULL };
	char *b[] = { "racewatch attach", "-p", "7", "-w", "app::requests:3", NULL };
	struct rw_watchreq r;

	ASSERT_EQ(0, rw_watchreq__parse(&r, RW_CMD_ATTACH, 7, a, RW_WATCHREQ_QUIET, stderr));
	EXPECT_EQ(2, r.nr_specs);
	EXPECT_STREQ("app::requests", r.specs[0]);
	EXPECT_NE(0, rw_watchreq__parse(&r, RW_CMD_ATTACH, 5, b, RW_WATCHREQ_QUIET, stderr));
}

TEST(quiet_parse_reports_options_the_daemon_cannot_honour)
{
	char *a[] = { "racewatch watch", "--shm", "/x", "--offset", "8", "-d", "5", "--socket",
		      "/tmp/s", NULL };
	char *b[] = { "racewatch attach", "-p", "7", "-w", "counter", "--kind", "write", NULL };
	struct rw_watchreq r;

	ASSERT_EQ(0, rw_watchreq__parse(&r, RW_CMD_WATCH, 9, a, RW_WATCHREQ_QUIET, stderr));
	EXPECT_STREQ("--duration", r.fg_only);
	EXPECT_STREQ("/tmp/s", r.socket);
	EXPECT_EQ(8u, r.offset);
	EXPECT_EQ(8u, r.len);
	ASSERT_EQ(0, rw_watchreq__parse(&r, RW_CMD_ATTACH, 7, b, RW_WATCHREQ_QUIET, stderr));
	EXPECT_EQ(NULL, r.fg_only);
	EXPECT_TRUE(r.kind_given);
	EXPECT_EQ(RACEWATCH_KIND_WRITE, r.so.kind);
	EXPECT_EQ(7, r.pid);
	EXPECT_EQ(1, r.nr_specs);
}

/* ---- metrics ---------------------------------------------------------------------------------- */

TEST(metrics_have_help_type_and_escaped_labels)
{
	struct rw_metrics_loc locs[] = {
		{ .watch = 3, .location = "shm:/a\"b\\c\nd+128", .coverage = 0.25, .hits = 17 },
		{ .watch = 4, .location = "counter", .coverage = 1, .hits = 0 },
	};
	struct rw_metrics m = {
		.races = 2, .race_events = 9, .records = 1234, .dropped_access = 5,
		.dropped_sync = 6, .late = 7, .rotations = 8, .watches = 2, .armed = 4,
		.reports_kept = 2, .reports_evicted = 0, .locs = locs, .nr_locs = 2,
	};
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	static const char *const names[] = {
		"racewatch_races_total", "racewatch_race_events_total",
		"racewatch_access_records_total", "racewatch_sync_events_total",
		"racewatch_dropped_total", "racewatch_late_records_total",
		"racewatch_rotations_total", "racewatch_watches", "racewatch_armed_watchpoints",
		"racewatch_location_coverage_ratio", "racewatch_location_hits_total",
	};
	char want[256];
	unsigned int i;

	m.sync_by_op[RW_OP_ACQUIRE] = 11;
	m.sync_by_op[RW_OP_FUTEX_WAKE] = 12;
	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, rw_metrics__render(f, &m));
	fclose(f);
	TH_LOG("%s", out);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(want, sizeof(want), "# HELP %s ", names[i]);
		EXPECT_EQ(1, !!strstr(out, want));
		snprintf(want, sizeof(want), "\n# TYPE %s ", names[i]);
		EXPECT_EQ(1, !!strstr(out, want));
	}
	EXPECT_NE(NULL, strstr(out, "# TYPE racewatch_races_total counter\nracewatch_races_total 2\n"));
	EXPECT_NE(NULL, strstr(out, "# TYPE racewatch_watches gauge\nracewatch_watches 2\n"));
	EXPECT_NE(NULL, strstr(out, "\nracewatch_access_records_total 1234\n"));
	EXPECT_NE(NULL, strstr(out, "\nracewatch_sync_events_total{op=\"acquire\"} 11\n"));
	EXPECT_NE(NULL, strstr(out, "\nracewatch_sync_events_total{op=\"futex-wake\"} 12\n"));
	EXPECT_NE(NULL, strstr(out, "\nracewatch_dropped_total{source=\"access\"} 5\n"));
	EXPECT_NE(NULL, strstr(out, "\nracewatch_dropped_total{source=\"sync\"} 6\n"));
	EXPECT_NE(NULL, strstr(out, "\nracewatch_late_records_total 7\n"));
	EXPECT_NE(NULL, strstr(out, "\nracewatch_armed_watchpoints 4\n"));
	EXPECT_NE(NULL, strstr(out, "\nracewatch_location_coverage_ratio{watch=\"3\","
				    "location=\"shm:/a\\\"b\\\\c\\nd+128\"} 0.250000\n"));
	EXPECT_NE(NULL, strstr(out, "\nracewatch_location_coverage_ratio{watch=\"4\","
				    "location=\"counter\"} 1.000000\n"));
	EXPECT_NE(NULL, strstr(out, "\nracewatch_location_hits_total{watch=\"3\","
				    "location=\"shm:/a\\\"b\\\\c\\nd+128\"} 17\n"));
	/* every line is a comment or a sample: no raw newline leaked from a label */
	for (char *p = out; *p; p = strchr(p, '\n') + 1)
		EXPECT_TRUE(*p == '#' || !strncmp(p, "racewatch_", 10));
	free(out);
}

TEST(metrics_label_escaping)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	ASSERT_NE(NULL, f);
	rw_metrics__label(f, "a\\b\"c\nd\te");
	fclose(f);
	EXPECT_STREQ("a\\\\b\\\"c\\nd\te", out);
	free(out);
}

TEST(metrics_address_stays_on_loopback_unless_written_out)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	unsigned int len;
	bool lo;

	ASSERT_EQ(0, rw_metrics__parse_addr("9464", &ss, &len, &lo));
	EXPECT_TRUE(lo);
	EXPECT_EQ(AF_INET, ss.ss_family);
	EXPECT_EQ(htonl(INADDR_LOOPBACK), sin->sin_addr.s_addr);
	EXPECT_EQ(htons(9464), sin->sin_port);
	ASSERT_EQ(0, rw_metrics__parse_addr(":9100", &ss, &len, &lo));
	EXPECT_TRUE(lo);
	EXPECT_EQ(htonl(INADDR_LOOPBACK), sin->sin_addr.s_addr);
	ASSERT_EQ(0, rw_metrics__parse_addr("127.0.0.1:9464", &ss, &len, &lo));
	EXPECT_TRUE(lo);
	ASSERT_EQ(0, rw_metrics__parse_addr("0.0.0.0:9464", &ss, &len, &lo));
	EXPECT_FALSE(lo);
	ASSERT_EQ(0, rw_metrics__parse_addr("10.1.2.3:80", &ss, &len, &lo));
	EXPECT_FALSE(lo);
	ASSERT_EQ(0, rw_metrics__parse_addr("[::1]:9464", &ss, &len, &lo));
	EXPECT_TRUE(lo);
	EXPECT_EQ(AF_INET6, ss.ss_family);
	ASSERT_EQ(0, rw_metrics__parse_addr("[::]:9464", &ss, &len, &lo));
	EXPECT_FALSE(lo);
	EXPECT_EQ(1, rw_metrics__parse_addr("off", &ss, &len, &lo));
	EXPECT_EQ(-EINVAL, rw_metrics__parse_addr("localhost:9464", &ss, &len, &lo));
	EXPECT_EQ(-EINVAL, rw_metrics__parse_addr("127.0.0.1:0", &ss, &len, &lo));
	EXPECT_EQ(-EINVAL, rw_metrics__parse_addr("127.0.0.1:70000", &ss, &len, &lo));
	EXPECT_EQ(-EINVAL, rw_metrics__parse_addr("::1:9464", &ss, &len, &lo));
	EXPECT_EQ(-EINVAL, rw_metrics__parse_addr("127.0.0.1:", &ss, &len, &lo));
	EXPECT_EQ(-EINVAL, rw_metrics__parse_addr("", &ss, &len, &lo));
}

TEST_HARNESS_MAIN
