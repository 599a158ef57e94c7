// SPDX-License-Identifier: GPL-2.0
/*
 * Recording the engine's merged input and replaying it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

static const __u8 rw_zero_pad[8];

/* Write one record and pad it to 8 bytes. */
int rw_recorder__write(FILE *f, const void *rec, size_t len)
{
	size_t pad = (8 - len % 8) % 8;

	if (fwrite(rec, 1, len, f) != len || fwrite(rw_zero_pad, 1, pad, f) != pad)
		return -EIO;
	return 0;
}

/**
 * rw_recorder__open() - start a replay file
 * @path: the file (truncated)
 * @reorder_ns: the recording engine's window, noted in the header
 *
 * Return: the open file, or NULL with errno set.
 */
FILE *rw_recorder__open(const char *path, __u64 reorder_ns)
{
	struct rw_rec_file_hdr h = {
		.type = RW_REC_FILE_HDR,
		.size = sizeof(h),
		.magic = RW_REPLAY_MAGIC,
		.version = RW_REPLAY_VERSION,
		.reorder_ns = reorder_ns,
	};
	FILE *f = fopen(path, "we");

	if (!f)
		return NULL;
	if (rw_recorder__write(f, &h, sizeof(h))) {
		fclose(f);
		errno = EIO;
		return NULL;
	}
	return f;
}

int rw_recorder__watch(FILE *f, const struct rw_watch_desc *w, const struct rw_key *key)
{
	struct rw_rec_watch r = {
		.type = RW_REC_WATCH,
		.size = sizeof(r),
		.id = w->id,
		.pid = w->pid,
		.addr = w->addr,
		.len = w->len,
		.key = *key,
	};

	snprintf(r.name, sizeof(r.name), "%s", w->name ? w->name : "");
	return rw_recorder__write(f, &r, sizeof(r));
}

int rw_recorder__maps(FILE *f, __u32 pid, const char *text)
{
	size_t n = strlen(text), size = sizeof(struct rw_rec_maps) + n + 1;
	struct rw_rec_maps h = { .type = RW_REC_MAPS, .pid = pid, .text_len = n };

	if (size > RW_REC_MAX)
		return -E2BIG;
	h.size = (size + 7) & ~7u;
	if (fwrite(&h, 1, sizeof(h), f) != sizeof(h) || fwrite(text, 1, n + 1, f) != n + 1)
		return -EIO;
	if (fwrite(rw_zero_pad, 1, h.size - size, f) != h.size - size)
		return -EIO;
	return 0;
}

int rw_recorder__close(FILE *f)
{
	return fclose(f) ? -errno : 0;
}

/* Read the next record into *buf (grown as needed); 1 at end of file. */
static int rw_replay__next(FILE *f, void **buf, size_t *cap, __u32 *type, __u32 *size)
{
	__u32 hdr[2];
	size_t len;

	len = fread(hdr, 1, sizeof(hdr), f);
	if (len == 0 && feof(f))
		return 1;
	if (len != sizeof(hdr) || hdr[1] < sizeof(hdr) || hdr[1] > RW_REC_MAX)
		return -EINVAL;
	len = (hdr[1] + 7) & ~7u;
	if (len > *cap) {
		void *n = realloc(*buf, len);

		if (!n)
			return -ENOMEM;
		*buf = n;
		*cap = len;
	}
	memcpy(*buf, hdr, sizeof(hdr));
	if (fread((char *)*buf + sizeof(hdr), 1, len - sizeof(hdr), f) != len - sizeof(hdr))
		return -EINVAL;
	*type = hdr[0];
	*size = hdr[1];
	return 0;
}

static int rw_replay__one(struct rw_engine *e, const void *rec, __u32 type, __u32 size)
{
	const struct rw_rec_watch *w = rec;
	const struct rw_rec_maps *m = rec;
	struct rw_watch_desc desc;
	char name[RW_WATCH_NAME_LEN];

	switch (type) {
	case RW_REC_WATCH:
		if (size < sizeof(*w))
			return -EINVAL;
		memcpy(name, w->name, sizeof(name));
		name[sizeof(name) - 1] = '\0';
		desc = (struct rw_watch_desc){
			.sz = sizeof(desc), .id = w->id, .pid = w->pid, .addr = w->addr,
			.len = w->len, .name = name, .key = w->key,
		};
		return rw_engine__add_watch(e, &desc);
	case RW_REC_MAPS:
		if (size < sizeof(*m) || size < sizeof(*m) + (size_t)m->text_len + 1 ||
		    m->text[m->text_len])
			return -EINVAL;
		return rw_engine__add_maps(e, m->pid, m->text);
	case RW_REC_FILE_HDR:
		return 0;
	default:
		/* access and sync records; the engine validates them */
		return rw_engine__push(e, rec, size);
	}
}

static int rw_replay__header(FILE *f)
{
	struct rw_rec_file_hdr h;

	if (fread(&h, 1, sizeof(h), f) != sizeof(h))
		return -EINVAL;
	if (h.type != RW_REC_FILE_HDR || h.size != sizeof(h) || h.magic != RW_REPLAY_MAGIC)
		return -EINVAL;
	if (h.version != RW_REPLAY_VERSION)
		return -EPROTONOSUPPORT;
	return 0;
}

/**
 * rw_replay_stats() - run detection over a recorded file
 * @path: a file written with rw_engine_opts.record_path
 * @opts: output settings (record_path and reorder_ns are ignored: records
 *	are processed exactly in the recorded order)
 * @st: if not NULL, the engine's counters at the end
 *
 * Prints the reports and the summary as the live run would have.
 *
 * Return: number of distinct races (capped at INT_MAX), or -errno.
 */
int rw_replay_stats(const char *path, const struct rw_engine_opts *opts,
		    struct rw_engine_stats *st)
{
	struct rw_engine_opts o = {};
	struct rw_engine *e = NULL;
	void *buf = NULL;
	size_t cap = 0;
	__u32 type, size;
	FILE *f;
	int err;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	err = rw_replay__header(f);
	if (err)
		goto out_close;
	if (opts)
		memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	o.sz = sizeof(o);
	o.record_path = NULL;
	e = rw_engine__new(&o);
	if (!e) {
		err = -errno;
		goto out_close;
	}
	rw_engine__set_in_order(e);
	while (!(err = rw_replay__next(f, &buf, &cap, &type, &size))) {
		err = rw_replay__one(e, buf, type, size);
		if (err)
			break;
	}
	if (err == 1)
		err = rw_engine__finish(e);
	if (!err) {
		__u64 n = rw_engine__races(e);

		err = n > 0x7fffffff ? 0x7fffffff : (int)n;
	}
	if (st)
		rw_engine__stats(e, st);
	rw_engine__free(e);
out_close:
	free(buf);
	fclose(f);
	return err;
}

/* rw_replay_stats() without the counters. */
int rw_replay(const char *path, const struct rw_engine_opts *opts)
{
	return rw_replay_stats(path, opts, NULL);
}
