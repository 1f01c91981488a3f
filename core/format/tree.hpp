#pragma once
// Trees: one directory's entries, stored as a blob of type tree (deduplicated
// like data). Encoded as CBOR (RFC 8949) so names are raw bytes, never
// re-encoded: a name with invalid UTF-8 or a newline survives unchanged.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/format/blob.hpp"

namespace offsite::core {

enum class NodeType : std::uint8_t { file, dir, symlink, fifo, chardev, blockdev, socket };

std::string_view node_type_name(NodeType type);

struct Node {
  std::string name; // raw bytes of one path component
  NodeType type = NodeType::file;
  std::uint32_t mode = 0; // permission bits incl. setuid/setgid/sticky (07777)
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string user;  // name of uid at backup time, "" if unknown
  std::string group; // name of gid at backup time, "" if unknown
  std::int64_t mtime_ns = 0;
  std::int64_t atime_ns = 0;
  std::int64_t ctime_ns = 0;
  std::uint64_t size = 0;
  std::uint64_t inode = 0;
  std::uint64_t device_id = 0; // st_dev, to pair hardlinks
  std::uint32_t links = 1;
  std::uint64_t rdev = 0; // device nodes
  bool sparse = false;    // the file had holes; restore recreates them
  std::string link_target;
  std::vector<std::pair<std::string, std::string>> xattrs; // name -> raw value
  std::vector<BlobId> content;                             // files: data blobs in order
  std::optional<BlobId> subtree;                           // dirs
};

struct Tree {
  std::vector<Node> nodes; // sorted by name, names unique
};

Bytes encode_tree(const Tree& tree);

// Throws Error(Code::integrity) when malformed. Does not judge names: the
// restorer refuses unsafe ones with its own message.
Tree decode_tree(ByteView data);

// A name is safe to create inside a directory: not empty, not "." or "..",
// no '/' and no NUL.
bool is_safe_node_name(std::string_view name);

} // namespace offsite::core
