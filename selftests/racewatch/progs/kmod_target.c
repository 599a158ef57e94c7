// SPDX-License-Identifier: GPL-2.0
/*
 * Target program of racewatch's kmod_* selftests: it touches one global in
 * well-known ways when told to, so a test can compare the module's records
 * with what really happened.
 *
 * Started as "kmod_target [helper]". The first line on stdout gives the
 * address of the watched variable and the [start, end) code range of each
 * accessing function (each lives in its own section, so the linker gives
 * exact bounds):
 *
 *   var ADDR write S E read S E atomic S E narrow S E dispatch S E helper TID
 *
 * Then it reads one command per line on stdin and answers "ok TID" with the
 * id of the thread that made the accesses:
 *
 *   w N   main thread writes 1..N to the variable (N stores)
 *   r N   main thread reads it N times
 *   a N   main thread adds 1 atomically N times (lock-prefixed RMW)
 *   n     main thread makes the narrow pattern (see kt_narrow)
 *   t N   a new thread writes N times and exits; joined before answering
 *   T N   the helper thread (started with "helper") writes N times
 *   S     start another worker thread that waits for orders; answers its tid
 *   U N   the worker started last writes N times
 *   B N   start N threads that write the variable in a loop, forever
 *   C     start a thread that keeps creating short-lived threads, each
 *         writing once
 *   d N   main thread recurses N calls deep, then writes once
 *   f N   a fork child writes N times and exits; reaped before answering
 *         with the child's pid
 *   e     exec this program again with the same arguments: it prints a new
 *         first line and no "ok"
 *   D N   main thread writes 1..N to kt_data (initialized: in .data, not .bss)
 *   E     exec the other build of this program (kmod_target <-> kmod_target-O2)
 *         with the same arguments: a new first line and no "ok"
 *   x     exit at once (status 0)
 *
 * EOF on stdin ends the program.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define KT_HOT(sec) __attribute__((noinline, used, section(sec)))

/* The watched word; 8-byte aligned so 1/2/4/8-byte watches fit inside it. */
volatile unsigned long kt_var __attribute__((aligned(8)));
/* A second one with an initial value: it lives in .data (executable watches). */
volatile unsigned long kt_data __attribute__((aligned(8))) = 0x5a;

extern char __start_ktsec_write[], __stop_ktsec_write[];
extern char __start_ktsec_read[], __stop_ktsec_read[];
extern char __start_ktsec_atomic[], __stop_ktsec_atomic[];
extern char __start_ktsec_narrow[], __stop_ktsec_narrow[];
extern char __start_ktsec_dispatch[], __stop_ktsec_dispatch[];

/* A thread that writes when told to, through its own pair of pipes. */
struct kt_worker {
	int cmd[2];
	int done[2];
	pid_t tid;
};

#define KT_MAX_WORKERS	8

static struct kt_worker workers[KT_MAX_WORKERS];
static int nr_workers;
static char **kt_argv;
static pid_t helper;	/* workers[0] when started with "helper" */

static pid_t kt_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

KT_HOT("ktsec_write") void kt_write(unsigned long n)
{
	unsigned long i;

	for (i = 1; i <= n; i++)
		kt_var = i;
}

KT_HOT("ktsec_read") unsigned long kt_read(unsigned long n)
{
	unsigned long i, sum = 0;

	for (i = 0; i < n; i++)
		sum += kt_var;
	return sum;
}

KT_HOT("ktsec_atomic") void kt_atomic(unsigned long n)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		__atomic_fetch_add((unsigned long *)&kt_var, 1, __ATOMIC_RELAXED);
}

/*
 * Eight stores around bytes 2..3 of the word. A 2-byte watch at offset 2 must
 * see exactly the four marked "touches".
 */
KT_HOT("ktsec_narrow") void kt_narrow(void)
{
	volatile unsigned char *b = (volatile unsigned char *)&kt_var;

	b[0] = 1;					/* byte 0: outside */
	b[2] = 2;					/* byte 2: touches */
	b[3] = 3;					/* byte 3: touches */
	b[4] = 4;					/* byte 4: outside */
	*(volatile unsigned int *)(b + 4) = 5;		/* bytes 4..7: outside */
	*(volatile unsigned short *)(b + 0) = 6;	/* bytes 0..1: outside */
	kt_var = 7;					/* bytes 0..7: touches */
	*(volatile unsigned int *)(b + 0) = 8;		/* bytes 0..3: touches */
}

/* The "+ 1" keeps the compiler from turning the recursion into a loop. */
static __attribute__((noinline)) unsigned long kt_deep(unsigned long n)
{
	if (!n) {
		kt_write(1);
		return 0;
	}
	return kt_deep(n - 1) + 1;
}

static void *kt_new_thread(void *arg)
{
	pid_t *tid = arg;

	*tid = kt_gettid();
	kt_write(*(unsigned long *)(tid + 2));
	return NULL;
}

static void *kt_worker_main(void *arg)
{
	struct kt_worker *wk = arg;
	unsigned long n;

	__atomic_store_n(&wk->tid, kt_gettid(), __ATOMIC_RELEASE);
	while (read(wk->cmd[0], &n, sizeof(n)) == sizeof(n)) {
		kt_write(n);
		if (write(wk->done[1], &n, sizeof(n)) != sizeof(n))
			break;
	}
	return NULL;
}

