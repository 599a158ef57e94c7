/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * racewatch: hardware-watchpoint access tracing for data-race detection.
 *
 * This header is the only ABI between racewatch.ko and user space. The module
 * registers the misc device /dev/racewatch (mode 0600). A session is one open
 * file: watches made through it belong to it and are disarmed when it closes.
 * Access records are read with read(2) on the same file and can be waited for
 * with poll(2); each record starts with its type and size.
 *
 * Every ioctl argument starts with ``__u32 size`` which must equal the size of
 * the structure the caller was compiled against; reserved fields must be zero
 * and unknown flags are refused, so the structures can grow later.
 */
#ifndef _UAPI_LINUX_RACEWATCH_H
#define _UAPI_LINUX_RACEWATCH_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define RACEWATCH_DEVICE	"/dev/racewatch"
#define RACEWATCH_API_VERSION	1

/* Feature bits reported by RACEWATCH_IOC_GET_INFO. */
#define RACEWATCH_FEAT_RW_CLASSIFY	(1ULL << 0) /* reads told from writes (two slots) */
#define RACEWATCH_FEAT_USER_STACK	(1ULL << 1) /* frame-pointer user stacks in records */
#define RACEWATCH_FEAT_FOLLOW_THREADS	(1ULL << 2) /* threads created later are armed */
#define RACEWATCH_FEAT_REGS		(1ULL << 3) /* user register snapshot in records */
#define RACEWATCH_FEAT_WATCH_EXE	(1ULL << 4) /* RACEWATCH_IOC_WATCH_EXE */

/**
 * struct racewatch_info - what the module offers (RACEWATCH_IOC_GET_INFO, out)
 * @size: in: sizeof(struct racewatch_info)
 * @api_version: RACEWATCH_API_VERSION of the module
 * @features: RACEWATCH_FEAT_* bits
 * @slots: debug-register slots per thread on this machine
 * @max_watches: most watches one open file may hold
 * @ring_records: capacity of the session's record ring, in records
 * @max_stack: most user stack frames one record carries
 * @reserved: zero
 */
struct racewatch_info {
	__u32 size;
	__u32 api_version;
	__u64 features;
	__u32 slots;
	__u32 max_watches;
	__u32 ring_records;
	__u32 max_stack;
	__u64 reserved[4];
};

/* Watch kinds: which accesses trap. */
#define RACEWATCH_KIND_WRITE	1 /* writes only; one debug register per thread */
#define RACEWATCH_KIND_RW	2 /* reads and writes, told apart; two debug registers */

/* struct racewatch_watch.flags */
#define RACEWATCH_WATCH_NO_FOLLOW	(1U << 0) /* do not arm threads created later */
#define RACEWATCH_WATCH_FLAGS_ALL	(RACEWATCH_WATCH_NO_FOLLOW)

/**
 * struct racewatch_watch - arm a watchpoint in a process (RACEWATCH_IOC_WATCH)
 * @size: sizeof(struct racewatch_watch)
 * @flags: RACEWATCH_WATCH_* flags
 * @pid: thread-group id of the target process
 * @kind: RACEWATCH_KIND_WRITE or RACEWATCH_KIND_RW
 * @addr: user virtual address in the target, aligned to @len
 * @len: 1, 2, 4 or 8 bytes
 * @id: out: watch id, unique within the open file, never 0
 * @threads: out: threads armed when the watch was made
 * @reserved: zero
 *
 * Arms every thread the process has when the call is made; unless
 * RACEWATCH_WATCH_NO_FOLLOW is set, threads it creates later (clone with
 * CLONE_THREAD) are armed before they run user code. Child processes made
 * by fork are not armed: their private memory is their own.
 */
struct racewatch_watch {
	__u32 size;
	__u32 flags;
	__u32 pid;
	__u32 kind;
	__u64 addr;
	__u32 len;
	__u32 id;
	__u32 threads;
	__u32 reserved[3];
};

/**
 * struct racewatch_unwatch - disarm a watch (RACEWATCH_IOC_UNWATCH)
 * @size: sizeof(struct racewatch_unwatch)
 * @id: watch id from RACEWATCH_IOC_WATCH
 * @reserved: zero
 */
struct racewatch_unwatch {
	__u32 size;
	__u32 id;
	__u64 reserved[2];
};

