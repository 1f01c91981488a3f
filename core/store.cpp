#include "core/store.hpp"
