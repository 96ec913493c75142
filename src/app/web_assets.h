// The files of web/, embedded at build time (cmake/embed_web.cmake): name -> bytes.
#pragma once

#include <map>
#include <string_view>

namespace urna::app {

const std::map<std::string_view, std::string_view>& WebAssets();

}  // namespace urna::app
