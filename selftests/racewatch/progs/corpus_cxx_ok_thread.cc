// SPDX-License-Identifier: GPL-2.0
/*
 * Corpus, race-free, C++: std::thread hand-offs: main writes before
 * constructing each thread, the thread writes, main reads after join();
 * lambdas and a functor. Watch: -w acc. Expected: no report, "acc 9".
 */
#include <cstdio>
#include <thread>

long acc;

struct Adder {
	void operator()() const { acc = acc + 1; }
};

int main()
{
	for (int i = 0; i < 3; i++) {
		acc = acc + 1;
		std::thread t([] { acc = acc + 1; });
		t.join();
		std::thread u{Adder()};
		u.join();
	}
	std::printf("acc %ld\n", acc);
	return acc == 9 ? 0 : 1;
}
