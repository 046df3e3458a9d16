// Helpers for tests that drive one Raft instance by hand.
#pragma once

#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "src/consensus/raft.h"
#include "src/consensus/ready_loop.h"

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

// Drains and returns every Ready, through the shared ReadyLoop with ports
// that keep nothing but the Readies (a test that drives one Raft by hand
// inspects them; there is no disk or state machine to feed).
inline std::vector<Ready> drain(Raft& raft) {
  struct Recorder : ReadyPorts {
    void persist(const Ready&) override {}
    void send(const Envelope&) override {}
    void restore(const Snapshot&) override {}
    void apply(const LogEntry&) override {}
    void read_confirmed(const ReadState&) override {}
    void advanced(const Ready& ready) override { readies.push_back(ready); }
    std::vector<Ready> readies;
  } recorder;
  ReadyLoop::drain(raft, recorder);
  return std::move(recorder.readies);
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
