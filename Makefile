# SPDX-License-Identifier: GPL-2.0
#
# racewatch: kernel module (Kbuild), eBPF objects + skeletons, user programs,
# selftests, and the QEMU test harness. Everything generated goes to .output/.
#
#   make            build the module, BPF, user programs and selftests
#   make check      install missing deps, build, run host tests, then VM tests
#   make demo       install missing deps, build, show racewatch on the racy counter
#   make V=1        show full commands

.DELETE_ON_ERROR:
.SUFFIXES:

OUTPUT		:= $(CURDIR)/.output
KDIR		?= $(shell $(CURDIR)/scripts/kdir.sh)
VMLINUX_BTF	?= /sys/kernel/btf/vmlinux
VMLINUX_H	?= $(OUTPUT)/vmlinux.h
CLANG		?= clang
BPFTOOL		?= bpftool
CC		?= cc
CXX		?= c++
AR		?= ar

ifeq ($(V),1)
Q :=
msg =
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(patsubst $(CURDIR)/%,%,$(2))";
MAKEFLAGS += --no-print-directory
endif

INCLUDES	:= -I$(CURDIR)/include -I$(CURDIR)/include/uapi -I$(OUTPUT) -I$(CURDIR)/user/lib
CFLAGS		?= -g -O2
CFLAGS		+= -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
CFLAGS		+= -D_GNU_SOURCE $(INCLUDES)
LDLIBS		:= -lbpf -lelf -ldw -lz -lcapstone -lstdc++ -lpthread -lrt
# the tests check JSON output with a real parser
TEST_LDLIBS	:= -ljson-c

