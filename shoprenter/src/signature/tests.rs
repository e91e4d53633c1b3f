use super::*;
use proptest::prelude::*;

/// Placeholder ClientSecret from DEMO-PHP, used by the reference's synthetic vectors (c) 10–11.
const DEMO_SECRET: &str = "13afd849ec2781ca3fb2dd1a";
const VECTOR_10: &str = "5840f33c953971e1bdcae2769afd608eae1f0348373b96b4c3716d9784caca8b";
const VECTOR_11: &str = "c0bdcec3ae6cfceec642449c9902654b19322cc98efc7b1915073f43917d4f50";
const CODE: &str = "0907a61c0c8d55e99db179b68161bc00";
const TS: i64 = 1337178173;

fn verifier() -> Verifier {
    Verifier::new(SecretString::from(DEMO_SECRET))
}

fn query_with(hmac: &str) -> String {
    format!(
        "shopname=example&code={CODE}&timestamp={TS}&app_url=https%3A%2F%2Fexample.myshoprenter.hu%2Fadmin%2Fapp%2F55&hmac={hmac}"
    )
}

#[test]
fn vector_1_payment_api_notification_hmac() {
    let body = br#"{"id":69,"status":"pending","time":1606740386}"#;
    let expected = "317a52549acd37817dfdf2d8989c9386b3d448faa6bc2ff597c71eaa37c76ee3";
    assert_eq!(hmac_sha256_hex(b"ppmunf3z66qx6c9cpo0klmyq", body), expected);
    assert!(verify_hex_hmac(
        b"ppmunf3z66qx6c9cpo0klmyq",
        body,
        &expected.to_uppercase()
    ));
    assert!(!verify_hex_hmac(
        b"ppmunf3z66qx6c9cpo0klmyq",
        b"{}",
        expected
    ));
}

#[test]
fn vector_10_docs_order_message() {
    let msg = format!("code={CODE}&shopname=example&timestamp={TS}");
    assert_eq!(
        hmac_sha256_hex(DEMO_SECRET.as_bytes(), msg.as_bytes()),
        VECTOR_10
    );
    let params = [
        ("shopname", "example"),
        ("code", CODE),
        ("timestamp", "1337178173"),
    ];
    assert_eq!(
        sign(DEMO_SECRET.as_bytes(), HmacVariant::DocsOrder, &params),
        VECTOR_10
    );
}

#[test]
fn vector_11_demo_app_order_message() {
    let msg = format!("shopname=example&code={CODE}&timestamp={TS}");
    assert_eq!(
        hmac_sha256_hex(DEMO_SECRET.as_bytes(), msg.as_bytes()),
        VECTOR_11
    );
    let params = [
        ("shopname", "example"),
        ("code", CODE),
        ("timestamp", "1337178173"),
    ];
    assert_eq!(
        sign(DEMO_SECRET.as_bytes(), HmacVariant::DemoAppOrder, &params),
        VECTOR_11
    );
}

#[test]
fn verifier_accepts_both_official_orders_and_reports_which() {
    let ok = verifier().verify(&query_with(VECTOR_10), TS + 10).unwrap();
    assert_eq!(ok.variant, HmacVariant::DocsOrder);
    assert_eq!(ok.shop.as_str(), "example");
    assert_eq!(ok.code, CODE);
    assert_eq!(ok.timestamp, TS);
    assert_eq!(
        ok.app_url.as_deref(),
        Some("https://example.myshoprenter.hu/admin/app/55")
    );
    assert!(!ok.app_url_is_signed());
    let ok = verifier()
        .verify(&query_with(&VECTOR_11.to_uppercase()), TS)
        .unwrap();
    assert_eq!(ok.variant, HmacVariant::DemoAppOrder);
    assert_eq!(ok.hmac, VECTOR_11);
}

