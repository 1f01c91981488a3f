// offsited: the data-centre server. Everything lives in server/commands.cpp.
#include "server/commands/commands.hpp"

int main(int argc, char** argv) { return offsite::server::run(argc, argv); }
