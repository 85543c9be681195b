/* tools/tlsf-check.d/shim/assert.h — tlsf_assert is assert: in the checker's build a failed
   assertion in the published tlsf.c ends the harness with a message (harness.c). */
#pragma once
void harness_assert_fail(const char* expr, const char* file, int line);
#define assert(e) ((e) ? (void)0 : harness_assert_fail(#e, __FILE__, __LINE__))
