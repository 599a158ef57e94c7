// SPDX-License-Identifier: GPL-2.0
/*
 * Eight racy fields of one shared-memory segment, bumped by two processes,
 * for the rotation test of shared-memory watches:
 *
 *   shm_fields NAME [SECONDS]
 *	creates the POSIX shm object NAME (4096 bytes), forks "shm_bump_a" and
 *	"shm_bump_b", which increment the eight 8-byte fields at offsets 0, 8,
 *	..., 56 once per round, with nothing ordering them, and sleep a
 *	millisecond between rounds, for SECONDS (default 3). The children start
 *	0.3 s after their fork (time for a tracer to follow them). Then the
 *	object is unlinked; exit 0, or 1 if something failed.
 *
 * Eight RW fields need 16 debug registers in each process that maps the
 * segment; x86 has four, so racewatch must rotate them, and every field
 * still races between the two processes.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SEG_SIZE	4096
#define NR_FIELDS	8

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void bump(volatile uint64_t *field, double seconds)
{
	struct timespec pause = { 0, 1000 * 1000 }, settle = { 0, 300 * 1000 * 1000 };
	double end;
	int i;

	nanosleep(&settle, NULL);
	end = now_s() + seconds;
	while (now_s() < end) {
		for (i = 0; i < NR_FIELDS; i++)
			field[i] = field[i] + 1;
		nanosleep(&pause, NULL);
	}
}

int main(int argc, char **argv)
{
	double seconds = argc > 2 ? atof(argv[2]) : 3;
	int fd, i, st, ret = 0;
	pid_t kids[2];
	void *seg;

	if (argc < 2) {
		fprintf(stderr, "usage: shm_fields NAME [SECONDS]\n");
		return 2;
	}
	shm_unlink(argv[1]);
	fd = shm_open(argv[1], O_RDWR | O_CREAT | O_EXCL, 0600);
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
	for (i = 0; i < 2; i++) {
		fflush(stdout);
		kids[i] = fork();
		if (kids[i] < 0)
			return 1;
		if (kids[i])
			continue;
		prctl(PR_SET_NAME, i ? "shm_bump_b" : "shm_bump_a");
		bump(seg, seconds);
		_exit(0);
	}
	for (i = 0; i < 2; i++) {
		if (waitpid(kids[i], &st, 0) != kids[i] || !WIFEXITED(st) || WEXITSTATUS(st))
			ret = 1;
	}
	printf("fields");
	for (i = 0; i < NR_FIELDS; i++)
		printf(" %llu", (unsigned long long)((volatile uint64_t *)seg)[i]);
	printf("\n");
	munmap(seg, SEG_SIZE);
	shm_unlink(argv[1]);
	return ret;
}
