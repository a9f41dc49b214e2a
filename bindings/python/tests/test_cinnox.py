"""The cinnox package against the library's built-in sandbox, on 127.0.0.1 only.

No test sleeps to wait: each synchronises on the event itself (a delivery, a trigger's
return, a thread's end). A watchdog turns a hang into a failure with every thread's stack.
"""

import faulthandler
import logging
import threading
import urllib.request

import pytest

import cinnox

APP = "app-py"
TOKEN = "token-py-0123456789"
WAIT = 20.0


@pytest.fixture(autouse=True)
def watchdog():
    faulthandler.dump_traceback_later(120, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def sandbox():
    with cinnox.Sandbox(app_id=APP, app_token=TOKEN) as sb:
        yield sb


@pytest.fixture
def client(sandbox):
    with cinnox.Client(sandbox.base_url, TOKEN) as c:
        yield c


def in_thread(fn):
    """Run ``fn`` on a thread; ``.result()`` joins it and gives its value (or raises)."""
    box = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as e:  # handed to the caller
            box["error"] = e

    t = threading.Thread(target=run)
    t.start()

    class Pending:
        @staticmethod
        def result():
            t.join(WAIT * 3)
            assert not t.is_alive(), "the thread did not finish"
            if "error" in box:
                raise box["error"]
            return box["value"]

    return Pending


def test_whole_flow(sandbox, client):
    with cinnox.Receiver("127.0.0.1:0") as rx:
        assert rx.port > 0
        assert rx.url == f"http://127.0.0.1:{rx.port}{rx.path}"
        for kind in (cinnox.EventKind.CALL, cinnox.EventKind.INBOUND_SMS, cinnox.EventKind.OUTBOUND_SMS):
            sub = client.subscribe(APP, kind, rx.url)
            assert sub.enabled and sub.url == rx.url and sub.updated_at
        assert sandbox.subscription_count == 3

        pending = in_thread(lambda: sandbox.trigger_call_start("call-1", "+85211112222", "+85233334444"))
        with rx.recv(timeout=WAIT) as d:
            ev = d.event
        assert isinstance(ev, cinnox.CallStart)
        assert ev.id == "call-1"
        assert ev.caller.number == "+85211112222"
        assert [p.number for p in ev.callees] == ["+85233334444"]
        assert b'"call-1"' in ev.raw and ev.dedup_key
        records = pending.result()
        assert [(r.delivered, r.statuses) for r in records] == [(True, (200,))]
        assert records[0].attempts == 1 and records[0].latency > 0

        pending = in_thread(lambda: sandbox.trigger_call_end("call-1"))
        d = rx.recv(timeout=WAIT)
        assert isinstance(d.event, cinnox.CallEnd) and d.event.id == "call-1"
        d.ack()
        assert d.answered
        with pytest.raises(cinnox.Closed):
            d.ack()
        assert pending.result()[0].statuses == (200,)

        pending = in_thread(lambda: sandbox.trigger_inbound_sms("+85255556666", "+85277778888", "hello 你好"))
        with rx.recv(timeout=WAIT) as d:
            sms = d.event
        assert isinstance(sms, cinnox.InboundSms)
        assert (sms.sender_number, sms.recipient_number) == ("+85255556666", "+85277778888")
        assert sms.content == "hello 你好"
        assert sms.content_bytes == "hello 你好".encode()
        assert pending.result()[0].delivered

        pending = in_thread(lambda: sandbox.trigger_delivery_report("tx-9", "Undelivered"))
        with rx.recv(timeout=WAIT) as d:
            report = d.event
        assert isinstance(report, cinnox.DeliveryReport)
        assert report.transaction_id == "tx-9"
        assert report.status is cinnox.DeliveryStatus.UNDELIVERED
        assert pending.result()[0].statuses == (200,)

        stats = rx.stats()
        assert (stats.events, stats.acks, stats.fails) == (4, 4, 0)
        assert stats.challenges == 3

        off = client.unsubscribe(APP, cinnox.EventKind.CALL, rx.url)
        assert not off.enabled
        assert sandbox.trigger_call_start() == ()


def test_failed_delivery_is_redelivered(client):
    with cinnox.Sandbox(APP, TOKEN, redelivery_delays=[0.01]) as sb, cinnox.Receiver() as rx:
        cinnox.Client(sb.base_url, TOKEN).subscribe(APP, cinnox.EventKind.INBOUND_SMS, rx.url)
        pending = in_thread(lambda: sb.trigger_inbound_sms(content="again"))
        first = rx.recv(timeout=WAIT)
        first.fail()
        with rx.recv(timeout=WAIT) as second:
            assert second.event.id == first.event.id
        assert pending.result()[0].statuses == (500, 200)


def test_handler_exception_fails_the_event_and_it_is_redelivered(caplog):
    seen = []

    def handler(event):
        seen.append(event)
        if len(seen) == 1:
            raise RuntimeError("the first attempt fails")

    with cinnox.Sandbox(APP, TOKEN, redelivery_delays=[0.01]) as sb, cinnox.Receiver() as rx:
        cinnox.Client(sb.base_url, TOKEN).subscribe(APP, cinnox.EventKind.CALL, rx.url)
        serving = in_thread(lambda: rx.serve(handler, workers=2))
        with caplog.at_level(logging.ERROR, logger="cinnox"):
            records = sb.trigger_call_start("call-exc")
        rx.shutdown()
        serving.result()
        assert (rx.stats().fails, rx.stats().acks) == (1, 1)
    assert records[0].statuses == (500, 200)
    assert [e.id for e in seen] == ["call-exc", "call-exc"]
    assert any("the first attempt fails" in (r.exc_text or "") for r in caplog.records)


def test_handler_can_shut_serve_down(sandbox, client):
    with cinnox.Receiver() as rx:
        client.subscribe(APP, cinnox.EventKind.CALL, rx.url)

        def handler(event):
            rx.shutdown()

        serving = in_thread(lambda: rx.serve(handler))
        assert sandbox.trigger_call_start()[0].statuses == (200,)
        serving.result()
        with pytest.raises(cinnox.Closed):
            rx.recv(timeout=1)


def test_closing_the_receiver_from_its_handler_ends_serve(sandbox, client):
    rx = cinnox.Receiver()
    client.subscribe(APP, cinnox.EventKind.CALL, rx.url)
    serving = in_thread(lambda: rx.serve(lambda event: rx.close()))
    assert sandbox.trigger_call_start()[0].statuses == (200,)
    serving.result()
    assert rx.closed
    with pytest.raises(cinnox.Closed):
        rx.recv(timeout=1)


def test_bad_token_is_an_api_error_with_cinnox_code(sandbox):
    with cinnox.Client(sandbox.base_url, "not-the-token") as c:
        with pytest.raises(cinnox.ApiError) as info:
            c.subscribe(APP, cinnox.EventKind.CALL, "http://127.0.0.1:9/cinnox/x")
    e = info.value
    assert e.api_code == 6452000
    assert e.kind == "api"
    assert e.http_status is not None and e.http_status >= 400
    assert "not-the-token" not in str(e)
    assert isinstance(e, cinnox.Error)


def test_invalid_arguments_raise_invalid_argument(sandbox, client):
    with pytest.raises(cinnox.InvalidArgument) as info:
        cinnox.Receiver("not an address")
    assert info.value.kind == "invalid_argument"
    assert isinstance(info.value, ValueError)
    with pytest.raises(cinnox.InvalidArgument):
        cinnox.Receiver(path="/")
    with pytest.raises(cinnox.InvalidArgument):
        cinnox.Client("not a url", TOKEN)
    with pytest.raises(cinnox.InvalidArgument):
        client.subscribe("", cinnox.EventKind.CALL, "http://127.0.0.1:9/x")
    with pytest.raises(cinnox.InvalidArgument):
        cinnox.Receiver(metrics_bind="localhost")
    with pytest.raises(cinnox.BadRequest):
        cinnox.parse(b"[1,")
    with pytest.raises(cinnox.WrongType):
        cinnox.parse(b'{"challenge":"abc"}')
    with pytest.raises(cinnox.IoError):
        cinnox.Inbox("/proc/no/such/dir/inbox.db")


FAMILIES = (
    "call, inbound-sms, outbound-sms, inquiry, recording, external-contact, staff-contact, "
    "label, inquiry-label"
)


def test_families_are_named_as_the_cli_names_them(sandbox, client):
    with cinnox.Receiver("127.0.0.1:0") as rx:
        for name in ("call", "inbound-sms", "outbound-sms-event-sub"):
            sub = client.subscribe(APP, name, rx.url)
            assert sub.enabled and sub.url == rx.url
        assert sandbox.subscription_count == 3
        pending = in_thread(lambda: sandbox.trigger_call_start("call-by-name"))
        with rx.recv(timeout=WAIT) as d:
            assert isinstance(d.event, cinnox.CallStart) and d.event.id == "call-by-name"
        assert [r.statuses for r in pending.result()] == [(200,)]
        pending = in_thread(lambda: sandbox.trigger_json("inbound-sms", '{"id":"by-name"}'))
        with rx.recv(timeout=WAIT) as d:
            assert d.event.raw == b'{"id":"by-name"}'
        assert [r.statuses for r in pending.result()] == [(200,)]
        sub = client.unsubscribe(APP, "call", rx.url)
        assert not sub.enabled
        # A slug this package does not know goes to CINNOX as it is: the sandbox refuses it.
        with pytest.raises(cinnox.ApiError) as info:
            client.subscribe(APP, "fax-event-sub", rx.url)
        assert (info.value.http_status, info.value.api_code) == (400, 6450001)
        assert info.value.message.endswith(f"url: /v1/api/apps/{APP}/fax-event-sub"), info.value
    assert ", ".join(k.short_name for k in cinnox.EventKind) == FAMILIES
    assert cinnox.EventKind.from_name("inquiry-label") is cinnox.EventKind.INQUIRY_LABEL
    assert cinnox.EventKind.INBOUND_SMS.slug == "inbound-sms-event-sub"
    for bad in ("sms", "CALL", "", "call ", "f\u00e4x-event-sub"):
        with pytest.raises(ValueError) as info:
            client.subscribe(APP, bad, "http://127.0.0.1:9/x")
        assert isinstance(info.value, cinnox.InvalidArgument)
        assert str(info.value) == (
            f"unknown event family {bad!r} (one of: {FAMILIES}; or a slug such as "
            "'call-event-sub')"
        )
    with pytest.raises(cinnox.InvalidArgument) as info:
        client.subscribe(APP, 1.0, "http://127.0.0.1:9/x")
    assert str(info.value) == (
        f"an event family is an EventKind or one of its names ({FAMILIES}), not float 1.0"
    )
    with pytest.raises(cinnox.InvalidArgument):
        sandbox.trigger_json("fax-event-sub", "{}")


def test_recv_times_out_and_close_wakes_a_waiting_recv():
    rx = cinnox.Receiver()
    with pytest.raises(cinnox.Timeout) as info:
        rx.recv(timeout=0.05)
    assert isinstance(info.value, TimeoutError)
    started = threading.Event()

    def wait():
        started.set()
        return rx.recv()

    waiting = in_thread(wait)
    started.wait(WAIT)
    rx.close()
    with pytest.raises(cinnox.Closed):
        waiting.result()
    assert rx.closed
    rx.close()  # idempotent


def test_iterating_a_receiver_yields_deliveries_until_it_is_shut_down(sandbox, client):
    with cinnox.Receiver() as rx:
        client.subscribe(APP, cinnox.EventKind.INBOUND_SMS, rx.url)
        pending = in_thread(lambda: [sandbox.trigger_inbound_sms(content=f"m{i}") for i in range(3)])
        got = []
        for d in rx:
            with d:
                got.append(d.event.content)
            if len(got) == 3:
                rx.shutdown()
        assert got == ["m0", "m1", "m2"]
        assert all(r[0].statuses == (200,) for r in pending.result())


def test_blocking_calls_release_the_gil(sandbox, client):
    """While one thread waits in the library, Python code runs in another: here that code
    is what makes the wait end (the trigger), so holding the GIL would hang the test."""
    with cinnox.Receiver() as rx:
        client.subscribe(APP, cinnox.EventKind.CALL, rx.url)
        # The raw call, without the package's slicing of long waits: one foreign call
        # that returns only once the other thread has run Python code.
        import ctypes

        from cinnox import _ffi

        def raw_wait():
            out = ctypes.c_void_p()
            with rx._h.use() as ptr:
                rc = _ffi.lib.cinnox_receiver_recv(ptr, _ffi.WAIT_FOREVER, ctypes.byref(out))
            assert rc == _ffi.OK
            d = cinnox.Delivery(out.value)
            d.ack()
            return d.event.id

        waiting = in_thread(raw_wait)
        counter = sum(range(100_000))  # pure Python while the other thread is in C
        records = sandbox.trigger_call_start("call-gil")
        assert waiting.result() == "call-gil"
        assert counter == 4999950000
        assert records[0].statuses == (200,)

        # The public recv too, waiting with no timeout.
        def take():
            with rx.recv() as d:
                return d.event.id

        waiting = in_thread(take)
        records = sandbox.trigger_call_start("call-gil-2")
        assert waiting.result() == "call-gil-2"
        assert records[0].statuses == (200,)


def test_wire_variants_parse_the_same(sandbox, client):
    with cinnox.Receiver() as rx:
        client.subscribe(APP, cinnox.EventKind.CALL, rx.url)
        wire = cinnox.Wire.NUMBERS_AS_JSON_NUMBERS | cinnox.Wire.CALLEES_AS_ARRAY | cinnox.Wire.WITHOUT_ENVELOPE
        pending = in_thread(lambda: sandbox.trigger_call_start("call-w", "85211112222", "85233334444", wire=wire))
        with rx.recv(timeout=WAIT) as d:
            ev = d.event
        assert isinstance(ev, cinnox.CallStart)
        assert ev.id == "call-w"
        assert ev.caller.number == "85211112222"
        assert b'"message"' not in ev.raw
        assert pending.result()[0].delivered
        with pytest.raises(cinnox.InvalidArgument):
            sandbox.trigger_call_start(wire=cinnox.Wire(64))


def test_inbox_stores_before_answering_and_retries_then_dead_then_replay(tmp_path, sandbox, client):
    with cinnox.Inbox(str(tmp_path / "inbox.db")) as inbox:
        inbox.set_retry(max_attempts=1)
        with cinnox.Receiver(inbox=inbox) as rx:
            client.subscribe(APP, cinnox.EventKind.INBOUND_SMS, rx.url)
            # Answered 200 once stored, before the application took it.
            assert sandbox.trigger_inbound_sms(content="kept")[0].statuses == (200,)
            assert inbox.stats().pending == 1
            rx.recv(timeout=WAIT).fail()
            stats = inbox.stats()
            assert (stats.pending, stats.dead) == (0, 1)
            assert inbox.replay_dead() == 1
            with inbox.recv(timeout=WAIT) as d:
                assert d.event.content == "kept"
            stats = inbox.stats()
            assert (stats.pending, stats.in_flight, stats.done, stats.dead) == (0, 0, 1, 0)
            assert 'cinnox_inbox_done 1' in rx.metrics()
        with pytest.raises(cinnox.Timeout):
            inbox.recv(timeout=0.05)


def test_stats_read_every_counter_of_the_library(sandbox, client):
    from dataclasses import fields

    from cinnox import _ffi

    names = [_ffi.text(_ffi.lib.cinnox_counter_name(i)) for i in range(1, len(_ffi.COUNTERS) + 2)]
    assert names[:-1] == list(_ffi.COUNTERS)
    assert names[-1] is None, "the library has a counter this package does not read"
    assert [f.name for f in fields(cinnox.ReceiverStats)] == list(_ffi.COUNTERS)
    with cinnox.Receiver() as rx:
        client.subscribe(APP, cinnox.EventKind.CALL, rx.url)
        stats = rx.stats()
        assert (stats.requests, stats.challenges, stats.events) == (1, 1, 0)
        assert (stats.fd_exhaustions, stats.slow_readers, stats.store_failures) == (0, 0, 0)


def test_changed_settings_rebuild_the_client_and_the_inbox(tmp_path, sandbox):
    with cinnox.Client(sandbox.base_url, TOKEN, connect_timeout=2, timeout=5, user_agent="py-test/1") as c:
        with cinnox.Receiver() as rx:
            c.set_retry(1, base_delay=0.01, max_delay=0.02, max_elapsed=1)
            assert c.subscribe(APP, cinnox.EventKind.CALL, rx.url).enabled
            with pytest.raises(cinnox.InvalidArgument):
                c.set_retry(0)
            # A refused change leaves the client as it was.
            assert not c.unsubscribe(APP, cinnox.EventKind.CALL, rx.url).enabled
            # A change while other threads use the client: each call uses one client.
            workers = [
                in_thread(lambda: c.subscribe(APP, cinnox.EventKind.INBOUND_SMS, rx.url))
                for _ in range(4)
            ]
            for attempts in (2, 3, 4):
                c.set_retry(attempts)
            assert all(w.result().enabled for w in workers)
        c.close()
        with pytest.raises(cinnox.Closed):
            c.set_retry(2)
    with cinnox.Inbox(str(tmp_path / "inbox.db")) as inbox:
        with pytest.raises(cinnox.InvalidArgument):
            inbox.set_retry(max_attempts=0)
        inbox.set_retry(max_attempts=2, first_delay=0.0, max_delay=0.0)
        assert inbox.stats().pending == 0
        with cinnox.Receiver(inbox=inbox):
            # The open receiver has the inbox it was made with: a new schedule is refused.
            with pytest.raises(cinnox.InvalidArgument):
                inbox.set_retry(max_attempts=3)
        inbox.set_retry(max_attempts=3)
    with pytest.raises(cinnox.Closed):
        inbox.set_retry(max_attempts=2)


def test_metrics_and_the_metrics_port(sandbox, client):
    with cinnox.Receiver(metrics_bind="127.0.0.1:0") as rx:
        assert rx.metrics_port and rx.metrics_port != rx.port
        client.subscribe(APP, cinnox.EventKind.CALL, rx.url)
        text = rx.metrics()
        assert 'cinnox_webhook_requests_total{outcome="challenge"} 1' in text.splitlines()
        with urllib.request.urlopen(f"http://127.0.0.1:{rx.metrics_port}/metrics", timeout=WAIT) as r:
            assert r.status == 200
            assert r.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
            assert b"cinnox_connections_open" in r.read()
    with cinnox.Receiver() as plain:
        assert plain.metrics_port is None


def test_library_logs_reach_python_logging(caplog):
    cinnox.set_log_level(logging.INFO)
    try:
        with caplog.at_level(logging.INFO):
            with cinnox.Receiver() as rx:
                port = rx.port
        lines = [(r.name, r.levelno, r.getMessage()) for r in caplog.records]
        assert ("cinnox.receiver", logging.INFO, f"receiver listening on 127.0.0.1:{port} with 1 I/O thread(s)") in lines
        assert all(rx.path not in m for _, _, m in lines)
    finally:
        cinnox.set_log_level(None)
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        cinnox.Receiver().close()
    assert not [r for r in caplog.records if r.name.startswith("cinnox.")]


def test_the_package_carries_its_library():
    import pathlib

    from cinnox import _ffi

    lib = pathlib.Path(_ffi.lib._name)
    assert lib.parent == pathlib.Path(cinnox.__file__).parent
    assert cinnox.library_version() == "0.2.0"


def test_readme_example_runs(capsys):
    import pathlib

    readme = pathlib.Path(__file__).resolve().parent.parent / "README.md"
    block = readme.read_text(encoding="utf-8").split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(block, str(readme), "exec"), {})
    assert capsys.readouterr().out.startswith("CallStart(id=")
