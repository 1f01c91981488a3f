#include "cli/key_access.hpp"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "cli/passphrase.hpp"
#include "core/error.hpp"

namespace offsite::cli {
namespace {

// The passphrase handed to with_repository through a pipe named as a
// password file (/dev/fd/N): it is then read exactly once, from the user's
// source, never written to disk, to argv or to the environment, and
// with_repository stays the one place that opens a repository and takes
// its lease.
class SecretPipe {
public:
  explicit SecretPipe(std::string_view secret) {
    // A pipe holds 64 KiB before write() blocks; no passphrase is that long.
    if (secret.size() > 60000)
      throw Error(Code::usage, "the passphrase is longer than 60000 bytes");
    if (pipe2(m_fds, O_CLOEXEC) != 0) throw_errno("cannot create a pipe", errno);
    std::string line(secret);
    line += '\n';
    const ssize_t n = write(m_fds[1], line.data(), line.size());
    std::fill(line.begin(), line.end(), '\0');
    close(m_fds[1]);
    m_fds[1] = -1;
    if (n < 0 || static_cast<std::size_t>(n) != secret.size() + 1) {
      close(m_fds[0]);
      throw Error(Code::generic, "cannot pass the passphrase on through a pipe");
    }
  }
  ~SecretPipe() { close(m_fds[0]); }
  SecretPipe(const SecretPipe&) = delete;
  SecretPipe& operator=(const SecretPipe&) = delete;

  std::string path() const { return fmt::format("/dev/fd/{}", m_fds[0]); }

private:
  int m_fds[2] = {-1, -1};
};

} // namespace

int with_repository_passphrase(
    const GlobalOptions& options, Terminal& terminal, RepoLock lock, const std::string& passphrase,
    const std::function<int(RepositoryContext&, const std::string&)>& fn) {
  SecretPipe pipe(passphrase);
  GlobalOptions with_pipe = options;
  with_pipe.password_file = pipe.path();
  with_pipe.password_command.clear();
  return with_repository(with_pipe, terminal, {}, lock,
                         [&](RepositoryContext& context) { return fn(context, passphrase); });
}

std::string read_new_passphrase(const std::string& file) {
  std::string first;
  if (!file.empty()) {
    first = read_secret_file(file, "new password");
  } else {
    try {
      first = prompt_secret("New passphrase: ");
      const std::string again = prompt_secret("Enter the new passphrase again: ");
      if (again != first)
        throw Error(Code::usage, "the two new passphrases differ",
                    "type the same new passphrase twice");
    } catch (const Error& e) {
      if (e.code() != Code::passphrase_required) throw;
      throw Error(Code::passphrase_required,
                  "a new passphrase is needed but there is no terminal to ask on",
                  "give it with --new-password-file FILE");
    }
  }
  if (first.empty())
    throw Error(Code::usage, "the new passphrase is empty", "choose a passphrase of some length");
  return first;
}

} // namespace offsite::cli
