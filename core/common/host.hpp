#pragma once
#include <string>

namespace offsite::core {

// gethostname(), or "localhost" when it fails.
std::string local_host_name();
// The effective user's login name, or the numeric uid.
std::string local_user_name();

} // namespace offsite::core
