// Machine description for benchmark output.
#include "bench/machine.h"

#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <fstream>
#include <thread>

namespace caduce::bench {
namespace {

std::string FirstValue(const char* path, const std::string& key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      size_t start = line.find_first_not_of(" \t", colon + 1);
      return start == std::string::npos ? "" : line.substr(start);
    }
  }
  return "unknown";
}

}  // namespace

std::string DescribeMachine() {
  std::string nproc = std::to_string(sysconf(_SC_NPROCESSORS_ONLN));
  std::string cpu = FirstValue("/proc/cpuinfo", "model name");
  std::string mem = FirstValue("/proc/meminfo", "MemTotal");
  benchmark::AddCustomContext("nproc", nproc);
  benchmark::AddCustomContext("cpu_model", cpu);
  benchmark::AddCustomContext("memory", mem);
  benchmark::AddCustomContext("sqlite", sqlite3_libversion());
  return nproc + " processors, " + cpu + ", " + mem + " memory, SQLite " + sqlite3_libversion();
}

}  // namespace caduce::bench
