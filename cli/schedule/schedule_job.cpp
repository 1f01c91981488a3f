#include "cli/schedule/schedule_job.hpp"

#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/config/paths.hpp"
#include "cli/schedule/schedule_text.hpp"
#include "cli/ui/terminal.hpp"
#include "cli/usage_errors.hpp"
#include "core/common/bytes.hpp"
#include "core/common/error.hpp"
#include "core/crypto/crypto.hpp"

namespace offsite::cli {

namespace {

std::string absolute_string(const std::string& path) {
  return std::filesystem::absolute(path).lexically_normal().string();
}

std::filesystem::path password_file(const GlobalOptions& global, Terminal& terminal) {
  std::string file = global.password_file;
  if (file.empty())
    if (const char* env = std::getenv("OFFSITE_PASSWORD_FILE"); env && *env) file = env;
  if (file.empty())
    throw Error(Code::usage,
                "a scheduled backup needs a passphrase file: nobody is there to type it",
                "pass --password-file FILE (a file holding the passphrase, mode 0600), or set "
                "OFFSITE_PASSWORD_FILE");
  std::filesystem::path path = absolute_string(file);
  struct stat st {};
  if (stat(path.c_str(), &st) != 0)
    throw Error(Code::usage, fmt::format("the passphrase file {} does not exist", path.string()),
                "create it (mode 0600) with the passphrase on its first line");
  if (!S_ISREG(st.st_mode))
    throw Error(Code::usage, fmt::format("the passphrase file {} is not a file", path.string()));
  if (access(path.c_str(), R_OK) != 0)
    throw Error(Code::usage, fmt::format("cannot read the passphrase file {}", path.string()),
                "check its permissions");
  if ((st.st_mode & S_IROTH) != 0)
    terminal.warning(fmt::format("the passphrase file {} is readable by every user of this "
                                 "machine; run: chmod 600 {}",
                                 path.string(), path.string()));
  return path;
}

// A proxy URL with a password in it would put the password into the
// crontab or unit file for everyone who can read them.
bool has_password(const std::string& url) {
  const auto scheme = url.find("://");
  const auto start = scheme == std::string::npos ? 0 : scheme + 3;
  const auto at = url.find('@', start);
  return at != std::string::npos && url.find(':', start) < at;
}

// The global options the job needs to reach the same repository the same way.
std::vector<std::string> global_arguments(const GlobalOptions& global,
                                          const std::filesystem::path& passphrase_file) {
  std::vector<std::string> args = {"--config-dir", config_dir(global).string(), "--cache-dir",
                                   cache_dir(global).string()};
  if (!global.repo.empty()) args.insert(args.end(), {"--repo", absolute_string(global.repo)});
  args.insert(args.end(), {"--password-file", passphrase_file.string()});
  const auto& t = global.transport;
  if (!t.proxy.empty()) {
    if (has_password(t.proxy))
      throw Error(Code::usage,
                  "the --proxy URL holds a password, which the job would show to "
                  "anyone who can read the crontab or unit file",
                  "put the password in a file and pass --proxy-password-file FILE");
    args.insert(args.end(), {"--proxy", t.proxy});
  }
  for (const auto& m : t.map)
    args.insert(args.end(), {"--map", m});
  if (!t.source_ports.empty()) args.insert(args.end(), {"--source-ports", t.source_ports});
  if (t.no_proxy) args.emplace_back("--no-proxy");
  if (!t.proxy_password_file.empty())
    args.insert(args.end(), {"--proxy-password-file", absolute_string(t.proxy_password_file)});
  if (!t.limit_upload.empty()) args.insert(args.end(), {"--limit-upload", t.limit_upload});
  if (!t.limit_download.empty()) args.insert(args.end(), {"--limit-download", t.limit_download});
  if (!global.retry_lock.empty()) args.insert(args.end(), {"--retry-lock", global.retry_lock});
  // -v: the log then says what each run did ("snapshot 1a2b3c4d saved").
  args.emplace_back("--verbose");
  return args;
}

// The backup flags re-parsed by the backup command's own declarations, so the
// job never holds a flag `offsite backup` would refuse at 3 in the morning.
std::vector<std::string> backup_arguments(const std::vector<std::string>& raw, Terminal& terminal) {
  CLI::App probe{"offsite"};
  GlobalOptions unused;
  register_backup(probe, unused);
  // One value per occurrence ("--tag nightly /home" tags and backs up /home),
  // as people read it; CLI11 would otherwise let a repeatable option take
  // the paths after it too.
  for (CLI::Option* option : probe.get_subcommand("backup")->get_options())
    if (option->nonpositional()) option->allow_extra_args(false);
  std::vector<std::string> reversed = {raw.rbegin(), raw.rend()};
  reversed.emplace_back("backup");
  try {
    probe.parse(reversed);
  } catch (const CLI::ParseError& e) {
    const auto text = describe_option_error(*probe.get_subcommand("backup"), "offsite backup", e);
    throw Error(Code::usage, fmt::format("the backup flags of the job: {}", text.message),
                fmt::format("{}; pass flags of \"offsite backup\" and paths after --daily; "
                            "global options such as --config-dir go before \"schedule\"",
                            text.hint));
  }
  const CLI::App* backup = probe.get_subcommand("backup");
  std::vector<std::string> flags;
  std::vector<std::string> paths;
  for (const CLI::Option* option : backup->get_options()) {
    if (option->count() == 0) continue;
    const auto& lnames = option->get_lnames();
    const auto& snames = option->get_snames();
    if (lnames.empty() && snames.empty()) { // the positional PATH...
      for (const auto& p : option->results()) {
        if (has_control_character(p))
          throw Error(Code::usage,
                      fmt::format("the path \"{}\" holds a control character", printable(p)),
                      "a crontab line cannot carry it; back up its parent directory");
        const std::string path = absolute_string(p);
        std::error_code ec;
        if (!std::filesystem::exists(std::filesystem::symlink_status(path, ec)))
          terminal.warning(fmt::format("{} does not exist now; the job backs it up when it does",
                                       printable(path)));
        paths.push_back(path);
      }
      continue;
    }
    const std::string name = lnames.empty() ? "-" + snames.front() : "--" + lnames.front();
    if (name == "--help") continue;
    if (name == "--stdin" || name == "--stdin-filename" || name == "--time")
      throw Error(Code::usage, fmt::format("{} makes no sense for a scheduled backup", name),
                  "leave it out");
    if (option->get_expected_max() == 0) { // a flag
      flags.push_back(name);
      continue;
    }
    for (const auto& value : option->results()) {
      flags.push_back(name);
      flags.push_back(name == "--exclude-file" ? absolute_string(value) : value);
    }
  }
  if (paths.empty())
    throw Error(Code::usage, "a scheduled backup needs the paths to back up",
                "name them after the flags: offsite schedule install --daily 02:30 "
                "--password-file FILE ~/Documents");
  // Paths first: after a repeatable option, `offsite backup` would take them
  // as more of its values.
  paths.insert(paths.end(), flags.begin(), flags.end());
  return paths;
}

} // namespace

std::filesystem::path self_executable() {
  std::error_code ec;
  auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec || path.empty())
    throw Error(Code::generic, "cannot find the path of the offsite binary (/proc/self/exe)",
                "is /proc mounted?");
  return path;
}

