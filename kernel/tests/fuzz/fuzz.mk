# fuzz.mk: libFuzzer targets (tests/fuzz/fuzz_*.c) over the kernel code
# that builds on the host, with clang's -fsanitize=fuzzer,address,undefined.
# Included from kernel/Makefile:
#
#   make -C kernel fuzz                       build build/fuzz/fuzz_*
#   make -C kernel fuzz-run FUZZ_SECONDS=20   run each for that long on its
#                                             corpus (seeded by seeds.py),
#                                             one line of results each
#
# A crash (sanitizer report, FUZZ_ASSERT, timeout) leaves the input in
# build/fuzz/crashes/<target>/ and fails the run. docs/fuzzing.md has
# the long runs.

FUZZ_BUILD := $(BUILD)/fuzz
FUZZ_CC := clang
FUZZ_SECONDS ?= 20
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -std=gnu11 -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) \
    -fsanitize=fuzzer-no-link -Wall -Wextra -Werror -Wno-unused-parameter \
    -I. -Itests/host -Itests/fuzz -DCVMIFY_HOST_TEST -I$(BEARSSL)/inc
FUZZ_BEARSSL_CFLAGS := -std=gnu11 -O1 -g -w -I$(BEARSSL)/inc -I$(BEARSSL)/src \
    -DBR_AES_X86NI=1 -DBR_SSE2=1

FUZZ_LIB_SRCS := $(HOST_LIB_SRCS) $(HOST_TDX_SRCS) $(CRYPTO_SRCS)
FUZZ_LIB_OBJS := $(FUZZ_LIB_SRCS:%.c=$(FUZZ_BUILD)/%.o) $(FUZZ_BUILD)/arch/x86_64/call_on_stack.o
FUZZ_BEARSSL_OBJS := $(HOST_BEARSSL_SRCS:%.c=$(FUZZ_BUILD)/bearssl/%.o)
# The network fuzzers (fuzz_net_*) are net.mk's: other sources, other flags.
FUZZ_NAMES := $(filter-out net_%,$(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_TARGETS := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)

.PHONY: fuzz fuzz-run
fuzz: $(FUZZ_TARGETS)

$(FUZZ_BUILD)/bearssl/%.o: $(BEARSSL)/src/%.c $(BEARSSL)/.fetched
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_BEARSSL_CFLAGS) -c $< -o $@

$(FUZZ_BUILD)/%.o: %.S
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -D__ASSEMBLY__ -I. -c $< -o $@

$(FUZZ_BUILD)/%.o: %.c $(BEARSSL)/.fetched
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJS) $(FUZZ_BEARSSL_OBJS)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^

# Seeds from real inputs (the golden disk, config.bin files, ELF binaries),
# then each target for FUZZ_SECONDS; the summary lines are what
# tests/test_kernel_fuzz.py and docs/fuzzing.md read.
fuzz-run: fuzz
	@set -e; python3 tests/fuzz/seeds.py $(FUZZ_BUILD)/seeds; \
	for t in $(FUZZ_NAMES); do \
	    mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/crashes/$$t $(FUZZ_BUILD)/seeds/$$t; \
	    ASAN_OPTIONS=detect_leaks=1 $(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) \
	        -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
	        -artifact_prefix=$(FUZZ_BUILD)/crashes/$$t/ \
	        $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/seeds/$$t > $(FUZZ_BUILD)/$$t.log 2>&1 \
	        || { echo "fuzz $$t: CRASH (see $(FUZZ_BUILD)/$$t.log)"; tail -30 $(FUZZ_BUILD)/$$t.log; exit 1; }; \
	    python3 tests/fuzz/summary.py $$t $(FUZZ_BUILD)/$$t.log; \
	done; echo "fuzz-run: no crashes"

.SECONDARY: $(FUZZ_LIB_OBJS) $(FUZZ_BEARSSL_OBJS) \
    $(FUZZ_NAMES:%=$(FUZZ_BUILD)/tests/fuzz/fuzz_%.o)
-include $(shell find $(FUZZ_BUILD) -name '*.d' 2>/dev/null)
