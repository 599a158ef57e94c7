// SPDX-License-Identifier: GPL-2.0
/*
 * Target of the sync tracer tests: runs one synchronization scenario.
 *
 *   sync_target SCENARIO [ARG]
 *
 * Protocol with the test: print "ready NAME=0xADDR ..." (the objects the
 * scenario uses) on stdout, wait for one byte on stdin, run the scenario,
 * exit 0. Scenarios that fork read a second byte in the child, so the test
 * can watch the child before it runs. Any failure exits non-zero.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t rm;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_spinlock_t sl;
static sem_t sem;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t bar;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int fut;
static int flag;
static int p1[2], p2[2];

#define CHECK(x) do { if (!(x)) { fprintf(stderr, "sync_target: %s:%d: %s failed\n", \
			__FILE__, __LINE__, #x); exit(2); } } while (0)

static void wait_go(void)
{
	char c;

	CHECK(read(0, &c, 1) == 1);
}

static void pipe_put(int *p)
{
	CHECK(write(p[1], "x", 1) == 1);
}

static void pipe_get(int *p)
{
	char c;

	CHECK(read(p[0], &c, 1) == 1);
}

static struct timespec in_future(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 30;
	return ts;
}

static const struct timespec past = { 1, 0 };

/* T1 of "mutex": holds m while main's trylock and timedlock fail. */
static void *mutex_holder(void *a)
{
	pthread_mutex_lock(&m);
	pipe_put(p1);
	pipe_get(p2);
	pthread_mutex_unlock(&m);
	return NULL;
}

static void run_mutex(void)
{
	struct timespec ts = in_future();
	pthread_t t;

	pthread_mutex_lock(&m);
	pthread_mutex_unlock(&m);
	CHECK(pthread_mutex_trylock(&m) == 0);
	pthread_mutex_unlock(&m);
	CHECK(pthread_mutex_timedlock(&m, &ts) == 0);
	pthread_mutex_unlock(&m);
	CHECK(pthread_mutex_clocklock(&m, CLOCK_REALTIME, &ts) == 0);
	pthread_mutex_unlock(&m);
	CHECK(pthread_create(&t, NULL, mutex_holder, NULL) == 0);
	pipe_get(p1);
	CHECK(pthread_mutex_trylock(&m) == EBUSY);
	CHECK(pthread_mutex_timedlock(&m, &past) == ETIMEDOUT);
	pipe_put(p2);
	CHECK(pthread_join(t, NULL) == 0);
}

static void run_recursive(void)
{
	pthread_mutex_lock(&rm);
	pthread_mutex_lock(&rm);
	CHECK(pthread_mutex_trylock(&rm) == 0);
	pthread_mutex_unlock(&rm);
	pthread_mutex_unlock(&rm);
	pthread_mutex_unlock(&rm);
	CHECK(pthread_mutex_trylock(&rm) == 0);
	pthread_mutex_lock(&rm);
	pthread_mutex_unlock(&rm);
	pthread_mutex_unlock(&rm);
}

static void *rw_reader(void *a)
{
	pthread_rwlock_rdlock(&rw);
	pipe_put(p1);
	pipe_get(p2);
	pthread_rwlock_unlock(&rw);
	return NULL;
}

static void run_rwlock(void)
{
	struct timespec ts = in_future();
	pthread_t t;

	pthread_rwlock_rdlock(&rw);
	pthread_rwlock_unlock(&rw);
	pthread_rwlock_wrlock(&rw);
	pthread_rwlock_unlock(&rw);
	CHECK(pthread_rwlock_tryrdlock(&rw) == 0);
	pthread_rwlock_unlock(&rw);
	CHECK(pthread_rwlock_trywrlock(&rw) == 0);
	pthread_rwlock_unlock(&rw);
	CHECK(pthread_rwlock_timedrdlock(&rw, &ts) == 0);
	pthread_rwlock_unlock(&rw);
	CHECK(pthread_rwlock_timedwrlock(&rw, &ts) == 0);
	pthread_rwlock_unlock(&rw);
	CHECK(pthread_create(&t, NULL, rw_reader, NULL) == 0);
	pipe_get(p1);
	CHECK(pthread_rwlock_trywrlock(&rw) == EBUSY);
	CHECK(pthread_rwlock_timedwrlock(&rw, &past) == ETIMEDOUT);
	CHECK(pthread_rwlock_tryrdlock(&rw) == 0);
	pthread_rwlock_unlock(&rw);
	pipe_put(p2);
	CHECK(pthread_join(t, NULL) == 0);
}

