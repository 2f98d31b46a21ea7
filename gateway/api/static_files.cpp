// Static file lookup: decode, vet every segment, resolve with realpath, confine to the root.
#include "gateway/api/static_files.hpp"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "gateway/policy/pii_guard.hpp"

#include <hashgate/hashgate.hpp>

namespace hashgate::gw::api {
namespace fs = std::filesystem;

namespace {

std::optional<std::string> real_path(const std::string& p) {
  char buf[PATH_MAX];
  if (!::realpath(p.c_str(), buf)) return std::nullopt;
  return std::string(buf);
}

std::string html_escape(std::string_view s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '&':
        o += "&amp;";
        break;
      case '"':
        o += "&quot;";
        break;
      case '\'':
        o += "&#39;";
        break;
      default:
        o.push_back(c);
    }
  }
  return o;
}

}  // namespace

std::string_view content_type_for(std::string_view path) {
  auto dot = path.rfind('.');
  std::string ext = dot == std::string_view::npos ? "" : std::string(path.substr(dot + 1));
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == "html" || ext == "htm") return "text/html; charset=utf-8";
  if (ext == "js" || ext == "mjs") return "text/javascript; charset=utf-8";
  if (ext == "css") return "text/css; charset=utf-8";
  if (ext == "json" || ext == "map") return "application/json";
  if (ext == "wasm") return "application/wasm";
  if (ext == "svg") return "image/svg+xml";
  if (ext == "png") return "image/png";
  if (ext == "ico") return "image/x-icon";
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  if (ext == "txt" || ext == "md") return "text/plain; charset=utf-8";
  if (ext == "ts") return "text/plain; charset=utf-8";
  if (ext == "csv") return "text/csv; charset=utf-8";
  return "application/octet-stream";
}

StaticFiles::StaticFiles(std::string root) : m_root(std::move(root)) {}

bool StaticFiles::available() const {
  std::error_code ec;
  return !m_root.empty() && fs::is_directory(m_root, ec);
}

StaticFile StaticFiles::get(std::string_view rel, std::string_view mount) const {
  StaticFile out;
  if (!available()) return out;
  std::string decoded = policy::percent_decode(rel, false);
  bool control = false;
  for (unsigned char c : decoded) control = control || c < 0x20 || c == 0x7f;
  if (control || decoded.find('\\') != std::string::npos || !hashgate::valid_utf8(decoded)) {
    out.status = 400;
    return out;
  }
  // Vet each segment.
  std::vector<std::string> segs;
  std::size_t start = 0;
  bool trailing_slash = decoded.empty() || decoded.back() == '/';
  while (start <= decoded.size()) {
    auto slash = decoded.find('/', start);
    std::string seg =
        decoded.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!seg.empty()) {
      if (seg == "." || seg == ".." || seg[0] == '.') {
        out.status = seg == "." || seg == ".." ? 400 : 404;
        return out;
      }
      segs.push_back(seg);
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  auto root_real = real_path(m_root);
  if (!root_real) return out;
  std::string candidate = *root_real;
  for (const auto& s : segs) candidate += "/" + s;
  auto real = real_path(candidate);
  if (!real) return out;
  if (*real != *root_real && real->rfind(*root_real + "/", 0) != 0) return out;  // escaped the root
  std::error_code ec;
  if (fs::is_directory(*real, ec)) {
    if (!trailing_slash) {
      out.status = 308;
      out.location = std::string(mount) + std::string(rel) + "/";  // still encoded, as received
      return out;
    }
    auto idx = real_path(*real + "/index.html");
    if (!idx || idx->rfind(*root_real + "/", 0) != 0) return out;
    *real = *idx;
  }
  if (!fs::is_regular_file(*real, ec)) return out;
  std::ifstream in(*real, std::ios::binary);
  if (!in) return out;
  std::ostringstream ss;
  ss << in.rdbuf();
  out.status = 200;
  out.body = ss.str();
  out.content_type = std::string(content_type_for(*real));
  return out;
}

std::string StaticFiles::index_html(std::string_view mount, std::string_view title) const {
  // The root's own index page wins (web/demo/index.html says what each demo shows, for whom).
  if (StaticFile own = get("", mount); own.status == 200) return own.body;
  std::string items;
  if (available()) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(m_root, ec)) {
      auto name = e.path().filename().string();
      if (name.empty() || name[0] == '.') continue;
      if (e.is_directory(ec) && fs::exists(e.path() / "index.html", ec))
        names.push_back(name + "/");
      else if (e.is_regular_file(ec) && name.size() > 5 &&
               name.substr(name.size() - 5) == ".html" && name != "index.html")
        names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    for (const auto& n : names)
      items += "<li><a href=\"" + html_escape(std::string(mount) + n) + "\">" + html_escape(n) +
               "</a></li>\n";
  }
  std::string page = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
                     html_escape(title) + "</title></head><body>\n<h1>" + html_escape(title) +
                     "</h1>\n";
  if (items.empty())
    page += "<p>No demo pages found (build them into web/demo/).</p>\n";
  else
    page += "<ul>\n" + items + "</ul>\n";
  page +=
      "<p><a href=\"/v1/optout/status\">Opt-out status</a> · <a href=\"/v1/optout\">Opt out</a> · "
      "<a href=\"/healthz\">healthz</a> · <a href=\"/metrics\">metrics</a></p>\n</body></html>\n";
  return page;
}

}  // namespace hashgate::gw::api
