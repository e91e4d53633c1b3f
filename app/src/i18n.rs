//! Hungarian first, English second: every text the UI shows, and the Hungarian number, currency
//! and date formats.
//!
//! Views never hold string literals: they ask for a [`Key`] through [`t`] (or the reactive
//! [`I18n::t`]), so a missing translation is a compile error, not a blank label.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The cookie that keeps the merchant's language (read by the server on every request).
pub const LANG_COOKIE: &str = "lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    Hu,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Hu => "hu",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "hu" => Some(Lang::Hu),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language named in a `Cookie:` header value, if any.
    pub fn from_cookie_header(header: &str) -> Option<Lang> {
        header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == LANG_COOKIE)
            .and_then(|(_, value)| Lang::parse(value))
    }
}

/// Every message of the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    // Shell and navigation.
    AppName,
    Tagline,
    NavIntegrations,
    NavProducts,
    NavCustomers,
    NavOrders,
    NavSignIn,
    NavSignUp,
    NavSignOut,
    UserMenu,
    SignedInAs,
    LanguageLabel,
    SkipToContent,
    Loading,
    FooterNote,
    DemoMode,
    DemoModeText,
    // Home.
    HomeTitle,
    HomeLead,
    HomeCtaStart,
    HomeCtaIntegrations,
    HomeFeature1Title,
    HomeFeature1Text,
    HomeFeature2Title,
    HomeFeature2Text,
    HomeFeature3Title,
    HomeFeature3Text,
    CheckServer,
    DatabaseOk,
    DatabaseDown,
    SomethingWrong,
    // Auth.
    SignInTitle,
    SignInLead,
    SignUpTitle,
    SignUpLead,
    WaitingShop,
    Email,
    Password,
    PasswordHint,
    SignInButton,
    SignUpButton,
    SigningIn,
    SigningUp,
    NoAccount,
    HaveAccount,
    ErrEmailRequired,
    ErrEmailInvalid,
    ErrPasswordTooShort,
    ErrPasswordTooLong,
    ErrInvalidCredentials,
    ErrEmailTaken,
    ErrRateLimited,
    ErrNotSignedIn,
    ErrNotFound,
    ErrUnavailable,
    ErrNetwork,
    ErrShopTaken,
    ErrStoreInactive,
    ErrFriendly,
    ErrFriendlyRetry,
    NotFoundTitle,
    BackHome,
    // Integrations.
    IntegrationsTitle,
    IntegrationsLead,
    PlatformsTitle,
    ShopRenterTagline,
    ShopifyTagline,
    WooTagline,
    ComingSoon,
    Live,
    ShopNameLabel,
    ShopNameHelp,
    ErrShopNameRequired,
    ErrShopNameInvalid,
    ConnectButton,
    Connecting,
    InstallStepsTitle,
    InstallStep1,
    InstallStep2,
    InstallStep3,
    InstallStep4,
    ConnectedStoresTitle,
    NoStores,
    NoStoresText,
    OpenStore,
    // Store status.
    StatusActive,
    StatusNeedsAttention,
    StatusUninstalled,
    StatusDisconnected,
    StatusSyncing,
    // Store page.
    StoreOverview,
    ConnectedSince,
    LastSync,
    Never,
    TokenExpiry,
    TokenNone,
    ScopesTitle,
    ScopesAllGranted,
    ScopesMissing,
    Reapprove,
    WebhooksTitle,
    WebhookEvent,
    WebhookLastReceived,
    WebhookTotal,
    WebhookHealthy,
    WebhookInactive,
    WebhookNoDeliveries,
    NoWebhooks,
    SyncTitle,
    SyncNow,
    SyncQueued,
    SyncRunning,
    SyncDone,
    SyncFailed,
    SyncPending,
    SyncRecords,
    ResProducts,
    ResCategories,
    ResCustomers,
    ResOrders,
    ResOrderStatuses,
    Disconnect,
    DisconnectConfirmTitle,
    DisconnectConfirmText,
    DisconnectConfirm,
    Cancel,
    Disconnected,
    AttentionReasonToken,
    AttentionReasonGeneric,
    UninstalledText,
    DisconnectedText,
    ApiKeysTitle,
    ApiKeysLead,
    ApiKeyName,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyCopyNow,
    ApiKeyRevoke,
    ApiKeyRevoked,
    ApiKeyNone,
    ApiKeyLastUsed,
    ApiKeysUnavailable,
    ErrApiKeyName,
    ViewData,
    // Data pages.
    ProductsTitle,
    CustomersTitle,
    OrdersTitle,
    DataLead,
    Search,
    SearchPlaceholder,
    SearchButton,
    NoResults,
    NoResultsText,
    Previous,
    Next,
    PageOf,
    Results,
    ColName,
    ColSku,
    ColPrice,
    ColStock,
    ColActive,
    ColEmail,
    ColPhone,
    ColOrder,
    ColCustomer,
    ColStatus,
    ColTotal,
    ColDate,
    ColQuantity,
    Yes,
    No,
    OrderTitle,
    OrderItems,
    OrderTotals,
    OrderHistory,
    OrderNoHistory,
    OrderPlaced,
    BackToOrders,
    ChooseStore,
    NoActiveStore,
}

