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
              "run \"offsite repair index\" to rebuild the index from the packs");
}

} // namespace

void Index::add_pack(const std::string& pack_name, const std::vector<PackEntry>& entries) {
  std::unique_lock lock(m_mutex);
  auto [it, inserted] =
      m_pack_ids.try_emplace(pack_name, static_cast<std::uint32_t>(m_pack_names.size()));
  if (inserted) {
    m_pack_names.push_back(pack_name);
    m_pack_has_data.push_back(false);
  }
  const std::uint32_t pack = it->second;
  if (std::any_of(entries.begin(), entries.end(),
                  [](const PackEntry& e) { return e.type == BlobType::data; }))
    m_pack_has_data[pack] = true;
  m_removed_packs.erase(pack);
  for (const PackEntry& e : entries) {
    const Entry entry{pack, e.offset, e.length, e.raw_length, e.type};
    const auto [at, fresh] = m_entries.try_emplace(e.id, entry);
    if (fresh || at->second.pack == pack) continue;
    const auto [first, last] = m_alternates.equal_range(e.id);
    if (std::none_of(first, last, [&](const auto& kv) { return kv.second.pack == pack; }))
      m_alternates.emplace(e.id, entry);
  }
}

std::vector<BlobLocation> Index::find_all(const BlobId& id) const {
  std::shared_lock lock(m_mutex);
  std::vector<BlobLocation> out;
  const auto it = m_entries.find(id);
  if (it == m_entries.end()) return out;
  out.push_back(location(it->second));
  const auto [first, last] = m_alternates.equal_range(id);
  for (auto alt = first; alt != last; ++alt)
    out.push_back(location(alt->second));
  return out;
}

BlobLocation Index::location(const Entry& e) const {
  return BlobLocation{m_pack_names[e.pack],    e.type, e.offset, e.length, e.raw_length,
                      !m_pack_has_data[e.pack]};
}

std::optional<BlobLocation> Index::find(const BlobId& id) const {
  std::shared_lock lock(m_mutex);
  auto it = m_entries.find(id);
  if (it == m_entries.end()) return std::nullopt;
  return location(it->second);
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
  if (m_removed_packs.empty()) return m_pack_names;
  std::vector<std::string> out;
  for (std::uint32_t i = 0; i < m_pack_names.size(); ++i)
    if (!m_removed_packs.contains(i)) out.push_back(m_pack_names[i]);
  return out;
}

std::size_t Index::remove_packs(const std::vector<std::string>& pack_names) {
  std::unique_lock lock(m_mutex);
  std::unordered_set<std::uint32_t> gone;
  for (const auto& name : pack_names)
    if (const auto it = m_pack_ids.find(name); it != m_pack_ids.end()) gone.insert(it->second);
  if (gone.empty()) return 0;
  m_removed_packs.insert(gone.begin(), gone.end());
  std::erase_if(m_alternates, [&](const auto& kv) { return gone.contains(kv.second.pack); });
  std::size_t removed = 0;
  for (auto it = m_entries.begin(); it != m_entries.end();) {
    if (!gone.contains(it->second.pack)) {
      ++it;
      continue;
    }
    // A copy in another pack takes the lost one's place.
    if (const auto alt = m_alternates.find(it->first); alt != m_alternates.end()) {
      it->second = alt->second;
      m_alternates.erase(alt);
      ++it;
      continue;
    }
    it = m_entries.erase(it);
    ++removed;
  }
  return removed;
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
