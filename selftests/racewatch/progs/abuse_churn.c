// SPDX-License-Identifier: GPL-2.0
/*
 * Churn target of kmod_churn_test: threads and processes that come and go
 * by the thousand around two watched words.
 *
 * Prints "var ADDR var2 ADDR" first, then runs one command per stdin line:
 *
 *   t N   N threads, 8 alive at a time, each stores once to var and exits;
 *         answers "ok N" and then the N thread ids, one per line
 *   f N   N fork children, each stores once to var and exits; "ok N"
 *   s N   start N threads that store to var and var2 every 200 us, forever
 *   F     start a thread that forks children that exit at once, forever
 *   x     exit
 *
 * EOF on stdin ends the program.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BATCH 8

volatile long churn_var __attribute__((aligned(8)));
volatile long churn_var2 __attribute__((aligned(8)));

static void *store_once(void *arg)
{
	*(pid_t *)arg = (pid_t)syscall(SYS_gettid);
	churn_var = 1;
	return NULL;
}

static int threads(long n)
{
	pthread_t t[BATCH];
	pid_t *tids;
	long i, j, k;

	tids = calloc(n, sizeof(*tids));
	if (!tids)
		return -1;
	for (i = 0; i < n; i += k) {
		for (k = 0; k < BATCH && i + k < n; k++)
			if (pthread_create(&t[k], NULL, store_once, &tids[i + k]))
				return -1;
		for (j = 0; j < k; j++)
			pthread_join(t[j], NULL);
	}
	printf("ok %ld\n", n);
	for (i = 0; i < n; i++)
		printf("%d\n", tids[i]);
	free(tids);
	return 0;
}

static int forks(long n)
{
	long i;
	pid_t pid;

	for (i = 0; i < n; i++) {
		pid = fork();
		if (pid < 0)
			return -1;
		if (pid == 0) {
			churn_var = 2;
			_exit(0);
		}
		waitpid(pid, NULL, 0);
	}
	printf("ok %ld\n", n);
	return 0;
}

static void *storer(void *arg)
{
	struct timespec pause = { 0, 200 * 1000 };
	long n = 0;

	for (;;) {
		churn_var = ++n;
		churn_var2 = n;
		nanosleep(&pause, NULL);
	}
	return NULL;
}

static void *forker(void *arg)
{
	pid_t pid;

	for (;;) {
		pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	return NULL;
}

static int start_threads(void *(*fn)(void *), long n)
{
	pthread_t t;

	while (n-- > 0)
		if (pthread_create(&t, NULL, fn, NULL))
			return -1;
	printf("ok\n");
	return 0;
}

int main(void)
{
	char line[64], op;
	long n = 0;
	int err;

	printf("var %lx var2 %lx\n", (unsigned long)&churn_var, (unsigned long)&churn_var2);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		if (sscanf(line, "%c %ld", &op, &n) < 1)
			return 2;
		switch (op) {
		case 't': err = threads(n); break;
		case 'f': err = forks(n); break;
		case 's': err = start_threads(storer, n); break;
		case 'F': err = start_threads(forker, 1); break;
		case 'x': return 0;
		default: return 2;
		}
		if (err)
			return 1;
		fflush(stdout);
	}
	return 0;
}
