// tests/unit_main.cpp — the doctest entry point for every unit suite under tests/.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
