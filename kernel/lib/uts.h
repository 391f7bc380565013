/*
 * uts.h: what the kernel says it is: uname(2), /proc/version and
 * /proc/sys/kernel/{ostype,osrelease,version,hostname,domainname} read
 * these, so they always agree.
 */
#ifndef CVMIFY_LIB_UTS_H
#define CVMIFY_LIB_UTS_H

#define UTS_SYSNAME "Linux"
#define UTS_NODENAME "cvmify"
#define UTS_RELEASE "6.1.0-cvmify"
#define UTS_VERSION "#1 cvmify library OS"
#define UTS_MACHINE "x86_64"
#define UTS_DOMAINNAME "(none)"

#endif
