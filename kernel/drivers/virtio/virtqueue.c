/*
 * virtqueue.c: split virtqueue with a private shadow; the one place where
 * device-written ring values are checked (see virtqueue.h for the rules).
 */
#include "drivers/virtio/virtqueue.h"
#include "lib/string.h"
#include "syscalls/linux_abi/errno.h"

/* Order our ring writes before the index/notify, and the device's index
 * before its ring entries. A full fence is cheap next to an MMIO exit. */
static inline void vq_fence(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static size_t align_up_size(size_t value, size_t align)
{
	return (value + align - 1) & ~(align - 1);
}

static size_t avail_offset(u16 size)
{
	return (size_t)size * sizeof(struct vring_desc);
}

static size_t used_offset(u16 size)
{
	/* avail: flags, idx, ring[size], used_event */
	size_t avail_end = avail_offset(size) + 2 * sizeof(u16) + (size_t)size * sizeof(u16) +
	                   sizeof(u16);
	return align_up_size(avail_end, 4096);
}

size_t vq_ring_bytes(u16 size)
{
	/* used: flags, idx, ring[size], avail_event */
	size_t used_size = 2 * sizeof(u16) + (size_t)size * sizeof(struct vring_used_elem) +
	                   sizeof(u16);
	return align_up_size(used_offset(size) + used_size, 4096);
}

static bool is_power_of_two(u16 value)
{
	return value != 0 && (value & (value - 1)) == 0;
}

int vq_init(struct virtqueue *vq, u16 index, u16 size, void *ring_virt, u64 ring_phys,
            void (*notify)(void *ctx, u16 queue_index), void *notify_ctx)
{
	if (!is_power_of_two(size) || size > VQ_MAX_SIZE || ring_virt == NULL || notify == NULL)
		return -EINVAL;
	memset(vq, 0, sizeof(*vq));
	memset(ring_virt, 0, vq_ring_bytes(size));
	vq->index = index;
	vq->size = size;
	vq->desc = (volatile struct vring_desc *)ring_virt;
	vq->avail = (volatile struct vring_avail *)((u8 *)ring_virt + avail_offset(size));
	vq->used = (volatile struct vring_used *)((u8 *)ring_virt + used_offset(size));
	vq->desc_phys = ring_phys;
	vq->avail_phys = ring_phys + avail_offset(size);
	vq->used_phys = ring_phys + used_offset(size);
	for (u16 i = 0; i < size; i++)
		vq->slots[i].next = (u16)(i + 1);
	vq->free_head = 0;
	vq->free_count = size;
	vq->notify = notify;
	vq->notify_ctx = notify_ctx;
	vq->avail->flags = VRING_AVAIL_F_NO_INTERRUPT; /* completions are polled */
	return 0;
}

static u16 take_free_slot(struct virtqueue *vq)
{
	u16 slot = vq->free_head;
	vq->free_head = vq->slots[slot].next;
	vq->free_count--;
	return slot;
}

static void give_free_slot(struct virtqueue *vq, u16 slot)
{
	vq->slots[slot].next = vq->free_head;
	vq->slots[slot].chained = false;
	vq->free_head = slot;
	vq->free_count++;
}

int vq_add(struct virtqueue *vq, const struct vq_buf *bufs, u16 out_count, u16 in_count,
           void *cookie)
{
	u32 total = (u32)out_count + in_count;
	u32 writable = 0;

	if (vq->broken)
		return -EIO;
	if (total == 0 || bufs == NULL)
		return -EINVAL;
	if (total > vq->free_count)
		return -EAGAIN;
	for (u32 i = out_count; i < total; i++) {
		if (writable + bufs[i].size < writable)
			return -EINVAL;
		writable += bufs[i].size;
	}

	u16 head = take_free_slot(vq);
	u16 cur = head;
	for (u32 i = 0; i < total; i++) {
		bool last = i + 1 == total;
		u16 next = last ? 0 : take_free_slot(vq);
		u16 flags = (u16)((i >= out_count ? VRING_DESC_F_WRITE : 0) |
		                  (last ? 0 : VRING_DESC_F_NEXT));
		vq->desc[cur].addr = bufs[i].phys;
		vq->desc[cur].len = bufs[i].size;
		vq->desc[cur].flags = flags;
		vq->desc[cur].next = next;
		vq->slots[cur].chained = !last;
		if (!last)
			vq->slots[cur].next = next;
		cur = next;
	}
	vq->slots[head].head_in_flight = true;
	vq->slots[head].chain_count = (u16)total;
	vq->slots[head].writable_size = writable;
	vq->slots[head].cookie = cookie;

	vq->avail->ring[vq->avail_idx & (vq->size - 1)] = head;
	vq_fence();
	vq->avail_idx++;
	vq->avail->idx = vq->avail_idx;
	vq->in_flight++;
	vq->unkicked++;
	return 0;
}

void vq_kick(struct virtqueue *vq)
{
	if (vq->unkicked == 0 || vq->broken)
		return;
	vq->unkicked = 0;
	vq_fence(); /* avail->idx is visible before we read the device's flag */
	if (vq->used->flags & VRING_USED_F_NO_NOTIFY)
		return;
	vq->notify(vq->notify_ctx, vq->index);
}

int vq_submit(struct virtqueue *vq, const struct vq_buf *bufs, u16 out_count,
              u16 in_count, void *cookie)
{
	int err = vq_add(vq, bufs, out_count, in_count, cookie);
	if (err == 0)
		vq_kick(vq);
	return err;
}

/* Return a completed chain to the free list, walking our own links only. */
static void release_chain(struct virtqueue *vq, u16 head)
{
	u16 cur = head;
	u16 count = vq->slots[head].chain_count;

	vq->slots[head].head_in_flight = false;
	vq->slots[head].cookie = NULL;
	for (u16 i = 0; i < count; i++) {
		u16 next = vq->slots[cur].next;
		bool chained = vq->slots[cur].chained;
		give_free_slot(vq, cur);
		if (!chained)
			break;
		cur = next;
	}
}

static int mark_broken(struct virtqueue *vq)
{
	vq->broken = true;
	return -EIO;
}

int vq_poll(struct virtqueue *vq, void **cookie, u32 *written)
{
	if (vq->broken)
		return -EIO;

	u16 device_idx = vq->used->idx;   /* read once */
	u16 pending = (u16)(device_idx - vq->last_used);
	if (pending == 0)
		return 0;
	if (pending > vq->in_flight)
		return mark_broken(vq);
	vq_fence();

	u16 pos = vq->last_used & (vq->size - 1);
	u32 id = vq->used->ring[pos].id;     /* read once */
	u32 len = vq->used->ring[pos].len;   /* read once */
	if (id >= vq->size)
		return mark_broken(vq);
	if (!vq->slots[id].head_in_flight)
		return mark_broken(vq);
	if (len > vq->slots[id].writable_size)
		return mark_broken(vq);

	*cookie = vq->slots[id].cookie;
	*written = len;
	release_chain(vq, (u16)id);
	vq->last_used++;
	vq->in_flight--;
	return 1;
}

void vq_interrupts(struct virtqueue *vq, bool on)
{
	vq->avail->flags = on ? 0 : VRING_AVAIL_F_NO_INTERRUPT;
	vq_fence(); /* the flag is visible before we look at used->idx again */
}

bool vq_has_pending(const struct virtqueue *vq)
{
	return vq->broken || vq->used->idx != vq->last_used;
}
