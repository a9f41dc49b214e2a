// The whole CINNOX flow from Java through JNA, against the library's local sandbox:
// sandbox, receiver, subscribe, trigger a call start, receive it, ack, unsubscribe.
//
//   javac -cp /usr/share/java/jna.jar -d build CinnoxExample.java
//   CINNOX_LIB=target/release/libcinnox.so java -cp /usr/share/java/jna.jar:build CinnoxExample
//
// Prints what it got; exits 1 on any failure. Written for 64-bit Linux (size_t is long).
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.PointerByReference;

public class CinnoxExample {
    /** The part of include/cinnox.h this example uses. C bool is returned as byte. */
    public interface Cinnox extends Library {
        int CINNOX_OK = 0;
        int CINNOX_EVENT_KIND_CALL = 1;
        int CINNOX_EVENT_TYPE_CALL_START = 2;

        String cinnox_last_error_message();
        String cinnox_result_name(int result);
        int cinnox_sandbox_start(PointerByReference out);
        void cinnox_sandbox_free(Pointer sb);
        String cinnox_sandbox_base_url(Pointer sb);
        int cinnox_sandbox_add_app(Pointer sb, String appId, String appToken);
        int cinnox_sandbox_trigger_call_start(Pointer sb, String callId, String caller, String callee,
                int wire, PointerByReference out);
        long cinnox_trigger_result_count(Pointer r);
        byte cinnox_trigger_result_delivered(Pointer r, long i);
        long cinnox_trigger_result_attempts(Pointer r, long i);
        short cinnox_trigger_result_status(Pointer r, long i, long attempt);
        void cinnox_trigger_result_free(Pointer r);
        int cinnox_receiver_new(String bind, String path, PointerByReference out);
        short cinnox_receiver_port(Pointer rx);
        int cinnox_receiver_recv(Pointer rx, int timeoutMs, PointerByReference out);
        void cinnox_receiver_free(Pointer rx);
        Pointer cinnox_delivery_event(Pointer d);
        int cinnox_delivery_ack(Pointer d);
        int cinnox_event_get_type(Pointer ev);
        CallView cinnox_event_call(Pointer ev);
        int cinnox_client_new(String baseUrl, String appToken, PointerByReference out);
        void cinnox_client_free(Pointer client);
        int cinnox_client_subscribe(Pointer c, String appId, int kind, String url, PointerByReference out);
        int cinnox_client_unsubscribe(Pointer c, String appId, int kind, String url, PointerByReference out);
        byte cinnox_subscription_enabled(Pointer sub);
        String cinnox_subscription_url(Pointer sub);
        void cinnox_subscription_free(Pointer sub);
    }

    /** cinnox_party. */
    @Structure.FieldOrder({"eid", "number"})
    public static class Party extends Structure {
        public String eid;
        public String number;
        public Party() {}
        public Party(Pointer p) { super(p); read(); }
    }

    /** cinnox_call, borrowed from its event. */
    @Structure.FieldOrder({"id", "service_id", "caller", "callees", "callee_count"})
    public static class CallView extends Structure {
        public String id;
        public String service_id;
        public Party caller;
        public Pointer callees;
        public long callee_count;
    }

    static Cinnox lib;

    /** Throws with the library's message unless r is CINNOX_OK. */
    static void check(int r, String what) {
        if (r != Cinnox.CINNOX_OK) {
            throw new IllegalStateException(what + ": " + lib.cinnox_result_name(r) + ": "
                    + lib.cinnox_last_error_message());
        }
    }

    public static void main(String[] args) {
        String path = System.getenv().getOrDefault("CINNOX_LIB", "cinnox");
        lib = Native.load(path, Cinnox.class);
        Pointer sb = null, rx = null, client = null;
        try {
            PointerByReference out = new PointerByReference();
            check(lib.cinnox_sandbox_start(out), "sandbox");
            sb = out.getValue();
            check(lib.cinnox_sandbox_add_app(sb, "java-app", "java-token"), "add app");
            check(lib.cinnox_receiver_new("127.0.0.1:0", "/cinnox/example", out), "receiver");
            rx = out.getValue();
            String url = "http://127.0.0.1:" + (lib.cinnox_receiver_port(rx) & 0xffff) + "/cinnox/example";
            check(lib.cinnox_client_new(lib.cinnox_sandbox_base_url(sb), "java-token", out), "client");
            client = out.getValue();

            check(lib.cinnox_client_subscribe(client, "java-app", Cinnox.CINNOX_EVENT_KIND_CALL, url, out), "subscribe");
            Pointer sub = out.getValue();
            System.out.println("subscribed call " + lib.cinnox_subscription_url(sub)
                    + " enabled=" + (lib.cinnox_subscription_enabled(sub) != 0));
            lib.cinnox_subscription_free(sub);

            // The trigger blocks until the receiver answers, so it runs on its own thread.
            final Pointer sandbox = sb;
            final int[] triggered = {-1};
            final Pointer[] result = {null};
            Thread trigger = new Thread(() -> {
                PointerByReference r = new PointerByReference();
                triggered[0] = lib.cinnox_sandbox_trigger_call_start(sandbox, "call-example-1",
                        "+85291234567", "85212345678", 0, r);
                result[0] = r.getValue();
            });
            trigger.start();

            PointerByReference d = new PointerByReference();
            check(lib.cinnox_receiver_recv(rx, 10_000, d), "recv");
            Pointer ev = lib.cinnox_delivery_event(d.getValue());
            if (lib.cinnox_event_get_type(ev) != Cinnox.CINNOX_EVENT_TYPE_CALL_START) {
                throw new IllegalStateException("not a call start: type " + lib.cinnox_event_get_type(ev));
            }
            CallView call = lib.cinnox_event_call(ev);
            Party callee = new Party(call.callees);
            System.out.println("call start " + call.id + " from " + call.caller.number + " to " + callee.number);
            check(lib.cinnox_delivery_ack(d.getValue()), "ack");

            trigger.join();
            check(triggered[0], "trigger");
            Pointer r = result[0];
            StringBuilder statuses = new StringBuilder();
            for (long a = 0; a < lib.cinnox_trigger_result_attempts(r, 0); a++) {
                statuses.append(statuses.length() == 0 ? "" : ",").append(lib.cinnox_trigger_result_status(r, 0, a));
            }
            boolean delivered = lib.cinnox_trigger_result_count(r) == 1 && lib.cinnox_trigger_result_delivered(r, 0) != 0;
            System.out.println("trigger delivered=" + delivered + " statuses=" + statuses);
            lib.cinnox_trigger_result_free(r);

            check(lib.cinnox_client_unsubscribe(client, "java-app", Cinnox.CINNOX_EVENT_KIND_CALL, url, out), "unsubscribe");
            sub = out.getValue();
            System.out.println("unsubscribed enabled=" + (lib.cinnox_subscription_enabled(sub) != 0));
            lib.cinnox_subscription_free(sub);
            if (!delivered) {
                throw new IllegalStateException("the call start was not delivered");
            }
        } catch (Exception e) {
            System.err.println("error: " + e.getMessage());
            System.exit(1);
        } finally {
            lib.cinnox_client_free(client);
            lib.cinnox_receiver_free(rx);
            lib.cinnox_sandbox_free(sb);
        }
    }
}
