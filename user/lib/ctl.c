// SPDX-License-Identifier: GPL-2.0
/*
 * ctl: racewatchd's control protocol — encoding and decoding request lines,
 * classifying response lines, the client's call — and the config file's
 * word splitting. See ctl.h and Documentation/daemon.rst.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"

static bool plain_byte(unsigned char c)
{
	return c > ' ' && c < 0x7f && c != '\\';
}

char *rw_ctl__encode(int argc, char *const argv[])
{
	size_t len = strlen(RW_CTL_MAGIC) + 8, n;
	char *line, *p;
	int i;

	for (i = 0; i < argc; i++)
		len += 4 * strlen(argv[i]) + 1;
	line = malloc(len);
	if (!line)
		return NULL;
	p = line + sprintf(line, "%s%d", RW_CTL_MAGIC, RW_CTL_VERSION);
	for (i = 0; i < argc; i++) {
		*p++ = ' ';
		for (n = 0; argv[i][n]; n++) {
			unsigned char c = argv[i][n];

			if (plain_byte(c))
				*p++ = c;
			else
				p += sprintf(p, "\\x%02x", c);
		}
		/* an empty word still counts: write it as an escape-only token */
		if (!n)
			p += sprintf(p, "\\x");
	}
	*p++ = '\n';
	*p = '\0';
	return line;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Unescape one word in place; 0 or -EPROTO. */
static int unescape(char *w)
{
	char *out = w;
	int hi, lo;

	while (*w) {
		if (*w != '\\') {
			*out++ = *w++;
			continue;
		}
		if (w[1] != 'x')
			return -EPROTO;
		if (!w[2]) {		/* "\x" alone: the empty word */
			w += 2;
			continue;
		}
		hi = hexval(w[2]);
		lo = hi < 0 ? -1 : hexval(w[3]);
		if (lo < 0)
			return -EPROTO;
		*out++ = (char)(hi << 4 | lo);
		w += 4;
	}
	*out = '\0';
	return 0;
}

int rw_ctl__decode(char *line, char **argv, int max)
{
	size_t ml = strlen(RW_CTL_MAGIC);
	char *p, *end, *word;
	long version;
	int argc = 0;

	p = strchr(line, '\n');
	if (p)
		*p = '\0';
	if (strncmp(line, RW_CTL_MAGIC, ml))
		return -EPROTO;
	errno = 0;
	version = strtol(line + ml, &end, 10);
	if (errno || end == line + ml || (*end && *end != ' '))
		return -EPROTO;
	if (version != RW_CTL_VERSION)
		return -EPROTONOSUPPORT;
	if (!*end)
		return 0;
	/* words separated by exactly one space, none empty (an empty word is "\\x") */
	for (p = end + 1;; p++) {
		bool last;

		if (!*p || *p == ' ')
			return -EPROTO;
		word = p;
		while (*p && *p != ' ')
			p++;
		last = !*p;
		*p = '\0';
		if (argc == max)
			return -E2BIG;
		if (unescape(word))
			return -EPROTO;
		argv[argc++] = word;
		if (last)
			return argc;
	}
}

int rw_ctl__response(const char *line, const char **text)
{
	if (line[0] == '.' || line[0] == '!') {
		*text = line + 1;
		return line[0] == '.' ? RW_CTL_DATA : RW_CTL_DIAG;
	}
	if (!strncmp(line, "ok", 2) && (!line[2] || line[2] == ' ')) {
		*text = line[2] ? line + 3 : line + 2;
		return RW_CTL_OK;
	}
	if (!strncmp(line, "error ", 6)) {
		*text = line + 6;
		return RW_CTL_ERROR;
	}
	return -EPROTO;
}

int rw_ctl__connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= n;
	}
	return 0;
}

