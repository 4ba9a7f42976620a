// Commands of tracked files: add, status, checkout, push, pull, unprotect (docs/files.md).

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/output.h"
#include "data/workspace.h"
#include "files/tracked.h"

namespace cairn::cli {
namespace {

using files::TrackedFiles;

constexpr size_t kListed = 10;  // names shown per list in text output

Result<std::unique_ptr<TrackedFiles>> OpenTracked(const Invocation& inv) {
  files::FilesOptions o;
  if (auto v = inv.args.Get("threads")) {
    CAIRN_ASSIGN_OR_RETURN(int64_t n, ParseIntFlag("threads", *v, 0, 1024));
    o.threads = static_cast<int>(n);
  }
  if (auto v = inv.args.Get("jobs")) {
    CAIRN_ASSIGN_OR_RETURN(int64_t n, ParseIntFlag("jobs", *v, 1, 1024));
    o.transfer_threads = static_cast<int>(n);
  }
  if (auto v = inv.args.Get("link")) {
    CAIRN_ASSIGN_OR_RETURN(o.link, files::ParseLinkMode(*v));
    o.link_explicit = true;
  }
  o.force = inv.args.Has("force");
  o.verify = inv.args.Has("verify");
  if (auto v = inv.args.Get("remote")) {
    o.remote = *v;
  } else if (const char* env = std::getenv("CAIRN_REMOTE")) {
    o.remote = env;
  }
  CAIRN_ASSIGN_OR_RETURN(auto ws, data::Workspace::Open());
  return TrackedFiles::Open(ws->root(), ws->store_uri(), o);
}

int Failure(const Invocation& inv, const Status& st) {
  if (st.code() == StatusCode::kInvalidArgument) return inv.UsageError(st.message());
  return inv.Fail(st);
}

void PrintWarnings(const Invocation& inv, const TrackedFiles& t) {
  for (const auto& w : t.warnings()) Write(inv.err, "cairn: warning: " + w + "\n");
}

// "  modified: a, b, ... (and 7 more)" lines.
std::string ListLines(const std::string& label, const std::vector<std::string>& names,
                      const std::string& base) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < kListed; ++i) {
    const std::string shown = names[i].empty() ? base : base + "/" + names[i];
    out += "    ";
    out += label;
    out += ": ";
    out += shown;
    out += '\n';
  }
  if (names.size() > kListed) {
    out += "    ... and " + std::to_string(names.size() - kListed) + " more " + label + "\n";
  }
  return out;
}

void JsonList(JsonWriter& j, std::string_view key, const std::vector<std::string>& names) {
  j.Key(key);
  j.BeginArray();
  for (const auto& n : names) j.String(n);
  j.EndArray();
}

std::string Target(const std::string& pointer) {
  return pointer.substr(0, pointer.size() - files::kPointerSuffix.size());
}

std::string Bytes(int64_t n) {
  char buf[32];
  if (n >= int64_t{1} << 30) {
    std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(n) / (1 << 30));
  } else if (n >= int64_t{1} << 20) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(n) / (1 << 20));
  } else {
    std::snprintf(buf, sizeof buf, "%lld bytes", static_cast<long long>(n));
  }
  return buf;
}

int RunAdd(const Invocation& inv) {
  if (inv.args.positionals().empty()) return inv.UsageError("expected at least one path");
  auto t = OpenTracked(inv);
  if (!t.ok()) return Failure(inv, t.status());
  auto results = (*t)->Add(inv.args.positionals());
  PrintWarnings(inv, **t);
  if (!results.ok()) return Failure(inv, results.status());
  if (inv.json) {
    JsonWriter j;
    j.BeginArray();
    for (const auto& r : *results) {
      j.BeginObject();
      j.Key("pointer");
      j.String(r.pointer);
      j.Key("type");
      j.String(r.kind == files::PointerKind::kFile ? "file" : "directory");
      j.Key("sha256");
      j.String(r.sha256);
      j.Key("files");
      j.Int(r.files);
      j.Key("bytes");
      j.Int(r.bytes);
      j.Key("hashed");
      j.Int(r.hashed);
      j.Key("stored");
      j.Int(r.stored);
      j.EndObject();
    }
    j.EndArray();
    Write(inv.out, j.str() + "\n");
    return kExitOk;
  }
  for (const auto& r : *results) {
    Write(inv.out, "added " + Target(r.pointer) + ": " + std::to_string(r.files) + " file" +
                       (r.files == 1 ? "" : "s") + ", " + Bytes(r.bytes) + " (" +
                       std::to_string(r.hashed) + " hashed, " + std::to_string(r.stored) +
                       " new in the cache); wrote " + r.pointer + "\n");
  }
  return kExitOk;
}

