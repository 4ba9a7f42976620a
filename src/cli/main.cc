#include <cstdio>

int main() {
  std::puts("cairn");
  return 0;
}
