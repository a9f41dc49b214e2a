// The whole CINNOX flow from C# through P/Invoke, against the library's local sandbox:
// sandbox, receiver, subscribe, trigger a call start, receive it, ack, unsubscribe.
//
//   mcs -out:CinnoxExample.exe examples/csharp/CinnoxExample.cs
//   LD_LIBRARY_PATH=target/release mono CinnoxExample.exe
//
// Prints what it got; exits 1 on any failure.
using System;
using System.Runtime.InteropServices;
using System.Threading;

static class Native
{
    const string Lib = "cinnox"; // libcinnox.so, found on the library path

    public const uint OK = 0;
    public const uint EventKindCall = 1;
    public const uint EventTypeCallStart = 2;

    // cinnox_party and cinnox_call (strings are borrowed: read them with Str).
    [StructLayout(LayoutKind.Sequential)]
    public struct Party { public IntPtr Eid, Number; }

    [StructLayout(LayoutKind.Sequential)]
    public struct Call { public IntPtr Id, ServiceId; public Party Caller; public IntPtr Callees; public UIntPtr CalleeCount; }

    // Strings handed out are borrowed from the library: IntPtr, never freed by the marshaller.
    [DllImport(Lib)] public static extern IntPtr cinnox_last_error_message();
    [DllImport(Lib)] public static extern IntPtr cinnox_result_name(uint result);
    [DllImport(Lib)] public static extern uint cinnox_sandbox_start(out IntPtr sb);
    [DllImport(Lib)] public static extern void cinnox_sandbox_free(IntPtr sb);
    [DllImport(Lib)] public static extern IntPtr cinnox_sandbox_base_url(IntPtr sb);
    [DllImport(Lib)] public static extern uint cinnox_sandbox_add_app(IntPtr sb, string appId, string appToken);
    [DllImport(Lib)] public static extern uint cinnox_sandbox_trigger_call_start(IntPtr sb, string callId, string caller, string callee, uint wire, out IntPtr result);
    [DllImport(Lib)] public static extern UIntPtr cinnox_trigger_result_count(IntPtr r);
    [DllImport(Lib)] [return: MarshalAs(UnmanagedType.I1)] public static extern bool cinnox_trigger_result_delivered(IntPtr r, UIntPtr i);
    [DllImport(Lib)] public static extern UIntPtr cinnox_trigger_result_attempts(IntPtr r, UIntPtr i);
    [DllImport(Lib)] public static extern ushort cinnox_trigger_result_status(IntPtr r, UIntPtr i, UIntPtr attempt);
    [DllImport(Lib)] public static extern void cinnox_trigger_result_free(IntPtr r);
    [DllImport(Lib)] public static extern uint cinnox_receiver_new(string bind, string path, out IntPtr rx);
    [DllImport(Lib)] public static extern ushort cinnox_receiver_port(IntPtr rx);
    [DllImport(Lib)] public static extern uint cinnox_receiver_recv(IntPtr rx, uint timeoutMs, out IntPtr delivery);
    [DllImport(Lib)] public static extern void cinnox_receiver_free(IntPtr rx);
    [DllImport(Lib)] public static extern IntPtr cinnox_delivery_event(IntPtr d);
    [DllImport(Lib)] public static extern uint cinnox_delivery_ack(IntPtr d);
    [DllImport(Lib)] public static extern uint cinnox_event_get_type(IntPtr ev);
    [DllImport(Lib)] public static extern IntPtr cinnox_event_call(IntPtr ev);
    [DllImport(Lib)] public static extern uint cinnox_client_new(string baseUrl, string appToken, out IntPtr client);
    [DllImport(Lib)] public static extern void cinnox_client_free(IntPtr client);
    [DllImport(Lib)] public static extern uint cinnox_client_subscribe(IntPtr c, string appId, uint kind, string url, out IntPtr sub);
    [DllImport(Lib)] public static extern uint cinnox_client_unsubscribe(IntPtr c, string appId, uint kind, string url, out IntPtr sub);
    [DllImport(Lib)] [return: MarshalAs(UnmanagedType.I1)] public static extern bool cinnox_subscription_enabled(IntPtr sub);
    [DllImport(Lib)] public static extern IntPtr cinnox_subscription_url(IntPtr sub);
    [DllImport(Lib)] public static extern void cinnox_subscription_free(IntPtr sub);

