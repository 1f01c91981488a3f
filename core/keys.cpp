#include "core/keys.hpp"
