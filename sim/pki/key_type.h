// sim/pki/key_type.h — the key types espfleet generates (broker certificates, CAs), by name as
// scenarios and options spell them.
#pragma once
#include <cstdint>

#include "enum_names.h"

namespace espfleet {

enum class KeyType : uint8_t { rsa2048, rsa4096, ec256 };

inline constexpr EnumName<KeyType> kKeyTypeNames[] = {
    {KeyType::rsa2048, "rsa2048"}, {KeyType::rsa4096, "rsa4096"}, {KeyType::ec256, "ec256"}};
constexpr std::string_view key_type_name(KeyType t) { return enum_name(kKeyTypeNames, t); }

}  // namespace espfleet