int RunStatus(const Invocation& inv) {
  auto t = OpenTracked(inv);
  if (!t.ok()) return Failure(inv, t.status());
  auto results = (*t)->Check(inv.args.positionals());
  PrintWarnings(inv, **t);
  if (!results.ok()) return Failure(inv, results.status());
  if (inv.json) {
    JsonWriter j;
    j.BeginArray();
    for (const auto& r : *results) {
      j.BeginObject();
      j.Key("pointer");
      j.String(r.pointer);
      j.Key("up_to_date");
      j.Bool(r.up_to_date());
      j.Key("missing_from_cache");
      j.Bool(r.missing_from_cache);
      j.Key("files");
      j.Int(r.files);
      j.Key("hashed");
      j.Int(r.hashed);
      JsonList(j, "modified", r.modified);
      JsonList(j, "added", r.added);
      JsonList(j, "deleted", r.deleted);
      if (inv.args.Has("verify")) {
        JsonList(j, "objects_missing", r.objects_missing);
        JsonList(j, "objects_corrupt", r.objects_corrupt);
      }
      j.EndObject();
    }
    j.EndArray();
    Write(inv.out, j.str() + "\n");
    return kExitOk;
  }
  for (const auto& r : *results) {
    const std::string target = Target(r.pointer);
    std::string line = r.pointer + ": ";
    if (r.missing_from_cache && r.kind == files::PointerKind::kDirectory) {
      line += "missing from the cache (run `cairn pull`)\n";
    } else if (r.up_to_date()) {
      line +=
          "up to date (" + std::to_string(r.files) + " file" + (r.files == 1 ? "" : "s") + ")\n";
    } else {
      if (r.kind == files::PointerKind::kFile) {
        line += r.deleted.empty() ? (r.modified.empty() ? "up to date" : "modified") : "deleted";
        if (r.missing_from_cache) line += "; missing from the cache";
        line += "\n";
      } else {
        line += std::to_string(r.modified.size()) + " modified, " + std::to_string(r.added.size()) +
                " added, " + std::to_string(r.deleted.size()) + " deleted\n";
        line += ListLines("modified", r.modified, target) + ListLines("added", r.added, target) +
                ListLines("deleted", r.deleted, target);
      }
    }
    if (inv.args.Has("verify")) {
      if (r.objects_missing.empty() && r.objects_corrupt.empty()) {
        line += "    cache objects verified\n";
      } else {
        line += "    cache: " + std::to_string(r.objects_missing.size()) + " objects missing, " +
                std::to_string(r.objects_corrupt.size()) + " damaged (run `cairn pull --verify`)\n";
        line += ListLines("missing object", r.objects_missing, "");
        line += ListLines("damaged object", r.objects_corrupt, "");
      }
    }
    Write(inv.out, line);
  }
  return kExitOk;
}

