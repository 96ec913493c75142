// Data directory housekeeping for the embedded deployment: keeps the ballots private on disk
// (directory 0700, files 0600) and measures the free space the database needs. Plain functions;
// called at start-up and by EmbeddedDb's recovery thread (blocking file system calls).
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace urna::embedded {

// Creates `dir` with mode 0700, or narrows an existing one to 0700 (logging that it did).
// Fails when it cannot create the directory or change its mode.
Status PrepareDataDir(const std::string& dir);

// Narrows every regular file directly in `dir` that other users may read or write to 0600
// (RocksDB makes its LOCK file 0644 whatever it is told). Returns how many it changed.
int TightenDataFiles(const std::string& dir);

// Bytes available to this process on the file system holding `dir`, or an error.
Result<uint64_t> FreeDiskBytes(const std::string& dir);

// Ok when `dir` has at least `min_free` bytes available; otherwise a kUnavailable status that
// says how much is free and how much is needed.
Status CheckFreeDisk(const std::string& dir, uint64_t min_free);

}  // namespace urna::embedded