/* struct racewatch_watch_info.type (with RACEWATCH_LIST_ALL) */
#define RACEWATCH_WATCH_TYPE_PID	1 /* RACEWATCH_IOC_WATCH */
#define RACEWATCH_WATCH_TYPE_FILE	2 /* RACEWATCH_IOC_WATCH_FILE */
#define RACEWATCH_WATCH_TYPE_EXE	3 /* RACEWATCH_IOC_WATCH_EXE */

/**
 * struct racewatch_watch_info - one watch as listed by RACEWATCH_IOC_LIST
 * @id: watch id
 * @pid: target process; for a file or executable watch its scope (0: every
 *	process)
 * @kind: RACEWATCH_KIND_*
 * @len: watched length in bytes
 * @addr: watched address in the target; for a file watch the offset in the
 *	file, for an executable watch the link-time address
 * @threads: threads currently armed (breakpoints registered)
 * @flags: the flags the watch was made with: RACEWATCH_WATCH_*, or for a
 *	file or executable watch RACEWATCH_WATCH_FILE_* or RACEWATCH_WATCH_EXE_*
 * @hits: records produced by this watch (including dropped ones)
 * @type: with RACEWATCH_LIST_ALL, RACEWATCH_WATCH_TYPE_*; else zero
 * @processes: with RACEWATCH_LIST_ALL, processes armed now (1 for an armed
 *	pid watch, 0 once its process is gone); else zero
 * @ino: for a file or executable watch, the file's inode number (0 while a
 *	watch by name is not bound); else zero
 * @reserved: zero
 */
struct racewatch_watch_info {
	__u32 id;
	__u32 pid;
	__u32 kind;
	__u32 len;
	__u64 addr;
	__u32 threads;
	__u32 flags;
	__u64 hits;
	__u32 type;
	__u32 processes;
	__u64 ino;
	__u64 reserved;
};

/* struct racewatch_list.flags */
#define RACEWATCH_LIST_ALL	(1U << 0) /* file and executable watches too, typed */
#define RACEWATCH_LIST_FLAGS_ALL	(RACEWATCH_LIST_ALL)

/**
 * struct racewatch_list - list the session's watches (RACEWATCH_IOC_LIST)
 * @size: sizeof(struct racewatch_list)
 * @count: in: entries @watches has room for; out: number of watches listed
 *	(may exceed the room given; only the room is filled)
 * @watches: user pointer to an array of struct racewatch_watch_info
 * @flags: RACEWATCH_LIST_* flags. Without RACEWATCH_LIST_ALL only the
 *	watches made by RACEWATCH_IOC_WATCH are listed, with @type and
 *	@processes zero (what callers older than file watches expect); with
 *	it, those first, then the file and executable watches, every entry
 *	typed
 * @reserved32: zero
 * @reserved: zero
 */
struct racewatch_list {
	__u32 size;
	__u32 count;
	__u64 watches;
	__u32 flags;
	__u32 reserved32;
	__u64 reserved;
};

/**
 * struct racewatch_stats - session counters (RACEWATCH_IOC_GET_STATS, out)
 * @size: in: sizeof(struct racewatch_stats)
 * @watches: watches held by the session
 * @records: records written to the ring
 * @dropped: records lost because the ring was full
 * @read: records read by user space
 * @armed_threads: breakpoints currently registered, counted per thread
 *	(RACEWATCH_IOC_WATCH watches; file watches are in @file_threads)
 * @arm_failures: threads that could not be armed (e.g. no free slot)
 * @file_watches: file and executable watches held by the session (not in
 *	@watches)
 * @file_processes: processes armed now by them, each (process, address)
 *	once
 * @file_threads: threads armed now by them, inherited ones included
 * @reserved: zero
 */
struct racewatch_stats {
	__u32 size;
	__u32 watches;
	__u64 records;
	__u64 dropped;
	__u64 read;
	__u64 armed_threads;
	__u64 arm_failures;
	__u32 file_watches;
	__u32 file_processes;
	__u64 file_threads;
	__u64 reserved[2];
};

/* struct racewatch_watch_file.flags */
#define RACEWATCH_WATCH_FILE_BY_NAME	(1U << 0) /* match the file by @name, not @ino */
#define RACEWATCH_WATCH_FILE_NOTIFY	(1U << 1) /* a RACEWATCH_REC_ARM record per arming */
#define RACEWATCH_WATCH_FILE_FLAGS_ALL	(RACEWATCH_WATCH_FILE_BY_NAME | RACEWATCH_WATCH_FILE_NOTIFY)

