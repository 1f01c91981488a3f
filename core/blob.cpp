#include "core/blob.hpp"
