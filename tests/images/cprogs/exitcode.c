/* exitcode N: exits with status N (0..255); no argument means 0.
 * Lets a test check that the guest's exit status reaches the host. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    int status = 0;

    if (argc > 1)
        status = atoi(argv[1]);
    printf("exitcode: exiting with %d\n", status);
    return status & 0xff;
}
