/* Drives the client C API against a mock CINNOX whose base URL is argv[1].
 * The mock answers, in order: success (with updatedAt), success without updatedAt,
 * an API error 400/6452000, then a proxy's HTML page with 502. */
#include "cinnox.h"

#include <stdio.h>
#include <string.h>

static void print_error(const char *what, cinnox_result r) {
    printf("%s: %s http=%u api=%lld msg=%s\n", what, cinnox_result_name(r),
           (unsigned)cinnox_last_error_http_status(),
           (long long)cinnox_last_error_api_code(), cinnox_last_error_message());
}

int main(int argc, char **argv) {
    cinnox_client_builder *builder = NULL;
    cinnox_client *client = NULL;
    cinnox_subscription *sub = NULL;
    cinnox_result r;
    if (argc < 2) {
        fprintf(stderr, "usage: client_test BASE_URL\n");
        return 2;
    }
    r = cinnox_client_builder_new(argv[1], "secret-token-123", &builder);
    if (r != CINNOX_OK) {
        print_error("new", r);
        return 1;
    }
    /* One attempt only, short timeouts. */
    if (cinnox_client_builder_set_retry(builder, 1, 10, 10, 100) != CINNOX_OK) return 1;
    if (cinnox_client_builder_set_timeouts(builder, 2000, 2000) != CINNOX_OK) return 1;
    if (cinnox_client_builder_set_user_agent(builder, "client-test/1") != CINNOX_OK) return 1;
    r = cinnox_client_builder_build(builder, &client);
    if (r != CINNOX_OK) {
        print_error("build", r);
        return 1;
    }

    r = cinnox_client_subscribe(client, "app-1", CINNOX_EVENT_KIND_CALL,
                                "http://127.0.0.1:9/hook", &sub);
    if (r != CINNOX_OK) {
        print_error("subscribe", r);
        return 1;
    }
    printf("subscribe: enabled=%d url=%s updated_at=%s error=\"%s\"\n",
           cinnox_subscription_enabled(sub), cinnox_subscription_url(sub),
           cinnox_subscription_updated_at(sub), cinnox_last_error_message());
    cinnox_subscription_free(sub);
    sub = NULL;

    r = cinnox_client_unsubscribe(client, "app-1", CINNOX_EVENT_KIND_INBOUND_SMS,
                                  "http://127.0.0.1:9/hook", &sub);
    if (r != CINNOX_OK) {
        print_error("unsubscribe", r);
        return 1;
    }
    printf("unsubscribe: enabled=%d url=%s updated_at=%s\n", cinnox_subscription_enabled(sub),
           cinnox_subscription_url(sub),
           cinnox_subscription_updated_at(sub) ? cinnox_subscription_updated_at(sub) : "(null)");
    cinnox_subscription_free(sub);
    sub = NULL;

    r = cinnox_client_set_subscription(client, "app-1", CINNOX_EVENT_KIND_OUTBOUND_SMS, true,
                                       "http://127.0.0.1:9/hook", &sub);
    print_error("api error", r);
    printf("out untouched: %d\n", sub == NULL);

    r = cinnox_client_set_subscription_slug(client, "app-1", "fax-event-sub", true,
                                            "http://127.0.0.1:9/hook", &sub);
    print_error("proxy page", r);
    printf("secret leaked: %d\n", strstr(cinnox_last_error_message(), "secret-token") != NULL);

    /* Rejected before anything is sent. */
    r = cinnox_client_subscribe(client, "app-1", 42, "http://127.0.0.1:9/hook", &sub);
    print_error("bad kind", r);
    r = cinnox_client_subscribe(client, "app-1", CINNOX_EVENT_KIND_CALL, "ftp://x/", &sub);
    printf("bad url: %s\n", cinnox_result_name(r));
    if (cinnox_client_builder_new(argv[1], "t", &builder) != CINNOX_OK) return 1;
    r = cinnox_client_builder_set_retry(builder, 0, 1, 1, 1);
    printf("zero attempts: %s\n", cinnox_result_name(r));
    cinnox_client_builder_free(builder);

    cinnox_client_free(client);
    return 0;
}
