/* tools/heap5-check.d/shim/task.h — our stand-in for FreeRTOS's task.h in the build of
   tools/heap5-check: the harness is one thread, so suspending the scheduler and critical sections
   do nothing. */
#pragma once
#include "FreeRTOS.h"

#define vTaskSuspendAll() ((void)0)
#define xTaskResumeAll() ((BaseType_t)0)
#define taskENTER_CRITICAL() ((void)0)
#define taskEXIT_CRITICAL() ((void)0)
