// Files cache file format (local only, never uploaded), little-endian:
//
//   magic    8 bytes  "OFSFCACH"
//   version  u32      2 (1 is read too: it has no flags)
//   count    u64      number of entries
//   entries  count x {
//              path_len u32, path bytes (raw, absolute),
//              size u64, mtime_ns i64, ctime_ns i64, inode u64,
//              flags u8 (version 2: bit 0 = no extended attributes),
//              n_content u32, n_content x 32-byte blob ID }
//   check    u64      FNV-1a 64 of every byte before it
//
// Why a checksum and not a MAC: the file lives next to the data it describes
// and holds nothing secret beyond the paths already on this disk; it only
// needs to notice truncation and bit rot. A cache that fails any check is
// dropped whole (losing it costs only time), and the archiver re-checks that
// every content ID is still in the repository before trusting an entry.

#include "core/backup/files_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "core/common/bytes.hpp"
#include "core/common/crash_point.hpp"
#include "core/common/error.hpp"
#include "util/fsync_directory.hpp"

namespace offsite::core {

namespace {

constexpr std::string_view k_magic = "OFSFCACH";
constexpr std::uint32_t k_version = 2;
constexpr std::uint8_t k_flag_no_xattrs = 1;
constexpr std::size_t k_id_size = sizeof(BlobId);

std::uint64_t fnv1a(ByteView data) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (std::uint8_t b : data) {
    h ^= b;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// Bounds-checked reader: every take() fails softly on a short buffer.
class Reader {
public:
  explicit Reader(ByteView data) : m_data(data) {}
  bool take(std::size_t n, const std::uint8_t*& out) {
    if (m_data.size() - m_pos < n) return false;
    out = m_data.data() + m_pos;
    m_pos += n;
    return true;
  }
  bool u8(std::uint8_t& v) {
    const std::uint8_t* p = nullptr;
    if (!take(1, p)) return false;
    v = *p;
    return true;
  }
  bool u32(std::uint32_t& v) {
    const std::uint8_t* p = nullptr;
    if (!take(4, p)) return false;
    v = get_u32(p);
    return true;
  }
  bool u64(std::uint64_t& v) {
    const std::uint8_t* p = nullptr;
    if (!take(8, p)) return false;
    v = get_u64(p);
    return true;
  }
  bool i64(std::int64_t& v) {
    std::uint64_t u = 0;
    if (!u64(u)) return false;
    v = static_cast<std::int64_t>(u);
    return true;
  }
  std::size_t remaining() const { return m_data.size() - m_pos; }

private:
  ByteView m_data;
  std::size_t m_pos = 0;
};

// The fields after an entry's path, up to and including its content IDs.
bool read_fields(Reader& r, std::uint32_t version, FilesCacheEntry* out) {
  FilesCacheEntry e;
  std::uint32_t n_content = 0;
  std::uint8_t flags = 0;
  if (!r.u64(e.size) || !r.i64(e.mtime_ns) || !r.i64(e.ctime_ns) || !r.u64(e.inode) ||
      (version >= 2 && !r.u8(flags)) || !r.u32(n_content))
    return false;
  if (r.remaining() / k_id_size < n_content) return false;
  const std::uint8_t* ids = nullptr;
  r.take(n_content * k_id_size, ids);
  if (out == nullptr) return true;
  e.no_xattrs = (flags & k_flag_no_xattrs) != 0;
  e.content.resize(n_content);
  for (std::size_t i = 0; i < n_content; ++i)
    std::memcpy(e.content[i].data(), ids + i * k_id_size, k_id_size);
  *out = std::move(e);
  return true;
}

constexpr std::size_t k_header_size = k_magic.size() + 4 + 8;

// Checks the whole file and indexes its entries: path -> offset of the
// fields after it. nullopt when anything is wrong.
std::optional<std::unordered_map<std::string_view, std::size_t>>
index_entries(ByteView data, std::uint32_t& version) {
  if (data.size() < k_header_size + 8) return std::nullopt;
  ByteView body = data.first(data.size() - 8);
  if (fnv1a(body) != get_u64(data.data() + body.size())) return std::nullopt;
  if (as_string(body.first(k_magic.size())) != k_magic) return std::nullopt;
  Reader r(body.subspan(k_magic.size()));
  std::uint64_t count = 0;
  if (!r.u32(version) || (version != 1 && version != k_version) || !r.u64(count))
    return std::nullopt;
  std::unordered_map<std::string_view, std::size_t> entries;
  // Each entry takes at least 40 bytes: no count beyond that is believed.
  entries.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(count, body.size() / 40)));
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint32_t path_len = 0;
    const std::uint8_t* path = nullptr;
    if (!r.u32(path_len) || !r.take(path_len, path)) return std::nullopt;
    const std::size_t fields = body.size() - r.remaining();
    if (!read_fields(r, version, nullptr)) return std::nullopt;
    entries.insert_or_assign(std::string_view(reinterpret_cast<const char*>(path), path_len),
                             fields);
  }
  if (r.remaining() != 0) return std::nullopt;
  return entries;
}