static void run_spin(void)
{
	pthread_spin_lock(&sl);
	pthread_spin_unlock(&sl);
	CHECK(pthread_spin_trylock(&sl) == 0);
	CHECK(pthread_spin_trylock(&sl) == EBUSY);
	pthread_spin_unlock(&sl);
}

static void run_sem(void)
{
	struct timespec ts = in_future();

	sem_post(&sem);
	sem_wait(&sem);
	CHECK(sem_trywait(&sem) == -1 && errno == EAGAIN);
	CHECK(sem_timedwait(&sem, &past) == -1 && errno == ETIMEDOUT);
	sem_post(&sem);
	CHECK(sem_trywait(&sem) == 0);
	sem_post(&sem);
	CHECK(sem_timedwait(&sem, &ts) == 0);
	sem_post(&sem);
	CHECK(sem_clockwait(&sem, CLOCK_REALTIME, &ts) == 0);
}

static void *cond_signaler(void *a)
{
	pthread_mutex_lock(&m);
	flag = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&m);
	return NULL;
}

static void run_cond(void)
{
	pthread_t t;

	/* main holds m until it waits, so the waiter always waits once */
	pthread_mutex_lock(&m);
	CHECK(pthread_create(&t, NULL, cond_signaler, NULL) == 0);
	while (!flag)
		pthread_cond_wait(&cv, &m);
	pthread_mutex_unlock(&m);
	CHECK(pthread_join(t, NULL) == 0);
}

static void *barrier_peer(void *a)
{
	pthread_barrier_wait(&bar);
	return NULL;
}

static void run_barrier(void)
{
	pthread_t t;

	CHECK(pthread_create(&t, NULL, barrier_peer, NULL) == 0);
	pthread_barrier_wait(&bar);
	CHECK(pthread_join(t, NULL) == 0);
}

static void once_init(void)
{
	pthread_mutex_lock(&m);
	pthread_mutex_unlock(&m);
}

static void run_once(void)
{
	pthread_once(&once, once_init);
	pthread_once(&once, once_init);
}

/* Threads of "join": one record of their own (their live fsbase), then exit. */
static void *short_thread(void *a)
{
	pthread_mutex_lock(&m);
	pthread_mutex_unlock(&m);
	return NULL;
}

static void *blocked_thread(void *a)
{
	pipe_get(p1);
	return short_thread(a);
}

static void run_join(void)
{
	struct timespec ts = in_future();
	pthread_t t1, t2;

	CHECK(pthread_create(&t1, NULL, short_thread, NULL) == 0);
	CHECK(pthread_join(t1, NULL) == 0);
	CHECK(pthread_create(&t2, NULL, blocked_thread, NULL) == 0);
	CHECK(pthread_tryjoin_np(t2, NULL) == EBUSY);
	pipe_put(p1);
	CHECK(pthread_timedjoin_np(t2, NULL, &ts) == 0);
}