int ReportCheckout(const Invocation& inv, const std::vector<files::CheckoutResult>& results) {
  bool ok = true;
  if (inv.json) {
    JsonWriter j;
    j.BeginArray();
    for (const auto& r : results) {
      ok = ok && r.ok();
      j.BeginObject();
      j.Key("pointer");
      j.String(r.pointer);
      j.Key("written");
      j.Int(r.written);
      j.Key("unchanged");
      j.Int(r.unchanged);
      j.Key("removed");
      j.Int(r.removed);
      j.Key("refetched");
      j.Int(r.refetched);
      JsonList(j, "conflicts", r.conflicts);
      JsonList(j, "untracked", r.untracked);
      JsonList(j, "unavailable", r.unavailable);
      j.EndObject();
    }
    j.EndArray();
    Write(inv.out, j.str() + "\n");
    return ok ? kExitOk : kExitFailure;
  }
  for (const auto& r : results) {
    ok = ok && r.ok();
    const std::string target = Target(r.pointer);
    std::string line = "checked out " + target + ": " + std::to_string(r.written) + " written, " +
                       std::to_string(r.unchanged) + " unchanged, " + std::to_string(r.removed) +
                       " removed";
    if (r.refetched > 0) line += ", " + std::to_string(r.refetched) + " refetched";
    line += "\n";
    if (!r.conflicts.empty()) {
      line += "  " + std::to_string(r.conflicts.size()) +
              " modified files kept (their content is not in the cache; --force overwrites)\n" +
              ListLines("kept", r.conflicts, target);
    }
    if (!r.untracked.empty()) {
      line += "  " + std::to_string(r.untracked.size()) +
              " untracked files kept (--force removes them)\n" +
              ListLines("untracked", r.untracked, target);
    }
    if (!r.unavailable.empty()) {
      line += "  " + std::to_string(r.unavailable.size()) +
              " objects missing from or damaged in the cache and not available from a remote\n" +
              ListLines("object", r.unavailable, "");
    }
    Write(inv.out, line);
  }
  if (!ok) Write(inv.err, "cairn: error: the working tree does not fully match the pointers\n");
  return ok ? kExitOk : kExitFailure;
}

int RunCheckout(const Invocation& inv) {
  auto t = OpenTracked(inv);
  if (!t.ok()) return Failure(inv, t.status());
  auto results = (*t)->Checkout(inv.args.positionals());
  PrintWarnings(inv, **t);
  if (!results.ok()) return Failure(inv, results.status());
  return ReportCheckout(inv, *results);
}

int ReportTransfer(const Invocation& inv, const std::string& verb, const files::TransferResult& r) {
  if (inv.json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("objects");
    j.Int(r.objects);
    j.Key("transferred");
    j.Int(r.transferred);
    j.Key("bytes");
    j.Int(r.bytes);
    JsonList(j, "missing", r.missing);
    JsonList(j, "corrupt", r.corrupt);
    j.EndObject();
    Write(inv.out, j.str() + "\n");
  } else {
    std::string line = verb + ": " + std::to_string(r.transferred) + " of " +
                       std::to_string(r.objects) + " objects transferred (" + Bytes(r.bytes) +
                       ")\n";
    if (!r.missing.empty()) {
      line += "  " + std::to_string(r.missing.size()) + " objects missing from the " +
              (verb == "push" ? "cache" : "remote") + "\n" + ListLines("missing", r.missing, "");
    }
    if (!r.corrupt.empty()) {
      line += "  " + std::to_string(r.corrupt.size()) + " objects damaged\n" +
              ListLines("damaged", r.corrupt, "");
    }
    Write(inv.out, line);
  }
  return r.ok() ? kExitOk : kExitFailure;
}

int RunPush(const Invocation& inv) {
  auto t = OpenTracked(inv);
  if (!t.ok()) return Failure(inv, t.status());
  auto r = (*t)->Push(inv.args.positionals());
  PrintWarnings(inv, **t);
  if (!r.ok()) return Failure(inv, r.status());
  return ReportTransfer(inv, "push", *r);
}

int RunPull(const Invocation& inv) {
  auto t = OpenTracked(inv);
  if (!t.ok()) return Failure(inv, t.status());
  auto r = (*t)->Pull(inv.args.positionals());
  PrintWarnings(inv, **t);
  if (!r.ok()) return Failure(inv, r.status());
  if (inv.args.Has("no-checkout") || inv.json) return ReportTransfer(inv, "pull", *r);
  const int transfer = ReportTransfer(inv, "pull", *r);
  auto c = (*t)->Checkout(inv.args.positionals());
  if (!c.ok()) return Failure(inv, c.status());
  const int checkout = ReportCheckout(inv, *c);
  return transfer != kExitOk ? transfer : checkout;
}

