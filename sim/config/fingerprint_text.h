// sim/config/fingerprint_text.h — a fingerprint as a user writes it, judged by what the real
// firmware would do with it: Tasmota's MqttFingerprint1/2 command (CmndMqttFingerprint in
// tasmota/tasmota_xdrv_driver/xdrv_02_9_mqtt.ino) reproduced on the host, and the message for a
// value it would not take as meant — above all a certificate's SHA-256 fingerprint from
// `openssl x509 -fingerprint -sha256` (32 colon-separated bytes), which guides commonly give.
// Used by the scenario loader (tls.fingerprint1/2) and `espfleet fingerprint`.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "fingerprint.h"

namespace espfleet {

// What `MqttFingerprint<slot+1> <payload>` does on the real firmware. Tasmota skips the
// payload's leading whitespace (CommandHandler) and then compares the length with 60: 1..59
// characters are taken — "0" or "\"" clears the slot, "1" sets Tasmota's default (all 00 for
// slot 1, SHA-1("") = DA 39 A3 … for slot 2), anything else is read as 20 numbers with
// successive strtol(p, &p, 16) on the chip's 32-bit long (a colon stops it: the rest stay 00) —
// and a restart follows; 60 or more are ignored.
struct FingerprintCommandEffect {
  enum class Kind { query, ignored, stored };
  Kind kind = Kind::query;
  Fingerprint stored{};  // kind == stored: the slot's new value
  size_t length = 0;     // the length Tasmota compares with 60
};
FingerprintCommandEffect tasmota_fingerprint_command(std::string_view payload, int slot);

// For a fingerprint written for slot (0 or 1): nullopt when MqttFingerprint<slot+1> would store
// exactly the 20 bytes the text means (20 hex bytes separated by whitespace, under 60
// characters). Otherwise a message (short: a scenario error shows 400 characters) saying what the
// text is (a certificate's SHA-256 or SHA-1 fingerprint, colon-separated bytes, 40 digits in one
// run, …), the form Tasmota wants (the SHA-1 of the broker's public key as 20 space-separated hex
// bytes), what the real firmware would store from it or that it ignores it, and how to get the
// right value (`espfleet fingerprint CERT`). The caller names the field.
std::optional<std::string> fingerprint_form_problem(std::string_view text, int slot);

// True for text that reads as a fingerprint rather than a file name: `openssl x509
// -fingerprint` output, or at least 16 hex bytes in a list or in one run.
bool looks_like_fingerprint_text(std::string_view text);

// What the real firmware does with text as MqttFingerprint<slot+1>'s argument, for messages:
// "MqttFingerprint1 ignores it (95 characters: 60 or more), slot unchanged" or "MqttFingerprint1
// would store A5 00 00 … (strtol stops at ':'), restart, fail with TLS error 1".
std::string describe_fingerprint_command(std::string_view text, int slot);

}  // namespace espfleet
