#include "cli/config/passphrase.hpp"

#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/common/error.hpp"

namespace offsite::cli {

namespace {

std::string first_line(std::string text) {
  const auto end = text.find('\n');
  if (end != std::string::npos) text.resize(end);
  if (!text.empty() && text.back() == '\r') text.pop_back();
  return text;
}

// Restores the terminal's echo even when reading throws.
class EchoOff {
public:
  explicit EchoOff(int fd) : m_fd(fd) {
    if (tcgetattr(fd, &m_saved) == 0) {
      termios quiet = m_saved;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      m_active = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
    }
  }
  ~EchoOff() {
    if (m_active) tcsetattr(m_fd, TCSAFLUSH, &m_saved);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;

private:
  int m_fd;
  termios m_saved{};
  bool m_active = false;
};

} // namespace

std::string read_secret_file(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw Error(Code::usage, fmt::format("cannot read the {} file {}", what, path),
                "check the path and its permissions");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return first_line(std::move(text));
}

std::string read_secret_command(const std::string& command, std::string_view what) {
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw Error(Code::usage, fmt::format("cannot run the {} command", what));
  std::string text;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
    text.append(buffer, n);
  const int status = pclose(pipe);
  if (status != 0)
    throw Error(Code::usage,
                fmt::format("the {} command failed (exit status {})", what,
                            WIFEXITED(status) ? WEXITSTATUS(status) : -1),
                "run the command by hand to see why");
  return first_line(std::move(text));
}

std::string prompt_secret(std::string_view prompt, std::string_view hint) {
  const int fd = isatty(STDIN_FILENO) ? open("/dev/tty", O_RDWR | O_CLOEXEC) : -1;
  if (fd < 0)
    throw Error(Code::passphrase_required,
                "a passphrase is needed but there is no terminal to ask on",
                hint.empty() ? "give it with --password-file FILE, --password-command CMD, "
                               "OFFSITE_PASSWORD_FILE or OFFSITE_PASSWORD"
                             : std::string(hint));
  std::string line;
  {
    EchoOff echo_off(fd);
    if (write(fd, prompt.data(), prompt.size()) < 0) {
      // Nothing useful to do: the read below still works.
    }
    char c;
    while (read(fd, &c, 1) == 1 && c != '\n')
      line.push_back(c);
    if (write(fd, "\n", 1) < 0) {
    }
  }
  close(fd);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

namespace {

// An empty file or command output is a mistake in the set-up (a file not
// written yet, a command that failed quietly), never a passphrase: saying so
// beats a "wrong passphrase" that sends the user hunting for the right one.
std::string nonempty(std::string passphrase, std::string_view source) {
  if (passphrase.empty())
    throw Error(Code::usage, fmt::format("{} gave an empty passphrase", source),
                "put the passphrase on its first line (offsite never uses an empty one)");
  return passphrase;
}

} // namespace

std::string read_passphrase(const PassphraseSources& sources, std::string_view prompt,
                            bool confirm) {
  if (!sources.file.empty())
    return nonempty(read_secret_file(sources.file, "password"),
                    fmt::format("the password file {}", sources.file));
  if (!sources.command.empty())
    return nonempty(read_secret_command(sources.command, "password"), "the password command");
  if (const char* env = std::getenv(std::string(sources.env).c_str()); env && *env) return env;
  if (const char* env = std::getenv(std::string(sources.env_file).c_str()); env && *env)
    return nonempty(read_secret_file(env, "password"),
                    fmt::format("the password file {} ({})", env, sources.env_file));
  const std::string hint = fmt::format("give it with {} FILE, {} CMD, {} or {}", sources.file_flag,
                                       sources.command_flag, sources.env_file, sources.env);
  std::string first = prompt_secret(prompt, hint);
  if (confirm) {
    const std::string again = prompt_secret("Enter the passphrase again: ", hint);
    if (again != first)
      throw Error(Code::usage, "the two passphrases differ", "type the same passphrase twice");
  }
  return first;
}

std::string read_passphrase(const GlobalOptions& options, std::string_view prompt, bool confirm) {
  return read_passphrase(PassphraseSources{options.password_file, options.password_command,
                                           "--password-file", "--password-command",
                                           "OFFSITE_PASSWORD", "OFFSITE_PASSWORD_FILE"},
                         prompt, confirm);
}

} // namespace offsite::cli
