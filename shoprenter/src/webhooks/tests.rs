use super::*;

const DELIVERY: &str = include_str!("../../tests/fixtures/order_delivery.json");
const LIMIT: usize = 64 * 1024;

fn multipart(boundary: &str, fields: &[(&str, &str)]) -> Vec<u8> {
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    body.into_bytes()
}

fn assert_reference_order(delivery: &WebhookDelivery) {
    let orders = delivery.orders();
    assert_eq!(orders.len(), 1);
    let o = &orders[0];
    assert_eq!(o.store_name.as_deref(), Some("demo"));
    assert_eq!(o.inner_id(), Some(247));
    assert_eq!(o.api_resource_id(), Some("b3JkZXItb3JkZXJfaWQ9MjQ3"));
    assert_eq!(o.status(), Some("Függőben"));
    assert_eq!(o.total_gross(), Some(12630.0));
    assert_eq!(o.dedupe_key(), "demo:247:Függőben");
    assert_eq!(
        o.extra["shippingNetPrice"], 970.0714,
        "mixed number/string values are kept"
    );
    assert_eq!(o.order_products.len(), 1);
    assert_eq!(o.order_products[0].quantity(), Some(2));
    assert_eq!(o.order_products[0].sku.as_deref(), Some("T-52"));
}

#[test]
fn multipart_delivery_with_data_field_is_parsed() {
    let body = multipart("------------------------9f3a", &[("data", DELIVERY)]);
    let d = parse_delivery(
        Some("multipart/form-data; boundary=------------------------9f3a"),
        &body,
        LIMIT,
    )
    .unwrap();
    assert_eq!(d.encoding, DeliveryEncoding::Multipart);
    assert_reference_order(&d);
    assert_eq!(d.raw["orders"]["order"][0]["innerId"], "247");
    // Kept as sent (not re-serialised): what the inbox stores and hashes.
    assert_eq!(d.document, DELIVERY.trim());
}

#[test]
fn raw_json_and_form_encoded_deliveries_are_parsed() {
    let d = parse_delivery(
        Some("application/json; charset=utf-8"),
        DELIVERY.as_bytes(),
        LIMIT,
    )
    .unwrap();
    assert_eq!(d.encoding, DeliveryEncoding::Json);
    assert_reference_order(&d);
    let d = parse_delivery(None, DELIVERY.as_bytes(), LIMIT).unwrap();
    assert_reference_order(&d);
    let form: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("data", DELIVERY)
        .finish();
    let d = parse_delivery(
        Some("application/x-www-form-urlencoded"),
        form.as_bytes(),
        LIMIT,
    )
    .unwrap();
    assert_eq!(d.encoding, DeliveryEncoding::FormUrlEncoded);
    assert_reference_order(&d);
}

#[test]
fn single_order_object_and_products_array_are_accepted() {
    let body = r#"{"orders":{"order":{"storeName":"demo","innerId":5,"orderProducts":[{"sku":"A","quantity":1}]}}}"#;
    let d = parse_delivery(Some("application/json"), body.as_bytes(), LIMIT).unwrap();
    assert_eq!(d.orders()[0].inner_id(), Some(5));
    assert_eq!(d.orders()[0].order_products[0].quantity(), Some(1));
}

