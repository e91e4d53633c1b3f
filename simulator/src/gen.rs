//! Deterministic seed data. Every generated record is a pure function of (shop seed, id), so a shop
//! of 100k records costs nothing at startup: records are built when they are read.

use chrono::{Duration, NaiveDate, NaiveDateTime};

use crate::model::{Category, Customer, Lang2, Order, OrderLine, Product, ProductText};

/// SplitMix64: tiny, fast and stable across crate versions (unlike `rand`'s StdRng stream).
pub(crate) struct Mix(u64);

impl Mix {
    pub(crate) fn new(seed: u64, kind: u64, id: u32) -> Self {
        let mut m = Mix(seed ^ kind.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (u64::from(id) << 20));
        m.next();
        m
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const K_PRODUCT: u64 = 1;
const K_CUSTOMER: u64 = 2;
const K_ORDER: u64 = 3;
const K_CATEGORY: u64 = 4;

/// Generated records date from 2024, safely in the past, so every `updatedAfter` sync from "now"
/// sees only what tests change.
fn epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2024, 1, 1)
        .and_then(|d| d.and_hms_opt(8, 0, 0))
        .expect("valid epoch")
}

fn dates(m: &mut Mix) -> (NaiveDateTime, NaiveDateTime) {
    let created = epoch() + Duration::seconds(m.below(500 * 86_400) as i64);
    let updated = created + Duration::seconds(m.below(120 * 86_400) as i64);
    (created, updated)
}

const ADJECTIVES: &[(&str, &str)] = &[
    ("Prémium", "Premium"),
    ("Bio", "Organic"),
    ("Klasszikus", "Classic"),
    ("Kézműves", "Handmade"),
    ("Praktikus", "Practical"),
    ("Elegáns", "Elegant"),
    ("Strapabíró", "Heavy-duty"),
    ("Mini", "Mini"),
    ("Retró", "Retro"),
    ("Öko", "Eco"),
];
const COLOURS: &[(&str, &str)] = &[
    ("piros", "red"),
    ("kék", "blue"),
    ("zöld", "green"),
    ("fekete", "black"),
    ("fehér", "white"),
    ("szürke", "grey"),
    ("sárga", "yellow"),
];
/// (Hungarian, English, SKU prefix)
const NOUNS: &[(&str, &str, &str)] = &[
    ("kávébab", "coffee beans", "KAV"),
    ("zöld tea", "green tea", "TEA"),
    ("bögre", "mug", "BOG"),
    ("teáskanna", "teapot", "KAN"),
    ("fülhallgató", "headphones", "FUL"),
    ("okosóra", "smartwatch", "ORA"),
    ("telefontok", "phone case", "TOK"),
    ("töltőkábel", "charging cable", "KAB"),
    ("kerti szék", "garden chair", "SZK"),
    ("locsolókanna", "watering can", "LOC"),
    ("jógamatrac", "yoga mat", "JOG"),
    ("futócipő", "running shoes", "CIP"),
    ("kulacs", "water bottle", "KUL"),
    ("társasjáték", "board game", "TAR"),
    ("plüssmaci", "teddy bear", "MAC"),
    ("kirakós", "jigsaw puzzle", "KIR"),
    ("arckrém", "face cream", "KRM"),
    ("sampon", "shampoo", "SAM"),
    ("pamut póló", "cotton T-shirt", "POL"),
    ("gyapjú sál", "wool scarf", "SAL"),
    ("szakácskönyv", "cookbook", "KON"),
    ("serpenyő", "frying pan", "SER"),
    ("késkészlet", "knife set", "KES"),
    ("asztali lámpa", "desk lamp", "LAM"),
    ("díszpárna", "cushion", "PAR"),
    ("hátizsák", "backpack", "HAT"),
    ("esernyő", "umbrella", "ESE"),
];
const TOP_CATEGORIES: &[(&str, &str)] = &[
    ("Kávé és tea", "Coffee & tea"),
    ("Konyha", "Kitchen"),
    ("Elektronika", "Electronics"),
    ("Kert", "Garden"),
    ("Sport", "Sport"),
    ("Játékok", "Toys"),
    ("Szépségápolás", "Beauty"),
    ("Ruházat", "Clothing"),
    ("Könyvek", "Books"),
    ("Lakberendezés", "Home decor"),
    ("Táskák", "Bags"),
    ("Ajándékok", "Gifts"),
];
const SUB_CATEGORIES: &[(&str, &str)] = &[
    ("Akciós", "On sale"),
    ("Újdonságok", "New arrivals"),
    ("Prémium", "Premium"),
    ("Kiegészítők", "Accessories"),
];
pub(crate) const LAST_NAMES: &[&str] = &[
    "Nagy",
    "Kovács",
    "Tóth",
    "Szabó",
    "Horváth",
    "Varga",
    "Kiss",
    "Molnár",
    "Németh",
    "Farkas",
    "Balogh",
    "Papp",
    "Takács",
    "Juhász",
    "Lakatos",
    "Mészáros",
    "Oláh",
    "Simon",
    "Rácz",
    "Fekete",
    "Szilágyi",
    "Török",
    "Fehér",
    "Balázs",
    "Gál",
    "Kis",
    "Szűcs",
    "Kocsis",
    "Orsós",
    "Pintér",
];
pub(crate) const FIRST_NAMES: &[&str] = &[
    "László",
    "István",
    "József",
    "János",
    "Zoltán",
    "Sándor",
    "Gábor",
    "Ferenc",
    "Attila",
    "Péter",
    "Tamás",
    "Zsolt",
    "Mária",
    "Erzsébet",
    "Katalin",
    "Ilona",
    "Éva",
    "Anna",
    "Zsuzsanna",
    "Margit",
    "Judit",
    "Ágnes",
    "Andrea",
    "Krisztina",
    "Eszter",
    "Réka",
    "Dóra",
    "Bence",
    "Máté",
    "Levente",
];
const MAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "freemail.hu",
    "citromail.hu",
    "outlook.hu",
    "yahoo.com",
    "t-online.hu",
];
const CITIES: &[(&str, &str)] = &[
    ("Budapest", "1117"),
    ("Debrecen", "4032"),
    ("Szeged", "6720"),
    ("Miskolc", "3525"),
    ("Pécs", "7621"),
    ("Győr", "9021"),
    ("Nyíregyháza", "4400"),
    ("Kecskemét", "6000"),
    ("Székesfehérvár", "8000"),
    ("Eger", "3300"),
];
const STREETS: &[&str] = &[
    "Petőfi Sándor utca",
    "Kossuth Lajos utca",
    "Rákóczi út",
    "Ady Endre utca",
    "Dózsa György út",
    "Béke tér",
    "Fő utca",
    "Arany János utca",
];

