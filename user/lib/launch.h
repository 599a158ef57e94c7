/* SPDX-License-Identifier: GPL-2.0 */
/*
 * launch: start a program stopped at its ELF entry point — its libraries are
 * mapped by the dynamic loader, none of its own code (constructors, main) has
 * run and it has one thread — so watches and probes can be armed first.
 */
#ifndef __RACEWATCH_LAUNCH_H
#define __RACEWATCH_LAUNCH_H

#include <sys/types.h>

/*
 * Fork and exec argv[0] (searched in PATH) under ptrace and run it to its
 * entry point. On success *pid is the stopped, traced child. Returns 0 or
 * -errno (-ENOENT/-EACCES/... when exec failed, -ECHILD when the program
 * ended before reaching its entry point); a message goes to stderr.
 */
int launch__start(char *const argv[], pid_t *pid);

/* Let the stopped child run; it is no longer traced. */
int launch__resume(pid_t pid);

#endif /* __RACEWATCH_LAUNCH_H */
