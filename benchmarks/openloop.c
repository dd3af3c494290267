/* An open-loop HTTP/1.1 load generator in C: benchmarks/openloop.py's schedule, without the
 * Python interpreter's ceiling.
 *
 *   openloop HOST PORT TIMEOUT_S MAX_CONNECTIONS REQUEST_FILE RATE:SECONDS [RATE:SECONDS ...]
 *
 * The Python generator tops out near 2,000 requests a second per process, so on a 2-core machine
 * it could not offer twice the API's sustainable rate: it fell seconds behind its own schedule and
 * the overload figures measured the generator. This one sends the same schedule from one thread
 * and one epoll loop at a fraction of a core.
 *
 * Semantics are those of benchmarks/openloop.py: request i of a phase is due at
 * begin + i / rate and its latency counts from then (no coordinated omission); requests wait for
 * an idle keep-alive connection, and connections are opened as needed up to MAX_CONNECTIONS; a
 * request waiting longer than TIMEOUT_S for a connection, or unanswered TIMEOUT_S after it was
 * sent, counts as a timeout (its connection is dropped); a request whose connection fails counts
 * as a connection error. The run ends TIMEOUT_S + 1 s after the last request is due.
 *
 * REQUEST_FILE holds the exact bytes of one request (sent again and again). Answers must carry a
 * Content-Length (every answer of the API does); "Connection: close" is honoured.
 *
 * stdout: one line per request, in due order: "phase due_s latency_s status late_s", where
 * phase is the index of its RATE:SECONDS argument, due_s counts from the start of the schedule,
 * status is the HTTP status, -1 for a timeout or -2 for a connection error, and late_s is how long
 * after its due time the generator sent it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_STATUS (-1)
#define CONNECTION_ERROR_STATUS (-2)
#define HEADER_MAX 16384
#define SWEEP_S 0.05

enum state { CONNECTING, IDLE, BUSY, CLOSED };

struct conn {
    int fd;
    enum state state;
    long request;      /* index of the request on the wire, when BUSY */
    double sent_at;
    char header[HEADER_MAX];
    size_t header_len;
    int header_done;
    int status;
    int closing;       /* the answer said "Connection: close" */
    long long body_left;
};

static double *due, *latency, *late;
static int *phase_of, *status_of;
static long total;

static struct conn *conns;
static int max_conns, open_conns, opening;
static int *idle;
static int idle_count;
static int busy_count;
static int epoll_fd;
static struct sockaddr_storage address;
static socklen_t address_len;
static char *request_bytes;
static size_t request_len;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void record(long index, int status, double now) {
    status_of[index] = status;
    latency[index] = now - due[index];
}

static void close_conn(int slot) {
    struct conn *c = &conns[slot];
    if (c->state == CLOSED) return;
    if (c->state == IDLE) {
        for (int i = 0; i < idle_count; i++) {
            if (idle[i] == slot) {
                idle[i] = idle[--idle_count];
                break;
            }
        }
    }
    if (c->state == BUSY) busy_count--;
    if (c->state == CONNECTING) opening--;
    else open_conns--;
    epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->state = CLOSED;
}

static long next_assign, released;

static void send_request(int slot, long index, double now) {
    struct conn *c = &conns[slot];
    c->state = BUSY;
    c->request = index;
    c->sent_at = now;
    c->header_len = 0;
    c->header_done = 0;
    c->closing = 0;
    c->body_left = 0;
    late[index] = now - due[index];
    busy_count++;
    size_t sent = 0;
    while (sent < request_len) {
        ssize_t n = write(c->fd, request_bytes + sent, request_len - sent);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) { /* a request of a few hundred bytes never fills a fresh socket buffer */
            record(index, CONNECTION_ERROR_STATUS, now);
            close_conn(slot);
            return;
        }
        sent += (size_t)n;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)slot};
    epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void give(int slot, double now) {
    if (next_assign < released) {
        send_request(slot, next_assign++, now);
    } else {
        conns[slot].state = IDLE;
        idle[idle_count++] = slot;
    }
}

static int free_slot(void) {
    for (int i = 0; i < max_conns; i++)
        if (conns[i].state == CLOSED) return i;
    return -1;
}

