//! The ShopRenter app protocol, as the real platform speaks it.
//!
//! Follows `shared/reference/shoprenter-protocol.md` (cited below as "§n" of that file) and the
//! protocol decisions in `shared/design.md`. Nothing here knows about our database or UI.
//!
//! | Room | Platform behaviour |
//! |---|---|
//! | [`ShopName`], [`UrlTemplate`] | §1/§7 shop names; every outbound URL is a template + shop |
//! | [`signature`] | §1 signed RedirectUri / EntryPoint / UninstallUri queries |
//! | [`app_url`] | §1 where to send the merchant after install |
//! | [`token`] | §2 client-credentials tokens |
//! | [`client`] | §3–§4 API2 REST client: limiter, retries, pagination |
//! | [`resources`] | §3 resource payloads and their quirks |
//! | [`webhooks`] | §5 webhook registration and deliveries |
//! | [`scopes`] | §6 scopes and re-approval |

pub mod app_url;
pub mod client;
pub mod resources;
pub mod scopes;
mod shop;
pub mod signature;
pub mod template;
pub mod token;
pub mod webhooks;

pub use client::{
    ApiClient, ApiConfig, ApiError, ApiStats, ListParams, Page, SharedWindow, SharedWindowError,
    WindowEntry, WindowSlot,
};
pub use shop::{ShopName, ShopNameError};
pub use signature::{HmacVariant, SignedRequest, Verifier, VerifyError};
pub use template::{Placeholder, TemplateError, UrlTemplate};
pub use token::{AccessToken, TokenClient, TokenError};
pub use webhooks::{
    parse_delivery, read_delivery, DeliveryEnvelope, WebhookDelivery, WebhookError, WebhookEvent,
};
