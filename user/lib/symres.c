// SPDX-License-Identifier: GPL-2.0
/*
 * Resolve "SYM[+OFF][:LEN]" to an address in a live process.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symres.h"
#include "engine.h"
#include "symbolize.h"

#define RW_MAX_CANDIDATES	8

/**
 * struct rw_symcand - one definition of the symbol
 * @path: the module defining it
 * @addr: run-time address
 * @size: st_size
 * @global: STB_GLOBAL or STB_WEAK
 * @main: defined in the main executable
 * @tls: STT_TLS
 */
struct rw_symcand {
	const char *path;
	__u64 addr;
	__u64 size;
	bool global;
	bool main;
	bool tls;
};

struct rw_symsearch {
	const struct rw_symspec *spec;
	int nr;
	struct rw_symcand c[RW_MAX_CANDIDATES];
	bool saw_func;
};

static bool rw_sym__char_ok(int c, bool first)
{
	if (isalpha(c) || c == '_' || c == '.' || c == '$')
		return true;
	return !first && (isdigit(c) || c == '@');
}

/**
 * rw_symspec__parse() - split SYM[+OFF][:LEN]
 * @spec: the text
 * @out: result; len 0 when no :LEN was given
 *
 * Return: 0 or -EINVAL.
 */
int rw_symspec__parse(const char *spec, struct rw_symspec *out)
{
	const char *p = spec;
	size_t n = 0;
	char *end;

	memset(out, 0, sizeof(*out));
	while (*p && rw_sym__char_ok((unsigned char)*p, n == 0)) {
		if (n + 1 >= sizeof(out->sym))
			return -EINVAL;
		out->sym[n++] = *p++;
	}
	if (!n)
		return -EINVAL;
	if (*p == '+') {
		if (!isdigit((unsigned char)p[1]))
			return -EINVAL;
		errno = 0;
		out->off = strtoull(p + 1, &end, 0);
		if (errno || end == p + 1)
			return -EINVAL;
		p = end;
	}
	if (*p == ':') {
		if (!isdigit((unsigned char)p[1]))
			return -EINVAL;
		errno = 0;
		unsigned long long len = strtoull(p + 1, &end, 0);

		if (errno || (len != 1 && len != 2 && len != 4 && len != 8))
			return -EINVAL;
		out->len = len;
		p = end;
	}
	return *p ? -EINVAL : 0;
}

/* Load bias of @path: where its first PT_LOAD went minus where it asked to be. */
static int rw_elf__bias(Elf *elf, const struct rw_maps *m, const char *path, __u64 *bias)
{
	GElf_Ehdr eh;
	size_t i, n;
	__u64 low = 0;
	bool have = false;

	if (!gelf_getehdr(elf, &eh))
		return -EINVAL;
	if (eh.e_type == ET_EXEC) {
		*bias = 0;
		return 0;
	}
	for (i = 0; i < m->nr; i++) {
		if (m->maps[i].path && !strcmp(m->maps[i].path, path) && m->maps[i].off == 0) {
			low = m->maps[i].start;
			have = true;
			break;
		}
	}
	if (!have || elf_getphdrnum(elf, &n))
		return -ENOENT;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_LOAD) {
			*bias = low - (ph.p_vaddr & ~(__u64)0xfff);
			return 0;
		}
	}
	return -ENOENT;
}

static void rw_symsearch__add(struct rw_symsearch *s, const char *path, bool main,
			      const GElf_Sym *sym, __u64 bias)
{
	__u64 addr = sym->st_value + bias;
	int i;

	for (i = 0; i < s->nr; i++)
		if (s->c[i].addr == addr && !strcmp(s->c[i].path, path))
			return;		/* .symtab and .dynsym name it twice */
	if (s->nr == RW_MAX_CANDIDATES)
		return;
	s->c[s->nr++] = (struct rw_symcand){
		.path = path, .addr = addr, .size = sym->st_size, .main = main,
		.global = GELF_ST_BIND(sym->st_info) != STB_LOCAL,
		.tls = GELF_ST_TYPE(sym->st_info) == STT_TLS,
	};
}