static void open_conn(double now) {
    int slot = free_slot();
    if (slot < 0) return;
    int fd = socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct conn *c = &conns[slot];
    c->fd = fd;
    c->state = CONNECTING;
    opening++;
    int rc = connect(fd, (struct sockaddr *)&address, address_len);
    struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)slot};
    epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
    if (rc < 0 && errno != EINPROGRESS) {
        close_conn(slot);
        if (next_assign < released) record(next_assign++, CONNECTION_ERROR_STATUS, now);
    }
}

static void on_writable(int slot, double now) {
    struct conn *c = &conns[slot];
    if (c->state != CONNECTING) return;
    int error = 0;
    socklen_t len = sizeof error;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &len);
    if (error != 0) {
        close_conn(slot);  /* the connection failed: so does the oldest waiting request */
        if (next_assign < released) record(next_assign++, CONNECTION_ERROR_STATUS, now);
        return;
    }
    opening--;
    open_conns++;
    c->state = IDLE;  /* give() decides */
    give(slot, now);
}

static void parse_header(struct conn *c) {
    /* "HTTP/1.1 200 OK\r\n...": the status, Content-Length and Connection of an answer. */
    c->status = atoi(c->header + 9);
    c->body_left = 0;
    char *line = strstr(c->header, "\r\n");
    while (line != NULL) {
        line += 2;
        if (strncasecmp(line, "content-length:", 15) == 0) {
            c->body_left = atoll(line + 15);
        } else if (strncasecmp(line, "connection:", 11) == 0) {
            const char *value = line + 11;
            while (*value == ' ' || *value == '\t') value++;
            if (strncasecmp(value, "close", 5) == 0) c->closing = 1;
        }
        line = strstr(line, "\r\n");
    }
}

static void on_readable(int slot, double now) {
    struct conn *c = &conns[slot];
    char buffer[65536];
    for (;;) {
        ssize_t n = read(c->fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        if (n <= 0) {
            if (c->state == BUSY) record(c->request, CONNECTION_ERROR_STATUS, now);
            close_conn(slot);
            return;
        }
        if (c->state != BUSY) continue;  /* bytes nobody asked for: ignore */
        size_t offset = 0;
        if (!c->header_done) {
            size_t room = HEADER_MAX - 1 - c->header_len;
            size_t take = (size_t)n < room ? (size_t)n : room;
            memcpy(c->header + c->header_len, buffer, take);
            size_t before = c->header_len;
            c->header_len += take;
            c->header[c->header_len] = '\0';
            char *end = strstr(c->header, "\r\n\r\n");
            if (end == NULL) {
                if (c->header_len >= HEADER_MAX - 1) {  /* not an answer we understand */
                    record(c->request, CONNECTION_ERROR_STATUS, now);
                    close_conn(slot);
                    return;
                }
                continue;
            }
            size_t header_end = (size_t)(end - c->header) + 4;
            end[2] = '\0';
            parse_header(c);
            c->header_done = 1;
            offset = header_end - before;  /* where the body starts in this read */
        }
        c->body_left -= (long long)((size_t)n - offset);
        if (c->body_left <= 0) {
            record(c->request, c->status, now);
            busy_count--;
            if (c->closing) {  /* no longer busy (counted above): close it as an idle one */
                c->state = IDLE;
                close_conn(slot);
                return;
            }
            give(slot, now);
            return;
        }
    }
}

static void sweep(double now, double timeout) {
    for (int i = 0; i < max_conns; i++) {
        struct conn *c = &conns[i];
        if (c->state == BUSY && now - c->sent_at > timeout) {
            record(c->request, TIMEOUT_STATUS, now);
            close_conn(i);
        }
    }
    while (next_assign < released && now - due[next_assign] > timeout)
        record(next_assign++, TIMEOUT_STATUS, now);
}

static int resolve(const char *host, const char *port) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *found;
    if (getaddrinfo(host, port, &hints, &found) != 0) return -1;
    memcpy(&address, found->ai_addr, found->ai_addrlen);
    address_len = found->ai_addrlen;
    freeaddrinfo(found);
    return 0;
}

static int read_request(const char *path) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) return -1;
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fseek(file, 0, SEEK_SET);
    request_bytes = malloc((size_t)size);
    request_len = fread(request_bytes, 1, (size_t)size, file);
    fclose(file);
    return request_len == (size_t)size && size > 0 ? 0 : -1;
}

