#include "core/exclude.hpp"
