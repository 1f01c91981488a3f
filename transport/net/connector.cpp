#include "transport/net/connector.hpp"

namespace offsite::transport {

Connector::~Connector() = default;

} // namespace offsite::transport
