// File: bench/machine.h
//
// What every benchmark prints about the machine it ran on: the number of
// processors available, the CPU model, the memory, and the SQLite version.
#ifndef CADUCE_BENCH_MACHINE_H_
#define CADUCE_BENCH_MACHINE_H_

#include <string>

namespace caduce::bench {

// Adds "nproc", "cpu_model", "memory" and "sqlite" to Google Benchmark's context
// (printed before the results) and returns the same as one line.
std::string DescribeMachine();

}  // namespace caduce::bench

#endif  // CADUCE_BENCH_MACHINE_H_
