//! The ShopRenter app protocol, as the real platform speaks it.
//!
//! Follows `shared/reference/shoprenter-protocol.md`. Nothing here knows about our database or UI.
