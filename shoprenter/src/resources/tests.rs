use super::*;
use crate::webhooks::WebhookEvent;

const PRODUCTS: &str = include_str!("../../tests/fixtures/product_extend_page.json");
const ORDERS: &str = include_str!("../../tests/fixtures/orders_page.json");
const WEBHOOK: &str = include_str!("../../tests/fixtures/webhook_fixture.json");
const WEBHOOK_CREATED: &str = include_str!("../../tests/fixtures/webhook_created.json");

#[test]
fn product_extend_page_parses_with_string_numbers_and_next_page() {
    let page: Collection<Product> = serde_json::from_str(PRODUCTS).unwrap();
    assert_eq!(page.page, Some(0));
    assert_eq!(page.limit, Some(5));
    assert_eq!(page.page_count, Some(125));
    assert_eq!(page.previous, None);
    assert_eq!(page.next_page(), Some(1));
    assert_eq!(page.last_page(), Some(124), "pageCount - 1");
    assert_eq!(
        page.extra.get("requestTime").and_then(|v| v.as_str()),
        Some("2025-09-01T10:00:00")
    );
    assert_eq!(page.items.len(), 2);

    let p = &page.items[0];
    assert_eq!(p.inner_id(), Some(2451));
    assert_eq!(p.sku.as_deref(), Some("KAVE-250"));
    assert_eq!(p.model_number, None, "{{}} stands for null");
    assert_eq!(p.net_price(), Some(139_900.0));
    assert_eq!(
        p.gross_price(),
        Some(177_673.0),
        "default customer group row"
    );
    assert_eq!(p.currency_code(), Some("HUF"));
    assert_eq!(p.stock1(), Some(12));
    assert_eq!(p.total_stock(), Some(15));
    assert!(p.is_enabled());
    assert_eq!(p.is_orderable(), Some(true));
    assert_eq!(p.name(), Some("Pörkölt kávé 250 g"));
    assert_eq!(
        p.description_for_language("bGFuZ3VhZ2UtbGFuZ3VhZ2VfaWQ9Mg==")
            .and_then(|d| d.name.as_deref()),
        Some("Roasted coffee 250 g")
    );
    assert_eq!(p.product_descriptions[0].meta_keywords, None);
    assert_eq!(p.category_ids(), vec!["Y2F0ZWdvcnktY2F0ZWdvcnlfaWQ9NTM="]);
    assert_eq!(p.parent_product, None);
    let manufacturer = p.manufacturer.as_ref().unwrap();
    assert_eq!(
        manufacturer.resource_id(),
        Some("bWFudWZhY3R1cmVyLW1hbnVmYWN0dXJlcl9pZD0x")
    );
    assert_eq!(manufacturer.extra["name"], "Pörkölő Kft.");
    assert!(
        p.extra.contains_key("productTags") && p.extra.contains_key("allImages"),
        "unknown fields are kept"
    );

    // Numbers where strings are documented; descriptions only as a link (non-Extend shape).
    let q = &page.items[1];
    assert_eq!(q.inner_id(), Some(2452));
    assert_eq!(q.price.as_deref(), Some("990.5"));
    assert_eq!(q.stock1(), Some(0));
    assert!(!q.is_enabled());
    assert!(q.product_descriptions.is_empty());
    assert_eq!(q.name(), None);
}

#[test]
fn order_extend_single_item_page_without_page_count() {
    let page: Collection<Order> = serde_json::from_str(ORDERS).unwrap();
    assert_eq!(page.page_count, None);
    assert_eq!(page.last_page(), Some(46), "from last.href");
    assert_eq!(
        page.items.len(),
        1,
        "a single object where an array is expected"
    );
    let o = &page.items[0];
    assert_eq!(o.inner_id(), Some(172));
    assert_eq!(o.total(), Some(6400.0));
    assert_eq!(o.gross_total(), Some(8128.0));
    assert_eq!(o.customer_name(), "Teszt Elek");
    assert_eq!(
        o.order_status_id(),
        Some("b3JkZXJTdGF0dXMtb3JkZXJfc3RhdHVzX2lkPTE=")
    );
    assert_eq!(
        decode_resource_id(o.order_status_id().unwrap()).as_deref(),
        Some("orderStatus-order_status_id=1")
    );
    assert_eq!(o.order_totals.len(), 3);
    assert_eq!(o.order_totals[1].kind.as_deref(), Some("TAX"));
    assert_eq!(o.order_totals[1].value(), Some(1728.0));
    assert_eq!(o.order_products.len(), 2);
    assert_eq!(
        o.order_products[0].quantity(),
        Some(1),
        "sum of stockN when quantity is absent"
    );
    assert_eq!(o.order_products[1].quantity(), Some(2));
    assert_eq!(o.order_products[1].line_total(), Some(6000.0));
    assert_eq!(o.order_products[0].model_number, None);
    assert!(o.extra.contains_key("orderGiftWrappings"));
    assert_eq!(
        o.extra.get("shippingZone"),
        Some(&serde_json::Value::Null),
        "unmodelled nulls are kept too"
    );
}

