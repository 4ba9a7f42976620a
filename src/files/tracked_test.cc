#include "files/tracked.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "base/hash.h"
#include "files/hash_cache.h"

namespace cairn::files {
namespace {

namespace fs = std::filesystem;

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& data) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << data;
}

class TrackedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "cairn_tracked_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = fs::canonical(pattern).string();
    fs::create_directories(root_ + "/ws/.cairn");
    WriteFile(root_ + "/ws/data/a.txt", "alpha\n");
    WriteFile(root_ + "/ws/data/sub/b.txt", "bravo\n");
    WriteFile(root_ + "/ws/data/sub/c.bin", std::string(1000, 'c'));
  }
  void TearDown() override {
    // Cache objects are read-only; removal needs only the directory to be writable.
    fs::remove_all(root_);
  }
  std::unique_ptr<TrackedFiles> Open(FilesOptions o = {}) {
    o.threads = 2;
    auto t = TrackedFiles::Open(ws(), "", o);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? std::move(*t) : nullptr;
  }
  std::string ws() const { return root_ + "/ws"; }
  std::string data() const { return root_ + "/ws/data"; }
  std::string root_;
};

TEST_F(TrackedTest, AddWritesPointerAndStatusIsClean) {
  auto t = Open();
  auto added = t->Add({data()});
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  ASSERT_EQ(added->size(), 1U);
  EXPECT_EQ((*added)[0].files, 3);
  EXPECT_EQ((*added)[0].bytes, 6 + 6 + 1000);
  EXPECT_EQ((*added)[0].hashed, 3);
  // The pointer's id is the hash of the manifest: rebuild it by hand from independent hashes.
  const std::string manifest = "cairn-manifest 1\n" + Sha256Hex("alpha\n") + " 6 - a.txt\n" +
                               Sha256Hex("bravo\n") + " 6 - sub/b.txt\n" +
                               Sha256Hex(std::string(1000, 'c')) + " 1000 - sub/c.bin\n";
  EXPECT_EQ((*added)[0].sha256, Sha256Hex(manifest));
  auto status = t->Check({});
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  ASSERT_EQ(status->size(), 1U);
  EXPECT_TRUE((*status)[0].up_to_date());
  EXPECT_EQ((*status)[0].pointer, "data.cairn");
}

TEST_F(TrackedTest, HashCacheSkipsFilesWithUnchangedStatAndRehashesTouchedOnes) {
  ASSERT_TRUE(Open()->Add({data()}).ok());
  const std::string a = data() + "/a.txt";
  ASSERT_TRUE(Open()->Unprotect({a}).ok());
  // Change the content, then make the hash cache claim the new stat tuple has the old hash:
  // as if the content changed without the tuple changing.
  WriteFile(a, "ALPHA\n");
  struct stat st {};
  ASSERT_EQ(::stat(a.c_str(), &st), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(80));  // not racily clean
  {
    HashCache hc(ws() + "/.cairn/hashcache");
    hc.Load();
    hc.Record("data/a.txt", ToFileStat(st), Sha256Of("alpha\n"));
    ASSERT_TRUE(hc.Save().ok());
  }
  auto status = Open()->Check({data()});
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_TRUE((*status)[0].up_to_date()) << "the file was read although its tuple matched";
  EXPECT_EQ((*status)[0].hashed, 0);
  // Touching it changes mtime and ctime: now it is read, and found modified.
  ASSERT_EQ(::utimensat(AT_FDCWD, a.c_str(), nullptr, 0), 0);
  status = Open()->Check({data()});
  ASSERT_TRUE(status.ok());
  EXPECT_EQ((*status)[0].hashed, 1);
  EXPECT_EQ((*status)[0].modified, std::vector<std::string>{"a.txt"});
}

