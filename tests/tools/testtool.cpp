// Helpers for integration tests that need to reach below the CLI.
int main() { return 0; }
