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

/**
 * struct rw_symsearch - one search for a symbol in every module of a process
 * @spec: what is looked for
 * @mangled: @spec's name as g++ mangles a qualified variable name
 *	("ns::counter" is "_ZN2ns7counterE"); empty for a plain name
 * @loose: second pass, taken when the exact one found nothing: a plain NAME
 *	also matches a C function-local static ("NAME.3") and the innermost
 *	component of a C++ qualified name ("ns::NAME")
 * @nr: candidates found
 * @c: the candidates
 * @saw_func: the name was found, but as a function
 */
struct rw_symsearch {
	const struct rw_symspec *spec;
	char mangled[sizeof(((struct rw_symspec *)0)->sym) + 64];
	bool loose;
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
	for (;;) {
		/* C++ qualified names: "ns::counter", "Stats::hits" */
		if (n && p[0] == ':' && p[1] == ':' && rw_sym__char_ok((unsigned char)p[2], true)) {
			if (n + 2 >= sizeof(out->sym))
				return -EINVAL;
			out->sym[n++] = *p++;
			out->sym[n++] = *p++;
			continue;
		}
		if (!*p || !rw_sym__char_ok((unsigned char)*p, n == 0 || p[-1] == ':'))
			break;
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

/* "a::b::c" as g++ mangles a variable of that qualified name; 0 or -EINVAL. */
static int rw_sym__mangle(const char *name, char *out, size_t size)
{
	const char *p = name, *colon;
	size_t n, used;
	int k;

	used = snprintf(out, size, "_ZN");
	while (*p) {
		colon = strstr(p, "::");
		n = colon ? (size_t)(colon - p) : strlen(p);
		if (!n)
			return -EINVAL;
		k = snprintf(out + used, size - used, "%zu%.*s", n, (int)n, p);
		if (k < 0 || (size_t)k >= size - used)
			return -EINVAL;
		used += k;
		p += n + (colon ? 2 : 0);
	}
	if (used + 2 > size)
		return -EINVAL;
	memcpy(out + used, "E", 2);
	return 0;
}

/*
 * Is @name, a g++ nested name ("_ZN2ns7counterE", "_ZN2nsL7counterE" for an
 * internal one), a variable whose innermost component is @want?
 */
static bool rw_sym__nested_last_is(const char *name, const char *want)
{
	const char *p = name + 3, *last = NULL;
	size_t n = 0;
	char *end;

	if (strncmp(name, "_ZN", 3))
		return false;
	while (*p != 'E') {
		if (*p == 'L')
			p++;
		if (!isdigit((unsigned char)*p))
			return false;
		n = strtoul(p, &end, 10);
		if (!n || strnlen(end, n) < n)
			return false;
		last = end;
		p = end + n;
	}
	return p[1] == '\0' && last && n == strlen(want) && !memcmp(last, want, n);
}

/* A C function-local static: "NAME.DIGITS" (gcc numbers them). */
static bool rw_sym__local_static_is(const char *name, const char *want)
{
	size_t n = strlen(want);

	if (strncmp(name, want, n) || name[n] != '.' || !name[n + 1])
		return false;
	for (name += n + 1; *name; name++)
		if (!isdigit((unsigned char)*name))
			return false;
	return true;
}

static bool rw_symsearch__matches(const struct rw_symsearch *s, const char *name)
{
	const char *want = s->spec->sym;

	if (!s->loose)
		return !strcmp(name, want) || (s->mangled[0] && !strcmp(name, s->mangled));
	return !s->mangled[0] &&
	       (rw_sym__local_static_is(name, want) || rw_sym__nested_last_is(name, want));
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
		if (!name || !rw_symsearch__matches(s, name))
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

/*
 * Find the one definition of @spec's symbol in @pid: the exact name first
 * (or its g++ mangling for "ns::name"), then, if that finds nothing, the
 * loose matches (see &struct rw_symsearch). Says why on stderr on failure.
 */
static int rw_elfsym__lookup(__u32 pid, const struct rw_symspec *sp, struct rw_symcand *out)
{
	struct rw_symsearch s = { .spec = sp };
	const struct rw_symcand *c;
	char exe[PATH_MAX];
	const char *exep;
	struct rw_maps *m;
	char *text;
	int err;

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
	if (strstr(sp->sym, "::") && rw_sym__mangle(sp->sym, s.mangled, sizeof(s.mangled))) {
		fprintf(stderr, "racewatch: cannot make sense of the C++ name '%s'\n", sp->sym);
		err = -EINVAL;
		goto out;
	}
	exep = rw_elfsym__exe(pid, exe, sizeof(exe)) ? NULL : exe;
	rw_symsearch__run(&s, m, exep);
	if (!s.nr && !s.saw_func && !s.mangled[0]) {
		s.loose = true;
		rw_symsearch__run(&s, m, exep);
	}
	if (!s.nr) {
		fprintf(stderr, "racewatch: no data symbol '%s' in process %u or its libraries%s\n",
			sp->sym, pid, s.saw_func ? " (it names a function)" : "");
		err = -ENOENT;
		goto out;
	}
	c = rw_symsearch__pick(&s);
	if (!c) {
		rw_symsearch__ambiguous(&s);
		err = -ENOTUNIQ;
		goto out;
	}
	*out = *c;
out:
	rw_maps__put(m);
	return err;
}

static int rw_elfsym__parse(const char *spec, struct rw_symspec *sp)
{
	if (rw_symspec__parse(spec, sp)) {
		fprintf(stderr, "racewatch: bad watch '%s': expected SYM[+OFF][:LEN], LEN 1, 2, 4 or 8\n",
			spec);
		return -EINVAL;
	}
	return 0;
}

/**
 * rw_elfsym__resolve() - find SYM[+OFF][:LEN] in a live process
 * @pid: the process (its /proc/PID/maps and mapped files are read)
 * @spec: "counter", "stats+8:4", "table+0x10:8", "ns::counter"
 * @addr: out: address in @pid
 * @len: out: watch length (the symbol's size when no :LEN; 1, 2, 4 or 8)
 * @name: out, may be NULL: malloc'd "SYM[+OFF]" for reports
 *
 * Looks at data symbols (.symtab and .dynsym) of the executable and every
 * mapped library. A name found nowhere also matches a C function-local
 * static of that name ("counter.1") or the innermost part of a C++
 * qualified name ("ns::counter"), if exactly one such object exists. A
 * message saying why goes to stderr on failure.
 *
 * Return: 0; -EINVAL bad syntax, unknown size or misaligned; -ENOENT no such
 * data symbol (or no such process); -ENOTUNIQ several definitions; -E2BIG
 * larger than 8 bytes without :LEN; -ERANGE +OFF:LEN past the symbol;
 * -EOPNOTSUPP thread-local.
 */
int rw_elfsym__resolve(__u32 pid, const char *spec, __u64 *addr, __u32 *len, char **name)
{
	struct rw_symspec sp;
	struct rw_symcand c;
	int err;

	err = rw_elfsym__parse(spec, &sp);
	if (!err)
		err = rw_elfsym__lookup(pid, &sp, &c);
	if (!err)
		err = rw_elfsym__finish(&sp, &c, spec, addr, len, name);
	return err;
}

/**
 * rw_elfsym__resolve_span() - find SYM[+OFF][:LEN] in a live process, whole
 * @pid: the process
 * @spec: as for rw_elfsym__resolve()
 * @span: out: where and how long; without :LEN the bytes from +OFF to the
 *	end of the object, of any size up to RW_SPAN_MAX (the caller covers
 *	them with several watches); with :LEN exactly what rw_elfsym__resolve()
 *	gives
 *
 * Return: as rw_elfsym__resolve(); -E2BIG only past RW_SPAN_MAX bytes.
 */
int rw_elfsym__resolve_span(__u32 pid, const char *spec, struct rw_span *span)
{
	struct rw_symspec sp;
	struct rw_symcand c;
	__u32 len;
	int err;

	memset(span, 0, sizeof(*span));
	err = rw_elfsym__parse(spec, &sp);
	if (!err)
		err = rw_elfsym__lookup(pid, &sp, &c);
	if (err)
		return err;
	if (sp.len || c.tls || (c.size > sp.off && c.size - sp.off <= 8 &&
				!((c.size - sp.off) & (c.size - sp.off - 1)))) {
		err = rw_elfsym__finish(&sp, &c, spec, &span->addr, &len, NULL);
		span->size = len;
	} else if (!c.size || sp.off >= c.size) {
		fprintf(stderr, "racewatch: %s: size unknown or offset past its end; give :LEN\n",
			sp.sym);
		err = -EINVAL;
	} else if (c.size - sp.off > RW_SPAN_MAX) {
		fprintf(stderr, "racewatch: %s+%llu is %llu bytes, more than one -w watches (%d); "
			"name a part with %s+OFF:LEN\n", sp.sym, (unsigned long long)sp.off,
			(unsigned long long)(c.size - sp.off), RW_SPAN_MAX, sp.sym);
		err = -E2BIG;
	} else {
		span->addr = c.addr + sp.off;
		span->size = c.size - sp.off;
	}
	if (!err) {
		snprintf(span->sym, sizeof(span->sym), "%s", sp.sym);
		span->off = sp.off;
	}
	return err;
}

/**
 * rw_span__next() - the next watch covering a span
 * @addr: start of what is left to cover
 * @left: bytes left (at least 1)
 *
 * Return: the largest length (8, 4, 2, 1) that @addr is aligned to and that
 * fits in @left: covering a span with these gives the fewest aligned
 * watches.
 */
__u32 rw_span__next(__u64 addr, __u64 left)
{
	__u32 len;

	for (len = 8; len > 1; len >>= 1)
		if (!(addr & (len - 1)) && len <= left)
			break;
	return len;
}

/* The first PT_LOAD segment of @elf: its page-aligned file offset and address. */
static int rw_elf__anchor(Elf *elf, __u64 *offset, __u64 *vaddr)
{
	GElf_Phdr ph;
	size_t i, n;

	if (elf_getphdrnum(elf, &n))
		return -ENOEXEC;
	for (i = 0; i < n; i++) {
		if (gelf_getphdr(elf, i, &ph) && ph.p_type == PT_LOAD) {
			*offset = ph.p_offset & ~(__u64)0xfff;
			*vaddr = ph.p_vaddr & ~(__u64)0xfff;
			return 0;
		}
	}
	return -ENOEXEC;
}

/**
 * rw_exesym__resolve() - find SYM[+OFF][:LEN] in an executable file
 * @path: the executable
 * @spec: "counter", "stats+8:4"
 * @out: the field's link-time address and length, and the anchor segment
 *	RACEWATCH_IOC_WATCH_EXE computes each process's load bias from
 *
 * Looks at the data symbols (.symtab and .dynsym) of @path alone, not of the
 * libraries it loads. A message saying why goes to stderr on failure.
 *
 * Return: 0; -ENOENT no such file or data symbol; -ENOEXEC not an ELF
 * executable; otherwise as rw_elfsym__resolve().
 */
int rw_exesym__resolve(const char *path, const char *spec, struct rw_exe_sym *out)
{
	struct rw_symsearch s = {};
	const struct rw_symcand *c;
	struct rw_symspec sp;
	Elf_Scn *scn = NULL;
	char *name = NULL;
	GElf_Ehdr eh;
	int fd, err;
	Elf *elf;

	memset(out, 0, sizeof(*out));
	if (rw_symspec__parse(spec, &sp)) {
		fprintf(stderr, "racewatch: bad watch '%s': expected SYM[+OFF][:LEN], LEN 1, 2, 4 or 8\n",
			spec);
		return -EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "racewatch: %s: %s\n", path, strerror(-err));
		return err;
	}
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	err = -ENOEXEC;
	if (!elf || !gelf_getehdr(elf, &eh) || (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) ||
	    rw_elf__anchor(elf, &out->anchor_offset, &out->anchor_vaddr)) {
		fprintf(stderr, "racewatch: %s: not an ELF executable\n", path);
		goto out;
	}
	s.spec = &sp;
	if (strstr(sp.sym, "::") && rw_sym__mangle(sp.sym, s.mangled, sizeof(s.mangled))) {
		fprintf(stderr, "racewatch: cannot make sense of the C++ name '%s'\n", sp.sym);
		err = -EINVAL;
		goto out;
	}
	/* the exact name (or its mangling) first, then the loose matches, as for a process */
	do {
		while ((scn = elf_nextscn(elf, scn))) {
			GElf_Shdr sh;

			if (gelf_getshdr(scn, &sh) &&
			    (sh.sh_type == SHT_SYMTAB || sh.sh_type == SHT_DYNSYM))
				rw_symsearch__scn(&s, elf, scn, &sh, path, true, 0);
		}
		s.loose = !s.loose && !s.nr && !s.saw_func && !s.mangled[0];
	} while (s.loose);
	err = -ENOENT;
	if (!s.nr) {
		fprintf(stderr, "racewatch: no data symbol '%s' in %s%s\n", sp.sym, path,
			s.saw_func ? " (it names a function)" :
			" (a library's variable is watched with attach or run)");
		goto out;
	}
	err = -ENOTUNIQ;
	c = rw_symsearch__pick(&s);
	if (!c) {
		rw_symsearch__ambiguous(&s);
		goto out;
	}
	err = rw_elfsym__finish(&sp, c, spec, &out->vaddr, &out->len, &name);
	if (!err) {
		snprintf(out->name, sizeof(out->name), "%s", name);
		free(name);
	}
out:
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}