// The modification time of `path` in nanoseconds.
int64_t MtimeNs(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

// Lets every recorded stat tuple age past the hash cache's racy margin: a status then hashes
// the racily clean files once more and saves the cache with a later write time.
void Settle(TrackedFiles& t, const std::string& path) {
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  ASSERT_TRUE(t.Check({path}).ok());
}

TEST_F(TrackedTest, SecondAddReusesTheEntriesAndRewritesNothing) {
  auto first = Open()->Add({data()});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  Settle(*Open(), data());
  const std::string pointer = ws() + "/data.cairn";
  const std::string hashcache = ws() + "/.cairn/hashcache";
  const std::string index = ws() + "/.cairn/manifest-index/" + (*first)[0].sha256;
  ASSERT_TRUE(fs::exists(index));
  const int64_t pointer_mtime = MtimeNs(pointer);
  const int64_t cache_mtime = MtimeNs(hashcache);
  const int64_t index_mtime = MtimeNs(index);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto again = Open()->Add({data()});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)[0].sha256, (*first)[0].sha256);
  EXPECT_EQ((*again)[0].hashed, 0);
  EXPECT_EQ((*again)[0].stored, 0);
  EXPECT_EQ((*again)[0].files, 3);
  EXPECT_EQ((*again)[0].bytes, 6 + 6 + 1000);
  EXPECT_EQ(MtimeNs(pointer), pointer_mtime);
  EXPECT_EQ(MtimeNs(hashcache), cache_mtime);
  EXPECT_EQ(MtimeNs(index), index_mtime);

  // One edit: only that file is read, and the new manifest is what a hand-written one says.
  ASSERT_TRUE(Open()->Unprotect({data() + "/sub/b.txt"}).ok());
  WriteFile(data() + "/sub/b.txt", "BRAVO!\n");
  auto edited = Open()->Add({data()});
  ASSERT_TRUE(edited.ok()) << edited.status().ToString();
  EXPECT_EQ((*edited)[0].hashed, 1);
  EXPECT_EQ((*edited)[0].stored, 1);
  const std::string manifest = "cairn-manifest 1\n" + Sha256Hex("alpha\n") + " 6 - a.txt\n" +
                               Sha256Hex("BRAVO!\n") + " 7 - sub/b.txt\n" +
                               Sha256Hex(std::string(1000, 'c')) + " 1000 - sub/c.bin\n";
  EXPECT_EQ((*edited)[0].sha256, Sha256Hex(manifest));
  EXPECT_EQ(Read(Open()->cache().PathOf(Sha256Hex(manifest))), manifest);
  EXPECT_NE(Read(pointer).find("sha256: " + Sha256Hex(manifest)), std::string::npos);
}