/// The text for `key` in `lang`.
pub fn t(lang: Lang, key: Key) -> &'static str {
    let (hu, en) = texts(key);
    match lang {
        Lang::Hu => hu,
        Lang::En => en,
    }
}

fn texts(key: Key) -> (&'static str, &'static str) {
    use Key::*;
    match key {
        AppName => ("ShopCall.ai", "ShopCall.ai"),
        Tagline => ("AI telefonos asszisztens webáruházaknak", "AI phone assistant for web shops"),
        NavIntegrations => ("Integrációk", "Integrations"),
        NavProducts => ("Termékek", "Products"),
        NavCustomers => ("Vásárlók", "Customers"),
        NavOrders => ("Rendelések", "Orders"),
        NavSignIn => ("Bejelentkezés", "Sign in"),
        NavSignUp => ("Regisztráció", "Sign up"),
        NavSignOut => ("Kijelentkezés", "Sign out"),
        UserMenu => ("Fiók menü", "Account menu"),
        SignedInAs => ("Bejelentkezve:", "Signed in as"),
        LanguageLabel => ("Nyelv", "Language"),
        SkipToContent => ("Ugrás a tartalomra", "Skip to content"),
        Loading => ("Betöltés…", "Loading…"),
        FooterNote => ("ShopCall.ai × ShopRenter integráció", "ShopCall.ai × ShopRenter integration"),
        DemoMode => ("Demó mód", "Demo mode"),
        DemoModeText => (
            " — nincs ShopRenter hozzáférés beállítva, a beépített ShopRenter szimulátor fut.",
            " — no ShopRenter credentials are configured; the built-in ShopRenter simulator is running.",
        ),
        HomeTitle => ("Kösse össze ShopRenter boltját az AI telefonos asszisztenssel", "Connect your ShopRenter shop to the AI phone assistant"),
        HomeLead => (
            "A ShopCall.ai ismeri a termékeit, vásárlóit és rendeléseit, így a telefonáló ügyfelek azonnal választ kapnak.",
            "ShopCall.ai knows your products, customers and orders, so callers get answers straight away.",
        ),
        HomeCtaStart => ("Ingyenes regisztráció", "Sign up for free"),
        HomeCtaIntegrations => ("Integrációk megnyitása", "Open integrations"),
        HomeFeature1Title => ("Telepítés percek alatt", "Installed in minutes"),
        HomeFeature1Text => ("Adja meg a bolt nevét, és hagyja jóvá az alkalmazást a ShopRenter adminban.", "Enter your shop name and approve the app in the ShopRenter admin."),
        HomeFeature2Title => ("Mindig friss adatok", "Always fresh data"),
        HomeFeature2Text => ("Termékek, vásárlók és rendelések szinkronban, webhookokkal és időszakos frissítéssel.", "Products, customers and orders kept in sync with webhooks and periodic updates."),
        HomeFeature3Title => ("Biztonságos kapcsolat", "Secure connection"),
        HomeFeature3Text => ("Aláírt kérések, titkosított tokenek, és egy kattintással leválasztható.", "Signed requests, encrypted tokens, and one click to disconnect."),
        CheckServer => ("Szerver ellenőrzése", "Check server"),
        DatabaseOk => ("Adatbázis: rendben", "Database: OK"),
        DatabaseDown => ("Adatbázis: nem elérhető", "Database: unavailable"),
        SomethingWrong => ("Hiba történt", "Something went wrong"),
        SignInTitle => ("Bejelentkezés", "Sign in"),
        SignInLead => ("Lépjen be ShopCall.ai fiókjába.", "Sign in to your ShopCall.ai account."),
        SignUpTitle => ("Fiók létrehozása", "Create an account"),
        SignUpLead => ("Néhány másodperc, és már kapcsolhatja is a boltját.", "A few seconds, then connect your shop."),
        WaitingShop => ("Belépés vagy regisztráció után ezt a ShopRenter boltot kapcsoljuk össze a fiókjával:", "Once you sign in or sign up, this ShopRenter shop is connected to your account:"),
        Email => ("E-mail cím", "E-mail address"),
        Password => ("Jelszó", "Password"),
        PasswordHint => ("Legalább 8 karakter.", "At least 8 characters."),
        SignInButton => ("Bejelentkezés", "Sign in"),
        SignUpButton => ("Fiók létrehozása", "Create account"),
        SigningIn => ("Bejelentkezés…", "Signing in…"),
        SigningUp => ("Fiók létrehozása…", "Creating account…"),
        NoAccount => ("Még nincs fiókja? Regisztráljon", "No account yet? Sign up"),
        HaveAccount => ("Már van fiókja? Jelentkezzen be", "Already have an account? Sign in"),
        ErrEmailRequired => ("Kérjük, adja meg az e-mail címét.", "Please enter your e-mail address."),
        ErrEmailInvalid => ("Ez nem tűnik érvényes e-mail címnek.", "This does not look like a valid e-mail address."),
        ErrPasswordTooShort => ("A jelszó legalább 8 karakter legyen.", "The password must be at least 8 characters."),
        ErrPasswordTooLong => ("A jelszó legfeljebb 256 karakter lehet.", "The password can be at most 256 characters."),
        ErrInvalidCredentials => ("Hibás e-mail cím vagy jelszó.", "Wrong e-mail address or password."),
        ErrEmailTaken => ("Ezzel az e-mail címmel már létezik fiók.", "An account with this e-mail address already exists."),
        ErrRateLimited => ("Túl sok próbálkozás. Kérjük, várjon egy percet.", "Too many attempts. Please wait a minute."),
        ErrNotSignedIn => ("Kérjük, jelentkezzen be.", "Please sign in."),
        ErrNotFound => ("Nem található.", "Not found."),
        ErrUnavailable => ("A szolgáltatás most nem érhető el. Kérjük, próbálja újra később.", "The service is unavailable right now. Please try again later."),
        ErrNetwork => ("Nem sikerült elérni a szervert. Ellenőrizze az internetkapcsolatot.", "Could not reach the server. Check your connection."),
        ErrShopTaken => ("Ez a bolt egy másik ShopCall.ai fiókhoz tartozik.", "This shop belongs to another ShopCall.ai account."),
        ErrStoreInactive => ("A bolt nincs csatlakoztatva.", "The shop is not connected."),
        ErrFriendly => ("Hoppá, valami elromlott", "Oops, something went wrong"),
        ErrFriendlyRetry => ("Frissítse az oldalt, vagy próbálja újra néhány perc múlva.", "Reload the page, or try again in a few minutes."),
        NotFoundTitle => ("Az oldal nem található", "Page not found"),
        BackHome => ("Vissza a kezdőlapra", "Back to the home page"),
        IntegrationsTitle => ("Integrációk", "Integrations"),
        IntegrationsLead => ("Kapcsolja össze webáruházát, hogy az asszisztens ismerje a kínálatot és a rendeléseket.", "Connect your web shop so the assistant knows your catalogue and orders."),
        PlatformsTitle => ("Platformok", "Platforms"),
        ShopRenterTagline => ("Magyar webáruház platform - AI telefonos asszisztens integráció", "Hungarian e-commerce platform - AI phone assistant integration"),
        ShopifyTagline => ("Nemzetközi webáruház platform", "International e-commerce platform"),
        WooTagline => ("WordPress webáruház bővítmény", "WordPress shop plug-in"),
        ComingSoon => ("Hamarosan", "Coming soon"),
        Live => ("Elérhető", "Available"),
        ShopNameLabel => ("Bolt neve", "Shop name"),
        ShopNameHelp => ("Add meg a bolt nevét (pl. \"pelda\" ha a bolt címe pelda.myshoprenter.hu)", "Enter the shop name (e.g. \"pelda\" if the shop is at pelda.myshoprenter.hu)"),
        ErrShopNameRequired => ("Kérjük, adja meg a bolt nevét", "Please enter the shop name"),
        ErrShopNameInvalid => ("A bolt neve csak kisbetűt, számot és kötőjelet tartalmazhat.", "The shop name may contain only lower-case letters, digits and hyphens."),
        ConnectButton => ("ShopRenter kapcsolat létrehozása", "Connect ShopRenter"),
        Connecting => ("Kapcsolódás...", "Connecting..."),
        InstallStepsTitle => ("Telepítési lépések:", "Installation steps:"),
        InstallStep1 => ("Kattints a \"Kapcsolat létrehozása\" gombra", "Click \"Connect ShopRenter\""),
        InstallStep2 => ("Jelentkezz be a ShopRenter admin felületedre", "Sign in to your ShopRenter admin"),
        InstallStep3 => ("Hagyd jóvá az alkalmazás telepítését", "Approve the app installation"),
        InstallStep4 => ("Visszairányítunk ide a sikeres telepítés után", "We bring you back here once it is installed"),
        ConnectedStoresTitle => ("Csatlakoztatott boltok", "Connected shops"),
        NoStores => ("Még nincs csatlakoztatott bolt", "No shop connected yet"),
        NoStoresText => ("Adja meg a ShopRenter bolt nevét fent, és kövesse a telepítési lépéseket.", "Enter your ShopRenter shop name above and follow the installation steps."),
        OpenStore => ("Megnyitás", "Open"),
        StatusActive => ("Aktív", "Active"),
        StatusNeedsAttention => ("Figyelmet igényel", "Needs attention"),
        StatusUninstalled => ("Eltávolítva", "Uninstalled"),
        StatusDisconnected => ("Leválasztva", "Disconnected"),
        StatusSyncing => ("Szinkronizálás", "Syncing"),
        StoreOverview => ("Áttekintés", "Overview"),
        ConnectedSince => ("Csatlakoztatva", "Connected"),
        LastSync => ("Utolsó szinkronizálás", "Last sync"),
        Never => ("még nem volt", "never"),
        TokenExpiry => ("API token lejárata", "API token expiry"),
        TokenNone => ("nincs érvényes token", "no valid token"),
        ScopesTitle => ("Engedélyek", "Permissions"),
        ScopesAllGranted => ("Minden szükséges engedély megvan.", "Every required permission is granted."),
        ScopesMissing => ("Hiányzó engedélyek:", "Missing permissions:"),
        Reapprove => ("Engedélyek jóváhagyása a ShopRenterben", "Approve permissions in ShopRenter"),
        WebhooksTitle => ("Webhookok", "Webhooks"),
        WebhookEvent => ("Esemény", "Event"),
        WebhookLastReceived => ("Utolsó érkezés", "Last received"),
        WebhookTotal => ("Összesen", "Total"),
        WebhookHealthy => ("Működik", "Working"),
        WebhookInactive => ("Inaktív", "Inactive"),
        WebhookNoDeliveries => ("Még nem érkezett", "Nothing received yet"),
        NoWebhooks => ("A webhookok regisztrálása folyamatban.", "Webhooks are being registered."),
        SyncTitle => ("Szinkronizálás", "Synchronisation"),
        SyncNow => ("Szinkronizálás most", "Sync now"),
        SyncQueued => ("Szinkronizálás elindítva.", "Sync started."),
        SyncRunning => ("Folyamatban", "Running"),
        SyncDone => ("Kész", "Done"),
        SyncFailed => ("Hiba", "Failed"),
        SyncPending => ("Várakozik", "Waiting"),
        SyncRecords => ("tétel", "records"),
        ResProducts => ("Termékek", "Products"),
        ResCategories => ("Kategóriák", "Categories"),
        ResCustomers => ("Vásárlók", "Customers"),
        ResOrders => ("Rendelések", "Orders"),
        ResOrderStatuses => ("Rendelésállapotok", "Order statuses"),
        Disconnect => ("Leválasztás", "Disconnect"),
        DisconnectConfirmTitle => ("Biztosan leválasztja a boltot?", "Disconnect this shop?"),
        DisconnectConfirmText => (
            "Az asszisztens nem fér hozzá többé a bolt adataihoz, a tokeneket töröljük. Később újra csatlakoztathatja.",
            "The assistant will no longer reach the shop's data and the tokens are deleted. You can reconnect later.",
        ),
        DisconnectConfirm => ("Igen, leválasztom", "Yes, disconnect"),
        Cancel => ("Mégse", "Cancel"),
        Disconnected => ("A bolt le van választva.", "The shop is disconnected."),
        AttentionReasonToken => ("Nem sikerült API tokent szerezni a ShopRentertől. Nyissa meg az alkalmazást a ShopRenter adminban, vagy hagyja jóvá újra az engedélyeket.", "Could not get an API token from ShopRenter. Open the app in the ShopRenter admin, or approve the permissions again."),
        AttentionReasonGeneric => ("A kapcsolat beavatkozást igényel.", "The connection needs your attention."),
        UninstalledText => ("Az alkalmazást eltávolították a ShopRenter boltból. Telepítse újra a folytatáshoz.", "The app was removed from the ShopRenter shop. Install it again to continue."),
        DisconnectedText => ("A boltot leválasztotta a ShopCall.ai-ról. Nyissa meg az alkalmazást a ShopRenter adminban az újracsatlakozáshoz.", "You disconnected the shop from ShopCall.ai. Open the app in the ShopRenter admin to reconnect."),
        ApiKeysTitle => ("API kulcsok az asszisztenshez", "API keys for the assistant"),
        ApiKeysLead => ("A telefonos asszisztens ezekkel a kulcsokkal olvassa a bolt adatait.", "The phone assistant reads the shop's data with these keys."),
        ApiKeyName => ("Kulcs neve", "Key name"),
        ApiKeyCreate => ("Új kulcs", "New key"),
        ApiKeyCreated => ("Az új kulcs:", "Your new key:"),
        ApiKeyCopyNow => ("Másolja ki most, később nem jelenítjük meg újra.", "Copy it now; it will not be shown again."),
        ApiKeyRevoke => ("Visszavonás", "Revoke"),
        ApiKeyRevoked => ("Visszavonva", "Revoked"),
        ApiKeyNone => ("Még nincs API kulcs.", "No API keys yet."),
        ApiKeyLastUsed => ("Utoljára használva", "Last used"),
        ApiKeysUnavailable => ("Az API kulcsok kezelése hamarosan elérhető.", "API key management is coming soon."),
        ErrApiKeyName => ("Kérjük, adjon nevet a kulcsnak (legfeljebb 64 karakter).", "Please name the key (at most 64 characters)."),
        ViewData => ("Adatok megtekintése", "View data"),
        ProductsTitle => ("Termékek", "Products"),
        CustomersTitle => ("Vásárlók", "Customers"),
        OrdersTitle => ("Rendelések", "Orders"),
        DataLead => ("Ezt tudja az asszisztens a boltjáról.", "This is what the assistant knows about your shop."),
        Search => ("Keresés", "Search"),
        SearchPlaceholder => ("Név, cikkszám, e-mail…", "Name, SKU, e-mail…"),
        SearchButton => ("Keresés", "Search"),
        NoResults => ("Nincs találat", "No results"),
        NoResultsText => ("Próbáljon más keresőszót, vagy várja meg a szinkronizálás végét.", "Try another search, or wait for the sync to finish."),
        Previous => ("Előző", "Previous"),
        Next => ("Következő", "Next"),
        PageOf => ("oldal", "page"),
        Results => ("találat", "results"),
        ColName => ("Név", "Name"),
        ColSku => ("Cikkszám", "SKU"),
        ColPrice => ("Ár", "Price"),
        ColStock => ("Készlet", "Stock"),
        ColActive => ("Aktív", "Active"),
        ColEmail => ("E-mail", "E-mail"),
        ColPhone => ("Telefon", "Phone"),
        ColOrder => ("Rendelés", "Order"),
        ColCustomer => ("Vásárló", "Customer"),
        ColStatus => ("Állapot", "Status"),
        ColTotal => ("Végösszeg", "Total"),
        ColDate => ("Dátum", "Date"),
        ColQuantity => ("Mennyiség", "Quantity"),
        Yes => ("Igen", "Yes"),
        No => ("Nem", "No"),
        OrderTitle => ("Rendelés", "Order"),
        OrderItems => ("Tételek", "Items"),
        OrderTotals => ("Összesítés", "Totals"),
        OrderHistory => ("Állapotváltozások", "Status history"),
        OrderNoHistory => ("Még nem volt állapotváltozás.", "No status changes yet."),
        OrderPlaced => ("Leadva", "Placed"),
        BackToOrders => ("Vissza a rendelésekhez", "Back to orders"),
        ChooseStore => ("Bolt", "Shop"),
        NoActiveStore => ("Nincs csatlakoztatott bolt. Csatlakoztasson egyet az Integrációk oldalon.", "No connected shop. Connect one on the Integrations page."),
    }
}

