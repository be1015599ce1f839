// The HTML report: self-contained (no scripts, no network), escapes case text, holds its charts and
// numbers; then rendered by a real browser (Debian's chromium, headless), which must produce the
// same charts in its DOM and a screenshot. Skipped only when chromium is not installed.
#include "qforge/report/html.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "qforge/eval/write_text.h"
#include "report/fixture.h"
#include "support/run_command.h"
#include "support/temp_dir.h"

namespace qforge {
namespace {
using ::testing::HasSubstr;
using ::testing::Not;

size_t Count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

TEST(Html, SelfContainedWithChartsAndNumbers) {
  const std::string h = report::RenderHtml({test::SyntheticReport(8)});
  EXPECT_THAT(h, HasSubstr("<!DOCTYPE html>"));
  EXPECT_THAT(h, Not(HasSubstr("<script")));
  EXPECT_THAT(h, Not(HasSubstr("http://www.w3.org/1999")));  // no external resources
  EXPECT_EQ(Count(h, "src="), 0u);
  EXPECT_EQ(Count(h, "<svg"), 2u);  // capability bars + KLD histogram
  EXPECT_EQ(Count(h, "class=\"bar cand\""), 2u);
  EXPECT_THAT(h, HasSubstr("60.0%"));                              // arithmetic candidate score
  EXPECT_THAT(h, HasSubstr("Q: &lt;20&gt; &amp; &quot;x&quot;"));  // escaped prompt
  EXPECT_THAT(h, HasSubstr("41 41 41"));                           // candidate output side by side
}

TEST(Html, SeveralReportsDrawThePrecisionLadder) {
  const std::string h = report::RenderHtml({test::SyntheticReport(0), test::SyntheticReport(8)});
  EXPECT_THAT(h, HasSubstr("Precision ladder"));
  EXPECT_EQ(Count(h, "class=\"point\""), 4u);  // quality and KLD, one point per report each
}

using ShellResult = test::CommandResult;

// Runs a shell command, stdout only.
ShellResult Shell(const std::string& cmd) { return test::RunCommand(cmd + " 2>/dev/null"); }

std::string Chromium() {
  for (const char* c : {"chromium", "chromium-browser", "google-chrome"})
    if (Shell(std::string("command -v ") + c).code == 0) return c;
  return "";
}

using HtmlBrowser = test::TempDirTest;

TEST_F(HtmlBrowser, ChromiumRendersChartsAndNumbers) {
  const std::string browser = Chromium();
  if (browser.empty()) GTEST_SKIP() << "chromium is not installed (apt-get install chromium)";
  const std::string page = Path("report.html");
  eval::WriteTextAtomic(page, report::RenderHtml({test::SyntheticReport(8)}));
  // --no-sandbox: test containers run as root, where chromium's sandbox refuses to start.
  const std::string flags =
      "--headless --no-sandbox --disable-gpu --disable-dev-shm-usage "
      "--no-first-run --user-data-dir=" +
      Path("profile");
  const ShellResult dom =
      Shell("timeout 90 " + browser + " " + flags + " --dump-dom file://" + page);
  ASSERT_EQ(dom.code, 0) << dom.out;
  // The DOM the browser built (not our string): both charts parsed as SVG, with their numbers.
  EXPECT_EQ(Count(dom.out, "<svg"), 2u);
  EXPECT_EQ(Count(dom.out, "class=\"bar cand\""), 2u);
  EXPECT_THAT(dom.out, HasSubstr("Accuracy per capability"));
  EXPECT_THAT(dom.out, HasSubstr("KL divergence per token"));
  EXPECT_THAT(dom.out, HasSubstr("60.0%"));
  const std::string shot = std::filesystem::current_path() / "report_html_screenshot.png";
  const ShellResult png =
      Shell("timeout 90 " + browser + " " + flags +
            " --window-size=1200,1800 --screenshot=" + shot + " file://" + page);
  ASSERT_EQ(png.code, 0);
  ASSERT_TRUE(std::filesystem::exists(shot));
  EXPECT_GT(std::filesystem::file_size(shot), 20000u);  // a blank page compresses to a few KB
  std::printf("screenshot: %s (%ju bytes)\n", shot.c_str(),
              uintmax_t(std::filesystem::file_size(shot)));
}

}  // namespace
}  // namespace qforge
