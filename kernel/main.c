#include "lib/kprintf.h"
#include "platform/platform.h"
#include "measure/measure.h"
void kmain(u64 boot_info_pa);
void kmain(u64 boot_info_pa)
{
    measure_kernel_image();
    platform_console_init();
    kprintf("cvmify: hello %lx\n", boot_info_pa);
    measurements_log();
    platform_poweroff(POWEROFF_APP_EXIT);
}