#[test]
fn resource_ids_decode_as_the_reference_says() {
    for (id, decoded) in [
        (
            "cHJvZHVjdC1wcm9kdWN0X2lkPTI0NTE=",
            "product-product_id=2451",
        ),
        ("b3JkZXItb3JkZXJfaWQ9MTcy", "order-order_id=172"),
        (
            "Y3VzdG9tZXItY3VzdG9tZXJfaWQ9MzQ=",
            "customer-customer_id=34",
        ),
        (
            "d2ViSG9vay1ub3RpZmljYXRpb25faWQ9Njg=",
            "webHook-notification_id=68",
        ),
        (
            "b3JkZXJTdGF0dXMtb3JkZXJfc3RhdHVzX2lkPTE=",
            "orderStatus-order_status_id=1",
        ),
    ] {
        assert_eq!(decode_resource_id(id).as_deref(), Some(decoded));
    }
    assert_eq!(decode_resource_id("not base64!"), None);
}

#[test]
fn webhook_parameters_parse_as_single_object_or_array() {
    let w: WebHook = serde_json::from_str(WEBHOOK).unwrap();
    assert_eq!(w.event(), Some(WebhookEvent::OrderConfirm));
    assert!(w.is_enabled());
    assert_eq!(
        w.urls().collect::<Vec<_>>(),
        vec!["https://app.example.com/webhooks/shoprenter/s3cr3t"]
    );
    assert_eq!(w.web_hook_parameters[0].kind.as_deref(), Some("json"));
    assert_eq!(w.web_hook_delay[0].delay_unit.as_deref(), Some("day"));

    let created: WebHook = serde_json::from_str(WEBHOOK_CREATED).unwrap();
    assert_eq!(
        created.id.as_deref(),
        Some("d2ViSG9vay1ub3RpZmljYXRpb25faWQ9Njg=")
    );
    assert!(created.web_hook_delay.is_empty());
    assert_eq!(
        created.web_hook_parameters[0].fields,
        vec!["order_innerId", "orderHistory_status"]
    );
}

#[test]
fn new_webhook_serializes_like_the_worked_example() {
    let body = NewWebHook::json(
        "Test webhook",
        WebhookEvent::OrderConfirm,
        "https://webhook.site/ef62fe6d-2ca0-42a5-831d-5ab8457bcac6",
    );
    let expected: serde_json::Value = serde_json::from_str(
        r#"{"event":"order_confirm","status":"1","label":"Test webhook","webHookParameters":[{"type":"json","url":"https://webhook.site/ef62fe6d-2ca0-42a5-831d-5ab8457bcac6"}]}"#,
    )
    .unwrap();
    assert_eq!(serde_json::to_value(&body).unwrap(), expected);
}

#[test]
fn customer_password_hash_is_never_kept() {
    let c: Customer = serde_json::from_str(
        r#"{"id":"Y3VzdG9tZXItY3VzdG9tZXJfaWQ9MzQ=","innerId":"34","firstname":"Anna","lastname":" Kiss ",
            "email":"anna@example.com","telephone":"+36 30 123 4567","password":"$2y$10$abcdef","newsletter":"1",
            "customerGroup":{"href":"https://x/customerGroups/Zw=="},"loyaltyPoints":{"href":"https://x/l"}}"#,
    )
    .unwrap();
    assert_eq!(c.inner_id(), Some(34));
    assert_eq!(c.full_name(), "Anna Kiss");
    assert_eq!(c.subscribed_to_newsletter(), Some(true));
    assert!(!c.extra.contains_key("password"));
    assert!(c.extra.contains_key("loyaltyPoints"));
    assert!(!serde_json::to_string(&c).unwrap().contains("abcdef"));
}