/// The current language, shared by every view through context.
#[derive(Debug, Clone, Copy)]
pub struct I18n {
    pub lang: RwSignal<Lang>,
}

impl I18n {
    /// A reactive text: re-renders when the language changes.
    pub fn t(self, key: Key) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
        move || t(self.lang.get(), key)
    }

    pub fn get(self) -> Lang {
        self.lang.get()
    }
}

pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}

/// The language of this request (server) or page (browser), read once when the app starts.
pub fn initial_lang() -> Lang {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| {
                parts
                    .headers
                    .get_all(http::header::COOKIE)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .find_map(Lang::from_cookie_header)
            })
            .unwrap_or_default()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        // The server wrote the same cookie's language into <html lang>, so hydration matches.
        leptos::prelude::document()
            .document_element()
            .and_then(|el| el.get_attribute("lang"))
            .and_then(|code| Lang::parse(&code))
            .unwrap_or_default()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        Lang::default()
    }
}

// ---- Formats -------------------------------------------------------------------------------

/// Groups digits: "12 990" (Hungarian, with no-break spaces) or "12,990" (English).
pub fn format_int(lang: Lang, value: i64) -> String {
    let sep = match lang {
        Lang::Hu => '\u{a0}',
        Lang::En => ',',
    };
    let digits = value.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    if value < 0 {
        out.insert(0, '-');
    }
    out
}

