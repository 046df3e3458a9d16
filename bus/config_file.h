// Reading and writing the small files that configure security (CURVE key
// files, authorized keys). Reads refuse what must not be trusted: non-regular
// files, files others could read or change, files over a size limit. Writes
// create new files only, with their final mode from the first moment, and
// fsync them. Any thread may call these; they touch only the named paths.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "protocol/result.h"

namespace slurp::bus {

struct FileReadRules {
  std::size_t bytes_max = 0;
  // Permission bits that must be clear, e.g. 077 for a secret key (nobody but
  // the owner may read it) or 022 for authorized keys (nobody but the owner
  // may add a key). A file with any of them set is refused.
  mode_t forbidden_mode_bits = 0;
  // The mode the refusal suggests ("run: chmod 600 <path>").
  mode_t suggested_mode = 0600;
};

// The whole file. Errors: not_found (no such file), bad_request (not a
// regular file, forbidden permission bits), too_large (over bytes_max),
// internal (any other I/O error). The error's field is the path.
Result<std::string> read_config_file(const std::filesystem::path& path,
                                     const FileReadRules& rules);

// Creates `path` with `mode` (O_CREAT|O_EXCL: an existing file, or a symlink
// at that name, is never replaced), writes `content`, fsyncs. The mode is
// set at creation and again with fchmod, so the umask can neither widen nor
// narrow it. On failure after creation the partial file is removed.
Status write_new_file(const std::filesystem::path& path,
                      std::string_view content, mode_t mode);

// fsync on a directory makes the names of newly created files durable.
Status sync_directory(const std::filesystem::path& dir);

}  // namespace slurp::bus
