#include "core/archiver.hpp"
