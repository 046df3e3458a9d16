// Helpers for tests that drive one Raft instance by hand.
#pragma once

#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "src/consensus/raft.h"

namespace slurp::consensus::test {

inline Config config_for(const NodeId& id, std::size_t n) {
  Config c;
  c.id = id;
  for (std::size_t i = 0; i < n; ++i)
    c.members.push_back("n" + std::to_string(i + 1));
  return c;
}

inline std::unique_ptr<Raft> make_raft(
    const NodeId& id, std::size_t n, InitialState initial = {},
    const std::function<void(Config&)>& tweak = {}) {
  Config c = config_for(id, n);
  if (tweak) tweak(c);
  auto r = Raft::create(c, std::move(initial));
  REQUIRE(r.ok());
  return std::move(r.value());
}

// Drains and returns every Ready (advancing each).
inline std::vector<Ready> drain(Raft& raft) {
  std::vector<Ready> out;
  while (raft.has_ready()) {
    Ready r = raft.ready();
    raft.advance(r);
    out.push_back(std::move(r));
  }
  return out;
}

// The messages of type M in one Ready.
template <class M>
std::vector<M> messages_of(const Ready& r) {
  std::vector<M> out;
  for (const Envelope& e : r.messages) {
    if (const M* m = std::get_if<M>(&e.message)) out.push_back(*m);
  }
  return out;
}

template <class M>
std::vector<M> messages_of(const std::vector<Ready>& rs) {
  std::vector<M> out;
  for (const Ready& r : rs) {
    auto part = messages_of<M>(r);
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

}  // namespace slurp::consensus::test