#[test]
fn newsletter_and_unknown_payloads_are_classified() {
    let body = r#"{"newsletter":{"subscriber":[{"id":"1","email":"a@example.com","status":"1"}]}}"#;
    let d = parse_delivery(Some("application/json"), body.as_bytes(), LIMIT).unwrap();
    assert!(
        matches!(&d.payload, DeliveryPayload::Newsletter(s) if s[0].email.as_deref() == Some("a@example.com"))
    );
    let d = parse_delivery(Some("application/json"), br#"{"something":"else"}"#, LIMIT).unwrap();
    assert_eq!(d.payload, DeliveryPayload::Unrecognised);
    assert!(d.orders().is_empty());
}

#[test]
fn oversized_deliveries_are_refused_before_parsing() {
    let body = multipart("b", &[("data", DELIVERY)]);
    let err = parse_delivery(Some("multipart/form-data; boundary=b"), &body, 100).unwrap_err();
    assert!(matches!(err, WebhookError::TooLarge { limit: 100 }));
}

#[test]
fn malformed_deliveries_get_a_precise_error() {
    let no_data = multipart("b", &[("other", "x")]);
    assert!(matches!(
        parse_delivery(Some("multipart/form-data; boundary=b"), &no_data, LIMIT),
        Err(WebhookError::MissingDataField)
    ));
    let twice = multipart("b", &[("data", "{}"), ("data", "{}")]);
    assert!(matches!(
        parse_delivery(Some("multipart/form-data; boundary=b"), &twice, LIMIT),
        Err(WebhookError::RepeatedDataField)
    ));
    assert!(matches!(
        parse_delivery(Some("multipart/form-data"), &no_data, LIMIT),
        Err(WebhookError::Multipart(_))
    ));
    assert!(matches!(
        parse_delivery(
            Some("multipart/form-data; boundary=b"),
            b"--b\r\ngarbage",
            LIMIT
        ),
        Err(WebhookError::Multipart(_) | WebhookError::MissingDataField)
    ));
    assert!(matches!(
        parse_delivery(Some("application/json"), b"{not json", LIMIT),
        Err(WebhookError::InvalidJson(_))
    ));
    assert!(matches!(
        parse_delivery(Some("application/json"), b"[1,2]", LIMIT),
        Err(WebhookError::InvalidJson(_))
    ));
    assert!(matches!(
        parse_delivery(Some("image/png"), b"{}", LIMIT),
        Err(WebhookError::UnsupportedContentType)
    ));
    let xml = multipart("b", &[("data", "<orders><order/></orders>")]);
    assert!(matches!(
        parse_delivery(Some("multipart/form-data; boundary=b"), &xml, LIMIT),
        Err(WebhookError::XmlPayload)
    ));
}

#[test]
fn webhook_event_names_round_trip() {
    for event in WebhookEvent::ORDER_EVENTS {
        assert!(event.is_order_event());
        assert_eq!(WebhookEvent::from_name(event.as_str()), event);
        let json = serde_json::to_string(&event).unwrap();
        assert_eq!(serde_json::from_str::<WebhookEvent>(&json).unwrap(), event);
    }
    assert_eq!(
        WebhookEvent::from_name("abandoned_cart"),
        WebhookEvent::AbandonedCart
    );
    assert_eq!(
        WebhookEvent::from_name("product_create"),
        WebhookEvent::Other("product_create".into())
    );
}

#[tokio::test]
async fn multipart_parsing_works_inside_an_async_handler() {
    // `parse_delivery` drives multer inline; that must be fine on a tokio worker thread.
    let body = multipart("xyz", &[("data", DELIVERY)]);
    let handle = tokio::spawn(async move {
        parse_delivery(Some("multipart/form-data; boundary=xyz"), &body, LIMIT)
    });
    assert_reference_order(&handle.await.unwrap().unwrap());
}

/// What the full parse says of each order's identity, for comparing with [`read_delivery`].
fn identities(d: &WebhookDelivery) -> Vec<OrderRef> {
    d.orders()
        .iter()
        .map(|o| OrderRef {
            inner_id: o.inner_id.clone(),
            inner_resource_id: o.inner_resource_id.clone(),
            status: o.status().map(str::to_owned),
        })
        .collect()
}

#[test]
fn reading_only_the_ids_agrees_with_the_full_parse_on_every_shape() {
    let documents = [
        DELIVERY,
        r#"{"orders":{"order":[{"innerId":"1","innerResourceId":"orders/b3Jk","orderHistory":{"status":"Kész"}},{"innerId":2}]}}"#,
        r#"{"orders":{"order":{"innerId":5,"orderHistory":{"status":3,"comment":"x"}}}}"#,
        r#"{"orders":[{"innerId":"1","orderProducts":{"orderProduct":[{"sku":"A"}]}}]}"#,
        r#"{"orders":{"innerId":"7","orderHistory":{"status":"új"}}}"#,
        r#"{"orders":{"innerId":"9","order":{"innerId":"10"}}}"#,
        r#"{"orders":{"order":{"innerId":"10"},"innerId":"9"}}"#,
        r#"{"orders":{}}"#,
        r#"{"orders":{"order":[{"innerId":"1","order":{"innerId":"2"}}]}}"#,
        r#"{"orders":{"order":{}}}"#,
        r#"{"orders":{"order":null}}"#,
        r#"{"orders":{"order":[{}]}}"#,
        r#"{"orders":null}"#,
        r#"{"orders":"x"}"#,
        r#"{"orders":[{"innerId":{"x":1},"orderHistory":{}}]}"#,
        r#"{"orders":[{"innerId":"1","orderHistory":"nope"}]}"#,
        r#"{"orders":{"order":[{"innerId":"1"}]},"orders":{"order":[{"innerId":"2"}]}}"#,
        r#"{"orders":{"order":["x"]}}"#,
        r#"{"newsletter":{"subscriber":[{"email":"a@example.com"}]}}"#,
        r#"{"something":"else"}"#,
        r#"[1,2]"#,
        r#"{"orders":{"order":[{"innerId":"1"}"#,
        r#"<orders/>"#,
    ];
    for doc in documents {
        let full = parse_delivery(Some("application/json"), doc.as_bytes(), LIMIT);
        let lean = read_delivery(Some("application/json"), doc.as_bytes(), LIMIT);
        match (&full, &lean) {
            (Ok(full), Ok(lean)) => {
                assert_eq!(identities(full), lean.orders, "{doc}");
                assert_eq!(full.document, lean.document, "{doc}");
            }
            (Err(a), Err(b)) => assert_eq!(
                std::mem::discriminant(a),
                std::mem::discriminant(b),
                "{doc}: {a} / {b}"
            ),
            _ => panic!("{doc}: the full parse gave {full:?}, the lean one {lean:?}"),
        }
    }
    let d = read_delivery(Some("application/json"), DELIVERY.as_bytes(), LIMIT).unwrap();
    assert_eq!(
        d.orders,
        [OrderRef {
            inner_id: Some("247".into()),
            inner_resource_id: Some("orders/b3JkZXItb3JkZXJfaWQ9MjQ3".into()),
            status: Some("Függőben".into()),
        }]
    );
    assert_eq!(
        d.orders[0].api_resource_id(),
        Some("b3JkZXItb3JkZXJfaWQ9MjQ3")
    );
}