/* Start a worker thread; returns its tid or -1. */
static pid_t kt_start_worker(void)
{
	struct kt_worker *wk;
	pthread_t th;

	if (nr_workers == KT_MAX_WORKERS)
		return -1;
	wk = &workers[nr_workers];
	if (pipe(wk->cmd) || pipe(wk->done))
		return -1;
	if (pthread_create(&th, NULL, kt_worker_main, wk))
		return -1;
	while (!__atomic_load_n(&wk->tid, __ATOMIC_ACQUIRE))
		usleep(1000);
	nr_workers++;
	return wk->tid;
}

static pid_t kt_worker_write(struct kt_worker *wk, unsigned long n)
{
	if (write(wk->cmd[1], &n, sizeof(n)) != sizeof(n) ||
	    read(wk->done[0], &n, sizeof(n)) != sizeof(n))
		return -1;
	return wk->tid;
}

static void *kt_busy(void *arg)
{
	for (;;)
		kt_write(1000);
	return NULL;
}

static void *kt_one_write(void *arg)
{
	kt_write(1);
	return NULL;
}

static void *kt_spawner(void *arg)
{
	pthread_attr_t attr;
	pthread_t th;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (;;) {
		if (pthread_create(&th, &attr, kt_one_write, NULL))
			usleep(1000);
		usleep(200);
	}
	return NULL;
}

/* Start @n detached threads running @fn; returns the caller's tid or -1. */
static pid_t kt_start_detached(void *(*fn)(void *), unsigned long n)
{
	pthread_attr_t attr;
	pthread_t th;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	while (n--)
		if (pthread_create(&th, &attr, fn, NULL))
			return -1;
	return kt_gettid();
}

static pid_t kt_spawn_writer(unsigned long n)
{
	/* tid at [0], count at [2] (8-byte aligned) */
	pid_t box[4] = { 0 };
	pthread_t th;

	memcpy(&box[2], &n, sizeof(n));
	if (pthread_create(&th, NULL, kt_new_thread, box))
		return -1;
	pthread_join(th, NULL);
	return box[0];
}

static pid_t kt_fork_writer(unsigned long n)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		kt_write(n);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return pid;
}

/* Exec the other build: this program's path with "-O2" added or taken off. */
static void kt_exec_other(void)
{
	char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 4);

	if (n < 0)
		return;
	path[n] = '\0';
	if (n > 3 && !strcmp(path + n - 3, "-O2"))
		path[n - 3] = '\0';
	else
		strcat(path, "-O2");
	fflush(stdout);
	execv(path, kt_argv);
}

/* Returns the id of the thread that made the accesses, or -1. */
KT_HOT("ktsec_dispatch") pid_t kt_dispatch(char op, unsigned long n)
{
	switch (op) {
	case 'w':
		kt_write(n);
		return kt_gettid();
	case 'r':
		kt_read(n);
		return kt_gettid();
	case 'a':
		kt_atomic(n);
		return kt_gettid();
	case 'n':
		kt_narrow();
		return kt_gettid();
	case 't':
		return kt_spawn_writer(n);
	case 'T':
		return helper ? kt_worker_write(&workers[0], n) : -1;
	case 'S':
		return kt_start_worker();
	case 'U':
		return nr_workers ? kt_worker_write(&workers[nr_workers - 1], n) : -1;
	case 'B':
		return kt_start_detached(kt_busy, n);
	case 'C':
		return kt_start_detached(kt_spawner, 1);
	case 'd':
		kt_deep(n);
		return kt_gettid();
	case 'f':
		return kt_fork_writer(n);
	case 'e':
		execv("/proc/self/exe", kt_argv);
		return -1;
	case 'E':
		kt_exec_other();
		return -1;
	case 'D':
		for (unsigned long i = 1; i <= n; i++)
			kt_data = i;
		return kt_gettid();
	case 'x':
		_exit(0);
	}
	return -1;
}

int main(int argc, char **argv)
{
	char line[64], op;
	unsigned long n;

	kt_argv = argv;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "helper")) {
		helper = kt_start_worker();
		if (helper < 0) {
			fprintf(stderr, "kmod_target: cannot start the helper thread\n");
			return 1;
		}
	}
	printf("var %p write %p %p read %p %p atomic %p %p narrow %p %p dispatch %p %p helper %d\n",
	       (void *)&kt_var, __start_ktsec_write, __stop_ktsec_write, __start_ktsec_read, __stop_ktsec_read,
	       __start_ktsec_atomic, __stop_ktsec_atomic, __start_ktsec_narrow, __stop_ktsec_narrow,
	       __start_ktsec_dispatch, __stop_ktsec_dispatch, (int)helper);

	while (fgets(line, sizeof(line), stdin)) {
		n = 0;
		if (sscanf(line, " %c %lu", &op, &n) < 1)
			continue;
		printf("ok %d\n", (int)kt_dispatch(op, n));
	}
	return 0;
}
