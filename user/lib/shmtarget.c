// SPDX-License-Identifier: GPL-2.0
/*
 * shmtarget: resolve shared-memory fields for file watches. See shmtarget.h.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "shmtarget.h"

#define SHM_DIR	"/dev/shm"

static bool len_ok(__u32 len)
{
	return len == 1 || len == 2 || len == 4 || len == 8;
}

int rw_shm__parse_spec(const char *spec, char *name, size_t room, __u64 *off, __u32 *len)
{
	const char *plus, *colon, *end_name;
	unsigned long long v;
	char *end;

	colon = strrchr(spec, ':');
	plus = strrchr(spec, '+');
	if (plus && colon && plus > colon)
		return -EINVAL;
	end_name = plus ? plus : colon ? colon : spec + strlen(spec);
	if (end_name == spec || (size_t)(end_name - spec) >= room)
		return -EINVAL;
	memcpy(name, spec, end_name - spec);
	name[end_name - spec] = '\0';
	*off = 0;
	*len = 8;
	if (plus) {
		errno = 0;
		v = strtoull(plus + 1, &end, 0);
		if (errno || end == plus + 1 || (*end && *end != ':'))
			return -EINVAL;
		*off = v;
	}
	if (colon) {
		errno = 0;
		v = strtoull(colon + 1, &end, 0);
		if (errno || end == colon + 1 || *end || !len_ok(v))
			return -EINVAL;
		*len = v;
	}
	return 0;
}

static int check_field(__u64 off, __u32 len)
{
	if (!len_ok(len) || (off & (len - 1)) || off > (__u64)INT64_MAX)
		return -EINVAL;
	return 0;
}

static bool is_path(const char *s)
{
	return s[0] == '.' || strchr(s + 1, '/');
}

int rw_shm__resolve(const char *name_or_path, __u64 off, __u32 len, bool by_name,
		    struct rw_shm_target *t)
{
	const char *base;
	char path[PATH_MAX];
	struct stat sb;
	int err;

	memset(t, 0, sizeof(*t));
	err = check_field(off, len);
	if (err)
		return err;
	t->offset = off;
	t->len = len;
	if (is_path(name_or_path)) {
		if (stat(name_or_path, &sb))
			return -errno;
		if (!S_ISREG(sb.st_mode))
			return -EINVAL;
		t->st_dev = sb.st_dev;
		t->ino = sb.st_ino;
		/* a long path is cut in the report name, nothing else */
		if (snprintf(t->name, sizeof(t->name), "%s+%llu", name_or_path,
			     (unsigned long long)off) >= (int)sizeof(t->name))
			t->name[sizeof(t->name) - 1] = '\0';
		return 0;
	}
	base = name_or_path[0] == '/' ? name_or_path + 1 : name_or_path;
	if (!*base || strchr(base, '/') || strlen(base) >= sizeof(t->file) ||
	    !strcmp(base, ".") || !strcmp(base, ".."))
		return -EINVAL;
	if (snprintf(t->name, sizeof(t->name), "shm:/%s+%llu", base,
		     (unsigned long long)off) >= (int)sizeof(t->name))
		t->name[sizeof(t->name) - 1] = '\0';
	snprintf(path, sizeof(path), SHM_DIR "/%s", base);
	if (!by_name && !stat(path, &sb)) {
		if (!S_ISREG(sb.st_mode))
			return -EINVAL;
		t->st_dev = sb.st_dev;
		t->ino = sb.st_ino;
		return 0;
	}
	if (!by_name && errno != ENOENT)
		return -errno;
	/* Not there yet (or asked for): match it by name on /dev/shm's file system. */
	if (stat(SHM_DIR, &sb))
		return -errno;
	t->by_name = true;
	t->st_dev = sb.st_dev;
	snprintf(t->file, sizeof(t->file), "%s", base);
	return 0;
}

