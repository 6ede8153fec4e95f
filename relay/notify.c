/*
 * relay/notify.c: the systemd readiness protocol (sd_notify(3)) without libsystemd: one
 * datagram of `VAR=value` lines to the AF_UNIX socket named by $NOTIFY_SOCKET, a path or, with a
 * leading '@', an abstract name. Nothing happens when the variable is unset (not started by
 * systemd with Type=notify) or names something else; a failed send is logged at debug level only,
 * as the service manager decides for itself what a missing READY=1 means.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "relay.h"

void relay_notify(const char *state)
{
    const char *name = getenv("NOTIFY_SOCKET");
    if (name == NULL || (name[0] != '/' && name[0] != '@'))
        return;
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    size_t n = strlen(name);
    if (n < 2 || n >= sizeof sa.sun_path) {
        relay_log(LOG_DEBUG, "event=notify error=\"NOTIFY_SOCKET is too long\"");
        return;
    }
    memcpy(sa.sun_path, name, n);
    if (name[0] == '@')
        sa.sun_path[0] = '\0';            /* abstract: no terminating NUL counts */
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
                                (name[0] == '@' ? 0 : 1));
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return;
    ssize_t sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
    int err = errno;
    close(fd);
    if (sent < 0)
        relay_log(LOG_DEBUG, "event=notify error=\"%s\"", strerror(err));
}

void relay_notify_reloading(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    char msg[64];
    /* MONOTONIC_USEC: what Type=notify-reload (systemd 253+) wants with RELOADING=1. */
    snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000U);
    relay_notify(msg);
}