    /// A borrowed NUL-terminated UTF-8 string; null for NULL.
    public static string Str(IntPtr p) => p == IntPtr.Zero ? null : Marshal.PtrToStringAnsi(p);

    /// Throws with the library's message unless r is OK.
    public static void Check(uint r, string what)
    {
        if (r != OK)
            throw new Exception($"{what}: {Str(cinnox_result_name(r))}: {Str(cinnox_last_error_message())}");
    }
}

static class CinnoxExample
{
    static int Main()
    {
        IntPtr sb = IntPtr.Zero, rx = IntPtr.Zero, client = IntPtr.Zero;
        try
        {
            Native.Check(Native.cinnox_sandbox_start(out sb), "sandbox");
            Native.Check(Native.cinnox_sandbox_add_app(sb, "csharp-app", "csharp-token"), "add app");
            Native.Check(Native.cinnox_receiver_new("127.0.0.1:0", "/cinnox/example", out rx), "receiver");
            string url = $"http://127.0.0.1:{Native.cinnox_receiver_port(rx)}/cinnox/example";
            Native.Check(Native.cinnox_client_new(Native.Str(Native.cinnox_sandbox_base_url(sb)), "csharp-token", out client), "client");

            Native.Check(Native.cinnox_client_subscribe(client, "csharp-app", Native.EventKindCall, url, out IntPtr sub), "subscribe");
            Console.WriteLine($"subscribed call {Native.Str(Native.cinnox_subscription_url(sub))} enabled={(Native.cinnox_subscription_enabled(sub) ? "true" : "false")}");
            Native.cinnox_subscription_free(sub);

            // The trigger blocks until the receiver answers, so it runs on its own thread.
            uint triggered = uint.MaxValue;
            IntPtr result = IntPtr.Zero;
            IntPtr sandbox = sb;
            var trigger = new Thread(() =>
                triggered = Native.cinnox_sandbox_trigger_call_start(sandbox, "call-example-1", "+85291234567", "85212345678", 0, out result));
            trigger.IsBackground = true;
            trigger.Start();

            Native.Check(Native.cinnox_receiver_recv(rx, 10000, out IntPtr delivery), "recv");
            IntPtr ev = Native.cinnox_delivery_event(delivery);
            uint type = Native.cinnox_event_get_type(ev);
            if (type != Native.EventTypeCallStart)
                throw new Exception($"not a call start: type {type}");
            var call = Marshal.PtrToStructure<Native.Call>(Native.cinnox_event_call(ev));
            var callee = Marshal.PtrToStructure<Native.Party>(call.Callees);
            Console.WriteLine($"call start {Native.Str(call.Id)} from {Native.Str(call.Caller.Number)} to {Native.Str(callee.Number)}");
            Native.Check(Native.cinnox_delivery_ack(delivery), "ack");

            trigger.Join();
            Native.Check(triggered, "trigger");
            var statuses = new System.Collections.Generic.List<string>();
            for (ulong a = 0; a < (ulong)Native.cinnox_trigger_result_attempts(result, UIntPtr.Zero); a++)
                statuses.Add(Native.cinnox_trigger_result_status(result, UIntPtr.Zero, (UIntPtr)a).ToString());
            bool delivered = (ulong)Native.cinnox_trigger_result_count(result) == 1
                && Native.cinnox_trigger_result_delivered(result, UIntPtr.Zero);
            Console.WriteLine($"trigger delivered={(delivered ? "true" : "false")} statuses={string.Join(",", statuses)}");
            Native.cinnox_trigger_result_free(result);

            Native.Check(Native.cinnox_client_unsubscribe(client, "csharp-app", Native.EventKindCall, url, out sub), "unsubscribe");
            Console.WriteLine($"unsubscribed enabled={(Native.cinnox_subscription_enabled(sub) ? "true" : "false")}");
            Native.cinnox_subscription_free(sub);
            if (!delivered)
                throw new Exception("the call start was not delivered");
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            Environment.Exit(1); // at once: a trigger may still be running on its thread
        }
        Native.cinnox_client_free(client);
        Native.cinnox_receiver_free(rx);
        Native.cinnox_sandbox_free(sb);
        return 0;
    }
}
