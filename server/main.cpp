#include "server/app.hpp"

int main(int argc, char** argv) { return offsite::server::run(argc, argv); }
