// Names of job states: the status/job_done strings and the snapshot's form.
#include "src/state/state_machine.h"

namespace slurp::state {

std::string_view job_state_name(JobState state) {
  switch (state) {
    case JobState::waiting: return "waiting";
    case JobState::queued: return "queued";
    case JobState::active: return "active";
    case JobState::completed: return "completed";
    case JobState::failed: return "failed";
    case JobState::dead_lettered: return "dead_lettered";
    case JobState::cancelled: return "cancelled";
  }
  return "queued";  // unreachable: every enumerator is handled above
}

bool job_state_ended(JobState state) {
  return state != JobState::waiting && state != JobState::queued &&
         state != JobState::active;
}

std::string_view enum_to_wire(JobState state) {
  return job_state_name(state);
}

bool enum_from_wire(std::string_view text, JobState& out) {
  for (JobState state : {JobState::waiting, JobState::queued, JobState::active,
                         JobState::completed, JobState::failed,
                         JobState::dead_lettered, JobState::cancelled}) {
    if (job_state_name(state) == text) {
      out = state;
      return true;
    }
  }
  return false;
}

}  // namespace slurp::state
