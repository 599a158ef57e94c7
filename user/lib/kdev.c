// SPDX-License-Identifier: GPL-2.0
/*
 * kdev: open /dev/racewatch, check its API version, make and drop watches,
 * and read access records without blocking.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kdev.h"

#define KDEV_BUF_SIZE	(64 * 1024)

struct kdev {
	int fd;
	struct racewatch_info info;
	kdev_record_fn on_record;
	kdev_arm_fn on_arm;
	void *ctx;
	char *buf;
};

int kdev__open(const struct kdev_opts *opts, struct kdev **out)
{
	const char *path = opts && opts->path ? opts->path : RACEWATCH_DEVICE;
	struct kdev *d;
	int err;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->buf = malloc(KDEV_BUF_SIZE);
	if (!d->buf) {
		err = -ENOMEM;
		goto err_free;
	}
	if (opts) {
		d->on_record = opts->on_record;
		d->ctx = opts->ctx;
		if (opts->sz >= offsetof(struct kdev_opts, on_arm) + sizeof(opts->on_arm))
			d->on_arm = opts->on_arm;
	}
	d->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (d->fd < 0) {
		err = -errno;
		goto err_free;
	}
	d->info.size = sizeof(d->info);
	if (ioctl(d->fd, RACEWATCH_IOC_GET_INFO, &d->info)) {
		err = -errno;
		goto err_close;
	}
	if (d->info.api_version != RACEWATCH_API_VERSION) {
		fprintf(stderr, "racewatch: %s speaks API %u, this program API %u\n",
			path, d->info.api_version, RACEWATCH_API_VERSION);
		err = -EPROTO;
		goto err_close;
	}
	*out = d;
	return 0;

err_close:
	close(d->fd);
err_free:
	free(d->buf);
	free(d);
	return err;
}

int kdev__fd(const struct kdev *d)
{
	return d->fd;
}

const struct racewatch_info *kdev__info(const struct kdev *d)
{
	return &d->info;
}

int kdev__watch(struct kdev *d, __u32 pid, __u64 addr, __u32 len, __u32 kind, __u32 flags,
		struct racewatch_watch *out)
{
	struct racewatch_watch w = {
		.size = sizeof(w),
		.flags = flags,
		.pid = pid,
		.kind = kind,
		.addr = addr,
		.len = len,
	};

	if (ioctl(d->fd, RACEWATCH_IOC_WATCH, &w))
		return -errno;
	if (out)
		*out = w;
	return 0;
}

int kdev__unwatch(struct kdev *d, __u32 id)
{
	struct racewatch_unwatch u = { .size = sizeof(u), .id = id };

	if (ioctl(d->fd, RACEWATCH_IOC_UNWATCH, &u))
		return -errno;
	return 0;
}

int kdev__stats(struct kdev *d, struct racewatch_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	if (ioctl(d->fd, RACEWATCH_IOC_GET_STATS, st))
		return -errno;
	return 0;
}

int kdev__consume(struct kdev *d)
{
	int total = 0;

	for (;;) {
		ssize_t n = read(d->fd, d->buf, KDEV_BUF_SIZE);
		size_t off = 0;

		if (n < 0) {
			if (errno == EAGAIN)
				return total;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return total;
		/* Every record starts with its type and size; step by size. */
		while (off + 8 <= (size_t)n) {
			const struct racewatch_access *rec = (const void *)(d->buf + off);
			size_t min = rec->type == RACEWATCH_REC_ACCESS ? sizeof(*rec) :
				     rec->type == RACEWATCH_REC_ARM ? sizeof(struct racewatch_arm) : 8;

			if (rec->size < min || (rec->size & 7) || off + rec->size > (size_t)n) {
				fprintf(stderr, "racewatch: malformed record from the device\n");
				return -EPROTO;
			}
			off += rec->size;
			if (rec->type == RACEWATCH_REC_ARM) {
				if (d->on_arm && d->on_arm(d->ctx, (const void *)rec))
					return total;
				continue;
			}
			total++;
			if (rec->type == RACEWATCH_REC_ACCESS && d->on_record &&
			    d->on_record(d->ctx, rec))
				return total;
		}
	}
}

void kdev__free(struct kdev *d)
{
	if (!d)
		return;
	close(d->fd);
	free(d->buf);
	free(d);
}

const char *kdev__watch_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case ESRCH: return "no such process";
	case EPERM: return "no ptrace rights over the process (CAP_SYS_PTRACE needed)";
	case EINVAL: return "invalid watch (length must be 1, 2, 4 or 8 and the address aligned to it)";
	case EFAULT: return "address is not in user space";
	case ENOSPC: return "no free debug register in a thread of the process";
	case EMFILE: return "too many watches in this session";
	case ENOENT: return "no such watch";
	default: return strerror(err < 0 ? -err : err);
	}
}
