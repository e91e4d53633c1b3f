import { test, expect, Page } from "@playwright/test";
import * as path from "path";
import { SHOT_DIR } from "./shots";

// The whole demo journey of issue 7, against a server in demo mode (built-in simulator):
// sign up → connect the demo shop through the simulator's install page → watch the initial
// sync reach 100% → search a product → a new order arrives by webhook → switch language →
// disconnect. Every step leaves a screenshot (see shots.ts for where).

const DEMO_SHOP = "demo-shop";

async function shot(page: Page, name: string) {
  await page.screenshot({ path: path.join(SHOT_DIR, `${name}.png`), fullPage: true });
}

async function hydrated(page: Page) {
  // The header's language switch is interactive only after hydration; wait for the wasm.
  await page.locator("body[data-hydrated]").waitFor({ state: "attached" });
}

/// On the simulator's admin page of the demo shop: uninstalls the app first when an earlier test
/// (or attempt) left it installed (ShopRenter calls our UninstallUri, which frees the shop).
async function showInstallButton(page: Page) {
  await page.locator("#sim-install, #sim-uninstall").first().waitFor();
  if (await page.locator("#sim-uninstall").isVisible()) {
    const adminUrl = page.url();
    await page.locator("#sim-uninstall").click();
    await expect(page.locator("#sim-uninstall-result")).toContainText("HTTP 200");
    await page.goto(adminUrl);
  }
}

/// Signs up a fresh merchant (`<prefix>-<time>@example.hu`) and lands on the integrations page.
async function signUpNewMerchant(page: Page, prefix: string) {
  await page.goto("/signup");
  await hydrated(page);
  await page.locator("#email").fill(`${prefix}-${Date.now()}@example.hu`);
  await page.locator("#password").fill("jelszo-12345");
  await page.locator("#auth-submit").click();
  await expect(page).toHaveURL(/\/integrations$/);
}

test.describe.configure({ mode: "serial" });