int main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr,
                "usage: %s HOST PORT TIMEOUT_S MAX_CONNECTIONS REQUEST_FILE RATE:SECONDS...\n",
                argv[0]);
        return 2;
    }
    double timeout = atof(argv[3]);
    max_conns = atoi(argv[4]);
    if (resolve(argv[1], argv[2]) != 0 || read_request(argv[5]) != 0 || timeout <= 0 ||
        max_conns <= 0) {
        fprintf(stderr, "openloop: bad host, port, timeout, connections or request file\n");
        return 2;
    }
    int phases = argc - 6;
    double *rates = calloc((size_t)phases, sizeof *rates);
    double *seconds = calloc((size_t)phases, sizeof *seconds);
    total = 0;
    for (int p = 0; p < phases; p++) {
        if (sscanf(argv[6 + p], "%lf:%lf", &rates[p], &seconds[p]) != 2 || rates[p] <= 0 ||
            seconds[p] <= 0) {
            fprintf(stderr, "openloop: a phase is RATE:SECONDS, both positive\n");
            return 2;
        }
        total += (long)(rates[p] * seconds[p]);
    }
    if (total == 0) return 0;
    struct rlimit limit = {.rlim_cur = (rlim_t)max_conns + 64, .rlim_max = (rlim_t)max_conns + 64};
    struct rlimit current;
    getrlimit(RLIMIT_NOFILE, &current);
    if (current.rlim_cur < limit.rlim_cur && setrlimit(RLIMIT_NOFILE, &limit) != 0) {
        if (current.rlim_max > current.rlim_cur) {
            current.rlim_cur = current.rlim_max;
            setrlimit(RLIMIT_NOFILE, &current);
        }
        if ((rlim_t)max_conns + 64 > current.rlim_cur) max_conns = (int)current.rlim_cur - 64;
    }

    due = calloc((size_t)total, sizeof *due);
    latency = calloc((size_t)total, sizeof *latency);
    late = calloc((size_t)total, sizeof *late);
    phase_of = calloc((size_t)total, sizeof *phase_of);
    status_of = calloc((size_t)total, sizeof *status_of);
    conns = calloc((size_t)max_conns, sizeof *conns);
    idle = calloc((size_t)max_conns, sizeof *idle);
    for (int i = 0; i < max_conns; i++) conns[i].state = CLOSED;

    double start = now_s() + 0.1, begin = start;
    long index = 0;
    for (int p = 0; p < phases; p++) {
        long count = (long)(rates[p] * seconds[p]);
        for (long k = 0; k < count; k++, index++) {
            due[index] = begin + (double)k / rates[p];
            phase_of[index] = p;
        }
        begin += seconds[p];
    }

    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event events[512];
    double next_sweep = 0.0;
    for (;;) {
        double now = now_s();
        while (released < total && due[released] <= now) released++;
        while (next_assign < released && idle_count > 0) {
            int slot = idle[--idle_count];
            send_request(slot, next_assign++, now);
        }
        while (released - next_assign > opening && open_conns + opening < max_conns) {
            int before = opening;
            open_conn(now);
            if (opening == before) break;  /* no descriptor or no slot: try again later */
        }
        if (now >= next_sweep) {
            sweep(now, timeout);
            next_sweep = now + SWEEP_S;
        }
        if (released == total && next_assign == total && busy_count == 0) break;
        if (released == total && now - due[total - 1] > timeout + 1) break;
        int wait_ms = 1;
        if (released < total && due[released] <= now) wait_ms = 0;
        int n = epoll_wait(epoll_fd, events, 512, wait_ms);
        now = now_s();
        for (int e = 0; e < n; e++) {
            int slot = (int)events[e].data.u32;
            if (conns[slot].state == CLOSED) continue;
            if (conns[slot].state == CONNECTING) {
                on_writable(slot, now);
            } else {
                on_readable(slot, now);
            }
        }
    }
    double end = now_s();
    for (long i = 0; i < total; i++) {
        if (status_of[i] == 0) record(i, TIMEOUT_STATUS, end);  /* never sent or answered */
        printf("%d %.6f %.6f %d %.6f\n", phase_of[i], due[i] - start, latency[i], status_of[i],
               late[i]);
    }
    return 0;
}
