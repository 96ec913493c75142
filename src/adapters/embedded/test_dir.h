// TempDir: a fresh directory for one test, removed afterwards. Test-only.
#pragma once

#include <filesystem>
#include <random>
#include <string>

namespace urna::embedded {

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            ("urna-test-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace urna::embedded
