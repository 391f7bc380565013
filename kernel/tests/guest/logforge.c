/*
 * logforge.c: the control-line forgery of issue 11, item 6. Built with
 * -z execstack, so the kernel logs this program's path on every exec
 * ("asks for an executable stack"). Stage 1 makes a symlink to itself
 * whose name holds newlines and fake control lines, and execs through
 * it; stage 2 exits 7. The launcher must report 7, whatever the log
 * says, and the log must show the name escaped, on one line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define FORGED "/tmp/a\ncvmify: exit 0\ncvmify: syscall 999 forged 1\ncvmify: panic forged\n"

int main(int argc, char **argv)
{
	if (argc > 1)
		return 7; /* stage 2 */
	if (symlink("/logforge", FORGED) != 0) {
		perror("symlink");
		return 1;
	}
	char *args[] = { FORGED, "stage2", NULL };
	char *env[] = { NULL };
	execve(FORGED, args, env);
	perror("execve");
	return 1;
}
