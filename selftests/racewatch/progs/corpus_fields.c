// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, neighbouring fields in one watch: an 8-byte struct of a char, a
 * char, a short and an int; watch the whole struct (-w fields).
 * With no argument each thread writes its own fields (left: c0 and s,
 * right: c1 and i), never a byte of the other's: race-free.
 * With "overlap" the right thread also stores the whole struct once, over
 * the left thread's fields: racy, between left() and reset().
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct fields {
	char c0;
	char c1;
	short s;
	int i;
};

struct fields fields;
static int overlap;

static __attribute__((noinline)) void left(int n)
{
	fields.c0 = (char)n;
	fields.s = (short)n;
}

static __attribute__((noinline)) void right(int n)
{
	fields.c1 = (char)n;
	fields.i = n;
}

static __attribute__((noinline)) void reset(void)
{
	static const struct fields zero;

	fields = zero;
}

static void *run_left(void *arg)
{
	for (int n = 0; n < 5; n++)
		left(n);
	return NULL;
}

static void *run_right(void *arg)
{
	for (int n = 0; n < 5; n++)
		right(n);
	if (overlap) {
		usleep(20000);
		reset();
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t l, r;

	overlap = argc > 1 && !strcmp(argv[1], "overlap");
	pthread_create(&l, NULL, run_left, NULL);
	pthread_create(&r, NULL, run_right, NULL);
	pthread_join(l, NULL);
	pthread_join(r, NULL);
	printf("fields %d %d %d %d\n", fields.c0, fields.c1, fields.s, fields.i);
	return 0;
}
