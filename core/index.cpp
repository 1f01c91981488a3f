#include "core/index.hpp"
