#include "core/local_store.hpp"
