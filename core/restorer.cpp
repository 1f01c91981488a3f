#include "core/restorer.hpp"
