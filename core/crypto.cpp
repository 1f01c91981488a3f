#include "core/crypto.hpp"
