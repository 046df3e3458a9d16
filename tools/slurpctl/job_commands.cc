// cancel and watch: one job at a time.
#include <chrono>
#include <thread>

#include "tools/slurpctl/commands.h"

namespace slurpctl {
namespace {

bool ended(const std::string& state) {
  return state != "waiting" && state != "queued" && state != "active";
}

std::string describe(const slurp::JobReply& job) {
  std::string line = "job " + std::to_string(job.job_id) + " " + job.state +
                     " (attempt " + std::to_string(job.attempts) + ")";
  if (job.state == "waiting") {
    line += ", waiting on " + std::to_string(job.waiting_on) + " of " +
            std::to_string(job.depends_on.size()) + " dependencies";
  }
  if (job.error) line += ": " + *job.error;
  return line;
}

}  // namespace

int run_cancel(const Flags& f, std::uint64_t job_id) {
  slurp::Cancel request;
  request.job_id = job_id;
  slurp::client::ClusterAnswer answer;
  if (int code = ask<slurp::CancelReply>(f, request, answer); code != exit_ok) {
    return code;
  }
  const auto& reply = std::get<slurp::CancelReply>(answer.reply);
  std::cout << "job " << reply.job_id << ": " << reply.state << "\n";
  return reply.state == "cancelled" ? exit_ok : exit_refused;
}

// Polls the job until it ends, printing each change of state; the exit
// code says how it ended (0 completed, 2 otherwise).
int run_watch(const Flags& f, std::uint64_t job_id, int interval_ms) {
  std::string last;
  for (;;) {
    slurp::JobQuery query;
    query.job_id = job_id;
    slurp::client::ClusterAnswer answer;
    if (int code = ask<slurp::JobReply>(f, query, answer); code != exit_ok) {
      return code;
    }
    const auto& job = std::get<slurp::JobReply>(answer.reply);
    std::string line = describe(job);
    if (line != last) {
      if (last.empty()) std::cout << job.address << "\n";
      std::cout << line << std::endl;
      last = line;
    }
    if (ended(job.state)) {
      return job.state == "completed" ? exit_ok : exit_refused;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
  }
}

}  // namespace slurpctl
