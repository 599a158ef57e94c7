// SPDX-License-Identifier: GPL-2.0
/*
 * Maps snapshots and libdw symbolization.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elfutils/libdwfl.h>

#include "symbolize.h"

static const Dwfl_Callbacks rw_dwfl_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
};

static int rw_map__cmp(const void *a, const void *b)
{
	const struct rw_map *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Parse one maps line "start-end perms off dev inode [path]" in place. */
static int rw_map__parse_line(char *line, struct rw_map *m)
{
	unsigned long long start, end, off, inode;
	char perms[8];
	int pos = 0;
	char *path;

	if (sscanf(line, "%llx-%llx %7s %llx %*s %llu %n", &start, &end, perms, &off,
		   &inode, &pos) < 5 || !pos)
		return -EINVAL;
	path = line + pos;
	path[strcspn(path, "\n")] = '\0';
	m->start = start;
	m->end = end;
	m->off = off;
	m->inode = inode;
	m->exec = perms[2] == 'x';
	m->path = *path ? path : NULL;
	return 0;
}

/**
 * rw_maps__parse() - make a snapshot from /proc/PID/maps text
 * @pid: the process
 * @text: the text (copied)
 *
 * Return: a snapshot with one reference, or NULL with errno set.
 */
struct rw_maps *rw_maps__parse(__u32 pid, const char *text)
{
	struct rw_maps *m;
	char *line, *save = NULL, *copy;
	size_t cap = 0;

	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->refs = 1;
	m->pid = pid;
	m->text = strdup(text);
	copy = strdup(text);
	if (!m->text || !copy)
		goto err_nomem;
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct rw_map one;

		if (rw_map__parse_line(line, &one))
			continue;
		if (m->nr == cap) {
			struct rw_map *n;

			cap = cap ? cap * 2 : 32;
			n = realloc(m->maps, cap * sizeof(*n));
			if (!n)
				goto err_nomem;
			m->maps = n;
		}
		m->maps[m->nr++] = one;
	}
	m->strs = copy;	/* the paths point into it */
	qsort(m->maps, m->nr, sizeof(*m->maps), rw_map__cmp);
	return m;

err_nomem:
	free(copy);
	free(m->maps);
	free(m->text);
	free(m);
	errno = ENOMEM;
	return NULL;
}

struct rw_maps *rw_maps__get(struct rw_maps *m)
{
	if (m)
		m->refs++;
	return m;
}

void rw_maps__put(struct rw_maps *m)
{
	if (!m || --m->refs > 0)
		return;
	if (m->dwfl)
		dwfl_end(m->dwfl);
	free(m->maps);
	free(m->strs);
	free(m->text);
	free(m);
}

/* The mapping holding @addr, or NULL. */
const struct rw_map *rw_maps__find(const struct rw_maps *m, __u64 addr)
{
	size_t lo = 0, hi;

	if (!m)
		return NULL;
	hi = m->nr;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (addr < m->maps[mid].start)
			hi = mid;
		else if (addr >= m->maps[mid].end)
			lo = mid + 1;
		else
			return &m->maps[mid];
	}
	return NULL;
}

/*
 * The libdw session over this snapshot: the modules are reported from the
 * saved maps text, their ELF files opened by path.
 */
struct Dwfl *rw_maps__dwfl(struct rw_maps *m)
{
	FILE *f;
	Dwfl *d;

	if (!m || m->dwfl || m->dwfl_failed)
		return m ? m->dwfl : NULL;
	m->dwfl_failed = true;
	d = dwfl_begin(&rw_dwfl_callbacks);
	if (!d)
		return NULL;
	f = fmemopen(m->text, strlen(m->text), "r");
	if (!f)
		goto err_end;
	dwfl_report_begin(d);
	if (dwfl_linux_proc_maps_report(d, f) != 0) {
		fclose(f);
		goto err_end;
	}
	fclose(f);
	if (dwfl_report_end(d, NULL, NULL))
		goto err_end;
	m->dwfl = d;
	m->dwfl_failed = false;
	return d;

err_end:
	dwfl_end(d);
	return NULL;
}

/*
 * A process-independent name for a code address, for deduplication: the
 * mapped file and the offset in it (two processes running one binary at
 * different load addresses agree), or (pid, address) without a mapping.
 */
