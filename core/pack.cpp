#include "core/pack.hpp"
