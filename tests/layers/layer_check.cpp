// Linked with the whole archive of one layer (tests/layers/CMakeLists.txt): nothing to run.
int main() {
    return 0;
}