BPF_SRCS	:= $(wildcard bpf/*.bpf.c)
BPF_OBJS	:= $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
BPF_SKELS	:= $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.skel.h,$(BPF_SRCS))

LIB_SRCS	:= $(wildcard user/lib/*.c)
LIB_OBJS	:= $(patsubst user/lib/%.c,$(OUTPUT)/lib/%.o,$(LIB_SRCS))
LIB		:= $(OUTPUT)/libracewatch.a
LIB_HDRS	:= $(wildcard user/lib/*.h include/racewatch/*.h include/uapi/linux/*.h)

USER_PROGS	:= $(patsubst user/%.c,$(OUTPUT)/%,$(wildcard user/*.c))

ST_DIR		:= selftests/racewatch
ST_OUT		:= $(OUTPUT)/selftests
KSFT_DIR	:= $(OUTPUT)/kselftest
TESTS		:= $(patsubst $(ST_DIR)/%.c,$(ST_OUT)/%,$(wildcard $(ST_DIR)/*_test.c))
PROG_C		:= $(wildcard $(ST_DIR)/progs/*.c)
PROG_CC		:= $(wildcard $(ST_DIR)/progs/*.cc)
PROGS		:= $(patsubst $(ST_DIR)/progs/%.c,$(ST_OUT)/progs/%,$(PROG_C)) \
		   $(patsubst $(ST_DIR)/progs/%.cc,$(ST_OUT)/progs/%,$(PROG_CC))
PROGS		+= $(addsuffix -O2,$(PROGS))
# progs/*_static.c are built statically too (the VM has no compiler to do it)
PROGS		+= $(patsubst $(ST_DIR)/progs/%.c,$(ST_OUT)/progs/%-static,$(wildcard $(ST_DIR)/progs/*_static.c))
# progs/NAME.c named here are built as 32-bit static NAME-m32 too (compat-task tests)
M32_PROGS	:= shm_target
PROGS		+= $(patsubst %,$(ST_OUT)/progs/%-m32,$(M32_PROGS))
BENCHES		:= $(patsubst bench/%.c,$(OUTPUT)/bench/%,$(wildcard bench/*.c))

PROG_CFLAGS_O0	:= -g -O0 -fno-omit-frame-pointer -fPIE -pie -pthread -D_GNU_SOURCE -Wall
PROG_CFLAGS_O2	:= -g -O2 -no-pie -fno-pie -pthread -D_GNU_SOURCE -Wall

.PHONY: all kmod bpf user selftests bench check vmtest host-tests demo deps install clean help
all: kmod bpf user selftests

help:
	@sed -n '3,10p' Makefile | sed 's/^# \{0,1\}//'

deps:
	$(Q)$(CURDIR)/scripts/deps.sh

# ---- kernel module -----------------------------------------------------------------------------

kmod:
	$(Q)$(MAKE) -C $(KDIR) M=$(CURDIR) $(if $(filter 1,$(V)),V=1,) modules
	$(Q)mkdir -p $(OUTPUT) && cp kmod/racewatch.ko $(OUTPUT)/racewatch.ko

# ---- BPF -------------------------------------------------------------------------------------

bpf: $(BPF_SKELS)

$(VMLINUX_H): | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(VMLINUX_H) $(wildcard include/racewatch/*.h bpf/*.h) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -Wall -Werror --target=bpf -D__TARGET_ARCH_x86 \
		-I$(OUTPUT) -I$(CURDIR)/include -I$(CURDIR)/bpf -c $< -o $@.tmp
	$(Q)$(BPFTOOL) gen object $@ $@.tmp && rm -f $@.tmp

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# ---- user space ---------------------------------------------------------------------------------

user: $(LIB) $(USER_PROGS)

$(OUTPUT)/lib/%.o: user/lib/%.c $(LIB_HDRS) $(BPF_SKELS) | $(OUTPUT)/lib
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(OUTPUT)/%: user/%.c $(LIB) $(LIB_HDRS) | $(OUTPUT)
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LIB) $(LDLIBS) -o $@

# ---- selftests and their target programs -----------------------------------------------------

selftests: $(TESTS) $(PROGS)

$(KSFT_DIR)/kselftest_harness.h:
	$(call msg,EXTRACT,$@)
	$(Q)$(CURDIR)/scripts/kselftest-headers.sh $(KSFT_DIR)

$(ST_OUT)/%_test: $(ST_DIR)/%_test.c $(LIB) $(LIB_HDRS) $(wildcard $(ST_DIR)/*.h) \
		$(KSFT_DIR)/kselftest_harness.h | $(ST_OUT)/progs
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(CFLAGS) -Wno-sign-compare -I$(KSFT_DIR) -I$(CURDIR)/$(ST_DIR) $< $(LIB) $(LDLIBS) \
		$(TEST_LDLIBS) -o $@

$(ST_OUT)/progs/%: $(ST_DIR)/progs/%.c | $(ST_OUT)/progs
	$(call msg,CC,$@)
	$(Q)$(CC) $(PROG_CFLAGS_O0) $< -o $@ -lrt

$(ST_OUT)/progs/%-O2: $(ST_DIR)/progs/%.c | $(ST_OUT)/progs
	$(call msg,CC,$@)
	$(Q)$(CC) $(PROG_CFLAGS_O2) $< -o $@ -lrt

$(ST_OUT)/progs/%-static: $(ST_DIR)/progs/%.c | $(ST_OUT)/progs
	$(call msg,CC,$@)
	$(Q)$(CC) -static -g -O1 -pthread -D_GNU_SOURCE -Wall $< -o $@

# frame pointers kept, so the module's 32-bit stack walk has frames to follow
$(ST_OUT)/progs/%-m32: $(ST_DIR)/progs/%.c | $(ST_OUT)/progs
	$(call msg,CC,$@)
	$(Q)$(CC) -m32 -static -g -O0 -fno-omit-frame-pointer -pthread -D_GNU_SOURCE -Wall $< -o $@ -lrt

$(ST_OUT)/progs/%: $(ST_DIR)/progs/%.cc | $(ST_OUT)/progs
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(PROG_CFLAGS_O0) $< -o $@ -lrt

$(ST_OUT)/progs/%-O2: $(ST_DIR)/progs/%.cc | $(ST_OUT)/progs
	$(call msg,CXX,$@)
	$(Q)$(CXX) $(PROG_CFLAGS_O2) $< -o $@ -lrt

# ---- benchmarks -------------------------------------------------------------------------------

bench: $(BENCHES)

$(OUTPUT)/bench/%: bench/%.c $(LIB) $(LIB_HDRS) | $(OUTPUT)/bench
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LIB) $(LDLIBS) -o $@

# ---- running -----------------------------------------------------------------------------------

# Host tests natively, then the VM tests; one summary line over both.
check: deps
	$(Q)$(MAKE) all
	$(Q)$(CURDIR)/scripts/check.sh

host-tests: all
	$(Q)$(CURDIR)/scripts/run-tests.sh host $(ST_OUT)

vmtest: all
	$(Q)KDIR=$(KDIR) $(CURDIR)/scripts/vmtest.sh tests

demo: deps
	$(Q)$(MAKE) all
	$(Q)KDIR=$(KDIR) $(CURDIR)/scripts/demo.sh

install: all
	install -D -m 0755 $(OUTPUT)/racewatch $(DESTDIR)/usr/local/bin/racewatch
	install -D -m 0755 $(OUTPUT)/racewatchd $(DESTDIR)/usr/local/sbin/racewatchd
	install -D -m 0644 scripts/racewatchd.service \
		$(DESTDIR)/usr/local/lib/systemd/system/racewatchd.service
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install

clean:
	$(Q)$(MAKE) -C $(KDIR) M=$(CURDIR) clean >/dev/null 2>&1 || true
	$(Q)rm -rf $(OUTPUT)

$(OUTPUT) $(OUTPUT)/lib $(OUTPUT)/bench $(ST_OUT)/progs:
	$(Q)mkdir -p $@
