import { test, expect } from "@playwright/test";

test("home page hydrates and reaches the server", async ({ page }) => {
  await page.goto("/");
  await expect(page.locator("#status")).toHaveText("hydrated");
  await expect(page.locator("#demo-banner")).toBeVisible();
  await page.locator("#check-server").click();
  await expect(page.locator("#check-result")).toHaveText("Adatbázis: rendben");
});

test("health endpoints answer", async ({ request }) => {
  expect((await request.get("/healthz")).status()).toBe(200);
  expect((await request.get("/readyz")).status()).toBe(200);
});
