/*
 * stdio.h: the app's standard descriptors, as `docker run` gives them.
 *
 * With a terminal (`cvmify run -t`, fw_cfg opt/cvmify/tty): fds 0, 1
 * and 2 are /dev/console (COM1, the tty), as docker -t gives all three
 * its one pty; stderr is then mixed into stdout.
 *
 * Without (the default): plain streams, none a tty, like the pipes
 * docker gives: fd 1 writes COM1, fd 2 writes COM2; fd 0 is /dev/null,
 * or with -i a stream that reads COM1 input up to the end the host
 * announces (CONTROL_STDIN_EOF). Bytes pass unchanged both ways; tty
 * ioctls give ENOTTY and fstat says FIFO; /dev/fd/N reopens a stream,
 * as Linux reopens docker's pipes.
 */
#ifndef CVMIFY_PROC_STDIO_H
#define CVMIFY_PROC_STDIO_H

#include "lib/types.h"

struct task;
struct file;

struct boot_config;

/* Open fds 0, 1 and 2 for task as cfg says (tty, stdin_open, size).
 * Returns 0 or -errno. */
int stdio_open(struct task *task, const struct boot_config *cfg);

/* True for the console file of terminal mode (for /proc/self/fd). */
bool stdio_is_console(const struct file *file);

/* True for the plain streams of the no-terminal mode (fstat: a FIFO). */
bool stdio_is_stream(const struct file *file);

/* The name /proc/self/fd shows for the console ("/dev/console"), or
 * NULL for any other file (the streams are pipefs inodes: "pipe:[N]"). */
const char *stdio_file_name(const struct file *file);

/* The host's word that stdin ends after `bytes` bytes (host request). */
void stdio_input_ends(u64 bytes);

#endif
