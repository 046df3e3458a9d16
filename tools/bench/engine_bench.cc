#include "tools/bench/engine_bench.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>

#include "src/worker/builtin_engine.h"

extern char** environ;

namespace slurp::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double thread_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

double rusage_seconds(const rusage& usage) {
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

struct Exited {
  int status = 0;
  double cpu_seconds = 0;
};

// Regular files under root, sorted; symlinks are left out so that a file
// is not counted twice.
std::vector<fs::path> walk(const fs::path& root, std::size_t files_max) {
  std::vector<fs::path> paths;
  std::error_code ec;
  fs::recursive_directory_iterator it(
      root, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (paths.size() >= files_max) break;
    std::error_code type_ec;
    if (it->is_symlink(type_ec) || !it->is_regular_file(type_ec)) continue;
    paths.push_back(it->path());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

// The file's bytes, or nullopt when unreadable or over bytes_max.
std::optional<Bytes> read_file(const fs::path& path, std::size_t bytes_max,
                               bool& too_large) {
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(path, ec);
  std::ifstream in(path, std::ios::binary);
  if (ec || !in) return std::nullopt;
  // One byte past the size it had says it grew past bytes_max meanwhile.
  Bytes bytes(std::min<std::uintmax_t>(size, bytes_max) + 1);
  in.read(reinterpret_cast<char*>(bytes.data()),
          static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  too_large = bytes.size() > bytes_max;
  if (too_large) return std::nullopt;
  return bytes;
}

// Rows of cloc's --by-file CSV: one per file, plus a header and SUM.
std::uint64_t csv_files(const fs::path& csv) {
  std::ifstream in(csv);
  std::uint64_t files = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line.starts_with("language,") ||
        line.starts_with("SUM,"))
      continue;
    ++files;
  }
  return files;
}

Status write_list(const EngineTree& tree, const fs::path& list) {
  std::ofstream out(list);
  for (const fs::path& path : tree.paths) out << path.string() << '\n';
  out.close();
  if (!out) {
    return make_error(ErrorCode::internal, "cannot write " + list.string());
  }
  return ok_status();
}

// Spawns args with stdout to `out` and stderr to `err`; the exit status as
// wait4 reports it, and the CPU time the child used.
Result<Exited> spawn_and_wait(const std::vector<std::string>& args,
                              const fs::path& out, const fs::path& err) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                   O_RDONLY, 0);
  pid_t pid = 0;
  const int spawned =
      posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned == ENOENT) {
    return make_error(ErrorCode::not_found,
                      args[0] + " not found (apt-get install cloc)");
  }
  if (spawned != 0) {
    return make_error(ErrorCode::internal,
                      "cannot run " + args[0] + ": " + std::strerror(spawned));
  }
  Exited exited;
  rusage usage{};
  while (wait4(pid, &exited.status, 0, &usage) < 0) {
    if (errno != EINTR) {
      return make_error(ErrorCode::internal,
                        "wait4: " + std::string(std::strerror(errno)));
    }
  }
  exited.cpu_seconds = rusage_seconds(usage);
  return exited;
}

}  // namespace

Result<EngineTree> load_engine_tree(const fs::path& root,
                                    const EngineTreeLimits& limits) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return make_error(ErrorCode::bad_request,
                      root.string() + " is not a directory", "--tree");
  }
  EngineTree tree;
  tree.root = root;
  for (const fs::path& path : walk(root, limits.files_max)) {
    bool too_large = false;
    auto bytes = read_file(path, limits.file_bytes_max, too_large);
    if (!bytes) {
      ++(too_large ? tree.skipped_large : tree.skipped_unreadable);
      continue;
    }
    Job job;
    job.job_id = tree.jobs.size() + 1;
    job.attempt = 1;
    job.address =
        "ucxl://bench/" + path.lexically_relative(root).generic_string();
    tree.bytes += bytes->size();
    job.content = std::move(*bytes);
    tree.jobs.push_back(std::move(job));
    tree.paths.push_back(path);
  }
  if (tree.jobs.empty()) {
    return make_error(ErrorCode::bad_request,
                      "no readable file under " + root.string(), "--tree");
  }
  return tree;
}

EngineRun run_builtin_engine(const EngineTree& tree) {
  worker::BuiltinEngine engine;
  EngineRun run;
  const double cpu_start = thread_cpu_seconds();
  const auto start = Clock::now();
  for (const Job& job : tree.jobs) {
    auto context = engine.generate(job);
    if (!context) {
      ++run.errors;
    } else if (!context->language.empty()) {
      ++run.files_with_language;
    }
  }
  run.seconds = seconds_since(start);
  run.cpu_seconds = thread_cpu_seconds() - cpu_start;
  return run;
}

Result<ClocRun> run_cloc(const EngineTree& tree, const std::string& cloc,
                         const fs::path& work_dir) {
  const fs::path list = work_dir / "engine-files.txt";
  const fs::path csv = work_dir / "engine-cloc.csv";
  const fs::path err = work_dir / "engine-cloc.err";
  if (Status st = write_list(tree, list); !st) return st.error();
  const std::vector<std::string> args{cloc, "--by-file", "--csv", "--quiet",
                                      "--list-file=" + list.string()};
  const auto start = Clock::now();
  auto exited = spawn_and_wait(args, csv, err);
  ClocRun run;
  run.seconds = seconds_since(start);
  if (!exited) return exited.error();
  if (!WIFEXITED(exited->status)) {
    return make_error(ErrorCode::internal,
                      cloc + " was killed (see " + err.string() + ")");
  }
  run.cpu_seconds = exited->cpu_seconds;
  run.exit_code = WEXITSTATUS(exited->status);
  run.files_counted = csv_files(csv);
  return run;
}

}  // namespace slurp::bench
