#include "server/store/s3_xml.hpp"

#include <charconv>
#include <optional>

#include <expat.h>
#include <fmt/format.h>

namespace offsite::server {

namespace {

// No element we read is longer (keys are at most 1024 bytes, tokens shorter);
// a longer text is a malformed reply, not a reason to grow without bound.
constexpr std::size_t k_max_text = 4096;

// Element names without a namespace prefix ("s3:Key" and "Key" alike).
std::string_view local_name(const XML_Char* name) {
  const std::string_view n(name);
  const std::size_t colon = n.rfind(':');
  return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

// Walks a document keeping the element path; `on_end(path, text)` sees each
// element's text as it closes. The path holds the open elements, outermost first.
class Walker {
public:
  virtual ~Walker() = default;

  // Returns an error message, or an empty string when the document parsed.
  std::string parse(std::string_view xml) {
    XML_Parser parser = XML_ParserCreate(nullptr);
    if (parser == nullptr) throw std::bad_alloc();
    XML_SetUserData(parser, this);
    XML_SetElementHandler(parser, &Walker::start, &Walker::end);
    XML_SetCharacterDataHandler(parser, &Walker::text);
    // S3 replies have no DTD; one in a reply is hostile or not S3.
    XML_SetStartDoctypeDeclHandler(parser, &Walker::doctype);
    m_parser = parser;
    std::string error;
    if (xml.size() > static_cast<std::size_t>(INT32_MAX)) {
      error = "reply too large";
    } else if (XML_Parse(parser, xml.data(), static_cast<int>(xml.size()), XML_TRUE) !=
               XML_STATUS_OK) {
      error = m_error.empty() ? fmt::format("line {}: {}", XML_GetCurrentLineNumber(parser),
                                            XML_ErrorString(XML_GetErrorCode(parser)))
                              : m_error;
    }
    XML_ParserFree(parser);
    return error;
  }

protected:
  virtual void on_end(const std::vector<std::string>& path, const std::string& text) = 0;
  void fail(std::string message) {
    if (m_error.empty()) m_error = std::move(message);
    XML_StopParser(m_parser, XML_FALSE);
  }

private:
  static void start(void* self, const XML_Char* name, const XML_Char** /*attributes*/) {
    auto* w = static_cast<Walker*>(self);
    w->m_path.emplace_back(local_name(name));
    w->m_text.clear();
  }
  static void end(void* self, const XML_Char* /*name*/) {
    auto* w = static_cast<Walker*>(self);
    w->on_end(w->m_path, w->m_text);
    w->m_path.pop_back();
    w->m_text.clear();
  }
  static void text(void* self, const XML_Char* s, int len) {
    auto* w = static_cast<Walker*>(self);
    if (w->m_text.size() + static_cast<std::size_t>(len) > k_max_text)
      return w->fail("an element's text is too long");
    w->m_text.append(s, static_cast<std::size_t>(len));
  }
  static void doctype(void* self, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    static_cast<Walker*>(self)->fail("a document type declaration");
  }

  XML_Parser m_parser = nullptr;
  std::vector<std::string> m_path;
  std::string m_text;
  std::string m_error;
};

class ListWalker : public Walker {
public:
  S3ListResult result;
  std::optional<bool> truncated;
  bool root_ok = false;

protected:
  void on_end(const std::vector<std::string>& path, const std::string& text) override {
    if (path.size() == 1) {
      root_ok = path[0] == "ListBucketResult";
      if (!root_ok) fail(fmt::format("the document is <{}>, not <ListBucketResult>", path[0]));
      return;
    }
    if (path[0] != "ListBucketResult") return;
    if (path.size() == 2) {
      if (path[1] == "IsTruncated") {
        if (text == "true")
          truncated = true;
        else if (text == "false")
          truncated = false;
        else
          fail("IsTruncated is neither true nor false");
      } else if (path[1] == "NextContinuationToken") {
        result.next_continuation_token = text;
      } else if (path[1] == "Contents") {
        if (!m_key || !m_size) return fail("an object without Key or Size");
        result.objects.push_back({std::move(*m_key), *m_size});
        m_key.reset();
        m_size.reset();
      }
      return;
    }
    if (path.size() == 3 && path[1] == "Contents") {
      if (path[2] == "Key") {
        if (text.empty()) return fail("an empty Key");
        m_key = text;
      } else if (path[2] == "Size") {
        std::uint64_t size = 0;
        const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), size);
        if (text.empty() || ec != std::errc() || ptr != text.data() + text.size())
          return fail("a Size that is not a number");
        m_size = size;
      }
    }
  }

private:
  std::optional<std::string> m_key;
  std::optional<std::uint64_t> m_size;
};

class ErrorWalker : public Walker {
public:
  std::string code;

protected:
  void on_end(const std::vector<std::string>& path, const std::string& text) override {
    if (path.size() == 2 && path[0] == "Error" && path[1] == "Code") code = text;
  }
};

} // namespace

S3ListResult parse_list_objects_v2(std::string_view xml) {
  ListWalker w;
  std::string error = w.parse(xml);
  if (error.empty() && !w.root_ok) error = "no <ListBucketResult>";
  if (error.empty() && !w.truncated) error = "no IsTruncated";
  if (error.empty() && *w.truncated && w.result.next_continuation_token.empty())
    error = "a truncated listing without NextContinuationToken";
  if (!error.empty()) throw MalformedS3Reply("malformed ListObjectsV2 reply: " + error);
  w.result.truncated = *w.truncated;
  return std::move(w.result);
}

std::string parse_s3_error_code(std::string_view xml) {
  if (xml.empty()) return {};
  ErrorWalker w;
  if (!w.parse(xml).empty()) return {};
  return w.code;
}

} // namespace offsite::server
