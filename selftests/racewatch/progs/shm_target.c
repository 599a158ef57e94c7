// SPDX-License-Identifier: GPL-2.0
/*
 * A process driven over stdin for the file-watch tests: it maps a shared
 * segment, touches a 64-bit field in it, unmaps it, forks, makes threads,
 * execs itself. One command per line, one reply line each ("ok ..." or
 * "err ERRNO"); it prints "ready PID" at start (and after an exec).
 *
 *   p NAME         shm_open(NAME) and mmap it shared           -> ok ADDR
 *   s SHMID        shmat(SHMID)                                 -> ok ADDR
 *   P NAME OFF     map NAME and write the field at OFF at once  -> ok ADDR
 *   w OFF N        write the field at OFF N times               -> ok TID
 *   r OFF N        read it N times                              -> ok TID
 *   t OFF N        a new thread writes it N times (joined)      -> ok TID
 *   f OFF N        a fork child writes it N times (reaped)      -> ok PID
 *   u              munmap (or shmdt) the segment                -> ok 0
 *   e              exec this program again                      -> ready PID
 *   q              exit 0
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char *base;
static size_t base_len;
static int base_sysv;

struct job {
	volatile uint64_t *p;
	unsigned long n;
	pid_t tid;
};

static void do_write(volatile uint64_t *p, unsigned long n)
{
	while (n--)
		*p = *p + 1;
}

static void do_read(volatile uint64_t *p, unsigned long n)
{
	uint64_t sum = 0;

	while (n--)
		sum += *p;
	(void)sum;
}

static void *thread_fn(void *arg)
{
	struct job *j = arg;

	j->tid = syscall(SYS_gettid);
	do_write(j->p, j->n);
	return NULL;
}

static int map_posix(const char *name)
{
	struct stat st;
	int fd = shm_open(name, O_RDWR, 0);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		close(fd);
		return -errno;
	}
	base = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (base == MAP_FAILED) {
		base = NULL;
		return -errno;
	}
	base_len = st.st_size;
	base_sysv = 0;
	return 0;
}

int main(int argc, char **argv)
{
	char line[256], arg[200];
	unsigned long off, n;
	pthread_t th;
	struct job j;
	pid_t pid;
	int err, status;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready %d\n", getpid());
	while (fgets(line, sizeof(line), stdin)) {
		switch (line[0]) {
		case 'p':
			if (sscanf(line + 1, "%199s", arg) != 1)
				goto bad;
			err = map_posix(arg);
			if (err)
				printf("err %d\n", -err);
			else
				printf("ok %lx\n", (unsigned long)base);
			break;
		case 'P':
			if (sscanf(line + 1, "%199s %lu", arg, &off) != 2)
				goto bad;
			err = map_posix(arg);
			if (err) {
				printf("err %d\n", -err);
				break;
			}
			/* The first user instruction after mmap() returns may be this write. */
			do_write((volatile uint64_t *)(base + off), 1);
			printf("ok %lx\n", (unsigned long)base);
			break;
		case 's':
			if (sscanf(line + 1, "%lu", &n) != 1)
				goto bad;
			base = shmat((int)n, NULL, 0);
			if (base == (void *)-1) {
				base = NULL;
				printf("err %d\n", errno);
				break;
			}
			base_sysv = 1;
			printf("ok %lx\n", (unsigned long)base);
			break;
		case 'w':
		case 'r':
		case 't':
		case 'f':
			if (sscanf(line + 1, "%lu %lu", &off, &n) != 2 || !base)
				goto bad;
			j.p = (volatile uint64_t *)(base + off);
			j.n = n;
			if (line[0] == 'w') {
				do_write(j.p, n);
				printf("ok %ld\n", (long)syscall(SYS_gettid));
			} else if (line[0] == 'r') {
				do_read(j.p, n);
				printf("ok %ld\n", (long)syscall(SYS_gettid));
			} else if (line[0] == 't') {
				if (pthread_create(&th, NULL, thread_fn, &j) || pthread_join(th, NULL))
					goto bad;
				printf("ok %d\n", j.tid);
			} else {
				fflush(stdout);
				pid = fork();
				if (pid < 0)
					goto bad;
				if (!pid) {
					do_write(j.p, n);
					_exit(0);
				}
				if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
					goto bad;
				printf("ok %d\n", pid);
			}
			break;
		case 'u':
			if (!base)
				goto bad;
			if (base_sysv ? shmdt(base) : munmap(base, base_len))
				goto bad;
			base = NULL;
			printf("ok 0\n");
			break;
		case 'e':
			fflush(stdout);
			execl("/proc/self/exe", argv[0], NULL);
			goto bad;
		case 'q':
			return 0;
		default:
bad:
			printf("err %d\n", errno ? errno : EINVAL);
			break;
		}
	}
	(void)argc;
	return 0;
}
