#include "cli/app.hpp"
namespace offsite::cli {
int run(int, char**) { return 0; }
} // namespace offsite::cli
