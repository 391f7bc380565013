/* segv: dies from SIGSEGV by writing through a null pointer.
 * Both volatiles matter: the pointer's value must be loaded at run time and
 * the store must be emitted, or gcc -O2 deletes it as undefined behaviour. */
#include <stdio.h>

int main(void)
{
    volatile int *volatile nowhere = NULL;

    puts("segv: about to write through NULL");
    fflush(stdout);
    *nowhere = 1;
    return 0;
}
