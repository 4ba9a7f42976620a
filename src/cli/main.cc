// The cairn command: a thin adapter over the library. Commands are listed in one table
// (cli/command.h) that drives both help and dispatch.

#include <malloc.h>

#include <cstdio>
#include <string>
#include <vector>

#include "cli/command.h"

int main(int argc, char** argv) {
  // cairn's commands build and drop column buffers of hundreds of megabytes. By default glibc
  // maps each such buffer freshly from the kernel and unmaps it on free, so every reuse costs
  // page faults and zeroing of the whole buffer; keeping freed memory in the heap instead makes
  // reuse free. The process is short-lived, so holding on to its peak is harmless.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  std::vector<std::string> args(argv + 1, argv + argc);
  return cairn::cli::RunCli(args, stdout, stderr);
}
