/* Logs to a C callback and metrics as text, from C. */
#include "cinnox.h"

#include <stdio.h>
#include <string.h>

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
    /* Replaced by nothing: no more lines. */
    if (cinnox_set_log_callback(CINNOX_LOG_TRACE, NULL, NULL) != CINNOX_OK) return 1;
    before = seen.lines;
    cinnox_receiver_free(rx);
    printf("lines after turning off: %d, shutting down lines: %d\n", seen.lines - before,
           seen.shutting_down);
    return 0;
}