/// Lower-case ASCII for e-mail local parts ("Szűcs Éva" → "szucs.eva").
pub(crate) fn ascii_fold(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            let c = match c {
                'á' | 'Á' => 'a',
                'é' | 'É' => 'e',
                'í' | 'Í' => 'i',
                'ó' | 'Ó' | 'ö' | 'Ö' | 'ő' | 'Ő' => 'o',
                'ú' | 'Ú' | 'ü' | 'Ü' | 'ű' | 'Ű' => 'u',
                ' ' => return None,
                c => c.to_ascii_lowercase(),
            };
            Some(c)
        })
        .collect()
}

/// A Hungarian phone number in one of the formats people actually type, so phone matching gets tested.
pub(crate) fn phone(m: &mut Mix) -> String {
    let area = *m.pick(&["20", "30", "31", "50", "70", "1"]);
    let n = 1_000_000 + m.below(9_000_000);
    let (a, b, c) = (n / 10_000, (n / 100) % 100, n % 100);
    match m.below(6) {
        0 => format!("+36{area}{n}"),
        1 => format!("+36 {area} {a} {b:02}{c:02}"),
        2 => format!("06{area}{n}"),
        3 => format!("06-{area}-{a}-{b:02}{c:02}"),
        4 => format!("+36 ({area}) {a}-{b:02}-{c:02}"),
        _ => format!("0036 {area} {n}"),
    }
}

pub(crate) fn product(seed: u64, id: u32, categories: u32) -> Product {
    let mut m = Mix::new(seed, K_PRODUCT, id);
    let adj = *m.pick(ADJECTIVES);
    let colour = *m.pick(COLOURS);
    let noun = *m.pick(NOUNS);
    let (created, updated) = dates(&mut m);
    let price = (49 + m.below(8_950)) * 10;
    let mut category_ids = Vec::new();
    if categories > 0 {
        category_ids.push(1 + m.below(u64::from(categories)) as u32);
        if m.below(3) == 0 {
            let second = 1 + m.below(u64::from(categories)) as u32;
            if second != category_ids[0] {
                category_ids.push(second);
            }
        }
    }
    let hu_name = format!("{} {} {}", adj.0, colour.0, noun.0);
    let en_name = format!("{} {} {}", adj.1, colour.1, noun.1);
    Product {
        inner_id: id,
        sku: format!("{}-{id:05}", noun.2),
        price_net: price,
        stock: m.below(120) as u32,
        status: if m.below(20) == 0 { 0 } else { 1 },
        category_ids,
        text: Lang2 {
            hu: ProductText {
                short_description: format!("{hu_name} – kiváló minőség, gyors szállítás."),
                description: format!(
                    "<p>A(z) {} {} tartós, könnyen tisztítható darab. Szín: {}.</p>",
                    adj.0.to_lowercase(),
                    noun.0,
                    colour.0
                ),
                name: hu_name,
            },
            en: ProductText {
                short_description: format!("{en_name} – great quality, fast delivery."),
                description: format!(
                    "<p>This {} {} is durable and easy to clean. Colour: {}.</p>",
                    adj.1.to_lowercase(),
                    noun.1,
                    colour.1
                ),
                name: en_name,
            },
        },
        date_created: created,
        date_updated: updated,
    }
}

