// shims/Ticker.h — the ESP8266 core's Ticker: a callback every so often (attach) or once (once),
// run by the system between the sketch's own steps — at its yields, its loop's end, inside its
// delay() — on the device's software timer (the platform's, as the SDK's os_timer under the
// core's). The _scheduled variants run at the same places here. The object is the sketch's (its
// globals: each device has its own); detach() or a new attach stops the old schedule.
#pragma once
#include <stdint.h>

#include <functional>
#include <utility>

class Ticker {
 public:
  typedef void (*callback_t)();
  typedef void (*callback_with_arg_t)(void*);
  typedef std::function<void()> callback_function_t;

  Ticker() = default;
  ~Ticker() { detach(); }
  Ticker(const Ticker&) = delete;
  Ticker& operator=(const Ticker&) = delete;

  void attach(float seconds, callback_function_t callback) { arm(seconds_to_ms(seconds), true, std::move(callback)); }
  void attach_ms(uint32_t milliseconds, callback_function_t callback) { arm(milliseconds, true, std::move(callback)); }
  void attach_scheduled(float seconds, callback_function_t callback) { attach(seconds, std::move(callback)); }
  void attach_ms_scheduled(uint32_t milliseconds, callback_function_t callback) {
    attach_ms(milliseconds, std::move(callback));
  }
  template <typename TArg>
  void attach(float seconds, void (*callback)(TArg), TArg arg) {
    attach_ms(seconds_to_ms(seconds), callback, arg);
  }
  template <typename TArg>
  void attach_ms(uint32_t milliseconds, void (*callback)(TArg), TArg arg) {
    arm(milliseconds, true, [callback, arg]() { callback(arg); });
  }

  void once(float seconds, callback_function_t callback) { arm(seconds_to_ms(seconds), false, std::move(callback)); }
  void once_ms(uint32_t milliseconds, callback_function_t callback) { arm(milliseconds, false, std::move(callback)); }
  void once_scheduled(float seconds, callback_function_t callback) { once(seconds, std::move(callback)); }
  void once_ms_scheduled(uint32_t milliseconds, callback_function_t callback) {
    once_ms(milliseconds, std::move(callback));
  }
  template <typename TArg>
  void once(float seconds, void (*callback)(TArg), TArg arg) {
    once_ms(seconds_to_ms(seconds), callback, arg);
  }
  template <typename TArg>
  void once_ms(uint32_t milliseconds, void (*callback)(TArg), TArg arg) {
    arm(milliseconds, false, [callback, arg]() { callback(arg); });
  }

  void detach();
  bool active() const { return _active; }

 private:
  static uint32_t seconds_to_ms(float s) { return s <= 0 ? 0 : uint32_t(s * 1000.0f + 0.5f); }
  void arm(uint32_t ms, bool repeat, callback_function_t callback);
  static void fire(void* self);

  callback_function_t _callback;
  bool _active = false;
  bool _repeat = false;
};
