// sim/cli/nodemcu_files.h — a NodeMCU project folder given to `--firmware`: the folder holds an
// init.lua, and its files (init.lua and whatever it loads) go into every device's own files, as
// NodeMCU's upload tools put them on the chip's file system (docs/nodemcu.md).
#pragma once
#include <filesystem>
#include <vector>

#include "flash_image.h"

namespace espfleet {

// Whether `dir` is a NodeMCU project: a folder with an init.lua.
bool is_nodemcu_project(const std::filesystem::path& dir);
// Its files (regular files directly in the folder, sorted by name) as "/NAME". Throws CliError
// naming a file whose name or size the device's file region cannot take.
std::vector<FlashFile> nodemcu_project_files(const std::filesystem::path& dir);

}  // namespace espfleet