TEST_F(TrackedTest, DamagedManifestIndexIsRebuilt) {
  auto added = Open()->Add({data()});
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  const std::string index = ws() + "/.cairn/manifest-index/" + (*added)[0].sha256;
  ASSERT_TRUE(fs::exists(index));
  {
    std::fstream f(index, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(66);
    f.put('\x55');
  }
  ASSERT_TRUE(Open()->Unprotect({data() + "/a.txt"}).ok());
  WriteFile(data() + "/a.txt", "ALPHA\n");
  auto t = Open();
  auto status = t->Check({data()});
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ((*status)[0].modified, std::vector<std::string>{"a.txt"});
  EXPECT_TRUE((*status)[0].added.empty());
  EXPECT_TRUE((*status)[0].deleted.empty());
  ASSERT_FALSE(t->warnings().empty());
  EXPECT_NE(t->warnings()[0].find("manifest index is rebuilt"), std::string::npos)
      << t->warnings()[0];
  // Rebuilt from the manifest: the next status reads it without a warning.
  auto again = Open();
  status = again->Check({data()});
  ASSERT_TRUE(status.ok());
  EXPECT_EQ((*status)[0].modified, std::vector<std::string>{"a.txt"});
  EXPECT_TRUE(again->warnings().empty());
  // Without any index (removed by hand), status still compares from the manifest.
  fs::remove_all(ws() + "/.cairn/manifest-index");
  status = Open()->Check({data()});
  ASSERT_TRUE(status.ok());
  EXPECT_EQ((*status)[0].modified, std::vector<std::string>{"a.txt"});
}

TEST_F(TrackedTest, AddAfterADeletionDropsOnlyThatHashCacheEntry) {
  ASSERT_TRUE(Open()->Add({data()}).ok());
  Settle(*Open(), data());
  ASSERT_EQ(::unlink((data() + "/a.txt").c_str()), 0);
  auto added = Open()->Add({data()});
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ((*added)[0].files, 2);
  EXPECT_EQ((*added)[0].hashed, 0);
  HashCache hc(ws() + "/.cairn/hashcache");
  hc.Load();
  EXPECT_EQ(hc.CountUnder("data/"), 2U);
  struct stat st {};
  ASSERT_EQ(::stat((data() + "/sub/c.bin").c_str(), &st), 0);
  EXPECT_EQ(*hc.Lookup("data/sub/c.bin", ToFileStat(st)), Sha256Of(std::string(1000, 'c')));
}

TEST_F(TrackedTest, CheckoutMakesEachLinkKind) {
  ASSERT_TRUE(Open()->Add({data()}).ok());
  struct Case {
    LinkMode mode;
    bool symlink;
    bool shared_inode;
    bool writable;
  };
  for (const Case& c :
       {Case{LinkMode::kHardlink, false, true, false}, Case{LinkMode::kSymlink, true, false, false},
        Case{LinkMode::kCopy, false, false, true}}) {
    SCOPED_TRACE(std::string(LinkModeName(c.mode)));
    ASSERT_TRUE(Open()->Unprotect({data()}).ok());
    fs::remove_all(data());
    FilesOptions o;
    o.link = c.mode;
    o.link_explicit = true;
    auto t = Open(o);
    auto r = t->Checkout({data()});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ((*r)[0].written, 3);
    EXPECT_TRUE((*r)[0].ok());
    const std::string b = data() + "/sub/b.txt";
    EXPECT_EQ(Read(b), "bravo\n");
    struct stat lst {};
    ASSERT_EQ(::lstat(b.c_str(), &lst), 0);
    EXPECT_EQ(S_ISLNK(lst.st_mode), c.symlink);
    struct stat st {};
    struct stat ost {};
    ASSERT_EQ(::stat(b.c_str(), &st), 0);
    ASSERT_EQ(::stat(t->cache().PathOf(Sha256Hex("bravo\n")).c_str(), &ost), 0);
    EXPECT_EQ(st.st_ino == ost.st_ino, c.shared_inode || c.symlink);
    EXPECT_EQ((st.st_mode & 0222) != 0, c.writable);
    EXPECT_EQ(ost.st_mode & 0777, 0444U);
    auto status = Open()->Check({data()});
    ASSERT_TRUE(status.ok());
    EXPECT_TRUE((*status)[0].up_to_date());
  }
}

TEST_F(TrackedTest, CheckoutKeepsUntrackedAndModifiedFilesWithoutForce) {
  ASSERT_TRUE(Open()->Add({data()}).ok());
  ASSERT_TRUE(Open()->Unprotect({data() + "/a.txt"}).ok());
  WriteFile(data() + "/a.txt", "mine\n");
  WriteFile(data() + "/extra.txt", "keep me\n");
  auto r = Open()->Checkout({data()});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].conflicts, std::vector<std::string>{"a.txt"});
  EXPECT_EQ((*r)[0].untracked, std::vector<std::string>{"extra.txt"});
  EXPECT_EQ(Read(data() + "/a.txt"), "mine\n");
  EXPECT_EQ(Read(data() + "/extra.txt"), "keep me\n");
  FilesOptions o;
  o.force = true;
  r = Open(o)->Checkout({data()});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)[0].ok());
  EXPECT_EQ(Read(data() + "/a.txt"), "alpha\n");
  EXPECT_FALSE(fs::exists(data() + "/extra.txt"));
}