int rw_ctl__call(int fd, int argc, char *const argv[], FILE *out, FILE *err,
		 char *msg, size_t msg_size)
{
	char *req = rw_ctl__encode(argc, argv), *line = NULL;
	const char *text;
	size_t cap = 0;
	ssize_t n;
	FILE *in;
	int ret, kind, werr;

	if (!req)
		return -ENOMEM;
	/*
	 * A daemon that refuses the peer answers at once and closes: the write
	 * may fail (EPIPE) while its error line waits to be read. Read first.
	 */
	werr = write_all(fd, req, strlen(req));
	free(req);
	in = fdopen(dup(fd), "r");
	if (!in)
		return -errno;
	ret = werr ? werr : -ECONNRESET;
	while ((n = getline(&line, &cap, in)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		kind = rw_ctl__response(line, &text);
		if (kind == RW_CTL_DATA) {
			fprintf(out, "%s\n", text);
			fflush(out);
			continue;
		}
		if (kind == RW_CTL_DIAG) {
			fprintf(err, "%s\n", text);
			continue;
		}
		if (kind < 0) {
			ret = -EPROTO;
			break;
		}
		snprintf(msg, msg_size, "%s", text);
		ret = kind == RW_CTL_OK ? 0 : 1;
		break;
	}
	free(line);
	fclose(in);
	return ret;
}

/* ---- config file ------------------------------------------------------------------------------ */

int rw_conf__split(char *line, char **argv, int max, const char **why)
{
	char *p = line, *out;
	int argc = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p || *p == '#')
			return argc;
		if (argc == max) {
			*why = "too many words";
			return -E2BIG;
		}
		argv[argc++] = out = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
			if (*p == '\'') {
				for (p++; *p && *p != '\''; )
					*out++ = *p++;
				if (!*p) {
					*why = "unterminated '";
					return -EINVAL;
				}
				p++;
			} else if (*p == '"') {
				for (p++; *p && *p != '"'; ) {
					if (*p == '\\' && p[1] && strchr("\\\"$`", p[1]))
						p++;
					*out++ = *p++;
				}
				if (!*p) {
					*why = "unterminated \"";
					return -EINVAL;
				}
				p++;
			} else if (*p == '\\') {
				if (!p[1] || p[1] == '\n') {
					*why = "backslash at the end of the line";
					return -EINVAL;
				}
				*out++ = p[1];
				p += 2;
			} else {
				*out++ = *p++;
			}
		}
		if (*p)
			p++;
		*out = '\0';
	}
}

/* Write each line of @text to @err as "PATH:LINE: line". */
static void conf_report(FILE *err, const char *path, int lineno, const char *text)
{
	const char *p = text, *nl;

	if (!*p) {
		fprintf(err, "%s:%d: failed\n", path, lineno);
		return;
	}
	while (*p) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		fprintf(err, "%s:%d: %.*s\n", path, lineno, (int)(nl - p), p);
		p = *nl ? nl + 1 : nl;
	}
}

int rw_conf__parse(FILE *f, const char *path, rw_conf_fn fn, void *ctx, FILE *err)
{
	char *line = NULL, *argv[RW_CTL_MAX_ARGS], *text;
	const char *why = NULL;
	int lineno = 0, argc, ret = 0, r;
	size_t cap = 0, tlen;
	FILE *msgs;

	while (getline(&line, &cap, f) > 0) {
		lineno++;
		argc = rw_conf__split(line, argv, RW_CTL_MAX_ARGS, &why);
		if (argc < 0) {
			fprintf(err, "%s:%d: %s\n", path, lineno, why);
			ret = ret ? ret : argc;
			continue;
		}
		if (!argc)
			continue;
		text = NULL;
		msgs = open_memstream(&text, &tlen);
		if (!msgs) {
			ret = -ENOMEM;
			break;
		}
		r = fn(ctx, argc, argv, msgs);
		fclose(msgs);
		if (r) {
			conf_report(err, path, lineno, text);
			ret = ret ? ret : r;
		}
		free(text);
	}
	free(line);
	if (ferror(f) && !ret)
		ret = -EIO;
	return ret;
}
