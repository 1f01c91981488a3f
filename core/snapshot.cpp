#include "core/snapshot.hpp"