std::string job_name(const GlobalOptions& global) {
  GlobalOptions defaults;
  std::string identity = config_dir(global).lexically_normal().string();
  if (!global.repo.empty()) identity += "\n" + absolute_string(global.repo);
  if (identity == config_dir(defaults).lexically_normal().string()) return "offsite-backup";
  const auto hash = core::crypto::sha256(as_bytes(identity));
  return "offsite-backup-" + to_hex(hash).substr(0, 8);
}

ScheduledJob build_job(const GlobalOptions& global, const std::vector<std::string>& backup_args,
                       Terminal& terminal) {
  if (!global.password_command.empty())
    throw Error(Code::usage, "a scheduled backup reads its passphrase from a file",
                "pass --password-file FILE instead of --password-command");
  ScheduledJob job;
  job.name = job_name(global);
  job.config_dir = config_dir(global);
  job.password_file = password_file(global, terminal);
  job.command.push_back(self_executable().string());
  for (auto& a : global_arguments(global, job.password_file))
    job.command.push_back(std::move(a));
  job.command.emplace_back("backup");
  for (auto& a : backup_arguments(backup_args, terminal))
    job.command.push_back(std::move(a));
  for (const auto& word : job.command)
    if (has_control_character(word))
      throw Error(Code::usage,
                  fmt::format("\"{}\" holds a control character, which a crontab line or unit "
                              "file cannot carry",
                              printable(word)));
  return job;
}

} // namespace offsite::cli
