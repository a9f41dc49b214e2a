<?php
// The whole CINNOX flow from PHP through its FFI extension, against the library's local
// sandbox: sandbox, receiver, subscribe, trigger a call start, receive it, ack, unsubscribe.
//
//   CINNOX_LIB=target/release/libcinnox.so php -d ffi.enable=1 examples/php/cinnox_example.php
//
// PHP runs one thread and a trigger blocks until the receiver answers, so the sandbox (the
// CINNOX side) runs in a child process forked before anything starts, as CINNOX would run
// elsewhere; the two talk over a socket pair. Prints what it got; exits 1 on any failure.

declare(strict_types=1);

// The part of include/cinnox.h this example uses.
$cinnox = FFI::cdef(<<<'C'
typedef uint32_t cinnox_result;
typedef struct cinnox_sandbox cinnox_sandbox;
typedef struct cinnox_trigger_result cinnox_trigger_result;
typedef struct cinnox_receiver cinnox_receiver;
typedef struct cinnox_delivery cinnox_delivery;
typedef struct cinnox_event cinnox_event;
typedef struct cinnox_client cinnox_client;
typedef struct cinnox_subscription cinnox_subscription;
typedef struct cinnox_party { const char *eid; const char *number; } cinnox_party;
typedef struct cinnox_call {
    const char *id; const char *service_id; cinnox_party caller;
    const cinnox_party *callees; size_t callee_count;
} cinnox_call;
const char *cinnox_last_error_message(void);
const char *cinnox_result_name(uint32_t result);
cinnox_result cinnox_sandbox_start(cinnox_sandbox **out);
void cinnox_sandbox_free(cinnox_sandbox *sb);
const char *cinnox_sandbox_base_url(const cinnox_sandbox *sb);
cinnox_result cinnox_sandbox_add_app(const cinnox_sandbox *sb, const char *app_id, const char *app_token);
cinnox_result cinnox_sandbox_trigger_call_start(const cinnox_sandbox *sb, const char *call_id,
    const char *caller_number, const char *callee_number, uint32_t wire_flags, cinnox_trigger_result **out);
size_t cinnox_trigger_result_count(const cinnox_trigger_result *r);
bool cinnox_trigger_result_delivered(const cinnox_trigger_result *r, size_t i);
size_t cinnox_trigger_result_attempts(const cinnox_trigger_result *r, size_t i);
uint16_t cinnox_trigger_result_status(const cinnox_trigger_result *r, size_t i, size_t attempt);
void cinnox_trigger_result_free(cinnox_trigger_result *r);
cinnox_result cinnox_receiver_new(const char *bind_addr, const char *path, cinnox_receiver **out);
uint16_t cinnox_receiver_port(const cinnox_receiver *rx);
cinnox_result cinnox_receiver_recv(const cinnox_receiver *rx, uint32_t timeout_ms, cinnox_delivery **out);
void cinnox_receiver_free(cinnox_receiver *rx);
const cinnox_event *cinnox_delivery_event(const cinnox_delivery *d);
cinnox_result cinnox_delivery_ack(cinnox_delivery *d);
uint32_t cinnox_event_get_type(const cinnox_event *ev);
const cinnox_call *cinnox_event_call(const cinnox_event *ev);
cinnox_result cinnox_client_new(const char *base_url, const char *app_token, cinnox_client **out);
void cinnox_client_free(cinnox_client *client);
cinnox_result cinnox_client_subscribe(const cinnox_client *c, const char *app_id, uint32_t kind, const char *url, cinnox_subscription **out);
cinnox_result cinnox_client_unsubscribe(const cinnox_client *c, const char *app_id, uint32_t kind, const char *url, cinnox_subscription **out);
bool cinnox_subscription_enabled(const cinnox_subscription *sub);
const char *cinnox_subscription_url(const cinnox_subscription *sub);
void cinnox_subscription_free(cinnox_subscription *sub);
C, getenv('CINNOX_LIB') ?: 'libcinnox.so');

const CINNOX_OK = 0;
const CINNOX_EVENT_KIND_CALL = 1;
const CINNOX_EVENT_TYPE_CALL_START = 2;

/** Throws with the library's message unless $r is CINNOX_OK. */
function check(FFI $cinnox, int $r, string $what): void
{
    if ($r !== CINNOX_OK) {
        throw new RuntimeException("$what: {$cinnox->cinnox_result_name($r)}: {$cinnox->cinnox_last_error_message()}");
    }
}

/** A fresh `T *` to pass by address as an out-parameter. */
function out(FFI $cinnox, string $type): FFI\CData
{
    return $cinnox->new("$type *");
}