/// Money as a merchant reads it: "12 990 Ft" for forints, "12,50 EUR" for others (Hungarian);
/// "HUF 12,990" / "EUR 12.50" in English.
pub fn format_money(lang: Lang, amount: f64, currency: &str) -> String {
    let currency = if currency.trim().is_empty() {
        "HUF"
    } else {
        currency.trim()
    };
    if currency.eq_ignore_ascii_case("HUF") {
        let whole = format_int(lang, amount.round() as i64);
        return match lang {
            Lang::Hu => format!("{whole}\u{a0}Ft"),
            Lang::En => format!("HUF\u{a0}{whole}"),
        };
    }
    let cents = (amount * 100.0).round() as i64;
    let whole = format_int(lang, cents / 100);
    let frac = (cents % 100).abs();
    match lang {
        Lang::Hu => format!("{whole},{frac:02}\u{a0}{currency}"),
        Lang::En => format!("{currency}\u{a0}{whole}.{frac:02}"),
    }
}

/// A quantity with up to two decimals, Hungarian decimal comma.
pub fn format_quantity(lang: Lang, value: f64) -> String {
    if (value - value.round()).abs() < 1e-9 {
        return format_int(lang, value.round() as i64);
    }
    let s = format!("{value:.2}");
    match lang {
        Lang::Hu => s.replace('.', ","),
        Lang::En => s,
    }
}

