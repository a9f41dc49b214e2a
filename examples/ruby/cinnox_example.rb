#!/usr/bin/env ruby
# frozen_string_literal: true

# The whole CINNOX flow from Ruby through the ffi gem, against the library's local sandbox:
# sandbox, receiver, subscribe, trigger a call start, receive it, ack, unsubscribe.
#
#   CINNOX_LIB=target/release/libcinnox.so ruby examples/ruby/cinnox_example.rb
#
# Prints what it got; exits 1 on any failure.
require 'ffi'

$stdout.sync = true

# The part of include/cinnox.h this example uses.
module Cinnox
  extend FFI::Library
  ffi_lib ENV.fetch('CINNOX_LIB', 'cinnox')

  OK = 0
  EVENT_KIND_CALL = 1
  EVENT_TYPE_CALL_START = 2

  # cinnox_party
  class Party < FFI::Struct
    layout :eid, :string, :number, :string
  end

  # cinnox_call, borrowed from its event
  class Call < FFI::Struct
    layout :id, :string, :service_id, :string, :caller, Party, :callees, :pointer, :callee_count, :size_t
  end

  attach_function :cinnox_last_error_message, [], :string
  attach_function :cinnox_result_name, [:uint32], :string
  attach_function :cinnox_sandbox_start, [:pointer], :uint32
  attach_function :cinnox_sandbox_free, [:pointer], :void
  attach_function :cinnox_sandbox_base_url, [:pointer], :string
  attach_function :cinnox_sandbox_add_app, %i[pointer string string], :uint32
  # Blocking calls release Ruby's lock (blocking: true) so that other threads run meanwhile.
  attach_function :cinnox_sandbox_trigger_call_start, %i[pointer string string string uint32 pointer], :uint32,
                  blocking: true
  attach_function :cinnox_trigger_result_count, [:pointer], :size_t
  attach_function :cinnox_trigger_result_delivered, %i[pointer size_t], :bool
  attach_function :cinnox_trigger_result_attempts, %i[pointer size_t], :size_t
  attach_function :cinnox_trigger_result_status, %i[pointer size_t size_t], :uint16
  attach_function :cinnox_trigger_result_free, [:pointer], :void
  attach_function :cinnox_receiver_new, %i[string string pointer], :uint32
  attach_function :cinnox_receiver_port, [:pointer], :uint16
  attach_function :cinnox_receiver_recv, %i[pointer uint32 pointer], :uint32, blocking: true
  attach_function :cinnox_receiver_free, [:pointer], :void, blocking: true
  attach_function :cinnox_delivery_event, [:pointer], :pointer
  attach_function :cinnox_delivery_ack, [:pointer], :uint32
  attach_function :cinnox_event_get_type, [:pointer], :uint32
  attach_function :cinnox_event_call, [:pointer], Call.by_ref
  attach_function :cinnox_client_new, %i[string string pointer], :uint32
  attach_function :cinnox_client_free, [:pointer], :void
  attach_function :cinnox_client_subscribe, %i[pointer string uint32 string pointer], :uint32, blocking: true
  attach_function :cinnox_client_unsubscribe, %i[pointer string uint32 string pointer], :uint32, blocking: true
  attach_function :cinnox_subscription_enabled, [:pointer], :bool
  attach_function :cinnox_subscription_url, [:pointer], :string
  attach_function :cinnox_subscription_free, [:pointer], :void

  # Raises with the library's message unless r is OK.
  def self.check(result, what)
    return if result == OK

    raise "#{what}: #{cinnox_result_name(result)}: #{cinnox_last_error_message}"
  end

  # Calls the block with a fresh out-pointer, checks the result and returns what it got.
  def self.out(what)
    ptr = FFI::MemoryPointer.new(:pointer)
    check(yield(ptr), what)
    ptr.read_pointer
  end
end

sandbox = receiver = client = nil
begin
  sandbox = Cinnox.out('sandbox') { |o| Cinnox.cinnox_sandbox_start(o) }
  Cinnox.check(Cinnox.cinnox_sandbox_add_app(sandbox, 'ruby-app', 'ruby-token'), 'add app')
  receiver = Cinnox.out('receiver') { |o| Cinnox.cinnox_receiver_new('127.0.0.1:0', '/cinnox/example', o) }
  url = "http://127.0.0.1:#{Cinnox.cinnox_receiver_port(receiver)}/cinnox/example"
  base = Cinnox.cinnox_sandbox_base_url(sandbox)
  client = Cinnox.out('client') { |o| Cinnox.cinnox_client_new(base, 'ruby-token', o) }

  sub = Cinnox.out('subscribe') do |o|
    Cinnox.cinnox_client_subscribe(client, 'ruby-app', Cinnox::EVENT_KIND_CALL, url, o)
  end
  puts "subscribed call #{Cinnox.cinnox_subscription_url(sub)} enabled=#{Cinnox.cinnox_subscription_enabled(sub)}"
  Cinnox.cinnox_subscription_free(sub)

  # The trigger blocks until the receiver answers, so it runs on its own thread.
  trigger = Thread.new do
    Cinnox.out('trigger') do |o|
      Cinnox.cinnox_sandbox_trigger_call_start(sandbox, 'call-example-1', '+85291234567', '85212345678', 0, o)
    end
  end

  delivery = Cinnox.out('recv') { |o| Cinnox.cinnox_receiver_recv(receiver, 10_000, o) }
  event = Cinnox.cinnox_delivery_event(delivery)
  type = Cinnox.cinnox_event_get_type(event)
  raise "not a call start: type #{type}" unless type == Cinnox::EVENT_TYPE_CALL_START

  call = Cinnox.cinnox_event_call(event)
  callee = Cinnox::Party.new(call[:callees])
  puts "call start #{call[:id]} from #{call[:caller][:number]} to #{callee[:number]}"
  Cinnox.check(Cinnox.cinnox_delivery_ack(delivery), 'ack')

  result = trigger.value
  statuses = (0...Cinnox.cinnox_trigger_result_attempts(result, 0)).map do |a|
    Cinnox.cinnox_trigger_result_status(result, 0, a)
  end
  delivered = Cinnox.cinnox_trigger_result_count(result) == 1 && Cinnox.cinnox_trigger_result_delivered(result, 0)
  puts "trigger delivered=#{delivered} statuses=#{statuses.join(',')}"
  Cinnox.cinnox_trigger_result_free(result)

  sub = Cinnox.out('unsubscribe') do |o|
    Cinnox.cinnox_client_unsubscribe(client, 'ruby-app', Cinnox::EVENT_KIND_CALL, url, o)
  end
  puts "unsubscribed enabled=#{Cinnox.cinnox_subscription_enabled(sub)}"
  Cinnox.cinnox_subscription_free(sub)
  raise 'the call start was not delivered' unless delivered
rescue StandardError => e
  warn "error: #{e.message}"
  exit!(1) # at once: a trigger may still be running on its thread
ensure
  Cinnox.cinnox_client_free(client) if client
  Cinnox.cinnox_receiver_free(receiver) if receiver
  Cinnox.cinnox_sandbox_free(sandbox) if sandbox
end
