#include "tools/monitor/terminal.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <string>

#include "tools/monitor/ansi.h"

namespace slurp::monitor {
namespace {

std::atomic<bool> stop_flag{false};
std::atomic<bool> resize_flag{false};
std::atomic<bool> suspend_flag{false};
static_assert(std::atomic<bool>::is_always_lock_free,
              "signal handlers may only touch lock-free atomics");

extern "C" void on_stop_signal(int) {
  stop_flag.store(true);
}
extern "C" void on_resize_signal(int) {
  resize_flag.store(true);
}
extern "C" void on_suspend_signal(int) {
  suspend_flag.store(true);
}

void install(int sig, void (*handler)(int)) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  // No SA_RESTART: a blocking call returns (EINTR) and the loop looks.
  sigaction(sig, &action, nullptr);
}

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // a closed terminal: nothing left to show it on
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

bool is_terminal(int fd) {
  return ::isatty(fd) == 1;
}

bool use_color(ColorMode mode, int fd, const config::GetEnv& getenv) {
  switch (mode) {
    case ColorMode::always: return true;
    case ColorMode::never: return false;
    case ColorMode::automatic: break;
  }
  const std::optional<std::string> no_color = getenv("NO_COLOR");
  return is_terminal(fd) && (!no_color || no_color->empty());
}

TerminalSize terminal_size(int fd) {
  winsize size{};
  if (::ioctl(fd, TIOCGWINSZ, &size) != 0 || size.ws_col == 0 ||
      size.ws_row == 0) {
    return {};
  }
  return {size.ws_col, size.ws_row};
}

void install_stop_signals() {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) install(sig, on_stop_signal);
  install(SIGWINCH, on_resize_signal);
  install(SIGTSTP, on_suspend_signal);
}

bool stop_requested() {
  return stop_flag.load();
}

bool take_resize() {
  return resize_flag.exchange(false);
}

bool take_suspend() {
  return suspend_flag.exchange(false);
}

void suspend_until_continued() {
  install(SIGTSTP, SIG_DFL);
  ::raise(SIGTSTP);  // stops here until SIGCONT
  install(SIGTSTP, on_suspend_signal);
}

FullScreen::FullScreen(int in_fd, int out_fd) : in_fd_(in_fd), out_fd_(out_fd) {
  if (is_terminal(in_fd_) && ::tcgetattr(in_fd_, &saved_) == 0) {
    termios raw = saved_;
    // Unbuffered and silent, but Ctrl-C still sends SIGINT (ISIG stays).
    raw.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));
    raw.c_cc[VMIN] = 0;
    raw.c_cc[VTIME] = 0;
    keyboard_ = ::tcsetattr(in_fd_, TCSANOW, &raw) == 0;
  }
  std::string enter(ansi::enter_alternate_screen);
  enter.append(ansi::hide_cursor);
  write_all(out_fd_, enter);
}

FullScreen::~FullScreen() {
  std::string leave(ansi::show_cursor);
  leave.append(ansi::leave_alternate_screen);
  write_all(out_fd_, leave);
  if (keyboard_) ::tcsetattr(in_fd_, TCSANOW, &saved_);
}

void FullScreen::show(std::string_view frame) {
  write_all(out_fd_, frame);
}

std::optional<char> FullScreen::key() {
  if (!keyboard_) return std::nullopt;
  pollfd item{in_fd_, POLLIN, 0};
  if (::poll(&item, 1, 0) != 1 || !(item.revents & POLLIN)) return std::nullopt;
  char c = 0;
  if (::read(in_fd_, &c, 1) != 1) return std::nullopt;
  return c;
}

}  // namespace slurp::monitor
