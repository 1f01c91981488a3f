#include "core/store/storage_faults.hpp"

#include <cerrno>
#include <cstdlib>
#include <string>

namespace offsite::core {

namespace {

constexpr std::array<std::string_view, 6> k_op_names = {"open",    "write",  "fsync",
                                                        "dirsync", "rename", "mkdir"};
static_assert(k_op_names.size() == 6 && static_cast<std::size_t>(StorageOp::mkdir) == 5);

} // namespace

StorageFaults::StorageFaults(std::string_view spec) {
  while (!spec.empty()) {
    const auto comma = spec.find(',');
    add_rule(spec.substr(0, comma));
    if (comma == std::string_view::npos) break;
    spec.remove_prefix(comma + 1);
  }
}

StorageFaults& StorageFaults::from_environment() {
  static StorageFaults faults([] {
    const char* text = std::getenv("OFFSITE_TEST_FAULT");
    return std::string_view(text != nullptr ? text : "");
  }());
  return faults;
}

void StorageFaults::add_rule(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return;
  const std::string_view op = text.substr(0, colon);
  std::string_view rest = text.substr(colon + 1);
  Rule rule;
  rule.error = EIO;
  if (const auto second = rest.find(':'); second != std::string_view::npos) {
    const std::string_view name = rest.substr(second + 1);
    if (name == "ENOSPC")
      rule.error = ENOSPC;
    else if (name != "EIO")
      return;
    rest = rest.substr(0, second);
  }
  if (rest.ends_with('+')) {
    rule.and_later = true;
    rest.remove_suffix(1);
  }
  const std::string number(rest);
  char* end = nullptr;
  rule.call = std::strtol(number.c_str(), &end, 10);
  if (number.empty() || *end != '\0' || rule.call < 1) return;
  for (std::size_t i = 0; i < k_op_names.size(); ++i)
    if (k_op_names[i] == op) m_rules[i] = rule;
}

int StorageFaults::inject(StorageOp op) {
  const auto index = static_cast<std::size_t>(op);
  const Rule& rule = m_rules[index];
  if (rule.call == 0) return 0;
  const long call = m_calls[index].fetch_add(1) + 1;
  return call == rule.call || (rule.and_later && call > rule.call) ? rule.error : 0;
}

} // namespace offsite::core
