#include "core/chunker.hpp"
