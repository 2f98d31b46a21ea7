#pragma once
// Static files (web/dist under /sdk/, demo pages under /demo/) with traversal protection:
// decoded "." / ".." / hidden segments, backslashes and NULs are refused, and the resolved real
// path (symlinks followed) must stay inside the root's real path.

#include <optional>
#include <string>
#include <string_view>

namespace hashgate::gw::api {

/// A file (or redirect, or error) found for a request path.
struct StaticFile {
  int status = 404;          ///< 200, 308 (directory without slash), 400, 404
  std::string content_type;  ///< for 200
  std::string body;          ///< file bytes for 200
  std::string location;      ///< for 308
};

/// Serves files below one root directory.
class StaticFiles {
 public:
  /// `root` may be relative (to the working directory) and may not exist (then everything 404s).
  explicit StaticFiles(std::string root);
  /// Looks up `rel` (the still percent-encoded path after the mount prefix, no query);
  /// `mount` is the URL prefix (e.g. "/demo/") used for redirects.
  StaticFile get(std::string_view rel, std::string_view mount) const;
  /// True if the root exists as a directory.
  bool available() const;
  /// The root's own index.html if it has one; else an HTML list of the root's sub-folders that
  /// hold an index.html and its top-level .html files, linked under `mount` (titled `title`).
  std::string index_html(std::string_view mount, std::string_view title) const;

 private:
  std::string m_root;
};

/// Content type for a file name by extension (application/octet-stream when unknown).
std::string_view content_type_for(std::string_view path);

}  // namespace hashgate::gw::api
