#include "core/format/index.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "core/common/error.hpp"

namespace offsite::core {

namespace {

constexpr std::uint8_t k_index_version = 1;
constexpr std::size_t k_name_size = 32;

[[noreturn]] void malformed(std::string_view what) {
  throw Error(Code::integrity, fmt::format("index file is malformed: {}", what),
              "run offsite check; a damaged index can be rebuilt from the packs");
}

} // namespace

void Index::add_pack(const std::string& pack_name, const std::vector<PackEntry>& entries) {
  std::unique_lock lock(m_mutex);
  auto [it, inserted] =
      m_pack_ids.try_emplace(pack_name, static_cast<std::uint32_t>(m_pack_names.size()));
  if (inserted) m_pack_names.push_back(pack_name);
  const std::uint32_t pack = it->second;
  m_entries.reserve(m_entries.size() + entries.size());
  for (const PackEntry& e : entries)
    m_entries.try_emplace(e.id, Entry{pack, e.offset, e.length, e.raw_length, e.type});
}

std::optional<BlobLocation> Index::find(const BlobId& id) const {
  std::shared_lock lock(m_mutex);
  auto it = m_entries.find(id);
  if (it == m_entries.end()) return std::nullopt;
  const Entry& e = it->second;
  return BlobLocation{m_pack_names[e.pack], e.type, e.offset, e.length, e.raw_length};
}

bool Index::contains(const BlobId& id) const {
  std::shared_lock lock(m_mutex);
  return m_entries.contains(id);
}

std::size_t Index::blob_count() const {
  std::shared_lock lock(m_mutex);
  return m_entries.size();
}

std::vector<std::string> Index::packs() const {
  std::shared_lock lock(m_mutex);
  return m_pack_names;
}

Bytes encode_index(const std::vector<IndexedPack>& packs) {
  std::size_t size = 5;
  for (const auto& p : packs)
    size += k_name_size + 4 + p.entries.size() * k_pack_entry_size;
  Bytes out;
  out.reserve(size);
  out.push_back(k_index_version);
  put_u32(out, static_cast<std::uint32_t>(packs.size()));
  for (const auto& p : packs) {
    const auto raw = from_hex(p.name);
    if (!raw || raw->size() != k_name_size || to_hex(*raw) != p.name)
      throw Error(Code::usage, fmt::format("invalid pack name \"{}\"", p.name));
    out.insert(out.end(), raw->begin(), raw->end());
    put_u32(out, static_cast<std::uint32_t>(p.entries.size()));
    for (const auto& e : p.entries)
      put_pack_entry(out, e);
  }
  return out;
}

std::vector<IndexedPack> decode_index(ByteView data) {
  if (data.size() < 5) malformed("truncated header");
  if (data[0] != k_index_version)
    malformed(fmt::format("unknown version {}", static_cast<int>(data[0])));
  const std::uint32_t npacks = get_u32(data.data() + 1);
  std::size_t pos = 5;
  // Bound the reservation by what the data can hold, never by a count field.
  std::vector<IndexedPack> packs;
  packs.reserve(std::min<std::size_t>(npacks, (data.size() - pos) / (k_name_size + 4)));
  for (std::uint32_t i = 0; i < npacks; ++i) {
    if (data.size() - pos < k_name_size + 4) malformed("truncated pack record");
    IndexedPack pack;
    pack.name = to_hex(data.subspan(pos, k_name_size));
    const std::uint32_t n = get_u32(data.data() + pos + k_name_size);
    pos += k_name_size + 4;
    if ((data.size() - pos) / k_pack_entry_size < n) malformed("truncated entries");
    pack.entries.reserve(n);
    for (std::uint32_t j = 0; j < n; ++j) {
      auto e = get_pack_entry(data.data() + pos);
      if (!e) malformed(fmt::format("unknown blob type {}", static_cast<int>(data[pos])));
      if (std::uint64_t{e->offset} + e->length > std::numeric_limits<std::uint32_t>::max())
        malformed("blob extends past 4 GiB");
      pack.entries.push_back(*e);
      pos += k_pack_entry_size;
    }
    packs.push_back(std::move(pack));
  }
  if (pos != data.size()) malformed("trailing bytes");
  return packs;
}

} // namespace offsite::core