/** The CINNOX side: a sandbox that triggers a call start when the other side asks. */
function cinnox_side(FFI $cinnox, $sock): int
{
    $sb = out($cinnox, 'cinnox_sandbox');
    check($cinnox, $cinnox->cinnox_sandbox_start(FFI::addr($sb)), 'sandbox');
    try {
        check($cinnox, $cinnox->cinnox_sandbox_add_app($sb, 'php-app', 'php-token'), 'add app');
        fwrite($sock, $cinnox->cinnox_sandbox_base_url($sb) . "\n");
        if (trim((string)fgets($sock)) !== 'trigger') {
            return 1;
        }
        $r = out($cinnox, 'cinnox_trigger_result');
        check($cinnox, $cinnox->cinnox_sandbox_trigger_call_start(
            $sb, 'call-example-1', '+85291234567', '85212345678', 0, FFI::addr($r)), 'trigger');
        $statuses = [];
        for ($a = 0; $a < $cinnox->cinnox_trigger_result_attempts($r, 0); $a++) {
            $statuses[] = $cinnox->cinnox_trigger_result_status($r, 0, $a);
        }
        $delivered = $cinnox->cinnox_trigger_result_count($r) === 1 && $cinnox->cinnox_trigger_result_delivered($r, 0);
        $cinnox->cinnox_trigger_result_free($r);
        fwrite($sock, 'trigger delivered=' . ($delivered ? 'true' : 'false') . ' statuses=' . implode(',', $statuses) . "\n");
        fgets($sock); // serve the unsubscribe until the other side is done
        return 0;
    } finally {
        $cinnox->cinnox_sandbox_free($sb);
    }
}

/** The application side: receiver, client, subscribe, receive, ack, unsubscribe. */
function application_side(FFI $cinnox, $sock): void
{
    $base = trim((string)fgets($sock));
    if ($base === '') {
        throw new RuntimeException('the sandbox did not start');
    }
    $rx = out($cinnox, 'cinnox_receiver');
    check($cinnox, $cinnox->cinnox_receiver_new('127.0.0.1:0', '/cinnox/example', FFI::addr($rx)), 'receiver');
    $client = out($cinnox, 'cinnox_client');
    try {
        $url = "http://127.0.0.1:{$cinnox->cinnox_receiver_port($rx)}/cinnox/example";
        check($cinnox, $cinnox->cinnox_client_new($base, 'php-token', FFI::addr($client)), 'client');

        $sub = out($cinnox, 'cinnox_subscription');
        check($cinnox, $cinnox->cinnox_client_subscribe($client, 'php-app', CINNOX_EVENT_KIND_CALL, $url, FFI::addr($sub)), 'subscribe');
        echo "subscribed call {$cinnox->cinnox_subscription_url($sub)} enabled="
            . ($cinnox->cinnox_subscription_enabled($sub) ? 'true' : 'false') . "\n";
        $cinnox->cinnox_subscription_free($sub);

        fwrite($sock, "trigger\n");
        $d = out($cinnox, 'cinnox_delivery');
        check($cinnox, $cinnox->cinnox_receiver_recv($rx, 10000, FFI::addr($d)), 'recv');
        $ev = $cinnox->cinnox_delivery_event($d);
        $type = $cinnox->cinnox_event_get_type($ev);
        if ($type !== CINNOX_EVENT_TYPE_CALL_START) {
            throw new RuntimeException("not a call start: type $type");
        }
        $call = $cinnox->cinnox_event_call($ev);
        $callee = $call->callees[0];
        echo 'call start ' . FFI::string($call->id) . ' from ' . FFI::string($call->caller->number)
            . ' to ' . FFI::string($callee->number) . "\n";
        check($cinnox, $cinnox->cinnox_delivery_ack($d), 'ack');

        $line = trim((string)fgets($sock));
        echo "$line\n";

        check($cinnox, $cinnox->cinnox_client_unsubscribe($client, 'php-app', CINNOX_EVENT_KIND_CALL, $url, FFI::addr($sub)), 'unsubscribe');
        echo 'unsubscribed enabled=' . ($cinnox->cinnox_subscription_enabled($sub) ? 'true' : 'false') . "\n";
        $cinnox->cinnox_subscription_free($sub);
        if ($line !== 'trigger delivered=true statuses=200') {
            throw new RuntimeException('the call start was not delivered');
        }
    } finally {
        $cinnox->cinnox_client_free($client);
        $cinnox->cinnox_receiver_free($rx);
    }
}

[$parent, $child] = stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP);
$pid = pcntl_fork();
if ($pid === -1) {
    fwrite(STDERR, "error: cannot fork\n");
    exit(1);
}
if ($pid === 0) {
    fclose($parent);
    try {
        $code = cinnox_side($cinnox, $child);
    } catch (Throwable $e) {
        fwrite(STDERR, "error (sandbox): {$e->getMessage()}\n");
        $code = 1;
    }
    exit($code);
}
fclose($child);
try {
    application_side($cinnox, $parent);
    fwrite($parent, "done\n");
    pcntl_waitpid($pid, $status);
    if (!pcntl_wifexited($status) || pcntl_wexitstatus($status) !== 0) {
        throw new RuntimeException('the sandbox process failed');
    }
} catch (Throwable $e) {
    fwrite(STDERR, "error: {$e->getMessage()}\n");
    posix_kill($pid, SIGKILL);
    exit(1);
}
