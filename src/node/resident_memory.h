// This process's resident memory (VmRSS), for status's rss_bytes: what
// an operator compares across nodes and over time to see whether memory
// grows with the store.
//
// Reads /proc/self/statm (one short line; the kernel fills it without
// walking the page tables), so it is cheap enough to call for every
// status reply, and only then.
//
// Threads: any.
#pragma once

#include <cstdint>

namespace slurp::node {

// 0 when /proc is not there or unreadable (status then says 0, not an
// error: it is a figure for people, not for decisions).
std::uint64_t resident_bytes();

}  // namespace slurp::node
