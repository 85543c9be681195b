// shims/freertos/task.h — what of FreeRTOS's task API a firmware on an ESP32 asks of its own task:
// the loop task's stack high-water mark (bytes never used; 0 on a chip without FreeRTOS tasks).
#pragma once
#include <stdint.h>

typedef void* TaskHandle_t;
typedef uint32_t UBaseType_t;

extern "C" UBaseType_t uxTaskGetStackHighWaterMark(TaskHandle_t task);
