# net.mk: the network fuzzers (libFuzzer, ASan, UBSan; clang), included
# from kernel/Makefile.
#
#   make -C kernel fuzz-net                     build them (build/fuzz-net/)
#   make -C kernel fuzz-net-smoke               each for FUZZ_SECONDS
#   build/fuzz-net/fuzz_net_frames CORPUS_DIR   a long run by hand
#
# The same sources as the kernel: lwIP (as configured in lwipopts.h, with
# checksum checks off: CVMIFY_FUZZ), its port, the lwIP link layer, the
# virtio device layer, virtqueue and virtio-net driver; kernel services
# from tests/host/shim.c, the device from tests/host/fake_virtio.c.

#
# Its own build directory and flags: these objects are built with
# CVMIFY_FUZZ (lwIP's checksum checks off), unlike fuzz.mk's, which share
# FUZZ_CC, FUZZ_SAN and FUZZ_SECONDS from there.
FUZZ_NET_BUILD := $(BUILD)/fuzz-net
FUZZ_NET_CFLAGS := -std=gnu11 -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) \
    -fsanitize=fuzzer-no-link -I. -Itests/host -Itests/fuzz -DCVMIFY_HOST_TEST -DCVMIFY_FUZZ \
    -Inet/lwip/include -I$(LWIP)/src/include
FUZZ_LWIP_CFLAGS := $(FUZZ_NET_CFLAGS) -w -fno-strict-aliasing -MMD -MP

FUZZ_NET_SRCS := net/lwip_port.c net/netif_vnet.c drivers/virtio/net.c \
    drivers/virtio/virtio.c drivers/virtio/virtqueue.c \
    tests/host/shim.c tests/host/fake_virtio.c tests/fuzz/fuzz_net_device.c
FUZZ_NET_OBJS := $(FUZZ_NET_SRCS:%.c=$(FUZZ_NET_BUILD)/%.o) \
    $(LWIP_SRCS:%.c=$(FUZZ_NET_BUILD)/lwip/%.o) $(FUZZ_NET_BUILD)/lwip/core/stats.o
FUZZ_NET_TARGETS := $(FUZZ_NET_BUILD)/fuzz_net_frames $(FUZZ_NET_BUILD)/fuzz_net_ring

.PHONY: fuzz-net fuzz-net-smoke
fuzz-net: $(FUZZ_NET_TARGETS)

# Each fuzzer for FUZZ_SECONDS from the seed corpus (net_seeds.py); a
# crash fails the run. Statistics (executions, coverage) go to stderr.
# The frame fuzzer checks leaks itself (fuzz_net_frames.c: clean_up):
# LeakSanitizer cannot follow the pointers lwIP's reassembly keeps at
# unaligned places in packet headers.
fuzz-net-smoke: $(FUZZ_NET_TARGETS)
	@set -e; for t in $(FUZZ_NET_TARGETS); do \
	    corpus=$(FUZZ_NET_BUILD)/corpus/$$(basename $$t); mkdir -p $$corpus; \
	    python3 tests/fuzz/net_seeds.py $$(basename $$t) $$corpus; \
	    echo "== $$t ($(FUZZ_SECONDS) s)"; \
	    leaks=1; case $$t in *_frames) leaks=0;; esac; \
	    $$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -detect_leaks=$$leaks \
	        -artifact_prefix=$(FUZZ_NET_BUILD)/ $$corpus; \
	done; echo "fuzz-net-smoke: no crashes"

$(FUZZ_NET_BUILD)/lwip/%.o: $(LWIP)/src/%.c $(LWIP)/.fetched
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_LWIP_CFLAGS) -c $< -o $@

$(FUZZ_NET_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_NET_CFLAGS) -Wall -Wextra -Werror -MMD -MP -c $< -o $@

$(FUZZ_NET_BUILD)/fuzz_%: $(FUZZ_NET_BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_NET_OBJS)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^

.SECONDARY: $(FUZZ_NET_OBJS)

-include $(shell find $(FUZZ_NET_BUILD) -name '*.d' 2>/dev/null)
