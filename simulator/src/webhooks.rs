//! Order webhooks: multipart/form-data with the JSON in field `data`, `User-Agent: ShopRenter`,
//! shaped like the delivery example in the reference §5 (unsigned, no retries documented).

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use crate::model::{gross, order_status, Order, VAT_PERCENT};
use crate::render::order_product_raw_id;
use crate::state::{lock, SimState, WebhookDelivery};

/// The delivered document. Keys carry no `order_` prefix; numbers are mostly strings, but
/// `shippingNetPrice` is a JSON number, as in the captured example.
pub fn order_payload(shop: &str, o: &Order) -> Value {
    let status = order_status(o.status_id);
    let status_text = status
        .map(|s| if o.language == "en" { s.en } else { s.hu })
        .unwrap_or_default();
    let products: Vec<Value> = o
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let raw = order_product_raw_id(o, i);
            json!({
                "innerId": (o.inner_id * 10 + i as u32 + 1).to_string(),
                "innerResourceId": format!("orderProducts/{}", STANDARD.encode(&raw)),
                "outerResourceId": "",
                "name": l.name,
                "sku": l.sku,
                "price": l.price_net.to_string(),
                "currency": "HUF",
                "taxRate": format!("{VAT_PERCENT}.0000"),
                "quantity": l.quantity.to_string(),
                "image": format!("https://{shop}.api.myshoprenter.hu/custom/{shop}/image/data/product/{}.jpg", l.sku.to_lowercase()),
                "category": "",
                "volume": {
                    "height": "0.00", "width": "0.00", "length": "0.00",
                    "volumeUnit": [{"unit": "cm", "language": "hu"}, {"unit": "cm", "language": "en"}]
                },
                "weight": {
                    "weight": "0.00",
                    "weightUnit": [{"unit": "kg", "language": "hu"}, {"unit": "kg", "language": "en"}]
                }
            })
        })
        .collect();
    json!({"orders": {"order": [{
        "storeName": shop,
        "innerId": o.inner_id.to_string(),
        "innerResourceId": format!("orders/{}", STANDARD.encode(format!("order-order_id={}", o.inner_id))),
        "outerResourceId": "",
        "firstname": o.firstname,
        "lastname": o.lastname,
        "phone": o.phone,
        "fax": "",
        "email": o.email,
        "shippingFirstname": o.firstname,
        "shippingLastname": o.lastname,
        "shippingCompany": "",
        "shippingAddress1": o.address,
        "shippingAddress2": "",
        "shippingCity": o.city,
        "shippingCountryName": "Magyarország",
        "shippingZoneName": "",
        "shippingPostcode": o.postcode,
        "paymentFirstname": o.firstname,
        "paymentLastname": o.lastname,
        "paymentCompany": "",
        "paymentAddress1": o.address,
        "paymentAddress2": "",
        "paymentCity": o.city,
        "paymentCountryName": "Magyarország",
        "paymentZoneName": "",
        "paymentPostcode": o.postcode,
        "paymentTaxnumber": "",
        "shippingMethodName": "Házhozszállítás futárszolgálattal",
        "shippingNetPrice": o.shipping_net as f64,
        "shippingGrossPrice": gross(o.shipping_net).to_string(),
        "paymentMethodName": o.payment_method,
        "paymentNetPrice": 0,
        "paymentGrossPrice": 0,
        "couponCode": "",
        "couponGrossPrice": null,
        "languageId": if o.language == "en" { "2" } else { "1" },
        "languageCode": o.language,
        "comment": o.comment,
        "total": o.total_net().to_string(),
        "totalGross": o.total_gross().to_string(),
        "taxPrice": (o.total_gross() - o.total_net()).to_string(),
        "currency": "HUF",
        "orderHistory": {
            "status": o.status_id.to_string(),
            "statusText": status_text,
            "comment": "",
            "dateAdded": o.date_updated.format("%Y-%m-%d %H:%M:%S").to_string()
        },
        "orderProducts": {"orderProduct": products}
    }]}})
}

impl SimState {
    /// Delivers `event` for `order` to every enabled matching webHook of `shop`, each in its own
    /// task (after the configured delay), and records the outcome.
    pub(crate) fn fire_order_event(self: &Arc<Self>, shop: &str, event: &str, order: &Order) {
        let hooks: Vec<_> = match self.shop(shop) {
            Ok(s) => s
                .webhooks
                .values()
                .filter(|h| h.event == event && h.status == "1")
                .cloned()
                .collect(),
            Err(_) => return,
        };
        if hooks.is_empty() {
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("webhook not delivered: no tokio runtime");
            return;
        };
        let payload = order_payload(shop, order);
        let json_data = payload.to_string();
        for hook in hooks {
            let state = Arc::clone(self);
            // `type=xml` presumably puts XML in the same field (reference §5, an inference).
            let data = if hook.kind == "xml" {
                let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
                crate::api::to_xml(&payload, &mut xml);
                xml
            } else {
                json_data.clone()
            };
            let shop = shop.to_string();
            let event = event.to_string();
            let order_id = order.inner_id;
            rt.spawn(async move {
                let delay = state.config.webhook_delay_ms;
                if delay > 0 {
                    tokio::time::sleep(Duration::from_millis(delay)).await;
                }
                let mut record = WebhookDelivery {
                    shop,
                    event,
                    webhook_inner_id: hook.inner_id,
                    url: hook.url.clone(),
                    order_inner_id: order_id,
                    data: data.clone(),
                    status: None,
                    error: None,
                    dropped: false,
                    latency_ms: 0,
                };
                if state.roll_drop_webhook() {
                    record.dropped = true;
                    lock(&state.stats).faults.dropped_webhooks += 1;
                } else {
                    let form = reqwest::multipart::Form::new().text("data", data);
                    let started = Instant::now();
                    let sent = state
                        .http
                        .post(&hook.url)
                        .header("User-Agent", "ShopRenter")
                        .header("Accept", "*/*")
                        .multipart(form)
                        .send()
                        .await;
                    record.latency_ms = started.elapsed().as_millis() as u64;
                    match sent {
                        Ok(r) => record.status = Some(r.status().as_u16()),
                        Err(e) => record.error = Some(e.to_string()),
                    }
                    lock(&state.stats).webhook_deliveries += 1;
                }
                lock(&state.deliveries).push(record);
                state.delivery_notify.notify_waiters();
            });
        }
    }
}
