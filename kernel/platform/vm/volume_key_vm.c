/* volume_key_vm.c: platform_volume_key of the VM backend: the host's
 * development keys (platform.h). */
#include "platform/platform.h"
#include "platform/vm/volume_key.h"

int platform_volume_key(u32 index, u8 key[32])
{
    return fwcfg_volume_key(index, key);
}