static void rw_symsearch__scn(struct rw_symsearch *s, Elf *elf, Elf_Scn *scn,
			      const GElf_Shdr *sh, const char *path, bool main, __u64 bias)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t i;

	for (i = 0; d && sh->sh_entsize && i < sh->sh_size / sh->sh_entsize; i++) {
		GElf_Sym sym;
		const char *name;
		int type;

		if (!gelf_getsym(d, i, &sym) || sym.st_shndx == SHN_UNDEF)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || strcmp(name, s->spec->sym))
			continue;
		type = GELF_ST_TYPE(sym.st_info);
		if (type == STT_FUNC || type == STT_GNU_IFUNC) {
			s->saw_func = true;
			continue;
		}
		if (type != STT_OBJECT && type != STT_COMMON && type != STT_TLS)
			continue;
		rw_symsearch__add(s, path, main, &sym, bias);
	}
}

static void rw_symsearch__file(struct rw_symsearch *s, const struct rw_maps *m, const char *path,
			       bool main)
{
	Elf_Scn *scn = NULL;
	__u64 bias;
	Elf *elf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || rw_elf__bias(elf, m, path, &bias))
		goto out;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) &&
		    (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM))
			rw_symsearch__scn(s, elf, scn, &sh, path, main, bias);
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
}

/* Search every distinct mapped ELF file of the process. */
static void rw_symsearch__run(struct rw_symsearch *s, const struct rw_maps *m, const char *exe)
{
	size_t i, j;

	elf_version(EV_CURRENT);
	for (i = 0; i < m->nr; i++) {
		const char *path = m->maps[i].path;

		if (!path || path[0] != '/')
			continue;
		for (j = 0; j < i; j++)
			if (m->maps[j].path && !strcmp(m->maps[j].path, path))
				break;
		if (j < i)
			continue;
		rw_symsearch__file(s, m, path, exe && !strcmp(path, exe));
	}
}

/*
 * One definition wins; so does the executable's global one when libraries
 * define it too (a copy relocation: the libraries use the executable's).
 */
static const struct rw_symcand *rw_symsearch__pick(const struct rw_symsearch *s)
{
	const struct rw_symcand *main = NULL;
	int i, nmain = 0;

	if (s->nr == 1)
		return &s->c[0];
	for (i = 0; i < s->nr; i++) {
		if (s->c[i].main && s->c[i].global) {
			main = &s->c[i];
			nmain++;
		} else if (s->c[i].main || !s->c[i].global) {
			return NULL;	/* a local definition elsewhere: two objects */
		}
	}
	return nmain == 1 ? main : NULL;
}

static void rw_symsearch__ambiguous(const struct rw_symsearch *s)
{
	int i;

	fprintf(stderr, "racewatch: symbol '%s' is ambiguous:", s->spec->sym);
	for (i = 0; i < s->nr; i++)
		fprintf(stderr, "%s %s (%s, 0x%llx)", i ? "," : "", s->c[i].path,
			s->c[i].global ? "global" : "local", (unsigned long long)s->c[i].addr);
	fputs("\n", stderr);
}

static int rw_symcand__length(const struct rw_symspec *sp, const struct rw_symcand *c, __u32 *len)
{
	__u64 left;

	if (sp->len) {
		if (c->size && sp->off + sp->len > c->size) {
			fprintf(stderr, "racewatch: %s is %llu bytes; +%llu:%u is past its end\n",
				sp->sym, (unsigned long long)c->size, (unsigned long long)sp->off,
				sp->len);
			return -ERANGE;
		}
		*len = sp->len;
		return 0;
	}
	if (!c->size || sp->off >= c->size) {
		fprintf(stderr, "racewatch: %s: size unknown or offset past its end; give :LEN\n",
			sp->sym);
		return -EINVAL;
	}
	left = c->size - sp->off;
	if (left > 8) {
		fprintf(stderr, "racewatch: %s is %llu bytes, more than one watch covers (8); "
			"name a field with %s+OFF:LEN\n", sp->sym, (unsigned long long)c->size,
			sp->sym);
		return -E2BIG;
	}
	if (left != 1 && left != 2 && left != 4 && left != 8) {
		fprintf(stderr, "racewatch: %s+%llu is %llu bytes; give :LEN (1, 2, 4 or 8)\n",
			sp->sym, (unsigned long long)sp->off, (unsigned long long)left);
		return -EINVAL;
	}
	*len = left;
	return 0;
}