/**
 * struct racewatch_watch_file - watch a field of a shared file mapping in
 *	every process that maps it (RACEWATCH_IOC_WATCH_FILE)
 * @size: sizeof(struct racewatch_watch_file)
 * @flags: RACEWATCH_WATCH_FILE_* flags
 * @dev: device of the file as stat(2) reports it in st_dev
 * @ino: inode number of the file (st_ino; for System V shm, the shmid as
 *	/proc/PID/maps shows it); zero with RACEWATCH_WATCH_FILE_BY_NAME
 * @offset: byte offset of the field in the file, aligned to @len
 * @len: 1, 2, 4 or 8 bytes
 * @kind: RACEWATCH_KIND_WRITE or RACEWATCH_KIND_RW
 * @pid: scope: 0 arms every process of the system that maps the file; a
 *	thread-group id arms only that process and its descendants
 * @id: out: watch id, unique within the open file among all its watches
 * @processes: out: processes armed when the call returned
 * @skipped: out: processes that map the field but were not armed because
 *	the caller has no CAP_SYS_PTRACE over them
 * @name: with RACEWATCH_WATCH_FILE_BY_NAME: user pointer to the file's name
 *	(NUL-terminated, no '/', at most 255 bytes) in the root directory of
 *	the file system @dev names, e.g. a POSIX shm object "seg" in /dev/shm.
 *	The file may not exist yet: the first mapping of a file of that name
 *	in scope binds the watch to that file (its inode) for good.
 * @reserved: zero
 *
 * Every process in scope whose MAP_SHARED mapping of the file (a POSIX shm
 * object, a memfd, any shared file mapping, the shm file behind a System V
 * segment) covers @offset is armed at its own address. Processes that map it
 * later (mmap, mremap, shmat) are armed before they return to user space,
 * fork children that keep the mapping before their first user instruction,
 * new threads through inheritance; munmap, shmdt, exec and exit disarm.
 * Access records of the watch carry @id and each process's own address.
 * With RACEWATCH_WATCH_FILE_NOTIFY every arming of a process (the ones this
 * call makes included) also queues a struct racewatch_arm record, so user
 * space learns of a process before its first access.
 */
struct racewatch_watch_file {
	__u32 size;
	__u32 flags;
	__u64 dev;
	__u64 ino;
	__u64 offset;
	__u32 len;
	__u32 kind;
	__u32 pid;
	__u32 id;
	__u32 processes;
	__u32 skipped;
	__u64 name;
	__u64 reserved;
};

/**
 * struct racewatch_file_stat - state of a file watch (RACEWATCH_IOC_FILE_STAT)
 * @size: sizeof(struct racewatch_file_stat)
 * @id: in: id of a watch made by RACEWATCH_IOC_WATCH_FILE
 * @processes: out: processes armed now (a process mapping the field at two
 *	addresses counts twice)
 * @threads: out: threads armed now, inherited ones included
 * @armed: out: process armings so far (including ones undone since)
 * @skipped: out: armings refused for lack of CAP_SYS_PTRACE so far
 * @failed: out: armings that failed otherwise so far (e.g. no free debug
 *	register)
 * @hits: out: records produced by the watch, dropped ones included
 * @ino: out: inode number of the watched file; 0 while a
 *	RACEWATCH_WATCH_FILE_BY_NAME watch is not bound yet
 * @reserved: zero
 */
struct racewatch_file_stat {
	__u32 size;
	__u32 id;
	__u32 processes;
	__u32 threads;
	__u64 armed;
	__u64 skipped;
	__u64 failed;
	__u64 hits;
	__u64 ino;
	__u64 reserved;
};

