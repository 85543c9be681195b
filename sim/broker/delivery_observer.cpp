// sim/broker/delivery_observer.cpp — the delivery observer (delivery_observer.h).
#include "delivery_observer.h"

#include "host_clock.h"

#include <mosquitto.h>
#include <mqtt_protocol.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace espfleet {

namespace {
int64_t host_ns() { return host_now().ns; }  // the engine's host clock (libuv), from any thread
struct LibInit {
  LibInit() { mosquitto_lib_init(); }
};
}  // namespace

DeliveryObserver::DeliveryObserver(const std::string& host, uint16_t port, const std::string& client_id,
                                   const std::vector<std::string>& filters, int timeout_ms)
    : host_(host), client_id_(client_id), port_(port), filters_(filters) {
  static LibInit init;
  mosq_ = mosquitto_new(client_id.c_str(), false, this);
  if (!mosq_) throw std::runtime_error("delivery observer: mosquitto_new failed");
  mosquitto_connect_callback_set(mosq_, &DeliveryObserver::on_connect);
  mosquitto_disconnect_callback_set(mosq_, &DeliveryObserver::on_disconnect);
  mosquitto_message_callback_set(mosq_, &DeliveryObserver::on_message);
  mosquitto_subscribe_callback_set(mosq_, &DeliveryObserver::on_subscribe);
  mosquitto_reconnect_delay_set(mosq_, 1, 2, false);
  // MQTT 5, so the observer can ask for what a 3.1.1 client cannot: every message in flight at once
  // (receive maximum 65,535). A 3.1.1 subscriber gets Mosquitto's max_inflight_messages (20) and,
  // beyond those, max_queued_messages (1,000) held for it; in a connect storm of a few thousand
  // devices the broker drops what is past that for a subscriber that is a moment behind — the
  // observer is the instrument, and must not be where messages are lost. Its session outlives a
  // disconnect (session expiry: never), as a clean-session-off 3.1.1 session does.
  mosquitto_int_option(mosq_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
  mosquitto_int_option(mosq_, MOSQ_OPT_RECEIVE_MAXIMUM, 65535);
  mosquitto_property* props = nullptr;
  mosquitto_property_add_int32(&props, MQTT_PROP_SESSION_EXPIRY_INTERVAL, UINT32_MAX);
  const std::string where = host + ":" + std::to_string(port);
  const int rc = mosquitto_connect_bind_v5(mosq_, host.c_str(), port, 60, nullptr, props);
  mosquitto_property_free_all(&props);  // libmosquitto keeps a copy for its reconnects
  if (rc != MOSQ_ERR_SUCCESS) {
    mosquitto_destroy(mosq_);
    throw std::runtime_error("delivery observer: cannot connect to the broker at " + where + ": " +
                             mosquitto_strerror(rc));
  }
  if (int rc = mosquitto_loop_start(mosq_); rc != MOSQ_ERR_SUCCESS) {
    mosquitto_destroy(mosq_);
    throw std::runtime_error(std::string("delivery observer: no thread: ") + mosquitto_strerror(rc));
  }
  running_ = true;
  const int64_t until = host_ns() + int64_t(timeout_ms) * 1000000;
  while (!connected() && host_ns() < until) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (!connected()) throw std::runtime_error("delivery observer: the broker at " + where + " did not answer");
}

DeliveryObserver::~DeliveryObserver() {
  if (!mosq_) return;
  if (running_) {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, true);
  }
  mosquitto_destroy(mosq_);
}

void DeliveryObserver::pause() {
  std::lock_guard<std::mutex> lock(mu_);
  if (paused_ || !running_) return;
  paused_ = true;
  mosquitto_disconnect(mosq_);  // the network thread's loop ends with it
}

void DeliveryObserver::resume() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!paused_) return;
    paused_ = false;
  }
  mosquitto_loop_stop(mosq_, false);  // joins the thread the DISCONNECT ended
  mosquitto_reconnect_async(mosq_);   // a broker not there yet: the loop goes on trying
  mosquitto_loop_start(mosq_);
}