#[test]
fn order_status_and_category_names_come_from_descriptions() {
    let s: OrderStatus = serde_json::from_str(
        r##"{"id":"b3JkZXJTdGF0dXMtb3JkZXJfc3RhdHVzX2lkPTE=","innerId":"1","orderStatusDescriptions":
            {"name":"Függőben","color":"#ff0000","language":{"href":"https://x/languages/bGFuZ3VhZ2UtbGFuZ3VhZ2VfaWQ9MQ=="}}}"##,
    )
    .unwrap();
    assert_eq!(s.inner_id(), Some(1));
    assert_eq!(s.name(), Some("Függőben"));
    assert_eq!(
        s.order_status_descriptions[0].color.as_deref(),
        Some("#ff0000")
    );

    let c: Category = serde_json::from_str(
        r#"{"id":"Y2F0ZWdvcnktY2F0ZWdvcnlfaWQ9NTM=","innerId":53,"status":1,"categoryDescriptions":[{"name":""},{"name":"Kávék"}],"parentCategory":null}"#,
    )
    .unwrap();
    assert_eq!(c.inner_id(), Some(53));
    assert!(
        c.is_enabled(),
        "numbers and booleans become the platform's text"
    );
    assert_eq!(c.name(), Some("Kávék"));
    assert_eq!(c.parent_category, None);
}

#[test]
fn resources_round_trip_through_serde() {
    let page: Collection<Product> = serde_json::from_str(PRODUCTS).unwrap();
    let again: Collection<Product> =
        serde_json::from_value(serde_json::to_value(&page).unwrap()).unwrap();
    assert_eq!(again, page);
}

#[test]
fn link_resource_id_ignores_query_links() {
    let l = Link {
        href: Some("https://x/api/productDescriptions?productId=abc".into()),
        ..Default::default()
    };
    assert_eq!(l.resource_id(), None);
    let l = Link {
        href: Some("https://x/api/orderStatuses/abc=".into()),
        ..Default::default()
    };
    assert_eq!(l.resource_id(), Some("abc="));
}

#[test]
fn lenient_number_helpers() {
    use lenient::{parse_f64, parse_flag, parse_i64};
    assert_eq!(parse_i64(Some("12.0000")), Some(12));
    assert_eq!(parse_i64(Some("12.5")), None);
    assert_eq!(parse_i64(Some(" 7 ")), Some(7));
    assert_eq!(parse_f64(Some("NaN")), None);
    assert_eq!(parse_f64(Some("-1.0000")), Some(-1.0));
    assert_eq!(parse_flag(Some("2")), None);
}

#[test]
fn reading_from_text_and_from_a_value_agree() {
    // The hand-written visitors see borrowed keys from text and owned ones from a `Value`.
    let from_text: Collection<Order> = serde_json::from_str(ORDERS).unwrap();
    let value: serde_json::Value = serde_json::from_str(ORDERS).unwrap();
    let from_value: Collection<Order> = serde_json::from_value(value.clone()).unwrap();
    let from_ref = Collection::<Order>::deserialize(&value).unwrap();
    assert_eq!(from_text, from_value);
    assert_eq!(from_text, from_ref);
}

#[test]
fn odd_shapes_are_read_leniently() {
    let p: Product = serde_json::from_str(
        r#"{"sku": true, "price": 12.5, "stock1": 3, "modelNumber": ["x"], "status": {"a": 1},
            "taxClass": "oops", "manufacturer": [1], "parentProduct": {},
            "productDescriptions": {"href": "https://x/api/productDescriptions?productId=1"},
            "productPrices": {"net": "10", "gross": "12.7"},
            "productCategoryRelations": null, "unknown": {"kept": [1, 2]}}"#,
    )
    .unwrap();
    assert_eq!(p.sku.as_deref(), Some("1"));
    assert_eq!(p.price.as_deref(), Some("12.5"));
    assert_eq!(p.stock1.as_deref(), Some("3"));
    assert_eq!(p.model_number, None);
    assert_eq!(p.status, None);
    assert_eq!(p.tax_class, None);
    assert_eq!(p.manufacturer, None);
    assert_eq!(p.parent_product, None);
    assert!(
        p.product_descriptions.is_empty(),
        "a bare link is no record"
    );
    assert_eq!(
        p.product_prices.len(),
        1,
        "a single object is a one-item list"
    );
    assert_eq!(p.product_prices[0].net.as_deref(), Some("10"));
    assert!(p.product_category_relations.is_empty());
    assert_eq!(p.extra["unknown"], serde_json::json!({"kept": [1, 2]}));

    let page: Collection<Product> =
        serde_json::from_str(r#"{"page": 3, "items": {"sku": "A"}, "next": {}}"#).unwrap();
    assert_eq!(page.page, Some(3));
    assert_eq!(page.next, None);
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].sku.as_deref(), Some("A"));
    let empty: Collection<Product> = serde_json::from_str(r#"{"items": {}}"#).unwrap();
    assert!(empty.items.is_empty());
}
