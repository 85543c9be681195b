/* tools/heap5-check.d/shim/FreeRTOS.h — our stand-in for FreeRTOS.h (and the parts of portable.h
   and FreeRTOSConfig.h that heap_5.c needs), so that the published heap_5.c compiles alone in the
   32-bit freestanding build of tools/heap5-check. The configuration is the one SdkHeap models
   (sim/heap/heap_sdk.h): 8-byte alignment, 32-bit pointers and size_t, no heap protector, no
   malloc-failed hook, no clearing on free. A failed configASSERT ends the harness with a message
   (harness_assert_fail in harness.c): the reference never asserts on the traces we give it. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define configSUPPORT_DYNAMIC_ALLOCATION 1
#define configENABLE_HEAP_PROTECTOR 0
#define configUSE_MALLOC_FAILED_HOOK 0
#define configHEAP_CLEAR_MEMORY_ON_FREE 0

#define portBYTE_ALIGNMENT 8
#define portBYTE_ALIGNMENT_MASK 0x0007
#define portPOINTER_SIZE_TYPE uint32_t

typedef long BaseType_t;
typedef unsigned long UBaseType_t;
typedef uint32_t TickType_t;
#define portMAX_DELAY ((TickType_t)0xffffffffUL) /* heap_5.c V11.1-V11.2 take it as SIZE_MAX */

#define PRIVILEGED_FUNCTION
#define PRIVILEGED_DATA

void harness_assert_fail(const char* expr, const char* file, int line);
#define configASSERT(e) ((e) ? (void)0 : harness_assert_fail(#e, __FILE__, __LINE__))
#define mtCOVERAGE_TEST_MARKER()
#define traceMALLOC(pvAddress, uiSize)
#define traceFREE(pvAddress, uiSize)

/* One heap region: its start and size (the API's layout). */
typedef struct HeapRegion {
  uint8_t* pucStartAddress;
  size_t xSizeInBytes;
} HeapRegion_t;

/* What vPortGetHeapStats reports (the API's fields). */
typedef struct xHeapStats {
  size_t xAvailableHeapSpaceInBytes;
  size_t xSizeOfLargestFreeBlockInBytes;
  size_t xSizeOfSmallestFreeBlockInBytes;
  size_t xNumberOfFreeBlocks;
  size_t xMinimumEverFreeBytesRemaining;
  size_t xNumberOfSuccessfulAllocations;
  size_t xNumberOfSuccessfulFrees;
} HeapStats_t;

void vPortDefineHeapRegions(const HeapRegion_t* const pxHeapRegions);
void vPortGetHeapStats(HeapStats_t* pxHeapStats);
void* pvPortMalloc(size_t xWantedSize);
void* pvPortCalloc(size_t xNum, size_t xSize);
void vPortFree(void* pv);
size_t xPortGetFreeHeapSize(void);
size_t xPortGetMinimumEverFreeHeapSize(void);
void vPortHeapResetState(void);
