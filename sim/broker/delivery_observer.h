// sim/broker/delivery_observer.h — the backend's view of a run: an MQTT client of espfleet's own
// (libmosquitto, on a thread of its own, not a device) subscribed to the fleet's topics on the
// broker, recording every message that arrives — topic, a hash of topic and payload, the host
// time — so the run can say which of the devices' publishes reached the broker's subscribers
// (docs/faults.md, "Delivery"). It reconnects by itself when the broker goes and comes back.
// It speaks MQTT 5 and takes every message in flight at once (receive maximum 65,535), so a broker
// never drops messages for it as for a slow 3.1.1 subscriber past its in-flight window and queue.
// Its session is persistent (session expiry never, QoS 1): while it is away — the broker down, or an
// observer_outage fault — the broker queues what arrives for it, and a broker with persistence
// keeps that queue through a kill -9. Its session is discarded when it stops. Retained messages
// replayed on subscribing are not arrivals and are skipped.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "message_hash.h"

struct mosquitto;
struct mosquitto_message;

namespace espfleet {

class DeliveryObserver {
 public:
  struct Arrival {
    std::string topic;
    uint32_t hash = 0;
    int64_t host_ns = 0;
  };

  // Connects to host:port (plain MQTT) as `client_id` (unique on the broker: a second client of
  // that id would take the session over) and subscribes to `filters` (QoS 1). Throws
  // std::runtime_error naming the broker when it cannot connect within `timeout_ms`.
  DeliveryObserver(const std::string& host, uint16_t port, const std::string& client_id,
                   const std::vector<std::string>& filters, int timeout_ms = 5000);
  ~DeliveryObserver();  // stops the thread, disconnects
  DeliveryObserver(const DeliveryObserver&) = delete;
  DeliveryObserver& operator=(const DeliveryObserver&) = delete;

  // Waits until no message has arrived for `quiet_ms` (at most `max_ms`), then stops and has the
  // broker discard its session.
  void drain_and_stop(int quiet_ms, int max_ms);
  // The backend goes away (DISCONNECT; its session stays on the broker) and comes back.
  void pause();
  void resume();
  bool paused() const;
  // What arrived, in arrival order (a copy: safe while the thread runs).
  std::vector<Arrival> arrivals() const;
  uint32_t reconnects() const;
  // Connected and subscribed (every SUBACK in) now: a broker that came back has the observer
  // back too.
  bool connected() const;

 private:
  static void on_connect(mosquitto*, void* self, int rc);
  static void on_message(mosquitto*, void* self, const ::mosquitto_message* m);
  static void on_disconnect(mosquitto*, void* self, int rc);
  static void on_subscribe(mosquitto*, void* self, int mid, int count, const int* granted);

  void discard_session();

  mosquitto* mosq_ = nullptr;
  std::string host_, client_id_;
  uint16_t port_ = 0;
  std::vector<std::string> filters_;
  mutable std::mutex mu_;
  std::vector<Arrival> arrivals_;
  int64_t last_arrival_ns_ = 0;
  uint32_t connects_ = 0;
  uint32_t unacked_subscribes_ = 0;
  bool connected_ = false;  // connected and subscribed
  bool running_ = false;    // its network thread runs
  bool paused_ = false;
};

}  // namespace espfleet
