// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free: after fork the child has its own copy of the global;
 * parent and child both write theirs at the same time, and the parent
 * writes again after waitpid. Watch: -w value. Expected: no report (two
 * address spaces), "parent 3 child 2".
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

long value;

int main(void)
{
	int st;
	pid_t pid;

	value = 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		value = 2;
		usleep(20000);
		_exit((int)value);
	}
	value = 3;
	waitpid(pid, &st, 0);
	value = value + 0;
	printf("parent %ld child %d\n", value, WEXITSTATUS(st));
	return WEXITSTATUS(st) == 2 && value == 3 ? 0 : 1;
}
