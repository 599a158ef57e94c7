// SPDX-License-Identifier: GPL-2.0
/*
 * Target of the symbol-resolution tests for C++ names: globals in a
 * namespace and a static data member, which g++ mangles ("_ZN2ns7counterE").
 * Prints where they are and waits for stdin's EOF.
 */
#include <cstdio>
#include <unistd.h>

namespace ns {
long counter;
namespace inner {
int depth;
}
}

struct Stats {
	static short hits;
};
short Stats::hits;

int main()
{
	char buf[64];

	std::printf("counter=%p depth=%p hits=%p\n", (void *)&ns::counter,
		    (void *)&ns::inner::depth, (void *)&Stats::hits);
	std::fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	return 0;
}
