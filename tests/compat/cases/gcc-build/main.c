#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "stats.h"

int main(int argc, char **argv)
{
    int count = argc > 1 ? atoi(argv[1]) : 4;
    double *values = calloc(count, sizeof *values);
    char *text = strdup("compiled in the guest");
    if (!values || !text)
        return 1;
    for (int i = 0; i < count; i++)
        values[i] = (i + 1) * 1.5;
    printf("%s: n=%d mean=%.3f stddev=%.3f\n", text, count, mean(values, count),
           stddev(values, count));
    free(values);
    free(text);
    return 0;
}
