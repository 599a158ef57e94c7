// SPDX-License-Identifier: GPL-2.0
/*
 * Privilege, in the VM. /dev/racewatch is root's: an unprivileged user
 * cannot open it, and neither can the root of a user namespace (its
 * capabilities do not reach a device node owned by the initial namespace).
 * Arming needs ptrace rights over the target (CAP_SYS_PTRACE in the target's
 * user namespace): with a descriptor opened by root, the root of a new user
 * namespace is refused a root process (EPERM) but may arm a process of its
 * own namespace. (A plain unprivileged caller with a root-opened descriptor
 * is refused in kmod_ioctl_test: caller_without_ptrace_rights_gets_eperm.)
 */
#include <sched.h>
#include <grp.h>

#include "kselftest_harness.h"
#include "kmod_util.h"

#define NOBODY	65534
#define NO_USERNS	77	/* child exit status: user namespaces not allowed here */

/* Become nobody: no groups, no capabilities. 0 or -errno. */
static int drop_to_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return -errno;
	return 0;
}

/*
 * Open the device through a descriptor of /dev taken as root, so that only
 * the node's own permissions decide (the VM's root directory is 0700).
 */
static int open_dev_at(int devfd, int flags)
{
	return openat(devfd, "racewatch", flags | O_CLOEXEC);
}

/* Run @fn in a forked child; its exit status (or -1 if it did not exit). */
static int in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

FIXTURE(priv) {
	int fd;		/* opened as root */
	int devfd;	/* /dev, opened as root */
	struct kt t;	/* a root process */
	int bad_before;	/* BUG/WARNING/Oops lines in the kernel log before */
};

FIXTURE_SETUP(priv)
{
	self->devfd = -1;
	memset(&self->t, 0, sizeof(self->t));
	self->bad_before = rw_dmesg_bad_lines();
	self->fd = rw_dev_open();
	if (self->fd < 0)
		SKIP(return, "%s: %s (module not loaded?)", RACEWATCH_DEVICE, strerror(errno));
	ASSERT_EQ(0, getuid()) TH_LOG("the privilege tests run as root");
	self->devfd = open("/dev", O_PATH | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, self->devfd);
	ASSERT_EQ(0, kt_start(&self->t, "kmod_target", false));
}

FIXTURE_TEARDOWN(priv)
{
	kt_kill(&self->t);
	if (self->devfd >= 0)
		close(self->devfd);
	if (self->fd >= 0)
		close(self->fd);
	EXPECT_EQ(self->bad_before, rw_dmesg_bad_lines());
}

/* The 6.1 harness runs the body even after a SKIP in the setup. */
#define NEED_DEVICE() do { if (self->fd < 0) SKIP(return, "no %s", RACEWATCH_DEVICE); } while (0)

/* Exit status: 0 if every open mode is refused with EACCES, else which one was not. */
static int open_is_refused(int devfd)
{
	static const int modes[] = { O_RDWR, O_RDONLY, O_WRONLY };
	unsigned int i;
	int fd;

	for (i = 0; i < sizeof(modes) / sizeof(*modes); i++) {
		fd = open_dev_at(devfd, modes[i]);
		if (fd >= 0 || errno != EACCES)
			return 10 + i;
	}
	return 0;
}

static int nobody_opens(void *arg)
{
	int devfd = *(int *)arg;

	if (drop_to_nobody())
		return 2;
	return open_is_refused(devfd);
}

static int userns_root_opens(void *arg)
{
	int devfd = *(int *)arg;

	if (drop_to_nobody())
		return 2;
	if (unshare(CLONE_NEWUSER))
		return NO_USERNS;
	return open_is_refused(devfd);
}

TEST_F(priv, unprivileged_user_cannot_open_the_device)
{
	int fd;

	NEED_DEVICE();
	/* The way in works for root ... */
	fd = open_dev_at(self->devfd, O_RDWR);
	ASSERT_LE(0, fd);
	close(fd);
	/* ... and not for nobody, in any mode. */
	EXPECT_EQ(0, in_child(nobody_opens, &self->devfd));
}

TEST_F(priv, user_namespace_root_cannot_open_the_device)
{
	int st;

	NEED_DEVICE();
	st = in_child(userns_root_opens, &self->devfd);
	if (st == NO_USERNS)
		SKIP(return, "unprivileged user namespaces are not allowed here");
	EXPECT_EQ(0, st);
}

volatile unsigned long priv_var __attribute__((aligned(8)));

/* A process of the new namespace: stores 1..N to priv_var for each byte N it is sent. */
static void own_target(int cmd, int done)
{
	unsigned char n;
	unsigned long i;

	while (read(cmd, &n, 1) == 1) {
		for (i = 1; i <= n; i++)
			priv_var = i;
		if (write(done, &n, 1) != 1)
			break;
	}
	_exit(0);
}

struct userns_arm {
	int fd;			/* root-opened session */
	pid_t root_target;
	unsigned long root_var;
};

/*
 * As the root of a new user namespace with a root-opened descriptor: the root
 * process is refused, a process of the namespace is armed and reports.
 */
static int userns_root_arms(void *arg)
{
	struct userns_arm *a = arg;
	static struct rw_recs recs;
	int cmd[2], done[2], id, n, i;
	unsigned char b = 5;
	pid_t own;

	if (drop_to_nobody())
		return 2;
	if (unshare(CLONE_NEWUSER))
		return NO_USERNS;
	if (rw_watch(a->fd, a->root_target, a->root_var, 8, RACEWATCH_KIND_WRITE, 0) != -EPERM)
		return 10;
	if (pipe(cmd) || pipe(done))
		return 3;
	own = fork();
	if (own < 0)
		return 3;
	if (own == 0)
		own_target(cmd[0], done[1]);
	id = rw_watch(a->fd, own, (unsigned long)&priv_var, 8, RACEWATCH_KIND_WRITE, 0);
	if (id <= 0)
		return 11;
	if (write(cmd[1], &b, 1) != 1 || read(done[0], &b, 1) != 1)
		return 12;
	n = rw_drain(a->fd, &recs);
	if (n != 5)
		return 13;
	for (i = 0; i < n; i++)
		if (recs.r[i]->pid != (__u32)own || recs.r[i]->watch_id != (__u32)id)
			return 14;
	kill(own, SIGKILL);
	waitpid(own, NULL, 0);
	return 0;
}

TEST_F(priv, arming_needs_ptrace_rights_over_the_target)
{
	struct userns_arm a = {
		.fd = self->fd, .root_target = self->t.pid, .root_var = self->t.var,
	};
	int st;

	NEED_DEVICE();
	st = in_child(userns_root_arms, &a);
	if (st == NO_USERNS)
		SKIP(return, "unprivileged user namespaces are not allowed here");
	/* 10: root process not refused; 11: own process refused; 12-14: its records */
	EXPECT_EQ(0, st);
	/* The namespace's watch belongs to the session; the refused one left nothing. */
	EXPECT_EQ(1, rw_list(self->fd, NULL, 0));

	/* Root itself arms the root process with the same descriptor. */
	EXPECT_LT(0, rw_watch(self->fd, self->t.pid, self->t.var, 8, RACEWATCH_KIND_WRITE, 0));
}

TEST_HARNESS_MAIN
