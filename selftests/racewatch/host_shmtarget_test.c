// SPDX-License-Identifier: GPL-2.0
/*
 * user/lib/shmtarget on the host: NAME+OFF:LEN specs, POSIX names and paths
 * resolved to device and inode (or to a by-name target when the object does
 * not exist yet), System V segments resolved through a brief attach, the
 * engine key's device in the kernel's dev_t encoding, and the /proc scan
 * that finds the processes mapping a segment.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "shmtarget.h"

TEST(spec_parsing)
{
	char name[64];
	__u64 off;
	__u32 len;

	ASSERT_EQ(0, rw_shm__parse_spec("/seg+128:4", name, sizeof(name), &off, &len));
	EXPECT_STREQ("/seg", name);
	EXPECT_EQ(128u, off);
	EXPECT_EQ(4u, len);
	ASSERT_EQ(0, rw_shm__parse_spec("seg", name, sizeof(name), &off, &len));
	EXPECT_STREQ("seg", name);
	EXPECT_EQ(0u, off);
	EXPECT_EQ(8u, len);
	ASSERT_EQ(0, rw_shm__parse_spec("seg+0x40", name, sizeof(name), &off, &len));
	EXPECT_EQ(64u, off);
	EXPECT_EQ(8u, len);
	ASSERT_EQ(0, rw_shm__parse_spec("seg:2", name, sizeof(name), &off, &len));
	EXPECT_EQ(0u, off);
	EXPECT_EQ(2u, len);
	EXPECT_EQ(-EINVAL, rw_shm__parse_spec("seg+8:3", name, sizeof(name), &off, &len));
	EXPECT_EQ(-EINVAL, rw_shm__parse_spec("seg+x", name, sizeof(name), &off, &len));
	EXPECT_EQ(-EINVAL, rw_shm__parse_spec("+8:8", name, sizeof(name), &off, &len));
	EXPECT_EQ(-EINVAL, rw_shm__parse_spec("seg:8+4", name, sizeof(name), &off, &len));
	EXPECT_EQ(-EINVAL, rw_shm__parse_spec("averyveryverylongname", name, 8, &off, &len));
}

TEST(posix_names_paths_and_keys)
{
	struct rw_shm_target t;
	char name[64], path[96];
	struct stat sb, dir;
	struct rw_key k;
	int fd;

	snprintf(name, sizeof(name), "/rw_host_shmt_%d", getpid());
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	shm_unlink(name);
	/* missing: a by-name target on /dev/shm's file system */
	ASSERT_EQ(0, rw_shm__resolve(name, 16, 8, false, &t));
	ASSERT_EQ(0, stat("/dev/shm", &dir));
	EXPECT_TRUE(t.by_name);
	EXPECT_STREQ(name + 1, t.file);
	EXPECT_EQ((__u64)dir.st_dev, t.st_dev);
	EXPECT_EQ(0u, t.ino);

	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &sb));
	close(fd);
	/* existing: by inode, whether named with or without the slash, or by path */
	ASSERT_EQ(0, rw_shm__resolve(name + 1, 16, 8, false, &t));
	EXPECT_FALSE(t.by_name);
	EXPECT_EQ((__u64)sb.st_ino, t.ino);
	EXPECT_EQ((__u64)sb.st_dev, t.st_dev);
	EXPECT_EQ(16u, t.offset);
	EXPECT_NE(NULL, strstr(t.name, "shm:/rw_host_shmt_"));
	ASSERT_EQ(0, rw_shm__resolve(path, 16, 8, false, &t));
	EXPECT_EQ((__u64)sb.st_ino, t.ino);
	/* run's choice: by name even though it exists */
	ASSERT_EQ(0, rw_shm__resolve(name, 16, 8, true, &t));
	EXPECT_TRUE(t.by_name);

	/* the key: kernel dev_t (major << 20 | minor), inode, offset */
	ASSERT_EQ(0, rw_shm__resolve(name, 24, 8, false, &t));
	k = rw_shm__key(&t);
	EXPECT_EQ((__u32)RW_KEY_SHARED, k.kind);
	EXPECT_EQ((__u32)(major(sb.st_dev) << 20 | minor(sb.st_dev)), k.dev);
	EXPECT_EQ((__u64)sb.st_ino, k.id);
	EXPECT_EQ(24u, k.off);

	EXPECT_EQ(-EINVAL, rw_shm__resolve(name, 12, 8, false, &t));	/* unaligned */
	EXPECT_EQ(-EINVAL, rw_shm__resolve(name, 0, 3, false, &t));
	EXPECT_EQ(-EINVAL, rw_shm__resolve("/", 0, 8, false, &t));
	EXPECT_EQ(-ENOENT, rw_shm__resolve("./no/such/file", 0, 8, false, &t));
	shm_unlink(name);
}

TEST(mappers_are_found_by_inode_and_by_name)
{
	struct rw_shm_target t, tn;
	int fd, go[2], i, n;
	char name[64], c;
	pid_t kid, pids[64];
	bool found;
	void *p;

	snprintf(name, sizeof(name), "/rw_host_shmm_%d", getpid());
	shm_unlink(name);
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 4096));
	ASSERT_EQ(0, pipe(go));
	kid = fork();
	ASSERT_LE(0, kid);
	if (!kid) {
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED || write(go[1], "m", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(fd);
	ASSERT_EQ(1, read(go[0], &c, 1));
	ASSERT_EQ(0, rw_shm__resolve(name, 0, 8, false, &t));
	ASSERT_EQ(0, rw_shm__resolve(name, 0, 8, true, &tn));
	n = rw_shm__mappers(&t, pids, 64);
	found = false;
	for (i = 0; i < n && i < 64; i++)
		found |= pids[i] == kid;
	EXPECT_TRUE(found);
	n = rw_shm__mappers(&tn, pids, 64);
	found = false;
	for (i = 0; i < n && i < 64; i++)
		found |= pids[i] == kid;
	EXPECT_TRUE(found);
	kill(kid, SIGKILL);
	waitpid(kid, NULL, 0);
	/* gone: no mapper left */
	n = rw_shm__mappers(&t, pids, 64);
	for (i = 0; i < n && i < 64; i++)
		EXPECT_NE(kid, pids[i]);
	shm_unlink(name);
}

TEST(sysv_segment_resolves_to_its_shm_file)
{
	struct rw_shm_target t;
	struct stat dir;
	int id;

	id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
	if (id < 0)
		SKIP(return, "no System V shm: %s", strerror(errno));
	ASSERT_EQ(0, rw_shm__resolve_sysv(id, 64, 8, &t));
	EXPECT_EQ((__u64)id, t.ino);
	EXPECT_NE(0u, t.st_dev);
	EXPECT_EQ(64u, t.offset);
	EXPECT_FALSE(t.by_name);
	/* not the tmpfs of /dev/shm: the internal shm mount */
	if (!stat("/dev/shm", &dir))
		EXPECT_NE((__u64)dir.st_dev, t.st_dev);
	EXPECT_EQ(-EINVAL, rw_shm__resolve_sysv(id, 4096, 8, &t));
	EXPECT_EQ(-EINVAL, rw_shm__resolve_sysv(id, 4, 8, &t));
	shmctl(id, IPC_RMID, NULL);
	EXPECT_EQ(-EINVAL, rw_shm__resolve_sysv(id, 0, 8, &t));
}

TEST_HARNESS_MAIN