/**
 * struct racewatch_watch_exe - watch a variable of an executable in every
 *	process running it (RACEWATCH_IOC_WATCH_EXE)
 * @size: sizeof(struct racewatch_watch_exe)
 * @flags: RACEWATCH_WATCH_EXE_* flags
 * @dev: device of the executable file as stat(2) reports it in st_dev
 * @ino: its inode number (st_ino)
 * @vaddr: link-time virtual address of the field (the symbol's st_value
 *	plus the offset into it), aligned to @len; .data and .bss alike
 * @anchor_offset: file offset of one PT_LOAD segment of the executable
 *	(p_offset rounded down to a page), usually the first one's, 0
 * @anchor_vaddr: that segment's p_vaddr rounded down to a page
 * @len: 1, 2, 4 or 8 bytes
 * @kind: RACEWATCH_KIND_WRITE or RACEWATCH_KIND_RW
 * @pid: scope: 0 arms every process of the system that runs the
 *	executable; a thread-group id only that process and its descendants
 * @id: out: watch id, unique within the open file among all its watches
 * @processes: out: processes armed when the call returned
 * @skipped: out: processes that run the executable but were not armed
 *	because the caller has no CAP_SYS_PTRACE over them
 * @reserved: zero
 *
 * A process runs the executable when its mm's exe_file (/proc/PID/exe) is
 * the file (@dev, @ino). Its address of the field is @vaddr plus its load
 * bias, the start of its private mapping of the file at @anchor_offset
 * minus @anchor_vaddr (0 for a non-PIE executable, the ASLR base for a
 * PIE one). Processes running it now are armed by the call; a process that
 * execs it later before its first user instruction; fork children that
 * keep the image before theirs; threads through inheritance; exec of
 * another image and exit disarm. The watch is a file watch in every other
 * respect: RACEWATCH_IOC_FILE_STAT reports on it, RACEWATCH_IOC_UNWATCH
 * removes it, and it counts against the same limit. With
 * RACEWATCH_WATCH_EXE_NOTIFY every arming of a process queues a struct
 * racewatch_arm record before the process runs its next instruction.
 */
/* struct racewatch_watch_exe.flags */
#define RACEWATCH_WATCH_EXE_NOTIFY	(1U << 0) /* a RACEWATCH_REC_ARM record per arming */
#define RACEWATCH_WATCH_EXE_FLAGS_ALL	(RACEWATCH_WATCH_EXE_NOTIFY)

struct racewatch_watch_exe {
	__u32 size;
	__u32 flags;
	__u64 dev;
	__u64 ino;
	__u64 vaddr;
	__u64 anchor_offset;
	__u64 anchor_vaddr;
	__u32 len;
	__u32 kind;
	__u32 pid;
	__u32 id;
	__u32 processes;
	__u32 skipped;
	__u64 reserved[2];
};

#define RACEWATCH_IOC_MAGIC	0xbc

#define RACEWATCH_IOC_GET_INFO	_IOWR(RACEWATCH_IOC_MAGIC, 0x00, struct racewatch_info)
#define RACEWATCH_IOC_WATCH	_IOWR(RACEWATCH_IOC_MAGIC, 0x01, struct racewatch_watch)
#define RACEWATCH_IOC_UNWATCH	_IOW(RACEWATCH_IOC_MAGIC, 0x02, struct racewatch_unwatch)
#define RACEWATCH_IOC_LIST	_IOWR(RACEWATCH_IOC_MAGIC, 0x03, struct racewatch_list)
#define RACEWATCH_IOC_GET_STATS	_IOWR(RACEWATCH_IOC_MAGIC, 0x04, struct racewatch_stats)
#define RACEWATCH_IOC_WATCH_FILE _IOWR(RACEWATCH_IOC_MAGIC, 0x05, struct racewatch_watch_file)
#define RACEWATCH_IOC_FILE_STAT	_IOWR(RACEWATCH_IOC_MAGIC, 0x06, struct racewatch_file_stat)
#define RACEWATCH_IOC_WATCH_EXE	_IOWR(RACEWATCH_IOC_MAGIC, 0x07, struct racewatch_watch_exe)

/* Record types; every record read from the device starts with type and size. */
#define RACEWATCH_REC_ACCESS	1
#define RACEWATCH_REC_ARM	2

/* struct racewatch_access.access */
#define RACEWATCH_ACCESS_READ	1
#define RACEWATCH_ACCESS_WRITE	2

/* struct racewatch_access.flags */
#define RACEWATCH_ACCESS_F_VALUE_OK	(1U << 0) /* @value could be read */
#define RACEWATCH_ACCESS_F_STACK_TRUNC	(1U << 1) /* stack walk stopped at the depth limit */
#define RACEWATCH_ACCESS_F_COMPAT	(1U << 2) /* a 32-bit (ia32) task: see struct racewatch_access */

#define RACEWATCH_MAX_STACK	32

