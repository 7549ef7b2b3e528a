// SHA-256 digests in hex (OpenSSL's EVP interface): of plugin libraries (which file provided a
// type), of a resolved config and of a shard's journal (docs/cluster.md).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace racesim {

/// The SHA-256 of a file's content in lowercase hex; empty when it cannot be read.
[[nodiscard]] std::string sha256_file(const std::filesystem::path& path);

/// The SHA-256 of some bytes in lowercase hex.
[[nodiscard]] std::string sha256_hex(std::string_view bytes);

}  // namespace racesim
