// offsited: the data-centre server. The network roles arrive with the
// network-path issue; until then it only reports its version.
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("offsited %s\n", OFFSITE_VERSION);
    return 0;
  }
  std::fprintf(stderr, "offsited: error: the server roles are not built yet\n");
  return 1;
}