void append_entry(Bytes& out, std::string_view path, const FilesCacheEntry& e) {
  put_u32(out, static_cast<std::uint32_t>(path.size()));
  out.insert(out.end(), path.begin(), path.end());
  put_u64(out, e.size);
  put_u64(out, static_cast<std::uint64_t>(e.mtime_ns));
  put_u64(out, static_cast<std::uint64_t>(e.ctime_ns));
  put_u64(out, e.inode);
  out.push_back(e.no_xattrs ? k_flag_no_xattrs : std::uint8_t{0});
  put_u32(out, static_cast<std::uint32_t>(e.content.size()));
  for (const auto& id : e.content)
    out.insert(out.end(), id.begin(), id.end());
}

void write_all(int fd, ByteView data, const std::string& what) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot write the files cache " + what, errno);
    }
    done += static_cast<std::size_t>(n);
  }
}

// Returns nullopt on any failure: an unreadable cache is an empty cache.
std::optional<Bytes> read_regular_file(const std::filesystem::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat st {};
  std::optional<Bytes> out;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    Bytes data(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < data.size()) {
      ssize_t n = ::read(fd, data.data() + got, data.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    if (got == data.size()) out = std::move(data);
  }
  ::close(fd);
  return out;
}

} // namespace

FilesCache FilesCache::load(const std::filesystem::path& file) {
  FilesCache cache;
  if (auto data = read_regular_file(file)) {
    cache.m_loaded = std::move(*data);
    if (auto entries = index_entries(cache.m_loaded, cache.m_loaded_version)) {
      cache.m_old = std::move(*entries);
      // Mostly the same entries are recorded again: grown once, not copied
      // at every doubling.
      cache.m_new.reserve(cache.m_loaded.size());
    } else
      cache.m_loaded = Bytes();
  }
  return cache;
}

// Moving the byte vector keeps its buffer, so m_old's views stay valid.
FilesCache::FilesCache(FilesCache&& other) noexcept
    : m_loaded(std::move(other.m_loaded)), m_loaded_version(other.m_loaded_version),
      m_old(std::move(other.m_old)) {
  std::lock_guard lock(other.m_mutex);
  m_new = std::move(other.m_new);
  m_new_count = other.m_new_count;
}

std::optional<FilesCacheEntry> FilesCache::find(const std::string& path) const {
  const auto it = m_old.find(path);
  if (it == m_old.end()) return std::nullopt;
  Reader r(ByteView(m_loaded).subspan(it->second));
  FilesCacheEntry entry;
  if (!read_fields(r, m_loaded_version, &entry)) return std::nullopt; // checked at load
  return entry;
}

void FilesCache::record(const std::string& path, const FilesCacheEntry& entry) {
  std::lock_guard lock(m_mutex);
  append_entry(m_new, path, entry);
  ++m_new_count;
}

void FilesCache::save(const std::filesystem::path& file) const {
  Bytes data(k_magic.begin(), k_magic.end());
  {
    std::lock_guard lock(m_mutex);
    data.reserve(k_header_size + m_new.size() + 8);
    put_u32(data, k_version);
    put_u64(data, m_new_count);
    data.insert(data.end(), m_new.begin(), m_new.end());
  }
  put_u64(data, fnv1a(data));
  std::filesystem::path dir = file.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    throw Error(Code::generic,
                "cannot create the cache directory " + dir.string() + ": " + ec.message(),
                "check the permissions of the cache directory (or set --cache-dir)");

  std::string tmp = (dir / (file.filename().string() + ".tmp-XXXXXX")).string();
  int fd = ::mkstemp(tmp.data()); // 0600: the cache lists file names
  if (fd < 0) throw_errno("cannot create a temporary files cache in " + dir.string(), errno);
  try {
    write_all(fd, data, tmp);
    if (::fsync(fd) != 0) throw_errno("cannot sync the files cache " + tmp, errno);
    if (::close(fd) != 0) {
      fd = -1;
      throw_errno("cannot close the files cache " + tmp, errno);
    }
    fd = -1;
    crash_point("client-files-cache-write");
    if (::rename(tmp.c_str(), file.c_str()) != 0)
      throw_errno("cannot move the files cache into place at " + file.string(), errno);
  } catch (...) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  // The rename is durable only once the directory is synced.
  (void)util::fsync_directory(dir.c_str());
}

} // namespace offsite::core