/// Unix seconds as Budapest wall-clock time: "2026. 11. 25. 14:03" or "25 Nov 2026, 14:03".
pub fn format_datetime(lang: Lang, unix_secs: i64) -> String {
    let local = unix_secs + budapest_offset_secs(unix_secs);
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    let secs_of_day = local.rem_euclid(86_400);
    let (hh, mm) = (secs_of_day / 3600, (secs_of_day % 3600) / 60);
    match lang {
        Lang::Hu => format!("{y}. {m:02}. {d:02}. {hh:02}:{mm:02}"),
        Lang::En => {
            const MONTHS: [&str; 12] = [
                "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
            ];
            format!("{d} {} {y}, {hh:02}:{mm:02}", MONTHS[(m - 1) as usize])
        }
    }
}

/// Central European Time with EU summer time (last Sunday of March to last Sunday of October,
/// switching at 01:00 UTC).
fn budapest_offset_secs(unix_secs: i64) -> i64 {
    let (year, _, _) = civil_from_days(unix_secs.div_euclid(86_400));
    let start = last_sunday_utc(year, 3) + 3600;
    let end = last_sunday_utc(year, 10) + 3600;
    if (start..end).contains(&unix_secs) {
        7200
    } else {
        3600
    }
}

/// Midnight UTC of the last Sunday of `month` in `year`, in Unix seconds.
fn last_sunday_utc(year: i64, month: u32) -> i64 {
    let last_day = days_from_civil(year, month + 1, 1) - 1;
    // 1970-01-01 was a Thursday: weekday 0 = Sunday.
    let weekday = (last_day + 4).rem_euclid(7);
    (last_day - weekday) * 86_400
}

/// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let (year, month) = if month > 12 {
        (year + 1, month - 12)
    } else {
        (year, month)
    };
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forints_are_grouped_with_spaces_and_end_in_ft() {
        assert_eq!(
            format_money(Lang::Hu, 12990.0, "HUF"),
            "12\u{a0}990\u{a0}Ft"
        );
        assert_eq!(
            format_money(Lang::Hu, 1234567.4, "HUF"),
            "1\u{a0}234\u{a0}567\u{a0}Ft"
        );
        assert_eq!(format_money(Lang::En, 12990.0, "HUF"), "HUF\u{a0}12,990");
        assert_eq!(format_money(Lang::Hu, 12.5, "EUR"), "12,50\u{a0}EUR");
        assert_eq!(format_money(Lang::Hu, 990.0, ""), "990\u{a0}Ft");
    }

    #[test]
    fn integers_group_by_thousands() {
        assert_eq!(format_int(Lang::Hu, 0), "0");
        assert_eq!(format_int(Lang::Hu, 999), "999");
        assert_eq!(format_int(Lang::En, 1000), "1,000");
        assert_eq!(format_int(Lang::En, -1234567), "-1,234,567");
    }

    #[test]
    fn dates_are_budapest_time_in_hungarian_order() {
        // 2026-01-15 12:00 UTC = 13:00 CET.
        assert_eq!(
            format_datetime(Lang::Hu, 1_768_478_400),
            "2026. 01. 15. 13:00"
        );
        // 2026-07-01 12:00 UTC = 14:00 CEST.
        assert_eq!(
            format_datetime(Lang::Hu, 1_782_907_200),
            "2026. 07. 01. 14:00"
        );
        assert_eq!(
            format_datetime(Lang::En, 1_782_907_200),
            "1 Jul 2026, 14:00"
        );
    }

    #[test]
    fn summer_time_switches_on_the_last_sunday_at_one_utc() {
        // 2026-03-29 is the last Sunday of March; 00:59:59 UTC is still winter time.
        let switch = 1_774_746_000; // 2026-03-29 01:00:00 UTC
        assert_eq!(budapest_offset_secs(switch - 1), 3600);
        assert_eq!(budapest_offset_secs(switch), 7200);
    }

    #[test]
    fn language_comes_from_the_cookie() {
        assert_eq!(
            Lang::from_cookie_header("a=b; lang=en; c=d"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_cookie_header("lang=xx"), None);
        assert_eq!(Lang::from_cookie_header("id=1"), None);
    }
}
