# host.mk: host unit tests for fs/ and drivers/ (and whoever adds a
# test_*.c here), built with ASan + UBSan against libc.
# Included from kernel/Makefile:   make -C kernel host-tests
#
# The same fs/ and drivers/ sources as the kernel are compiled for the
# host; kernel services come from tests/host/shim.c. crypto/ and the
# BearSSL files it needs are rebuilt for the host too.

HOST_BUILD := $(BUILD)/host
HOST_CC := gcc
HOST_CFLAGS := -std=gnu11 -O1 -g -fno-omit-frame-pointer \
    -fsanitize=address,undefined -fno-sanitize-recover=all \
    -Wall -Wextra -Werror -I. -Itests/host -DCVMIFY_HOST_TEST
HOST_CRYPTO_CFLAGS := $(HOST_CFLAGS) -I$(BEARSSL)/inc
HOST_BEARSSL_CFLAGS := -std=gnu11 -O1 -g -w -I$(BEARSSL)/inc -I$(BEARSSL)/src \
    -DBR_AES_X86NI=1 -DBR_SSE2=1

HOST_BEARSSL_SRCS := $(BEARSSL_SRCS) hash/sha2small.c
HOST_BEARSSL_OBJS := $(HOST_BEARSSL_SRCS:%.c=$(HOST_BUILD)/bearssl/%.o)
HOST_CRYPTO_OBJS := $(CRYPTO_SRCS:%.c=$(HOST_BUILD)/%.o)

# Sources under test, shared by all test binaries.
HOST_LIB_SRCS := config/config.c config/config_net.c config/overrides.c config/volume_record.c config/tmpfs_record.c fs/tmpfs_host.c \
    fs/cvmfs_parse.c fs/cvmfs_disk.c fs/cvmfs_cache.c fs/cvmfs.c fs/inode.c fs/lock.c fs/mount.c \
    fs/path.c fs/perm.c fs/file.c fs/namei.c fs/tmpfs.c fs/tmpfs_data.c fs/tmpfs_dir.c fs/tty_ldisc.c \
    drivers/virtio/virtqueue.c control/frame.c \
    proc/elf_parse.c tests/host/elf_mem.c lib/bytes.c arch/x86_64/user_return.c \
    proc/runq.c proc/timerq.c proc/waitq.c proc/futex_hash.c \
    tests/host/shim.c tests/host/check.c tests/host/memsource.c \
    tests/host/golden.c tests/host/fixture.c tests/host/cvmfs_image.c \
    fs/volfs_store.c fs/volfs_tree.c fs/volfs.c fs/volfs_dir.c fs/volfs_ops.c fs/sync.c \
    tests/host/voldev.c
HOST_LIB_OBJS := $(HOST_LIB_SRCS:%.c=$(HOST_BUILD)/%.o) $(HOST_BUILD)/arch/x86_64/call_on_stack.o

HOST_TESTS := $(patsubst tests/host/%.c,$(HOST_BUILD)/%,$(wildcard tests/host/test_*.c))

GOLDEN := ../tests/golden

.PHONY: host-tests host-tests-build
host-tests: host-tests-build
	@set -e; for t in $(HOST_TESTS); do \
	    echo "== $$t"; ASAN_OPTIONS=detect_leaks=1 $$t $(GOLDEN); \
	done; \
	echo "== $(HOST_BUILD)/test_overlay read-only"; \
	ASAN_OPTIONS=detect_leaks=1 $(HOST_BUILD)/test_overlay $(GOLDEN) read-only; \
	echo "host-tests: all passed"

host-tests-build: $(HOST_TESTS)

$(HOST_BUILD)/bearssl/%.o: $(BEARSSL)/src/%.c $(BEARSSL)/.fetched
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_BEARSSL_CFLAGS) -c $< -o $@

$(HOST_BUILD)/crypto/%.o: crypto/%.c $(BEARSSL)/.fetched
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CRYPTO_CFLAGS) -c $< -o $@

$(HOST_BUILD)/%.o: %.S
	@mkdir -p $(dir $@)
	$(HOST_CC) -D__ASSEMBLY__ -I. -c $< -o $@

$(HOST_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(HOST_CC) $(HOST_CFLAGS) -MMD -MP -c $< -o $@

$(HOST_BUILD)/test_%: $(HOST_BUILD)/tests/host/test_%.o $(HOST_LIB_OBJS) \
        $(HOST_CRYPTO_OBJS) $(HOST_BEARSSL_OBJS)
	$(HOST_CC) $(HOST_CFLAGS) -o $@ $^

# test_tdx: platform/tdx/ against the TDX module + hostile VMM model
# (tdx_model.c stands in for tdcall.S); only this binary links them.
HOST_TDX_SRCS := platform/tdx/vmcall.c platform/tdx/info.c platform/tdx/pio.c \
    platform/tdx/mmio.c platform/tdx/shared.c platform/tdx/attest.c \
    platform/tdx/accept.c platform/tdx/hob.c platform/tdx/mode.c platform/tdx/tdvf.c \
    platform/tdx/ve.c platform/tdx/quote.c platform/tdx/kbs_channel.c platform/tdx/smp_td.c \
    tests/host/tdx_model.c
HOST_TDX_OBJS := $(HOST_TDX_SRCS:%.c=$(HOST_BUILD)/%.o)
$(HOST_BUILD)/test_tdx: $(HOST_TDX_OBJS)
$(HOST_BUILD)/test_td_boot: $(HOST_TDX_OBJS)
$(HOST_BUILD)/test_td_ve: $(HOST_TDX_OBJS)

# The device layer over fake devices (fake_virtio.c stands in for the bus
# and shared memory); test_vnet adds the virtio-net driver.
HOST_VIRTIO_OBJS := $(HOST_BUILD)/drivers/virtio/virtio.o $(HOST_BUILD)/tests/host/fake_virtio.o
$(HOST_BUILD)/test_virtio_dev: $(HOST_VIRTIO_OBJS)
$(HOST_BUILD)/test_vnet: $(HOST_VIRTIO_OBJS) $(HOST_BUILD)/drivers/virtio/net.o

-include $(shell find $(HOST_BUILD) -name '*.d' 2>/dev/null)

# Keep the objects between runs (they are intermediates of the pattern rules).
.SECONDARY: $(HOST_LIB_OBJS) $(HOST_CRYPTO_OBJS) $(HOST_BEARSSL_OBJS) $(HOST_TDX_OBJS) \
    $(HOST_VIRTIO_OBJS) $(HOST_BUILD)/drivers/virtio/net.o \
    $(HOST_TESTS:$(HOST_BUILD)/%=$(HOST_BUILD)/tests/host/%.o)

# The crypto stack depth check must not see the dynamic linker's lazy
# binding (it saves the whole XSAVE state on whatever stack is current).
$(HOST_BUILD)/test_crypto_wipe: HOST_CFLAGS += -Wl,-z,now

# Tests may use BearSSL directly (e.g. SHA-256 of golden files).
$(HOST_BUILD)/tests/host/test_%.o: HOST_CFLAGS += -I$(BEARSSL)/inc
$(HOST_BUILD)/tests/host/fixture.o: HOST_CFLAGS += -I$(BEARSSL)/inc
