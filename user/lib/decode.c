// SPDX-License-Identifier: GPL-2.0
/*
 * Find and classify the instruction that made a trapped access.
 */
#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <capstone/capstone.h>
#include <elfutils/libdwfl.h>

#include "decode.h"
#include "symbolize.h"

/* Longest x86 instruction. */
#define RW_INSN_MAX	15

struct rw_decode_cache {
	__u64 key;
	__u64 delta;	/* ip - start */
	struct rw_insn insn;
};

/**
 * struct rw_decoder - capstone handle and a cache of decoded trap sites
 * @cs: capstone handle, x86-64 with details
 * @cache: tsearch tree of struct rw_decode_cache by code location
 */
struct rw_decoder {
	csh cs;
	void *cache;
};

int rw_decoder__new(struct rw_decoder **out)
{
	struct rw_decoder *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &d->cs) != CS_ERR_OK) {
		free(d);
		return -EINVAL;
	}
	cs_option(d->cs, CS_OPT_DETAIL, CS_OPT_ON);
	*out = d;
	return 0;
}

void rw_decoder__free(struct rw_decoder *d)
{
	if (!d)
		return;
	tdestroy(d->cache, free);
	cs_close(&d->cs);
	free(d);
}

static int rw_cache__cmp(const void *a, const void *b)
{
	const struct rw_decode_cache *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

static bool rw_insn__is_atomic(const cs_insn *ci)
{
	const cs_x86 *x = &ci->detail->x86;
	int i;

	if (x->prefix[0] == X86_PREFIX_LOCK)
		return true;
	if (ci->id != X86_INS_XCHG)
		return false;
	for (i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM)
			return true;
	return false;
}

static bool rw_insn__writes_mem(const cs_insn *ci)
{
	const cs_x86 *x = &ci->detail->x86;
	int i;

	for (i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM && (x->operands[i].access & CS_AC_WRITE))
			return true;
	return false;
}

static bool rw_insn__has_mem(const cs_insn *ci)
{
	const cs_x86 *x = &ci->detail->x86;
	int i;

	for (i = 0; i < x->op_count; i++)
		if (x->operands[i].type == X86_OP_MEM)
			return true;
	return false;
}

/*
 * Where the one memory operand points, when that needs no register: a
 * global read or written as [rip + disp] or [disp32]. Anything else (a
 * base or index register, a segment such as fs: for TLS, two memory
 * operands) stays RW_MEM_UNKNOWN.
 */
static void rw_insn__mem(struct rw_insn *out, const cs_insn *ci)
{
	const cs_x86 *x = &ci->detail->x86;
	const cs_x86_op *mem = NULL;
	int i;

	for (i = 0; i < x->op_count; i++) {
		if (x->operands[i].type != X86_OP_MEM)
			continue;
		if (mem)
			return;
		mem = &x->operands[i];
	}
	if (!mem || !mem->size || mem->mem.index != X86_REG_INVALID ||
	    mem->mem.segment != X86_REG_INVALID)
		return;
	if (mem->mem.base == X86_REG_RIP)
		out->mem_how = RW_MEM_RIP;
	else if (mem->mem.base == X86_REG_INVALID)
		out->mem_how = RW_MEM_ABS;
	else
		return;
	out->mem_size = mem->size;
	out->mem_disp = mem->mem.disp;
}

/**
 * rw_insn__mask() - the watched bytes an access touched
 * @in: the decoded instruction
 * @ip: the trap's ip (the address after the instruction)
 * @addr: the watched address
 * @len: the watched length, 1..8
 *
 * Return: bit i set when byte @addr + i was accessed; every byte of the
 * watch when the operand's address is not known (or, wrongly decoded,
 * misses the watch the trap says it touched).
 */
__u8 rw_insn__mask(const struct rw_insn *in, __u64 ip, __u64 addr, __u32 len)
{
	__u8 all = (__u8)((1u << len) - 1);
	__u64 ea, lo, hi;

	if (in->how == RW_DECODE_NONE || in->mem_how == RW_MEM_UNKNOWN)
		return all;
	ea = in->mem_how == RW_MEM_RIP ? ip + in->mem_disp : (__u64)in->mem_disp;
	lo = ea > addr ? ea : addr;
	hi = ea + in->mem_size < addr + len ? ea + in->mem_size : addr + len;
	if (lo >= hi)
		return all;
	return (__u8)(((1u << (hi - lo)) - 1) << (lo - addr));
}

static void rw_insn__fill(struct rw_insn *out, const cs_insn *ci, int how)
{
	size_t n = strlen(ci->mnemonic);

	out->start = ci->address;
	out->how = how;
	out->atomic = rw_insn__is_atomic(ci);
	out->writes_mem = rw_insn__writes_mem(ci);
	rw_insn__mem(out, ci);

	if (n >= sizeof(out->text))
		n = sizeof(out->text) - 1;
	memcpy(out->text, ci->mnemonic, n);
	out->text[n] = '\0';
	if (ci->op_str[0] && n + 2 < sizeof(out->text)) {
		size_t m = strlen(ci->op_str);

		out->text[n++] = ' ';
		if (m > sizeof(out->text) - n - 1)
			m = sizeof(out->text) - n - 1;
		memcpy(out->text + n, ci->op_str, m);
		out->text[n + m] = '\0';
	}
}

/*
 * The file bytes around run-time address @addr: *@code points at @addr,
 * *@avail bytes follow it in its section, *@before precede it.
 */
static int rw_code_bytes(Dwfl_Module *mod, __u64 addr, const __u8 **code, size_t *avail,
			 size_t *before)
{
	GElf_Addr a = addr, bias;
	Elf_Scn *scn;
	Elf_Data *data;

	scn = dwfl_module_address_section(mod, &a, &bias);
	if (!scn)
		return -ENOENT;
	data = elf_getdata(scn, NULL);
	if (!data || !data->d_buf || a >= data->d_size)
		return -ENOENT;
	*code = (const __u8 *)data->d_buf + a;
	*avail = data->d_size - a;
	*before = a;
	return 0;
}

/* Decode forward from the function's start until an instruction ends at ip. */
static int rw_decode_forward(struct rw_decoder *d, Dwfl_Module *mod, __u64 ip,
			     struct rw_insn *out)
{
	const __u8 *code, *p;
	size_t avail, before, left;
	GElf_Off off;
	GElf_Sym sym;
	uint64_t addr;
	__u64 start;
	cs_insn *ci;
	int err = -ENOENT;

	if (!dwfl_module_addrinfo(mod, ip - 1, &off, &sym, NULL, NULL, NULL))
		return -ENOENT;
	start = ip - 1 - off;
	if (rw_code_bytes(mod, start, &code, &avail, &before) || avail < ip - start)
		return -ENOENT;
	ci = cs_malloc(d->cs);
	if (!ci)
		return -ENOMEM;
	p = code;
	left = ip - start;
	addr = start;
	while (left && cs_disasm_iter(d->cs, &p, &left, &addr, ci)) {
		if (addr == ip) {
			rw_insn__fill(out, ci, RW_DECODE_FORWARD);
			err = 0;
			break;
		}
	}
	cs_free(ci, 1);
	return err;
}

/*
 * Without a usable function start: try every start 1..15 bytes before ip
 * and keep the longest single instruction that ends exactly at ip and
 * touches memory (a data breakpoint fired, so the instruction did).
 */
static int rw_decode_backward(struct rw_decoder *d, Dwfl_Module *mod, __u64 ip,
			      struct rw_insn *out)
{
	const __u8 *code;
	size_t avail, before;
	cs_insn *ci;
	int k, err = -ENOENT;

	if (rw_code_bytes(mod, ip - 1, &code, &avail, &before))
		return -ENOENT;
	code++;		/* now at ip */
	before++;
	ci = cs_malloc(d->cs);
	if (!ci)
		return -ENOMEM;
	for (k = RW_INSN_MAX; k >= 1; k--) {
		const __u8 *p = code - k;
		size_t left = k;
		uint64_t addr = ip - k;

		if ((size_t)k > before)
			continue;
		if (!cs_disasm_iter(d->cs, &p, &left, &addr, ci) || addr != ip)
			continue;
		if (!rw_insn__has_mem(ci))
			continue;
		rw_insn__fill(out, ci, RW_DECODE_BACKWARD);
		err = 0;
		break;
	}
	cs_free(ci, 1);
	return err;
}

/**
 * rw_decoder__insn() - find the instruction that ends at a trap's ip
 * @d: decoder
 * @m: the process's maps snapshot (code is read from the mapped files)
 * @ip: the trap's ip (address after the access)
 * @out: result; when nothing could be decoded, start = ip - 1 and how =
 *	RW_DECODE_NONE, atomic = false
 *
 * Return: 0 when decoded, -ENOENT otherwise (@out is filled either way).
 */
int rw_decoder__insn(struct rw_decoder *d, struct rw_maps *m, __u64 ip, struct rw_insn *out)
{
	struct rw_decode_cache key, *c, **slot;
	Dwfl *dwfl;
	Dwfl_Module *mod;
	int err = -ENOENT;

	memset(out, 0, sizeof(*out));
	out->start = ip - 1;
	if (!m || !ip)
		return -ENOENT;
	key.key = rw_maps__codeloc(m, m->pid, ip);
	slot = tfind(&key, &d->cache, rw_cache__cmp);
	if (slot) {
		*out = (*slot)->insn;
		out->start = ip - (*slot)->delta;
		return out->how == RW_DECODE_NONE ? -ENOENT : 0;
	}
	dwfl = rw_maps__dwfl(m);
	mod = dwfl ? dwfl_addrmodule(dwfl, ip - 1) : NULL;
	if (mod) {
		err = rw_decode_forward(d, mod, ip, out);
		if (err)
			err = rw_decode_backward(d, mod, ip, out);
	}
	if (err) {
		memset(out, 0, sizeof(*out));
		out->start = ip - 1;
	}
	c = malloc(sizeof(*c));
	if (c) {
		c->key = key.key;
		c->delta = ip - out->start;
		c->insn = *out;
		if (!tsearch(c, &d->cache, rw_cache__cmp))
			free(c);
	}
	return err ? -ENOENT : 0;
}
