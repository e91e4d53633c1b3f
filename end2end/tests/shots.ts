import * as path from "path";

// Screenshots of each step are test artifacts under test-results/ (wiped at the start of every
// run); `UPDATE_SCREENSHOTS=1` writes the committed set in end2end/screenshots/ instead, which
// is refreshed at each release of the UI.
export const SHOT_DIR = path.join(
  __dirname,
  "..",
  process.env.UPDATE_SCREENSHOTS ? "screenshots" : path.join("test-results", "screenshots"),
);