__u64 rw_maps__codeloc(const struct rw_maps *m, __u32 pid, __u64 addr)
{
	const struct rw_map *map = rw_maps__find(m, addr);
	__u64 h = 1469598103934665603ULL;	/* FNV-1a */
	const char *p;

	if (!map || !map->path)
		return (addr ^ ((__u64)pid << 48)) * 1099511628211ULL;
	for (p = map->path; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h ^ (addr - map->start + map->off);
}

static char *rw_strdup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The C++ ABI's demangler, from libstdc++ (cxxabi.h is C++ only). */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

/*
 * A symbol name as the source spells it: C++ names (Itanium ABI, "_Z...")
 * demangled, as ThreadSanitizer and the Go race detector print them
 * ("count_request()", "app::requests"); others as they are. malloc'd, or
 * NULL for NULL.
 */
static char *rw_symname(const char *name)
{
	char *d;
	int st = -1;

	if (!name)
		return NULL;
	if (name[0] == '_' && name[1] == 'Z') {
		d = __cxa_demangle(name, NULL, NULL, &st);
		if (d && !st)
			return d;
		free(d);
	}
	return strdup(name);
}

/**
 * rw_frame__symbolize() - describe a code address
 * @m: the process's maps snapshot (may be NULL)
 * @addr: the address to show
 * @lookup: the address to look up (addr - 1 for a return address)
 * @f: filled in; release with rw_frame__fini()
 */
void rw_frame__symbolize(struct rw_maps *m, __u64 addr, __u64 lookup, struct rw_frame *f)
{
	const struct rw_map *map = rw_maps__find(m, lookup);
	Dwfl *d = rw_maps__dwfl(m);
	Dwfl_Module *mod = NULL;
	GElf_Addr bias = 0;
	GElf_Off off;
	GElf_Sym sym;
	Dwfl_Line *line;

	memset(f, 0, sizeof(*f));
	f->addr = addr;
	if (map && map->path) {
		f->module = map->path;
		f->modoff = addr - map->start + map->off;
	}
	if (d)
		mod = dwfl_addrmodule(d, lookup);
	if (!mod)
		return;
	if (dwfl_module_getelf(mod, &bias))
		f->modoff = addr - bias;
	f->func = rw_symname(dwfl_module_addrinfo(mod, lookup, &off, &sym, NULL, NULL, NULL));
	line = dwfl_module_getsrc(mod, lookup);
	if (line) {
		int lineno = 0;
		const char *src = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
		const char *dir = dwfl_line_comp_dir(line);

		/* relative names are relative to the compilation directory */
		if (src && src[0] != '/' && dir && asprintf(&f->file, "%s/%s", dir, src) < 0)
			f->file = NULL;
		if (!f->file)
			f->file = rw_strdup_or_null(src);
		f->line = lineno;
	}
}

void rw_frame__fini(struct rw_frame *f)
{
	free(f->func);
	free(f->file);
	f->func = f->file = NULL;
}

/**
 * rw_maps__symbol() - name of the data or code symbol holding @addr
 * @m: maps snapshot
 * @addr: address in the process
 * @buf: out: "name" or "name+0xoff"
 * @len: size of @buf
 *
 * Return: 0, or -ENOENT if no symbol covers @addr.
 */
int rw_maps__symbol(struct rw_maps *m, __u64 addr, char *buf, size_t len)
{
	Dwfl *d = rw_maps__dwfl(m);
	Dwfl_Module *mod = d ? dwfl_addrmodule(d, addr) : NULL;
	const char *name;
	GElf_Off off;
	GElf_Sym sym;
	char *nice;

	if (!mod)
		return -ENOENT;
	name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
	if (!name || (sym.st_size && off >= sym.st_size))
		return -ENOENT;
	nice = rw_symname(name);
	if (!nice)
		return -ENOMEM;
	if (off)
		snprintf(buf, len, "%s+0x%" PRIx64, nice, (uint64_t)off);
	else
		snprintf(buf, len, "%s", nice);
	free(nice);
	return 0;
}

/**
 * rw_maps__read() - read /proc/PID/maps
 * @pid: a live process
 * @text: out: the text, malloc'd and NUL-terminated
 *
 * Return: 0 or -errno (-ENOENT: no such process).
 */
int rw_maps__read(__u32 pid, char **text)
{
	char path[64], *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, err = 0;

	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap + 65536);

			if (!nb) {
				err = -ENOMEM;
				break;
			}
			buf = nb;
			cap += 65536;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0) {
			err = n < 0 ? -errno : 0;
			break;
		}
		len += n;
	}
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	buf[len] = '\0';
	*text = buf;
	return 0;
}
