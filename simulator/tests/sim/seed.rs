use std::time::Instant;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use simulator::{ShopSeed, SimState, SimulatorConfig};

use crate::helpers::*;

#[tokio::test]
async fn same_seed_gives_same_records_and_another_seed_differs() {
    let a = SimState::new(config(50)).unwrap();
    let b = SimState::new(config(50)).unwrap();
    let mut other = config(50);
    other.shops[0].seed = 8;
    let c = SimState::new(other).unwrap();
    for id in [1, 17, 50] {
        assert_eq!(a.product(SHOP, id).unwrap(), b.product(SHOP, id).unwrap());
        assert_eq!(a.customer(SHOP, id).unwrap(), b.customer(SHOP, id).unwrap());
        assert_eq!(a.order(SHOP, id).unwrap(), b.order(SHOP, id).unwrap());
    }
    let differs = (1..=50).any(|id| a.customer(SHOP, id).unwrap() != c.customer(SHOP, id).unwrap());
    assert!(differs, "a different seed must give different data");
}

#[tokio::test]
async fn seeded_data_is_hungarian_and_bilingual() {
    let s = SimState::new(config(200)).unwrap();
    let mut formats = std::collections::HashSet::new();
    for id in 1..=200 {
        let c = s.customer(SHOP, id).unwrap().unwrap();
        assert!(c.email.contains('@') && c.email.is_ascii(), "{}", c.email);
        let digits: String = c.telephone.chars().filter(char::is_ascii_digit).collect();
        assert!(
            c.telephone.starts_with("+36")
                || c.telephone.starts_with("06")
                || c.telephone.starts_with("0036"),
            "{}",
            c.telephone
        );
        assert!(digits.len() >= 9, "{}", c.telephone);
        formats.insert(
            c.telephone
                .chars()
                .map(|ch| if ch.is_ascii_digit() { '9' } else { ch })
                .collect::<String>(),
        );
        let p = s.product(SHOP, id).unwrap().unwrap();
        assert_ne!(p.text.hu.name, p.text.en.name);
        let o = s.order(SHOP, id).unwrap().unwrap();
        assert!(!o.lines.is_empty());
        assert!(o.total_gross() > o.total_net());
    }
    assert!(
        formats.len() >= 5,
        "phone numbers come in varied formats: {formats:?}"
    );
    let any_accent = (1..=200).any(|id| {
        let c = s.customer(SHOP, id).unwrap().unwrap();
        format!("{}{}", c.lastname, c.firstname)
            .chars()
            .any(|ch| "áéíóöőúüű".contains(ch))
    });
    assert!(any_accent, "Hungarian names carry accents");
}

#[tokio::test]
async fn ids_are_base64_of_entity_column_inner_id() {
    let h = start(config(20)).await;
    let token = installed_token(&h).await;
    let (status, v) = api_get(&h, &token, "productExtend/cHJvZHVjdC1wcm9kdWN0X2lkPTE1").await;
    assert_eq!(status, 200);
    assert_eq!(v["id"], "cHJvZHVjdC1wcm9kdWN0X2lkPTE1");
    assert_eq!(
        String::from_utf8(STANDARD.decode("cHJvZHVjdC1wcm9kdWN0X2lkPTE1").unwrap()).unwrap(),
        "product-product_id=15"
    );
    assert_eq!(v["innerId"], "15");
    assert!(v["price"].is_string() && v["stock1"].is_string() && v["status"].is_string());
    let (_, o) = api_get(
        &h,
        &token,
        &format!("orders/{}", STANDARD.encode("order-order_id=3")),
    )
    .await;
    assert_eq!(o["innerId"], "3");
    let (_, c) = api_get(
        &h,
        &token,
        &format!("customers/{}", STANDARD.encode("customer-customer_id=4")),
    )
    .await;
    assert_eq!(c["innerId"], "4");
}

#[tokio::test]
async fn seeding_100k_per_resource_is_fast() {
    let cfg = SimulatorConfig {
        shops: vec![ShopSeed {
            name: "nagy".into(),
            seed: 1,
            products: 100_000,
            customers: 100_000,
            orders: 100_000,
            categories: 1_000,
        }],
        ..config(0)
    };
    let started = Instant::now();
    let h = simulator::Simulator::start(cfg).await.unwrap();
    let startup = started.elapsed();
    let s = h.state();
    let read = Instant::now();
    let last = s.order("nagy", 100_000).unwrap().unwrap();
    let one = read.elapsed();
    assert_eq!(
        s.counts("nagy").unwrap(),
        (100_000, 1_000, 100_000, 100_000)
    );
    assert_eq!(last.inner_id, 100_000);
    println!(
        "startup with 100k products/customers/orders: {startup:?}; reading one order: {one:?}"
    );
}