int RunUnprotect(const Invocation& inv) {
  if (inv.args.positionals().empty()) return inv.UsageError("expected at least one path");
  auto t = OpenTracked(inv);
  if (!t.ok()) return Failure(inv, t.status());
  auto n = (*t)->Unprotect(inv.args.positionals());
  if (!n.ok()) return Failure(inv, n.status());
  if (inv.json) {
    JsonWriter j;
    j.BeginObject();
    j.Key("unprotected");
    j.Int(*n);
    j.EndObject();
    Write(inv.out, j.str() + "\n");
  } else {
    Write(inv.out, "unprotected " + std::to_string(*n) + " files (now writable copies)\n");
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> FileCommands() {
  const FlagSpec threads{"threads", 0, true, false, "N", "worker threads (default: all cores)"};
  const FlagSpec link{"link",
                      0,
                      true,
                      false,
                      "MODE",
                      "reflink, hardlink, symlink or copy (default: reflink, else hardlink, "
                      "else copy)"};
  const FlagSpec remote{"remote",
                        0,
                        true,
                        false,
                        "URI",
                        "remote object store: s3://bucket/prefix, file:///dir or a directory "
                        "(default: $CAIRN_REMOTE)"};
  const FlagSpec jobs{"jobs", 'j', true, false, "N", "concurrent transfers (default 16)"};
  const FlagSpec force{"force", 'f', false,
                       false,   "",  "overwrite modified files and remove untracked ones"};
  std::vector<Command> c;
  c.push_back(
      {"add",
       "",
       "track files or directories: cache their content and write PATH.cairn",
       "PATH...",
       "Hashes the files (in parallel; a file whose device, inode, size, mtime and ctime are "
       "unchanged since it was last hashed is not read again), stores their content in the "
       "cache, links the working copies to it and writes PATH.cairn, a small pointer file to "
       "commit to git. Hardlinked and symlinked files are read-only: run `cairn unprotect "
       "PATH` before editing them, then `cairn add PATH` again.",
       {threads, link},
       RunAdd});
  c.push_back({"status",
               "",
               "compare tracked files with their pointer files",
               "[PATH...]",
               "Without paths, every pointer file in the workspace. Lists modified, added and "
               "deleted files (the first 10 of each, with counts). Exit status 0 whatever the "
               "differences. --verify also re-hashes the cache objects.",
               {threads, {"verify", 0, false, false, "", "re-hash cache objects"}},
               RunStatus});
  c.push_back(
      {"checkout",
       "",
       "make the working tree match the pointer files",
       "[PATH...]",
       "Links files from the cache. Files whose content is not in the cache (modified or "
       "untracked) are never overwritten or removed without --force. Objects missing from or "
       "damaged in the cache are fetched from the remote when one is configured. Exit status "
       "1 when something could not be made to match.",
       {threads, link, force, remote},
       RunCheckout});
  c.push_back({"push",
               "",
               "upload cached objects the remote lacks",
               "[PATH...]",
               "Uploads, concurrently, the objects of the pointer files (all in the workspace "
               "without paths) that the remote does not hold.",
               {remote, jobs},
               RunPush});
  c.push_back({"pull",
               "",
               "download missing objects from the remote, then check out",
               "[PATH...]",
               "Downloads, concurrently, the objects the pointer files need that the cache "
               "lacks (or that have the wrong size; with --verify, the wrong hash), verifies "
               "each download's hash, then checks the paths out.",
               {remote,
                jobs,
                threads,
                link,
                force,
                {"verify", 0, false, false, "", "re-hash cached objects, refetch damaged ones"},
                {"no-checkout", 0, false, false, "", "only fill the cache"}},
               RunPull});
  c.push_back({"unprotect",
               "",
               "replace linked (read-only) working files by writable copies",
               "PATH...",
               "Run before editing files that checkout or add hardlinked or symlinked to the "
               "cache; `cairn add` afterwards stores the new content.",
               {threads},
               RunUnprotect});
  return c;
}

}  // namespace cairn::cli
