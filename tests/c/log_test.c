/* Logs to a C callback and metrics as text, from C. */
#include "cinnox.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct seen {
    int lines;
    int listening;
    int shutting_down;
};

static void on_log(void *userdata, uint32_t level, const char *target, const char *message) {
    struct seen *s = userdata;
    s->lines++;
    if (strstr(message, "receiver listening on 127.0.0.1:") && level == CINNOX_LOG_INFO &&
        strncmp(target, "cinnox::receiver", 16) == 0) {
        s->listening++;
    }
    if (strstr(message, "shutting down")) s->shutting_down++;
}

/* GET /metrics on 127.0.0.1:port; the status line, into `line`. */
static int scrape(uint16_t port, char *line, size_t size) {
    struct sockaddr_in a;
    const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    char buf[65536];
    size_t got = 0;
    ssize_t n;
    char *end;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { close(fd); return -1; }
    if (write(fd, req, sizeof req - 1) != (ssize_t)(sizeof req - 1)) { close(fd); return -1; }
    while (got < sizeof buf - 1 && (n = read(fd, buf + got, sizeof buf - 1 - got)) > 0) got += (size_t)n;
    close(fd);
    buf[got] = 0;
    end = strstr(buf, "\r\n");
    if (!end || (size_t)(end - buf) >= size) return -1;
    memcpy(line, buf, (size_t)(end - buf));
    line[end - buf] = 0;
    return strstr(buf, "\r\n\r\n# HELP ") ? 0 : -1;
}

int main(void) {
    struct seen seen = {0, 0, 0};
    cinnox_receiver *rx = NULL;
    char *text = NULL;
    int before;

    printf("level 6: %s\n", cinnox_result_name(cinnox_set_log_callback(6, on_log, &seen)));
    if (cinnox_set_log_callback(CINNOX_LOG_INFO, on_log, &seen) != CINNOX_OK) return 1;
    if (cinnox_receiver_new("127.0.0.1:0", "/hook", &rx) != CINNOX_OK) return 1;
    printf("listening lines: %d\n", seen.listening);
    printf("metrics null: %s\n", cinnox_result_name(cinnox_receiver_metrics(rx, NULL)));
    if (cinnox_receiver_metrics(rx, &text) != CINNOX_OK) return 1;
    printf("metrics: %s\n",
           strstr(text, "# TYPE cinnox_webhook_requests_total counter\n") ? "yes" : "no");
    cinnox_string_free(text);
    cinnox_string_free(NULL);
    {
        /* GET /metrics on an address of its own. */
        cinnox_receiver_config_builder *builder = NULL;
        cinnox_receiver_config *config = NULL;
        cinnox_receiver *served = NULL;
        char line[64] = "";
        uint16_t port;
        if (cinnox_receiver_config_builder_new("/hook", &builder) != CINNOX_OK) return 1;
        printf("metrics bind 'localhost': %s\n",
               cinnox_result_name(
                   cinnox_receiver_config_builder_set_metrics_bind(builder, "localhost")));
        printf("metrics bind NULL: %s\n",
               cinnox_result_name(cinnox_receiver_config_builder_set_metrics_bind(builder, NULL)));
        if (cinnox_receiver_config_builder_set_metrics_bind(builder, "127.0.0.1:0") != CINNOX_OK)
            return 1;
        if (cinnox_receiver_config_builder_build(builder, &config) != CINNOX_OK) return 1;
        if (cinnox_receiver_new_with_config("127.0.0.1:0", config, &served) != CINNOX_OK) return 1;
        cinnox_receiver_config_free(config);
        port = cinnox_receiver_metrics_port(served);
        printf("ports: %s, without: %u, NULL: %u\n", port != 0 ? "served" : "none",
               (unsigned)cinnox_receiver_metrics_port(rx), (unsigned)cinnox_receiver_metrics_port(NULL));
        if (scrape(port, line, sizeof line) != 0) return 1;
        printf("scrape: %s\n", line);
        cinnox_receiver_free(served);
    }
    /* Replaced by nothing: no more lines. */
    if (cinnox_set_log_callback(CINNOX_LOG_TRACE, NULL, NULL) != CINNOX_OK) return 1;
    before = seen.lines;
    cinnox_receiver_free(rx);
    printf("lines after turning off: %d, shutting down lines: %d\n", seen.lines - before,
           seen.shutting_down);
    return 0;
}
