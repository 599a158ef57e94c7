/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ctl: racewatchd's control protocol (Documentation/daemon.rst) and its
 * config file's line syntax.
 *
 * A request is one line: "racewatch/1" and the command's words, separated by
 * single spaces; a byte of a word that is a space, a backslash or not
 * printable is written \xHH. The words are what the racewatch command line
 * would take ("watch --shm /seg --offset 128"). The response is lines, each
 * starting with its kind: '.' a line of the result (the client prints it on
 * stdout), '!' a diagnostic (stderr), and last "ok[ TEXT]" or "error TEXT".
 */
#ifndef __RACEWATCH_CTL_H
#define __RACEWATCH_CTL_H

#include <stdio.h>

#define RW_CTL_VERSION		1
#define RW_CTL_MAGIC		"racewatch/"
#define RW_CTL_DEFAULT_SOCKET	"/run/racewatch/racewatchd.sock"
#define RW_CTL_MAX_LINE		65536
#define RW_CTL_MAX_ARGS		256

/* Encode @argv as a request line, '\n' included (malloc'd; NULL if out of memory). */
char *rw_ctl__encode(int argc, char *const argv[]);

/*
 * Decode a request line (its '\n' removed or not) in place: @argv[i] point
 * into @line. Returns the number of words (0 for an empty request), or
 * -EPROTO (not a racewatch request, or a bad \x escape), -EPROTONOSUPPORT
 * (another protocol version), -E2BIG (more than @max words).
 */
int rw_ctl__decode(char *line, char **argv, int max);

enum rw_ctl_kind {
	RW_CTL_DATA = 1,	/* ".TEXT" */
	RW_CTL_DIAG,		/* "!TEXT" */
	RW_CTL_OK,		/* "ok" or "ok TEXT" */
	RW_CTL_ERROR,		/* "error TEXT" */
};

/* Kind of response line @line ('\n' removed); *text is what follows the kind. -EPROTO if none. */
int rw_ctl__response(const char *line, const char **text);

/* Connect to the daemon's socket. The fd, or -errno (-ENOENT, -ECONNREFUSED: none runs). */
int rw_ctl__connect(const char *path);

/*
 * Send the request @argv on @fd and relay the response: result lines to
 * @out, diagnostics to @err, until the ok or error line. Returns 0 on ok
 * (its text into @msg), 1 on error (its text into @msg), -errno if the
 * connection failed or -EPROTO if the daemon said something else.
 */
int rw_ctl__call(int fd, int argc, char *const argv[], FILE *out, FILE *err,
		 char *msg, size_t msg_size);

/*
 * Split a config file line into words, the way a shell would without
 * expansions: blanks separate words, '...' quotes literally, "..." quotes
 * with \\ \" \$ \` escapes, a backslash outside quotes escapes the next
 * byte, '#' at the start of a word begins a comment. In place: @argv[i]
 * point into @line. Returns the number of words (0: blank or comment) or
 * -EINVAL with *@why saying what is wrong, or -E2BIG.
 */
int rw_conf__split(char *line, char **argv, int max, const char **why);

/*
 * Called for each request line of a config file; write why it failed to
 * @err. Returns 0 or -errno.
 */
typedef int (*rw_conf_fn)(void *ctx, int argc, char **argv, FILE *err);

/*
 * Read config file @f (named @path in messages) line by line and call @fn
 * with the words of each non-blank, non-comment line. Every failure is
 * written to @err as "PATH:LINE: message". Returns 0 if every line
 * succeeded, else the first error.
 */
int rw_conf__parse(FILE *f, const char *path, rw_conf_fn fn, void *ctx, FILE *err);

#endif /* __RACEWATCH_CTL_H */
