//! Orders (`orderExtend`, with `orderProducts` and `orderTotals`) and order statuses.
//!
//! Reference: `shoprenter-protocol.md` §3 "Order fields" (`orderExtend` inlines `orderProducts`
//! and `orderTotals`; the status is a link to `orderStatuses`, whose names live in
//! `orderStatusDescriptions`; abandoned carts are orders with status id 0) and
//! FX-order_extend `get_id.json`.

use super::lenient::{parse_f64, parse_i64};
use super::resource;

resource! {
    /// An order as `orderExtend` returns it.
    pub struct Order {
        text {
            href = "href",
            id = "id",
            inner_id = "innerId",
            invoice_id = "invoiceId",
            invoice_prefix = "invoicePrefix",
            firstname = "firstname",
            lastname = "lastname",
            phone = "phone",
            email = "email",
            shipping_firstname = "shippingFirstname",
            shipping_lastname = "shippingLastname",
            shipping_company = "shippingCompany",
            shipping_address1 = "shippingAddress1",
            shipping_address2 = "shippingAddress2",
            shipping_city = "shippingCity",
            shipping_postcode = "shippingPostcode",
            shipping_country_name = "shippingCountryName",
            shipping_method_name = "shippingMethodName",
            payment_firstname = "paymentFirstname",
            payment_lastname = "paymentLastname",
            payment_city = "paymentCity",
            payment_method_name = "paymentMethodName",
            payment_method_code = "paymentMethodCode",
            comment = "comment",
            /// Order total as the platform reports it (`"3990.0000"`).
            total = "total",
            /// Currency rate.
            value = "value",
            date_created = "dateCreated",
            date_updated = "dateUpdated",
        }
        link {
            customer = "customer",
            customer_group = "customerGroup",
            /// Link to `orderStatuses/{id}`.
            order_status = "orderStatus",
            language = "language",
            currency = "currency",
            shipping_mode = "shippingMode",
        }
        object {}
        list {
            order_products: OrderProduct = "orderProducts",
            order_totals: OrderTotal = "orderTotals",
        }
    }
}

impl Order {
    /// `innerId` as a number (the order number merchants see).
    pub fn inner_id(&self) -> Option<i64> {
        parse_i64(self.inner_id.as_deref())
    }

    /// `total` as a number.
    pub fn total(&self) -> Option<f64> {
        parse_f64(self.total.as_deref())
    }

    /// The gross grand total from the `TOTAL` order-total row, when inlined.
    pub fn gross_total(&self) -> Option<f64> {
        self.order_totals
            .iter()
            .find(|t| t.kind.as_deref() == Some("TOTAL"))
            .and_then(OrderTotal::value)
    }

    /// The `orderStatuses` resource id this order is in.
    pub fn order_status_id(&self) -> Option<&str> {
        self.order_status.as_ref().and_then(|l| l.resource_id())
    }

    /// `firstname lastname` of the customer on the order.
    pub fn customer_name(&self) -> String {
        [&self.firstname, &self.lastname]
            .into_iter()
            .filter_map(|s| s.as_deref().map(str::trim).filter(|s| !s.is_empty()))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

resource! {
    /// An `orderProducts` line.
    pub struct OrderProduct {
        text {
            href = "href",
            id = "id",
            name = "name",
            sku = "sku",
            model_number = "modelNumber",
            /// Net unit price.
            price = "price",
            /// Net line total.
            total = "total",
            gross_price = "grossPrice",
            tax_rate = "taxRate",
            quantity = "quantity",
            stock1 = "stock1",
            stock2 = "stock2",
            stock3 = "stock3",
            stock4 = "stock4",
            date_created = "dateCreated",
            date_updated = "dateUpdated",
        }
        link {
            order = "order",
            product = "product",
        }
        object {}
        list {}
    }
}

impl OrderProduct {
    /// Net unit price.
    pub fn unit_price(&self) -> Option<f64> {
        parse_f64(self.price.as_deref())
    }

    /// Net line total.
    pub fn line_total(&self) -> Option<f64> {
        parse_f64(self.total.as_deref())
    }

    /// Quantity ordered: `quantity` when sent, else the sum of the per-warehouse `stockN`
    /// amounts the fixture carries instead.
    pub fn quantity(&self) -> Option<i64> {
        parse_i64(self.quantity.as_deref()).or_else(|| {
            let parts: Vec<i64> = [&self.stock1, &self.stock2, &self.stock3, &self.stock4]
                .into_iter()
                .filter_map(|s| parse_i64(s.as_deref()))
                .collect();
            (!parts.is_empty()).then(|| parts.iter().sum())
        })
    }
}

resource! {
    /// An `orderTotals` row (`SUB_TOTAL`, `TAX`, `SHIPPING`, `TOTAL`, …).
    pub struct OrderTotal {
        text {
            href = "href",
            id = "id",
            name = "name",
            value_text = "valueText",
            value = "value",
            sort_order = "sortOrder",
            /// `type` in JSON.
            kind = "type",
            key = "key",
            description = "description",
        }
        link {
            order = "order",
        }
        object {}
        list {}
    }
}

impl OrderTotal {
    /// `value` as a number.
    pub fn value(&self) -> Option<f64> {
        parse_f64(self.value.as_deref())
    }
}

resource! {
    /// An `orderStatuses` record; names come in `orderStatusDescriptions`.
    pub struct OrderStatus {
        text {
            href = "href",
            id = "id",
            inner_id = "innerId",
            color = "color",
            sort_order = "sortOrder",
        }
        link {}
        object {}
        list {
            order_status_descriptions: OrderStatusDescription = "orderStatusDescriptions",
        }
    }
}

impl OrderStatus {
    /// `innerId` as a number (0 is the abandoned-cart status).
    pub fn inner_id(&self) -> Option<i64> {
        parse_i64(self.inner_id.as_deref())
    }

    /// The first non-empty status name.
    pub fn name(&self) -> Option<&str> {
        self.order_status_descriptions
            .iter()
            .filter_map(|d| d.name.as_deref())
            .find(|n| !n.trim().is_empty())
    }
}

resource! {
    /// An `orderStatusDescriptions` record: a status name and colour in one language.
    pub struct OrderStatusDescription {
        text {
            href = "href",
            id = "id",
            name = "name",
            color = "color",
        }
        link {
            order_status = "orderStatus",
            language = "language",
        }
        object {}
        list {}
    }
}