// The page's console, printed when a test fails: a wasm panic (a hydration mismatch, say) stops
// every update on the page, and the failing step alone would not say so.
let consoleLines: string[] = [];
test.beforeEach(({ page }) => {
  consoleLines = [];
  page.on("console", (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => consoleLines.push(`pageerror: ${e.message}`));
});
test.afterEach(({}, testInfo) => {
  if (testInfo.status !== testInfo.expectedStatus && consoleLines.length > 0) {
    console.log(`page console:\n${consoleLines.join("\n")}`);
  }
});

test("merchant demo journey", async ({ page, request }) => {
  test.setTimeout(240_000);
  const email = `merchant-${Date.now()}@example.hu`;
  const password = "jelszo-12345";

  // 1. Sign up, with inline validation first.
  await page.goto("/signup");
  await hydrated(page);
  await page.locator("#email").fill("nem-email");
  await page.locator("#password").click();
  await expect(page.locator("#email-error")).toHaveText("Ez nem tűnik érvényes e-mail címnek.");
  await page.locator("#email").fill(email);
  await page.locator("#password").fill(password);
  await shot(page, "01-signup");
  await page.locator("#auth-submit").click();
  await expect(page).toHaveURL(/\/integrations$/);
  await expect(page.locator("#user-menu")).toBeVisible();

  // 2. Integrations: platform cards and the ShopRenter connect card.
  await expect(page.locator("#shoprenter-card")).toContainText("ShopRenter kapcsolat létrehozása");
  await expect(page.getByText("Hamarosan").first()).toBeVisible();
  await hydrated(page);
  await page.locator("#connect-button").click();
  await expect(page.locator("#shopname-error")).toHaveText("Kérjük, adja meg a bolt nevét");
  await shot(page, "02-integrations-validation");
  await page.locator("#shopname").fill(DEMO_SHOP);
  await shot(page, "03-integrations-connect");
  await page.locator("#connect-button").click();

  // 3. The simulator's admin install page (in live mode: the shop's ShopRenter admin).
  await page.waitForURL(new RegExp(`/${DEMO_SHOP}/admin/app/`));
  const simulator = new URL(page.url()).origin;
  await showInstallButton(page);
  await shot(page, "04-simulator-install");
  await page.locator("#sim-install").click();

  // 4. Back on our side: the EntryPoint lands on the store page, the initial sync running live.
  await page.waitForURL(/\/stores\/[0-9a-f-]{36}$/);
  const storeId = page.url().match(/\/stores\/([0-9a-f-]{36})/)![1];
  await hydrated(page);
  await expect(page.locator("#store-title")).toContainText(`${DEMO_SHOP}.myshoprenter.hu`);
  await expect(page.locator("#sync-progress")).toBeVisible();
  await shot(page, "05-store-syncing");
  // No reload: the bar updates itself (polling a server function every second).
  try {
    await expect(page.locator("#sync-percent")).toHaveText("100%", { timeout: 120_000 });
  } catch (e) {
    // Say whether the page or the sync is stuck: what the server itself reports now.
    const status = await page.request.post("/api/sync_status", {
      form: { id: storeId },
      headers: { origin: new URL(page.url()).origin },
    });
    console.log(`sync status from the server (HTTP ${status.status()}): ${await status.text()}`);
    throw e;
  }
  await expect(page.locator("#sync-state")).toHaveText("Kész");
  await expect(page.locator("#store-status")).toContainText("Aktív");
  await shot(page, "06-store-synced");

  // 5. Products: search one by a word of its name.
  await page.goto(`/stores/${storeId}/products`);
  await hydrated(page);
  const firstName = (await page.locator("#products-table tbody tr td").first().innerText()).trim();
  const word = firstName.split(/\s+/).sort((a, b) => b.length - a.length)[0];
  await page.locator("#search").fill(word);
  await page.locator("#search-button").click();
  await expect(page).toHaveURL(new RegExp(`q=`));
  await expect(page.locator("#products-table")).toContainText(word);
  await expect(page.locator("#products-table")).toContainText("Ft");
  await shot(page, "07-products-search");

  // 6. A new order in the shop: the simulator fires order_confirm, the webhook worker caches it.
  const created = await request.post(`${simulator}/_control/shops/${DEMO_SHOP}/orders`, {
    data: { firstname: "Teszt", lastname: "Webhookné", email: "teszt@example.hu", items: [{ product_id: 1, quantity: 2 }] },
  });
  expect(created.ok()).toBeTruthy();
  await expect(async () => {
    await page.goto(`/stores/${storeId}/orders?q=Webhookn`);
    await expect(page.locator("#orders-table")).toContainText("Webhookné", { timeout: 1_000 });
  }).toPass({ timeout: 60_000 });
  await shot(page, "08-orders-new-webhook");
  await page.locator("#orders-table tbody tr a").first().click();
  await expect(page.locator("#order-title")).toBeVisible();
  await expect(page.locator("#order-items")).toBeVisible();
  await shot(page, "09-order-detail");

  // 7. Language switch: English in place, kept by the cookie across a reload.
  await page.goto(`/stores/${storeId}/orders`);
  await hydrated(page);
  await page.locator("#lang-en").click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Orders");
  await page.reload();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Orders");
  await shot(page, "10-orders-english");
  await page.locator("#lang-hu").click();
  await expect(page.getByRole("heading", { level: 1 })).toHaveText("Rendelések");

  // 8. An API key for the assistant: shown once, listed, revoked (the list refreshes in place).
  await page.goto(`/stores/${storeId}`);
  await hydrated(page);
  const keyLabel = `Telefonos asszisztens ${Date.now()}`; // the demo shop's store outlives a run
  await page.locator("#key-label").fill(keyLabel);
  await page.locator("#create-key").click();
  await expect(page.locator("#new-key")).toContainText("sca_");
  const keyRow = page.locator("#key-list li", { hasText: keyLabel });
  await expect(keyRow).toBeVisible();
  await keyRow.getByRole("button", { name: "Visszavonás" }).click();
  await expect(keyRow).toContainText("Visszavonva");

  // 9. Disconnect, with confirmation.
  await page.goto(`/stores/${storeId}`);
  await hydrated(page);
  await page.locator("#disconnect").click();
  await expect(page.locator("#disconnect-confirm")).toBeVisible();
  await shot(page, "11-disconnect-confirm");
  await page.locator("#disconnect-confirm").click();
  try {
    await expect(page.locator("#store-status")).toContainText("Leválasztva");
  } catch (e) {
    // Say whether the server or the page is behind: the store as the server reports it now.
    const store = await page.request.post("/api/store", {
      form: { id: storeId },
      headers: { origin: new URL(page.url()).origin },
    });
    console.log(`store from the server (HTTP ${store.status()}): ${(await store.text()).slice(0, 400)}`);
    throw e;
  }
  await shot(page, "12-disconnected");
});

test("phone width: integrations page fits", async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await signUpNewMerchant(page, "phone");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await shot(page, "13-phone-integrations");
  await context.close();
});

test("installing from the shop admin while signed out: sign-up names the shop, then connects it", async ({ browser }) => {
  test.setTimeout(120_000);
  // The simulator's address is found the way a merchant finds it: through the connect button.
  const scout = await browser.newContext();
  const look = await scout.newPage();
  await signUpNewMerchant(look, "scout");
  await hydrated(look);
  await look.locator("#shopname").fill(DEMO_SHOP);
  await look.locator("#connect-button").click();
  await look.waitForURL(new RegExp(`/${DEMO_SHOP}/admin/app/`));
  const adminUrl = look.url();
  await scout.close();

  // A new visitor, signed out, installs from the shop's admin.
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(adminUrl);
  await showInstallButton(page);
  await page.locator("#sim-install").click();
  await page.waitForURL(/\/signin\?next=/);
  await expect(page.locator("#waiting-shop")).toContainText(`${DEMO_SHOP}.myshoprenter.hu`);
  await hydrated(page);
  await shot(page, "14-signin-waiting-shop");
  await page.locator("#auth-form ~ p a[href^='/signup?next=']").click();
  await expect(page).toHaveURL(/\/signup\?next=/);
  await expect(page.locator("#waiting-shop")).toContainText(`${DEMO_SHOP}.myshoprenter.hu`);
  await page.locator("#email").fill(`late-${Date.now()}@example.hu`);
  await page.locator("#password").fill("jelszo-12345");
  await page.locator("#auth-submit").click();
  await page.waitForURL(/\/stores\/[0-9a-f-]{36}$/);
  await expect(page.locator("#store-title")).toContainText(`${DEMO_SHOP}.myshoprenter.hu`);
  await expect(page.locator("#store-status")).toContainText("Aktív");
  await context.close();
});
