// SPDX-License-Identifier: GPL-2.0
/*
 * launch: ptrace the child through execve, plant an int3 on the entry point
 * (AT_ENTRY from /proc/PID/auxv), and stop there with the original
 * instruction restored and rip pointing at it.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"

static int read_entry(pid_t pid, unsigned long *entry)
{
	char path[64];
	Elf64_auxv_t aux;
	int fd, err = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/auxv", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (read(fd, &aux, sizeof(aux)) == sizeof(aux) && aux.a_type != AT_NULL) {
		if (aux.a_type == AT_ENTRY) {
			*entry = aux.a_un.a_val;
			err = 0;
			break;
		}
	}
	close(fd);
	return err;
}

/* Wait for the next stop of pid, passing on signals that are not ours. */
static int wait_trap(pid_t pid)
{
	int status;

	for (;;) {
		if (waitpid(pid, &status, 0) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (WIFEXITED(status) || WIFSIGNALED(status))
			return -ECHILD;
		if (!WIFSTOPPED(status))
			continue;
		if (WSTOPSIG(status) == SIGTRAP)
			return 0;
		if (ptrace(PTRACE_CONT, pid, 0, WSTOPSIG(status)))
			return -errno;
	}
}

static void exec_child(char *const argv[], int errfd)
{
	int err;

	if (ptrace(PTRACE_TRACEME, 0, 0, 0) == 0)
		execvp(argv[0], argv);
	err = errno;
	if (write(errfd, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

static int run_to_entry(pid_t pid)
{
	struct user_regs_struct regs;
	unsigned long entry = 0;
	long orig;
	int err;

	err = read_entry(pid, &entry);
	if (err)
		return err;
	errno = 0;
	orig = ptrace(PTRACE_PEEKTEXT, pid, entry, 0);
	if (errno)
		return -errno;
	if (ptrace(PTRACE_POKETEXT, pid, entry, (orig & ~0xffL) | 0xcc))
		return -errno;
	if (ptrace(PTRACE_CONT, pid, 0, 0))
		return -errno;
	err = wait_trap(pid);
	if (err)
		return err;
	if (ptrace(PTRACE_GETREGS, pid, 0, &regs))
		return -errno;
	if (regs.rip != entry + 1)
		return -EPROTO;
	regs.rip = entry;
	if (ptrace(PTRACE_POKETEXT, pid, entry, orig) || ptrace(PTRACE_SETREGS, pid, 0, &regs))
		return -errno;
	return 0;
}

int launch__start(char *const argv[], pid_t *out)
{
	int pfd[2], child_err = 0, err;
	ssize_t n;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return err;
	}
	if (pid == 0) {
		close(pfd[0]);
		exec_child(argv, pfd[1]);
	}
	close(pfd[1]);
	n = read(pfd[0], &child_err, sizeof(child_err));
	close(pfd[0]);
	if (n == sizeof(child_err)) {
		waitpid(pid, NULL, 0);
		fprintf(stderr, "racewatch: cannot run %s: %s\n", argv[0], strerror(child_err));
		return -child_err;
	}

	err = wait_trap(pid);	/* the SIGTRAP of a successful execve */
	if (!err) {
		ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_EXITKILL);
		err = run_to_entry(pid);
	}
	if (err) {
		fprintf(stderr, "racewatch: %s did not reach its entry point: %s\n", argv[0],
			strerror(-err));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return err;
	}
	*out = pid;
	return 0;
}

int launch__resume(pid_t pid)
{
	if (ptrace(PTRACE_DETACH, pid, 0, 0))
		return -errno;
	return 0;
}