TEST_F(TrackedTest, CheckoutRemovesUnlistedFilesWhoseContentIsCached) {
  ASSERT_TRUE(Open()->Add({data()}).ok());
  const std::string old_pointer = Read(ws() + "/data.cairn");
  ASSERT_TRUE(Open()->Unprotect({data()}).ok());
  WriteFile(data() + "/new.txt", "new\n");
  auto again = Open()->Add({data()});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  // Back to the old pointer: new.txt is cached content, so it goes.
  WriteFile(ws() + "/data.cairn", old_pointer);
  auto r = Open()->Checkout({});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].removed, 1);
  EXPECT_FALSE(fs::exists(data() + "/new.txt"));
}

TEST_F(TrackedTest, DamagedObjectIsRefetchedFromTheRemote) {
  FilesOptions o;
  o.remote = root_ + "/remote";
  ASSERT_TRUE(Open(o)->Add({data()}).ok());
  auto pushed = Open(o)->Push({});
  ASSERT_TRUE(pushed.ok()) << pushed.status().ToString();
  EXPECT_EQ(pushed->transferred, 4);  // three files and the manifest
  EXPECT_EQ(Open(o)->Push({})->transferred, 0);
  // Damage the object of c.bin (same size, other bytes); the working copy is a hardlink.
  auto t = Open(o);
  const std::string object = t->cache().PathOf(Sha256Hex(std::string(1000, 'c')));
  ASSERT_TRUE(t->Unprotect({data()}).ok());
  ASSERT_EQ(::chmod(object.c_str(), 0644), 0);
  WriteFile(object, std::string(1000, 'X'));
  fs::remove_all(data());
  o.link = LinkMode::kCopy;
  o.link_explicit = true;
  auto r = Open(o)->Checkout({data()});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].refetched, 1);
  EXPECT_TRUE((*r)[0].ok());
  EXPECT_EQ(Read(data() + "/sub/c.bin"), std::string(1000, 'c'));
  // Without a remote the damage is reported, and the file not written.
  ASSERT_EQ(::chmod(object.c_str(), 0644), 0);
  WriteFile(object, std::string(1000, 'Y'));
  fs::remove(data() + "/sub/c.bin");
  o.remote.clear();
  r = Open(o)->Checkout({data()});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].unavailable, std::vector<std::string>{Sha256Hex(std::string(1000, 'c'))});
  EXPECT_FALSE(fs::exists(data() + "/sub/c.bin"));
  o.verify = true;
  auto status = Open(o)->Check({data()});
  ASSERT_TRUE(status.ok());
  EXPECT_EQ((*status)[0].objects_corrupt,
            std::vector<std::string>{Sha256Hex(std::string(1000, 'c'))});
}

TEST_F(TrackedTest, PullFillsAnEmptyCache) {
  FilesOptions o;
  o.remote = root_ + "/remote";
  ASSERT_TRUE(Open(o)->Add({data()}).ok());
  ASSERT_TRUE(Open(o)->Push({}).ok());
  ASSERT_TRUE(Open(o)->Unprotect({data()}).ok());
  fs::remove_all(data());
  fs::remove_all(ws() + "/.cairn/cache");
  auto pulled = Open(o)->Pull({data()});
  ASSERT_TRUE(pulled.ok()) << pulled.status().ToString();
  EXPECT_TRUE(pulled->ok());
  auto r = Open(o)->Checkout({data()});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Read(data() + "/a.txt"), "alpha\n");
}

TEST_F(TrackedTest, PathsOutsideTheWorkspaceAreRejected) {
  auto r = Open()->Add({root_});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("outside the workspace root"), std::string::npos);
  auto missing = Open()->Check({data()});
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace cairn::files