#[test]
fn verifier_rejects_any_other_hmac() {
    let mut wrong = VECTOR_10.to_owned();
    wrong.replace_range(0..1, "6");
    assert_eq!(
        verifier().verify(&query_with(&wrong), TS),
        Err(VerifyError::BadSignature)
    );
    let other_secret = Verifier::new(SecretString::from("another-secret"));
    assert_eq!(
        other_secret.verify(&query_with(VECTOR_10), TS),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn narrowed_variants_reject_the_other_order() {
    let v = verifier().with_variants(&[HmacVariant::DemoAppOrder]);
    assert_eq!(
        v.verify(&query_with(VECTOR_10), TS),
        Err(VerifyError::BadSignature)
    );
    assert!(v.verify(&query_with(VECTOR_11), TS).is_ok());
}

#[test]
fn previous_secret_is_accepted_during_rotation() {
    let v = Verifier::new(SecretString::from("new-secret"))
        .with_previous_secret(SecretString::from(DEMO_SECRET));
    let ok = v.verify(&query_with(VECTOR_11), TS).unwrap();
    assert!(ok.matched_previous_secret);
}

#[test]
fn install_with_stale_or_future_timestamp_is_rejected() {
    let v = verifier();
    assert_eq!(
        v.verify(&query_with(VECTOR_10), TS + 301),
        Err(VerifyError::StaleTimestamp {
            age_secs: 301,
            max_age_secs: 300
        })
    );
    assert!(v.verify(&query_with(VECTOR_10), TS + 300).is_ok());
    assert_eq!(
        v.verify(&query_with(VECTOR_10), TS - 61),
        Err(VerifyError::FutureTimestamp {
            ahead_secs: 61,
            max_future_secs: 60
        })
    );
    let strict = verifier().with_window(Duration::from_secs(5), Duration::ZERO);
    assert!(matches!(
        strict.verify(&query_with(VECTOR_10), TS + 6),
        Err(VerifyError::StaleTimestamp { .. })
    ));
}

#[test]
fn missing_and_malformed_parameters_are_named() {
    let v = verifier();
    assert_eq!(
        v.verify("code=a&timestamp=1&hmac=x", TS),
        Err(VerifyError::MissingParameter("shopname"))
    );
    assert_eq!(
        v.verify("shopname=a&timestamp=1&hmac=x", TS),
        Err(VerifyError::MissingParameter("code"))
    );
    assert_eq!(
        v.verify("shopname=a&code=b&hmac=x", TS),
        Err(VerifyError::MissingParameter("timestamp"))
    );
    assert_eq!(
        v.verify("shopname=a&code=b&timestamp=1", TS),
        Err(VerifyError::MissingParameter("hmac"))
    );
    assert_eq!(
        v.verify("shopname=&code=b&timestamp=1&hmac=x", TS),
        Err(VerifyError::MissingParameter("shopname"))
    );
    assert_eq!(
        v.verify(
            &format!("shopname=a&code=b&timestamp=-1&hmac={VECTOR_10}"),
            TS
        ),
        Err(VerifyError::MalformedTimestamp)
    );
    assert_eq!(
        v.verify(
            &format!("shopname=a&code=b&timestamp=1.5&hmac={VECTOR_10}"),
            TS
        ),
        Err(VerifyError::MalformedTimestamp)
    );
    assert_eq!(
        v.verify("shopname=a&code=b&timestamp=1&hmac=zz", TS),
        Err(VerifyError::MalformedHmac)
    );
    assert_eq!(
        v.verify(
            &format!("shopname=a&code=b&timestamp=1&hmac={}", "g".repeat(64)),
            TS
        ),
        Err(VerifyError::MalformedHmac)
    );
    assert_eq!(
        v.verify("shopname=%FF&code=b&timestamp=1&hmac=x", TS),
        Err(VerifyError::MalformedQuery)
    );
}

#[test]
fn repeated_security_parameters_are_rejected() {
    let v = verifier();
    let q = format!("{}&shopname=evil", query_with(VECTOR_10));
    assert_eq!(
        v.verify(&q, TS),
        Err(VerifyError::RepeatedParameter("shopname"))
    );
    let q = format!("{}&shopName=evil", query_with(VECTOR_10));
    assert_eq!(
        v.verify(&q, TS),
        Err(VerifyError::RepeatedParameter("shopname"))
    );
    let q = format!("{}&hmac={VECTOR_11}", query_with(VECTOR_10));
    assert_eq!(
        v.verify(&q, TS),
        Err(VerifyError::RepeatedParameter("hmac"))
    );
    let q = format!("{}&app_url=https://evil.example", query_with(VECTOR_10));
    assert_eq!(
        v.verify(&q, TS),
        Err(VerifyError::RepeatedParameter("app_url"))
    );
}

#[test]
fn uninstall_with_shop_name_camel_case_is_accepted() {
    let q = format!("shopName=example&code={CODE}&timestamp={TS}&hmac={VECTOR_11}");
    let ok = verifier().verify(&q, TS).unwrap();
    assert_eq!(ok.shop.as_str(), "example");
    // Signed with the key as received is accepted too.
    let params = [
        ("shopName", "example"),
        ("code", CODE),
        ("timestamp", "1337178173"),
    ];
    let msg = format!("shopName=example&code={CODE}&timestamp={TS}");
    let sig = hmac_sha256_hex(DEMO_SECRET.as_bytes(), msg.as_bytes());
    assert_ne!(
        sig,
        sign(DEMO_SECRET.as_bytes(), HmacVariant::DemoAppOrder, &params)
    );
    assert!(verifier()
        .verify(
            &format!("shopName=example&code={CODE}&timestamp={TS}&hmac={sig}"),
            TS
        )
        .is_ok());
}

#[test]
fn entry_point_custom_params_are_kept_and_all_params_variant_signs_them() {
    let params = [
        ("shopname", "example"),
        ("code", CODE),
        ("timestamp", "1337178173"),
        ("sr_install", "abc 123"),
    ];
    let sig = sign(
        DEMO_SECRET.as_bytes(),
        HmacVariant::AllParamsSorted,
        &params,
    );
    let q = format!("shopname=example&code={CODE}&timestamp={TS}&sr_install=abc+123&hmac={sig}");
    let ok = verifier().verify(&q, TS).unwrap();
    assert_eq!(ok.variant, HmacVariant::AllParamsSorted);
    assert_eq!(ok.extra_param("sr_install"), Some("abc 123"));
    // A tampered custom parameter breaks that variant.
    let q = q.replace("abc+123", "abc+124");
    assert_eq!(verifier().verify(&q, TS), Err(VerifyError::BadSignature));
}

#[test]
fn values_are_decoded_exactly_once() {
    let params = [
        ("shopname", "example"),
        ("code", "a%41"),
        ("timestamp", "1337178173"),
    ];
    let sig = sign(DEMO_SECRET.as_bytes(), HmacVariant::DemoAppOrder, &params);
    // `%2541` decodes once to `%41`, which is what was signed; decoding twice would give `aA`.
    let q = format!("shopname=example&code=a%2541&timestamp={TS}&hmac={sig}");
    assert_eq!(verifier().verify(&q, TS).unwrap().code, "a%41");
}

#[test]
fn correctly_signed_request_with_bad_shop_name_is_rejected() {
    let params = [
        ("shopname", "evil.com"),
        ("code", CODE),
        ("timestamp", "1337178173"),
    ];
    let sig = sign(DEMO_SECRET.as_bytes(), HmacVariant::DemoAppOrder, &params);
    let q = format!("shopname=evil.com&code={CODE}&timestamp={TS}&hmac={sig}");
    assert_eq!(
        verifier().verify(&q, TS),
        Err(VerifyError::InvalidShopName(
            ShopNameError::InvalidCharacter
        ))
    );
}

#[test]
fn errors_never_contain_the_expected_signature() {
    let err = verifier()
        .verify(&query_with(&"0".repeat(64)), TS)
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains(VECTOR_10) && !text.contains(VECTOR_11) && !text.contains(DEMO_SECRET));
    assert!(!format!("{:?}", verifier()).contains(DEMO_SECRET));
}

fn encode(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

proptest! {
    #[test]
    fn sign_then_verify_round_trips(
        shop in "[a-z0-9][a-z0-9]{0,10}",
        code in "\\PC{1,40}",
        ts in 1_000_000_000i64..2_000_000_000,
        extra in proptest::collection::vec(("[a-z_]{1,8}", "\\PC{0,20}"), 0..4),
        variant in prop_oneof![Just(HmacVariant::DocsOrder), Just(HmacVariant::DemoAppOrder), Just(HmacVariant::AllParamsSorted)],
    ) {
        let extra: Vec<_> = extra.into_iter().filter(|(k, _)| !SECURITY_PARAMS.contains(&k.as_str()) && k != "shopName").collect();
        let ts_s = ts.to_string();
        let mut params = vec![("shopname", shop.as_str()), ("code", code.as_str()), ("timestamp", ts_s.as_str())];
        params.extend(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let sig = sign(b"secret", variant, &params);
        let query: String = params.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).chain([format!("hmac={sig}")]).collect::<Vec<_>>().join("&");
        let v = Verifier::new(SecretString::from("secret")).with_variants(&[variant]);
        let ok = v.verify(&query, ts).unwrap();
        prop_assert_eq!(ok.variant, variant);
        prop_assert_eq!(ok.code, code);
    }

    #[test]
    fn any_single_byte_change_fails(
        code in "[0-9a-f]{32}",
        position in 0usize..200,
        replacement in proptest::num::u8::ANY,
    ) {
        let params = [("shopname", "example"), ("code", code.as_str()), ("timestamp", "1337178173"), ("sr_install", "x1")];
        let sig = sign(b"secret", HmacVariant::AllParamsSorted, &params);
        let query = format!("shopname=example&code={code}&timestamp=1337178173&sr_install=x1&hmac={sig}");
        let v = Verifier::new(SecretString::from("secret"));
        prop_assert!(v.verify(&query, TS).is_ok());
        let mut bytes = query.clone().into_bytes();
        let i = position % bytes.len();
        prop_assume!(bytes[i] != replacement);
        let original = bytes[i];
        bytes[i] = replacement;
        // Changing only the case of a hex digit in the hmac is the same signature.
        let hmac_start = query.len() - 64;
        prop_assume!(!(i >= hmac_start && original.eq_ignore_ascii_case(&replacement)));
        let Ok(tampered) = String::from_utf8(bytes) else { return Ok(()); };
        prop_assert!(v.verify(&tampered, TS).is_err(), "accepted tampered query {tampered}");
    }
}
