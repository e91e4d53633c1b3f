//! A fake ShopRenter platform: token endpoint, API2, rate limit, signed install redirects, webhooks.