static int rw_elfsym__exe(__u32 pid, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%u/exe", pid);
	n = readlink(link, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int rw_elfsym__finish(const struct rw_symspec *sp, const struct rw_symcand *c,
			     const char *spec, __u64 *addr, __u32 *len, char **name)
{
	const char *colon = strchr(spec, ':');
	int err;

	if (c->tls) {
		fprintf(stderr, "racewatch: %s is thread-local; each thread has its own\n",
			sp->sym);
		return -EOPNOTSUPP;
	}
	err = rw_symcand__length(sp, c, len);
	if (err)
		return err;
	*addr = c->addr + sp->off;
	if (*addr % *len) {
		fprintf(stderr, "racewatch: %s at 0x%llx is not aligned to %u bytes\n", spec,
			(unsigned long long)*addr, *len);
		return -EINVAL;
	}
	if (name) {
		*name = strndup(spec, colon ? (size_t)(colon - spec) : strlen(spec));
		if (!*name)
			return -ENOMEM;
	}
	return 0;
}

/**
 * rw_elfsym__resolve() - find SYM[+OFF][:LEN] in a live process
 * @pid: the process (its /proc/PID/maps and mapped files are read)
 * @spec: "counter", "stats+8:4", "table+0x10:8"
 * @addr: out: address in @pid
 * @len: out: watch length (the symbol's size when no :LEN; 1, 2, 4 or 8)
 * @name: out, may be NULL: malloc'd "SYM[+OFF]" for reports
 *
 * Looks at data symbols (.symtab and .dynsym) of the executable and every
 * mapped library. A message saying why goes to stderr on failure.
 *
 * Return: 0; -EINVAL bad syntax, unknown size or misaligned; -ENOENT no such
 * data symbol (or no such process); -ENOTUNIQ several definitions; -E2BIG
 * larger than 8 bytes without :LEN; -ERANGE +OFF:LEN past the symbol;
 * -EOPNOTSUPP thread-local.
 */
int rw_elfsym__resolve(__u32 pid, const char *spec, __u64 *addr, __u32 *len, char **name)
{
	struct rw_symsearch s = {};
	struct rw_symspec sp;
	const struct rw_symcand *c;
	char exe[PATH_MAX], *text;
	struct rw_maps *m;
	int err;

	if (rw_symspec__parse(spec, &sp)) {
		fprintf(stderr, "racewatch: bad watch '%s': expected SYM[+OFF][:LEN], LEN 1, 2, 4 or 8\n",
			spec);
		return -EINVAL;
	}
	err = rw_maps__read(pid, &text);
	if (err) {
		fprintf(stderr, "racewatch: cannot read the maps of process %u: %s\n", pid,
			strerror(-err));
		return err;
	}
	m = rw_maps__parse(pid, text);
	free(text);
	if (!m)
		return -ENOMEM;
	s.spec = &sp;
	rw_symsearch__run(&s, m, rw_elfsym__exe(pid, exe, sizeof(exe)) ? NULL : exe);
	if (!s.nr) {
		fprintf(stderr, "racewatch: no data symbol '%s' in process %u or its libraries%s\n",
			sp.sym, pid, s.saw_func ? " (it names a function)" : "");
		err = -ENOENT;
		goto out;
	}
	c = rw_symsearch__pick(&s);
	if (!c) {
		rw_symsearch__ambiguous(&s);
		err = -ENOTUNIQ;
		goto out;
	}
	err = rw_elfsym__finish(&sp, c, spec, addr, len, name);
out:
	rw_maps__put(m);
	return err;
}
