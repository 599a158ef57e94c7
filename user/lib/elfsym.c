// SPDX-License-Identifier: GPL-2.0
/* elfsym: function symbol -> file offset, every version of a name. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elfsym.h"

struct elfsym_ent {
	char *name;
	__u64 off;
	__u64 size;
};

struct elfsym {
	struct elfsym_ent *ents;
	int n, cap;
};

/* Translate a virtual address to a file offset through the PT_LOAD segments. */
static int vaddr_to_off(Elf *elf, __u64 vaddr, __u64 *off)
{
	size_t i, n;
	GElf_Phdr ph;

	if (elf_getphdrnum(elf, &n))
		return -ENOEXEC;
	for (i = 0; i < n; i++) {
		if (!gelf_getphdr(elf, i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_memsz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -ENOENT;
}

static int add_ent(struct elfsym *es, const char *name, __u64 off, __u64 size)
{
	struct elfsym_ent *e;

	if (es->n == es->cap) {
		int cap = es->cap ? es->cap * 2 : 1024;

		e = realloc(es->ents, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		es->ents = e;
		es->cap = cap;
	}
	e = &es->ents[es->n];
	e->name = strdup(name);
	if (!e->name)
		return -ENOMEM;
	e->off = off;
	e->size = size;
	es->n++;
	return 0;
}

static int read_symtab(struct elfsym *es, Elf *elf, Elf_Scn *scn, GElf_Shdr *sh)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t i, n;
	GElf_Sym sym;
	__u64 off;
	int err;

	if (!data || !sh->sh_entsize)
		return 0;
	n = sh->sh_size / sh->sh_entsize;
	for (i = 0; i < n; i++) {
		const char *name;

		if (!gelf_getsym(data, i, &sym))
			continue;
		if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF ||
		    !sym.st_value)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		if (vaddr_to_off(elf, sym.st_value, &off))
			continue;
		err = add_ent(es, name, off, sym.st_size);
		if (err)
			return err;
	}
	return 0;
}

int elfsym__open(const char *path, struct elfsym **out)
{
	struct elfsym *es;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	Elf *elf;
	int fd, err = 0;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		err = -ENOEXEC;
		goto err_close;
	}
	es = calloc(1, sizeof(*es));
	if (!es) {
		err = -ENOMEM;
		goto err_end;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM)
			continue;
		err = read_symtab(es, elf, scn, &sh);
		if (err) {
			elfsym__close(es);
			goto err_end;
		}
	}
	*out = es;
err_end:
	if (elf)
		elf_end(elf);
err_close:
	close(fd);
	return err;
}

int elfsym__offsets(const struct elfsym *es, const char *name, __u64 *offs, int max)
{
	int i, j, n = 0;

	for (i = 0; i < es->n && n < max; i++) {
		if (strcmp(es->ents[i].name, name))
			continue;
		for (j = 0; j < n; j++)
			if (offs[j] == es->ents[i].off)
				break;
		if (j == n)
			offs[n++] = es->ents[i].off;
	}
	return n;
}

__u64 elfsym__size(const struct elfsym *es, __u64 off)
{
	__u64 size = 0;
	int i;

	for (i = 0; i < es->n; i++)
		if (es->ents[i].off == off && es->ents[i].size > size)
			size = es->ents[i].size;
	return size;
}

int elfsym__nsyms(const struct elfsym *es)
{
	return es->n;
}

void elfsym__close(struct elfsym *es)
{
	int i;

	if (!es)
		return;
	for (i = 0; i < es->n; i++)
		free(es->ents[i].name);
	free(es->ents);
	free(es);
}
