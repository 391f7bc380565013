/*
 * host_requests.h: applying the launcher's requests (control channel).
 */
#ifndef CVMIFY_PROC_HOST_REQUESTS_H
#define CVMIFY_PROC_HOST_REQUESTS_H

/* From now on control_poll applies host requests to the app (called
 * once the first task and its fds exist). */
void host_requests_start(void);

#endif