/**
 * struct racewatch_regs - user registers at the trap
 * @ip: instruction pointer (x86: the instruction after the access)
 * @sp: stack pointer
 * @bp: frame pointer register
 * @r14: r14 (Go's current goroutine on amd64)
 * @flags: eflags
 * @fsbase: thread pointer (glibc's pthread_t on x86-64)
 */
struct racewatch_regs {
	__u64 ip;
	__u64 sp;
	__u64 bp;
	__u64 r14;
	__u64 flags;
	__u64 fsbase;
};

/**
 * struct racewatch_access - one trapped access (read from /dev/racewatch)
 * @type: RACEWATCH_REC_ACCESS
 * @size: size of this record in bytes: the fixed part plus 8 * @nr_stack
 * @time_ns: CLOCK_MONOTONIC time of the trap, right after the access
 * @pid: thread-group id of the accessing process
 * @tid: accessing thread
 * @cpu: CPU the trap was taken on
 * @watch_id: the watch that fired
 * @addr: the watched address in this process
 * @value: the watched bytes right after the access (little endian, zero-extended)
 * @access: RACEWATCH_ACCESS_READ or RACEWATCH_ACCESS_WRITE
 * @len: watched length
 * @flags: RACEWATCH_ACCESS_F_* flags
 * @nr_stack: number of entries in @stack
 * @seq: per-session sequence number of the record, including dropped ones:
 *	a gap in @seq is the number of records dropped there
 * @comm: command name of the accessing thread
 * @regs: user registers at the trap
 * @stack: return addresses, innermost caller first (the trapping ip is @regs.ip)
 *
 * For a 32-bit task (RACEWATCH_ACCESS_F_COMPAT) @addr, @regs.ip, @regs.sp,
 * @regs.bp and @stack are 32-bit values zero-extended, the stack is walked
 * through 32-bit frames ([ebp] the caller's ebp, [ebp + 4] the return
 * address), and @regs.r14 and @regs.fsbase are 0: the task has no r14, and
 * its thread pointer is the base of the segment %gs selects, not fsbase.
 */
struct racewatch_access {
	__u32 type;
	__u32 size;
	__u64 time_ns;
	__u32 pid;
	__u32 tid;
	__u32 cpu;
	__u32 watch_id;
	__u64 addr;
	__u64 value;
	__u8 access;
	__u8 len;
	__u16 flags;
	__u32 nr_stack;
	__u64 seq;
	char comm[16];
	struct racewatch_regs regs;
	__u64 stack[];
};

/**
 * struct racewatch_arm - a process was armed by a file or executable watch
 *	made with a NOTIFY flag (read from /dev/racewatch)
 * @type: RACEWATCH_REC_ARM
 * @size: sizeof(struct racewatch_arm)
 * @time_ns: CLOCK_MONOTONIC time of the arming; the process has not run a
 *	user instruction under the watch before it
 * @pid: thread-group id of the process
 * @watch_id: the watch
 * @addr: the watched address in this process
 * @seq: per-session sequence number, shared with access records
 * @reserved: zero
 */
struct racewatch_arm {
	__u32 type;
	__u32 size;
	__u64 time_ns;
	__u32 pid;
	__u32 watch_id;
	__u64 addr;
	__u64 seq;
	__u64 reserved[2];
};

_Static_assert(sizeof(struct racewatch_info) == 64, "racewatch_info ABI");
_Static_assert(sizeof(struct racewatch_watch) == 48, "racewatch_watch ABI");
_Static_assert(sizeof(struct racewatch_unwatch) == 24, "racewatch_unwatch ABI");
_Static_assert(sizeof(struct racewatch_watch_info) == 64, "racewatch_watch_info ABI");
_Static_assert(sizeof(struct racewatch_list) == 32, "racewatch_list ABI");
_Static_assert(sizeof(struct racewatch_stats) == 80, "racewatch_stats ABI");
_Static_assert(sizeof(struct racewatch_access) == 128, "racewatch_access ABI");
_Static_assert(sizeof(struct racewatch_watch_file) == 72, "racewatch_watch_file ABI");
_Static_assert(sizeof(struct racewatch_file_stat) == 64, "racewatch_file_stat ABI");
_Static_assert(sizeof(struct racewatch_watch_exe) == 88, "racewatch_watch_exe ABI");
_Static_assert(sizeof(struct racewatch_arm) == 56, "racewatch_arm ABI");

#endif /* _UAPI_LINUX_RACEWATCH_H */
