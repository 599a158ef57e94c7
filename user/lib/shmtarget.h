/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shmtarget: name a field of a shared-memory segment — a POSIX shm object,
 * any file, a System V segment — the way racewatch.ko's file watches
 * (RACEWATCH_IOC_WATCH_FILE) and the engine's location keys need it.
 */
#ifndef __RACEWATCH_SHMTARGET_H
#define __RACEWATCH_SHMTARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>
#include <linux/racewatch.h>
#include <racewatch/sync.h>

#include "engine.h"

/**
 * struct rw_shm_target - one field of one shared file
 * @name: the location's name in reports ("shm:/seg+16", "sysv:32769+0", a path)
 * @file: with @by_name, the file's name in its file system's root ("seg")
 * @by_name: the file is matched by @file (it may not exist yet), not by @ino
 * @st_dev: the file system's device, as stat(2) gives st_dev
 * @ino: the file's inode number (System V: the shmid); 0 with @by_name
 * @offset: byte offset of the field in the file
 * @len: 1, 2, 4 or 8
 */
struct rw_shm_target {
	char name[RW_WATCH_NAME_LEN];
	char file[256];
	bool by_name;
	__u64 st_dev;
	__u64 ino;
	__u64 offset;
	__u32 len;
};

/*
 * Parse "NAME[+OFF][:LEN]" (OFF decimal or 0x hex, default 0; LEN 1, 2, 4 or
 * 8, default 8) into @name (room @room), @off and @len. 0 or -EINVAL.
 */
int rw_shm__parse_spec(const char *spec, char *name, size_t room, __u64 *off, __u32 *len);

/*
 * Resolve NAME or PATH. A PATH (it contains a '/' after its first byte, or
 * starts with '.') must exist and is matched by inode. A NAME ("seg" or
 * "/seg") is a POSIX shm object in /dev/shm: matched by inode if it exists
 * and @by_name is false, else by name (then it may be created later).
 * Return: 0, -EINVAL (bad offset/length/name), or -errno of stat(2).
 */
int rw_shm__resolve(const char *name_or_path, __u64 off, __u32 len, bool by_name,
		    struct rw_shm_target *t);

/*
 * Resolve System V segment @shmid: attaches it read-only for a moment to
 * learn its device and inode from /proc/self/maps. 0 or -errno (-EINVAL for
 * a bad offset/length or an offset past the segment's size).
 */
int rw_shm__resolve_sysv(int shmid, __u64 off, __u32 len, struct rw_shm_target *t);

/* The engine's (and the sync tracer's) location key of the field. */
struct rw_key rw_shm__key(const struct rw_shm_target *t);

/*
 * RACEWATCH_IOC_WATCH_FILE on the open device @fd, scope @scope (0: every
 * process). Fills @out (id, processes, skipped). 0 or -errno.
 */
int rw_shm__watch(int fd, const struct rw_shm_target *t, __u32 kind, pid_t scope,
		  struct racewatch_watch_file *out);

/*
 * RACEWATCH_IOC_FILE_STAT of file watch @id on the open device @fd into
 * @out. 0 or -errno (-ENOENT: no such file watch).
 */
int rw_shm__stat(int fd, __u32 id, struct racewatch_file_stat *out);

/*
 * Processes whose /proc/PID/maps show a shared mapping of @t's file (by
 * device and inode; by name for a by-name target); at most @max pids into
 * @pids. Returns how many were found (may exceed @max) or -errno.
 */
int rw_shm__mappers(const struct rw_shm_target *t, pid_t *pids, int max);

#endif /* __RACEWATCH_SHMTARGET_H */
