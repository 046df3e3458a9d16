// slurp-monitor's command line, parsed (slurp_monitor_main.cc), and its
// exit codes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/monitor/event_filter.h"
#include "tools/monitor/terminal.h"

namespace slurp::monitor {

enum Exit : int {
  exit_ok = 0,       // --count events printed, --frames shown, or q/SIGINT
  exit_usage = 1,    // bad flags, config or key files
  exit_timeout = 4,  // --timeout-ms passed with nothing printed
};

struct Options {
  std::string config;              // --config; "" to discover
  std::string key;                 // --key; "" to discover
  std::vector<std::string> nodes;  // --node; empty: every node
  EventFilter filter;
  bool json = false;
  bool history = false;  // on first contact, fetch what the node kept
  bool insecure = false;
  bool top = false;
  std::string color_text = "auto";         // --color: auto, always or never
  ColorMode color = ColorMode::automatic;  // from color_text
  std::uint64_t count = 0;                 // tail: 0 forever
  std::uint64_t timeout_ms = 0;            // tail: 0 none
  std::uint64_t frames = 0;                // --top: 0 until q or a signal
  std::uint64_t refresh_ms = 1000;
};

}  // namespace slurp::monitor