bool DeliveryObserver::paused() const {
  std::lock_guard<std::mutex> lock(mu_);
  return paused_;
}

// A clean-session CONNECT under the same id: the broker forgets the subscriptions and whatever
// it still queues for the observer (a broker of the user's keeps nothing of the run).
void DeliveryObserver::discard_session() {
  bool acked = false;
  mosquitto* m = mosquitto_new(client_id_.c_str(), true, &acked);
  if (!m) return;
  mosquitto_connect_callback_set(m, [](mosquitto*, void* flag, int) { *static_cast<bool*>(flag) = true; });
  if (mosquitto_connect(m, host_.c_str(), port_, 10) == MOSQ_ERR_SUCCESS) {
    for (int i = 0; i < 20 && !acked && mosquitto_loop(m, 50, 1) == MOSQ_ERR_SUCCESS; ++i) {}
    mosquitto_disconnect(m);
    mosquitto_loop(m, 50, 1);
  }
  mosquitto_destroy(m);
}

void DeliveryObserver::on_connect(mosquitto* m, void* self, int rc) {
  auto* o = static_cast<DeliveryObserver*>(self);
  if (rc != 0) return;
  {
    std::lock_guard<std::mutex> lock(o->mu_);
    o->connects_++;
    o->unacked_subscribes_ = uint32_t(o->filters_.size());
  }
  for (const std::string& f : o->filters_) mosquitto_subscribe(m, nullptr, f.c_str(), 1);
}

// Subscribed to every filter: from now on what arrives at the broker comes to it live (before the
// SUBACK, a device's retained publish would only come as a replay, not counted as an arrival).
void DeliveryObserver::on_subscribe(mosquitto*, void* self, int, int, const int*) {
  auto* o = static_cast<DeliveryObserver*>(self);
  std::lock_guard<std::mutex> lock(o->mu_);
  if (o->unacked_subscribes_ > 0 && --o->unacked_subscribes_ == 0) o->connected_ = true;
}

void DeliveryObserver::on_disconnect(mosquitto*, void* self, int) {
  auto* o = static_cast<DeliveryObserver*>(self);
  std::lock_guard<std::mutex> lock(o->mu_);
  o->connected_ = false;
}

bool DeliveryObserver::connected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connected_;
}

void DeliveryObserver::on_message(mosquitto*, void* self, const ::mosquitto_message* msg) {
  auto* o = static_cast<DeliveryObserver*>(self);
  if (msg->retain) return;  // a stored message replayed on subscribing, not an arrival
  const char* p = static_cast<const char*>(msg->payload);
  Arrival a{msg->topic, message_hash(msg->topic, strlen(msg->topic), p ? p : "", size_t(msg->payloadlen)), host_ns()};
  std::lock_guard<std::mutex> lock(o->mu_);
  o->last_arrival_ns_ = a.host_ns;
  o->arrivals_.push_back(std::move(a));
}

void DeliveryObserver::drain_and_stop(int quiet_ms, int max_ms) {
  const int64_t until = host_ns() + int64_t(max_ms) * 1000000;
  for (;;) {
    int64_t last;
    {
      std::lock_guard<std::mutex> lock(mu_);
      last = last_arrival_ns_;
    }
    const int64_t now = host_ns();
    if (now >= until || now - last >= int64_t(quiet_ms) * 1000000) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  resume();  // an outage the run ended in: what the broker queued still comes
  if (running_) {
    mosquitto_disconnect(mosq_);
    mosquitto_loop_stop(mosq_, true);
    running_ = false;
    discard_session();
  }
}

std::vector<DeliveryObserver::Arrival> DeliveryObserver::arrivals() const {
  std::lock_guard<std::mutex> lock(mu_);
  return arrivals_;
}

uint32_t DeliveryObserver::reconnects() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connects_;
}

}  // namespace espfleet
