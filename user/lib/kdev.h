/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kdev: the access source — a session on /dev/racewatch (racewatch.ko).
 */
#ifndef __RACEWATCH_KDEV_H
#define __RACEWATCH_KDEV_H

#include <stddef.h>
#include <linux/racewatch.h>

struct kdev;

/* Called once per access record; return non-zero to stop kdev__consume(). */
typedef int (*kdev_record_fn)(void *ctx, const struct racewatch_access *rec);

/* Called once per arming record (file and executable watches made with a NOTIFY flag). */
typedef int (*kdev_arm_fn)(void *ctx, const struct racewatch_arm *rec);

struct kdev_opts {
	size_t sz;		/* sizeof(struct kdev_opts) */
	const char *path;	/* default RACEWATCH_DEVICE */
	kdev_record_fn on_record;
	void *ctx;
	kdev_arm_fn on_arm;	/* may be NULL: arming records are skipped */
};

int kdev__open(const struct kdev_opts *opts, struct kdev **out);
int kdev__fd(const struct kdev *d);
const struct racewatch_info *kdev__info(const struct kdev *d);
int kdev__watch(struct kdev *d, __u32 pid, __u64 addr, __u32 len, __u32 kind, __u32 flags,
		struct racewatch_watch *out);
int kdev__unwatch(struct kdev *d, __u32 id);
int kdev__stats(struct kdev *d, struct racewatch_stats *st);
/* Read every record available now (never blocks); returns records read or -errno. */
int kdev__consume(struct kdev *d);
void kdev__free(struct kdev *d);

/* Text for an errno answered by RACEWATCH_IOC_WATCH, in the user's terms. */
const char *kdev__watch_strerror(int err);

#endif /* __RACEWATCH_KDEV_H */
