#include "core/repository.hpp"
