#include "tests/sim/trace.h"

#include <cstdio>

namespace slurp::sim {

void Trace::event(Micros now, std::string_view kind, std::string_view subject,
                  std::span<const TraceField> fields) {
  ++events_;
  hash_.add(now).add(kind).add(subject);
  for (const TraceField& field : fields) hash_.add(field.value);
  if (verbose_ == nullptr) return;
  print_time(now);
  *verbose_ << subject << ' ' << kind;
  for (const TraceField& field : fields) {
    *verbose_ << ' ' << field.name << '=' << field.value;
  }
  *verbose_ << '\n';
}

void Trace::silent(Micros now, std::string_view kind, std::uint64_t subject) {
  ++events_;
  hash_.add(now).add(kind).add(subject);
}

void Trace::note(Micros now, std::string_view text) {
  ++events_;
  hash_.add(now).add(text);
  if (verbose_ == nullptr) return;
  print_time(now);
  *verbose_ << "-- " << text << '\n';
}

void Trace::print_time(Micros now) {
  // Milliseconds with microsecond precision, fixed width so columns align.
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%10llu.%03llu ",
                static_cast<unsigned long long>(now / kMicrosPerMs),
                static_cast<unsigned long long>(now % kMicrosPerMs));
  *verbose_ << buffer;
}

}  // namespace slurp::sim
