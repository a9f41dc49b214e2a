/* Subscribe a webhook URL to the call, inbound-SMS and outbound-SMS events of an app.
 *
 *   subscribe BASE_URL APP_ID WEBHOOK_URL          (App Token from CINNOX_APP_TOKEN)
 *   subscribe --off BASE_URL APP_ID WEBHOOK_URL    (remove the subscriptions)
 *
 * The receiver must already be up at WEBHOOK_URL: CINNOX verifies it while subscribing.
 * Build: cc -std=c99 subscribe.c $(pkg-config --cflags --libs cinnox) */
#include <cinnox.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    static const struct {
        cinnox_event_kind kind;
        const char *name;
    } families[] = {
        {CINNOX_EVENT_KIND_CALL, "call"},
        {CINNOX_EVENT_KIND_INBOUND_SMS, "inbound SMS"},
        {CINNOX_EVENT_KIND_OUTBOUND_SMS, "outbound SMS"},
    };
    bool enable = true;
    const char *token = getenv("CINNOX_APP_TOKEN");
    cinnox_client *client = NULL;
    int failures = 0;
    size_t i;

    if (argc > 1 && strcmp(argv[1], "--off") == 0) {
        enable = false;
        argv++;
        argc--;
    }
    if (argc != 4 || token == NULL) {
        fprintf(stderr, "usage: CINNOX_APP_TOKEN=... subscribe [--off] BASE_URL APP_ID "
                        "WEBHOOK_URL\n");
        return 2;
    }
    if (cinnox_client_new(argv[1], token, &client) != CINNOX_OK) {
        fprintf(stderr, "client: %s\n", cinnox_last_error_message());
        return 1;
    }
    for (i = 0; i < sizeof families / sizeof families[0]; i++) {
        cinnox_subscription *sub = NULL;
        cinnox_result r = cinnox_client_set_subscription(client, argv[2], families[i].kind,
                                                         enable, argv[3], &sub);
        if (r == CINNOX_OK) {
            const char *at = cinnox_subscription_updated_at(sub);
            printf("%-13s %-8s %s%s%s\n", families[i].name,
                   cinnox_subscription_enabled(sub) ? "enabled" : "disabled",
                   cinnox_subscription_url(sub), at ? " updated " : "", at ? at : "");
            cinnox_subscription_free(sub);
        } else {
            /* The detail of the failure: message, HTTP status, CINNOX's API code. */
            printf("%-13s failed   %s (HTTP %u, code %lld): %s\n", families[i].name,
                   cinnox_result_name(r), (unsigned)cinnox_last_error_http_status(),
                   (long long)cinnox_last_error_api_code(), cinnox_last_error_message());
            failures++;
        }
    }
    cinnox_client_free(client);
    return failures ? 1 : 0;
}
