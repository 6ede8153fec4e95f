/*
 * relay/listen.c: "ADDR:PORT" ("[v6]:PORT" too) into a socket address, for the API listener
 * (server.c, and main.c's start-up checks) and the metrics listener (metrics_server.c).
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "relay.h"

bool relay_parse_listen(const char *s, void *ssp, unsigned *len, bool *loopback)
{
    struct sockaddr_storage *ss = ssp;
    char host[256];
    const char *colon = strrchr(s, ':');
    if (colon == NULL || colon == s || colon[1] == '\0')
        return false;
    size_t hl = (size_t)(colon - s);
    if (s[0] == '[') {              /* [v6]:port */
        if (hl < 3 || s[hl - 1] != ']')
            return false;
        memcpy(host, s + 1, hl - 2);
        host[hl - 2] = '\0';
    } else {
        if (hl >= sizeof host)
            return false;
        memcpy(host, s, hl);
        host[hl] = '\0';
    }
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port < 0 || port > 65535)
        return false;
    struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
                             .ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || ai == NULL)
        return false;
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *len = (unsigned)ai->ai_addrlen;
    freeaddrinfo(ai);
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        *loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    } else {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        *loopback = memcmp(&in6->sin6_addr, &in6addr_loopback, sizeof in6addr_loopback) == 0;
    }
    return true;
}
