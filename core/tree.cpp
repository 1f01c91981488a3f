#include "core/tree.hpp"
