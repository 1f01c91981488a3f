#include "core/files_cache.hpp"
