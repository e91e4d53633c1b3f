//! Products (`productExtend`, with `productDescriptions`) and categories.
//!
//! Reference: `shoprenter-protocol.md` §3 "Product fields" (names live in `productDescriptions`;
//! `status` 1 enabled, 0 disabled, 2 deprecated) and FX-product_extend `get_id.json`.

use super::lenient::{parse_f64, parse_flag, parse_i64};
use super::resource;

resource! {
    /// A product as `productExtend` returns it (`products` has the same scalars, with
    /// `productDescriptions` only as a link, so [`Product::product_descriptions`] is then empty).
    pub struct Product {
        text {
            href = "href",
            /// Opaque API id (base64 or an Outer ID).
            id = "id",
            inner_id = "innerId",
            sku = "sku",
            model_number = "modelNumber",
            gtin = "gtin",
            orderable = "orderable",
            /// Net price, e.g. `"2200.0000"`.
            price = "price",
            cost = "cost",
            multiplier = "multiplier",
            stock1 = "stock1",
            stock2 = "stock2",
            stock3 = "stock3",
            stock4 = "stock4",
            subtract_stock = "subtractStock",
            main_picture = "mainPicture",
            /// `1` enabled, `0` disabled, `2` deprecated.
            status = "status",
            quantity = "quantity",
            sort_order = "sortOrder",
            available_date = "availableDate",
            date_created = "dateCreated",
            date_updated = "dateUpdated",
        }
        link {
            manufacturer = "manufacturer",
            tax_class = "taxClass",
            parent_product = "parentProduct",
            in_stock_status = "inStockStatus",
            no_stock_status = "noStockStatus",
        }
        object {}
        list {
            /// Name and descriptions per language.
            product_descriptions: ProductDescription = "productDescriptions",
            /// Net/gross prices per customer group.
            product_prices: ProductPrice = "productPrices",
            product_category_relations: ProductCategoryRelation = "productCategoryRelations",
        }
    }
}

impl Product {
    /// `innerId` as a number.
    pub fn inner_id(&self) -> Option<i64> {
        parse_i64(self.inner_id.as_deref())
    }

    /// Net price.
    pub fn net_price(&self) -> Option<f64> {
        parse_f64(self.price.as_deref())
    }

    /// Gross price of the default customer group (falls back to the first price row).
    pub fn gross_price(&self) -> Option<f64> {
        let row = self
            .product_prices
            .iter()
            .find(|p| p.is_default_group())
            .or_else(|| self.product_prices.first())?;
        parse_f64(row.gross.as_deref())
    }

    /// Currency of the default price row (e.g. `HUF`).
    pub fn currency_code(&self) -> Option<&str> {
        let row = self
            .product_prices
            .iter()
            .find(|p| p.is_default_group())
            .or_else(|| self.product_prices.first())?;
        row.currency_code.as_deref()
    }

    /// Stock in warehouse 1, the main stock figure.
    pub fn stock1(&self) -> Option<i64> {
        parse_i64(self.stock1.as_deref())
    }

    /// Sum of the four warehouse stocks that are present.
    pub fn total_stock(&self) -> Option<i64> {
        let parts: Vec<i64> = [&self.stock1, &self.stock2, &self.stock3, &self.stock4]
            .into_iter()
            .filter_map(|s| parse_i64(s.as_deref()))
            .collect();
        (!parts.is_empty()).then(|| parts.iter().sum())
    }

    /// `status == 1`.
    pub fn is_enabled(&self) -> bool {
        self.status.as_deref() == Some("1")
    }

    /// `orderable == 1`.
    pub fn is_orderable(&self) -> Option<bool> {
        parse_flag(self.orderable.as_deref())
    }

    /// The first non-empty product name (descriptions come one per language).
    pub fn name(&self) -> Option<&str> {
        self.product_descriptions
            .iter()
            .filter_map(|d| d.name.as_deref())
            .find(|n| !n.trim().is_empty())
    }

    /// The description whose `language` link has this resource id.
    pub fn description_for_language(&self, language_id: &str) -> Option<&ProductDescription> {
        self.product_descriptions
            .iter()
            .find(|d| d.language.as_ref().and_then(|l| l.resource_id()) == Some(language_id))
    }

    /// Ids of the categories the product is in.
    pub fn category_ids(&self) -> Vec<&str> {
        self.product_category_relations
            .iter()
            .filter_map(|r| r.category.as_ref().and_then(|c| c.resource_id()))
            .collect()
    }
}

resource! {
    /// `productDescriptions`: a product's texts in one language.
    pub struct ProductDescription {
        text {
            href = "href",
            id = "id",
            name = "name",
            short_description = "shortDescription",
            description = "description",
            meta_keywords = "metaKeywords",
            meta_description = "metaDescription",
            parameters = "parameters",
            measurement_unit = "measurementUnit",
            date_created = "dateCreated",
            date_updated = "dateUpdated",
        }
        link {
            product = "product",
            language = "language",
        }
        object {}
        list {}
    }
}

resource! {
    /// A `productPrices` row of `productExtend`: prices for one customer group.
    pub struct ProductPrice {
        text {
            net = "net",
            net_original = "netOriginal",
            net_special = "netSpecial",
            gross = "gross",
            gross_original = "grossOriginal",
            gross_special = "grossSpecial",
            currency_code = "currencyCode",
        }
        link {
            /// Carries `default: true` for the default group.
            customer_group = "customerGroup",
        }
        object {}
        list {}
    }
}

impl ProductPrice {
    fn is_default_group(&self) -> bool {
        self.customer_group
            .as_ref()
            .and_then(|g| g.extra.get("default"))
            .is_some_and(|d| d == &serde_json::Value::Bool(true) || d == "1")
    }
}

resource! {
    /// `productCategoryRelations`: a product-in-category link.
    pub struct ProductCategoryRelation {
        text {
            href = "href",
            id = "id",
        }
        link {
            product = "product",
            category = "category",
        }
        object {}
        list {}
    }
}

resource! {
    /// `categories` / `categoryExtend` (the latter inlines `categoryDescriptions`).
    pub struct Category {
        text {
            href = "href",
            id = "id",
            inner_id = "innerId",
            picture = "picture",
            sort_order = "sortOrder",
            status = "status",
            date_created = "dateCreated",
            date_updated = "dateUpdated",
        }
        link {
            parent_category = "parentCategory",
        }
        object {}
        list {
            category_descriptions: CategoryDescription = "categoryDescriptions",
        }
    }
}

impl Category {
    /// `innerId` as a number.
    pub fn inner_id(&self) -> Option<i64> {
        parse_i64(self.inner_id.as_deref())
    }

    /// The first non-empty category name.
    pub fn name(&self) -> Option<&str> {
        self.category_descriptions
            .iter()
            .filter_map(|d| d.name.as_deref())
            .find(|n| !n.trim().is_empty())
    }

    /// `status == 1`.
    pub fn is_enabled(&self) -> bool {
        self.status.as_deref() == Some("1")
    }
}

resource! {
    /// `categoryDescriptions`: a category's texts in one language.
    pub struct CategoryDescription {
        text {
            href = "href",
            id = "id",
            name = "name",
            description = "description",
            meta_keywords = "metaKeywords",
            meta_description = "metaDescription",
        }
        link {
            category = "category",
            language = "language",
        }
        object {}
        list {}
    }
}