/* dev and inode of the mapping that starts at @addr in /proc/self/maps. */
static int maps_ident(unsigned long addr, __u64 *dev, __u64 *ino)
{
	unsigned long lo, hi, pgoff, i;
	unsigned int maj, min;
	char line[512];
	int ret = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %*s %lx %x:%x %lu", &lo, &hi, &pgoff, &maj, &min, &i) != 6)
			continue;
		if (lo != addr)
			continue;
		*dev = makedev(maj, min);
		*ino = i;
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

int rw_shm__resolve_sysv(int shmid, __u64 off, __u32 len, struct rw_shm_target *t)
{
	struct shmid_ds ds;
	void *p;
	int err;

	memset(t, 0, sizeof(*t));
	err = check_field(off, len);
	if (err)
		return err;
	if (shmctl(shmid, IPC_STAT, &ds))
		return -errno;
	if (off + len > ds.shm_segsz)
		return -EINVAL;
	p = shmat(shmid, NULL, SHM_RDONLY);
	if (p == (void *)-1)
		return -errno;
	err = maps_ident((unsigned long)p, &t->st_dev, &t->ino);
	shmdt(p);
	if (err)
		return err;
	t->offset = off;
	t->len = len;
	snprintf(t->name, sizeof(t->name), "sysv:%d+%llu", shmid, (unsigned long long)off);
	return 0;
}

struct rw_key rw_shm__key(const struct rw_shm_target *t)
{
	struct rw_key k = {
		.kind = RW_KEY_SHARED,
		/* the kernel's dev_t: major in the top 12 bits, minor in the low 20 */
		.dev = (__u32)(major(t->st_dev) << 20 | (minor(t->st_dev) & 0xfffff)),
		.id = t->ino,
		.off = t->offset,
	};

	return k;
}

int rw_shm__watch(int fd, const struct rw_shm_target *t, __u32 kind, pid_t scope,
		  struct racewatch_watch_file *out)
{
	struct racewatch_watch_file w;

	memset(&w, 0, sizeof(w));
	w.size = sizeof(w);
	w.dev = t->st_dev;
	w.ino = t->by_name ? 0 : t->ino;
	w.offset = t->offset;
	w.len = t->len;
	w.kind = kind;
	w.pid = scope > 0 ? scope : 0;
	/* an arming record per process: its synchronization is traced from then */
	w.flags = RACEWATCH_WATCH_FILE_NOTIFY;
	if (t->by_name) {
		w.flags |= RACEWATCH_WATCH_FILE_BY_NAME;
		w.name = (__u64)(unsigned long)t->file;
	}
	if (ioctl(fd, RACEWATCH_IOC_WATCH_FILE, &w))
		return -errno;
	if (out)
		*out = w;
	return 0;
}

int rw_shm__stat(int fd, __u32 id, struct racewatch_file_stat *out)
{
	memset(out, 0, sizeof(*out));
	out->size = sizeof(*out);
	out->id = id;
	if (ioctl(fd, RACEWATCH_IOC_FILE_STAT, out))
		return -errno;
	return 0;
}

/* Does a /proc/PID/maps line map @t's file shared? */
static bool maps_line_matches(const struct rw_shm_target *t, const char *line)
{
	unsigned long lo, hi, pgoff, ino;
	unsigned int maj, min;
	char perms[8];
	int pathpos = 0;
	const char *path, *slash;
	size_t n;

	if (sscanf(line, "%lx-%lx %7s %lx %x:%x %lu %n", &lo, &hi, perms, &pgoff, &maj, &min, &ino,
		   &pathpos) < 7 || perms[3] != 's')
		return false;
	if (makedev(maj, min) != t->st_dev)
		return false;
	if (!t->by_name)
		return ino == t->ino;
	if (!pathpos)
		return false;
	path = line + pathpos;
	slash = strrchr(path, '/');
	if (!slash)
		return false;
	n = strlen(t->file);
	return !strncmp(slash + 1, t->file, n) && (slash[1 + n] == '\n' || !slash[1 + n] ||
						    slash[1 + n] == ' ');
}

int rw_shm__mappers(const struct rw_shm_target *t, pid_t *pids, int max)
{
	char path[64], line[1024];
	struct dirent *de;
	int n = 0;
	DIR *d;
	FILE *f;
	long pid;
	char *end;

	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/maps", pid);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			if (maps_line_matches(t, line)) {
				if (n < max)
					pids[n] = pid;
				n++;
				break;
			}
		}
		fclose(f);
	}
	closedir(d);
	return n;
}
