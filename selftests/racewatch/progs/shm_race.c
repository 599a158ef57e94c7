// SPDX-License-Identifier: GPL-2.0
/*
 * Two processes sharing a counter in shared memory, for the cross-process
 * tests.
 *
 *   shm_race posix|sysv racy|mutex|sem NAME ITER [wait|waitfork]
 *	creates the segment (POSIX shm NAME, or a System V segment), puts a
 *	process-shared mutex at offset 0 and a process-shared semaphore at 64,
 *	forks "shm_writer" (increments the counter at offset 128) and
 *	"shm_reader" (reads it), ITER times each, about 1 ms apart, under the
 *	mutex, the semaphore or nothing. The children start together once the
 *	parent lets them: after 1.5 s (time for a tracer to attach to them), or
 *	with "wait", when the parent gets SIGUSR1 (it prints "ready PID SHMID"
 *	first, SHMID -1 for POSIX). With "waitfork" the parent prints "ready"
 *	and waits for SIGUSR1 before it forks, then starts them 1.5 s later.
 *	Then the segment is removed; exit 0.
 *   shm_race join NAME ITER
 *	"shm_late": maps an existing POSIX segment and increments the counter
 *	ITER times, without synchronization.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SEG_SIZE	4096
#define OFF_MUTEX	0
#define OFF_SEM		64
#define OFF_COUNTER	128

enum sync_mode { RACY, MUTEX, SEM };

static void pause_1ms(void)
{
	struct timespec ts = { 0, 1000 * 1000 };

	nanosleep(&ts, NULL);
}

static void worker(char *seg, enum sync_mode mode, bool writer, long iter)
{
	pthread_mutex_t *m = (pthread_mutex_t *)(seg + OFF_MUTEX);
	sem_t *sem = (sem_t *)(seg + OFF_SEM);
	volatile uint64_t *counter = (volatile uint64_t *)(seg + OFF_COUNTER);
	uint64_t seen = 0;
	long i;

	for (i = 0; i < iter; i++) {
		if (mode == MUTEX)
			pthread_mutex_lock(m);
		else if (mode == SEM)
			sem_wait(sem);
		if (writer)
			*counter = *counter + 1;
		else
			seen += *counter;
		if (mode == MUTEX)
			pthread_mutex_unlock(m);
		else if (mode == SEM)
			sem_post(sem);
		pause_1ms();
	}
	(void)seen;
}

static int usage(void)
{
	fprintf(stderr, "usage: shm_race posix|sysv racy|mutex|sem NAME ITER [wait]\n"
			"       shm_race join NAME ITER\n");
	return 2;
}

static int join(const char *name, long iter)
{
	char *seg;
	int fd;

	prctl(PR_SET_NAME, "shm_late");
	fd = shm_open(name, O_RDWR, 0);
	if (fd < 0) {
		perror("shm_open");
		return 1;
	}
	seg = mmap(NULL, SEG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (seg == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	worker(seg, RACY, true, iter);
	munmap(seg, SEG_SIZE);
	return 0;
}

int main(int argc, char **argv)
{
	pthread_mutexattr_t ma;
	enum sync_mode mode;
	int fd, go[2], shmid = -1, st, i, ret = 0, sig;
	bool sysv, wait_sig, fork_late;
	pid_t kids[2];
	sigset_t set;
	char *seg;
	long iter;

	if (argc == 4 && !strcmp(argv[1], "join"))
		return join(argv[2], atol(argv[3]));
	if (argc < 5)
		return usage();
	sysv = !strcmp(argv[1], "sysv");
	if (!sysv && strcmp(argv[1], "posix"))
		return usage();
	if (!strcmp(argv[2], "racy"))
		mode = RACY;
	else if (!strcmp(argv[2], "mutex"))
		mode = MUTEX;
	else if (!strcmp(argv[2], "sem"))
		mode = SEM;
	else
		return usage();
	iter = atol(argv[4]);
	fork_late = argc > 5 && !strcmp(argv[5], "waitfork");
	wait_sig = fork_late || (argc > 5 && !strcmp(argv[5], "wait"));

	if (sysv) {
		shmid = shmget(IPC_PRIVATE, SEG_SIZE, IPC_CREAT | 0600);
		if (shmid < 0) {
			perror("shmget");
			return 1;
		}
		seg = shmat(shmid, NULL, 0);
		if (seg == (void *)-1) {
			perror("shmat");
			return 1;
		}
	} else {
		shm_unlink(argv[3]);
		fd = shm_open(argv[3], O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd < 0 || ftruncate(fd, SEG_SIZE)) {
			perror("shm_open");
			return 1;
		}
		seg = mmap(NULL, SEG_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		if (seg == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
	}
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init((pthread_mutex_t *)(seg + OFF_MUTEX), &ma);
	sem_init((sem_t *)(seg + OFF_SEM), 1, 1);

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (pipe(go))
		return 1;
	if (fork_late) {
		printf("ready %d %d\n", getpid(), shmid);
		fflush(stdout);
		sigwait(&set, &sig);
	}
	for (i = 0; i < 2; i++) {
		char c;

		fflush(stdout);
		kids[i] = fork();
		if (kids[i] < 0)
			return 1;
		if (kids[i])
			continue;
		prctl(PR_SET_NAME, i ? "shm_reader" : "shm_writer");
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		worker(seg, mode, i == 0, iter);
		_exit(0);
	}
	close(go[0]);
	if (wait_sig && !fork_late) {
		printf("ready %d %d\n", getpid(), shmid);
		fflush(stdout);
		sigwait(&set, &sig);
	} else {
		struct timespec ts = { 1, 500 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
	if (write(go[1], "gg", 2) != 2)
		ret = 1;
	close(go[1]);
	for (i = 0; i < 2; i++) {
		if (waitpid(kids[i], &st, 0) != kids[i] || !WIFEXITED(st) || WEXITSTATUS(st))
			ret = 1;
	}
	if (sysv) {
		shmdt(seg);
		shmctl(shmid, IPC_RMID, NULL);
	} else {
		munmap(seg, SEG_SIZE);
		if (!wait_sig)
			shm_unlink(argv[3]);
	}
	return ret;
}