pub(crate) fn category(seed: u64, id: u32) -> Category {
    let mut m = Mix::new(seed, K_CATEGORY, id);
    let (created, updated) = dates(&mut m);
    let top = TOP_CATEGORIES.len() as u32;
    let (name, parent) = if id <= top {
        let (hu, en) = TOP_CATEGORIES[(id - 1) as usize];
        ((hu.to_string(), en.to_string()), None)
    } else {
        let parent = (id - 1) % top + 1;
        let round = (id - 1) / top - 1;
        let (phu, pen) = TOP_CATEGORIES[(parent - 1) as usize];
        let (shu, sen) = SUB_CATEGORIES[(round as usize) % SUB_CATEGORIES.len()];
        let suffix = if (round as usize) < SUB_CATEGORIES.len() {
            String::new()
        } else {
            format!(" {}", round as usize / SUB_CATEGORIES.len() + 1)
        };
        (
            (
                format!("{shu} – {}{suffix}", phu.to_lowercase()),
                format!("{sen} – {}{suffix}", pen.to_lowercase()),
            ),
            Some(parent),
        )
    };
    Category {
        inner_id: id,
        parent_id: parent,
        name: Lang2 {
            hu: name.0,
            en: name.1,
        },
        sort_order: id % 10,
        status: 1,
        date_created: created,
        date_updated: updated,
    }
}

pub(crate) fn customer(seed: u64, id: u32) -> Customer {
    let mut m = Mix::new(seed, K_CUSTOMER, id);
    let last = *m.pick(LAST_NAMES);
    let first = *m.pick(FIRST_NAMES);
    let domain = *m.pick(MAIL_DOMAINS);
    let local = match m.below(3) {
        0 => format!("{}.{}{id}", ascii_fold(first), ascii_fold(last)),
        1 => format!("{}{}{id}", ascii_fold(last), ascii_fold(first)),
        _ => format!("{}.{}.{id}", ascii_fold(last), ascii_fold(first)),
    };
    let (created, updated) = dates(&mut m);
    Customer {
        inner_id: id,
        firstname: first.into(),
        lastname: last.into(),
        email: format!("{local}@{domain}"),
        telephone: phone(&mut m),
        newsletter: m.below(2) as u8,
        status: 1,
        date_created: created,
        date_updated: updated,
    }
}

pub(crate) fn order(seed: u64, id: u32, sizes: &crate::model::Sizes) -> Order {
    let mut m = Mix::new(seed, K_ORDER, id);
    let customer_id = if sizes.customers > 0 && m.below(5) != 0 {
        Some(1 + m.below(u64::from(sizes.customers)) as u32)
    } else {
        None
    };
    let who = match customer_id {
        Some(c) => customer(seed, c),
        None => customer(seed ^ 0xA5A5, id),
    };
    let (city, postcode) = *m.pick(CITIES);
    let street = format!("{} {}.", m.pick(STREETS), 1 + m.below(120));
    let lines = (0..1 + m.below(4))
        .map(|_| {
            if sizes.products == 0 {
                OrderLine {
                    product_id: None,
                    name: "Ajándékutalvány".into(),
                    sku: "GIFT-CARD".into(),
                    price_net: 5000,
                    quantity: 1,
                }
            } else {
                let pid = 1 + m.below(u64::from(sizes.products)) as u32;
                let p = product(seed, pid, sizes.categories);
                OrderLine {
                    product_id: Some(pid),
                    name: p.text.hu.name,
                    sku: p.sku,
                    price_net: p.price_net,
                    quantity: 1 + m.below(3) as u32,
                }
            }
        })
        .collect();
    let (created, updated) = dates(&mut m);
    // Most historic orders are finished; some are still moving so status changes make sense.
    let status_id = *m.pick(&[1, 2, 3, 4, 4, 4, 4, 5, 7]);
    Order {
        inner_id: id,
        customer_id,
        firstname: who.firstname,
        lastname: who.lastname,
        email: who.email,
        phone: who.telephone,
        city: city.into(),
        postcode: postcode.into(),
        address: street,
        shipping_net: *m.pick(&[0, 1290, 1990]),
        payment_method: m.pick(&["Utánvét", "Bankkártya", "Átutalás"]).to_string(),
        status_id,
        comment: if m.below(6) == 0 {
            "Kérem, csengessen kétszer.".into()
        } else {
            String::new()
        },
        language: "hu".into(),
        lines,
        date_created: created,
        date_updated: updated,
    }
}
