/* tools/heap5-check.d/compat.c — lets tools/heap5-check run on heap_5.c texts older than the ones
   the harness calls directly (V11.1 and later, back to V8.1, heap_5's first): it includes the
   published file (HEAP5_C, a quoted path given by the script), so that the file's statics are in
   reach, and adds what the harness needs, ours, written to do what the V11 functions do:
     vPortHeapResetState (from V11.1; unless HAVE_RESET): forget the heap, so that
       vPortDefineHeapRegions may run again;
     pvPortCalloc (from V10.5; unless HAVE_CALLOC): a product beyond 32 bits -> NULL, else
       pvPortMalloc and zero;
     harness_largest_free_block (always; the harness calls it instead of vPortGetHeapStats when
       built with HEAP5_COMPAT): the largest free block.
   The script compiles this file in place of heap_5.c when the text lacks vPortHeapResetState or
   pvPortCalloc. Nothing of the text itself changes. */
#include HEAP5_C

#ifndef HAVE_RESET
void vPortHeapResetState(void) { pxEnd = NULL; }
#endif

#ifndef HAVE_CALLOC
void* pvPortCalloc(size_t xNum, size_t xSize) {
  if (xNum > 0 && xSize > (size_t)-1 / xNum) return NULL;
  void* p = pvPortMalloc(xNum * xSize);
  if (p) memset(p, 0, xNum * xSize);
  return p;
}
#endif

/* The largest free block: the free-list walk from xStart to pxEnd, as V11's vPortGetHeapStats
   does it (V10.4's walks past pxEnd when the list is empty). */
size_t harness_largest_free_block(void) {
  size_t largest = 0;
  for (BlockLink_t* b = xStart.pxNextFreeBlock; b && b != pxEnd; b = b->pxNextFreeBlock)
    if (b->xBlockSize > largest) largest = b->xBlockSize;
  return largest;
}
