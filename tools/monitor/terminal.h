// The terminal under slurp-monitor: whether output goes to one, whether to
// colour it (--color, NO_COLOR), its size, the full-screen mode of --top,
// and the signals that end it.
//
// FullScreen switches to the alternate screen with the cursor hidden and
// the keyboard unbuffered and silent (so a typed key neither echoes over
// the view nor waits for Enter), and puts everything back when destroyed.
// The stop signals (SIGINT, SIGTERM, SIGHUP) only set a flag, so the loop
// ends normally and the destructor runs: the shell gets its screen back.
//
// Threads: FullScreen and the signal handlers belong to the main thread;
// the flags may be read from any thread.
#pragma once

#include <termios.h>

#include <optional>
#include <string_view>

#include "src/config/cluster_config.h"

namespace slurp::monitor {

enum class ColorMode { automatic, always, never };

bool is_terminal(int fd);

// always: yes; never: no; automatic: when `fd` is a terminal and NO_COLOR
// is unset or empty (https://no-color.org).
bool use_color(ColorMode mode, int fd, const config::GetEnv& getenv);

struct TerminalSize {
  int columns = 80;
  int rows = 24;
};
// TIOCGWINSZ on `fd`; 80x24 when it is not a terminal or reports 0.
TerminalSize terminal_size(int fd);

// SIGINT, SIGTERM and SIGHUP set the stop flag; SIGWINCH the resize flag;
// SIGTSTP (Ctrl-Z) the suspend flag.
void install_stop_signals();
bool stop_requested();
// True once per SIGWINCH burst.
bool take_resize();
// True once per SIGTSTP: the caller gives the terminal back, then calls
// suspend_until_continued, then takes the screen again.
bool take_suspend();
// Stops the process as Ctrl-Z would; returns once it is continued (fg).
void suspend_until_continued();

class FullScreen {
 public:
  // Enters the alternate screen on `out_fd`; keyboard from `in_fd` when it
  // is a terminal (else keys are not read).
  FullScreen(int in_fd, int out_fd);
  ~FullScreen();
  FullScreen(const FullScreen&) = delete;
  FullScreen& operator=(const FullScreen&) = delete;

  // Writes a whole frame at once (one write: no flicker).
  void show(std::string_view frame);
  // A key typed since the last call, without waiting.
  std::optional<char> key();

 private:
  int in_fd_;
  int out_fd_;
  bool keyboard_ = false;  // saved_ holds the settings to restore
  termios saved_{};
};

}  // namespace slurp::monitor