static void run_fork(void)
{
	int st;
	pid_t c = fork();

	CHECK(c >= 0);
	if (c == 0) {
		wait_go();
		pthread_mutex_lock(&m);
		pthread_mutex_unlock(&m);
		_exit(0);
	}
	CHECK(waitpid(c, &st, 0) == c && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void run_exec(const char *self)
{
	pthread_mutex_lock(&m);
	pthread_mutex_unlock(&m);
	execl(self, self, "after-exec", (char *)NULL);
	exit(3);
}

/* The image after exec: names its mutex on stdout (its address moved) and uses it. */
static void run_after_exec(void)
{
	printf("m2=%p\n", (void *)&m);
	fflush(stdout);
	pthread_mutex_lock(&m);
	pthread_mutex_unlock(&m);
}

static long futex(int *uaddr, int op, int val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, FUTEX_BITSET_MATCH_ANY);
}

static void *futex_waiter(void *a)
{
	while (!__atomic_load_n(&fut, __ATOMIC_ACQUIRE))
		futex(&fut, FUTEX_WAIT_BITSET_PRIVATE, 0);
	return NULL;
}

/* True once thread @tid sleeps in futex(2) (its /proc syscall line starts "202 "). */
static int in_futex(pid_t tid)
{
	char path[64], buf[64] = "";
	int fd, n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 4 && !strncmp(buf, "202 ", 4);
}

static pid_t waiter_tid;

static void *futex_waiter_start(void *a)
{
	__atomic_store_n(&waiter_tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	return futex_waiter(a);
}

static void run_futex(void)
{
	pthread_t t;
	pid_t tid;

	CHECK(pthread_create(&t, NULL, futex_waiter_start, NULL) == 0);
	while (!(tid = __atomic_load_n(&waiter_tid, __ATOMIC_ACQUIRE)))
		usleep(1000);
	while (!in_futex(tid))
		usleep(1000);
	__atomic_store_n(&fut, 1, __ATOMIC_RELEASE);
	CHECK(futex(&fut, FUTEX_WAKE_PRIVATE, 1) == 1);
	CHECK(pthread_join(t, NULL) == 0);
}

/* A pthread mutex and a semaphore at offsets 0 and 64 of POSIX shm object ARG. */
struct shm_sync {
	pthread_mutex_t m;
	char pad[64 - sizeof(pthread_mutex_t)];
	sem_t s;
};

static struct shm_sync *shm_map(const char *name, int create)
{
	struct shm_sync *ss;
	int fd = shm_open(name, O_RDWR | (create ? O_CREAT | O_TRUNC : 0), 0600);

	CHECK(fd >= 0);
	if (create)
		CHECK(ftruncate(fd, 4096) == 0);
	ss = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(ss != MAP_FAILED);
	close(fd);
	if (create) {
		pthread_mutexattr_t ma;

		pthread_mutexattr_init(&ma);
		pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
		pthread_mutex_init(&ss->m, &ma);
		CHECK(sem_init(&ss->s, 1, 0) == 0);
	}
	return ss;
}

/* T1 of "leader-exit": outlives the main thread, then locks on a second go. */
static void *survivor(void *a)
{
	wait_go();
	pthread_mutex_lock(&m);
	pthread_mutex_unlock(&m);
	return NULL;
}

static void run_leader_exit(void)
{
	pthread_t t;

	CHECK(pthread_create(&t, NULL, survivor, NULL) == 0);
	pthread_exit(NULL);
}

static void run_loop(long n)
{
	while (n-- > 0) {
		pthread_mutex_lock(&m);
		pthread_mutex_unlock(&m);
	}
}

static void print_ready(void *shm)
{
	printf("ready m=%p rm=%p rw=%p sl=%p sem=%p cv=%p bar=%p once=%p fut=%p shm=%p\n",
	       (void *)&m, (void *)&rm, (void *)&rw, (void *)&sl, (void *)&sem, (void *)&cv,
	       (void *)&bar, (void *)&once, (void *)&fut, shm);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *sc = argc > 1 ? argv[1] : "";
	struct shm_sync *ss = NULL;
	pthread_mutexattr_t ma;

	if (!strcmp(sc, "after-exec")) {
		run_after_exec();
		return 0;
	}
	CHECK(argc >= 2);
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&rm, &ma);
	pthread_spin_init(&sl, PTHREAD_PROCESS_PRIVATE);
	sem_init(&sem, 0, 0);
	pthread_barrier_init(&bar, NULL, 2);
	CHECK(pipe(p1) == 0 && pipe(p2) == 0);
	if (!strncmp(sc, "shm-", 4))
		ss = shm_map(argv[2], !strcmp(sc, "shm-post"));
	print_ready(ss);
	wait_go();

	if (!strcmp(sc, "mutex"))
		run_mutex();
	else if (!strcmp(sc, "recursive"))
		run_recursive();
	else if (!strcmp(sc, "rwlock"))
		run_rwlock();
	else if (!strcmp(sc, "spin"))
		run_spin();
	else if (!strcmp(sc, "sem"))
		run_sem();
	else if (!strcmp(sc, "cond"))
		run_cond();
	else if (!strcmp(sc, "barrier"))
		run_barrier();
	else if (!strcmp(sc, "once"))
		run_once();
	else if (!strcmp(sc, "join"))
		run_join();
	else if (!strcmp(sc, "fork"))
		run_fork();
	else if (!strcmp(sc, "exec"))
		run_exec(argv[0]);
	else if (!strcmp(sc, "futex"))
		run_futex();
	else if (!strcmp(sc, "leader-exit"))
		run_leader_exit();
	else if (!strcmp(sc, "loop"))
		run_loop(argc > 2 ? atol(argv[2]) : 1000);
	else if (!strcmp(sc, "shm-post")) {
		pthread_mutex_lock(&ss->m);
		pthread_mutex_unlock(&ss->m);
		sem_post(&ss->s);
	} else if (!strcmp(sc, "shm-wait")) {
		sem_wait(&ss->s);
		pthread_mutex_lock(&ss->m);
		pthread_mutex_unlock(&ss->m);
	} else {
		fprintf(stderr, "sync_target: unknown scenario %s\n", sc);
		return 2;
	}
	return 0;
}
