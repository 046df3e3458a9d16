// How slurp-bench reports: one `name=value` line per figure on stdout
// (what a script reads), progress lines on stderr (what a person watches).
//
// Free functions; call them from one thread at a time (the lines of two
// threads could interleave).
#pragma once

#include <iostream>
#include <sstream>
#include <string>

namespace slurp::bench {

inline void figure(const std::string& name, const std::string& value) {
  std::cout << name << "=" << value << std::endl;
}

inline std::string fixed(double value, int decimals) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(decimals);
  out << value;
  return out.str();
}

inline void progress(const std::string& line) {
  std::cerr << "slurp-bench: " << line << std::endl;
}

}  // namespace slurp::bench
