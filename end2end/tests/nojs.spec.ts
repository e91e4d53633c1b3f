import { test, expect } from "@playwright/test";
import * as path from "path";
import { SHOT_DIR } from "./shots";

// Sign-up and sign-in are plain forms: they work before (or without) the wasm.
test.use({ javaScriptEnabled: false });

test("sign up, sign out and sign in without JavaScript", async ({ page }) => {
  const email = `nojs-${Date.now()}@example.hu`;
  await page.goto("/signup");
  await page.locator("#email").fill(email);
  await page.locator("#password").fill("rovid");
  await page.locator("#auth-submit").click();
  // The server's answer comes back in the URL and is shown inline, same text as with JS.
  await expect(page.locator("#password-error")).toHaveText("A jelszó legalább 8 karakter legyen.");

  await page.locator("#email").fill(email);
  await page.locator("#password").fill("jelszo-12345");
  await page.locator("#auth-submit").click();
  await expect(page).toHaveURL(/\/integrations$/);
  await expect(page.locator("#user-email")).toHaveText(email);

  await page.locator("#user-menu summary").click();
  await page.locator("#sign-out").click();
  await expect(page.locator("#user-menu")).toHaveCount(0);

  await page.goto("/signin");
  await page.locator("#email").fill(email);
  await page.locator("#password").fill("rossz-jelszo");
  await page.locator("#auth-submit").click();
  await expect(page.locator("#form-error")).toHaveText("Hibás e-mail cím vagy jelszó.");
  await page.screenshot({ path: path.join(SHOT_DIR, "00-signin-nojs-error.png") });

  await page.locator("#email").fill(email);
  await page.locator("#password").fill("jelszo-12345");
  await page.locator("#auth-submit").click();
  await expect(page).toHaveURL(/\/integrations$/);
  await expect(page.locator("#user-email")).toHaveText(email);
});

test("protected pages send a visitor to sign-in and back", async ({ page }) => {
  await page.goto("/integrations");
  await expect(page).toHaveURL(/\/signin\?next=%2Fintegrations$/);
});
