# tools/calibrate/chip_costs.cmake — compile the chip cost tables into the simulator: a build step
# turns sim/tls/chip_costs.json (ESP8266, namespace espfleet::chip),
# sim/tls/chip_costs_esp32c3.json (ESP32-C3, namespace espfleet::chip_esp32c3) and
# sim/tls/chip_costs_mbedtls.json (the NodeMCU devices' mbed TLS on the ESP8266, namespace
# espfleet::chip_mbedtls), all written by tools/calibrate/calibrate, into
# ${CMAKE_BINARY_DIR}/generated/chip_costs.h, which
# sim/tls/chip_cost_table.h includes. Re-run whenever a JSON or the generator changes; nothing is read at
# run time. Include after espfleet_tls exists.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(ESPFLEET_CHIP_COSTS_JSON ${CMAKE_SOURCE_DIR}/sim/tls/chip_costs.json)
set(ESPFLEET_CHIP_COSTS_ESP32C3_JSON ${CMAKE_SOURCE_DIR}/sim/tls/chip_costs_esp32c3.json)
set(ESPFLEET_CHIP_COSTS_MBEDTLS_JSON ${CMAKE_SOURCE_DIR}/sim/tls/chip_costs_mbedtls.json)
set(ESPFLEET_CHIP_COSTS_H ${CMAKE_BINARY_DIR}/generated/chip_costs.h)
add_custom_command(
  OUTPUT ${ESPFLEET_CHIP_COSTS_H}
  COMMAND Python3::Interpreter ${CMAKE_SOURCE_DIR}/tools/calibrate/gen_header.py ${ESPFLEET_CHIP_COSTS_H}
          chip=${ESPFLEET_CHIP_COSTS_JSON} chip_esp32c3=${ESPFLEET_CHIP_COSTS_ESP32C3_JSON}
          chip_mbedtls=${ESPFLEET_CHIP_COSTS_MBEDTLS_JSON}
  DEPENDS ${ESPFLEET_CHIP_COSTS_JSON} ${ESPFLEET_CHIP_COSTS_ESP32C3_JSON} ${ESPFLEET_CHIP_COSTS_MBEDTLS_JSON}
          ${CMAKE_SOURCE_DIR}/tools/calibrate/gen_header.py
  COMMENT "Generating chip_costs.h from sim/tls/chip_costs.json, chip_costs_esp32c3.json and chip_costs_mbedtls.json"
  VERBATIM)
add_custom_target(espfleet_chip_costs DEPENDS ${ESPFLEET_CHIP_COSTS_H})
add_dependencies(espfleet_tls espfleet_chip_costs)
target_include_directories(espfleet_tls PUBLIC ${CMAKE_BINARY_DIR})
